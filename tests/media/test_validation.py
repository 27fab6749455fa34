"""Malformed media is rejected with its reason, and nothing of it stays reachable."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import override_settings

from apps.core.errors import NotFound
from apps.media import tasks
from apps.media.ingest import media_ingest_file
from apps.media.links import media_signed_url
from apps.media.models import MediaFile, MediaState
from apps.production.models import Version
from apps.tenancy.scope import tenant_scope
from apps.tenancy.selectors import access_membership_by_slug
from tests.api.helpers import api_client_for
from tests.factories import World
from tests.media.helpers import (
    api_url,
    object_exists,
    put_part,
    start_upload,
    upload_file,
)


def _upload_and_validate(world: World, path: Path, name: str) -> MediaFile:
    client = api_client_for(world.a.producer)
    body = upload_file(
        client, world.a.organization.slug, world.a.project.pk, world.a.shot.pk, path, name
    )
    assert body["state"] == "quarantined"
    tasks.validate_media(media_id=body["id"], organization_id=world.a.organization.pk)
    # A proxy task for rejected media does nothing: it is never processed.
    tasks.make_proxy(media_id=body["id"], organization_id=world.a.organization.pk)
    with tenant_scope(world.a.organization.pk):
        return MediaFile.objects.select_related("version").get(pk=body["id"])


def _assert_unreachable(world: World, media: MediaFile) -> None:
    assert media.state == MediaState.REJECTED
    assert not object_exists(media.storage_key)
    assert not _derived(world, media)  # no proxy, poster or filmstrip was made
    with tenant_scope(world.a.organization.pk, user_id=world.a.owner.pk):
        with pytest.raises(NotFound):
            owner = access_membership_by_slug(world.a.owner, world.a.organization.slug)
            media_signed_url(actor=owner, media_id=media.pk)
    client = api_client_for(world.a.owner)
    org, project = world.a.organization.slug, world.a.project.pk
    assert client.get(api_url("media-link", org, project, pk=media.pk)).status_code == 404
    # The uploader sees the reason on the media and on the version.
    shown = client.get(api_url("media-detail", org, project, pk=media.pk)).json()
    assert shown["state"] == "rejected" and shown["rejection_reason"] == media.rejection_reason
    if media.version_id:
        version = client.get(api_url("version-detail", org, project, pk=media.version_id)).json()
        assert version["status"] == "rejected"
        assert version["media"]["rejection_reason"] == media.rejection_reason


def _derived(world: World, media: MediaFile) -> list[MediaFile]:
    with tenant_scope(world.a.organization.pk):
        return list(MediaFile.objects.filter(derived_from=media))


@pytest.mark.django_db
def test_wrong_magic_bytes_are_rejected(world: World, tmp_path: Path, exr: Path) -> None:
    fake = tmp_path / "fake.mov"
    fake.write_bytes(exr.read_bytes())
    media = _upload_and_validate(world, fake, "plate_A001.mov")
    assert media.rejection_reason == (
        "The file is named as a QuickTime/MP4 movie but its content is OpenEXR image"
        " (wrong magic bytes)."
    )
    _assert_unreachable(world, media)


@pytest.mark.django_db
def test_truncated_prores_is_rejected(world: World, tmp_path: Path, prores: Path) -> None:
    data = prores.read_bytes()
    truncated = tmp_path / "cut.mov"
    truncated.write_bytes(data[: len(data) * 2 // 3])
    media = _upload_and_validate(world, truncated, "plate_prores.mov")
    assert "truncated" in media.rejection_reason
    _assert_unreachable(world, media)


@pytest.mark.django_db
def test_truncated_faststart_prores_names_the_missing_frames(world: World, tmp_path: Path) -> None:
    from apps.media import samples

    movie = samples.make_movie(tmp_path / "fs.mov", codec="prores", frames=12, faststart=True)
    data = movie.read_bytes()
    (tmp_path / "cut.mov").write_bytes(data[: len(data) // 2])
    media = _upload_and_validate(world, tmp_path / "cut.mov", "plate_fs.mov")
    assert media.rejection_reason.startswith("The movie is truncated:")
    assert "of its 12 frames are present" in media.rejection_reason
    _assert_unreachable(world, media)


@pytest.mark.django_db
def test_exr_with_a_corrupt_header_is_rejected(world: World, tmp_path: Path, exr: Path) -> None:
    data = bytearray(exr.read_bytes())
    data[8:40] = b"\xff" * 32  # keep the magic number, break the attributes
    corrupt = tmp_path / "corrupt.exr"
    corrupt.write_bytes(bytes(data))
    media = _upload_and_validate(world, corrupt, "element.exr")
    # 32 bytes without a NUL where the first attribute name (at most 31 characters) is.
    assert media.rejection_reason == (
        "The EXR header is corrupt: a name longer than 31 characters at byte 8."
    )
    _assert_unreachable(world, media)


@pytest.mark.django_db
def test_zero_byte_file_is_refused_before_anything_is_stored(world: World) -> None:
    client = api_client_for(world.a.producer)
    response = start_upload(
        client, world.a.organization.slug, world.a.project.pk, world.a.shot.pk, "empty.mov", 0
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "The file is empty (0 bytes): nothing to upload."
    with tenant_scope(world.a.organization.pk):
        assert not MediaFile.objects.exists()


@pytest.mark.django_db
def test_zero_byte_object_is_rejected_by_validation(world: World, tmp_path: Path) -> None:
    empty = tmp_path / "empty.exr"
    empty.write_bytes(b"")
    with tenant_scope(world.a.organization.pk):
        media = media_ingest_file(
            actor=world.a.owner, shot=world.a.shot, path=empty, filename="empty.exr"
        )
    tasks.validate_media(media_id=media.pk, organization_id=world.a.organization.pk)
    with tenant_scope(world.a.organization.pk):
        media.refresh_from_db()
    assert media.rejection_reason == "The file is empty (0 bytes)."
    _assert_unreachable(world, media)


@pytest.mark.django_db
@override_settings(MEDIA_MAX_UPLOAD_BYTES=1024 * 1024)
def test_file_over_the_limit_is_refused(world: World) -> None:
    client = api_client_for(world.a.producer)
    org, project = world.a.organization.slug, world.a.project.pk
    response = start_upload(client, org, project, world.a.shot.pk, "huge.mov", 1024 * 1024 + 1)
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "The file is 1.0 MiB; uploads are limited to 1.0 MiB."
    )


@pytest.mark.django_db
@override_settings(MEDIA_MAX_UPLOAD_BYTES=1024 * 1024)
def test_a_file_larger_than_declared_is_rejected_at_completion(world: World) -> None:
    """A client that declares a small file and sends more is caught by the server."""
    client = api_client_for(world.a.producer)
    org, project = world.a.organization.slug, world.a.project.pk
    upload = start_upload(client, org, project, world.a.shot.pk, "sneaky.mov", 1000).json()
    part = client.post(
        api_url("upload-parts", org, project, pk=upload["id"]), {"parts": [1]}, format="json"
    ).json()["parts"][0]
    assert put_part(part["url"], b"\0" * (2 * 1024 * 1024)) == 200
    done = client.post(api_url("upload-complete", org, project, pk=upload["id"]))
    assert done.status_code == 200
    assert done.json()["state"] == "rejected"
    assert "does not match its declared size" in done.json()["rejection_reason"]
    with tenant_scope(world.a.organization.pk):
        media = MediaFile.objects.get(pk=upload["id"])
        assert not Version.objects.filter(shot=world.a.shot).exists()
    assert not object_exists(media.storage_key)
    # The aborted multipart upload cannot take more parts either.
    again = client.post(
        api_url("upload-parts", org, project, pk=upload["id"]), {"parts": [1]}, format="json"
    )
    assert again.status_code == 409
