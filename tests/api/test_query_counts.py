"""The hot routes of a pipeline script run a small, fixed number of SQL statements: who
the caller is (token, memberships, agreements, suspension) is read once per request and
shared by the access gates and the view, and lists do not grow a query per row.

Counts are taken inside the test's transaction, so each request also pays a SAVEPOINT,
its RELEASE and putting the tenant settings back (three statements a real request, whose
transaction is the outermost, does not run).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.production.services import sequence_create, shot_create, version_create
from apps.tenancy.scope import tenant_scope
from tests.api.helpers import api_client_for
from tests.factories import Partner, World
from tests.render.helpers import make_input_media, make_pool

# Token, memberships, pending agreements, suspension, the tenant scope (+ its shares).
IDENTITY_AND_SCOPE = 5
TEST_TRANSACTION = 3  # SAVEPOINT, RELEASE SAVEPOINT, restoring the settings


def _url(partner: Partner, name: str, **kwargs: Any) -> str:
    return reverse(
        f"api:{name}",
        kwargs={"org": partner.organization.slug, "project_pk": partner.project.pk, **kwargs},
    )


def _statements(client: Any, method: str, url: str, body: Any = None) -> tuple[int, Any]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url) if method == "get" else client.post(url, body, format="json")
    assert response.status_code in (200, 201), response.content
    return len(queries.captured_queries), response


def _add_shots(partner: Partner, count: int) -> None:
    with tenant_scope(partner.organization.pk, user_id=partner.owner.pk):
        sequence = sequence_create(actor=partner.owner, project=partner.project, code="SQ900")
        for index in range(count):
            shot_create(
                actor=partner.owner, sequence=sequence, code=f"Q{index:04d}", cut_in=1, cut_out=9
            )


@pytest.mark.django_db
def test_a_shot_read_runs_identity_scope_and_one_query(world: World) -> None:
    a = world.a
    client = api_client_for(a.viewer)
    url = _url(a, "shot-detail", pk=a.shot.pk)
    client.get(url)  # the token's first use is recorded once

    count, response = _statements(client, "get", url)

    assert response.json()["code"] == "SH0010"
    assert count <= IDENTITY_AND_SCOPE + 1 + TEST_TRANSACTION


@pytest.mark.django_db
def test_listing_shots_costs_the_same_for_one_or_many_shots(world: World) -> None:
    a = world.a
    client = api_client_for(a.viewer)
    url = _url(a, "shot-list") + "?page_size=1000"
    client.get(url)
    one, first = _statements(client, "get", url)
    assert first.json()["count"] == 1

    _add_shots(a, 40)
    many, listed = _statements(client, "get", url)

    assert listed.json()["count"] == 41
    assert many == one
    # The project, the count and the page.
    assert many <= IDENTITY_AND_SCOPE + 3 + TEST_TRANSACTION


@pytest.mark.django_db
def test_creating_a_shot_runs_a_fixed_number_of_statements(world: World) -> None:
    a = world.a
    client = api_client_for(a.producer)
    url = _url(a, "shot-list")
    client.get(url)

    count, response = _statements(
        client,
        "post",
        url,
        {"sequence": a.sequence.pk, "code": "SH0990", "cut_in": 1001, "cut_out": 1010},
    )

    assert response.json()["frame_count"] == 10
    # The project, the sequence, the duplicate check, the INSERT and its audit entry.
    assert count <= IDENTITY_AND_SCOPE + 5 + TEST_TRANSACTION + 2


@pytest.mark.django_db
def test_versions_of_a_shot_cost_the_same_for_one_or_many_versions(world: World) -> None:
    a = world.a
    with tenant_scope(a.organization.pk, user_id=a.owner.pk):
        version_create(actor=a.owner, shot=a.shot, source="upload")
    client = api_client_for(a.viewer)
    url = _url(a, "version-list", shot_pk=a.shot.pk)
    client.get(url)
    one, first = _statements(client, "get", url)
    assert len(first.json()["results"]) == 1

    with tenant_scope(a.organization.pk, user_id=a.owner.pk):
        for _ in range(5):
            version_create(actor=a.owner, shot=a.shot, source="upload")
    many, listed = _statements(client, "get", url)

    assert [v["label"] for v in listed.json()["results"]][:2] == ["v006", "v005"]
    assert many == one


@pytest.mark.django_db
def test_the_job_list_costs_the_same_for_one_or_many_jobs(world: World) -> None:
    a = world.a
    pool = make_pool(price_per_gpu_second="0.25")
    media = make_input_media(a)
    client = api_client_for(a.producer)
    url = _url(a, "render-job-list")
    body = {
        "shot": a.shot.pk,
        "operation": "noop",
        "params": {"seconds": 1},
        "inputs": {"source": media.pk},
        "pool": pool.name,
    }
    assert client.post(url, body, format="json").status_code == 201
    one, first = _statements(client, "get", url)
    assert len(first.json()["results"]) == 1

    for _ in range(4):
        assert client.post(url, body, format="json").status_code == 201
    many, listed = _statements(client, "get", url)

    assert len(listed.json()["results"]) == 5
    assert many == one


@pytest.mark.django_db
def test_creating_a_note_runs_a_fixed_number_of_statements(world: World) -> None:
    a = world.a
    with tenant_scope(a.organization.pk, user_id=a.owner.pk):
        version = version_create(actor=a.owner, shot=a.shot, source="upload")
    client = api_client_for(a.producer)
    url = reverse(
        "api:review-note-list", kwargs={"org": a.organization.slug, "version_pk": version.pk}
    )
    client.get(url)
    counts = []
    for index in range(2):
        count, response = _statements(
            client, "post", url, {"frame_in": index, "text": f"soften the key light {index}"}
        )
        assert response.json()["text"] == f"soften the key light {index}"
        counts.append(count)

    assert counts[0] == counts[1]
    assert counts[1] <= 25
