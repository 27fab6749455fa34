"""Reads of review data; always inside the caller's tenant scope. `access_*` give one 404
for missing and forbidden."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.db.models import Prefetch, QuerySet

from apps.core.errors import NotFound
from apps.core.timecode import frames_to_timecode, supports_drop_frame, timecode_to_frames
from apps.media.links import playable_proxy
from apps.media.models import MediaFile, MediaKind, MediaState
from apps.production.models import Version
from apps.production.selectors import access_version_by_id
from apps.review.models import (
    Decision,
    Note,
    NoteReply,
    Notification,
    Participant,
    PlaylistItem,
    ReviewEvent,
    ReviewSession,
    SessionState,
)
from apps.review.serializers import (
    decision_data,
    note_data,
    notes_lineage,
    presence_data,
    user_data,
)
from apps.tenancy.models import Membership, ProjectShare, Role
from apps.tenancy.scope import require_scope, tenant_scope
from apps.tenancy.selectors import memberships_of_user

# Partner roles that join every session of their own projects without an invitation.
PROJECT_TEAM_ROLES = frozenset({Role.OWNER, Role.PRODUCER, Role.ARTIST, Role.VIEWER})
MAX_REPLAY = 10_000


def sessions_of_project(project: Any) -> QuerySet[ReviewSession]:
    return ReviewSession.objects.filter(project=project).select_related("host", "presenter")


def may_join(user: Any, session: ReviewSession, membership: Membership) -> bool:
    """Inside the scope where `session` is visible: the host, invited participants, and
    members of the partner that owns the project."""
    if not user.is_active:
        return False
    if session.host_id == user.pk:
        return True
    if (
        membership.organization_id == session.organization_id
        and membership.role in PROJECT_TEAM_ROLES
    ):
        return True
    return Participant.objects.filter(session=session, user_id=user.pk).exists()


def access_session_by_id(user: Any, membership: Membership, session_id: int) -> ReviewSession:
    session = (
        ReviewSession.objects.select_related("project", "host", "presenter")
        .filter(pk=session_id)
        .first()
    )
    if session is None or not may_join(user, session, membership):
        raise NotFound("Review session not found.")
    return session


def membership_for_session(user: Any, session_id: int) -> Membership | None:
    """The membership through which a user may join a session (own partner, or the studio
    while the project is shared), or None. Opens its own scopes."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    for membership in memberships_of_user(user):
        with tenant_scope(membership.organization_id, user_id=user.pk):
            try:
                access_session_by_id(user, membership, session_id)
            except NotFound:
                continue
            return membership
    return None


def open_sessions_showing(version: Any, session: ReviewSession | None = None) -> list[int]:
    """The sessions a change on this version must reach live: every open session whose
    playlist has it, and `session` (where the change was made) in any case."""
    ids = set(
        PlaylistItem.objects.filter(version=version)
        .exclude(session__state=SessionState.ENDED)
        .values_list("session_id", flat=True)
    )
    if session is not None:
        ids.add(session.pk)
    return sorted(ids)


def access_session_version(session: ReviewSession, version_id: Any) -> Version:
    """A version of the session's playlist (what a room message may name)."""
    if (
        not isinstance(version_id, int)
        or not session.playlist.filter(version_id=version_id).exists()
    ):
        raise NotFound("Version not found in this session.")
    return access_version_by_id(version_id)


def access_session_note(session: ReviewSession, note_id: Any) -> Note:
    """A note on a version of the session's playlist."""
    if not isinstance(note_id, int):
        raise NotFound("Note not found.")
    note = access_note_by_id(note_id)
    if not session.playlist.filter(version_id=note.version_id).exists():
        raise NotFound("Note not found.")
    return note


def access_note_by_id(note_id: int) -> Note:
    note = Note.objects.select_related("version", "session", "author").filter(pk=note_id).first()
    if note is None:
        raise NotFound("Note not found.")
    return note


def notes_of_version(version: Any) -> QuerySet[Note]:
    return (
        Note.objects.filter(version=version)
        .select_related("author")
        .prefetch_related(Prefetch("replies", queryset=NoteReply.objects.select_related("author")))
        .order_by("frame_in", "pk")
    )


def notes_of_session_playlist(session: ReviewSession) -> QuerySet[Note]:
    versions = session.playlist.values_list("version_id", flat=True)
    return (
        Note.objects.filter(version_id__in=versions)
        .select_related("author")
        .prefetch_related(Prefetch("replies", queryset=NoteReply.objects.select_related("author")))
        .order_by("version_id", "frame_in", "pk")
    )


def decisions_of_version(version: Any) -> QuerySet[Decision]:
    return Decision.objects.filter(version=version).select_related("actor")


def events_after(session: ReviewSession, after: int, limit: int = MAX_REPLAY) -> list[ReviewEvent]:
    return list(ReviewEvent.objects.filter(session=session, seq__gt=after).order_by("seq")[:limit])


def note_created_seq(session: ReviewSession, note_id: int) -> int | None:
    """The sequence number of a note's `note.created` event in a room (for the ack of a
    retried `note.create`)."""
    return (
        ReviewEvent.objects.filter(session=session, type="note.created", payload__note__id=note_id)
        .values_list("seq", flat=True)
        .first()
    )


def notifications_of_user(user: Any) -> QuerySet[Notification]:
    require_scope()
    return Notification.objects.filter(user_id=user.pk).select_related("note")


def proxy_of_version(version_id: int, viewer: Any = None) -> MediaFile | None:
    """The proxy `viewer` plays in a room: the shared one, or on projects that watermark
    reviews their own copy (`media.links.playable_proxy`). Without a viewer (listings
    that carry no link): the shared proxy. Never another viewer's copy."""
    if viewer is not None:
        version = Version.objects.select_related("project").filter(pk=version_id).first()
        return playable_proxy(version=version, viewer=viewer) if version else None
    return (
        MediaFile.objects.filter(
            version_id=version_id,
            kind=MediaKind.PROXY,
            state=MediaState.READY,
            viewer__isnull=True,
        )
        .order_by("-created_at", "-pk")
        .first()
    )


@dataclass(frozen=True)
class RateInfo:
    rate: Fraction
    drop_frame: bool
    start_frame: int


def project_rate(project: Any) -> RateInfo:
    rate: Fraction = project.frame_rate
    drop = supports_drop_frame(rate) and ";" in (project.start_timecode or "")
    try:
        start = timecode_to_frames(project.start_timecode, rate, drop_frame=drop)
    except ValueError:
        start = 0
    return RateInfo(rate=rate, drop_frame=drop, start_frame=start)


def playlist_data(
    session: ReviewSession, media_link: Any | None = None, viewer: Any = None
) -> list[dict[str, Any]]:
    """The playlist with each version's proxy as `viewer` plays it (a fresh short-lived
    link when `media_link` is given: a callable media_id -> url)."""
    info = project_rate(session.project)
    items = []
    for item in PlaylistItem.objects.filter(session=session).select_related(
        "version", "version__shot"
    ):
        version = item.version
        proxy = proxy_of_version(version.pk, viewer)
        frames = (proxy.frame_count if proxy else None) or version.shot.frame_count
        items.append(
            {
                "position": item.position,
                "version": version.pk,
                "label": f"{version.shot.code} {version.label}",
                "shot": version.shot.code,
                "status": version.status,
                "frame_count": frames,
                "media": (
                    {
                        "id": proxy.pk,
                        "url": media_link(proxy.pk) if media_link else None,
                        "width": proxy.width,
                        "height": proxy.height,
                    }
                    if proxy
                    else None
                ),
                "start_timecode": frames_to_timecode(
                    info.start_frame, info.rate, drop_frame=info.drop_frame
                ),
            }
        )
    return items


def session_data(session: ReviewSession) -> dict[str, Any]:
    info = project_rate(session.project)
    return {
        "id": session.pk,
        "title": session.title,
        "project": session.project_id,
        "state": session.state,
        "host": user_data(session.host),
        "presenter": user_data(session.presenter) if session.presenter else None,
        "seq": session.last_seq,
        "frame_rate": {"num": info.rate.numerator, "den": info.rate.denominator},
        "drop_frame": info.drop_frame,
        "start_frame": info.start_frame,
        "created_at": session.created_at.isoformat(),
    }


def session_snapshot(
    session: ReviewSession, media_link: Any | None = None, viewer: Any = None
) -> dict[str, Any]:
    """Everything a late joiner (`viewer`) needs at once: the current state as of `seq`."""
    session.refresh_from_db()
    notes = list(notes_of_session_playlist(session))
    lineage = notes_lineage(notes)
    return {
        "session": session_data(session),
        "seq": session.last_seq,
        "playback": session.playback,
        "playlist": playlist_data(session, media_link, viewer),
        "presence": presence_data(session),
        "participants": [user_data(p.user) for p in session.participants.select_related("user")],
        "notes": [note_data(n, replies=True, lineage=lineage) for n in notes],
        "decisions": [
            decision_data(d)
            for d in Decision.objects.filter(
                version_id__in=session.playlist.values_list("version_id", flat=True)
            ).select_related("actor")
        ],
    }


# Preparing sessions from the pages --------------------------------------------------------


def invitable_users(session: ReviewSession) -> list[Any]:
    """Who may be invited to a session: the active members of the partner that owns the
    project and, while the project is shared with the studio, the studio's reviewers."""
    return invitable_users_of_project(session.project)


def invitable_users_of_project(project: Any) -> list[Any]:
    """The people who may see `project` and so may be invited to its sessions (see
    `invitable_users`). Anyone else is refused with the same error as an unknown id."""
    users = [
        m.user
        for m in Membership.objects.select_related("user").filter(
            organization_id=project.organization_id
        )
    ]
    shares = list(ProjectShare.objects.filter(project_id=project.pk, revoked_at__isnull=True))
    for share in shares:
        # The share is the partner's consent to work with the studio: its reviewers are
        # read from the studio's own scope, and only their names and emails are shown.
        with tenant_scope(share.grantee_id):
            users += [
                m.user
                for m in Membership.objects.select_related("user").filter(
                    organization_id=share.grantee_id, role=Role.REVIEWER
                )
            ]
    unique = {u.pk: u for u in users if u.is_active}
    return sorted(unique.values(), key=lambda u: (u.display_name or u.email).lower())


def project_is_shared(project: Any) -> bool:
    return ProjectShare.objects.filter(project=project, revoked_at__isnull=True).exists()


def latest_versions_of_shots(project: Any, shot_ids: list[int]) -> list[Version]:
    """The newest version of each shot (in the order the shots were given), skipping shots
    that have none."""
    latest: dict[int, Version] = {}
    for version in Version.objects.filter(project=project, shot_id__in=shot_ids).order_by(
        "shot_id", "number"
    ):
        latest[version.shot_id] = version
    return [latest[s] for s in shot_ids if s in latest]


def open_sessions_of_project(project: Any) -> QuerySet[ReviewSession]:
    return (
        ReviewSession.objects.filter(project=project)
        .exclude(state=SessionState.ENDED)
        .order_by("-created_at")
    )


def sessions_open_to(user: Any, membership: Membership, limit: int = 8) -> list[ReviewSession]:
    """Live and scheduled sessions this person may join: live first, then by schedule."""
    candidates = (
        ReviewSession.objects.exclude(state=SessionState.ENDED)
        .select_related("project", "host")
        # "live" sorts before "scheduled".
        .order_by("state", "scheduled_for", "-created_at")[: limit * 4]
    )
    return [s for s in candidates if may_join(user, s, membership)][:limit]
