"""What a reader makes of an edit file: placements, markers and what was not placed, all in
absolute frames at the project rate. Shared by the CMX 3600, FCP7 and OTIO readers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from apps.core import timecode as tc
from apps.core.errors import ValidationFailed

_LABEL = re.compile(r"^(\d{2})([:;.,])(\d{2})([:;.,])(\d{2})([:;.,])(\d{2,3})$")


@dataclass
class Placement:
    """A clip that becomes (or updates) a shot: frames on the timeline and in the source."""

    code: str
    record_in: int  # absolute timeline frame (from 00:00:00:00)
    record_out: int  # inclusive
    reel: str = ""
    source_in: int | None = None  # absolute source frame at the project rate
    source_out: int | None = None  # inclusive
    speed: float = 1.0
    track: str = "V1"
    warnings: list[str] = field(default_factory=list)
    clip_name: str = ""
    source_file: str = ""
    freeze: bool = False
    source_drop_frame: bool | None = None  # None: as the project rate says
    cdl: dict[str, Any] | None = (
        None  # {"slope": [..], "offset": [..], "power": [..], "saturation"}
    )
    transition_in: dict[str, Any] | None = None  # {"type", "frames", "black"?, "wipe"?}
    transition_out: dict[str, Any] | None = None
    line: int | None = None
    event: str = ""


@dataclass
class NotPlaced:
    what: str
    reason: str
    line: int | None = None
    event: str = ""


@dataclass
class Marker:
    """A marker of the cut: an absolute record frame, as the editor placed it."""

    frame: int
    duration: int = 1
    colour: str = ""
    name: str = ""
    note: str = ""
    kind: str = "sequence"  # sequence | clip | locator (Avid LOC) | resolve (marker EDL)
    line: int | None = None


@dataclass
class ReadEdit:
    name: str
    placements: list[Placement]
    not_placed: list[NotPlaced]
    markers: list[Marker] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def label_to_frame(label: str, rate: Fraction, *, drop_frame: bool = False, where: str = "") -> int:
    """A strict SMPTE label (HH:MM:SS:FF, any ';' or ',' marks drop-frame; `drop_frame` makes
    a colon-written label drop-frame too, as an EDL under `FCM: DROP FRAME` is written by
    Avid) -> absolute frame. Refuses out-of-day, negative, malformed and dropped labels."""
    prefix = f"{where}: " if where else ""
    text = label.strip()
    match = _LABEL.match(text)
    if match is None:
        raise ValidationFailed(f"{prefix}{label!r} is not a timecode (HH:MM:SS:FF).")
    separators = {match[2], match[4], match[6]}
    drop = drop_frame or bool(separators & {";", ","})
    if drop and not tc.supports_drop_frame(rate):
        if drop_frame and not separators & {";", ","}:
            drop = False
        else:
            raise ValidationFailed(
                f"{prefix}{label!r} is drop-frame, which exists only at 29.97 and 59.94 fps,"
                f" not at {_rate_text(rate)}."
            )
    hours, minutes, seconds, frames = int(match[1]), int(match[3]), int(match[5]), int(match[7])
    fps = tc.nominal_rate(rate)
    if hours > 23:
        raise ValidationFailed(f"{prefix}{label!r} is past the end of the day (hours 00-23).")
    if minutes > 59 or seconds > 59:
        raise ValidationFailed(f"{prefix}{label!r}: minutes and seconds run from 00 to 59.")
    if frames >= fps:
        raise ValidationFailed(
            f"{prefix}{label!r}: frames run from 00 to {fps - 1:02d} at {_rate_text(rate)}."
        )
    normal = f"{hours:02d}:{minutes:02d}:{seconds:02d}:{frames:02d}"
    try:
        return tc.timecode_to_frames(normal, rate, drop_frame=drop)
    except tc.TimecodeError as error:
        dropped = 2 * fps // 30
        raise ValidationFailed(
            f"{prefix}{label!r} does not exist in drop-frame timecode (the labels"
            f" ;00 to ;{dropped - 1:02d} are skipped at the start of every minute except each"
            " tenth)."
            if drop
            else f"{prefix}{error}"
        ) from error


def frame_to_label(frame: int, rate: Fraction, *, drop_frame: bool | None = None) -> str:
    """The label of an absolute frame; drop-frame at 29.97/59.94 unless told otherwise."""
    drop = tc.supports_drop_frame(rate) if drop_frame is None else drop_frame
    if frame < 0:
        raise ValidationFailed(f"Frame {frame} is before 00:00:00:00.")
    return tc.frames_to_timecode(frame, rate, drop_frame=drop, wrap=False)


def _rate_text(rate: Fraction) -> str:
    return f"{float(rate):.3f}".rstrip("0").rstrip(".") + " fps"
