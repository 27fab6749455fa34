from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS
from tests.factories import PASSWORD, Partner, make_partner

pytestmark = pytest.mark.e2e


@pytest.fixture
def partner(committed_db: None) -> Partner:
    return make_partner("e2e")


def test_partner_logs_in_and_sees_the_dashboard(
    page: Any, live_server_url: str, partner: Partner
) -> None:
    page.goto(live_server_url + "/dashboard/")
    expect(page).to_have_url(f"{live_server_url}/accounts/login/?next=/dashboard/")
    page.screenshot(path=str(ARTIFACTS / "login.png"), full_page=True)
    page.fill("input[name=login]", partner.owner.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    expect(page.get_by_test_id("dashboard-heading")).to_contain_text(partner.organization.name)
    expect(page.get_by_text(partner.project.name)).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)

    page.get_by_text(partner.project.name).click()
    expect(page.get_by_text("SH0010")).to_be_visible()
    expect(page.get_by_test_id("shot-frames").first).to_contain_text("1001 – 1096 (96 frames)")
    page.screenshot(path=str(ARTIFACTS / "project.png"), full_page=True)


def test_wrong_password_shows_an_error(page: Any, live_server_url: str, partner: Partner) -> None:
    page.goto(live_server_url + "/accounts/login/")
    page.fill("input[name=login]", partner.viewer.email)
    page.fill("input[name=password]", "not-the-password")
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    expect(page.get_by_text("not correct")).to_be_visible()
