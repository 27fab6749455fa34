"""The review wire protocol's checks are pure: no database, no scope."""

from __future__ import annotations

from typing import Any

import pytest

from apps.core.errors import ValidationFailed
from apps.review import protocol


def _fails(expected_field: str, call: Any, *args: Any, **kwargs: Any) -> str:
    with pytest.raises(ValidationFailed) as caught:
        call(*args, **kwargs)
    assert caught.value.field == expected_field
    return caught.value.message


def test_drawings_are_normalised_and_bounded() -> None:
    drawing = {"strokes": [{"color": "#AABBCC", "points": [[0.123456789, 1], (0, 0.5)]}]}
    assert protocol.clean_drawing(drawing) == {
        "strokes": [
            {"tool": "pen", "color": "#aabbcc", "width": 0.004, "points": [[0.12346, 1.0], [0.0, 0.5]]}
        ]
    }  # fmt: skip
    assert protocol.clean_drawing(None) is None
    assert "tool" in _fails("drawing", protocol.clean_drawing, {"strokes": [{"tool": "laser"}]})
    assert "#rrggbb" in _fails(
        "drawing", protocol.clean_drawing, {"strokes": [{"color": "red", "points": [[0, 0]]}]}
    )
    _fails("drawing", protocol.clean_drawing, {"strokes": [{"points": [[0, 1.5]]}]})
    _fails("drawing", protocol.clean_drawing, {"strokes": [{"points": [[True, 0]]}]})
    _fails("drawing", protocol.clean_drawing, {"strokes": [{"width": 0.5, "points": [[0, 0]]}]})
    # The point budget is for the whole drawing, checked before any point of the stroke
    # that exceeds it.
    half = [[0.5, 0.5]] * (protocol.MAX_POINTS // 2)
    assert protocol.clean_drawing({"strokes": [{"points": half}, {"points": half}]})
    too_many = {"strokes": [{"points": half}, {"points": [*half, ["bad"]]}]}
    assert "points per drawing" in _fails("drawing", protocol.clean_drawing, too_many)


def test_text_ranges_and_choices() -> None:
    assert protocol.clean_text("  hi  ") == "hi"
    assert protocol.clean_text("", field="comment", allow_empty=True) == ""
    _fails("text", protocol.clean_text, "   ")
    _fails("comment", protocol.clean_text, "x" * (protocol.MAX_TEXT + 1), field="comment")
    assert protocol.clean_range(4, None) == (4, 4)
    _fails("frame_out", protocol.clean_range, 4, 2)
    _fails("frame_in", protocol.clean_range, True, 2)
    _fails("revision", protocol.clean_revision, "3")
    _fails("author", protocol.clean_note_changes, {"text": "x", "author": 1})
    _fails("decision", protocol.clean_decision, "maybe")
    _fails("state", protocol.clean_session_state, "paused")


def test_playback_changes_stay_within_the_playlist() -> None:
    current = protocol.initial_playback(7)
    state = protocol.clean_playback(
        current, {"frame": 12, "rate": 2, "compare": {"mode": "wipe", "version": 8}}, {7, 8}
    )
    assert state["frame"] == 12 and state["rate"] == 2.0
    assert state["compare"] == {"mode": "wipe", "version": 8, "wipe": 0.5}
    assert current["frame"] == 0  # the current state is not modified
    _fails("version", protocol.clean_playback, current, {"version": 9}, {7, 8})
    _fails("loop", protocol.clean_playback, current, {"loop": [5, 2]}, {7})
    _fails("compare", protocol.clean_playback, current, {"compare": {"mode": "wipe"}}, {7})


def test_frames_and_messages() -> None:
    with pytest.raises(protocol.BadMessage) as caught:
        protocol.check_frame("x" * (protocol.MAX_MESSAGE_BYTES + 1))
    assert caught.value.code == "too_large"
    with pytest.raises(protocol.BadMessage) as caught:
        protocol.parse_message('["note.create"]')
    assert caught.value.code == "bad_message"
    message = protocol.parse_message(
        '{"type": "note.update", "text": "x", "author": 1, "client_id": "' + "c" * 200 + '"}'
    )
    assert protocol.note_changes(message) == {"text": "x"}
    assert protocol.client_id(message) == "c" * protocol.MAX_CLIENT_ID
    assert protocol.mention_handles("ping @Sam and @ines@northlight.example.") == {
        "sam",
        "ines@northlight.example",
    }
