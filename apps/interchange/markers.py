"""Markers of an imported cut as review notes: each marker that falls in a shot becomes a
note on the shot's newest version, on the same frames (cut frame minus the shot's cut
position), so exporting the notes as markers puts them back where the editor put them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from apps.audit.services import audit_record
from apps.core.errors import Conflict
from apps.interchange.models import CutImport, CutImportState, EditorialEvent
from apps.production.models import Version
from apps.review.notes import note_create


@dataclass
class MarkerNotes:
    created: int = 0
    skipped: list[dict[str, Any]] = field(default_factory=list)  # marker + reason


def _text(marker: dict[str, Any]) -> str:
    name, note = str(marker.get("name") or "").strip(), str(marker.get("note") or "").strip()
    text = ": ".join(dict.fromkeys(p for p in (name, note) if p)) or "Marker"  # no repeats
    colour = str(marker.get("colour") or "").strip()
    return f"{text} ({colour})" if colour else text


def cut_markers_to_notes(*, actor: Any, cut_import: CutImport) -> MarkerNotes:
    """`actor` is the Membership writing the notes (REVIEW_NOTE, checked by note_create).
    Markers outside every shot, and shots with no version yet, are reported, not noted."""
    if cut_import.state != CutImportState.APPLIED:
        raise Conflict("Apply the cut import before turning its markers into notes.")
    result = MarkerNotes()
    codes = {m["shot"] for m in cut_import.markers if m.get("shot")}
    positions = {
        event.shot.code: (event.shot, event.position_in)
        for event in EditorialEvent.objects.filter(
            project_id=cut_import.project_id, shot__code__in=codes
        ).select_related("shot")
    }
    newest: dict[int, Version] = {}
    for version in Version.objects.filter(
        project_id=cut_import.project_id, shot__code__in=codes
    ).order_by("shot_id", "number"):
        newest[version.shot_id] = version
    with transaction.atomic():
        for marker in cut_import.markers:
            found = positions.get(marker.get("shot") or "")
            if found is None or found[1] is None:
                result.skipped.append({**marker, "reason": "not in a shot of the cut"})
                continue
            shot, position = found
            version = newest.get(shot.pk)
            if version is None:
                result.skipped.append({**marker, "reason": f"{shot.code} has no version yet"})
                continue
            frame_in = int(marker["frame"]) - int(position)
            note_create(
                actor=actor,
                version=version,
                frame_in=frame_in,
                frame_out=frame_in + max(int(marker.get("duration") or 1), 1) - 1,
                text=_text(marker),
            )
            result.created += 1
        audit_record(
            action="cut_import.markers_to_notes",
            actor=getattr(actor, "user", actor),
            target=cut_import,
            changes={"notes": result.created, "skipped": len(result.skipped)},
        )
    return result
