from __future__ import annotations

from typing import Any

from apps.beta.models import BetaProfile
from apps.beta.services import beta_profile_update
from apps.tenancy.models import Organization


def set_quotas(
    organization: Organization, *, seats: int | None = None, invites: int | None = None
) -> BetaProfile:
    return beta_profile_update(
        organization=organization, actor=None, seat_quota=seats, invite_quota=invites
    )


def token_from_link(link: str) -> str:
    return link.rstrip("/").rsplit("/", 1)[-1]


def post_accept(client: Any, link_or_token: str, password: str = "a-Long-enough-pass-42") -> Any:
    token = token_from_link(link_or_token)
    return client.post(
        f"/beta/invite/{token}/",
        {"password": password, "password2": password, "display_name": "New Person"},
    )
