"""Hostile uploads through the REST API, as a pipeline script sends them: refused with the
reason the uploader reads, nothing left reachable; clean display names everywhere; signed
links that a browser cannot sniff into something else."""

from __future__ import annotations

import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from apps.audit.models import AuditEntry
from apps.media import tasks
from apps.media.ingest import media_document_store
from apps.media.models import MediaFile, MediaKind, MediaState
from apps.media.names import UnusableName, display_name
from apps.tenancy.scope import tenant_scope
from tests.api.helpers import api_client_for
from tests.factories import World
from tests.media import hostile as h
from tests.media.helpers import api_url, object_exists, start_upload, upload_file

pytestmark = pytest.mark.django_db


def _upload(world: World, path: Path, name: str, **extra: Any) -> MediaFile:
    client = api_client_for(world.a.producer)
    body = upload_file(
        client, world.a.organization.slug, world.a.project.pk, world.a.shot.pk, path, name
    )
    tasks.validate_media(media_id=body["id"], organization_id=world.a.organization.pk)
    tasks.make_proxy(media_id=body["id"], organization_id=world.a.organization.pk)
    with tenant_scope(world.a.organization.pk):
        return MediaFile.objects.get(pk=body["id"])


def _shown(world: World, media: MediaFile) -> dict[str, Any]:
    client = api_client_for(world.a.owner)
    org, project = world.a.organization.slug, world.a.project.pk
    return dict(client.get(api_url("media-detail", org, project, pk=media.pk)).json())


def test_a_png_bomb_is_refused_through_the_api_and_nothing_stays(
    world: World, tmp_path: Path
) -> None:
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(h.png(40000, 40000, depth=1))
    media = _upload(world, bomb, "bomb.png")
    expected = (
        "The image is 40000×40000 (1.6 gigapixels); the limit is 16384×16384 and 80 megapixels."
    )
    assert media.state == MediaState.REJECTED and media.rejection_reason == expected
    assert not object_exists(media.storage_key)
    shown = _shown(world, media)
    assert shown["state"] == "rejected" and shown["rejection_reason"] == expected
    with tenant_scope(world.a.organization.pk):
        assert not MediaFile.objects.filter(derived_from=media).exists()


def test_a_movie_with_html_after_ftyp_is_refused_with_what_was_found(
    world: World, tmp_path: Path, prores: Path
) -> None:
    polyglot = tmp_path / "trailer.mp4"
    polyglot.write_bytes(h.FTYP + h.HTML + prores.read_bytes()[20:])
    media = _upload(world, polyglot, "trailer.mp4")
    assert media.rejection_reason == (
        "The movie has an HTML document after its 'ftyp' atom (byte 20): files with hidden or"
        " trailing data (polyglots) are not accepted."
    )
    assert not object_exists(media.storage_key)


def test_an_exr_failure_names_itself_without_a_server_path(world: World, tmp_path: Path) -> None:
    whole = h.exr(2, 2)
    head = h.exr_header_length(2, 2)
    cut = tmp_path / "cut.exr"
    cut.write_bytes(whole[: head + 20])
    media = _upload(world, cut, "element_cut.exr")
    assert media.rejection_reason == (
        "The EXR is truncated: only 1 of its 2 pixel chunks are in the file."
    )


# --- names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("shot\u202eexe.png", "shotexe.png"),  # right-to-left override removed
        ("../../etc/passwd.exr", "passwd.exr"),
        ("C:\\Windows\\System32\\config\\SAM.exr", "SAM.exr"),
        ("plate\r\nA\x07.mov", "plate A.mov"),  # CR, LF, BEL become one space
        ("e\u0301clair.exr", "\u00e9clair.exr"),  # NFC
        ("\u2066hidden\u2069 name .dpx", "hidden name .dpx"),
        ("x" * 300 + ".exr", "x" * 176 + ".exr"),  # 180 characters, extension kept
    ],
)
def test_display_names_are_cleaned(raw: str, clean: str) -> None:
    assert display_name(raw) == clean


@pytest.mark.parametrize("raw", ["", "../../", "\u202e\u202d", "C:\\", " . "])
def test_names_with_nothing_left_are_refused(raw: str) -> None:
    with pytest.raises(UnusableName):
        display_name(raw)


def test_uploads_show_the_clean_name_and_audit_keeps_the_raw_one(
    world: World, tmp_path: Path
) -> None:
    still = tmp_path / "still.png"
    still.write_bytes(h.png(3, 2))
    raw = "../shot\u202eexe.png"
    media = _upload(world, still, raw)
    assert media.state == MediaState.READY
    assert media.original_filename == "shotexe.png"
    assert _shown(world, media)["original_filename"] == "shotexe.png"
    assert media.storage_key.endswith("/shotexe.png")
    with tenant_scope(world.a.organization.pk):
        start = AuditEntry.objects.get(action="media.upload.start", target_id=str(media.pk))
        assert start.changes["raw_filename"] == raw
        assert media.version is not None and media.version.description == "shotexe.png"
    client = api_client_for(world.a.producer)
    org, project = world.a.organization.slug, world.a.project.pk
    refused = start_upload(client, org, project, world.a.shot.pk, "../\u202e/\u0007", 10)
    assert refused.status_code == 400
    assert refused.json()["error"]["message"] == (
        "The file name has nothing left once path components and control characters are"
        " removed; rename the file."
    )


# --- serving ---------------------------------------------------------------------------------


def _link(world: World, media: MediaFile, purpose: str) -> str:
    client = api_client_for(world.a.owner)
    org, project = world.a.organization.slug, world.a.project.pk
    response = client.get(api_url("media-link", org, project, pk=media.pk), {"purpose": purpose})
    assert response.status_code == 200, response.content
    assert response["X-Content-Type-Options"] == "nosniff"
    return str(response.json()["url"])


def _served(url: str) -> tuple[str, str]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.headers["Content-Type"], response.headers["Content-Disposition"]


def test_links_carry_the_servers_type_and_attachment_except_a_proxy_playing(
    world: World, tmp_path: Path, exr: Path
) -> None:
    client = api_client_for(world.a.producer)
    org, project = world.a.organization.slug, world.a.project.pk
    data = exr.read_bytes()
    started = client.post(
        api_url("upload-list", org, project),
        {
            "shot": world.a.shot.pk,
            "filename": "el.exr",
            "size": len(data),
            "content_type": "text/html",
        },
        format="json",
    ).json()
    parts = client.post(
        api_url("upload-parts", org, project, pk=started["id"]), {"parts": [1]}, format="json"
    ).json()["parts"]
    urllib.request.urlopen(urllib.request.Request(parts[0]["url"], data=data, method="PUT"))
    client.post(api_url("upload-complete", org, project, pk=started["id"]))
    tasks.validate_media(media_id=started["id"], organization_id=world.a.organization.pk)
    tasks.make_proxy(media_id=started["id"], organization_id=world.a.organization.pk)
    with tenant_scope(world.a.organization.pk):
        plate = MediaFile.objects.get(pk=started["id"])
        proxy = MediaFile.objects.get(derived_from=plate, kind=MediaKind.PROXY)
    # The declared type is recorded, never used.
    assert plate.declared_content_type == "text/html"
    assert plate.content_type == "image/x-exr"
    for purpose in ("play", "download"):
        kind, disposition = _served(_link(world, plate, purpose))
        assert kind == "image/x-exr"
        assert disposition == 'attachment; filename="el.exr"'
    kind, disposition = _served(_link(world, proxy, "play"))
    assert kind == "video/mp4" and disposition.startswith("inline;")
    kind, disposition = _served(_link(world, proxy, "download"))
    assert disposition.startswith("attachment;")
    # The page redirect that <video> and <img> use says nosniff too.
    page = Client()
    page.force_login(world.a.owner)
    url = reverse("media-link-page", args=[org, proxy.pk, "play"])
    response = page.get(url)
    assert response.status_code == 302 and response["X-Content-Type-Options"] == "nosniff"


def test_documents_are_attachments_and_never_served_as_markup(world: World) -> None:
    with tenant_scope(world.a.organization.pk):
        pdf = media_document_store(
            actor=world.a.owner,
            project=world.a.project,
            character=None,
            filename="consent.pdf",
            content=b"%PDF-1.4\n%%EOF\n",
            content_type="application/pdf",
            area="documents",
        )
        page = media_document_store(
            actor=world.a.owner,
            project=world.a.project,
            character=None,
            filename="notes.html",
            content=h.HTML,
            content_type="text/html",
            area="documents",
        )
    assert _served(_link(world, pdf, "play")) == (
        "application/pdf",
        'attachment; filename="consent.pdf"',
    )
    kind, disposition = _served(_link(world, page, "play"))
    assert kind == "application/octet-stream" and disposition.startswith("attachment;")
    assert urllib.parse.urlsplit(_link(world, page, "download")).scheme == "http"
