"""SMPTE ST 12-1 timecode: known vectors, round trips and agreement with OpenTimelineIO."""

from __future__ import annotations

from fractions import Fraction

import opentimelineio as otio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apps.core.timecode import (
    TimecodeError,
    frame_to_seconds,
    frames_to_timecode,
    parse_rate,
    seconds_to_frame,
    supports_drop_frame,
    timecode_to_frames,
)

NTSC30 = Fraction(30000, 1001)
NTSC60 = Fraction(60000, 1001)
RATES = [
    Fraction(24),
    Fraction(25),
    Fraction(30),
    Fraction(48),
    Fraction(50),
    Fraction(60),
    Fraction(24000, 1001),
    NTSC30,
    NTSC60,
]
DAY_29_97_DF = 24 * 6 * 17982


@pytest.mark.parametrize(
    ("frame", "label"),
    [
        (0, "00:00:00;00"),
        (1799, "00:00:59;29"),
        (1800, "00:01:00;02"),
        (3597, "00:01:59;29"),
        (3598, "00:02:00;02"),
        (17981, "00:09:59;29"),
        (17982, "00:10:00;00"),
        (17983, "00:10:00;01"),
        (107892, "01:00:00;00"),
        (DAY_29_97_DF - 1, "23:59:59;29"),
    ],
)
def test_drop_frame_vectors_at_29_97(frame: int, label: str) -> None:
    assert frames_to_timecode(frame, NTSC30, drop_frame=True) == label
    assert timecode_to_frames(label, NTSC30) == frame


@pytest.mark.parametrize(
    ("frame", "label"),
    [(3600, "00:01:00;04"), (35964, "00:10:00;00"), (215784, "01:00:00;00"), (3599, "00:00:59;59")],
)
def test_drop_frame_vectors_at_59_94(frame: int, label: str) -> None:
    assert frames_to_timecode(frame, NTSC60, drop_frame=True) == label
    assert timecode_to_frames(label, NTSC60) == frame


def test_non_drop_vectors() -> None:
    assert frames_to_timecode(86400, Fraction(24)) == "01:00:00:00"
    assert frames_to_timecode(86400, Fraction(24000, 1001)) == "01:00:00:00"
    assert frames_to_timecode(90000, Fraction(25)) == "01:00:00:00"
    assert frames_to_timecode(1800, NTSC30) == "00:01:00:00"
    assert timecode_to_frames("01:00:00:00", Fraction(24000, 1001)) == 86400


def test_drop_frame_only_at_29_97_and_59_94() -> None:
    assert supports_drop_frame(NTSC30) and supports_drop_frame(NTSC60)
    for rate in (Fraction(24000, 1001), Fraction(25), Fraction(30), Fraction(24)):
        with pytest.raises(TimecodeError):
            frames_to_timecode(10, rate, drop_frame=True)
        with pytest.raises(TimecodeError):
            timecode_to_frames("00:00:00;10", rate)


def test_skipped_labels_do_not_exist() -> None:
    for label in ("00:01:00;00", "00:01:00;01", "00:09:00;01"):
        with pytest.raises(TimecodeError):
            timecode_to_frames(label, NTSC30)
    assert timecode_to_frames("00:10:00;00", NTSC30) == 17982
    with pytest.raises(TimecodeError):
        timecode_to_frames("00:00:00:24", Fraction(24))
    with pytest.raises(TimecodeError):
        timecode_to_frames("nonsense", Fraction(24))


def test_rates_parse_exactly() -> None:
    assert parse_rate("29.97") == NTSC30
    assert parse_rate("24000/1001") == Fraction(24000, 1001)
    assert parse_rate(25) == Fraction(25)
    with pytest.raises(TimecodeError):
        parse_rate("0")


@settings(max_examples=300, deadline=None)
@given(frame=st.integers(min_value=0, max_value=DAY_29_97_DF - 1), rate=st.sampled_from(RATES))
def test_round_trip_non_drop(frame: int, rate: Fraction) -> None:
    day = 24 * 3600 * -(-rate.numerator // rate.denominator)
    frame %= day
    assert timecode_to_frames(frames_to_timecode(frame, rate), rate) == frame


@settings(max_examples=300, deadline=None)
@given(
    frame=st.integers(min_value=0, max_value=DAY_29_97_DF * 2 - 1),
    rate=st.sampled_from([NTSC30, NTSC60]),
)
def test_round_trip_drop_frame_and_labels_are_monotonic(frame: int, rate: Fraction) -> None:
    day = DAY_29_97_DF * (2 if rate == NTSC60 else 1)
    frame %= day
    label = frames_to_timecode(frame, rate, drop_frame=True)
    assert timecode_to_frames(label, rate) == frame
    if frame + 1 < day:
        assert (
            timecode_to_frames(frames_to_timecode(frame + 1, rate, drop_frame=True), rate)
            == frame + 1
        )


@settings(max_examples=200, deadline=None)
@given(frame=st.integers(min_value=0, max_value=DAY_29_97_DF - 1), rate=st.sampled_from(RATES))
def test_agrees_with_opentimelineio(frame: int, rate: Fraction) -> None:
    otio_rate = float(rate)
    time = otio.opentime.RationalTime(frame, otio_rate)
    drop = supports_drop_frame(rate)
    expected_nd = otio.opentime.to_timecode(time, otio_rate, drop_frame=False)
    assert frames_to_timecode(frame, rate) == expected_nd
    if drop:
        expected_df = otio.opentime.to_timecode(time, otio_rate, drop_frame=True)
        assert frames_to_timecode(frame, rate, drop_frame=True) == expected_df
        assert otio.opentime.from_timecode(expected_df, otio_rate).value == timecode_to_frames(
            expected_df, rate
        )


@given(frame=st.integers(min_value=0, max_value=10_000_000), rate=st.sampled_from(RATES))
def test_seconds_round_trip_is_exact(frame: int, rate: Fraction) -> None:
    assert seconds_to_frame(frame_to_seconds(frame, rate), rate) == frame
    # Mid-frame times (how the browser seeks) land on the same frame.
    assert seconds_to_frame(frame_to_seconds(frame, rate) + Fraction(1, 2) / rate, rate) == frame
