from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.test import override_settings

from apps.media import tasks
from apps.media.models import MediaFile, MediaKind, MediaState
from apps.production.models import Version
from apps.tenancy.scope import tenant_scope
from tests.api.helpers import api_client_for
from tests.factories import World
from tests.media.helpers import (
    api_url,
    object_exists,
    object_sha256,
    put_part_dropped,
    send_parts,
    start_upload,
    upload_file,
)

FIVE_MIB = 5 * 1024 * 1024


@pytest.mark.django_db
@override_settings(MEDIA_UPLOAD_PART_SIZE=FIVE_MIB)
def test_upload_killed_midway_resumes_and_ends_byte_identical(
    world: World, big_dnxhr: Path
) -> None:
    data = big_dnxhr.read_bytes()
    org, project = world.a.organization.slug, world.a.project.pk
    client = api_client_for(world.a.producer)
    started = start_upload(client, org, project, world.a.shot.pk, "plate.mov", len(data))
    assert started.status_code == 201, started.content
    upload = started.json()
    assert upload["part_count"] == 3 and upload["part_size"] == FIVE_MIB
    assert upload["state"] == "uploading"

    # Part 1 arrives, part 2 is cut off halfway when the connection drops.
    send_parts(client, org, project, upload, data, [1])
    part2 = client.post(
        api_url("upload-parts", org, project, pk=upload["id"]), {"parts": [2]}, format="json"
    ).json()["parts"][0]
    put_part_dropped(part2["url"], data[FIVE_MIB : 2 * FIVE_MIB])

    # Completing now is refused: the server checks what S3 really holds.
    early = client.post(api_url("upload-complete", org, project, pk=upload["id"]))
    assert early.status_code == 409
    assert "Parts 2, 3 of 3 are not uploaded yet" in early.json()["error"]["message"]

    # "Page reload": a new client finds the upload in progress and the parts stored.
    resumed = api_client_for(world.a.producer)
    pending = resumed.get(api_url("upload-list", org, project), {"shot": world.a.shot.pk}).json()
    assert [u["id"] for u in pending["results"]] == [upload["id"]]
    status = resumed.get(api_url("upload-detail", org, project, pk=upload["id"])).json()
    assert status["parts_stored"] == [{"part_number": 1, "size": FIVE_MIB}]
    stored = {p["part_number"] for p in status["parts_stored"]}
    send_parts(resumed, org, project, upload, data, [n for n in (1, 2, 3) if n not in stored])
    done = resumed.post(api_url("upload-complete", org, project, pk=upload["id"]))
    assert done.status_code == 200, done.content
    body = done.json()
    assert body["state"] == "quarantined" and body["version_label"] == "v001"

    with tenant_scope(world.a.organization.pk):
        media = MediaFile.objects.get(pk=upload["id"])
    assert media.storage_key.startswith(
        f"org/{world.a.organization.pk}/project/{world.a.project.pk}/uploads/"
    )
    assert object_sha256(media.storage_key) == hashlib.sha256(data).hexdigest()

    # Quarantined media is not served.
    link = resumed.get(api_url("media-link", org, project, pk=media.pk))
    assert link.status_code == 404

    # The validation task (run for real) probes it and queues the proxy.
    assert (
        tasks.validate_media(media_id=media.pk, organization_id=world.a.organization.pk) == "ready"
    )
    with tenant_scope(world.a.organization.pk):
        media.refresh_from_db()
    assert media.sha256 == hashlib.sha256(data).hexdigest()
    assert (media.codec, media.width, media.height, media.frame_count) == ("dnxhd", 1920, 1080, 24)
    assert media.proxy_status == "queued"

    assert tasks.make_proxy(media_id=media.pk, organization_id=world.a.organization.pk) == "ready"
    versions = resumed.get(api_url("version-list", org, project, shot_pk=world.a.shot.pk)).json()[
        "results"
    ]
    assert versions[0]["label"] == "v001" and versions[0]["status"] == "in_review"
    proxy_id = versions[0]["media"]["proxy_id"]
    assert proxy_id and versions[0]["media"]["poster_id"] and versions[0]["media"]["filmstrip_id"]
    with tenant_scope(world.a.organization.pk):
        proxy = MediaFile.objects.get(pk=proxy_id)
        assert Version.objects.get(pk=versions[0]["id"]).status == "in_review"
    assert (proxy.kind, proxy.codec, proxy.frame_count) == (MediaKind.PROXY, "h264", 24)
    # Conformed to the project rate (24000/1001), scaled to fit 1280x720.
    assert (proxy.frame_rate_numerator, proxy.frame_rate_denominator) == (24000, 1001)
    assert (proxy.width, proxy.height) == (1280, 720)

    viewer = api_client_for(world.a.viewer)
    played = viewer.get(api_url("media-link", org, project, pk=proxy_id))
    assert played.status_code == 200 and played.json()["expires_in"] <= 300
    assert "X-Amz-Expires=300" in played.json()["url"]
    assert "response-content-disposition=inline" in played.json()["url"]
    # The viewer role may stream but not download the original.
    original = viewer.get(api_url("media-link", org, project, pk=media.pk), {"purpose": "download"})
    assert original.status_code == 403


@pytest.mark.django_db
def test_uploads_need_an_uploader_role_and_a_known_type(world: World) -> None:
    org, project = world.a.organization.slug, world.a.project.pk
    viewer = api_client_for(world.a.viewer)
    refused = start_upload(viewer, org, project, world.a.shot.pk, "plate.mov", 100)
    assert refused.status_code == 403
    producer = api_client_for(world.a.producer)
    unknown = start_upload(producer, org, project, world.a.shot.pk, "notes.docx", 100)
    assert unknown.status_code == 400
    assert "not a supported media type" in unknown.json()["error"]["message"]
    foreign_shot = start_upload(producer, org, project, world.b.shot.pk, "plate.mov", 100)
    assert foreign_shot.status_code == 404


@pytest.mark.django_db
def test_completed_upload_object_is_prefixed_by_tenant_and_project(
    world: World, prores: Path
) -> None:
    client = api_client_for(world.a.owner)
    body = upload_file(
        client, world.a.organization.slug, world.a.project.pk, world.a.shot.pk, prores
    )
    with tenant_scope(world.a.organization.pk):
        media = MediaFile.objects.get(pk=body["id"])
    assert media.state == MediaState.QUARANTINED
    assert media.storage_key.split("/")[:4] == [
        "org",
        str(world.a.organization.pk),
        "project",
        str(world.a.project.pk),
    ]
    assert object_exists(media.storage_key)
