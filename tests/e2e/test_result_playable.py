"""A job's result plays on its version page: a real GPU worker process resizes a plate,
the results intake records the version, the platform's media worker validates the output
and makes its review proxy, and the producer's open page turns from "processing" into a
player without a reload; the original downloads through a signed link. Every output is
listed by role with a working download link, and the job's report is shown as tables (a
shot match: the ASC CDL per channel with its fit error)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from apps.media import samples
from apps.media.models import MediaFile, ProxyStatus
from apps.production.models import Version
from apps.render import submission
from apps.render.models import Job, JobState
from apps.tenancy.scope import tenant_scope
from tests.e2e.conftest import ARTIFACTS
from tests.factories import PASSWORD, Partner, make_partner
from tests.render.helpers import (
    make_input_media,
    render_farm,
    wait_for,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def partner(committed_db: None) -> Partner:
    return make_partner("e2e-result")


@pytest.fixture
def farm(committed_db: None) -> Iterator[str]:
    """One real GPU worker (CPU pool), the results intake, the scheduler and the
    platform's media worker (validation and proxies), as `make run` starts them."""
    with render_farm("e2e-result", media_worker=True) as pool_name:
        yield pool_name


def _login(page: Any, base: str, email: str) -> None:
    page.goto(base + "/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    expect(page.get_by_test_id("dashboard-heading")).to_be_visible()


def _finished(partner: Partner, job_id: int) -> Job | None:
    with tenant_scope(partner.organization.pk):
        job = Job.objects.select_related("version").get(pk=job_id)
    return job if job.state in (JobState.SUCCEEDED, JobState.FAILED) else None


def test_a_resize_result_plays_on_its_version_page(
    page: Any, live_server_url: str, partner: Partner, farm: str, tmp_path: Path
) -> None:
    plate = samples.make_movie(tmp_path / "plate.mov", codec="prores", frames=24)
    media = make_input_media(partner, plate.read_bytes(), name="plate.mov")
    with tenant_scope(partner.organization.pk, user_id=partner.producer.pk):
        job = submission.job_submit(
            actor=partner.producer,
            project=partner.project,
            shot=partner.shot,
            operation="resize",
            params={"width": 256, "height": 144, "mode": "fit"},
            inputs={"source": media.pk},
            pool=farm,
        )
    _login(page, live_server_url, partner.producer.email)
    org = partner.organization.slug
    done = wait_for(lambda: _finished(partner, job.pk), timeout=240, message="the resize job")
    assert done.state == JobState.SUCCEEDED, done.error
    assert done.version is not None

    # The producer opens the result at once: it is being processed, then plays in place.
    page.goto(f"{live_server_url}/projects/{org}/{partner.project.pk}/versions/{done.version.pk}/")
    expect(page.get_by_test_id("version-heading")).to_contain_text("v001")
    video = page.get_by_test_id("proxy-video")
    expect(video).to_be_visible(timeout=60_000)
    with tenant_scope(partner.organization.pk):
        version = Version.objects.get(pk=done.version.pk)
        source = MediaFile.objects.get(version=version, derived_from__isnull=True)
        proxy = MediaFile.objects.get(derived_from=source, kind="proxy", viewer__isnull=True)
    assert source.proxy_status == ProxyStatus.READY and source.role == "main"
    assert (source.width, source.height, source.frame_count) == (256, 144, 24)
    assert done.finished_at is not None
    playable_after = (proxy.created_at - done.finished_at).total_seconds()
    print(f"result playable {playable_after:.2f} s after the job succeeded")
    assert playable_after < 60

    src = video.get_attribute("src")
    assert src and f"/{proxy.pk}/" in src
    # The browser decodes the proxy's first frame (frame 0 = the shot's first frame).
    page.wait_for_function(
        "() => { const v = document.querySelector('[data-testid=proxy-video]');"
        " return v && v.readyState >= 2 && v.videoWidth === 256 && v.currentTime === 0; }",
        timeout=30_000,
    )
    expect(page.get_by_test_id("player-frame")).to_have_text(str(partner.shot.cut_in))
    played = page.evaluate(
        "async () => { const v = document.querySelector('[data-testid=proxy-video]');"
        " await v.play(); await new Promise(r => setTimeout(r, 300)); v.pause();"
        " return v.currentTime; }"
    )
    assert played > 0
    expect(page.get_by_test_id("filmstrip")).to_be_visible()
    expect(page.get_by_test_id("media-state")).to_have_text("Ready")
    for width in (390, 768, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(ARTIFACTS / f"result-playable-{width}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # "Download original" is the resized movie (never a report), through a signed link.
    page.set_viewport_size({"width": 1280, "height": 900})
    with page.expect_download() as download_info:
        page.get_by_test_id("download-original").click()
    download = download_info.value
    assert download.suggested_filename == source.original_filename
    body = Path(download.path()).read_bytes()
    assert hashlib.sha256(body).hexdigest() == source.sha256

    # The outputs list: the resized movie, with its size and a signed download link.
    outputs = page.get_by_test_id("output")
    expect(outputs).to_have_count(1)
    expect(outputs.first).to_have_attribute("data-role", "main")
    expect(outputs.first).to_contain_text(source.original_filename)
    _check_downloads(page, live_server_url, {source.pk: source})
    # Resize writes no JSON report: its metrics are shown as a small table.
    report = page.get_by_test_id("report")
    expect(report).to_contain_text("Resize report")
    expect(report.get_by_test_id("report-metrics")).to_contain_text("256×144")
    expect(report.get_by_test_id("report-metrics")).to_contain_text("lanczos3")


def _check_downloads(page: Any, base: str, media: dict[int, MediaFile]) -> None:
    """Every listed output's download link serves exactly the stored bytes."""
    links = page.get_by_test_id("output-download")
    expect(links).to_have_count(len(media))
    for index in range(len(media)):
        href = links.nth(index).get_attribute("href")
        assert href
        media_id = int(href.rstrip("/").split("/")[-2])
        response = page.request.get(base + href)
        assert response.ok, (href, response.status)
        assert response.headers["content-disposition"].startswith("attachment;")
        assert hashlib.sha256(response.body()).hexdigest() == media[media_id].sha256


def test_a_shot_match_result_lists_its_outputs_and_shows_its_cdl(
    page: Any, live_server_url: str, partner: Partner, farm: str, tmp_path: Path
) -> None:
    plate = samples.make_movie(tmp_path / "plate.mov", codec="prores", frames=12, seed=1)
    look = samples.make_movie(tmp_path / "look.mov", codec="prores", frames=6, seed=7)
    source = make_input_media(partner, plate.read_bytes(), name="plate.mov")
    reference = make_input_media(partner, look.read_bytes(), name="look.mov")
    with tenant_scope(partner.organization.pk, user_id=partner.producer.pk):
        job = submission.job_submit(
            actor=partner.producer,
            project=partner.project,
            shot=partner.shot,
            operation="shot_match",
            params={"strength": 0.8},
            inputs={"source": source.pk, "reference": reference.pk},
            pool=farm,
        )
    _login(page, live_server_url, partner.producer.email)
    done = wait_for(lambda: _finished(partner, job.pk), timeout=240, message="the shot match")
    assert done.state == JobState.SUCCEEDED, done.error
    assert done.version is not None
    org = partner.organization.slug
    page.goto(f"{live_server_url}/projects/{org}/{partner.project.pk}/versions/{done.version.pk}/")
    expect(page.get_by_test_id("proxy-video")).to_be_visible(timeout=60_000)
    with tenant_scope(partner.organization.pk):
        stored = {
            m.pk: m
            for m in MediaFile.objects.filter(version_id=done.version.pk, derived_from__isnull=True)
        }
    roles = [
        page.get_by_test_id("output").nth(i).get_attribute("data-role")
        for i in range(page.get_by_test_id("output").count())
    ]
    assert roles == ["main", "cdl", "cc", "report"]
    expect(page.get_by_test_id("output").first).to_contain_text("Graded movie")
    _check_downloads(page, live_server_url, stored)

    # The report: the CDL per channel (the numbers the .cdl carries) and its fit error.
    report = page.get_by_test_id("report")
    expect(report).to_contain_text("Shot match report")
    cdl = next(m for m in stored.values() if m.role == "cdl")
    body = page.request.get(live_server_url + f"/media/{org}/{cdl.pk}/download/").text()
    slope = body.split("<Slope>")[1].split("</Slope>")[0].split()
    red = page.get_by_test_id("cdl-red").locator("td")
    assert abs(float(red.nth(0).inner_text()) - float(slope[0])) < 1e-3
    expect(page.get_by_test_id("cdl-fit-rmse")).to_have_text(re.compile(r"^0\.\d{5}$"))
    expect(report).to_contain_text("0.8")  # the strength asked for
    for width in (390, 768, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=str(ARTIFACTS / f"result-outputs-{width}.png"), full_page=True)


def test_a_deflicker_result_draws_its_gain_curve(
    page: Any, live_server_url: str, partner: Partner, farm: str, tmp_path: Path
) -> None:
    plate = samples.make_movie(tmp_path / "plate.mov", codec="prores", frames=12, seed=3)
    source = make_input_media(partner, plate.read_bytes(), name="plate.mov")
    with tenant_scope(partner.organization.pk, user_id=partner.producer.pk):
        job = submission.job_submit(
            actor=partner.producer,
            project=partner.project,
            shot=partner.shot,
            operation="deflicker",
            params={},
            inputs={"source": source.pk},
            pool=farm,
        )
    _login(page, live_server_url, partner.producer.email)
    done = wait_for(lambda: _finished(partner, job.pk), timeout=240, message="the deflicker")
    assert done.state == JobState.SUCCEEDED, done.error
    assert done.version is not None
    org = partner.organization.slug
    page.goto(f"{live_server_url}/projects/{org}/{partner.project.pk}/versions/{done.version.pk}/")
    expect(page.get_by_test_id("proxy-video")).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("output").first).to_contain_text("Deflickered movie")
    chart = page.get_by_test_id("gain-chart")
    expect(chart).to_be_visible()
    line = chart.get_by_test_id("gain-line")
    expect(line).to_have_count(1)
    points = (line.get_attribute("points") or "").split()
    assert len(points) == 12  # one point per frame
    box = chart.locator("svg").bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 50
    expect(page.get_by_test_id("report")).to_contain_text("Flicker before")
    for width in (390, 768, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=str(ARTIFACTS / f"result-deflicker-{width}.png"), full_page=True)
