"""`/ws/guest/<token>/`: a guest's live channel (read-only).

The guest joins the revocation group of the link's guest identity (revoking the link
closes it at once, on every server process), closes itself when the link expires, and,
for a session link, listens to the session's room. Every message it sends or forwards
first re-checks that the link is still open. Guests get only what a viewer of the named
versions needs: the presenter's playback, the session state and "the notes changed"
(the page re-renders its notes, with names but never addresses); never presence,
participants or control hand-over. Guests write notes over HTTP, not here.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from channels.db import database_sync_to_async
from django.utils import timezone

from apps.core.access import rule_refusal
from apps.core.consumers import CLOSE_ACCESS_REVOKED, BacklotConsumer
from apps.core.errors import BacklotError
from apps.core.request_context import request_context
from apps.review import guests
from apps.review.events import review_group

logger = logging.getLogger(__name__)

CLOSE_NOT_FOUND = 4404
NOTE_EVENT_PREFIXES = ("note.", "reply.", "decision")
PLAYBACK_KEYS = ("version", "frame", "playing", "rate")


class GuestReviewConsumer(BacklotConsumer):
    token: str = ""
    session_id: int | None = None
    expiry: asyncio.Task[None] | None = None

    def _open(self) -> dict[str, Any]:
        """The link's facts if it is open (and unlocked, for a password link)."""
        with request_context(source="websocket"), guests.guest_scope(self.token) as link:
            if link.password_hash:
                unlocked = self.scope.get("session", {}).get(guests.UNLOCKED_KEY, [])
                if link.pk not in unlocked:
                    raise guests.LinkClosed("Enter the link's password first.")
            # The partner's own access rules (a suspended partner's links close too).
            refusal = rule_refusal(None, link.organization_id)
            if refusal is not None:
                raise guests.LinkClosed(refusal)
            session = link.session
            return {
                "organization": link.organization_id,
                "project": link.project_id,
                "guest": link.guest,
                "session": session.pk if session is not None else None,
                "seconds_left": (link.expires_at - timezone.now()).total_seconds(),
                "playback": session.playback if session is not None else {},
                "state": session.state if session is not None else None,
            }

    async def connect(self) -> None:
        self.token = str(self.scope["url_route"]["kwargs"]["token"])
        try:
            facts = await database_sync_to_async(self._open)()
        except BacklotError as error:
            await self.accept()
            await self._refuse(error.message)
            return
        await self.join_user_group(facts["guest"])
        self.access_organization_id, self.access_project_id = (
            facts["organization"],
            facts["project"],
        )
        await self.join_control_groups()
        self.session_id = facts["session"]
        if self.session_id is not None:
            await self.channel_layer.group_add(review_group(self.session_id), self.channel_name)
        await self.accept()
        self.expiry = asyncio.create_task(self._expire_after(facts["seconds_left"]))
        await self.send(
            json.dumps(
                {
                    "type": "welcome",
                    "state": facts["state"],
                    "playback": _playback(facts["playback"]),
                }
            )
        )

    async def _expire_after(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))
        await self._refuse("This review link has expired. Ask the producer for a new one.")

    async def _refuse(self, message: str) -> None:
        if self.revoked:
            return
        self.revoked = True
        await self.send(json.dumps({"type": "error", "code": "link_closed", "message": message}))
        await self.close(code=CLOSE_ACCESS_REVOKED)

    async def disconnect(self, code: int) -> None:
        if self.expiry is not None and self.expiry is not asyncio.current_task():
            self.expiry.cancel()
        await self.leave_user_group()
        await self.leave_control_groups()
        if self.session_id is not None:
            await self.channel_layer.group_discard(review_group(self.session_id), self.channel_name)

    def access_user(self) -> Any:
        return None  # a guest acts for nobody's account: the link is the access

    def access_refusal(self) -> str | None:
        try:
            self._open()
        except BacklotError as error:
            return error.message
        return None

    async def _still_open(self) -> bool:
        try:
            await database_sync_to_async(self._open, thread_sensitive=False)()
        except BacklotError as error:
            await self._refuse(error.message)
            return False
        return True

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not await self.is_ping(text_data):
            return
        if await self._still_open():
            await self.send(json.dumps({"type": "pong"}))

    async def review_event(self, message: dict[str, Any]) -> None:
        event = message["event"]
        kind = str(event.get("type", ""))
        if kind.startswith("playback."):
            frame: dict[str, Any] = {"type": "playback", "playback": _playback(event["playback"])}
        elif kind.startswith(NOTE_EVENT_PREFIXES):
            note = event.get("note") or event.get("reply") or event.get("decision") or {}
            frame = {"type": "notes.changed", "version": note.get("version")}
        elif kind == "session.state":
            frame = {"type": "session.state", "state": event.get("state")}
        else:
            return  # presence, control and the rest name people: not for guests
        if await self._still_open():
            await self.send(json.dumps(frame))


def _playback(state: dict[str, Any]) -> dict[str, Any]:
    return {key: state[key] for key in PLAYBACK_KEYS if key in state}
