"""The beta results report in a browser: numbers, SVG charts and the CSV download."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from playwright.sync_api import expect

from apps.beta.feedback import feedback_create
from apps.production.services import version_create, version_set_status
from apps.tenancy.models import OrganizationKind, Role
from apps.tenancy.scope import tenant_scope
from apps.tenancy.services import membership_create
from tests.e2e.conftest import ARTIFACTS
from tests.factories import (
    PASSWORD,
    Partner,
    enable_totp,
    make_organization,
    make_partner,
    make_user,
    totp_code,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def data(committed_db: None) -> tuple[Partner, Any, str]:
    def build() -> tuple[Partner, Any, str]:
        try:
            partner = make_partner("report")
            with tenant_scope(partner.organization.pk, user_id=partner.owner.pk):
                for approve in (True, False, True):
                    version = version_create(
                        actor=partner.owner, shot=partner.shot, source="upload"
                    )
                    if approve:
                        version_set_status(actor=partner.owner, version=version, status="approved")
                for rating in (5, 4):
                    feedback_create(user=partner.producer, rating=rating, text="good")
            studio = make_organization("Report Studio", OrganizationKind.STUDIO)
            admin = make_user("report-admin")
            membership_create(organization=studio, user=admin, role=Role.BETA_ADMIN, actor=None)
            return partner, admin, enable_totp(admin)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(build).result()


def test_staff_read_the_report_and_download_the_csv(
    data: tuple[Partner, Any, str], page: Any, live_server_url: str
) -> None:
    partner, admin, secret = data
    page.goto(live_server_url + "/staff/beta/report/")
    page.fill("input[name=login]", admin.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.fill("input[name=code]", totp_code(secret))
    page.locator("form button[type=submit]").first.click()
    expect(page.get_by_test_id("report-heading")).to_be_visible()
    row = page.locator(f"[data-testid=report-partner] [data-name='{partner.organization.name}']")
    expect(row.locator("[data-metric=approvals]")).to_have_text("2")
    expect(row.locator("[data-metric=versions]")).to_have_text("3")
    expect(row.locator("[data-metric=seats]")).to_have_text("3 / 5")
    expect(row.locator("[data-metric=feedback]")).to_have_text("4.5 (2)")
    bar = page.get_by_test_id("chart-approvals").locator(
        "g", has=page.locator("title", has_text=f"{partner.organization.name}: 2")
    )
    expect(bar.locator("rect")).to_have_attribute("data-value", "2")
    page.screenshot(path=str(ARTIFACTS / "beta-report.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_test_id("report-csv").click()
    text = Path(download.value.path()).read_text()
    assert text.startswith("level,name,cohort,status")
    assert partner.organization.name in text
