"""The version page lists every output of a job by role with a signed download link (when
the project's download policy allows the member, else it says why) and shows the job's
report, read from storage, as tables and a chart; a report it cannot read is a message,
never a 500. Real S3 and database; the outputs are stored as a render job stores them."""

from __future__ import annotations

import hashlib
import json
import re
import urllib.request
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from apps.media.files import media_file_register
from apps.media.models import MediaFile, MediaKind, MediaState
from apps.media.selectors import REPORT_MAX_BYTES, version_outputs
from apps.media.storage import new_object_key, s3_client
from apps.production.models import Version, VersionSource
from apps.production.services import version_create
from apps.tenancy.scope import tenant_scope
from tests.factories import Partner, World
from tests.web.test_reports import SHOT_MATCH, _consistency, _deflicker

pytestmark = pytest.mark.django_db

CDL = b'<?xml version="1.0"?><ColorDecisionList xmlns="urn:ASC:CDL:v1.01"/>'
CC = b'<?xml version="1.0"?><ColorCorrection id="plate_matched"/>'


def _render_version(
    partner: Partner, files: list[tuple[str, MediaKind, str, bytes, str]]
) -> tuple[Version, dict[str, MediaFile]]:
    """A render version with `files` (role, kind, name, bytes, content type) stored in S3
    and recorded ready, as the pipeline leaves a job's outputs."""
    with tenant_scope(partner.organization.pk, user_id=partner.owner.pk):
        version = version_create(actor=None, shot=partner.shot, source=VersionSource.RENDER)
        media: dict[str, MediaFile] = {}
        for role, kind, name, body, content_type in files:
            key = new_object_key(
                organization_id=partner.organization.pk,
                project_id=partner.project.pk,
                filename=name,
                area="render",
            )
            s3_client().put_object(Bucket=settings.S3_BUCKET, Key=key, Body=body)
            media[name] = media_file_register(
                organization_id=partner.organization.pk,
                project_id=partner.project.pk,
                version_id=version.pk,
                shot_id=partner.shot.pk,
                kind=kind,
                state=MediaState.READY,
                original_filename=name,
                content_type=content_type,
                size=len(body),
                sha256=hashlib.sha256(body).hexdigest(),
                storage_key=key,
                role=role,
            )
    return version, media


def _shot_match_version(partner: Partner, report: bytes | None = None) -> tuple[Version, Any]:
    body = report if report is not None else json.dumps(SHOT_MATCH).encode()
    # Created in a different order from the one the page lists them in.
    return _render_version(
        partner,
        [
            ("report", MediaKind.DOCUMENT, "plate_matched.json", body, "application/json"),
            ("cc", MediaKind.DOCUMENT, "plate_matched.cc", CC, "application/xml"),
            ("main", MediaKind.RENDER, "plate_matched.mov", b"\0" * 4096, "video/quicktime"),
            ("cdl", MediaKind.DOCUMENT, "plate_matched.cdl", CDL, "application/xml"),
        ],
    )


def _page(client: Client, partner: Partner, version: Version) -> Any:
    return client.get(
        reverse("version-page", args=[partner.organization.slug, partner.project.pk, version.pk])
    )


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_outputs_are_listed_by_role_and_each_downloads_its_own_bytes(world: World) -> None:
    version, media = _shot_match_version(world.a)
    with tenant_scope(world.a.organization.pk):
        ordered = [m.role for m in version_outputs(version)]
    assert ordered == ["main", "cdl", "cc", "report"]

    page = _page(_client(world.a.producer), world.a, version)
    assert page.status_code == 200
    html = page.content.decode()
    rows = re.findall(r'data-testid="output" data-role="([a-z]+)" data-media="(\d+)"', html)
    assert [role for role, _ in rows] == ["main", "cdl", "cc", "report"]
    assert "Graded movie" in html and "ASC CDL (.cdl)" in html and "4.0\xa0KB" in html
    client = _client(world.a.producer)
    for _role, media_id in rows:
        stored = next(m for m in media.values() if m.pk == int(media_id))
        link = reverse("media-link-page", args=[world.a.organization.slug, stored.pk, "download"])
        assert link in html
        redirect = client.get(link)
        assert redirect.status_code == 302
        with urllib.request.urlopen(redirect["Location"]) as response:
            body = response.read()
            disposition = response.headers["Content-Disposition"]
        assert disposition == f'attachment; filename="{stored.original_filename}"'
        assert hashlib.sha256(body).hexdigest() == stored.sha256


def test_the_shot_match_report_shows_the_cdl_and_its_fit_error(world: World) -> None:
    version, _ = _shot_match_version(world.a)
    html = _page(_client(world.a.viewer), world.a, version).content.decode()
    assert 'data-testid="report" data-report="shot-match"' in html
    red = re.search(r'data-testid="cdl-red">(.*?)</tr>', html, re.S)
    assert red is not None
    assert re.findall(r">([-\d.]+)</td>", red.group(1)) == ["1.0523", "-0.0120", "1.0100"]
    assert re.search(r'data-testid="cdl-saturation">0.9430<', html)
    assert re.search(r'data-testid="cdl-fit-rmse">0.00432<', html)


def test_a_viewer_sees_every_output_but_is_told_why_there_is_no_download(world: World) -> None:
    version, media = _shot_match_version(world.a)
    html = _page(_client(world.a.viewer), world.a, version).content.decode()
    assert html.count('data-testid="output" ') == 4
    assert 'data-testid="output-download"' not in html
    assert html.count("Your role (Viewer) may view this project") == 4
    # The link itself refuses too.
    cdl = media["plate_matched.cdl"]
    refused = _client(world.a.viewer).get(
        reverse("media-link-page", args=[world.a.organization.slug, cdl.pk, "download"])
    )
    assert refused.status_code == 403


@pytest.mark.parametrize(
    "report",
    [b"{broken", b"\xff\xfe\x00", b"[1, 2, 3]", json.dumps({**SHOT_MATCH, "cdl": None}).encode()],
)
def test_a_report_that_cannot_be_read_is_said_so_never_a_500(world: World, report: bytes) -> None:
    version, _ = _shot_match_version(world.a, report=report)
    page = _page(_client(world.a.producer), world.a, version)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="report-unreadable"' in html and "Report unreadable" in html
    assert html.count('data-testid="output-download"') == 4  # the outputs are still there


def test_a_report_too_large_to_show_is_offered_as_a_download(world: World) -> None:
    version, media = _shot_match_version(world.a)
    with tenant_scope(world.a.organization.pk):
        MediaFile.objects.filter(pk=media["plate_matched.json"].pk).update(
            size=REPORT_MAX_BYTES + 1
        )
    html = _page(_client(world.a.producer), world.a, version).content.decode()
    assert "too large to show here; download it instead" in html


def test_the_consistency_report_lists_the_worst_frames_first_with_thumbnails(
    world: World,
) -> None:
    jpeg = b"\xff\xd8\xff\xe0" + b"\0" * 64
    version, media = _render_version(
        world.a,
        [
            ("report", MediaKind.DOCUMENT, "character_consistency.json",
             json.dumps(_consistency()).encode(), "application/json"),
            ("thumbnail", MediaKind.DOCUMENT, "plate_001004.jpg", jpeg, "image/jpeg"),
            ("thumbnail", MediaKind.DOCUMENT, "plate_001002.jpg", jpeg, "image/jpeg"),
            ("thumbnail", MediaKind.DOCUMENT, "plate_best.jpg", jpeg, "image/jpeg"),
        ],
    )  # fmt: skip
    client = _client(world.a.producer)
    html = _page(client, world.a, version).content.decode()
    frames = re.findall(r'data-testid="consistency-frame" data-frame="(\d+)"', html)
    assert frames == ["1004", "1002", "1005", "1001"]
    org = world.a.organization.slug
    worst = reverse("media-link-page", args=[org, media["plate_001004.jpg"].pk, "play"])
    best = reverse("media-link-page", args=[org, media["plate_best.jpg"].pk, "play"])
    assert html.index(worst) < html.index('data-frame="1002"') and best in html
    assert client.get(worst).status_code == 302
    # The thumbnails are listed once, folded, not as four rows of outputs.
    assert 'data-role="thumbnail"' in html and "3 JPEGs" in html


def test_the_deflicker_report_draws_its_gain_curve(world: World) -> None:
    report = _deflicker([[1.0], [1.05], [0.96], [1.0]])
    version, _ = _render_version(
        world.a,
        [("report", MediaKind.DOCUMENT, "plate_deflicker.json", json.dumps(report).encode(),
          "application/json")],
    )  # fmt: skip
    html = _page(_client(world.a.producer), world.a, version).content.decode()
    assert 'data-testid="gain-chart"' in html
    (points,) = re.findall(
        r'data-testid="gain-line" fill="none" stroke="[^"]+" points="([^"]+)"', html
    )
    assert len(points.split()) == 4
    assert "Flicker before" in html and "85 %" in html


def test_another_partner_sees_none_of_it(world: World) -> None:
    version, media = _shot_match_version(world.a)
    other = _client(world.b.owner)
    assert _page(other, world.a, version).status_code == 404
    link = reverse(
        "media-link-page",
        args=[world.a.organization.slug, media["plate_matched.cdl"].pk, "download"],
    )
    assert other.get(link).status_code in (403, 404)
