"""Accounts' rules for every websocket (registered in `AccountsConfig.ready`): studio staff
need two-factor authentication on sockets as on pages; logging out closes the sockets of
that login at once (and re-checks the person's others); turning two-factor off re-checks
every socket of the person."""

from __future__ import annotations

from typing import Any

from allauth.mfa.signals import authenticator_removed
from allauth.mfa.utils import is_mfa_enabled
from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver

from apps.accounts.middleware import requires_two_factor
from apps.core.access import access_changed, register_access_rule


def two_factor_refusal(user: Any, organization_id: int | None) -> str | None:
    if user is not None and requires_two_factor(user) and not is_mfa_enabled(user):
        return "Studio staff need two-factor authentication: turn it on, then reconnect."
    return None


@receiver(user_logged_out, dispatch_uid="backlot_logout_closes_sockets")
def _close_sockets_of_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is None:
        return
    session_key = getattr(getattr(request, "session", None), "session_key", None) or ""
    # This login's sockets close; the person's other sockets check again (tickets minted
    # before are refused: the user's epoch moved).
    access_changed(session_keys=[session_key], reason="You signed out.", close=True)
    access_changed(user_ids=[user.pk], reason="You signed out.")


@receiver(authenticator_removed, dispatch_uid="backlot_two_factor_removed_checks_sockets")
def _check_sockets_without_two_factor(sender: Any, user: Any, **kwargs: Any) -> None:
    if user is not None and getattr(user, "pk", None):
        access_changed(user_ids=[user.pk], reason="Two-factor authentication was turned off.")


def register() -> None:
    register_access_rule("staff-two-factor", two_factor_refusal)
