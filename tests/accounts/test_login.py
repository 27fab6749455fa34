from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from django.core.cache import cache
from django.test import Client

from apps.audit.selectors import all_audit_entries_readable
from tests.factories import PASSWORD, World, enable_totp, make_user, totp_code

if TYPE_CHECKING:
    # Stub-only type of what the test client returns (response plus request, json(), ...).
    from django.test.client import _MonkeyPatchedWSGIResponse


def _login(client: Client, email: str, password: str) -> _MonkeyPatchedWSGIResponse:
    return client.post("/accounts/login/", {"login": email, "password": password})


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    cache.clear()


@pytest.mark.django_db
def test_partner_logs_in_with_email_and_lands_on_the_dashboard(world: World) -> None:
    client = Client()
    response = _login(client, world.a.owner.email, PASSWORD)
    assert response.status_code == 302
    page = client.get(response["Location"], follow=True)
    assert world.a.organization.name in page.content.decode()
    assert world.a.project.name in page.content.decode()


@pytest.mark.django_db
def test_pages_and_admin_require_login() -> None:
    client = Client()
    assert client.get("/dashboard/")["Location"].startswith("/accounts/login/")
    admin = client.get("/admin/", follow=True)
    assert admin.redirect_chain[-1][0].startswith("/accounts/login/")


@pytest.mark.django_db
def test_repeated_failed_logins_are_blocked_and_audited() -> None:
    user = make_user("target")
    client = Client()
    for _ in range(5):
        response = _login(client, user.email, "wrong-password")
        assert response.status_code == 200
    blocked = _login(client, user.email, PASSWORD)
    assert "Too many failed login attempts" in blocked.content.decode()
    assert client.get("/dashboard/").status_code != 200
    with all_audit_entries_readable() as entries:
        failures = entries.filter(
            action="auth.login_failed", changes__identifier=user.email
        ).count()
    assert failures >= 5


@pytest.mark.django_db
def test_signup_is_closed() -> None:
    response = Client().post(
        "/accounts/signup/",
        {"email": "new@example.test", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert "closed" in response.content.decode().lower()
    from apps.accounts.models import User

    assert not User.objects.filter(email="new@example.test").exists()


@pytest.mark.django_db
def test_staff_without_two_factor_are_sent_to_set_it_up(world: World) -> None:
    from apps.tenancy.models import Role
    from apps.tenancy.services import membership_create

    newcomer = make_user("new-reviewer")
    membership_create(organization=world.studio, user=newcomer, role=Role.REVIEWER, actor=None)
    client = Client()
    _login(client, newcomer.email, PASSWORD)
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/totp/activate")
    api = client.get("/api/v1/me/")
    assert api.status_code == 403
    assert api.json()["error"]["code"] == "two_factor_required"


@pytest.mark.django_db
def test_staff_with_totp_must_give_a_code_to_get_in(world: World) -> None:
    staff = make_user("admin2")
    from apps.tenancy.models import Role
    from apps.tenancy.services import membership_create

    membership_create(organization=world.studio, user=staff, role=Role.BETA_ADMIN, actor=None)
    secret = enable_totp(staff)
    client = Client()
    response = _login(client, staff.email, PASSWORD)
    assert response["Location"].startswith("/accounts/2fa/authenticate")
    assert client.get("/dashboard/").status_code == 302
    wrong = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200
    done = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert done.status_code == 302
    assert client.get("/staff/").status_code == 200
