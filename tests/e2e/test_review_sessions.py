"""Review sessions prepared in the browser: a producer makes one from the shot list, edits
its playlist, schedules it (shown in the viewer's own time zone), invites a studio reviewer
and starts it; the studio reviewer signs in with two-factor, opens the pasted link and
approves the shared version; the same link is a 404 for another partner."""

from __future__ import annotations

from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from playwright.sync_api import expect

from apps.review.models import PlaylistItem, ReviewSession
from apps.tenancy.scope import tenant_scope
from tests.e2e.conftest import ARTIFACTS
from tests.factories import PASSWORD, enable_totp, totp_code
from tests.review.conftest import Room, build_room, session_cookie

pytestmark = pytest.mark.e2e


@pytest.fixture
def room(committed_db: None) -> Room:
    return build_room("e2ess")


def _context(browser: Any, url: str, user: Any | None = None, **options: Any) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, **options)
    if user is not None:
        context.add_cookies([{"name": "sessionid", "value": session_cookie(user), "url": url}])
    return context


def _no_sideways_scroll(page: Any) -> None:
    for width in (390, 768, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(ARTIFACTS / f"session-manage-{width}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_producer_creates_a_session_from_the_shot_list_and_edits_it(
    browser: Any, live_server_url: str, room: Room
) -> None:
    url, org = live_server_url, room.partner.organization.slug
    project = room.partner.project
    context = _context(browser, url, room.partner.producer, timezone_id="America/New_York")
    page = context.new_page()
    try:
        page.goto(f"{url}/projects/{org}/{project.pk}/")
        page.get_by_test_id("select-shot").first.check()
        page.get_by_test_id("review-selected-shots").click()
        expect(page.get_by_test_id("new-session-heading")).to_be_visible()
        # The shot's latest version is on the playlist.
        expect(page.get_by_test_id("new-session-version")).to_have_count(1)
        assert page.get_by_test_id("new-session-version").get_attribute("value") == str(
            room.versions[1].pk
        )
        page.get_by_test_id("session-title").fill("Client review")
        # 15:30 in New York on 4 March 2030 (EST, UTC-5) is 20:30 UTC.
        page.get_by_test_id("session-schedule").fill("2030-03-04T15:30")
        page.get_by_test_id("create-session").click()
        expect(page.get_by_test_id("session-heading")).to_contain_text("Client review")
        with tenant_scope(room.partner.organization.pk):
            session = ReviewSession.objects.get(project=project, title="Client review")
        assert session.scheduled_for.isoformat() == "2030-03-04T20:30:00+00:00"
        scheduled = page.get_by_test_id("session-scheduled")
        expect(scheduled).to_contain_text("2030-03-04 15:30")
        expect(scheduled).not_to_contain_text("UTC")

        # Add the other version, move it up, then remove the first one.
        page.get_by_test_id("add-versions").select_option(str(room.versions[0].pk))
        page.get_by_test_id("add-versions-submit").click()
        rows = page.get_by_test_id("playlist-row")
        expect(rows).to_have_count(2)
        rows.nth(1).get_by_test_id("move-up").click()
        expect(rows.first).to_have_attribute("data-version", str(room.versions[0].pk))
        rows.nth(1).get_by_test_id("remove-version").click()
        expect(rows).to_have_count(1)
        with tenant_scope(room.partner.organization.pk):
            ids = list(PlaylistItem.objects.filter(session=session).values_list("version_id"))
        assert ids == [(room.versions[0].pk,)]

        # Invite the studio reviewer (the project is shared), then start the session.
        page.get_by_test_id("invite-select").select_option(str(room.outsider.pk))
        page.get_by_test_id("invite-submit").click()
        expect(page.get_by_test_id("participants")).to_contain_text(room.outsider.email)
        _no_sideways_scroll(page)
        page.get_by_test_id("start-session").click()
        expect(page.get_by_test_id("session-state")).to_have_text("Live")
        page.get_by_test_id("open-room").click()
        expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "live")
        expect(page.get_by_test_id("playlist-item")).to_have_count(1)
        page.screenshot(path=str(ARTIFACTS / "session-room-after-edit.png"))
    finally:
        context.close()


def _sign_in_with_two_factor(page: Any, url: str, user: Any, secret: str, next_path: str) -> None:
    page.goto(f"{url}{next_path}")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.fill("input[name=code]", totp_code(secret))
    page.locator("form button[type=submit]").first.click()
    if "/beta/agreements/" in page.url:
        for box in page.locator("[data-testid^=accept-]:is(input)").all():
            box.check()
        page.get_by_test_id("accept-agreements").click()


def test_studio_reviewer_with_two_factor_opens_the_link_and_approves(
    browser: Any, live_server_url: str, room: Room
) -> None:
    url = live_server_url
    # A fresh secret the test can compute codes with.
    Authenticator.objects.filter(user=room.reviewer).delete()
    secret = enable_totp(room.reviewer)
    session_link = f"/r/{room.session.public_id}/"
    version = room.versions[0]
    version_link = f"/r/{version.public_id}/"
    context = _context(browser, url)
    page = context.new_page()
    try:
        # The pasted session link asks for sign-in (and two-factor), then opens the room
        # under the studio organization.
        _sign_in_with_two_factor(page, url, room.reviewer, secret, session_link)
        page.goto(url + session_link)
        expect(page).to_have_url(f"{url}/review/{room.studio.slug}/{room.session.pk}/")
        expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "live")
        expect(page.get_by_test_id("version-status")).to_have_attribute(
            "data-status", version.status
        )
        page.get_by_test_id("approve").click()
        expect(page.get_by_test_id("version-status")).to_have_attribute("data-status", "approved")
        expect(page.get_by_test_id("decision-log")).to_contain_text("approved")
        page.screenshot(path=str(ARTIFACTS / "studio-reviewer-approved.png"))
        # The version's link opens its page under the studio too.
        page.goto(url + version_link)
        expect(page).to_have_url(
            f"{url}/projects/{room.studio.slug}/{room.partner.project.pk}/versions/{version.pk}/"
        )
        expect(page.get_by_test_id("version-status")).to_have_text("Approved")
    finally:
        context.close()

    # The partner producer opens the same links under the partner.
    producer = _context(browser, url, room.partner.producer)
    page = producer.new_page()
    try:
        page.goto(url + version_link)
        expect(page).to_have_url(
            f"{url}/projects/{room.partner.organization.slug}/{room.partner.project.pk}"
            f"/versions/{version.pk}/"
        )
        page.goto(url + session_link)
        expect(page).to_have_url(
            f"{url}/review/{room.partner.organization.slug}/{room.session.pk}/"
        )
    finally:
        producer.close()

    # Another partner: the same 404 as for a link that does not exist.
    stranger = _context(browser, url, room.other.owner)
    page = stranger.new_page()
    try:
        response = page.goto(url + version_link)
        assert response is not None and response.status == 404
        missing = page.goto(url + "/r/" + "0" * 32 + "/")
        assert missing is not None and missing.status == 404
        assert page.content().count("not shared with you") == 1
    finally:
        stranger.close()
