"""Assistance: route to an allowed provider, log the call, save suggestions."""

from __future__ import annotations

import json
import re
import time
from typing import Any

from django.db import transaction

from apps.assist import routing
from apps.assist.models import (
    AIPolicy,
    AssistCall,
    CallStatus,
    Suggestion,
    SuggestionKind,
    SuggestionStatus,
)
from apps.assist.providers.base import GenerationRequest, GenerationResult, ProviderError
from apps.assist.registry import configured_providers
from apps.audit.services import audit_record
from apps.beta.selectors import feature_enabled
from apps.core.errors import BacklotError, Conflict, ValidationFailed
from apps.production.models import Project

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


def ai_policy_of(project: Project) -> AIPolicy:
    policy = AIPolicy.objects.filter(project=project).first()
    if policy is None:
        policy = AIPolicy.objects.create(organization_id=project.organization_id, project=project)
    return policy


def ai_policy_update(
    *,
    actor: Any,
    project: Project,
    no_training: bool | None = None,
    max_retention_days: int | str | None = "keep",
    allowed_providers: list[str] | None = None,
    allowed_regions: list[str] | None = None,
) -> AIPolicy:
    with transaction.atomic():
        policy = ai_policy_of(project)
        before = policy.as_dict()
        if no_training is not None:
            policy.no_training = no_training
        if max_retention_days != "keep":
            if max_retention_days is not None and int(max_retention_days) < 0:
                raise ValidationFailed("Retention cannot be negative.", field="max_retention_days")
            policy.max_retention_days = (
                None if max_retention_days is None else int(max_retention_days)
            )
        if allowed_providers is not None:
            policy.allowed_providers = sorted({str(p) for p in allowed_providers})
        if allowed_regions is not None:
            policy.allowed_regions = sorted({str(r) for r in allowed_regions})
        policy.updated_by = actor
        policy.save()
        audit_record(
            action="ai_policy.update",
            actor=actor,
            target=policy,
            changes={"before": before, "after": policy.as_dict()},
        )
    return policy


def provider_refusal(project: Project, policy: AIPolicy, name: str, provider: Any) -> str | None:
    """Why a configured provider would not be used for this project now (None: usable)."""
    if name != "local" and not feature_enabled(project.organization_id, "assist.llm"):
        return "external LLM providers are not switched on for this organization"
    return routing.unmet(policy, name, provider.guarantees)


def assist_generate(
    *, actor: Any, project: Project, request: GenerationRequest, provider: str | None = None
) -> tuple[GenerationResult, AssistCall]:
    policy = ai_policy_of(project)
    providers = configured_providers()
    blocked: dict[str, str] = {}
    if not feature_enabled(project.organization_id, "assist.llm"):
        # The offline assistant is always available; external providers are a beta feature.
        blocked = {
            name: "external LLM providers are not switched on for this organization"
            for name in providers
            if name != "local"
        }
    decision = routing.route(policy, providers, provider, blocked)
    if decision.provider is None:
        message = decision.refusal_message()
        with transaction.atomic():
            call = AssistCall.objects.create(
                organization_id=project.organization_id,
                project=project,
                purpose=request.purpose,
                provider=provider or "",
                status=CallStatus.REFUSED,
                detail=message,
                policy=policy.as_dict(),
                created_by=actor,
            )
            audit_record(
                action="assist.refused",
                actor=actor,
                target=call,
                changes={"purpose": request.purpose, "reasons": decision.reasons},
            )
        # The refusal row must survive the error response.
        raise AssistRefused(message)
    chosen = decision.provider
    started = time.perf_counter()
    try:
        result = chosen.generate(request)
    except ProviderError as error:
        AssistCall.objects.create(
            organization_id=project.organization_id,
            project=project,
            purpose=request.purpose,
            provider=chosen.name,
            model=chosen.model,
            status=CallStatus.ERROR,
            detail=str(error)[:2000],
            duration_ms=int((time.perf_counter() - started) * 1000),
            policy=policy.as_dict(),
            guarantees=chosen.guarantees.as_dict(),
            created_by=actor,
        )
        raise AssistFailed(f"{chosen.title} failed: {error}") from error
    call = AssistCall.objects.create(
        organization_id=project.organization_id,
        project=project,
        purpose=request.purpose,
        provider=chosen.name,
        model=result.model,
        region=result.region,
        status=CallStatus.OK,
        input_tokens=result.input_tokens,
        output_tokens=result.output_tokens,
        duration_ms=int((time.perf_counter() - started) * 1000),
        policy=policy.as_dict(),
        guarantees=chosen.guarantees.as_dict(),
        created_by=actor,
    )
    audit_record(
        action="assist.call",
        actor=actor,
        target=call,
        changes={"provider": chosen.name, "model": result.model, "purpose": request.purpose},
    )
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
    with transaction.atomic():
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
