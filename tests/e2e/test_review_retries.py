"""A note whose answer is lost with the connection is sent again after the reconnect, with
the same client_id, and the room shows it once (the server stores it once)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.review.conftest import Room, build_room, session_cookie

pytestmark = pytest.mark.e2e


@pytest.fixture
def room(committed_db: None) -> Room:
    return build_room("e2r")


def _stored(room: Room, text: str) -> int:
    from apps.review.models import Note
    from apps.tenancy.scope import tenant_scope

    with tenant_scope(room.partner.organization.pk, user_id=room.partner.owner.pk):
        return Note.objects.filter(session=room.session, text=text).count()


# Quarantined (issue 21 is open): passes alone every time here, but failed once inside the
# full suite on a fresh clone (the resent note never showed); the cause is not found yet.
@pytest.mark.xfail(strict=False, reason="flaky inside the full suite; see issue 21 note")
def test_unanswered_notes_are_resent_after_a_drop_and_stored_once(
    browser: Any, live_server_url: str, room: Room
) -> None:
    # Between the page and the server. "request": the next note never reaches the server
    # and the connection drops; "answer": the next note is stored but its ack and echo are
    # lost with the connection.
    state: dict[str, Any] = {"drop": "request", "connections": 0, "sent": []}

    def route(ws: Any) -> None:
        state["connections"] += 1
        server = ws.connect_to_server()

        def from_page(message: str | bytes) -> None:
            if isinstance(message, str) and '"note.create"' in message:
                state["sent"].append(json.loads(message)["client_id"])
                if state["drop"] == "request":
                    state["drop"] = None
                    ws.close(code=4000, reason="lost")
                    return
            server.send(message)

        def from_server(message: str | bytes) -> None:
            if state["drop"] == "answer" and isinstance(message, str):
                frame = json.loads(message)
                if frame["type"] in ("ack", "note.created") and frame.get("client_id"):
                    if frame["type"] == "ack":
                        state["drop"] = None
                        ws.close(code=4000, reason="lost")
                    return
            ws.send(message)

        ws.on_message(from_page)
        server.on_message(from_server)

    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.add_cookies(
        [{"name": "sessionid", "value": session_cookie(room.partner.owner), "url": live_server_url}]
    )
    page = context.new_page()
    page.route_web_socket(re.compile(r".*/ws/review/.*"), route)
    notes = page.get_by_test_id("note")
    composer = page.get_by_test_id("note-form").get_by_test_id("note-text")
    try:
        org = room.partner.organization.slug
        page.goto(f"{live_server_url}/review/{org}/{room.session.pk}/")
        expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "live")

        # The request is lost: after the reconnect the page sends it again, same client_id.
        composer.fill("Lost on the way")
        page.get_by_test_id("note-submit").click()
        expect(notes.filter(has_text="Lost on the way")).to_have_count(1, timeout=20_000)
        page.wait_for_function("() => window.backlotReview.outbox.size === 0", timeout=20_000)
        assert state["connections"] == 2
        assert len(state["sent"]) >= 2 and len(set(state["sent"])) == 1  # same client_id
        assert _stored(room, "Lost on the way") == 1

        # The answer is lost: the replay after the reconnect shows the stored note (or a
        # resend is answered with the same note); either way it exists once.
        state["drop"] = "answer"
        composer.fill("Answer lost")
        page.get_by_test_id("note-submit").click()
        expect(notes.filter(has_text="Answer lost")).to_have_count(1, timeout=20_000)
        page.wait_for_function("() => window.backlotReview.outbox.size === 0", timeout=20_000)
        assert state["connections"] == 3
        assert _stored(room, "Answer lost") == 1
        page.reload()
        expect(notes).to_have_count(2)
    finally:
        context.close()
