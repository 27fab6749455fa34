"""Real processes end to end: a GPU worker (`python -m gpu_workers.worker`, started with
no database settings at all), the platform's results intake (a Celery worker on
`render.results`) and the scheduler loop, against the test PostgreSQL, Redis and S3."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings

from apps.media.models import MediaFile
from apps.media.storage import s3_client
from apps.production.models import Version
from apps.render import submission
from apps.render.models import Attempt, AttemptState, Job, JobLog, JobState
from apps.tenancy.scope import tenant_scope
from tests.factories import Partner, make_partner
from tests.render.helpers import (
    FAST_RENDER_ENV,
    intake_args,
    make_input_media,
    make_pool,
    platform_env,
    process,
    scheduler_args,
    wait_for,
    worker_args,
    worker_env,
)


@pytest.fixture(scope="module")
def platform(django_db_setup: Any) -> Iterator[None]:
    """The platform side of rendering: results intake and the scheduler loop."""
    env = platform_env()
    with (
        process(intake_args(), env, "render-intake.log"),
        process(scheduler_args(), env, "render-scheduler.log"),
    ):
        yield


@pytest.fixture
def fast_render(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in FAST_RENDER_ENV.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def partner(committed_db: None, fast_render: None) -> Partner:
    return make_partner("render")


def _job(partner: Partner, job_id: int) -> Job:
    with tenant_scope(partner.organization.pk):
        return Job.objects.select_related("pool").get(pk=job_id)


def _submit(partner: Partner, pool: str, media: MediaFile, **params: Any) -> Job:
    with tenant_scope(partner.organization.pk, user_id=partner.producer.pk):
        return submission.job_submit(
            actor=partner.producer,
            project=partner.project,
            shot=partner.shot,
            operation="noop",
            params=params,
            inputs={"source": media.pk},
            pool=pool,
        )


def _state(partner: Partner, job_id: int, *states: str) -> Job | None:
    job = _job(partner, job_id)
    return job if job.state in states else None


def test_worker_without_database_settings_runs_a_job_into_a_version_with_provenance(
    platform: None, partner: Partner
) -> None:
    env = worker_env()
    assert not {"DATABASE_URL", "DATABASE_OWNER_URL", "DJANGO_SETTINGS_MODULE"} & set(env)
    pool = make_pool()
    media = make_input_media(partner, b"plate bytes " * 100)
    with process(worker_args(pool.name), env, "render-worker-basic.log"):
        job = _submit(partner, pool.name, media, seconds=0.5, steps=5)
        job = wait_for(
            lambda: _state(partner, job.pk, JobState.SUCCEEDED, JobState.FAILED),
            timeout=60,
            message="the job to finish",
        )
    assert job.state == JobState.SUCCEEDED, job.error
    with tenant_scope(partner.organization.pk):
        version = Version.objects.get(source_job_id=job.pk)
        output = MediaFile.objects.get(version=version)
        record = job.provenance.record
    assert version.source == "render" and version.number == 1
    # The output is the pass-through of the input, stored under the attempt's prefix. Like
    # an upload, it waits in quarantine for the media pipeline to check it (no media worker
    # runs in this test).
    assert output.sha256 == media.sha256 and output.state == "quarantined"
    stored = s3_client().get_object(Bucket=settings.S3_BUCKET, Key=output.storage_key)
    assert stored["Body"].read() == b"plate bytes " * 100
    assert record["inputs"][0]["sha256"] == media.sha256
    assert record["device"] == "cpu" and record["code_version"].startswith("src-")
    assert record["gpu_seconds"] >= 0.4 and record["operation"] == "noop"
    assert record["worker_host"]


def test_sigkill_of_a_worker_mid_job_ends_with_one_success_and_one_version(
    platform: None, partner: Partner
) -> None:
    pool = make_pool()
    media = make_input_media(partner)
    env = worker_env()
    with process(worker_args(pool.name), env, "render-worker-killed.log") as doomed:
        job = _submit(partner, pool.name, media, seconds=4, steps=40)
        wait_for(
            lambda: _job(partner, job.pk).progress >= 0.2,
            timeout=60,
            message="the first attempt to make progress",
        )
        os.kill(doomed.pid, signal.SIGKILL)
        doomed.wait(timeout=10)
    first = _job(partner, job.pk).current_attempt_id
    with process(worker_args(pool.name), env, "render-worker-survivor.log"):
        job = wait_for(
            lambda: _state(partner, job.pk, JobState.SUCCEEDED, JobState.FAILED),
            timeout=90,
            message="the retried job to finish",
        )
    assert job.state == JobState.SUCCEEDED, job.error
    with tenant_scope(partner.organization.pk):
        attempts = list(Attempt.objects.filter(job=job).order_by("number"))
        assert [a.state for a in attempts] == [AttemptState.LOST, AttemptState.SUCCEEDED]
        assert attempts[0].pk == first and attempts[1].pk != first
        assert Version.objects.filter(source_job_id=job.pk).count() == 1
        assert MediaFile.objects.filter(version__source_job_id=job.pk).count() == 1
        log = list(JobLog.objects.filter(job=job).values_list("message", flat=True))
    assert any("attempt 1 lost: no heartbeat" in line for line in log)


def test_cancelling_a_running_job_stops_the_worker_within_seconds(
    platform: None, partner: Partner
) -> None:
    pool = make_pool()
    media = make_input_media(partner)
    with process(worker_args(pool.name), worker_env(), "render-worker-cancel.log"):
        job = _submit(partner, pool.name, media, seconds=60, steps=600)
        wait_for(
            lambda: _state(partner, job.pk, JobState.RUNNING),
            timeout=60,
            message="the job to start",
        )
        with tenant_scope(partner.organization.pk, user_id=partner.producer.pk):
            submission.job_cancel(actor=partner.producer, job=job)
        job = wait_for(
            lambda: _state(partner, job.pk, JobState.CANCELLED, JobState.FAILED),
            timeout=20,
            message="the worker to stop",
        )
    assert job.state == JobState.CANCELLED
    assert job.cancel_requested_at is not None and job.finished_at is not None
    assert (job.finished_at - job.cancel_requested_at).total_seconds() < 10
    with tenant_scope(partner.organization.pk):
        assert Attempt.objects.get(job=job).state == AttemptState.CANCELLED
        assert not Version.objects.filter(source_job_id=job.pk).exists()


def test_resize_runs_as_a_job_and_produces_a_version(
    platform: None, partner: Partner, tmp_path: Any
) -> None:
    from tests.gpu_workers.media import gradient_scene, write_movie

    movie = write_movie(tmp_path / "plate.mov", [gradient_scene(seed=i) for i in range(3)])
    media = make_input_media(partner, movie.read_bytes(), name="plate.mov")
    pool = make_pool()
    with process(worker_args(pool.name), worker_env(), "render-worker-resize.log"):
        with tenant_scope(partner.organization.pk, user_id=partner.producer.pk):
            job = submission.job_submit(
                actor=partner.producer,
                project=partner.project,
                shot=partner.shot,
                operation="resize",
                params={"width": 32, "height": 24},
                inputs={"source": media.pk},
                pool=pool.name,
            )
        job = wait_for(
            lambda: _state(partner, job.pk, JobState.SUCCEEDED, JobState.FAILED),
            timeout=120,
            message="the resize job to finish",
        )
    assert job.state == JobState.SUCCEEDED, job.error
    with tenant_scope(partner.organization.pk):
        version = Version.objects.get(source_job_id=job.pk)
        outputs = list(MediaFile.objects.filter(version=version))
        record = job.provenance.record
    assert outputs and all(len(item.sha256) == 64 and item.size > 0 for item in outputs)
    assert record["operation"] == "resize" and record["params"]["width"] == 32
    assert record["metrics"]["frames"] == 3
