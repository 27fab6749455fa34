"""Media pipeline benchmarks.

- upload.throughput_ratio: the platform's presigned multipart path (API start → presigned
  part URLs → parallel HTTP PUTs → API complete, which checks ListParts) divided by a plain
  boto3 multipart upload (same part size, same concurrency) to the same S3 server, same run.
- proxy.fps: review proxy generation (decode, scale, burn-in-free H.264 encode with fast
  start, poster and filmstrip) of a 1920x1080 ProRes source; baseline: a bare PyAV
  decode → scale → H.264 encode of the same frames (what the pipeline adds on top).
- proxy.fps_ocio: the same with a log source (ARRI LogC4) through the OCIO display
  transform (ACES 2.0 SDR via a baked 65³ LUT).
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from pathlib import Path
from typing import Any

UPLOAD_MIB = int(os.environ.get("BENCH_UPLOAD_MIB", "128"))
PART_MIB = 16
CONCURRENCY = 4
ROUNDS = 2
PROXY_FRAMES = 48


def _setup_world() -> tuple[Any, Any, Any, Any]:
    from django.core.management import call_command

    from apps.accounts.services import api_token_create, user_create
    from apps.production.services import project_create, sequence_create, shot_create
    from apps.tenancy.models import Role
    from apps.tenancy.scope import tenant_scope
    from apps.tenancy.services import membership_create, organization_create

    call_command("migrate", database="owner", verbosity=0, interactive=False)
    tag = uuid.uuid4().hex[:8]
    organization = organization_create(name=f"Bench {tag}", kind="partner", actor=None)
    user = user_create(email=f"bench-{tag}@example.test", password=uuid.uuid4().hex)
    membership_create(organization=organization, user=user, role=Role.PRODUCER, actor=None)
    with tenant_scope(organization.pk, user_id=user.pk):
        project = project_create(actor=user, name=f"Bench {tag}")
        sequence = sequence_create(actor=user, project=project, code="SQ010")
        shot = shot_create(actor=user, sequence=sequence, code="SH0010", cut_in=1001, cut_out=1100)
    _, token = api_token_create(user=user, name="bench")
    return organization, project, shot, token


def _platform_upload(client: Any, base: str, shot_id: int, path: Path, size: int) -> float:
    started = time.perf_counter()
    upload = client.post(
        base + "uploads/",
        {"shot": shot_id, "filename": f"bench_{uuid.uuid4().hex[:6]}.mov", "size": size},
        format="json",
    ).json()
    numbers = list(range(1, upload["part_count"] + 1))
    parts = client.post(
        base + f"uploads/{upload['id']}/parts/", {"parts": numbers}, format="json"
    ).json()["parts"]
    local = threading.local()

    def put(part: dict[str, Any]) -> None:
        if not hasattr(local, "handle"):
            local.handle = open(path, "rb")  # noqa: SIM115 - one handle per thread
        local.handle.seek((part["part_number"] - 1) * upload["part_size"])
        data = local.handle.read(part["size"])
        request = urllib.request.Request(part["url"], data=data, method="PUT")
        with urllib.request.urlopen(request, timeout=120) as response:
            assert response.status == 200

    with ThreadPoolExecutor(CONCURRENCY) as pool:
        list(pool.map(put, parts))
    done = client.post(base + f"uploads/{upload['id']}/complete/")
    assert done.status_code == 200, done.content
    return time.perf_counter() - started


def _boto3_upload(path: Path) -> float:
    from boto3.s3.transfer import TransferConfig
    from django.conf import settings

    from apps.media.storage import s3_client

    config = TransferConfig(
        multipart_threshold=PART_MIB * 1024 * 1024,
        multipart_chunksize=PART_MIB * 1024 * 1024,
        max_concurrency=CONCURRENCY,
        use_threads=True,
    )
    key = f"bench/{uuid.uuid4().hex}/plain.bin"
    started = time.perf_counter()
    s3_client().upload_file(str(path), settings.S3_BUCKET, key, Config=config)
    elapsed = time.perf_counter() - started
    s3_client().delete_object(Bucket=settings.S3_BUCKET, Key=key)
    return elapsed


def _upload_rows(work: Path) -> list[dict[str, Any]]:
    from django.test import override_settings
    from rest_framework.test import APIClient

    organization, project, shot, token = _setup_world()
    size = UPLOAD_MIB * 1024 * 1024
    path = work / "upload.bin"
    with open(path, "wb") as handle:
        for _ in range(UPLOAD_MIB):
            handle.write(os.urandom(1024 * 1024))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    base = f"/api/v1/orgs/{organization.slug}/projects/{project.pk}/"
    platform, plain = [], []
    with override_settings(MEDIA_UPLOAD_PART_SIZE=PART_MIB * 1024 * 1024, ALLOWED_HOSTS=["*"]):
        _boto3_upload(path)  # warm up connections and the bucket
        for _ in range(ROUNDS):
            plain.append(_boto3_upload(path))
            platform.append(_platform_upload(client, base, shot.pk, path, size))
    best_platform = size / min(platform) / 1e6
    best_plain = size / min(plain) / 1e6
    settings_row = {
        "size_mib": UPLOAD_MIB,
        "part_mib": PART_MIB,
        "concurrency": CONCURRENCY,
        "rounds": ROUNDS,
        "best_of": ROUNDS,
    }
    return [
        {
            "name": "upload.throughput_ratio",
            "value": best_platform / best_plain,
            "unit": "ratio",
            "better": "higher",
            "baseline": 1.0,
            "settings": {**settings_row, "platform_mb_s": best_platform, "boto3_mb_s": best_plain},
        },
        {
            "name": "upload.platform_mb_s",
            "value": best_platform,
            "unit": "MB/s",
            "better": "higher",
            "baseline": best_plain,
            "settings": settings_row,
        },
    ]


def _bare_transcode_fps(source: Path, work: Path) -> float:
    import av

    started = time.perf_counter()
    frames = 0
    with av.open(str(source)) as inp, av.open(str(work / "bare.mp4"), "w", format="mp4") as out:
        stream: Any = out.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = 1280, 720, "yuv420p"
        stream.codec_context.options = {"crf": "21", "preset": "veryfast"}
        inp.streams.video[0].thread_type = "AUTO"
        for frame in inp.decode(video=0):
            scaled = frame.reformat(width=1280, height=720, format="yuv420p")
            scaled.pts = frames
            for packet in stream.encode(scaled):
                out.mux(packet)
            frames += 1
        for packet in stream.encode():
            out.mux(packet)
    return frames / (time.perf_counter() - started)


def _proxy_rows(work: Path) -> list[dict[str, Any]]:
    from apps.media import samples
    from apps.media.proxy import ProxyOptions, build_proxy

    source = samples.make_movie(
        work / "source.mov", codec="prores", frames=PROXY_FRAMES, width=1920, height=1080
    )
    baseline = _bare_transcode_fps(source, work)
    rows = []
    for name, space in (
        ("proxy.fps", "Rec.1886 Rec.709 - Display"),
        ("proxy.fps_ocio", "ARRI LogC4"),
    ):
        out = work / name
        out.mkdir()
        output = build_proxy(
            source,
            fmt="quicktime",
            width=1920,
            height=1080,
            frame_count=PROXY_FRAMES,
            out_dir=out,
            options=ProxyOptions(frame_rate=Fraction(24000, 1001), color_space=space),
        )
        rows.append(
            {
                "name": name,
                "value": output.frames / output.seconds,
                "unit": "frames/s",
                "better": "higher",
                "baseline": baseline,
                "settings": {
                    "source": f"ProRes 422 1920x1080, {PROXY_FRAMES} frames",
                    "proxy": f"H.264 {output.width}x{output.height} crf 21 veryfast gop 12",
                    "color": output.color_transform,
                    "baseline": "bare PyAV decode → scale → H.264 encode",
                },
            }
        )
    return rows


def run() -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="backlot-bench-media-") as tmp:
        work = Path(tmp)
        return _upload_rows(work) + _proxy_rows(work)
