"""One error body for every API failure:

{"error": {"code": "...", "message": "...", "fields": {...}}, "request_id": "..."}
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from apps.core.errors import BacklotError, OutOfScope
from apps.core.request_context import current_request_context

logger = logging.getLogger("apps.api")


def error_body(code: str, message: str, fields: Any = None) -> dict[str, Any]:
    context = current_request_context()
    body: dict[str, Any] = {"error": {"code": code, "message": message}}
    if fields:
        body["error"]["fields"] = fields
    body["request_id"] = context.request_id if context else None
    return body


def _first_message(detail: Any) -> str:
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    if isinstance(detail, dict) and detail:
        key, value = next(iter(detail.items()))
        prefix = "" if key == "non_field_errors" else f"{key}: "
        return prefix + _first_message(value)
    return str(detail)


def flat_field_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Nested serializer errors as one level of dotted paths: `{"inputs.reference": [...],
    "participants.0": [...]}`, so every field error has the same shape for a client."""
    flat: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            flat.update(flat_field_errors(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(detail, list) and any(isinstance(item, dict | list) for item in detail):
        for index, item in enumerate(detail):
            if item:
                flat.update(flat_field_errors(item, f"{prefix}.{index}" if prefix else str(index)))
    else:
        items = detail if isinstance(detail, list) else [detail]
        flat[prefix or "non_field_errors"] = [str(item) for item in items]
    return flat


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, BacklotError):
        fields = {exc.field: [exc.message]} if exc.field else None
        return Response(error_body(exc.code, exc.message, fields), status=exc.status_code)
    if isinstance(exc, OutOfScope):
        return Response(error_body("not_found", "Not found."), status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("Not found.")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        # A bug, not a refusal: logged with its traceback for us, and answered with the same
        # JSON body as every other API error (a request id, no trace, no server path).
        logger.error("Unexpected API error", exc_info=exc)
        return Response(
            error_body(
                "server_error",
                "Something went wrong on our side. Nothing was saved; quote the request id"
                " if you report it.",
            ),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    if isinstance(exc, exceptions.ValidationError):
        field_errors = flat_field_errors(exc.detail) if isinstance(exc.detail, dict) else None
        response.data = error_body("invalid", _first_message(exc.detail), field_errors)
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else "error"
        response.data = error_body(code, _first_message(exc.detail))
    return response


@csrf_exempt  # a JSON 404 for any method; nothing is read or written
def api_route_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Unknown addresses under /api/ answer with the API's error body, not an HTML page.
    API routes end with a slash; a request without it is told the address to use."""
    message = f"There is no API route at {request.path}."
    if not request.path.endswith("/"):
        try:
            match = resolve(request.path + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not api_route_not_found:
            message += f" API addresses end with a slash: {request.path}/"
    return JsonResponse(error_body("not_found", message), status=404)
