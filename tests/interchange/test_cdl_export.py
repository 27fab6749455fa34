"""Grades from shot matching reach the colourist: a .ccc collection and ASC_SOP/ASC_SAT
comments in the EDL, read back with the same numbers."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings

from apps.interchange.cdl import Cdl, parse_cdl, write_ccc
from apps.media.models import MediaFile
from apps.media.storage import new_object_key, s3_client
from apps.production.models import Version, VersionStatus
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


def _graded_version(partner: Any, slope: str, *, status: str) -> None:
    """A render version of the partner's shot carrying a .cc with `slope` (red green blue)."""
    body = CC.replace(b"1.100000 0.950000 0.900000", slope.encode())
    with tenant_scope(partner.organization.pk):
        version = version_create(actor=None, shot=partner.shot, source="render")
        Version.objects.filter(pk=version.pk).update(status=status)
        key = new_object_key(
            organization_id=partner.organization.pk,
            project_id=partner.project.pk,
            filename="match.cc",
            area="renders",
        )
        s3_client().put_object(Bucket=settings.S3_BUCKET, Key=key, Body=body)
        MediaFile.objects.create(
            project=partner.project,
            version=version,
            kind="document",
            role="cc",
            state="ready",
            original_filename="match.cc",
            size=len(body),
            storage_key=key,
        )


def _edl(partner: Any) -> str:
    client = api_client_for(partner.owner)
    response = client.get(
        f"/api/v1/orgs/{partner.organization.slug}/projects/{partner.project.pk}"
        f"/sequences/{partner.sequence.pk}/export/?type=edl"
    )
    assert response.status_code == 200, response.content
    return str(response.content.decode())


@pytest.mark.django_db
def test_edl_carries_the_grade_of_the_approved_version_not_a_newer_take(world: World) -> None:
    partner = world.a
    _graded_version(partner, "1.200000 1.000000 0.800000", status=VersionStatus.CHANGES_REQUESTED)
    _graded_version(partner, "1.300000 1.000000 0.800000", status=VersionStatus.APPROVED)  # v002
    _graded_version(partner, "1.400000 1.000000 0.800000", status=VersionStatus.IN_REVIEW)
    edl = _edl(partner)
    assert "*ASC_SOP (1.3 1.0 0.8)" in edl
    assert "1.4 1.0 0.8" not in edl and "1.2 1.0 0.8" not in edl


@pytest.mark.django_db
def test_edl_falls_back_to_the_newest_grade_only_when_nothing_is_approved(world: World) -> None:
    partner = world.a
    _graded_version(partner, "1.200000 1.000000 0.800000", status=VersionStatus.CHANGES_REQUESTED)
    _graded_version(partner, "1.400000 1.000000 0.800000", status=VersionStatus.IN_REVIEW)
    assert "*ASC_SOP (1.4 1.0 0.8)" in _edl(partner)


@pytest.mark.django_db
def test_an_approved_version_without_a_grade_exports_no_grade(world: World) -> None:
    """The approved take is what the editor gets: a grade of a take nobody approved is not
    slipped in beside it."""
    partner = world.a
    _graded_version(partner, "1.400000 1.000000 0.800000", status=VersionStatus.IN_REVIEW)
    with tenant_scope(partner.organization.pk):
        approved = version_create(actor=None, shot=partner.shot, source="upload")
        Version.objects.filter(pk=approved.pk).update(status=VersionStatus.APPROVED)
    edl = _edl(partner)
    assert "SH0010" in edl and "ASC_SOP" not in edl
