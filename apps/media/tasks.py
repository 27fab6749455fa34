"""Thin Celery tasks of the media pipeline (queue `platform`, the CPU pool).

The services open short tenant scopes themselves (not one scope around the whole task):
a proxy runs for minutes and its progress must be visible while it runs. The services
enqueue these tasks by the names in `apps.media.queue`.
"""

from __future__ import annotations

from celery import shared_task

from apps.core.request_context import request_context
from apps.media import pipeline, uploads
from apps.media.queue import PROXY_TASK, VALIDATE_TASK, VIEWER_PROXY_TASK


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
def make_viewer_proxy(*, media_id: int, organization_id: int, user_id: int) -> str:
    with request_context(source="task"):
        media = pipeline.media_make_viewer_proxy(
            organization_id=organization_id, media_id=media_id, user_id=user_id
        )
    return "ready" if media is not None else "skipped"
