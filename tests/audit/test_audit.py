from __future__ import annotations

import pytest

from apps.audit.models import AuditEntry
from apps.tenancy.scope import tenant_scope
from tests.api.helpers import api_client_for
from tests.factories import World


@pytest.mark.django_db
def test_a_write_through_the_api_is_audited_with_who_where_and_which_request(world: World) -> None:
    client = api_client_for(world.a.producer)
    response = client.post(
        f"/api/v1/orgs/{world.a.organization.slug}/projects/",
        {"name": "Harbour Lights", "frame_rate": "25"},
        format="json",
        HTTP_USER_AGENT="nuke-pipeline/14.1",
        HTTP_X_REQUEST_ID="req-harbour-0001",
    )
    assert response.status_code == 201
    with tenant_scope(world.a.organization.pk):
        entry = AuditEntry.objects.get(
            action="project.create", target_id=str(response.json()["id"])
        )
    assert entry.actor == world.a.producer
    assert entry.organization_id == world.a.organization.pk
    assert entry.request_id == "req-harbour-0001"
    assert entry.user_agent == "nuke-pipeline/14.1"
    assert entry.ip_address == "127.0.0.1"
    assert entry.source == "api"
    assert entry.changes["frame_rate"] == "25"


@pytest.mark.django_db
def test_partner_owner_reads_only_their_own_audit_log(world: World) -> None:
    body = (
        api_client_for(world.a.owner)
        .get(f"/api/v1/orgs/{world.a.organization.slug}/audit/?page_size=500")
        .json()
    )
    organizations = {row["organization"] for row in body["results"]}
    assert organizations == {world.a.organization.slug}
    actions = {row["action"] for row in body["results"]}
    assert {"project.create", "membership.create", "shot.create"} <= actions


@pytest.mark.django_db
def test_viewers_cannot_read_the_audit_log(world: World) -> None:
    response = api_client_for(world.a.viewer).get(
        f"/api/v1/orgs/{world.a.organization.slug}/audit/"
    )
    assert response.status_code == 403


@pytest.mark.django_db
def test_beta_admin_reads_everything_and_the_reading_is_audited(world: World) -> None:
    client = api_client_for(world.beta_admin)
    body = client.get("/api/v1/staff/audit/?page_size=500").json()
    organizations = {row["organization"] for row in body["results"]}
    assert {world.a.organization.slug, world.b.organization.slug} <= organizations
    assert body["results"][0]["action"] == "audit.read_all"
    assert api_client_for(world.reviewer).get("/api/v1/staff/audit/").status_code == 404
