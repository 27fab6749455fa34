"""Render job system: submit-to-running latency and no-op throughput through the platform,
against plain Celery no-op tasks on the same Redis with the same worker settings.

Real processes: one GPU worker (`python -m gpu_workers.worker`, CPU device, no database
settings), the platform's results intake (a Celery worker on `render.results`) and the
scheduler loop. The pool has one slot, so the platform never sends more than one job ahead
(the design: nothing is dumped into the broker beyond capacity); plain Celery gets the same
single solo worker with prefetch 1 and late acks.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from celery import Celery

ROOT = Path(__file__).resolve().parent.parent
LATENCY_SAMPLES = 30
THROUGHPUT_JOBS = 60
PLAIN_TASKS = 300
COUNTER_KEY = "backlot:bench:plain:done"


def _broker() -> str:
    return os.environ.get("CELERY_BROKER_URL") or os.environ.get(
        "REDIS_URL", "redis://127.0.0.1:6379/0"
    )


plain_app = Celery("bench-plain", broker=_broker(), set_as_current=False)
plain_app.conf.update(
    task_acks_late=True,
    worker_prefetch_multiplier=1,
    task_ignore_result=True,
    worker_hijack_root_logger=False,
    broker_connection_retry_on_startup=True,
)


@plain_app.task(name="bench.plain.noop", ignore_result=True)
def plain_noop() -> None:
    import redis

    redis.Redis.from_url(_broker()).incr(COUNTER_KEY)


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def _start(stack: ExitStack, args: list[str], env: dict[str, str], name: str) -> None:
    log_dir = ROOT / "bench" / "results"
    log_dir.mkdir(parents=True, exist_ok=True)
    log = stack.enter_context((log_dir / f"{name}.log").open("wb"))
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

    def stop() -> None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()

    stack.callback(stop)


def _wait(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise RuntimeError(f"benchmark timed out waiting for {what}")


def run() -> list[dict[str, Any]]:
    import redis
    from django.core.management import call_command

    call_command("migrate", database="owner", verbosity=0, interactive=False)

    from apps.render import pools, submission
    from apps.render.models import Job, JobState
    from apps.tenancy.scope import tenant_scope
    from tests.factories import make_partner

    partner = make_partner("bench")
    pool = pools.pool_create(
        actor=None, name=f"bench-{uuid.uuid4().hex[:8]}", capacity=1, price_per_gpu_second="0"
    )
    settings_used = {
        "pool_capacity": pool.capacity,
        "gpu_workers": 1,
        "worker_pool": "solo",
        "prefetch_multiplier": 1,
        "acks_late": True,
        "device": "cpu",
        "intake_workers": 1,
        "operation": "noop (seconds=0, steps=1, no inputs)",
        "latency_samples": LATENCY_SAMPLES,
        "throughput_jobs": THROUGHPUT_JOBS,
        "plain_celery_tasks": PLAIN_TASKS,
    }
    platform_env = dict(os.environ)
    keep: tuple[str, ...] = (
        "REDIS_URL",
        "CELERY_BROKER_URL",
        "S3_ENDPOINT_URL",
        "S3_ACCESS_KEY_ID",
    )
    keep += ("S3_SECRET_ACCESS_KEY", "S3_BUCKET", "S3_REGION")
    worker_env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp")}
    worker_env.update({k: os.environ[k] for k in keep if k in os.environ})
    worker_env["CUDA_VISIBLE_DEVICES"] = ""

    def submit() -> int:
        with tenant_scope(partner.organization.pk, user_id=partner.producer.pk):
            job = submission.job_submit(
                actor=partner.producer,
                project=partner.project,
                shot=partner.shot,
                operation="noop",
                params={"seconds": 0, "steps": 1},
                pool=pool.name,
            )
        return job.pk

    def jobs() -> Any:
        return Job.objects.filter(pool=pool)

    rows: list[dict[str, Any]] = []
    with ExitStack() as stack:
        py = sys.executable
        _start(
            stack,
            [py, "-m", "celery", "-A", "studio", "worker", "-Q", "render.results", "-P", "solo",
             "-c", "1", "--without-gossip", "--without-mingle", "-n", f"bench-intake-{pool.name}@%h",
             "--loglevel", "WARNING"],
            platform_env,
            "bench-intake",
        )  # fmt: skip
        _start(stack, [py, "manage.py", "render_scheduler"], platform_env, "bench-scheduler")
        _start(
            stack,
            [py, "-m", "gpu_workers.worker", "--pool", pool.name, "--loglevel", "WARNING"],
            worker_env,
            "bench-worker",
        )

        # Warm up: the first job waits for the processes to come up.
        first = submit()
        with tenant_scope(partner.organization.pk):
            _wait(
                lambda: jobs().filter(pk=first, state=JobState.SUCCEEDED).exists(),
                120,
                "the warm-up job",
            )

        # Latency: one job at a time on an idle pool, submit -> running (worker started it).
        latencies = []
        for _ in range(LATENCY_SAMPLES):
            job_id = submit()
            with tenant_scope(partner.organization.pk):
                _wait(
                    lambda job_id=job_id: (
                        jobs().filter(pk=job_id, state=JobState.SUCCEEDED).exists()
                    ),
                    30,
                    "a latency job",
                )
                job = jobs().get(pk=job_id)
            assert job.started_at is not None
            latencies.append((job.started_at - job.submitted_at).total_seconds() * 1000)

        # Throughput through the platform: a backlog of no-op jobs, first submit to last done.
        started = time.perf_counter()
        ids = [submit() for _ in range(THROUGHPUT_JOBS)]
        with tenant_scope(partner.organization.pk):
            _wait(
                lambda: jobs().filter(pk__in=ids, state=JobState.SUCCEEDED).count() == len(ids),
                300,
                "the throughput batch",
            )
        platform_rate = THROUGHPUT_JOBS / (time.perf_counter() - started)

        # Plain Celery on the same Redis: same solo worker settings, no platform around it.
        queue = f"bench.plain.{pool.name}"
        _start(
            stack,
            [py, "-m", "celery", "-A", "bench.bench_jobs:plain_app", "worker", "-Q", queue,
             "-P", "solo", "-c", "1", "--prefetch-multiplier", "1", "--without-gossip",
             "--without-mingle", "-n", f"bench-plain-{pool.name}@%h", "--loglevel", "WARNING"],
            worker_env,
            "bench-plain",
        )  # fmt: skip
        client = redis.Redis.from_url(_broker())
        client.delete(COUNTER_KEY)
        plain_app.send_task("bench.plain.noop", queue=queue)
        _wait(lambda: int(client.get(COUNTER_KEY) or 0) >= 1, 60, "the plain worker")
        client.delete(COUNTER_KEY)
        started = time.perf_counter()
        for _ in range(PLAIN_TASKS):
            plain_app.send_task("bench.plain.noop", queue=queue)
        _wait(lambda: int(client.get(COUNTER_KEY) or 0) >= PLAIN_TASKS, 120, "plain tasks")
        plain_rate = PLAIN_TASKS / (time.perf_counter() - started)

    common = {"baseline": None, "settings": settings_used}
    rows.append(
        {
            "name": "jobs.submit_to_running.p50_ms",
            "value": statistics.median(latencies),
            "unit": "ms",
            "better": "lower",
            **common,
        }
    )
    rows.append(
        {
            "name": "jobs.submit_to_running.p99_ms",
            "value": _percentile(latencies, 0.99),
            "unit": "ms",
            "better": "lower",
            **common,
        }
    )
    rows.append(
        {
            "name": "jobs.platform_throughput",
            "value": platform_rate,
            "unit": "jobs/s",
            "better": "higher",
            **common,
        }
    )
    rows.append(
        {
            "name": "jobs.plain_celery_throughput",
            "value": plain_rate,
            "unit": "tasks/s",
            "better": "higher",
            **common,
        }
    )
    rows.append(
        {
            "name": "jobs.throughput_ratio",
            "value": platform_rate / plain_rate,
            "unit": "ratio",
            "better": "higher",
            "baseline": "plain Celery no-op tasks, same Redis, same run",
            "settings": settings_used,
        }
    )
    return rows
