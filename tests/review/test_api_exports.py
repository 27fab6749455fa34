"""REST operations of review (same services as the room) and the marker exports."""

from __future__ import annotations

import csv
import io
from typing import Any

import opentimelineio as otio
import pytest

from apps.core.timecode import frames_to_timecode
from tests.api.helpers import api_client_for
from tests.review.conftest import Room, build_room


@pytest.fixture
def room(committed_db: None) -> Room:
    return build_room("api")


def _notes_url(room: Room, version: Any, org: str | None = None) -> str:
    return f"/api/v1/orgs/{org or room.partner.organization.slug}/versions/{version.pk}/notes/"


def test_concurrent_edits_conflict_instead_of_overwriting(room: Room) -> None:
    producer = api_client_for(room.partner.producer)
    owner = api_client_for(room.partner.owner)
    reviewer = api_client_for(room.reviewer)
    created = producer.post(
        _notes_url(room, room.versions[0]), {"frame_in": 5, "frame_out": 9, "text": "Too dark"},
        format="json",
    )  # fmt: skip
    assert created.status_code == 201, created.content
    note = created.json()
    detail = f"/api/v1/orgs/{room.partner.organization.slug}/notes/{note['id']}/"
    # Both read revision 1; the first write wins, the second gets 409 with the reason.
    first = owner.patch(detail, {"revision": 1, "status": "resolved"}, format="json")
    assert first.status_code == 200 and first.json()["revision"] == 2
    second = producer.patch(detail, {"revision": 1, "text": "Too dark, lift mids"}, format="json")
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "conflict"
    assert producer.get(detail).json()["text"] == "Too dark"
    retry = producer.patch(detail, {"revision": 2, "text": "Too dark, lift mids"}, format="json")
    assert retry.status_code == 200 and retry.json()["revision"] == 3
    # Only the author edits the text.
    refused = owner.patch(detail, {"revision": 3, "text": "mine now"}, format="json")
    assert refused.status_code == 403
    # The studio reviewer reaches the same note through the share, and replies.
    studio_detail = f"/api/v1/orgs/{room.studio.slug}/notes/{note['id']}/replies/"
    reply = reviewer.post(studio_detail, {"text": "Agreed"}, format="json")
    assert reply.status_code == 201, reply.content
    assert [r["text"] for r in producer.get(detail).json()["replies"]] == ["Agreed"]


def test_roles_and_validation(room: Room) -> None:
    viewer = api_client_for(room.partner.viewer)
    url = _notes_url(room, room.versions[0])
    assert viewer.post(url, {"frame_in": 1, "text": "x"}, format="json").status_code == 403
    decisions = (
        f"/api/v1/orgs/{room.partner.organization.slug}/versions/{room.versions[0].pk}/decisions/"
    )
    assert viewer.post(decisions, {"decision": "approved"}, format="json").status_code == 403
    owner = api_client_for(room.partner.owner)
    bad = owner.post(url, {"frame_in": 4, "frame_out": 2, "text": "x"}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["fields"]["frame_out"]
    # Frames are 0-based indices into the version's 48-frame media: nothing past its end,
    # and never a number the database cannot hold (that used to answer 500).
    past_end = owner.post(url, {"frame_in": 48, "text": "x"}, format="json")
    assert past_end.status_code == 400
    assert "48 frames" in past_end.json()["error"]["fields"]["frame_in"][0]
    huge = owner.post(url, {"frame_in": 2**31, "text": "x"}, format="json")
    assert huge.status_code == 400 and "frame_in" in huge.json()["error"]["fields"]
    last = owner.post(url, {"frame_in": 40, "frame_out": 47, "text": "last frames"}, format="json")
    assert last.status_code == 201, last.content
    drawing = {"strokes": [{"tool": "laser", "points": [[0.1, 0.1]]}]}
    bad = owner.post(url, {"frame_in": 1, "text": "x", "drawing": drawing}, format="json")
    assert bad.status_code == 400 and "drawing" in bad.json()["error"]["fields"]
    approved = owner.post(decisions, {"decision": "approved", "comment": "Final"}, format="json")
    assert approved.status_code == 201
    history = owner.get(decisions).json()
    assert history["version_status"] == "approved"
    assert history["results"][0]["actor"]["id"] == room.partner.owner.pk
    # Sessions over REST: create, list, state.
    sessions = f"/api/v1/orgs/{room.partner.organization.slug}/projects/{room.partner.project.pk}/review-sessions/"
    created = owner.post(
        sessions, {"title": "Client review", "versions": [v.pk for v in room.versions]},
        format="json",
    )  # fmt: skip
    assert created.status_code == 201, created.content
    assert "Client review" in [s["title"] for s in owner.get(sessions).json()["results"]]
    detail = (
        f"/api/v1/orgs/{room.partner.organization.slug}/review-sessions/{created.json()['id']}/"
    )
    assert owner.patch(detail, {"state": "live"}, format="json").json()["state"] == "live"
    assert viewer.patch(detail, {"state": "ended"}, format="json").status_code == 403
    foreign = owner.post(
        sessions, {"title": "x", "versions": [room.other.shot.pk + 10_000]}, format="json"
    )
    assert foreign.status_code == 400


@pytest.fixture
def drop_frame_room(committed_db: None) -> Room:
    from apps.tenancy.scope import tenant_scope

    room = build_room("df", frame_rate="30000/1001")
    with tenant_scope(room.partner.organization.pk):
        project = room.partner.project
        project.start_timecode = "00:00:59;00"  # 1770 frames at 29.97 DF
        project.save(update_fields=["start_timecode"])
    return room


def test_exports_place_notes_at_drop_frame_timecode(drop_frame_room: Room) -> None:
    room = drop_frame_room
    owner = api_client_for(room.partner.owner)
    v1, v2 = room.versions
    for version, frame, text in ((v1, 40, "Flicker | on left"), (v2, 10, "=SUM(A1)")):
        response = owner.post(
            _notes_url(room, version), {"frame_in": frame, "text": text}, format="json"
        )
        assert response.status_code == 201
    rate = room.partner.project.frame_rate
    # v1 frame 40 -> 1770 + 40; v2 frame 10 -> 1770 + 48 (v1's length) + 10.
    tc1 = frames_to_timecode(1810, rate, drop_frame=True)
    tc2 = frames_to_timecode(1828, rate, drop_frame=True)
    # 1800 is 00:01:00;02 (;00 and ;01 are skipped), so 1810 is ;12 where non-drop says :10.
    assert (tc1, tc2) == ("00:01:00;12", "00:01:01;00")
    base = (
        f"/api/v1/orgs/{room.partner.organization.slug}/review-sessions/{room.session.pk}/export/"
    )

    edl = owner.get(base + "edl/?timeline=session")
    assert edl.status_code == 200 and "attachment" in edl["Content-Disposition"]
    text = edl.content.decode()
    assert "FCM: DROP FRAME" in text
    assert f"001  001      V     C        {tc1} " in text
    assert f"002  001      V     C        {tc2} " in text
    assert "|C:ResolveColorRed |M:" in text and "Flicker / on left" in text

    avid = owner.get(base + "avid/?timeline=session").content.decode().splitlines()
    assert avid[0].split("\t")[1:4] == [tc1, "V1", "red"]

    rows = list(
        csv.DictReader(io.StringIO(owner.get(base + "csv/?timeline=session").content.decode()))
    )
    assert [r["timecode_in"] for r in rows] == [tc1, tc2]
    assert rows[1]["text"] == "'=SUM(A1)"  # no spreadsheet formula injection

    xml = owner.get(base + "fcpxml/?timeline=session").content.decode()
    timeline = otio.adapters.read_from_string(xml, "fcp_xml")
    clips = list(timeline.find_clips())
    assert [len(c.markers) for c in clips] == [1, 1]
    assert clips[0].markers[0].marked_range.start_time.to_frames() == 40
    assert "<comment>Flicker | on left" in xml
    assert "<string>00:00:59;00</string>" in xml and "<displayformat>DF</displayformat>" in xml
    # OpenTimelineIO agrees with our label for the marker's absolute position.
    absolute = otio.opentime.RationalTime(1810, float(rate))
    assert otio.opentime.to_timecode(absolute, float(rate), drop_frame=True) == tc1

    one = owner.get(
        f"/api/v1/orgs/{room.partner.organization.slug}/versions/{v2.pk}/notes/export/edl/"
        "?timeline=session"
    ).content.decode()
    assert frames_to_timecode(1770 + 10, rate, drop_frame=True) in one
    assert owner.get(base + "pdf/").status_code == 400


def test_exports_default_to_the_cuts_record_timecode(drop_frame_room: Room) -> None:
    """Markers land on the editor's sequence: start timecode + the shot's cut_in + the
    note's frame, whatever the version's place in the session's playlist."""
    room = drop_frame_room
    owner = api_client_for(room.partner.owner)
    v1, v2 = room.versions
    for version, frame in ((v1, 40), (v2, 10)):
        response = owner.post(
            _notes_url(room, version), {"frame_in": frame, "text": f"at {frame}"}, format="json"
        )
        assert response.status_code == 201
    rate = room.partner.project.frame_rate
    cut_in = room.partner.shot.cut_in
    # 1770 (00:00:59;00) + 1001 (the shot's cut_in) + the note's frame.
    tc1 = frames_to_timecode(1770 + cut_in + 40, rate, drop_frame=True)
    tc2 = frames_to_timecode(1770 + cut_in + 10, rate, drop_frame=True)
    base = (
        f"/api/v1/orgs/{room.partner.organization.slug}/review-sessions/{room.session.pk}/export/"
    )
    rows = list(csv.DictReader(io.StringIO(owner.get(base + "csv/").content.decode())))
    assert sorted(r["timecode_in"] for r in rows) == sorted([tc1, tc2])
    edl = owner.get(base + "edl/").content.decode()
    assert f"V     C        {tc1} " in edl and f"V     C        {tc2} " in edl
    one = owner.get(
        f"/api/v1/orgs/{room.partner.organization.slug}/versions/{v2.pk}/notes/export/avid/"
    ).content.decode()
    assert one.split("\t")[1] == tc2
    xml = owner.get(base + "fcpxml/").content.decode()
    timeline = otio.adapters.read_from_string(xml, "fcp_xml")
    placed = {
        clip.name: clip.range_in_parent().start_time.to_frames() for clip in timeline.find_clips()
    }
    assert set(placed.values()) == {cut_in}
    assert sum(len(c.markers) for c in timeline.find_clips()) == 2
    assert owner.get(base + "csv/?timeline=sideways").status_code == 400
