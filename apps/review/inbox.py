"""What review tells people's inboxes: mentions, replies to their notes, decisions on
their versions. Called inside the writing service's transaction; the inbox service sends
the live count and the email after commit."""

from __future__ import annotations

from typing import Any

from django.urls import NoReverseMatch, reverse

from apps.notifications.models import NotificationKind
from apps.notifications.services import notification_send
from apps.production.models import Version
from apps.review.models import DecisionKind, Note


def version_link(version: Version) -> str:
    """The version's one address (works for everyone allowed to see it)."""
    try:
        return reverse("public-link", args=[version.public_id])
    except NoReverseMatch:
        return reverse(
            "version-page",
            args=[version.organization.slug, version.project_id, version.pk],
        )


def _who(user: Any) -> str:
    return str(getattr(user, "display_name", "") or getattr(user, "email", "Someone"))


def _where(note: Note) -> str:
    version = note.version
    return f"{version} at frame {note.frame_in}"


def inbox_mentions(*, author: Any, note: Note, text: str, people: list[Any]) -> None:
    for person in people:
        notification_send(
            user=person,
            kind=NotificationKind.MENTION,
            title=f"{_who(author)} mentioned you on {_where(note)}",
            body=text,
            url=version_link(note.version),
            actor=author,
            organization_id=note.organization_id,
        )


def inbox_reply(*, author: Any, note: Note, text: str, already_told: list[int]) -> None:
    """The note's author hears of replies (unless they wrote it or were mentioned in it)."""
    if note.author_id is None or note.author_id == author.pk or note.author_id in already_told:
        return
    notification_send(
        user=note.author,
        kind=NotificationKind.REPLY,
        title=f"{_who(author)} replied to your note on {_where(note)}",
        body=text,
        url=version_link(note.version),
        actor=author,
        organization_id=note.organization_id,
    )


def inbox_decision(*, actor: Any, version: Version, decision: str, comment: str) -> None:
    """Whoever made the version hears the decision on it."""
    owner = version.created_by
    if owner is None or owner.pk == actor.pk:
        return
    verb = "approved" if decision == DecisionKind.APPROVED else "requested changes on"
    notification_send(
        user=owner,
        kind=NotificationKind.DECISION,
        title=f"{_who(actor)} {verb} {version}",
        body=comment,
        url=version_link(version),
        actor=actor,
        organization_id=version.organization_id,
    )
