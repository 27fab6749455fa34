"""Browser: a producer creates a character from the project page, uploads a reference still
through the upload dialog (direct to S3 in parts; a real Celery worker validates it and
makes its poster), sees that consent is missing, then picks the talent's consent record."""

from __future__ import annotations

import datetime
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from apps.media import samples
from apps.production.models import Character
from apps.render import consent
from apps.tenancy.scope import tenant_scope
from tests.e2e.conftest import ARTIFACTS
from tests.factories import PASSWORD, Partner, make_partner
from tests.live_server import ROOT, child_environment

pytestmark = pytest.mark.e2e

WORKER_ARGS = ["-c", "1", "-P", "solo", "--loglevel", "INFO"]


@pytest.fixture(scope="module")
def media_worker(live_server_url: str) -> Iterator[None]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with open(ARTIFACTS / "celery-characters.log", "w") as log:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "studio",
                "worker",
                "-Q",
                "platform",
                *WORKER_ARGS,
            ],
            cwd=ROOT,
            env=child_environment(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        yield
        worker.terminate()
        worker.wait(timeout=20)


@pytest.fixture
def partner(committed_db: None) -> Partner:
    return make_partner("characters")


def _login(page: Any, url: str, partner: Partner) -> None:
    page.goto(url + "/accounts/login/")
    page.fill("input[name=login]", partner.producer.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    expect(page.get_by_test_id("dashboard-heading")).to_be_visible()


def _screenshots(page: Any, name: str) -> None:
    for width in (390, 768, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, f"{name} scrolls sideways at {width}px ({scroll}px wide)"
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_producer_creates_a_character_with_a_reference_still(
    page: Any, live_server_url: str, partner: Partner, media_worker: None, tmp_path: Path
) -> None:
    org, project = partner.organization.slug, partner.project.pk
    _login(page, live_server_url, partner)
    page.goto(f"{live_server_url}/projects/{org}/{project}/")
    page.get_by_test_id("project-characters").click()
    expect(page.get_by_test_id("characters-heading")).to_be_visible()
    expect(page.get_by_test_id("characters-empty")).to_be_visible()

    # A blank name is refused next to the field; what was typed stays.
    page.get_by_test_id("character-talent").fill("Ana Ruiz")
    page.get_by_test_id("character-submit").click()
    expect(page.get_by_test_id("character-name-error")).to_contain_text("needs a name")
    expect(page.get_by_test_id("character-talent")).to_have_value("Ana Ruiz")

    page.get_by_test_id("character-name").fill("Mara")
    page.get_by_test_id("character-description").fill("Lead; scar over the left eyebrow.")
    page.get_by_test_id("character-submit").click()
    expect(page.get_by_test_id("character-heading")).to_have_text("Mara")
    expect(page.get_by_test_id("character-created")).to_be_visible()
    state = page.get_by_test_id("character-consent-panel")
    expect(state.get_by_test_id("character-consent-state")).to_have_attribute(
        "data-state", "missing"
    )
    expect(state).to_contain_text("Character consistency will be refused")

    # The reference still goes through the normal multipart upload dialog.
    still = samples.make_still(tmp_path / "mara_front.png", width=320, height=240)
    page.get_by_test_id("stills-upload-open").click()
    page.get_by_test_id("upload-input").set_input_files(str(still))
    page.get_by_test_id("upload-start").click()
    row = page.get_by_test_id("upload-file")
    expect(row).to_have_attribute("data-result", "ready", timeout=90_000)
    page.get_by_test_id("upload-close").click()
    stills = page.get_by_test_id("still")
    expect(stills).to_have_count(1)
    expect(stills.first).to_have_attribute("data-state", "ready")
    expect(stills.first.locator("img")).to_be_visible()
    expect(page.get_by_test_id("stills-region")).to_have_attribute("data-count", "1")

    # The owner records the talent's consent; the producer picks it for the character.
    today = datetime.date.today()
    with tenant_scope(partner.organization.pk, user_id=partner.owner.pk):
        character = Character.objects.get(project=partner.project, name="Mara")
        consent.consent_record_create(
            actor=partner.owner,
            project=partner.project,
            character=character,
            talent_name="Ana Ruiz",
            scopes=["likeness"],
            valid_from=today,
            valid_until=today + datetime.timedelta(days=90),
            document_name="consent.pdf",
            document_content=b"%PDF-1.4 signed",
        )
    page.reload()
    expect(state.get_by_test_id("character-consent-state")).to_have_attribute(
        "data-state", "active"
    )
    page.get_by_test_id("character-consent").select_option(index=1)  # Ana Ruiz's record
    page.get_by_test_id("character-save").click()
    expect(page.get_by_test_id("character-saved")).to_be_visible()
    expect(page.get_by_test_id("character-consent")).not_to_have_value("")
    _screenshots(page, "character-page")

    page.get_by_test_id("breadcrumb").get_by_role("link", name="Characters", exact=True).click()
    listing = page.get_by_test_id("character-row")
    expect(listing).to_have_count(1)
    expect(listing.get_by_test_id("character-still-count")).to_have_text("1 reference still")
    expect(listing.get_by_test_id("character-consent-state")).to_have_attribute(
        "data-state", "active"
    )
    expect(listing.locator("img")).to_be_visible()
    _screenshots(page, "characters-page")
