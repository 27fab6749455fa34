"""Cut import (preview, then apply) and cut export."""

from __future__ import annotations

import bisect
import hashlib
from dataclasses import asdict
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.audit.services import audit_record
from apps.beta.selectors import require_feature
from apps.core.errors import Conflict, ValidationFailed
from apps.interchange import cdl, edit, isolate
from apps.interchange.cuts import frame_to_label
from apps.interchange.models import CutImport, CutImportState, EditorialEvent
from apps.media.models import MediaFile, MediaKind, MediaState
from apps.media.storage import s3_client
from apps.production.bulk import ShotRow, shots_create_bulk
from apps.production.models import Project, Sequence, Shot, Version, VersionStatus

MAX_EDIT_BYTES = 20 * 1024 * 1024


def project_start_frame(project: Project) -> int:
    """Timeline frame 0 is the project's start timecode (a drop-frame label at 29.97 and
    59.94, whichever separator it was typed with)."""
    label = project.start_timecode.replace(";", ":")
    if edit.is_drop_frame_rate(project.frame_rate):
        label = label[:8] + ";" + label[9:]
    return edit.timecode_to_frame(label, project.frame_rate)


def _timecode_or_blank(frame: int | None, project: Project, drop: bool | None = None) -> str:
    if frame is None or frame < 0:
        return ""
    return frame_to_label(frame, project.frame_rate, drop_frame=drop)


def _plan_row(placement: edit.Placement, project: Project, start: int) -> dict[str, Any]:
    rate = project.frame_rate
    drop = placement.source_drop_frame
    return {
        "code": placement.code,
        "cut_in": placement.record_in - start,
        "cut_out": placement.record_out - start,
        "record_in_tc": edit.frame_to_timecode(placement.record_in, rate),
        "record_out_tc": edit.frame_to_timecode(placement.record_out + 1, rate),
        "reel": placement.reel,
        "clip_name": placement.clip_name,
        "source_file": placement.source_file,
        "source_in": placement.source_in,
        "source_out": placement.source_out,
        "source_in_tc": _timecode_or_blank(placement.source_in, project, drop),
        "source_out_tc": _timecode_or_blank(
            None if placement.source_out is None else placement.source_out + 1, project, drop
        ),
        "speed": placement.speed,
        "freeze": placement.freeze,
        "cdl": placement.cdl,
        "transition_in": placement.transition_in,
        "transition_out": placement.transition_out,
        "track": placement.track,
        "line": placement.line,
        "event": placement.event,
        "warnings": list(placement.warnings),
    }


def _shot_finder(plan: list[dict[str, Any]]) -> Any:
    """frame -> code of the first shot of the plan that holds it ("" if none), without
    scanning the whole plan per marker (cuts of 20,000 events)."""
    spans = sorted((r["cut_in"], r["cut_out"], index) for index, r in enumerate(plan))
    starts = [span[0] for span in spans]
    reach: list[int] = []  # the furthest cut_out of spans[: i + 1]
    for span in spans:
        reach.append(max(span[1], reach[-1]) if reach else span[1])

    def shot_at(frame: int) -> str:
        best = None
        j = bisect.bisect_right(starts, frame) - 1
        while j >= 0 and reach[j] >= frame:
            if spans[j][1] >= frame and (best is None or spans[j][2] < best):
                best = spans[j][2]
            j -= 1
        return "" if best is None else str(plan[best]["code"])

    return shot_at


def _markers(
    parsed: edit.ReadEdit, plan: list[dict[str, Any]], project: Project, start: int
) -> list[dict[str, Any]]:
    rows = []
    shot_at = _shot_finder(plan)
    for marker in sorted(parsed.markers, key=lambda m: m.frame):
        frame = marker.frame - start
        shot = shot_at(frame)
        rows.append(
            {
                "frame": frame,
                "timecode": edit.frame_to_timecode(marker.frame, project.frame_rate),
                "duration": marker.duration,
                "colour": marker.colour,
                "name": marker.name,
                "note": marker.note,
                "kind": marker.kind,
                "shot": shot,
                "line": marker.line,
            }
        )
    return rows


def cut_import_preview(
    *, actor: Any, project: Project, filename: str, data: bytes, sequence_code: str, fmt: str = ""
) -> CutImport:
    """Parse an edit and store the plan: which shots would be created, moved in the cut or
    left as they are, the markers of the cut, what could not be placed, and which shots of
    the sequence the cut no longer holds. Nothing else changes until it is applied."""
    if not data:
        raise ValidationFailed("The edit file is empty.", field="file")
    if len(data) > MAX_EDIT_BYTES:
        raise ValidationFailed("Edit files are limited to 20 MB.", field="file")
    sequence_code = sequence_code.strip()
    if not sequence_code:
        raise ValidationFailed("Choose the sequence the cut belongs to.", field="sequence_code")
    fmt = fmt or edit.detect_format(filename, data)
    # In a capped child process: a hostile file costs the child, not this server.
    parsed = isolate.read_edit_isolated(data, fmt, project.frame_rate)
    start = project_start_frame(project)
    existing = {
        shot.code: shot
        for shot in Shot.objects.filter(project=project).select_related("sequence", "editorial")
    }
    plan: list[dict[str, Any]] = []
    for placement in parsed.placements:
        row = _plan_row(placement, project, start)
        cut_in, cut_out = row["cut_in"], row["cut_out"]
        shot = existing.get(placement.code)
        if shot is None:
            row["action"] = "create"
            row["sequence"] = sequence_code
            plan.append(row)
            continue
        row["sequence"] = shot.sequence.code
        row["working"] = {"cut_in": shot.cut_in, "cut_out": shot.cut_out}
        previous = _position(shot)
        if previous == (cut_in, cut_out):
            row["action"] = "unchanged"
        else:
            row["action"] = "update"
            row["previous"] = {"cut_in": previous[0], "cut_out": previous[1]}
        length = cut_out - cut_in + 1
        if length != shot.frame_count:
            row["warnings"].append(
                f"length change: the cut holds {length} frames, the shot's working range"
                f" {shot.cut_in}-{shot.cut_out} holds {shot.frame_count}"
                f" ({length - shot.frame_count:+d})"
            )
        plan.append(row)
    in_cut = {row["code"] for row in plan}
    omitted = [
        {"code": shot.code, "cut_in": shot.cut_in, "cut_out": shot.cut_out}
        for shot in sorted(existing.values(), key=lambda s: (s.cut_in, s.code))
        if shot.sequence.code == sequence_code and shot.code not in in_cut
    ]
    with transaction.atomic():
        cut_import = CutImport.objects.create(
            organization_id=project.organization_id,
            project=project,
            sequence_code=sequence_code[:32],
            filename=filename[:255],
            format=fmt,
            source_sha256=hashlib.sha256(data).hexdigest(),
            timeline_name=parsed.name[:255],
            plan=plan,
            not_placed=[asdict(item) for item in parsed.not_placed],
            markers=_markers(parsed, plan, project, start),
            omitted=omitted,
            warnings=list(parsed.warnings),
            created_by=actor,
        )
        audit_record(
            action="cut_import.preview",
            actor=actor,
            target=cut_import,
            changes={
                "format": fmt,
                "clips": len(plan),
                "not_placed": len(parsed.not_placed),
                "markers": len(parsed.markers),
                "omitted": len(omitted),
            },
        )
    return cut_import


def _position(shot: Shot) -> tuple[int, int]:
    """Where the shot sits in the cut: as last imported, else its own range."""
    editorial = getattr(shot, "editorial", None)
    if editorial is not None and editorial.position_in is not None:
        return editorial.position_in, editorial.position_out
    return shot.cut_in, shot.cut_out


EDITORIAL_FIELDS = ["project", "reel", "source_in", "source_out", "speed", "position_in"]
EDITORIAL_FIELDS += ["position_out", "clip_name", "source_file", "freeze", "cdl"]
EDITORIAL_FIELDS += ["transition_in", "transition_out", "cut_import", "updated_at"]


def _editorial_values(row: dict[str, Any], project: Project, cut: CutImport) -> dict[str, Any]:
    return {
        "project": project,
        "reel": row["reel"][:64],
        "source_in": row["source_in"],
        "source_out": row["source_out"],
        "speed": row["speed"],
        "position_in": row["cut_in"],
        "position_out": row["cut_out"],
        "clip_name": row.get("clip_name", "")[:255],
        "source_file": row.get("source_file", "")[:1024],
        "freeze": bool(row.get("freeze")),
        "cdl": row.get("cdl"),
        "transition_in": row.get("transition_in"),
        "transition_out": row.get("transition_out"),
        "cut_import": cut,
    }


def cut_import_apply(*, actor: Any, cut_import: CutImport) -> CutImport:
    """Create the new shots and record where every shot sits in the cut. A shot that exists
    keeps its working frame range: the cut position lives in its editorial record."""
    with transaction.atomic():
        locked = CutImport.objects.select_for_update().get(pk=cut_import.pk)
        if locked.state != CutImportState.PREVIEWED:
            raise Conflict("This cut import was already applied.")
        project = Project.objects.get(pk=locked.project_id)
        shots = {
            shot.code: shot
            for shot in Shot.objects.filter(project=project).select_related("editorial")
        }
        existing_events = {
            shot.pk for shot in shots.values() if getattr(shot, "editorial", None) is not None
        }
        preexisting = set(shots)
        # One permission check and a few statements for every new shot of the cut.
        created = shots_create_bulk(
            actor=actor,
            project=project,
            rows=[
                ShotRow(locked.sequence_code, row["code"], row["cut_in"], row["cut_out"])
                for row in locked.plan
                if row["code"] not in shots
            ],
        )
        shots.update({shot.code: shot for shot in created})
        counts = {"create": len(created), "update": 0, "unchanged": 0}
        moved: list[list[Any]] = []
        fresh: list[EditorialEvent] = []
        changed: list[EditorialEvent] = []
        for row in locked.plan:
            shot = shots[row["code"]]
            if shot.code in preexisting:
                before = _position(shot)
                if before != (row["cut_in"], row["cut_out"]):
                    moved.append([shot.code, list(before), [row["cut_in"], row["cut_out"]]])
                    counts["update"] += 1
                else:
                    counts["unchanged"] += 1
            values = _editorial_values(row, project, locked)
            event = getattr(shot, "editorial", None) if shot.pk in existing_events else None
            if event is None:
                fresh.append(
                    EditorialEvent(shot=shot, organization_id=shot.organization_id, **values)
                )
            else:
                for name, value in {**values, "updated_at": timezone.now()}.items():
                    setattr(event, name, value)
                changed.append(event)
        # Two statements for the whole cut, not one per shot (20,000-event cuts).
        EditorialEvent.objects.bulk_create(fresh, batch_size=1000)
        EditorialEvent.objects.bulk_update(changed, EDITORIAL_FIELDS, batch_size=1000)
        locked.state = CutImportState.APPLIED
        locked.applied_at = timezone.now()
        locked.save(update_fields=["state", "applied_at"])
        # One entry for the whole cut: each moved shot with its position before and after.
        audit_record(
            action="cut_import.apply",
            actor=actor,
            target=locked,
            changes={**counts, "omitted": len(locked.omitted), "moved": moved},
        )
    return locked


def cdls_of_sequence(sequence: Sequence) -> dict[str, cdl.Cdl]:
    """The CDL (a .cc/.cdl file, e.g. from shot matching) of each shot's approved version,
    by shot code. Only a shot with no approved version falls back to its newest CDL: once a
    take is approved, the grade of a take nobody approved never goes out beside it."""
    found: dict[str, cdl.Cdl] = {}
    for shot in Shot.objects.filter(sequence=sequence).order_by("cut_in"):
        grades = MediaFile.objects.filter(
            version__shot=shot,
            kind=MediaKind.DOCUMENT,
            state=MediaState.READY,
            original_filename__iregex=r"\.(cc|cdl)$",
        )
        if Version.objects.filter(shot=shot, status=VersionStatus.APPROVED).exists():
            grades = grades.filter(version__status=VersionStatus.APPROVED)
        media = grades.order_by("-version__number", "-created_at").first()
        if media is None:
            continue
        body = (
            s3_client().get_object(Bucket=settings.S3_BUCKET, Key=media.storage_key)["Body"].read()
        )
        first = cdl.parse_cdl(body)[0]
        found[shot.code] = cdl.Cdl(
            id=shot.code,
            slope=first.slope,
            offset=first.offset,
            power=first.power,
            saturation=first.saturation,
            description=f"{shot.code} from {media.original_filename}",
        )
    return found


def sequence_export(*, actor: Any, sequence: Sequence, fmt: str) -> tuple[str, str]:
    """(file name, text) of a sequence as OTIO, CMX 3600 EDL (with ASC_SOP/ASC_SAT comments
    where shots have a CDL), FCP7 XML, or a .ccc collection of the shots' CDLs."""
    project = Project.objects.get(pk=sequence.project_id)
    # A beta feature of the partner that owns the project, for the API and the page alike.
    require_feature(project.organization_id, "interchange.export")
    grades = cdls_of_sequence(sequence) if fmt in ("edl", "ccc") else {}
    if fmt == "ccc":
        if not grades:
            raise ValidationFailed(
                f"No shot of {sequence.code} has a CDL yet (run shot matching first)."
            )
        audit_record(
            action="sequence.export", actor=actor, target=sequence, changes={"format": fmt}
        )
        return f"{project.code}_{sequence.code}.ccc", cdl.write_ccc(list(grades.values()))
    start = project_start_frame(project)
    shots = []
    for shot in Shot.objects.filter(sequence=sequence).order_by("cut_in"):
        editorial = EditorialEvent.objects.filter(shot=shot).first()
        position_in, position_out = (
            (editorial.position_in, editorial.position_out)
            if editorial is not None
            and editorial.position_in is not None
            and editorial.position_out is not None
            else (shot.cut_in, shot.cut_out)
        )
        length = position_out - position_in + 1
        source_in = (
            editorial.source_in
            if editorial and editorial.source_in is not None
            else start + position_in
        )
        source_out = (
            editorial.source_out
            if editorial and editorial.source_out is not None
            else source_in + length - 1
        )
        shots.append(
            edit.ExportShot(
                code=shot.code,
                record_in=start + position_in,
                record_out=start + position_out,
                reel=(editorial.reel if editorial else "") or shot.code,
                source_in=source_in,
                source_out=source_out,
                cdl=grades[shot.code].as_metadata()
                if shot.code in grades
                else (editorial.cdl if editorial else None),
                clip_name=shot.code,
                source_file=editorial.source_file if editorial else "",
                speed=editorial.speed if editorial else 1.0,
                freeze=editorial.freeze if editorial else False,
                transition_in=editorial.transition_in if editorial else None,
                transition_out=editorial.transition_out if editorial else None,
            )
        )
    if not shots:
        raise ValidationFailed(f"Sequence {sequence.code} has no shots to export.")
    first = min(s.record_in for s in shots)
    text = edit.write_edit(f"{project.code}_{sequence.code}", shots, project.frame_rate, first, fmt)
    audit_record(action="sequence.export", actor=actor, target=sequence, changes={"format": fmt})
    return f"{project.code}_{sequence.code}.{edit.FILE_SUFFIX[fmt]}", text
