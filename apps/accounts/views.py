from __future__ import annotations

from typing import Any

from allauth.account.views import PasswordResetView as AllauthPasswordResetView
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from apps.accounts import selectors, services
from apps.core.errors import BacklotError
from apps.core.mail import MailNotSent

NEW_TOKEN_SESSION_KEY = "backlot_new_api_token"


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens_page(request: HttpRequest) -> HttpResponse:
    created_token = None
    if request.method == "POST":
        try:
            if "revoke" in request.POST:
                token = selectors.access_api_token_by_id(request.user, int(request.POST["revoke"]))  # type: ignore[arg-type]
                services.api_token_revoke(user=request.user, token=token)  # type: ignore[arg-type]
                messages.success(request, f"Token “{token.name}” revoked.")
                return HttpResponseRedirect(reverse("api-tokens-page"))
            _, plain = services.api_token_create(
                user=request.user,  # type: ignore[arg-type]
                name=request.POST.get("name", ""),
            )
            # Post/redirect/get: a reload must not create a second token. The plain token
            # waits in the session for exactly one page view.
            request.session[NEW_TOKEN_SESSION_KEY] = plain
            return HttpResponseRedirect(reverse("api-tokens-page"))
        except (BacklotError, ValueError) as error:
            messages.error(request, getattr(error, "message", str(error)))
    else:
        created_token = request.session.pop(NEW_TOKEN_SESSION_KEY, None)
    tokens = selectors.api_tokens_of_user(user=request.user)  # type: ignore[arg-type]
    return render(
        request, "accounts/tokens.html", {"tokens": tokens, "created_token": created_token}
    )


class PasswordResetView(AllauthPasswordResetView):
    """allauth's "Forgot password", telling the truth when the email cannot be sent."""

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            return super().form_valid(form)
        except MailNotSent as error:
            form.add_error(None, error.message)
            return self.render_to_response(self.get_context_data(form=form), status=503)
