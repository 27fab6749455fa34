"""Real-time events go out only after the transaction that caused them commits."""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def organization_group(organization_id: int) -> str:
    return f"org.{organization_id}"


def send_organization_event(organization_id: int, event: dict[str, Any]) -> None:
    def send() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        try:
            async_to_sync(layer.group_send)(
                organization_group(organization_id), {"type": "org.event", "event": event}
            )
        except Exception:  # the write is committed; a lost live event only delays a refresh
            logger.exception("could not send live event %s", event.get("type"))

    transaction.on_commit(send)
