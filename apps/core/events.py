"""Real-time events go out only after the transaction that caused them commits."""

from __future__ import annotations

import logging
import time
from typing import Any

import redis.exceptions
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from apps.core.metrics import LIVE_EVENT_SEND_FAILURES

logger = logging.getLogger(__name__)

# A broadcast that meets a broker error is tried again after these pauses (short: the
# sender's acknowledgement waits for it).
SEND_RETRY_PAUSES = (0.1,)
BROKER_ERRORS = (OSError, TimeoutError, redis.exceptions.RedisError)


def organization_group(organization_id: int) -> str:
    return f"org.{organization_id}"


def project_group(project_id: int) -> str:
    return f"project.{project_id}"


def inbox_group(user_id: int) -> str:
    """A person's inbox changes (new entry, read): joined by their organization sockets."""
    return f"inbox.{user_id}"


def send_group_event_after_commit(group: str, message_type: str, event: dict[str, Any]) -> None:
    """Group send through the channel layer once the current transaction commits."""

    def send() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        for attempt, pause in enumerate((*SEND_RETRY_PAUSES, None)):
            try:
                async_to_sync(layer.group_send)(group, {"type": message_type, "event": event})
                return
            except Exception as error:
                if pause is None or not isinstance(error, BROKER_ERRORS):
                    # Not swallowed silently: counted and logged as an error. The write is
                    # committed; receivers that keep a log (the review room) catch up from
                    # it when their broker connection comes back or at their heartbeat.
                    LIVE_EVENT_SEND_FAILURES.labels(event=str(event.get("type"))[:40]).inc()
                    logger.error(
                        "live event %s to %s not sent after %d tries: %s",
                        event.get("type"), group, attempt + 1, error,
                    )  # fmt: skip
                    return
                time.sleep(pause)

    transaction.on_commit(send)


def send_organization_event(organization_id: int, event: dict[str, Any]) -> None:
    send_group_event_after_commit(organization_group(organization_id), "org.event", event)


def send_project_event(project_id: int, event: dict[str, Any]) -> None:
    """To every socket following the project (render jobs, logs, versions)."""
    send_group_event_after_commit(project_group(project_id), "project.event", event)


def send_inbox_event(user_id: int, event: dict[str, Any]) -> None:
    """To every organization socket of one person (their unread count, a new entry)."""
    send_group_event_after_commit(inbox_group(user_id), "inbox.event", event)
