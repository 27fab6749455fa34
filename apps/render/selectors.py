"""Render reads, always inside the active tenant scope (pools are studio configuration)."""

from __future__ import annotations

from django.db.models import QuerySet

from apps.core.errors import NotFound
from apps.media.models import MediaFile, MediaKind, MediaState
from apps.production.models import Character, ConsentRecord, Project
from apps.render import conf
from apps.render.models import Attempt, Job, JobLog, JobState, Pool, Provenance
from gpu_workers.registry import Operation, all_operations, get_operation


def pools_visible() -> QuerySet[Pool]:
    return Pool.objects.order_by("name")


def jobs_of_project(project: Project) -> QuerySet[Job]:
    return (
        Job.objects.filter(project=project)
        .select_related("shot", "pool", "version", "submitted_by")
        .order_by("-submitted_at", "-pk")
    )


def access_job_by_id(job_id: int, *, project: Project | None = None) -> Job:
    jobs = Job.objects.select_related("shot", "pool", "project", "version", "submitted_by")
    if project is not None:
        jobs = jobs.filter(project=project)
    job = jobs.filter(pk=job_id).first()
    if job is None:
        raise NotFound("Render job not found.")
    return job


def attempts_of_job(job: Job) -> QuerySet[Attempt]:
    return Attempt.objects.filter(job=job).order_by("number")


def logs_of_job(job: Job, *, after: int = 0, limit: int = 500) -> list[JobLog]:
    return list(JobLog.objects.filter(job=job, pk__gt=after).order_by("pk")[:limit])


def provenance_of_job(job: Job) -> Provenance | None:
    return Provenance.objects.filter(job=job).first()


def access_provenance_by_version(version_id: int) -> Provenance:
    provenance = (
        Provenance.objects.select_related("job", "version", "version__shot")
        .filter(version_id=version_id)
        .first()
    )
    if provenance is None:
        raise NotFound("This version has no render provenance.")
    return provenance


def characters_of_project(project: Project) -> QuerySet[Character]:
    return Character.objects.filter(project=project).order_by("name")


def consents_of_project(project: Project) -> QuerySet[ConsentRecord]:
    return (
        ConsentRecord.objects.filter(project=project)
        .select_related("character", "document", "created_by")
        .order_by("-created_at", "-pk")
    )


def access_consent_by_id(consent_id: int, *, project: Project) -> ConsentRecord:
    record = consents_of_project(project).filter(pk=consent_id).first()
    if record is None:
        raise NotFound("Consent record not found.")
    return record


def input_media_of_project(project: Project) -> QuerySet[MediaFile]:
    """Ready media a job can take as input (no proxies or documents)."""
    return (
        MediaFile.objects.filter(project=project, state=MediaState.READY)
        .exclude(
            kind__in=[MediaKind.PROXY, MediaKind.POSTER, MediaKind.FILMSTRIP, MediaKind.DOCUMENT]
        )
        .order_by("-created_at", "-pk")
    )


def operations_offered() -> list[Operation]:
    """The operations a partner may launch (test-only ones only where settings allow)."""
    allow_tests = conf.allow_test_operations()
    return [op for op in all_operations() if allow_tests or not op.test_only]


def access_operation(name: str) -> Operation:
    operation = next((op for op in operations_offered() if op.name == name), None)
    if operation is None:
        raise NotFound(f"There is no operation named {name!r}.")
    return operation


def operation_of_job(job: Job) -> Operation | None:
    """The job's operation as registered now (None for an operation since removed)."""
    try:
        return get_operation(job.operation)
    except ValueError:
        return None


def jobs_in_flight(limit: int = 8) -> list[Job]:
    """Queued, dispatched and running jobs of the active organization, newest first."""
    return list(
        Job.objects.filter(state__in=[JobState.QUEUED, JobState.DISPATCHED, JobState.RUNNING])
        .select_related("shot", "project")
        .order_by("-submitted_at", "-pk")[:limit]
    )
