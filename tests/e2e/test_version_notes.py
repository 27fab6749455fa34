"""Asynchronous review in two real browsers: a note written on the version page (with an
arrow drawn at frame F) arrives live in an open review room showing that version, at frame
F, with its drawing; a note written in the room appears on the version page without a
reload, and so do replies, resolves and decisions."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS
from tests.review.conftest import Room, build_room, session_cookie

pytestmark = pytest.mark.e2e


@pytest.fixture
def room(committed_db: None) -> Room:
    room = build_room("vn")
    _give_sources(room)
    return room


def _give_sources(room: Room) -> None:
    """The room's proxies made from an uploaded plate, as the media pipeline leaves them
    (the version page plays the proxy of the version's source)."""
    from apps.media.models import MediaFile, MediaKind, MediaState
    from apps.tenancy.scope import tenant_scope

    with tenant_scope(room.partner.organization.pk):
        for version in room.versions:
            proxy = MediaFile.objects.get(version=version, kind=MediaKind.PROXY)
            source = MediaFile.objects.create(
                organization_id=version.organization_id,
                project_id=version.project_id,
                version=version,
                kind=MediaKind.PLATE,
                state=MediaState.READY,
                original_filename=f"{version.shot.code}_{version.label}.mov",
                content_type="video/quicktime",
                size=proxy.size,
                storage_key=proxy.storage_key + ".source",
                width=proxy.width,
                height=proxy.height,
                frame_count=proxy.frame_count,
                proxy_status="ready",
            )
            proxy.derived_from = source
            proxy.save(update_fields=["derived_from"])


def _context(browser: Any, live_server_url: str, user: Any, width: int = 1400) -> Any:
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.add_cookies(
        [{"name": "sessionid", "value": session_cookie(user), "url": live_server_url}]
    )
    return context


def _version_page(browser: Any, live_server_url: str, room: Room, user: Any) -> tuple[Any, Any]:
    context = _context(browser, live_server_url, user)
    page = context.new_page()
    org = room.partner.organization.slug
    page.goto(
        live_server_url
        + reverse("version-page", args=[org, room.partner.project.pk, room.versions[0].pk])
    )
    expect(page.get_by_test_id("notes-connection")).to_have_attribute("data-state", "live")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=proxy-video]').readyState >= 2",
        timeout=15_000,
    )
    return context, page


def _room(browser: Any, live_server_url: str, room: Room) -> tuple[Any, Any]:
    context = _context(browser, live_server_url, room.partner.owner)
    page = context.new_page()
    page.goto(f"{live_server_url}/review/{room.partner.organization.slug}/{room.session.pk}/")
    expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "live")
    page.wait_for_function(
        "() => document.getElementById('player-a').readyState >= 2", timeout=15_000
    )
    return context, page


def _drag(page: Any, start: tuple[float, float], end: tuple[float, float]) -> None:
    page.get_by_test_id("drawing-layer").scroll_into_view_if_needed()
    box = page.get_by_test_id("drawing-layer").bounding_box()
    page.mouse.move(box["x"] + box["width"] * start[0], box["y"] + box["height"] * start[1])
    page.mouse.down()
    for step in range(1, 6):
        t = step / 5
        page.mouse.move(
            box["x"] + box["width"] * (start[0] + (end[0] - start[0]) * t),
            box["y"] + box["height"] * (start[1] + (end[1] - start[1]) * t),
        )
    page.mouse.up()


def test_notes_travel_live_between_the_version_page_and_an_open_room(
    browser: Any, live_server_url: str, room: Room
) -> None:
    room_context, host = _room(browser, live_server_url, room)
    page_context, page = _version_page(browser, live_server_url, room, room.partner.producer)
    try:
        cut_in = room.partner.shot.cut_in
        # Frame stepping: shift+→ moves 10 frames, → one, ← one back: frame 21.
        page.get_by_test_id("version-heading").click()  # the page has the keyboard, not a field
        page.keyboard.press("Shift+ArrowRight")
        page.keyboard.press("Shift+ArrowRight")
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowLeft")
        frame = 21
        expect(page.get_by_test_id("player-frame")).to_have_text(str(cut_in + frame))
        # 24000/1001 from 01:00:00:00: frame 21 is 01:00:00:21 (a label on the frame).
        expect(page.get_by_test_id("player-timecode")).to_have_text("01:00:00:21")
        expect(page.get_by_test_id("note-at")).to_have_text(f"01:00:00:21 · frame {cut_in + frame}")

        # An arrow and a text label on the frame, then the note.
        page.get_by_test_id("draw-toggle").click()
        expect(page.get_by_test_id("drawing-layer")).to_be_in_viewport(ratio=0.9)
        page.get_by_test_id("draw-tool").select_option("arrow")
        _drag(page, (0.2, 0.2), (0.5, 0.45))
        page.get_by_test_id("draw-tool").select_option("text")
        page.get_by_test_id("draw-text").fill("too bright")
        box = page.get_by_test_id("drawing-layer").bounding_box()
        page.mouse.click(box["x"] + box["width"] * 0.55, box["y"] + box["height"] * 0.5)
        expect(page.get_by_test_id("draw-count")).to_have_attribute("data-strokes", "2")
        page.get_by_test_id("note-form").get_by_test_id("note-text").fill(
            "Sky too hot behind the tower"
        )
        page.get_by_test_id("note-submit").click()
        mine = page.get_by_test_id("note").filter(has_text="Sky too hot")
        expect(mine).to_have_count(1)
        expect(mine).to_have_attribute("data-frame", str(frame))
        expect(page.get_by_test_id("drawing-layer")).to_have_attribute("data-strokes", "2")
        expect(page.get_by_test_id("note-form").get_by_test_id("note-text")).to_have_value("")
        page.screenshot(path=str(ARTIFACTS / "version-notes-1400.png"), full_page=True)

        # The open room shows it at once, at frame F; going there shows its drawing.
        arrived = host.get_by_test_id("note").filter(has_text="Sky too hot")
        expect(arrived).to_have_count(1)
        expect(arrived).to_have_attribute("data-frame", str(frame))
        arrived.get_by_test_id("note-jump").click()
        expect(host.get_by_test_id("frame-display")).to_have_attribute("data-frame", str(frame))
        expect(host.get_by_test_id("drawing-layer")).to_have_attribute("data-strokes", "2")
        assert host.locator("[data-testid=stroke][data-tool=arrow]").count() == 1
        expect(host.locator("[data-testid=stroke][data-tool=text]")).to_have_text("too bright")
        host.screenshot(path=str(ARTIFACTS / "version-notes-room.png"))

        # A note written in the room appears on the version page without a reload...
        host.get_by_test_id("note-form").get_by_test_id("note-text").fill(
            "Roto edge chatters on the left"
        )
        host.get_by_test_id("note-submit").click()
        from_room = page.get_by_test_id("note").filter(has_text="Roto edge chatters")
        expect(from_room).to_have_count(1)
        expect(from_room).to_have_attribute("data-frame", str(frame))
        expect(page.get_by_test_id("note-count")).to_have_text("2")
        # ...and so do a reply and a resolve made there, and a decision.
        host_note = host.get_by_test_id("note").filter(has_text="Sky too hot")
        host_note.get_by_test_id("reply-input").fill("Agreed, grading will fix it")
        host_note.get_by_test_id("reply-input").press("Enter")
        expect(
            page.get_by_test_id("note").filter(has_text="Sky too hot").get_by_test_id("reply")
        ).to_contain_text("Agreed, grading will fix it")
        host_note.get_by_test_id("note-resolve").click()
        expect(page.get_by_test_id("note").filter(has_text="Sky too hot")).to_have_attribute(
            "data-status", "resolved"
        )
        expect(page.get_by_test_id("open-note-count")).to_have_text("1 open")
        host.get_by_test_id("request-changes").click()
        # Request changes asks what should change; the comment goes with the decision.
        host.get_by_test_id("changes-comment").fill("Warmer key light, please")
        host.get_by_test_id("changes-submit").click()
        expect(page.get_by_test_id("review-status")).to_have_attribute(
            "data-status", "changes_requested"
        )
        expect(page.get_by_test_id("review-decision")).to_contain_text("Changes requested by")

        # The version page replies too, and the room hears it.
        page_note = page.get_by_test_id("note").filter(has_text="Roto edge")
        page_note.get_by_test_id("reply-input").fill("On it for v002")
        page_note.get_by_test_id("reply-submit").click()
        expect(
            host.get_by_test_id("note").filter(has_text="Roto edge").get_by_test_id("reply")
        ).to_contain_text("On it for v002")
        # Jumping to a note on the version page seeks the player there.
        page.get_by_test_id("step-back").click()
        expect(page.get_by_test_id("player-frame")).to_have_text(str(cut_in + frame - 1))
        page_note.get_by_test_id("note-jump").click()
        expect(page.get_by_test_id("player-frame")).to_have_text(str(cut_in + frame))

        # No sideways scrolling at phone, tablet and desktop widths.
        for width in (390, 768, 1280):
            page.set_viewport_size({"width": width, "height": 900})
            page.wait_for_timeout(200)
            assert page.evaluate(
                "() => document.documentElement.scrollWidth <= window.innerWidth"
            ), width
            page.screenshot(path=str(ARTIFACTS / f"version-notes-{width}.png"), full_page=True)
        # The shot list shows the review state and note count, filtered from the URL.
        org = room.partner.organization.slug
        page.goto(
            live_server_url
            + reverse("project-page", args=[org, room.partner.project.pk])
            + "?status=pending&sort=activity&q=SH00"
        )
        row = page.locator("[data-testid=shot-row][data-shot=SH0010]")
        expect(row.get_by_test_id("shot-notes")).to_have_attribute("data-notes", "0")  # v002
        expect(page.get_by_test_id("filter-status")).to_have_value("pending")
        for width in (390, 768, 1280):
            page.set_viewport_size({"width": width, "height": 900})
            page.wait_for_timeout(200)
            page.screenshot(path=str(ARTIFACTS / f"shot-list-{width}.png"), full_page=True)
            # The filters and the shot tables fit (wide tables scroll inside their frame).
            assert page.evaluate(
                "() => [...document.querySelectorAll('[data-testid=shot-filters], "
                "[data-testid=shot-filters] *, [data-testid=sequence], .table-wrap')]"
                ".every(e => e.getBoundingClientRect().right <= innerWidth + 1)"
            ), width
    finally:
        room_context.close()
        page_context.close()
