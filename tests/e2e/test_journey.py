"""The producer's loop, end to end in Chromium (issue 12's acceptance): upload a plate and
a reference → launch shot match from the generated form → the result plays on its version
page → a review session with it, the studio reviewer invited → the reviewer (password and
two-factor, a second browser) notes a frame with a drawing → "Re-run with changes" on that
note with strength 0.6 → the re-run joins the session beside its parent, compared side by
side → the reviewer approves it → the cut goes out as an EDL carrying the new CDL.

Every step is a user action in the browser; frame numbers and states are read from the
pages. Real processes: the ASGI server, the Celery media worker (validation, proxies), a
GPU worker on a CPU pool, the results intake and the scheduler."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from apps.media import samples
from apps.tenancy.models import OrganizationKind, Role
from apps.tenancy.services import membership_create
from tests.e2e.conftest import ARTIFACTS
from tests.factories import (
    PASSWORD,
    Partner,
    enable_totp,
    make_organization,
    make_partner,
    make_user,
    share_with_studio,
    totp_code,
)
from tests.render.helpers import (
    render_farm,
)

pytestmark = pytest.mark.e2e

FRAME = 7  # the frame the reviewer notes (of 24)
WORKER_WAIT = 180_000  # ms: a job on a loaded CPU, or a proxy behind other work


@dataclass
class Cast:
    partner: Partner
    reviewer: Any  # a studio reviewer; the partner's project is shared with the studio
    secret: str  # the reviewer's TOTP secret (their authenticator app)


@pytest.fixture
def cast(committed_db: None) -> Cast:
    partner = make_partner("journey")
    studio = make_organization("Studio", OrganizationKind.STUDIO)
    reviewer = make_user("journey-reviewer")
    membership_create(organization=studio, user=reviewer, role=Role.REVIEWER, actor=None)
    secret = enable_totp(reviewer)
    share_with_studio(partner, studio)
    return Cast(partner, reviewer, secret)


@pytest.fixture
def farm(committed_db: None) -> Iterator[str]:
    """As `make run` starts them: the media worker, a GPU worker (CPU pool), the results
    intake and the scheduler."""
    with render_farm("e2e-journey", media_worker=True) as pool_name:
        yield pool_name


def _shot(page: Any, name: str) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(ARTIFACTS / f"journey-{name}.png"), full_page=True)


def _upload(page: Any, movie: Path, kind: str) -> str:
    """Uploads one movie through the shot's dialog; returns the version label it made."""
    page.get_by_test_id("open-upload").click()
    page.get_by_test_id("upload-kind").select_option(kind)
    page.get_by_test_id("upload-input").set_input_files(str(movie))
    page.get_by_test_id("upload-start").click()
    row = page.locator(f"[data-testid=upload-file][data-filename='{movie.name}']")
    expect(row).to_have_attribute("data-result", "ready", timeout=WORKER_WAIT)
    state = row.get_by_test_id("upload-state").inner_text()
    label = re.search(r"v\d{3}", state)
    assert label, state
    return label.group(0)


def _close_upload(page: Any) -> None:
    page.get_by_test_id("upload-close").click()
    expect(page.get_by_test_id("upload-dialog")).to_be_hidden()


def _choose(select: Any, text: str) -> str:
    """Picks the option whose label mentions `text` (as a user reads the list)."""
    value = select.evaluate(
        "(el, text) => [...el.options].find(o => o.text.includes(text))?.value ?? ''", text
    )
    assert value, f"no option mentions {text}"
    select.select_option(value)
    return str(value)


def _sign_in_with_two_factor(page: Any, url: str, user: Any, secret: str, path: str) -> None:
    page.goto(url + path)
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.fill("input[name=code]", totp_code(secret))
    page.locator("form button[type=submit]").first.click()
    if "/beta/agreements/" in page.url:
        for box in page.locator("[data-testid^=accept-]:is(input)").all():
            box.check()
        page.get_by_test_id("accept-agreements").click()
        page.goto(url + path)


def _live(page: Any) -> None:
    expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "live")


def _cdl_numbers(text: str) -> list[float]:
    """Slope, offset, power (r g b each) and saturation of the first CDL in a .cdl."""
    values = []
    for tag in ("Slope", "Offset", "Power", "Saturation"):
        found = re.search(rf"<{tag}>([^<]+)</{tag}>", text)
        assert found, f"{tag} missing"
        values += [float(v) for v in found.group(1).split()]
    return values


def _edl_numbers(edl: str) -> list[float]:
    sop = re.search(r"\*\s*ASC_SOP\s*(.+)", edl)
    sat = re.search(r"\*\s*ASC_SAT\s*(\S+)", edl)
    assert sop and sat, edl
    return [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", sop.group(1))] + [
        float(sat.group(1))
    ]


def test_the_producers_loop_from_upload_to_an_edl_with_the_new_cdl(
    browser: Any, live_server_url: str, cast: Cast, farm: str, tmp_path: Path
) -> None:
    url, partner = live_server_url, cast.partner
    org, project = partner.organization.slug, partner.project.pk
    plate = samples.make_movie(tmp_path / "A001_plate.mov", codec="prores", frames=24, seed=1)
    look = samples.make_movie(tmp_path / "look_ref.mov", codec="prores", frames=6, seed=7)

    producer_context = browser.new_context(viewport={"width": 1280, "height": 900})
    reviewer_context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = producer_context.new_page()
        # 1. The producer signs in and uploads the plate and the look reference.
        page.goto(url + "/accounts/login/")
        page.fill("input[name=login]", partner.producer.email)
        page.fill("input[name=password]", PASSWORD)
        page.locator("form button[type=submit]").first.click()
        expect(page.get_by_test_id("dashboard-heading")).to_be_visible()
        page.goto(f"{url}/projects/{org}/{project}/shots/{partner.shot.pk}/")
        _upload(page, plate, "plate")
        _close_upload(page)
        _upload(page, look, "reference")
        _shot(page, "1-upload")
        _close_upload(page)

        # 2. Shot match from the generated form: two pickers and a slider, no JSON.
        page.goto(f"{url}/render/{org}/projects/{project}/jobs/new/")
        expect(page.get_by_test_id("submit-form").locator("textarea")).to_have_count(0)
        page.select_option("[data-testid=submit-operation]", "shot_match")
        fields = page.get_by_test_id("op-fields-shot_match")
        plate_id = _choose(fields.get_by_test_id("input-source"), plate.name)
        look_id = _choose(fields.get_by_test_id("input-reference"), look.name)
        page.select_option("[data-testid=submit-pool]", farm)
        _shot(page, "2-launch-form")
        page.get_by_test_id("submit-button").click()
        expect(page.get_by_test_id("job-heading")).to_contain_text("shot_match")
        expect(page.get_by_test_id("job-state")).to_have_text("Succeeded", timeout=WORKER_WAIT)
        _shot(page, "2-job-succeeded")

        # 3. The result plays on its version page.
        page.get_by_test_id("job-version").locator("a").click()
        expect(page.get_by_test_id("proxy-video")).to_be_visible(timeout=WORKER_WAIT)
        page.wait_for_function(
            "() => document.querySelector('[data-testid=proxy-video]').readyState >= 2",
            timeout=30_000,
        )
        parent_label = re.search(r"v\d{3}", page.get_by_test_id("version-heading").inner_text())
        assert parent_label
        parent_url = page.url
        parent_id = int(parent_url.rstrip("/").split("/")[-1])
        expect(page.get_by_test_id("output").first).to_contain_text("Graded movie")
        _shot(page, "3-result-plays")

        # 4. A review session with it; the studio reviewer invited; started.
        page.get_by_test_id("new-session-with-version").click()
        expect(page.get_by_test_id("new-session-heading")).to_be_visible()
        page.get_by_test_id("session-title").fill("Look match review")
        page.get_by_test_id("create-session").click()
        expect(page.get_by_test_id("session-heading")).to_contain_text("Look match review")
        _choose(page.get_by_test_id("invite-select"), cast.reviewer.email)
        page.get_by_test_id("invite-submit").click()
        expect(page.get_by_test_id("participants")).to_contain_text(cast.reviewer.email)
        page.get_by_test_id("start-session").click()
        expect(page.get_by_test_id("session-state")).to_have_text("Live")
        _shot(page, "4-session")
        session_link = page.get_by_test_id("copy-link").first.get_attribute("href")
        assert session_link and session_link.startswith("/r/")
        page.get_by_test_id("open-room").click()
        _live(page)
        room_page = page

        # 5. The reviewer signs in with password and two-factor and opens the pasted link.
        reviewer = reviewer_context.new_page()
        _sign_in_with_two_factor(reviewer, url, cast.reviewer, cast.secret, session_link)
        reviewer.goto(url + session_link)
        expect(reviewer.get_by_test_id("review-room")).to_be_visible()
        _live(reviewer)
        expect(reviewer.get_by_test_id("scrubber")).to_be_disabled()  # the producer presents
        # The producer takes the room to frame F; the reviewer's player shows it.
        room_page.wait_for_function(
            "() => document.getElementById('player-a').readyState >= 2", timeout=30_000
        )
        room_page.get_by_test_id("scrubber").fill(str(FRAME))
        expect(reviewer.get_by_test_id("frame-display")).to_have_attribute("data-frame", str(FRAME))
        reviewer.wait_for_function(
            f"() => document.getElementById('player-a').dataset.presentedFrame === '{FRAME}'",
            timeout=30_000,
        )
        # A drawing and a note at that frame.
        reviewer.get_by_test_id("draw-toggle").click()
        box = reviewer.get_by_test_id("drawing-layer").bounding_box()
        reviewer.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.4)
        reviewer.mouse.down()
        for step in range(1, 8):
            reviewer.mouse.move(
                box["x"] + box["width"] * (0.3 + step * 0.05),
                box["y"] + box["height"] * (0.4 + step * 0.02),
            )
        reviewer.mouse.up()
        reviewer.get_by_test_id("note-text").fill("Too warm: pull the match back a little")
        reviewer.get_by_test_id("note-submit").click()
        note = room_page.get_by_test_id("note").filter(has_text="Too warm")
        expect(note).to_have_attribute("data-frame", str(FRAME))
        expect(note).to_contain_text("✎")  # carries the drawing
        expect(room_page.get_by_test_id("drawing-layer")).to_have_attribute("data-strokes", "1")
        # The reviewer (no render rights) is not offered a re-run; the producer is.
        reviewer_note = reviewer.get_by_test_id("note").filter(has_text="Too warm")
        expect(reviewer_note).to_be_visible()
        expect(reviewer_note.get_by_test_id("note-rerun")).to_have_count(0)
        reviewer.screenshot(path=str(ARTIFACTS / "journey-5-reviewer-note.png"))
        _shot(room_page, "5-producer-sees-note")

        # 6. "Re-run with changes" on the note (a new tab; the room stays open).
        with producer_context.expect_page() as opened:
            note.get_by_test_id("note-rerun").click()
        form = opened.value
        form.set_viewport_size({"width": 1280, "height": 900})
        expect(form.get_by_test_id("rerun-banner")).to_be_visible()
        fields = form.get_by_test_id("op-fields-shot_match")
        expect(fields.get_by_test_id("input-source")).to_have_value(plate_id)
        expect(fields.get_by_test_id("input-reference")).to_have_value(look_id)
        strength = fields.get_by_test_id("param-input-strength")
        expect(strength).to_have_value("1")
        strength.fill("0.6")
        _shot(form, "6-rerun-form")
        form.get_by_test_id("submit-button").click()
        expect(form.get_by_test_id("job-heading")).to_contain_text("shot_match")
        expect(form.get_by_test_id("job-state")).to_have_text("Succeeded", timeout=WORKER_WAIT)
        # The result link arrives with the page's refresh after the state event.
        expect(form.get_by_test_id("job-version")).to_contain_text(re.compile(r"v\d{3}"))
        child_label = re.search(r"v\d{3}", form.get_by_test_id("job-version").inner_text())
        assert child_label and child_label.group(0) != parent_label.group(0)
        child_href = form.get_by_test_id("job-version").locator("a").get_attribute("href")
        child_id = int((child_href or "").rstrip("/").split("/")[-1])

        # 7. The re-run joins the session beside its parent, compared side by side, in
        # both browsers; the note thread names the version made from it.
        for viewer in (room_page, reviewer):
            expect(viewer.get_by_test_id("playlist-item")).to_have_count(2, timeout=30_000)
            expect(viewer.get_by_test_id("stage")).to_have_class(
                re.compile(r"side_by_side"), timeout=30_000
            )
            expect(viewer.get_by_test_id("label-a")).to_contain_text(child_label.group(0))
            expect(viewer.get_by_test_id("label-b")).to_contain_text(parent_label.group(0))
            expect(viewer.get_by_test_id("frame-display")).to_have_attribute(
                "data-frame", str(FRAME)
            )
            # Both pictures on screen: the re-run (A) once its proxy is made, the parent (B).
            viewer.wait_for_function(
                "([a, b]) => { const pa = document.getElementById('player-a');"
                " const pb = document.getElementById('player-b');"
                " return pa.dataset.version === a && pa.readyState >= 2"
                " && pb.dataset.version === b && pb.readyState >= 2; }",
                arg=[str(child_id), str(parent_id)],
                timeout=WORKER_WAIT,
            )
            expect(
                viewer.locator(f"[data-testid=playlist-item][data-version='{child_id}']")
            ).not_to_contain_text("preparing")
            made = viewer.get_by_test_id("note").filter(has_text="Too warm")
            expect(made.get_by_test_id("note-made")).to_contain_text(
                f"{child_label.group(0)} made from this note"
            )
        expect(room_page.get_by_test_id("compare-version")).to_have_value(str(parent_id))
        _shot(room_page, "7-compare-producer")
        reviewer.screenshot(path=str(ARTIFACTS / "journey-7-compare-reviewer.png"))

        # 8. The reviewer approves the re-run (the version on screen).
        reviewer.get_by_test_id("approve").click()
        for viewer in (reviewer, room_page):
            expect(viewer.get_by_test_id("version-status")).to_have_attribute(
                "data-status", "approved"
            )
        reviewer.screenshot(path=str(ARTIFACTS / "journey-8-approved.png"))

        # The parent's version page: the note offers the re-run and names its result.
        form.goto(parent_url)
        parent_note = form.get_by_test_id("version-notes").get_by_test_id("note")
        expect(parent_note.filter(has_text="Too warm").get_by_test_id("note-rerun")).to_be_visible()
        expect(parent_note.get_by_test_id("note-made-link")).to_have_text(child_label.group(0))
        _shot(form, "8-parent-version-notes")

        # 9. The new version's .cdl, then the cut as an EDL: it carries that CDL.
        parent_note.get_by_test_id("note-made-link").click()
        expect(form).to_have_url(re.compile(rf"/versions/{child_id}/$"))
        expect(form.get_by_test_id("version-status")).to_have_text("Approved")
        cdl_link = form.locator("[data-testid=output][data-role=cdl]").get_by_test_id(
            "output-download"
        )
        with form.expect_download() as cdl_download:
            cdl_link.click()
        cdl_values = _cdl_numbers(Path(cdl_download.value.path()).read_text())
        assert abs(cdl_values[-1] - 1.0) > 1e-6 or any(abs(v - 1.0) > 1e-6 for v in cdl_values)
        form.goto(f"{url}/projects/{org}/{project}/")
        form.get_by_test_id("project-editorial").click()
        expect(form.get_by_test_id("editorial-heading")).to_be_visible()
        _shot(form, "9-editorial")
        with form.expect_download() as edl_download:
            form.get_by_test_id("export-edl").first.click()
        edl = Path(edl_download.value.path()).read_text()
        assert partner.shot.code in edl
        edl_values = _edl_numbers(edl)
        assert len(edl_values) == 10
        for exported, graded in zip(edl_values, cdl_values, strict=True):
            assert abs(exported - graded) < 1e-4, (edl_values, cdl_values)
    finally:
        producer_context.close()
        reviewer_context.close()
