"""Two real browsers in one review room: the follower shows exactly the presenter's frame
(checked on the pixels: every proxy frame carries its number as a binary strip), drawings
travel, and a reloaded page comes back with every note."""

from __future__ import annotations

import io
from typing import Any

import av
import pytest
from playwright.sync_api import expect

from tests.api.helpers import api_client_for
from tests.e2e.conftest import ARTIFACTS
from tests.review.conftest import Room, build_room, session_cookie
from tests.review.media import read_frame_number

pytestmark = pytest.mark.e2e


@pytest.fixture
def room(committed_db: None) -> Room:
    return build_room("e2e")


def _open(browser: Any, live_server_url: str, user: Any, path: str) -> tuple[Any, Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.add_cookies(
        [{"name": "sessionid", "value": session_cookie(user), "url": live_server_url}]
    )
    page = context.new_page()
    page.goto(live_server_url + path)
    expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "live")
    page.wait_for_function(
        "() => document.getElementById('player-a').readyState >= 2", timeout=15_000
    )
    return context, page


def _pixels_frame(page: Any) -> int:
    """The frame number the player shows, read from its pixels."""
    png = page.locator("#player-a").screenshot()
    with av.open(io.BytesIO(png), mode="r", format="png_pipe") as container:
        image = next(container.decode(video=0)).to_ndarray(format="rgb24")
    # The video is letterboxed inside the element: crop to the picture (16:9).
    height, width = image.shape[:2]
    picture = round(width * 9 / 16)
    top = (height - picture) // 2
    return read_frame_number(image[top : top + picture])


def _shown(page: Any, frame: int) -> None:
    expect(page.get_by_test_id("frame-display")).to_have_attribute("data-frame", str(frame))
    page.wait_for_function(
        f"() => document.getElementById('player-a').dataset.presentedFrame === '{frame}'"
        " && document.getElementById('player-a').seeking === false",
        timeout=10_000,
    )
    assert _pixels_frame(page) == frame


def test_follower_shows_the_presenters_exact_frame_drawings_travel_and_reload_resumes(
    browser: Any, live_server_url: str, room: Room
) -> None:
    org_a, org_studio = room.partner.organization.slug, room.studio.slug
    host_context, host = _open(
        browser, live_server_url, room.partner.owner, f"/review/{org_a}/{room.session.pk}/"
    )
    follower_context, follower = _open(
        browser, live_server_url, room.reviewer, f"/review/{org_studio}/{room.session.pk}/"
    )
    try:
        expect(host.get_by_test_id("avatar")).to_have_count(2)
        expect(follower.get_by_test_id("scrubber")).to_be_disabled()

        # The presenter seeks to frame 29 (paused): the follower shows frame 29.
        host.get_by_test_id("scrubber").fill("29")
        _shown(host, 29)
        _shown(follower, 29)
        # Frame stepping.
        host.get_by_test_id("step-forward").click()
        host.get_by_test_id("step-forward").click()
        host.get_by_test_id("step-back").click()
        _shown(host, 30)
        _shown(follower, 30)

        # Play, then pause wherever playback is: both show the same frame.
        host.get_by_test_id("scrubber").fill("0")
        _shown(follower, 0)
        host.get_by_test_id("play").click()
        host.wait_for_timeout(700)
        host.get_by_test_id("play").click()
        paused = int(host.get_by_test_id("frame-display").get_attribute("data-frame"))
        assert 0 < paused < 47
        _shown(host, paused)
        _shown(follower, paused)
        host.screenshot(path=str(ARTIFACTS / "review-presenter.png"))

        # The follower draws and writes a note at the current frame: the presenter sees both.
        follower.get_by_test_id("draw-toggle").click()
        layer = follower.get_by_test_id("drawing-layer").bounding_box()
        follower.mouse.move(layer["x"] + layer["width"] * 0.3, layer["y"] + layer["height"] * 0.3)
        follower.mouse.down()
        for step in range(1, 8):
            follower.mouse.move(
                layer["x"] + layer["width"] * (0.3 + step * 0.05),
                layer["y"] + layer["height"] * (0.3 + step * 0.03),
            )
        follower.mouse.up()
        follower.get_by_test_id("note-text").fill("Edge flicker on the left, see drawing")
        follower.get_by_test_id("note-submit").click()
        host_note = host.get_by_test_id("note").filter(has_text="Edge flicker")
        expect(host_note).to_have_count(1)
        expect(host_note).to_have_attribute("data-frame", str(paused))
        expect(host.get_by_test_id("drawing-layer")).to_have_attribute("data-strokes", "1")
        stroke = host.get_by_test_id("stroke").first
        assert stroke.get_attribute("stroke") == "#ff3b30"
        host.screenshot(path=str(ARTIFACTS / "review-drawing.png"))

        # Notes made over REST while the follower is away; a reload resumes with every note.
        client = api_client_for(room.partner.producer)
        url = f"/api/v1/orgs/{org_a}/versions/{room.versions[0].pk}/notes/"
        for frame in (3, 40):
            assert (
                client.post(
                    url, {"frame_in": frame, "text": f"REST note {frame}"}, format="json"
                ).status_code
                == 201
            )
        follower.reload()
        expect(follower.get_by_test_id("connection")).to_have_attribute("data-state", "live")
        expect(follower.get_by_test_id("note")).to_have_count(3)
        expect(follower.get_by_test_id("frame-display")).to_have_attribute(
            "data-frame", str(paused)
        )
        # Jump to a note (presenter): everybody goes there.
        host.get_by_test_id("note").filter(has_text="REST note 40").get_by_test_id(
            "note-jump"
        ).click()
        follower.wait_for_function(
            "() => document.getElementById('player-a').readyState >= 2", timeout=15_000
        )
        _shown(follower, 40)
        follower.screenshot(path=str(ARTIFACTS / "review-follower.png"))

        # The host starts the session; a decision and A/B compare reach the follower live.
        host.get_by_test_id("start-session").click()
        expect(follower.get_by_test_id("session-state")).to_have_attribute("data-state", "live")
        follower.get_by_test_id("request-changes").click()
        # Request changes asks what should change; the comment goes with the decision.
        follower.get_by_test_id("changes-comment").fill("Warmer key light, please")
        follower.get_by_test_id("changes-submit").click()
        expect(host.get_by_test_id("version-status")).to_have_attribute(
            "data-status", "changes_requested"
        )
        expect(host.get_by_test_id("decision-log")).to_contain_text("Warmer key light, please")
        host.get_by_test_id("compare-version").select_option(str(room.versions[1].pk))
        host.get_by_test_id("compare-mode").select_option("wipe")
        expect(follower.get_by_test_id("stage")).to_have_class("stage wipe")
        follower.wait_for_function(
            "() => document.getElementById('player-b').readyState >= 2", timeout=15_000
        )
        follower.screenshot(path=str(ARTIFACTS / "review-compare.png"))
    finally:
        host_context.close()
        follower_context.close()
