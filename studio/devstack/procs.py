"""Process and port helpers shared by the services."""

from __future__ import annotations

import hashlib
import os
import pwd
import random
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypedDict

import psutil

LOOPBACK = "127.0.0.1"
# Unix socket paths are limited to ~107 bytes (sun_path).
MAX_SOCKET_PATH = 100


class StartError(RuntimeError):
    """A service could not be started or did not become ready."""


def port_is_free(port: int, taken: set[int]) -> bool:
    """Free for a server: with SO_REUSEADDR, as Valkey and PostgreSQL bind, so connections
    of a crashed run still closing (TIME-WAIT, FIN-WAIT-2) do not count as "in use"."""
    if port in taken or not 1024 < port < 65536:
        return False
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


def free_port(taken: set[int], preferred: int | None = None, wait: float = 10.0) -> int:
    """A free loopback port, recorded in `taken` so one `up` never hands it out twice.

    `preferred` (the port a service had before) is waited for up to `wait` seconds: every
    running process keeps its old URL, so moving is the last resort, and said loudly."""
    if preferred is not None:
        deadline = time.monotonic() + wait
        while True:
            if port_is_free(preferred, taken):
                taken.add(preferred)
                return preferred
            if preferred in taken or time.monotonic() >= deadline:
                break
            time.sleep(0.25)
    port = _any_free_port(taken)
    if preferred is not None:
        print(
            f"devstack: WARNING port {preferred} is still in use; moving to {port}."
            " Restart every process that uses the old address (eval the new env).",
            file=sys.stderr,
        )
    return port


def _any_free_port(taken: set[int]) -> int:
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((LOOPBACK, 0))
            port = int(sock.getsockname()[1])
        if port not in taken:
            taken.add(port)
            return port


def free_port_pair(taken: set[int], offset: int, preferred: int | None = None) -> int:
    """A free port p with p + offset also free (SeaweedFS derives gRPC ports that way)."""
    candidates = [preferred] if preferred is not None else []
    # Stay below the kernel's ephemeral range so p + offset still fits.
    candidates += [random.randint(20000, 30000) for _ in range(200)]  # noqa: S311
    for port in candidates:
        if port_is_free(port, taken) and port_is_free(port + offset, taken):
            taken.update((port, port + offset))
            return port
    raise StartError("could not find two free ports")


def port_answers(port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((LOOPBACK, port), timeout=timeout):
            return True
    except OSError:
        return False


def spawn(
    cmd: Sequence[str],
    log_path: Path,
    user: str | None = None,
    env: dict[str, str] | None = None,
) -> psutil.Process:
    """Start a detached process (own session, output to `log_path`) that outlives us."""
    with log_path.open("ab") as log:
        log.write(f"\n--- devstack start {time.ctime()}: {' '.join(cmd)}\n".encode())
        log.flush()
        proc = subprocess.Popen(  # noqa: S603 - fixed binaries, no shell
            list(cmd),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
            env=env,
            **as_user(user),
        )
    return psutil.Process(proc.pid)


class RunAs(TypedDict, total=False):
    user: int
    group: int
    extra_groups: list[int]
    cwd: str


def as_user(user: str | None) -> RunAs:
    """subprocess arguments that drop privileges to `user` (only used when we are root)."""
    if user is None:
        return {}
    entry = pwd.getpwnam(user)
    # cwd "/" because the caller's cwd may not be readable by that user.
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": [], "cwd": "/"}


def is_alive(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.Error:
        return False


def identity(pid: int) -> tuple[list[str], float]:
    """What we record to recognise the process later: its command line and start time."""
    proc = psutil.Process(pid)
    return list(proc.cmdline()), float(proc.create_time())


def is_same_process(pid: int, cmdline: list[str], create_time: float) -> bool:
    """True only if `pid` is still the process we started (pids get reused)."""
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        return bool(proc.cmdline() == cmdline and abs(proc.create_time() - create_time) < 1.0)
    except psutil.Error:
        return False


def terminate(pid: int, grace: float = 15.0) -> None:
    """SIGTERM, then SIGKILL if it is still there after `grace` seconds."""
    try:
        proc = psutil.Process(pid)
        proc.terminate()
        if not wait_gone(pid, grace):
            proc.kill()
            wait_gone(pid, 5.0)
    except psutil.NoSuchProcess:
        pass


def wait_gone(pid: int, timeout: float) -> bool:
    # Not psutil's wait(): an exited daemon stays a zombie until init reaps it.
    deadline = time.monotonic() + timeout
    while is_alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def wait_until(
    ready: Callable[[], bool],
    proc: psutil.Process,
    timeout: float,
    what: str,
    log_path: Path,
) -> None:
    """Poll `ready` until it is true; fail fast (with the log tail) if the process dies."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not is_alive(proc.pid):
            raise StartError(f"{what} exited during startup\n{log_tail(log_path)}")
        if ready():
            return
        time.sleep(0.25)
    raise StartError(f"{what} did not answer within {timeout:.0f}s\n{log_tail(log_path)}")


def log_tail(log_path: Path, lines: int = 20) -> str:
    try:
        text = log_path.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return f"(no log at {log_path})"
    body = "\n".join("    " + line for line in text)
    return f"  last lines of {log_path}:\n{body}"


def scrubbed_env(*prefixes: str) -> dict[str, str]:
    """Our environment minus variables the child would otherwise pick up by itself."""
    return {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}


def socket_dir(data_dir: Path, tag: str, longest_name: str, user: str | None = None) -> Path:
    """Where to put unix sockets: `data_dir`, or a private temp dir if paths would be too long."""
    if len(str(data_dir / longest_name)) <= MAX_SOCKET_PATH:
        return data_dir
    digest = hashlib.sha256(str(data_dir).encode()).hexdigest()[:12]
    short = Path(tempfile.gettempdir()) / f"devstack-{tag}-{os.geteuid()}-{digest}"
    short.mkdir(mode=0o700, exist_ok=True)
    owner = pwd.getpwnam(user) if user is not None else None
    owners = {os.geteuid()} | ({owner.pw_uid} if owner is not None else set())
    # Sockets may allow passwordless logins: never use a directory someone else made.
    info = short.lstat()
    if stat.S_ISLNK(info.st_mode) or info.st_uid not in owners:
        raise StartError(f"{short} is not ours; remove it and retry")
    if owner is not None:
        os.chown(short, owner.pw_uid, owner.pw_gid)
    short.chmod(0o700)
    return short


def remove_socket_dir(path: str | None, data_dir: Path) -> None:
    """Remove a temp socket dir made by socket_dir(); the data dir itself stays."""
    if path and Path(path) != data_dir:
        shutil.rmtree(path, ignore_errors=True)
