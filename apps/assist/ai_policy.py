"""The project's AI policy: what it allows, its versions, and the owner's acceptance."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.assist import routing
from apps.assist.models import AIPolicy
from apps.assist.registry import KNOWN_PROVIDERS
from apps.audit.services import audit_record
from apps.beta.selectors import feature_enabled
from apps.core.errors import Forbidden, ValidationFailed
from apps.production.models import Project
from apps.tenancy.policy import Capability, require
from apps.tenancy.selectors import memberships_of_user

BETA_OFF = "external LLM providers are not switched on for this organization"


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
    accept: bool = False,
) -> AIPolicy:
    _validate_names(allowed_providers, allowed_regions)
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
        changed = policy.as_dict() != before
        if changed:
            # A changed policy is a new version: external providers wait for its acceptance.
            policy.version += 1
        policy.updated_by = actor
        policy.save()
        audit_record(
            action="ai_policy.update",
            actor=actor,
            target=policy,
            changes={"before": before, "after": policy.as_dict()},
        )
    if accept:
        return ai_policy_accept(actor=actor, project=project)
    return policy


REGION = re.compile(r"^[a-z]{2,6}(-[a-z]+)*(-[0-9]+)?$")


def _validate_names(providers: list[str] | None, regions: list[str] | None) -> None:
    for name in providers or []:
        if name not in KNOWN_PROVIDERS:
            raise ValidationFailed(
                f"Unknown provider {name!r}; choose from {', '.join(KNOWN_PROVIDERS)}.",
                field="allowed_providers",
            )
    for region in regions or []:
        if not isinstance(region, str) or not REGION.match(region):
            raise ValidationFailed(
                f"{region!r} is not a region (e.g. us, eu, eu-west-1, global).",
                field="allowed_regions",
            )


def ai_policy_accept(*, actor: Any, project: Project) -> AIPolicy:
    """The partner owner accepts the project's current AI policy: only then do external
    providers it allows receive notes (the offline assistant needs no acceptance)."""
    membership = next(
        (m for m in memberships_of_user(actor) if m.organization_id == project.organization_id),
        None,
    )
    if membership is None:
        raise Forbidden("Only the partner's owners accept the AI policy.")
    require(membership, Capability.ASSIST_CONFIGURE)
    with transaction.atomic():
        policy = AIPolicy.objects.select_for_update().get(pk=ai_policy_of(project).pk)
        policy.accepted_version = policy.version
        policy.accepted_by = actor
        policy.accepted_at = timezone.now()
        policy.save()
        audit_record(
            action="ai_policy.accept",
            actor=actor,
            target=policy,
            changes={"version": policy.version, "policy": policy.as_dict()},
        )
    return policy


def provider_refusal(project: Project, policy: AIPolicy, name: str, provider: Any) -> str | None:
    """Why a configured provider would not be used for this project now (None: usable)."""
    if name != "local" and not feature_enabled(project.organization_id, "assist.llm"):
        return BETA_OFF
    return routing.unmet(policy, name, provider.guarantees)
