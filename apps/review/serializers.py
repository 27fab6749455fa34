"""Plain JSON shapes of review objects, shared by the websocket protocol, the event log
and the REST API (so a note looks the same wherever it is read)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from apps.render.models import Job
from apps.review.models import Decision, Note, NoteReply, ReviewSession


def presence_cutoff() -> datetime:
    """Presence rows not refreshed since this instant belong to dead connections."""
    return timezone.now() - timedelta(seconds=settings.REVIEW_PRESENCE_TTL_SECONDS)


def user_data(user: Any) -> dict[str, Any]:
    name = getattr(user, "display_name", "") or user.email.split("@")[0]
    return {"id": user.pk, "name": name, "email": user.email}


def reply_data(reply: NoteReply) -> dict[str, Any]:
    return {
        "id": reply.pk,
        "note": reply.note_id,
        "text": reply.text,
        "author": user_data(reply.author),
        "created_at": reply.created_at.isoformat(),
    }


def notes_lineage(notes: list[Note]) -> dict[int, dict[str, Any]]:
    """For each note: the render job that made its version (`source_job`, or None for an
    upload; a re-run starts from it) and the re-runs the note asked for (`reruns`: job,
    version and label once the result exists). Two queries for any number of notes."""
    version_ids = {n.version_id for n in notes}
    made_by = dict(
        Job.objects.filter(version_id__in=version_ids)
        .order_by("submitted_at", "pk")
        .values_list("version_id", "pk")
    )
    asked: dict[int, list[dict[str, Any]]] = {}
    for job in (
        Job.objects.filter(note_id__in=[n.pk for n in notes])
        .select_related("version")
        .order_by("submitted_at", "pk")
    ):
        asked.setdefault(job.note_id or 0, []).append(
            {
                "job": job.pk,
                "state": job.state,
                "version": job.version_id,
                "label": job.version.label if job.version is not None else None,
            }
        )
    return {
        n.pk: {"source_job": made_by.get(n.version_id), "reruns": asked.get(n.pk, [])}
        for n in notes
    }


def note_data(
    note: Note, *, replies: bool = False, lineage: dict[int, dict[str, Any]] | None = None
) -> dict[str, Any]:
    """A note as every reader sees it; `lineage` (from `notes_lineage`, for a batch) saves
    the two lookups per note."""
    links = (lineage if lineage is not None else notes_lineage([note])).get(
        note.pk, {"source_job": None, "reruns": []}
    )
    data: dict[str, Any] = {
        "id": note.pk,
        "session": note.session_id,
        "version": note.version_id,
        "frame_in": note.frame_in,
        "frame_out": note.frame_out,
        "text": note.text,
        "drawing": note.drawing,
        "status": note.status,
        "revision": note.revision,
        "author": user_data(note.author),
        "created_at": note.created_at.isoformat(),
        "updated_at": note.updated_at.isoformat(),
        "project": note.project_id,
        **links,
    }
    if replies:
        data["replies"] = [reply_data(r) for r in note.replies.all()]
    return data


def decision_data(decision: Decision) -> dict[str, Any]:
    return {
        "id": decision.pk,
        "version": decision.version_id,
        "session": decision.session_id,
        "decision": decision.decision,
        "comment": decision.comment,
        "actor": user_data(decision.actor),
        "created_at": decision.created_at.isoformat(),
    }


def presence_data(session: ReviewSession) -> list[dict[str, Any]]:
    """Who is in the room now: one entry per person, however many tabs they have open."""
    people: dict[int, dict[str, Any]] = {}
    # Rows whose heartbeat stopped (a killed server) are not shown, even before the sweep.
    live = session.presence.filter(last_seen__gte=presence_cutoff())
    for row in live.select_related("user").order_by("connected_at", "pk"):
        entry = people.setdefault(row.user_id, {**user_data(row.user), "connections": 0})
        entry["connections"] += 1
    return list(people.values())
