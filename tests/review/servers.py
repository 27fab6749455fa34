"""Real ASGI server processes (uvicorn) on the test database and the same Redis, for tests
and benchmarks that need several servers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _database_url() -> str:
    config = settings.DATABASES["default"]
    return (
        f"postgres://{config['USER']}:{config['PASSWORD']}@{config['HOST']}:{config['PORT']}"
        f"/{config['NAME']}"
    )


@contextmanager
def asgi_servers(count: int = 2) -> Iterator[list[str]]:
    """`count` uvicorn processes of studio.asgi; yields their base URLs."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        DATABASE_URL=_database_url(), BACKLOT_ENV="test", ALLOWED_HOSTS="127.0.0.1,localhost"
    )
    processes: list[tuple[subprocess.Popen[bytes], str, Any]] = []
    try:
        for _ in range(count):
            port = free_port()
            log = tempfile.TemporaryFile()  # noqa: SIM115 - closed below
            process = subprocess.Popen(
                [
                    sys.executable, "-m", "uvicorn", "studio.asgi:application",
                    "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
                    "--timeout-graceful-shutdown", "3",
                ],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
            processes.append((process, f"http://127.0.0.1:{port}", log))
        for process, url, log in processes:
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(url + "/healthz", timeout=1)
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        log.seek(0)
                        raise RuntimeError(log.read().decode()) from None
                    time.sleep(0.2)
        yield [url for _, url, _ in processes]
    finally:
        for process, _, _ in processes:
            process.terminate()
        for process, _, log in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()
