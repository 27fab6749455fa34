"""Live events of one organization (project created, shared, ...) for the dashboard."""

from __future__ import annotations

import json
from typing import Any

from channels.db import database_sync_to_async

from apps.core.access import rule_refusal
from apps.core.consumers import CLOSE_ACCESS_REVOKED, BacklotConsumer
from apps.core.errors import NotFound
from apps.core.events import inbox_group, organization_group
from apps.tenancy.selectors import access_membership_by_slug

CLOSE_NOT_FOUND = 4404
CLOSE_UNAUTHENTICATED = 4401


@database_sync_to_async
def _membership_organization_id(user: Any, slug: str) -> int | None:
    try:
        return access_membership_by_slug(user, slug).organization_id
    except NotFound:
        return None


# A member of the organization, not refused by any access rule (suspension, staff
# two-factor, agreements); re-checked before each event and on every access change.
_rule_refusal = database_sync_to_async(rule_refusal)


class OrganizationEventsConsumer(BacklotConsumer):
    organization_id: int | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.organization_id = await _membership_organization_id(
            user, self.scope["url_route"]["kwargs"]["org"]
        )
        if self.organization_id is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        refusal = await _rule_refusal(user, self.organization_id)
        if refusal is not None:
            await self.accept()
            await self.send(
                json.dumps({"type": "error", "code": "access_revoked", "message": refusal})
            )
            await self.close(code=CLOSE_ACCESS_REVOKED)
            return
        self.access_organization_id = self.organization_id
        await self.channel_layer.group_add(
            organization_group(self.organization_id), self.channel_name
        )
        await self.join_control_groups()
        # The person's inbox (unread count) follows them on every organization socket.
        await self.channel_layer.group_add(inbox_group(user.pk), self.channel_name)
        await self.accept()
        await self.send(
            json.dumps({"type": "hello", "organization": self.scope["url_route"]["kwargs"]["org"]})
        )

    async def disconnect(self, code: int) -> None:
        if self.user_id is not None:
            await self.channel_layer.group_discard(inbox_group(self.user_id), self.channel_name)
        await self.leave_control_groups()
        if self.organization_id is not None:
            await self.channel_layer.group_discard(
                organization_group(self.organization_id), self.channel_name
            )

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not await self.is_ping(text_data):
            return
        # Access is re-checked on every message: a removed member stops receiving.
        if await self.still_allowed(force=True):
            await self.send(json.dumps({"type": "pong"}))

    def access_refusal(self) -> str | None:
        try:
            membership = access_membership_by_slug(
                self.scope["user"], self.scope["url_route"]["kwargs"]["org"]
            )
        except NotFound:
            return "You are no longer a member of this organization."
        if membership.organization_id != self.organization_id:
            return "You are no longer a member of this organization."
        return self.role_refusal(membership.role) or self.common_refusal()

    async def org_event(self, event: dict[str, Any]) -> None:
        if await self.still_allowed():
            await self.send(json.dumps(event["event"]))

    async def inbox_event(self, event: dict[str, Any]) -> None:
        if await self.still_allowed():
            await self.send(json.dumps(event["event"]))
