"""The producer's loop: how soon a job's result plays.

- loop.result_playable.p50_s: seconds from the platform receiving a job's success report
  (the results intake records the version and its outputs) to the result having a ready
  review proxy, for a 48-frame 1920x1080 ProRes result; median of ROUNDS rounds.
- loop.upload_playable.p50_s (the baseline): the same movie uploaded by a person, from the
  upload's completion (assembly, version, quarantine) to a ready proxy, through the same
  pipeline (validation, then proxy, poster and filmstrip).
- loop.result_playable.vs_upload_ratio: the first over the second; rounds are interleaved
  (alternating which goes first) so both see the same machine load.

Real processes: one platform Celery worker (the `platform` queue, solo, as `make run`
starts it) does the validation and proxies; this process plays the results intake (it
calls `report_receive` with the report a GPU worker sends) and the browser's upload (S3
multipart through presigned part URLs). The GPU operation itself is not run: its output is
stored under the job's prefix before the clock starts, as a worker leaves it.
"""

from __future__ import annotations

import hashlib
import os
import statistics
import sys
import tempfile
import time
import urllib.request
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bench.bench_jobs import _start

ROUNDS = int(os.environ.get("BENCH_LOOP_ROUNDS", "5"))
FRAMES, WIDTH, HEIGHT = 48, 1920, 1080
POLL_SECONDS = 0.05
ROUND_TIMEOUT = 180.0


def _wait_ready(media_id: int, organization_id: int) -> float:
    """Polls until the media has a ready proxy; returns the monotonic time it was seen."""
    from apps.media.models import MediaFile, MediaState, ProxyStatus
    from apps.tenancy.scope import tenant_scope

    deadline = time.monotonic() + ROUND_TIMEOUT
    while time.monotonic() < deadline:
        with tenant_scope(organization_id):
            media = MediaFile.objects.filter(pk=media_id).values("state", "proxy_status").get()
        if media["proxy_status"] == ProxyStatus.READY:
            return time.monotonic()
        if media["state"] == MediaState.REJECTED or media["proxy_status"] == ProxyStatus.FAILED:
            raise RuntimeError(f"media {media_id} did not become playable: {media}")
        time.sleep(POLL_SECONDS)
    raise TimeoutError(f"media {media_id} had no proxy after {ROUND_TIMEOUT:g} s")


def _result_round(partner: Any, pool: Any, plate_id: int, movie: Path) -> float:
    """One job: dispatched and started, its output stored; then the clock runs from the
    success report to a ready proxy of the result."""
    from django.conf import settings

    from apps.media.models import MediaFile
    from apps.media.storage import s3_client
    from apps.render import submission
    from apps.render.intake import report_receive
    from apps.render.models import Job
    from apps.render.scheduler import dispatch_pool, output_prefix
    from apps.tenancy.scope import tenant_scope

    org = partner.organization.pk
    with tenant_scope(org, user_id=partner.producer.pk):
        job = submission.job_submit(
            actor=partner.producer,
            project=partner.project,
            shot=partner.shot,
            operation="noop",
            params={"seconds": 0},
            inputs={"source": plate_id},
            pool=pool.name,
        )
    dispatch_pool(pool_id=pool.pk, publish=lambda queue, spec: None)
    with tenant_scope(org):
        job = Job.objects.get(pk=job.pk)
        attempt = job.attempts.get()
    base = {"organization_id": org, "job_id": job.pk, "attempt_id": str(attempt.pk)}
    report_receive(report={**base, "type": "started", "worker_host": "bench", "device": "cpu"})
    body = movie.read_bytes()
    key = output_prefix(job, attempt) + movie.name
    s3_client().put_object(Bucket=settings.S3_BUCKET, Key=key, Body=body)
    output = {
        "key": key,
        "filename": movie.name,
        "kind": "render",
        "role": "main",
        "content_type": "video/quicktime",
        "size": len(body),
        "sha256": hashlib.sha256(body).hexdigest(),
    }
    started = time.monotonic()
    report_receive(report={**base, "type": "result", "outputs": [output], "gpu_seconds": 1})
    with tenant_scope(org):
        media_id = MediaFile.objects.get(storage_key=key).pk
    return _wait_ready(media_id, org) - started


def _upload_round(partner: Any, movie: Path) -> float:
    """One upload: parts PUT through presigned URLs; then the clock runs from the upload's
    completion to a ready proxy."""
    from apps.media.uploads import upload_complete, upload_part_urls, upload_start
    from apps.tenancy.scope import tenant_scope

    org = partner.organization.pk
    size = movie.stat().st_size
    with tenant_scope(org, user_id=partner.producer.pk):
        media = upload_start(
            actor=partner.producer,
            shot=partner.shot,
            filename=f"upload_{uuid.uuid4().hex[:6]}.mov",
            size=size,
        )
        parts = upload_part_urls(
            actor=partner.producer,
            media=media,
            part_numbers=list(range(1, media.part_count + 1)),
        )
    with movie.open("rb") as handle:
        for part in parts:
            handle.seek((part["part_number"] - 1) * media.part_size)
            request = urllib.request.Request(
                part["url"], data=handle.read(part["size"]), method="PUT"
            )
            with urllib.request.urlopen(request, timeout=120) as response:
                assert response.status == 200
    started = time.monotonic()
    with tenant_scope(org, user_id=partner.producer.pk):
        upload_complete(actor=partner.producer, media=media)
    return _wait_ready(media.pk, org) - started


def run() -> list[dict[str, Any]]:
    from django.core.management import call_command

    call_command("migrate", database="owner", verbosity=0, interactive=False)

    from apps.media import samples
    from apps.render import pools
    from tests.factories import make_partner
    from tests.render.helpers import make_input_media

    partner = make_partner("loop")
    pool = pools.pool_create(
        actor=None, name=f"loop-{uuid.uuid4().hex[:8]}", capacity=1, price_per_gpu_second="0"
    )
    plate = make_input_media(partner, name="plate.exr")
    results: list[float] = []
    uploads: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-loop-") as work, ExitStack() as stack:
        movie = samples.make_movie(
            Path(work) / "plate_result.mov", codec="prores", frames=FRAMES, width=WIDTH,
            height=HEIGHT,
        )  # fmt: skip
        _start(
            stack,
            [sys.executable, "-m", "celery", "-A", "studio", "worker", "-Q", "platform", "-P",
             "solo", "-c", "1", "--without-gossip", "--without-mingle", "-n",
             f"bench-media-{pool.name}@%h", "--loglevel", "WARNING"],
            dict(os.environ),
            "bench-loop-media",
        )  # fmt: skip
        # Warm up (the worker starting, codecs and the OCIO config loading): not measured.
        _upload_round(partner, movie)
        for index in range(ROUNDS):
            if index % 2 == 0:
                results.append(_result_round(partner, pool, plate.pk, movie))
                uploads.append(_upload_round(partner, movie))
            else:
                uploads.append(_upload_round(partner, movie))
                results.append(_result_round(partner, pool, plate.pk, movie))
        size = movie.stat().st_size
    result_p50, upload_p50 = statistics.median(results), statistics.median(uploads)
    settings_row = {
        "frames": FRAMES,
        "resolution": f"{WIDTH}x{HEIGHT}",
        "codec": "ProRes (samples.make_movie)",
        "size_bytes": size,
        "rounds": ROUNDS,
        "interleaved": True,
        "media_workers": 1,
        "worker_pool": "solo",
        "device": "cpu",
        "result_rounds_s": [round(v, 3) for v in results],
        "upload_rounds_s": [round(v, 3) for v in uploads],
    }
    return [
        {
            "name": "loop.result_playable.p50_s",
            "value": result_p50,
            "unit": "s",
            "better": "lower",
            "baseline": upload_p50,
            "settings": settings_row,
        },
        {
            "name": "loop.upload_playable.p50_s",
            "value": upload_p50,
            "unit": "s",
            "better": "lower",
            "baseline": upload_p50,
            "settings": settings_row,
        },
        {
            "name": "loop.result_playable.vs_upload_ratio",
            "value": result_p50 / upload_p50,
            "unit": "ratio",
            "better": "lower",
            "baseline": 1.0,
            "settings": settings_row,
        },
    ]
