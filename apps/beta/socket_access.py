"""The beta's rules for every websocket (registered in `BetaConfig.ready`): a socket acting
through a suspended partner is refused and closed, also for people who are members of
several organizations (their other organizations' sockets stay open); a person with an
agreement to accept is refused everywhere, as by the HTTP gate."""

from __future__ import annotations

from typing import Any

from apps.beta.selectors import pending_agreements, suspended_organization_ids
from apps.core.access import register_access_rule


def beta_socket_refusal(user: Any, organization_id: int | None) -> str | None:
    if organization_id is not None and suspended_organization_ids([organization_id]):
        return "Beta access of this organization is suspended."
    if user is not None and pending_agreements(user):
        return "There is a new agreement to accept before you continue."
    return None


def register() -> None:
    register_access_rule("beta", beta_socket_refusal)
