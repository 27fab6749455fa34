from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS
from tests.factories import PASSWORD, Partner, make_partner

pytestmark = pytest.mark.e2e
EDL = Path(__file__).resolve().parents[1] / "interchange" / "data" / "avid_with_transitions.edl"


@pytest.fixture
def partner(committed_db: None) -> Partner:
    return make_partner("cut")


def test_producer_previews_an_edl_then_applies_it(
    page: Any, live_server_url: str, partner: Partner
) -> None:
    page.goto(live_server_url + "/accounts/login/")
    page.fill("input[name=login]", partner.producer.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url("**/dashboard/")
    page.goto(
        f"{live_server_url}/projects/{partner.organization.slug}/{partner.project.pk}/editorial/"
    )
    page.set_input_files("input[name=file]", str(EDL))
    page.get_by_role("button", name="Preview import").click()
    expect(page.get_by_test_id("import-summary")).to_contain_text(
        "4 new, 0 changed, 0 unchanged, 3 not placed"
    )
    # The dissolve is carried by both shots, not listed as something left out.
    expect(page.get_by_test_id("plan-table")).to_contain_text("out: dissolve, 24 frames")
    expect(page.get_by_test_id("plan-table")).to_contain_text("in: dissolve, 24 frames")
    expect(page.get_by_test_id("not-placed-table")).to_contain_text("black")
    expect(page.get_by_test_id("plan-table")).to_contain_text("speed change 200%")
    page.screenshot(path=str(ARTIFACTS / "editorial-preview.png"), full_page=True)
    page.get_by_test_id("apply-import").click()
    expect(page.get_by_text("Cut applied")).to_be_visible()
    expect(page.locator("[data-shot=SQ010_0040]")).to_contain_text("228 – 275")
