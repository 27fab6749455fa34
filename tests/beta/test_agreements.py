"""Versioned agreements: until a user accepts the current version of every required
agreement, pages, API calls and websockets are refused with a pointer to the acceptance
page; a new version forces re-acceptance."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from apps.beta.agreements import agreement_accept, agreement_publish
from apps.beta.models import Agreement, AgreementAcceptance, AgreementVersion
from apps.beta.selectors import pending_agreements
from tests.api.helpers import api_client_for
from tests.beta.ws import communicator, session_cookie
from tests.conftest import unique
from tests.factories import Partner, World, make_partner


def _accept_all(client: Client, next_url: str = "/dashboard/") -> Any:
    page = client.get("/beta/agreements/")
    data: dict[str, str] = {"next": next_url}
    for version in page.context["pending"]:
        data[f"accept_{version.pk}"] = "on"
        data[f"hash_{version.pk}"] = version.content_hash
    return client.post("/beta/agreements/", data, HTTP_USER_AGENT="pytest-browser/1.0")


@pytest.mark.django_db
def test_a_new_agreement_blocks_pages_and_api_until_accepted(world: World) -> None:
    owner = world.a.owner
    client = Client()
    client.force_login(owner)
    api = api_client_for(owner)
    assert client.get("/dashboard/").status_code == 200  # nothing published yet

    v1 = agreement_publish(
        key="nda", title="Beta NDA", body="Keep it secret.\nVersion one.", actor=world.beta_admin
    )
    page = client.get("/dashboard/")
    assert page.status_code == 302 and page["Location"] == "/beta/agreements/?next=%2Fdashboard%2F"
    project_page = client.get(f"/projects/{world.a.organization.slug}/{world.a.project.pk}/")
    assert project_page.status_code == 302 and project_page["Location"].startswith(
        "/beta/agreements/"
    )
    refused = api.get("/api/v1/me/")
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert error["code"] == "agreement_required" and error["url"] == "/beta/agreements/"
    assert "Beta NDA (version 1)" in error["message"]
    assert api.get(f"/api/v1/orgs/{world.a.organization.slug}/projects/").status_code == 403

    shown = client.get("/beta/agreements/?next=/dashboard/")
    assert shown.status_code == 200 and "Version one." in shown.content.decode()
    # Not ticking the box does not accept anything.
    client.post("/beta/agreements/", {"next": "/dashboard/"})
    assert pending_agreements(owner) == [v1]

    accepted = _accept_all(client)
    assert accepted.status_code == 302 and accepted["Location"] == "/dashboard/"
    record = AgreementAcceptance.objects.get(user=owner, version=v1)
    assert record.content_hash == v1.content_hash and len(record.content_hash) == 64
    assert record.ip_address == "127.0.0.1" and record.user_agent == "pytest-browser/1.0"
    assert record.partner_id == world.a.organization.pk
    assert client.get("/dashboard/").status_code == 200
    assert api.get("/api/v1/me/").status_code == 200

    v2 = agreement_publish(
        key="nda", title="Beta NDA", body="Keep it secret.\nVersion two.", actor=world.beta_admin
    )
    assert v2.number == 2 and v2.content_hash != v1.content_hash
    assert client.get("/dashboard/").status_code == 302
    assert api.get("/api/v1/me/").json()["error"]["code"] == "agreement_required"
    # Accepting with the hash of the text one saw earlier is refused.
    client.post("/beta/agreements/", {f"accept_{v2.pk}": "on", f"hash_{v2.pk}": v1.content_hash})
    assert pending_agreements(owner) == [v2]
    _accept_all(client)
    assert client.get("/dashboard/").status_code == 200
    # Other users are still blocked until they accept themselves.
    assert api_client_for(world.a.viewer).get("/api/v1/me/").status_code == 403


@pytest.mark.django_db
def test_identical_text_is_not_a_new_version(world: World) -> None:
    agreement_publish(key="terms", title="Beta terms", body="A", actor=world.beta_admin)
    from apps.core.errors import Conflict

    with pytest.raises(Conflict):
        agreement_publish(key="terms", title="Beta terms", body="A\n", actor=world.beta_admin)


@pytest.fixture
def published(committed_db: None) -> Iterator[tuple[Partner, str]]:
    partner = make_partner("nda")
    key = unique("nda")[:40]
    yield partner, key
    # Committed data is shared with later tests: retire this test's agreement.
    Agreement.objects.filter(key=key).update(required=False)


async def test_publishing_closes_open_websockets_and_refuses_new_ones(
    published: tuple[Partner, str],
) -> None:
    partner, key = published
    cookie = await sync_to_async(session_cookie)(partner.owner)
    socket = communicator(partner.organization.slug, cookie)
    assert (await socket.connect())[0]
    assert (await socket.receive_json_from())["type"] == "hello"

    started = time.monotonic()
    version: AgreementVersion = await sync_to_async(agreement_publish)(
        key=key, title="Socket NDA", body="Text one", actor=None
    )
    message = await socket.receive_json_from(timeout=1)
    assert message["code"] == "access_revoked" and "Socket NDA" in message["message"]
    assert (await socket.receive_output(timeout=1))["type"] == "websocket.close"
    elapsed = time.monotonic() - started
    assert elapsed < 1.0
    print(f"websocket closed {elapsed * 1000:.0f} ms after the new version was published")

    again = communicator(partner.organization.slug, cookie)
    connected, _ = await again.connect()
    assert connected
    refusal = await again.receive_json_from()
    assert refusal["code"] == "agreement_required" and refusal["url"] == "/beta/agreements/"
    assert await again.receive_output(timeout=1) == {"type": "websocket.close", "code": 4403}

    await sync_to_async(agreement_accept)(
        user=partner.owner,
        version=version,
        content_hash_seen=version.content_hash,
        ip_address="127.0.0.1",
        user_agent="test",
    )
    accepted = communicator(partner.organization.slug, cookie)
    assert (await accepted.connect())[0]
    assert (await accepted.receive_json_from())["type"] == "hello"
    await accepted.disconnect()
