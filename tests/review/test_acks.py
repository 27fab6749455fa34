"""Every client message with a `client_id` gets exactly one answer (an `ack` with the stored
sequence number, or an `error` carrying the `client_id`), and a retried `note.create` with
the same `client_id` never makes a second note (docs/review-protocol.md)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from tests.review.conftest import Room, communicator, receive_until, session_cookie

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _join(room: Room, user: Any) -> Any:
    cookie = await sync_to_async(session_cookie)(user)
    socket = communicator(room.session.pk, cookie)
    connected, code = await socket.connect()
    assert connected, code
    await receive_until(socket, "state")
    return socket


async def _receive_types(socket: Any, kinds: set[str]) -> dict[str, dict[str, Any]]:
    """The next frame of each type in `kinds`, in whatever order they come."""
    found: dict[str, dict[str, Any]] = {}
    while set(found) != kinds:
        frame = json.loads(await socket.receive_from(timeout=5))
        if frame["type"] in kinds and frame["type"] not in found:
            found[frame["type"]] = frame
    return found


def _notes_with_text(room: Room, text: str) -> int:
    from apps.review.models import Note
    from apps.tenancy.scope import tenant_scope

    with tenant_scope(room.partner.organization.pk, user_id=room.partner.owner.pk):
        return Note.objects.filter(session=room.session, text=text).count()


async def test_a_retried_note_is_acknowledged_again_and_stored_once(room: Room) -> None:
    host = await _join(room, room.partner.owner)
    note = {
        "type": "note.create",
        "version": room.versions[0].pk,
        "frame_in": 5,
        "text": "retry me",
        "client_id": "c-1",
    }
    await host.send_json_to(note)
    got = await _receive_types(host, {"ack", "note.created"})
    first, created = got["ack"], got["note.created"]
    assert first["client_id"] == "c-1"
    assert created["client_id"] == "c-1"
    assert first["seq"] == created["seq"]
    assert first["note"] == created["note"]["id"]

    # The answer was lost: the client sends the same message again after a reconnect.
    await host.disconnect()
    host = await _join(room, room.partner.owner)
    await host.send_json_to(note)
    again = await receive_until(host, "ack")
    assert again == first
    assert await sync_to_async(_notes_with_text)(room, "retry me") == 1

    # The same client_id from another author is another note.
    reviewer = await _join(room, room.reviewer)
    await reviewer.send_json_to(note)
    other = await receive_until(reviewer, "ack")
    assert other["note"] != first["note"]
    assert await sync_to_async(_notes_with_text)(room, "retry me") == 2
    await host.disconnect()
    await reviewer.disconnect()


async def test_every_message_with_a_client_id_gets_an_ack_or_an_error(room: Room) -> None:
    host = await _join(room, room.partner.owner)
    await host.send_json_to({"type": "playback", "frame": 9, "client_id": "p-1"})
    got = await _receive_types(host, {"ack", "playback.seek"})
    ack, seek = got["ack"], got["playback.seek"]
    assert ack["client_id"] == "p-1" and ack["seq"] >= seek["seq"]

    await host.send_json_to({"type": "note.create", "version": room.versions[0].pk,
                             "frame_in": -3, "text": "x", "client_id": "bad-1"})  # fmt: skip
    error = await receive_until(host, "error")
    assert error["client_id"] == "bad-1"

    await host.send_json_to({"type": "ping", "client_id": "ping-1"})
    pong = await receive_until(host, "pong")
    assert pong["client_id"] == "ping-1"
    await host.disconnect()
