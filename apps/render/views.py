"""Render pages: a project's jobs (and the submit form), a job, provenance, consents."""

from __future__ import annotations

import datetime
import json
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from apps.core.errors import BacklotError, Forbidden, NotFound, ValidationFailed
from apps.production.selectors import access_project_by_id, shots_visible
from apps.render import consent, reports, selectors, submission
from apps.render.models import FINAL_JOB_STATES, JobState
from apps.tenancy.models import Membership, Role
from apps.tenancy.policy import Capability, can
from apps.tenancy.web import organization_page
from gpu_workers.registry import all_operations

STATE_BADGES: dict[str, str] = {
    JobState.QUEUED: "badge-muted",
    JobState.DISPATCHED: "badge-accent",
    JobState.RUNNING: "badge-accent",
    JobState.SUCCEEDED: "badge-success",
    JobState.FAILED: "badge-danger",
    JobState.CANCELLED: "badge-warning",
}


def _can_write(membership: Membership) -> bool:
    return can(membership, Capability.RENDER_SUBMIT)


def _jobs_url(membership: Membership, project_id: int) -> str:
    return reverse("render-jobs-page", args=[membership.organization.slug, project_id])


def _job_url(membership: Membership, job_id: int) -> str:
    return reverse("render-job-page", args=[membership.organization.slug, job_id])


@organization_page
def jobs_page(request: HttpRequest, membership: Membership, project_id: int) -> HttpResponse:
    project = access_project_by_id(project_id)
    form: dict[str, Any] = {"priority": 50, "params": "{}"}
    if request.method == "POST":
        form = {key: request.POST.get(key, "") for key in request.POST}
        try:
            if not _can_write(membership):
                raise Forbidden("Your role cannot launch render jobs.")
            job = _submit_from_form(request, project)
        except BacklotError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"Job {job.pk} ({job.operation}) queued.")
            return HttpResponseRedirect(_job_url(membership, job.pk))
    jobs = list(selectors.jobs_of_project(project)[:200])
    for job in jobs:
        job.badge = STATE_BADGES.get(job.state, "badge-muted")  # type: ignore[attr-defined]
    budget = submission.project_budget(project)
    return render(
        request,
        "render/jobs.html",
        {
            "membership": membership,
            "project": project,
            "jobs": jobs,
            "can_write": _can_write(membership),
            "operations": all_operations(),
            "shots": list(
                shots_visible().filter(project=project).order_by("sequence__code", "code")
            ),
            "pools": list(selectors.pools_visible()),
            "media": list(selectors.input_media_of_project(project)[:200]),
            "characters": list(selectors.characters_of_project(project)),
            "budget": budget,
            "form": form,
        },
        status=400 if request.method == "POST" else 200,
    )


def _submit_from_form(request: HttpRequest, project: Any) -> Any:
    post = request.POST
    shot = shots_visible().filter(project=project, pk=_int(post.get("shot"))).first()
    if shot is None:
        raise ValidationFailed("Choose a shot of this project.", field="shot")
    try:
        params = json.loads(post.get("params") or "{}")
    except json.JSONDecodeError as error:
        raise ValidationFailed(f"Parameters are not valid JSON: {error.msg}.") from error
    if not isinstance(params, dict):
        raise ValidationFailed("Parameters must be a JSON object.", field="params")
    inputs = {}
    if post.get("source"):
        inputs[post.get("source_role") or "source"] = _int(post.get("source"))
    character = None
    if post.get("character"):
        character = (
            selectors.characters_of_project(project).filter(pk=_int(post.get("character"))).first()
        )
    return submission.job_submit(
        actor=request.user,
        project=project,
        shot=shot,
        operation=post.get("operation", ""),
        params=params,
        inputs=inputs,
        priority=_int(post.get("priority"), 50),
        pool=post.get("pool") or None,
        character=character,
    )


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return default


@organization_page
def job_page(request: HttpRequest, membership: Membership, job_id: int) -> HttpResponse:
    job = selectors.access_job_by_id(job_id)
    provenance = selectors.provenance_of_job(job)
    logs = selectors.logs_of_job(job)
    return render(
        request,
        "render/job.html",
        {
            "membership": membership,
            "project": job.project,
            "job": job,
            "feedback_subject_type": "job",
            "feedback_subject_id": job.pk,
            "badge": STATE_BADGES.get(job.state, "badge-muted"),
            "attempts": list(selectors.attempts_of_job(job)),
            "logs": logs,
            "last_log_id": logs[-1].pk if logs else 0,
            "provenance": provenance,
            "provenance_json": json.dumps(provenance.record, indent=2) if provenance else "",
            "can_write": _can_write(membership),
            "is_final": job.state in FINAL_JOB_STATES,
        },
    )


@require_POST
@organization_page
def job_action(
    request: HttpRequest, membership: Membership, job_id: int, verb: str
) -> HttpResponse:
    job = selectors.access_job_by_id(job_id)
    try:
        if not _can_write(membership):
            raise Forbidden("Your role cannot change render jobs.")
        if verb == "cancel":
            submission.job_cancel(actor=request.user, job=job)
            messages.success(request, "Cancellation requested.")
        elif verb == "retry":
            submission.job_retry(actor=request.user, job=job)
            messages.success(request, "Job queued again.")
        else:
            raise NotFound("Unknown action.")
    except NotFound:
        raise
    except BacklotError as error:
        messages.error(request, error.message)
    return HttpResponseRedirect(_job_url(membership, job.pk))


@organization_page
def consistency_report_page(
    request: HttpRequest, membership: Membership, job_id: int
) -> HttpResponse:
    """Per shot and per frame: faces found, best similarity, frames below the threshold."""
    job = selectors.access_job_by_id(job_id)
    report, thumbnails = reports.consistency_report(job)
    for shot in report.get("shots", []):
        for thumb in shot.get("thumbnails", []):
            thumb["media_id"] = thumbnails.get(str(thumb.get("file", "")).rsplit("/", 1)[-1])
    return render(
        request,
        "render/consistency_report.html",
        {
            "membership": membership,
            "project": job.project,
            "job": job,
            "report": report,
            "feedback_subject_type": "job",
            "feedback_subject_id": job.pk,
        },
    )


@organization_page
def job_provenance_json(request: HttpRequest, membership: Membership, job_id: int) -> HttpResponse:
    job = selectors.access_job_by_id(job_id)
    provenance = selectors.provenance_of_job(job)
    if provenance is None:
        raise NotFound("This job has no provenance yet.")
    response = JsonResponse(provenance.record, json_dumps_params={"indent": 2})
    response["Content-Disposition"] = f'attachment; filename="job-{job.pk}-provenance.json"'
    return response


@organization_page
def version_provenance_page(
    request: HttpRequest, membership: Membership, version_id: int
) -> HttpResponse:
    provenance = selectors.access_provenance_by_version(version_id)
    if request.GET.get("format") == "json":
        response = JsonResponse(provenance.record, json_dumps_params={"indent": 2})
        name = (
            f"{provenance.version.shot.code}-{provenance.version.label}"
            if provenance.version
            else "version"
        )
        response["Content-Disposition"] = f'attachment; filename="{name}-provenance.json"'
        return response
    job = selectors.access_job_by_id(provenance.job_id)
    return HttpResponseRedirect(_job_url(membership, job.pk) + "#provenance")


@organization_page
def consents_page(request: HttpRequest, membership: Membership, project_id: int) -> HttpResponse:
    project = access_project_by_id(project_id)
    is_owner = (
        membership.role == Role.OWNER and project.organization_id == membership.organization_id
    )
    status = 200
    if request.method == "POST":
        try:
            if not is_owner:
                raise Forbidden("Only the partner's owners can record consent.")
            _consent_from_form(request, project)
        except BacklotError as error:
            messages.error(request, error.message)
            status = 400
        else:
            messages.success(request, "Consent recorded.")
            return HttpResponseRedirect(request.path)
    today = datetime.date.today()
    records = list(selectors.consents_of_project(project))
    for record in records:
        record.is_active = (  # type: ignore[attr-defined]
            record.revoked_at is None and record.valid_from <= today <= record.valid_until
        )
    return render(
        request,
        "render/consents.html",
        {
            "membership": membership,
            "project": project,
            "records": records,
            "characters": list(selectors.characters_of_project(project)),
            "is_owner": is_owner,
            "today": today.isoformat(),
        },
        status=status,
    )


def _consent_from_form(request: HttpRequest, project: Any) -> Any:
    post = request.POST
    character = (
        selectors.characters_of_project(project).filter(pk=_int(post.get("character"))).first()
    )
    if character is None:
        raise ValidationFailed("Choose a character of this project.", field="character")
    try:
        valid_from = datetime.date.fromisoformat(post.get("valid_from", ""))
        valid_until = datetime.date.fromisoformat(post.get("valid_until", ""))
    except ValueError as error:
        raise ValidationFailed("Give both dates as YYYY-MM-DD.", field="valid_from") from error
    document = request.FILES.get("document")
    return consent.consent_record_create(
        actor=request.user,
        project=project,
        character=character,
        talent_name=post.get("talent_name", ""),
        scopes=post.getlist("scopes"),
        valid_from=valid_from,
        valid_until=valid_until,
        document_name=(document.name or "") if document else "",
        document_content=document.read() if document else None,
        document_content_type=(document.content_type or "") if document else "",
        notes=post.get("notes", ""),
    )


@require_POST
@organization_page
def consent_revoke(
    request: HttpRequest, membership: Membership, project_id: int, consent_id: int
) -> HttpResponse:
    project = access_project_by_id(project_id)
    record = selectors.access_consent_by_id(consent_id, project=project)
    if membership.role != Role.OWNER or project.organization_id != membership.organization_id:
        messages.error(request, "Only the partner's owners can revoke consent.")
    else:
        try:
            consent.consent_record_revoke(actor=request.user, record=record)
            messages.success(request, f"Consent of {record.talent_name} revoked.")
        except BacklotError as error:
            messages.error(request, error.message)
    return HttpResponseRedirect(
        reverse("render-consents-page", args=[membership.organization.slug, project.pk])
    )
