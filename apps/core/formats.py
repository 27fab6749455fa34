"""How things read on screen: one place for every page (template filters in
`apps.core.templatetags.formats`, the JS twin in `static/js/lib/formats.js`).

- frame rates as editors write them: 24, 25, 23.976, 29.97 DF (never "24000/1001");
- durations as timecode and frames;
- times to the second, in the viewer's time zone (the server writes UTC inside a
  `<time datetime>` element that the browser turns into local time);
- values of parameters as words (Yes / No / Automatic), never Python literals;
- log lines that speak of file names, not internal storage keys or attempt ids.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.utils import timezone

from apps.core.timecode import frames_to_timecode


def frame_rate_label(rate: Fraction | int | float | str, drop_frame: bool = False) -> str:
    """24 → "24"; 24000/1001 → "23.976"; 30000/1001 with drop frame → "29.97 DF"."""
    value = Fraction(rate) if not isinstance(rate, Fraction) else rate
    if value.denominator == 1:
        text = str(value.numerator)
    else:
        text = f"{float(value):.3f}".rstrip("0").rstrip(".")
    return f"{text} DF" if drop_frame else text


def length_timecode(frames: int, rate: Fraction, drop_frame: bool = False) -> str:
    """66 frames at 24 fps → "00:00:02:18" (empty when it cannot be a timecode)."""
    try:
        return frames_to_timecode(int(frames), rate, drop_frame=drop_frame)
    except (TypeError, ValueError):
        return ""


def duration_label(frames: int, rate: Fraction, drop_frame: bool = False) -> str:
    """66 frames at 24 fps → "00:00:02:18 (66 frames)"."""
    code = length_timecode(frames, rate, drop_frame)
    counted = f"{frames} frame{'' if frames == 1 else 's'}"
    return f"{code} ({counted})" if code else counted


def value_label(value: Any, null_label: str = "Automatic") -> str:
    """A parameter's value in words: True → "Yes", None → "Automatic", 0.50 → "0.5"."""
    if value is None:
        return null_label
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float | Decimal):
        return f"{float(value):.6g}"
    if isinstance(value, list | tuple):
        return ", ".join(value_label(item, null_label) for item in value) or "—"
    if isinstance(value, dict):
        return ", ".join(f"{key} {value_label(item, null_label)}" for key, item in value.items())
    return str(value)


def utc_label(moment: datetime | str | None) -> str:
    """An aware datetime (or ISO text) to the second in UTC: "2026-12-02 16:31:05 UTC"."""
    if moment is None or moment == "":
        return "—"
    if isinstance(moment, str):
        try:
            parsed = datetime.fromisoformat(moment.replace("Z", "+00:00"))
        except ValueError:
            return moment
    else:
        parsed = moment
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, UTC)
    return parsed.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def iso_utc(moment: datetime | str | None) -> str:
    if moment is None or moment == "":
        return ""
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
        except ValueError:
            return ""
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, UTC)
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


# Storage keys are `org/<org>/project/<project>/<area>/<hex>/<file name>` (apps.media.storage).
_STORAGE_KEY = re.compile(r"(?:s3://[^\s/]+/)?org/\d+/project/\d+/[^\s]*?([^\s/]*)(?=[\s,;)]|$)")
_UUID = r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
_PAREN_UUID = re.compile(r"\s*\(" + _UUID + r"(?:,\s*)?")
_BARE_UUID = re.compile(r"\b" + _UUID + r"\b")


def log_message(text: str) -> str:
    """A job log line as a producer reads it: storage keys become their file name (or
    "the output folder"), attempt ids are dropped."""

    def name_of(match: re.Match[str]) -> str:
        return match.group(1) or "the output folder"

    text = _STORAGE_KEY.sub(name_of, text)

    def drop_paren(match: re.Match[str]) -> str:
        # "(uuid)" disappears; "(uuid, running)" keeps "(running".
        return " (" if match.group(0).rstrip().endswith(",") else ""

    text = re.sub(r"\s*\(" + _UUID + r"\)", "", text)
    text = _PAREN_UUID.sub(drop_paren, text)
    return _BARE_UUID.sub("", text).replace("  ", " ").strip()
