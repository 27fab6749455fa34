"""Render submission: the gates a job passes before it is queued (operation and parameters,
inputs, pool, closed-beta features, likeness consent, GPU budget), cancel and retry.
Dispatch is `scheduler.py`'s, worker reports `intake.py`'s."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from apps.audit.services import audit_record
from apps.beta.features import FEATURES, operation_feature_key
from apps.beta.selectors import require_can_submit_jobs, require_feature
from apps.core.errors import BacklotError, Conflict, ValidationFailed
from apps.media.models import MediaFile, MediaKind, MediaState
from apps.production.models import Character, ConsentRecord, Project, Shot
from apps.render import conf
from apps.render.consent import LIKENESS_SCOPE, active_consent
from apps.render.estimates import Estimate, estimate_job
from apps.render.events import emit_job, job_log
from apps.render.models import (
    FINAL_JOB_STATES,
    OPEN_JOB_STATES,
    Job,
    JobState,
    Pool,
    PoolEntitlement,
    PoolState,
)
from apps.render.pools import money
from apps.render.scheduler import dispatch_after_commit, stop_attempt_after_commit
from gpu_workers.registry import InvalidParameters, Operation, get_operation


class BudgetExceeded(Conflict):
    code = "budget_exceeded"


class ConsentRequired(Conflict):
    code = "consent_required"


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
    """Calibrated cost for the shot's own length at the project's resolution (see
    apps.render.estimates; `job_submit` estimates from the actual inputs)."""
    return estimate_job(operation=operation, project=shot.project, shot=shot, pool=pool).cost


# What a job may read, whatever an operation declares: the work itself (uploads and
# renders). Documents (consent forms, reports, CDLs), posters, filmstrips and review proxies
# (shared or watermarked for one viewer) never go to a GPU worker.
INPUT_KINDS = frozenset(
    {MediaKind.PLATE, MediaKind.ELEMENT, MediaKind.MATTE, MediaKind.REFERENCE, MediaKind.RENDER}
)


def _resolve_inputs(project: Project, inputs: dict[str, Any], operation: Operation) -> dict:
    roles = {role.name: role for role in operation.inputs}
    unknown = [role for role in inputs if role not in roles]
    if unknown:
        raise ValidationFailed(
            f"{operation.name} has no input {unknown[0]!r}; its inputs are"
            f" {', '.join(roles) or 'none'}.",
            field=f"inputs.{unknown[0]}",
        )
    missing = [role for role in operation.input_roles if role not in inputs]
    if missing:
        raise ValidationFailed(
            f"{operation.name} needs the input(s): {', '.join(missing)}.",
            field=f"inputs.{missing[0]}",
        )
    resolved: dict[str, Any] = {}
    for role, media_id in inputs.items():
        if not str(media_id).isdigit():
            raise ValidationFailed(
                f"Input {role!r} must be a media file id.", field=f"inputs.{role}"
            )
        media = MediaFile.objects.filter(
            pk=int(media_id), project=project, kind__in=INPUT_KINDS, viewer__isnull=True
        ).first()
        if media is None:
            raise ValidationFailed(
                f"Input {role!r}: no media file {media_id} in this project.",
                field=f"inputs.{role}",
            )
        if media.state != MediaState.READY:
            raise ValidationFailed(
                f"Input {role!r}: {media.original_filename} is {media.get_state_display()}, not"
                " ready.",
                field=f"inputs.{role}",
            )
        if media.kind not in roles[role].accepts:
            raise ValidationFailed(
                f"Input {role!r} ({roles[role].label}) takes {', '.join(roles[role].accepts)}"
                f" media; {media.original_filename} is {media.get_kind_display().lower()}.",
                field=f"inputs.{role}",
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
    parent: Job | None = None,
    note: Any | None = None,
) -> Job:
    """`parent` and `note`: a re-run with changes of `parent`'s operation, asked for by a
    review note on its version (recorded on the job; the result is placed beside it)."""
    if shot.project_id != project.pk:
        raise ValidationFailed("The shot is not part of this project.", field="shot")
    try:
        op = get_operation(operation)
    except InvalidParameters as invalid:
        raise ValidationFailed(str(invalid), field="operation") from invalid
    if op.test_only and not conf.allow_test_operations():
        raise ValidationFailed(f"There is no operation named {operation!r}.", field="operation")
    try:
        validated = op.validate(params or {})
    except InvalidParameters as invalid:
        field = f"params.{invalid.field}" if invalid.field else "params"
        raise ValidationFailed(str(invalid), field=field) from invalid
    if parent is not None and (parent.project_id != project.pk or parent.operation != op.name):
        raise ValidationFailed(
            "A re-run must be of the same operation in the same project.", field="parent"
        )
    if note is not None and (parent is None or note.version_id != parent.version_id):
        raise ValidationFailed(
            "The note must be on the version the re-run is made from.", field="note"
        )
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
        calibrated = estimate_job(
            operation=op, project=project, shot=shot, pool=pool_row, inputs=resolved_inputs
        )
        estimate = calibrated.cost
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
                calibrated=calibrated,
                parent=parent,
                note=note,
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
    calibrated: Estimate | None = None,
    parent: Job | None = None,
    note: Any | None = None,
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
        parent=parent,
        note=note,
        attempt_limit=conf.max_attempts(),
        estimated_cost=estimate,
        estimated_gpu_seconds=calibrated.gpu_seconds if calibrated else None,
        work_megapixel_frames=calibrated.work.megapixel_frames if calibrated else None,
        submitted_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    job_log(job, f"submitted {operation.name} on {shot.code} to pool {pool.name} (≈{estimate})")
    audit_record(
        action="render.job.submit",
        actor=actor,
        target=job,
        changes={
            **summary,
            "estimate": str(estimate),
            "priority": priority,
            **({"parent_job": parent.pk} if parent is not None else {}),
            **({"note": note.pk} if note is not None else {}),
        },
    )
    emit_job(job)
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
        dispatch_after_commit(job.pool_id)
    return job
