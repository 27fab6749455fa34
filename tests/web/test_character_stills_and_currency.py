"""The character page removes a reference still (the file, its poster and their objects in
the bucket; only partner leads may), and the project settings let a producer change the
currency budgets and costs are counted in, with the error beside the field."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from django.conf import settings
from django.test import Client
from django.urls import reverse

from apps.media.files import media_file_register
from apps.media.models import MediaFile, MediaKind, MediaState
from apps.media.storage import new_object_key, s3_client
from apps.production.models import Character, Project
from apps.tenancy.scope import tenant_scope
from tests.factories import Partner, World

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _stored(partner: Partner, name: str, **fields: Any) -> MediaFile:
    key = new_object_key(
        organization_id=partner.organization.pk, project_id=partner.project.pk, filename=name
    )
    s3_client().put_object(Bucket=settings.S3_BUCKET, Key=key, Body=b"\x89PNG still")
    return media_file_register(
        organization_id=partner.organization.pk,
        project_id=partner.project.pk,
        state=MediaState.READY,
        storage_key=key,
        original_filename=name,
        content_type="image/png",
        size=10,
        **fields,
    )


def _exists(key: str) -> bool:
    try:
        s3_client().head_object(Bucket=settings.S3_BUCKET, Key=key)
    except ClientError:
        return False
    return True


def _character_with_still(partner: Partner) -> tuple[Character, MediaFile, MediaFile]:
    with tenant_scope(partner.organization.pk):
        character = Character.objects.create(
            organization_id=partner.organization.pk, project=partner.project, name="Mara"
        )
        still = _stored(
            partner, "mara_front.png", kind=MediaKind.REFERENCE, character_id=character.pk
        )
        poster = _stored(
            partner, "mara_front_poster.jpg", kind=MediaKind.POSTER, derived_from_id=still.pk
        )
    return character, still, poster


def _remove_url(partner: Partner, character: Character, media: MediaFile) -> str:
    return reverse(
        "character-still-remove",
        args=[partner.organization.slug, partner.project.pk, character.pk, media.pk],
    )


def test_a_producer_removes_a_reference_still_and_its_files(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    a = world.a
    character, still, poster = _character_with_still(a)
    client = _client(a.producer)
    page = reverse("character-page", args=[a.organization.slug, a.project.pk, character.pk])
    html = client.get(page).content.decode()
    assert 'data-testid="still-remove"' in html and _remove_url(a, character, still) in html

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_remove_url(a, character, still))
    assert response.status_code == 302 and response["Location"] == page
    with tenant_scope(a.organization.pk):
        assert not MediaFile.objects.filter(pk__in=[still.pk, poster.pk]).exists()
    assert not _exists(still.storage_key) and not _exists(poster.storage_key)
    after = client.get(page).content.decode()
    assert "mara_front.png is no longer a reference of Mara" in after
    assert 'data-testid="stills-empty"' in after


def test_viewers_and_other_partners_cannot_remove_a_still(world: World) -> None:
    a = world.a
    character, still, _ = _character_with_still(a)
    viewer = _client(a.viewer)
    page = reverse("character-page", args=[a.organization.slug, a.project.pk, character.pk])
    assert 'data-testid="still-remove"' not in viewer.get(page).content.decode()
    viewer.post(_remove_url(a, character, still))
    other = _client(world.b.owner)
    foreign = reverse(
        "character-still-remove",
        args=[world.b.organization.slug, a.project.pk, character.pk, still.pk],
    )
    assert other.post(foreign).status_code == 404
    with tenant_scope(a.organization.pk):
        assert MediaFile.objects.filter(pk=still.pk).exists()
    assert _exists(still.storage_key)


def test_a_producer_changes_the_project_currency(world: World) -> None:
    a = world.a
    client = _client(a.producer)
    settings_url = reverse("project-settings", args=[a.organization.slug, a.project.pk])
    assert 'data-testid="currency-form"' in client.get(settings_url).content.decode()

    bad = client.post(settings_url, {"action": "currency", "currency": "XYZ"})
    assert bad.status_code == 400
    html = bad.content.decode()
    error = html.index('data-testid="currency-error"')
    assert "XYZ is not a currency" in html[error : error + 300]
    assert 'value="XYZ"' in html  # what was typed stays in the field
    with tenant_scope(a.organization.pk):
        assert Project.objects.get(pk=a.project.pk).currency == "EUR"

    ok = client.post(settings_url, {"action": "currency", "currency": "usd"})
    assert ok.status_code == 302
    with tenant_scope(a.organization.pk):
        assert Project.objects.get(pk=a.project.pk).currency == "USD"
    jobs = client.get(reverse("render-jobs-page", args=[a.organization.slug, a.project.pk]))
    assert "GPU-h · $500.00" in jobs.content.decode()


def test_a_viewer_cannot_change_the_currency(world: World) -> None:
    a = world.a
    client = _client(a.viewer)
    settings_url = reverse("project-settings", args=[a.organization.slug, a.project.pk])
    html = client.get(settings_url).content.decode()
    assert 'data-testid="currency-form"' not in html and 'data-testid="currency-value"' in html
    response = client.post(settings_url, {"action": "currency", "currency": "USD"})
    assert response.status_code == 403
    with tenant_scope(a.organization.pk):
        assert Project.objects.get(pk=a.project.pk).currency == "EUR"
