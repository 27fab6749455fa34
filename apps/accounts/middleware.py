"""Studio staff must have two-factor authentication before they can use anything."""

from collections.abc import Callable

from allauth.mfa.utils import is_mfa_enabled
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from apps.tenancy.selectors import is_studio_staff

# /metrics is not exempt: a beta admin's session reads it only with two-factor on (the
# scraper's bearer token is no session and passes untouched).
EXEMPT_PREFIXES = ("/accounts/", "/static/", "/healthz", "/readyz")


def requires_two_factor(user: object) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and (
        bool(getattr(user, "is_staff", False)) or is_studio_staff(user)
    )


class StaffTwoFactorRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            not request.path.startswith(EXEMPT_PREFIXES)
            and requires_two_factor(request.user)
            and not is_mfa_enabled(request.user)
        ):
            if request.path.startswith("/api/"):
                from django.http import JsonResponse

                return JsonResponse(
                    {
                        "error": {
                            "code": "two_factor_required",
                            "message": "Studio staff must turn on two-factor authentication"
                            " at /accounts/2fa/ before using Backlot.",
                        }
                    },
                    status=403,
                )
            return HttpResponseRedirect(reverse("mfa_activate_totp"))
        return self.get_response(request)
