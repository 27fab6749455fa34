"""Media intake benchmarks (issue 15).

- media.validate_peak_rss_mb: peak resident memory of validating one file (the validating
  process and its sandboxed decoder child, each measured in a fresh process), for the
  largest accepted plate (an 8K scene-linear EXR, 8192x4320 RGB half, ZIP) and for the
  worst bombs (a PNG declaring 40000x40000, refused from its header; an 8000x8000 PNG of
  zeros inside the pixel limit, decoded under the memory cap).
- upload.sequence_throughput_ratio: a 100-frame EXR-sized sequence through the platform's
  sequence upload (API start, presigned PUT per frame, 4 in parallel, API complete that
  lists what S3 holds) divided by plain boto3 uploading the same files with the same
  concurrency to the same S3 server, same run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SEQUENCE_FRAMES = 100
FRAME_MIB = int(os.environ.get("BENCH_FRAME_MIB", "2"))
CONCURRENCY = 4

_MEASURE = """
import json, resource, sys
from pathlib import Path
from apps.media.sandbox import Sandbox
from apps.media.validation import MediaRejected, inspect_file
path, name = Path(sys.argv[1]), sys.argv[2]
try:
    inspect_file(path, filename=name, sandbox=Sandbox())
    verdict = "accepted"
except MediaRejected as rejected:
    verdict = rejected.reason
# VmHWM: this process's own peak (ru_maxrss would carry the parent's across exec).
status = Path("/proc/self/status").read_text().splitlines()
own = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"verdict": verdict, "self_mb": own / 1024, "child_mb": child / 1024}))
"""


def _png(width: int, height: int, idat: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return len(data).to_bytes(4, "big") + kind + data + crc.to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def _plate_8k(path: Path) -> Path:
    import numpy as np
    import OpenEXR

    from apps.media.samples import pattern_frame

    pixels = np.ascontiguousarray(pattern_frame(0, 8192, 4320).astype(np.float16))
    header = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}
    OpenEXR.File(header, {"RGB": pixels}).write(str(path))
    return path


def _measure(path: Path, name: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(path), name],
        capture_output=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
    )
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def _rss_rows(work: Path) -> list[dict[str, Any]]:
    cases = [
        ("largest accepted plate", _plate_8k(work / "plate_8k.exr"), "plate_8k.exr"),
        ("40000x40000 PNG bomb", work / "bomb.png", "bomb.png"),
        ("8000x8000 PNG of zeros", work / "dense.png", "dense.png"),
    ]
    (work / "bomb.png").write_bytes(_png(40000, 40000, zlib.compress(b"\0" * 1000)))
    (work / "dense.png").write_bytes(_png(8000, 8000, zlib.compress(b"\0" * 8001 * 8000, 9)))
    rows = []
    for label, path, name in cases:
        found = _measure(path, name)
        peak = max(found["self_mb"], found["child_mb"])
        rows.append(
            {
                "name": "media.validate_peak_rss_mb",
                "value": peak,
                "unit": "MB",
                "better": "lower",
                "baseline": None,
                "settings": {
                    "case": label,
                    "file_mb": round(path.stat().st_size / 1e6, 2),
                    "verdict": found["verdict"],
                    "worker_process_mb": round(found["self_mb"], 1),
                    "decoder_child_mb": round(found["child_mb"], 1),
                    "decoder_memory_cap_mb": 4096,
                },
            }
        )
    return rows


def _sequence_rows(work: Path) -> list[dict[str, Any]]:
    from django.conf import settings
    from django.test import override_settings
    from rest_framework.test import APIClient

    from apps.media.storage import s3_client
    from bench.bench_media import _setup_world

    organization, project, shot, token = _setup_world()
    folder = work / "frames"
    folder.mkdir()
    size = FRAME_MIB * 1024 * 1024
    for n in range(1001, 1001 + SEQUENCE_FRAMES):
        (folder / f"plate.{n}.exr").write_bytes(os.urandom(size))
    files = sorted(folder.iterdir())
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    base = f"/api/v1/orgs/{organization.slug}/projects/{project.pk}/"

    def platform() -> float:
        started = time.perf_counter()
        upload = client.post(
            base + "uploads/",
            {"shot": shot.pk, "frames": [{"name": f.name, "size": size} for f in files]},
            format="json",
        ).json()
        urls: list[dict[str, Any]] = []
        for first in range(1, len(files) + 1, 100):
            numbers = list(range(first, min(first + 100, len(files) + 1)))
            urls += client.post(
                base + f"uploads/{upload['id']}/parts/", {"parts": numbers}, format="json"
            ).json()["parts"]

        def put(part: dict[str, Any]) -> None:
            data = (folder / part["name"]).read_bytes()
            request = urllib.request.Request(part["url"], data=data, method="PUT")
            with urllib.request.urlopen(request, timeout=120) as response:
                assert response.status == 200

        with ThreadPoolExecutor(CONCURRENCY) as pool:
            list(pool.map(put, urls))
        done = client.post(base + f"uploads/{upload['id']}/complete/")
        assert done.status_code == 200, done.content
        return time.perf_counter() - started

    def plain() -> float:
        prefix = f"bench/{uuid.uuid4().hex}/"
        started = time.perf_counter()
        with ThreadPoolExecutor(CONCURRENCY) as pool:
            list(
                pool.map(
                    lambda f: s3_client().upload_file(str(f), settings.S3_BUCKET, prefix + f.name),
                    files,
                )
            )
        return time.perf_counter() - started

    with override_settings(ALLOWED_HOSTS=["*"]):
        plain()  # warm up
        boto3_s = min(plain() for _ in range(2))
        platform_s = min(platform() for _ in range(2))
    total = size * len(files)
    return [
        {
            "name": "upload.sequence_throughput_ratio",
            "value": boto3_s / platform_s,
            "unit": "ratio",
            "better": "higher",
            "baseline": 1.0,
            "settings": {
                "frames": len(files),
                "frame_mib": FRAME_MIB,
                "concurrency": CONCURRENCY,
                "platform_mb_s": round(total / platform_s / 1e6, 1),
                "boto3_mb_s": round(total / boto3_s / 1e6, 1),
                "best_of": 2,
            },
        }
    ]


def run() -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="backlot-bench-intake-") as tmp:
        work = Path(tmp)
        return _rss_rows(work) + _sequence_rows(work)
