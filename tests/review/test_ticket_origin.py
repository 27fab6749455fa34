"""A ticket is a bearer credential for clients without the browser cookie
(docs/review-protocol.md): such clients send no Origin header, and are let in. Without a
ticket, a missing Origin is still refused, and a ticket never lets a cookie ride along."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from tests.api.helpers import api_client_for
from tests.review.conftest import Room, receive_until, session_cookie

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _without_origin(path: str, cookie: str | None = None) -> WebsocketCommunicator:
    from studio.asgi import application

    headers = [(b"host", b"localhost")]
    if cookie:
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    return WebsocketCommunicator(application, path, headers=headers)


async def test_a_ticket_works_without_an_origin_header(room: Room) -> None:
    client = await sync_to_async(api_client_for)(room.reviewer)
    response = await sync_to_async(client.post)(
        f"/api/v1/orgs/{room.studio.slug}/review-sessions/{room.session.pk}/ticket/"
    )
    ticket = response.json()["ticket"]
    socket = _without_origin(f"/ws/review/{room.session.pk}/?ticket={ticket}")
    connected, code = await socket.connect()
    assert connected, code
    assert (await receive_until(socket, "welcome"))["you"]["id"] == room.reviewer.pk
    await socket.disconnect()


async def test_no_origin_and_no_ticket_is_refused_even_with_a_cookie(room: Room) -> None:
    cookie = await sync_to_async(session_cookie)(room.partner.owner)
    socket = _without_origin(f"/ws/review/{room.session.pk}/", cookie)
    connected, _ = await socket.connect()
    assert not connected
    # A bad ticket without Origin does not fall back to the cookie either.
    socket = _without_origin(f"/ws/review/{room.session.pk}/?ticket=forged", cookie)
    connected, code = await socket.connect()
    assert not connected and code == 4401
