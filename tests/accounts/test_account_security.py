"""Account edges (security issue 16, item 9): the account email changes only to a verified
address, API tokens expire by default, and a new token's plain text is never kept in the
session."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from apps.accounts.models import ApiToken
from apps.accounts.services import api_token_create
from tests.factories import World

pytestmark = pytest.mark.django_db


def test_api_tokens_expire_by_default(world: World) -> None:
    token, _ = api_token_create(user=world.a.owner, name="laptop")
    assert token.expires_at is not None
    assert token.expires_at <= timezone.now() + timedelta(days=91)
    later = timezone.now() + timedelta(days=400)
    chosen, _ = api_token_create(user=world.a.owner, name="farm", expires_at=later)
    assert chosen.expires_at == later


def test_a_new_token_is_never_kept_in_the_session(world: World) -> None:
    client = Client()
    client.force_login(world.a.producer)
    page = client.get("/settings/tokens/").content.decode()
    key = re.search(r'name="form_key" value="([^"]+)"', page)
    assert key is not None
    answer = client.post("/settings/tokens/", {"name": "bridge", "form_key": key.group(1)})
    shown = re.search(r"blt_[A-Za-z0-9_\-]+", answer.content.decode())
    assert shown is not None, "the answer shows the new token"
    assert "no-store" in answer.get("Cache-Control", "")
    stored = " ".join(str(v) for v in client.session.values())
    assert shown.group(0) not in stored
    assert ApiToken.objects.filter(user=world.a.producer, name="bridge").count() == 1


def test_the_account_email_changes_only_to_a_verified_address(world: World) -> None:
    from allauth.account.models import EmailAddress

    user = world.a.viewer
    original = user.email
    client = Client()
    client.force_login(user)
    client.post("/accounts/email/", {"action_add": "", "email": "takeover@example.test"})
    assert EmailAddress.objects.filter(user=user, email="takeover@example.test").exists()
    client.post("/accounts/email/", {"action_primary": "", "email": "takeover@example.test"})
    user.refresh_from_db()
    assert user.email == original
    # Once verified, it may become the account's address.
    EmailAddress.objects.filter(user=user, email="takeover@example.test").update(verified=True)
    client.post("/accounts/email/", {"action_primary": "", "email": "takeover@example.test"})
    user.refresh_from_db()
    assert user.email == "takeover@example.test"
