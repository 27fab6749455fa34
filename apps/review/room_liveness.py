"""The review room socket's liveness (a mixin of `ReviewConsumer`): acknowledgements,
the presence heartbeat and catching up from the event log.

- **Acks**: a message with a `client_id` is answered once: its reply frame, an `error`, or
  `{"type": "ack", "client_id", "seq"}` where `seq` is the room's sequence number once
  the change was stored (its event has a `seq` at most that).
- **Heartbeat**: every REVIEW_PRESENCE_HEARTBEAT_SECONDS the socket refreshes its
  presence row, sweeps the room's stale rows (`review.presence`) and compares the room's
  last sequence number with what it delivered: an event whose broadcast was lost (broker
  down at commit time) still reaches the socket, from the log. A client silent for
  REVIEW_CLIENT_SILENCE_SECONDS is closed (1001; the browser reconnects and resumes).
- **Broker back** (`layer_recovered`, from `apps.core.resilient_layer`): catch up at once.

Deliveries (live events and catch-ups) run one at a time (`deliver_lock`), so an event is
never sent twice or out of order on one connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings

from apps.review import presence, selectors, sessions
from apps.review.events import event_data
from apps.review.models import ReviewSession
from apps.tenancy.scope import tenant_scope

logger = logging.getLogger(__name__)

CLOSE_SILENT = 1001


def client_ref(message: dict[str, Any]) -> dict[str, Any]:
    """`{"client_id": ...}` to add to the answer of `message`, or {}."""
    ref = message.get("client_id")
    return {"client_id": ref[:100]} if isinstance(ref, str) else {}


def ref_of_text(text_data: str | None) -> Any:
    """The `client_id` of a message refused before parsing (rate limit), if readable."""
    try:
        message = json.loads(text_data or "")
    except ValueError:
        return None
    return message.get("client_id") if isinstance(message, dict) else None


def ack_frame(session: ReviewSession) -> dict[str, Any]:
    """In the handler's transaction: the room's sequence number including the change."""
    last = ReviewSession.objects.values_list("last_seq", flat=True).get(pk=session.pk)
    return {"type": "ack", "seq": last}


class RoomLivenessMixin:
    # Provided by ReviewConsumer.
    session_id: int
    delivered: int
    channel_name: str
    user: Any
    heartbeat: asyncio.Task[None] | None = None
    last_heard: float = 0.0
    _deliver_lock: asyncio.Lock | None = None

    def deliver_lock(self) -> asyncio.Lock:
        if self._deliver_lock is None:
            self._deliver_lock = asyncio.Lock()
        return self._deliver_lock

    def heard(self) -> None:
        self.last_heard = time.monotonic()

    def start_heartbeat(self) -> None:
        self.heard()
        self.heartbeat = asyncio.ensure_future(self._heartbeat())

    async def stop_heartbeat(self) -> None:
        task, self.heartbeat = self.heartbeat, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _heartbeat(self) -> None:
        interval = settings.REVIEW_PRESENCE_HEARTBEAT_SECONDS
        while True:
            await asyncio.sleep(interval)
            if time.monotonic() - self.last_heard > settings.REVIEW_CLIENT_SILENCE_SECONDS:
                logger.info("closing silent review socket %s", self.channel_name)
                await self.close(code=CLOSE_SILENT)  # type: ignore[attr-defined]
                return
            try:
                last_seq = await database_sync_to_async(self._beat, thread_sensitive=False)()
            except Exception as error:  # the database is away: try again next beat
                logger.warning("presence heartbeat failed for %s: %s", self.channel_name, error)
                continue
            if last_seq > self.delivered:
                await self.catch_up()

    def _beat(self) -> int:
        actor = self._actor  # type: ignore[attr-defined]
        with tenant_scope(actor.organization_id, user_id=self.user.pk):
            if not presence.presence_touch(channel_name=self.channel_name):
                # Swept while this process stalled (or the database was away): join again.
                session = ReviewSession.objects.get(pk=self.session_id)
                sessions.presence_join(actor=actor, session=session, channel_name=self.channel_name)
            presence.presence_sweep(session_id=self.session_id)
            return int(
                ReviewSession.objects.values_list("last_seq", flat=True).get(pk=self.session_id)
            )

    async def layer_recovered(self) -> None:
        await self.catch_up()

    async def catch_up(self) -> None:
        """Send every logged event after the last one delivered (re-authorized)."""
        async with self.deliver_lock():
            try:
                frames = await database_sync_to_async(self._events_since)(self.delivered)
            except Exception as error:  # access gone or the database away: next beat
                logger.warning("catch-up failed for %s: %s", self.channel_name, error)
                return
            if frames and not await self.still_allowed():  # type: ignore[attr-defined]
                return
            for frame in frames:
                if frame["seq"] > self.delivered:
                    await self.send(json.dumps(frame))  # type: ignore[attr-defined]
                    self.delivered = frame["seq"]

    def _events_since(self, after: int) -> list[dict[str, Any]]:
        with self._scope() as session:  # type: ignore[attr-defined]
            return [event_data(e) for e in selectors.events_after(session, after)]
