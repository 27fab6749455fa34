"""The cut import plan through the API, as a user sees it: CDLs, transitions, markers,
source labels in the source's own timecode, omitted shots, errors naming the line, and a
re-import that never renumbers a shot's working frames."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.production.models import Shot
from apps.tenancy.scope import tenant_scope
from tests.api.helpers import api_client_for
from tests.factories import World

DATA = Path(__file__).parent / "data"


def _project(client: Any, org: str, rate: str, start: str) -> int:
    response = client.post(
        f"/api/v1/orgs/{org}/projects/",
        {"name": f"Cut {rate} {start}", "frame_rate": rate, "start_timecode": start},
        format="json",
    )
    assert response.status_code == 201, response.json()
    return int(response.json()["id"])


def _import(client: Any, org: str, project_id: int, name: str, data: bytes, seq: str = "SQ010"):
    return client.post(
        f"/api/v1/orgs/{org}/projects/{project_id}/cut-imports/",
        {"file": SimpleUploadedFile(name, data), "sequence_code": seq},
        format="multipart",
    )


def _plan(response: Any) -> dict[str, dict[str, Any]]:
    assert response.status_code == 201, response.json()
    return {row["code"]: row for row in response.json()["plan"]}


@pytest.mark.django_db
def test_avid_plan_carries_cdl_transitions_speed_and_the_locator_marker(world: World) -> None:
    client = api_client_for(world.a.producer)
    org, project = world.a.organization.slug, world.a.project
    response = _import(
        client, org, project.pk, "r2.edl", (DATA / "avid_2398_cdl_loc.edl").read_bytes(), "SQ030"
    )
    rows = _plan(response)
    first = rows["SQ030_0010"]
    assert first["cdl"]["slope"] == [1.05, 0.98, 0.9] and first["cdl"]["saturation"] == 0.85
    assert (first["source_in_tc"], first["source_out_tc"]) == ("14:22:10:05", "14:22:12:05")
    assert (first["record_in_tc"], first["record_out_tc"]) == ("01:00:00:00", "01:00:02:00")
    assert (first["line"], first["event"], first["reel"]) == (4, "001", "A001C003")
    assert rows["SQ030_0020"]["transition_out"] == {"type": "dissolve", "frames": 12}
    assert rows["SQ030_0030"]["transition_in"] == {"type": "dissolve", "frames": 12}
    assert rows["SQ030_0040"]["speed"] == 0.5
    assert rows["SQ030_0050"]["freeze"] is True
    assert response.json()["markers"] == [
        {
            "frame": 24,
            "timecode": "01:00:01:00",
            "duration": 1,
            "colour": "red",
            "name": "sky looks flat",
            "note": "sky looks flat",
            "kind": "locator",
            "shot": "SQ030_0010",
            "line": 8,
        }
    ]
    lines = [(item["line"], item["event"]) for item in response.json()["not_placed"]]
    assert lines == [(22, "006"), (24, "007")]


@pytest.mark.django_db
def test_resolve_marker_edl_imports_markers_with_duration_colour_and_name(world: World) -> None:
    client = api_client_for(world.a.producer)
    org, project = world.a.organization.slug, world.a.project
    response = _import(
        client, org, project.pk, "m.edl", (DATA / "resolve_markers_24.edl").read_bytes()
    )
    body = response.json()
    assert response.status_code == 201, body
    assert body["plan"] == [] and body["not_placed"] == []
    assert [
        (m["frame"], m["timecode"], m["duration"], m["colour"], m["name"]) for m in body["markers"]
    ] == [
        (24, "01:00:01:00", 1, "blue", "Sky replacement"),
        (84, "01:00:03:12", 24, "red", "Boom in frame"),
        (144, "01:00:06:00", 12, "sky", "Hold"),
    ]


@pytest.mark.parametrize("start", ["01:00:00;00", "01:00:00:00"])
@pytest.mark.django_db
def test_fcp7_2997_ndf_sources_keep_ndf_labels_and_start_is_read_one_way(
    world: World, start: str
) -> None:
    client = api_client_for(world.a.owner)
    org = world.a.organization.slug
    project_id = _project(client, org, "30000/1001", start)
    response = _import(
        client, org, project_id, "cut.xml", (DATA / "fcp7_2997_ndf_sources.xml").read_bytes()
    )
    rows = _plan(response)
    # Either way of writing 01:00:00:00 at 29.97 is the drop-frame label: frame 107892.
    assert (rows["SQ080_0010"]["cut_in"], rows["SQ080_0010"]["cut_out"]) == (0, 59)
    assert rows["SQ080_0010"]["record_in_tc"] == "01:00:00;00"
    # 1296100 is 12:00:03:10 as the NDF file says, not a drop-frame relabelling.
    assert (rows["SQ080_0010"]["source_in_tc"], rows["SQ080_0010"]["source_out_tc"]) == (
        "12:00:03:10",
        "12:00:05:10",
    )
    assert rows["SQ080_0020"]["source_in_tc"] == "13:00:16:20"  # 500 frames after 13:00:00:00
    assert rows["SQ080_0040"]["source_in_tc"] == "02:00:00;00"  # a DF file stays DF
    assert rows["SQ080_0020"]["reel"] == "B001C002"
    markers = response.json()["markers"]
    assert [(m["frame"], m["shot"], m["kind"]) for m in markers] == [
        (30, "SQ080_0010", "clip"),
        (75, "SQ080_0020", "sequence"),
    ]


@pytest.mark.parametrize(
    ("rate", "start", "name", "first", "expected"),
    [
        # Each: the first shot's cut range and record labels, worked out by hand.
        ("24", "00:00:00:00", "premiere_24_ax.edl", "SQ040_0010", (0, 95, "00:00:00:00")),
        ("25", "01:00:00:00", "resolve_25_source_file.edl", "SQ050_0010", (0, 74, "01:00:00:00")),
        (
            "30000/1001",
            "01:00:00;00",
            "avid_2997_df_colons.edl",
            "SQ060_0020",
            (1798, 1825, "01:00:59;28"),
        ),
        (
            "60000/1001",
            "01:00:00;00",
            "resolve_5994_df.edl",
            "SQ070_0020.mov",
            (3596, 3651, "01:00:59;56"),
        ),
        (
            "25",
            "10:00:00:00",
            "fcp7_25_premiere_fades.xml",
            "SQ090_0020",
            (100, 174, "10:00:04:00"),
        ),
    ],
)
@pytest.mark.django_db
def test_every_layout_and_rate_lands_on_the_hand_worked_frames(
    world: World, rate: str, start: str, name: str, first: str, expected: tuple[int, int, str]
) -> None:
    client = api_client_for(world.a.owner)
    org = world.a.organization.slug
    project_id = _project(client, org, rate, start)
    rows = _plan(_import(client, org, project_id, name, (DATA / name).read_bytes()))
    row = rows[first]
    assert (row["cut_in"], row["cut_out"], row["record_in_tc"]) == expected


@pytest.mark.django_db
def test_malformed_edl_is_refused_naming_line_column_and_what_was_wrong(world: World) -> None:
    client = api_client_for(world.a.owner)
    org = world.a.organization.slug
    project_id = _project(client, org, "30000/1001", "01:00:00;00")
    response = _import(
        client, org, project_id, "bad.edl", (DATA / "malformed_2997_seconds.edl").read_bytes()
    )
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert message.startswith("line 5, column 54: '00:00:61;00'")
    assert "seconds" in message


EDL_96 = """TITLE: SQ010 v1
FCM: NON-DROP FRAME

001  A001C003 V     C        14:22:10:05 14:22:14:05 01:00:00:00 01:00:04:00
* FROM CLIP NAME: SH0010
"""
EDL_100 = EDL_96.replace(
    "14:22:14:05 01:00:00:00 01:00:04:00", "14:22:14:09 01:00:00:00 01:00:04:04"
)


@pytest.mark.django_db
def test_reimport_never_renumbers_the_working_range_and_reports_the_length_change(
    world: World,
) -> None:
    client = api_client_for(world.a.producer)
    org, project, shot = world.a.organization.slug, world.a.project, world.a.shot
    base = f"/api/v1/orgs/{org}/projects/{project.pk}/cut-imports/"
    first = _import(client, org, project.pk, "v1.edl", EDL_96.encode())
    row = _plan(first)["SH0010"]
    assert (row["cut_in"], row["cut_out"]) == (0, 95)
    assert row["working"] == {"cut_in": 1001, "cut_out": 1096}
    assert not any("length change" in w for w in row["warnings"])  # 96 frames both
    assert client.post(f"{base}{first.json()['id']}/apply/").status_code == 200
    with tenant_scope(world.a.organization.pk):
        again = Shot.objects.get(pk=shot.pk)
        assert (again.cut_in, again.cut_out) == (1001, 1096)  # the player's frames stay
        assert (again.editorial.position_in, again.editorial.position_out) == (0, 95)
        assert again.editorial.reel == "A001C003"

    second = _import(client, org, project.pk, "v2.edl", EDL_100.encode())
    row = _plan(second)["SH0010"]
    assert row["action"] == "update" and row["previous"] == {"cut_in": 0, "cut_out": 95}
    assert (row["cut_in"], row["cut_out"]) == (0, 99)
    assert any("length change" in w and "(+4)" in w for w in row["warnings"])
    assert client.post(f"{base}{second.json()['id']}/apply/").status_code == 200
    with tenant_scope(world.a.organization.pk):
        again = Shot.objects.get(pk=shot.pk)
        assert (again.cut_in, again.cut_out) == (1001, 1096)
        assert (again.editorial.position_in, again.editorial.position_out) == (0, 99)
    exported = client.get(
        f"/api/v1/orgs/{org}/projects/{project.pk}/sequences/{world.a.sequence.pk}/export/?type=edl"
    ).content.decode()
    # The export places the shot where the cut has it, not at its working frame 1001.
    assert "01:00:00:00 01:00:04:04" in exported


KEPT: tuple[str, ...] = ("code", "cut_in", "cut_out", "reel", "source_in", "source_out")
KEPT += ("speed", "freeze", "cdl", "transition_in", "transition_out", "source_file")


@pytest.mark.parametrize(
    ("rate", "start", "name"),
    [
        ("24000/1001", "01:00:00:00", "avid_2398_cdl_loc.edl"),
        ("24", "00:00:00:00", "premiere_24_ax.edl"),
        ("25", "01:00:00:00", "resolve_25_source_file.edl"),
        ("30000/1001", "01:00:00;00", "avid_2997_df_colons.edl"),
        ("60000/1001", "01:00:00;00", "resolve_5994_df.edl"),
        ("30000/1001", "01:00:00:00", "fcp7_2997_ndf_sources.xml"),
    ],
)
@pytest.mark.django_db
def test_import_export_import_gives_the_same_cut(
    world: World, rate: str, start: str, name: str
) -> None:
    client = api_client_for(world.a.owner)
    org = world.a.organization.slug
    project_id = _project(client, org, rate, start)
    base = f"/api/v1/orgs/{org}/projects/{project_id}"
    first = _import(client, org, project_id, name, (DATA / name).read_bytes(), "SQ900")
    before = _plan(first)
    assert client.post(f"{base}/cut-imports/{first.json()['id']}/apply/").status_code == 200
    with tenant_scope(world.a.organization.pk):
        sequence = Shot.objects.filter(project_id=project_id).first().sequence  # type: ignore[union-attr]
    exported = client.get(f"{base}/sequences/{sequence.pk}/export/?type=edl")
    assert exported.status_code == 200, exported.content
    again = _import(client, org, project_id, "again.edl", exported.content, "SQ900")
    after = _plan(again)
    assert list(after) == list(before)
    for code, row in after.items():
        assert row["action"] == "unchanged", (code, row)
        kept = {key: row[key] for key in KEPT}
        if name.endswith(".xml"):  # the EDL has no transition names and one FCM
            for key in ("transition_in", "transition_out"):
                if before[code][key]:
                    before[code][key] = {k: v for k, v in before[code][key].items() if k != "name"}
        assert kept == {key: before[code][key] for key in KEPT}, code
    assert again.json()["omitted"] == []
