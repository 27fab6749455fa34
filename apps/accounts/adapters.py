from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from apps.accounts.mfa import signed_in_with_password_just_now
from apps.core.mail import MAIL_ERRORS, MailNotSent

# A suspended person who signed in with the right password: the suspended page
# (/beta/suspended/) reads who it is from here to show the studio's reason.
SUSPENDED_USER_SESSION_KEY = "backlot_suspended_user"


class ClosedBetaAccountAdapter(DefaultAccountAdapter):
    """Backlot is a closed beta: nobody signs up through allauth. Accounts are created only
    by accepting an invitation (`apps.beta.invitations.invitation_accept`, page
    `/beta/invite/<token>/`); the closed-signup page points to the waitlist."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def respond_user_inactive(self, request: HttpRequest, user: Any) -> HttpResponse:
        """A suspended person (correct password, inactive account) learns why and whom to
        write to, instead of allauth's bare "This account is inactive"."""
        request.session[SUSPENDED_USER_SESSION_KEY] = user.pk
        return HttpResponseRedirect(reverse("beta-suspended"))

    def add_message(
        self,
        request: HttpRequest,
        level: int,
        message_template: str | None = None,
        message_context: dict[str, Any] | None = None,
        extra_tags: str = "",
        message: str | None = None,
    ) -> None:
        """No "Successfully signed in as …" flash: the page the person lands on says who
        they are, and the flash would sit above the agreement, re-auth and refusal pages."""
        if message_template == "account/messages/logged_in.txt":
            return
        super().add_message(
            request,
            level,
            message_template=message_template,
            message_context=message_context,
            extra_tags=extra_tags,
            message=message,
        )

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
