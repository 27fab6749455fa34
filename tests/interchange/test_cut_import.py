"""Cut import and export through the API: preview before apply, round trips at several
frame rates, and realistic EDLs with transitions, black and speed changes."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.interchange.edit import frame_to_timecode, timecode_to_frame
from apps.production.models import Shot
from apps.production.services import project_create, sequence_create, shot_create
from apps.tenancy.scope import tenant_scope
from tests.api.helpers import api_client_for
from tests.factories import World

DATA = Path(__file__).parent / "data"


def _import(client, org: str, project_id: int, name: str, data: bytes, sequence: str = "SQ010"):
    return client.post(
        f"/api/v1/orgs/{org}/projects/{project_id}/cut-imports/",
        {"file": SimpleUploadedFile(name, data), "sequence_code": sequence},
        format="multipart",
    )


@pytest.mark.django_db
def test_hand_written_edl_with_transition_black_and_speed_change(world: World) -> None:
    org, project = world.a.organization.slug, world.a.project
    client = api_client_for(world.a.producer)
    preview = _import(
        client, org, project.pk, "r1.edl", (DATA / "avid_with_transitions.edl").read_bytes()
    )
    assert preview.status_code == 201, preview.json()
    body = preview.json()
    rows = {row["code"]: row for row in body["plan"]}
    # project start 01:00:00:00 @ 24000/1001 → 01:00:02:00 is timeline frame 48.
    assert (rows["SQ010_0010"]["cut_in"], rows["SQ010_0010"]["cut_out"]) == (0, 47)
    assert (rows["SQ010_0020"]["cut_in"], rows["SQ010_0020"]["cut_out"]) == (48, 131)
    assert (rows["SQ010_0030"]["cut_in"], rows["SQ010_0030"]["cut_out"]) == (132, 203)
    speed = rows["SQ010_0040"]
    assert (speed["cut_in"], speed["cut_out"]) == (228, 275)
    assert speed["speed"] == pytest.approx(2.0, rel=0.01)
    assert "speed change 200%" in speed["warnings"][0]
    assert all(row["action"] == "create" for row in body["plan"])
    # The 24-frame dissolve of event 003 is stored on both shots; they keep their cut points.
    assert rows["SQ010_0020"]["transition_out"] == {"type": "dissolve", "frames": 24}
    assert rows["SQ010_0030"]["transition_in"] == {"type": "dissolve", "frames": 24}
    assert rows["SQ010_0030"]["reel"] == "B002C001"
    reasons = {item["event"]: (item["line"], item["reason"]) for item in body["not_placed"]}
    assert reasons["004"] == (13, "black")
    assert reasons["006"][0] == 17 and "has no name" in reasons["006"][1]
    assert reasons["007"][0] == 18 and reasons["007"][1].startswith("repeated")
    # The sequence's shot that the cut does not hold is flagged, not dropped or kept silently.
    assert body["omitted"] == [{"code": "SH0010", "cut_in": 1001, "cut_out": 1096}]
    with tenant_scope(world.a.organization.pk):
        assert not Shot.objects.filter(project=project, code="SQ010_0040").exists()

    applied = client.post(
        f"/api/v1/orgs/{org}/projects/{project.pk}/cut-imports/{body['id']}/apply/"
    )
    assert applied.status_code == 200 and applied.json()["state"] == "applied"
    with tenant_scope(world.a.organization.pk):
        shot = Shot.objects.get(project=project, code="SQ010_0040")
        assert (shot.cut_in, shot.cut_out, shot.sequence.code) == (228, 275, "SQ010")
        assert shot.editorial.reel == "C004C002"
    again = client.post(f"/api/v1/orgs/{org}/projects/{project.pk}/cut-imports/{body['id']}/apply/")
    assert again.status_code == 409


@pytest.mark.django_db
def test_drop_frame_edl_from_another_tool_lands_on_the_right_frames(world: World) -> None:
    client = api_client_for(world.a.owner)
    org = world.a.organization.slug
    project_id = client.post(
        f"/api/v1/orgs/{org}/projects/",
        {"name": "Broadcast", "frame_rate": "30000/1001"},
        format="json",
    ).json()["id"]
    client.patch(f"/api/v1/orgs/{org}/projects/{project_id}/", {}, format="json")
    response = _import(
        client, org, project_id, "tl.edl", (DATA / "resolve_2997_df.edl").read_bytes(), "SQ020"
    )
    body = response.json()
    assert response.status_code == 201, body
    rows = {row["code"]: row for row in body["plan"]}
    assert set(rows) == {"SQ020_0010.mov", "SQ020_0020.mov", "SQ020_0030.mov"}
    # 01:00:59;28 → 01:01:00;28 spans the skipped ;00 ;01 labels: 28 frames, not 30.
    third = rows["SQ020_0030.mov"]
    assert third["cut_out"] - third["cut_in"] + 1 == 28
    assert third["cut_in"] == 1798
    assert third["record_in_tc"] == "01:00:59;28"


@pytest.mark.parametrize("rate", ["24000/1001", "24", "25", "30000/1001"])
@pytest.mark.parametrize("fmt", ["edl", "fcp7xml", "otio"])
@pytest.mark.django_db
def test_export_then_import_gives_the_same_shots_and_ranges(
    world: World, rate: str, fmt: str
) -> None:
    owner = world.a.owner
    with tenant_scope(world.a.organization.pk):
        project = project_create(actor=owner, name=f"Round trip {rate} {fmt}", frame_rate=rate)
        if rate == "30000/1001":
            project.start_timecode = "01:00:00;00"
            project.save()
        sequence = sequence_create(actor=owner, project=project, code="SQ100")
        ranges = [(0, 47), (48, 131), (200, 17999), (18000, 18000)]
        for index, (cut_in, cut_out) in enumerate(ranges, start=1):
            shot_create(
                actor=owner,
                sequence=sequence,
                code=f"SQ100_{index * 10:04d}",
                cut_in=cut_in,
                cut_out=cut_out,
            )
    client = api_client_for(owner)
    org = world.a.organization.slug
    exported = client.get(
        f"/api/v1/orgs/{org}/projects/{project.pk}/sequences/{sequence.pk}/export/?type={fmt}"
    )
    assert exported.status_code == 200, exported.content
    assert "attachment" in exported["Content-Disposition"]
    # Same project: every shot is recognised and unchanged.
    same = _import(
        client,
        org,
        project.pk,
        f"cut.{ {'edl': 'edl', 'fcp7xml': 'xml', 'otio': 'otio'}[fmt] }",
        exported.content,
        "SQ100",
    ).json()
    assert [(r["code"], r["action"], r["cut_in"], r["cut_out"]) for r in same["plan"]] == [
        (f"SQ100_{i * 10:04d}", "unchanged", a, b) for i, (a, b) in enumerate(ranges, start=1)
    ]
    assert same["not_placed"] == []


def test_timecode_helpers_agree_with_known_drop_frame_vectors() -> None:
    from fractions import Fraction

    rate = Fraction(30000, 1001)
    assert frame_to_timecode(1800, rate) == "00:01:00;02"
    assert frame_to_timecode(17982, rate) == "00:10:00;00"
    assert timecode_to_frame("01:00:00;00", rate) == 107892


@pytest.mark.django_db
def test_unreadable_and_empty_files_are_refused_with_a_reason(world: World) -> None:
    client = api_client_for(world.a.producer)
    org, pid = world.a.organization.slug, world.a.project.pk
    empty = _import(client, org, pid, "cut.edl", b"")
    assert empty.status_code == 400
    junk = _import(client, org, pid, "cut.xml", b"<xmeml><sequence><broken")
    assert junk.status_code == 400
    assert "could not be read" in junk.json()["error"]["message"]
    viewer = api_client_for(world.a.viewer)
    refused = _import(viewer, org, pid, "r1.edl", (DATA / "avid_with_transitions.edl").read_bytes())
    assert refused.status_code == 403
