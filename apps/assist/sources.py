"""What the assistant reads: review notes and decisions, as plain dictionaries."""

from __future__ import annotations

from typing import Any

from apps.core.errors import NotFound
from apps.core.timecode import frames_to_timecode, supports_drop_frame
from apps.production.models import Project
from apps.production.selectors import access_version_by_id
from apps.review import selectors as review
from apps.tenancy.models import Membership


def _timecode(project: Project, frame: int) -> str:
    try:
        rate = project.frame_rate
        return str(frames_to_timecode(frame, rate, drop_frame=supports_drop_frame(rate)))
    except (ValueError, TypeError):
        return ""


def note_item(note: Any, project: Project) -> dict[str, Any]:
    version = note.version
    return {
        "id": note.pk,
        "shot": version.shot.code,
        "version": version.label,
        "frame_in": note.frame_in,
        "frame_out": note.frame_out,
        "timecode": _timecode(project, note.frame_in),
        # Never an email address: prompts may go to an external provider.
        "author": note.author.display_name or f"reviewer #{note.author_id}",
        "text": note.text,
        "resolved": note.status == "resolved",
    }


def notes_of_session(
    user: Any,
    membership: Membership,
    project: Project,
    session_id: int,
    *,
    made_in_session: bool = False,
) -> tuple[str, list[dict[str, Any]], list[dict[str, Any]]]:
    """The notes on the session's playlist (for a task list), or with `made_in_session`
    only those written in this session (for its summary)."""
    session = review.access_session_by_id(user, membership, session_id)
    if session.project_id != project.pk:
        raise NotFound("Review session not found.")
    notes = review.notes_of_session_playlist(session).select_related("version__shot", "author")
    if made_in_session:
        notes = notes.filter(session_id=session.pk)
    decisions = []
    for item in session.playlist.select_related("version__shot").all():
        for decision in review.decisions_of_version(item.version):
            decisions.append(
                {
                    "version": f"{item.version.shot.code} {item.version.label}",
                    "decision": decision.decision,
                }
            )
    return session.title, [note_item(n, project) for n in notes], decisions


def notes_of_version(
    project: Project, version_id: int
) -> tuple[str, list[dict[str, Any]], list[dict[str, Any]]]:
    version = access_version_by_id(version_id)
    if version.project_id != project.pk:
        raise NotFound("Version not found.")
    notes = review.notes_of_version(version).select_related("version__shot", "author")
    decisions = [
        {"version": f"{version.shot.code} {version.label}", "decision": d.decision}
        for d in review.decisions_of_version(version)
    ]
    return f"{version.shot.code} {version.label}", [note_item(n, project) for n in notes], decisions


def note_by_id(project: Project, note_id: int) -> dict[str, Any]:
    note = review.access_note_by_id(note_id)
    if note.project_id != project.pk:
        raise NotFound("Note not found.")
    return note_item(note, project)
