"""Writes that prepare a review session from the pages: its playlist (add, remove, reorder),
its title and schedule, and its invitations.

Who may: the host, or a member of the partner that owns the project whose role may run
sessions (`Capability.REVIEW_RUN_SESSION`). Every change is audited and appended to the
session's numbered event log, so an open room hears of it live (`playlist.changed`,
`session.updated`). `actor` is always the acting user's Membership in the current scope.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction

from apps.audit.services import audit_record
from apps.core.errors import Forbidden, ValidationFailed
from apps.production.models import Version
from apps.review import protocol
from apps.review.events import event_append
from apps.review.models import Participant, PlaylistItem, ReviewSession
from apps.review.serializers import user_data
from apps.review.sessions import participants_allowed, require_session_open
from apps.tenancy.models import Membership
from apps.tenancy.policy import Capability, can

MAX_PLAYLIST = 200


def may_manage(actor: Membership | None, session: ReviewSession) -> bool:
    """The host, or a partner member who may run sessions on the partner's own project."""
    if actor is None or not can(actor, Capability.REVIEW_RUN_SESSION):
        return False
    return actor.user_id == session.host_id or actor.organization_id == session.organization_id


def _require_manager(actor: Membership, session: ReviewSession) -> None:
    if not may_manage(actor, session):
        raise Forbidden("Only the host or the project's producers can change this session.")
    require_session_open(session)


def _playlist_changed(
    *, actor: Membership, session: ReviewSession, changes: dict[str, Any]
) -> None:
    ids = list(
        PlaylistItem.objects.filter(session=session)
        .order_by("position")
        .values_list("version_id", flat=True)
    )
    audit_record(
        action="review_session.playlist",
        actor=actor.user,
        target=session,
        changes={**changes, "playlist": ids},
    )
    event_append(
        session_id=session.pk,
        type="playlist.changed",
        user=actor.user,
        payload={"versions": ids},
    )


def _renumber(session: ReviewSession, ordered_ids: list[int]) -> None:
    """Positions 0..n-1 in the given order (two passes: positions are unique)."""
    items = {i.version_id: i for i in PlaylistItem.objects.filter(session=session)}
    offset = len(items) + MAX_PLAYLIST
    for position, version_id in enumerate(ordered_ids):
        items[version_id].position = position + offset
        items[version_id].save(update_fields=["position"])
    for position, version_id in enumerate(ordered_ids):
        items[version_id].position = position
        items[version_id].save(update_fields=["position"])


def _current_ids(session: ReviewSession) -> list[int]:
    return list(
        PlaylistItem.objects.filter(session=session)
        .order_by("position")
        .values_list("version_id", flat=True)
    )


def playlist_add(
    *, actor: Membership, session: ReviewSession, version_ids: Iterable[int]
) -> list[int]:
    """Append versions of the session's project (those already there are kept in place).
    Returns the ids actually added."""
    _require_manager(actor, session)
    try:
        wanted = list(dict.fromkeys(int(v) for v in version_ids))
    except (TypeError, ValueError) as error:
        raise ValidationFailed("Versions are given by their ids.", field="versions") from error
    if not wanted:
        raise ValidationFailed("Choose at least one version to add.", field="versions")
    found = set(
        Version.objects.filter(project_id=session.project_id, pk__in=wanted).values_list(
            "pk", flat=True
        )
    )
    missing = [v for v in wanted if v not in found]
    if missing:
        raise ValidationFailed("That version is not in this session's project.", field="versions")
    with transaction.atomic():
        ReviewSession.objects.select_for_update().get(pk=session.pk)
        current = _current_ids(session)
        added = [v for v in wanted if v not in current]
        if len(current) + len(added) > MAX_PLAYLIST:
            raise ValidationFailed(
                f"A playlist holds at most {MAX_PLAYLIST} versions.", field="versions"
            )
        for offset, version_id in enumerate(added):
            PlaylistItem.objects.create(
                organization_id=session.organization_id,
                project_id=session.project_id,
                session=session,
                version_id=version_id,
                position=len(current) + offset,
            )
        if added:
            _playlist_changed(actor=actor, session=session, changes={"added": added})
    return added


def playlist_remove(*, actor: Membership, session: ReviewSession, version_id: int) -> None:
    """Take a version off the playlist; the last one cannot go. If it was on screen, the
    room moves to the first remaining version."""
    _require_manager(actor, session)
    with transaction.atomic():
        locked = ReviewSession.objects.select_for_update().get(pk=session.pk)
        current = _current_ids(locked)
        if version_id not in current:
            raise ValidationFailed("That version is not on the playlist.", field="version")
        if len(current) == 1:
            raise ValidationFailed(
                "A session needs at least one version: add another before removing this one.",
                field="version",
            )
        PlaylistItem.objects.filter(session=locked, version_id=version_id).delete()
        remaining = [v for v in current if v != version_id]
        _renumber(locked, remaining)
        playback = locked.playback or {}
        compare = playback.get("compare") or {}
        if playback.get("version") == version_id or compare.get("version") == version_id:
            locked.playback = protocol.initial_playback(remaining[0])
            locked.save(update_fields=["playback"])
            event_append(
                session_id=locked.pk,
                type="playback.seek",
                user=actor.user,
                payload={"playback": locked.playback},
            )
        _playlist_changed(actor=actor, session=locked, changes={"removed": version_id})


def playlist_move(
    *, actor: Membership, session: ReviewSession, version_id: int, position: int
) -> None:
    """Move a version to a 0-based position (clamped to the playlist)."""
    _require_manager(actor, session)
    with transaction.atomic():
        locked = ReviewSession.objects.select_for_update().get(pk=session.pk)
        current = _current_ids(locked)
        if version_id not in current:
            raise ValidationFailed("That version is not on the playlist.", field="version")
        target = max(0, min(int(position), len(current) - 1))
        if current.index(version_id) == target:
            return
        ordered = [v for v in current if v != version_id]
        ordered.insert(target, version_id)
        _renumber(locked, ordered)
        _playlist_changed(
            actor=actor, session=locked, changes={"moved": version_id, "position": target}
        )


def session_update(
    *, actor: Membership, session: ReviewSession, title: str, scheduled_for: datetime | None
) -> ReviewSession:
    """Rename and (re)schedule a session. `scheduled_for` is an aware datetime or None."""
    _require_manager(actor, session)
    title = protocol.clean_title(title)
    if scheduled_for is not None and scheduled_for.tzinfo is None:
        raise ValidationFailed("The schedule needs a time zone.", field="scheduled_for")
    with transaction.atomic():
        locked = ReviewSession.objects.select_for_update().get(pk=session.pk)
        before = {"title": locked.title, "scheduled_for": locked.scheduled_for}
        locked.title = title
        locked.scheduled_for = scheduled_for
        locked.save(update_fields=["title", "scheduled_for"])
        audit_record(
            action="review_session.update",
            actor=actor.user,
            target=locked,
            changes={
                "title": [before["title"], title],
                "scheduled_for": [
                    before["scheduled_for"].isoformat() if before["scheduled_for"] else None,
                    scheduled_for.isoformat() if scheduled_for else None,
                ],
            },
        )
        event_append(
            session_id=locked.pk,
            type="session.updated",
            user=actor.user,
            payload={
                "title": title,
                "scheduled_for": scheduled_for.isoformat() if scheduled_for else None,
            },
        )
    session.refresh_from_db()
    return session


def participants_invite(
    *, actor: Membership, session: ReviewSession, user_ids: Iterable[int]
) -> list[Any]:
    """Invite people: members of the partner that owns the project and, while the project
    is shared with the studio, its reviewers. Returns the newly invited users."""
    _require_manager(actor, session)
    user_ids = list(user_ids)
    if not user_ids:
        raise ValidationFailed("Choose at least one person to invite.", field="participants")
    allowed = {u.pk: u for u in participants_allowed(session.project, user_ids)}
    wanted = set(allowed)
    invited = []
    with transaction.atomic():
        present = set(Participant.objects.filter(session=session).values_list("user_id", flat=True))
        for user_id in sorted(wanted - present):
            user = allowed[user_id]
            Participant.objects.create(
                organization_id=session.organization_id,
                project_id=session.project_id,
                session=session,
                user=user,
                invited_by=actor.user,
            )
            invited.append(user)
        if invited:
            audit_record(
                action="review_session.invite",
                actor=actor.user,
                target=session,
                changes={"users": [u.pk for u in invited]},
            )
            event_append(
                session_id=session.pk,
                type="participants.invited",
                user=actor.user,
                payload={"users": [user_data(u) for u in invited]},
            )
    return invited
