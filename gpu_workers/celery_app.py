"""The GPU worker's Celery app: no Django, no database; only the broker and S3.

One worker process per GPU consumes one pool's queue (`render.pool.<pool>`) with the solo
pool (nothing forks after CUDA is initialised), a prefetch of one and late
acknowledgement, so a job whose worker dies is never lost by the broker. The broker's
visibility timeout is longer than the longest job, so Redis does not hand a running job
to a second worker; the platform's heartbeat monitor handles dead workers instead.

Reports (started, progress, heartbeat, log, result, failed, cancelled) go back to the
platform as `backlot.render.report` tasks on the `render.results` queue.
"""

from __future__ import annotations

import os

from celery import Celery

RUN_TASK = "backlot.render.run"
REPORT_TASK = "backlot.render.report"
RESULTS_QUEUE = "render.results"
QUEUE_PREFIX = "render.pool."
CANCEL_KEY_PREFIX = "backlot:render:cancel:"
ALIVE_KEY_PREFIX = "backlot:render:alive:"


def pool_queue(pool: str) -> str:
    return f"{QUEUE_PREFIX}{pool}"


def cancel_key(attempt_id: str) -> str:
    """A broker key the platform sets to stop an attempt (cancelled, lost or superseded)."""
    return f"{CANCEL_KEY_PREFIX}{attempt_id}"


def alive_key(attempt_id: str) -> str:
    """A broker key the worker refreshes (with an expiry) while the attempt runs: liveness
    that does not wait behind a backlog of reports in the results queue."""
    return f"{ALIVE_KEY_PREFIX}{attempt_id}"


def broker_url() -> str:
    return os.environ.get("CELERY_BROKER_URL") or os.environ.get(
        "REDIS_URL", "redis://127.0.0.1:6379/0"
    )


def max_job_seconds() -> int:
    return int(os.environ.get("RENDER_MAX_JOB_SECONDS", str(6 * 3600)))


def visibility_timeout() -> int:
    # Longer than the longest job, so the broker never redelivers a job that still runs.
    return int(os.environ.get("RENDER_VISIBILITY_TIMEOUT_SECONDS", str(2 * max_job_seconds())))


def worker_settings() -> dict[str, object]:
    return {
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "task_acks_on_failure_or_timeout": True,
        "worker_prefetch_multiplier": 1,
        "worker_concurrency": 1,
        "worker_pool": "solo",
        "worker_hijack_root_logger": False,
        "worker_send_task_events": False,
        "task_ignore_result": True,
        "result_backend": None,
        "broker_connection_retry_on_startup": True,
        "broker_transport_options": {"visibility_timeout": visibility_timeout()},
        "task_time_limit": max_job_seconds(),
    }


app = Celery("backlot-gpu", broker=broker_url(), set_as_current=False)
app.conf.update(worker_settings())
app.conf.include = ["gpu_workers.worker"]
