"""The isolation battery: for every API route, a member of partner A (and studio staff
without a share) gets 404 for partner B's objects, whatever the method. A meta-test fails
when a route is added to /api/v1/ without being listed here."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import URLPattern, reverse

from studio import api_urls
from tests.api.helpers import api_client_for
from tests.factories import World

Kwargs = dict[str, Any]

# Route name -> URL kwargs that point at partner B's objects, seen from partner A.
FOREIGN: dict[str, Callable[[World], list[Kwargs]]] = {
    "org-detail": lambda w: [{"org": w.b.organization.slug}],
    "member-list": lambda w: [{"org": w.b.organization.slug}],
    "member-detail": lambda w: [
        {"org": w.b.organization.slug, "pk": _membership_id(w, "b")},
        {"org": w.a.organization.slug, "pk": _membership_id(w, "b")},
    ],
    "org-audit": lambda w: [{"org": w.b.organization.slug}],
    "project-list": lambda w: [{"org": w.b.organization.slug}],
    "project-detail": lambda w: [
        {"org": w.b.organization.slug, "pk": w.b.project.pk},
        {"org": w.a.organization.slug, "pk": w.b.project.pk},
    ],
    "share-list": lambda w: [
        {"org": w.b.organization.slug, "project_pk": w.b.project.pk},
        {"org": w.a.organization.slug, "project_pk": w.b.project.pk},
    ],
    "share-detail": lambda w: [
        {"org": w.a.organization.slug, "project_pk": w.b.project.pk, "pk": _share_id(w)},
        {"org": w.b.organization.slug, "project_pk": w.b.project.pk, "pk": _share_id(w)},
    ],
    "sequence-list": lambda w: [
        {"org": w.b.organization.slug, "project_pk": w.b.project.pk},
        {"org": w.a.organization.slug, "project_pk": w.b.project.pk},
    ],
    "sequence-detail": lambda w: [
        {"org": w.a.organization.slug, "project_pk": w.b.project.pk, "pk": w.b.sequence.pk},
        {"org": w.a.organization.slug, "project_pk": w.a.project.pk, "pk": w.b.sequence.pk},
    ],
    "shot-list": lambda w: [
        {"org": w.a.organization.slug, "project_pk": w.b.project.pk},
    ],
    "shot-detail": lambda w: [
        {"org": w.a.organization.slug, "project_pk": w.b.project.pk, "pk": w.b.shot.pk},
        {"org": w.a.organization.slug, "project_pk": w.a.project.pk, "pk": w.b.shot.pk},
    ],
    "token-detail": lambda w: [{"pk": _token_id(w)}],
    "staff-audit": lambda w: [{}],
}

# Routes about the requesting user: they answer 200, so they must not mention B at all.
SELF_ONLY = {"me", "org-list", "token-list"}


def _membership_id(world: World, which: str) -> int:
    from apps.tenancy.models import Membership
    from apps.tenancy.scope import tenant_scope

    partner = world.b if which == "b" else world.a
    with tenant_scope(partner.organization.pk):
        return Membership.objects.get(user=partner.owner).pk


def _share_id(world: World) -> int:
    from tests.factories import share_with_studio

    if not hasattr(world, "_b_share"):
        world._b_share = share_with_studio(world.b, world.studio)  # type: ignore[attr-defined]
        # Revoke it again so the studio reviewer probes an unshared project.
        from apps.tenancy.scope import tenant_scope
        from apps.tenancy.services import project_share_revoke

        with tenant_scope(world.b.organization.pk):
            project_share_revoke(share=world._b_share, actor=world.b.owner)  # type: ignore[attr-defined]
    return world._b_share.pk  # type: ignore[attr-defined]


def _token_id(world: World) -> int:
    from apps.accounts.services import api_token_create

    token, _ = api_token_create(user=world.b.owner, name="b's token")
    return token.pk


def _api_patterns() -> list[URLPattern]:
    return [p for p in api_urls.urlpatterns if isinstance(p, URLPattern)]


def _methods(pattern: URLPattern) -> list[str]:
    actions: dict[str, str] = pattern.callback.actions  # type: ignore[attr-defined]
    return sorted(actions)


def test_every_api_route_is_covered_by_the_isolation_battery() -> None:
    names = {p.name for p in _api_patterns()}
    missing = names - set(FOREIGN) - SELF_ONLY
    assert not missing, f"add these routes to the isolation battery: {sorted(missing)}"
    assert not (set(FOREIGN) | SELF_ONLY) - names, "battery lists routes that no longer exist"


@pytest.mark.parametrize(
    "pattern", [p for p in _api_patterns() if p.name not in SELF_ONLY], ids=lambda p: p.name
)
@pytest.mark.django_db
def test_foreign_objects_answer_404_for_every_method(pattern: URLPattern, world: World) -> None:
    actors = {"partner A owner": world.a.owner, "unshared studio reviewer": world.reviewer}
    for kwargs in FOREIGN[pattern.name](world):
        url = reverse(f"api:{pattern.name}", kwargs=kwargs)
        for label, user in actors.items():
            client = api_client_for(user)
            for method in _methods(pattern):
                response = getattr(client, method)(url, {}, format="json")
                assert response.status_code == 404, (
                    f"{label} {method.upper()} {url} answered {response.status_code}: "
                    f"{response.content[:200]!r}"
                )
                if method == "head":
                    continue
                body = json.loads(response.content)
                assert body["error"]["code"] == "not_found"
                assert world.b.project.name not in response.content.decode()


@pytest.mark.parametrize("name", sorted(SELF_ONLY))
@pytest.mark.django_db
def test_user_scoped_routes_never_mention_another_partner(name: str, world: World) -> None:
    _token_id(world)
    response = api_client_for(world.a.owner).get(reverse(f"api:{name}"))
    assert response.status_code == 200
    text = response.content.decode()
    for secret in (
        world.b.organization.slug,
        world.b.owner.email,
        "b's token",
        world.b.project.name,
    ):
        assert secret not in text


@pytest.mark.django_db
def test_partner_sees_own_objects_through_the_same_routes(world: World) -> None:
    client = api_client_for(world.a.viewer)
    org = world.a.organization.slug
    projects = client.get(reverse("api:project-list", kwargs={"org": org})).json()
    assert [p["id"] for p in projects["results"]] == [world.a.project.pk]
    shot = client.get(
        reverse(
            "api:shot-detail",
            kwargs={"org": org, "project_pk": world.a.project.pk, "pk": world.a.shot.pk},
        )
    ).json()
    assert (shot["cut_in"], shot["cut_out"], shot["frame_count"]) == (1001, 1096, 96)
