"""Guest review links: a version or a session shown to someone without an account.

A link names exactly one version or one session. Its token is `<organization id>.<secret>`
(the secret from `secrets.token_urlsafe`); only its SHA-256 is stored, so a leaked database
gives no working link. The organization id only tells the server which tenant scope to
open; without the secret nothing is found. The guest acts through an identity that can
never sign in (`guest_user_create`), labelled with the guest's email: that label is
burned into every copy they watch and is the author of their notes. Every view, every
unlock, every note and every media link is audited. Revocation closes the guest's
sockets at once (the guest identity's user group); sockets also close at expiry.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.contrib.auth.hashers import check_password, make_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.accounts.services import GUEST_EMAIL_DOMAIN, guest_user_create
from apps.audit.services import audit_record
from apps.core.consumers import disconnect_user_sockets
from apps.core.errors import BacklotError, Forbidden, NotFound, ValidationFailed
from apps.media.links import GuestViewer, media_signed_url
from apps.media.models import MediaFile
from apps.media.pipeline import viewer_proxy_request
from apps.media.selectors import version_media, viewer_proxy_of
from apps.production.models import Version
from apps.review import protocol
from apps.review.events import event_append_to_sessions_showing
from apps.review.models import GuestLink, Note, PlaylistItem, ReviewSession, SessionState
from apps.review.serializers import note_data
from apps.tenancy.models import Membership
from apps.tenancy.policy import Capability, require
from apps.tenancy.scope import tenant_scope

GUEST_LINK_MAX_DAYS = 30
GUEST_PASSWORD_MIN_LENGTH = 6
PASSWORD_MAX_FAILURES = 5
PASSWORD_LOCK_SECONDS = 15 * 60
# The browser session key listing the password links a guest has unlocked.
UNLOCKED_KEY = "guest_links_unlocked"


class LinkClosed(BacklotError):
    """The link existed but is revoked or expired (the guest holds its secret, so saying
    which is no leak)."""

    status_code = 410
    code = "link_closed"


class TooManyAttempts(BacklotError):
    status_code = 429
    code = "rate_limited"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _organization_of(token: str) -> int | None:
    head, dot, secret = token.partition(".")
    if not dot or not head.isdigit() or len(head) > 12 or not 20 <= len(secret) <= 100:
        return None
    return int(head)


# Producers ------------------------------------------------------------------------------


def _clean_email(email: Any) -> str:
    value = str(email or "").strip().lower()
    if not value:
        raise ValidationFailed("Enter the guest's email address.", field="email")
    try:
        validate_email(value)
    except ValidationError as error:
        raise ValidationFailed("Enter a valid email address.", field="email") from error
    if value.endswith("@" + GUEST_EMAIL_DOMAIN):
        raise ValidationFailed("Enter the guest's own email address.", field="email")
    return value


def _clean_days(days: Any) -> int:
    try:
        value = int(str(days).strip())
    except (TypeError, ValueError) as error:
        raise ValidationFailed(
            f"Choose an expiry of 1 to {GUEST_LINK_MAX_DAYS} days.", field="expires_in_days"
        ) from error
    if not 1 <= value <= GUEST_LINK_MAX_DAYS:
        raise ValidationFailed(
            f"Choose an expiry of 1 to {GUEST_LINK_MAX_DAYS} days.", field="expires_in_days"
        )
    return value


def _clean_password(password: Any) -> str:
    value = str(password or "")
    if value and len(value) < GUEST_PASSWORD_MIN_LENGTH:
        raise ValidationFailed(
            f"A link password has at least {GUEST_PASSWORD_MIN_LENGTH} characters.",
            field="password",
        )
    if len(value) > 128:
        raise ValidationFailed("A link password has at most 128 characters.", field="password")
    return value


def guest_link_create(
    *,
    actor: Membership,
    email: Any,
    expires_in_days: Any,
    version: Version | None = None,
    session: ReviewSession | None = None,
    password: Any = "",
    allow_comments: bool = False,
) -> tuple[GuestLink, str]:
    """Makes a link to `version` or `session` for `email`. Returns the link and its token,
    which is shown once (only its hash is kept)."""
    require(actor, Capability.REVIEW_SHARE_GUEST_LINK)
    if (version is None) == (session is None):
        raise ValidationFailed("A guest link names one version or one session.", field="target")
    target = version if version is not None else session
    assert target is not None
    if target.organization_id != actor.organization_id:
        # A studio reviewer of a shared project does not hand the partner's work to guests.
        raise Forbidden("Only the partner that owns the project shares it with guests.")
    if session is not None and session.state == SessionState.ENDED:
        raise ValidationFailed("This session has ended.", field="target")
    clean_email = _clean_email(email)
    days = _clean_days(expires_in_days)
    clean_password = _clean_password(password)
    token = f"{actor.organization_id}.{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        guest = guest_user_create(label=clean_email)
        link = GuestLink.objects.create(
            organization_id=actor.organization_id,
            project_id=target.project_id,
            version=version,
            session=session,
            token_hash=token_hash(token),
            email=clean_email,
            guest=guest,
            password_hash=make_password(clean_password) if clean_password else "",
            allow_comments=bool(allow_comments),
            expires_at=timezone.now() + timedelta(days=days),
            created_by=actor.user,
        )
        audit_record(
            action="guest_link.create",
            actor=actor.user,
            target=link,
            changes={
                "email": clean_email,
                "version": link.version_id,
                "session": link.session_id,
                "expires_at": link.expires_at.isoformat(),
                "password": bool(clean_password),
                "comments": link.allow_comments,
            },
        )
    return link, token


def guest_link_revoke(*, actor: Membership, link: GuestLink) -> GuestLink:
    """Ends the link now: its page, media links and open sockets are refused at once."""
    require(actor, Capability.REVIEW_SHARE_GUEST_LINK)
    if link.organization_id != actor.organization_id:
        raise NotFound("Guest link not found.")
    with transaction.atomic():
        locked = GuestLink.objects.select_for_update().get(pk=link.pk)
        if locked.revoked_at is None:
            locked.revoked_at, locked.revoked_by = timezone.now(), actor.user
            locked.save(update_fields=["revoked_at", "revoked_by"])
            audit_record(
                action="guest_link.revoke",
                actor=actor.user,
                target=locked,
                changes={"email": locked.email},
            )
        disconnect_user_sockets(locked.guest_id, "This review link was revoked.")
    return locked


def guest_links_of(*, version: Version | None = None, session: ReviewSession | None = None) -> Any:
    """The links that are still open for a version or a session, newest first."""
    queryset = GuestLink.objects.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())
    if version is not None:
        queryset = queryset.filter(version=version)
    if session is not None:
        queryset = queryset.filter(session=session)
    return queryset.select_related("created_by")


def access_guest_link_by_id(link_id: int) -> GuestLink:
    link = GuestLink.objects.filter(pk=link_id).first()
    if link is None:
        raise NotFound("Guest link not found.")
    return link


# Guests ---------------------------------------------------------------------------------


def guest_link_check_open(link: GuestLink) -> None:
    if link.revoked_at is not None:
        raise LinkClosed("This review link was revoked. Ask the producer for a new one.")
    if link.expires_at <= timezone.now():
        raise LinkClosed("This review link has expired. Ask the producer for a new one.")


def guest_access_by_token(token: str) -> GuestLink:
    """The open link a token names, inside its organization's scope (see `guest_scope`)."""
    digest = token_hash(token)
    link = (
        GuestLink.objects.select_related("project", "version__shot", "session", "guest")
        .filter(token_hash=digest)
        .first()
    )
    if link is None or not hmac.compare_digest(link.token_hash, digest):
        raise NotFound("This review link does not exist.")
    guest_link_check_open(link)
    return link


@contextmanager
def guest_scope(token: str) -> Iterator[GuestLink]:
    """Opens the tenant scope of the link `token` names and yields the open link; raises
    NotFound for unknown tokens, LinkClosed for revoked or expired links."""
    organization_id = _organization_of(token)
    if organization_id is None:
        raise NotFound("This review link does not exist.")
    with tenant_scope(organization_id):
        yield guest_access_by_token(token)


def _failures_key(link: GuestLink) -> str:
    return f"review:guest-link:password-failures:{link.pk}"


def guest_link_unlock(*, link: GuestLink, password: Any) -> None:
    """Checks the link's password: at most PASSWORD_MAX_FAILURES wrong tries per link in
    PASSWORD_LOCK_SECONDS, then every try is refused until the window ends."""
    if not link.password_hash:
        return
    key = _failures_key(link)
    if int(cache.get(key) or 0) >= PASSWORD_MAX_FAILURES:
        raise TooManyAttempts(
            "Too many wrong passwords for this link. Try again in 15 minutes.", field="password"
        )
    if not isinstance(password, str) or not check_password(password, link.password_hash):
        cache.add(key, 0, timeout=PASSWORD_LOCK_SECONDS)
        try:
            failures = cache.incr(key)
        except ValueError:  # the window ended between add and incr
            cache.set(key, 1, timeout=PASSWORD_LOCK_SECONDS)
            failures = 1
        audit_record(
            action="guest_link.password_failed",
            actor=link.guest,
            target=link,
            changes={"failures": failures},
        )
        raise ValidationFailed("Wrong password.", field="password")
    cache.delete(key)
    audit_record(action="guest_link.unlock", actor=link.guest, target=link)


def guest_view_record(*, link: GuestLink) -> None:
    """Counts and audits one view of the guest page."""
    GuestLink.objects.filter(pk=link.pk).update(
        view_count=F("view_count") + 1, last_viewed_at=timezone.now()
    )
    audit_record(
        action="guest_link.view",
        actor=link.guest,
        target=link,
        changes={"email": link.email, "version": link.version_id, "session": link.session_id},
    )


def guest_link_versions(link: GuestLink) -> list[Version]:
    """What the link names: its version, or its session's playlist in order."""
    if link.version_id is not None:
        assert link.version is not None
        return [link.version]
    return [
        item.version
        for item in PlaylistItem.objects.filter(session_id=link.session_id)
        .select_related("version__shot")
        .order_by("position")
    ]


def guest_version(link: GuestLink, version_id: Any) -> Version:
    for version in guest_link_versions(link):
        if version.pk == version_id:
            return version
    raise NotFound("Version not found.")


def guest_copy(link: GuestLink, version: Version) -> tuple[MediaFile | None, str]:
    """The guest's watermarked copy of a version and what the page shows: "ready",
    "preparing" (queued now, or being made) or "processing" (no review proxy yet)."""
    files = version_media(version)
    source, proxy = files["source"], files["proxy"]
    if source is None or proxy is None:
        return None, "processing"
    copy = viewer_proxy_of(source, link.guest)
    if copy is not None:
        return copy, "ready"
    viewer_proxy_request(actor=link.guest, source=source, always=True)
    return None, "preparing"


def guest_media_url(*, link: GuestLink, media_id: int) -> str:
    """A short-lived play link to one of the guest's own copies of a version the link names."""
    versions = {v.pk for v in guest_link_versions(link)}
    media = MediaFile.objects.filter(pk=media_id, version_id__in=versions).first()
    if media is None:
        raise NotFound("Media not found.")
    viewer = GuestViewer(organization_id=link.organization_id, user=link.guest)
    return media_signed_url(actor=viewer, media_id=media.pk, purpose="play")


def guest_note_create(*, link: GuestLink, version_id: Any, frame: Any, text: Any) -> Note:
    """A note by the guest on a version the link names (links that allow comments)."""
    if not link.allow_comments:
        raise Forbidden("This link lets you watch but not comment.")
    version = guest_version(link, version_id)
    first, last = protocol.clean_range(frame, None)
    clean_text = protocol.clean_text(text)
    session = link.session
    if session is not None and session.state == SessionState.ENDED:
        session = None
    with transaction.atomic():
        note = Note.objects.create(
            organization_id=version.organization_id,
            project_id=version.project_id,
            session=session,
            version=version,
            frame_in=first,
            frame_out=last,
            text=clean_text,
            author=link.guest,
        )
        audit_record(
            action="review_note.create",
            actor=link.guest,
            target=note,
            changes={
                "version": version.pk,
                "frames": [first, last],
                "guest_link": link.pk,
                "guest_email": link.email,
            },
        )
        event_append_to_sessions_showing(
            version=version,
            session=session,
            type="note.created",
            user=link.guest,
            payload={"note": note_data(note), "mentions": [], "client_id": None},
        )
    return note


def is_guest_identity(user: Any) -> bool:
    return str(getattr(user, "email", "")).endswith("@" + GUEST_EMAIL_DOMAIN)


def author_label(user: Any, *, guest: Any) -> str:
    """How a guest sees an author: names, never addresses; other guests stay anonymous."""
    if user.pk == guest.pk:
        return f"{guest.display_name} (you)"
    if is_guest_identity(user):
        return "Guest"
    return str(getattr(user, "display_name", "") or "Reviewer")
