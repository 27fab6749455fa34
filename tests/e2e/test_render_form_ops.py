"""Resize, deflicker and character consistency launched from the generated form in
Chromium (pickers, number boxes and dropdowns; no JSON typed), run by a real CPU worker;
the result version plays in the browser (a decoded proxy frame), or for the consistency
check, shows its report with the worst frames' thumbnails. For the consistency check the
producer creates the character and uploads its reference still in the browser, and the
owner records the talent's consent on the consents page."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from apps.beta.features import operation_feature_key
from apps.beta.gates import feature_set
from apps.media import samples
from apps.render.models import Job, JobState
from apps.tenancy.scope import tenant_scope
from tests.e2e.conftest import ARTIFACTS
from tests.factories import PASSWORD, Partner, make_partner
from tests.gpu_workers.media import write_movie
from tests.render.helpers import make_input_media, render_farm

pytestmark = pytest.mark.e2e

FACES = Path(__file__).resolve().parents[1] / "gpu_workers" / "data"


@pytest.fixture
def partner(committed_db: None) -> Partner:
    return make_partner("e2e-ops")


@pytest.fixture
def farm(committed_db: None) -> Iterator[str]:
    """A real CPU worker, results intake, scheduler and the platform's media worker."""
    with render_farm("e2e-ops", media_worker=True) as pool_name:
        yield pool_name


def _login(page: Any, base: str, email: str) -> None:
    page.goto(base + "/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    expect(page.get_by_test_id("dashboard-heading")).to_be_visible()


def _open_form(page: Any, base: str, partner: Partner, operation: str) -> Any:
    org, project = partner.organization.slug, partner.project.pk
    page.goto(f"{base}/render/{org}/projects/{project}/jobs/new/")
    expect(page.get_by_test_id("submit-form").locator("textarea")).to_have_count(0)
    page.select_option("[data-testid=submit-operation]", operation)
    fields = page.get_by_test_id(f"op-fields-{operation}")
    expect(fields).to_be_visible()
    return fields


def _launch_and_wait(page: Any, partner: Partner, operation: str, pool: str) -> Job:
    page.select_option("[data-testid=submit-pool]", pool)
    page.get_by_test_id("submit-button").click()
    heading = page.get_by_test_id("job-heading")
    expect(heading).to_contain_text(f"{operation} on {partner.shot.code}")
    job_id = int(heading.inner_text().split()[0].lstrip("#"))
    state = page.get_by_test_id("job-state")
    expect(state).to_have_text("Succeeded", timeout=180_000)
    expect(page.get_by_test_id("job-version")).to_contain_text("v00", timeout=10_000)
    with tenant_scope(partner.organization.pk):
        job = Job.objects.get(pk=job_id)
    assert job.state == JobState.SUCCEEDED and job.version_id is not None, job.error
    print(f"{operation}: {job.gpu_seconds:.3f} GPU-s for {job.work_megapixel_frames:.3f} MP-frames")
    return job


def _assert_plays(page: Any, width: int, height: int) -> None:
    """The version page turns into a player; Chromium decodes the proxy's first frame."""
    page.get_by_test_id("job-version").locator("a").click()
    expect(page.get_by_test_id("version-heading")).to_be_visible()
    expect(page.get_by_test_id("proxy-video")).to_be_visible(timeout=90_000)
    page.wait_for_function(
        "([w, h]) => { const v = document.querySelector('[data-testid=proxy-video]');"
        " return v && v.readyState >= 2 && v.videoWidth === w && v.videoHeight === h; }",
        arg=[width, height],
        timeout=30_000,
    )
    played = page.evaluate(
        "async () => { const v = document.querySelector('[data-testid=proxy-video]');"
        " await v.play(); await new Promise(r => setTimeout(r, 200)); v.pause();"
        " return v.currentTime; }"
    )
    assert played > 0
    expect(page.get_by_test_id("media-state")).to_have_text("Ready")


def _screenshots(page: Any, name: str) -> None:
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_producer_launches_resize_from_the_form_and_the_result_plays(
    page: Any, live_server_url: str, partner: Partner, farm: str, tmp_path: Path
) -> None:
    plate = samples.make_movie(tmp_path / "plate.mov", codec="prores", frames=10, seed=2)
    media = make_input_media(partner, plate.read_bytes(), name="plate.mov")
    _login(page, live_server_url, partner.producer.email)
    fields = _open_form(page, live_server_url, partner, "resize")
    fields.get_by_test_id("input-source").select_option(str(media.pk))
    fields.get_by_test_id("param-input-preset").select_option("")  # "Custom size"
    fields.get_by_test_id("param-input-width").fill("160")
    fields.get_by_test_id("param-input-height").fill("90")
    fields.get_by_test_id("param-input-mode").select_option("fill")
    job = _launch_and_wait(page, partner, "resize", farm)
    assert (job.params["width"], job.params["height"], job.params["mode"]) == (160, 90, "fill")
    _assert_plays(page, 160, 90)
    _screenshots(page, "form-resize-result")


def test_producer_launches_deflicker_from_the_form_and_the_result_plays(
    page: Any, live_server_url: str, partner: Partner, farm: str, tmp_path: Path
) -> None:
    plate = samples.make_movie(tmp_path / "flicker.mov", codec="prores", frames=12, seed=5)
    media = make_input_media(partner, plate.read_bytes(), name="flicker.mov")
    _login(page, live_server_url, partner.producer.email)
    fields = _open_form(page, live_server_url, partner, "deflicker")
    fields.get_by_test_id("input-source").select_option(str(media.pk))
    job = _launch_and_wait(page, partner, "deflicker", farm)
    assert job.inputs["source"]["media_file_id"] == media.pk
    _assert_plays(page, 320, 180)
    expect(page.get_by_test_id("gain-chart")).to_be_visible()
    _screenshots(page, "form-deflicker-result")


def _face_frame(name: str) -> np.ndarray:
    photo = np.asarray(Image.open(FACES / name).convert("RGB"), np.float32) / 255.0
    canvas = np.full((320, 256, 3), 0.2, np.float32)
    canvas[: photo.shape[0], : photo.shape[1]] = photo
    return canvas


def test_producer_checks_character_consistency_from_the_form(
    browser: Any,
    page: Any,
    live_server_url: str,
    partner: Partner,
    farm: str,
    tmp_path: Path,
) -> None:
    org, project = partner.organization.slug, partner.project.pk
    # The studio's beta team switches the operation on for this partner (staff console).
    feature_set(
        key=operation_feature_key("character_consistency"),
        enabled=True,
        actor=None,
        organization=partner.organization,
    )
    shot = write_movie(tmp_path / "sh0010.mov", [_face_frame("obama2.jpg")] * 8)
    source = make_input_media(partner, shot.read_bytes(), name="sh0010.mov")
    _login(page, live_server_url, partner.producer.email)

    # The producer creates the character and uploads its reference still in the browser.
    page.goto(f"{live_server_url}/projects/{org}/{project}/characters/")
    page.get_by_test_id("character-name").fill("The President")
    page.get_by_test_id("character-talent").fill("B. Obama")
    page.get_by_test_id("character-submit").click()
    expect(page.get_by_test_id("character-heading")).to_have_text("The President")
    page.get_by_test_id("stills-upload-open").click()
    page.get_by_test_id("upload-input").set_input_files(str(FACES / "obama.jpg"))
    page.get_by_test_id("upload-start").click()
    expect(page.get_by_test_id("upload-file")).to_have_attribute(
        "data-result", "ready", timeout=90_000
    )
    page.get_by_test_id("upload-close").click()
    expect(page.get_by_test_id("still")).to_have_count(1)

    # Without consent the launch is refused next to the character picker.
    fields = _open_form(page, live_server_url, partner, "character_consistency")
    fields.get_by_test_id("input-source").select_option(str(source.pk))
    fields.get_by_test_id("input-references").select_option(label="obama.jpg (reference)")
    fields.get_by_test_id("submit-character").select_option(label="The President (B. Obama)")
    page.select_option("[data-testid=submit-pool]", farm)
    page.get_by_test_id("submit-button").click()
    fields = page.get_by_test_id("op-fields-character_consistency")
    expect(fields.get_by_test_id("error-character")).to_contain_text("No active likeness consent")

    # The owner records the talent's consent on the consents page (their own browser).
    owner = browser.new_context(viewport={"width": 1280, "height": 900})
    owner_page = owner.new_page()
    _login(owner_page, live_server_url, partner.owner.email)
    owner_page.goto(f"{live_server_url}/render/{org}/projects/{project}/consents/")
    owner_page.get_by_test_id("consent-character").select_option(label="The President (B. Obama)")
    owner_page.get_by_test_id("consent-talent").fill("B. Obama")
    until = datetime.date.today() + datetime.timedelta(days=30)
    owner_page.get_by_test_id("consent-until").fill(until.isoformat())
    document = tmp_path / "consent.pdf"
    document.write_bytes(b"%PDF-1.4 signed likeness release\n%%EOF\n")
    owner_page.get_by_test_id("consent-document").set_input_files(str(document))
    owner_page.get_by_test_id("consent-submit").click()
    expect(owner_page.get_by_text("Consent recorded.")).to_be_visible()
    owner.close()

    # The form kept every choice; launching again now runs the check.
    expect(fields.get_by_test_id("input-source")).to_have_value(str(source.pk))
    expect(fields.get_by_test_id("submit-character")).not_to_have_value("")
    job = _launch_and_wait(page, partner, "character_consistency", farm)
    assert set(job.inputs) == {"source", "references"}

    # The result is the report: every frame checked, the face on-model, thumbnails load.
    page.get_by_test_id("job-version").locator("a").click()
    expect(page.get_by_test_id("version-heading")).to_be_visible()
    expect(page.get_by_test_id("consistency-verdict")).to_contain_text("8 frames checked")
    expect(page.get_by_test_id("consistency-verdict")).to_contain_text("Consistent")
    thumbnail = page.get_by_test_id("report").locator("img").first
    expect(thumbnail).to_be_visible(timeout=30_000)
    page.wait_for_function(
        "() => { const i = document.querySelector('[data-testid=report] img');"
        " return i && i.complete && i.naturalWidth > 0; }",
        timeout=30_000,
    )
    _screenshots(page, "form-consistency-result")
    expect(page.get_by_test_id("report-only")).to_be_visible()
    expect(page.get_by_test_id("version-status")).to_have_text("In review")

    # The producer takes the reference still away again (it asks first).
    page.goto(f"{live_server_url}/projects/{org}/{project}/characters/")
    page.get_by_test_id("character-row").get_by_role("link", name="The President").click()
    expect(page.get_by_test_id("still")).to_have_count(1)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("still-remove").click()
    expect(page.get_by_test_id("stills-empty")).to_be_visible()
    expect(page.get_by_test_id("messages")).to_contain_text("no longer a reference")


def test_producer_changes_the_project_currency_with_the_error_beside_the_field(
    page: Any, live_server_url: str, partner: Partner
) -> None:
    org, project = partner.organization.slug, partner.project.pk
    _login(page, live_server_url, partner.producer.email)
    page.goto(f"{live_server_url}/projects/{org}/{project}/settings/")
    field = page.get_by_test_id("currency-input")
    expect(field).to_have_value("EUR")
    field.fill("XYZ")
    page.get_by_test_id("currency-save").click()
    expect(page.get_by_test_id("currency-error")).to_contain_text("XYZ is not a currency")
    expect(field).to_have_value("XYZ")
    expect(field).to_have_attribute("aria-invalid", "true")
    _screenshots(page, "project-currency-error")
    field.fill("gbp")
    page.get_by_test_id("currency-save").click()
    expect(page.get_by_test_id("messages")).to_contain_text("now in GBP")
    expect(field).to_have_value("GBP")
    page.goto(f"{live_server_url}/render/{org}/projects/{project}/jobs/")
    expect(page.get_by_test_id("budget-total")).to_contain_text("£500.00")
