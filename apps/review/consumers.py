"""`/ws/review/<session id>/`: the live review room (protocol: docs/review-protocol.md).

Thin: checks each frame (`review.protocol`), re-authorizes the sender and calls the review
services with the sender's membership. Events reach clients only from the session's group
after commit, each with its sequence number; a consumer never forwards an event twice and
fills any gap from PostgreSQL.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs

from allauth.mfa.utils import is_mfa_enabled
from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model

from apps.accounts.middleware import requires_two_factor
from apps.beta.selectors import feature_enabled
from apps.core.access import rule_refusal
from apps.core.consumers import CLOSE_ACCESS_REVOKED, BacklotConsumer
from apps.core.errors import BacklotError, NotFound
from apps.core.request_context import request_context
from apps.media.links import media_signed_url
from apps.review import decisions, notes, protocol, selectors, sessions
from apps.review.events import event_data, review_group
from apps.review.models import ReviewSession
from apps.review.room_liveness import RoomLivenessMixin, ack_frame, client_ref, ref_of_text
from apps.review.serializers import user_data
from apps.tenancy.models import Membership
from apps.tenancy.scope import tenant_scope
from apps.tenancy.selectors import memberships_of_user

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_NOT_FOUND = 4404
RATE_PER_SECOND = 20.0
RATE_BURST = 40.0
ACCESS_GONE = "You no longer have access to this session."


class AccessRevoked(Exception):
    pass


class TokenBucket:
    def __init__(self, rate: float = RATE_PER_SECOND, burst: float = RATE_BURST) -> None:
        self.rate, self.capacity, self.tokens = rate, burst, burst
        self.updated = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


@database_sync_to_async
def _user_by_ticket(ticket: str, session_id: int) -> Any | None:
    user_id = sessions.ticket_user_id(ticket, session_id)
    if user_id is None:
        return None
    return get_user_model().objects.filter(pk=user_id, is_active=True).first()


@database_sync_to_async
def _membership(user: Any, session_id: int) -> Membership | None:
    # Same rule as the pages and the API: studio staff only with two-factor turned on.
    if requires_two_factor(user) and not is_mfa_enabled(user):
        return None
    return selectors.membership_for_session(user, session_id)


@database_sync_to_async
def _session_project_id(user: Any, membership: Membership, session_id: int) -> int | None:
    with tenant_scope(membership.organization_id, user_id=user.pk):
        try:
            return selectors.access_session_by_id(user, membership, session_id).project_id
        except NotFound:
            return None


class ReviewConsumer(RoomLivenessMixin, BacklotConsumer):
    session_id: int = 0
    membership: Membership | None = None
    delivered: int = 0
    joined: bool = False

    # Connection -------------------------------------------------------------------------

    async def connect(self) -> None:
        self.session_id = int(self.scope["url_route"]["kwargs"]["session_id"])
        query = parse_qs(self.scope.get("query_string", b"").decode())
        user = self.scope.get("user")
        if (user is None or not user.is_authenticated) and query.get("ticket"):
            user = await _user_by_ticket(query["ticket"][0], self.session_id)
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user = user
        self.membership = await _membership(user, self.session_id)
        if self.membership is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        # The beta's feature gate, evaluated on the server for the joining organization.
        if not await database_sync_to_async(feature_enabled)(
            self.membership.organization_id, "review.live"
        ):
            await self.accept()
            await self.send(
                json.dumps(
                    {
                        "type": "error",
                        "code": "feature_disabled",
                        "message": "Live review sessions are not switched on for your organization in this beta.",
                    }
                )
            )
            await self.close(code=CLOSE_ACCESS_REVOKED)
            return
        # Suspension (also of one of several partners of the user), agreements, two-factor.
        refusal = await database_sync_to_async(rule_refusal)(user, self.membership.organization_id)
        project_id = await _session_project_id(user, self.membership, self.session_id)
        if refusal is not None or project_id is None:
            await self.accept()
            await self._error("access_revoked", refusal or ACCESS_GONE)
            await self.close(code=CLOSE_ACCESS_REVOKED)
            return
        self.bucket = TokenBucket()
        self.access_organization_id, self.access_project_id = (
            self.membership.organization_id,
            project_id,
        )
        await self.join_control_groups()
        await self.channel_layer.group_add(review_group(self.session_id), self.channel_name)
        await self.accept()
        last_seq: int | None = None
        raw = (query.get("last_seq") or [""])[0]
        if raw.isdigit():
            last_seq = int(raw)
        try:
            frames = await database_sync_to_async(self._join)(last_seq)
        except (AccessRevoked, NotFound):
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.joined = True
        self.start_heartbeat()
        for frame in frames:
            await self.send(json.dumps(frame))

    def _join(self, last_seq: int | None) -> list[dict[str, Any]]:
        with self._scope() as session:
            sessions.presence_join(
                actor=self._actor, session=session, channel_name=self.channel_name
            )
            session.refresh_from_db()
            welcome = {
                "type": "welcome",
                "you": {**user_data(self.user), "role": self._actor.role},
                "session": selectors.session_data(session),
            }
            if last_seq is None or last_seq > session.last_seq:
                snapshot = selectors.session_snapshot(session, self._link, self.user)
                self.delivered = snapshot["seq"]
                return [welcome, {"type": "state", **snapshot}]
            events = selectors.events_after(session, last_seq)
            frames = [event_data(e) for e in events]
            self.delivered = frames[-1]["seq"] if frames else last_seq
            return [welcome, *frames, {"type": "resumed", "seq": self.delivered}]

    async def disconnect(self, code: int) -> None:
        # Presence first and whatever happens to the groups (a broker that is away): a
        # socket that is gone never stays in the room. A row left behind anyway (a killed
        # process) expires with its heartbeat (review.presence).
        await self.stop_heartbeat()
        try:
            if self.joined:
                try:
                    await database_sync_to_async(self._leave)()
                except Exception:  # the room must not fail because a leaver's access went away
                    logger.exception("presence cleanup failed for %s", self.channel_name)
        finally:
            await self.leave_control_groups()
            if self.session_id:
                await self.channel_layer.group_discard(
                    review_group(self.session_id), self.channel_name
                )

    def _leave(self) -> None:
        with tenant_scope(self._actor.organization_id, user_id=self.user.pk):
            sessions.presence_leave(
                actor=self._actor, session_id=self.session_id, channel_name=self.channel_name
            )

    @property
    def _actor(self) -> Membership:
        """The sender's membership (re-read on every message): the actor of every service."""
        assert self.membership is not None
        return self.membership

    def _link(self, media_id: int) -> str:
        return media_signed_url(actor=self._actor, media_id=media_id)

    def _reauthorize(self) -> Membership:
        """The sender's current membership in the organization it joined through."""
        organization_id = self._actor.organization_id
        current = next(
            (m for m in memberships_of_user(self.user) if m.organization_id == organization_id),
            None,
        )
        self.user.refresh_from_db(fields=["is_active"])
        if current is None or not self.user.is_active:
            raise AccessRevoked()
        current.user = self.user  # the same user object: no second read for the services
        self.membership = current
        return current

    @contextmanager
    def _scope(self) -> Iterator[ReviewSession]:
        """Re-authorize and open the tenant scope; yields the session."""
        membership = self._reauthorize()
        with (
            request_context(source="websocket"),
            tenant_scope(membership.organization_id, user_id=self.user.pk),
        ):
            try:
                session = selectors.access_session_by_id(self.user, membership, self.session_id)
            except NotFound as error:
                raise AccessRevoked() from error
            yield session

    # Messages ---------------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            frame = protocol.check_frame(text_data)
            if not self.bucket.take():
                ref = ref_of_text(text_data)
                await self._error("rate_limited", "Too many messages; slow down.", ref)
                return
            message = protocol.parse_message(frame)
        except protocol.BadMessage as error:
            await self._error(error.code, error.message)
            return
        kind = message["type"]
        ref = message.get("client_id")
        self.heard()
        if kind == "ping":
            pong = {"type": "pong", "seq": self.delivered, **client_ref(message)}
            await self.send(json.dumps(pong))
            return
        handler = self.HANDLERS.get(kind)
        if handler is None:
            await self._error("unknown_type", f"Unknown message type {kind[:40]!r}.", ref)
            return
        if not await self.still_allowed():  # suspension, logout, two-factor: epochs moved
            return
        try:
            reply = await database_sync_to_async(self._handle)(handler, message)
        except AccessRevoked:
            await self.revoke(ACCESS_GONE)
            return
        except BacklotError as error:
            await self._error(error.code, error.message, ref, field=error.field)
            return
        except (KeyError, TypeError, ValueError) as error:
            await self._error("invalid", f"Missing or invalid field: {error}", ref)
            return
        except Exception:  # one bad message must never take the connection down
            logger.exception("review message %s failed", kind)
            await self._error("server_error", "Something went wrong; try again.", ref)
            return
        if reply is not None:  # the answer to a client_id: its reply or an ack
            await self.send(json.dumps({**reply, **client_ref(message)}))

    def _handle(self, handler: Callable[..., Any], message: dict[str, Any]) -> Any:
        with self._scope() as session:
            reply = handler(self, session, message)
            if reply is None and client_ref(message):
                reply = ack_frame(session)
            return reply

    async def _error(
        self, code: str, message: str, ref: Any = None, field: str | None = None
    ) -> None:
        body: dict[str, Any] = {"type": "error", "code": code, "message": message}
        if isinstance(ref, str):
            body["client_id"] = ref[:100]
        if field:
            body["field"] = field
        await self.send(json.dumps(body))

    # Handlers (run in a worker thread inside the tenant scope) --------------------------

    def _on_playback(self, session: ReviewSession, message: dict[str, Any]) -> None:
        sessions.playback_update(
            actor=self._actor, session_id=session.pk, changes=protocol.playback_changes(message)
        )

    def _on_control_request(self, session: ReviewSession, message: dict[str, Any]) -> None:
        sessions.control_request(actor=self._actor, session_id=session.pk)

    def _on_control_grant(self, session: ReviewSession, message: dict[str, Any]) -> None:
        sessions.control_grant(
            actor=self._actor, session_id=session.pk, user_id=int(message["user"])
        )

    def _on_control_take(self, session: ReviewSession, message: dict[str, Any]) -> None:
        sessions.control_take(actor=self._actor, session_id=session.pk)

    def _on_session_state(self, session: ReviewSession, message: dict[str, Any]) -> None:
        sessions.session_set_state(
            actor=self._actor, session=session, state=str(message.get("state"))
        )

    def _on_note_create(self, session: ReviewSession, message: dict[str, Any]) -> Any:
        # A retry (same client_id) returns the first note: its ack names the same note and seq.
        note = notes.note_create(
            actor=self._actor,
            version=selectors.access_session_version(session, message.get("version")),
            frame_in=message.get("frame_in"),
            frame_out=message.get("frame_out"),
            text=message.get("text"),
            drawing=message.get("drawing"),
            session=session,
            client_id=protocol.client_id(message),
        )
        seq = selectors.note_created_seq(session, note.pk)
        return {"type": "ack", "note": note.pk, "seq": seq} if client_ref(message) else None

    def _on_note_update(self, session: ReviewSession, message: dict[str, Any]) -> None:
        notes.note_update(
            actor=self._actor,
            note=selectors.access_session_note(session, message.get("note")),
            revision=message.get("revision"),
            changes=protocol.note_changes(message),
            client_id=protocol.client_id(message),
        )

    def _on_reply_create(self, session: ReviewSession, message: dict[str, Any]) -> None:
        notes.reply_create(
            actor=self._actor,
            note=selectors.access_session_note(session, message.get("note")),
            text=message.get("text"),
            client_id=protocol.client_id(message),
        )

    def _on_decision(self, session: ReviewSession, message: dict[str, Any]) -> None:
        decisions.decision_create(
            actor=self._actor,
            version=selectors.access_session_version(session, message.get("version")),
            decision=message.get("decision"),
            comment=message.get("comment", ""),
            session=session,
        )

    def _on_media_link(self, session: ReviewSession, message: dict[str, Any]) -> dict[str, Any]:
        version = selectors.access_session_version(session, message.get("version"))
        proxy = selectors.proxy_of_version(version.pk, self.user)
        if proxy is None:
            raise NotFound("This version has no playable proxy yet.")
        return {"type": "media.link", "version": version.pk, "url": self._link(proxy.pk)}

    def _on_sync(self, session: ReviewSession, message: dict[str, Any]) -> dict[str, Any]:
        snapshot = selectors.session_snapshot(session, self._link, self.user)
        self.delivered = max(self.delivered, snapshot["seq"])
        return {"type": "state", **snapshot}

    HANDLERS: dict[str, Callable[..., Any]] = {
        "playback": _on_playback,
        "control.request": _on_control_request,
        "control.grant": _on_control_grant,
        "control.take": _on_control_take,
        "note.create": _on_note_create,
        "note.update": _on_note_update,
        "reply.create": _on_reply_create,
        "decision": _on_decision,
        "session.state": _on_session_state,
        "media.link": _on_media_link,
        "sync": _on_sync,
    }

    # Group events -----------------------------------------------------------------------

    async def review_event(self, message: dict[str, Any]) -> None:
        # One delivery at a time: the heartbeat and a broker recovery also send from the log.
        async with self.deliver_lock():
            await self._deliver_event(message["event"])

    async def _deliver_event(self, event: dict[str, Any]) -> None:
        seq = int(event["seq"])
        if seq <= self.delivered:
            return  # already sent (replay, snapshot, or a duplicate delivery)
        # Before every send: a listener that never sends must still lose access at once.
        if not await self.still_allowed():
            return
        if seq > self.delivered + 1:
            # An earlier event is late (another server process) or was lost: read the gap.
            try:
                missing = await database_sync_to_async(self._events_between)(self.delivered, seq)
            except (AccessRevoked, NotFound):
                await self.close(code=CLOSE_NOT_FOUND)
                return
            for item in missing:
                await self.send(json.dumps(item))
        await self.send(json.dumps(event))
        self.delivered = seq

    def _recheck(self) -> None:
        with self._scope():
            pass

    def access_refusal(self) -> str | None:
        """Membership, active user and the session visible to it (`_scope`), then the
        checks of every socket (login, suspension, two-factor)."""
        try:
            self._recheck()
        except (AccessRevoked, NotFound):
            return ACCESS_GONE
        return self.role_refusal(self._actor.role) or self.common_refusal()

    def _events_between(self, after: int, before: int) -> list[dict[str, Any]]:
        with self._scope() as session:
            events = [
                event_data(e)
                for e in selectors.events_after(session, after, limit=before - after - 1)
                if e.seq < before
            ]
        if events:
            self.delivered = events[-1]["seq"]
        return events
