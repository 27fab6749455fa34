"""`/ws/projects/<project id>/`: live events of one project (render jobs, logs).

Access is the same as for the project's pages: a member of the owning partner, or of the
studio while the project is shared with it. It is checked again on every ping, and the
per-user group closes the socket when the user's access is revoked."""

from __future__ import annotations

import json
from typing import Any

from channels.db import database_sync_to_async

from apps.core.consumers import BacklotConsumer
from apps.core.events import project_group
from apps.production.models import Project
from apps.tenancy.scope import tenant_scope
from apps.tenancy.selectors import memberships_of_user

CLOSE_NOT_FOUND = 4404
CLOSE_UNAUTHENTICATED = 4401


@database_sync_to_async
def _can_follow(user: Any, project_id: int) -> bool:
    for membership in memberships_of_user(user):
        with tenant_scope(membership.organization_id, user_id=user.pk):
            if Project.objects.filter(pk=project_id).exists():
                return True
    return False


class ProjectEventsConsumer(BacklotConsumer):
    project_id: int | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        project_id = int(self.scope["url_route"]["kwargs"]["project_id"])
        if not await _can_follow(user, project_id):
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.project_id = project_id
        await self.channel_layer.group_add(project_group(project_id), self.channel_name)
        await self.join_user_group()
        await self.accept()
        await self.send(json.dumps({"type": "hello", "project_id": project_id}))

    async def disconnect(self, code: int) -> None:
        await self.leave_user_group()
        if self.project_id is not None:
            await self.channel_layer.group_discard(
                project_group(self.project_id), self.channel_name
            )

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not await self.is_ping(text_data):
            return
        if self.project_id is None or not await _can_follow(self.scope["user"], self.project_id):
            await self.close(code=CLOSE_NOT_FOUND)
            return
        await self.send(json.dumps({"type": "pong"}))

    async def project_event(self, event: dict[str, Any]) -> None:
        await self.send(json.dumps(event["event"]))
