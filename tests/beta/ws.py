"""Websocket helpers: the ASGI stack of studio.asgi with the beta gate inside the session
authentication (as the lead wires it in studio/asgi.py)."""

from __future__ import annotations

from typing import Any

from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from channels.testing import WebsocketCommunicator
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

from apps.beta.middleware import BetaAccessWebsocketMiddleware
from studio.ws_urls import websocket_urlpatterns

gated_application = AllowedHostsOriginValidator(
    AuthMiddlewareStack(BetaAccessWebsocketMiddleware(URLRouter(websocket_urlpatterns)))
)


def session_cookie(user: Any) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return session.session_key or ""


def communicator(org: str, cookie: str) -> WebsocketCommunicator:
    headers = [
        (b"origin", b"http://localhost"),
        (b"host", b"localhost"),
        (b"cookie", f"sessionid={cookie}".encode()),
    ]
    return WebsocketCommunicator(gated_application, f"/ws/orgs/{org}/", headers=headers)
