"""The offline assistant turns a review session's notes into a task list in the browser;
it stays a suggestion until the producer accepts it."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS
from tests.factories import PASSWORD, Partner, make_partner

pytestmark = pytest.mark.e2e

NOTES = [
    (1010, "Remove the wire at the top left, it catches the light."),
    (1014, "Please paint out the wire in the top left corner."),
    (1030, "Warm up the sky a touch, it reads too blue against the plate."),
]


@pytest.fixture
def reviewed(committed_db: None) -> tuple[Partner, Any]:
    from apps.production.services import version_create
    from apps.review.notes import note_create
    from apps.review.sessions import session_create
    from apps.tenancy.scope import tenant_scope
    from apps.tenancy.selectors import members_of_current_organization

    partner = make_partner("assist")
    with tenant_scope(partner.organization.pk, user_id=partner.owner.pk):
        version = version_create(actor=partner.owner, shot=partner.shot, source="upload")
        members = {m.user_id: m for m in members_of_current_organization()}
        session = session_create(
            actor=members[partner.owner.pk],
            project=partner.project,
            title="Tuesday dailies",
            version_ids=[version.pk],
        )
        for frame, text in NOTES:
            note_create(
                actor=members[partner.producer.pk],
                version=version,
                frame_in=frame,
                text=text,
            )
    return partner, session


def test_offline_task_list_from_a_session_in_the_browser(
    page: Any, live_server_url: str, reviewed: tuple[Partner, Any]
) -> None:
    partner, _session = reviewed
    page.goto(live_server_url + "/accounts/login/")
    page.fill("input[name=login]", partner.producer.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url("**/dashboard/**")
    page.goto(
        f"{live_server_url}/projects/{partner.organization.slug}/{partner.project.pk}/assistant/"
    )
    expect(page.get_by_test_id("providers-table")).to_contain_text("Backlot offline assistant")
    page.get_by_test_id("assist-source").select_option(label="Tuesday dailies (Scheduled)")
    page.get_by_test_id("suggest-tasks").click()
    suggestion = page.get_by_test_id("suggestion").first
    expect(suggestion.get_by_test_id("suggestion-status")).to_have_text("Suggestion")
    rows = suggestion.get_by_test_id("task-row")
    expect(rows).to_have_count(2)  # the two wire notes became one task
    expect(suggestion).to_contain_text("1010, 1014")
    page.screenshot(path=str(ARTIFACTS / "assistant.png"), full_page=True)
    suggestion.get_by_test_id("accept-suggestion").click()
    expect(
        page.get_by_test_id("suggestion").first.get_by_test_id("suggestion-status")
    ).to_have_text("Accepted")


def test_the_owner_opts_the_project_in_to_an_ai_policy(
    page: Any, live_server_url: str, reviewed: tuple[Partner, Any]
) -> None:
    partner, _session = reviewed
    page.goto(live_server_url + "/accounts/login/")
    page.fill("input[name=login]", partner.owner.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url("**/dashboard/**")
    page.goto(
        f"{live_server_url}/projects/{partner.organization.slug}/{partner.project.pk}/assistant/"
    )
    status = page.get_by_test_id("policy-status")
    expect(status).to_contain_text("not accepted by the partner owner")
    # The terms each provider declares are shown with their dated source.
    expect(page.get_by_test_id("providers-table")).to_contain_text("docs/assist.md")
    page.get_by_test_id("policy-accept").locator("input").check()
    page.get_by_test_id("policy-save").click()
    expect(page.get_by_test_id("policy-status")).to_contain_text("accepted by")
