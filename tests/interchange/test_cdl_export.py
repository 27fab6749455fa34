"""Grades from shot matching reach the colourist: a .ccc collection and ASC_SOP/ASC_SAT
comments in the EDL, read back with the same numbers."""

from __future__ import annotations

import pytest
from django.conf import settings

from apps.interchange.cdl import Cdl, parse_cdl, write_ccc
from apps.media.models import MediaFile
from apps.media.storage import new_object_key, s3_client
from apps.production.services import version_create
from apps.tenancy.scope import tenant_scope
from tests.api.helpers import api_client_for
from tests.factories import World

CC = b"""<?xml version="1.0" encoding="UTF-8"?>
<ColorCorrection id="match" xmlns="urn:ASC:CDL:v1.01">
  <SOPNode><Slope>1.100000 0.950000 0.900000</Slope><Offset>0.010000 -0.020000 0.000000</Offset>
  <Power>1.000000 1.050000 0.980000</Power></SOPNode>
  <SatNode><Saturation>0.850000</Saturation></SatNode>
</ColorCorrection>"""


def test_ccc_round_trip_keeps_every_number() -> None:
    grades = [Cdl("SH0010", (1.1, 0.95, 0.9), (0.01, -0.02, 0.0), (1.0, 1.05, 0.98), 0.85)]
    back = parse_cdl(write_ccc(grades).encode())
    assert back == grades


@pytest.mark.django_db
def test_sequence_exports_the_shot_matching_cdl(world: World) -> None:
    partner = world.a
    with tenant_scope(partner.organization.pk):
        version = version_create(actor=None, shot=partner.shot, source="render")
        key = new_object_key(
            organization_id=partner.organization.pk,
            project_id=partner.project.pk,
            filename="match.cc",
            area="renders",
        )
        s3_client().put_object(Bucket=settings.S3_BUCKET, Key=key, Body=CC)
        MediaFile.objects.create(
            project=partner.project,
            version=version,
            kind="document",
            state="ready",
            original_filename="match.cc",
            size=len(CC),
            storage_key=key,
        )
    client = api_client_for(partner.owner)
    base = f"/api/v1/orgs/{partner.organization.slug}/projects/{partner.project.pk}/sequences/{partner.sequence.pk}/export/"
    ccc = client.get(base + "?type=ccc")
    assert ccc.status_code == 200
    assert parse_cdl(ccc.content) == [
        Cdl(
            "SH0010",
            (1.1, 0.95, 0.9),
            (0.01, -0.02, 0.0),
            (1.0, 1.05, 0.98),
            0.85,
            "SH0010 from match.cc",
        )
    ]
    edl = client.get(base + "?type=edl").content.decode()
    assert "*ASC_SOP (1.1 0.95 0.9) (0.01 -0.02 0.0) (1.0 1.05 0.98)" in edl
    assert "*ASC_SAT 0.85" in edl


@pytest.mark.django_db
def test_ccc_export_without_grades_says_why(world: World) -> None:
    client = api_client_for(world.a.owner)
    response = client.get(
        f"/api/v1/orgs/{world.a.organization.slug}/projects/{world.a.project.pk}"
        f"/sequences/{world.a.sequence.pk}/export/?type=ccc"
    )
    assert response.status_code == 400
    assert "run shot matching first" in response.json()["error"]["message"]
