"""A worker lost mid-way (OOM kill, crash) never leaves media running or validating for
good: a run that comes back with the same task id counts as an attempt, past the limit
the media fails with a reason the uploader reads (and may retry), and the sweep fails
whatever went silent. The first test kills a real Celery worker process mid-proxy."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from celery import current_app
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from apps.media import pipeline, samples, tasks, uploads
from apps.media.derived import media_recover
from apps.media.ingest import media_ingest_file
from apps.media.models import MediaFile, MediaState, ProxyStatus
from apps.media.queue import PROXY_TASK
from apps.production.models import Version, VersionStatus
from apps.tenancy.scope import tenant_scope
from tests.factories import Partner, World, make_partner
from tests.live_server import ROOT, child_environment

LOST_ONCE = (
    "The proxy worker was lost 1 time while making this proxy (it ran out of memory or was"
    " killed), so it was stopped. Retry, or upload a smaller or simpler file."
)
LOST_TWICE = LOST_ONCE.replace("1 time", "2 times")


def _ingest(partner: Partner, path: Path, name: str) -> MediaFile:
    with tenant_scope(partner.organization.pk):
        media = media_ingest_file(actor=partner.owner, shot=partner.shot, path=path, filename=name)
    uploads.media_validate(organization_id=partner.organization.pk, media_id=media.pk)
    with tenant_scope(partner.organization.pk):
        media.refresh_from_db()
    assert media.state == MediaState.READY and media.proxy_status == ProxyStatus.QUEUED
    return media


def _state(partner: Partner, media_id: int) -> MediaFile:
    with tenant_scope(partner.organization.pk):
        return MediaFile.objects.select_related("version").get(pk=media_id)


def _pool_children(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in children]


def _wait(condition: Any, seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def partner(committed_db: None) -> Partner:
    return make_partner("lost")


def test_a_worker_killed_mid_proxy_leaves_a_failed_proxy_with_its_reason(
    partner: Partner, media_dir: Path
) -> None:
    movie = samples.make_movie(
        media_dir / "long_prores.mov", codec="prores", frames=96, width=1280, height=720
    )
    media = _ingest(partner, movie, "long_plate.mov")
    queue = f"h15-lost-{uuid.uuid4().hex[:8]}"
    env = child_environment({"MEDIA_MAX_ATTEMPTS": "1", "OPENBLAS_NUM_THREADS": "1"})
    with tempfile.TemporaryFile() as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "studio", "worker", "-Q", queue, "-c", "1",
             "--pool", "prefork", "-l", "info", "--without-gossip", "--without-mingle"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            current_app.send_task(
                PROXY_TASK,
                kwargs={"media_id": media.pk, "organization_id": partner.organization.pk},
                queue=queue,
            )
            _wait(
                lambda: _state(partner, media.pk).proxy_status == ProxyStatus.RUNNING,
                90,
                "the proxy to start",
            )
            # The kernel's OOM killer, as far as Celery can tell: SIGKILL to the pool process.
            for child in _pool_children(worker.pid):
                os.kill(child, signal.SIGKILL)
            failed = _wait(
                lambda: (m := _state(partner, media.pk)).proxy_status == ProxyStatus.FAILED and m,
                60,
                "the redelivered run to fail the proxy",
            )
            assert failed.proxy_error == LOST_ONCE
            assert failed.version is not None and failed.version.status == VersionStatus.REJECTED
            assert worker.poll() is None  # the worker itself lives on
        except AssertionError:
            log.seek(0)
            print(log.read().decode(errors="replace")[-4000:])
            raise
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()


class _WorkerDied(BaseException):
    """What a killed worker looks like to the code it was running: it simply stops."""


def _die(*_: Any, **__: Any) -> Any:
    raise _WorkerDied


@pytest.mark.django_db
def test_redelivered_runs_count_and_a_retry_starts_afresh(
    world: World, monkeypatch: pytest.MonkeyPatch, exr: Path
) -> None:
    org = world.a.organization.pk
    media = _ingest(world.a, exr, "element.exr")
    monkeypatch.setattr(pipeline, "build_proxy", _die)
    for _ in range(2):  # the first run and one redelivery of the same message both die
        with pytest.raises(_WorkerDied):
            pipeline.media_make_proxy(organization_id=org, media_id=media.pk, task_id="t-1")
    running = _state(world.a, media.pk)
    assert (running.proxy_status, running.proxy_attempts) == (ProxyStatus.RUNNING, 2)
    # Another message for the same media while that run looks alive does nothing.
    pipeline.media_make_proxy(organization_id=org, media_id=media.pk, task_id="t-2")
    assert _state(world.a, media.pk).proxy_attempts == 2
    # The next redelivery of t-1 finds its attempts used up: failed, with the reason.
    failed = pipeline.media_make_proxy(organization_id=org, media_id=media.pk, task_id="t-1")
    assert failed is not None and failed.proxy_status == ProxyStatus.FAILED
    assert failed.proxy_error == LOST_TWICE
    assert _state(world.a, media.pk).version.status == VersionStatus.REJECTED  # type: ignore[union-attr]

    monkeypatch.undo()
    # The uploader reads the reason on the version page and presses Retry.
    page = Client()
    page.force_login(world.a.producer)
    slug, project = world.a.organization.slug, world.a.project.pk
    version_url = reverse("version-page", args=[slug, project, failed.version_id])
    html = page.get(version_url).content.decode()
    assert f"The proxy failed: {LOST_TWICE}" in html and 'data-testid="proxy-retry"' in html
    retry = page.post(reverse("media-proxy-retry", args=[slug, media.pk]), HTTP_REFERER=version_url)
    assert retry.status_code == 302 and retry["Location"] == version_url
    queued = _state(world.a, media.pk)
    assert (queued.proxy_status, queued.proxy_attempts) == (ProxyStatus.QUEUED, 0)
    tasks.make_proxy.apply(kwargs={"media_id": media.pk, "organization_id": org}, task_id="t-3")
    done = _state(world.a, media.pk)
    assert (done.proxy_status, done.proxy_attempts, done.proxy_error) == ("ready", 1, "")
    assert done.version is not None and done.version.status == VersionStatus.IN_REVIEW


@pytest.mark.django_db
def test_the_sweep_fails_what_went_silent_instead_of_looping(world: World, exr: Path) -> None:
    org = world.a.organization.pk
    media = _ingest(world.a, exr, "element.exr")
    with tenant_scope(org):
        MediaFile.objects.filter(pk=media.pk).update(
            proxy_status=ProxyStatus.RUNNING,
            proxy_attempts=2,
            proxy_updated_at=timezone.now() - timedelta(minutes=10),
        )
    media_recover()
    swept = _state(world.a, media.pk)
    assert swept.proxy_status == ProxyStatus.FAILED and swept.proxy_error == LOST_TWICE


@pytest.mark.django_db
@override_settings(MEDIA_STUCK_SECONDS=60)
def test_validation_stuck_past_the_deadline_is_refused_with_a_reason(
    world: World, exr: Path, django_capture_on_commit_callbacks: Any
) -> None:
    org = world.a.organization.pk
    with tenant_scope(org):
        media = media_ingest_file(
            actor=world.a.owner, shot=world.a.shot, path=exr, filename="element.exr"
        )
        # It started once (its worker then vanished) an hour ago.
        MediaFile.objects.filter(pk=media.pk).update(
            validate_attempts=1, uploaded_at=timezone.now() - timedelta(hours=1)
        )
    with django_capture_on_commit_callbacks() as queued:
        media_recover()
    assert len(queued) == 1  # its validation is queued once more, to refuse it
    tasks.validate_media(media_id=media.pk, organization_id=org)
    refused = _state(world.a, media.pk)
    assert refused.state == MediaState.REJECTED
    assert refused.rejection_reason == (
        "Validation did not finish: it was interrupted 2 times (the worker was lost: out of"
        " memory, killed or past its time limit), so the file was refused."
    )
    with tenant_scope(org):
        assert not Version.objects.filter(pk=media.version_id, status="pending").exists()


def test_media_tasks_are_given_back_when_their_worker_is_lost() -> None:
    for task in (tasks.validate_media, tasks.make_proxy, tasks.make_viewer_proxy):
        assert task.acks_late and task.reject_on_worker_lost, task.name
        assert task.time_limit and task.soft_time_limit, task.name
