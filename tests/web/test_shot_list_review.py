"""The shot list, shot and version pages show each version's review state (status, latest
decision with who and when, note counts) at a fixed query cost; the shot list filters by
status, sequence and text and sorts by code, status and last activity from GET parameters."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.production.models import VersionStatus
from apps.production.services import sequence_create, shot_create, version_create
from apps.review.decisions import decision_create
from apps.review.notes import note_create, note_update
from apps.tenancy.scope import tenant_scope
from apps.tenancy.selectors import members_of_current_organization
from tests.factories import World


def _login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@dataclass
class Shots:
    world: World
    url: str


def _rows(html: str) -> list[str]:
    return re.findall(r'data-testid="shot-row" data-shot="([^"]+)"', html)


@pytest.fixture
def shots(world: World) -> Shots:
    """SQ010: SH0010 (v001 + v002: 3 notes, one resolved, changes requested),
    SH0020 (v001 approved, no notes), SH0030 (no versions). SQ020: SH0100 "crowd" (v001 in
    review, 1 note, the newest activity)."""
    a = world.a
    with tenant_scope(a.organization.pk, user_id=a.owner.pk):
        owner = members_of_current_organization().get(user=a.owner)
        sh20 = shot_create(actor=a.owner, sequence=a.sequence, code="SH0020", cut_in=1, cut_out=10)
        shot_create(actor=a.owner, sequence=a.sequence, code="SH0030", cut_in=1, cut_out=10)
        sq20 = sequence_create(actor=a.owner, project=a.project, code="SQ020", name="Night")
        sh100 = shot_create(
            actor=a.owner,
            sequence=sq20,
            code="SH0100",
            cut_in=1,
            cut_out=10,
            description="Crowd extension",
        )
        version_create(actor=a.owner, shot=a.shot, source="upload")
        latest = version_create(actor=a.owner, shot=a.shot, source="upload")
        approved = version_create(actor=a.owner, shot=sh20, source="upload")
        crowd = version_create(actor=a.owner, shot=sh100, source="upload")
        for version in (latest, approved, crowd):
            version.status = VersionStatus.IN_REVIEW
            version.save()
        notes = [
            note_create(actor=owner, version=latest, frame_in=f, text=f"note {f}")
            for f in (3, 7, 9)
        ]
        note_update(actor=owner, note=notes[0], revision=1, changes={"status": "resolved"})
        decision_create(actor=owner, version=latest, decision="changes_requested")
        decision_create(actor=owner, version=approved, decision="approved")
        note_create(actor=owner, version=crowd, frame_in=0, text="crowd too sparse")
    return Shots(world, reverse("project-page", args=[a.organization.slug, a.project.pk]))


@pytest.mark.django_db
def test_shot_list_shows_review_state_and_note_counts_in_a_fixed_number_of_queries(
    shots: Shots,
) -> None:
    client = _login(shots.world.a.viewer)
    with CaptureQueriesContext(connection) as queries:
        html = client.get(shots.url).content.decode()
    assert _rows(html) == ["SH0010", "SH0020", "SH0030", "SH0100"]
    row = html[html.index('data-shot="SH0010"') :]
    row = row[: row.index("</tr>")]
    assert 'data-status="changes_requested"' in row
    assert 'data-notes="3" data-open-notes="2"' in row
    assert "3 notes" in row and "(2 open)" in row
    owner_user = shots.world.a.owner
    assert 'data-testid="shot-decision"' in row
    assert (owner_user.display_name or owner_user.email.split("@")[0]) in row  # who decided
    assert 'data-status="none"' in html  # SH0030 has no versions
    first = len(queries)

    # More shots with versions, notes and decisions: the page costs the same queries.
    a = shots.world.a
    with tenant_scope(a.organization.pk, user_id=a.owner.pk):
        owner = members_of_current_organization().get(user=a.owner)
        for n in range(5):
            shot = shot_create(
                actor=a.owner, sequence=a.sequence, code=f"SH05{n}0", cut_in=1, cut_out=5
            )
            version = version_create(actor=a.owner, shot=shot, source="upload")
            note_create(actor=owner, version=version, frame_in=0, text="more")
            decision_create(actor=owner, version=version, decision="approved")
    with CaptureQueriesContext(connection) as queries:
        html = client.get(shots.url).content.decode()
    assert len(_rows(html)) == 9
    assert len(queries) == first


@pytest.mark.django_db
def test_shot_list_filters_and_sorts_from_the_url(shots: Shots) -> None:
    client = _login(shots.world.a.viewer)
    get = lambda query: client.get(shots.url + query)  # noqa: E731

    assert _rows(get("?status=approved").content.decode()) == ["SH0020"]
    assert _rows(get("?status=none").content.decode()) == ["SH0030"]
    assert _rows(get("?sequence=SQ020").content.decode()) == ["SH0100"]
    assert _rows(get("?q=crowd").content.decode()) == ["SH0100"]
    assert _rows(get("?q=sh00&sequence=SQ010").content.decode()) == [
        "SH0010",
        "SH0020",
        "SH0030",
    ]
    empty = get("?q=nothing-like-this").content.decode()
    assert _rows(empty) == [] and "No shots match the filters." in empty

    # Sorting: status (needing attention first) and last activity (newest first).
    assert _rows(get("?sort=status").content.decode()) == ["SH0010", "SH0100", "SH0020", "SH0030"]
    assert _rows(get("?sort=activity").content.decode())[0] == "SH0100"
    # The chosen filters stay selected in the form.
    html = get("?status=approved&sort=activity&q=SH").content.decode()
    assert '<option value="approved" selected>' in html
    assert '<option value="activity" selected>' in html
    assert 'value="SH"' in html

    # Bad values: a 400 naming the field, next to it, and the rest of the page still works.
    bad = get("?status=finished&sequence=SQ999&sort=random")
    assert bad.status_code == 400
    body = bad.content.decode()
    assert 'data-testid="filter-error-status"' in body and "finished" in body
    assert 'data-testid="filter-error-sequence"' in body and "SQ999" in body
    assert 'data-testid="filter-error-sort"' in body
    assert _rows(body) == ["SH0010", "SH0020", "SH0030", "SH0100"]


@pytest.mark.django_db
def test_shot_and_version_pages_show_review_state(shots: Shots) -> None:
    a = shots.world.a
    client = _login(a.viewer)
    shot_html = client.get(
        reverse("shot-page", args=[a.organization.slug, a.project.pk, a.shot.pk])
    ).content.decode()
    items = re.findall(
        r'data-testid="version-review" data-notes="(\d+)" data-open-notes="(\d+)"', shot_html
    )
    assert items == [("3", "2"), ("0", "0")]  # v002 then v001
    assert "Changes requested by" in shot_html

    with tenant_scope(a.organization.pk):
        latest = a.shot.versions.order_by("-number")[0]
    version_html = client.get(
        reverse("version-page", args=[a.organization.slug, a.project.pk, latest.pk])
    ).content.decode()
    assert 'data-testid="version-notes"' in version_html
    assert 'data-decision="changes_requested"' in version_html
    assert 'data-testid="note-count">3<' in version_html
    assert "2 open" in version_html
    # Viewers read notes but have no composer.
    assert 'data-testid="note-form"' not in version_html
    producer_html = (
        _login(a.producer)
        .get(reverse("version-page", args=[a.organization.slug, a.project.pk, latest.pk]))
        .content.decode()
    )
    assert 'data-testid="note-form"' in producer_html
