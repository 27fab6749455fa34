"""Results intake: worker reports arrive through the broker (`render.results` queue).

Every report must carry a signature made with the key its attempt received in its job
specification (`gpu_workers.signing`); `handle_report_safely` (the task's entry point)
refuses and audits unsigned, mis-signed, stale and replayed reports before anything else.
`report_receive` applies a report that has passed that check.

Only the job's current attempt may change it. Anything from another attempt (a worker that
was declared lost and came back, a redelivered message) is written to the job log and
ignored, and that attempt is told to stop. A result registers the outputs as media files
of one new version of the shot, with its provenance record and the job's actual cost.
"""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from apps.audit.services import audit_record
from apps.media.derived import JobOutput, media_register_job_outputs
from apps.media.models import MediaFile, MediaKind
from apps.production.models import VersionSource, VersionStatus
from apps.production.services import version_create, version_set_status
from apps.render import conf, rerun
from apps.render.events import emit_job, job_log
from apps.render.models import (
    ACTIVE_JOB_STATES,
    Attempt,
    AttemptState,
    Job,
    JobState,
    Provenance,
)
from apps.render.pools import gpu_cost
from apps.render.scheduler import dispatch_after_commit, output_prefix, stop_attempt_after_commit
from apps.tenancy.scope import tenant_scope
from gpu_workers import signing

logger = logging.getLogger(__name__)

REPORT_CLOCK_SKEW_SECONDS = 300  # a worker's clock may run this far ahead
REPORT_TYPES = {"started", "progress", "heartbeat", "log", "result", "failed", "cancelled"}
# What a worker may declare its outputs to be; anything else is recorded as a render.
OUTPUT_KINDS = frozenset(
    {MediaKind.RENDER, MediaKind.MATTE, MediaKind.REFERENCE, MediaKind.DOCUMENT, MediaKind.ELEMENT}
)


class MalformedReport(ValueError):
    pass


def output_kind(value: Any) -> MediaKind:
    kind = str(value or "")
    return MediaKind(kind) if kind in OUTPUT_KINDS else MediaKind.RENDER


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else timezone.make_aware(parsed)


def report_receive(*, report: dict[str, Any]) -> str:
    """Applies one verified worker report; returns what happened (applied, stale, unknown).
    Reports from the broker go through `handle_report_safely`, which checks signatures."""
    try:
        kind = str(report["type"])
        organization_id = int(report["organization_id"])
        job_id = int(report["job_id"])
        attempt_id = str(report["attempt_id"])
    except (KeyError, TypeError, ValueError) as error:
        raise MalformedReport(f"malformed report: {error}") from error
    if kind not in REPORT_TYPES:
        raise MalformedReport(f"unknown report type {kind!r}")
    with tenant_scope(organization_id), transaction.atomic():
        if kind == "heartbeat":
            # Hot path: no job lock, only the current running attempt moves.
            updated = Attempt.objects.filter(
                pk=attempt_id, job_id=job_id, state=AttemptState.RUNNING
            ).update(last_heartbeat_at=timezone.now())
            if updated:
                return "applied"
        job = Job.objects.select_for_update(no_key=True).filter(pk=job_id).first()
        attempt = (
            Attempt.objects.select_for_update(no_key=True)
            .filter(pk=attempt_id, job_id=job_id)
            .first()
            if job is not None
            else None
        )
        if job is None or attempt is None:
            logger.warning("report %s for unknown job %s attempt %s", kind, job_id, attempt_id)
            return "unknown"
        if job.current_attempt_id != attempt.pk or job.state not in ACTIVE_JOB_STATES:
            _ignore_stale(job, attempt, kind)
            return "stale"
        now = timezone.now()
        if kind in {"started", "progress", "heartbeat", "log"}:
            if attempt.state == AttemptState.DISPATCHED:
                _start(job, attempt, report, now)
            attempt.last_heartbeat_at = now
            attempt.save()
            if kind == "progress":
                job.progress = max(job.progress, min(1.0, float(report.get("progress") or 0)))
                job.progress_message = str(report.get("message") or "")[:200]
                job.save(update_fields=["progress", "progress_message"])
                emit_job(job)
            elif kind == "log":
                job_log(job, str(report.get("message") or "")[:2000], attempt_id=attempt.pk)
            return "applied"
        if kind == "result":
            _succeed(job, attempt, report, now)
        elif kind == "failed":
            _fail(job, attempt, report, now)
        else:
            _cancelled(job, attempt, report, now)
        dispatch_after_commit(job.pool_id)
        return "applied"


def _ignore_stale(job: Job, attempt: Attempt, kind: str) -> None:
    if kind in {"heartbeat", "progress", "log"}:
        stop_attempt_after_commit(attempt.pk)
        return
    job_log(
        job,
        f"ignored a late '{kind}' from attempt {attempt.number} ({attempt.pk}, {attempt.state});"
        f" the job is {job.state}"
        + (f" with attempt {job.current_attempt_id}" if job.current_attempt_id else ""),
        level="warning",
        attempt_id=attempt.pk,
    )
    if kind == "started":
        stop_attempt_after_commit(attempt.pk)


def _start(job: Job, attempt: Attempt, report: dict[str, Any], now: datetime) -> None:
    attempt.state = AttemptState.RUNNING
    attempt.started_at = _parse_time(report.get("started_at")) or now
    attempt.worker_host = str(report.get("worker_host") or "")[:200]
    attempt.device = str(report.get("device") or "")[:200]
    job.state = JobState.RUNNING
    job.started_at = job.started_at or now
    job.attempts_started += 1
    job.progress_message = "running"
    job.save()
    job_log(
        job,
        f"attempt {attempt.number} started on {attempt.worker_host or 'a worker'}"
        f" ({attempt.device or 'unknown device'})",
        attempt_id=attempt.pk,
    )
    emit_job(job)


def _succeed(job: Job, attempt: Attempt, report: dict[str, Any], now: datetime) -> None:
    if attempt.state == AttemptState.DISPATCHED:
        _start(job, attempt, report, now)
    prefix = output_prefix(job, attempt)
    outputs = report.get("outputs") or []
    for output in outputs:
        key = str(output.get("key", ""))
        if not key.startswith(prefix) or ".." in key.split("/"):
            _fail(
                job,
                attempt,
                {"error": f"the worker reported an output outside its prefix: {key!r}"},
                now,
            )
            return
    gpu_seconds = max(0.0, float(report.get("gpu_seconds") or 0))
    price = job.pool.price_per_gpu_second
    cost = gpu_cost(job.pool, gpu_seconds)
    version = None
    media: list[MediaFile] = []
    if outputs:
        version = version_create(
            actor=None,
            shot=job.shot,
            source=VersionSource.RENDER,
            source_job_id=job.pk,
            parent=rerun.parent_version_of(job),
            description=f"{job.operation} (render job {job.pk})",
        )
        # Pictures take the upload's path (validation, then proxy, poster and filmstrip,
        # queued after this commit); reports and CDLs are attached as typed documents.
        media = media_register_job_outputs(
            project=job.project,
            version_id=version.pk,
            shot_id=job.shot_id,
            outputs=[
                JobOutput(
                    key=str(output["key"]),
                    filename=str(output.get("filename") or "output"),
                    kind=output_kind(output.get("kind")),
                    role=str(output.get("role") or "main")[:32],
                    content_type=str(output.get("content_type") or ""),
                    size=int(output.get("size") or 0),
                    sha256=str(output.get("sha256") or ""),
                )
                for output in outputs
            ],
            now=now,
        )
        if all(item.kind == MediaKind.DOCUMENT for item in media):
            # A report-only result (a consistency check) has no picture to validate or
            # proxy: it is ready for review now, not "waiting for media" for good.
            version_set_status(actor=None, version=version, status=VersionStatus.IN_REVIEW)
    attempt.state = AttemptState.SUCCEEDED
    attempt.finished_at = now
    attempt.last_heartbeat_at = now
    attempt.worker_host = str(report.get("worker_host") or attempt.worker_host)[:200]
    attempt.device = str(report.get("device") or attempt.device)[:200]
    attempt.save()
    record = {
        "job": job.pk,
        "attempt": {"id": str(attempt.pk), "number": attempt.number},
        "operation": job.operation,
        "params": job.params,
        "shot": {"id": job.shot_id, "code": job.shot.code},
        "version": {"id": version.pk, "label": version.label} if version else None,
        "inputs": [{"role": role, **item} for role, item in sorted(job.inputs.items())],
        "outputs": [
            {
                "media_file_id": item.pk,
                "storage_key": item.storage_key,
                "sha256": item.sha256,
                "size": item.size,
                "kind": item.kind,
                "role": output.get("role", "main"),
            }
            for item, output in zip(media, outputs, strict=True)
        ],
        "code_version": str(report.get("code_version") or ""),
        "worker_host": attempt.worker_host,
        "device": attempt.device,
        "pool": {"name": job.pool.name, "device_kind": job.pool.device_kind},
        "started_at": report.get("started_at")
        or (attempt.started_at and attempt.started_at.isoformat()),
        "finished_at": report.get("finished_at") or now.isoformat(),
        "gpu_seconds": gpu_seconds,
        "wall_seconds": report.get("wall_seconds"),
        "peak_gpu_memory_bytes": report.get("peak_gpu_memory_bytes"),
        "price_per_gpu_second": str(price),
        "cost": str(cost),
        "metrics": report.get("metrics") or {},
        "consent_record": job.consent_id,
        "character": job.character_id,
        "submitted_by": job.submitted_by.email if job.submitted_by else None,
        "submitted_at": job.submitted_at.isoformat(),
    }
    Provenance.objects.create(
        organization_id=job.organization_id,
        project_id=job.project_id,
        job=job,
        version=version,
        attempt=attempt,
        record=record,
    )
    if version is not None and job.parent_id is not None:
        # A re-run with changes joins its parent's open review sessions, right beside it.
        joined = rerun.place_beside_parent(job=job, version=version)
        if joined:
            job_log(job, f"{version.label} added to {len(joined)} review session(s)")
    job.state = JobState.SUCCEEDED
    job.progress = 1.0
    job.progress_message = "done"
    job.finished_at = now
    job.gpu_seconds = gpu_seconds
    job.cost = cost
    job.version = version
    job.save()
    job_log(
        job,
        f"succeeded on attempt {attempt.number}: {len(media)} output(s)"
        + (f" as {version.label}" if version else "")
        + f", {gpu_seconds:.2f} GPU-s, cost {cost}",
        attempt_id=attempt.pk,
    )
    audit_record(
        action="render.job.succeeded",
        actor=None,
        target=job,
        changes={"version": version.label if version else None, "cost": str(cost)},
    )
    emit_job(job)


def _fail(job: Job, attempt: Attempt, report: dict[str, Any], now: datetime) -> None:
    error = str(report.get("error") or "the operation failed")[:2000]
    attempt.state = AttemptState.FAILED
    attempt.error = error
    attempt.finished_at = now
    attempt.save()
    if report.get("traceback"):
        job_log(job, str(report["traceback"])[-4000:], level="debug", attempt_id=attempt.pk)
    cancelled = job.cancel_requested_at is not None
    job.state = JobState.CANCELLED if cancelled else JobState.FAILED
    job.error = "" if cancelled else error
    job.finished_at = now
    job.cost = Decimal(0)
    job.save()
    job_log(job, f"attempt {attempt.number} failed: {error}", level="error", attempt_id=attempt.pk)
    audit_record(action=f"render.job.{job.state}", actor=None, target=job, changes={"error": error})
    emit_job(job)


def _cancelled(job: Job, attempt: Attempt, report: dict[str, Any], now: datetime) -> None:
    attempt.state = AttemptState.CANCELLED
    attempt.finished_at = now
    attempt.save()
    requested = job.cancel_requested_at is not None
    job.state = JobState.CANCELLED if requested else JobState.FAILED
    job.error = "" if requested else "The worker stopped the attempt without a cancellation."
    job.finished_at = now
    job.cost = Decimal(0)
    job.save()
    if requested:
        seconds = (now - job.cancel_requested_at).total_seconds() if job.cancel_requested_at else 0
        job_log(
            job,
            f"cancelled: the worker stopped {seconds:.1f} s after the request",
            attempt_id=attempt.pk,
        )
    else:
        job_log(job, job.error, level="error", attempt_id=attempt.pk)
    audit_record(action="render.job.cancelled", actor=None, target=job)
    emit_job(job)


def _signature_problem(report: dict[str, Any]) -> str | None:
    """Why a report may not be applied (None when it verifies): signed with the key of the
    attempt it names, under the current or the previous signing secret, and recent."""
    if not report.get(signing.SIGNATURE_FIELD):
        return "unsigned"
    ids = (report.get("organization_id"), report.get("job_id"), str(report.get("attempt_id")))
    if not any(
        signing.report_signature_ok(signing.attempt_key(secret, *ids), report)
        for secret in conf.signing_secrets()
    ):
        return "bad signature"
    sent_at = _parse_time(report.get("sent_at"))
    if sent_at is None:
        return "stale: no sending time"
    age = (timezone.now() - sent_at).total_seconds()
    if age > conf.report_max_age_seconds() or age < -REPORT_CLOCK_SKEW_SECONDS:
        return f"stale: signed {age:.0f} s ago"
    return None


def _refuse(report: dict[str, Any], reason: str) -> str:
    """Audits and logs a refused report in the named partner's log (when the job exists)."""
    kind = str(report.get("type"))[:20]
    logger.warning(
        "refused a %s report for job %s attempt %s: %s",
        kind,
        report.get("job_id"),
        report.get("attempt_id"),
        reason,
    )
    try:
        organization_id, job_id = int(report["organization_id"]), int(report["job_id"])
    except (KeyError, TypeError, ValueError):
        organization_id, job_id = None, None
    changes = {"reason": reason, "type": kind, "attempt": str(report.get("attempt_id"))[:64]}
    if organization_id is not None:
        with tenant_scope(organization_id), transaction.atomic():
            job = Job.objects.filter(pk=job_id).first()
            if job is not None:
                job_log(job, f"refused a report ({kind}): {reason}", level="warning")
                audit_record(
                    action="render.report.refused", actor=None, target=job, changes=changes
                )
                return "refused"
    audit_record(action="render.report.refused", actor=None, organization_id=None, changes=changes)
    return "refused"


def handle_report_safely(report: dict[str, Any]) -> str:
    """For the Celery task (the broker boundary): a report that is unsigned, mis-signed or
    stale is refused and audited; a malformed one is logged and dropped, never retried."""
    problem = _signature_problem(report)
    if problem is not None:
        return _refuse(report, problem)
    seen = _first_sighting(report)
    if not seen:
        return _refuse(report, "replayed")
    try:
        return report_receive(report=report)
    except MalformedReport:
        logger.exception("dropped a malformed render report")
        return "malformed"
    except Exception:
        # Not applied: a redelivery of this message must not count as a replay.
        _forget_sighting(report)
        raise


def _seen_key(report: dict[str, Any]) -> str:
    return f"render:report-seen:{report[signing.SIGNATURE_FIELD]}"


def _first_sighting(report: dict[str, Any]) -> bool:
    """Every signed message is applied once: its signature is remembered (in the platform's
    cache, which workers cannot reach) for as long as it could pass the age check."""
    try:
        return bool(cache.add(_seen_key(report), 1, timeout=int(conf.report_max_age_seconds())))
    except Exception:  # the cache down must not stop the intake; replays are then possible
        logger.warning("could not record a report signature; accepting it", exc_info=True)
        return True


def _forget_sighting(report: dict[str, Any]) -> None:
    try:
        cache.delete(_seen_key(report))
    except Exception:
        logger.warning("could not forget a report signature", exc_info=True)


__all__ = ["handle_report_safely", "report_receive", "tenant_scope"]
