"""Browser: the frames of an image sequence picked together in the upload dialog are one
entry ("plate.####.exr 1001-1024 (24 frames)") with one progress bar; frames go to S3 in
parallel, a dropped frame is resumed after a reload, and the sequence becomes one version
whose proxy plays. A sequence with a gap names the missing frames and uploads once the
producer accepts the gaps as holds (issue 15, item 6)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.axe import _RUN_AXE, BLOCKING, TAGS, axe_source
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_upload import celery_worker  # noqa: F401 - the fixture
from tests.factories import PASSWORD, Partner, make_partner
from tests.media import hostile as h

pytestmark = pytest.mark.e2e

RGB = ("B", "G", "R")


@pytest.fixture
def partner(committed_db: None) -> Partner:
    return make_partner("sequence")


def _frames(folder: Path, name: str, numbers: list[int]) -> list[Path]:
    """Tiny valid scanline EXR frames (64x36, RGB half), written from the format spec."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in numbers:
        path = folder / name.format(number)
        path.write_bytes(h.exr(64, 36, channels=RGB))
        paths.append(path)
    return paths


def _open_dialog(page: Any, url: str, partner: Partner) -> None:
    org, project, shot = partner.organization.slug, partner.project.pk, partner.shot.pk
    if "/shots/" not in page.url:
        page.goto(url + "/accounts/login/")
        page.fill("input[name=login]", partner.producer.email)
        page.fill("input[name=password]", PASSWORD)
        page.locator("form button[type=submit], form input[type=submit]").first.click()
        expect(page.get_by_test_id("dashboard-heading")).to_be_visible()
        page.goto(f"{url}/projects/{org}/{project}/shots/{shot}/")
    page.get_by_test_id("open-upload").click()
    expect(page.get_by_test_id("upload-dialog")).to_be_visible()


def _axe_blocking(page: Any) -> list[dict[str, Any]]:
    """axe-core on the page as it is now (the open dialog), critical and serious only."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    found = page.evaluate(_RUN_AXE, TAGS) or []
    return [v for v in found if v["impact"] in BLOCKING]


def test_frames_are_grouped_by_their_pattern(
    page: Any, live_server_url: str, partner: Partner
) -> None:
    _open_dialog(page, live_server_url, partner)
    grouped = page.evaluate(
        """async (names) => {
          const script = document.querySelector("script[src*='upload']").src;
          const { groupFiles } = await import(new URL("./upload_sequence.js", script).href);
          const files = names.map((name) => new File(["x"], name));
          const { sequences, singles } = groupFiles(files);
          return {
            sequences: sequences.map((s) => [s.pattern, s.first, s.last, s.frames.length, s.missing]),
            singles: singles.map((f) => f.name).sort(),
          };
        }""",
        [
            "plate.1002.exr",
            "plate.1001.exr",
            "plate.1004.exr",
            "bg_0000.dpx",
            "bg_0001.dpx",
            "A001_plate.mov",
            "still.0042.png",
        ],
    )
    assert grouped["sequences"] == [
        ["plate.####.exr", 1001, 1004, 3, [1003]],
        ["bg_####.dpx", 0, 1, 2, []],
    ]
    assert grouped["singles"] == ["A001_plate.mov", "still.0042.png"]

    # A folder dropped on the dialog is walked (sub-folders too, hidden files skipped):
    # its frames make one entry. Chromium gives scripts no real folder entries, so the
    # drop carries entries shaped like DataTransferItem.webkitGetAsEntry's.
    page.evaluate(
        """() => {
          const file = (name) => ({ isFile: true, file: (ok) => ok(new File(["frame"], name)) });
          const folder = (children) => ({
            isFile: false,
            createReader: () => {
              let batches = [children, []];
              return { readEntries: (ok) => ok(batches.shift()) };
            },
          });
          const root = folder([
            file("shot.1001.exr"), file(".DS_Store"), folder([file("shot.1002.exr")]),
            file("shot.1003.exr"), file("readme.txt"),
          ]);
          const transfer = { types: ["Files"], files: [],
            items: [{ kind: "file", webkitGetAsEntry: () => root }] };
          const drop = new Event("drop", { bubbles: true, cancelable: true });
          Object.defineProperty(drop, "dataTransfer", { value: transfer });
          document.querySelector("[data-upload-drop]").dispatchEvent(drop);
        }"""
    )
    expect(page.get_by_test_id("upload-file")).to_have_count(1)
    row = page.locator("[data-testid=upload-file][data-filename='shot.####.exr']")
    expect(row.get_by_test_id("upload-sequence-range")).to_have_text("1001–1003 (3 frames)")


@pytest.mark.usefixtures("celery_worker")
def test_a_sequence_uploads_as_one_entry_resumes_and_plays_as_one_version(
    page: Any, live_server_url: str, partner: Partner, tmp_path: Path
) -> None:
    frames = _frames(tmp_path / "plate", "plate.{:04d}.exr", list(range(1001, 1025)))
    _open_dialog(page, live_server_url, partner)
    # The connection drops whenever frame 1003 is sent: the others are stored.
    frame_1003 = re.compile(r".*/plate\.1003\.exr\?.*")
    page.route(frame_1003, lambda route: route.abort("connectionreset"))
    page.get_by_test_id("upload-input").set_input_files([str(p) for p in frames])
    page.get_by_test_id("upload-start").click()
    rows = page.get_by_test_id("upload-file")
    expect(rows).to_have_count(1)
    row = page.locator("[data-testid=upload-file][data-filename='plate.####.exr']")
    expect(row.locator(".mono")).to_have_text("plate.####.exr")
    expect(row.get_by_test_id("upload-sequence-range")).to_have_text("1001–1024 (24 frames)")
    expect(row.get_by_role("progressbar")).to_have_count(1)
    expect(row).to_have_attribute("data-result", "error", timeout=60_000)
    expect(row.get_by_test_id("upload-state")).to_contain_text("connection lost")
    page.unroute(frame_1003)

    # Reload, pick the same frames: only what is missing is sent.
    page.reload()
    _open_dialog(page, live_server_url, partner)
    page.get_by_test_id("upload-input").set_input_files([str(p) for p in frames])
    page.get_by_test_id("upload-start").click()
    row = page.locator("[data-testid=upload-file][data-filename='plate.####.exr']")
    expect(row).to_have_attribute("data-resumed", re.compile(r"^\d+$"), timeout=20_000)
    resumed = int(row.get_attribute("data-resumed"))
    assert 1 <= resumed <= 23
    expect(page.get_by_test_id("upload-file")).to_have_count(1)
    expect(row).to_have_attribute("data-progress", "100", timeout=30_000)
    expect(row).to_have_attribute("data-result", "ready", timeout=120_000)
    link = row.get_by_test_id("upload-version-link")
    expect(link).to_have_text("v001")
    expect(row.get_by_test_id("upload-state")).to_have_text("Ready: v001")
    page.screenshot(path=str(ARTIFACTS / "upload-sequence.png"))
    # One version behind the dialog, named by its pattern.
    expect(page.locator("[data-testid=version-item]")).to_have_count(1, timeout=10_000)
    expect(page.get_by_test_id("version-stack")).to_contain_text("plate.####.exr")

    link.click()
    expect(page.get_by_test_id("version-heading")).to_contain_text("v001")
    video = page.get_by_test_id("proxy-video")
    expect(video).to_be_visible()
    page.wait_for_function("() => document.querySelector('video').readyState >= 2", timeout=20_000)
    assert page.evaluate("document.querySelector('video').videoWidth") == 64
    page.evaluate("document.querySelector('video').play()")
    page.wait_for_function(
        "() => Number(document.querySelector('[data-player]').dataset.presentedFrames || 0) > 5"
        " && document.querySelector('video').currentTime > 0.2",
        timeout=20_000,
    )
    page.screenshot(path=str(ARTIFACTS / "upload-sequence-player.png"), full_page=True)


@pytest.mark.usefixtures("celery_worker")
def test_a_sequence_with_gaps_names_them_and_uploads_with_holds(
    page: Any, live_server_url: str, partner: Partner, tmp_path: Path
) -> None:
    folder = tmp_path / "gap"
    _frames(folder, "gap_{:04d}.exr", [1, 2, 4, 5, 7, 8])
    (folder / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")  # what a Mac leaves in a folder
    (folder / "notes.txt").write_text("shot notes")
    _open_dialog(page, live_server_url, partner)
    # The folder picker: only the frames are taken, as one entry.
    page.get_by_test_id("upload-folder").set_input_files(str(folder))
    page.get_by_test_id("upload-start").click()
    expect(page.get_by_test_id("upload-file")).to_have_count(1)
    row = page.locator("[data-testid=upload-file][data-filename='gap_####.exr']")
    expect(row.get_by_test_id("upload-sequence-range")).to_have_text("1–8 (6 frames, 2 missing)")
    expect(row).to_have_attribute("data-result", "gaps", timeout=20_000)
    expect(row.get_by_test_id("upload-missing-frames")).to_have_text("Missing frames: 3, 6")
    expect(row.get_by_test_id("upload-state")).to_have_text(
        "The sequence 1–8 is missing 2 frames: 3, 6. Upload them, or accept the gaps as holds."
    )
    go = row.get_by_test_id("upload-with-holds")
    expect(go).to_be_disabled()
    page.screenshot(path=str(ARTIFACTS / "upload-sequence-gaps.png"))
    assert _axe_blocking(page) == []
    expect(page.locator("[data-testid=version-item]")).to_have_count(0)

    row.get_by_label(re.compile("Accept gaps as holds")).check()
    go.click()
    expect(row).to_have_attribute("data-result", "ready", timeout=120_000)
    expect(row.get_by_test_id("upload-version-link")).to_have_text("v001")
    expect(row.get_by_test_id("upload-holds")).to_have_count(0)
    expect(page.locator("[data-testid=version-item]")).to_have_count(1, timeout=10_000)
