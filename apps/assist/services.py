"""Assistance: route to an allowed provider, log the call, save suggestions."""

from __future__ import annotations

import json
import re
import time
from typing import Any

from django.db import transaction

from apps.assist import routing
from apps.assist.ai_policy import (  # re-exported: callers use services.ai_policy_*
    BETA_OFF,
    ai_policy_accept,
    ai_policy_of,
    ai_policy_update,
    provider_refusal,
)
from apps.assist.models import (
    AIPolicy,
    AssistCall,
    CallStatus,
    Suggestion,
    SuggestionKind,
    SuggestionStatus,
)
from apps.assist.providers.base import (
    GenerationRequest,
    GenerationResult,
    ProviderError,
    TextProvider,
)
from apps.assist.registry import configured_providers
from apps.audit.services import audit_record
from apps.beta.selectors import feature_enabled
from apps.core.errors import BacklotError, Conflict, ValidationFailed
from apps.production.models import Project
from apps.tenancy.scope import tenant_scope

__all__ = [
    "BETA_OFF",
    "AssistFailed",
    "AssistRefused",
    "ai_policy_accept",
    "ai_policy_of",
    "ai_policy_update",
    "assist_generate",
    "provider_refusal",
    "suggest_rewrite",
    "suggest_summary",
    "suggest_task_list",
    "suggestion_decide",
    "suggestion_edit",
]

SYSTEM = (
    "You help a film post-production team turn review notes into work. Be concise, keep "
    "shot codes and frame numbers exactly as given, never invent notes."
)


class AssistRefused(BacklotError):
    status_code = 409
    code = "policy_refused"


class AssistFailed(BacklotError):
    status_code = 502
    code = "provider_error"


def _cut(field: str, value: str) -> str:
    """Names longer than their column are cut to fit: a long model name never loses a row."""
    size = getattr(AssistCall._meta.get_field(field), "max_length", None) or len(value)
    return value[:size]


def _refuse(
    actor: Any,
    project: Project,
    policy: AIPolicy,
    request: GenerationRequest,
    wanted: str | None,
    decision: routing.RoutingDecision,
    providers: dict[str, TextProvider],
) -> str:
    message = decision.refusal_message()
    call = AssistCall.objects.create(
        organization_id=project.organization_id,
        project=project,
        purpose=request.purpose,
        provider=_cut("provider", wanted or ""),
        status=CallStatus.REFUSED,
        detail=message,
        policy=policy.as_dict(),
        # What each refused provider declared: the refusal can be checked later.
        guarantees={
            name: providers[name].guarantees.as_dict()
            for name in decision.reasons
            if name in providers
        },
        created_by=actor,
    )
    audit_record(
        action="assist.refused",
        actor=actor,
        target=call,
        changes={"purpose": request.purpose, "reasons": decision.reasons},
    )
    return message


def assist_generate(
    *,
    actor: Any,
    project: Project,
    request: GenerationRequest,
    provider: str | None = None,
    providers: dict[str, TextProvider] | None = None,
) -> tuple[GenerationResult, AssistCall]:
    """Route, log the call as `sent` in its own transaction, call the provider outside any
    transaction this function opens, then complete or fail the row in another one. Callers
    must not hold a database transaction around it (the API and page views do not)."""
    providers = configured_providers() if providers is None else providers
    org_id = project.organization_id
    with tenant_scope(org_id, user_id=getattr(actor, "pk", None)):
        policy = ai_policy_of(project)
        blocked: dict[str, str] = {}
        if not feature_enabled(org_id, "assist.llm"):
            # The offline assistant is always available; external providers are a beta feature.
            blocked = {name: BETA_OFF for name in providers if name != "local"}
        decision = routing.route(policy, providers, provider, blocked)
        chosen = decision.provider
        if chosen is None:
            refusal = _refuse(actor, project, policy, request, provider, decision, providers)
        else:
            declared = chosen.guarantees
            call = AssistCall.objects.create(
                organization_id=org_id,
                project=project,
                purpose=request.purpose,
                provider=_cut("provider", chosen.name),
                model=_cut("model", chosen.model),
                region=_cut("region", ",".join(declared.regions)),
                status=CallStatus.SENT,
                prompt_sent=True,
                policy=policy.as_dict(),
                guarantees=declared.as_dict(),
                created_by=actor,
            )
    if chosen is None:
        # The refusal row is committed already; it survives the error response.
        raise AssistRefused(refusal)
    started = time.perf_counter()
    result: GenerationResult | None = None
    failure: Exception | None = None
    try:
        result = chosen.generate(request)
    except Exception as error:
        failure = error
    with tenant_scope(org_id, user_id=getattr(actor, "pk", None)):
        call.duration_ms = int((time.perf_counter() - started) * 1000)
        if result is not None:
            call.status = CallStatus.OK
            call.model = _cut("model", result.model or chosen.model)
            call.region = _cut("region", result.region or call.region)
            call.input_tokens = result.input_tokens
            call.output_tokens = result.output_tokens
        else:
            call.status = CallStatus.ERROR
            call.detail = (
                str(failure)
                if isinstance(failure, ProviderError)
                else f"{type(failure).__name__}: {failure}"
            )[:2000]
            call.prompt_sent = getattr(failure, "sent", True)
        call.save()
        audit_record(
            action="assist.call" if result is not None else "assist.call_failed",
            actor=actor,
            target=call,
            changes={
                "provider": chosen.name,
                "model": call.model,
                "region": call.region,
                "purpose": request.purpose,
                "status": call.status,
            },
        )
    if result is None:
        if isinstance(failure, ProviderError):
            raise AssistFailed(f"{chosen.title} failed: {failure}") from failure
        assert failure is not None
        raise failure  # a bug, not the provider: a 500, but the row is already complete
    return result, call


def _note_line(note: dict[str, Any]) -> str:
    frames = (
        ""
        if note.get("frame_in") is None
        else f" frame {note['frame_in']}"
        + (f"-{note['frame_out']}" if note.get("frame_out") not in (None, note["frame_in"]) else "")
    )
    tc = f" ({note['timecode']})" if note.get("timecode") else ""
    return f"- [note {note['id']}] {note.get('shot', '')} {note.get('version', '')}{frames}{tc} — {note.get('author', '')}: {note['text']}"


def _parse_tasks(text: str) -> list[dict[str, Any]]:
    match = re.search(r"\{.*\}", text, re.DOTALL)
    try:
        parsed = json.loads(match.group(0) if match else text)
        tasks = parsed["tasks"]
        if not isinstance(tasks, list):
            raise TypeError
        return [
            {
                "shot": str(t.get("shot", "")),
                "task": str(t["task"]),
                "frames": [int(f) for f in t.get("frames", [])],
                "requested_by": [str(p) for p in t.get("requested_by", [])],
                "note_ids": [int(n) for n in t.get("note_ids", [])],
            }
            for t in tasks
        ]
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise AssistFailed(
            "The provider's answer was not a task list in the requested JSON form."
        ) from error


def suggest_task_list(
    *,
    actor: Any,
    project: Project,
    source_type: str,
    source_id: int,
    notes: list[dict[str, Any]],
    provider: str | None = None,
) -> Suggestion:
    if not notes:
        raise ValidationFailed("There are no notes to make tasks from.")
    prompt = (
        "Turn these review notes into a deduplicated task list grouped by shot. Merge notes "
        'asking for the same change. Answer only JSON: {"tasks": [{"shot": str, "task": '
        'str, "frames": [int], "requested_by": [str], "note_ids": [int]}]}.\n\n'
        + "\n".join(_note_line(note) for note in notes)
    )
    result, call = assist_generate(
        actor=actor,
        project=project,
        provider=provider,
        request=GenerationRequest(
            purpose="task_list", system=SYSTEM, prompt=prompt, payload={"notes": notes}
        ),
    )
    tasks = _parse_tasks(result.text)
    return _save(
        actor, project, SuggestionKind.TASK_LIST, source_type, source_id, call, tasks=tasks
    )


def suggest_summary(
    *,
    actor: Any,
    project: Project,
    source_type: str,
    source_id: int,
    title: str,
    notes: list[dict[str, Any]],
    decisions: list[dict[str, Any]],
    provider: str | None = None,
) -> Suggestion:
    prompt = (
        f'Write a short summary (at most 8 lines) of the review "{title}": what was decided, '
        "which shots need work and what. Notes:\n"
        + "\n".join(_note_line(n) for n in notes)
        + "\nDecisions:\n"
        + "\n".join(f"- {d['version']}: {d['decision']}" for d in decisions)
    )
    result, call = assist_generate(
        actor=actor,
        project=project,
        provider=provider,
        request=GenerationRequest(
            purpose="summary",
            system=SYSTEM,
            prompt=prompt,
            payload={"title": title, "notes": notes, "decisions": decisions},
        ),
    )
    return _save(
        actor,
        project,
        SuggestionKind.SUMMARY,
        source_type,
        source_id,
        call,
        text=result.text.strip(),
    )


def suggest_rewrite(
    *, actor: Any, project: Project, note: dict[str, Any], provider: str | None = None
) -> Suggestion:
    prompt = (
        "Rewrite this review note so an artist can act on it: say where (shot, version, "
        "frames), what should change and by how much. Keep it to two sentences; if the note "
        "is too vague to say what to change, say what is missing.\n" + _note_line(note)
    )
    result, call = assist_generate(
        actor=actor,
        project=project,
        provider=provider,
        request=GenerationRequest(
            purpose="rewrite", system=SYSTEM, prompt=prompt, payload={"note": note}
        ),
    )
    return _save(
        actor,
        project,
        SuggestionKind.REWRITE,
        "note",
        int(note["id"]),
        call,
        text=result.text.strip(),
    )


def _save(
    actor: Any,
    project: Project,
    kind: str,
    source_type: str,
    source_id: int,
    call: AssistCall,
    *,
    text: str = "",
    tasks: list[dict[str, Any]] | None = None,
) -> Suggestion:
    # Its own scope and transaction: the provider call before it ran outside any.
    with tenant_scope(project.organization_id, user_id=getattr(actor, "pk", None)):
        suggestion = Suggestion.objects.create(
            organization_id=project.organization_id,
            project=project,
            kind=kind,
            source_type=source_type,
            source_id=source_id,
            text=text,
            tasks=tasks or [],
            call=call,
            created_by=actor,
        )
        audit_record(
            action="suggestion.create",
            actor=actor,
            target=suggestion,
            changes={"kind": kind, "provider": call.provider},
        )
    return suggestion


def suggestion_edit(
    *,
    actor: Any,
    suggestion: Suggestion,
    text: str | None = None,
    tasks: list[dict[str, Any]] | None = None,
) -> Suggestion:
    if suggestion.status != SuggestionStatus.SUGGESTED:
        raise Conflict("Only open suggestions can be edited.")
    with transaction.atomic():
        if text is not None:
            suggestion.text = text
        if tasks is not None:
            suggestion.tasks = tasks
        suggestion.edited = True
        suggestion.save()
        audit_record(action="suggestion.edit", actor=actor, target=suggestion)
    return suggestion


def suggestion_decide(*, actor: Any, suggestion: Suggestion, accept: bool) -> Suggestion:
    if suggestion.status != SuggestionStatus.SUGGESTED:
        raise Conflict(f"This suggestion was already {suggestion.get_status_display().lower()}.")
    with transaction.atomic():
        suggestion.status = SuggestionStatus.ACCEPTED if accept else SuggestionStatus.DISMISSED
        suggestion.decided_by = actor
        suggestion.save()
        audit_record(action=f"suggestion.{suggestion.status}", actor=actor, target=suggestion)
    return suggestion
