"""Browser: a producer shares a version with a guest (password, expiry, notes allowed); the
guest, in a fresh browser without an account, unlocks it, watches a copy watermarked with
their email, writes a note; the producer revokes the link and the guest's page closes at
once (its socket is closed by the server) and stays refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from apps.media import samples
from apps.media.ingest import media_ingest_file
from apps.media.pipeline import media_make_proxy, media_make_viewer_proxy
from apps.media.uploads import media_validate
from apps.review.models import GuestLink, Note
from apps.tenancy.scope import tenant_scope
from tests.e2e.conftest import ARTIFACTS
from tests.factories import Partner, make_partner
from tests.review.conftest import session_cookie

pytestmark = pytest.mark.e2e

EMAIL = "director@example.com"
PASSWORD = "dailies-2024"


@pytest.fixture
def shared(committed_db: None, tmp_path: Path) -> tuple[Partner, Any]:
    partner = make_partner("guestlink")
    org = partner.organization
    movie = samples.make_movie(tmp_path / "plate.mov", codec="h264", frames=12)
    with tenant_scope(org.pk, user_id=partner.owner.pk):
        source = media_ingest_file(
            actor=partner.owner, shot=partner.shot, path=movie, filename="plate.mov"
        )
    media_validate(organization_id=org.pk, media_id=source.pk)
    media_make_proxy(organization_id=org.pk, media_id=source.pk)
    return partner, source


def _no_sideways_scroll(page: Any, name: str) -> None:
    for width in (390, 768, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(150)
        assert page.evaluate("document.documentElement.scrollWidth <= innerWidth"), (name, width)
        page.screenshot(path=str(ARTIFACTS / f"guest-{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1400, "height": 900})


def test_guest_link_with_password_then_revoked(
    browser: Any, live_server_url: str, shared: tuple[Partner, Any]
) -> None:
    partner, source = shared
    org = partner.organization
    producer_context = browser.new_context(viewport={"width": 1400, "height": 900})
    producer_context.add_cookies(
        [{"name": "sessionid", "value": session_cookie(partner.producer), "url": live_server_url}]
    )
    producer = producer_context.new_page()
    producer.goto(
        live_server_url
        + reverse("version-page", args=[org.slug, partner.project.pk, source.version_id])
    )
    producer.get_by_test_id("guest-share-open").click()
    dialog = producer.get_by_test_id("guest-dialog")
    expect(dialog.get_by_test_id("guest-links-empty")).to_be_visible()
    # A bad expiry is refused next to its field, the email is kept.
    dialog.get_by_test_id("guest-email").fill(EMAIL)
    dialog.get_by_test_id("guest-expires").fill("90")
    dialog.get_by_test_id("guest-create").click()
    expect(dialog.get_by_test_id("guest-expires-error")).to_contain_text("1 to 30 days")
    expect(dialog.get_by_test_id("guest-email")).to_have_value(EMAIL)
    dialog.get_by_test_id("guest-expires").fill("3")
    dialog.get_by_test_id("guest-password").fill(PASSWORD)
    dialog.get_by_test_id("guest-create").click()
    url_box = dialog.get_by_test_id("guest-link-url")
    expect(url_box).to_be_visible()
    guest_url = url_box.input_value()
    assert "/g/" in guest_url
    expect(dialog.get_by_test_id("guest-link-row")).to_have_count(1)
    _no_sideways_scroll(producer, "dialog")

    # The guest: a fresh browser, no account.
    guest_context = browser.new_context(viewport={"width": 1400, "height": 900})
    guest = guest_context.new_page()
    guest.goto(guest_url)
    guest.get_by_test_id("guest-password-input").fill("not it")
    guest.get_by_test_id("guest-unlock").click()
    expect(guest.get_by_test_id("guest-password-error")).to_contain_text("Wrong password")
    guest.get_by_test_id("guest-password-input").fill(PASSWORD)
    guest.get_by_test_id("guest-unlock").click()
    expect(guest.get_by_test_id("guest-preparing")).to_be_visible()
    expect(guest.get_by_test_id("connection")).to_have_attribute("data-state", "live")

    # The platform worker makes the copy with the guest's email burned in.
    with tenant_scope(org.pk):
        link = GuestLink.objects.get(email=EMAIL, project=partner.project)
    copy = media_make_viewer_proxy(
        organization_id=org.pk, media_id=source.pk, user_id=link.guest_id, always=True
    )
    assert copy is not None
    video = guest.get_by_test_id("proxy-video")
    expect(video).to_be_visible(timeout=15_000)
    expect(guest.get_by_test_id("guest-watermark")).to_contain_text(EMAIL)
    guest.wait_for_function(
        "() => document.querySelector('[data-testid=proxy-video]').readyState >= 2",
        timeout=15_000,
    )
    assert producer.url not in guest.content()
    assert partner.producer.email not in guest.content()

    guest.get_by_test_id("guest-note-text").fill("The sky flickers here.")
    guest.get_by_test_id("guest-note-submit").click()
    note = guest.get_by_test_id("guest-note").first
    expect(note).to_contain_text("The sky flickers here.")
    expect(note.get_by_test_id("guest-note-author")).to_contain_text(EMAIL)
    with tenant_scope(org.pk):
        assert Note.objects.filter(author_id=link.guest_id, version_id=source.version_id).exists()
    _no_sideways_scroll(guest, "page")

    # The producer revokes: the guest's page closes at once.
    producer.on("dialog", lambda box: box.accept())
    dialog.get_by_test_id("guest-link-revoke").click()
    expect(dialog.get_by_test_id("guest-links-empty")).to_be_visible()
    expect(guest.get_by_test_id("guest-closed")).to_contain_text("revoked", timeout=5_000)
    expect(guest.get_by_test_id("proxy-video")).to_have_count(0)
    response = guest.goto(guest_url)
    assert response is not None and response.status == 410
    expect(guest.get_by_test_id("error-message")).to_contain_text("revoked")
    producer_context.close()
    guest_context.close()
