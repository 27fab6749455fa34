"""Exact frame rates and SMPTE ST 12-1 timecode.

Frames are integers and frame rates exact fractions everywhere in Backlot; a timecode is
only a label derived from a frame number (for display and for export).

- Non-drop-frame timecode exists at every rate: the frame field counts to the *nominal*
  rate (the rate rounded up to a whole number: 24 for 24000/1001, 30 for 30000/1001).
- Drop-frame timecode exists only at 30000/1001 (29.97) and 60000/1001 (59.94): at the
  start of every minute except each tenth, the labels ;00 and ;01 (;00 to ;03 at 59.94)
  are skipped, so that the label stays within a few frames of wall-clock time.
  Drop-frame labels use ';' before the frames field, non-drop ':'.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from fractions import Fraction

NTSC_DECIMALS = {
    "23.976": Fraction(24000, 1001),
    "23.98": Fraction(24000, 1001),
    "29.97": Fraction(30000, 1001),
    "47.952": Fraction(48000, 1001),
    "59.94": Fraction(60000, 1001),
    "119.88": Fraction(120000, 1001),
}
DROP_FRAME_RATES = frozenset({Fraction(30000, 1001), Fraction(60000, 1001)})
_TIMECODE = re.compile(r"^(-)?(\d{1,3}):(\d{2}):(\d{2})([:;.,])(\d{2,3})$")


class TimecodeError(ValueError):
    """A timecode label or frame rate that is not valid."""


def parse_rate(value: str | int | float | Fraction) -> Fraction:
    """'24', '25', '24000/1001', '29.97' (NTSC decimals mapped exactly) → Fraction."""
    if isinstance(value, Fraction):
        rate = value
    else:
        text = str(value).strip()
        try:
            rate = NTSC_DECIMALS[text] if text in NTSC_DECIMALS else Fraction(text)
        except (ValueError, ZeroDivisionError) as error:
            raise TimecodeError(f"{text!r} is not a frame rate.") from error
    if rate <= 0:
        raise TimecodeError("A frame rate must be positive.")
    return rate


@functools.lru_cache(maxsize=64)
def nominal_rate(rate: Fraction) -> int:
    """Frames per timecode second: the rate rounded up (24000/1001 → 24, 30000/1001 → 30).
    Cached: a 20,000-event EDL asks for it hundreds of thousands of times."""
    return math.ceil(rate - Fraction(1, 1000))


def supports_drop_frame(rate: Fraction) -> bool:
    return rate in DROP_FRAME_RATES


def _dropped_per_minute(rate: Fraction) -> int:
    return 2 * nominal_rate(rate) // 30  # 2 at 29.97, 4 at 59.94


@dataclass(frozen=True)
class Timecode:
    hours: int
    minutes: int
    seconds: int
    frames: int
    drop_frame: bool = False
    negative: bool = False

    def __str__(self) -> str:
        separator = ";" if self.drop_frame else ":"
        sign = "-" if self.negative else ""
        width = 3 if self.frames >= 100 else 2
        return (
            f"{sign}{self.hours:02d}:{self.minutes:02d}:{self.seconds:02d}"
            f"{separator}{self.frames:0{width}d}"
        )


def frames_to_timecode(
    frame: int, rate: Fraction, *, drop_frame: bool = False, wrap: bool = True
) -> str:
    """The SMPTE label of an integer frame number (frame 0 is 00:00:00:00).

    With `wrap`, labels wrap at 24 hours like a real timecode generator; negative frames
    get a leading '-' (useful for frame offsets, never for absolute positions).
    """
    if not isinstance(frame, int) or isinstance(frame, bool):
        raise TimecodeError("Frames are integers.")
    if drop_frame and not supports_drop_frame(rate):
        raise TimecodeError(f"Drop-frame timecode exists only at 29.97 and 59.94, not {rate}.")
    fps = nominal_rate(rate)
    negative = frame < 0
    count = -frame if negative else frame
    if wrap:
        day = _frames_per_day(rate, drop_frame)
        count %= day
    if drop_frame:
        drop = _dropped_per_minute(rate)
        per_ten_minutes = fps * 600 - drop * 9
        per_minute = fps * 60 - drop
        tens, rest = divmod(count, per_ten_minutes)
        # The first minute of every ten keeps all its labels.
        if rest >= drop:
            count += drop * 9 * tens + drop * ((rest - drop) // per_minute)
        else:
            count += drop * 9 * tens
    frames = count % fps
    total_seconds = count // fps
    return str(
        Timecode(
            hours=total_seconds // 3600,
            minutes=(total_seconds // 60) % 60,
            seconds=total_seconds % 60,
            frames=frames,
            drop_frame=drop_frame,
            negative=negative,
        )
    )


def _frames_per_day(rate: Fraction, drop_frame: bool) -> int:
    fps = nominal_rate(rate)
    if drop_frame:
        return 24 * 6 * (fps * 600 - _dropped_per_minute(rate) * 9)
    return 24 * 3600 * fps


def parse_timecode(label: str) -> Timecode:
    match = _TIMECODE.match(label.strip())
    if match is None:
        raise TimecodeError(f"{label!r} is not a timecode (HH:MM:SS:FF).")
    sign, hours, minutes, seconds, separator, frames = match.groups()
    return Timecode(
        hours=int(hours),
        minutes=int(minutes),
        seconds=int(seconds),
        frames=int(frames),
        drop_frame=separator in ";,",
        negative=bool(sign),
    )


def timecode_to_frames(label: str, rate: Fraction, *, drop_frame: bool | None = None) -> int:
    """The frame number of a label. `drop_frame` defaults to what the separator says."""
    code = parse_timecode(label)
    drop = code.drop_frame if drop_frame is None else drop_frame
    if drop and not supports_drop_frame(rate):
        raise TimecodeError(f"Drop-frame timecode exists only at 29.97 and 59.94, not {rate}.")
    fps = nominal_rate(rate)
    if code.minutes > 59 or code.seconds > 59 or code.frames >= fps:
        raise TimecodeError(f"{label!r} is out of range at {rate} fps.")
    total_minutes = code.hours * 60 + code.minutes
    frames = (total_minutes * 60 + code.seconds) * fps + code.frames
    if drop:
        dropped = _dropped_per_minute(rate)
        if code.minutes % 10 and code.seconds == 0 and code.frames < dropped:
            raise TimecodeError(f"{label!r} does not exist in drop-frame timecode.")
        frames -= dropped * (total_minutes - total_minutes // 10)
    return -frames if code.negative else frames


def frame_to_seconds(frame: int, rate: Fraction) -> Fraction:
    """Exact presentation time of the start of a frame."""
    return Fraction(frame) / rate


def seconds_to_frame(seconds: Fraction | float, rate: Fraction) -> int:
    """The frame on screen at a time (floor, with a tolerance for float media clocks)."""
    exact = Fraction(seconds) * rate
    return math.floor(exact + Fraction(1, 1000))
