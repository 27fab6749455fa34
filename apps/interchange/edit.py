"""Reading and writing edits with OpenTimelineIO and its adapter plugins. No database here:
timelines in, placements out (and the reverse), all frames as integers at the project rate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import opentimelineio as otio
from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException
from opentimelineio import opentime

from apps.core.errors import ValidationFailed
from apps.interchange import cmx, cmx_write, xmeml
from apps.interchange.cuts import (
    NotPlaced,
    Placement,
    ReadEdit,
    frame_to_label,
    label_to_frame,
)

__all__ = ["NotPlaced", "Placement", "ReadEdit", "read_edit", "write_edit"]

# Our format names -> OTIO adapter names.
READ_ADAPTERS = {"otio": "otio_json", "edl": "cmx_3600", "fcp7xml": "fcp_xml", "fcpxml": "fcpx_xml"}
WRITE_ADAPTERS = {"otio": "otio_json", "edl": "cmx_3600", "fcp7xml": "fcp_xml"}
EXTENSIONS = {".otio": "otio", ".edl": "edl", ".xml": "fcp7xml", ".fcpxml": "fcpxml"}
CONTENT_TYPES = {
    "otio": "application/json",
    "edl": "text/plain",
    "fcp7xml": "application/xml",
    "ccc": "application/xml",
}
FILE_SUFFIX = {"otio": "otio", "edl": "edl", "fcp7xml": "xml", "ccc": "ccc"}
EXPORT_TYPES = ("ccc", "edl", "fcp7xml", "otio")

_EDL_EVENT = re.compile(
    r"^\s*\d{3,6}\s+\S+\s+\S+\s+\S+(?:\s+\d+)?\s+"
    r"(?P<src_in>\d\d[:;]\d\d[:;]\d\d[:;]\d\d)\s+(?P<src_out>\d\d[:;]\d\d[:;]\d\d[:;]\d\d)\s+"
    r"(?P<rec_in>\d\d[:;]\d\d[:;]\d\d[:;]\d\d)\s+(?P<rec_out>\d\d[:;]\d\d[:;]\d\d[:;]\d\d)\s*$"
)


def otio_rate(rate: Fraction) -> float:
    return float(rate)


def is_drop_frame_rate(rate: Fraction) -> bool:
    return rate in (Fraction(30000, 1001), Fraction(60000, 1001))


def timecode_to_frame(timecode: str, rate: Fraction) -> int:
    """SMPTE timecode label -> absolute frame number (';' marks drop-frame); strict."""
    return label_to_frame(timecode, rate)


def frame_to_timecode(frame: int, rate: Fraction) -> str:
    return frame_to_label(frame, rate)


def detect_format(filename: str, data: bytes) -> str:
    lowered = filename.lower()
    for extension, name in EXTENSIONS.items():
        if lowered.endswith(extension):
            if name == "fcp7xml" and b"<fcpxml" in data[:2000]:
                return "fcpxml"
            return name
    head = data[:2000].lstrip()
    if head.startswith(b"{") and b"OTIO_SCHEMA" in data[:5000]:
        return "otio"
    if b"<fcpxml" in head:
        return "fcpxml"
    if b"<xmeml" in head:
        return "fcp7xml"
    lines = head.decode("latin-1").splitlines()
    if b"TITLE:" in head or any(_EDL_EVENT.match(line) for line in lines):
        return "edl"
    raise ValidationFailed(
        "Could not tell the edit format: use a .edl, .xml (FCP7), .fcpxml or .otio file.",
        field="file",
    )


def read_edit(data: bytes, fmt: str, rate: Fraction) -> ReadEdit:
    if fmt not in READ_ADAPTERS:
        raise ValidationFailed(f"Unsupported edit format {fmt!r}.", field="format")
    if fmt == "fcp7xml":
        return xmeml.read_xmeml(data, rate)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")  # Avid writes EDLs in the system's 8-bit code page
    if fmt == "edl":
        return cmx.read_edl(text, rate)
    _refuse_hostile(text, fmt)
    try:
        kwargs: dict[str, Any] = {"rate": otio_rate(rate)} if fmt == "edl" else {}
        timeline = otio.adapters.read_from_string(text, READ_ADAPTERS[fmt], **kwargs)
    except Exception as error:  # adapters raise many types for malformed files
        raise ValidationFailed(
            f"This {fmt.upper()} file could not be read: {str(error)[:300]}", field="file"
        ) from error
    if isinstance(timeline, otio.schema.SerializableCollection):
        timelines = [t for t in timeline if isinstance(t, otio.schema.Timeline)]
        if not timelines:
            raise ValidationFailed("The file holds no timeline.", field="file")
        timeline = timelines[0]
    if not isinstance(timeline, otio.schema.Timeline):
        raise ValidationFailed("The file holds no timeline.", field="file")
    start = _record_start(timeline, text if fmt == "edl" else None, rate)
    return _placements(timeline, start, rate)


MAX_NESTING = 200
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKETS = re.compile(r"[\[\]{}]")


def _refuse_hostile(text: str, fmt: str) -> None:
    """Refuse what would crash or hang OTIO's native parsers: JSON nested deeper than any
    real timeline (OTIO's C++ reader overflows its stack on it), XML with entities or DTDs."""
    if fmt == "otio":
        depth = deepest = 0
        for match in _BRACKETS.finditer(_JSON_STRING.sub('""', text)):
            depth += 1 if match.group() in "[{" else -1
            deepest = max(deepest, depth)
            if deepest > MAX_NESTING:
                raise ValidationFailed(
                    f"This OTIO file nests deeper than {MAX_NESTING} levels.", field="file"
                )
    elif fmt == "fcpxml":
        try:
            SafeET.fromstring(text.encode("utf-8"))
        except DefusedXmlException as error:
            raise ValidationFailed(
                "XML entities and document types are not accepted in edit files.", field="file"
            ) from error
        except Exception as error:  # expat's ParseError: not well-formed
            raise ValidationFailed(
                f"This FCPXML file could not be read: {str(error)[:200]}", field="file"
            ) from error


def _record_start(timeline: Any, edl_text: str | None, rate: Fraction) -> int:
    # The EDL reader drops the record start of the first event; read it from the text.
    if edl_text is not None:
        for line in edl_text.splitlines():
            match = _EDL_EVENT.match(line)
            if match:
                return timecode_to_frame(match["rec_in"], rate)
        return 0
    if timeline.global_start_time is not None:
        return round(timeline.global_start_time.rescaled_to(otio_rate(rate)).value)
    return 0


def _frames(time: Any, rate: Fraction) -> int:
    return round(time.rescaled_to(otio_rate(rate)).value)


def _placements(timeline: Any, start: int, rate: Fraction) -> ReadEdit:
    placements: list[Placement] = []
    not_placed: list[NotPlaced] = []
    seen: dict[str, Placement] = {}
    video_tracks = [t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Video]
    audio_tracks = len(timeline.tracks) - len(video_tracks)
    if audio_tracks:
        not_placed.append(NotPlaced(f"{audio_tracks} audio track(s)", "audio is not conformed"))
    for track_number, track in enumerate(video_tracks, start=1):
        for item in track:
            if isinstance(item, otio.schema.Gap):
                continue
            if isinstance(item, otio.schema.Transition):
                duration = _frames(item.in_offset, rate) + _frames(item.out_offset, rate)
                label = item.name or item.transition_type or "transition"
                not_placed.append(
                    NotPlaced(
                        label.replace("SMPTE_Dissolve", "Dissolve"),
                        f"{duration}-frame transition: shots keep their cut points, the "
                        "transition itself is not represented",
                    )
                )
                continue
            if not isinstance(item, otio.schema.Clip):
                not_placed.append(
                    NotPlaced(
                        item.name or type(item).__name__, "nested sequences are not supported"
                    )
                )
                continue
            placement = _placement(item, track_number, start, rate, not_placed)
            if placement is None:
                continue
            if placement.code in seen:
                not_placed.append(
                    NotPlaced(
                        placement.code,
                        f"appears again on V{track_number} at"
                        f" {frame_to_timecode(placement.record_in, rate)}; only its first use"
                        " is placed",
                    )
                )
                continue
            seen[placement.code] = placement
            placements.append(placement)
    return ReadEdit(timeline.name or "", placements, not_placed)


def _placement(
    item: Any, track_number: int, start: int, rate: Fraction, not_placed: list[NotPlaced]
) -> Placement | None:
    record = item.range_in_parent()
    record_in = start + _frames(record.start_time, rate)
    duration = _frames(record.duration, rate)
    reel = str(item.metadata.get("cmx_3600", {}).get("reel", "")) if item.metadata else ""
    if isinstance(item.media_reference, otio.schema.GeneratorReference) or reel.upper() in {
        "BL",
        "BLK",
        "BLACK",
    }:
        not_placed.append(
            NotPlaced(
                f"event at {frame_to_timecode(record_in, rate)} (reel {reel or item.name})",
                "black/generator event, not a shot",
            )
        )
        return None
    code = (item.name or "").strip()
    if code == reel or code.isdigit():
        # EDL events without a clip-name comment are named after their event number or
        # reel: that names an edit or a camera roll, not a shot.
        code = ""
    if not code:
        not_placed.append(
            NotPlaced(
                f"event on V{track_number} at {frame_to_timecode(record_in, rate)}"
                + (f" (reel {reel})" if reel else ""),
                "clip has no name to match a shot",
            )
        )
        return None
    if duration <= 0:
        not_placed.append(NotPlaced(code, "zero-length event"))
        return None
    placement = Placement(
        code=code[:32],
        record_in=record_in,
        record_out=record_in + duration - 1,
        reel=reel,
        track=f"V{track_number}",
    )
    if len(code) > 32:
        placement.warnings.append(f"name shortened to 32 characters from {code!r}")
    source = item.source_range
    if source is not None:
        placement.source_in = _frames(source.start_time, rate)
        placement.source_out = placement.source_in + _frames(source.duration, rate) - 1
    for effect in item.effects:
        if isinstance(effect, otio.schema.LinearTimeWarp):
            placement.speed = float(effect.time_scalar)
            source_frames = round(duration * placement.speed)
            if placement.source_in is not None:
                placement.source_out = placement.source_in + source_frames - 1
            placement.warnings.append(
                f"speed change {placement.speed * 100:.0f}%: the cut holds {duration} frames,"
                f" the source range {source_frames}"
            )
        elif isinstance(effect, otio.schema.FreezeFrame):
            placement.speed = 0.0
            placement.warnings.append("freeze frame: one source frame held for the whole cut")
        else:
            placement.warnings.append(f"effect {effect.effect_name or effect.name} ignored")
    return placement


@dataclass
class ExportShot:
    code: str
    record_in: int  # absolute frames
    record_out: int
    reel: str
    source_in: int
    source_out: int
    comments: list[str] = field(default_factory=list)
    cdl: dict[str, Any] | None = None  # written as ASC_SOP / ASC_SAT in EDLs
    clip_name: str = ""
    source_file: str = ""
    speed: float = 1.0
    freeze: bool = False
    transition_in: dict[str, Any] | None = None
    transition_out: dict[str, Any] | None = None


def write_edit(
    name: str, shots: list[ExportShot], rate: Fraction, record_start: int, fmt: str
) -> str:
    """A one-track timeline of the shots, starting at `record_start` (absolute frames)."""
    if fmt not in WRITE_ADAPTERS:
        raise ValidationFailed(f"Export to {fmt!r} is not supported.", field="format")
    if fmt == "edl":
        return cmx_write.write_edl(
            name,
            [
                cmx_write.EdlShot(
                    code=s.code,
                    record_in=s.record_in,
                    record_out=s.record_out,
                    reel=s.reel,
                    source_in=s.source_in,
                    source_out=s.source_out,
                    clip_name=s.clip_name,
                    source_file=s.source_file,
                    speed=s.speed,
                    freeze=s.freeze,
                    transition_in=s.transition_in,
                    transition_out=s.transition_out,
                    cdl=s.cdl,
                    comments=s.comments,
                )
                for s in shots
            ],
            rate,
        )
    float_rate = otio_rate(rate)
    timeline = otio.schema.Timeline(name=name)
    timeline.global_start_time = opentime.RationalTime(record_start, float_rate)
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    timeline.tracks.append(track)
    # The EDL writer counts record time from the start of the track, not from the
    # timeline's start time: lead the track with a gap up to the first record frame.
    cursor = 0 if fmt == "edl" else record_start
    for shot in sorted(shots, key=lambda s: s.record_in):
        if shot.record_in < cursor:
            raise ValidationFailed(f"Shot {shot.code} overlaps the previous shot in this sequence.")
        if shot.record_in > cursor:
            track.append(
                otio.schema.Gap(duration=opentime.RationalTime(shot.record_in - cursor, float_rate))
            )
        duration = shot.record_out - shot.record_in + 1
        available = opentime.TimeRange(
            opentime.RationalTime(shot.source_in, float_rate),
            opentime.RationalTime(max(duration, shot.source_out - shot.source_in + 1), float_rate),
        )
        clip = otio.schema.Clip(
            name=shot.code,
            media_reference=otio.schema.ExternalReference(
                target_url=shot.reel or shot.code, available_range=available
            ),
            source_range=opentime.TimeRange(
                available.start_time, opentime.RationalTime(duration, float_rate)
            ),
        )
        clip.metadata["cmx_3600"] = {"reel": (shot.reel or shot.code)[:8]}
        if shot.comments:
            clip.metadata["cmx_3600"]["comments"] = list(shot.comments)
        if shot.cdl:
            clip.metadata["cdl"] = shot.cdl
        track.append(clip)
        cursor = shot.record_out + 1
    if fmt != "edl":
        return str(otio.adapters.write_to_string(timeline, WRITE_ADAPTERS[fmt]))
    text = str(otio.adapters.write_to_string(timeline, "cmx_3600", rate=float_rate))
    mode = "DROP FRAME" if is_drop_frame_rate(rate) else "NON-DROP FRAME"
    lines = text.splitlines()
    return "\n".join([lines[0], f"FCM: {mode}", *lines[1:]]) + "\n"
