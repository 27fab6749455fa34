"""Writes of a review session itself: creation and playlist, participants, state, presence,
presenter-driven playback, control hand-over and websocket tickets.

Every state change goes through the session's numbered event log (`review.events`).
Presence and playback changes are recorded (actor, time, sequence) in that append-only
log rather than in the audit log, so scrubbing does not flood it; every other write is
audited as well. `actor` is always the acting user's Membership in the current scope.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from typing import Any

from django.core import signing
from django.db import transaction
from django.utils import timezone

from apps.audit.services import audit_record
from apps.beta.selectors import require_feature
from apps.core.access import access_stamp
from apps.core.errors import Conflict, Forbidden, ValidationFailed
from apps.production.models import Project, Version
from apps.review import protocol
from apps.review.events import event_append
from apps.review.models import (
    CompareMode,
    Participant,
    PlaylistItem,
    Presence,
    ReviewSession,
    SessionState,
)
from apps.review.selectors import invitable_users_of_project
from apps.review.serializers import presence_data, user_data
from apps.tenancy.models import Membership
from apps.tenancy.policy import Capability, require

TICKET_SALT = "backlot.review.ticket"
# The beta feature every review write checks (sessions, notes, replies, decisions), on the
# partner that owns the project, whichever surface (page, API, room) the write comes from.
REVIEW_FEATURE = "review.live"
TICKET_SECONDS = 60


def require_session_open(session: ReviewSession) -> None:
    if session.state == SessionState.ENDED:
        raise Conflict("This review session has ended.")


def require_version_in_open_session(session: ReviewSession | None, version: Any) -> None:
    """Notes and decisions made in a room must be about a version on its playlist."""
    if session is None:
        return
    require_session_open(session)
    if not session.playlist.filter(version=version).exists():
        raise ValidationFailed("That version is not in this session.", field="version")


# Sessions -------------------------------------------------------------------------------

NOT_INVITABLE = (
    "Only the partner's team and, for a shared project, studio reviewers can be invited."
)


def participants_allowed(project: Project, user_ids: Iterable[Any]) -> list[Any]:
    """The users behind `user_ids`, all of whom may see `project`. An unknown id and the id
    of someone outside the project get the same error, naming nobody, so the field is
    neither an existence oracle nor a way to read other people's names."""
    try:
        wanted = {int(u) for u in user_ids}
    except (TypeError, ValueError) as error:
        raise ValidationFailed("People are given by their ids.", field="participants") from error
    allowed = {u.pk: u for u in invitable_users_of_project(project)}
    if not wanted <= set(allowed):
        raise ValidationFailed(NOT_INVITABLE, field="participants")
    return [allowed[u] for u in sorted(wanted)]


def session_create(
    *,
    actor: Membership,
    project: Project,
    title: str,
    version_ids: Iterable[int],
    participant_ids: Iterable[int] = (),
    scheduled_for: Any = None,
) -> ReviewSession:
    require(actor, Capability.REVIEW_RUN_SESSION)
    require_feature(project.organization_id, REVIEW_FEATURE)
    title = protocol.clean_title(title)
    ids = list(dict.fromkeys(int(v) for v in version_ids))
    if not ids:
        raise ValidationFailed("Add at least one version to the playlist.", field="versions")
    versions = {v.pk: v for v in Version.objects.filter(project=project, pk__in=ids)}
    missing = [v for v in ids if v not in versions]
    if missing:
        raise ValidationFailed(f"Versions {missing} are not in {project.name}.", field="versions")
    people = participants_allowed(project, participant_ids)
    user = actor.user
    with transaction.atomic():
        session = ReviewSession.objects.create(
            organization_id=project.organization_id,
            project=project,
            title=title,
            host=user,
            presenter=user,
            scheduled_for=scheduled_for,
            playback=protocol.initial_playback(versions[ids[0]].pk),
        )
        for position, version_id in enumerate(ids):
            PlaylistItem.objects.create(
                organization_id=project.organization_id,
                project=project,
                session=session,
                version_id=version_id,
                position=position,
            )
        for person in {user, *people}:
            Participant.objects.create(
                organization_id=project.organization_id,
                project=project,
                session=session,
                user=person,
                invited_by=user,
            )
        audit_record(
            action="review_session.create",
            actor=user,
            target=session,
            changes={"versions": ids, "participants": sorted(p.pk for p in people)},
        )
        event_append(
            session_id=session.pk,
            type="session.created",
            user=user,
            payload={"title": title, "versions": ids},
        )
    session.refresh_from_db()
    return session


def session_set_state(*, actor: Membership, session: ReviewSession, state: str) -> ReviewSession:
    state = protocol.clean_session_state(state)
    if actor.user_id != session.host_id:
        raise Forbidden("Only the host starts and ends the session.")
    require_session_open(session)
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
            actor=actor.user,
            target=locked,
            changes={"state": [previous, state]},
        )
        event_append(
            session_id=session.pk,
            type="session.state",
            user=actor.user,
            payload={"state": state},
        )
    session.refresh_from_db()
    return session


# Presence -------------------------------------------------------------------------------


def presence_join(*, actor: Membership, session: ReviewSession, channel_name: str) -> int:
    user = actor.user
    with transaction.atomic():
        Presence.objects.create(
            organization_id=session.organization_id,
            project_id=session.project_id,
            session=session,
            user=user,
            channel_name=channel_name,
        )
        _, event = event_append(
            session_id=session.pk,
            type="presence.joined",
            user=user,
            payload={"user": user_data(user), "presence": presence_data(session)},
        )
    return event.seq


def presence_leave(*, actor: Membership, session_id: int, channel_name: str) -> None:
    user = actor.user
    with transaction.atomic():
        deleted, _ = Presence.objects.filter(channel_name=channel_name).delete()
        if not deleted:
            return
        session = ReviewSession.objects.get(pk=session_id)
        event_append(
            session_id=session_id,
            type="presence.left",
            user=user,
            payload={"user": user_data(user), "presence": presence_data(session)},
        )


# Playback and control -------------------------------------------------------------------


def playback_update(*, actor: Membership, session_id: int, changes: dict[str, Any]) -> None:
    """The presenter drives playback; everybody else follows."""
    with transaction.atomic():
        session = ReviewSession.objects.select_for_update().get(pk=session_id)
        require_session_open(session)
        if session.presenter_id != actor.user_id:
            raise Forbidden("Only the presenter drives playback. Request control first.")
        before = session.playback
        playlist = set(session.playlist.values_list("version_id", flat=True))
        state = protocol.clean_playback(before, changes, playlist)
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
        event_append(session_id=session_id, type=kind, user=actor.user, payload={"playback": state})


def control_request(*, actor: Membership, session_id: int) -> None:
    user = actor.user
    with transaction.atomic():
        session = ReviewSession.objects.get(pk=session_id)
        require_session_open(session)
        if session.presenter_id == user.pk:
            raise Conflict("You already have control.")
        audit_record(action="review_session.control_request", actor=user, target=session)
        event_append(
            session_id=session_id,
            type="control.requested",
            user=user,
            payload={"user": user_data(user)},
        )


def control_grant(*, actor: Membership, session_id: int, user_id: int) -> None:
    """The presenter (or the host) hands control to a participant who is in the room."""
    with transaction.atomic():
        session = ReviewSession.objects.select_for_update().get(pk=session_id)
        require_session_open(session)
        if actor.user_id not in (session.presenter_id, session.host_id):
            raise Forbidden("Only the presenter or the host can hand over control.")
        presence = Presence.objects.filter(session=session, user_id=user_id).select_related("user")
        target = presence.first()
        if target is None:
            raise ValidationFailed("That person is not in the room.", field="user")
        _set_presenter(actor=actor, session=session, user=target.user, how="granted")


def control_take(*, actor: Membership, session_id: int) -> None:
    """The host takes control back at any time."""
    with transaction.atomic():
        session = ReviewSession.objects.select_for_update().get(pk=session_id)
        require_session_open(session)
        if actor.user_id != session.host_id:
            raise Forbidden("Only the host can take control back.")
        _set_presenter(actor=actor, session=session, user=actor.user, how="taken")


def _set_presenter(*, actor: Membership, session: ReviewSession, user: Any, how: str) -> None:
    previous = session.presenter_id
    session.presenter = user
    session.save(update_fields=["presenter"])
    audit_record(
        action=f"review_session.control_{how}",
        actor=actor.user,
        target=session,
        changes={"presenter": [previous, user.pk]},
    )
    event_append(
        session_id=session.pk,
        type="control.changed",
        user=actor.user,
        payload={"presenter": user_data(user), "how": how},
    )


# Websocket tickets ----------------------------------------------------------------------


def ticket_issue(*, actor: Membership, session: ReviewSession) -> str:
    """A short-lived signed ticket for clients that cannot send the session cookie. It is
    bound to the user's current access (`access_stamp`): any change of the user's,
    the organization's or the project's access (role, membership, suspension, share,
    logout) makes it worthless."""
    audit_record(action="review_session.ticket", actor=actor.user, target=session)
    stamp = access_stamp(
        user_id=actor.user_id,
        organization_id=actor.organization_id,
        project_id=session.project_id,
    )
    return signing.dumps(
        {
            "u": actor.user_id,
            "s": session.pk,
            "o": actor.organization_id,
            "p": session.project_id,
            "a": stamp,
        },
        salt=TICKET_SALT,
        compress=True,
    )


def ticket_user_id(ticket: str, session_id: int) -> int | None:
    try:
        data = signing.loads(ticket, salt=TICKET_SALT, max_age=TICKET_SECONDS)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("s") != session_id:
        return None
    user_id, organization_id, project_id = data.get("u"), data.get("o"), data.get("p")
    if not (
        isinstance(user_id, int)
        and isinstance(organization_id, int)
        and isinstance(project_id, int)
    ):
        return None
    try:
        stamp = access_stamp(
            user_id=user_id, organization_id=organization_id, project_id=project_id
        )
    except Exception:  # no epochs to compare with: refuse rather than trust
        return None
    if not isinstance(data.get("a"), str) or not hmac.compare_digest(data["a"], stamp):
        return None
    return user_id


# Re-runs ----------------------------------------------------------------------------------


def playlist_place_beside(
    *, anchor: Version, version: Version, user: Any | None = None
) -> list[int]:
    """A re-run's result joins every open session that shows `anchor` (its parent
    version), right after it in the playlist. A system write (render intake): audited and
    sent to the rooms as `playlist.changed`, with the pair to compare. A room that was on
    the parent switches to the result, at the same frame, side by side with the parent
    (`_show_beside`). Returns the ids of the sessions it joined."""
    joined: list[int] = []
    session_ids = (
        PlaylistItem.objects.filter(version=anchor)
        .exclude(session__state=SessionState.ENDED)
        .values_list("session_id", flat=True)
    )
    for session_id in sorted(set(session_ids)):
        with transaction.atomic():
            session = ReviewSession.objects.select_for_update().get(pk=session_id)
            ordered = list(
                PlaylistItem.objects.filter(session=session)
                .order_by("position")
                .values_list("version_id", flat=True)
            )
            if version.pk in ordered or anchor.pk not in ordered:
                continue
            ordered.insert(ordered.index(anchor.pk) + 1, version.pk)
            items = {i.version_id: i for i in PlaylistItem.objects.filter(session=session)}
            offset = len(ordered) + 1000  # two passes: positions are unique per session
            for position, version_id in enumerate(ordered):
                if version_id in items:
                    items[version_id].position = position + offset
                    items[version_id].save(update_fields=["position"])
            for position, version_id in enumerate(ordered):
                if version_id in items:
                    items[version_id].position = position
                    items[version_id].save(update_fields=["position"])
                else:
                    PlaylistItem.objects.create(
                        organization_id=session.organization_id,
                        project_id=session.project_id,
                        session=session,
                        version=version,
                        position=position,
                    )
            audit_record(
                action="review_session.playlist",
                actor=user,
                target=session,
                changes={"added": [version.pk], "beside": anchor.pk, "playlist": ordered},
            )
            event_append(
                session_id=session.pk,
                type="playlist.changed",
                user=user,
                payload={"versions": ordered, "added": version.pk, "compare_with": anchor.pk},
            )
            _show_beside(session=session, anchor=anchor, version=version, user=user)
        joined.append(session_id)
    return joined


def _show_beside(*, session: ReviewSession, anchor: Version, version: Version, user: Any) -> None:
    """The room on `anchor` (or on nothing yet) moves to `version` at the same frame,
    paused, compared side by side with `anchor`; a room showing another version stays
    where the presenter put it (the new version waits on the playlist)."""
    before = dict(session.playback or {})
    if before and before.get("version") != anchor.pk:
        return
    state = {**protocol.initial_playback(version.pk), **before}
    state.update(
        version=version.pk,
        playing=False,
        loop=None,
        compare={"mode": CompareMode.SIDE_BY_SIDE, "version": anchor.pk, "wipe": 0.5},
    )
    session.playback = state
    session.save(update_fields=["playback"])
    event_append(
        session_id=session.pk, type="playback.seek", user=user, payload={"playback": state}
    )
