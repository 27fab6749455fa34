from __future__ import annotations

import time
import urllib.request
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from apps.media import samples
from apps.media.ingest import media_ingest_file
from apps.media.models import MediaFile, MediaKind
from apps.media.pipeline import media_make_proxy
from apps.media.uploads import media_validate
from apps.production.models import Project, Version
from apps.tenancy.scope import tenant_scope
from apps.web.demo import seed_demo
from tests.factories import World


def _login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_project_creation_page_validates_and_creates(world: World) -> None:
    client = _login(world.a.producer)
    url = reverse("project-list-page", args=[world.a.organization.slug])
    page = client.get(url)
    assert page.status_code == 200 and "ACEScct" in page.content.decode()
    bad = client.post(
        url,
        {
            "name": "Night",
            "frame_rate": "24",
            "width": "1920",
            "height": "1080",
            "working_color_space": "Made-up Log",
            "start_timecode": "01:00:00:00",
        },
    )
    assert bad.status_code == 400
    assert "is not a colour space of the ACES studio config" in bad.content.decode()
    drop = client.post(
        url,
        {
            "name": "Night",
            "frame_rate": "24",
            "width": "1920",
            "height": "1080",
            "working_color_space": "ACEScct",
            "start_timecode": "01:00:00;00",
        },
    )
    assert drop.status_code == 400 and "Drop-frame timecode exists only" in drop.content.decode()
    ok = client.post(
        url,
        {
            "name": "Night Shift",
            "frame_rate": "30000/1001",
            "width": "4096",
            "height": "2160",
            "working_color_space": "acescct",
            "start_timecode": "00:59:59;29",
            "burn_in_timecode": "on",
        },
    )
    assert ok.status_code == 302
    with tenant_scope(world.a.organization.pk):
        project = Project.objects.get(code="night-shift")
    assert (project.frame_rate_numerator, project.frame_rate_denominator) == (30000, 1001)
    assert project.working_color_space == "ACEScct"  # canonical name from the config
    assert project.start_timecode == "00:59:59;29" and project.burn_in_timecode
    viewer = _login(world.a.viewer)
    refused = viewer.post(
        url,
        {
            "name": "Nope",
            "frame_rate": "24",
            "width": "1",
            "height": "1",
            "working_color_space": "ACEScg",
            "start_timecode": "01:00:00:00",
        },
    )
    assert refused.status_code == 403 and "cannot create projects" in refused.content.decode()


@pytest.mark.django_db
def test_pages_show_thumbnails_stack_and_player(world: World, tmp_path: Path) -> None:
    org = world.a.organization
    movie = samples.make_movie(tmp_path / "plate.mov", codec="h264", frames=12)
    with tenant_scope(org.pk, user_id=world.a.owner.pk):
        media = media_ingest_file(
            actor=world.a.owner, shot=world.a.shot, path=movie, filename="plate.mov"
        )
    media_validate(organization_id=org.pk, media_id=media.pk)
    media_make_proxy(organization_id=org.pk, media_id=media.pk)
    with tenant_scope(org.pk):
        version = Version.objects.get(shot=world.a.shot)
        poster = MediaFile.objects.get(version=version, kind=MediaKind.POSTER)
        proxy = MediaFile.objects.get(version=version, kind=MediaKind.PROXY)

    client = _login(world.a.viewer)
    project_page = client.get(
        reverse("project-page", args=[org.slug, world.a.project.pk])
    ).content.decode()
    assert reverse("media-link-page", args=[org.slug, poster.pk, "play"]) in project_page
    assert "In review" in project_page
    shot_page = client.get(
        reverse("shot-page", args=[org.slug, world.a.project.pk, world.a.shot.pk])
    )
    assert 'data-version="v001"' in shot_page.content.decode()
    assert "data-upload-open" not in shot_page.content.decode()  # viewers do not upload
    version_page = client.get(
        reverse("version-page", args=[org.slug, world.a.project.pk, version.pk])
    )
    assert (
        reverse("media-link-page", args=[org.slug, proxy.pk, "play"])
        in version_page.content.decode()
    )

    # The redirect mints a short-lived link to the proxy that really serves the MP4.
    link = client.get(reverse("media-link-page", args=[org.slug, proxy.pk, "play"]))
    assert link.status_code == 302 and "X-Amz-Expires=300" in link["Location"]
    with urllib.request.urlopen(link["Location"]) as response:
        body = response.read()
        assert response.headers["Content-Disposition"].startswith("inline;")
    assert body[4:8] == b"ftyp" and body.find(b"moov") < body.find(b"mdat")  # fast start
    # Viewers may not download originals; owners may.
    assert (
        client.get(reverse("media-link-page", args=[org.slug, media.pk, "download"])).status_code
        == 403
    )
    owner = _login(world.a.owner)
    assert (
        owner.get(reverse("media-link-page", args=[org.slug, media.pk, "download"])).status_code
        == 302
    )
    # Another partner sees nothing.
    other = _login(world.b.owner)
    assert (
        other.get(
            reverse("media-link-page", args=[world.b.organization.slug, proxy.pk, "play"])
        ).status_code
        == 404
    )
    assert (
        other.get(
            reverse(
                "version-page", args=[world.b.organization.slug, world.a.project.pk, version.pk]
            )
        ).status_code
        == 404
    )


@pytest.mark.django_db
def test_demo_seed_makes_playable_versions() -> None:
    started = time.perf_counter()
    result = seed_demo(log=lambda line: None)
    elapsed = time.perf_counter() - started
    with tenant_scope(result.partner.pk):
        proxies = MediaFile.objects.filter(
            project=result.project, kind=MediaKind.PROXY, state="ready"
        )
        assert proxies.count() == 5
        statuses = set(
            Version.objects.filter(project=result.project).values_list("status", flat=True)
        )
    assert statuses == {"in_review"}
    assert elapsed < 30
