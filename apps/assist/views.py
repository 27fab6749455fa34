"""The assistant page of a project: policy, providers, suggestions from review notes."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from apps.assist import services, sources
from apps.assist.models import AssistCall, Suggestion
from apps.assist.registry import configured_providers
from apps.core.errors import BacklotError, Forbidden, NotFound
from apps.production.selectors import access_project_by_id
from apps.review.selectors import sessions_of_project
from apps.tenancy.models import Membership, Role
from apps.tenancy.policy import Capability, can
from apps.tenancy.scope import tenant_scope
from apps.tenancy.selectors import access_membership_by_slug
from apps.tenancy.web import organization_page


def _suggestion(project: Any, suggestion_id: str) -> Suggestion:
    found = Suggestion.objects.filter(project=project, pk=int(suggestion_id)).first()
    if found is None:
        raise NotFound("Suggestion not found.")
    return found


def _handle_post(request: HttpRequest, membership: Membership, project: Any) -> None:
    action = request.POST.get("action", "")
    user = request.user
    if action == "policy":
        if membership.role != Role.OWNER:
            raise Forbidden("Only the project owner's organization owners change the AI policy.")
        retention = request.POST.get("max_retention_days", "").strip()
        services.ai_policy_update(
            actor=user,
            project=project,
            no_training=request.POST.get("no_training") == "on",
            max_retention_days=int(retention) if retention else None,
            allowed_providers=request.POST.getlist("allowed_providers"),
            allowed_regions=[
                r.strip() for r in request.POST.get("allowed_regions", "").split(",") if r.strip()
            ],
            accept=request.POST.get("accept") == "on",
        )
        messages.success(
            request,
            "AI policy saved and accepted."
            if request.POST.get("accept") == "on"
            else "AI policy saved. External providers stay off until you accept it.",
        )
        return
    if not can(membership, Capability.ASSIST_USE):
        raise Forbidden("Your role can read suggestions but not ask for or decide them.")
    if action == "edit":
        suggestion = _suggestion(project, request.POST.get("suggestion", "0"))
        tasks = None
        if suggestion.kind == "task_list":
            tasks = [
                dict(task, task=request.POST.get(f"task-{index}", task["task"]).strip())
                for index, task in enumerate(suggestion.tasks)
            ]
            tasks = [task for task in tasks if task["task"]]
        services.suggestion_edit(
            actor=user,
            suggestion=suggestion,
            tasks=tasks,
            text=request.POST.get("text") if suggestion.kind != "task_list" else None,
        )
        messages.success(request, "Suggestion edited.")
    elif action in ("accept", "dismiss"):
        suggestion = _suggestion(project, request.POST.get("suggestion", "0"))
        services.suggestion_decide(actor=user, suggestion=suggestion, accept=action == "accept")
        messages.success(
            request, f"Suggestion {'accepted' if action == 'accept' else 'dismissed'}."
        )


def _ask(request: HttpRequest, membership: Membership, project: Any) -> None:
    """Task list or summary from a review session. Runs with no transaction held: the
    notes are read in a short tenant scope, the service logs the call around it."""
    if not can(membership, Capability.ASSIST_USE):
        raise Forbidden("Your role can read suggestions but not ask for or decide them.")
    action = request.POST.get("action", "")
    kind, _, raw_id = request.POST.get("source", "").partition(":")
    if action not in ("task_list", "summary") or kind != "session" or not raw_id.isdigit():
        raise Forbidden("Choose a review session.")
    user = request.user
    with tenant_scope(membership.organization_id, user_id=user.pk):
        title, notes, decisions = sources.notes_of_session(
            user, membership, project, int(raw_id), made_in_session=action == "summary"
        )
    if action == "task_list":
        services.suggest_task_list(
            actor=user,
            project=project,
            source_type="review_session",
            source_id=int(raw_id),
            notes=notes,
        )
    else:
        services.suggest_summary(
            actor=user,
            project=project,
            source_type="review_session",
            source_id=int(raw_id),
            title=title,
            notes=notes,
            decisions=decisions,
        )
    messages.success(request, "Suggestion ready: review it, edit it, then accept or dismiss it.")


@login_required
@require_http_methods(["POST"])
def assist_ask(request: HttpRequest, org: str, project_id: int) -> HttpResponse:
    """Like `organization_page`, but without holding the tenant scope's transaction over the
    provider call (a call may take a minute; its log rows commit on their own)."""
    try:
        membership = access_membership_by_slug(request.user, org)
        with tenant_scope(membership.organization_id, user_id=request.user.pk):
            project = access_project_by_id(project_id)
    except NotFound as error:
        raise Http404(error.message) from error
    try:
        _ask(request, membership, project)
    except NotFound as error:
        raise Http404(error.message) from error
    except BacklotError as error:
        messages.error(request, error.message)
    return HttpResponseRedirect(reverse("assist-page", args=[org, project.pk]))


@organization_page
@require_http_methods(["GET", "POST"])
def assist_page(request: HttpRequest, membership: Membership, project_id: int) -> HttpResponse:
    project = access_project_by_id(project_id)
    if request.method == "POST":
        try:
            _handle_post(request, membership, project)
        except BacklotError as error:
            messages.error(request, error.message)
        return HttpResponseRedirect(
            reverse("assist-page", args=[membership.organization.slug, project.pk])
        )
    policy = services.ai_policy_of(project)
    providers = [
        {
            "name": name,
            "title": provider.title,
            "model": provider.model,
            "guarantees": provider.guarantees,
            "reason": services.provider_refusal(project, policy, name, provider),
        }
        for name, provider in configured_providers().items()
    ]
    return render(
        request,
        "assist/assist.html",
        {
            "membership": membership,
            "project": project,
            "policy": policy,
            "providers": providers,
            "sessions": sessions_of_project(project),
            "suggestions": Suggestion.objects.filter(project=project).select_related("call")[:20],
            "calls": AssistCall.objects.filter(project=project)[:15],
            "can_assist": can(membership, Capability.ASSIST_USE),
            "is_owner": membership.role == Role.OWNER,
            "policy_json": json.dumps(policy.as_dict()),
        },
    )
