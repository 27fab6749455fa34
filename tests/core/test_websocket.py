"""The organization event socket: members get live events after commit, others nothing."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

from studio.asgi import application
from tests.factories import Partner, make_partner


def _session_cookie(user: Any) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return session.session_key or ""


def _communicator(
    org: str, cookie: str | None, origin: str = "http://localhost"
) -> WebsocketCommunicator:
    headers = [(b"origin", origin.encode()), (b"host", b"localhost")]
    if cookie:
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    return WebsocketCommunicator(application, f"/ws/orgs/{org}/", headers=headers)


@pytest.fixture
def partners(committed_db: None) -> tuple[Partner, Partner]:
    return make_partner("wsa"), make_partner("wsb")


async def test_member_receives_project_events_after_commit(
    partners: tuple[Partner, Partner],
) -> None:
    a, _ = partners
    cookie = await sync_to_async(_session_cookie)(a.owner)
    socket = _communicator(a.organization.slug, cookie)
    connected, _ = await socket.connect()
    assert connected
    assert (await socket.receive_json_from())["type"] == "hello"

    def create() -> None:
        from apps.production.services import project_create
        from apps.tenancy.scope import tenant_scope

        with tenant_scope(a.organization.pk, user_id=a.owner.pk):
            project_create(actor=a.owner, name="Live Reel")

    await sync_to_async(create)()
    event = await socket.receive_json_from(timeout=5)
    assert event["type"] == "project.created" and event["name"] == "Live Reel"
    await socket.send_json_to({"type": "ping"})
    assert (await socket.receive_json_from())["type"] == "pong"
    await socket.send_to(text_data="{not json")
    assert (await socket.receive_json_from())["type"] == "error"
    await socket.disconnect()


async def test_non_member_and_anonymous_are_refused(partners: tuple[Partner, Partner]) -> None:
    a, b = partners
    cookie = await sync_to_async(_session_cookie)(a.owner)
    foreign = _communicator(b.organization.slug, cookie)
    connected, code = await foreign.connect()
    assert not connected and code == 4404
    anonymous = _communicator(a.organization.slug, None)
    connected, code = await anonymous.connect()
    assert not connected and code == 4401


async def test_foreign_origin_is_refused(partners: tuple[Partner, Partner]) -> None:
    a, _ = partners
    cookie = await sync_to_async(_session_cookie)(a.owner)
    socket = _communicator(a.organization.slug, cookie, origin="https://evil.example")
    connected, _ = await socket.connect()
    assert not connected


async def test_revoking_access_closes_the_users_sockets_at_once(
    partners: tuple[Partner, Partner],
) -> None:
    from django.db import transaction

    from apps.core.consumers import CLOSE_ACCESS_REVOKED, disconnect_user_sockets

    a, _ = partners
    cookie = await sync_to_async(_session_cookie)(a.owner)
    socket = _communicator(a.organization.slug, cookie)
    assert (await socket.connect())[0]
    await socket.receive_json_from()

    def revoke() -> None:
        with transaction.atomic():
            disconnect_user_sockets(a.owner.pk, "Your access was suspended.")

    await sync_to_async(revoke)()
    error = await socket.receive_json_from(timeout=1)
    assert error["code"] == "access_revoked"
    closed = await socket.receive_output(timeout=1)
    assert closed == {"type": "websocket.close", "code": CLOSE_ACCESS_REVOKED}
