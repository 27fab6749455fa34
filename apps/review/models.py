"""Review sessions: playlist, participants, the numbered event log, notes, drawings,
replies, decisions and mention notifications. Every table belongs to a project
(`share_path = "project"`), so studio reviewers see and write it while the project is
shared."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import CheckConstraint, F, Q
from django.db.models.functions import Now
from django.utils import timezone

from apps.core import ids
from apps.tenancy.models import TenantModel


class SessionState(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    LIVE = "live", "Live"
    ENDED = "ended", "Ended"


class CompareMode(models.TextChoices):
    OFF = "off", "Single"
    SIDE_BY_SIDE = "side_by_side", "Side by side"
    WIPE = "wipe", "Wipe"


def default_playback() -> dict[str, object]:
    return {}


class ReviewSession(TenantModel):
    """A live room over a playlist of versions. `last_seq` numbers every state change;
    `playback` is the presenter-driven state a late joiner receives at once."""

    project = models.ForeignKey(
        "production.Project", on_delete=models.CASCADE, related_name="review_sessions"
    )
    title = models.CharField(max_length=200)
    host = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    presenter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    state = models.CharField(
        max_length=12, choices=SessionState.choices, default=SessionState.SCHEDULED
    )
    last_seq = models.BigIntegerField(default=0)
    playback = models.JSONField(default=default_playback)
    scheduled_for = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The one address of the session for every participant (`/r/<public_id>/`).
    public_id = models.CharField(max_length=32, unique=True, default=ids.public_id, editable=False)

    share_path: ClassVar[str | None] = "project"

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.title


class PlaylistItem(TenantModel):
    project = models.ForeignKey("production.Project", on_delete=models.CASCADE, related_name="+")
    session = models.ForeignKey(ReviewSession, on_delete=models.CASCADE, related_name="playlist")
    version = models.ForeignKey("production.Version", on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField()

    share_path: ClassVar[str | None] = "project"

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["session", "version"], name="playlist_version_once"),
            models.UniqueConstraint(fields=["session", "position"], name="playlist_position_once"),
        ]

    def __str__(self) -> str:
        return f"{self.session_id}#{self.position}: {self.version_id}"


class Participant(TenantModel):
    """Someone invited to a session (partner members, studio reviewers of a shared project)."""

    project = models.ForeignKey("production.Project", on_delete=models.CASCADE, related_name="+")
    session = models.ForeignKey(
        ReviewSession, on_delete=models.CASCADE, related_name="participants"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    share_path: ClassVar[str | None] = "project"

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="participant_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.session_id}"


class Presence(TenantModel):
    """One open websocket in a session (any server process); removed on disconnect, or
    by the sweep when its heartbeat stops."""

    project = models.ForeignKey("production.Project", on_delete=models.CASCADE, related_name="+")
    session = models.ForeignKey(ReviewSession, on_delete=models.CASCADE, related_name="presence")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    channel_name = models.CharField(max_length=200, unique=True)
    connected_at = models.DateTimeField(auto_now_add=True)
    # Refreshed by the socket's heartbeat; a row older than the TTL is a dead connection
    # (settings.REVIEW_PRESENCE_TTL_SECONDS) and is swept.
    # (db_default: rows written by a server still running the previous release get it too)
    last_seen = models.DateTimeField(default=timezone.now, db_default=Now(), db_index=True)

    share_path: ClassVar[str | None] = "project"

    class Meta:
        ordering = ["connected_at", "pk"]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.session_id}"


class ReviewEvent(TenantModel):
    """The complete, ordered log of a session: every state change with its sequence number."""

    project = models.ForeignKey("production.Project", on_delete=models.CASCADE, related_name="+")
    session = models.ForeignKey(ReviewSession, on_delete=models.CASCADE, related_name="events")
    seq = models.BigIntegerField()
    type = models.CharField(max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    share_path: ClassVar[str | None] = "project"

    class Meta:
        ordering = ["session_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["session", "seq"], name="review_event_seq_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.session_id}#{self.seq} {self.type}"


class NoteStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"


class Note(TenantModel):
    """Text and an optional drawing on a frame or frame range of a version.

    Frames are 0-based indices into the version's media. `revision` is the optimistic
    concurrency number: an edit must name the revision it was made against.
    """

    project = models.ForeignKey("production.Project", on_delete=models.CASCADE, related_name="+")
    session = models.ForeignKey(
        ReviewSession, on_delete=models.SET_NULL, null=True, blank=True, related_name="notes"
    )
    version = models.ForeignKey(
        "production.Version", on_delete=models.CASCADE, related_name="review_notes"
    )
    frame_in = models.IntegerField()
    frame_out = models.IntegerField()
    text = models.TextField()
    # {"strokes": [{"tool": "pen"|"line"|"arrow"|"rect"|"ellipse", "color": "#rrggbb",
    #   "width": float, "points": [[x, y], ...]}]} with x, y normalised to 0..1 of the image.
    drawing = models.JSONField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=NoteStatus.choices, default=NoteStatus.OPEN)
    revision = models.PositiveIntegerField(default=1)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The room client's id for the message that created the note: a retried `note.create`
    # (same author, session and client_id) returns this note instead of making another.
    client_id = models.CharField(max_length=100, blank=True, default="", db_default="")

    share_path: ClassVar[str | None] = "project"

    class Meta:
        ordering = ["version_id", "frame_in", "pk"]
        constraints = [
            CheckConstraint(condition=Q(frame_in__gte=0), name="note_frame_in_positive"),
            CheckConstraint(condition=Q(frame_out__gte=F("frame_in")), name="note_range_valid"),
            models.UniqueConstraint(
                fields=["session", "author", "client_id"],
                condition=~Q(client_id=""),
                name="note_client_id_once",
            ),
        ]

    def __str__(self) -> str:
        return f"note {self.pk} on {self.version_id}@{self.frame_in}"


class NoteReply(TenantModel):
    project = models.ForeignKey("production.Project", on_delete=models.CASCADE, related_name="+")
    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="replies")
    text = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    share_path: ClassVar[str | None] = "project"

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"reply {self.pk} to {self.note_id}"


class DecisionKind(models.TextChoices):
    APPROVED = "approved", "Approved"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"


class Decision(TenantModel):
    """Who decided what on a version, and when (the version history of decisions)."""

    project = models.ForeignKey("production.Project", on_delete=models.CASCADE, related_name="+")
    version = models.ForeignKey(
        "production.Version", on_delete=models.CASCADE, related_name="review_decisions"
    )
    session = models.ForeignKey(
        ReviewSession, on_delete=models.SET_NULL, null=True, blank=True, related_name="decisions"
    )
    decision = models.CharField(max_length=20, choices=DecisionKind.choices)
    comment = models.TextField(blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    share_path: ClassVar[str | None] = "project"

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.decision} on {self.version_id}"


class Notification(TenantModel):
    """A mention of a user in a note or reply."""

    project = models.ForeignKey("production.Project", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="+")
    reply = models.ForeignKey(NoteReply, on_delete=models.CASCADE, null=True, related_name="+")
    kind = models.CharField(max_length=20, default="mention")
    text = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    share_path: ClassVar[str | None] = "project"

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id}"


class GuestLink(TenantModel):
    """A review link for someone without an account (a director, an agent): one version or
    one session, until `expires_at` or revocation. Only a SHA-256 of the token is stored;
    the password (optional) is kept with Django's password hashers. The guest acts through
    `guest`, an identity that can never sign in and whose label is the guest's email."""

    project = models.ForeignKey("production.Project", on_delete=models.CASCADE, related_name="+")
    version = models.ForeignKey(
        "production.Version", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    session = models.ForeignKey(
        ReviewSession, on_delete=models.CASCADE, null=True, blank=True, related_name="guest_links"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    email = models.EmailField()
    guest = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    password_hash = models.CharField(max_length=128, blank=True)
    allow_comments = models.BooleanField(default=False)
    expires_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    view_count = models.PositiveIntegerField(default=0)
    last_viewed_at = models.DateTimeField(null=True, blank=True)

    share_path: ClassVar[str | None] = "project"

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            CheckConstraint(
                condition=Q(version__isnull=False, session__isnull=True)
                | Q(version__isnull=True, session__isnull=False),
                name="guest_link_one_target",
            ),
        ]

    def __str__(self) -> str:
        return f"guest link for {self.email}"
