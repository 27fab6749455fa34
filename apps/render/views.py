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
from apps.media.selectors import posters_of_sources
from apps.production.selectors import access_project_by_id, shots_visible
from apps.render import consent, forms, reports, rerun, selectors, submission
from apps.render.models import FINAL_JOB_STATES, JobState
from apps.tenancy.models import Membership, Role
from apps.tenancy.policy import Capability, can
from apps.tenancy.web import organization_page

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
    jobs = list(selectors.jobs_of_project(project)[:200])
    for job in jobs:
        job.badge = STATE_BADGES.get(job.state, "badge-muted")  # type: ignore[attr-defined]
    context = {
        "membership": membership,
        "project": project,
        "jobs": jobs,
        "can_write": _can_write(membership),
        "budget": submission.project_budget(project),
    }
    if context["can_write"]:
        context.update(_launch_context(request, membership, project, {}, {}))
    return render(request, "render/jobs.html", context)


@organization_page
def job_new_page(request: HttpRequest, membership: Membership, project_id: int) -> HttpResponse:
    """The launch form, generated from the operations' declarations. `?operation=` picks
    one, `?shot=` the shot; `?rerun_of=<job>&note=<note>` starts from a job's parameters
    and inputs (re-run with changes, from a version page or a review note)."""
    project = access_project_by_id(project_id)
    if not _can_write(membership):
        raise Forbidden("Your role cannot launch render jobs.")
    errors: dict[str, str] = {}
    start: dict[str, Any] = {}
    if request.method == "POST":
        try:
            job = _submit_from_form(request, project)
        except BacklotError as error:
            field = error.field or ""
            # Shown beside its control when it has one, else at the top of the form.
            has_control = "." in field or field in FIELDS_WITH_CONTROLS
            errors[field if has_control else "form"] = error.message
        else:
            messages.success(request, f"Job {job.pk} ({job.operation}) queued.")
            return HttpResponseRedirect(_job_url(membership, job.pk))
    else:
        start = _start_values(request, project)
    context = {
        "membership": membership,
        "project": project,
        "budget": submission.project_budget(project),
        **_launch_context(request, membership, project, start, errors),
    }
    return render(
        request, "render/job_new.html", context, status=400 if request.method == "POST" else 200
    )


# Errors of these fields (and of `params.<name>`, `inputs.<role>`) show beside the control.
FIELDS_WITH_CONTROLS = {"operation", "shot", "pool", "priority", "character"}


def _start_values(request: HttpRequest, project: Any) -> dict[str, Any]:
    """Values a GET starts from: a re-run's parent job, or ?operation= / ?shot=."""
    rerun_of, note_id = _int(request.GET.get("rerun_of")), _int(request.GET.get("note"))
    if rerun_of:
        try:
            parent, note = rerun.rerun_origin(
                project=project, parent_id=rerun_of, note_id=note_id or None
            )
        except ValidationFailed as error:
            raise NotFound(error.message) from error
        assert parent is not None
        return {**rerun.rerun_form_values(parent), "note": note.pk if note else None}
    return {
        "operation": request.GET.get("operation") or "",
        "shot": _int(request.GET.get("shot")) or None,
    }


def _launch_context(
    request: HttpRequest,
    membership: Membership,
    project: Any,
    start: dict[str, Any],
    errors: dict[str, str],
) -> dict[str, Any]:
    """Everything the generated form needs; after a POST, every posted choice."""
    post = request.POST if request.method == "POST" else None
    operations = selectors.operations_offered()
    chosen_name = str((post or start).get("operation") or "")
    chosen = next((op for op in operations if op.name == chosen_name), None) or (
        operations[0] if operations else None
    )
    shots = list(shots_visible().filter(project=project).order_by("sequence__code", "code"))
    shot_id = _int((post or start).get("shot")) or (shots[0].pk if shots else None)
    options = forms.media_options(list(selectors.input_media_of_project(project)[:300]), shot_id)
    posters = {
        media_id: poster.pk
        for media_id, poster in posters_of_sources([o["id"] for o in options]).items()
    }
    for option in options:
        option["poster"] = posters.get(option["id"])
    operation_forms = []
    for op in operations:
        if post is not None and op is chosen:
            values, inputs = forms.raw_values(op, post), forms.parse_inputs(op, post)
        elif op is chosen:
            values, inputs = dict(start.get("params") or {}), dict(start.get("inputs") or {})
        else:
            values, inputs = {}, {}
        operation_forms.append(
            forms.launch_form(
                op, values=values, inputs=inputs, errors=errors if op is chosen else {},
                options=options,
            )
        )  # fmt: skip
    source = post or start
    parent_id = _int(source.get("parent")) or None
    note_id = _int(source.get("note")) or None
    parent, note = None, None
    if parent_id:
        try:
            parent, note = rerun.rerun_origin(project=project, parent_id=parent_id, note_id=note_id)
        except ValidationFailed:
            parent, note = None, None
    return {
        "operation_forms": operation_forms,
        "chosen_operation": chosen.name if chosen else "",
        "shots": shots,
        "chosen_shot": shot_id,
        "pools": list(selectors.pools_visible()),
        "chosen_pool": str(source.get("pool") or ""),
        "priority": _int(source.get("priority"), 50) if source.get("priority") else 50,
        "characters": list(selectors.characters_of_project(project)),
        "chosen_character": _int(source.get("character")) or None,
        "parent_job": parent,
        "rerun_note": note,
        "errors": errors,
        "form_action": reverse("render-job-new", args=[membership.organization.slug, project.pk]),
    }


def _submit_from_form(request: HttpRequest, project: Any) -> Any:
    post = request.POST
    operation = next(
        (op for op in selectors.operations_offered() if op.name == post.get("operation")), None
    )
    if operation is None:
        raise ValidationFailed("Choose an operation.", field="operation")
    shot = shots_visible().filter(project=project, pk=_int(post.get("shot"))).first()
    if shot is None:
        raise ValidationFailed("Choose a shot of this project.", field="shot")
    params = forms.parse_params(operation, post)
    inputs = forms.parse_inputs(operation, post)
    character = None
    if operation.likeness and post.get("character"):
        character = (
            selectors.characters_of_project(project).filter(pk=_int(post.get("character"))).first()
        )
    parent, note = rerun.rerun_origin(
        project=project,
        parent_id=_int(post.get("parent")) or None,
        note_id=_int(post.get("note")) or None,
    )
    return submission.job_submit(
        actor=request.user,
        project=project,
        shot=shot,
        operation=operation.name,
        params=params,
        inputs=inputs,
        priority=_int(post.get("priority"), 50),
        pool=post.get("pool") or None,
        character=character,
        parent=parent,
        note=note,
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
