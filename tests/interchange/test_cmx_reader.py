"""The CMX 3600 reader against hand-written EDLs in the layouts Avid Media Composer,
Premiere Pro and DaVinci Resolve write. Every expected frame is worked out by hand in the
comments (23.976 and 24 count 24 labels a second, 25 counts 25; drop-frame skips ;00-;01
at 29.97 and ;00-;03 at 59.94 at every minute but each tenth)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from apps.core.errors import ValidationFailed
from apps.interchange.cmx import read_edl

DATA = Path(__file__).parent / "data"
R2398, R24, R25 = Fraction(24000, 1001), Fraction(24), Fraction(25)
R2997, R5994 = Fraction(30000, 1001), Fraction(60000, 1001)


def _read(name: str, rate: Fraction):
    return read_edl((DATA / name).read_text(encoding="utf-8"), rate)


def _by_code(edit):
    return {p.code: p for p in edit.placements}


def test_avid_2398_reels_cdl_dissolve_speed_freeze_locator_and_audio() -> None:
    edit = _read("avid_2398_cdl_loc.edl", R2398)
    shots = _by_code(edit)
    assert list(shots) == ["SQ030_0010", "SQ030_0020", "SQ030_0030", "SQ030_0040", "SQ030_0050"]
    hour = 3600 * 24  # 01:00:00:00 = 86400
    first = shots["SQ030_0010"]
    assert (first.record_in, first.record_out) == (hour, hour + 47)
    # 14:22:10:05 = (14*3600 + 22*60 + 10) * 24 + 5 = 1241525; out 14:22:12:05 exclusive.
    assert (first.reel, first.source_in, first.source_out) == ("A001C003", 1241525, 1241572)
    assert first.cdl == {
        "slope": [1.05, 0.98, 0.9],
        "offset": [0.01, -0.002, 0.0],
        "power": [1.0, 1.0, 1.1],
        "saturation": 0.85,
    }
    assert first.transition_in is None and first.transition_out is None
    second, third = shots["SQ030_0020"], shots["SQ030_0030"]
    # 01:00:05:12 = hour + 132: the cut point stays where the dissolve starts.
    assert (second.record_in, second.record_out) == (hour + 48, hour + 131)
    assert second.transition_out == {"type": "dissolve", "frames": 12}
    assert (third.record_in, third.record_out) == (hour + 132, hour + 203)
    assert third.transition_in == {"type": "dissolve", "frames": 12}
    # 09:12:00:00 = 33120 * 24 = 794880, three seconds long.
    assert (third.reel, third.source_in, third.source_out) == ("B002C001", 794880, 794951)
    assert third.cdl is None
    slow = shots["SQ030_0040"]
    # M2 012.0 against the nominal 24: 0.5 (not 12/23.976); 48 record frames use 24 source.
    assert slow.speed == 0.5 and not slow.freeze
    assert (slow.record_in, slow.record_out) == (hour + 204, hour + 251)
    assert (slow.source_in, slow.source_out) == (958080, 958103)  # 11:05:20:00 = 39920 * 24
    freeze = shots["SQ030_0050"]
    assert freeze.freeze and freeze.speed == 0.0
    assert (freeze.source_in, freeze.source_out) == (963360, 963360)  # 11:09:00:00
    assert (freeze.record_in, freeze.record_out) == (hour + 252, hour + 275)
    [loc] = edit.markers
    assert (loc.frame, loc.colour, loc.note, loc.duration, loc.line) == (
        hour + 24,
        "red",
        "sky looks flat",
        1,
        8,
    )
    audio = [(n.line, n.event, n.reason.split(":")[0]) for n in edit.not_placed]
    assert audio == [(22, "006", "audio-only (A)"), (24, "007", "audio-only (A2)")]
    assert "SQ030_0010" in edit.not_placed[0].what
    assert edit.name == "EMBER_FALLS_R2_V3"


def test_premiere_24_ax_reels_fade_from_black_wipe_speed_and_generator() -> None:
    edit = _read("premiere_24_ax.edl", R24)
    shots = _by_code(edit)
    assert list(shots) == ["SQ040_0010", "SQ040_0020", "SQ040_0030", "SQ040_0040"]
    opening = shots["SQ040_0010"]
    # A dissolve from BL as the very first event is a fade up from black.
    assert opening.transition_in == {"type": "dissolve", "frames": 24, "black": True}
    assert (opening.record_in, opening.record_out) == (0, 95)
    assert (opening.reel, opening.source_in, opening.source_out) == ("AX", 240, 335)
    middle = shots["SQ040_0020"]
    assert (middle.record_in, middle.record_out, middle.reel) == (96, 155, "AX")
    assert (middle.source_in, middle.source_out) == (1440, 1499)
    assert middle.transition_out == {"type": "wipe", "frames": 10, "wipe": "001"}
    wiped = shots["SQ040_0030"]
    assert wiped.transition_in == {"type": "wipe", "frames": 10, "wipe": "001"}
    assert (wiped.record_in, wiped.record_out, wiped.source_in) == (156, 227, 2880)
    fast = shots["SQ040_0040"]
    assert fast.speed == 2.0 and (fast.record_in, fast.record_out) == (228, 275)
    assert (fast.source_in, fast.source_out) == (4320, 4415)  # 48 frames at 200% use 96
    reasons = {n.event: (n.line, n.reason) for n in edit.not_placed}
    assert reasons["005"][0] == 17 and reasons["005"][1].startswith("audio-only (AA)")
    assert reasons["006"] == (19, "generator")


def test_resolve_25_source_files_cdl_without_space_fade_to_black_and_a_repeat() -> None:
    edit = _read("resolve_25_source_file.edl", R25)
    shots = _by_code(edit)
    assert list(shots) == ["SQ050_0010", "SQ050_0020"]
    hour = 3600 * 25
    first = shots["SQ050_0010"]
    assert (first.record_in, first.record_out) == (hour, hour + 74)
    assert (first.source_in, first.source_out) == (900000, 900074)  # 10:00:00:00
    assert first.source_file == "/Volumes/RAID/Day02/A002C005_230412_R1AB.mov"
    assert first.cdl == {
        "slope": [0.9, 1.0, 1.1],
        "offset": [0.0, 0.0, -0.01],
        "power": [1.0, 1.0, 1.0],
        "saturation": 1.1,
    }
    second = shots["SQ050_0020"]
    assert (second.record_in, second.record_out) == (hour + 75, hour + 124)
    assert (second.source_in, second.source_out) == (930010, 930059)  # 10:20:00:10
    assert second.source_file.endswith("A002C009_230412_R1AB.mov")
    assert second.transition_out == {"type": "dissolve", "frames": 25, "black": True}
    assert second.cdl is None
    reasons = {n.event: (n.line, n.reason) for n in edit.not_placed}
    assert reasons["003"] == (13, "black")
    assert reasons["004"][0] == 15 and reasons["004"][1].startswith("repeated")


def test_avid_2997_drop_frame_written_with_colons_is_drop_frame() -> None:
    edit = _read("avid_2997_df_colons.edl", R2997)
    shots = _by_code(edit)
    start = 107892  # 01:00:00;00
    first, second, third = shots["SQ060_0010"], shots["SQ060_0020"], shots["SQ060_0030"]
    assert (first.record_in - start, first.record_out - start) == (0, 59)
    assert (first.source_in, first.source_out) == (557442, 557501)  # 05:10:00;00
    # 01:00:59;28 -> 01:01:00;28 skips ;00 and ;01: 28 frames.
    assert (second.record_in - start, second.record_out - start) == (1798, 1825)
    assert (second.source_in, second.source_out) == (575724, 575751)  # 05:20:10;00
    # 01:09:59;29 -> 01:10:00;29: the tenth minute keeps its labels, 30 frames.
    assert (third.record_in - start, third.record_out - start) == (17981, 18010)
    assert (third.source_in, third.source_out) == (593406, 593435)
    assert all(p.source_drop_frame for p in shots.values())
    [loc] = edit.markers
    assert (loc.frame - start, loc.colour, loc.note) == (1799, "green", "flash frame?")


def test_resolve_5994_drop_frame_and_a_dissolve() -> None:
    edit = _read("resolve_5994_df.edl", R5994)
    shots = _by_code(edit)
    start = 215784  # 01:00:00;00 at 59.94: 216000 - 4 * 54
    first, second, third = (shots[f"SQ070_00{n}0.mov"] for n in (1, 2, 3))
    assert (first.record_in - start, first.record_out - start) == (0, 119)
    assert (first.source_in, first.source_out, first.reel) == (600, 719, "AX")
    assert first.source_file == "SQ070_0010.mov"
    # 01:00:59;56 -> 01:01:00;56 skips ;00 to ;03: 56 frames.
    assert (second.record_in - start, second.record_out - start) == (3596, 3651)
    assert (second.source_in, second.source_out) == (17984, 18039)  # 00:05:00;04
    assert second.transition_out == {"type": "dissolve", "frames": 30}
    assert (third.record_in - start, third.record_out - start) == (3652, 3771)
    assert (third.source_in, third.source_out) == (32374, 32493)  # 00:09:00;10
    assert third.transition_in == {"type": "dissolve", "frames": 30}
    assert edit.not_placed == []


def test_resolve_marker_edl_gives_markers_not_nameless_events() -> None:
    edit = _read("resolve_markers_24.edl", R2398)
    assert edit.placements == [] and edit.not_placed == []
    hour = 86400
    assert [(m.frame - hour, m.duration, m.colour, m.name, m.note) for m in edit.markers] == [
        (24, 1, "blue", "Sky replacement", ""),
        (84, 24, "red", "Boom in frame", "fix the boom"),
        (144, 12, "sky", "Hold", ""),
    ]


@pytest.mark.parametrize(
    ("body", "rate", "expected"),
    [
        (
            (DATA / "malformed_2997_seconds.edl").read_text(),
            R2997,
            "line 5, column 54: '00:00:61;00'",
        ),
        (
            "FCM: DROP FRAME\n001  A V C  00:01:00;00 00:01:01;00 01:00:00;00 01:00:01;00\n",
            R2997,
            "line 2, column 13: '00:01:00;00' does not exist in drop-frame",
        ),
        (
            "FCM: DROP FRAME\n001  A V C  00:01:00:02 00:01:01:02 01:01:00:01 01:01:01:02\n",
            R2997,
            "line 2, column 37: '01:01:00:01' does not exist in drop-frame",
        ),
        (
            "001  A V C  00:00:01:00 00:00:00:00 01:00:00:00 01:00:01:00\n",
            R24,
            "line 1: event 001: source out before source in",
        ),
        ("TITLE: x\n\n001  A V C  00:00:01:00 01:00:00:00\n", R24, "line 3: an event is"),
        ("001  A V C  00:00:00:00 00:00:01:00 24:00:00:00 24:00:01:00\n", R24, "end of the day"),
        ("001  A V C  00:00:00:00 00:00:01:00 01:00:00;00 01:00:01;00\n", R25, "drop-frame"),
        ("001  A V C  00:00:00:00 00:00:01:00 01:00:00:25 01:00:01:00\n", R25, "frames run"),
        ("001  A V D  00:00:00:00 00:00:01:00 01:00:00:00 01:00:01:00\n", R25, "duration"),
        ("M2   A  012.0  00:00:00:00\n", R24, "line 1: an M2 speed line before any event"),
    ],
)
def test_malformed_edls_name_the_line_and_what_is_wrong(
    body: str, rate: Fraction, expected: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        read_edl(body, rate)
    assert expected in caught.value.message


def test_all_semicolon_drop_frame_labels_are_accepted() -> None:
    edit = read_edl(
        "001  A V C  00;00;10;00 00;00;11;00 01;00;00;00 01;00;01;00\n* FROM CLIP NAME: X\n",
        R2997,
    )
    [shot] = edit.placements
    assert (shot.record_in, shot.record_out, shot.source_in) == (107892, 107921, 300)


@pytest.mark.parametrize(("fps", "speed"), [("012.0", 0.5), ("011.988", 0.5), ("-024.0", -1.0)])
def test_m2_speed_is_read_against_the_nominal_rate(fps: str, speed: float) -> None:
    body = (
        "001  A001 V     C        10:00:00:00 10:00:01:00 01:00:00:00 01:00:02:00\n"
        f"M2   A001       {fps}                10:00:00:00\n"
        "* FROM CLIP NAME: SH0010\n"
    )
    [shot] = read_edl(body, R2398).placements
    assert shot.speed == speed


def test_a_dissolve_on_v1_belongs_to_the_v1_shot_not_a_superimposed_v2_shot() -> None:
    body = (
        "001  A001 V     C        10:00:00:00 10:00:02:00 01:00:00:00 01:00:02:00\n"
        "* FROM CLIP NAME: SH0010\n"
        "002  B001 V2    C        11:00:00:00 11:00:01:00 01:00:00:12 01:00:01:12\n"
        "* FROM CLIP NAME: SH0020\n"
        "003  A001 V     C        10:00:02:00 10:00:02:00 01:00:02:00 01:00:02:00\n"
        "003  A002 V     D    012 12:00:00:00 12:00:02:00 01:00:02:00 01:00:04:00\n"
        "* FROM CLIP NAME: SH0010\n"
        "* TO CLIP NAME: SH0030\n"
    )
    shots = _by_code(read_edl(body, R24))
    assert shots["SH0010"].transition_out == {"type": "dissolve", "frames": 12}
    above = shots["SH0020"]
    assert (above.track, above.record_in, above.record_out) == ("V2", 86412, 86435)
    assert above.transition_out is None
    assert shots["SH0030"].transition_in == {"type": "dissolve", "frames": 12}


def test_an_edl_without_title_is_still_recognised() -> None:
    from apps.interchange.edit import detect_format

    body = b"001  A001 V     C        10:00:00:00 10:00:02:00 01:00:00:00 01:00:02:00\n"
    assert detect_format("cut.txt", body + b" |C:ResolveColorBlue |M:x |D:1\n") == "edl"
