from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from apps.accounts.models import ApiToken, User
from apps.accounts.tokens import generate_token
from apps.audit.services import audit_record
from apps.core.errors import ValidationFailed

API_TOKEN_DEFAULT_DAYS = 90


def api_token_create(
    *, user: User, name: str, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Create a personal API token; the plain token is returned once and never stored."""
    name = name.strip()
    if not name:
        raise ValidationFailed("Give the token a name so you can recognise it later.", field="name")
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationFailed("The expiry date must be in the future.", field="expires_at")
    if expires_at is None:
        # No token lives forever by default: a forgotten token on a laptop expires.
        expires_at = timezone.now() + timedelta(days=API_TOKEN_DEFAULT_DAYS)
    plain, prefix, digest = generate_token()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name[:100], prefix=prefix, secret_hash=digest, expires_at=expires_at
        )
        audit_record(action="api_token.create", actor=user, target=token)
    return token, plain


def api_token_revoke(*, user: User, token: ApiToken) -> ApiToken:
    with transaction.atomic():
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            audit_record(action="api_token.revoke", actor=user, target=token)
    return token


def user_create(
    *, email: str, password: str | None, display_name: str = "", is_staff: bool = False
) -> User:
    with transaction.atomic():
        user = User.objects.create_user(
            email=email, password=password, display_name=display_name, is_staff=is_staff
        )
        audit_record(action="user.create", actor=None, target=user)
    return user


GUEST_EMAIL_DOMAIN = "guests.backlot.invalid"


def guest_user_create(*, label: str) -> User:
    """The identity of a guest (someone without an account, e.g. behind a review link):
    inactive, no usable password and an undeliverable address, so it can never sign in;
    `label` (the guest's own email) is what others see and what watermarks show."""
    with transaction.atomic():
        user = User.objects.create_user(
            email=f"guest-{secrets.token_hex(12)}@{GUEST_EMAIL_DOMAIN}",
            password=None,
            display_name=label[:150],
            is_active=False,
        )
        audit_record(action="user.create_guest", actor=None, target=user)
    return user
