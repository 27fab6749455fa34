"""Strict timecode labels for interchange at every rate, and hostile files refused before
they reach a native parser."""

from __future__ import annotations

import re
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apps.core.errors import ValidationFailed
from apps.interchange.cuts import frame_to_label, label_to_frame
from apps.interchange.edit import read_edit

RATES = [Fraction(24000, 1001), Fraction(24), Fraction(25), Fraction(30000, 1001)]
RATES += [Fraction(60000, 1001)]
# Frames in a day of labels: 24 h of nominal-rate labels, less the dropped ones.
DAY = {
    Fraction(24000, 1001): 24 * 3600 * 24,
    Fraction(24): 24 * 3600 * 24,
    Fraction(25): 24 * 3600 * 25,
    Fraction(30000, 1001): 24 * 3600 * 30 - 24 * 54 * 2,  # 2 labels in 54 minutes an hour
    Fraction(60000, 1001): 24 * 3600 * 60 - 24 * 54 * 4,  # 4 labels at 59.94
}


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_every_frame_of_the_day_round_trips_through_its_label(data: st.DataObject) -> None:
    rate = data.draw(st.sampled_from(RATES))
    frame = data.draw(st.integers(min_value=0, max_value=DAY[rate] - 1))
    label = frame_to_label(frame, rate)
    drop = rate.denominator == 1001 and rate.numerator in (30000, 60000)
    assert re.fullmatch(r"\d\d:\d\d:\d\d[;:]\d\d", label)
    assert (";" in label) == drop
    assert label_to_frame(label, rate) == frame
    # Avid writes drop-frame labels with colons under FCM: DROP FRAME; all-semicolon works too.
    assert label_to_frame(label.replace(";", ":"), rate, drop_frame=drop) == frame
    if drop:
        assert label_to_frame(label.replace(":", ";"), rate) == frame
        minutes, seconds, frames = (int(x) for x in re.split("[:;]", label)[1:])
        dropped = 2 if rate.numerator == 30000 else 4
        assert not (seconds == 0 and frames < dropped and minutes % 10)


@pytest.mark.parametrize(
    ("label", "rate", "message"),
    [
        ("24:00:00;00", Fraction(30000, 1001), "end of the day"),
        ("00:00:61;00", Fraction(30000, 1001), "minutes and seconds"),
        ("00:01:00;00", Fraction(30000, 1001), "does not exist"),
        ("00:01:00;03", Fraction(60000, 1001), "does not exist"),
        ("-01:00:00:00", Fraction(24), "is not a timecode"),
        ("1:00:00:00", Fraction(24), "is not a timecode"),
        ("01:00:00:24", Fraction(24000, 1001), "frames run from 00 to 23"),
        ("01:00:00;00", Fraction(25), "drop-frame"),
    ],
)
def test_bad_labels_are_refused_with_a_reason(label: str, rate: Fraction, message: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        label_to_frame(label, rate)
    assert message in caught.value.message


def test_the_tenth_minute_keeps_its_drop_frame_labels() -> None:
    rate = Fraction(30000, 1001)
    assert label_to_frame("00:10:00;00", rate) == 17982
    assert label_to_frame("00:01:00;02", rate) == 1800
    assert frame_to_label(1800, rate) == "00:01:00;02"


def test_negative_frames_have_no_label() -> None:
    with pytest.raises(ValidationFailed):
        frame_to_label(-1, Fraction(24))


def test_deeply_nested_otio_is_refused_before_the_native_reader() -> None:
    with pytest.raises(ValidationFailed) as caught:
        read_edit(b'{"OTIO_SCHEMA": "Timeline.1", "x": ' + b"[" * 200_000, "otio", Fraction(24))
    assert "nests deeper" in caught.value.message


def test_fcpxml_with_entities_is_refused() -> None:
    laughs = (
        b'<?xml version="1.0"?>\n<!DOCTYPE fcpxml [<!ENTITY a "lol">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n<fcpxml version="1.8">&b;</fcpxml>'
    )
    with pytest.raises(ValidationFailed) as caught:
        read_edit(laughs, "fcpxml", Fraction(24))
    assert "entities" in caught.value.message
