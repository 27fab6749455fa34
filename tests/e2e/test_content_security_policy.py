"""The Content-Security-Policy in a real browser (security issue 16, item 13): pages run
their scripts, and Chromium reports no violation; the confirm and auto-submit controls
that used to be inline handlers still work."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, Partner, make_partner


@pytest.fixture
def partner(committed_db: None) -> Partner:
    return make_partner("csp")


def test_pages_run_under_the_policy_without_violations(
    page: Any, live_server_url: str, partner: Partner
) -> None:
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.goto(live_server_url + "/accounts/login/")
    page.fill("input[name=login]", partner.producer.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    expect(page.get_by_test_id("dashboard-heading")).to_be_visible()
    org, project = partner.organization.slug, partner.project.pk
    for path in (
        "/",
        f"/projects/{org}/{project}/",
        f"/projects/{org}/{project}/shots/{partner.shot.pk}/",
        "/settings/tokens/",
        "/api/docs/",
    ):
        response = page.goto(live_server_url + path)
        assert response is not None and response.status < 400, path
        assert "script-src 'self' 'nonce-" in response.headers["content-security-policy"]
        page.wait_for_load_state("load")
    # Swagger UI is built by its (nonce-carrying) inline script.
    expect(page.locator(".swagger-ui").first).to_be_visible(timeout=15_000)
    # The inbox filter submits itself on change (no inline handler).
    page.goto(live_server_url + "/inbox/")
    kind = page.get_by_test_id("inbox-kind")
    options = kind.locator("option")
    if options.count() > 1:
        value = options.nth(1).get_attribute("value")
        with page.expect_navigation():
            kind.select_option(value)
        assert f"kind={value}" in page.url
    assert violations == []
