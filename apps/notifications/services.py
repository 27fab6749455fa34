"""Writes of the inbox: `notification_send` is what every app calls when something happens
to a person (review mentions, replies and decisions, render jobs, beta invitations).

The entry is written in the caller's transaction; after commit the person's open pages
hear of it (unread count over their organization sockets) and, if they want that kind by
email, an email with a plain-text part, an HTML part and the link goes out through Django's
email backend. A mail server that is down costs the email, never the entry.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from apps.audit.services import audit_record
from apps.core.errors import ValidationFailed
from apps.core.events import send_inbox_event
from apps.core.mail import MailNotSent, mail_send
from apps.notifications.models import EmailPreference, InboxItem, NotificationKind
from apps.notifications.selectors import unread_count, wants_email

logger = logging.getLogger(__name__)


def absolute_url(path: str) -> str:
    if path.startswith(("http://", "https://")):
        return path
    base = str(getattr(settings, "BACKLOT_BASE_URL", "http://127.0.0.1:8000")).rstrip("/")
    return base + "/" + path.lstrip("/")


def _item_data(item: InboxItem) -> dict[str, Any]:
    return {
        "id": item.pk,
        "kind": item.kind,
        "title": item.title,
        "body": item.body[:300],
        "url": item.url,
        "organization": item.about_organization.name if item.about_organization else "",
        "created_at": item.created_at.isoformat(),
    }


def notification_send(
    *,
    user: Any,
    kind: NotificationKind | str,
    title: str,
    url: str,
    body: str = "",
    actor: Any | None = None,
    organization_id: int | None = None,
) -> InboxItem:
    """Put an entry in `user`'s inbox; live update and email (if wanted) after commit."""
    kind = NotificationKind(kind)
    if not url.startswith(("/", "http://", "https://")):
        raise ValidationFailed("A notification needs a link to the thing.", field="url")
    with transaction.atomic():
        item = InboxItem.objects.create(
            user=user,
            kind=kind,
            title=title[:200],
            body=body[:2000],
            url=url[:500],
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            about_organization_id=organization_id,
        )
        send_inbox_event(
            user.pk,
            {"type": "inbox", "unread": unread_count(user), "item": _item_data(item)},
        )
        if user.is_active and user.email and wants_email(user, kind):
            transaction.on_commit(lambda: _email(item.pk))
    return item


def _email(item_id: int) -> None:
    item = InboxItem.objects.select_related("user", "about_organization", "actor").get(pk=item_id)
    link = absolute_url(item.url)
    context = {"item": item, "link": link, "settings_link": absolute_url("/settings/inbox/")}
    message = EmailMultiAlternatives(
        subject=f"[Backlot] {item.title}",
        body=render_to_string("notifications/email/notification.txt", context),
        to=[item.user.email],
    )
    message.attach_alternative(
        render_to_string("notifications/email/notification.html", context), "text/html"
    )
    try:
        mail_send(message)
    except MailNotSent:
        return  # logged by mail_send; the inbox entry is what counts
    InboxItem.objects.filter(pk=item.pk).update(emailed_at=timezone.now())


def inbox_item_mark_read(*, user: Any, item: InboxItem) -> InboxItem:
    if item.user_id != user.pk:
        raise ValidationFailed("This inbox entry is not yours.")
    if item.read_at is None:
        with transaction.atomic():
            item.read_at = timezone.now()
            item.save(update_fields=["read_at"])
            send_inbox_event(user.pk, {"type": "inbox", "unread": unread_count(user)})
    return item


def inbox_mark_all_read(*, user: Any) -> int:
    with transaction.atomic():
        changed = InboxItem.objects.filter(user_id=user.pk, read_at__isnull=True).update(
            read_at=timezone.now()
        )
        if changed:
            send_inbox_event(user.pk, {"type": "inbox", "unread": 0})
    return changed


def email_preferences_update(*, user: Any, emailed_kinds: set[str]) -> dict[str, bool]:
    """Email exactly the kinds in `emailed_kinds`; the inbox always gets every kind."""
    unknown = emailed_kinds - {k.value for k in NotificationKind}
    if unknown:
        raise ValidationFailed(
            f"Unknown notification kind: {', '.join(sorted(unknown))}.", field="email"
        )
    chosen = {kind.value: kind.value in emailed_kinds for kind in NotificationKind}
    with transaction.atomic():
        for kind, on in chosen.items():
            EmailPreference.objects.update_or_create(user=user, kind=kind, defaults={"email": on})
        audit_record(
            action="notifications.email_preferences",
            actor=user,
            target=None,
            changes={"emailed": sorted(k for k, on in chosen.items() if on)},
        )
    return chosen
