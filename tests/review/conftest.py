"""A committed review room: partner, versions with real proxies, a session, shares."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from channels.testing import WebsocketCommunicator
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

from tests.factories import Partner, enable_totp, make_partner, make_user, share_with_studio
from tests.review.media import encode_proxy, make_proxy

_PROXY: dict[str, bytes] = {}


def proxy_bytes() -> bytes:
    if "default" not in _PROXY:
        _PROXY["default"] = encode_proxy()
    return _PROXY["default"]


@dataclass
class Room:
    partner: Partner
    other: Partner
    studio: Any
    reviewer: Any  # studio reviewer, invited, project shared
    outsider: Any  # studio reviewer, not invited
    session: Any
    versions: list[Any]


def build_room(label: str = "rv", *, frame_rate: str | None = None) -> Room:
    from apps.production.services import version_create
    from apps.review.sessions import session_create
    from apps.tenancy.models import OrganizationKind, Role
    from apps.tenancy.scope import tenant_scope
    from apps.tenancy.selectors import members_of_current_organization
    from apps.tenancy.services import membership_create
    from tests.factories import make_organization

    partner, other = make_partner(label), make_partner(label + "x")
    studio = make_organization("Studio", OrganizationKind.STUDIO)
    reviewer, outsider = make_user(label + "-reviewer"), make_user(label + "-outsider")
    membership_create(organization=studio, user=reviewer, role=Role.REVIEWER, actor=None)
    membership_create(organization=studio, user=outsider, role=Role.REVIEWER, actor=None)
    enable_totp(reviewer)
    enable_totp(outsider)
    share_with_studio(partner, studio)
    with tenant_scope(partner.organization.pk, user_id=partner.owner.pk):
        project = partner.project
        if frame_rate:
            from apps.production.services import parse_frame_rate

            rate = parse_frame_rate(frame_rate)
            project.frame_rate_numerator, project.frame_rate_denominator = (
                rate.numerator,
                rate.denominator,
            )
            project.save()
        versions = [
            version_create(actor=partner.owner, shot=partner.shot, source="upload")
            for _ in range(2)
        ]
        for version in versions:
            make_proxy(version, data=proxy_bytes() if not frame_rate else None)
        session = session_create(
            actor=members_of_current_organization().get(user=partner.owner),
            project=project,
            title=f"{label} dailies",
            version_ids=[v.pk for v in versions],
            participant_ids=[reviewer.pk],
        )
    return Room(partner, other, studio, reviewer, outsider, session, versions)


@pytest.fixture
def room(committed_db: None) -> Room:
    return build_room()


def session_cookie(user: Any) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return session.session_key or ""


def communicator(
    session_id: int,
    cookie: str | None,
    *,
    query: str = "",
    origin: str = "http://localhost",
) -> WebsocketCommunicator:
    from studio.asgi import application

    headers = [(b"origin", origin.encode()), (b"host", b"localhost")]
    if cookie:
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    path = f"/ws/review/{session_id}/" + (f"?{query}" if query else "")
    return WebsocketCommunicator(application, path, headers=headers)


async def receive_until(
    socket: WebsocketCommunicator, kind: str, *, timeout: float = 5
) -> dict[str, Any]:
    """Next frame of a type, skipping others (presence etc.)."""
    while True:
        frame = json.loads(await socket.receive_from(timeout=timeout))
        if frame["type"] == kind:
            return frame


async def drain(socket: WebsocketCommunicator, *, timeout: float = 0.3) -> list[dict[str, Any]]:
    """Everything that arrives until the socket stays quiet for `timeout` seconds (without
    receive_from timing out, which would cancel the application)."""
    frames = []
    while not await socket.receive_nothing(timeout=timeout):
        frames.append(json.loads(await socket.receive_from(timeout=timeout)))
    return frames
