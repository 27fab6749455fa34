"""The production dispatcher, monitor and results intake, driven in-process with a fake
clock for completions (the real worker processes are in tests/gpu_workers/)."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from apps.production.models import Version
from apps.render import pools, submission
from apps.render.intake import report_receive
from apps.render.models import Attempt, AttemptState, Job, JobLog, JobState, PoolState
from apps.render.scheduler import dispatch_pool, monitor_attempts, output_prefix
from apps.tenancy.scope import tenant_scope
from tests.factories import Partner, World, make_partner
from tests.render.helpers import make_pool


def _report(job: Job, attempt_id: Any, kind: str, **fields: Any) -> str:
    return report_receive(
        report={
            "type": kind,
            "organization_id": job.organization_id,
            "job_id": job.pk,
            "attempt_id": str(attempt_id),
            **fields,
        }
    )


def _reload(partner: Partner, job_id: int) -> Job:
    with tenant_scope(partner.organization.pk):
        return Job.objects.select_related("pool", "shot").get(pk=job_id)


def _submit(partner: Partner, pool: Any, **kwargs: Any) -> Job:
    with tenant_scope(partner.organization.pk, user_id=partner.producer.pk):
        return submission.job_submit(
            actor=partner.producer,
            project=partner.project,
            shot=partner.shot,
            operation="noop",
            pool=pool.name,
            **kwargs,
        )


def _no_publish(queue: str, spec: dict[str, Any]) -> None:
    raise AssertionError("nothing is published before commit in these tests")


@pytest.mark.django_db
def test_dispatch_sends_only_up_to_free_capacity_by_priority_then_age(world: World) -> None:
    a = world.a
    pool = make_pool(capacity=2)
    low = _submit(a, pool, priority=10)
    old = _submit(a, pool, priority=50)
    new = _submit(a, pool, priority=50)
    urgent = _submit(a, pool, priority=90)
    assert dispatch_pool(pool_id=pool.pk, publish=_no_publish) == [urgent.pk, old.pk]
    assert dispatch_pool(pool_id=pool.pk, publish=_no_publish) == []  # pool full
    assert _reload(a, new.pk).state == JobState.QUEUED
    assert _reload(a, low.pk).state == JobState.QUEUED

    pools.pool_update(actor=None, pool=pool, state=PoolState.PAUSED)
    job = _reload(a, urgent.pk)
    _report(job, job.current_attempt_id, "started", worker_host="w1", device="cpu")
    _report(job, job.current_attempt_id, "result", outputs=[], gpu_seconds=2.0)
    assert dispatch_pool(pool_id=pool.pk, publish=_no_publish) == []  # paused: jobs wait
    pools.pool_update(actor=None, pool=pool, state=PoolState.ACTIVE)
    assert dispatch_pool(pool_id=pool.pk, publish=_no_publish) == [new.pk]


@pytest.mark.django_db
def test_fair_share_between_three_partners_and_hard_caps(world: World) -> None:
    """Partners entitled 50/30/20 submit far more than the pool can run; completed shares
    end within 5 points of the entitlements and no partner ever exceeds its hard cap."""
    partners = [world.a, world.b, make_partner("charlie")]
    pool = make_pool(capacity=10, price_per_gpu_second="0")
    shares, caps = [50, 30, 20], [6, 4, 3]
    for partner, share, cap in zip(partners, shares, caps, strict=True):
        pools.entitlement_set(
            actor=None, pool=pool, organization=partner.organization, share=share, hard_cap=cap
        )
    backlog = {0: 110, 1: 70, 2: 50}
    owner = {}
    for index, count in backlog.items():
        for _ in range(count):
            job = _submit(partners[index], pool, priority=random.Random(index).randint(40, 60))
            owner[job.pk] = index

    rng = random.Random(7)
    running: dict[int, int] = {}  # job id -> fake-clock tick when it completes
    completed: Counter[int] = Counter()
    tick = 0
    while sum(completed.values()) < 150:
        for job_id in dispatch_pool(pool_id=pool.pk, publish=_no_publish):
            job = _reload(partners[owner[job_id]], job_id)
            _report(job, job.current_attempt_id, "started", worker_host="sim", device="cpu")
            running[job_id] = tick + rng.randint(1, 3)
        active = Counter(owner[job_id] for job_id in running)
        assert sum(active.values()) <= pool.capacity
        for index, cap in enumerate(caps):
            assert active[index] <= cap, f"partner {index} ran {active[index]} > cap {cap}"
        tick += 1
        for job_id, due in list(running.items()):
            if due <= tick:
                job = _reload(partners[owner[job_id]], job_id)
                _report(job, job.current_attempt_id, "result", outputs=[], gpu_seconds=1.0)
                completed[owner[job_id]] += 1
                del running[job_id]
    total = sum(completed.values())
    for index, share in enumerate(shares):
        assert abs(100 * completed[index] / total - share) <= 5, (completed, total)

    # A partner alone on the pool still never exceeds its hard cap.
    for job_id in list(running):
        job = _reload(partners[owner[job_id]], job_id)
        _report(job, job.current_attempt_id, "result", outputs=[], gpu_seconds=1.0)
        del running[job_id]
    for index in (1, 2):
        with tenant_scope(partners[index].organization.pk):
            Job.objects.filter(state=JobState.QUEUED, pool=pool).update(state=JobState.CANCELLED)
    dispatched = dispatch_pool(pool_id=pool.pk, publish=_no_publish)
    assert len(dispatched) == caps[0]


@pytest.mark.django_db
def test_lost_worker_is_retried_under_a_new_attempt_and_a_late_result_is_ignored(
    world: World,
) -> None:
    a = world.a
    pool = make_pool()
    job = _submit(a, pool)
    dispatch_pool(pool_id=pool.pk, publish=_no_publish)
    first = _reload(a, job.pk).current_attempt_id
    _report(job, first, "started", worker_host="node-1", device="cpu")
    _report(job, first, "progress", progress=0.4, message="step 4 of 10")
    assert _reload(a, job.pk).progress == pytest.approx(0.4)

    # The worker goes silent: after the heartbeat timeout it is declared lost.
    assert monitor_attempts(now=timezone.now() + timedelta(seconds=5)) == 0
    assert monitor_attempts(now=timezone.now() + timedelta(hours=1)) == 1
    # ...and the job goes straight back out under a new attempt id.
    job = _reload(a, job.pk)
    assert job.state == JobState.DISPATCHED
    second = job.current_attempt_id
    assert second not in (None, first)
    with tenant_scope(a.organization.pk):
        attempt = Attempt.objects.get(pk=second)
    key = output_prefix(job, attempt) + "out.exr"
    _report(job, second, "started", worker_host="node-2", device="cpu")
    output = {"key": key, "sha256": "a" * 64, "size": 10, "kind": "render", "role": "main"}
    assert (
        _report(job, second, "result", outputs=[output], gpu_seconds=3.0, code_version="src-1")
        == "applied"
    )

    # The first worker comes back and reports too: logged and ignored.
    late = {**output, "key": key.replace(str(second)[:8], str(first)[:8])}
    assert _report(job, first, "result", outputs=[late], gpu_seconds=3.0) == "stale"
    assert _report(job, second, "result", outputs=[output], gpu_seconds=3.0) == "stale"

    job = _reload(a, job.pk)
    assert job.state == JobState.SUCCEEDED and job.attempts_started == 2
    with tenant_scope(a.organization.pk):
        states = list(
            Attempt.objects.filter(job=job).order_by("number").values_list("state", flat=True)
        )
        assert states == [AttemptState.LOST, AttemptState.SUCCEEDED]
        versions = Version.objects.filter(source_job_id=job.pk)
        assert versions.count() == 1
        assert job.version_id == versions.get().pk
        assert job.provenance.record["worker_host"] == "node-2"
        assert job.provenance.record["outputs"][0]["sha256"] == "a" * 64
        assert job.cost == job.pool.price_per_gpu_second * 3
        messages = list(JobLog.objects.filter(job=job).values_list("message", flat=True))
    assert any("ignored a late 'result' from attempt 1" in m for m in messages)
    assert any("attempt 1 lost: no heartbeat" in m for m in messages)


@pytest.mark.django_db
def test_attempt_limit_fails_the_job_and_outputs_outside_the_prefix_are_refused(
    world: World,
) -> None:
    a = world.a
    pool = make_pool()
    job = _submit(a, pool)
    for _ in range(3):
        dispatch_pool(pool_id=pool.pk, publish=_no_publish)
        attempt = _reload(a, job.pk).current_attempt_id
        _report(job, attempt, "started", worker_host="flaky", device="cpu")
        monitor_attempts(now=timezone.now() + timedelta(hours=1))
    job = _reload(a, job.pk)
    assert job.state == JobState.FAILED and "Gave up after 3 attempts" in job.error

    other = _submit(a, pool)
    dispatch_pool(pool_id=pool.pk, publish=_no_publish)
    attempt = _reload(a, other.pk).current_attempt_id
    bad = {"key": f"org/{world.b.organization.pk}/x.exr", "sha256": "b" * 64, "size": 1}
    _report(other, attempt, "result", outputs=[bad], gpu_seconds=1)
    other = _reload(a, other.pk)
    assert other.state == JobState.FAILED and "outside its prefix" in other.error
