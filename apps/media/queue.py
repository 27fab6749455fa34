"""How media work reaches the platform's (CPU) Celery queue: by task name, after commit.

By name, so the services need not import `apps.media.tasks` (which imports them); the
task module registers its tasks under these same names.
"""

from __future__ import annotations

from typing import Any

from celery import current_app
from django.conf import settings
from django.db import transaction

VALIDATE_TASK = "media.validate"
PROXY_TASK = "media.proxy"
VIEWER_PROXY_TASK = "media.viewer_proxy"
RECOVER_TASK = "media.recover"


def enqueue_after_commit(task: str, **kwargs: Any) -> None:
    """Sends `task` once the current transaction commits (never for a rolled-back row)."""

    def send() -> None:
        current_app.send_task(task, kwargs=kwargs, queue=settings.CELERY_TASK_DEFAULT_QUEUE)

    transaction.on_commit(send)
