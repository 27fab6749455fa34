"""Calibrated estimates (history of finished jobs -> estimate) and the units a producer sees:
GPU time and the project's currency, estimate vs actual on the job page."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from apps.media.files import media_file_register, project_key_prefix
from apps.media.models import MediaKind, MediaState
from apps.production.models import Project
from apps.render import submission
from apps.render.estimates import (
    REFERENCE_MEGAPIXELS,
    estimate_job,
    format_gpu_hours,
    format_money,
)
from apps.render.intake import report_receive
from apps.render.models import Job, JobState, Pool
from apps.render.scheduler import dispatch_pool, output_prefix
from apps.tenancy.scope import tenant_scope
from gpu_workers.registry import get_operation
from tests.api.helpers import api_client_for
from tests.factories import Partner, World
from tests.render.helpers import make_pool

NOOP_DECLARED = get_operation("noop").gpu_seconds_per_frame
NOOP_OVERHEAD = get_operation("noop").gpu_seconds_overhead


def _run_noop(partner: Partner, pool: Pool, gpu_seconds: float) -> Job:
    """Submits a noop job and reports it finished after `gpu_seconds`, as a worker would."""
    with tenant_scope(partner.organization.pk, user_id=partner.producer.pk):
        job = submission.job_submit(
            actor=partner.producer,
            project=partner.project,
            shot=partner.shot,
            operation="noop",
            pool=pool.name,
        )
    dispatch_pool(pool_id=pool.pk, publish=lambda queue, spec: None)
    with tenant_scope(partner.organization.pk):
        job.refresh_from_db()
        attempt = job.attempts.get()
    report: dict[str, Any] = {
        "organization_id": partner.organization.pk,
        "job_id": job.pk,
        "attempt_id": str(attempt.pk),
    }
    output = {"key": output_prefix(job, attempt) + "out.exr", "sha256": "a" * 64, "size": 1}
    report_receive(report={**report, "type": "started"})
    report_receive(
        report={**report, "type": "result", "outputs": [output], "gpu_seconds": gpu_seconds}
    )
    with tenant_scope(partner.organization.pk):
        job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED
    return job


def test_units_read_like_a_producer_expects() -> None:
    assert format_money(Decimal("41.2"), "EUR") == "€41.20"
    assert format_money(Decimal("0.0024"), "USD") == "$0.0024"
    assert format_money(Decimal("1234.5"), "CHF") == "CHF 1,234.50"
    assert format_gpu_hours(45_000) == "12.5 GPU-h"
    assert format_gpu_hours(192) == "3.2 GPU-min"
    assert format_gpu_hours(0.4) == "0.40 GPU-s"


@pytest.mark.django_db
def test_without_history_the_declared_rate_is_scaled_by_resolution(world: World) -> None:
    a = world.a
    pool = make_pool(price_per_gpu_second="0.5")
    with tenant_scope(a.organization.pk):
        Project.objects.filter(pk=a.project.pk).update(width=3840, height=2160)
        project = Project.objects.get(pk=a.project.pk)
        estimate = estimate_job(
            operation=get_operation("noop"), project=project, shot=a.shot, pool=pool
        )
    assert estimate.basis == "declared" and estimate.samples == 0
    # UHD is four 1080p frames: four times the declared per-frame rate, 96 frames.
    assert estimate.work.megapixel_frames == pytest.approx(3840 * 2160 / 1e6 * 96)
    assert estimate.gpu_seconds == pytest.approx(NOOP_DECLARED * 4 * 96)
    assert estimate.cost == Decimal(str(round(NOOP_DECLARED * 4 * 96 * 0.5, 4)))


@pytest.mark.django_db
def test_finished_jobs_calibrate_the_next_estimate_with_their_median(world: World) -> None:
    a = world.a
    pool = make_pool(price_per_gpu_second="0.01")
    work = 1920 * 1080 / 1e6 * a.shot.frame_count  # the project is 1080p, the shot 96 frames
    first = _run_noop(a, pool, gpu_seconds=10.0)
    assert first.work_megapixel_frames == pytest.approx(work)
    assert first.estimated_gpu_seconds == pytest.approx(NOOP_DECLARED / REFERENCE_MEGAPIXELS * work)
    _run_noop(a, pool, gpu_seconds=30.0)
    _run_noop(a, pool, gpu_seconds=12.0)  # median of 10, 30, 12 is 12
    with tenant_scope(a.organization.pk):
        project = Project.objects.get(pk=a.project.pk)
        estimate = estimate_job(
            operation=get_operation("noop"), project=project, shot=a.shot, pool=pool
        )
    assert (estimate.basis, estimate.samples) == ("history", 3)
    assert estimate.gpu_seconds == pytest.approx(12.0)
    assert estimate.cost == Decimal("0.1200")
    # The next job is charged (reserved) at the calibrated estimate, not the declared rate.
    nxt = _run_noop(a, pool, gpu_seconds=12.0)
    assert nxt.estimated_gpu_seconds == pytest.approx(12.0)
    assert nxt.estimated_cost == Decimal("0.1200")

    # Another partner's history never calibrates A's estimates.
    with tenant_scope(world.b.organization.pk):
        other = estimate_job(
            operation=get_operation("noop"), project=world.b.project, shot=world.b.shot, pool=pool
        )
    assert other.basis == "declared"


@pytest.mark.django_db
def test_estimate_endpoint_answers_units_and_names_bad_fields(world: World) -> None:
    a = world.a
    pool = make_pool(price_per_gpu_second="0.01")
    _run_noop(a, pool, gpu_seconds=20.0)
    client = api_client_for(a.producer)
    url = reverse(
        "api:render-estimate", kwargs={"org": a.organization.slug, "project_pk": a.project.pk}
    )
    ok = client.get(url, {"operation": "noop", "shot": str(a.shot.pk), "pool": pool.name})
    assert ok.status_code == 200, ok.content
    body = ok.json()
    assert (body["basis"], body["samples"], body["currency"]) == ("history", 1, "EUR")
    assert body["gpu_seconds"] == pytest.approx(20.0)
    assert body["display"] == "20.00 GPU-s · €0.20"
    cases: list[tuple[dict[str, str], str]] = [
        ({"operation": "nope", "shot": str(a.shot.pk)}, "operation"),
        ({"operation": "noop", "shot": str(world.b.shot.pk)}, "shot"),
        ({"operation": "noop", "shot": str(a.shot.pk), "pool": "nowhere"}, "pool"),
        ({"operation": "noop", "shot": str(a.shot.pk), "inputs.source": "99999"}, "inputs.source"),
    ]
    for params, field in cases:
        bad = client.get(url, params)
        assert bad.status_code == 400, (params, bad.content)
        assert field in str(bad.json()["error"]["fields"])


@pytest.mark.django_db
def test_job_page_shows_estimate_vs_actual_and_budget_units(world: World) -> None:
    a = world.a
    pool = make_pool(price_per_gpu_second="0.5")
    job = _run_noop(a, pool, gpu_seconds=0.192)  # declared estimate 0.096 GPU-s: -50 %
    client = Client()
    client.force_login(a.producer)
    page = client.get(reverse("render-job-page", args=[a.organization.slug, job.pk]))
    text = page.content.decode()
    assert 'data-testid="job-estimate"' in text
    assert "0.10 GPU-s · €0.05" in text  # estimated: 0.096 GPU-s at €0.50 = €0.048
    assert "0.19 GPU-s · €0.10" in text  # actual: €0.096
    assert 'data-error="-50.0"' in text and "underestimated" in text
    jobs = client.get(reverse("render-jobs-page", args=[a.organization.slug, a.project.pk]))
    budget = jobs.content.decode()
    assert 'data-testid="render-budget"' in budget
    assert "GPU-h · €500.00" in budget  # the budget in GPU time at the default pool's price


def _sized_input(partner: Partner, frames: int) -> int:
    """A ready 1000x1000 input (one megapixel a frame) of `frames` frames, probed."""
    with tenant_scope(partner.organization.pk):
        return media_file_register(
            organization_id=partner.organization.pk,
            project_id=partner.project.pk,
            kind=MediaKind.PLATE,
            state=MediaState.READY,
            storage_key=project_key_prefix(
                organization_id=partner.organization.pk, project_id=partner.project.pk
            )
            + f"hand-made/plate_{frames}.mov",
            original_filename=f"plate_{frames}.mov",
            width=1000,
            height=1000,
            frame_count=frames,
        ).pk


def _finished_job(partner: Partner, pool: Pool, *, source: int, gpu_seconds: float) -> Job:
    """A noop job on `source`, reported succeeded after `gpu_seconds`, as a worker would."""
    with tenant_scope(partner.organization.pk, user_id=partner.producer.pk):
        job = submission.job_submit(
            actor=partner.producer,
            project=partner.project,
            shot=partner.shot,
            operation="noop",
            inputs={"source": source},
            pool=pool.name,
        )
    dispatch_pool(pool_id=pool.pk, publish=lambda queue, spec: None)
    with tenant_scope(partner.organization.pk):
        attempt = Job.objects.get(pk=job.pk).attempts.get()
    report: dict[str, Any] = {
        "organization_id": partner.organization.pk,
        "job_id": job.pk,
        "attempt_id": str(attempt.pk),
    }
    output = {"key": output_prefix(job, attempt) + "out.exr", "sha256": "b" * 64, "size": 1}
    report_receive(report={**report, "type": "started"})
    report_receive(
        report={**report, "type": "result", "outputs": [output], "gpu_seconds": gpu_seconds}
    )
    with tenant_scope(partner.organization.pk):
        return Job.objects.get(pk=job.pk)


@pytest.mark.django_db
def test_a_fixed_per_job_overhead_is_fitted_from_finished_jobs(world: World) -> None:
    """Hand-made history: every job costs 2 GPU-s of set-up plus 0.5 GPU-s per
    megapixel-frame. A rate alone (the median of seconds / work: 1.0) would estimate a
    2-frame job at 2.0 GPU-s, a third too low; overhead + rate gives the 3.0 it costs."""
    a = world.a
    pool = make_pool(price_per_gpu_second="0.01")
    for frames, seconds in ((1, 2.5), (4, 4.0), (10, 7.0)):
        job = _finished_job(a, pool, source=_sized_input(a, frames), gpu_seconds=seconds)
        assert job.state == JobState.SUCCEEDED
        assert job.work_megapixel_frames == pytest.approx(frames)
    small = _sized_input(a, 2)
    with tenant_scope(a.organization.pk):
        estimate = estimate_job(
            operation=get_operation("noop"),
            project=Project.objects.get(pk=a.project.pk),
            shot=a.shot,
            pool=pool,
            inputs={"source": small},
        )
    assert (estimate.basis, estimate.samples) == ("history", 3)
    assert estimate.gpu_seconds == pytest.approx(3.0)
    assert estimate.overhead_gpu_seconds == pytest.approx(2.0)
    assert estimate.seconds_per_megapixel_frame == pytest.approx(0.5)
    assert estimate.cost == Decimal("0.0300")
    assert estimate.as_dict()["overhead_gpu_seconds"] == pytest.approx(2.0)
    # The job launched on it is reserved at that estimate, and comes out right.
    job = _finished_job(a, pool, source=small, gpu_seconds=3.0)
    assert job.estimated_gpu_seconds == pytest.approx(3.0)


def test_without_history_the_declared_overhead_and_rate_are_used() -> None:
    resize = get_operation("resize")
    assert resize.gpu_seconds_overhead > 0
    assert get_operation("noop").gpu_seconds_overhead == 0


@pytest.mark.django_db
def test_declared_overhead_is_added_to_a_declared_estimate(world: World) -> None:
    a = world.a
    pool = make_pool(price_per_gpu_second="1")
    resize = get_operation("resize")
    with tenant_scope(a.organization.pk):
        estimate = estimate_job(
            operation=resize,
            project=Project.objects.get(pk=a.project.pk),
            shot=a.shot,
            pool=pool,
            inputs={"source": _sized_input(a, 3)},
        )
    per_mp_frame = resize.gpu_seconds_per_frame / REFERENCE_MEGAPIXELS
    assert estimate.basis == "declared"
    assert estimate.gpu_seconds == pytest.approx(resize.gpu_seconds_overhead + per_mp_frame * 3)


@pytest.mark.django_db
def test_jobs_of_one_size_keep_the_declared_overhead(world: World) -> None:
    """With no spread of sizes the overhead cannot be fitted: the declared one is kept and
    the rate is what is left of the median job (the same-size estimate is that median)."""
    a = world.a
    pool = make_pool(price_per_gpu_second="0.01")
    source = _sized_input(a, 4)
    for seconds in (10.0, 30.0, 12.0):
        _finished_job(a, pool, source=source, gpu_seconds=seconds)
    with tenant_scope(a.organization.pk):
        estimate = estimate_job(
            operation=get_operation("noop"),
            project=Project.objects.get(pk=a.project.pk),
            shot=a.shot,
            pool=pool,
            inputs={"source": source},
        )
    assert estimate.gpu_seconds == pytest.approx(12.0)
    assert estimate.overhead_gpu_seconds == pytest.approx(NOOP_OVERHEAD)
