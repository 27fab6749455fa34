"""Email and the inbox in a real browser, with the platform's mail going to the local
stack's SMTP sink (studio/devstack/mail.py writes .eml files to EMAIL_OUTBOX_DIR):

- a mention puts an entry in the person's inbox, the unread count in the top bar goes up
  live (no reload), the email lands in the sink, and the entry opens the version;
- "Forgot password" mails a link that sets a new password, which then signs in."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from playwright.sync_api import expect

from apps.production.services import version_create
from apps.review.notes import note_create
from apps.tenancy.models import Membership
from apps.tenancy.scope import tenant_scope
from tests.e2e.conftest import ARTIFACTS
from tests.factories import PASSWORD, Partner, make_partner

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "Dailies-at-9-sharp"


@pytest.fixture
def outbox(settings: Any) -> Path:
    """The devstack's sink; this process (where the test writes the mention) sends there too
    (pytest-django would otherwise keep its email in memory)."""
    folder = os.environ.get("EMAIL_OUTBOX_DIR", "")
    if not folder or not os.environ.get("EMAIL_PORT"):
        pytest.fail("Run under the devstack env (it starts the SMTP sink and sets EMAIL_*)")
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = os.environ["EMAIL_HOST"]
    settings.EMAIL_PORT = int(os.environ["EMAIL_PORT"])
    return Path(folder)


def wait_for_mail(outbox: Path, to: str, subject_part: str, timeout: float = 15) -> EmailMessage:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in sorted(outbox.glob("*.eml"), reverse=True):
            message = message_from_bytes(path.read_bytes(), policy=policy.default)
            assert isinstance(message, EmailMessage)
            if to in str(message["To"]) and subject_part in str(message["Subject"]):
                return message
        time.sleep(0.2)
    raise AssertionError(f"no email to {to} about {subject_part!r} reached the SMTP sink")


def in_worker(work: Any) -> Any:
    """Writes that send live events after commit (async_to_sync) cannot run in the thread
    where Playwright's event loop runs."""

    def run() -> Any:
        try:
            return work()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


@pytest.fixture
def partner(committed_db: None) -> Iterator[Partner]:
    yield in_worker(lambda: make_partner("inbox-e2e"))


def sign_in(page: Any, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r".*/(dashboard|beta)/.*"))


def test_a_mention_reaches_the_inbox_live_and_the_smtp_sink(
    page: Any, live_server_url: str, partner: Partner, outbox: Path
) -> None:
    owner, producer = partner.owner, partner.producer

    def make_version() -> Any:
        with tenant_scope(partner.organization.pk, user_id=owner.pk):
            return version_create(actor=owner, shot=partner.shot, source="upload")

    version = in_worker(make_version)
    sign_in(page, live_server_url, owner.email, PASSWORD)
    badge = page.get_by_test_id("inbox-count")
    expect(badge).to_be_hidden()
    # The top bar's socket is open before anything happens.
    page.wait_for_timeout(1500)

    def mention() -> None:
        with tenant_scope(partner.organization.pk, user_id=producer.pk):
            member = Membership.objects.select_related("user").get(user=producer)
            note_create(
                actor=member,
                version=version,
                frame_in=42,
                text=f"@{owner.email.split('@')[0]} the matte line shows at 42",
            )

    started = time.monotonic()
    in_worker(mention)
    expect(badge).to_have_text("1", timeout=10_000)
    print(f"unread count shown {1000 * (time.monotonic() - started):.0f} ms after the mention")
    page.screenshot(path=str(ARTIFACTS / "inbox-badge-live.png"))

    message = wait_for_mail(outbox, owner.email, "mentioned you")
    text = message.get_body(preferencelist=("plain",))
    assert text is not None and "the matte line shows at 42" in text.get_content()
    assert f"/r/{version.public_id}/" in text.get_content()
    assert message.get_body(preferencelist=("html",)) is not None

    page.get_by_test_id("nav-inbox").click()
    entry = page.get_by_test_id("inbox-item").first
    expect(entry).to_contain_text("mentioned you")
    expect(entry).to_have_attribute("data-unread", "true")
    for width in (390, 768, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(ARTIFACTS / f"inbox-{width}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    page.set_viewport_size({"width": 1280, "height": 900})
    entry.get_by_test_id("inbox-item-link").click()
    page.wait_for_load_state()
    assert version.public_id in page.url or f"/versions/{version.pk}/" in page.url
    expect(page.get_by_test_id("inbox-count")).to_be_hidden()


def test_forgot_password_by_email_end_to_end(
    page: Any, live_server_url: str, partner: Partner, outbox: Path
) -> None:
    email = partner.viewer.email
    page.goto(f"{live_server_url}/accounts/login/")
    page.get_by_role("link", name=re.compile("forgot", re.I)).click()
    page.fill("input[name=email]", email)
    page.locator("form button[type=submit]").first.click()
    expect(page.locator("h1")).to_contain_text(re.compile("password reset", re.I))

    message = wait_for_mail(outbox, email, "Password Reset")
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    link = re.search(r"https?://\S+/accounts/password/reset/key/\S+/", body.get_content())
    assert link, body.get_content()
    page.goto(link.group(0))
    page.fill("input[name=password1]", NEW_PASSWORD)
    page.fill("input[name=password2]", NEW_PASSWORD)
    page.locator("form button[type=submit]").first.click()
    expect(page.locator("body")).to_contain_text(re.compile("password is now changed", re.I))

    sign_in(page, live_server_url, email, NEW_PASSWORD)
    expect(page.get_by_test_id("user-email")).to_contain_text(email)
