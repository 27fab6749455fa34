"""Real server processes for tests and benchmarks: uvicorn running studio.asgi (HTTP and
websockets) against the test database and the same Redis and S3 as the test process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]
BOOT_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_run_database_url() -> str:
    """The database the test run created, as a URL for a child process."""
    config = settings.DATABASES["default"]
    return (
        f"postgres://{config['USER']}:{config['PASSWORD']}@{config['HOST']}:{config['PORT']}"
        f"/{config['NAME']}"
    )


def child_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's services, pointed at the test database, for a server or a worker."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        DATABASE_URL=test_run_database_url(),
        BACKLOT_ENV="test",
        ALLOWED_HOSTS="127.0.0.1,localhost",
    )
    env.update(extra or {})
    return env


def _wait_until_healthy(process: subprocess.Popen[bytes], url: str, log: IO[bytes]) -> None:
    deadline = time.monotonic() + BOOT_SECONDS
    while True:
        try:
            urllib.request.urlopen(url + "/healthz", timeout=1)
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                log.seek(0)
                raise RuntimeError(log.read().decode(errors="replace")) from None
            time.sleep(0.2)


@contextmanager
def asgi_servers(
    count: int = 1, *, env: Mapping[str, str] | None = None, log_path: Path | None = None
) -> Iterator[list[str]]:
    """`count` uvicorn processes of studio.asgi; yields their base URLs once each answers
    /healthz. `env` adds variables (e.g. an SMTP server); `log_path` keeps the output of
    the first server in a file for the test artifacts."""
    environment = child_environment(env)
    processes: list[tuple[subprocess.Popen[bytes], str, Any]] = []
    try:
        for index in range(count):
            port = free_port()
            if log_path is not None and index == 0:
                log_path.parent.mkdir(parents=True, exist_ok=True)
                log: Any = open(log_path, "w+b")  # noqa: SIM115 - closed below
            else:
                log = tempfile.TemporaryFile()  # noqa: SIM115 - closed below
            process = subprocess.Popen(
                [
                    sys.executable, "-m", "uvicorn", "studio.asgi:application",
                    "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
                    "--timeout-graceful-shutdown", "3",
                ],
                cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
            processes.append((process, f"http://127.0.0.1:{port}", log))
        for process, url, log in processes:
            _wait_until_healthy(process, url, log)
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
