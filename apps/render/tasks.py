"""Thin Celery tasks. Worker reports arrive as `backlot.render.report` on `render.results`
(consumed by a platform worker: `celery -A studio worker -Q render.results`)."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from apps.core.request_context import request_context
from apps.render.intake import handle_report_safely
from apps.render.scheduler import scheduler_tick
from gpu_workers.celery_app import REPORT_TASK


@shared_task(name=REPORT_TASK, ignore_result=True, acks_late=True)
def render_report(report: dict[str, Any]) -> str:
    with request_context(source="task"):
        return handle_report_safely(report)


@shared_task(name="backlot.render.scheduler_tick", ignore_result=True)
def render_scheduler_tick() -> tuple[int, int]:
    with request_context(source="task"):
        return scheduler_tick()
