"""Image sequences as one version: uploaded through the upload API with one part per frame,
every frame's header checked, gaps named (refused unless accepted as holds), mixed
resolutions refused, one proxy for the whole sequence. Frames are EXRs written by hand
(tests/media/hostile.py)."""

from __future__ import annotations

import urllib.request
from pathlib import Path
from typing import Any

import pytest

from apps.media import tasks
from apps.media.models import MediaFile, MediaKind, MediaState
from apps.media.sequences import inspect_sequence
from apps.media.validation import MediaRejected
from apps.production.models import Version
from apps.tenancy.scope import tenant_scope
from tests.api.helpers import api_client_for
from tests.factories import World
from tests.media import hostile as h
from tests.media.helpers import api_url, object_exists

pytestmark = pytest.mark.django_db
RGB = ("B", "G", "R")


def _frames(
    numbers: list[int], *, odd: dict[int, tuple[int, int]] | None = None
) -> dict[str, bytes]:
    sizes = odd or {}
    return {f"plate.{n:04d}.exr": h.exr(*sizes.get(n, (32, 16)), channels=RGB) for n in numbers}


def _start(world: World, frames: dict[str, bytes], **extra: Any) -> Any:
    client = api_client_for(world.a.producer)
    org, project = world.a.organization.slug, world.a.project.pk
    return client.post(
        api_url("upload-list", org, project),
        {
            "shot": world.a.shot.pk,
            "frames": [{"name": name, "size": len(data)} for name, data in frames.items()],
            **extra,
        },
        format="json",
    )


def _send(world: World, upload: dict[str, Any], frames: dict[str, bytes], parts: list[int]) -> None:
    client = api_client_for(world.a.producer)
    org, project = world.a.organization.slug, world.a.project.pk
    urls = client.post(
        api_url("upload-parts", org, project, pk=upload["id"]), {"parts": parts}, format="json"
    ).json()["parts"]
    for part in urls:
        body = frames[part["name"]]
        assert part["size"] == len(body)
        request = urllib.request.Request(part["url"], data=body, method="PUT")
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200


def _complete(world: World, upload: dict[str, Any]) -> Any:
    client = api_client_for(world.a.producer)
    org, project = world.a.organization.slug, world.a.project.pk
    return client.post(api_url("upload-complete", org, project, pk=upload["id"]))


def _upload_sequence(world: World, frames: dict[str, bytes], **extra: Any) -> MediaFile:
    started = _start(world, frames, **extra)
    assert started.status_code == 201, started.content
    upload = started.json()
    assert upload["part_count"] == len(frames)
    _send(world, upload, frames, list(range(1, len(frames) + 1)))
    done = _complete(world, upload)
    assert done.status_code == 200, done.content
    assert done.json()["state"] == "quarantined"
    tasks.validate_media(media_id=upload["id"], organization_id=world.a.organization.pk)
    tasks.make_proxy(media_id=upload["id"], organization_id=world.a.organization.pk)
    with tenant_scope(world.a.organization.pk):
        return MediaFile.objects.select_related("version").get(pk=upload["id"])


def test_a_clean_sequence_becomes_one_version_with_one_proxy(world: World) -> None:
    frames = _frames([1001, 1002, 1003, 1004, 1005])
    media = _upload_sequence(world, frames, content_type="image/x-exr")
    assert media.state == MediaState.READY, media.rejection_reason
    assert media.original_filename == "plate.####.exr"
    assert (media.width, media.height, media.frame_count) == (32, 16, 5)
    sequence = media.probe["sequence"]
    assert (sequence["first_frame"], sequence["last_frame"], sequence["holds"]) == (1001, 1005, [])
    with tenant_scope(world.a.organization.pk):
        assert Version.objects.filter(shot=world.a.shot).count() == 1
        proxy = MediaFile.objects.get(derived_from=media, kind=MediaKind.PROXY)
    assert proxy.frame_count == 5
    assert media.version is not None and media.version.status == "in_review"
    client = api_client_for(world.a.owner)
    org, project = world.a.organization.slug, world.a.project.pk
    link = client.get(api_url("media-link", org, project, pk=proxy.pk), {"purpose": "play"})
    with urllib.request.urlopen(link.json()["url"], timeout=10) as response:
        assert response.headers["Content-Type"] == "video/mp4"


def test_a_gap_is_named_and_refused_unless_accepted_as_holds(world: World) -> None:
    frames = _frames([1001, 1002, 1004])
    refused = _start(world, frames)
    assert refused.status_code == 400
    assert refused.json()["error"]["message"] == (
        "The sequence 1001–1004 is missing 1 frame: 1003. Upload them, or accept the gaps as holds."
    )
    media = _upload_sequence(world, frames, allow_holds=True)
    assert media.state == MediaState.READY, media.rejection_reason
    assert media.frame_count == 4 and media.probe["sequence"]["holds"] == [1003]
    with tenant_scope(world.a.organization.pk):
        proxy = MediaFile.objects.get(derived_from=media, kind=MediaKind.PROXY)
    assert proxy.frame_count == 4  # frame 1003 holds 1002: proxy frame N is source frame N


def test_a_frame_of_another_resolution_is_refused(world: World) -> None:
    frames = _frames([1001, 1002, 1003], odd={1003: (64, 16)})
    media = _upload_sequence(world, frames)
    assert media.state == MediaState.REJECTED
    assert media.rejection_reason == (
        "The sequence changes resolution: frame 1001 is 32×16, frame 1003 is 64×16."
    )
    assert not object_exists(media.storage_key + "plate.1001.exr")
    with tenant_scope(world.a.organization.pk):
        assert not MediaFile.objects.filter(derived_from=media).exists()


def test_a_sequence_upload_resumes_from_the_frames_stored(world: World) -> None:
    frames = _frames([1, 2, 3])
    upload = _start(world, frames).json()
    _send(world, upload, frames, [1, 2])
    early = _complete(world, upload)
    assert early.status_code == 409
    assert early.json()["error"]["message"] == "Parts 3 of 3 are not uploaded yet."
    client = api_client_for(world.a.producer)
    org, project = world.a.organization.slug, world.a.project.pk
    status = client.get(api_url("upload-detail", org, project, pk=upload["id"])).json()
    assert [p["part_number"] for p in status["parts_stored"]] == [1, 2]
    _send(world, upload, frames, [3])
    assert _complete(world, upload).json()["state"] == "quarantined"


def test_every_frame_header_is_checked_and_gaps_are_listed(tmp_path: Path) -> None:
    for n in (1, 2, 5, 6, 9):
        (tmp_path / f"shot_{n:03d}.exr").write_bytes(h.exr(4, 2))
    with pytest.raises(MediaRejected) as refused:
        inspect_sequence(tmp_path, filename="shot_###.exr")
    assert refused.value.reason == (
        "The sequence 1–9 is missing 4 frames: 3–4, 7–8. Upload them, or accept the gaps as holds."
    )
    whole = h.exr(4, 2)
    (tmp_path / "shot_005.exr").write_bytes(whole[:-3])  # a truncated frame in the middle
    with pytest.raises(MediaRejected) as refused:
        inspect_sequence(tmp_path, filename="shot_###.exr", allow_holds=True)
    assert refused.value.reason == (
        "Frame shot_005.exr of the sequence: The EXR is truncated: chunk 2 of 2 declares 8"
        f" bytes but the file ends at byte {len(whole) - 3}."
    )
