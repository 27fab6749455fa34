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
from django.core.cache import cache

from apps.core.request_context import request_context
from apps.media import derived, pipeline, uploads
from apps.media.queue import PROXY_TASK, RECOVER_TASK, VALIDATE_TASK, VIEWER_PROXY_TASK

SWEEP_SECONDS = 60


# A message is acknowledged only once its task finished, and given back to the queue when
# the worker process running it is lost (OOM kill, crash): the services count the runs
# and fail the media with a reason past MEDIA_MAX_ATTEMPTS. Hard time limits end a run
# that hangs; the sweep (`recover_media`) fails whatever is stuck past MEDIA_STUCK_SECONDS.
LOST_WORKER_OPTIONS: dict[str, Any] = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "time_limit": settings.MEDIA_TASK_TIME_LIMIT,
    "soft_time_limit": max(60, settings.MEDIA_TASK_TIME_LIMIT - 60),
}


@shared_task(name=VALIDATE_TASK, **LOST_WORKER_OPTIONS)
def validate_media(*, media_id: int, organization_id: int) -> str:
    with request_context(source="task"):
        media = uploads.media_validate(organization_id=organization_id, media_id=media_id)
    return media.state if media is not None else "missing"


@shared_task(name=PROXY_TASK, bind=True, **LOST_WORKER_OPTIONS)
def make_proxy(self: Any, *, media_id: int, organization_id: int) -> str:
    with request_context(source="task"):
        media = pipeline.media_make_proxy(
            organization_id=organization_id, media_id=media_id, task_id=self.request.id or ""
        )
    return media.proxy_status if media is not None else "missing"


@shared_task(name=VIEWER_PROXY_TASK, **LOST_WORKER_OPTIONS)
def make_viewer_proxy(
    *, media_id: int, organization_id: int, user_id: int, always: bool = False
) -> str:
    with request_context(source="task"):
        media = pipeline.media_make_viewer_proxy(
            organization_id=organization_id, media_id=media_id, user_id=user_id, always=always
        )
    return "ready" if media is not None else "skipped"


@shared_task(name=RECOVER_TASK, ignore_result=True)
def recover_media(*, periodic: bool = False) -> int:
    with request_context(source="task"):
        found = derived.media_recover()
    # One sweep chain for all workers: the next run is queued only by the run that
    # takes this interval's slot.
    if periodic and cache.add("media:sweep:slot", 1, timeout=SWEEP_SECONDS - 1):
        recover_media.apply_async(
            kwargs={"periodic": True},
            queue=settings.CELERY_TASK_DEFAULT_QUEUE,
            countdown=SWEEP_SECONDS,
        )
    return found


@worker_ready.connect
def _recover_after_restart(sender: Any = None, **_: Any) -> None:
    """A media worker that (re)starts queues again what a restart may have lost: now, and
    once more after the lease so a proxy whose worker died mid-way is made again."""
    queues = getattr(getattr(getattr(sender, "app", None), "amqp", None), "queues", {}) or {}
    if settings.CELERY_TASK_DEFAULT_QUEUE not in queues:
        return  # e.g. the render results intake: not a media worker
    recover_media.apply_async(queue=settings.CELERY_TASK_DEFAULT_QUEUE)
    recover_media.apply_async(
        kwargs={"periodic": True},
        queue=settings.CELERY_TASK_DEFAULT_QUEUE,
        countdown=pipeline.PROXY_LEASE_SECONDS + 5,
    )
