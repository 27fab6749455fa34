"""Request id, client address and per-request metrics."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from apps.core import metrics
from apps.core.request_context import request_context

_REQUEST_ID_OK = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: the trusted proxy header when the deployment names one
    (TRUSTED_CLIENT_IP_HEADER), else the address the outermost of our TRUSTED_PROXY_COUNT
    proxies saw (counted from the right of X-Forwarded-For: what a client puts on the
    left is never trusted), else REMOTE_ADDR."""
    header = getattr(settings, "TRUSTED_CLIENT_IP_HEADER", None)
    if header:
        value = request.META.get("HTTP_" + header.upper().replace("-", "_"), "").strip()
        if value:
            return value
    proxies = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    if proxies > 0:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [h for h in hops if h]
        if len(hops) >= proxies:
            return hops[-proxies]
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
            memo=True,
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
