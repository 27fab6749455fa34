"""Shot reads are cached per partner, a write is visible on the next read, a cached read
never outlives access, lists and reads answer 304 to a matching ETag, and a page of 1000
is allowed."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from apps.production.models import Shot
from apps.tenancy.scope import tenant_scope
from apps.tenancy.services import project_share_revoke
from tests.api.helpers import api_client_for
from tests.factories import (
    enable_totp,
    make_organization,
    make_partner,
    make_user,
    share_with_studio,
)


def _shot_url(slug: str, project_id: int, shot_id: int) -> str:
    return f"/api/v1/orgs/{slug}/projects/{project_id}/shots/{shot_id}/"


@pytest.mark.usefixtures("committed_db")
def test_a_write_is_visible_on_the_next_read() -> None:
    a = make_partner("cache-write")
    client = api_client_for(a.viewer)
    url = _shot_url(a.organization.slug, a.project.pk, a.shot.pk)
    for _ in range(3):  # the first read starts the shot's generation, the next ones cache
        assert client.get(url).json()["description"] == ""

    with tenant_scope(a.organization.pk, user_id=a.owner.pk):
        shot = Shot.objects.get(pk=a.shot.pk)
        shot.description = "Add fog on the water."
        shot.cut_out = 1100
        shot.save()

    body = client.get(url).json()
    assert (body["description"], body["cut_out"], body["frame_count"]) == (
        "Add fog on the water.",
        1100,
        100,
    )


@pytest.mark.usefixtures("committed_db")
def test_partner_a_cached_shot_is_never_served_to_partner_b() -> None:
    a, b = make_partner("cache-a"), make_partner("cache-b")
    reader_a, reader_b = api_client_for(a.viewer), api_client_for(b.owner)
    for _ in range(3):
        assert (
            reader_a.get(_shot_url(a.organization.slug, a.project.pk, a.shot.pk)).status_code == 200
        )
    assert cache.get(f"prod:shot:{a.organization.pk}:{a.shot.pk}") is not None

    # Through B's organization, with A's project and shot ids, or B's project id.
    for url in (
        _shot_url(b.organization.slug, a.project.pk, a.shot.pk),
        _shot_url(b.organization.slug, b.project.pk, a.shot.pk),
    ):
        response = reader_b.get(url)
        assert response.status_code == 404
        assert "SH0010" not in response.content.decode()


@pytest.mark.usefixtures("committed_db")
def test_a_cached_shared_shot_is_not_served_after_the_share_is_revoked() -> None:
    from apps.tenancy.models import OrganizationKind, Role
    from apps.tenancy.services import membership_create

    a = make_partner("cache-share")
    studio = make_organization("Studio", OrganizationKind.STUDIO)
    reviewer = make_user("cache-reviewer")
    membership_create(organization=studio, user=reviewer, role=Role.REVIEWER, actor=None)
    enable_totp(reviewer)
    share = share_with_studio(a, studio)
    client = api_client_for(reviewer)
    url = _shot_url(studio.slug, a.project.pk, a.shot.pk)
    for _ in range(3):
        assert client.get(url).status_code == 200
    assert cache.get(f"prod:shot:{studio.pk}:{a.shot.pk}") is not None

    with tenant_scope(a.organization.pk, user_id=a.owner.pk):
        project_share_revoke(share=share, actor=a.owner)

    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_lists_and_reads_answer_304_until_they_change() -> None:
    a = make_partner("etag")
    client = api_client_for(a.producer)
    list_url = f"/api/v1/orgs/{a.organization.slug}/projects/{a.project.pk}/shots/"
    read_url = _shot_url(a.organization.slug, a.project.pk, a.shot.pk)
    for url in (list_url, read_url):
        first = client.get(url)
        tag = first["ETag"]
        again = client.get(url, HTTP_IF_NONE_MATCH=tag)
        assert again.status_code == 304
        assert again.content == b""

    tag = client.get(list_url)["ETag"]
    created = client.post(
        list_url,
        {"sequence": a.sequence.pk, "code": "SH0020", "cut_in": 1, "cut_out": 24},
        format="json",
    )
    assert created.status_code == 201
    changed = client.get(list_url, HTTP_IF_NONE_MATCH=tag)
    assert changed.status_code == 200
    assert [s["code"] for s in changed.json()["results"]] == ["SH0010", "SH0020"]

    # A stranger's If-None-Match gets the same 404 as without it.
    stranger = api_client_for(make_partner("etag-x").owner)
    assert stranger.get(read_url, HTTP_IF_NONE_MATCH=tag).status_code == 404


@pytest.mark.django_db
def test_a_page_of_1000_is_allowed_and_more_is_refused() -> None:
    a = make_partner("pages")
    client = api_client_for(a.viewer)
    url = f"/api/v1/orgs/{a.organization.slug}/projects/{a.project.pk}/shots/"

    assert client.get(url, {"page_size": 1000}).json()["count"] == 1
    refused = client.get(url, {"page_size": 1001})
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"]["page_size"]
