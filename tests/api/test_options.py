"""Every API route answers OPTIONS the same way: the route's name, description and allowed
methods, never a 500. (The OpenAPI schema is the contract for request bodies; OPTIONS does
not introspect serializers or look up objects.)"""

from __future__ import annotations

import json

import pytest
from django.urls import URLPattern, reverse

from tests.api.helpers import api_client_for
from tests.api.test_isolation import FOREIGN, SELF_ONLY, _api_patterns, _route_name
from tests.factories import World


@pytest.mark.parametrize("pattern", _api_patterns(), ids=lambda p: p.name)
@pytest.mark.django_db
def test_options_answers_every_route_without_a_server_error(
    pattern: URLPattern, world: World
) -> None:
    name = _route_name(pattern)
    if name in SELF_ONLY:
        kwarg_sets: list[dict[str, object]] = [{}]
    else:
        # Partner A's own organization with B's ids, and B's organization: both must answer
        # cleanly (200 with metadata for a member, the usual 404 otherwise).
        kwarg_sets = FOREIGN[name](world)
    client = api_client_for(world.a.owner)
    client.raise_request_exception = False
    for kwargs in kwarg_sets:
        url = reverse(f"api:{name}", kwargs=kwargs)
        response = client.options(url)
        assert response.status_code in (200, 404), (
            f"OPTIONS {url} answered {response.status_code}: {response.content[:200]!r}"
        )
        body = json.loads(response.content)
        if response.status_code == 200:
            assert body["name"] and "allow" not in body
            assert "OPTIONS" in response["Allow"]
        else:
            assert body["error"]["code"] == "not_found"


@pytest.mark.django_db
def test_unknown_api_urls_answer_the_json_error_body(world: World) -> None:
    client = api_client_for(world.a.owner)
    for url in (
        "/api/v1/nope/",
        f"/api/v1/orgs/{world.a.organization.slug}/nothing-here/",
        "/api/x",
    ):
        response = client.get(url)
        assert response.status_code == 404
        assert response["Content-Type"].startswith("application/json")
        assert response.json()["error"]["code"] == "not_found"
