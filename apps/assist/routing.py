"""Policy routing: a request only goes to a provider whose declared guarantees satisfy the
project's AI policy; otherwise it is refused with the reason for each provider."""

from __future__ import annotations

from dataclasses import dataclass

from apps.assist.models import AIPolicy
from apps.assist.providers.base import Guarantees, TextProvider


@dataclass
class RoutingDecision:
    provider: TextProvider | None
    reasons: dict[str, str]  # provider name -> why it was not chosen

    def refusal_message(self) -> str:
        details = "; ".join(f"{name}: {reason}" for name, reason in self.reasons.items())
        return f"No provider satisfies this project's AI policy ({details})."


def region_within(region: str, allowed: str) -> bool:
    """`eu-west-1` is within `eu`; `eu` (anywhere in the EU) is not within `eu-west-1`,
    and `global` is within nothing but `global`."""
    return region == allowed or region.startswith(allowed + "-")


def unmet(policy: AIPolicy, name: str, guarantees: Guarantees) -> str | None:
    """Why a provider does not satisfy the policy, or None when it does. The offline
    provider never leaves the deployment: it is always allowed."""
    if name == "local":
        return None
    if not policy.accepted_version or policy.accepted_version != policy.version:
        return "the project owner has not accepted the current AI policy"
    if name not in policy.allowed_providers:
        return "not in the project's allowed providers"
    if policy.no_training and not guarantees.no_training:
        return "does not guarantee that it will not train on the project's data"
    if policy.max_retention_days is not None and (
        guarantees.retention_days is None or guarantees.retention_days > policy.max_retention_days
    ):
        kept = (
            "an unstated time"
            if guarantees.retention_days is None
            else f"{guarantees.retention_days} days"
        )
        return f"keeps data for {kept}, the policy allows {policy.max_retention_days}"
    if policy.allowed_regions and not (
        guarantees.regions
        and all(
            any(region_within(region, allowed) for allowed in policy.allowed_regions)
            for region in guarantees.regions
        )
    ):
        where = ", ".join(guarantees.regions) or "an unstated region"
        return f"processes data in {where}, outside {', '.join(policy.allowed_regions)}"
    return None


def route(
    policy: AIPolicy,
    providers: dict[str, TextProvider],
    wanted: str | None = None,
    blocked: dict[str, str] | None = None,
) -> RoutingDecision:
    """`blocked` names providers refused before the policy is read (e.g. a beta gate)."""
    reasons: dict[str, str] = dict(blocked or {})
    if wanted in reasons:
        return RoutingDecision(None, {wanted: reasons[wanted]})
    providers = {name: p for name, p in providers.items() if name not in reasons}
    candidates = (
        providers if not wanted else {wanted: providers[wanted]} if wanted in providers else {}
    )
    if wanted and not candidates:
        return RoutingDecision(None, {wanted: "is not configured on this deployment"})
    for name, provider in candidates.items():
        reason = unmet(policy, name, provider.guarantees)
        if reason is None:
            return RoutingDecision(provider, reasons)
        reasons[name] = reason
    return RoutingDecision(None, reasons)
