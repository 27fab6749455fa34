"""Writes of notes (text and drawings on a frame range), their replies and the mention
notifications they raise.

A note belongs to a version, not to a room: every open session showing that version
receives it live, through each session's numbered event log. `actor` is the acting
user's Membership in the current scope.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from apps.audit.services import audit_record
from apps.beta.selectors import require_feature
from apps.core.errors import Conflict, Forbidden
from apps.media.selectors import version_frame_count
from apps.production.models import Version
from apps.review import protocol
from apps.review.events import event_append_to_sessions_showing
from apps.review.inbox import inbox_mentions, inbox_reply
from apps.review.models import Note, NoteReply, Notification, Participant, ReviewSession
from apps.review.selectors import open_sessions_showing
from apps.review.serializers import note_data, reply_data
from apps.review.sessions import REVIEW_FEATURE, require_version_in_open_session
from apps.tenancy.models import Membership
from apps.tenancy.policy import Capability, require
from apps.tenancy.scope import require_scope


def note_create(
    *,
    actor: Membership,
    version: Version,
    frame_in: Any,
    frame_out: Any = None,
    text: Any,
    drawing: Any = None,
    session: ReviewSession | None = None,
    client_id: str | None = None,
) -> Note:
    """A note in a room carries the client's `client_id`: sending the same message again
    (same author, session and client_id, e.g. after a reconnect) returns the note the first
    one made, and makes no second note (`note_client_id_once` in the database)."""
    require(actor, Capability.REVIEW_NOTE)
    require_feature(version.organization_id, REVIEW_FEATURE)
    user = actor.user
    key = (client_id or "")[:100] if session is not None else ""
    if key:
        existing = _note_by_client_id(session, user, key)
        if existing is not None:
            return existing
    first, last = protocol.clean_range(
        frame_in, frame_out, frame_count=version_frame_count(version)
    )
    clean_text = protocol.clean_text(text)
    clean_drawing = protocol.clean_drawing(drawing)
    require_version_in_open_session(session, version)
    try:
        return _note_insert(
            user=user,
            version=version,
            session=session,
            frames=(first, last),
            text=clean_text,
            drawing=clean_drawing,
            client_id=client_id,
            key=key,
        )
    except IntegrityError:
        # The same message raced itself (two sockets of one client): the first one won.
        found = _note_by_client_id(session, user, key) if key else None
        if found is None:
            raise
        return found


def _note_by_client_id(session: ReviewSession | None, user: Any, key: str) -> Note | None:
    return Note.objects.filter(session=session, author_id=user.pk, client_id=key).first()


def _note_insert(
    *,
    user: Any,
    version: Version,
    session: ReviewSession | None,
    frames: tuple[int, int],
    text: str,
    drawing: Any,
    client_id: str | None,
    key: str,
) -> Note:
    first, last = frames
    clean_text, clean_drawing = text, drawing
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
            author=user,
            client_id=key,
        )
        mentions = _notify_mentions(user, note, clean_text, None)
        audit_record(
            action="review_note.create",
            actor=user,
            target=note,
            changes={"version": version.pk, "frames": [first, last], "mentions": mentions},
        )
        data = note_data(note)
        event_append_to_sessions_showing(
            version=version,
            session=session,
            type="note.created",
            user=user,
            payload={"note": data, "mentions": mentions, "client_id": client_id},
        )
    return note


def note_update(
    *,
    actor: Membership,
    note: Note,
    revision: Any,
    changes: dict[str, Any],
    client_id: str | None = None,
) -> Note:
    """Edit text, drawing, range or status. `revision` must be the note's current revision:
    two people editing the same note get a conflict, never a silent overwrite."""
    require(actor, Capability.REVIEW_NOTE)
    require_feature(note.organization_id, REVIEW_FEATURE)
    revision = protocol.clean_revision(revision)
    changes = protocol.clean_note_changes(changes)
    user = actor.user
    with transaction.atomic():
        locked = Note.objects.select_for_update().select_related("version").get(pk=note.pk)
        if locked.revision != revision:
            raise Conflict(
                f"Someone else changed this note (now revision {locked.revision});"
                " reload it and apply your edit again.",
                field="revision",
            )
        if ("text" in changes or "drawing" in changes) and locked.author_id != user.pk:
            raise Forbidden("Only the author edits a note's text and drawing.")
        before = note_data(locked)
        if "text" in changes:
            locked.text = protocol.clean_text(changes["text"])
        if "drawing" in changes:
            locked.drawing = protocol.clean_drawing(changes["drawing"])
        if "frame_in" in changes or "frame_out" in changes:
            locked.frame_in, locked.frame_out = protocol.clean_range(
                changes.get("frame_in", locked.frame_in),
                changes.get("frame_out", locked.frame_out),
                frame_count=version_frame_count(locked.version),
            )
        if "status" in changes:
            locked.status = protocol.clean_note_status(changes["status"])
        locked.revision += 1
        locked.save()
        mentions = _notify_mentions(user, locked, locked.text, None) if "text" in changes else []
        audit_record(
            action="review_note.update",
            actor=user,
            target=locked,
            changes={
                key: [before.get(key), note_data(locked).get(key)]
                for key in changes
                if key != "drawing"
            }
            | ({"drawing": "changed"} if "drawing" in changes else {}),
        )
        data = note_data(locked)
        event_append_to_sessions_showing(
            version=locked.version,
            session=locked.session,
            type="note.updated",
            user=user,
            payload={"note": data, "mentions": mentions, "client_id": client_id},
        )
    return locked


def reply_create(
    *, actor: Membership, note: Note, text: Any, client_id: str | None = None
) -> NoteReply:
    require(actor, Capability.REVIEW_CONTRIBUTE)
    require_feature(note.organization_id, REVIEW_FEATURE)
    clean_text = protocol.clean_text(text)
    user = actor.user
    with transaction.atomic():
        reply = NoteReply.objects.create(
            organization_id=note.organization_id,
            project_id=note.project_id,
            note=note,
            text=clean_text,
            author=user,
        )
        mentions = _notify_mentions(user, note, clean_text, reply)
        inbox_reply(author=user, note=note, text=clean_text, already_told=mentions)
        audit_record(
            action="review_reply.create",
            actor=user,
            target=reply,
            changes={"note": note.pk, "mentions": mentions},
        )
        event_append_to_sessions_showing(
            version=note.version,
            session=note.session,
            type="reply.created",
            user=user,
            payload={"reply": reply_data(reply), "mentions": mentions, "client_id": client_id},
        )
    return reply


# Mentions -------------------------------------------------------------------------------


def _mentioned_users(text: str, note: Note) -> list[Any]:
    """Active users named in `text` who can see the note: participants and hosts of the
    sessions showing it, and members of the current organization."""
    handles = protocol.mention_handles(text)
    if not handles:
        return []
    candidates: set[int] = set()
    sessions = open_sessions_showing(note.version, note.session)
    candidates.update(
        Participant.objects.filter(session_id__in=sessions).values_list("user_id", flat=True)
    )
    candidates.update(
        ReviewSession.objects.filter(pk__in=sessions).values_list("host_id", flat=True)
    )
    scope = require_scope()
    candidates.update(
        Membership.objects.filter(organization_id=scope.organization_id).values_list(
            "user_id", flat=True
        )
    )
    found = []
    for person in get_user_model().objects.filter(pk__in=candidates, is_active=True):
        email = person.email.lower()
        if email in handles or email.split("@")[0] in handles:
            found.append(person)
    return found


def _notify_mentions(user: Any, note: Note, text: str, reply: NoteReply | None) -> list[int]:
    people = [u for u in _mentioned_users(text, note) if u.pk != user.pk]
    for person in people:
        Notification.objects.create(
            organization_id=note.organization_id,
            project_id=note.project_id,
            user=person,
            note=note,
            reply=reply,
            text=f"{user} mentioned you: {text[:200]}",
        )
    inbox_mentions(author=user, note=note, text=text, people=people)
    return [p.pk for p in people]
