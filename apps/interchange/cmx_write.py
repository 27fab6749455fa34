"""A CMX 3600 EDL writer that Avid, Premiere and Resolve open and that our reader reads back
to the same shots: events in record order without overlaps, reel names within CMX's eight
characters (a longer or missing reel is written `AX`, as Premiere and Resolve do, with the
full clip name and source file in comments), dissolves and wipes as two-line events (a fade
from black from `BL`), `M2` speed lines against the nominal rate, `*ASC_SOP`/`*ASC_SAT`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from apps.core import timecode as tc
from apps.core.errors import ValidationFailed
from apps.interchange.cuts import frame_to_label

_REEL = re.compile(r"^[A-Za-z0-9_]{1,8}$")


@dataclass
class EdlShot:
    code: str
    record_in: int  # absolute frames, inclusive
    record_out: int
    reel: str
    source_in: int
    source_out: int
    clip_name: str = ""
    source_file: str = ""
    speed: float = 1.0
    freeze: bool = False
    transition_in: dict[str, Any] | None = None
    transition_out: dict[str, Any] | None = None  # only a fade to black is written from here
    cdl: dict[str, Any] | None = None  # {"asc_sop": {slope, offset, power}, "asc_sat"}
    comments: list[str] = field(default_factory=list)


def cmx_reel(reel: str) -> str:
    return reel if _REEL.match(reel or "") and reel.upper() != "BL" else "AX"


def write_edl(title: str, shots: list[EdlShot], rate: Fraction) -> str:
    drop = tc.supports_drop_frame(rate)

    def label(frame: int) -> str:
        return frame_to_label(frame, rate, drop_frame=drop)

    lines = [f"TITLE: {title[:70]}", f"FCM: {'DROP FRAME' if drop else 'NON-DROP FRAME'}", ""]
    ordered = sorted(shots, key=lambda s: (s.record_in, s.code))
    previous: EdlShot | None = None
    number = 0
    for index, shot in enumerate(ordered):
        number += 1
        if previous is not None and shot.record_in <= previous.record_out:
            raise ValidationFailed(
                f"Shot {shot.code} overlaps {previous.code} in the cut: an EDL holds one"
                " event at a time on a track."
            )
        event = f"{number:03d}"
        reel = cmx_reel(shot.reel)
        record = f"{label(shot.record_in)} {label(shot.record_out + 1)}"
        source_frames = shot.record_out - shot.record_in + 1
        if shot.speed not in (0.0, 1.0) and not shot.freeze:
            source_frames = max(round(source_frames * abs(shot.speed)), 1)
        source = f"{label(shot.source_in)} {label(shot.source_in + source_frames)}"
        names = []
        transition = shot.transition_in or {}
        kind = transition.get("type")
        frames = int(transition.get("frames", 0) or 0)
        adjacent = previous is not None and previous.record_out + 1 == shot.record_in
        if kind in ("dissolve", "wipe") and frames > 0 and (transition.get("black") or adjacent):
            if transition.get("black") or previous is None:
                lines.append(
                    f"{event}  {'BL':<8} V     C        {label(0)} {label(0)} "
                    f"{label(shot.record_in)} {label(shot.record_in)}"
                )
            else:
                out = previous.source_in + previous.record_out - previous.record_in + 1
                lines.append(
                    f"{event}  {cmx_reel(previous.reel):<8} V     C        "
                    f"{label(out)} {label(out)} {label(shot.record_in)} "
                    f"{label(shot.record_in)}"
                )
                names.append(f"* FROM CLIP NAME: {previous.clip_name or previous.code}")
            code = "D   " if kind == "dissolve" else f"W{transition.get('wipe', '001'):0>3}"
            lines.append(f"{event}  {reel:<8} V     {code} {frames:03d} {source} {record}")
            names.append(f"* TO CLIP NAME: {shot.clip_name or shot.code}")
        else:
            lines.append(f"{event}  {reel:<8} V     C        {source} {record}")
            names.append(f"* FROM CLIP NAME: {shot.clip_name or shot.code}")
        if shot.freeze or shot.speed != 1.0:
            fps = 0.0 if shot.freeze else shot.speed * tc.nominal_rate(rate)
            lines.append(f"M2   {reel:<8} {fps:05.1f}{'':16}{label(shot.source_in)}")
        lines.extend(names)
        if shot.source_file:
            lines.append(f"* SOURCE FILE: {shot.source_file}")
        lines.extend(f"* {comment}" for comment in shot.comments)
        lines.extend(_cdl_lines(shot.cdl))
        previous = shot
        fade = shot.transition_out or {}
        following = ordered[index + 1] if index + 1 < len(ordered) else None
        frames = int(fade.get("frames", 0) or 0)
        end = shot.record_out + 1
        if (
            fade.get("black")
            and frames
            and (following is None or following.record_in >= end + frames)
        ):
            number += 1
            out = shot.source_in + source_frames
            lines.append(
                f"{number:03d}  {reel:<8} V     C        {label(out)} {label(out)} "
                f"{label(end)} {label(end)}"
            )
            lines.append(
                f"{number:03d}  {'BL':<8} V     D    {frames:03d} {label(0)} "
                f"{label(frames)} {label(end)} {label(end + frames)}"
            )
            lines.append(f"* FROM CLIP NAME: {shot.clip_name or shot.code}")
    return "\n".join(lines) + "\n"


def _cdl_lines(cdl: dict[str, Any] | None) -> list[str]:
    if not cdl:
        return []
    sop = cdl.get("asc_sop") or cdl
    triples: list[list[float]] = [list(sop.get(key) or []) for key in ("slope", "offset", "power")]
    lines = []
    if all(len(t) == 3 for t in triples):
        lines.append("*ASC_SOP " + " ".join(f"({t[0]} {t[1]} {t[2]})" for t in triples))
    saturation = cdl.get("asc_sat", cdl.get("saturation"))
    if saturation is not None:
        lines.append(f"*ASC_SAT {saturation}")
    return lines
