"""Render writes: submission (gates: pool, parameters, inputs, consent, budget), cancel,
retry, pools. Dispatch lives in `scheduler.py`, worker reports in `intake.py`."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import redis
from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from apps.audit.services import audit_record
from apps.beta.features import FEATURES, operation_feature_key
from apps.beta.selectors import require_can_submit_jobs, require_feature
from apps.core.errors import BacklotError, Conflict, ValidationFailed
from apps.core.events import send_project_event
from apps.media.models import MediaFile, MediaState
from apps.production.models import Character, ConsentRecord, Project, Shot
from apps.render import conf
from apps.render.models import (
    FINAL_JOB_STATES,
    OPEN_JOB_STATES,
    DeviceKind,
    Job,
    JobLog,
    JobState,
    Pool,
    PoolEntitlement,
    PoolState,
)
from apps.tenancy.models import Organization
from apps.tenancy.scope import tenant_scope
from gpu_workers.celery_app import cancel_key, visibility_timeout
from gpu_workers.registry import InvalidParameters, Operation, get_operation

logger = logging.getLogger(__name__)

CENT = Decimal("0.0001")
LIKENESS_SCOPE = "likeness"


class BudgetExceeded(Conflict):
    code = "budget_exceeded"


class ConsentRequired(Conflict):
    code = "consent_required"


def money(value: Decimal | float) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


# --- broker side effects (after commit) ----------------------------------------------------


@functools.lru_cache(maxsize=2)
def _broker(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


def broker_redis() -> redis.Redis:
    return _broker(settings.CELERY_BROKER_URL)


def stop_attempt_after_commit(attempt_id: Any) -> None:
    """Raise the broker flag that makes a worker stop this attempt (or skip it when the
    broker redelivers it later). Kept longer than the broker's visibility timeout."""

    def flag() -> None:
        try:
            broker_redis().set(cancel_key(str(attempt_id)), "1", ex=visibility_timeout() + 86400)
        except redis.RedisError:
            logger.exception("could not flag attempt %s to stop", attempt_id)

    transaction.on_commit(flag)


# --- events and logs -------------------------------------------------------------------------


def job_event_payload(job: Job) -> dict[str, Any]:
    return {
        "id": job.pk,
        "project_id": job.project_id,
        "shot_id": job.shot_id,
        "operation": job.operation,
        "state": job.state,
        "progress": round(job.progress, 4),
        "progress_message": job.progress_message,
        "attempts_started": job.attempts_started,
        "error": job.error,
        "cost": str(job.cost) if job.cost is not None else None,
        "version_id": job.version_id,
    }


def emit_job(job: Job) -> None:
    send_project_event(job.project_id, {"type": "render.job", "job": job_event_payload(job)})


def job_log(job: Job, message: str, *, level: str = "info", attempt_id: Any = None) -> JobLog:
    entry = JobLog.objects.create(
        organization_id=job.organization_id,
        project_id=job.project_id,
        job=job,
        attempt_id=attempt_id,
        level=level,
        message=message,
    )
    send_project_event(
        job.project_id,
        {
            "type": "render.log",
            "job_id": job.pk,
            "log": {
                "id": entry.pk,
                "level": level,
                "message": message,
                "created_at": entry.created_at.isoformat(),
            },
        },
    )
    return entry


# --- pools -----------------------------------------------------------------------------------


def pool_create(
    *,
    actor: Any | None,
    name: str,
    device_kind: str = DeviceKind.CPU,
    capacity: int = 1,
    price_per_gpu_second: Decimal | str = "0.001",
    description: str = "",
) -> Pool:
    if device_kind not in DeviceKind.values:
        raise ValidationFailed(f"Unknown device kind {device_kind!r}.", field="device_kind")
    if capacity < 1:
        raise ValidationFailed("A pool needs at least one worker slot.", field="capacity")
    price = Decimal(str(price_per_gpu_second))
    if price < 0:
        raise ValidationFailed("The price cannot be negative.", field="price_per_gpu_second")
    with transaction.atomic():
        if Pool.objects.filter(name=name).exists():
            raise Conflict(f"A pool named {name!r} already exists.", field="name")
        pool = Pool.objects.create(
            name=name,
            device_kind=device_kind,
            capacity=capacity,
            price_per_gpu_second=price,
            description=description,
        )
        audit_record(
            action="render.pool.create",
            actor=actor,
            target=pool,
            changes={"capacity": capacity, "price": str(price), "device": device_kind},
        )
    return pool


def pool_update(
    *,
    actor: Any | None,
    pool: Pool,
    state: str | None = None,
    capacity: int | None = None,
    price_per_gpu_second: Decimal | str | None = None,
) -> Pool:
    """Pause (jobs wait), drain (no new work, running jobs finish), resume, resize."""
    changes: dict[str, Any] = {}
    with transaction.atomic():
        pool = Pool.objects.select_for_update(no_key=True).get(pk=pool.pk)
        if state is not None:
            if state not in PoolState.values:
                raise ValidationFailed(f"Unknown pool state {state!r}.", field="state")
            changes["state"] = [pool.state, state]
            pool.state = state
        if capacity is not None:
            if capacity < 1:
                raise ValidationFailed("A pool needs at least one worker slot.", field="capacity")
            changes["capacity"] = [pool.capacity, capacity]
            pool.capacity = capacity
        if price_per_gpu_second is not None:
            changes["price"] = [str(pool.price_per_gpu_second), str(price_per_gpu_second)]
            pool.price_per_gpu_second = Decimal(str(price_per_gpu_second))
        pool.save()
        audit_record(action="render.pool.update", actor=actor, target=pool, changes=changes)
    if pool.state == PoolState.ACTIVE:
        from apps.render.scheduler import dispatch_after_commit

        dispatch_after_commit(pool.pk)
    return pool


def entitlement_set(
    *,
    actor: Any | None,
    pool: Pool,
    organization: Organization,
    share: Decimal | float | str,
    hard_cap: int | None = None,
) -> PoolEntitlement:
    share_value = Decimal(str(share))
    if share_value <= 0:
        raise ValidationFailed("A share must be positive.", field="share")
    if hard_cap is not None and hard_cap < 0:
        raise ValidationFailed("A hard cap cannot be negative.", field="hard_cap")
    with tenant_scope(organization.pk), transaction.atomic():
        entitlement, _ = PoolEntitlement.objects.update_or_create(
            pool=pool,
            organization=organization,
            defaults={"share": share_value, "hard_cap": hard_cap},
        )
        audit_record(
            action="render.entitlement.set",
            actor=actor,
            organization_id=organization.pk,
            target=entitlement,
            changes={"pool": pool.name, "share": str(share_value), "hard_cap": hard_cap},
        )
    return entitlement


# --- submission ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BudgetStatus:
    budget: Decimal
    spent: Decimal
    committed: Decimal

    @property
    def remaining(self) -> Decimal:
        return self.budget - self.spent - self.committed


def project_budget(project: Project) -> BudgetStatus:
    jobs = Job.objects.filter(project=project)
    spent = jobs.filter(state__in=FINAL_JOB_STATES).aggregate(total=Sum("cost"))["total"]
    committed = jobs.filter(state__in=OPEN_JOB_STATES).aggregate(total=Sum("estimated_cost"))[
        "total"
    ]
    return BudgetStatus(
        budget=project.gpu_budget,
        spent=money(spent or 0),
        committed=money(committed or 0),
    )


def estimate_cost(*, operation: Operation, shot: Shot, pool: Pool) -> Decimal:
    seconds = Decimal(str(operation.gpu_seconds_per_frame)) * shot.frame_count
    return money(seconds * pool.price_per_gpu_second)


def active_consent(*, character: Character, scope: str, on: Any = None) -> ConsentRecord | None:
    day = on or timezone.localdate()
    for record in ConsentRecord.objects.filter(
        character=character, revoked_at__isnull=True, valid_from__lte=day, valid_until__gte=day
    ).order_by("-valid_until", "-pk"):
        if scope in (record.scopes or []):
            return record
    return None


def _resolve_inputs(project: Project, inputs: dict[str, Any], operation: Operation) -> dict:
    missing = [role for role in operation.input_roles if role not in inputs]
    if missing:
        raise ValidationFailed(
            f"{operation.name} needs the input(s): {', '.join(missing)}.", field="inputs"
        )
    resolved: dict[str, Any] = {}
    for role, media_id in inputs.items():
        if not str(media_id).isdigit():
            raise ValidationFailed(f"Input {role!r} must be a media file id.", field="inputs")
        media = (
            MediaFile.objects.filter(pk=int(media_id), project=project)
            .exclude(kind="proxy")
            .first()
        )
        if media is None:
            raise ValidationFailed(
                f"Input {role!r}: no media file {media_id} in this project.", field="inputs"
            )
        if media.state != MediaState.READY:
            raise ValidationFailed(
                f"Input {role!r}: {media.original_filename} is {media.get_state_display()}, not"
                " ready.",
                field="inputs",
            )
        resolved[role] = {
            "media_file_id": media.pk,
            "storage_key": media.storage_key,
            "sha256": media.sha256,
            "size": media.size,
            "filename": media.original_filename,
        }
    return resolved


def _refuse(
    *, actor: Any, project: Project, action: str, error: Exception, changes: dict[str, Any]
) -> None:
    """Refusals are audited in their own savepoint so they stay when the request ends."""
    with transaction.atomic():
        audit_record(
            action=action, actor=actor, target=project, changes={**changes, "reason": str(error)}
        )


def job_submit(
    *,
    actor: Any,
    project: Project,
    shot: Shot,
    operation: str,
    params: dict[str, Any] | None = None,
    inputs: dict[str, Any] | None = None,
    priority: int = 50,
    pool: str | None = None,
    character: Character | None = None,
) -> Job:
    if shot.project_id != project.pk:
        raise ValidationFailed("The shot is not part of this project.", field="shot")
    try:
        op = get_operation(operation)
        validated = op.validate(params or {})
    except InvalidParameters as invalid:
        raise ValidationFailed(str(invalid), field="params") from invalid
    if not 0 <= priority <= 100:
        raise ValidationFailed("Priority must be between 0 and 100.", field="priority")
    # Closed-beta gates: a suspended partner submits nothing; each operation is a feature.
    require_can_submit_jobs(project.organization_id)
    if operation_feature_key(op.name) in FEATURES:  # platform ops such as noop are not gated
        require_feature(project.organization_id, operation_feature_key(op.name))
    pool_name = pool or conf.default_pool()
    pool_row = Pool.objects.filter(name=pool_name).first()
    if pool_row is None:
        raise ValidationFailed(f"There is no pool named {pool_name!r}.", field="pool")
    if pool_row.state == PoolState.DRAINING:
        raise Conflict(
            f"Pool {pool_name} is being drained and takes no new jobs; choose another pool.",
            field="pool",
        )
    if character is not None and character.project_id != project.pk:
        raise ValidationFailed("The character is not part of this project.", field="character")
    resolved_inputs = _resolve_inputs(project, inputs or {}, op)
    summary = {"operation": op.name, "shot": shot.code, "pool": pool_name}

    consent = None
    if op.likeness:
        refusal: BacklotError | None = None
        if character is None:
            refusal = ConsentRequired(
                f"{op.title} works on a person's likeness: choose the character it is for.",
                field="character",
            )
        else:
            consent = active_consent(character=character, scope=LIKENESS_SCOPE)
            if consent is None:
                talent = f" ({character.talent_name})" if character.talent_name else ""
                refusal = ConsentRequired(
                    f"No active likeness consent for {character.name}{talent}: a project"
                    " owner must record the talent's signed consent first.",
                    field="character",
                )
        if refusal is not None:
            _refuse(
                actor=actor,
                project=project,
                action="render.job.refused_consent",
                error=refusal,
                changes={**summary, "character": character.name if character else None},
            )
            raise refusal

    with transaction.atomic():
        # The project row lock serialises submissions, so two cannot overspend together.
        Project.objects.select_for_update(no_key=True).filter(pk=project.pk).first()
        estimate = estimate_cost(operation=op, shot=shot, pool=pool_row)
        budget = project_budget(project)
        over_budget = estimate > budget.remaining
        if not over_budget:
            job = _create_job(
                actor=actor,
                project=project,
                shot=shot,
                pool=pool_row,
                operation=op,
                params=validated,
                inputs=resolved_inputs,
                character=character,
                consent=consent,
                priority=priority,
                estimate=estimate,
                summary=summary,
            )
    if over_budget:
        budget_refusal = BudgetExceeded(
            f"This job would cost about {estimate} but only {money(budget.remaining)} of the"
            f" project's GPU budget of {budget.budget} is left ({budget.spent} spent,"
            f" {budget.committed} reserved by open jobs).",
            field="budget",
        )
        _refuse(
            actor=actor,
            project=project,
            action="render.job.refused_budget",
            error=budget_refusal,
            changes={**summary, "estimate": str(estimate)},
        )
        raise budget_refusal
    return job


def _create_job(
    *,
    actor: Any,
    project: Project,
    shot: Shot,
    pool: Pool,
    operation: Operation,
    params: dict[str, Any],
    inputs: dict[str, Any],
    character: Character | None,
    consent: ConsentRecord | None,
    priority: int,
    estimate: Decimal,
    summary: dict[str, Any],
) -> Job:
    # Makes the partner known to the pool's dispatcher (default share, no cap).
    PoolEntitlement.objects.get_or_create(pool=pool, organization_id=project.organization_id)
    job = Job.objects.create(
        organization_id=project.organization_id,
        project=project,
        shot=shot,
        pool=pool,
        operation=operation.name,
        params=params,
        inputs=inputs,
        character=character,
        consent=consent,
        priority=priority,
        attempt_limit=conf.max_attempts(),
        estimated_cost=estimate,
        submitted_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    job_log(job, f"submitted {operation.name} on {shot.code} to pool {pool.name} (≈{estimate})")
    audit_record(
        action="render.job.submit",
        actor=actor,
        target=job,
        changes={**summary, "estimate": str(estimate), "priority": priority},
    )
    emit_job(job)
    from apps.render.scheduler import dispatch_after_commit

    dispatch_after_commit(pool.pk)
    return job


def job_cancel(*, actor: Any, job: Job) -> Job:
    """Queued: removed at once. Dispatched or running: the worker is told through the
    broker and stops cooperatively; the job is cancelled when it confirms (or is lost)."""
    with transaction.atomic():
        job = Job.objects.select_for_update(no_key=True).get(pk=job.pk)
        if job.state in FINAL_JOB_STATES:
            raise Conflict(f"The job already {job.state}; nothing to cancel.")
        now = timezone.now()
        if job.state == JobState.QUEUED:
            job.state = JobState.CANCELLED
            job.finished_at = now
            job.cost = Decimal(0)
            job_log(job, "cancelled while queued")
        else:
            if job.cancel_requested_at is None:
                job.cancel_requested_at = now
                job_log(job, "cancellation requested; waiting for the worker to stop")
            if job.current_attempt_id:
                stop_attempt_after_commit(job.current_attempt_id)
        job.save()
        audit_record(
            action="render.job.cancel", actor=actor, target=job, changes={"state": job.state}
        )
        emit_job(job)
    return job


def job_retry(*, actor: Any, job: Job) -> Job:
    """Queue a failed or cancelled job again (new attempts; the limit starts over)."""
    with transaction.atomic():
        job = Job.objects.select_for_update(no_key=True).get(pk=job.pk)
        if job.state not in (JobState.FAILED, JobState.CANCELLED):
            raise Conflict("Only failed or cancelled jobs can be retried.")
        if job.pool.state == PoolState.DRAINING:
            raise Conflict(f"Pool {job.pool.name} is being drained; it takes no new jobs.")
        budget = project_budget(job.project)
        if job.estimated_cost > budget.remaining:
            raise BudgetExceeded(
                f"Retrying would cost about {job.estimated_cost} but only"
                f" {money(budget.remaining)} of the GPU budget is left.",
                field="budget",
            )
        previous = job.state
        job.state = JobState.QUEUED
        job.progress = 0.0
        job.progress_message = ""
        job.error = ""
        job.cost = None
        job.cancel_requested_at = None
        job.current_attempt_id = None
        job.finished_at = None
        job.attempt_limit = job.attempts_started + conf.max_attempts()
        job.save()
        job_log(job, f"retry requested (was {previous})")
        audit_record(action="render.job.retry", actor=actor, target=job, changes={"from": previous})
        emit_job(job)
        from apps.render.scheduler import dispatch_after_commit

        dispatch_after_commit(job.pool_id)
    return job


# --- consent records -------------------------------------------------------------------------


def consent_record_create(
    *,
    actor: Any,
    project: Project,
    character: Character,
    talent_name: str,
    scopes: list[str],
    valid_from: Any,
    valid_until: Any,
    document_name: str = "",
    document_content: bytes | None = None,
    document_content_type: str = "application/pdf",
    notes: str = "",
) -> ConsentRecord:
    from apps.media.storage import new_object_key, s3_client

    talent_name = talent_name.strip()
    if character.project_id != project.pk:
        raise ValidationFailed("The character is not part of this project.", field="character")
    if not talent_name:
        raise ValidationFailed("Name the talent who gave consent.", field="talent_name")
    scopes = sorted(set(scopes))
    if not scopes or set(scopes) - {"likeness", "voice"}:
        raise ValidationFailed("Choose likeness, voice or both.", field="scopes")
    if valid_until < valid_from:
        raise ValidationFailed("The consent cannot end before it starts.", field="valid_until")
    if not document_content:
        raise ValidationFailed("Attach the signed consent document.", field="document")
    if len(document_content) > 25 * 1024 * 1024:
        raise ValidationFailed("The document must be at most 25 MB.", field="document")
    import hashlib

    key = new_object_key(
        organization_id=project.organization_id,
        project_id=project.pk,
        filename=document_name or "consent.pdf",
        area="consent",
    )
    s3_client().put_object(
        Bucket=settings.S3_BUCKET,
        Key=key,
        Body=document_content,
        ContentType=document_content_type or "application/octet-stream",
    )
    with transaction.atomic():
        document = MediaFile.objects.create(
            organization_id=project.organization_id,
            project=project,
            character=character,
            kind="document",
            state=MediaState.READY,
            original_filename=(document_name or "consent.pdf")[:255],
            content_type=document_content_type[:100],
            size=len(document_content),
            sha256=hashlib.sha256(document_content).hexdigest(),
            storage_key=key,
            created_by=actor,
            validated_at=timezone.now(),
        )
        record = ConsentRecord.objects.create(
            organization_id=project.organization_id,
            project=project,
            character=character,
            talent_name=talent_name,
            scopes=scopes,
            valid_from=valid_from,
            valid_until=valid_until,
            document=document,
            notes=notes,
            created_by=actor,
        )
        audit_record(
            action="consent.create",
            actor=actor,
            target=record,
            changes={
                "character": character.name,
                "scopes": scopes,
                "valid_from": str(valid_from),
                "valid_until": str(valid_until),
                "document_sha256": document.sha256,
            },
        )
    return record


def consent_record_revoke(*, actor: Any, record: ConsentRecord) -> ConsentRecord:
    with transaction.atomic():
        record = ConsentRecord.objects.select_for_update(no_key=True).get(pk=record.pk)
        if record.revoked_at is not None:
            raise Conflict("This consent was already revoked.")
        record.revoked_at = timezone.now()
        record.save(update_fields=["revoked_at"])
        audit_record(action="consent.revoke", actor=actor, target=record)
    return record
