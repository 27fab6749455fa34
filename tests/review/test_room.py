"""The live review room over /ws/review/<id>/: state for late joiners, presenter-driven
playback, notes that survive disconnects, authorization on connect and on every message."""

from __future__ import annotations

import json
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from tests.api.helpers import api_client_for
from tests.review.conftest import Room, communicator, drain, receive_until, session_cookie

# One event loop for the module: the channel layer keeps per-loop locks and connections.
pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _join(room: Room, user: Any, query: str = "") -> Any:
    cookie = await sync_to_async(session_cookie)(user)
    socket = communicator(room.session.pk, cookie, query=query)
    connected, code = await socket.connect()
    assert connected, code
    welcome = await receive_until(socket, "welcome")
    assert welcome["you"]["id"] == user.pk
    return socket


async def test_late_joiner_gets_current_state_and_follows_the_presenter(room: Room) -> None:
    host = await _join(room, room.partner.owner)
    state = await receive_until(host, "state")
    assert state["playback"]["version"] == room.versions[0].pk
    assert [item["version"] for item in state["playlist"]] == [v.pk for v in room.versions]
    assert state["playlist"][0]["media"]["url"].startswith("http")
    assert state["session"]["presenter"]["id"] == room.partner.owner.pk

    await host.send_json_to(
        {"type": "playback", "version": room.versions[1].pk, "frame": 17, "playing": False}
    )
    seek = await receive_until(host, "playback.seek")
    assert seek["playback"]["frame"] == 17

    # The reviewer (studio, project shared, invited) joins late: state at once.
    follower = await _join(room, room.reviewer)
    late = await receive_until(follower, "state")
    assert late["playback"]["version"] == room.versions[1].pk
    assert late["playback"]["frame"] == 17
    assert {p["id"] for p in late["presence"]} == {room.partner.owner.pk, room.reviewer.pk}
    joined = await receive_until(host, "presence.joined")
    assert joined["user"]["id"] == room.reviewer.pk

    await host.send_json_to({"type": "playback", "playing": True, "rate": 1.0})
    await host.send_json_to({"type": "playback", "frame": 42, "playing": False})
    play = await receive_until(follower, "playback.play")
    pause = await receive_until(follower, "playback.pause")
    assert pause["seq"] == play["seq"] + 1
    assert pause["playback"]["frame"] == 42 and pause["playback"]["playing"] is False

    # A follower cannot drive; it asks for control, the presenter grants it.
    await follower.send_json_to({"type": "playback", "frame": 3})
    error = await receive_until(follower, "error")
    assert error["code"] == "permission_denied"
    await follower.send_json_to({"type": "control.request"})
    request = await receive_until(host, "control.requested")
    await host.send_json_to({"type": "control.grant", "user": request["user"]["id"]})
    changed = await receive_until(follower, "control.changed")
    assert changed["presenter"]["id"] == room.reviewer.pk
    await follower.send_json_to({"type": "playback", "frame": 5})
    assert (await receive_until(host, "playback.seek"))["playback"]["frame"] == 5
    # The host takes control back at any time.
    await host.send_json_to({"type": "control.take"})
    assert (await receive_until(follower, "control.changed"))["presenter"]["id"] == (
        room.partner.owner.pk
    )
    await follower.disconnect()
    left = await receive_until(host, "presence.left")
    assert [p["id"] for p in left["presence"]] == [room.partner.owner.pk]
    await host.disconnect()


async def test_reconnect_receives_exactly_the_fifty_missed_notes_in_order(room: Room) -> None:
    watcher = await _join(room, room.reviewer)
    state = await receive_until(watcher, "state")
    last_seq = state["seq"]
    await watcher.disconnect()

    writer = await _join(room, room.partner.owner)
    await receive_until(writer, "state")
    client = await sync_to_async(api_client_for)(room.partner.producer)
    url = f"/api/v1/orgs/{room.partner.organization.slug}/versions/{room.versions[0].pk}/notes/"
    expected = []
    for index in range(50):
        text = f"note {index:02d}"
        frame = index % 48  # the version's proxy has 48 frames; notes stay on them
        expected.append(text)
        if index % 2:
            response = await sync_to_async(client.post)(
                url, {"frame_in": frame, "text": text}, format="json"
            )
            assert response.status_code == 201, response.content
        else:
            await writer.send_json_to(
                {
                    "type": "note.create",
                    "version": room.versions[0].pk,
                    "frame_in": frame,
                    "text": text,
                    "client_id": f"c{index}",
                }
            )
            while True:  # REST notes arrive here too
                created = await receive_until(writer, "note.created")
                if created["client_id"] == f"c{index}":
                    break
            assert created["note"]["text"] == text

    again = await _join(room, room.reviewer, query=f"last_seq={last_seq}")
    frames = []
    while True:
        frame = json.loads(await again.receive_from(timeout=5))
        if frame["type"] == "resumed":
            break
        frames.append(frame)
    seqs = [f["seq"] for f in frames]
    assert seqs == list(range(last_seq + 1, last_seq + 1 + len(frames))), "gap or duplicate"
    notes = [f["note"]["text"] for f in frames if f["type"] == "note.created"]
    assert notes == expected
    # Nothing is delivered twice afterwards (the live copies of replayed events are dropped).
    assert not [f for f in await drain(again) if f["type"] == "note.created"]
    await again.disconnect()
    await writer.disconnect()


async def test_cross_tenant_and_uninvited_users_are_refused(room: Room) -> None:
    for user in (room.other.owner, room.outsider):
        cookie = await sync_to_async(session_cookie)(user)
        connected, code = await communicator(room.session.pk, cookie).connect()
        assert not connected and code == 4404
    connected, code = await communicator(room.session.pk, None).connect()
    assert not connected and code == 4401
    cookie = await sync_to_async(session_cookie)(room.partner.owner)
    connected, _ = await communicator(
        room.session.pk, cookie, origin="https://evil.example"
    ).connect()
    assert not connected
    # Studio staff without two-factor are refused like everywhere else.
    from tests.factories import make_user

    def staff_without_2fa() -> Any:
        from apps.tenancy.models import Role
        from apps.tenancy.services import membership_create

        user = make_user("no2fa")
        membership_create(organization=room.studio, user=user, role=Role.REVIEWER, actor=None)
        from apps.review.playlist import participants_invite
        from apps.tenancy.scope import tenant_scope
        from apps.tenancy.selectors import members_of_current_organization

        with tenant_scope(room.partner.organization.pk):
            host = members_of_current_organization().get(user=room.partner.owner)
            participants_invite(actor=host, session=room.session, user_ids=[user.pk])
        return user

    no2fa = await sync_to_async(staff_without_2fa)()
    cookie2 = await sync_to_async(session_cookie)(no2fa)
    connected, code = await communicator(room.session.pk, cookie2).connect()
    assert not connected and code == 4404
    # A missing session looks the same as a foreign one.
    connected, code = await communicator(room.session.pk + 10_000, cookie).connect()
    assert not connected and code == 4404


async def test_every_message_is_authorized(room: Room) -> None:
    from apps.tenancy.models import Membership
    from apps.tenancy.scope import tenant_scope

    viewer = await _join(room, room.partner.viewer)
    await receive_until(viewer, "state")
    await viewer.send_json_to(
        {"type": "note.create", "version": room.versions[0].pk, "frame_in": 1, "text": "hi"}
    )
    assert (await receive_until(viewer, "error"))["code"] == "permission_denied"
    await viewer.send_json_to(
        {"type": "decision", "version": room.versions[0].pk, "decision": "approved"}
    )
    assert (await receive_until(viewer, "error"))["code"] == "permission_denied"
    await viewer.send_json_to({"type": "control.take"})
    assert (await receive_until(viewer, "error"))["code"] == "permission_denied"

    # A version of another partner is not found, even by id.
    def foreign_version() -> int:
        from apps.production.services import version_create
        from apps.tenancy.scope import tenant_scope

        with tenant_scope(room.other.organization.pk):
            return version_create(actor=None, shot=room.other.shot, source="upload").pk

    await viewer.send_json_to(
        {"type": "media.link", "version": await sync_to_async(foreign_version)()}
    )
    assert (await receive_until(viewer, "error"))["code"] == "not_found"

    # Removing the member: the next message is refused and the socket closed.
    def remove() -> None:
        with tenant_scope(room.partner.organization.pk):
            Membership.objects.filter(user=room.partner.viewer).delete()

    await sync_to_async(remove)()
    await viewer.send_json_to({"type": "sync"})
    assert (await receive_until(viewer, "error"))["code"] == "access_revoked"
    assert (await viewer.receive_output(timeout=2))["type"] == "websocket.close"


async def test_suspension_disconnects_at_once(room: Room) -> None:
    from django.db import transaction

    from apps.core.consumers import CLOSE_ACCESS_REVOKED, disconnect_user_sockets

    socket = await _join(room, room.reviewer)
    await receive_until(socket, "state")

    def suspend() -> None:
        with transaction.atomic():
            disconnect_user_sockets(room.reviewer.pk, "Your access was suspended.")

    await sync_to_async(suspend)()
    error = await receive_until(socket, "error")
    assert error["code"] == "access_revoked"
    assert await socket.receive_output(timeout=2) == {
        "type": "websocket.close",
        "code": CLOSE_ACCESS_REVOKED,
    }


async def test_malformed_messages_get_error_frames_and_the_room_stays_open(room: Room) -> None:
    host = await _join(room, room.partner.owner)
    await receive_until(host, "state")
    other = await _join(room, room.reviewer)
    await receive_until(other, "state")
    for raw, code in (
        ("{not json", "bad_message"),
        ("[1, 2]", "bad_message"),
        ('{"type": "launch.missiles"}', "unknown_type"),
        ('{"type": "playback", "frame": -4}', "invalid"),
        ('{"type": "playback", "frame": "x"}', "invalid"),
        ('{"type": "note.create", "version": 1}', "not_found"),
        (json.dumps({"type": "ping", "pad": "x" * 70_000}), "too_large"),
    ):
        await host.send_to(text_data=raw)
        error = await receive_until(host, "error")
        assert error["code"] == code, (raw[:40], error)
    await host.send_json_to(
        {
            "type": "note.create",
            "version": room.versions[0].pk,
            "frame_in": 3,
            "text": "bad drawing",
            "drawing": {"strokes": [{"points": [[2, 2]]}]},
        }
    )
    assert (await receive_until(host, "error"))["field"] == "drawing"
    # Flooding is rate limited per connection, without closing anybody.
    for _ in range(60):
        await host.send_to(text_data='{"type": "ping"}')
    frames = await drain(host)
    assert any(f.get("code") == "rate_limited" for f in frames)
    await other.send_json_to({"type": "ping"})
    assert (await receive_until(other, "pong"))["type"] == "pong"
    await host.disconnect()
    await other.disconnect()


async def test_notes_with_drawings_replies_mentions_decisions_reach_the_room(room: Room) -> None:
    host = await _join(room, room.partner.owner)
    await receive_until(host, "state")
    reviewer = await _join(room, room.reviewer)
    await receive_until(reviewer, "state")
    drawing = {
        "strokes": [
            {"tool": "pen", "color": "#FF0000", "width": 0.01, "points": [[0.1, 0.2], [0.3, 0.4]]},
            {
                "tool": "rect",
                "color": "#00ff00",
                "width": 0.005,
                "points": [[0.5, 0.5], [0.9, 0.8]],
            },
        ]
    }
    handle = room.partner.owner.email.split("@")[0]
    await reviewer.send_json_to(
        {
            "type": "note.create",
            "version": room.versions[0].pk,
            "frame_in": 10,
            "frame_out": 14,
            "text": f"Matte edge chatters, @{handle} please look",
            "drawing": drawing,
        }
    )
    created = await receive_until(host, "note.created")
    note = created["note"]
    assert note["frame_in"] == 10 and note["frame_out"] == 14
    assert note["drawing"]["strokes"][0]["color"] == "#ff0000"
    assert created["mentions"] == [room.partner.owner.pk]

    await host.send_json_to({"type": "reply.create", "note": note["id"], "text": "On it"})
    reply = await receive_until(reviewer, "reply.created")
    assert reply["reply"]["text"] == "On it"
    await host.send_json_to(
        {"type": "note.update", "note": note["id"], "revision": 1, "status": "resolved"}
    )
    updated = await receive_until(reviewer, "note.updated")
    assert updated["note"]["status"] == "resolved" and updated["note"]["revision"] == 2
    # A stale revision is a conflict, not an overwrite.
    await reviewer.send_json_to(
        {"type": "note.update", "note": note["id"], "revision": 1, "text": "overwrite?"}
    )
    assert (await receive_until(reviewer, "error"))["code"] == "conflict"

    await reviewer.send_json_to(
        {"type": "decision", "version": room.versions[0].pk, "decision": "changes_requested"}
    )
    decision = await receive_until(host, "decision.made")
    assert decision["decision"]["actor"]["id"] == room.reviewer.pk
    assert decision["version_status"] == "changes_requested"

    owner_client = await sync_to_async(api_client_for)(room.partner.owner)
    slug = room.partner.organization.slug
    notifications = await sync_to_async(owner_client.get)(
        f"/api/v1/orgs/{slug}/review-notifications/"
    )
    assert notifications.json()["results"][0]["note"] == note["id"]
    history = await sync_to_async(owner_client.get)(
        f"/api/v1/orgs/{slug}/versions/{room.versions[0].pk}/decisions/"
    )
    assert history.json()["version_status"] == "changes_requested"
    assert history.json()["results"][0]["decision"] == "changes_requested"
    log = await sync_to_async(owner_client.get)(
        f"/api/v1/orgs/{slug}/review-sessions/{room.session.pk}/events/"
    )
    types = [e["type"] for e in log.json()["results"]]
    for kind in ("session.created", "presence.joined", "note.created", "reply.created",
                 "note.updated", "decision.made"):  # fmt: skip
        assert kind in types
    await host.disconnect()
    await reviewer.disconnect()


async def test_ticket_authenticates_without_a_cookie(room: Room) -> None:
    client = await sync_to_async(api_client_for)(room.reviewer)
    response = await sync_to_async(client.post)(
        f"/api/v1/orgs/{room.studio.slug}/review-sessions/{room.session.pk}/ticket/"
    )
    assert response.status_code == 201, response.content
    ticket = response.json()["ticket"]
    socket = communicator(room.session.pk, None, query=f"ticket={ticket}")
    connected, _ = await socket.connect()
    assert connected
    assert (await receive_until(socket, "welcome"))["you"]["id"] == room.reviewer.pk
    await socket.disconnect()
    other = communicator(room.session.pk + 1, None, query=f"ticket={ticket}")
    connected, code = await other.connect()
    assert not connected and code == 4401


async def test_a_revoked_share_cuts_off_a_silent_listener(room: Room) -> None:
    host = await _join(room, room.partner.owner)
    await receive_until(host, "state")
    listener = await _join(room, room.reviewer)
    await receive_until(listener, "state")

    def revoke() -> None:
        from apps.tenancy.models import ProjectShare
        from apps.tenancy.scope import tenant_scope
        from apps.tenancy.services import project_share_revoke

        with tenant_scope(room.partner.organization.pk):
            share = ProjectShare.objects.get(project=room.partner.project, revoked_at=None)
            project_share_revoke(share=share, actor=room.partner.owner)

    await sync_to_async(revoke)()
    await host.send_json_to({"type": "playback", "frame": 9})
    frames = []
    while True:
        output = await listener.receive_output(timeout=5)
        if output["type"] == "websocket.close":
            break
        frames.append(json.loads(output["text"]))
    assert frames[-1]["code"] == "access_revoked"
    assert not [f for f in frames if f["type"] == "playback.seek"], "leaked after revocation"
    await host.disconnect()


async def test_room_refuses_an_organization_without_the_live_review_feature(room: Room) -> None:
    from apps.beta.gates import feature_set

    await sync_to_async(feature_set)(
        key="review.live", enabled=False, actor=None, organization=room.partner.organization
    )
    cookie = await sync_to_async(session_cookie)(room.partner.producer)
    socket = communicator(room.session.pk, cookie)
    connected, _ = await socket.connect()
    assert connected
    error = await socket.receive_json_from(timeout=2)
    assert error["code"] == "feature_disabled"
    closed = await socket.receive_output(timeout=2)
    assert closed["type"] == "websocket.close"
