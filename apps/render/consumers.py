"""`/ws/projects/<project id>/`: live events of one project (render jobs, logs).

Access is the same as for the project's pages: a member of the owning partner, or of the
studio while the project is shared with it, not refused by an access rule (suspended
partner, studio staff without two-factor). It is checked again on every ping and before
every event (`BacklotConsumer.still_allowed`), and the control groups close the socket at
once when access changes (share revoked, membership, role, suspension, logout)."""

from __future__ import annotations

import json
from typing import Any

from channels.db import database_sync_to_async

from apps.core.access import rule_refusal
from apps.core.consumers import BacklotConsumer
from apps.core.events import project_group
from apps.production.models import Project
from apps.tenancy.models import Membership
from apps.tenancy.scope import tenant_scope
from apps.tenancy.selectors import memberships_of_user

CLOSE_NOT_FOUND = 4404
CLOSE_UNAUTHENTICATED = 4401


def _following_membership(user: Any, project_id: int) -> Membership | None:
    """The membership through which the user may follow the project, or None."""
    for membership in memberships_of_user(user):
        if rule_refusal(user, membership.organization_id) is not None:
            continue  # e.g. a suspended partner of someone who is also in another one
        with tenant_scope(membership.organization_id, user_id=user.pk):
            if Project.objects.filter(pk=project_id).exists():
                return membership
    return None


class ProjectEventsConsumer(BacklotConsumer):
    project_id: int | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        project_id = int(self.scope["url_route"]["kwargs"]["project_id"])
        membership = await database_sync_to_async(_following_membership)(user, project_id)
        if membership is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.project_id = project_id
        self.access_organization_id, self.access_project_id = membership.organization_id, project_id
        await self.channel_layer.group_add(project_group(project_id), self.channel_name)
        await self.join_control_groups()
        await self.accept()
        await self.send(json.dumps({"type": "hello", "project_id": project_id}))

    async def disconnect(self, code: int) -> None:
        await self.leave_control_groups()
        if self.project_id is not None:
            await self.channel_layer.group_discard(
                project_group(self.project_id), self.channel_name
            )

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not await self.is_ping(text_data):
            return
        if await self.still_allowed(force=True):
            await self.send(json.dumps({"type": "pong"}))

    def access_refusal(self) -> str | None:
        assert self.project_id is not None
        membership = _following_membership(self.scope["user"], self.project_id)
        if membership is None or membership.organization_id != self.access_organization_id:
            return "You no longer have access to this project."
        return self.role_refusal(membership.role) or self.common_refusal()

    async def project_event(self, event: dict[str, Any]) -> None:
        if await self.still_allowed():
            await self.send(json.dumps(event["event"]))
