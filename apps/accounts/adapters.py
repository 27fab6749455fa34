from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from django.http import HttpRequest

from apps.accounts.mfa import signed_in_with_password_just_now
from apps.core.mail import MAIL_ERRORS, MailNotSent


class ClosedBetaAccountAdapter(DefaultAccountAdapter):
    """Backlot is a closed beta: nobody signs up through allauth. Accounts are created only
    by accepting an invitation (`apps.beta.invitations.invitation_accept`, page
    `/beta/invite/<token>/`); the closed-signup page points to the waitlist."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """As allauth's, but a mail server that is down raises MailNotSent (the password
        reset page says so, status 503) instead of a 500 with a traceback."""
        try:
            super().send_mail(template_prefix, email, context)
        except MAIL_ERRORS as error:
            raise MailNotSent(
                "We could not send the email: the mail server is not reachable right now."
                " Try again in a few minutes."
            ) from error

    def is_reauthentication_required(self, *, app: str, **kwargs: Any) -> bool:
        """Two-factor set-up right after signing in with the password does not ask for the
        password a second time (allauth only counts an explicit re-entry)."""
        required = bool(super().is_reauthentication_required(app=app, **kwargs))
        if required and app == "allauth.mfa":
            request = self.request or getattr(context, "request", None)
            if signed_in_with_password_just_now(request):
                return False
        return required
