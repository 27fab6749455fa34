from typing import Any

from django.http import HttpRequest

from apps.tenancy.selectors import is_beta_admin, memberships_of_user


def backlot(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_memberships": [], "nav_is_beta_admin": False}
    memberships = memberships_of_user(user)
    return {
        "nav_memberships": memberships,
        "nav_is_beta_admin": is_beta_admin(user),
    }
