"""Base of every websocket consumer.

Each connection joins control groups (`apps.core.access`): its user, its login session,
the organization it acts through and the project it follows, so that any change of
access closes or re-checks the affected sockets at once from any server process
(`disconnect_user_sockets(user_id, reason)` closes all of a user's sockets). Before each
event it sends, a consumer calls `still_allowed()`: one cache read of the access epochs,
and a full check in the database (`access_refusal()`, per consumer) when one moved.
"""

from __future__ import annotations

import json
from importlib import import_module
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from apps.core.access import (
    access_changed,
    current_epochs,
    epoch_keys,
    login_group,
    organization_control_group,
    project_control_group,
    rule_refusal,
    user_group,
)
from apps.core.resilient_layer import ResilientLayerMixin

CLOSE_ACCESS_REVOKED = 4403
MAX_PING_BYTES = 4096
ACCESS_GONE = "You no longer have access to this."

__all__ = ["CLOSE_ACCESS_REVOKED", "BacklotConsumer", "disconnect_user_sockets", "user_group"]


def disconnect_user_sockets(user_id: int, reason: str) -> None:
    """Close every open websocket of a user, on every server, after the current commit
    (and refuse the user's tickets minted before)."""
    access_changed(user_ids=[user_id], reason=reason, close=True)


class BacklotConsumer(ResilientLayerMixin, AsyncWebsocketConsumer):
    user_id: int | None = None
    # Set by each consumer on connect: whom the socket acts for, through what.
    access_organization_id: int | None = None
    access_project_id: int | None = None
    access_epochs: dict[str, str] | None = None
    control_groups: tuple[str, ...] = ()
    login_key: str = ""
    revoked: bool = False
    access_role: str | None = None

    def role_refusal(self, role: str) -> str | None:
        """A socket lives with the role it connected with: a changed role ends it (the
        client reconnects with the new one), as the control message would."""
        if self.access_role is None:
            self.access_role = role
            return None
        if role != self.access_role:
            return "Your role changed. Reconnect to continue."
        return None

    def access_refusal(self) -> str | None:
        """Sync, in a worker thread: why this socket may no longer receive, or None.
        Consumers override it with their own check and call `common_refusal()`."""
        return self.common_refusal()

    def common_refusal(self) -> str | None:
        """Checks every socket shares: active user, login session still signed in,
        registered rules (suspension, agreements, staff two-factor)."""
        acting = self.access_user()
        if acting is not None:
            acting.refresh_from_db(fields=["is_active"])
            if not acting.is_active:
                return "Your account is suspended."
        if self.login_key:
            store = import_module(settings.SESSION_ENGINE).SessionStore
            if not store().exists(self.login_key):
                return "You signed out."
        return rule_refusal(acting, self.access_organization_id)

    def access_user(self) -> Any:
        """The person the socket acts for (None for guests)."""
        user = getattr(self, "user", None) or self.scope.get("user")
        return user if user is not None and getattr(user, "is_authenticated", False) else None

    def _full_check(self) -> str | None:
        # Epochs first, then the database: a change committed in between moves the epoch
        # after this read, so the next send checks again.
        user = self.access_user()
        keys = epoch_keys(
            user_id=user.pk if user is not None else None,
            organization_id=self.access_organization_id,
            project_id=self.access_project_id,
        )
        try:
            epochs: dict[str, str] | None = current_epochs(keys)
        except Exception:  # no cache: check the database every time
            epochs = None
        reason = self.access_refusal()
        self.access_epochs = epochs if reason is None else None
        return reason

    def _epochs_unchanged(self) -> bool:
        if self.access_epochs is None:
            return False
        try:
            return current_epochs(list(self.access_epochs)) == self.access_epochs
        except Exception:
            return False

    async def join_control_groups(self) -> None:
        """Join the control groups of what the socket depends on; call once the access
        fields are set, before `accept()`. Records the epochs the connect check saw."""
        user = self.access_user()
        groups = []
        if user is not None:
            groups.append(user_group(user.pk))
            session = self.scope.get("session")
            key = getattr(session, "session_key", None) if session is not None else None
            if key and self.scope.get("user") is user:
                self.login_key = key
                groups.append(login_group(key))
        if self.access_organization_id is not None:
            groups.append(organization_control_group(self.access_organization_id))
        if self.access_project_id is not None:
            groups.append(project_control_group(self.access_project_id))
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
        self.control_groups = tuple(groups)
        await database_sync_to_async(self._full_check, thread_sensitive=False)()

    async def leave_control_groups(self) -> None:
        for group in self.control_groups:
            await self.channel_layer.group_discard(group, self.channel_name)
        self.control_groups = ()

    async def still_allowed(self, *, force: bool = False) -> bool:
        """Call before sending each event: False (and the socket closed with an
        `access_revoked` error) once access is gone."""
        if self.revoked:
            return False
        if (
            not force
            and await database_sync_to_async(self._epochs_unchanged, thread_sensitive=False)()
        ):
            return True
        reason = await database_sync_to_async(self._full_check, thread_sensitive=False)()
        if reason is None:
            return True
        await self.revoke(reason)
        return False

    async def revoke(self, reason: str) -> None:
        """The one way a socket ends for lost access: an error frame, then close 4403."""
        if self.revoked:
            return
        self.revoked = True
        await self.send(json.dumps({"type": "error", "code": "access_revoked", "message": reason}))
        await self.close(code=CLOSE_ACCESS_REVOKED)

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
        await self.revoke(str(event.get("reason") or ACCESS_GONE))

    async def access_check(self, event: dict[str, Any]) -> None:
        """Someone's access changed: check again now, close if it is gone."""
        if self.revoked:
            return
        reason = await database_sync_to_async(self._full_check, thread_sensitive=False)()
        if reason is not None:
            await self.revoke(str(event.get("reason") or reason))
