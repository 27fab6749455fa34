"""Request id, client address and per-request metrics."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from apps.core import metrics
from apps.core.request_context import request_context

_REQUEST_ID_OK = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def client_ip(request: HttpRequest) -> str | None:
    # Behind a proxy the deployment sets USE_X_FORWARDED_FOR semantics via the proxy's
    # REMOTE_ADDR rewriting; we never trust a client-supplied X-Forwarded-For here.
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        with request_context(
            request_id=incoming if _REQUEST_ID_OK.match(incoming) else None,
            ip_address=client_ip(request),
            user_agent=request.headers.get("User-Agent", ""),
        ) as context:
            request.request_id = context.request_id  # type: ignore[attr-defined]
            response = self.get_response(request)
            response["X-Request-ID"] = context.request_id
            return response


class MetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = match.route if match is not None else "unmatched"
        metrics.observe_request(
            method=request.method or "GET",
            route=route,
            status=response.status_code,
            seconds=time.perf_counter() - started,
        )
        return response
