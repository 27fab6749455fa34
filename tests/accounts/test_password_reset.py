"""Forgot password: the reset email arrives with a working link, and the new password works."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client

from tests.factories import make_user

NEW_PASSWORD = "Night-shoot-4-lanterns"


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    cache.clear()


@pytest.mark.django_db
def test_forgot_password_mails_a_link_that_sets_a_new_password() -> None:
    user = make_user("forgetful")
    client = Client()
    page = client.get("/accounts/password/reset/")
    assert page.status_code == 200
    response = client.post("/accounts/password/reset/", {"email": user.email})
    assert response.status_code == 302, response.content.decode()[:500]
    done = client.get(response["Location"])
    assert done.status_code == 200
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [user.email]
    link = re.search(r"https?://[^\s]+/accounts/password/reset/key/[^\s]+/", str(message.body))
    assert link, message.body
    form = client.get(link.group(0), follow=True)
    assert form.status_code == 200
    set_password = client.post(
        form.redirect_chain[-1][0] if form.redirect_chain else link.group(0),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert set_password.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


@pytest.mark.django_db
def test_forgot_password_for_an_unknown_address_says_the_same_and_never_fails() -> None:
    client = Client()
    response = client.post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302


@pytest.mark.django_db
def test_forgot_password_with_the_mail_server_down_answers_a_clear_message(
    settings: pytest.FixtureRequest,
) -> None:
    from tests.beta.smtp import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"  # type: ignore[attr-defined]
    settings.EMAIL_HOST = "127.0.0.1"  # type: ignore[attr-defined]
    settings.EMAIL_PORT = free_port()  # type: ignore[attr-defined]
    user = make_user("unlucky")
    client = Client(raise_request_exception=False)
    response = client.post("/accounts/password/reset/", {"email": user.email})
    assert response.status_code == 503
    text = response.content.decode()
    assert "could not send" in text.lower()
    assert "Traceback" not in text and "/work/" not in text
