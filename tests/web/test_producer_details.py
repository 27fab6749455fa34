"""Producer-grade details (issue 22): suspension explained, human formats, a rejected
upload that gives its number back, a cut/plate length mismatch that is flagged."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse

from apps.beta.invitations import invitation_create
from apps.beta.suspension import partner_suspend, user_suspend
from apps.core.formats import frame_rate_label, log_message, value_label
from apps.media import samples, tasks
from apps.media.files import media_file_register
from apps.media.models import MediaKind, MediaState
from apps.production.models import Shot, Version, VersionSource, VersionStatus
from apps.production.services import version_create, version_set_status
from apps.render import submission
from apps.render.events import job_log
from apps.render.models import Job
from apps.render.templatetags.render_params import job_param_rows
from apps.review.sessions import session_create
from apps.tenancy.scope import tenant_scope
from apps.tenancy.selectors import members_of_current_organization
from tests.api.helpers import api_client_for
from tests.factories import PASSWORD, World
from tests.media.helpers import upload_file
from tests.render.helpers import make_pool

pytestmark = pytest.mark.django_db


# --- 2. human formats ---------------------------------------------------------------------


def test_frame_rates_read_as_editors_write_them() -> None:
    assert frame_rate_label(Fraction(24000, 1001)) == "23.976"
    assert frame_rate_label(Fraction(30000, 1001), drop_frame=True) == "29.97 DF"
    assert frame_rate_label(Fraction(60000, 1001)) == "59.94"
    assert frame_rate_label(Fraction(25)) == "25"


def test_values_are_words_not_python_literals() -> None:
    assert value_label(None) == "Automatic"
    assert value_label(True) == "Yes" and value_label(False) == "No"
    assert value_label(0.5) == "0.5"
    assert value_label(["a", None]) == "a, Automatic"


def test_log_lines_name_files_not_storage_keys_or_attempt_ids() -> None:
    line = (
        "fetched input source: org/3/project/9/media/0a1b2c3d4e5f60718293a4b5c6d7e8f9/plate_A.mov"
    )
    assert log_message(line) == "fetched input source: plate_A.mov"
    dispatched = "attempt 2 (6f1c2a0e-7d1b-4c49-9c2e-2b7a1e0c9d11) dispatched to pool gpu-a"
    assert log_message(dispatched) == "attempt 2 dispatched to pool gpu-a"


def test_job_parameters_are_labelled_values_from_the_operation(world: World) -> None:
    job = Job(operation="resize", params={"preset": None, "linear_light": True, "mode": "fit"})
    rows = {row.label: row.value for row in job_param_rows(job)}
    assert rows == {"Format": "Custom size", "Reformat": "fit", "Resample in linear light": "Yes"}


def test_project_and_shot_pages_show_23_976_not_the_fraction(world: World) -> None:
    client = Client()
    client.force_login(world.a.producer)
    org, project = world.a.organization.slug, world.a.project
    for url in (
        reverse("project-page", args=[org, project.pk]),
        reverse("shot-page", args=[org, project.pk, world.a.shot.pk]),
        reverse("dashboard"),
    ):
        page = client.get(url).content.decode()
        assert "23.976" in page, url
        assert "24000/1001" not in page, url


# --- 1. suspension explained -------------------------------------------------------------


@override_settings(BETA_CONTACT_EMAIL="beta-team@studio.example")
def test_a_suspended_person_signing_in_sees_the_reason_and_a_contact(world: World) -> None:
    user_suspend(user=world.a.viewer, actor=world.beta_admin, reason="Shared a review link")
    client = Client()
    answer = client.post(
        reverse("account_login"),
        {"login": world.a.viewer.email, "password": PASSWORD},
        follow=True,
    )
    page = answer.content.decode()
    assert answer.redirect_chain[-1][0] == reverse("beta-suspended")
    assert answer.status_code == 403
    assert "Shared a review link" in page
    assert "beta-team@studio.example" in page
    assert "This account is inactive" not in page


def test_a_wrong_password_of_a_suspended_person_reveals_nothing(world: World) -> None:
    user_suspend(user=world.a.viewer, actor=world.beta_admin, reason="Shared a review link")
    answer = Client().post(
        reverse("account_login"), {"login": world.a.viewer.email, "password": "wrong-one-1234"}
    )
    assert "Shared a review link" not in answer.content.decode()


@override_settings(BETA_CONTACT_EMAIL="beta-team@studio.example")
def test_a_suspended_partner_sees_the_reason_without_a_signed_in_flash(world: World) -> None:
    partner_suspend(
        organization=world.a.organization, actor=world.beta_admin, reason="Unpaid invoice"
    )
    client = Client()
    signed_in = client.post(
        reverse("account_login"),
        {"login": world.a.producer.email, "password": PASSWORD},
        follow=True,
    )
    page = signed_in.content.decode()
    assert signed_in.status_code == 403
    assert "Unpaid invoice" in page and "beta-team@studio.example" in page
    assert world.a.organization.name in page
    assert "Successfully signed in" not in page


def test_the_suspended_page_says_so_when_nothing_is_suspended(world: World) -> None:
    client = Client()
    client.force_login(world.a.producer)
    answer = client.get(reverse("beta-suspended"))
    assert answer.status_code == 200
    assert "not suspended" in answer.content.decode()


# --- 3. a rejected upload gives its number back -------------------------------------------


def test_a_rejected_upload_does_not_take_a_version_number(world: World, tmp_path: Path) -> None:
    client = api_client_for(world.a.producer)
    org, project, shot = world.a.organization.slug, world.a.project.pk, world.a.shot.pk
    broken = tmp_path / "broken.mov"
    broken.write_bytes(b"this is not a movie at all" * 100)
    bad = upload_file(client, org, project, shot, broken)
    tasks.validate_media(media_id=bad["id"], organization_id=world.a.organization.pk)
    shown = client.get(f"/api/v1/orgs/{org}/projects/{project}/media/{bad['id']}/").json()
    assert shown["state"] == "rejected" and shown["rejection_reason"]
    good_path = samples.make_movie(tmp_path / "good.mov", codec="prores", frames=6)
    good = upload_file(client, org, project, shot, good_path)
    tasks.validate_media(media_id=good["id"], organization_id=world.a.organization.pk)
    with tenant_scope(world.a.organization.pk):
        labels = [v.label for v in Version.objects.filter(shot_id=shot)]
    assert labels == ["v001"]
    page = Client()
    page.force_login(world.a.producer)
    stack = page.get(reverse("shot-page", args=[org, project, shot])).content.decode()
    assert "Media rejected" not in stack


# --- 4. length mismatch --------------------------------------------------------------------


def _ready_plate(world: World, frames: int) -> Version:
    partner = world.a
    with tenant_scope(partner.organization.pk, user_id=partner.owner.pk):
        version = version_create(actor=None, shot=partner.shot, source=VersionSource.UPLOAD)
        media_file_register(
            organization_id=partner.organization.pk,
            project_id=partner.project.pk,
            version_id=version.pk,
            shot_id=partner.shot.pk,
            kind=MediaKind.PLATE,
            state=MediaState.READY,
            storage_key=f"org/{partner.organization.pk}/project/{partner.project.pk}/media/x/p.mov",
            original_filename="plate.mov",
            frame_count=frames,
            frame_rate=Fraction(24000, 1001),
        )
    return version


def test_a_shot_flags_a_plate_shorter_than_its_cut_with_both_numbers(world: World) -> None:
    _ready_plate(world, 48)  # the cut is 1001-1096: 96 frames
    client = Client()
    client.force_login(world.a.producer)
    page = client.get(
        reverse("shot-page", args=[world.a.organization.slug, world.a.project.pk, world.a.shot.pk])
    ).content.decode()
    assert 'data-testid="length-mismatch"' in page
    assert "96 frames" in page and "48 frames" in page and "48 frames short" in page


def test_no_warning_when_the_plate_matches_the_cut(world: World) -> None:
    _ready_plate(world, 96)
    client = Client()
    client.force_login(world.a.producer)
    page = client.get(
        reverse("shot-page", args=[world.a.organization.slug, world.a.project.pk, world.a.shot.pk])
    ).content.decode()
    assert 'data-testid="length-mismatch"' not in page


def test_the_job_page_shows_labelled_parameters_and_a_log_without_keys(world: World) -> None:
    a = world.a
    pool = make_pool()
    with tenant_scope(a.organization.pk, user_id=a.producer.pk):
        job = submission.job_submit(
            actor=a.producer,
            project=a.project,
            shot=a.shot,
            operation="noop",
            params={"seconds": 0, "write_report": False},
            pool=pool.name,
        )
        key = f"org/{a.organization.pk}/project/{a.project.pk}/media/{'ab' * 16}/A001_plate.exr"
        job_log(job, f"fetched input source: {key}")
        job_log(job, "attempt 1 (6f1c2a0e-7d1b-4c49-9c2e-2b7a1e0c9d11) dispatched to pool x")
    client = Client()
    client.force_login(a.producer)
    page = client.get(reverse("render-job-page", args=[a.organization.slug, job.pk]))
    text = page.content.decode()
    params = text.split('data-testid="job-params"', 1)[1].split("</dl>", 1)[0]
    assert "Write a report" in params and "No" in params
    assert "{" not in params and "False" not in params and "None" not in params
    assert "fetched input source: A001_plate.exr" in text
    assert f"org/{a.organization.pk}/project/" not in text
    assert "6f1c2a0e" not in text and "attempt 1 dispatched to pool x" in text


# --- 8. error pages ------------------------------------------------------------------------


@override_settings(DEBUG=True)
def test_an_unknown_api_path_answers_json_even_with_debug(world: World) -> None:
    client = Client()
    client.force_login(world.a.producer)
    answer = client.get("/api/v1/notifications-that-do-not-exist/")
    assert answer.status_code == 404
    assert answer["Content-Type"].startswith("application/json")
    assert answer.json()["error"]["code"] == "not_found"


@override_settings(DEBUG=True)
def test_an_unknown_page_is_the_product_404_even_with_debug(world: World) -> None:
    client = Client()
    client.force_login(world.a.producer)
    answer = client.get("/no-such-page/")
    page = answer.content.decode()
    assert answer.status_code == 404
    assert 'data-testid="error-page"' in page and "DEBUG = True" not in page


# --- 7. dashboard ---------------------------------------------------------------------------


def test_the_dashboard_lists_decisions_waiting_jobs_in_flight_and_sessions(world: World) -> None:
    a = world.a
    pool = make_pool()
    with tenant_scope(a.organization.pk, user_id=a.owner.pk):
        version = version_create(actor=None, shot=a.shot, source=VersionSource.UPLOAD)
        version_set_status(actor=None, version=version, status=VersionStatus.IN_REVIEW)
        job = submission.job_submit(
            actor=a.producer, project=a.project, shot=a.shot, operation="noop", pool=pool.name
        )
        session_create(
            actor=members_of_current_organization().get(user=a.owner),
            project=a.project,
            title="Friday dailies",
            version_ids=[version.pk],
            participant_ids=[],
        )
    client = Client()
    client.force_login(a.producer)
    page = client.get(reverse("dashboard")).content.decode()
    waiting = page.split('data-testid="dashboard-waiting"', 1)[1].split("</section>", 1)[0]
    assert "SH0010 v001" in waiting
    jobs = page.split('data-testid="dashboard-jobs"', 1)[1].split("</section>", 1)[0]
    assert f"#{job.pk} noop on SH0010" in jobs and "Queued" in jobs
    sessions = page.split('data-testid="dashboard-sessions"', 1)[1].split("</section>", 1)[0]
    assert "Friday dailies" in sessions
    # A viewer may not decide: nothing is "waiting for your decision" for them.
    client.force_login(a.viewer)
    viewer_page = client.get(reverse("dashboard")).content.decode()
    assert "Nothing is waiting for a decision." in viewer_page


# --- 7. shots without an editorial import ---------------------------------------------------


def _project_url(world: World) -> str:
    return reverse("project-page", args=[world.a.organization.slug, world.a.project.pk])


def _add_url(world: World) -> str:
    return reverse("project-shots-add", args=[world.a.organization.slug, world.a.project.pk])


def test_a_csv_shot_list_creates_sequences_and_shots(world: World) -> None:
    client = Client()
    client.force_login(world.a.producer)
    shot_list = SimpleUploadedFile(
        "shots.csv",
        b"Sequence,Shot,Cut_In,Cut_Out,Description\n"
        b"SQ020,SH0100,2001,2048,Rooftop\n"
        b"SQ020,SH0110,2049,2120,\n",
        content_type="text/csv",
    )
    answer = client.post(_add_url(world), {"file": shot_list}, follow=True)
    page = answer.content.decode()
    assert "Added 2 shots: SH0100, SH0110." in page
    assert "SQ020" in page and "SH0110" in page
    with tenant_scope(world.a.organization.pk):
        shot = Shot.objects.select_related("sequence").get(code="SH0100")
    assert (shot.sequence.code, shot.cut_in, shot.cut_out) == ("SQ020", 2001, 2048)


def test_a_bad_row_refuses_the_whole_shot_list_naming_its_line(world: World) -> None:
    client = Client()
    client.force_login(world.a.producer)
    shot_list = SimpleUploadedFile(
        "shots.csv", b"sequence,shot,cut_in,cut_out\nSQ030,SH1,10,20\nSQ030,SH2,30,x\n"
    )
    page = client.post(_add_url(world), {"file": shot_list}, follow=True).content.decode()
    assert "Line 3: cut_out must be a whole frame number" in page
    with tenant_scope(world.a.organization.pk):
        assert not Shot.objects.filter(code__in=["SH1", "SH2"]).exists()


def test_add_shot_from_the_form_and_viewers_may_not(world: World) -> None:
    client = Client()
    client.force_login(world.a.producer)
    form = {"sequence": "SQ010", "shot": "SH0020", "cut_in": "1097", "cut_out": "1150"}
    page = client.post(_add_url(world), form, follow=True).content.decode()
    assert "Added 1 shot: SH0020." in page
    client.force_login(world.a.viewer)
    assert 'data-testid="add-shots"' not in client.get(_project_url(world)).content.decode()
    refused = client.post(_add_url(world), {**form, "shot": "SH0030"}, follow=True)
    with tenant_scope(world.a.organization.pk):
        assert not Shot.objects.filter(code="SH0030").exists()
    assert refused.status_code == 200


# --- 10. small things ----------------------------------------------------------------------


def test_invitation_roles_read_like_member_badges(world: World) -> None:
    a = world.a
    with tenant_scope(a.organization.pk, user_id=a.owner.pk):
        invitation_create(
            organization=a.organization,
            email="new-artist@example.test",
            role="artist",
            actor=a.owner,
            base_url="http://testserver",
        )
    client = Client()
    client.force_login(a.owner)
    page = client.get(reverse("beta-team", args=[a.organization.slug])).content.decode()
    row = page.split('data-email="new-artist@example.test"', 1)[1].split("</tr>", 1)[0]
    assert '<span class="badge badge-role" data-testid="invitation-role">Artist</span>' in row
