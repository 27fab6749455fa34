"""Base of every websocket consumer.

Each connection joins a per-user group, so that suspending a user or partner (or removing
a member) can close all of that user's sockets at once from any server process:
`disconnect_user_sockets(user_id, reason)`.
"""

from __future__ import annotations

import json
from typing import Any

from asgiref.sync import async_to_sync
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.db import transaction

CLOSE_ACCESS_REVOKED = 4403
MAX_PING_BYTES = 4096


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def disconnect_user_sockets(user_id: int, reason: str) -> None:
    """Close every open websocket of a user, on every server, after the current commit."""

    def send() -> None:
        layer = get_channel_layer()
        if layer is not None:
            async_to_sync(layer.group_send)(
                user_group(user_id), {"type": "access.revoked", "reason": reason}
            )

    transaction.on_commit(send)


class BacklotConsumer(AsyncWebsocketConsumer):
    user_id: int | None = None

    async def join_user_group(self, user: Any = None) -> None:
        """Join the revocation group of the connection's user (or of `user`, when the
        connection authenticated some other way, e.g. with a ticket)."""
        user = user if user is not None else self.scope.get("user")
        if user is not None and user.is_authenticated:
            self.user_id = user.pk
            await self.channel_layer.group_add(user_group(user.pk), self.channel_name)

    async def leave_user_group(self) -> None:
        if self.user_id is not None:
            await self.channel_layer.group_discard(user_group(self.user_id), self.channel_name)

    async def is_ping(self, text_data: str | None) -> bool:
        """For event channels that only listen: True for a valid ping; anything else gets
        an error frame and leaves the connection open."""
        if text_data is None or len(text_data.encode()) > MAX_PING_BYTES:
            await self.send_error("Messages must be JSON text of at most 4 KiB.")
            return False
        try:
            message = json.loads(text_data)
        except json.JSONDecodeError:
            await self.send_error("Malformed JSON.")
            return False
        if not isinstance(message, dict) or message.get("type") != "ping":
            await self.send_error("Unknown message type; this channel only accepts 'ping'.")
            return False
        return True

    async def send_error(self, message: str) -> None:
        await self.send(json.dumps({"type": "error", "message": message}))

    async def access_revoked(self, event: dict[str, Any]) -> None:
        await self.send(
            json.dumps({"type": "error", "code": "access_revoked", "message": event["reason"]})
        )
        await self.close(code=CLOSE_ACCESS_REVOKED)
