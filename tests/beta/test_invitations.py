"""Invitations: emailed links, GET consumes nothing, accepting by POST creates the account,
expired/revoked/reused/forged tokens are refused with a clear message, quotas hold."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from apps.accounts.models import User
from apps.audit.models import AuditEntry
from apps.beta.invitations import (
    invitation_accept,
    invitation_create,
    invitation_resend,
    invitation_revoke,
    partner_invite,
)
from apps.beta.models import BetaStatus, Invitation
from apps.beta.selectors import beta_profile_of
from apps.beta.suspension import partner_suspend
from apps.core.errors import Conflict, Forbidden
from apps.tenancy.models import Membership
from apps.tenancy.scope import tenant_scope
from tests.beta.helpers import post_accept, set_quotas, token_from_link
from tests.beta.smtp import Inbox
from tests.factories import World, make_partner

pytestmark = pytest.mark.django_db


def _invite(world: World, email: str, capture: Any, role: str = "artist") -> tuple[Invitation, str]:
    with capture(execute=True):
        return invitation_create(
            organization=world.a.organization,
            email=email,
            role=role,
            actor=world.a.owner,
            base_url="http://testserver",
        )


def test_staff_invites_a_partner_owner_by_email_and_the_link_creates_the_account(
    world: World, inbox: Inbox, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        organization, invitation = partner_invite(
            name="Northlight Pictures",
            owner_email="Owner@Northlight.test",
            actor=world.beta_admin,
            base_url="http://testserver",
        )
    assert beta_profile_of(organization).status == BetaStatus.INVITED
    message = inbox.wait_for("owner@northlight.test")
    assert "Northlight Pictures" in message["Subject"]
    link = inbox.link_for("owner@northlight.test")

    client = Client()
    for _ in range(3):  # link scanners: any number of GETs consume nothing
        page = client.get(link.replace("http://testserver", ""))
        assert page.status_code == 200
        assert "Northlight Pictures" in page.content.decode()
        assert "owner@northlight.test" in page.content.decode()
    with tenant_scope(organization.pk):
        assert Invitation.objects.get(pk=invitation.pk).accepted_at is None
    assert not User.objects.filter(email="owner@northlight.test").exists()

    response = post_accept(client, link)
    assert response.status_code == 302
    user = User.objects.get(email="owner@northlight.test")
    assert user.check_password("a-Long-enough-pass-42")
    with tenant_scope(organization.pk):
        assert Membership.objects.get(user=user).role == "owner"
        assert Invitation.objects.get(pk=invitation.pk).accepted_by_id == user.pk
    assert beta_profile_of(organization).status == BetaStatus.ACTIVE
    assert client.get("/dashboard/").status_code == 200  # signed in
    with tenant_scope(organization.pk):
        actions = set(
            AuditEntry.objects.filter(organization=organization).values_list("action", flat=True)
        )
    assert {"beta.partner.invite", "invitation.create", "invitation.accept"} <= actions


def test_forged_and_malformed_tokens_are_refused(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    _, token = _invite(world, "real@example.test", django_capture_on_commit_callbacks)
    org_id = token.split(".")[0]
    client = Client()
    for forged in (
        "nonsense",
        f"{org_id}.{'x' * 43}",
        f"{world.b.organization.pk}.{token.split('.')[1]}",
        "999999.abcdefghijklmnopqrstuvwxyz",
    ):
        page = client.get(f"/beta/invite/{forged}/")
        assert page.status_code == 404
        assert "not valid" in page.content.decode()
        assert post_accept(client, forged).status_code == 404
    assert not User.objects.filter(email="real@example.test").exists()


def test_expired_revoked_and_reused_tokens_are_refused(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    capture = django_capture_on_commit_callbacks
    expired, expired_token = _invite(world, "late@example.test", capture)
    with tenant_scope(world.a.organization.pk):
        Invitation.objects.filter(pk=expired.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
    revoked, revoked_token = _invite(world, "gone@example.test", capture)
    with tenant_scope(world.a.organization.pk):
        invitation_revoke(invitation=revoked, actor=world.a.owner)
    _, used_token = _invite(world, "once@example.test", capture)

    client = Client()
    assert post_accept(client, used_token).status_code == 302
    for token, word in (
        (expired_token, "expired"),
        (revoked_token, "revoked"),
        (used_token, "already used"),
    ):
        other = Client()
        page = other.get(f"/beta/invite/{token}/")
        assert page.status_code == 410 and word in page.content.decode()
        refused = post_accept(other, token)
        assert refused.status_code == 410 and word in refused.content.decode()
    assert not User.objects.filter(email__in=["late@example.test", "gone@example.test"]).exists()
    with pytest.raises(Conflict, match="expired"):
        invitation_accept(token=expired_token, password="a-Long-enough-pass-42")


def test_resending_replaces_the_link(world: World, django_capture_on_commit_callbacks: Any) -> None:
    invitation, old = _invite(world, "again@example.test", django_capture_on_commit_callbacks)
    with tenant_scope(world.a.organization.pk):
        invitation, new = invitation_resend(invitation=invitation, actor=world.a.owner)
    assert invitation.sent_count == 2 and new != old
    assert Client().get(f"/beta/invite/{old}/").status_code == 404
    assert post_accept(Client(), new).status_code == 302


def test_acceptance_beyond_the_seat_quota_is_refused_with_a_clear_message(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    set_quotas(world.a.organization, seats=4)  # owner, producer, viewer: one seat left
    _, first = _invite(world, "first@example.test", django_capture_on_commit_callbacks)
    _, second = _invite(world, "second@example.test", django_capture_on_commit_callbacks)
    assert post_accept(Client(), first).status_code == 302
    refused = post_accept(Client(), second)
    assert refused.status_code == 409
    assert "has used all 4 of its seats" in refused.content.decode()
    assert not User.objects.filter(email="second@example.test").exists()
    with pytest.raises(Conflict, match="All 4 seats"):
        _invite(world, "third@example.test", django_capture_on_commit_callbacks)


def test_only_owners_and_staff_invite_and_the_same_email_may_join_two_partners(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    with pytest.raises(Forbidden):
        invitation_create(
            organization=world.a.organization,
            email="x@example.test",
            role="artist",
            actor=world.a.producer,
        )
    with pytest.raises(Forbidden):
        invitation_create(
            organization=world.a.organization,
            email="x@example.test",
            role="artist",
            actor=world.b.owner,
        )
    _, token_a = _invite(world, "shared@example.test", django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        _, token_b = invitation_create(
            organization=world.b.organization,
            email="shared@example.test",
            role="viewer",
            actor=world.b.owner,
        )
    client = Client()
    assert post_accept(client, token_a).status_code == 302
    # Signed in as that person, the second partner's invitation joins the same account.
    assert client.post(f"/beta/invite/{token_from_link(token_b)}/").status_code == 302
    user = User.objects.get(email="shared@example.test")
    for partner in (world.a, world.b):
        with tenant_scope(partner.organization.pk):
            assert Membership.objects.filter(user=user).exists()


def test_invite_quota_counts_open_invitations(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    set_quotas(world.a.organization, invites=2)
    _invite(world, "i1@example.test", django_capture_on_commit_callbacks)
    invitation, _ = _invite(world, "i2@example.test", django_capture_on_commit_callbacks)
    with pytest.raises(Conflict, match="invite quota"):
        _invite(world, "i3@example.test", django_capture_on_commit_callbacks)
    with tenant_scope(world.a.organization.pk):
        invitation_revoke(invitation=invitation, actor=world.a.owner)
    _invite(world, "i3@example.test", django_capture_on_commit_callbacks)


def test_invitation_api(world: World, django_capture_on_commit_callbacks: Any) -> None:
    from tests.api.helpers import api_client_for

    owner = api_client_for(world.a.owner)
    url = f"/api/v1/orgs/{world.a.organization.slug}/invitations/"
    with django_capture_on_commit_callbacks(execute=True):
        created = owner.post(url, {"email": "api@example.test", "role": "producer"}, format="json")
    assert created.status_code == 201 and created.json()["state"] == "pending"
    assert "token" not in created.json()
    duplicate = owner.post(url, {"email": "api@example.test", "role": "producer"}, format="json")
    assert (
        duplicate.status_code == 409
        and "pending invitation" in duplicate.json()["error"]["message"]
    )
    assert api_client_for(world.a.producer).get(url).status_code == 403
    revoked = owner.delete(f"{url}{created.json()['id']}/")
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"


def test_a_suspended_partner_cannot_invite(world: World) -> None:
    partner_suspend(organization=world.a.organization, actor=world.beta_admin)
    with pytest.raises(Forbidden, match="suspended"):
        invitation_create(
            organization=world.a.organization,
            email="n@example.test",
            role="artist",
            actor=world.a.owner,
        )


def test_other_partners_are_untouched(world: World) -> None:
    other = make_partner("other")
    assert beta_profile_of(other.organization).status == BetaStatus.ACTIVE
