"""Render jobs in the browser: launch, live progress and logs, result with provenance,
cancel; consent records with a signed document."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from apps.production.services import character_create
from apps.render import pools, submission
from apps.render.models import PoolState
from apps.tenancy.scope import tenant_scope
from tests.e2e.conftest import ARTIFACTS
from tests.factories import PASSWORD, Partner, make_partner
from tests.render.helpers import (
    make_input_media,
    make_pool,
)
from tests.render.helpers import render_farm as render_farm_processes

pytestmark = pytest.mark.e2e


@pytest.fixture
def partner(committed_db: None) -> Partner:
    return make_partner("e2e-render")


@pytest.fixture
def render_farm(committed_db: None) -> Iterator[str]:
    """A pool with one real worker, the results intake and the scheduler."""
    with render_farm_processes("e2e-render") as pool_name:
        yield pool_name


def _login(page: Any, base: str, email: str) -> None:
    page.goto(base + "/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    expect(page.get_by_test_id("dashboard-heading")).to_be_visible()


def test_producer_launches_a_job_and_watches_it_finish_into_a_version(
    page: Any, live_server_url: str, partner: Partner, render_farm: str
) -> None:
    media = make_input_media(partner, b"e2e plate", name="plate_e2e.exr")
    _login(page, live_server_url, partner.producer.email)
    org = partner.organization.slug
    page.goto(f"{live_server_url}/render/{org}/projects/{partner.project.pk}/jobs/")
    expect(page.get_by_test_id("jobs-empty")).to_be_visible()
    expect(page.get_by_test_id("render-live")).to_contain_text("Live")
    page.select_option("[data-testid=submit-operation]", "noop")
    noop = page.get_by_test_id("op-fields-noop")
    noop.get_by_test_id("input-source").select_option(str(media.pk))
    page.select_option("[data-testid=submit-pool]", render_farm)
    noop.get_by_test_id("param-input-seconds").fill("3")
    noop.get_by_test_id("param-input-steps").fill("12")
    page.screenshot(path=str(ARTIFACTS / "render-jobs-form.png"), full_page=True)
    page.get_by_test_id("submit-button").click()

    expect(page.get_by_test_id("job-heading")).to_contain_text("noop on SH0010")
    expect(page.get_by_test_id("render-live")).to_contain_text("Live")
    # Progress arrives over the websocket while the worker runs.
    expect(page.get_by_test_id("job-state")).to_have_text("Running", timeout=60_000)
    expect(page.get_by_test_id("job-logs")).to_contain_text("started on", timeout=10_000)
    page.wait_for_function(  # a function, not an expression string: the CSP has no eval
        "() => Number(document.querySelector('[data-testid=job-progress]')"
        ".getAttribute('aria-valuenow')) > 0",
        timeout=15_000,
    )
    page.screenshot(path=str(ARTIFACTS / "render-job-running.png"), full_page=True)
    expect(page.get_by_test_id("job-state")).to_have_text("Succeeded", timeout=60_000)
    expect(page.get_by_test_id("provenance")).to_be_visible(timeout=10_000)
    expect(page.get_by_test_id("job-version")).to_contain_text("v001")
    expect(page.get_by_test_id("provenance")).to_contain_text(media.sha256)
    expect(page.get_by_test_id("provenance-worker")).to_contain_text("cpu")
    page.screenshot(path=str(ARTIFACTS / "render-job-done.png"), full_page=True)

    with page.expect_download() as download_info:
        page.get_by_test_id("provenance-download").click()
    record = json.loads(Path(download_info.value.path()).read_text())
    assert record["operation"] == "noop" and record["inputs"][0]["sha256"] == media.sha256
    assert record["version"]["label"] == "v001"

    page.goto(f"{live_server_url}/render/{org}/projects/{partner.project.pk}/jobs/")
    row = page.get_by_test_id("job-row").first
    expect(row.get_by_test_id("job-state")).to_have_text("Succeeded")
    expect(row).to_contain_text("v001")


def test_producer_cancels_a_running_job_from_the_job_page(
    page: Any, live_server_url: str, partner: Partner, render_farm: str
) -> None:
    _login(page, live_server_url, partner.producer.email)
    org = partner.organization.slug
    page.goto(f"{live_server_url}/render/{org}/projects/{partner.project.pk}/jobs/")
    page.select_option("[data-testid=submit-operation]", "noop")
    page.select_option("[data-testid=submit-pool]", render_farm)
    noop = page.get_by_test_id("op-fields-noop")
    noop.get_by_test_id("param-input-seconds").fill("120")
    noop.get_by_test_id("param-input-steps").fill("600")
    page.get_by_test_id("submit-button").click()
    expect(page.get_by_test_id("job-state")).to_have_text("Running", timeout=60_000)
    page.get_by_test_id("cancel-button").click()
    # The page reloads after the cancel POST; an event sent before its socket joins is
    # caught up when the socket connects: no reload needed.
    expect(page.get_by_test_id("job-state")).to_have_text("Cancelled", timeout=45_000)
    expect(page.get_by_test_id("job-logs")).to_contain_text("cancelled: the worker stopped")
    expect(page.get_by_test_id("retry-button")).to_be_visible()
    expect(page.get_by_test_id("cancel-button")).to_be_hidden()
    page.screenshot(path=str(ARTIFACTS / "render-job-cancelled.png"), full_page=True)


def test_a_job_event_missed_while_offline_shows_on_reconnect_without_a_reload(
    page: Any, live_server_url: str, partner: Partner
) -> None:
    """The job page's socket is down (refused by the network) while the job is cancelled;
    when it comes back, the header badge, the actions and the log catch up in place."""
    pool = make_pool(capacity=1)
    pools.pool_update(actor=None, pool=pool, state=PoolState.PAUSED)  # the job stays queued
    with tenant_scope(partner.organization.pk, user_id=partner.producer.pk):
        job = submission.job_submit(
            actor=partner.producer,
            project=partner.project,
            shot=partner.shot,
            operation="resize",
            params={"width": 64, "height": 36},
            inputs={"source": make_input_media(partner, name="plate.exr").pk},
            pool=pool.name,
        )
    online = {"on": False}

    def network(ws: Any) -> None:
        if online["on"]:
            ws.connect_to_server()
        else:
            ws.close()

    page.route_web_socket("**/ws/projects/**", network)
    _login(page, live_server_url, partner.producer.email)
    page.goto(f"{live_server_url}/render/{partner.organization.slug}/jobs/{job.pk}/")
    expect(page.get_by_test_id("job-state")).to_have_text("Queued")
    expect(page.get_by_test_id("render-live")).to_have_attribute("data-state", "offline")
    marker = page.evaluate("() => (window.__notReloaded = true)")
    assert marker is True
    with tenant_scope(partner.organization.pk, user_id=partner.producer.pk):
        submission.job_cancel(actor=partner.producer, job=job)

    online["on"] = True
    expect(page.get_by_test_id("render-live")).to_have_attribute(
        "data-state", "live", timeout=20_000
    )
    expect(page.get_by_test_id("job-state")).to_have_text("Cancelled", timeout=10_000)
    expect(page.get_by_test_id("job-logs")).to_contain_text("cancelled while queued")
    expect(page.get_by_test_id("retry-button")).to_be_visible()
    expect(page.get_by_test_id("cancel-button")).to_be_hidden()
    assert page.evaluate("() => window.__notReloaded === true")


def test_owner_records_consent_with_a_signed_document(
    page: Any, live_server_url: str, partner: Partner, tmp_path: Any
) -> None:
    with tenant_scope(partner.organization.pk, user_id=partner.owner.pk):
        character_create(
            actor=partner.owner, project=partner.project, name="Mara", talent_name="Ana Ruiz"
        )
    document = tmp_path / "ana-ruiz-consent.pdf"
    document.write_bytes(b"%PDF-1.4 signed consent")
    until = (datetime.date.today() + datetime.timedelta(days=90)).isoformat()

    _login(page, live_server_url, partner.owner.email)
    org = partner.organization.slug
    page.goto(f"{live_server_url}/render/{org}/projects/{partner.project.pk}/consents/")
    expect(page.get_by_test_id("consents-empty")).to_be_visible()
    page.fill("[data-testid=consent-talent]", "Ana Ruiz")
    page.fill("[data-testid=consent-until]", until)
    page.set_input_files("[data-testid=consent-document]", str(document))
    page.get_by_test_id("consent-submit").click()
    row = page.get_by_test_id("consent-row").first
    expect(row).to_contain_text("Ana Ruiz")
    expect(row.get_by_test_id("consent-state")).to_have_text("Active")
    expect(row).to_contain_text("ana-ruiz-consent.pdf")
    page.screenshot(path=str(ARTIFACTS / "render-consents.png"), full_page=True)
    row.get_by_test_id("consent-revoke").click()
    expect(page.get_by_test_id("consent-row").first.get_by_test_id("consent-state")).to_have_text(
        "Revoked"
    )

    # A producer sees the records but cannot record or revoke consent.
    page.context.clear_cookies()
    _login(page, live_server_url, partner.producer.email)
    page.goto(f"{live_server_url}/render/{org}/projects/{partner.project.pk}/consents/")
    expect(page.get_by_test_id("consent-row")).to_have_count(1)
    expect(page.get_by_test_id("consent-form")).to_have_count(0)
