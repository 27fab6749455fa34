"""Reading an uploaded edit in a child process with limits, so a hostile file (JSON nested
thousands deep, an XML entity bomb, millions of events) costs a capped child, not the web
process and every request it serves.

The child (`python -m apps.interchange.isolate`) lowers its own memory (RLIMIT_AS) and CPU
(RLIMIT_CPU) limits before it imports a reader, checks nesting depth, reads the file and
answers the `ReadEdit` as JSON on stdout. A refusal, a crash, a kill or a limit becomes a
ValidationFailed (400) naming the limit. The same pattern as apps/media/sandbox.py.
"""

from __future__ import annotations

import json
import os
import re
import resource
import signal
import subprocess
import sys
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from apps.core.errors import ValidationFailed
from apps.interchange.cuts import Marker, NotPlaced, Placement, ReadEdit

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class ReadLimits:
    max_bytes: int = 20 * 1024 * 1024
    max_depth: int = 200  # JSON brackets or XML elements
    max_events: int = 100_000  # placements + lines not placed + markers
    memory_mb: int = 2048
    cpu_seconds: int = 30
    wall_seconds: int = 60


def _refused(message: str) -> ValidationFailed:
    return ValidationFailed(message, field="file")


def read_edit_isolated(
    data: bytes, fmt: str, rate: Fraction, limits: ReadLimits | None = None
) -> ReadEdit:
    """`edit.read_edit(data, fmt, rate)`, run in a capped child process."""
    limits = limits or ReadLimits()
    if len(data) > limits.max_bytes:
        raise _refused(f"Edit files are limited to {limits.max_bytes // (1024 * 1024)} MB.")
    header = {"fmt": fmt, "rate": [rate.numerator, rate.denominator], "limits": asdict(limits)}
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT),
        "OMP_NUM_THREADS": "1",
        "MALLOC_ARENA_MAX": "2",
    }
    try:
        done = subprocess.run(
            [sys.executable, "-m", "apps.interchange.isolate"],
            input=json.dumps(header).encode() + b"\n" + data,
            capture_output=True,
            timeout=limits.wall_seconds,
            env=env,
            cwd=str(ROOT),
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise _refused(
            f"Reading the file took longer than {limits.wall_seconds} s; it was stopped."
        ) from None
    answer = _answer(done.stdout)
    if done.returncode == 0 and answer is not None:
        if "refused" in answer:
            raise ValidationFailed(str(answer["refused"]), field=answer.get("field") or "file")
        if "memory" in answer:
            raise _refused(_memory_reason(limits))
        return _read_edit(answer["ok"])
    if done.returncode == -signal.SIGXCPU:
        raise _refused(
            f"Reading the file needed more than {limits.cpu_seconds} s of CPU time; it was stopped."
        )
    if b"MemoryError" in done.stderr or b"bad_alloc" in done.stderr:
        raise _refused(_memory_reason(limits))
    if done.returncode < 0:
        name = signal.Signals(-done.returncode).name
        raise _refused(
            f"The reader was stopped on this file ({name}: too deep, too large or corrupt);"
            " it was refused."
        )
    raise _refused("The reader failed on this file (too deep, too large or corrupt).")


def _memory_reason(limits: ReadLimits) -> str:
    return f"Reading the file needed more than {limits.memory_mb} MiB of memory; it was refused."


def _answer(stdout: bytes) -> dict[str, Any] | None:
    lines = stdout.strip().splitlines()
    if not lines:
        return None
    try:
        value = json.loads(lines[-1])
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _read_edit(value: dict[str, Any]) -> ReadEdit:
    return ReadEdit(
        name=value["name"],
        placements=[Placement(**p) for p in value["placements"]],
        not_placed=[NotPlaced(**n) for n in value["not_placed"]],
        markers=[Marker(**m) for m in value["markers"]],
        warnings=list(value["warnings"]),
    )


_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_BRACKET = re.compile(rb"[\[\]{}]")
_XML_TAG = re.compile(rb"<(/?)[A-Za-z_][^<>]*?(/?)>")


def nesting_depth(data: bytes, fmt: str, stop_at: int) -> int:
    """The deepest nesting of JSON brackets (OTIO) or XML elements, counted up to `stop_at`
    without building anything (a CMX 3600 EDL does not nest: 0)."""
    depth = deepest = 0
    if fmt == "otio":
        for match in _BRACKET.finditer(_JSON_STRING.sub(b'""', data)):
            depth += 1 if match.group() in (b"[", b"{") else -1
            deepest = max(deepest, depth)
            if deepest > stop_at:
                break
    elif fmt in ("fcp7xml", "fcpxml"):
        for match in _XML_TAG.finditer(data):
            if match.group(2):
                continue  # <empty/>
            depth += -1 if match.group(1) else 1
            deepest = max(deepest, depth)
            if deepest > stop_at:
                break
    return deepest


def _child() -> None:
    raw = sys.stdin.buffer.read()
    head, _, data = raw.partition(b"\n")
    request = json.loads(head)
    limits = ReadLimits(**request["limits"])
    memory = limits.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    out: dict[str, Any]
    try:
        fmt = request["fmt"]
        if nesting_depth(data, fmt, limits.max_depth) > limits.max_depth:
            raise _refused(f"This file nests deeper than {limits.max_depth} levels.")
        # The readers (and OpenTimelineIO's native code) are imported only now, under the limits.
        from apps.interchange import edit

        parsed = edit.read_edit(data, fmt, Fraction(*request["rate"]))
        count = len(parsed.placements) + len(parsed.not_placed) + len(parsed.markers)
        if count > limits.max_events:
            raise _refused(f"This file holds {count} events; at most {limits.max_events} are read.")
        # vars(), not asdict(): asdict deep-copies every field (a second per 20,000 events).
        out = {
            "ok": {
                "name": parsed.name,
                "placements": [vars(p) for p in parsed.placements],
                "not_placed": [vars(n) for n in parsed.not_placed],
                "markers": [vars(m) for m in parsed.markers],
                "warnings": parsed.warnings,
            }
        }
    except ValidationFailed as error:
        out = {"refused": error.message, "field": error.field}
    except MemoryError:
        out = {"memory": True}
    except RecursionError:
        out = {"refused": "This file nests too deep to be read."}
    sys.stdout.write("\n" + json.dumps(out) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    _child()
