"""The dispatcher and the heartbeat monitor.

Dispatch sends a pool only as many jobs as it has free worker slots. The next job goes to
the partner with the lowest usage ÷ entitlement (usage = its jobs dispatched or running
on the pool; entitlement = its share weight), never above its hard cap; within a partner,
higher priority first, then the oldest. The pool row is locked (SELECT ... FOR UPDATE) for
the whole decision and the candidate jobs with FOR UPDATE SKIP LOCKED, so any number of
platform processes can dispatch at once without sending a job twice or overfilling a pool.
Every partner's jobs are read inside that partner's tenant scope (row-level security).

Messages reach the broker only after the transaction commits. A dispatched attempt that
no worker starts within the start timeout, or a running attempt whose heartbeats stop,
is declared lost: the job is queued again under a new attempt id (up to its limit) and the
old attempt is flagged on the broker so that a late worker skips or stops it.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

import redis
from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from apps.audit.services import audit_record
from apps.render import conf
from apps.render.consent import consent_still_valid
from apps.render.events import emit_job, job_log
from apps.render.models import (
    ACTIVE_JOB_STATES,
    Attempt,
    AttemptState,
    Job,
    JobState,
    Pool,
    PoolEntitlement,
    PoolState,
)
from apps.tenancy.context import privileged_context
from apps.tenancy.scope import tenant_scope
from gpu_workers import signing
from gpu_workers.celery_app import RUN_TASK, alive_key, cancel_key, visibility_timeout

logger = logging.getLogger(__name__)

Publisher = Callable[[str, dict[str, Any]], None]


@contextmanager
def scheduler_reads() -> Iterator[QuerySet[PoolEntitlement]]:
    """Every partner's entitlements, for the dispatcher and monitor only: sets the
    transaction-local flag the entitlement policy honours, and clears it again."""
    with privileged_context("render_scheduler"):
        yield PoolEntitlement._base_manager.all()


# --- the broker: job specifications out, stop flags and liveness ----------------------------


@functools.lru_cache(maxsize=2)
def _broker(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


def broker_redis() -> redis.Redis:
    return _broker(settings.CELERY_BROKER_URL)


def publish_to_broker(queue: str, spec: dict[str, Any]) -> None:
    # By name: the run task lives in the GPU worker's own Celery app, not the platform's.
    current_app.send_task(RUN_TASK, kwargs={"spec": spec}, queue=queue)


def stop_attempt_after_commit(attempt_id: Any) -> None:
    """Raise the broker flag that makes a worker stop this attempt (or skip it when the
    broker redelivers it later). Kept longer than the broker's visibility timeout."""

    def flag() -> None:
        try:
            broker_redis().set(cancel_key(str(attempt_id)), "1", ex=visibility_timeout() + 86400)
        except redis.RedisError:
            logger.exception("could not flag attempt %s to stop", attempt_id)

    transaction.on_commit(flag)


def _alive_on_broker(attempt_id: Any) -> bool:
    try:
        return bool(broker_redis().exists(alive_key(str(attempt_id))))
    except redis.RedisError:
        logger.warning("could not read liveness of attempt %s from the broker", attempt_id)
        return False


# --- dispatch ---------------------------------------------------------------------------------


@dataclass
class _Partner:
    organization_id: int
    share: float
    cap: int
    active: int
    candidates: list[Job] = field(default_factory=list)

    def key(self) -> tuple[float, int, Any, int]:
        job = self.candidates[0]
        return (self.active / self.share, -job.priority, job.submitted_at, job.pk)


def output_prefix(job: Job, attempt: Attempt) -> str:
    return (
        f"org/{job.organization_id}/project/{job.project_id}/render/job-{job.pk}/"
        f"attempt-{attempt.number}-{attempt.pk.hex[:8]}/"
    )


def job_spec(job: Job, attempt: Attempt) -> dict[str, Any]:
    """What the pool's worker gets: this attempt's ids, inputs and output prefix, the key
    it signs its reports with (derived for this attempt only), signed with the pool's key."""
    secret = conf.signing_secrets()[0]
    spec = {
        "job_id": job.pk,
        "attempt_id": str(attempt.pk),
        "organization_id": job.organization_id,
        "operation": job.operation,
        "params": job.params,
        "inputs": {role: item["storage_key"] for role, item in job.inputs.items()},
        "output_prefix": output_prefix(job, attempt),
        "heartbeat_seconds": conf.heartbeat_seconds(),
        "heartbeat_timeout": conf.heartbeat_timeout(),
        signing.REPORT_KEY_FIELD: signing.attempt_key(
            secret, job.organization_id, job.pk, str(attempt.pk)
        ),
    }
    return signing.sign_spec(signing.pool_key(secret, job.pool.name), spec)


def _start_attempt(job: Job, pool: Pool) -> dict[str, Any] | None:
    """Inside the job's tenant scope: a new attempt, the job dispatched; returns the spec."""
    if not consent_still_valid(job.consent_id):
        job.state = JobState.FAILED
        job.error = "The talent's consent was revoked or expired before the job could run."
        job.finished_at = timezone.now()
        job.cost = Decimal(0)
        job.save()
        job_log(job, job.error, level="error")
        audit_record(action="render.job.refused_consent", actor=None, target=job)
        emit_job(job)
        return None
    number = job.attempts.count() + 1
    attempt = Attempt.objects.create(
        organization_id=job.organization_id, project_id=job.project_id, job=job, number=number
    )
    job.state = JobState.DISPATCHED
    job.current_attempt_id = attempt.pk
    job.dispatched_at = attempt.dispatched_at
    job.progress_message = "waiting for a worker"
    job.save()
    job_log(
        job,
        f"attempt {number} ({attempt.pk}) dispatched to pool {pool.name}",
        attempt_id=attempt.pk,
    )
    emit_job(job)
    return job_spec(job, attempt)


def dispatch_pool(*, pool_id: int, publish: Publisher = publish_to_broker) -> list[int]:
    """Fill the pool's free slots by fair share; returns the ids of the dispatched jobs."""
    dispatched: list[int] = []
    specs: list[dict[str, Any]] = []
    with transaction.atomic():
        pool = Pool.objects.select_for_update(no_key=True).filter(pk=pool_id).first()
        if pool is None or pool.state != PoolState.ACTIVE:
            return []
        with scheduler_reads() as all_entitlements:
            entitlements = {e.organization_id: e for e in all_entitlements.filter(pool=pool)}
        partners: list[_Partner] = []
        used = 0
        # Every partner that ever submitted to the pool has an entitlement row (a default
        # one is made at submission), so only those tenants are looked at.
        for organization_id in sorted(entitlements):
            with tenant_scope(organization_id):
                jobs = Job.objects.filter(organization_id=organization_id, pool=pool)
                active = jobs.filter(state__in=ACTIVE_JOB_STATES).count()
                used += active
                entitlement = entitlements.get(organization_id)
                cap = pool.capacity
                if entitlement is not None and entitlement.hard_cap is not None:
                    cap = min(cap, entitlement.hard_cap)
                room = cap - active
                candidates: list[Job] = []
                if room > 0:
                    candidates = list(
                        jobs.filter(state=JobState.QUEUED)
                        .order_by("-priority", "submitted_at", "pk")
                        .select_for_update(skip_locked=True, of=("self",), no_key=True)[
                            : min(room, pool.capacity)
                        ]
                    )
                partners.append(
                    _Partner(
                        organization_id=organization_id,
                        share=float(entitlement.share) if entitlement else 1.0,
                        cap=cap,
                        active=active,
                        candidates=candidates,
                    )
                )
        free = pool.capacity - used
        while free > 0:
            eligible = [p for p in partners if p.candidates and p.active < p.cap]
            if not eligible:
                break
            chosen = min(eligible, key=_Partner.key)
            job = chosen.candidates.pop(0)
            with tenant_scope(chosen.organization_id):
                spec = _start_attempt(job, pool)
            if spec is None:
                continue
            chosen.active += 1
            free -= 1
            dispatched.append(job.pk)
            specs.append(spec)
        queue = pool.queue

        def send() -> None:
            for spec in specs:
                publish(queue, spec)

        transaction.on_commit(send)
    return dispatched


def dispatch_after_commit(pool_id: int) -> None:
    """Event-driven dispatch: once a submission or a finished job commits, fill the pool."""

    def run() -> None:
        try:
            dispatch_pool(pool_id=pool_id)
        except Exception:  # the periodic scheduler loop catches up
            logger.exception("dispatch of pool %s failed", pool_id)

    transaction.on_commit(run)


def dispatch_all(publish: Publisher = publish_to_broker) -> int:
    total = 0
    for pool_id in Pool.objects.filter(state=PoolState.ACTIVE).values_list("pk", flat=True):
        total += len(dispatch_pool(pool_id=pool_id, publish=publish))
    return total


# --- lost workers -----------------------------------------------------------------------------


def _declare_lost(job: Job, attempt: Attempt, reason: str) -> None:
    now = timezone.now()
    attempt.state = AttemptState.LOST
    attempt.error = reason
    attempt.finished_at = now
    attempt.save()
    stop_attempt_after_commit(attempt.pk)
    job_log(job, f"attempt {attempt.number} lost: {reason}", level="warning", attempt_id=attempt.pk)
    job.current_attempt_id = None
    if job.cancel_requested_at is not None:
        job.state = JobState.CANCELLED
        job.finished_at = now
        job.cost = Decimal(0)
        job_log(job, "cancelled")
    elif job.attempts_started >= job.attempt_limit:
        job.state = JobState.FAILED
        job.finished_at = now
        job.cost = Decimal(0)
        job.error = f"Gave up after {job.attempts_started} attempts: {reason}"
        job_log(job, job.error, level="error")
        audit_record(action="render.job.failed", actor=None, target=job, changes={"reason": reason})
    else:
        job.state = JobState.QUEUED
        job.progress = 0.0
        job.progress_message = "retrying after a lost worker"
        job_log(
            job, f"queued again (attempt {job.attempts_started + 1} of at most {job.attempt_limit})"
        )
    job.save()
    emit_job(job)


def monitor_attempts(*, now: Any = None) -> int:
    """Declare lost the attempts whose worker went silent; returns how many."""
    now_is_real = now is None
    now = now or timezone.now()
    silent_before = now - timedelta(seconds=conf.heartbeat_timeout())
    unstarted_before = now - timedelta(seconds=conf.start_timeout())
    lost = 0
    pools: set[int] = set()
    with scheduler_reads() as all_entitlements:
        organizations = set(all_entitlements.values_list("organization_id", flat=True))
    for organization_id in sorted(organizations):
        with tenant_scope(organization_id):
            stale = list(
                Attempt.objects.filter(
                    organization_id=organization_id,
                    state=AttemptState.RUNNING,
                    last_heartbeat_at__lt=silent_before,
                ).values_list("pk", flat=True)
            ) + list(
                Attempt.objects.filter(
                    organization_id=organization_id,
                    state=AttemptState.DISPATCHED,
                    dispatched_at__lt=unstarted_before,
                ).values_list("pk", flat=True)
            )
            for attempt_id in stale:
                with transaction.atomic():
                    # Same lock order as the results intake: the job, then its attempt.
                    job_id = (
                        Attempt.objects.filter(pk=attempt_id)
                        .values_list("job_id", flat=True)
                        .first()
                    )
                    if job_id is None:
                        continue
                    job = Job.objects.select_for_update(no_key=True).get(pk=job_id)
                    attempt = Attempt.objects.select_for_update(no_key=True).get(pk=attempt_id)
                    if attempt.state == AttemptState.RUNNING:
                        if attempt.last_heartbeat_at and attempt.last_heartbeat_at >= silent_before:
                            continue
                        if now_is_real and _alive_on_broker(attempt.pk):
                            # Reports are only queued behind others: the worker is alive.
                            attempt.last_heartbeat_at = now
                            attempt.save(update_fields=["last_heartbeat_at"])
                            continue
                        reason = f"no heartbeat for {conf.heartbeat_timeout():g} s"
                    elif attempt.state == AttemptState.DISPATCHED:
                        reason = f"no worker started it within {conf.start_timeout():g} s"
                    else:
                        continue
                    if job.current_attempt_id != attempt.pk:
                        attempt.state = AttemptState.LOST
                        attempt.save(update_fields=["state"])
                        continue
                    _declare_lost(job, attempt, reason)
                    pools.add(job.pool_id)
                    lost += 1
    for pool_id in pools:
        dispatch_pool(pool_id=pool_id)
    return lost


def scheduler_tick() -> tuple[int, int]:
    """One round of the scheduler loop: (lost attempts, dispatched jobs)."""
    return monitor_attempts(), dispatch_all()
