from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.media import samples
from apps.media.ingest import media_ingest_file
from apps.media.models import MediaFile
from apps.media.pipeline import media_make_proxy, media_make_viewer_proxy
from apps.media.selectors import version_media
from apps.media.uploads import media_validate
from apps.production.models import Project
from apps.tenancy.scope import tenant_scope
from tests.factories import World


def _frame(media: MediaFile) -> np.ndarray:
    from apps.media.storage import s3_client

    body = (
        s3_client()
        .get_object(Bucket=django_settings.S3_BUCKET, Key=media.storage_key)["Body"]
        .read()
    )
    import io

    with av.open(io.BytesIO(body), mode="r") as container:
        return next(container.decode(video=0)).to_ndarray(format="rgb24").astype(np.int16)


@pytest.mark.django_db
def test_watermarked_projects_give_each_viewer_their_own_copy(world: World, tmp_path: Path) -> None:
    org = world.a.organization
    with tenant_scope(org.pk):
        Project.objects.filter(pk=world.a.project.pk).update(watermark_reviews=True)
    movie = samples.make_movie(tmp_path / "plate.mov", codec="h264", frames=6)
    with tenant_scope(org.pk, user_id=world.a.owner.pk):
        source = media_ingest_file(
            actor=world.a.owner, shot=world.a.shot, path=movie, filename="plate.mov"
        )
    media_validate(organization_id=org.pk, media_id=source.pk)
    media_make_proxy(organization_id=org.pk, media_id=source.pk)

    viewer = Client()
    viewer.force_login(world.a.viewer)
    url = reverse("version-page", args=[org.slug, world.a.project.pk, source.version_id])
    waiting = viewer.get(url).content.decode()
    assert "Preparing your watermarked review copy" in waiting
    assert "proxy-video" not in waiting

    copy = media_make_viewer_proxy(
        organization_id=org.pk, media_id=source.pk, user_id=world.a.viewer.pk
    )
    assert copy is not None and copy.viewer_id == world.a.viewer.pk
    assert copy.probe["watermark"] == (
        f"{world.a.viewer.display_name} · {org.name} · {timezone.localdate().isoformat()}"
    )
    # The same viewer gets the same copy again today; another viewer gets their own.
    again = media_make_viewer_proxy(
        organization_id=org.pk, media_id=source.pk, user_id=world.a.viewer.pk
    )
    assert again is not None and again.pk == copy.pk
    other = media_make_viewer_proxy(
        organization_id=org.pk, media_id=source.pk, user_id=world.a.producer.pk
    )
    assert other is not None and other.pk != copy.pk

    page = viewer.get(url).content.decode()
    assert reverse("media-link-page", args=[org.slug, copy.pk, "play"]) in page
    assert reverse("media-link-page", args=[org.slug, other.pk, "play"]) not in page
    with tenant_scope(org.pk):
        assert source.version is not None
        base = version_media(source.version)["proxy"]
        assert base is not None and base.viewer_id is None
        base_frame, copy_frame = _frame(base), _frame(copy)
    changed = np.abs(base_frame - copy_frame).max(axis=2) > 40
    assert changed.sum() > 300  # the viewer's name is burned in where the partner's was
