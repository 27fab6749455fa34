from typing import Any

from django.conf import settings
from django.http import HttpRequest

from apps.notifications.selectors import unread_count
from apps.tenancy.selectors import is_beta_admin, memberships_of_user


def backlot(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_memberships": [], "nav_is_beta_admin": False, "nav_inbox_unread": 0}
    memberships = memberships_of_user(user)
    beta_admin = is_beta_admin(user)
    return {
        "nav_memberships": memberships,
        "nav_is_beta_admin": beta_admin,
        "nav_inbox_unread": unread_count(user),
        # The live unread count rides on an organization socket (any one of the person's).
        "nav_inbox_org": memberships[0].organization.slug if memberships else "",
        "nav_outbox": beta_admin and bool(getattr(settings, "EMAIL_OUTBOX_DIR", "")),
    }
