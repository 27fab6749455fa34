"""Browser: upload a movie through the dialog (direct to S3 in parts), a real Celery worker
validates it and makes the proxy, and the version page plays the H.264 proxy."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from apps.media import samples
from tests.e2e.conftest import ARTIFACTS
from tests.factories import PASSWORD, Partner, make_partner
from tests.live_server import ROOT, child_environment

pytestmark = pytest.mark.e2e

# The live server (started after collection, with this environment) cuts uploads into
# 5 MiB parts, S3's minimum, so a small movie already makes a multipart upload.
PART_SIZE = 5 * 1024 * 1024
os.environ.setdefault("MEDIA_UPLOAD_PART_SIZE", str(PART_SIZE))


@pytest.fixture(scope="module")
def celery_worker(live_server_url: str) -> Iterator[None]:
    env = child_environment()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = open(ARTIFACTS / "celery-media.log", "w")  # noqa: SIM115 - closed below
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
            "-c",
            "1",
            "-P",
            "solo",
            "--loglevel",
            "INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    yield
    worker.terminate()
    worker.wait(timeout=20)
    log.close()


@pytest.fixture
def partner(committed_db: None) -> Partner:
    return make_partner("upload")


def _login(page: Any, url: str, partner: Partner) -> None:
    page.goto(url + "/accounts/login/")
    page.fill("input[name=login]", partner.producer.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    expect(page.get_by_test_id("dashboard-heading")).to_be_visible()


def _shot_url(url: str, partner: Partner) -> str:
    org = partner.organization.slug
    return f"{url}/projects/{org}/{partner.project.pk}/shots/{partner.shot.pk}/"


def test_upload_a_movie_and_watch_its_proxy_play(
    page: Any, live_server_url: str, partner: Partner, celery_worker: None, tmp_path: Path
) -> None:
    movie = samples.make_movie(tmp_path / "A001_plate.mov", codec="h264", frames=36)
    _login(page, live_server_url, partner)
    page.goto(_shot_url(live_server_url, partner))
    expect(page.get_by_test_id("stack-empty")).to_be_visible()
    page.get_by_test_id("open-upload").click()
    page.get_by_test_id("upload-input").set_input_files(str(movie))
    page.get_by_test_id("upload-start").click()
    row = page.locator("[data-testid=upload-file][data-filename='A001_plate.mov']")
    expect(row).to_have_attribute("data-progress", "100", timeout=30_000)
    expect(row).to_have_attribute("data-result", "ready", timeout=90_000)
    expect(row.get_by_test_id("upload-state")).to_have_text("Ready: v001")
    page.screenshot(path=str(ARTIFACTS / "upload-dialog.png"))

    page.get_by_test_id("upload-close").click()
    item = page.locator("[data-testid=version-item][data-version=v001]")
    expect(item.get_by_test_id("version-status")).to_have_text("In review")
    page.screenshot(path=str(ARTIFACTS / "shot-stack.png"), full_page=True)
    item.get_by_test_id("version-link").click()

    video = page.get_by_test_id("proxy-video")
    expect(video).to_be_visible()
    page.wait_for_function("() => document.querySelector('video').readyState >= 2", timeout=20_000)
    assert page.evaluate("document.querySelector('video').videoWidth") == 320
    page.evaluate("document.querySelector('video').play()")
    # Decoded frames really reach the screen (H.264 in MP4 plays in Debian's Chromium).
    page.wait_for_function(
        "() => Number(document.querySelector('[data-player]').dataset.presentedFrames || 0) > 5"
        " && document.querySelector('video').currentTime > 0.2",
        timeout=20_000,
    )
    page.evaluate("document.querySelector('video').pause()")
    page.evaluate("document.querySelector('video').currentTime = 10.5 / (24000 / 1001)")
    expect(page.get_by_test_id("player-frame")).to_have_text(str(partner.shot.cut_in + 10))
    page.keyboard.press("ArrowRight")
    expect(page.get_by_test_id("player-frame")).to_have_text(str(partner.shot.cut_in + 11))
    expect(page.get_by_test_id("probe-codec")).to_contain_text("h264")
    expect(page.get_by_test_id("filmstrip")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "version-player.png"), full_page=True)

    # The shot list shows the poster frame (through a fresh signed link) and the status.
    page.goto(f"{live_server_url}/projects/{partner.organization.slug}/{partner.project.pk}/")
    row = page.locator("[data-testid=shot-row][data-shot=SH0010]")
    expect(row.get_by_test_id("shot-status")).to_have_text("In review")
    page.wait_for_function(
        "() => { const img = document.querySelector('[data-testid=shot-thumb]');"
        " return img && img.complete && img.naturalWidth === 320; }",
        timeout=10_000,
    )
    page.screenshot(path=str(ARTIFACTS / "shot-list.png"), full_page=True)


def test_malformed_upload_shows_its_reason(
    page: Any, live_server_url: str, partner: Partner, celery_worker: None, tmp_path: Path
) -> None:
    fake = tmp_path / "B002_plate.mov"
    fake.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 4096)
    _login(page, live_server_url, partner)
    page.goto(_shot_url(live_server_url, partner))
    page.get_by_test_id("open-upload").click()
    page.get_by_test_id("upload-input").set_input_files(str(fake))
    page.get_by_test_id("upload-start").click()
    row = page.locator("[data-testid=upload-file][data-filename='B002_plate.mov']")
    expect(row).to_have_attribute("data-result", "rejected", timeout=60_000)
    expect(row.get_by_test_id("upload-state")).to_contain_text("wrong magic bytes")
    page.get_by_test_id("upload-close").click()
    expect(page.get_by_test_id("rejection-reason")).to_contain_text(
        "named as a QuickTime/MP4 movie but its content is PNG image"
    )
    page.screenshot(path=str(ARTIFACTS / "upload-rejected.png"), full_page=True)


def test_upload_resumes_after_a_dropped_part_and_a_page_reload(
    page: Any, live_server_url: str, partner: Partner, celery_worker: None, tmp_path: Path
) -> None:
    from apps.media.models import MediaFile
    from apps.tenancy.scope import tenant_scope

    # ~7 MB: two parts of 5 MiB.
    movie = samples.make_movie(
        tmp_path / "C003_plate.mov", codec="dnxhr", frames=26, width=1280, height=720
    )
    assert PART_SIZE < movie.stat().st_size <= 2 * PART_SIZE
    _login(page, live_server_url, partner)
    page.goto(_shot_url(live_server_url, partner))
    # The network drops whenever part 2 is sent: part 1 is stored, part 2 never arrives.
    part_two = re.compile(r".*[?&]partNumber=2(&.*)?$")
    page.route(part_two, lambda route: route.abort("connectionreset"))
    page.get_by_test_id("open-upload").click()
    page.get_by_test_id("upload-input").set_input_files(str(movie))
    page.get_by_test_id("upload-start").click()
    row = page.locator("[data-testid=upload-file][data-filename='C003_plate.mov']")
    expect(row).to_have_attribute("data-result", "error", timeout=60_000)
    expect(row.get_by_test_id("upload-state")).to_contain_text("connection lost")
    page.unroute(part_two)

    # Reload the page, pick the same file: the upload continues from the stored part.
    page.reload()
    page.get_by_test_id("open-upload").click()
    page.get_by_test_id("upload-input").set_input_files(str(movie))
    page.get_by_test_id("upload-start").click()
    row = page.locator("[data-testid=upload-file][data-filename='C003_plate.mov']")
    expect(row).to_have_attribute("data-resumed", "1", timeout=20_000)
    expect(row).to_have_attribute("data-result", "ready", timeout=120_000)
    page.screenshot(path=str(ARTIFACTS / "upload-resumed.png"))
    upload_id = int(row.get_attribute("data-upload-id"))
    with tenant_scope(partner.organization.pk):
        media = MediaFile.objects.get(pk=upload_id)
    assert media.part_count == 2
    assert media.sha256 == hashlib.sha256(movie.read_bytes()).hexdigest()


def test_producer_creates_a_project_from_the_projects_page(
    page: Any, live_server_url: str, partner: Partner
) -> None:
    _login(page, live_server_url, partner)
    page.get_by_test_id("nav-projects").click()
    expect(page.get_by_test_id("projects-heading")).to_be_visible()
    page.get_by_test_id("project-name").fill("Harbour Lights")
    page.get_by_test_id("project-rate").fill("25")
    page.get_by_test_id("project-color-space").select_option("ACEScct")
    page.get_by_test_id("project-timecode").fill("10:00:00:00")
    page.get_by_test_id("project-create-submit").click()
    expect(page.get_by_test_id("project-heading")).to_have_text("Harbour Lights")
    expect(page.get_by_test_id("project-working-space")).to_have_text("ACEScct")
    page.screenshot(path=str(ARTIFACTS / "project-created.png"), full_page=True)
