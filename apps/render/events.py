"""Live events of one project (render jobs, logs, versions) for `/ws/projects/<id>/`."""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def project_group(project_id: int) -> str:
    return f"project.{project_id}"


def send_project_event(project_id: int, event: dict[str, Any]) -> None:
    """Sends to every socket following the project, after the current transaction commits."""

    def send() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        try:
            async_to_sync(layer.group_send)(
                project_group(project_id), {"type": "project.event", "event": event}
            )
        except Exception:  # the write is committed; a lost live event only delays a refresh
            logger.exception("could not send live event %s", event.get("type"))

    transaction.on_commit(send)
