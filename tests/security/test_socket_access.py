"""Standing battery: every socket kind x every access change -> closed within one second
with an `access_revoked` error frame and close 4403, and no frame after the change.

Each case opens a socket as the person the change affects, makes the change through the
service a user would use, and right after it (after commit) sends the socket's group an
event (the "canary"). The canary must never arrive. A second pass loses every control
message (the channel layer drops `access.*`), so the socket must notice the change on its
own before sending the canary (the re-check on every send). Tickets minted before a change
are refused after it. `test_every_socket_route_is_in_the_battery` fails when a websocket
route is added to the ASGI router without a kind here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

from tests.review.conftest import Room, build_room, drain, session_cookie

CLOSE_ACCESS_REVOKED = 4403
REFUSAL_CODES = ("access_revoked", "link_closed")


# The world --------------------------------------------------------------------------------


@dataclass
class World:
    room: Room
    guest_token: str = ""
    guest_link: Any = None


def _member(organization: Any, user: Any) -> Any:
    from apps.tenancy.models import Membership
    from apps.tenancy.scope import tenant_scope

    with tenant_scope(organization.pk):
        return Membership.objects.select_related("user", "organization").get(user=user)


def build_world() -> World:
    from apps.review import guests
    from apps.tenancy.models import Role
    from apps.tenancy.scope import tenant_scope
    from apps.tenancy.services import membership_create

    room = build_room("sa")
    # The partner's producer also works for another partner (suspension must only cut
    # the suspended partner's sockets of such people).
    membership_create(
        organization=room.other.organization,
        user=room.partner.producer,
        role=Role.PRODUCER,
        actor=None,
    )
    partner = room.partner
    with tenant_scope(partner.organization.pk, user_id=partner.owner.pk):
        link, token = guests.guest_link_create(
            actor=_member(partner.organization, partner.owner),
            email="guest@example.com",
            expires_in_days=2,
            session=room.session,
        )
    return World(room, token, link)


@pytest.fixture
def world(committed_db: None) -> World:
    return build_world()


# Socket kinds -----------------------------------------------------------------------------


def _headers(cookie: str | None) -> list[tuple[bytes, bytes]]:
    headers = [(b"origin", b"http://localhost"), (b"host", b"localhost")]
    if cookie:
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    return headers


@dataclass
class SocketKind:
    path: Callable[[World, Any], str]  # (world, organization of the victim) -> path
    group: Callable[[World, Any], str]  # the event group the canary goes to
    canary: Callable[[dict[str, Any]], dict[str, Any]]  # last frame seen -> message


def _org_path(world: World, organization: Any) -> str:
    return f"/ws/orgs/{organization.slug}/"


def _org_group(world: World, organization: Any) -> str:
    from apps.core.events import organization_group

    return organization_group(organization.pk)


def _project_group(world: World, organization: Any) -> str:
    from apps.core.events import project_group

    return project_group(world.room.partner.project.pk)


def _review_group(world: World, organization: Any) -> str:
    from apps.review.events import review_group

    return review_group(world.room.session.pk)


def _review_canary(kind: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def canary(last: dict[str, Any]) -> dict[str, Any]:
        seq = int(last.get("seq", 0)) + 1
        return {
            "type": "review.event",
            "event": {"type": kind, "seq": seq, "state": "live", "canary": True},
        }

    return canary


SOCKETS: dict[str, SocketKind] = {
    "ws/orgs/<slug:org>/": SocketKind(
        _org_path,
        _org_group,
        lambda last: {"type": "org.event", "event": {"type": "canary", "canary": True}},
    ),
    "ws/projects/<int:project_id>/": SocketKind(
        lambda world, org: f"/ws/projects/{world.room.partner.project.pk}/",
        _project_group,
        lambda last: {"type": "project.event", "event": {"type": "canary", "canary": True}},
    ),
    "ws/review/<int:session_id>/": SocketKind(
        lambda world, org: f"/ws/review/{world.room.session.pk}/",
        _review_group,
        _review_canary("session.state"),
    ),
    "ws/guest/<str:token>/": SocketKind(
        lambda world, org: f"/ws/guest/{world.guest_token}/",
        _review_group,
        _review_canary("session.state"),
    ),
}


# Access changes ---------------------------------------------------------------------------


@dataclass
class Change:
    victim: Callable[[World], Any]  # the person whose socket is cut (None: the guest)
    organization: Callable[[World], Any]  # through which they connect
    make: Callable[[World, str], None]  # (world, the victim's session key) -> the change
    kinds: tuple[str, ...]  # the socket kinds it affects


USER_KINDS = ("ws/orgs/<slug:org>/", "ws/projects/<int:project_id>/", "ws/review/<int:session_id>/")
PROJECT_KINDS = ("ws/projects/<int:project_id>/", "ws/review/<int:session_id>/")
GUEST_KIND = "ws/guest/<str:token>/"


def _revoke_share(world: World, cookie: str) -> None:
    from apps.tenancy.models import ProjectShare
    from apps.tenancy.scope import tenant_scope
    from apps.tenancy.services import project_share_revoke

    partner = world.room.partner
    with tenant_scope(partner.organization.pk, user_id=partner.owner.pk):
        share = ProjectShare.objects.get(project=partner.project, revoked_at=None)
        project_share_revoke(share=share, actor=partner.owner)


def _remove_member(world: World, cookie: str) -> None:
    from apps.tenancy.scope import tenant_scope
    from apps.tenancy.services import membership_remove

    partner = world.room.partner
    with tenant_scope(partner.organization.pk, user_id=partner.owner.pk):
        membership_remove(
            actor=_member(partner.organization, partner.owner),
            member=_member(partner.organization, partner.viewer),
        )


def _lower_role(world: World, cookie: str) -> None:
    from apps.tenancy.models import Role
    from apps.tenancy.scope import tenant_scope
    from apps.tenancy.services import membership_change_role

    partner = world.room.partner
    with tenant_scope(partner.organization.pk, user_id=partner.owner.pk):
        membership_change_role(
            actor=_member(partner.organization, partner.owner),
            member=_member(partner.organization, partner.producer),
            role=Role.VIEWER,
        )


def _suspend_partner(world: World, cookie: str) -> None:
    from apps.beta.suspension import partner_suspend

    partner_suspend(organization=world.room.partner.organization, actor=None, reason="Test.")


def _log_out(world: World, cookie: str) -> None:
    from django.test import Client

    client = Client(HTTP_HOST="localhost")
    client.cookies["sessionid"] = cookie
    response = client.post("/accounts/logout/")
    assert response.status_code in (200, 302), response.status_code


def _turn_two_factor_off(world: World, cookie: str) -> None:
    from allauth.mfa.base.internal.flows import delete_and_cleanup
    from allauth.mfa.models import Authenticator
    from django.test import RequestFactory

    request = RequestFactory().post("/accounts/2fa/totp/deactivate/")
    request.user = world.room.reviewer
    totp = Authenticator.objects.get(user=world.room.reviewer, type=Authenticator.Type.TOTP)
    delete_and_cleanup(request, totp)


def _revoke_guest_link(world: World, cookie: str) -> None:
    from apps.review import guests
    from apps.tenancy.scope import tenant_scope

    partner = world.room.partner
    with tenant_scope(partner.organization.pk, user_id=partner.owner.pk):
        guests.guest_link_revoke(
            actor=_member(partner.organization, partner.owner), link=world.guest_link
        )


def _partner_org(world: World) -> Any:
    return world.room.partner.organization


CHANGES: dict[str, Change] = {
    "share_revoked": Change(
        lambda w: w.room.reviewer, lambda w: w.room.studio, _revoke_share, PROJECT_KINDS
    ),
    "member_removed": Change(
        lambda w: w.room.partner.viewer, _partner_org, _remove_member, USER_KINDS
    ),
    "role_lowered": Change(
        lambda w: w.room.partner.producer, _partner_org, _lower_role, USER_KINDS
    ),
    "partner_suspended": Change(
        lambda w: w.room.partner.producer,
        _partner_org,
        _suspend_partner,
        (*USER_KINDS, GUEST_KIND),
    ),
    "logout": Change(lambda w: w.room.partner.producer, _partner_org, _log_out, USER_KINDS),
    "two_factor_off": Change(
        lambda w: w.room.reviewer, lambda w: w.room.studio, _turn_two_factor_off, USER_KINDS
    ),
    "guest_link_revoked": Change(lambda w: None, _partner_org, _revoke_guest_link, (GUEST_KIND,)),
}

CASES = [(kind, change) for change, spec in CHANGES.items() for kind in spec.kinds]


# Helpers ----------------------------------------------------------------------------------


async def _open(world: World, kind: str, change: str) -> tuple[WebsocketCommunicator, str, dict]:
    from studio.asgi import application

    spec = CHANGES[change]
    victim = spec.victim(world)
    cookie = await sync_to_async(session_cookie)(victim) if victim is not None else ""
    path = SOCKETS[kind].path(world, spec.organization(world))
    socket = WebsocketCommunicator(application, path, headers=_headers(cookie or None))
    connected, code = await socket.connect()
    assert connected, f"{kind} refused {change}'s victim before the change: {code}"
    frames = [json.loads(await socket.receive_from(timeout=10))]  # a loaded machine
    frames += await drain(socket)
    assert not [f for f in frames if f.get("type") == "error"], frames
    last = next((f for f in reversed(frames) if "seq" in f), frames[-1])
    return socket, cookie, last


async def _frames_until_close(socket: WebsocketCommunicator) -> tuple[list[dict], int | None]:
    frames: list[dict[str, Any]] = []
    while True:
        output = await socket.receive_output(timeout=1)  # closed within one second
        if output["type"] == "websocket.close":
            return frames, output.get("code")
        frames.append(json.loads(output["text"]))


def _change_then_canary(world: World, kind: str, change: str, cookie: str, last: dict) -> None:
    spec = CHANGES[change]
    spec.make(world, cookie)
    socket_kind = SOCKETS[kind]
    async_to_sync(get_channel_layer().group_send)(
        socket_kind.group(world, spec.organization(world)), socket_kind.canary(last)
    )


async def _assert_cut_off(socket: WebsocketCommunicator, kind: str, change: str) -> None:
    frames, code = await _frames_until_close(socket)
    assert code == CLOSE_ACCESS_REVOKED, (kind, change, frames, code)
    assert not [f for f in frames if f.get("canary") or f.get("state") == "live"], frames
    errors = [f for f in frames if f.get("type") == "error"]
    assert errors and errors[-1]["code"] in REFUSAL_CODES, frames
    assert errors[-1]["message"], "the error frame says why"
    assert await socket.receive_nothing(timeout=0.3), "a frame after the close"


# The battery ------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "change"), CASES)
async def test_access_change_closes_the_socket_at_once(
    world: World, kind: str, change: str
) -> None:
    socket, cookie, last = await _open(world, kind, change)
    await sync_to_async(_change_then_canary)(world, kind, change, cookie, last)
    await _assert_cut_off(socket, kind, change)


@pytest.mark.parametrize(("kind", "change"), CASES)
async def test_socket_rechecks_before_sending_when_the_close_is_lost(
    world: World, kind: str, change: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control message never arrives: the socket still refuses to send the next event."""
    from apps.core import access

    socket, cookie, last = await _open(world, kind, change)
    monkeypatch.setattr(access, "get_channel_layer", lambda: None)
    await sync_to_async(_change_then_canary)(world, kind, change, cookie, last)
    await _assert_cut_off(socket, kind, change)


TICKET_CHANGES = [c for c, spec in CHANGES.items() if "ws/review/<int:session_id>/" in spec.kinds]


@pytest.mark.parametrize("change", TICKET_CHANGES)
async def test_a_ticket_minted_before_a_change_is_refused_after_it(
    world: World, change: str
) -> None:
    from apps.review import sessions
    from apps.tenancy.scope import tenant_scope
    from studio.asgi import application

    spec = CHANGES[change]
    victim, organization = spec.victim(world), spec.organization(world)

    def mint() -> str:
        membership = _member(organization, victim)
        with tenant_scope(organization.pk, user_id=victim.pk):
            return sessions.ticket_issue(actor=membership, session=world.room.session)

    ticket = await sync_to_async(mint)()
    cookie = await sync_to_async(session_cookie)(victim)
    await sync_to_async(spec.make)(world, cookie)
    socket = WebsocketCommunicator(
        application, f"/ws/review/{world.room.session.pk}/?ticket={ticket}", headers=_headers(None)
    )
    connected, code = await socket.connect()
    if connected:
        frames, code = await _frames_until_close(socket)
        assert not [f for f in frames if f["type"] in ("welcome", "state")], frames
    assert code in (4401, 4403, 4404), code


async def test_a_fresh_ticket_still_connects(world: World) -> None:
    from apps.review import sessions
    from apps.tenancy.scope import tenant_scope
    from studio.asgi import application

    partner = world.room.partner

    def mint() -> str:
        with tenant_scope(partner.organization.pk, user_id=partner.viewer.pk):
            return sessions.ticket_issue(
                actor=_member(partner.organization, partner.viewer), session=world.room.session
            )

    ticket = await sync_to_async(mint)()
    socket = WebsocketCommunicator(
        application, f"/ws/review/{world.room.session.pk}/?ticket={ticket}", headers=_headers(None)
    )
    assert (await socket.connect())[0]
    assert json.loads(await socket.receive_from(timeout=10))["type"] == "welcome"
    await socket.disconnect()


@pytest.mark.parametrize("kind", USER_KINDS)
async def test_studio_staff_without_two_factor_are_refused(world: World, kind: str) -> None:
    from allauth.mfa.models import Authenticator

    from studio.asgi import application

    reviewer = world.room.reviewer
    await sync_to_async(lambda: Authenticator.objects.filter(user=reviewer).delete())()
    cookie = await sync_to_async(session_cookie)(reviewer)
    path = SOCKETS[kind].path(world, world.room.studio)
    socket = WebsocketCommunicator(application, path, headers=_headers(cookie))
    connected, code = await socket.connect()
    if connected:
        frames, code = await _frames_until_close(socket)
        assert [f["type"] for f in frames] == ["error"], frames
    assert code in (4403, 4404), code


@pytest.mark.parametrize("kind", USER_KINDS)
async def test_suspension_spares_the_other_partner_of_a_member_of_both(
    world: World, kind: str
) -> None:
    """After the suspension the producer (member of both partners) signs in again: the
    suspended partner's sockets are refused, the other partner's organization socket opens."""
    from studio.asgi import application

    producer = world.room.partner.producer
    await sync_to_async(_suspend_partner)(world, "")
    cookie = await sync_to_async(session_cookie)(producer)
    refused = WebsocketCommunicator(
        application,
        SOCKETS[kind].path(world, world.room.partner.organization),
        headers=_headers(cookie),
    )
    connected, code = await refused.connect()
    if connected:
        frames, code = await _frames_until_close(refused)
        assert [f["type"] for f in frames] == ["error"], frames
    assert code in (4403, 4404), code
    other = WebsocketCommunicator(
        application, f"/ws/orgs/{world.room.other.organization.slug}/", headers=_headers(cookie)
    )
    assert (await other.connect())[0]
    assert (await other.receive_json_from(timeout=2))["type"] == "hello"
    await other.disconnect()


async def test_the_partner_keeps_its_own_sockets_when_it_revokes_a_share(world: World) -> None:
    from studio.asgi import application

    owner = world.room.partner.owner
    cookie = await sync_to_async(session_cookie)(owner)
    socket = WebsocketCommunicator(
        application, f"/ws/projects/{world.room.partner.project.pk}/", headers=_headers(cookie)
    )
    assert (await socket.connect())[0]
    assert json.loads(await socket.receive_from(timeout=10))["type"] == "hello"
    await sync_to_async(_change_then_canary)(
        world, "ws/projects/<int:project_id>/", "share_revoked", cookie, {}
    )
    frames = await drain(socket, timeout=0.5)
    assert [f["type"] for f in frames] == ["canary"], frames
    await socket.disconnect()


# Coverage ---------------------------------------------------------------------------------


def _routes(app: Any) -> list[str]:
    """Every websocket route pattern under the ASGI application, through its middleware."""
    routes = getattr(app, "routes", None)
    if routes is not None:
        found = []
        for route in routes:
            inner = getattr(getattr(route, "callback", None), "routes", None)
            pattern = str(route.pattern)
            found += [pattern + p for p in _routes(route.callback)] if inner else [pattern]
        return found
    for attribute in ("application", "inner", "app"):
        inner_app = getattr(app, attribute, None)
        if inner_app is not None:
            return _routes(inner_app)
    return []


def test_every_socket_route_is_in_the_battery() -> None:
    from studio.asgi import application

    routes = _routes(application.application_mapping["websocket"])
    assert routes, "no websocket routes found under studio.asgi"
    missing = sorted(set(routes) - set(SOCKETS))
    assert not missing, f"websocket routes without a socket kind in this battery: {missing}"
    untested = sorted(kind for kind in SOCKETS if not any(kind == k for k, _ in CASES))
    assert not untested, f"socket kinds with no access change: {untested}"
    stale = sorted(set(SOCKETS) - set(routes))
    assert not stale, f"socket kinds that are no longer routes: {stale}"
