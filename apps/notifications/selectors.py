"""Reads of a person's inbox and email preferences."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from apps.core.errors import NotFound
from apps.notifications.models import EmailPreference, InboxItem, NotificationKind


def inbox_of_user(user: Any, *, unread_only: bool = False) -> QuerySet[InboxItem]:
    items = InboxItem.objects.filter(user_id=user.pk).select_related("about_organization", "actor")
    return items.filter(read_at__isnull=True) if unread_only else items


def unread_count(user: Any) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return InboxItem.objects.filter(user_id=user.pk, read_at__isnull=True).count()


def access_inbox_item_by_id(user: Any, item_id: int) -> InboxItem:
    """One's own entry; someone else's looks missing."""
    item = InboxItem.objects.filter(pk=item_id, user_id=user.pk).first()
    if item is None:
        raise NotFound("This inbox entry does not exist.")
    return item


def email_preferences_of(user: Any) -> dict[str, bool]:
    """Every kind with whether it is emailed (on unless switched off)."""
    chosen = dict(EmailPreference.objects.filter(user_id=user.pk).values_list("kind", "email"))
    return {kind.value: chosen.get(kind.value, True) for kind in NotificationKind}


def wants_email(user: Any, kind: str) -> bool:
    row = EmailPreference.objects.filter(user_id=user.pk, kind=kind).first()
    return True if row is None else row.email
