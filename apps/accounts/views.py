from __future__ import annotations

import secrets
from typing import Any

from allauth.account.views import EmailView
from allauth.account.views import PasswordResetView as AllauthPasswordResetView
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from apps.accounts import selectors, services
from apps.core.errors import BacklotError
from apps.core.mail import MailNotSent

# The create form carries a one-time key: the token is shown in the answer to the POST
# itself (never stored, not even in the session), and sending the same form again (a
# reload) creates no second token.
FORM_KEY_SECONDS = 3600


def _form_key_used(user_id: int, key: str) -> bool:
    """True when this form was already sent (or carries no key we issued)."""
    if not key or len(key) > 64:
        return True
    return not cache.add(f"accounts:token-form:{user_id}:{key}", 1, timeout=FORM_KEY_SECONDS)


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def api_tokens_page(request: HttpRequest) -> HttpResponse:
    created_token = None
    if request.method == "POST":
        try:
            if "revoke" in request.POST:
                token = selectors.access_api_token_by_id(request.user, int(request.POST["revoke"]))  # type: ignore[arg-type]
                services.api_token_revoke(user=request.user, token=token)  # type: ignore[arg-type]
                messages.success(request, f"Token “{token.name}” revoked.")
                return HttpResponseRedirect(reverse("api-tokens-page"))
            if _form_key_used(int(request.user.pk or 0), request.POST.get("form_key", "")):
                messages.info(request, "This form was already sent: no second token made.")
                return HttpResponseRedirect(reverse("api-tokens-page"))
            _, created_token = services.api_token_create(
                user=request.user,  # type: ignore[arg-type]
                name=request.POST.get("name", ""),
            )
        except (BacklotError, ValueError) as error:
            messages.error(request, getattr(error, "message", str(error)))
    tokens = selectors.api_tokens_of_user(user=request.user)  # type: ignore[arg-type]
    return render(
        request,
        "accounts/tokens.html",
        {"tokens": tokens, "created_token": created_token, "form_key": secrets.token_urlsafe(16)},
    )


class VerifiedEmailView(EmailView):
    """allauth's email page, except that an address becomes the account's email only once
    it is verified (allauth allows an unverified one while no address is verified, which
    is every invited account)."""

    def _action_primary(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        address = self._get_email_address(request)
        if address is not None and not address.verified:
            messages.error(request, "Verify this address first (follow the link we sent to it).")
            return HttpResponseRedirect(self.get_success_url())
        return super()._action_primary(request, *args, **kwargs)


class PasswordResetView(AllauthPasswordResetView):
    """allauth's "Forgot password", telling the truth when the email cannot be sent."""

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            return super().form_valid(form)
        except MailNotSent as error:
            form.add_error(None, error.message)
            return self.render_to_response(self.get_context_data(form=form), status=503)
