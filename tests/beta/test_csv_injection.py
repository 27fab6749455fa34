"""CSV files opened in a spreadsheet never run what someone typed as a formula (security
issue 16, item 12): partner and cohort names in the beta report, names and text in the
feedback export and the notes export all come out prefixed with a quote."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client

from apps.tenancy.models import Organization
from tests.factories import World

pytestmark = pytest.mark.django_db

FORMULA = ("=", "+", "-", "@", "\t", "\r")
HOSTILE = ['=HYPERLINK("http://evil.test","x")', "+1+1", "-2+3", "@SUM(1)", "\t=1", "\r=1"]


def _cells(body: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(body)) for cell in row]


def _assert_defused(cells: list[str], typed: list[str]) -> None:
    for value in typed:
        assert value not in cells, f"{value!r} reached the CSV as typed"
        assert "'" + value in cells, f"{value!r} is missing from the CSV"


def test_beta_report_and_feedback_csv_defuse_formulas(world: World) -> None:
    from apps.beta.feedback import feedback_create
    from apps.beta.gates import cohort_create
    from apps.beta.suspension import beta_profile_update
    from apps.tenancy.scope import tenant_scope

    Organization.objects.filter(pk=world.a.organization.pk).update(name=HOSTILE[0])
    Organization.objects.filter(pk=world.b.organization.pk).update(name=HOSTILE[1])
    cohort = cohort_create(name=HOSTILE[3], actor=world.beta_admin)
    beta_profile_update(
        organization=world.a.organization, actor=world.beta_admin, cohort_id=cohort.pk
    )
    type(world.a.owner).objects.filter(pk=world.a.owner.pk).update(display_name=HOSTILE[2])
    with tenant_scope(world.a.organization.pk, user_id=world.a.owner.pk):
        for text in HOSTILE[4:]:
            feedback_create(user=world.a.owner, rating=3, text=text + " looks wrong")
    staff = Client()
    staff.force_login(world.beta_admin)
    report = staff.get("/staff/beta/report.csv")
    assert report.status_code == 200
    _assert_defused(_cells(report.content.decode()), [HOSTILE[0], HOSTILE[1], HOSTILE[3]])
    feedback = staff.get("/staff/beta/feedback.csv")
    assert feedback.status_code == 200
    cells = _cells(feedback.content.decode())
    _assert_defused(cells, [HOSTILE[0], HOSTILE[3]])
    # Feedback text is trimmed when it is stored; what is left is still defused.
    assert "'=1 looks wrong" in cells
    assert not any(cell.startswith(FORMULA) for cell in cells)


def test_notes_csv_defuses_author_and_text(world: World) -> None:
    from apps.production.services import version_create
    from apps.review.exports import export_version
    from apps.review.notes import note_create
    from apps.tenancy.scope import tenant_scope
    from apps.tenancy.selectors import members_of_current_organization

    type(world.a.producer).objects.filter(pk=world.a.producer.pk).update(display_name=HOSTILE[0])
    world.a.producer.refresh_from_db()
    with tenant_scope(world.a.organization.pk, user_id=world.a.producer.pk):
        producer = members_of_current_organization().get(user=world.a.producer)
        version = version_create(actor=world.a.owner, shot=world.a.shot, source="upload")
        for text in HOSTILE[1:]:
            note_create(actor=producer, version=version, frame_in=1, text=text)
        body, content_type, _ = export_version(version, "csv")
    assert content_type.startswith("text/csv")
    cells = _cells(body)
    _assert_defused(cells, [HOSTILE[0], HOSTILE[1], HOSTILE[2], HOSTILE[3]])
    # Notes are one line in the export: the tab / CR forms are defused all the same.
    assert not any(cell.startswith(FORMULA) for cell in cells)
