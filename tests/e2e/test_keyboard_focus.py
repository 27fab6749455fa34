"""Keyboard users: Tab moves through the review room, the upload dialog and the render job
form in reading order (the DOM order the layout follows, no tabindex jumps), the modal
upload dialog keeps focus inside itself, and every focused control shows a clear ring."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_render import _login
from tests.factories import Partner, make_partner
from tests.review.conftest import Room, build_room, session_cookie

pytestmark = pytest.mark.e2e

# What the focused element looks like and whether it comes after the previous one in the
# document (Node.DOCUMENT_POSITION_FOLLOWING == 4).
_FOCUSED = """(previous) => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  if (!window.__focusSeen) window.__focusSeen = [];
  const before = window.__focusSeen.at(-1);
  const wrapped = window.__focusSeen.includes(el);
  window.__focusSeen.push(el);
  return {
    testid: el.dataset.testid || null,
    tag: el.tagName.toLowerCase(),
    name: el.getAttribute("aria-label") || el.name || (el.textContent || "").trim().slice(0, 40),
    ring: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2,
    visible: box.width > 0 && box.height > 0,
    wrapped,
    in_order: wrapped || !before ||
      Boolean(before.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING),
    in_dialog: Boolean(el.closest("dialog[open]")),
  };
}"""


def _tab(page: Any, times: int, *, stop_on_wrap: bool = True) -> list[dict[str, Any]]:
    """Presses Tab up to `times` times; stops when focus comes round to a control it has
    already visited (unless asked to record the cycle, as in a modal dialog)."""
    page.evaluate("window.__focusSeen = []")
    stops = []
    for _ in range(times):
        page.keyboard.press("Tab")
        stop = page.evaluate(_FOCUSED, None)
        if stop is None:
            continue
        if stop["wrapped"] and stop_on_wrap:
            break
        stops.append(stop)
    return stops


def _testids(stops: list[dict[str, Any]]) -> list[str]:
    return [s["testid"] for s in stops if s["testid"]]


def _assert_visible_rings(stops: list[dict[str, Any]]) -> None:
    no_ring = [s for s in stops if s["visible"] and not s["ring"]]
    assert not no_ring, f"focused without a visible ring: {no_ring}"


def _in_order(ids: list[str], *expected: str) -> None:
    positions = [ids.index(testid) for testid in expected]
    assert positions == sorted(positions), f"{expected} out of order in {ids}"


@pytest.fixture
def room(committed_db: None) -> Room:
    return build_room("e2e-kb")


@pytest.fixture
def partner(committed_db: None) -> Partner:
    return make_partner("e2e-kb")


def test_review_room_tab_order_follows_the_layout_with_visible_focus(
    browser: Any, live_server_url: str, room: Room
) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.add_cookies(
        [{"name": "sessionid", "value": session_cookie(room.partner.owner), "url": live_server_url}]
    )
    page = context.new_page()
    try:
        org = room.partner.organization.slug
        page.goto(f"{live_server_url}/review/{org}/{room.session.pk}/")
        expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "live")
        stops = _tab(page, 70)
        page.screenshot(path=str(ARTIFACTS / "focus-review-room.png"))
        ids = _testids(stops)
        # Skip link first, then the header, the room's head, transport, drawing tools and
        # the side panel with the note form, as they read on screen.
        assert stops[0]["name"] == "Skip to content"
        _in_order(ids, "nav-dashboard", "manage-session", "draw-toggle", "note-text", "note-submit")
        assert all(s["in_order"] for s in stops), [s for s in stops if not s["in_order"]]
        _assert_visible_rings(stops)
    finally:
        context.close()


def test_upload_dialog_keeps_focus_inside_in_field_order(
    page: Any, live_server_url: str, partner: Partner
) -> None:
    _login(page, live_server_url, partner.producer.email)
    org = partner.organization.slug
    page.goto(f"{live_server_url}/projects/{org}/{partner.project.pk}/shots/{partner.shot.pk}/")
    opener = page.get_by_test_id("open-upload")
    opener.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name=f"Upload to {partner.shot.code}")
    expect(dialog).to_be_visible()
    stops = _tab(page, 12, stop_on_wrap=False)
    page.screenshot(path=str(ARTIFACTS / "focus-upload-dialog.png"))
    assert all(s["in_dialog"] for s in stops), "focus left the open dialog"
    ids = _testids(stops)
    order = ["upload-input", "upload-kind", "upload-color", "upload-start", "upload-close"]
    cycle = ids[ids.index("upload-kind") : ids.index("upload-kind") + len(order) - 1]
    assert cycle == order[1:], ids  # and round again: the dialog traps focus
    _assert_visible_rings(stops)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert page.evaluate("document.activeElement.dataset.testid") == "open-upload"


def test_job_form_tab_order_and_focus_ring(
    page: Any, live_server_url: str, partner: Partner
) -> None:
    _login(page, live_server_url, partner.producer.email)
    org, project = partner.organization.slug, partner.project.pk
    page.goto(f"{live_server_url}/render/{org}/projects/{project}/jobs/new/")
    expect(page.get_by_test_id("launch-heading")).to_be_visible()
    stops = _tab(page, 60)
    page.screenshot(path=str(ARTIFACTS / "focus-job-form.png"))
    ids = _testids(stops)
    _in_order(
        ids, "submit-operation", "submit-shot", "submit-pool", "submit-priority", "submit-button"
    )
    # Only the chosen operation's fields are reachable; the hidden ones are skipped.
    assert all(s["visible"] for s in stops if s["testid"]), stops
    assert all(s["in_order"] for s in stops), [s for s in stops if not s["in_order"]]
    _assert_visible_rings(stops)
