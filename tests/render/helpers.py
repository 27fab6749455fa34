"""Render test helpers: input media in S3, pools, and real platform/worker processes."""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings

from apps.media.files import media_file_register
from apps.media.models import MediaFile, MediaKind, MediaState
from apps.media.storage import new_object_key, s3_client
from apps.render import pools
from apps.render.models import Pool
from apps.tenancy.scope import tenant_scope
from tests.factories import Partner

ROOT = Path(__file__).resolve().parents[2]
LOGS = ROOT / "tests" / "e2e" / "artifacts"

# Short timeouts so a killed worker is noticed in seconds (every process reads these).
FAST_RENDER_ENV = {
    "RENDER_HEARTBEAT_SECONDS": "0.5",
    "RENDER_HEARTBEAT_TIMEOUT_SECONDS": "5",
    "RENDER_START_TIMEOUT_SECONDS": "60",
}


def make_pool(**kwargs: Any) -> Pool:
    name = kwargs.pop("name", f"test-{uuid.uuid4().hex[:10]}")
    return pools.pool_create(actor=None, name=name, **kwargs)


def make_input_media(
    partner: Partner, content: bytes | None = None, name: str = "plate.exr"
) -> MediaFile:
    """A ready plate in S3, as the media pipeline would leave it."""
    body = content if content is not None else os.urandom(2048)
    with tenant_scope(partner.organization.pk, user_id=partner.owner.pk):
        key = new_object_key(
            organization_id=partner.organization.pk,
            project_id=partner.project.pk,
            filename=name,
        )
        s3_client().put_object(Bucket=settings.S3_BUCKET, Key=key, Body=body)
        return media_file_register(
            organization_id=partner.organization.pk,
            project_id=partner.project.pk,
            kind=MediaKind.PLATE,
            state=MediaState.READY,
            original_filename=name,
            size=len(body),
            sha256=hashlib.sha256(body).hexdigest(),
            storage_key=key,
        )


def database_url() -> str:
    config = settings.DATABASES["default"]
    return (
        f"postgres://{config['USER']}:{config['PASSWORD']}@{config['HOST']}:{config['PORT']}"
        f"/{config['NAME']}"
    )


def platform_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(FAST_RENDER_ENV)
    env.update(DATABASE_URL=database_url(), BACKLOT_ENV="test")
    return env


def worker_env() -> dict[str, str]:
    """What a GPU node gets: the broker and S3, never database settings."""
    keep: tuple[str, ...] = (
        "REDIS_URL",
        "CELERY_BROKER_URL",
        "S3_ENDPOINT_URL",
        "S3_ACCESS_KEY_ID",
    )
    keep += ("S3_SECRET_ACCESS_KEY", "S3_BUCKET", "S3_REGION")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp")}
    env.update({k: os.environ[k] for k in keep if k in os.environ})
    env.update(FAST_RENDER_ENV)
    env["CUDA_VISIBLE_DEVICES"] = ""
    return env


@contextmanager
def process(
    args: list[str], env: dict[str, str], log_name: str
) -> Iterator[subprocess.Popen[bytes]]:
    LOGS.mkdir(parents=True, exist_ok=True)
    with open(LOGS / log_name, "wb") as log:
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=5)


def intake_args() -> list[str]:
    return [
        sys.executable, "-m", "celery", "-A", "studio", "worker", "-Q", "render.results",
        "-P", "solo", "-c", "1", "--without-gossip", "--without-mingle", "-n",
        f"intake-{uuid.uuid4().hex[:6]}@%h", "--loglevel", "INFO",
    ]  # fmt: skip


def scheduler_args() -> list[str]:
    return [sys.executable, "manage.py", "render_scheduler", "--interval", "0.3"]


def worker_args(pool: str) -> list[str]:
    return [sys.executable, "-m", "gpu_workers.worker", "--pool", pool]


def wait_for(condition: Callable[[], Any], *, timeout: float, message: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:g} s: {message}")


def media_worker_args(name: str) -> list[str]:
    """A platform Celery worker: validation and proxies of uploads and job outputs."""
    return [
        sys.executable, "-m", "celery", "-A", "studio", "worker", "-Q", "platform", "-P",
        "solo", "-c", "1", "--without-gossip", "--without-mingle", "-n", f"{name}@%h",
        "--loglevel", "INFO",
    ]  # fmt: skip


@contextmanager
def render_farm(label: str, *, media_worker: bool = False) -> Iterator[str]:
    """A pool with one real CPU worker, the results intake, the scheduler and (when asked)
    a media worker that makes results playable. Yields the pool's name."""
    pool = make_pool(capacity=1, price_per_gpu_second="0.01")
    env = platform_env()
    with contextlib.ExitStack() as stack:
        if media_worker:
            # Tests before this one queued validation and proxy work that no worker took
            # (their rows are gone); this test's results must not wait behind it.
            subprocess.run(
                [sys.executable, "-m", "celery", "-A", "studio", "purge", "-f", "-Q", "platform"],
                cwd=ROOT, env=env, capture_output=True, timeout=60, check=False,
            )  # fmt: skip
            stack.enter_context(process(media_worker_args(label), env, f"{label}-media.log"))
        stack.enter_context(process(intake_args(), env, f"{label}-intake.log"))
        stack.enter_context(process(scheduler_args(), env, f"{label}-scheduler.log"))
        stack.enter_context(process(worker_args(pool.name), worker_env(), f"{label}-worker.log"))
        yield pool.name
