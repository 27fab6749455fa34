"""One download policy for every link purpose (security issue 16, item 3): `purpose=play`
is no way around the project's original-download roles (originals, consent documents),
a copy watermarked for one viewer is nobody else's, and on projects that watermark
reviews each viewer plays their own copy, in the review room too."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from apps.media.models import MediaFile, MediaKind, MediaState
from tests.api.helpers import api_client_for
from tests.factories import World, share_with_studio
from tests.media.helpers import api_url

pytestmark = pytest.mark.django_db


@dataclass
class Files:
    version: Any
    plate: MediaFile
    consent: MediaFile
    proxy: MediaFile
    poster: MediaFile
    viewer_copy: MediaFile
    producer_copy: MediaFile


def _register(world: World, kind: MediaKind, name: str, **extra: Any) -> MediaFile:
    from apps.media.files import media_file_register

    a = world.a
    return media_file_register(
        organization_id=a.organization.pk,
        project_id=a.project.pk,
        kind=kind,
        state=MediaState.READY,
        storage_key=f"org/{a.organization.pk}/project/{a.project.pk}/{name}",
        original_filename=name,
        **extra,
    )


def _files(world: World, *, watermark: bool = False) -> Files:
    from apps.production.models import Project
    from apps.production.services import version_create
    from apps.tenancy.scope import tenant_scope

    a = world.a
    with tenant_scope(a.organization.pk, user_id=a.owner.pk):
        Project.objects.filter(pk=a.project.pk).update(watermark_reviews=watermark)
        version = version_create(actor=a.owner, shot=a.shot, source="upload")
        on_version = {"shot_id": a.shot.pk, "version_id": version.pk}
        plate = _register(world, MediaKind.PLATE, "plate.mov", **on_version)
        derived = {**on_version, "derived_from_id": plate.pk}
        proxy = _register(world, MediaKind.PROXY, "proxy.mp4", **derived)
        poster = _register(world, MediaKind.POSTER, "poster.jpg", **derived)
        viewer_copy = _register(
            world, MediaKind.PROXY, "viewer.mp4", viewer_id=a.viewer.pk, **derived
        )
        # The newest proxy of the version is someone else's watermarked copy.
        producer_copy = _register(
            world, MediaKind.PROXY, "producer.mp4", viewer_id=a.producer.pk, **derived
        )
        consent = _register(world, MediaKind.DOCUMENT, "consent.pdf")
    return Files(version, plate, consent, proxy, poster, viewer_copy, producer_copy)


def _link(world: World, user: Any, media: MediaFile, purpose: str, org: Any = None) -> int:
    org = org or world.a.organization
    url = api_url("media-link", org.slug, world.a.project.pk, pk=media.pk)
    response = api_client_for(user).get(url, {"purpose": purpose})
    return int(response.status_code)


def test_play_does_not_hand_originals_or_consent_documents_to_roles_without_download(
    world: World,
) -> None:
    files = _files(world)
    for purpose in ("play", "download"):
        assert _link(world, world.a.viewer, files.plate, purpose) == 403
        assert _link(world, world.a.viewer, files.consent, purpose) == 403
        assert _link(world, world.a.producer, files.plate, purpose) == 200
        assert _link(world, world.a.producer, files.consent, purpose) == 200
    # Review copies are for watching: every member plays them.
    assert _link(world, world.a.viewer, files.proxy, "play") == 200
    assert _link(world, world.a.viewer, files.poster, "play") == 200


def test_studio_reviewers_of_a_shared_project_watch_but_never_get_originals(world: World) -> None:
    files = _files(world)
    share_with_studio(world.a, world.studio)
    studio = world.studio
    assert _link(world, world.reviewer, files.proxy, "play", org=studio) == 200
    for media in (files.plate, files.consent):
        for purpose in ("play", "download"):
            assert _link(world, world.reviewer, media, purpose, org=studio) == 403


def test_a_watermarked_copy_is_only_its_viewers(world: World) -> None:
    files = _files(world, watermark=True)
    assert _link(world, world.a.viewer, files.viewer_copy, "play") == 200
    assert _link(world, world.a.viewer, files.producer_copy, "play") == 404
    assert _link(world, world.a.owner, files.viewer_copy, "download") == 404
    # On a watermarking project nobody is handed the copy without their name.
    assert _link(world, world.a.viewer, files.proxy, "play") == 403


def test_the_review_room_plays_each_viewers_own_copy(world: World) -> None:
    from apps.review.selectors import session_snapshot
    from apps.review.sessions import session_create
    from apps.tenancy.scope import tenant_scope
    from apps.tenancy.selectors import members_of_current_organization

    files = _files(world, watermark=True)
    with tenant_scope(world.a.organization.pk, user_id=world.a.owner.pk):
        owner = members_of_current_organization().get(user=world.a.owner)
        session = session_create(
            actor=owner,
            project=world.a.project,
            title="Dailies",
            version_ids=[files.version.pk],
        )
        for user, copy in (
            (world.a.viewer, files.viewer_copy),
            (world.a.producer, files.producer_copy),
        ):
            snapshot = session_snapshot(session, lambda media_id: f"link:{media_id}", viewer=user)
            media = snapshot["playlist"][0]["media"]
            assert media["id"] == copy.pk and media["url"] == f"link:{copy.pk}"
        # The owner has no copy yet: nothing to play until it is made, never someone else's.
        snapshot = session_snapshot(
            session, lambda media_id: f"link:{media_id}", viewer=world.a.owner
        )
        assert snapshot["playlist"][0]["media"] is None


def test_without_watermarks_the_room_plays_the_shared_proxy_never_a_viewer_copy(
    world: World,
) -> None:
    from apps.review.selectors import proxy_of_version

    files = _files(world, watermark=False)
    with tenant_scope_of(world):
        for user in (world.a.viewer, world.a.owner, world.reviewer):
            assert proxy_of_version(files.version.pk, user) == files.proxy
        # A proxy registered without its source (e.g. a room's test proxy) still plays.
        from apps.media.models import MediaFile as Media

        Media.objects.filter(pk=files.proxy.pk).update(derived_from=None)
        assert proxy_of_version(files.version.pk, world.a.viewer) == files.proxy


def tenant_scope_of(world: World) -> Any:
    from apps.tenancy.scope import tenant_scope

    return tenant_scope(world.a.organization.pk, user_id=world.a.owner.pk)
