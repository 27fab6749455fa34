"""Thin Celery tasks of the media pipeline (queue `platform`, the CPU pool).

The services open short tenant scopes themselves (not one scope around the whole task):
a proxy runs for minutes and its progress must be visible while it runs. The services
enqueue these tasks by the names in `apps.media.queue`.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings

from apps.core.request_context import request_context
from apps.media import derived, pipeline, uploads
from apps.media.queue import PROXY_TASK, RECOVER_TASK, VALIDATE_TASK, VIEWER_PROXY_TASK


@shared_task(name=VALIDATE_TASK, acks_late=True)
def validate_media(*, media_id: int, organization_id: int) -> str:
    with request_context(source="task"):
        media = uploads.media_validate(organization_id=organization_id, media_id=media_id)
    return media.state if media is not None else "missing"


@shared_task(name=PROXY_TASK, acks_late=True)
def make_proxy(*, media_id: int, organization_id: int) -> str:
    with request_context(source="task"):
        media = pipeline.media_make_proxy(organization_id=organization_id, media_id=media_id)
    return media.proxy_status if media is not None else "missing"


@shared_task(name=VIEWER_PROXY_TASK, acks_late=True)
def make_viewer_proxy(
    *, media_id: int, organization_id: int, user_id: int, always: bool = False
) -> str:
    with request_context(source="task"):
        media = pipeline.media_make_viewer_proxy(
            organization_id=organization_id, media_id=media_id, user_id=user_id, always=always
        )
    return "ready" if media is not None else "skipped"


@shared_task(name=RECOVER_TASK, ignore_result=True)
def recover_media() -> int:
    with request_context(source="task"):
        return derived.media_recover()


@worker_ready.connect
def _recover_after_restart(sender: Any = None, **_: Any) -> None:
    """A media worker that (re)starts queues again what a restart may have lost: now, and
    once more after the lease so a proxy whose worker died mid-way is made again."""
    queues = getattr(getattr(getattr(sender, "app", None), "amqp", None), "queues", {}) or {}
    if settings.CELERY_TASK_DEFAULT_QUEUE not in queues:
        return  # e.g. the render results intake: not a media worker
    for countdown in (0.0, pipeline.PROXY_LEASE_SECONDS + 5):
        recover_media.apply_async(queue=settings.CELERY_TASK_DEFAULT_QUEUE, countdown=countdown)
