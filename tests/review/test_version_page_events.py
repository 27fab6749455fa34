"""Notes, replies and decisions made anywhere (REST from the version page, or a room) also
reach the project's live channel, /ws/projects/<id>/, with their version: the version
page follows them there. Text labels are a drawing tool."""

from __future__ import annotations

import json
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from apps.review import protocol
from tests.api.helpers import api_client_for
from tests.review.conftest import Room, session_cookie
from tests.review.test_protocol import _fails

# One event loop for the async tests: the channel layer keeps per-loop connections.
on_the_session_loop = pytest.mark.asyncio(loop_scope="session")


async def _follow_project(room: Room, user: Any) -> WebsocketCommunicator:
    from studio.asgi import application

    cookie = await sync_to_async(session_cookie)(user)
    socket = WebsocketCommunicator(
        application,
        f"/ws/projects/{room.partner.project.pk}/",
        headers=[
            (b"origin", b"http://localhost"),
            (b"host", b"localhost"),
            (b"cookie", f"sessionid={cookie}".encode()),
        ],
    )
    connected, code = await socket.connect()
    assert connected, code
    assert json.loads(await socket.receive_from(timeout=5))["type"] == "hello"
    return socket


async def _next(socket: WebsocketCommunicator, kind: str) -> dict[str, Any]:
    while True:
        frame = json.loads(await socket.receive_from(timeout=5))
        if frame["type"] == kind:
            return frame


@on_the_session_loop
async def test_version_page_events_reach_the_project_channel(room: Room) -> None:
    # A studio reviewer of the shared project follows it too.
    socket = await _follow_project(room, room.reviewer)
    client = await sync_to_async(api_client_for)(room.partner.producer)
    org = room.partner.organization.slug
    version = room.versions[1]
    drawing = {
        "strokes": [
            {"tool": "arrow", "color": "#ff3b30", "width": 0.006, "points": [[0.1, 0.1], [0.4, 0.3]]},
            {"tool": "text", "color": "#ffffff", "width": 0.006, "text": " flicker ", "points": [[0.5, 0.5]]},
        ]
    }  # fmt: skip
    response = await sync_to_async(client.post)(
        f"/api/v1/orgs/{org}/versions/{version.pk}/notes/",
        {"frame_in": 12, "text": "Flicker here", "drawing": drawing},
        format="json",
    )
    assert response.status_code == 201, response.content
    created = await _next(socket, "note.created")
    assert created["version"] == version.pk and created["session"] is None
    assert created["note"]["frame_in"] == 12
    assert created["note"]["drawing"]["strokes"][1]["text"] == "flicker"
    assert created["actor"]["id"] == room.partner.producer.pk

    note_id = created["note"]["id"]
    response = await sync_to_async(client.post)(
        f"/api/v1/orgs/{org}/notes/{note_id}/replies/", {"text": "seen"}, format="json"
    )
    assert response.status_code == 201
    reply = await _next(socket, "reply.created")
    assert reply["reply"]["note"] == note_id and reply["version"] == version.pk
    response = await sync_to_async(client.patch)(
        f"/api/v1/orgs/{org}/notes/{note_id}/",
        {"revision": 1, "status": "resolved"},
        format="json",
    )
    assert response.status_code == 200
    updated = await _next(socket, "note.updated")
    assert updated["note"]["status"] == "resolved"
    await socket.disconnect()


@on_the_session_loop
async def test_other_partners_cannot_follow_the_project(room: Room) -> None:
    from studio.asgi import application

    cookie = await sync_to_async(session_cookie)(room.other.owner)
    socket = WebsocketCommunicator(
        application,
        f"/ws/projects/{room.partner.project.pk}/",
        headers=[(b"origin", b"http://localhost"), (b"host", b"localhost"),
                 (b"cookie", f"sessionid={cookie}".encode())],
    )  # fmt: skip
    connected, code = await socket.connect()
    assert not connected and code == 4404


def test_text_labels_need_their_text() -> None:
    label = {"tool": "text", "text": "grain", "points": [[0.2, 0.2], [0.3, 0.3]]}
    cleaned = protocol.clean_drawing({"strokes": [label]})
    assert cleaned is not None and cleaned["strokes"][0]["points"] == [[0.2, 0.2]]
    assert "text" in _fails(
        "drawing", protocol.clean_drawing, {"strokes": [{"tool": "text", "points": [[0, 0]]}]}
    )
    long_label = {"tool": "text", "text": "x" * 201, "points": [[0, 0]]}
    assert "200" in _fails("drawing", protocol.clean_drawing, {"strokes": [long_label]})
