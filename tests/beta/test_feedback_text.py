"""Beta admins read the text of partners' feedback: filtered by partner, cohort, page and
ISO week, and downloaded as CSV with the same filters. Nobody else sees the page."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from apps.beta.feedback import feedback_create
from apps.beta.gates import cohort_create
from apps.beta.models import Feedback
from apps.beta.suspension import beta_profile_update
from apps.tenancy.scope import tenant_scope
from tests.factories import World


@pytest.fixture
def feedback(world: World) -> World:
    cohort = cohort_create(name="Wave one", actor=world.beta_admin)
    beta_profile_update(
        organization=world.a.organization, actor=world.beta_admin, cohort_id=cohort.pk
    )
    with tenant_scope(world.a.organization.pk, user_id=world.a.owner.pk):
        feedback_create(
            user=world.a.owner, rating=2, text="Upload stalls at 99%", page_path="/projects/a/1/"
        )
        old = feedback_create(
            user=world.a.owner, rating=4, text="=SUM(A1) nice grid", page_path="/review/a/"
        )
        Feedback.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=21))
    with tenant_scope(world.b.organization.pk, user_id=world.b.owner.pk):
        feedback_create(
            user=world.b.owner, rating=5, text="Review room is great", page_path="/review/b/1/"
        )
    return world


def _admin(world: World) -> Client:
    client = Client()
    client.force_login(world.beta_admin)
    return client


@pytest.mark.django_db
def test_feedback_text_filters_by_partner_cohort_page_and_week(feedback: World) -> None:
    client = _admin(feedback)
    everything = client.get("/staff/beta/feedback/").content.decode()
    for text in ("Upload stalls at 99%", "nice grid", "Review room is great"):
        assert text in everything
    by_partner = client.get("/staff/beta/feedback/", {"partner": feedback.b.organization.slug})
    assert "Review room is great" in by_partner.content.decode()
    assert "Upload stalls" not in by_partner.content.decode()
    cohort = client.get("/staff/beta/feedback/").context["cohorts"][0]
    by_cohort = client.get("/staff/beta/feedback/", {"cohort": cohort.pk}).content.decode()
    assert "Upload stalls" in by_cohort and "Review room" not in by_cohort
    by_page = client.get("/staff/beta/feedback/", {"page": "/review/"}).content.decode()
    assert "Review room" in by_page and "nice grid" in by_page and "Upload stalls" not in by_page
    year, week, _ = timezone.now().isocalendar()
    this_week = client.get(
        "/staff/beta/feedback/", {"week": f"{year}-W{week:02d}"}
    ).content.decode()
    assert "Upload stalls" in this_week and "nice grid" not in this_week
    bad = client.get("/staff/beta/feedback/", {"week": "last week"})
    assert bad.status_code == 400 and "Week must look like 2026-W07" in bad.content.decode()


@pytest.mark.django_db
def test_feedback_csv_has_every_text_with_the_filters_and_no_formulas(feedback: World) -> None:
    client = _admin(feedback)
    response = client.get("/staff/beta/feedback.csv", {"partner": feedback.a.organization.slug})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {row["text"] for row in rows} == {"Upload stalls at 99%", "'=SUM(A1) nice grid"}
    assert {row["cohort"] for row in rows} == {"Wave one"}
    assert client.get("/staff/beta/feedback.csv", {"week": "x"}).status_code == 400


@pytest.mark.django_db
def test_feedback_page_is_hidden_from_partners(feedback: World) -> None:
    client = Client()
    client.force_login(feedback.a.owner)
    assert client.get("/staff/beta/feedback/").status_code == 404
    assert client.get("/staff/beta/feedback.csv").status_code == 404
