"""Every API failure has the same body: error.code, error.message and the request id."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.api.helpers import api_client_for
from tests.factories import World


@pytest.mark.django_db
def test_unauthenticated_requests_get_a_clear_401() -> None:
    response = APIClient().get("/api/v1/me/")
    assert response.status_code in (401, 403)
    body = response.json()
    assert body["error"]["code"] == "not_authenticated"
    assert body["request_id"] == response["X-Request-ID"]


@pytest.mark.django_db
def test_validation_errors_name_the_field(world: World) -> None:
    client = api_client_for(world.a.owner)
    url = f"/api/v1/orgs/{world.a.organization.slug}/projects/"
    response = client.post(url, {"name": "Night Shift", "frame_rate": "fast"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["error"]["code"] == "invalid"
    assert "frame rate" in body["error"]["message"]
    assert "frame_rate" in body["error"]["fields"]


@pytest.mark.django_db
def test_a_role_without_write_access_gets_403_with_the_reason(world: World) -> None:
    client = api_client_for(world.a.viewer)
    url = f"/api/v1/orgs/{world.a.organization.slug}/projects/"
    response = client.post(url, {"name": "Not mine"}, format="json")
    assert response.status_code == 403
    assert "Viewer" in response.json()["error"]["message"]


@pytest.mark.django_db
def test_duplicate_project_code_is_a_409_and_the_original_is_untouched(world: World) -> None:
    client = api_client_for(world.a.producer)
    url = f"/api/v1/orgs/{world.a.organization.slug}/projects/"
    original = client.get(url).json()["results"][0]
    response = client.post(url, {"name": "Other", "code": original["code"]}, format="json")
    assert response.status_code == 409
    again = client.get(url).json()["results"]
    assert again == [original]


@pytest.mark.django_db
def test_lists_are_paginated_filterable_and_searchable(world: World) -> None:
    client = api_client_for(world.a.owner)
    org = world.a.organization.slug
    for index in range(3):
        client.post(f"/api/v1/orgs/{org}/projects/", {"name": f"Reel {index}"}, format="json")
    page = client.get(f"/api/v1/orgs/{org}/projects/?page_size=2").json()
    assert page["count"] == 4 and len(page["results"]) == 2 and page["next"]
    found = client.get(f"/api/v1/orgs/{org}/projects/?search=Reel 1").json()
    assert [p["name"] for p in found["results"]] == ["Reel 1"]
    members = client.get(f"/api/v1/orgs/{org}/members/?role=viewer").json()
    assert [m["email"] for m in members["results"]] == [world.a.viewer.email]
