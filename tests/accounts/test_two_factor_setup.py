"""Two-factor set-up: the secret shown stays the same across reloads until it is confirmed
(a code from the first scan still works), the recovery codes page has a way on, and a
second password prompt says why it is asked."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client

from apps.tenancy.models import OrganizationKind, Role
from apps.tenancy.services import membership_create
from tests.factories import PASSWORD, make_organization, make_user, totp_code

ACTIVATE = "/accounts/2fa/totp/activate/"


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    cache.clear()


def _secret(html: str) -> str:
    found = re.search(r"alt=\"([A-Z2-7]{16,})\"", html)
    assert found, html[:2000]
    return found.group(1)


def _staff_client() -> Client:
    studio = make_organization("TwoFactorStudio", OrganizationKind.STUDIO)
    admin = make_user("twofactor-admin")
    membership_create(organization=studio, user=admin, role=Role.BETA_ADMIN, actor=None)
    client = Client()
    response = client.post("/accounts/login/", {"login": admin.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


@pytest.mark.django_db
def test_the_secret_survives_reloads_and_a_code_from_the_first_scan_activates() -> None:
    client = _staff_client()
    first = client.get(ACTIVATE)
    assert first.status_code == 200
    secret = _secret(first.content.decode())
    for _ in range(2):
        again = client.get(ACTIVATE)
        assert _secret(again.content.decode()) == secret
    done = client.post(ACTIVATE, {"code": totp_code(secret)})
    assert done.status_code == 302, done.content.decode()[:1000]
    codes = client.get(done["Location"])
    page = codes.content.decode()
    assert codes.status_code == 200
    assert 'data-testid="two-factor-continue"' in page
    assert client.get("/dashboard/").status_code == 200


@pytest.mark.django_db
def test_a_second_password_prompt_says_why() -> None:
    client = _staff_client()
    # Older than the five-minute window: allauth asks for the password again.
    session = client.session
    records = session.get("account_authentication_methods", [])
    for record in records:
        record["at"] = record["at"] - 3600
    session["account_authentication_methods"] = records
    session.save()
    response = client.get(ACTIVATE, follow=True)
    page = response.content.decode()
    assert "/accounts/reauthenticate/" in response.redirect_chain[-1][0]
    assert "Two-factor settings protect your account" in page
