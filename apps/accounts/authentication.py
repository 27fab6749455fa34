from __future__ import annotations

from typing import Any

from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from apps.accounts.models import ApiToken
from apps.accounts.tokens import TOKEN_MARKER, hash_token

MEMO_ATTRIBUTE = "_backlot_api_token_auth"


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer blt_...` with a personal API token."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        """Looked up once per request: the beta gate (middleware, on the HttpRequest) and
        DRF (on its Request wrapping the same HttpRequest) share the answer."""
        raw = getattr(request, "_request", request)
        found = getattr(raw, MEMO_ATTRIBUTE, None)
        if found is None:
            try:
                found = (self._authenticate(request), None)
            except exceptions.AuthenticationFailed as failure:
                found = (None, failure)
            setattr(raw, MEMO_ATTRIBUTE, found)
        result, refused = found
        if refused is not None:
            raise refused
        return result

    def _authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        parts = header.split()
        if len(parts) != 2 or parts[0] != self.keyword or not parts[1].startswith(TOKEN_MARKER):
            return None
        token = (
            ApiToken.objects.select_related("user").filter(secret_hash=hash_token(parts[1])).first()
        )
        now = timezone.now()
        if token is None or token.revoked_at is not None:
            raise exceptions.AuthenticationFailed("Invalid or revoked API token.")
        if token.expires_at is not None and token.expires_at <= now:
            raise exceptions.AuthenticationFailed("This API token has expired.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("This account is disabled.")
        # Touch at most once a minute to keep token use cheap.
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword
