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

    async def join_user_group(self) -> None:
        user = self.scope.get("user")
        if user is not None and user.is_authenticated:
            self.user_id = user.pk
            await self.channel_layer.group_add(user_group(user.pk), self.channel_name)

    async def leave_user_group(self) -> None:
        if self.user_id is not None:
            await self.channel_layer.group_discard(user_group(self.user_id), self.channel_name)

    async def access_revoked(self, event: dict[str, Any]) -> None:
        await self.send(
            json.dumps({"type": "error", "code": "access_revoked", "message": event["reason"]})
        )
        await self.close(code=CLOSE_ACCESS_REVOKED)
