"""Suspension in one step: sessions end, API tokens stop working, open websockets close
within a second, new jobs are refused, it is audited; reactivation loses no data."""

from __future__ import annotations

import time
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from rest_framework.test import APIClient

from apps.accounts.services import api_token_create
from apps.audit.models import AuditEntry
from apps.beta.models import BetaStatus
from apps.beta.selectors import beta_profile_of, organization_can_submit_jobs
from apps.beta.suspension import partner_reactivate, partner_suspend, user_reactivate, user_suspend
from apps.production.models import Project
from apps.tenancy.scope import tenant_scope
from tests.beta.ws import communicator, session_cookie
from tests.factories import PASSWORD, Partner, World, make_partner


def _token_client(user: Any) -> APIClient:
    _, plain = api_token_create(user=user, name="pipeline")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    return client


@pytest.mark.django_db
def test_suspending_a_partner_ends_sessions_tokens_and_jobs_and_reactivation_restores(
    world: World,
) -> None:
    a = world.a
    browser = Client()
    browser.force_login(a.producer)
    api = _token_client(a.producer)
    assert api.get("/api/v1/me/").status_code == 200
    assert organization_can_submit_jobs(a.organization.pk)

    partner_suspend(organization=a.organization, actor=world.beta_admin, reason="NDA breach")
    assert beta_profile_of(a.organization).status == BetaStatus.SUSPENDED
    assert not organization_can_submit_jobs(a.organization.pk)
    assert organization_can_submit_jobs(world.b.organization.pk)  # others unaffected

    refused = api.get("/api/v1/me/")
    assert refused.status_code == 401 and "revoked" in refused.json()["error"]["message"]
    page = browser.get("/dashboard/")
    assert page.status_code == 302 and page["Location"].startswith("/accounts/login/")
    # Signing in again shows why nothing works.
    assert browser.login(email=a.producer.email, password=PASSWORD)
    blocked = browser.get("/dashboard/")
    assert blocked.status_code == 403 and "suspended" in blocked.content.decode()
    fresh = _token_client(a.producer)
    answer = fresh.get(f"/api/v1/orgs/{a.organization.slug}/projects/")
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "beta_access_suspended"
    with tenant_scope(a.organization.pk):
        entry = AuditEntry.objects.filter(action="beta.profile.update").first()
    assert entry is not None and entry.changes["status"] == ["active", "suspended"]

    partner_reactivate(organization=a.organization, actor=world.beta_admin)
    assert organization_can_submit_jobs(a.organization.pk)
    assert browser.get("/dashboard/").status_code == 200
    listing = fresh.get(f"/api/v1/orgs/{a.organization.slug}/projects/")
    assert listing.status_code == 200 and a.project.name in listing.content.decode()
    with tenant_scope(a.organization.pk):
        assert Project.objects.filter(pk=a.project.pk).exists()


@pytest.mark.django_db
def test_suspending_one_person(world: World) -> None:
    api = _token_client(world.a.viewer)
    user_suspend(user=world.a.viewer, actor=world.beta_admin, reason="left the company")
    assert api.get("/api/v1/me/").status_code == 401
    assert not Client().login(email=world.a.viewer.email, password=PASSWORD)
    assert _token_client(world.a.owner).get("/api/v1/me/").status_code == 200
    user_reactivate(user=world.a.viewer, actor=world.beta_admin)
    assert Client().login(email=world.a.viewer.email, password=PASSWORD)


@pytest.fixture
def partner(committed_db: None) -> Partner:
    return make_partner("susp")


async def test_suspension_closes_an_open_websocket_within_a_second(partner: Partner) -> None:
    cookie = await sync_to_async(session_cookie)(partner.owner)
    socket = communicator(partner.organization.slug, cookie)
    assert (await socket.connect())[0]
    assert (await socket.receive_json_from())["type"] == "hello"

    started = time.monotonic()
    await sync_to_async(partner_suspend)(
        organization=partner.organization, actor=None, reason="Suspended by the studio."
    )
    message = await socket.receive_json_from(timeout=1)
    closed = await socket.receive_output(timeout=1)
    elapsed = time.monotonic() - started
    assert message["code"] == "access_revoked" and "Suspended by the studio." in message["message"]
    assert closed == {"type": "websocket.close", "code": 4403}
    assert elapsed < 1.0, elapsed
    print(f"websocket closed {elapsed * 1000:.0f} ms after the suspension committed")

    # The session was ended: a reconnect with the old cookie is anonymous and refused.
    again = communicator(partner.organization.slug, cookie)
    connected, code = await again.connect()
    assert not connected and code == 4401
    await sync_to_async(partner_reactivate)(organization=partner.organization, actor=None)
