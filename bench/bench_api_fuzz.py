"""How much of the API a client can reach from the schema alone: property-based requests
(schemathesis) built only from /api/schema/, as a partner owner, in process against the
real stack. `api.fuzz.operations_reached_2xx` counts operations that answered at least one
2xx; the baseline is the number of operations (the goal: all of them).

Like a client, each operation first sends the request-body examples the schema documents,
then generated requests. Operations on a collection run before the ones on one of its
objects (deletes last), and ids the API answered (a created upload, job, note...) fill the
`{id}` of later paths and the id-valued body fields by their meaning (`shot`, `version`,
`session`, `note`...), as a client following the responses would."""

from __future__ import annotations

import json
import time
import warnings
from typing import Any

EXAMPLES_PER_OPERATION = 12
# Body fields that name another object -> the collection (path segment) whose id they take.
ID_FIELDS = {
    "shot": "shots",
    "sequence": "sequences",
    "version": "versions",
    "session": "review-sessions",
    "note": "notes",
    "character": "characters",
    "parent": "render-jobs",
}


def _world() -> tuple[str, str, dict[str, int]]:
    from django.core.management import call_command

    call_command("migrate", database="owner", verbosity=0, interactive=False)
    from apps.accounts.services import api_token_create
    from apps.production.services import version_create
    from apps.tenancy.scope import tenant_scope
    from tests.factories import make_organization, make_partner, share_with_studio

    partner = make_partner("bench-fuzz")
    share_with_studio(partner, make_organization("bench-fuzz-studio", "studio"))
    with tenant_scope(partner.organization.pk, user_id=partner.owner.pk):
        version = version_create(actor=partner.owner, shot=partner.shot, source="upload")
    _, token = api_token_create(user=partner.owner, name="bench fuzz")
    ids = {
        "projects": partner.project.pk,
        "sequences": partner.sequence.pk,
        "shots": partner.shot.pk,
        "versions": version.pk,
    }
    return partner.organization.slug, token, ids


def _collection(path: str, parameter: str) -> str:
    """The path segment naming the collection a path parameter is an id of."""
    before = path.split("{" + parameter + "}")[0].rstrip("/").split("/")
    return before[-1] if before else ""


def _last_collection(path: str) -> str:
    literal = [part for part in path.rstrip("/").split("/") if not part.startswith("{")]
    return literal[-1] if literal else ""


def _aim(case: Any, organization: str, known: dict[str, Any]) -> None:
    path = case.operation.path
    parameters = dict(case.path_parameters or {})
    for name in parameters:
        if name == "org":
            parameters[name] = organization
        elif name in {"pk", "id", "name"} or name.endswith("_pk"):
            collection = _collection(path, name)
            if collection in known:
                parameters[name] = known[collection]
    case.path_parameters = parameters
    if isinstance(case.body, dict):
        for field, collection in ID_FIELDS.items():
            if field in case.body and collection in known and case.body[field] is not None:
                case.body[field] = known[collection]
        if isinstance(case.body.get("versions"), list) and "versions" in known:
            case.body["versions"] = [known["versions"]]
        inputs = case.body.get("inputs")
        if isinstance(inputs, dict) and "media" in known:
            case.body["inputs"] = {role: known["media"] for role in inputs}


def _learn(case: Any, response: Any, known: dict[str, Any]) -> None:
    """Ids the API answered, by the collection they belong to."""
    try:
        data = response.json()
    except ValueError:
        return
    collection = _last_collection(case.operation.path)
    if case.method.upper() == "POST" and isinstance(data, dict) and "id" in data:
        known[collection] = data["id"]
    rows = data.get("results") if isinstance(data, dict) else data
    if case.method.upper() == "GET" and isinstance(rows, list) and rows:
        first = rows[0]
        if isinstance(first, dict):
            value = first.get("id", first.get("name"))
            if value is not None:
                known.setdefault(collection, value)


def _order(operation: Any) -> tuple[int, int, str]:
    detail = "{pk}" in operation.path or "{id}" in operation.path or "{name}" in operation.path
    return (int(detail), int(operation.method.upper() == "DELETE"), operation.path)


def run() -> list[dict[str, Any]]:
    import schemathesis
    from django.core.handlers.wsgi import WSGIHandler
    from drf_spectacular.generators import SchemaGenerator
    from hypothesis.errors import NonInteractiveExampleWarning

    organization, token, known = _world()
    document = SchemaGenerator().get_schema(request=None, public=True)
    schema = schemathesis.openapi.from_dict(json.loads(json.dumps(document, default=str)))
    schema.app = WSGIHandler()
    headers = {"Authorization": f"Bearer {token}"}
    reached: set[str] = set()
    operations = []
    total = 0
    errors = 0
    started = time.perf_counter()
    warnings.simplefilter("ignore", NonInteractiveExampleWarning)
    for result in schema.get_all_operations():
        total += 1
        # An operation the generator cannot build requests for counts as not reached.
        operation = result.ok() if hasattr(result, "ok") else None
        if operation is not None:
            operations.append(operation)
    labels = [f"{operation.method.upper()} {operation.path}" for operation in operations]
    # A second pass retries what the first could not reach with the ids learned since
    # (e.g. the assistant needs the notes made after it in path order).
    for operation in sorted(operations, key=_order) * 2:
        label = f"{operation.method.upper()} {operation.path}"
        if label in reached:
            continue
        documented = [strategy.example() for strategy in operation.get_strategies_from_examples()]
        strategy = operation.as_strategy()
        for attempt in range(len(documented) + EXAMPLES_PER_OPERATION):
            case = documented[attempt] if attempt < len(documented) else strategy.example()
            _aim(case, organization, known)
            response = case.call(headers=headers)
            errors += response.status_code >= 500
            if 200 <= response.status_code < 300:
                _learn(case, response, known)
                reached.add(label)
                break
    settings = {
        "examples_per_operation": EXAMPLES_PER_OPERATION,
        "caller": "partner owner",
        "seconds": round(time.perf_counter() - started, 1),
        "server_errors": errors,
        "not_reached": sorted(set(labels) - reached),
    }
    return [
        {
            "name": "api.fuzz.operations_reached_2xx",
            "value": len(reached),
            "unit": "operations",
            "better": "higher",
            "baseline": total,
            "settings": settings,
        },
        {
            "name": "api.fuzz.operations_reached_2xx_ratio",
            "value": len(reached) / total if total else 0.0,
            "unit": "x",
            "better": "higher",
            "baseline": 1.0,
            "settings": settings,
        },
    ]
