"""The review wire protocol (docs/review-protocol.md): checks and normalises what clients
send, over the websocket or the REST API. Pure functions: no database, no scope; each
raises `ValidationFailed` naming the field at fault."""

from __future__ import annotations

import json
import re
from typing import Any

from apps.core.errors import ValidationFailed
from apps.review.models import CompareMode, DecisionKind, NoteStatus, SessionState

MAX_MESSAGE_BYTES = 64 * 1024
MAX_TEXT = 10_000
MAX_STROKES = 500
MAX_POINTS = 5_000
MAX_CLIENT_ID = 100
DRAW_TOOLS = frozenset({"pen", "line", "arrow", "rect", "ellipse", "text"})
MAX_LABEL = 200  # characters of a text stroke (a label placed on the image)
PLAYBACK_FIELDS = ("version", "frame", "playing", "rate", "loop", "compare")
NOTE_FIELDS = ("text", "drawing", "status", "frame_in", "frame_out")
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_MENTION = re.compile(r"(?<![\w.+-])@([\w.+-]+(?:@[\w-]+(?:\.[\w-]+)+)?)")


class BadMessage(ValidationFailed):
    """A frame that is not a protocol message at all (its code tells the client why)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


# Frames ---------------------------------------------------------------------------------


def check_frame(text_data: str | None) -> str:
    """The raw frame: JSON text within the size limit (checked before rate limiting)."""
    if text_data is None:
        raise BadMessage("bad_message", "Messages are JSON text.")
    if len(text_data.encode()) > MAX_MESSAGE_BYTES:
        raise BadMessage("too_large", f"Messages are at most {MAX_MESSAGE_BYTES} bytes.")
    return text_data


def parse_message(text_data: str) -> dict[str, Any]:
    """A JSON object with a string `type`."""
    try:
        message = json.loads(text_data)
    except json.JSONDecodeError as error:
        raise BadMessage("bad_message", "Malformed JSON.") from error
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise BadMessage("bad_message", "A message is a JSON object with a 'type'.")
    return message


def client_id(message: dict[str, Any]) -> str | None:
    """The client's own reference for a message, echoed back with its event or error."""
    value = message.get("client_id")
    return value[:MAX_CLIENT_ID] if isinstance(value, str) else None


def playback_changes(message: dict[str, Any]) -> dict[str, Any]:
    return {key: message[key] for key in PLAYBACK_FIELDS if key in message}


def note_changes(message: dict[str, Any]) -> dict[str, Any]:
    return {key: message[key] for key in NOTE_FIELDS if key in message}


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# Values ---------------------------------------------------------------------------------


def clean_text(text: Any, *, field: str = "text", allow_empty: bool = False) -> str:
    if not isinstance(text, str):
        raise ValidationFailed("Text is a string.", field=field)
    text = text.strip()
    if not text and not allow_empty:
        raise ValidationFailed("Write something.", field=field)
    if len(text) > MAX_TEXT:
        raise ValidationFailed(f"At most {MAX_TEXT} characters.", field=field)
    return text


def mention_handles(text: str) -> set[str]:
    """`@name` or `@name@example.com` mentions in a note, lower-cased."""
    return {h.lower().rstrip(".") for h in _MENTION.findall(text)}


def clean_title(title: str) -> str:
    title = title.strip()
    if not title:
        raise ValidationFailed("A review session needs a title.", field="title")
    return title


# The largest frame index PostgreSQL's integer column holds.
MAX_FRAME = 2**31 - 1


def clean_range(
    frame_in: Any, frame_out: Any, *, frame_count: int | None = None
) -> tuple[int, int]:
    """A note's frames: [frame_in, frame_out], a single frame when frame_out is None.
    Frames are 0-based indices into the version's media, so with a known `frame_count`
    the last valid frame is `frame_count - 1`."""
    if frame_out is None:
        frame_out = frame_in
    last_valid = MAX_FRAME if not frame_count else min(frame_count - 1, MAX_FRAME)
    for value, name in ((frame_in, "frame_in"), (frame_out, "frame_out")):
        if not _whole(value) or value < 0:
            raise ValidationFailed("Frames are whole numbers from 0.", field=name)
        if value > last_valid:
            raise ValidationFailed(
                f"Frame {value} is past the end: this version has {frame_count} frames"
                f" (0 to {last_valid})."
                if frame_count
                else f"Frame {value} is too large (at most {MAX_FRAME}).",
                field=name,
            )
    if frame_out < frame_in:
        raise ValidationFailed("The range ends before it starts.", field="frame_out")
    return frame_in, frame_out


def clean_revision(revision: Any) -> int:
    if not _whole(revision):
        raise ValidationFailed(
            "Name the revision you edited (optimistic locking).", field="revision"
        )
    return int(revision)


def clean_note_changes(changes: dict[str, Any]) -> dict[str, Any]:
    unknown = set(changes) - set(NOTE_FIELDS)
    if unknown:
        raise ValidationFailed(f"Cannot change {sorted(unknown)}.", field=sorted(unknown)[0])
    return changes


def clean_note_status(status: Any) -> str:
    if status not in NoteStatus.values:
        raise ValidationFailed("status is open or resolved.", field="status")
    return str(status)


def clean_decision(decision: Any) -> str:
    if decision not in DecisionKind.values:
        raise ValidationFailed("decision is approved or changes_requested.", field="decision")
    return str(decision)


def clean_session_state(state: str) -> str:
    if state not in SessionState.values:
        raise ValidationFailed(f"Unknown session state {state!r}.", field="state")
    return state


def clean_drawing(drawing: Any) -> dict[str, Any] | None:
    """{"strokes": [{"tool", "color": "#rrggbb", "width", "points": [[x, y], ...]}]} with
    coordinates and width as fractions of the image; colours lower-cased, points rounded."""
    if drawing is None:
        return None
    if not isinstance(drawing, dict) or not isinstance(drawing.get("strokes"), list):
        raise ValidationFailed("A drawing is {'strokes': [...]}.", field="drawing")
    strokes = drawing["strokes"]
    if len(strokes) > MAX_STROKES:
        raise ValidationFailed(f"At most {MAX_STROKES} strokes per drawing.", field="drawing")
    cleaned: list[dict[str, Any]] = []
    points_left = MAX_POINTS
    for stroke in strokes:
        cleaned.append(_clean_stroke(stroke, points_left))
        points_left -= len(cleaned[-1]["points"])
    return {"strokes": cleaned}


def _clean_stroke(stroke: Any, points_left: int) -> dict[str, Any]:
    if not isinstance(stroke, dict):
        raise ValidationFailed("Each stroke is an object.", field="drawing")
    tool = stroke.get("tool", "pen")
    color = stroke.get("color", "#ff3b30")
    width = stroke.get("width", 0.004)
    points = stroke.get("points")
    if tool not in DRAW_TOOLS:
        raise ValidationFailed(f"Unknown drawing tool {tool!r}.", field="drawing")
    if not isinstance(color, str) or not _COLOR.match(color):
        raise ValidationFailed("Colours are #rrggbb.", field="drawing")
    if not isinstance(width, int | float) or isinstance(width, bool) or not 0 < width <= 0.2:
        raise ValidationFailed(
            "Stroke width is a fraction of the image width (0..0.2].", field="drawing"
        )
    if not isinstance(points, list) or not points:
        raise ValidationFailed("A stroke needs points.", field="drawing")
    if len(points) > points_left:  # counted over the whole drawing, before any point
        raise ValidationFailed(f"At most {MAX_POINTS} points per drawing.", field="drawing")
    clean_points = []
    for point in points:
        if not (
            isinstance(point, list | tuple)
            and len(point) == 2
            and all(
                isinstance(c, int | float) and not isinstance(c, bool) and 0 <= c <= 1
                for c in point
            )
        ):
            raise ValidationFailed(
                "Points are [x, y] normalised to the image (0..1).", field="drawing"
            )
        clean_points.append([round(float(point[0]), 5), round(float(point[1]), 5)])
    cleaned = {"tool": tool, "color": color.lower(), "width": float(width), "points": clean_points}
    if tool == "text":
        # A label at its first point: {"tool": "text", "text": "...", "points": [[x, y]]}.
        label = stroke.get("text")
        if not isinstance(label, str) or not label.strip():
            raise ValidationFailed("A text stroke needs its text.", field="drawing")
        if len(label) > MAX_LABEL:
            raise ValidationFailed(
                f"Text on a drawing is at most {MAX_LABEL} characters.", field="drawing"
            )
        cleaned["text"] = label.strip()
        cleaned["points"] = clean_points[:1]
    return cleaned


def clean_playback(
    current: dict[str, Any], changes: dict[str, Any], playlist: set[int]
) -> dict[str, Any]:
    """The presenter's playback state after `changes`; versions must be in `playlist`."""
    state = {**current}
    if "version" in changes:
        if changes["version"] not in playlist:
            raise ValidationFailed("That version is not in the playlist.", field="version")
        state["version"] = changes["version"]
    if "frame" in changes:
        frame = changes["frame"]
        if not _whole(frame) or frame < 0:
            raise ValidationFailed("A frame is a whole number from 0.", field="frame")
        state["frame"] = frame
    if "playing" in changes:
        if not isinstance(changes["playing"], bool):
            raise ValidationFailed("playing is true or false.", field="playing")
        state["playing"] = changes["playing"]
    if "rate" in changes:
        rate = changes["rate"]
        if not isinstance(rate, int | float) or isinstance(rate, bool) or not -8 <= rate <= 8:
            raise ValidationFailed("The playback rate must be within -8..8.", field="rate")
        state["rate"] = float(rate)
    if "loop" in changes:
        loop = changes["loop"]
        if loop is not None and not (
            isinstance(loop, list)
            and len(loop) == 2
            and all(_whole(f) and f >= 0 for f in loop)
            and loop[0] <= loop[1]
        ):
            raise ValidationFailed(
                "A loop range is [first frame, last frame] or null.", field="loop"
            )
        state["loop"] = loop
    if "compare" in changes:
        state["compare"] = _clean_compare(changes["compare"], playlist)
    return state


def _clean_compare(compare: Any, playlist: set[int]) -> dict[str, Any]:
    if not isinstance(compare, dict) or compare.get("mode") not in CompareMode.values:
        raise ValidationFailed("compare.mode is off, side_by_side or wipe.", field="compare")
    other = compare.get("version")
    if compare["mode"] != CompareMode.OFF and other not in playlist:
        raise ValidationFailed("Compare with a version of the playlist.", field="compare")
    wipe = compare.get("wipe", 0.5)
    if not isinstance(wipe, int | float) or not 0 <= wipe <= 1:
        raise ValidationFailed("compare.wipe is within 0..1.", field="compare")
    return {"mode": compare["mode"], "version": other, "wipe": float(wipe)}


def initial_playback(version_id: int) -> dict[str, Any]:
    return {
        "version": version_id,
        "frame": 0,
        "playing": False,
        "rate": 1.0,
        "loop": None,
        "compare": {"mode": CompareMode.OFF, "version": None, "wipe": 0.5},
    }
