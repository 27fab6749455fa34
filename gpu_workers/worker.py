"""The GPU worker: runs one job specification, reporting back through the broker.

Start one process per GPU: `python -m gpu_workers.worker --pool <pool>` (with
CUDA_VISIBLE_DEVICES naming its GPU). It needs REDIS_URL (or CELERY_BROKER_URL) and the S3
settings; it never sees database credentials.

A job specification (sent by the platform's dispatcher):
    {"job_id", "attempt_id", "organization_id", "operation", "params",
     "inputs": {role: storage key}, "output_prefix", "heartbeat_seconds",
     "report_key" (this attempt's HMAC key: every report is signed with it),
     "spec_signature" (the platform's, verified when RENDER_SPEC_KEY is set)}
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import logging
import os
import shutil
import socket
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis

from gpu_workers.celery_app import (
    REPORT_TASK,
    RESULTS_QUEUE,
    RUN_TASK,
    alive_key,
    app,
    broker_url,
    cancel_key,
    pool_queue,
)
from gpu_workers.registry import OperationCancelled, OperationContext, get_operation
from gpu_workers.signing import REPORT_KEY_FIELD, sign_report, spec_signature_ok
from gpu_workers.storage import Storage

logger = logging.getLogger("gpu_workers.worker")

PROGRESS_INTERVAL = 0.5  # seconds between progress reports
CANCEL_POLL_INTERVAL = 0.2
_device: Any = None
_code_version: str | None = None
_storage: Storage | None = None


@functools.lru_cache(maxsize=1)
def _redis_pool() -> redis.ConnectionPool:
    return redis.ConnectionPool.from_url(broker_url())


def shared_storage() -> Storage:
    """One S3 client per worker process (creating a boto3 client costs ~0.1 s of CPU)."""
    global _storage
    if _storage is None:
        _storage = Storage()
    return _storage


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def code_version() -> str:
    """BACKLOT_CODE_VERSION when the image sets it, else a digest of the worker's code."""
    global _code_version
    if _code_version is None:
        configured = os.environ.get("BACKLOT_CODE_VERSION")
        if configured:
            _code_version = configured
        else:
            digest = hashlib.sha256()
            root = Path(__file__).resolve().parent
            for path in sorted(root.rglob("*.py")):
                digest.update(str(path.relative_to(root)).encode())
                digest.update(path.read_bytes())
            _code_version = "src-" + digest.hexdigest()[:12]
    return _code_version


def device_policy() -> Any:
    global _device
    if _device is None:
        from gpu_workers.device import pick_device

        _device = pick_device()
    return _device


class Reporter:
    """Sends reports for one attempt to the platform's results queue."""

    def __init__(self, spec: dict[str, Any], send: Callable[[dict[str, Any]], None]) -> None:
        self.base = {
            "job_id": spec["job_id"],
            "attempt_id": spec["attempt_id"],
            "organization_id": spec["organization_id"],
        }
        self._send = send
        # The attempt's own key, from its spec: every report is signed with it.
        self._key = str(spec.get(REPORT_KEY_FIELD) or "")
        self._lock = threading.Lock()
        self._seq = 0

    def send(self, kind: str, **fields: Any) -> None:
        with self._lock:
            self._seq += 1
            report = {**self.base, "type": kind, "seq": self._seq, "sent_at": now_iso(), **fields}
            if self._key:
                report = sign_report(self._key, report)
            try:
                self._send(report)
            except Exception:  # a lost progress report must not kill the job
                logger.exception("could not send %s report", kind)
                if kind in {"result", "failed", "cancelled"}:
                    raise


def broker_send(report: dict[str, Any]) -> None:
    app.send_task(REPORT_TASK, kwargs={"report": report}, queue=RESULTS_QUEUE)


class Watch:
    """Background heartbeat and cancellation watch for one attempt."""

    def __init__(
        self, reporter: Reporter, attempt_id: str, heartbeat_seconds: float, alive_ttl: float
    ) -> None:
        self.reporter = reporter
        self.key = cancel_key(attempt_id)
        self.alive = alive_key(attempt_id)
        self.alive_ttl = max(1, int(alive_ttl))
        self.heartbeat_seconds = heartbeat_seconds
        self.cancelled = threading.Event()
        self._stop = threading.Event()
        self._redis = redis.Redis(connection_pool=_redis_pool())
        self._thread = threading.Thread(target=self._loop, name="heartbeat", daemon=True)

    def check_now(self) -> bool:
        try:
            if self._redis.exists(self.key):
                self.cancelled.set()
        except redis.RedisError:
            logger.warning("could not read the cancellation flag")
        return self.cancelled.is_set()

    def beat(self) -> None:
        try:
            self._redis.set(self.alive, "1", ex=self.alive_ttl)
        except redis.RedisError:
            logger.warning("could not refresh the liveness key")
        self.reporter.send("heartbeat")

    def start(self) -> None:
        self.beat()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        with contextlib.suppress(redis.RedisError):
            self._redis.delete(self.alive)

    def _loop(self) -> None:
        next_beat = time.monotonic() + self.heartbeat_seconds
        while not self._stop.wait(CANCEL_POLL_INTERVAL):
            self.check_now()
            if time.monotonic() >= next_beat:
                self.beat()
                next_beat = time.monotonic() + self.heartbeat_seconds


def execute(
    spec: dict[str, Any],
    *,
    send: Callable[[dict[str, Any]], None] = broker_send,
    storage: Storage | None = None,
) -> str:
    """Runs one attempt end to end; returns the final report type."""
    spec_key = os.environ.get("RENDER_SPEC_KEY", "")
    if spec_key and not spec_signature_ok(spec_key, spec):
        # Not from the platform (or for another pool): run nothing, report nothing.
        logger.error("refused a job specification whose signature does not verify")
        return "refused"
    reporter = Reporter(spec, send)
    watch = Watch(
        reporter,
        spec["attempt_id"],
        float(spec.get("heartbeat_seconds", 10)),
        float(spec.get("heartbeat_timeout", 60)),
    )
    if watch.check_now():
        # Cancelled, or a redelivery of an attempt the platform already replaced.
        reporter.send("cancelled", reason="the attempt was cancelled before it started")
        watch.stop()
        return "cancelled"
    host = f"{socket.gethostname()}:{os.getpid()}"
    workdir = Path(tempfile.mkdtemp(prefix="backlot-job-"))
    started = time.monotonic()
    started_at = now_iso()
    try:
        device = device_policy()
        reporter.send("started", worker_host=host, device=device.name, started_at=started_at)
        watch.start()
        storage = storage or shared_storage()
        operation = get_operation(spec["operation"])
        params = operation.validate(spec.get("params") or {})
        inputs: dict[str, Path] = {}
        for role, key in (spec.get("inputs") or {}).items():
            target = workdir / "in" / role
            if not key.endswith("/"):  # one file keeps its name; a prefix becomes a folder
                target = target / (key.rsplit("/", 1)[-1] or role)
            inputs[role] = storage.download(key, target)
            reporter.send("log", message=f"fetched input {role}: {key}")
        output_dir = workdir / "out"
        output_dir.mkdir(parents=True)
        last_progress = [0.0]

        def progress(fraction: float, message: str) -> None:
            if time.monotonic() - last_progress[0] >= PROGRESS_INTERVAL or fraction >= 1:
                last_progress[0] = time.monotonic()
                reporter.send("progress", progress=float(fraction), message=message[:200])

        context = OperationContext(
            inputs=inputs,
            output_dir=output_dir,
            params=params,
            device=device,
            progress=progress,
            log=lambda line: reporter.send("log", message=str(line)[:2000]),
            is_cancelled=watch.cancelled.is_set,
        )
        if device.is_cuda:
            import torch

            torch.cuda.reset_peak_memory_stats()
        run_started = time.monotonic()
        result = operation.run(context)
        run_seconds = time.monotonic() - run_started
        context.check_cancelled()
        peak_memory = None
        if device.is_cuda:
            import torch

            peak_memory = int(torch.cuda.max_memory_allocated())
        outputs = []
        for output in result.outputs:
            relative = output.path.relative_to(output_dir).as_posix()
            # A folder is an image sequence: stored under a prefix, listed as one output.
            transfer = storage.upload_tree if output.path.is_dir() else storage.upload
            stored = transfer(output.path, spec["output_prefix"] + relative, output.content_type)
            outputs.append(
                {
                    "key": stored.key,
                    "sha256": stored.sha256,
                    "size": stored.size,
                    "kind": output.kind,
                    "role": output.role,
                    "content_type": output.content_type,
                    "filename": output.path.name,
                }
            )
        reporter.send(
            "result",
            outputs=outputs,
            metrics=result.metrics,
            worker_host=host,
            device=device.name,
            started_at=started_at,
            finished_at=now_iso(),
            gpu_seconds=round(run_seconds, 4),
            wall_seconds=round(time.monotonic() - started, 4),
            peak_gpu_memory_bytes=peak_memory,
            code_version=code_version(),
        )
        return "result"
    except OperationCancelled:
        reporter.send("cancelled", reason="cancelled while running", worker_host=host)
        return "cancelled"
    except Exception as error:
        logger.exception("job %s attempt %s failed", spec.get("job_id"), spec.get("attempt_id"))
        reporter.send(
            "failed",
            error=f"{type(error).__name__}: {error}"[:2000],
            traceback=traceback.format_exc()[-4000:],
            worker_host=host,
        )
        return "failed"
    finally:
        watch.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@app.task(name=RUN_TASK, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_job(spec: dict[str, Any]) -> str:
    return execute(spec)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Backlot GPU worker (one per GPU)")
    parser.add_argument("--pool", required=True, help="the pool whose queue to consume")
    parser.add_argument("--loglevel", default=os.environ.get("LOG_LEVEL", "INFO"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.loglevel, format="%(asctime)s %(levelname)s %(message)s")
    if os.environ.get("DATABASE_URL"):
        logger.warning("DATABASE_URL is set but unused: GPU workers never touch the database")
    device_policy()  # pick (and initialise) the device before any job, in this process
    app.worker_main(
        [
            "worker",
            "--queues",
            pool_queue(args.pool),
            "--pool",
            "solo",
            "--concurrency",
            "1",
            "--prefetch-multiplier",
            "1",
            "--without-gossip",
            "--without-mingle",
            "--hostname",
            f"{args.pool}@{socket.gethostname()}.{os.getpid()}",
            "--loglevel",
            args.loglevel,
        ]
    )


if __name__ == "__main__":
    main()
