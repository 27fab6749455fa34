"""The partner owner manages the team: changing a role and removing a member both need a
confirmation; removal ends the member's access at once (their socket closes, their API
tokens stop), keeps their data, and is audited. Invitations whose email cannot be sent say
so and offer the link to copy."""

from __future__ import annotations

import re
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from apps.accounts.models import ApiToken
from apps.accounts.services import api_token_create
from apps.audit.selectors import all_audit_entries_readable
from apps.beta.models import Invitation
from apps.tenancy.models import Membership, Role
from apps.tenancy.scope import tenant_scope
from apps.tenancy.services import membership_change_role, membership_remove
from tests.beta.smtp import free_port
from tests.beta.ws import communicator, session_cookie
from tests.factories import PASSWORD, Partner, World, make_partner


def _owner_client(partner: Partner) -> Client:
    client = Client()
    assert client.login(email=partner.owner.email, password=PASSWORD)
    return client


def _membership(partner: Partner, user: Any) -> Membership:
    with tenant_scope(partner.organization.pk, user_id=user.pk):
        return Membership.objects.select_related("user", "organization").get(user=user)


@pytest.mark.django_db
def test_role_change_and_removal_need_confirmation(world: World) -> None:
    a = world.a
    client = _owner_client(a)
    url = f"/beta/{a.organization.slug}/team/"
    viewer = _membership(a, a.viewer)
    asked = client.post(url, {"action": "role", "member": viewer.pk, "role": Role.PRODUCER})
    assert asked.status_code == 200
    assert 'data-testid="confirm-member-change"' in asked.content.decode()
    assert _membership(a, a.viewer).role == Role.VIEWER
    done = client.post(
        url,
        {"action": "role", "member": viewer.pk, "role": Role.PRODUCER, "confirmed": "yes"},
        follow=True,
    )
    assert "is now Producer" in done.content.decode()
    assert _membership(a, a.viewer).role == Role.PRODUCER

    client.post(url, {"action": "remove", "member": viewer.pk})
    with tenant_scope(a.organization.pk):
        assert Membership.objects.filter(pk=viewer.pk).exists()
    removed = client.post(
        url, {"action": "remove", "member": viewer.pk, "confirmed": "yes"}, follow=True
    )
    assert "was removed from" in removed.content.decode()
    with tenant_scope(a.organization.pk):
        assert not Membership.objects.filter(pk=viewer.pk).exists()
    gone = Client()
    assert gone.login(email=a.viewer.email, password=PASSWORD)
    assert gone.get(url).status_code == 404
    with all_audit_entries_readable() as entries:
        actions = set(
            entries.filter(organization_id=a.organization.pk).values_list("action", flat=True)
        )
    assert {"membership.role_change", "membership.remove"} <= actions


@pytest.mark.django_db
def test_only_the_owner_manages_and_the_last_owner_stays(world: World) -> None:
    a = world.a
    producer = Client()
    assert producer.login(email=a.producer.email, password=PASSWORD)
    viewer = _membership(a, a.viewer)
    response = producer.post(
        f"/beta/{a.organization.slug}/team/",
        {"action": "remove", "member": viewer.pk, "confirmed": "yes"},
        follow=True,
    )
    assert "Only the owner" in response.content.decode()
    owner = _membership(a, a.owner)
    client = _owner_client(a)
    demote = client.post(
        f"/beta/{a.organization.slug}/team/",
        {"action": "role", "member": owner.pk, "role": Role.VIEWER, "confirmed": "yes"},
        follow=True,
    )
    assert _membership(a, a.owner).role == Role.OWNER
    assert demote.status_code == 200
    # Another organization's member looks missing.
    other = _membership(world.b, world.b.viewer)
    missing = client.post(
        f"/beta/{a.organization.slug}/team/",
        {"action": "remove", "member": other.pk, "confirmed": "yes"},
        follow=True,
    )
    assert "not a member of your organization" in missing.content.decode()


@pytest.fixture
def partner(committed_db: None) -> Partner:
    return make_partner("teamws")


@pytest.mark.parametrize("change", ["role", "remove"])
async def test_role_change_and_removal_close_the_members_socket(
    partner: Partner, change: str
) -> None:
    cookie = await sync_to_async(session_cookie)(partner.viewer)
    socket = communicator(partner.organization.slug, cookie)
    assert (await socket.connect())[0]
    assert (await socket.receive_json_from())["type"] == "hello"
    owner = await sync_to_async(_membership)(partner, partner.owner)
    viewer = await sync_to_async(_membership)(partner, partner.viewer)
    await sync_to_async(api_token_create)(user=partner.viewer, name="farm")

    def act() -> None:
        with tenant_scope(partner.organization.pk, user_id=partner.owner.pk):
            if change == "role":
                membership_change_role(actor=owner, member=viewer, role=Role.ARTIST)
            else:
                membership_remove(actor=owner, member=viewer)

    await sync_to_async(act)()
    message = await socket.receive_json_from(timeout=2)
    closed = await socket.receive_output(timeout=2)
    assert message["code"] == "access_revoked"
    assert closed == {"type": "websocket.close", "code": 4403}
    revoked = await sync_to_async(
        lambda: ApiToken.objects.filter(user=partner.viewer, revoked_at__isnull=False).count()
    )()
    assert revoked == (1 if change == "remove" else 0)
    if change == "remove":
        again = communicator(partner.organization.slug, cookie)
        connected, code = await again.connect()
        assert not connected and code == 4404


# Committed for real: the email goes out when the invitation's transaction commits.
@pytest.mark.django_db(transaction=True)
def test_an_invitation_whose_email_fails_says_so_and_shows_the_link(
    world: World, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()
    settings.EMAIL_TIMEOUT = 2
    client = _owner_client(world.a)
    url = f"/beta/{world.a.organization.slug}/team/"
    page = client.post(
        url, {"action": "invite", "email": "new.artist@example.com", "role": "artist"}, follow=True
    )
    html = page.content.decode()
    assert "could not be sent" in html and "Invitation sent" not in html
    link = re.search(r'data-testid="invite-link"[^>]*>([^<]+)<', html)
    assert link and "/beta/invite/" in link.group(1)
    # The link works: it shows the invitation.
    assert Client().get(link.group(1).replace("http://testserver", "")).status_code == 200
    with tenant_scope(world.a.organization.pk):
        invitation = Invitation.objects.get(email="new.artist@example.com")
    assert invitation.mail_error and invitation.mailed_at is None
    # Shown once; the table keeps the warning.
    again = client.get(url).content.decode()
    assert 'data-testid="invite-link"' not in again
    assert 'data-testid="invitation-mail-failed"' in again
