"""Cut import (preview, then apply) and cut export."""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.audit.services import audit_record
from apps.core.errors import Conflict, ValidationFailed
from apps.interchange import cdl, edit
from apps.interchange.models import CutImport, CutImportState, EditorialEvent
from apps.media.models import MediaFile, MediaKind, MediaState
from apps.media.storage import s3_client
from apps.production.models import Project, Sequence, Shot
from apps.production.services import sequence_create, shot_create

MAX_EDIT_BYTES = 20 * 1024 * 1024


def project_start_frame(project: Project) -> int:
    """Timeline frame 0 is the project's start timecode (a drop-frame label at 29.97 and
    59.94, whichever separator it was typed with)."""
    label = project.start_timecode.replace(";", ":")
    if edit.is_drop_frame_rate(project.frame_rate):
        label = label[:8] + ";" + label[9:]
    return edit.timecode_to_frame(label, project.frame_rate)


def _timecode_or_blank(frame: int | None, project: Project) -> str:
    return "" if frame is None else edit.frame_to_timecode(frame, project.frame_rate)


def cut_import_preview(
    *, actor: Any, project: Project, filename: str, data: bytes, sequence_code: str, fmt: str = ""
) -> CutImport:
    """Parse an edit and store the plan: which shots would be created, updated or left as
    they are, and what could not be placed. Nothing else changes until it is applied."""
    if not data:
        raise ValidationFailed("The edit file is empty.", field="file")
    if len(data) > MAX_EDIT_BYTES:
        raise ValidationFailed("Edit files are limited to 20 MB.", field="file")
    sequence_code = sequence_code.strip()
    if not sequence_code:
        raise ValidationFailed("Choose the sequence the cut belongs to.", field="sequence_code")
    fmt = fmt or edit.detect_format(filename, data)
    parsed = edit.read_edit(data, fmt, project.frame_rate)
    start = project_start_frame(project)
    existing = {
        shot.code: shot for shot in Shot.objects.filter(project=project).select_related("sequence")
    }
    plan: list[dict[str, Any]] = []
    for placement in parsed.placements:
        cut_in, cut_out = placement.record_in - start, placement.record_out - start
        row: dict[str, Any] = {
            "code": placement.code,
            "cut_in": cut_in,
            "cut_out": cut_out,
            "reel": placement.reel,
            "source_in": placement.source_in,
            "source_out": placement.source_out,
            "speed": placement.speed,
            "record_in_tc": edit.frame_to_timecode(placement.record_in, project.frame_rate),
            "source_in_tc": _timecode_or_blank(placement.source_in, project),
            "source_out_tc": _timecode_or_blank(placement.source_out, project),
            "warnings": placement.warnings,
        }
        shot = existing.get(placement.code)
        if shot is None:
            row["action"] = "create"
            row["sequence"] = sequence_code
        elif (shot.cut_in, shot.cut_out) == (cut_in, cut_out):
            row["action"] = "unchanged"
            row["sequence"] = shot.sequence.code
        else:
            row["action"] = "update"
            row["sequence"] = shot.sequence.code
            row["previous"] = {"cut_in": shot.cut_in, "cut_out": shot.cut_out}
        plan.append(row)
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
            created_by=actor,
        )
        audit_record(
            action="cut_import.preview",
            actor=actor,
            target=cut_import,
            changes={"format": fmt, "clips": len(plan), "not_placed": len(parsed.not_placed)},
        )
    return cut_import


def cut_import_apply(*, actor: Any, cut_import: CutImport) -> CutImport:
    with transaction.atomic():
        locked = CutImport.objects.select_for_update().get(pk=cut_import.pk)
        if locked.state != CutImportState.PREVIEWED:
            raise Conflict("This cut import was already applied.")
        project = Project.objects.get(pk=locked.project_id)
        sequence = Sequence.objects.filter(project=project, code=locked.sequence_code).first()
        counts = {"create": 0, "update": 0, "unchanged": 0}
        for row in locked.plan:
            shot = Shot.objects.filter(project=project, code=row["code"]).first()
            if shot is None:
                if sequence is None:
                    sequence = sequence_create(
                        actor=actor, project=project, code=locked.sequence_code
                    )
                shot = shot_create(
                    actor=actor,
                    sequence=sequence,
                    code=row["code"],
                    cut_in=row["cut_in"],
                    cut_out=row["cut_out"],
                )
                counts["create"] += 1
            elif (shot.cut_in, shot.cut_out) != (row["cut_in"], row["cut_out"]):
                before = (shot.cut_in, shot.cut_out)
                shot.cut_in, shot.cut_out = row["cut_in"], row["cut_out"]
                shot.save(update_fields=["cut_in", "cut_out"])
                audit_record(
                    action="shot.update",
                    actor=actor,
                    target=shot,
                    changes={
                        "cut": [list(before), [shot.cut_in, shot.cut_out]],
                        "from": locked.filename,
                    },
                )
                counts["update"] += 1
            else:
                counts["unchanged"] += 1
            EditorialEvent.objects.update_or_create(
                shot=shot,
                defaults={
                    "organization_id": shot.organization_id,
                    "project": project,
                    "reel": row["reel"][:64],
                    "source_in": row["source_in"],
                    "source_out": row["source_out"],
                    "speed": row["speed"],
                    "cut_import": locked,
                },
            )
        locked.state = CutImportState.APPLIED
        locked.applied_at = timezone.now()
        locked.save(update_fields=["state", "applied_at"])
        audit_record(action="cut_import.apply", actor=actor, target=locked, changes=counts)
    return locked


def cdls_of_sequence(sequence: Sequence) -> dict[str, cdl.Cdl]:
    """The newest CDL (a .cc/.cdl file, e.g. from shot matching) of each shot, by shot code."""
    found: dict[str, cdl.Cdl] = {}
    for shot in Shot.objects.filter(sequence=sequence).order_by("cut_in"):
        media = (
            MediaFile.objects.filter(
                version__shot=shot,
                kind=MediaKind.DOCUMENT,
                state=MediaState.READY,
                original_filename__iregex=r"\.(cc|cdl)$",
            )
            .order_by("-version__number", "-created_at")
            .first()
        )
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
        length = shot.cut_out - shot.cut_in + 1
        source_in = (
            editorial.source_in
            if editorial and editorial.source_in is not None
            else start + shot.cut_in
        )
        source_out = (
            editorial.source_out
            if editorial and editorial.source_out is not None
            else source_in + length - 1
        )
        shots.append(
            edit.ExportShot(
                code=shot.code,
                record_in=start + shot.cut_in,
                record_out=start + shot.cut_out,
                reel=(editorial.reel if editorial else "") or shot.code,
                source_in=source_in,
                source_out=source_out,
                cdl=grades[shot.code].as_metadata() if shot.code in grades else None,
            )
        )
    if not shots:
        raise ValidationFailed(f"Sequence {sequence.code} has no shots to export.")
    first = min(s.record_in for s in shots)
    text = edit.write_edit(f"{project.code}_{sequence.code}", shots, project.frame_rate, first, fmt)
    audit_record(action="sequence.export", actor=actor, target=sequence, changes={"format": fmt})
    return f"{project.code}_{sequence.code}.{edit.FILE_SUFFIX[fmt]}", text
