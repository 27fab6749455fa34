"""The beta access gate for HTTP (pages and API) and websockets.

A signed-in user who has not accepted the current version of every required agreement,
or whose partner is suspended, is refused everywhere except the pages that fix it
(sign in/out, the acceptance page, invitation links). Pages redirect to the acceptance
page; API calls answer 403 with `{"error": {"code": "agreement_required", ...}}`;
websockets are accepted only to send the same error and are closed with 4403.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve
from rest_framework.exceptions import AuthenticationFailed

from apps.accounts.authentication import ApiTokenAuthentication
from apps.beta.selectors import Refusal, access_refusal

EXEMPT_PREFIXES = (
    "/accounts/",
    "/static/",
    "/healthz",
    "/readyz",
    "/metrics",
    "/beta/agreements/",
    "/beta/invite/",
    "/beta/waitlist/",
    "/beta/suspended/",
)
CLOSE_ACCESS_REFUSED = 4403


def _organization_slug(path: str) -> str | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    slug = match.kwargs.get("org")
    return slug if isinstance(slug, str) else None


def _api_user(request: HttpRequest) -> Any:
    """API calls authenticate in DRF, after middleware: resolve token users here too."""
    try:
        found = ApiTokenAuthentication().authenticate(request)  # type: ignore[arg-type]
    except AuthenticationFailed:
        return None  # DRF answers 401 with the reason
    return found[0] if found else None


def refusal_response(request: HttpRequest, refusal: Refusal) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(
            {
                "error": {"code": refusal.code, "message": refusal.message, "url": refusal.url},
                "request_id": getattr(request, "request_id", ""),
            },
            status=403,
        )
    if refusal.code == "agreement_required" and request.method in ("GET", "HEAD"):
        return HttpResponseRedirect(f"{refusal.url}?{urlencode({'next': request.get_full_path()})}")
    if refusal.code == "beta_access_suspended":
        return suspended_response(request, refusal.subject, refusal.reason, is_partner=True)
    return render(
        request,
        "errors/error.html",
        {"status": 403, "title": "Access refused", "message": refusal.message},
        status=403,
    )


def suspended_response(
    request: HttpRequest, subject: str, reason: str, *, is_partner: bool
) -> HttpResponse:
    """The page of a suspended partner or person: who, the reason the studio gave, whom to
    write to. No flash messages above it (they are consumed unseen)."""
    list(messages.get_messages(request))
    return render(
        request,
        "beta/suspended.html",
        {
            "suspended": True,
            "subject": subject,
            "reason": reason,
            "is_partner": is_partner,
            "contact": settings.BETA_CONTACT_EMAIL,
        },
        status=403,
    )


class BetaAccessMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(EXEMPT_PREFIXES) or request.path in ("/", "/favicon.ico"):
            return self.get_response(request)
        user = getattr(request, "user", None)
        if (user is None or not user.is_authenticated) and request.path.startswith("/api/"):
            user = _api_user(request)
        if user is not None and user.is_authenticated:
            refusal = access_refusal(user, _organization_slug(request.path_info))
            if refusal is not None:
                return refusal_response(request, refusal)
        return self.get_response(request)


ASGIApp = Callable[
    [dict[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]],
    Awaitable[None],
]


@database_sync_to_async
def _websocket_refusal(user: Any, path: str) -> Refusal | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None  # consumers refuse anonymous users themselves
    return access_refusal(user, _organization_slug_ws(path))


def _organization_slug_ws(path: str) -> str | None:
    parts = [part for part in path.split("/") if part]
    # /ws/orgs/<slug>/...
    if len(parts) >= 3 and parts[0] == "ws" and parts[1] == "orgs":
        return parts[2]
    return None


class BetaAccessWebsocketMiddleware:
    """ASGI middleware inside AuthMiddlewareStack (it needs scope["user"])."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope.get("type") == "websocket":
            refusal = await _websocket_refusal(scope.get("user"), scope.get("path", ""))
            if refusal is not None:
                message = await receive()
                if message.get("type") == "websocket.connect":
                    await send({"type": "websocket.accept"})
                    await send(
                        {
                            "type": "websocket.send",
                            "text": json.dumps(
                                {
                                    "type": "error",
                                    "code": refusal.code,
                                    "message": refusal.message,
                                    "url": refusal.url,
                                }
                            ),
                        }
                    )
                    await send({"type": "websocket.close", "code": CLOSE_ACCESS_REFUSED})
                return None
        return await self.inner(scope, receive, send)
