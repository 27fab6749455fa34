from __future__ import annotations

import hashlib
import re

import pytest
from rest_framework.test import APIClient

from apps.accounts.models import ApiToken
from tests.api.helpers import api_client_for
from tests.factories import World


@pytest.mark.django_db
def test_a_token_is_shown_once_stored_hashed_and_works_until_revoked(world: World) -> None:
    session = APIClient()
    session.force_login(world.a.owner)
    created = session.post("/api/v1/tokens/", {"name": "nuke pipeline"}, format="json")
    assert created.status_code == 201
    plain = created.json()["token"]
    assert plain.startswith("blt_")
    stored = ApiToken.objects.get(pk=created.json()["id"])
    assert stored.secret_hash == hashlib.sha256(plain.encode()).hexdigest()
    assert plain not in str(ApiToken.objects.filter(pk=stored.pk).values().get())
    listed = session.get("/api/v1/tokens/").json()["results"]
    assert "token" not in listed[0]

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert client.get("/api/v1/me/").json()["email"] == world.a.owner.email

    assert session.delete(f"/api/v1/tokens/{stored.pk}/").status_code == 200
    refused = client.get("/api/v1/me/")
    assert refused.status_code == 401
    assert refused.json()["error"]["message"] == "Invalid or revoked API token."


@pytest.mark.django_db
def test_a_forged_token_is_refused(world: World) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer blt_deadbeef_notarealtoken")
    assert client.get("/api/v1/me/").status_code == 401


@pytest.mark.django_db
def test_another_users_token_cannot_be_revoked(world: World) -> None:
    victim_token, _ = __import__("apps.accounts.services", fromlist=["x"]).api_token_create(
        user=world.b.owner, name="b pipeline"
    )
    response = api_client_for(world.a.owner).delete(f"/api/v1/tokens/{victim_token.pk}/")
    assert response.status_code == 404
    victim_token.refresh_from_db()
    assert victim_token.revoked_at is None


@pytest.mark.django_db
def test_the_token_page_shows_a_new_token_once_and_a_reload_creates_no_second(world: World) -> None:
    from django.test import Client

    client = Client()
    client.force_login(world.a.producer)
    key = re.search(
        r'name="form_key" value="([^"]+)"', client.get("/settings/tokens/").content.decode()
    )
    assert key is not None
    form = {"name": "resolve bridge", "form_key": key.group(1)}
    created = client.post("/settings/tokens/", form, follow=True)
    page = created.content.decode()
    assert "it will not be shown again" in page
    # Sending the same form again (a reload of the answer) makes no second token.
    client.post("/settings/tokens/", form, follow=True)
    again = client.get("/settings/tokens/").content.decode()
    assert "it will not be shown again" not in again
    assert ApiToken.objects.filter(user=world.a.producer, name="resolve bridge").count() == 1
