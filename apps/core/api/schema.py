"""The error side of the OpenAPI contract: every operation documents the statuses it can
answer with the project's one error body, so a generated client can type its errors."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema

ERROR_COMPONENT = "Error"
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every API failure: a code, a message a person can act on, and for"
    " invalid input the fields at fault.",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "example": "invalid"},
                "message": {"type": "string", "example": "frame_in: Frames are whole numbers."},
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
            "required": ["code", "message"],
        },
        "request_id": {"type": "string", "nullable": True},
    },
    "required": ["error", "request_id"],
}

_WHY = {
    "400": "Invalid input; `error.fields` names each field at fault.",
    "401": "No valid API token or session.",
    "403": "Your role in this organization does not allow this action.",
    "404": "Missing, or not visible to you (the two look the same).",
    "409": "Conflicts with the current state (e.g. an edit based on an old revision).",
    "429": "Too many requests; try again later.",
}
_WRITES = {"post", "put", "patch", "delete"}


class BacklotAutoSchema(AutoSchema):
    """Only `list` actions are paginated in this API; other actions that answer a list
    (e.g. providers, job logs) answer a plain array, and the schema says so."""

    def _is_list_view(self, serializer: Any = None) -> bool:
        # A `list` that answers one object (e.g. `{"results": [...]}` without paging) says
        # so with `schema_list_envelope = True` on its view.
        if getattr(self.view, "schema_list_envelope", False):
            return False
        return bool(super()._is_list_view(serializer))

    def _get_paginator(self) -> Any:
        if getattr(self.view, "action", None) != "list":
            return None
        return super()._get_paginator()


def _statuses(path: str, method: str, operation: dict[str, Any]) -> list[str]:
    statuses = ["401", "404"]
    if "/orgs/{org}/" in path or path.endswith("/orgs/{org}/"):
        statuses.append("403")
    if method in _WRITES:
        statuses += ["400", "409"]
    elif any(p.get("name") != "org" for p in operation.get("parameters", [])):
        statuses.append("400")  # a filter, page size or path value that is not valid
    return statuses


def document_error_responses(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular postprocessing hook (after the enum hook)."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas[ERROR_COMPONENT] = ERROR_SCHEMA
    reference = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete", "head", "options"}:
                continue
            responses = operation.setdefault("responses", {})
            for status in _statuses(path, method, operation):
                responses.setdefault(
                    status,
                    {
                        "description": _WHY[status],
                        "content": {"application/json": {"schema": reference}},
                    },
                )
    return result
