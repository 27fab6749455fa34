"""Live job events: the job's state and its log lines, sent to the project's group after
commit (the jobs pages and the API's websocket listen there)."""

from __future__ import annotations

from typing import Any

from apps.core.events import send_project_event
from apps.core.formats import log_message
from apps.render.inbox import inbox_job_ended
from apps.render.models import Job, JobLog


def job_event_payload(job: Job) -> dict[str, Any]:
    return {
        "id": job.pk,
        "project_id": job.project_id,
        "shot_id": job.shot_id,
        "operation": job.operation,
        "state": job.state,
        "progress": round(job.progress, 4),
        "progress_message": job.progress_message,
        "attempts_started": job.attempts_started,
        "error": job.error,
        "cost": str(job.cost) if job.cost is not None else None,
        "version_id": job.version_id,
    }


def emit_job(job: Job) -> None:
    send_project_event(job.project_id, {"type": "render.job", "job": job_event_payload(job)})
    inbox_job_ended(job)


def job_log(job: Job, message: str, *, level: str = "info", attempt_id: Any = None) -> JobLog:
    entry = JobLog.objects.create(
        organization_id=job.organization_id,
        project_id=job.project_id,
        job=job,
        attempt_id=attempt_id,
        level=level,
        message=message,
    )
    send_project_event(
        job.project_id,
        {
            "type": "render.log",
            "job_id": job.pk,
            "log": {
                "id": entry.pk,
                "level": level,
                # What the page shows: file names, not storage keys or attempt ids.
                "message": log_message(message),
                "created_at": entry.created_at.isoformat(),
            },
        },
    )
    return entry
