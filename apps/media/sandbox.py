"""Decoding in a child process with a memory cap (RLIMIT_AS) and a CPU-time cap (RLIMIT_CPU).

A file that passed its header checks may still hide a decoder bomb: the decode runs in a
fresh Python process (`python -m apps.media.sandbox`) that lowers its own limits before it
imports a decoder, so a file that needs more memory or time than allowed fails there and
the worker that asked lives on. The answer comes back as JSON on stdout; a crash, a kill or
a limit becomes a rejection whose reason names the limit (never a server path).
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from apps.media.headers import Limits

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Sandbox:
    memory_mb: int = 4096
    cpu_seconds: int = 1800
    wall_seconds: int = 3600


class SandboxRejected(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def run_isolated(
    path: Path, *, fmt: str, filename: str, limits: Limits, sandbox: Sandbox
) -> dict[str, Any]:
    """The decoder's findings (ProbeResult fields) for `path`, decoded in a capped child."""
    request = {
        "path": str(path.resolve()),
        "fmt": fmt,
        "filename": filename,
        "limits": asdict(limits),
        "memory_mb": sandbox.memory_mb,
        "cpu_seconds": sandbox.cpu_seconds,
    }
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT),
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MALLOC_ARENA_MAX": "2",
        **{k: v for k, v in os.environ.items() if k.startswith("OPENBLAS_CORETYPE")},
    }
    try:
        done = subprocess.run(
            [sys.executable, "-m", "apps.media.sandbox"],
            input=json.dumps(request).encode(),
            capture_output=True,
            timeout=sandbox.wall_seconds,
            env=env,
            cwd=str(ROOT),
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise SandboxRejected(
            f"Decoding the file took longer than {sandbox.wall_seconds} s; it was stopped."
        ) from None
    answer = _answer(done.stdout)
    if done.returncode == 0 and answer is not None:
        if "rejected" in answer:
            raise SandboxRejected(str(answer["rejected"]))
        if "memory" in answer:
            raise SandboxRejected(_memory_reason(sandbox))
        return dict(answer["ok"])
    if done.returncode == -signal.SIGXCPU:
        raise SandboxRejected(
            f"Decoding the file needed more than {sandbox.cpu_seconds} s of CPU time; it was"
            " stopped."
        )
    if any(sign in done.stderr for sign in (b"MemoryError", b"bad_alloc", b"allocate memory")):
        raise SandboxRejected(_memory_reason(sandbox))
    if done.returncode < 0:
        name = signal.Signals(-done.returncode).name
        raise SandboxRejected(
            f"The decoder was stopped on this file ({name}: out of memory, out of time or a"
            " corrupt file); it was refused."
        )
    raise SandboxRejected(
        "The decoder failed on this file (it ran out of memory or the file is corrupt)."
    )


def _memory_reason(sandbox: Sandbox) -> str:
    return (
        f"Decoding the file needed more than {sandbox.memory_mb} MiB of memory (a decompression"
        " bomb or a corrupt file); it was refused."
    )


def _answer(stdout: bytes) -> dict[str, Any] | None:
    lines = stdout.strip().splitlines()
    if not lines:
        return None
    try:
        value = json.loads(lines[-1])
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _jsonable(value: Any) -> Any:
    if isinstance(value, Fraction):
        return {"fraction": [value.numerator, value.denominator]}
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def restore(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"fraction"}:
        return Fraction(*value["fraction"])
    return value


def _child() -> None:
    request = json.loads(sys.stdin.buffer.read())
    memory = int(request["memory_mb"]) * 1024 * 1024
    cpu = int(request["cpu_seconds"])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    # The decoders are imported only now, under the limits (never by the worker itself).
    from apps.media import validation

    out: dict[str, Any]
    try:
        result = validation.decode(
            Path(request["path"]),
            fmt=request["fmt"],
            filename=request["filename"],
            limits=Limits(**request["limits"]),
        )
        out = {"ok": _jsonable(asdict(result))}
    except validation.MediaRejected as rejected:
        out = {"rejected": rejected.reason}
    except MemoryError:
        out = {"memory": True}
    sys.stdout.write("\n" + json.dumps(out) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    _child()
