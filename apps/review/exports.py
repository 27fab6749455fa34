"""Notes out to editing software: CSV, a DaVinci Resolve marker EDL, an Avid Media
Composer marker (locator) text file and FCP7 XML markers for Premiere (OpenTimelineIO's
fcp_xml adapter).

Positions (`timeline`):
- `record` (the default): the cut's record timecode. A note at frame f of a version of a
  shot cut at `cut_in` lands at start timecode + cut_in + f, so the markers fall on the
  editor's sequence; each version is laid out at its shot's place in the cut.
- `session`: the session's own reel, version after version in playlist order, each as
  long as its proxy, from the project's start timecode.
Timecode uses the project's exact rate (drop-frame when the project's start timecode is
drop-frame at 29.97 / 59.94).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any
from xml.etree import ElementTree

import opentimelineio as otio

from apps.beta.selectors import require_feature
from apps.core.csv_cells import csv_row
from apps.core.errors import ValidationFailed
from apps.core.timecode import frames_to_timecode
from apps.production.models import Version
from apps.review.models import NoteStatus, PlaylistItem, ReviewSession
from apps.review.selectors import notes_of_version, project_rate, proxy_of_version

# Note exports are files for editing software: the beta's export feature, on the partner
# that owns the project (the API and the pages call these functions alike).
EXPORT_FEATURE = "interchange.export"
TIMELINES = ("record", "session")
FORMATS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "edl": ("text/plain; charset=utf-8", "edl"),
    "avid": ("text/plain; charset=utf-8", "txt"),
    "fcpxml": ("application/xml; charset=utf-8", "xml"),
}
RESOLVE_COLORS: dict[str, str] = {
    NoteStatus.OPEN: "ResolveColorRed",
    NoteStatus.RESOLVED: "ResolveColorGreen",
}
AVID_COLORS: dict[str, str] = {NoteStatus.OPEN: "red", NoteStatus.RESOLVED: "green"}
OTIO_COLORS: dict[str, Any] = {
    NoteStatus.OPEN: otio.schema.MarkerColor.RED,
    NoteStatus.RESOLVED: otio.schema.MarkerColor.GREEN,
}


@dataclass(frozen=True)
class Marker:
    version_label: str
    version_id: int
    note_id: int
    offset: int  # the version's first frame on the timeline (relative to its start)
    frame_in: int
    frame_out: int
    text: str
    author: str
    status: str
    replies: int
    clip: int = 0  # index of the version's clip in the reel


@dataclass(frozen=True)
class Reel:
    name: str
    rate: Fraction
    drop_frame: bool
    start_frame: int
    clips: list[tuple[str, int]]  # (label, frame count)
    markers: list[Marker]
    # Record timeline: each clip's first frame on the cut (its shot's cut_in); else empty.
    positions: tuple[int, ...] = ()

    def timecode(self, frame: int) -> str:
        return frames_to_timecode(self.start_frame + frame, self.rate, drop_frame=self.drop_frame)


def _version_length(version: Version) -> int:
    proxy = proxy_of_version(version.pk)
    return int((proxy.frame_count if proxy else None) or version.shot.frame_count)


def _markers(version: Version, offset: int, clip: int = 0) -> list[Marker]:
    label = f"{version.shot.code} {version.label}"
    return [
        Marker(
            version_label=label,
            version_id=version.pk,
            note_id=note.pk,
            offset=offset,
            frame_in=note.frame_in,
            frame_out=note.frame_out,
            text=note.text,
            author=str(note.author),
            status=note.status,
            replies=len(note.replies.all()),
            clip=clip,
        )
        for note in notes_of_version(version)
    ]


def _cut_position(shot: Any) -> int:
    """The shot's first frame in the cut: where the last imported cut placed it (its
    editorial record), else its own range. Working frames (e.g. from 1001) never move."""
    editorial = getattr(shot, "editorial", None)
    if editorial is not None and editorial.position_in is not None:
        return int(editorial.position_in)
    return int(shot.cut_in)


def reel_of_versions(
    name: str, project: Any, versions: list[Version], *, timeline: str = "record"
) -> Reel:
    if timeline not in TIMELINES:
        raise ValidationFailed(f"timeline is one of {list(TIMELINES)}.", field="timeline")
    info = project_rate(project)
    clips: list[tuple[str, int]] = []
    markers: list[Marker] = []
    positions: list[int] = []
    offset = 0
    for index, version in enumerate(versions):
        length = _version_length(version)
        clips.append((f"{version.shot.code} {version.label}", length))
        if timeline == "record":
            position = _cut_position(version.shot)
            positions.append(position)
            markers.extend(_markers(version, position, index))
        else:
            markers.extend(_markers(version, offset, index))
        offset += length
    return Reel(
        name, info.rate, info.drop_frame, info.start_frame, clips, markers, tuple(positions)
    )


def _one_line(text: str) -> str:
    return " ".join(text.split())


def to_csv(reel: Reel) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "note_id",
            "version",
            "frame_in",
            "frame_out",
            "timecode_in",
            "timecode_out",
            "status",
            "author",
            "replies",
            "text",
        ]
    )
    for m in reel.markers:
        # Every text cell (author, label, note) is someone's input: never a formula.
        writer.writerow(
            csv_row(
                [
                    m.note_id,
                    m.version_label,
                    m.frame_in,
                    m.frame_out,
                    reel.timecode(m.offset + m.frame_in),
                    reel.timecode(m.offset + m.frame_out),
                    m.status,
                    m.author,
                    m.replies,
                    m.text,
                ]
            )
        )
    return out.getvalue()


def to_resolve_edl(reel: Reel) -> str:
    """DaVinci Resolve's timeline-marker EDL (Timeline > Import > Timeline Markers from EDL)."""
    lines = [f"TITLE: {_one_line(reel.name)[:70]}"]
    lines.append("FCM: DROP FRAME" if reel.drop_frame else "FCM: NON-DROP FRAME")
    lines.append("")
    for number, m in enumerate(reel.markers, start=1):
        start = m.offset + m.frame_in
        duration = m.frame_out - m.frame_in + 1
        tc_in, tc_out = reel.timecode(start), reel.timecode(start + duration)
        lines.append(f"{number:03d}  001      V     C        {tc_in} {tc_out} {tc_in} {tc_out}  ")
        text = _one_line(f"{m.version_label}: {m.text} ({m.author})").replace("|", "/")
        lines.append(
            f" |C:{RESOLVE_COLORS.get(m.status, 'ResolveColorBlue')} |M:{text} |D:{duration}"
        )
        lines.append("")
    return "\n".join(lines)


def to_avid_markers(reel: Reel, track: str = "V1") -> str:
    """Avid Media Composer marker list (Markers window > Import Markers): one locator per
    line, tab separated: user, timecode, track, colour, comment, duration."""
    rows = []
    for m in reel.markers:
        comment = _one_line(f"{m.version_label}: {m.text}").replace("\t", " ")
        rows.append(
            "\t".join(
                [
                    _one_line(m.author).replace("\t", " ") or "backlot",
                    reel.timecode(m.offset + m.frame_in),
                    track,
                    AVID_COLORS.get(m.status, "blue"),
                    comment,
                    str(m.frame_out - m.frame_in + 1),
                ]
            )
        )
    return "\n".join(rows) + ("\n" if rows else "")


def to_otio(reel: Reel) -> otio.schema.Timeline:
    rate = float(reel.rate)
    timeline = otio.schema.Timeline(
        name=reel.name, global_start_time=otio.opentime.RationalTime(reel.start_frame, rate)
    )
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    timeline.tracks.append(track)
    clips: dict[int, Any] = {}
    offset = 0
    for index, (label, length) in enumerate(reel.clips):
        if reel.positions:
            # Record timeline: versions of one shot overlap on the cut, so each version
            # gets its own track, with a gap up to its shot's place.
            if index:
                track = otio.schema.Track(name=f"V{index + 1}", kind=otio.schema.TrackKind.Video)
                timeline.tracks.append(track)
            offset = reel.positions[index]
            if offset:
                track.append(
                    otio.schema.Gap(
                        source_range=otio.opentime.TimeRange(
                            otio.opentime.RationalTime(0, rate),
                            otio.opentime.RationalTime(offset, rate),
                        )
                    )
                )
        span = otio.opentime.TimeRange(
            otio.opentime.RationalTime(0, rate), otio.opentime.RationalTime(length, rate)
        )
        clip = otio.schema.Clip(
            name=label,
            media_reference=otio.schema.ExternalReference(
                target_url=f"{label.replace(' ', '_')}.mp4", available_range=span
            ),
            source_range=span,
        )
        track.append(clip)
        clips[index] = clip
        offset += length
    for m in reel.markers:
        marker = otio.schema.Marker(
            name=_one_line(m.text)[:200],
            marked_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(m.frame_in, rate),
                otio.opentime.RationalTime(m.frame_out - m.frame_in + 1, rate),
            ),
            color=OTIO_COLORS.get(m.status, otio.schema.MarkerColor.RED),
            comment=f"{m.text}\n— {m.author}",
        )
        clips[m.clip].markers.append(marker)
    return timeline


def to_fcp7_xml(reel: Reel) -> str:
    """FCP7 XML (xmeml) with the notes as clip markers; Premiere imports it.

    Written by OpenTimelineIO's fcp_xml adapter, then completed: each marker gets the full
    note as its <comment>, and the sequence timecode gets our label and DF/NDF format (the
    adapter always writes NDF)."""
    text: str = otio.adapters.write_to_string(to_otio(reel), "fcp_xml")
    root = ElementTree.fromstring(text)  # noqa: S314 - XML we just generated, not input
    for element, marker in zip(root.iter("marker"), reel.markers, strict=False):
        comment = ElementTree.SubElement(element, "comment")
        comment.text = f"{marker.text} ({marker.author}, {marker.status})"
    for sequence in root.iter("sequence"):
        timecode = sequence.find("timecode")
        if timecode is None:
            continue
        label = timecode.find("string")
        if label is not None:
            label.text = reel.timecode(0)
        display = timecode.find("displayformat")
        if display is not None:
            display.text = "DF" if reel.drop_frame else "NDF"
    body = ElementTree.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE xmeml>\n' + body + "\n"


def render(reel: Reel, fmt: str) -> tuple[str, str, str]:
    if fmt not in FORMATS:
        raise ValidationFailed(f"Export as one of {sorted(FORMATS)}.", field="format")
    content_type, extension = FORMATS[fmt]
    writers: dict[str, Callable[[Reel], str]] = {
        "csv": to_csv,
        "edl": to_resolve_edl,
        "avid": to_avid_markers,
        "fcpxml": to_fcp7_xml,
    }
    body = writers[fmt](reel)
    filename = "".join(c if c.isalnum() or c in "-_" else "_" for c in reel.name)[:80]
    return body, content_type, f"{filename or 'notes'}-notes.{extension}"


def export_session(
    session: ReviewSession, fmt: str, timeline: str = "record"
) -> tuple[str, str, str]:
    require_feature(session.organization_id, EXPORT_FEATURE)
    versions = [
        item.version
        for item in PlaylistItem.objects.filter(session=session).select_related(
            "version", "version__shot"
        )
    ]
    reel = reel_of_versions(session.title, session.project, versions, timeline=timeline)
    return render(reel, fmt)


def export_version(version: Version, fmt: str, timeline: str = "record") -> tuple[str, str, str]:
    require_feature(version.organization_id, EXPORT_FEATURE)
    name = f"{version.shot.code} {version.label}"
    return render(reel_of_versions(name, version.project, [version], timeline=timeline), fmt)
