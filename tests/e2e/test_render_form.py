"""The generated launch form in the browser: shot match (source + reference) and key /
composite (foreground + background) launched with no JSON typed, a validation error that
keeps every choice, and "Re-run with changes" from the version page with a changed
strength, producing a child job with its parent recorded and the lineage shown."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import expect

from apps.render.models import Job
from apps.tenancy.scope import tenant_scope
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_render import _login
from tests.factories import Partner, make_partner
from tests.gpu_workers.media import gradient_scene, write_movie
from tests.gpu_workers.test_key_composite import green_screen_plate, known_matte
from tests.render.helpers import (
    make_input_media,
)
from tests.render.helpers import render_farm as render_farm_processes

pytestmark = pytest.mark.e2e


@pytest.fixture
def partner(committed_db: None) -> Partner:
    return make_partner("e2e-form")


@pytest.fixture
def render_farm(committed_db: None) -> Iterator[str]:
    with render_farm_processes("e2e-form") as pool_name:
        yield pool_name


def _movie(tmp_path: Path, name: str, frames: list[Any]) -> bytes:
    return write_movie(tmp_path / name, frames).read_bytes()


def _job_id(page: Any) -> int:
    return int(page.get_by_test_id("job-heading").inner_text().split()[0].lstrip("#"))


def test_producer_launches_shot_match_and_key_composite_from_the_generated_form_and_reruns(
    page: Any, live_server_url: str, partner: Partner, render_farm: str, tmp_path: Path
) -> None:
    plate = make_input_media(
        partner,
        _movie(tmp_path, "plate.mov", [np.clip(gradient_scene(seed=i), 0, 1) for i in range(3)]),
        name="plate.mov",
    )
    grade = make_input_media(
        partner,
        _movie(tmp_path, "grade.mov", [np.clip(gradient_scene(seed=9) * [1.2, 0.9, 0.6], 0, 1)]),
        name="grade.mov",
    )
    element = make_input_media(
        partner,
        _movie(tmp_path, "element.mov", [green_screen_plate(known_matte(48, 64))] * 3),
        name="element.mov",
    )
    org, project = partner.organization.slug, partner.project.pk
    _login(page, live_server_url, partner.producer.email)

    # 1. Shot match: two pickers, a strength slider; no JSON anywhere.
    page.goto(f"{live_server_url}/render/{org}/projects/{project}/jobs/new/")
    expect(page.get_by_test_id("submit-form").locator("textarea")).to_have_count(0)
    page.select_option("[data-testid=submit-operation]", "shot_match")
    fields = page.get_by_test_id("op-fields-shot_match")
    expect(fields).to_be_visible()
    expect(page.get_by_test_id("op-fields-key_composite")).to_be_hidden()
    fields.get_by_test_id("input-source").select_option(str(plate.pk))
    fields.get_by_test_id("input-reference").select_option(str(grade.pk))
    strength = fields.get_by_test_id("param-input-strength")
    expect(strength).to_have_value("1")
    slider = fields.locator("[data-param=strength] input[type=range]")
    slider.fill("0.8")  # the slider moves the number box with it
    expect(strength).to_have_value("0.8")
    fields.get_by_test_id("param-input-method").select_option("mkl")
    page.select_option("[data-testid=submit-pool]", render_farm)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(ARTIFACTS / "render-form-shot-match-1280.png"), full_page=True)
    page.get_by_test_id("submit-button").click()
    expect(page.get_by_test_id("job-heading")).to_contain_text("shot_match on SH0010")
    match_job = _job_id(page)
    expect(page.get_by_test_id("job-state")).to_have_text("Succeeded", timeout=120_000)
    expect(page.get_by_test_id("job-version")).to_contain_text("v001", timeout=10_000)

    # 2. Key / composite with a bad matte range: the error sits beside the white point,
    # and the shot, both inputs and every parameter are kept.
    page.goto(f"{live_server_url}/render/{org}/projects/{project}/jobs/new/")
    page.select_option("[data-testid=submit-operation]", "key_composite")
    fields = page.get_by_test_id("op-fields-key_composite")
    fields.get_by_test_id("input-foreground").select_option(str(element.pk))
    fields.get_by_test_id("input-background").select_option(str(plate.pk))
    fields.get_by_test_id("param-input-despill").fill("0.7")
    fields.locator("summary").click()
    fields.get_by_test_id("param-input-black_point").fill("0.6")
    fields.get_by_test_id("param-input-white_point").fill("0.5")
    page.select_option("[data-testid=submit-pool]", render_farm)
    page.get_by_test_id("submit-button").click()
    fields = page.get_by_test_id("op-fields-key_composite")
    expect(fields.get_by_test_id("error-param-white_point")).to_contain_text(
        "white_point must be above black_point"
    )
    expect(page.get_by_test_id("submit-operation")).to_have_value("key_composite")
    expect(fields.get_by_test_id("input-foreground")).to_have_value(str(element.pk))
    expect(fields.get_by_test_id("input-background")).to_have_value(str(plate.pk))
    expect(fields.get_by_test_id("param-input-despill")).to_have_value("0.7")
    expect(fields.get_by_test_id("param-input-black_point")).to_have_value("0.6")
    expect(page.get_by_test_id("submit-pool")).to_have_value(render_farm)
    for width in (390, 768, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(ARTIFACTS / f"render-form-error-{width}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    fields.get_by_test_id("param-input-white_point").fill("0.9")
    page.get_by_test_id("submit-button").click()
    expect(page.get_by_test_id("job-heading")).to_contain_text("key_composite on SH0010")
    expect(page.get_by_test_id("job-state")).to_have_text("Succeeded", timeout=120_000)

    # 3. Re-run the shot match from its version page with a lower strength.
    page.goto(f"{live_server_url}/render/{org}/jobs/{match_job}/")
    page.get_by_test_id("job-version").locator("a").click()
    expect(page.get_by_test_id("version-lineage")).to_contain_text(f"job #{match_job}")
    page.get_by_test_id("rerun-button").click()
    expect(page.get_by_test_id("rerun-banner")).to_contain_text(f"job #{match_job}")
    fields = page.get_by_test_id("op-fields-shot_match")
    expect(fields.get_by_test_id("input-source")).to_have_value(str(plate.pk))
    expect(fields.get_by_test_id("input-reference")).to_have_value(str(grade.pk))
    expect(fields.get_by_test_id("param-input-method")).to_have_value("mkl")
    expect(fields.get_by_test_id("param-input-strength")).to_have_value("0.8")
    fields.get_by_test_id("param-input-strength").fill("0.6")
    for width in (390, 768, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(ARTIFACTS / f"render-form-rerun-{width}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.get_by_test_id("submit-button").click()
    expect(page.get_by_test_id("job-heading")).to_contain_text("shot_match on SH0010")
    child_job = _job_id(page)
    expect(page.get_by_test_id("job-state")).to_have_text("Succeeded", timeout=120_000)
    with tenant_scope(partner.organization.pk):
        child = Job.objects.get(pk=child_job)
        assert child.parent_id == match_job
        assert child.params["strength"] == 0.6 and child.params["method"] == "mkl"

    page.get_by_test_id("job-version").locator("a").click()
    lineage = page.get_by_test_id("version-lineage")
    expect(lineage.get_by_test_id("lineage-parent-version")).to_contain_text("v001")
    row = lineage.locator("[data-testid=params-diff-row][data-param=strength]")
    expect(row).to_contain_text("0.8")
    expect(row).to_contain_text("0.6")
    expect(lineage.locator("[data-testid=params-diff-row]")).to_have_count(1)
    for width in (390, 768, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(ARTIFACTS / f"render-lineage-{width}.png"), full_page=True)
