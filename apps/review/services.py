"""Every write of a review session. Each state change takes the session row lock, gets the
next per-session sequence number, is stored in the event log and is broadcast to the room
only after the transaction commits (so nothing is ever shown that is not in PostgreSQL).

Presence and playback changes are recorded (actor, time, sequence) in the session's own
append-only event log rather than in the audit log, so scrubbing does not flood it; every
other write (sessions, notes, replies, decisions, control changes) is audited as well.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import transaction
from django.utils import timezone

from apps.audit.services import audit_record
from apps.beta.selectors import require_feature
from apps.core.errors import Conflict, Forbidden, ValidationFailed
from apps.production.models import Project, Version, VersionStatus
from apps.production.services import version_set_status
from apps.review.models import (
    CompareMode,
    Decision,
    DecisionKind,
    Note,
    NoteReply,
    NoteStatus,
    Notification,
    Participant,
    PlaylistItem,
    Presence,
    ReviewEvent,
    ReviewSession,
    SessionState,
)
from apps.review.serializers import (
    decision_data,
    note_data,
    presence_data,
    reply_data,
    user_data,
)
from apps.tenancy.models import Role
from apps.tenancy.scope import require_scope, tenant_scope

logger = logging.getLogger(__name__)

NOTE_ROLES = frozenset({Role.OWNER, Role.PRODUCER, Role.ARTIST, Role.REVIEWER, Role.BETA_ADMIN})
DECISION_ROLES = frozenset({Role.OWNER, Role.PRODUCER, Role.REVIEWER})
SESSION_ROLES = frozenset({Role.OWNER, Role.PRODUCER, Role.REVIEWER})
MAX_TEXT = 10_000
MAX_STROKES = 500
MAX_POINTS = 5_000
DRAW_TOOLS = frozenset({"pen", "line", "arrow", "rect", "ellipse"})
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_MENTION = re.compile(r"(?<![\w.+-])@([\w.+-]+(?:@[\w-]+(?:\.[\w-]+)+)?)")
TICKET_SALT = "backlot.review.ticket"
TICKET_SECONDS = 60


def review_group(session_id: int) -> str:
    return f"review.{session_id}"


def _broadcast(session_id: int, event: dict[str, Any]) -> None:
    def send() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        try:
            async_to_sync(layer.group_send)(
                review_group(session_id), {"type": "review.event", "event": event}
            )
        except Exception:  # committed; clients catch up from the log by sequence number
            logger.exception("could not broadcast review event %s", event.get("type"))

    transaction.on_commit(send)


def event_data(event: ReviewEvent) -> dict[str, Any]:
    return {
        **event.payload,
        "type": event.type,
        "seq": event.seq,
        "session": event.session_id,
        "actor": event.payload.get("actor"),
        "at": event.created_at.isoformat(),
    }


def _append_event(
    *, session_id: int, type: str, actor: Any | None, payload: dict[str, Any]
) -> tuple[ReviewSession, ReviewEvent]:
    """Lock the session, take the next sequence number, store the event, broadcast it
    after commit. Must run inside the caller's transaction."""
    session = ReviewSession.objects.select_for_update().get(pk=session_id)
    session.last_seq += 1
    session.save(update_fields=["last_seq"])
    body = {**payload, "actor": user_data(actor) if actor is not None else None}
    event = ReviewEvent.objects.create(
        organization_id=session.organization_id,
        project_id=session.project_id,
        session=session,
        seq=session.last_seq,
        type=type,
        actor=actor,
        payload=body,
    )
    _broadcast(session.pk, event_data(event))
    return session, event


def _require_role(role: str, allowed: frozenset[str], what: str) -> None:
    if role not in allowed:
        raise Forbidden(f"Your role cannot {what}.")


def _require_open(session: ReviewSession) -> None:
    if session.state == SessionState.ENDED:
        raise Conflict("This review session has ended.")


# Sessions -------------------------------------------------------------------------------


def session_create(
    *,
    actor: Any,
    role: str,
    project: Project,
    title: str,
    version_ids: Iterable[int],
    participant_ids: Iterable[int] = (),
    scheduled_for: Any = None,
) -> ReviewSession:
    _require_role(role, SESSION_ROLES, "host review sessions")
    require_feature(project.organization_id, "review.live")
    title = title.strip()
    if not title:
        raise ValidationFailed("A review session needs a title.", field="title")
    ids = list(dict.fromkeys(int(v) for v in version_ids))
    if not ids:
        raise ValidationFailed("Add at least one version to the playlist.", field="versions")
    versions = {v.pk: v for v in Version.objects.filter(project=project, pk__in=ids)}
    missing = [v for v in ids if v not in versions]
    if missing:
        raise ValidationFailed(f"Versions {missing} are not in {project.name}.", field="versions")
    user_model = get_user_model()
    people = list(user_model.objects.filter(pk__in=set(participant_ids), is_active=True))
    if len(people) != len(set(participant_ids)):
        raise ValidationFailed("Unknown participant.", field="participants")
    with transaction.atomic():
        first = versions[ids[0]]
        session = ReviewSession.objects.create(
            organization_id=project.organization_id,
            project=project,
            title=title,
            host=actor,
            presenter=actor,
            scheduled_for=scheduled_for,
            playback=_initial_playback(first.pk),
        )
        for position, version_id in enumerate(ids):
            PlaylistItem.objects.create(
                organization_id=project.organization_id,
                project=project,
                session=session,
                version_id=version_id,
                position=position,
            )
        for person in {actor, *people}:
            Participant.objects.create(
                organization_id=project.organization_id,
                project=project,
                session=session,
                user=person,
                invited_by=actor,
            )
        audit_record(
            action="review_session.create",
            actor=actor,
            target=session,
            changes={"versions": ids, "participants": sorted(p.pk for p in people)},
        )
        _append_event(
            session_id=session.pk,
            type="session.created",
            actor=actor,
            payload={"title": title, "versions": ids},
        )
    session.refresh_from_db()
    return session


def _initial_playback(version_id: int) -> dict[str, Any]:
    return {
        "version": version_id,
        "frame": 0,
        "playing": False,
        "rate": 1.0,
        "loop": None,
        "compare": {"mode": CompareMode.OFF, "version": None, "wipe": 0.5},
    }


def participant_add(*, actor: Any, session: ReviewSession, user: Any) -> Participant:
    if actor.pk != session.host_id:
        raise Forbidden("Only the host invites participants.")
    with transaction.atomic():
        participant, _ = Participant.objects.get_or_create(
            session=session,
            user=user,
            defaults={
                "organization_id": session.organization_id,
                "project_id": session.project_id,
                "invited_by": actor,
            },
        )
        audit_record(
            action="review_session.invite", actor=actor, target=session, changes={"user": user.pk}
        )
    return participant


def session_set_state(*, actor: Any, session: ReviewSession, state: str) -> ReviewSession:
    if state not in SessionState.values:
        raise ValidationFailed(f"Unknown session state {state!r}.", field="state")
    if actor.pk != session.host_id:
        raise Forbidden("Only the host starts and ends the session.")
    if session.state == SessionState.ENDED:
        raise Conflict("This review session has ended.")
    with transaction.atomic():
        locked = ReviewSession.objects.select_for_update().get(pk=session.pk)
        previous = locked.state
        locked.state = state
        now = timezone.now()
        if state == SessionState.LIVE and locked.started_at is None:
            locked.started_at = now
        if state == SessionState.ENDED:
            locked.ended_at = now
        locked.save(update_fields=["state", "started_at", "ended_at"])
        audit_record(
            action="review_session.state",
            actor=actor,
            target=locked,
            changes={"state": [previous, state]},
        )
        _append_event(
            session_id=session.pk, type="session.state", actor=actor, payload={"state": state}
        )
    session.refresh_from_db()
    return session


# Presence -------------------------------------------------------------------------------


def presence_join(*, actor: Any, session: ReviewSession, channel_name: str) -> int:
    with transaction.atomic():
        Presence.objects.create(
            organization_id=session.organization_id,
            project_id=session.project_id,
            session=session,
            user=actor,
            channel_name=channel_name,
        )
        _, event = _append_event(
            session_id=session.pk,
            type="presence.joined",
            actor=actor,
            payload={"user": user_data(actor), "presence": presence_data(session)},
        )
    return event.seq


def presence_leave(*, actor: Any, session_id: int, channel_name: str) -> None:
    with transaction.atomic():
        deleted, _ = Presence.objects.filter(channel_name=channel_name).delete()
        if not deleted:
            return
        session = ReviewSession.objects.get(pk=session_id)
        _append_event(
            session_id=session_id,
            type="presence.left",
            actor=actor,
            payload={"user": user_data(actor), "presence": presence_data(session)},
        )


# Playback and control -------------------------------------------------------------------


def _clean_playback(
    session: ReviewSession, current: dict[str, Any], changes: dict[str, Any]
) -> dict[str, Any]:
    playlist = set(session.playlist.values_list("version_id", flat=True))
    state = {**current}
    if "version" in changes:
        if changes["version"] not in playlist:
            raise ValidationFailed("That version is not in the playlist.", field="version")
        state["version"] = changes["version"]
    if "frame" in changes:
        frame = changes["frame"]
        if not isinstance(frame, int) or isinstance(frame, bool) or frame < 0:
            raise ValidationFailed("A frame is a whole number from 0.", field="frame")
        state["frame"] = frame
    if "playing" in changes:
        if not isinstance(changes["playing"], bool):
            raise ValidationFailed("playing is true or false.", field="playing")
        state["playing"] = changes["playing"]
    if "rate" in changes:
        rate = changes["rate"]
        if not isinstance(rate, int | float) or isinstance(rate, bool) or not -8 <= rate <= 8:
            raise ValidationFailed("The playback rate must be within -8..8.", field="rate")
        state["rate"] = float(rate)
    if "loop" in changes:
        loop = changes["loop"]
        if loop is not None and not (
            isinstance(loop, list)
            and len(loop) == 2
            and all(isinstance(f, int) and not isinstance(f, bool) and f >= 0 for f in loop)
            and loop[0] <= loop[1]
        ):
            raise ValidationFailed(
                "A loop range is [first frame, last frame] or null.", field="loop"
            )
        state["loop"] = loop
    if "compare" in changes:
        compare = changes["compare"]
        if not isinstance(compare, dict) or compare.get("mode") not in CompareMode.values:
            raise ValidationFailed("compare.mode is off, side_by_side or wipe.", field="compare")
        other = compare.get("version")
        if compare["mode"] != CompareMode.OFF and other not in playlist:
            raise ValidationFailed("Compare with a version of the playlist.", field="compare")
        wipe = compare.get("wipe", 0.5)
        if not isinstance(wipe, int | float) or not 0 <= wipe <= 1:
            raise ValidationFailed("compare.wipe is within 0..1.", field="compare")
        state["compare"] = {"mode": compare["mode"], "version": other, "wipe": float(wipe)}
    return state


def playback_update(*, actor: Any, session_id: int, changes: dict[str, Any]) -> None:
    """The presenter drives playback; everybody else follows."""
    with transaction.atomic():
        session = ReviewSession.objects.select_for_update().get(pk=session_id)
        _require_open(session)
        if session.presenter_id != actor.pk:
            raise Forbidden("Only the presenter drives playback. Request control first.")
        before = session.playback
        state = _clean_playback(session, before, changes)
        if state.get("playing") and not before.get("playing"):
            kind = "playback.play"
        elif before.get("playing") and not state.get("playing"):
            kind = "playback.pause"
        elif state.get("frame") != before.get("frame") or state.get("version") != before.get(
            "version"
        ):
            kind = "playback.seek"
        else:
            kind = "playback.update"
        session.playback = state
        session.save(update_fields=["playback"])
        _append_event(session_id=session_id, type=kind, actor=actor, payload={"playback": state})


def control_request(*, actor: Any, session_id: int) -> None:
    with transaction.atomic():
        session = ReviewSession.objects.get(pk=session_id)
        _require_open(session)
        if session.presenter_id == actor.pk:
            raise Conflict("You already have control.")
        audit_record(action="review_session.control_request", actor=actor, target=session)
        _append_event(
            session_id=session_id,
            type="control.requested",
            actor=actor,
            payload={"user": user_data(actor)},
        )


def control_grant(*, actor: Any, session_id: int, user_id: int) -> None:
    """The presenter (or the host) hands control to a participant who is in the room."""
    with transaction.atomic():
        session = ReviewSession.objects.select_for_update().get(pk=session_id)
        _require_open(session)
        if actor.pk not in (session.presenter_id, session.host_id):
            raise Forbidden("Only the presenter or the host can hand over control.")
        presence = Presence.objects.filter(session=session, user_id=user_id).select_related("user")
        target = presence.first()
        if target is None:
            raise ValidationFailed("That person is not in the room.", field="user")
        _set_presenter(actor=actor, session=session, user=target.user, how="granted")


def control_take(*, actor: Any, session_id: int) -> None:
    """The host takes control back at any time."""
    with transaction.atomic():
        session = ReviewSession.objects.select_for_update().get(pk=session_id)
        _require_open(session)
        if actor.pk != session.host_id:
            raise Forbidden("Only the host can take control back.")
        _set_presenter(actor=actor, session=session, user=actor, how="taken")


def _set_presenter(*, actor: Any, session: ReviewSession, user: Any, how: str) -> None:
    previous = session.presenter_id
    session.presenter = user
    session.save(update_fields=["presenter"])
    audit_record(
        action=f"review_session.control_{how}",
        actor=actor,
        target=session,
        changes={"presenter": [previous, user.pk]},
    )
    _append_event(
        session_id=session.pk,
        type="control.changed",
        actor=actor,
        payload={"presenter": user_data(user), "how": how},
    )


# Notes, replies, mentions ---------------------------------------------------------------


def _clean_drawing(drawing: Any) -> dict[str, Any] | None:
    if drawing is None:
        return None
    if not isinstance(drawing, dict) or not isinstance(drawing.get("strokes"), list):
        raise ValidationFailed("A drawing is {'strokes': [...]}.", field="drawing")
    strokes = drawing["strokes"]
    if len(strokes) > MAX_STROKES:
        raise ValidationFailed(f"At most {MAX_STROKES} strokes per drawing.", field="drawing")
    cleaned = []
    total = 0
    for stroke in strokes:
        if not isinstance(stroke, dict):
            raise ValidationFailed("Each stroke is an object.", field="drawing")
        tool = stroke.get("tool", "pen")
        color = stroke.get("color", "#ff3b30")
        width = stroke.get("width", 0.004)
        points = stroke.get("points")
        if tool not in DRAW_TOOLS:
            raise ValidationFailed(f"Unknown drawing tool {tool!r}.", field="drawing")
        if not isinstance(color, str) or not _COLOR.match(color):
            raise ValidationFailed("Colours are #rrggbb.", field="drawing")
        if not isinstance(width, int | float) or isinstance(width, bool) or not 0 < width <= 0.2:
            raise ValidationFailed(
                "Stroke width is a fraction of the image width (0..0.2].", field="drawing"
            )
        if not isinstance(points, list) or not points:
            raise ValidationFailed("A stroke needs points.", field="drawing")
        total += len(points)
        if total > MAX_POINTS:
            raise ValidationFailed(f"At most {MAX_POINTS} points per drawing.", field="drawing")
        clean_points = []
        for point in points:
            if not (
                isinstance(point, list | tuple)
                and len(point) == 2
                and all(
                    isinstance(c, int | float) and not isinstance(c, bool) and 0 <= c <= 1
                    for c in point
                )
            ):
                raise ValidationFailed(
                    "Points are [x, y] normalised to the image (0..1).", field="drawing"
                )
            clean_points.append([round(float(point[0]), 5), round(float(point[1]), 5)])
        cleaned.append(
            {"tool": tool, "color": color.lower(), "width": float(width), "points": clean_points}
        )
    return {"strokes": cleaned}


def _clean_text(text: Any, *, field: str = "text", allow_empty: bool = False) -> str:
    if not isinstance(text, str):
        raise ValidationFailed("Text is a string.", field=field)
    text = text.strip()
    if not text and not allow_empty:
        raise ValidationFailed("Write something.", field=field)
    if len(text) > MAX_TEXT:
        raise ValidationFailed(f"At most {MAX_TEXT} characters.", field=field)
    return text


def _clean_range(frame_in: Any, frame_out: Any) -> tuple[int, int]:
    if frame_out is None:
        frame_out = frame_in
    for value, name in ((frame_in, "frame_in"), (frame_out, "frame_out")):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValidationFailed("Frames are whole numbers from 0.", field=name)
    if frame_out < frame_in:
        raise ValidationFailed("The range ends before it starts.", field="frame_out")
    return frame_in, frame_out


def _sessions_showing(version: Version, session: ReviewSession | None) -> list[int]:
    """The open sessions a note on this version must reach live."""
    ids = set(
        PlaylistItem.objects.filter(version=version)
        .exclude(session__state=SessionState.ENDED)
        .values_list("session_id", flat=True)
    )
    if session is not None:
        ids.add(session.pk)
    return sorted(ids)


def _mentioned_users(text: str, note: Note) -> list[Any]:
    handles = {h.lower().rstrip(".") for h in _MENTION.findall(text)}
    if not handles:
        return []
    user_model = get_user_model()
    candidates: set[int] = set()
    sessions = _sessions_showing(note.version, note.session)
    candidates.update(
        Participant.objects.filter(session_id__in=sessions).values_list("user_id", flat=True)
    )
    candidates.update(
        ReviewSession.objects.filter(pk__in=sessions).values_list("host_id", flat=True)
    )
    from apps.tenancy.models import Membership

    scope = require_scope()
    candidates.update(
        Membership.objects.filter(organization_id=scope.organization_id).values_list(
            "user_id", flat=True
        )
    )
    found = []
    for user in user_model.objects.filter(pk__in=candidates, is_active=True):
        email = user.email.lower()
        if email in handles or email.split("@")[0] in handles:
            found.append(user)
    return found


def _notify_mentions(actor: Any, note: Note, text: str, reply: NoteReply | None) -> list[int]:
    users = [u for u in _mentioned_users(text, note) if u.pk != actor.pk]
    for user in users:
        Notification.objects.create(
            organization_id=note.organization_id,
            project_id=note.project_id,
            user=user,
            note=note,
            reply=reply,
            text=f"{actor} mentioned you: {text[:200]}",
        )
    return [u.pk for u in users]


def note_create(
    *,
    actor: Any,
    role: str,
    version: Version,
    frame_in: Any,
    frame_out: Any = None,
    text: Any,
    drawing: Any = None,
    session: ReviewSession | None = None,
    client_id: str | None = None,
) -> Note:
    _require_role(role, NOTE_ROLES, "write notes")
    first, last = _clean_range(frame_in, frame_out)
    clean_text = _clean_text(text)
    clean_drawing = _clean_drawing(drawing)
    if session is not None:
        _require_open(session)
        if not session.playlist.filter(version=version).exists():
            raise ValidationFailed("That version is not in this session.", field="version")
    with transaction.atomic():
        note = Note.objects.create(
            organization_id=version.organization_id,
            project_id=version.project_id,
            session=session,
            version=version,
            frame_in=first,
            frame_out=last,
            text=clean_text,
            drawing=clean_drawing,
            author=actor,
        )
        mentions = _notify_mentions(actor, note, clean_text, None)
        audit_record(
            action="review_note.create",
            actor=actor,
            target=note,
            changes={"version": version.pk, "frames": [first, last], "mentions": mentions},
        )
        data = note_data(note)
        for session_id in _sessions_showing(version, session):
            _append_event(
                session_id=session_id,
                type="note.created",
                actor=actor,
                payload={"note": data, "mentions": mentions, "client_id": client_id},
            )
    return note


def note_update(
    *,
    actor: Any,
    role: str,
    note: Note,
    revision: Any,
    changes: dict[str, Any],
    client_id: str | None = None,
) -> Note:
    """Edit text, drawing, range or status. `revision` must be the note's current revision:
    two people editing the same note get a conflict, never a silent overwrite."""
    _require_role(role, NOTE_ROLES, "edit notes")
    if not isinstance(revision, int) or isinstance(revision, bool):
        raise ValidationFailed(
            "Name the revision you edited (optimistic locking).", field="revision"
        )
    allowed = {"text", "drawing", "status", "frame_in", "frame_out"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationFailed(f"Cannot change {sorted(unknown)}.", field=sorted(unknown)[0])
    with transaction.atomic():
        locked = Note.objects.select_for_update().select_related("version").get(pk=note.pk)
        if locked.revision != revision:
            raise Conflict(
                f"Someone else changed this note (now revision {locked.revision});"
                " reload it and apply your edit again.",
                field="revision",
            )
        if ("text" in changes or "drawing" in changes) and locked.author_id != actor.pk:
            raise Forbidden("Only the author edits a note's text and drawing.")
        before = note_data(locked)
        if "text" in changes:
            locked.text = _clean_text(changes["text"])
        if "drawing" in changes:
            locked.drawing = _clean_drawing(changes["drawing"])
        if "frame_in" in changes or "frame_out" in changes:
            locked.frame_in, locked.frame_out = _clean_range(
                changes.get("frame_in", locked.frame_in), changes.get("frame_out", locked.frame_out)
            )
        if "status" in changes:
            if changes["status"] not in NoteStatus.values:
                raise ValidationFailed("status is open or resolved.", field="status")
            locked.status = changes["status"]
        locked.revision += 1
        locked.save()
        mentions = _notify_mentions(actor, locked, locked.text, None) if "text" in changes else []
        audit_record(
            action="review_note.update",
            actor=actor,
            target=locked,
            changes={
                key: [before.get(key), note_data(locked).get(key)]
                for key in changes
                if key != "drawing"
            }
            | ({"drawing": "changed"} if "drawing" in changes else {}),
        )
        data = note_data(locked)
        for session_id in _sessions_showing(locked.version, locked.session):
            _append_event(
                session_id=session_id,
                type="note.updated",
                actor=actor,
                payload={"note": data, "mentions": mentions, "client_id": client_id},
            )
    return locked


def reply_create(
    *, actor: Any, role: str, note: Note, text: Any, client_id: str | None = None
) -> NoteReply:
    _require_role(role, NOTE_ROLES, "reply to notes")
    clean_text = _clean_text(text)
    with transaction.atomic():
        reply = NoteReply.objects.create(
            organization_id=note.organization_id,
            project_id=note.project_id,
            note=note,
            text=clean_text,
            author=actor,
        )
        mentions = _notify_mentions(actor, note, clean_text, reply)
        audit_record(
            action="review_reply.create",
            actor=actor,
            target=reply,
            changes={"note": note.pk, "mentions": mentions},
        )
        for session_id in _sessions_showing(note.version, note.session):
            _append_event(
                session_id=session_id,
                type="reply.created",
                actor=actor,
                payload={"reply": reply_data(reply), "mentions": mentions, "client_id": client_id},
            )
    return reply


# Decisions ------------------------------------------------------------------------------


def decision_create(
    *,
    actor: Any,
    role: str,
    version: Version,
    decision: Any,
    comment: Any = "",
    session: ReviewSession | None = None,
) -> Decision:
    """Approve or request changes. The version's status follows (production service)."""
    _require_role(role, DECISION_ROLES, "approve or request changes")
    if decision not in DecisionKind.values:
        raise ValidationFailed("decision is approved or changes_requested.", field="decision")
    clean_comment = _clean_text(comment or "", field="comment", allow_empty=True)
    if session is not None:
        _require_open(session)
        if not session.playlist.filter(version=version).exists():
            raise ValidationFailed("That version is not in this session.", field="version")
    with transaction.atomic():
        record = Decision.objects.create(
            organization_id=version.organization_id,
            project_id=version.project_id,
            version=version,
            session=session,
            decision=decision,
            comment=clean_comment,
            actor=actor,
        )
        status = (
            VersionStatus.APPROVED
            if decision == DecisionKind.APPROVED
            else VersionStatus.CHANGES_REQUESTED
        )
        _version_set_status_as_owner(actor=actor, version=version, status=status)
        audit_record(
            action="review_decision.create",
            actor=actor,
            target=record,
            changes={"version": version.pk, "decision": decision},
        )
        data = decision_data(record)
        for session_id in _sessions_showing(version, session):
            _append_event(
                session_id=session_id,
                type="decision.made",
                actor=actor,
                payload={"decision": data, "version_status": status},
            )
    return record


def _version_set_status_as_owner(*, actor: Any, version: Version, status: str) -> None:
    """The version row belongs to the partner. A studio reviewer reaches it through a
    share (already checked: the version is visible in the caller's scope), but
    TenantModel.save() does not recognise share_path="project" rows as shared (it compares
    the Project object with project ids), so the status write runs in the owner's scope."""
    scope = require_scope()
    if version.organization_id == scope.organization_id:
        version_set_status(actor=actor, version=version, status=status)
        return
    if version.project_id not in scope.shared_project_ids:
        raise Forbidden("This version is not shared with you.")
    with tenant_scope(version.organization_id, user_id=getattr(actor, "pk", None)):
        version_set_status(actor=actor, version=version, status=status)


# Websocket tickets ----------------------------------------------------------------------


def ticket_issue(*, actor: Any, session: ReviewSession) -> str:
    """A short-lived signed ticket for clients that cannot send the session cookie."""
    audit_record(action="review_session.ticket", actor=actor, target=session)
    return signing.dumps({"u": actor.pk, "s": session.pk}, salt=TICKET_SALT, compress=True)


def ticket_user_id(ticket: str, session_id: int) -> int | None:
    try:
        data = signing.loads(ticket, salt=TICKET_SALT, max_age=TICKET_SECONDS)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("s") != session_id:
        return None
    user_id = data.get("u")
    return user_id if isinstance(user_id, int) else None
