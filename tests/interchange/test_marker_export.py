"""Notes go out as markers (Resolve marker EDL, Avid locators) on the frames of the cut the
editor imported, not on the shot's working frames; the Resolve EDL reads back to the same
frames and duration."""

from __future__ import annotations

from fractions import Fraction

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.interchange import cmx
from apps.interchange.markers import cut_markers_to_notes
from apps.interchange.models import CutImport
from apps.production.models import Shot, Version
from apps.production.services import version_create
from apps.review.exports import export_version
from apps.review.models import Note
from apps.review.notes import note_create
from apps.tenancy.models import Membership
from apps.tenancy.scope import tenant_scope
from tests.api.helpers import api_client_for
from tests.factories import World

# SH0010 (working range 1001-1096) cut at 01:00:10:00 for 96 frames (23.976 NDF labels).
EDL = b"""TITLE: R2
FCM: NON-DROP FRAME

001  A001C003 V     C        14:00:00:00 14:00:04:00 01:00:10:00 01:00:14:00
* FROM CLIP NAME: SH0010
"""


@pytest.mark.django_db
def test_note_markers_land_on_the_imported_cut_frames(world: World) -> None:
    a = world.a
    org, project = a.organization, a.project
    client = api_client_for(a.producer)
    preview = client.post(
        f"/api/v1/orgs/{org.slug}/projects/{project.pk}/cut-imports/",
        {"file": SimpleUploadedFile("r2.edl", EDL), "sequence_code": "SQ010"},
        format="multipart",
    )
    assert preview.status_code == 201, preview.json()
    # Project start 01:00:00:00 at 24 timecode frames a second: 01:00:10:00 is cut frame 240.
    assert [(r["code"], r["cut_in"], r["cut_out"]) for r in preview.json()["plan"]] == [
        ("SH0010", 240, 335)
    ]
    applied = client.post(
        f"/api/v1/orgs/{org.slug}/projects/{project.pk}/cut-imports/{preview.json()['id']}/apply/"
    )
    assert applied.status_code == 200
    with tenant_scope(org.pk, user_id=a.producer.pk):
        shot = Shot.objects.get(pk=a.shot.pk)
        assert (shot.cut_in, shot.cut_out) == (1001, 1096)  # working frames never move
        version = version_create(actor=a.producer, shot=shot, source="upload")
        membership = Membership.objects.get(organization=org, user=a.producer)
        note_create(actor=membership, version=version, frame_in=10, frame_out=33, text="Boom")
        edl, _, _ = export_version(version, "edl")
        avid, _, _ = export_version(version, "avid")
    # Cut frame 240 + note frame 10 = 01:00:10:10; 24 frames long, so out is 01:00:11:10.
    assert "001  001      V     C        01:00:10:10 01:00:11:10 01:00:10:10 01:00:11:10" in edl
    assert "|D:24" in edl
    fields = avid.splitlines()[0].split("\t")
    assert (fields[1], fields[2], fields[5]) == ("01:00:10:10", "V1", "24")
    # Read back by the cut importer: the same frame (86400 + 250) and duration.
    markers = cmx.read_edl(edl, Fraction(24000, 1001)).markers
    assert [(m.frame, m.duration) for m in markers] == [(86650, 24)]


# The same cut with an Avid locator 20 frames into SH0010 and one in the black after it.
EDL_WITH_LOC = (
    EDL
    + b"""* LOC: 01:00:10:20 RED     boom in frame
002  BL       V     C        00:00:00:00 00:00:01:00 01:00:14:00 01:00:15:00
* LOC: 01:00:14:12 GREEN   after the shot
"""
)


@pytest.mark.django_db
def test_imported_cut_markers_become_notes_that_export_back_to_the_same_frames(
    world: World,
) -> None:
    a = world.a
    org, project = a.organization, a.project
    with tenant_scope(org.pk, user_id=a.producer.pk):
        version_create(actor=a.producer, shot=a.shot, source="upload")
        version = version_create(actor=a.producer, shot=a.shot, source="upload")
    client = api_client_for(a.producer)
    preview = client.post(
        f"/api/v1/orgs/{org.slug}/projects/{project.pk}/cut-imports/",
        {"file": SimpleUploadedFile("r3.edl", EDL_WITH_LOC), "sequence_code": "SQ010"},
        format="multipart",
    )
    assert preview.status_code == 201, preview.json()
    # 01:00:10:20 is cut frame 260 (in SH0010, cut 240-335); 01:00:14:12 is 348 (no shot).
    assert [(m["frame"], m["shot"]) for m in preview.json()["markers"]] == [
        (260, "SH0010"),
        (348, ""),
    ]
    pk = preview.json()["id"]
    client.post(f"/api/v1/orgs/{org.slug}/projects/{project.pk}/cut-imports/{pk}/apply/")
    with tenant_scope(org.pk, user_id=a.producer.pk):
        membership = Membership.objects.get(organization=org, user=a.producer)
        result = cut_markers_to_notes(actor=membership, cut_import=CutImport.objects.get(pk=pk))
        assert result.created == 1
        assert [m["reason"] for m in result.skipped] == ["not in a shot of the cut"]
        # On the newest version (v002), 260 - 240 = frame 20 of the shot.
        notes = list(
            Note.objects.filter(version__shot=a.shot).values_list(
                "version_id", "frame_in", "frame_out", "text"
            )
        )
        assert notes == [(version.pk, 20, 20, "boom in frame (red)")]
        edl, _, _ = export_version(Version.objects.get(pk=version.pk), "edl")
    # Back out on the marker's own record frame: 01:00:10:20.
    markers = cmx.read_edl(edl, Fraction(24000, 1001)).markers
    assert [m.frame for m in markers] == [86400 + 260]
