"""The FCP7 XML (xmeml) reader against hand-written files in the layouts Final Cut Pro 7 and
Premiere Pro write. Expected frames are worked out by hand in the comments: clip items'
<start>/<end> count from the sequence's start timecode, <in>/<out> from the file's own
timecode; a -1 edge sits at its transition's cut point."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from apps.core.errors import ValidationFailed
from apps.interchange.xmeml import read_xmeml

DATA = Path(__file__).parent / "data"
R2997, R25 = Fraction(30000, 1001), Fraction(25)


def test_fcp7_2997_file_reels_ndf_sources_dissolve_speed_markers_and_what_is_left() -> None:
    edit = read_xmeml((DATA / "fcp7_2997_ndf_sources.xml").read_bytes(), R2997)
    start = 107892  # sequence <frame> of 01:00:00;00
    shots = {p.code: p for p in edit.placements}
    assert list(shots) == ["SQ080_0010", "SQ080_0020", "SQ080_0030", "SQ080_0040"]
    first = shots["SQ080_0010"]
    assert (first.record_in - start, first.record_out - start) == (0, 59)
    # File timecode 12:00:00:00 NDF = 1296000, plus <in> 100.
    assert (first.source_in, first.source_out) == (1296100, 1296159)
    assert first.reel == "A003C012" and first.source_drop_frame is False
    assert first.source_file == "file://localhost/Volumes/RAID/A003C012.mov"
    second, third = shots["SQ080_0020"], shots["SQ080_0030"]
    # A centred 20-frame dissolve from 110 to 130 cuts at 120.
    assert (second.record_in - start, second.record_out - start) == (60, 119)
    assert (second.source_in, second.source_out, second.reel) == (1404500, 1404559, "B001C002")
    assert second.transition_out == {"type": "dissolve", "frames": 20, "name": "Cross Dissolve"}
    assert (third.record_in - start, third.record_out - start) == (120, 199)
    # <in> 990 is at the transition's start (110): at the cut (120) the source is 1000.
    assert (third.source_in, third.source_out, third.reel) == (1297000, 1297079, "A003C012")
    assert third.transition_in == {"type": "dissolve", "frames": 20, "name": "Cross Dissolve"}
    slow = shots["SQ080_0040"]
    assert slow.speed == 0.5 and (slow.record_in - start, slow.record_out - start) == (200, 259)
    # 02:00:00;00 DF = 215784; 60 frames at 50% use 30 source frames.
    assert (slow.source_in, slow.source_out, slow.source_drop_frame) == (215784, 215813, True)
    markers = sorted(edit.markers, key=lambda m: m.frame)
    assert [(m.frame - start, m.duration, m.name, m.note, m.kind) for m in markers] == [
        (30, 10, "Clip note", "wire removal", "clip"),  # clip <in> 130 - 100 after its start
        (75, 1, "Reshoot?", "director wants a wider take", "sequence"),
    ]
    reasons = {n.event: n.reason for n in edit.not_placed}
    assert reasons["generatoritem-1"] == "generator"
    assert reasons["clipitem-6"].startswith("nested sequence")
    assert reasons["clipitem-8"].startswith("audio-only")
    assert len(edit.not_placed) == 3  # the nested sequence's own clip is not read
    assert edit.name == "SQ080_cut_v4"


def test_premiere_25_fade_from_and_to_black_with_late_timecode_and_markers() -> None:
    edit = read_xmeml((DATA / "fcp7_25_premiere_fades.xml").read_bytes(), R25)
    start = 900000  # 10:00:00:00 at 25
    first, second = edit.placements
    assert first.code == "SQ090_0010" and second.code == "SQ090_0020"
    assert (first.record_in - start, first.record_out - start) == (0, 99)
    assert (first.source_in, first.source_out, first.reel) == (1365050, 1365149, "D010")
    assert first.source_file == "file://localhost/D:/Media/D010C001.mxf"
    assert first.transition_in == {
        "type": "dissolve",
        "frames": 25,
        "name": "Cross Dissolve",
        "black": True,
    }
    assert first.transition_out is None
    assert (second.record_in - start, second.record_out - start) == (100, 174)
    assert (second.source_in, second.source_out, second.reel) == (1440000, 1440074, "")
    assert second.transition_in is None
    assert second.transition_out == {
        "type": "dissolve",
        "frames": 25,
        "name": "Cross Dissolve",
        "black": True,
    }
    [marker] = edit.markers
    assert (marker.frame - start, marker.duration, marker.name, marker.note) == (
        110,
        10,
        "Grade",
        "check the grade",
    )
    assert edit.not_placed == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"<xmeml><sequence><broken", "line 1, column"),
        (
            b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "aaaa">]>\n<xmeml>&a;</xmeml>',
            "entities",
        ),
        (b"<fcpxml/>", "not <xmeml>"),
        (
            b"<xmeml><sequence><media><video><track>\n<clipitem id='c'><name>A</name>"
            b"<start>zero</start><end>10</end></clipitem></track></video></media></sequence>"
            b"</xmeml>",
            "line 2: <start> 'zero' is not a whole number",
        ),
        (b"<a>" * 100 + b"</a>" * 100, "nested deeper"),
    ],
)
def test_malformed_xml_names_the_line(body: bytes, expected: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        read_xmeml(body, R25)
    assert expected in caught.value.message
