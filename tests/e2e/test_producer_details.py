"""Browser: producer-grade details (issue 22). A suspended partner's page gives the reason
and a contact (no "Successfully signed in" above it); frame rates read 23.976; a shot
warns about a plate shorter than its cut; files dragged onto the upload dialog upload, a
refused file takes no version number, "Ready: v001" links to the version and the page
behind the dialog shows it without closing the dialog."""

from __future__ import annotations

import base64
import re
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from apps.beta.suspension import partner_suspend, user_suspend
from apps.media import samples
from apps.media.files import media_file_register
from apps.media.models import MediaKind, MediaState
from apps.production.models import VersionSource, VersionStatus
from apps.production.services import project_create, version_create, version_set_status
from apps.render.pools import pool_create
from apps.render.submission import job_submit
from apps.review.sessions import session_create
from apps.tenancy.scope import tenant_scope
from apps.tenancy.selectors import members_of_current_organization
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_upload import celery_worker  # noqa: F401 - the fixture
from tests.factories import PASSWORD, Partner, make_partner, make_user
from tests.review.conftest import Room, build_room, session_cookie

pytestmark = pytest.mark.e2e

WIDTHS = (390, 768, 1280)


def _login(page: Any, url: str, email: str) -> None:
    page.goto(url + "/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit], form input[type=submit]").first.click()


def _shots(page: Any, name: str) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


@pytest.fixture
def partner(committed_db: None) -> Partner:
    return make_partner("details")


def test_a_suspended_partner_sees_why_and_whom_to_write_to(
    page: Any, live_server_url: str, partner: Partner
) -> None:
    admin = make_user("details-admin", is_staff=True)
    partner_suspend(
        organization=partner.organization, actor=admin, reason="Agreement under renewal"
    )
    _login(page, live_server_url, partner.producer.email)
    expect(page.get_by_test_id("suspended-page")).to_be_visible()
    expect(page.get_by_test_id("suspended-reason")).to_have_text("Agreement under renewal")
    expect(page.get_by_test_id("suspended-contact")).to_contain_text("beta@backlot.local")
    expect(page.get_by_test_id("suspended-title")).to_contain_text(partner.organization.name)
    expect(page.get_by_text("Successfully signed in")).to_have_count(0)
    _shots(page, "suspended-partner")


def test_a_suspended_person_signing_in_sees_why_and_whom_to_write_to(
    page: Any, live_server_url: str, partner: Partner
) -> None:
    admin = make_user("details-admin2", is_staff=True)
    user_suspend(user=partner.viewer, actor=admin, reason="Left the production")
    _login(page, live_server_url, partner.viewer.email)
    expect(page).to_have_url(re.compile(r"/beta/suspended/$"))
    expect(page.get_by_test_id("suspended-reason")).to_have_text("Left the production")
    expect(page.get_by_test_id("suspended-contact")).to_contain_text("beta@backlot.local")
    expect(page.locator("main")).not_to_contain_text("This account is inactive")
    _shots(page, "suspended-person")


def test_frame_rate_reads_23_976_and_a_short_plate_is_flagged(
    page: Any, live_server_url: str, partner: Partner
) -> None:
    with tenant_scope(partner.organization.pk, user_id=partner.owner.pk):
        version = version_create(actor=None, shot=partner.shot, source=VersionSource.UPLOAD)
        media_file_register(
            organization_id=partner.organization.pk,
            project_id=partner.project.pk,
            version_id=version.pk,
            shot_id=partner.shot.pk,
            kind=MediaKind.PLATE,
            state=MediaState.READY,
            storage_key=f"org/{partner.organization.pk}/project/{partner.project.pk}/media/x/a.mov",
            original_filename="A001_plate.mov",
            frame_count=48,
            frame_rate=Fraction(24000, 1001),
        )
    _login(page, live_server_url, partner.producer.email)
    org, project = partner.organization.slug, partner.project.pk
    page.goto(f"{live_server_url}/projects/{org}/{project}/")
    expect(page.locator("main")).to_contain_text("23.976")
    expect(page.locator("main")).not_to_contain_text("24000/1001")
    _shots(page, "project-formats")
    page.goto(f"{live_server_url}/projects/{org}/{project}/shots/{partner.shot.pk}/")
    expect(page.get_by_test_id("shot-fps")).to_have_text("23.976 fps")
    warning = page.get_by_test_id("length-mismatch")
    expect(warning).to_contain_text("96 frames")
    expect(warning).to_contain_text("48 frames")
    expect(page.get_by_test_id("version-length-mismatch")).to_have_text("48 of 96 cut frames")
    # Times read to the second in the viewer's zone, not ISO with microseconds.
    expect(page.locator("main time[data-local-time]").first).to_have_text(
        re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d( \S+)?$")
    )
    _shots(page, "shot-length-mismatch")


def _drop(page: Any, path: Path) -> None:
    """Drop a file on the open upload dialog, as a file manager drag does."""
    data = base64.b64encode(path.read_bytes()).decode()
    page.evaluate(
        """([name, data]) => {
          const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
          const transfer = new DataTransfer();
          transfer.items.add(new File([bytes], name, { type: "video/quicktime" }));
          const zone = document.querySelector("[data-upload-drop]");
          for (const type of ["dragenter", "dragover", "drop"]) {
            zone.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: transfer }));
          }
        }""",
        [path.name, data],
    )


@pytest.mark.usefixtures("celery_worker")
def test_dropped_files_upload_a_refused_one_takes_no_number_and_ready_links(
    page: Any, live_server_url: str, partner: Partner, tmp_path: Path
) -> None:
    fake = tmp_path / "B001_broken.mov"
    fake.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 4096)
    movie = samples.make_movie(tmp_path / "B002_plate.mov", codec="h264", frames=12)
    _login(page, live_server_url, partner.producer.email)
    org, project = partner.organization.slug, partner.project.pk
    page.goto(f"{live_server_url}/projects/{org}/{project}/shots/{partner.shot.pk}/")
    page.get_by_test_id("open-upload").click()
    expect(page.get_by_test_id("upload-drop")).to_be_visible()

    _drop(page, fake)
    refused = page.locator("[data-testid=upload-file][data-filename='B001_broken.mov']")
    expect(refused).to_have_attribute("data-result", "rejected", timeout=60_000)
    # The page behind the dialog already says so, and no version was numbered.
    expect(page.get_by_test_id("rejected-upload")).to_have_count(1, timeout=10_000)
    expect(page.locator("[data-testid=version-item]")).to_have_count(0)

    _drop(page, movie)
    good = page.locator("[data-testid=upload-file][data-filename='B002_plate.mov']")
    expect(good).to_have_attribute("data-result", "ready", timeout=90_000)
    link = good.get_by_test_id("upload-version-link")
    expect(link).to_have_text("v001")
    # The stack behind the open dialog shows v001 without Close.
    expect(page.locator("[data-testid=version-item][data-version=v001]")).to_have_count(
        1, timeout=10_000
    )
    _shots(page, "upload-dialog-drop")
    link.click()
    expect(page.get_by_test_id("version-heading")).to_contain_text("v001")
    expect(page.get_by_test_id("proxy-facts")).to_contain_text("23.976 fps")
    expect(page.locator("main")).not_to_contain_text("24000/1001")
    _shots(page, "version-formats")


@pytest.fixture
def room(committed_db: None) -> Room:
    return build_room("e2e-details")


def test_request_changes_asks_what_should_change(
    browser: Any, live_server_url: str, room: Room
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_cookies(
        [{"name": "sessionid", "value": session_cookie(room.reviewer), "url": live_server_url}]
    )
    page = context.new_page()
    page.goto(f"{live_server_url}/review/{room.studio.slug}/{room.session.pk}/")
    expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "live")
    # Compare is off: no wipe slider.
    expect(page.get_by_test_id("wipe")).to_be_hidden()
    page.get_by_test_id("request-changes").click()
    dialog = page.get_by_test_id("changes-dialog")
    expect(dialog).to_be_visible()
    # Without a comment nothing is sent: the dialog stays and the version is unchanged.
    page.get_by_test_id("changes-submit").click()
    expect(dialog).to_be_visible()
    expect(page.get_by_test_id("version-status")).not_to_have_attribute(
        "data-status", "changes_requested"
    )
    _shots(page, "review-request-changes")
    page.get_by_test_id("changes-comment").fill("Roto edge chatters on the left, frames 10-20")
    page.get_by_test_id("changes-submit").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_test_id("version-status")).to_have_attribute(
        "data-status", "changes_requested"
    )
    expect(page.get_by_test_id("decision-log")).to_contain_text("Roto edge chatters")
    # Marker exports use the cut's record timecode; the session's reel is an option.
    expect(page.get_by_test_id("export-csv")).to_have_attribute(
        "href", re.compile(r"/export/csv/\?timeline=record$")
    )
    page.get_by_test_id("export-timeline").select_option("session")
    expect(page.get_by_test_id("export-edl")).to_have_attribute(
        "href", re.compile(r"/export/edl/\?timeline=session$")
    )
    context.close()


def test_an_unknown_api_path_answers_json_and_a_page_the_product_404(
    page: Any, live_server_url: str, partner: Partner
) -> None:
    _login(page, live_server_url, partner.producer.email)
    answer = page.goto(f"{live_server_url}/api/v1/notifications-nowhere/")
    assert answer is not None and answer.status == 404
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.json()["error"]["code"] == "not_found"
    missing = page.goto(f"{live_server_url}/no-such-page/")
    assert missing is not None and missing.status == 404
    expect(page.get_by_test_id("error-page")).to_be_visible()


def test_an_empty_project_imports_a_csv_shot_list(
    page: Any, live_server_url: str, partner: Partner, tmp_path: Path
) -> None:
    with tenant_scope(partner.organization.pk, user_id=partner.owner.pk):
        empty = project_create(actor=partner.owner, name="Empty feature", frame_rate="25")
    shot_list = tmp_path / "shots.csv"
    shot_list.write_text("sequence,shot,cut_in,cut_out\nSQ100,SH0010,0,49\nSQ100,SH0020,50,99\n")
    _login(page, live_server_url, partner.producer.email)
    page.goto(f"{live_server_url}/projects/{partner.organization.slug}/{empty.pk}/")
    expect(page.get_by_test_id("add-shots")).to_have_attribute("open", "")
    _shots(page, "project-empty-add-shots")
    page.get_by_test_id("import-shots-file").set_input_files(str(shot_list))
    page.get_by_test_id("import-shots-submit").click()
    expect(page.locator(".flash").first).to_contain_text("Added 2 shots: SH0010, SH0020.")
    expect(page.locator("main")).to_contain_text("SQ100")
    expect(page.locator("[data-testid=shot-row][data-shot=SH0020]")).to_be_visible()
    _shots(page, "project-shots-imported")


def test_the_dashboard_shows_decisions_jobs_and_sessions(
    page: Any, live_server_url: str, partner: Partner
) -> None:
    pool = pool_create(actor=None, name=f"details-{partner.organization.pk}")
    with tenant_scope(partner.organization.pk, user_id=partner.owner.pk):
        version = version_create(actor=None, shot=partner.shot, source=VersionSource.UPLOAD)
        version_set_status(actor=None, version=version, status=VersionStatus.IN_REVIEW)
        job_submit(
            actor=partner.producer,
            project=partner.project,
            shot=partner.shot,
            operation="noop",
            pool=pool.name,
        )
        session_create(
            actor=members_of_current_organization().get(user=partner.owner),
            project=partner.project,
            title="Friday dailies",
            version_ids=[version.pk],
            participant_ids=[],
        )
    _login(page, live_server_url, partner.producer.email)
    expect(page.get_by_test_id("waiting-item")).to_contain_text("SH0010 v001")
    expect(page.get_by_test_id("job-item")).to_contain_text("noop on SH0010")
    expect(page.get_by_test_id("session-item")).to_contain_text("Friday dailies")
    _shots(page, "dashboard-sections")
