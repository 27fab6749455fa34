"""The results report against a fixture whose numbers are computed by hand."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from apps.beta.feedback import feedback_create
from apps.beta.gates import cohort_create
from apps.beta.reports import results_report
from apps.beta.suspension import beta_profile_update
from apps.media.models import MediaFile
from apps.production.models import Version
from apps.production.services import shot_create, version_create, version_set_status
from apps.render.models import Job
from apps.tenancy.scope import tenant_scope
from tests.beta.helpers import make_job, make_test_pool
from tests.factories import Partner, World

pytestmark = pytest.mark.django_db


def _versions(partner: Partner, hours_ago: list[tuple[float, bool]], code: str) -> None:
    """One shot with versions created `hours_ago`; approve the flagged ones now."""
    with tenant_scope(partner.organization.pk, user_id=partner.owner.pk):
        shot = shot_create(
            actor=partner.owner, sequence=partner.sequence, code=code, cut_in=1001, cut_out=1010
        )
        for hours, approve in hours_ago:
            version = version_create(actor=partner.owner, shot=shot, source="upload")
            Version.objects.filter(pk=version.pk).update(
                created_at=timezone.now() - timedelta(hours=hours)
            )
            if approve:
                version_set_status(actor=partner.owner, version=version, status="approved")


def _upload(partner: Partner, name: str, kind: str = "plate", derived: Any = None) -> Any:
    with tenant_scope(partner.organization.pk, user_id=partner.owner.pk):
        return MediaFile.objects.create(
            project=partner.project,
            kind=kind,
            original_filename=name,
            storage_key=f"test/{partner.organization.pk}/{name}",
            derived_from=derived,
        )


@pytest.fixture
def fixture(world: World) -> World:
    wave = cohort_create(name="Wave 1", actor=world.beta_admin)
    beta_profile_update(
        organization=world.a.organization, actor=world.beta_admin, cohort_id=wave.pk, seat_quota=5
    )
    beta_profile_update(organization=world.b.organization, actor=world.beta_admin, seat_quota=4)
    # A: shot 1 first version 10 h ago, its second version approved now -> 10 h;
    #    shot 2 single version 4 h ago approved -> 4 h; shot 3 never approved.
    _versions(world.a, [(10, False), (6, True)], "SH0100")
    _versions(world.a, [(4, True)], "SH0200")
    _versions(world.a, [(1, False)], "SH0300")
    # B: one shot, first version 2 h ago, approved -> 2 h.
    _versions(world.b, [(2, True)], "SH0100")
    plate = _upload(world.a, "plate.exr")
    _upload(world.a, "crowd.exr", kind="element")
    _upload(world.a, "plate_proxy.mp4", kind="proxy", derived=plate)  # not an upload
    _upload(world.b, "b-plate.exr")
    for partner, rating in ((world.a, 5), (world.a, 3), (world.b, 2)):
        with tenant_scope(partner.organization.pk, user_id=partner.owner.pk):
            feedback_create(user=partner.owner, rating=rating, text="ok")
    return world


def test_report_matches_hand_computed_numbers(fixture: World) -> None:
    report = results_report()
    rows = {row.label: row for row in report.partners}
    a, b = rows[fixture.a.organization.name], rows[fixture.b.organization.name]
    assert (a.cohort, b.cohort) == ("Wave 1", "No cohort")
    assert (a.seats_used, a.seat_quota, b.seats_used, b.seat_quota) == (3, 5, 3, 4)
    assert (a.uploads, b.uploads) == (2, 1)
    assert (a.versions, b.versions) == (4, 1)
    assert (a.approvals, b.approvals) == (2, 1)
    assert a.median_hours_to_approval == pytest.approx(7.0, abs=0.01)  # median(10, 4)
    assert b.median_hours_to_approval == pytest.approx(2.0, abs=0.01)
    assert (a.feedback_count, a.feedback_average, b.feedback_average) == (2, 4.0, 2.0)
    assert (a.review_sessions, a.notes, a.jobs_total, a.gpu_hours) == (0, 0, 0, 0.0)

    total = report.total
    assert (total.partners, total.seats_used, total.uploads, total.approvals) == (2, 6, 3, 3)
    assert total.median_hours_to_approval == pytest.approx(4.0, abs=0.01)  # median(10, 4, 2)
    assert total.feedback_average == pytest.approx(3.33, abs=0.01)
    assert [c.label for c in report.cohorts] == ["No cohort", "Wave 1"]
    assert len(report.feedback_by_week) == 1 and report.feedback_by_week[0][1:] == (3.33, 3)


def test_report_page_and_csv_for_beta_admins_only(fixture: World) -> None:
    staff = Client()
    staff.force_login(fixture.beta_admin)
    page = staff.get("/staff/beta/report/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="chart-approvals"' in html and "<rect" in html
    csv_response = staff.get("/staff/beta/report.csv")
    assert csv_response["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(csv_response.content.decode())))
    header = lines[0]
    row_a = next(line for line in lines if fixture.a.organization.name in line)
    record = dict(zip(header, row_a, strict=False))
    assert record["level"] == "partner" and record["cohort"] == "Wave 1"
    assert (record["uploads"], record["approvals"], record["seats_used"]) == ("2", "2", "3")
    assert float(record["median_hours_first_version_to_approval"]) == pytest.approx(7.0, abs=0.01)
    assert record["feedback_average"] == "4.0"
    total = next(line for line in lines if line and line[0] == "total")
    assert dict(zip(header, total, strict=False))["approvals"] == "3"

    partner = Client()
    partner.force_login(fixture.a.owner)
    assert partner.get("/staff/beta/report/").status_code == 404
    assert partner.get("/staff/beta/report.csv").status_code == 404


def test_report_counts_render_jobs_and_gpu_hours(fixture: World) -> None:
    """Beta reads render's job table by its app label (render sits on a higher floor)."""
    pool = make_test_pool()
    # A: two jobs of one operation and one of another; B: one job. Hours by hand.
    for partner, operation, seconds in (
        (fixture.a, "noop", 1800.0),
        (fixture.a, "noop", None),  # still queued: no GPU time yet
        (fixture.a, "shot_match", 3600.0),
        (fixture.b, "noop", 900.0),
    ):
        job = make_job(partner, pool, operation)
        with tenant_scope(partner.organization.pk):
            Job.objects.filter(pk=job.pk).update(gpu_seconds=seconds)

    report = results_report()
    rows = {row.label: row for row in report.partners}
    a, b = rows[fixture.a.organization.name], rows[fixture.b.organization.name]
    assert a.jobs_by_operation == {"noop": 2, "shot_match": 1} and a.jobs_total == 3
    assert (a.gpu_hours, b.gpu_hours) == (1.5, 0.25)
    assert b.jobs_by_operation == {"noop": 1}
    assert report.total.jobs_by_operation == {"noop": 3, "shot_match": 1}
    assert report.total.gpu_hours == 1.75
    assert "jobs by operation" not in report.unavailable
    assert "GPU hours" not in report.unavailable
