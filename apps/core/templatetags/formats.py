"""Template filters of `apps.core.formats`: `{% load formats %}`.

{{ project|fps }}                 23.976   (29.97 DF for a drop-frame project)
{{ 66|duration:project }}         00:00:02:18 (66 frames)
{{ 66|length_timecode:project }}  00:00:02:18
{{ job.submitted_at|when }}       <time datetime="…">2026-12-02 16:31:05 UTC</time>, shown
                                  in the viewer's time zone by static/js/lib/formats.js
{{ value|human_value }}           Yes / No / Automatic / 0.5
{{ line.message|log_line }}       file names instead of storage keys, no attempt ids
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from apps.core import formats

register = template.Library()


def _rate_and_drop(subject: Any) -> tuple[Fraction, bool]:
    rate = getattr(subject, "frame_rate", subject)
    drop = ";" in str(getattr(subject, "start_timecode", "") or "")
    return Fraction(rate), drop


@register.filter
def fps(subject: Any) -> str:
    """A project (its rate and drop-frame start timecode) or a rate."""
    if subject in (None, ""):
        return "—"
    rate, drop = _rate_and_drop(subject)
    return formats.frame_rate_label(rate, drop)


@register.filter
def fps_of(numerator: Any, denominator: Any) -> str:
    """`{{ media.frame_rate_numerator|fps_of:media.frame_rate_denominator }}`."""
    if not numerator:
        return "—"
    return formats.frame_rate_label(Fraction(int(numerator), int(denominator or 1)))


@register.filter
def duration(frames: Any, subject: Any) -> str:
    if frames in (None, ""):
        return "—"
    rate, drop = _rate_and_drop(subject)
    return formats.duration_label(int(frames), rate, drop)


@register.filter
def length_timecode(frames: Any, subject: Any) -> str:
    """A length in frames as a timecode duration: 96 at 24 fps → 00:00:04:00."""
    if frames in (None, ""):
        return "—"
    rate, drop = _rate_and_drop(subject)
    return formats.length_timecode(int(frames), rate, drop)


@register.filter
def when(moment: Any) -> SafeString | str:
    iso = formats.iso_utc(moment)
    if not iso:
        return "—"
    return format_html(
        '<time datetime="{}" data-local-time>{}</time>', iso, formats.utc_label(moment)
    )


@register.filter
def human_value(value: Any, null_label: str = "Automatic") -> str:
    return formats.value_label(value, null_label)


@register.filter
def log_line(text: Any) -> str:
    return formats.log_message(str(text or ""))
