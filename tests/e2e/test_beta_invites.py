"""The closed-beta journey in a real browser: staff invite a partner owner, the email
arrives on a local SMTP server, the owner follows the link, sets a password, must accept
the NDA before seeing anything, invites teammates; acceptance beyond the seat quota is
refused with a clear message."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connections
from playwright.sync_api import expect

from apps.beta.agreements import agreement_publish
from apps.beta.models import Agreement
from apps.tenancy.models import OrganizationKind, Role
from apps.tenancy.services import membership_create
from tests.beta.smtp import Inbox, smtp_server
from tests.conftest import unique
from tests.e2e.conftest import ARTIFACTS
from tests.factories import PASSWORD, enable_totp, make_organization, make_user, totp_code
from tests.live_server import asgi_servers

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "Stage-left-7-lanterns"


@pytest.fixture(scope="module")
def mail_server(django_db_setup: Any) -> Iterator[tuple[Inbox, str]]:
    """The platform with its email going to a real local SMTP server."""
    with smtp_server() as (inbox, smtp_port):
        mail_env = {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_port),
        }
        with asgi_servers(1, env=mail_env, log_path=ARTIFACTS / "beta-server.log") as (url,):
            yield inbox, url


@pytest.fixture
def staff_and_nda(committed_db: None) -> Iterator[tuple[Any, str, str]]:
    def build() -> tuple[Any, str, str]:
        try:
            studio = make_organization("E2E Studio", OrganizationKind.STUDIO)
            admin = make_user("e2e-betaadmin")
            membership_create(organization=studio, user=admin, role=Role.BETA_ADMIN, actor=None)
            secret = enable_totp(admin)
            key = unique("nda")[:40]
            agreement_publish(
                key=key,
                title="Partner NDA",
                body="Confidential beta.\nDo not share footage.",
                actor=None,
            )
            return admin, secret, key
        finally:
            connections.close_all()

    # Publishing notifies sockets after commit (async_to_sync), which cannot run in this
    # thread once Playwright's event loop is running: write from a worker thread.
    with ThreadPoolExecutor(1) as pool:
        admin, secret, key = pool.submit(build).result()
    yield admin, secret, key
    Agreement.objects.filter(key=key).update(required=False)


def _accept_agreements(page: Any) -> None:
    for box in page.locator("[data-testid^=accept-]:is(input)").all():
        box.check()
    page.get_by_test_id("accept-agreements").click()


def _accept_invite(browser: Any, link: str, shot: str) -> Any:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(link)
    page.get_by_test_id("password").fill(NEW_PASSWORD)
    page.get_by_test_id("password2").fill(NEW_PASSWORD)
    page.screenshot(path=str(ARTIFACTS / shot), full_page=True)
    page.get_by_test_id("accept-invitation").click()
    return context, page


def test_staff_invite_owner_accepts_nda_and_team_is_capped_by_seats(
    staff_and_nda: tuple[Any, str, str], mail_server: tuple[Inbox, str], page: Any
) -> None:
    inbox, url = mail_server
    admin, secret, _ = staff_and_nda
    partner_name = f"Lanternfish {unique('co')}"
    owner_email = f"{unique('owner')}@lanternfish.test"

    # Staff: sign in with two-factor, accept the NDA like everybody, invite the partner.
    page.goto(url + "/staff/beta/")
    page.fill("input[name=login]", admin.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.fill("input[name=code]", totp_code(secret))
    page.locator("form button[type=submit]").first.click()
    expect(page).to_have_url(f"{url}/beta/agreements/?next=%2Fstaff%2Fbeta%2F")
    _accept_agreements(page)
    expect(page.get_by_test_id("staff-beta-heading")).to_be_visible()
    page.get_by_test_id("partner-name").fill(partner_name)
    page.get_by_test_id("partner-email").fill(owner_email)
    page.get_by_test_id("partner-seats").fill("2")
    page.get_by_test_id("invite-partner").click()
    expect(page.get_by_test_id("flash").first).to_contain_text(f"invitation sent to {owner_email}")
    page.screenshot(path=str(ARTIFACTS / "beta-staff-console.png"), full_page=True)

    # Owner: the email arrives; the link shows who invited whom; GETs consumed nothing.
    link = inbox.link_for(owner_email)
    assert link.startswith(url + "/beta/invite/")
    owner_context, owner = _accept_invite(page.context.browser, link, "beta-invitation.png")
    # Before accepting the NDA nothing else is reachable.
    expect(owner).to_have_url(re.compile(re.escape(f"{url}/beta/agreements/?next=%2Fdashboard%2F")))
    expect(owner.get_by_test_id("agreement-body")).to_contain_text("Do not share footage.")
    owner.screenshot(path=str(ARTIFACTS / "beta-nda.png"), full_page=True)
    owner.goto(url + "/dashboard/")
    expect(owner).to_have_url(f"{url}/beta/agreements/?next=%2Fdashboard%2F")
    _accept_agreements(owner)
    expect(owner.get_by_test_id("dashboard-heading")).to_contain_text(partner_name)

    # Owner invites two teammates; the team has two seats, the owner holds one.
    owner.get_by_test_id("nav-team").click()
    expect(owner.get_by_test_id("seat-usage")).to_contain_text("1 of 2 seats used")
    mates = [f"{unique('mate')}@lanternfish.test" for _ in range(2)]
    for email in mates:
        owner.get_by_test_id("invite-email").fill(email)
        owner.get_by_test_id("invite-role").select_option("artist")
        owner.get_by_test_id("send-invite").click()
        expect(owner.get_by_test_id("flash").first).to_contain_text(f"Invitation sent to {email}")
    owner.screenshot(path=str(ARTIFACTS / "beta-team.png"), full_page=True)

    first_context, first = _accept_invite(
        page.context.browser, inbox.link_for(mates[0]), "beta-mate.png"
    )
    expect(first.get_by_test_id("agreements-heading")).to_be_visible()

    second_context, second = _accept_invite(
        page.context.browser, inbox.link_for(mates[1]), "beta-mate2.png"
    )
    expect(second.get_by_test_id("invitation-error")).to_contain_text(
        f"{partner_name} has used all 2 of its seats"
    )
    second.screenshot(path=str(ARTIFACTS / "beta-seat-refused.png"), full_page=True)

    owner.reload()
    expect(owner.get_by_test_id("seat-usage")).to_contain_text("2 of 2 seats used")
    for context in (owner_context, first_context, second_context):
        context.close()
