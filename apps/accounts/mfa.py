"""Two-factor set-up as people expect it (allauth.mfa wired in studio/settings.py):

- the TOTP secret on the set-up page stays the same across reloads until it is confirmed
  (allauth makes a new one on every GET, so a code from an earlier scan failed);
- two-factor pages within minutes of a password sign-in do not ask for the password again
  (studio staff are sent to the set-up page straight from signing in, then see their
  recovery codes); later, the reauthentication page says why it asks
  (templates/account/reauthenticate.html).
"""

from __future__ import annotations

import time
from typing import Any

from allauth.account import app_settings as account_settings
from allauth.account.internal.flows.login import get_authentication_records
from allauth.mfa.totp.forms import ActivateTOTPForm
from allauth.mfa.totp.internal import auth as totp_auth
from django import forms
from django.http import HttpRequest


class StableActivateTOTPForm(ActivateTOTPForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Not ActivateTOTPForm.__init__: it makes a new secret for every unbound form.
        self.user = kwargs.pop("user")
        forms.Form.__init__(self, *args, **kwargs)
        # The secret kept in the session until activation (allauth clears it then).
        self.secret = totp_auth.get_totp_secret(regenerate=False)


def signed_in_with_password_just_now(request: HttpRequest | None) -> bool:
    """The session's user typed their password within the reauthentication window."""
    user = getattr(request, "user", None)
    if request is None or user is None or not user.is_authenticated:
        return False
    window = account_settings.REAUTHENTICATION_TIMEOUT
    now = time.time()
    return any(
        record.get("method") == "password" and now - float(record.get("at", 0)) < window
        for record in get_authentication_records(request, user)
    )
