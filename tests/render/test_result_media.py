"""A job's result takes the same media pipeline as an upload: its pictures (movie, still,
image sequence) are validated and get a review proxy, poster and filmstrip; its reports
and CDLs are typed documents by role, never the version's picture; a restart loses
nothing. The platform's media tasks run in-process here, right after each commit."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.media import samples, tasks
from apps.media.derived import media_recover
from apps.media.models import MediaFile, MediaState, ProxyStatus
from apps.media.queue import PROXY_TASK, RECOVER_TASK, VALIDATE_TASK
from apps.media.selectors import version_media
from apps.media.storage import s3_client
from apps.production.models import Version, VersionStatus
from apps.render import submission
from apps.render.intake import report_receive
from apps.render.models import Job, JobState
from apps.render.scheduler import dispatch_pool, output_prefix
from apps.tenancy.scope import tenant_scope
from tests.factories import Partner, World
from tests.render.helpers import make_input_media, make_pool

INLINE_TASKS: dict[str, Callable[..., Any]] = {
    VALIDATE_TASK: tasks.validate_media,
    PROXY_TASK: tasks.make_proxy,
    RECOVER_TASK: tasks.recover_media,
}


class _InlineCelery:
    """Runs the media tasks the services send, in this process (they are idempotent)."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.paused = False

    def send_task(self, name: str, kwargs: dict[str, Any], queue: str) -> None:
        self.sent.append(name)
        if not self.paused:
            INLINE_TASKS[name](**kwargs)


@pytest.fixture
def media_worker(monkeypatch: pytest.MonkeyPatch) -> Iterator[_InlineCelery]:
    worker = _InlineCelery()
    monkeypatch.setattr("apps.media.queue.current_app", worker)
    yield worker


def _put(key: str, path: Path) -> dict[str, Any]:
    body = path.read_bytes()
    s3_client().put_object(Bucket=settings.S3_BUCKET, Key=key, Body=body)
    return {"key": key, "sha256": hashlib.sha256(body).hexdigest(), "size": len(body)}


def _put_sequence(prefix: str, folder: Path) -> dict[str, Any]:
    """As gpu_workers.storage.upload_tree stores it: files under a prefix + a manifest."""
    lines, total = [], 0
    for path in sorted(folder.iterdir()):
        stored = _put(prefix + path.name, path)
        lines.append(f"{stored['sha256']}  {path.name}")
        total += stored["size"]
    manifest = hashlib.sha256(("\n".join(lines) + "\n").encode()).hexdigest()
    return {"key": prefix, "sha256": manifest, "size": total}


def _running_job(partner: Partner) -> tuple[Job, dict[str, Any], str]:
    pool = make_pool()
    source = make_input_media(partner, name="plate.mov")
    with tenant_scope(partner.organization.pk, user_id=partner.owner.pk):
        job = submission.job_submit(
            actor=partner.owner,
            project=partner.project,
            shot=partner.shot,
            operation="noop",
            params={"seconds": 0},
            inputs={"source": source.pk},
            pool=pool.name,
        )
    dispatch_pool(pool_id=pool.pk, publish=lambda queue, spec: None)
    with tenant_scope(partner.organization.pk):
        job = Job.objects.get(pk=job.pk)
        attempt = job.attempts.get()
    base = {
        "organization_id": partner.organization.pk,
        "job_id": job.pk,
        "attempt_id": str(attempt.pk),
    }
    report_receive(report={**base, "type": "started", "worker_host": "w1", "device": "cpu"})
    return job, base, output_prefix(job, attempt)


def _succeed(base: dict[str, Any], outputs: list[dict[str, Any]], capture: Any) -> None:
    with capture(execute=True):
        report_receive(report={**base, "type": "result", "outputs": outputs, "gpu_seconds": 1})


def _files(partner: Partner, job: Job) -> tuple[Version, dict[str, MediaFile | None], list[Any]]:
    with tenant_scope(partner.organization.pk):
        version = Version.objects.get(source_job_id=job.pk)
        files = version_media(version)
        originals = list(
            MediaFile.objects.filter(version=version, derived_from__isnull=True).order_by("pk")
        )
    return version, files, originals


@pytest.mark.django_db
def test_a_job_result_gets_a_ready_proxy_and_its_report_is_never_the_original(
    world: World,
    media_worker: _InlineCelery,
    tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    a = world.a
    job, base, prefix = _running_job(a)
    movie = samples.make_movie(tmp_path / "plate_matched.mov", codec="prores", frames=12)
    cdl = tmp_path / "plate_matched.cdl"
    cdl.write_text("<ColorDecisionList/>")
    report = tmp_path / "plate_matched.json"
    report.write_text(json.dumps({"cdl": {"slope": [1, 1, 1]}}))
    outputs = [
        {**_put(prefix + movie.name, movie), "kind": "render", "role": "main",
         "filename": movie.name, "content_type": "video/quicktime"},
        {**_put(prefix + cdl.name, cdl), "kind": "document", "role": "cdl",
         "filename": cdl.name, "content_type": "application/xml"},
        {**_put(prefix + report.name, report), "kind": "document", "role": "report",
         "filename": report.name, "content_type": "application/json"},
    ]  # fmt: skip
    _succeed(base, outputs, django_capture_on_commit_callbacks)

    version, files, originals = _files(a, job)
    source, proxy = files["source"], files["proxy"]
    assert source is not None and source.original_filename == "plate_matched.mov"
    assert (source.state, source.role, source.proxy_status) == ("ready", "main", "ready")
    # Probed like an upload: the encoder had what it needs.
    assert (source.width, source.height, source.frame_count) == (320, 180, 12)
    assert proxy is not None and proxy.frame_count == 12 and proxy.codec == "h264"
    assert files["poster"] is not None and files["filmstrip"] is not None
    assert version.status == VersionStatus.IN_REVIEW
    documents = {m.role: m for m in originals if m.kind == "document"}
    assert set(documents) == {"cdl", "report"}
    assert all(d.state == "ready" and d.proxy_status == "none" for d in documents.values())
    assert media_worker.sent == [VALIDATE_TASK, PROXY_TASK]


@pytest.mark.django_db
def test_an_image_sequence_result_plays_as_one_picture(
    world: World,
    media_worker: _InlineCelery,
    tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    a = world.a
    job, base, prefix = _running_job(a)
    folder = tmp_path / "plate_1280x720"
    folder.mkdir()
    for index in range(5):
        samples.make_exr(folder / f"plate_1280x720.{1001 + index:04d}.exr", index=index)
    stored = _put_sequence(prefix + "plate_1280x720/", folder)
    _succeed(
        base,
        [{**stored, "kind": "render", "role": "main", "filename": "plate_1280x720",
          "content_type": "image/x-exr"}],
        django_capture_on_commit_callbacks,
    )  # fmt: skip
    _version, files, _originals = _files(a, job)
    source, proxy = files["source"], files["proxy"]
    assert source is not None and source.original_filename == "plate_1280x720.####.exr"
    assert source.state == "ready" and source.frame_count == 5
    assert source.probe["sequence"]["first_frame"] == 1001
    assert proxy is not None and proxy.frame_count == 5


@pytest.mark.django_db
def test_a_result_that_is_not_what_it_claims_is_rejected_with_the_reason(
    world: World,
    media_worker: _InlineCelery,
    tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    a = world.a
    job, base, prefix = _running_job(a)
    movie = samples.make_movie(tmp_path / "out.mov", codec="prores", frames=3)
    stored = _put(prefix + "out.mov", movie)
    stored["sha256"] = "0" * 64  # not what the worker stored
    _succeed(
        base,
        [{**stored, "kind": "render", "filename": "out.mov", "content_type": "video/quicktime"}],
        django_capture_on_commit_callbacks,
    )
    version, files, _originals = _files(a, job)
    source = files["source"]
    assert source is not None and source.state == MediaState.REJECTED
    assert "sha256" in source.rejection_reason
    assert version.status == VersionStatus.REJECTED
    with tenant_scope(a.organization.pk):
        assert Job.objects.get(pk=job.pk).state == JobState.SUCCEEDED


@pytest.mark.django_db
def test_after_a_restart_lost_validation_and_proxy_work_is_done(
    world: World,
    media_worker: _InlineCelery,
    tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    a = world.a
    job, base, prefix = _running_job(a)
    movie = samples.make_movie(tmp_path / "out.mov", codec="prores", frames=4)
    output = {**_put(prefix + "out.mov", movie), "kind": "render", "filename": "out.mov"}
    media_worker.paused = True  # the platform worker is down: the message is lost
    _succeed(base, [output], django_capture_on_commit_callbacks)
    _version, files, _originals = _files(a, job)
    assert files["source"] is not None and files["source"].state == "quarantined"

    media_worker.paused = False  # it restarts
    with django_capture_on_commit_callbacks(execute=True):
        assert media_recover() >= 1
    _version, files, _originals = _files(a, job)
    assert files["source"] is not None and files["source"].proxy_status == ProxyStatus.READY

    # A proxy whose worker died mid-way (running, silent past the lease) is made again.
    with tenant_scope(a.organization.pk):
        source = MediaFile.objects.get(pk=files["source"].pk)
        MediaFile.objects.filter(derived_from=source).delete()
        MediaFile.objects.filter(pk=source.pk).update(
            proxy_status=ProxyStatus.RUNNING,
            proxy_progress=40,
            proxy_updated_at=timezone.now() - timedelta(minutes=10),
        )
    with django_capture_on_commit_callbacks(execute=True):
        media_recover()
    _version, files, _originals = _files(a, job)
    assert files["proxy"] is not None and files["proxy"].frame_count == 4


@pytest.mark.django_db
def test_a_report_only_result_is_in_review_at_once_and_says_so(
    world: World,
    media_worker: _InlineCelery,
    tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """A consistency check makes a report and thumbnails, no picture: its version has
    nothing to wait for, so it is not left "Waiting for media" for good, and its page says
    the result is the report below instead of "No media on this version yet"."""
    a = world.a
    job, base, prefix = _running_job(a)
    report = tmp_path / "character_consistency.json"
    report.write_text(json.dumps({"shots": [], "summary": {}}))
    thumb = samples.make_still(tmp_path / "sh010_best.jpg", width=64, height=64)
    outputs = [
        {**_put(prefix + report.name, report), "kind": "document", "role": "report",
         "filename": report.name, "content_type": "application/json"},
        {**_put(prefix + thumb.name, thumb), "kind": "document", "role": "thumbnail",
         "filename": thumb.name, "content_type": "image/jpeg"},
    ]  # fmt: skip
    _succeed(base, outputs, django_capture_on_commit_callbacks)

    version, files, originals = _files(a, job)
    assert version.status == VersionStatus.IN_REVIEW
    assert files["source"] is None and {m.role for m in originals} == {"report", "thumbnail"}
    assert media_worker.sent == []  # no picture: nothing to validate or proxy
    client = Client()
    client.force_login(a.producer)
    page = client.get(
        reverse("version-page", args=[a.organization.slug, a.project.pk, version.pk])
    ).content.decode()
    assert "No media on this version yet" not in page
    assert 'data-testid="report-only"' in page and "In review" in page
