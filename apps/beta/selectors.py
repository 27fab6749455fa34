"""Reads of the beta program. Other apps use these to ask what a partner may do:

- `organization_can_submit_jobs(organization_id)`: False while a partner is suspended
  (or not yet active); render submission refuses new jobs then.
- `feature_enabled(organization, key)` / `enabled_operations(organization)`: the
  features a partner has, evaluated on the server (partner switch > cohort switch >
  default; the studio has everything).
- `access_refusal(user, organization_slug=None)`: why a user may not use Backlot right
  now (agreement to accept, suspension), or None. The HTTP and websocket gates use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone

from apps.beta.features import FEATURES, OPERATIONS, operation_feature_key
from apps.beta.models import (
    Agreement,
    AgreementAcceptance,
    AgreementVersion,
    BetaProfile,
    BetaStatus,
    Cohort,
    FeatureFlag,
    Feedback,
    Invitation,
    WaitlistEntry,
)
from apps.core.errors import Forbidden, NotFound
from apps.tenancy.models import Membership, Organization, OrganizationKind
from apps.tenancy.scope import require_scope
from apps.tenancy.selectors import memberships_of_user

ALLOWED_TO_WORK = frozenset({BetaStatus.ACTIVE, BetaStatus.GRADUATED})


def beta_profile_of(organization: Organization | int) -> BetaProfile:
    """The partner's profile; organizations created before the beta program (or by other
    tools) have none yet and count as active with the default quotas."""
    organization_id = organization if isinstance(organization, int) else organization.pk
    profile = (
        BetaProfile.objects.select_related("cohort").filter(partner_id=organization_id).first()
    )
    if profile is None:
        profile = BetaProfile(partner_id=organization_id, status=BetaStatus.ACTIVE)
    return profile


def organization_status(organization_id: int) -> str:
    return beta_profile_of(organization_id).status


def organization_can_submit_jobs(organization_id: int) -> bool:
    """Render submission asks this before accepting a job."""
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        return False
    if organization.is_studio:
        return True
    return beta_profile_of(organization_id).status in ALLOWED_TO_WORK


def feature_states(organization: Organization) -> dict[str, bool]:
    if organization.is_studio:
        return dict.fromkeys(FEATURES, True)
    states = {key: feature.default for key, feature in FEATURES.items()}
    profile = beta_profile_of(organization)
    if profile.cohort_id is not None:
        for flag in FeatureFlag.objects.filter(cohort_id=profile.cohort_id):
            if flag.key in states:
                states[flag.key] = flag.enabled
    for flag in FeatureFlag.objects.filter(partner_id=organization.pk):
        if flag.key in states:
            states[flag.key] = flag.enabled
    return states


def feature_enabled(organization: Organization | int, key: str) -> bool:
    if isinstance(organization, int):
        found = Organization.objects.filter(pk=organization).first()
        if found is None:
            return False
        organization = found
    if key not in FEATURES:
        return False
    return feature_states(organization)[key]


def require_feature(organization: Organization | int, key: str) -> None:
    """For services (render submission, review sessions, assist): a clear 403 when off."""
    if not feature_enabled(organization, key):
        label = FEATURES[key].label if key in FEATURES else key
        raise Forbidden(
            f"{label} is not switched on for your organization in this beta."
            " Ask the studio's beta team to enable it."
        )


def require_can_submit_jobs(organization_id: int) -> None:
    if not organization_can_submit_jobs(organization_id):
        raise Forbidden(
            "Your organization's beta access is suspended or not active yet:"
            " new render jobs are not accepted."
        )


def enabled_operations(organization: Organization) -> list[str]:
    states = feature_states(organization)
    return [op for op in OPERATIONS if states[operation_feature_key(op)]]


# --- Agreements ---------------------------------------------------------------------------


def current_agreement_versions() -> list[AgreementVersion]:
    """The newest version of every required agreement that has one."""
    versions: list[AgreementVersion] = []
    for agreement in Agreement.objects.filter(required=True).order_by("key"):
        latest = agreement.versions.order_by("-number").first()
        if latest is not None:
            latest.agreement = agreement
            versions.append(latest)
    return versions


def pending_agreements(user: Any) -> list[AgreementVersion]:
    """The newest version of each required agreement that the user has not accepted, in
    one query (every request of a signed-in user asks)."""
    newest = (
        AgreementVersion.objects.filter(agreement_id=OuterRef("agreement_id"))
        .order_by("-number")
        .values("number")[:1]
    )
    return list(
        AgreementVersion.objects.select_related("agreement")
        .filter(agreement__required=True, number=Subquery(newest))
        .exclude(
            Exists(AgreementAcceptance.objects.filter(version_id=OuterRef("pk"), user_id=user.pk))
        )
        .order_by("agreement__key")
    )


def access_agreement_version(version_id: int) -> AgreementVersion:
    version = AgreementVersion.objects.select_related("agreement").filter(pk=version_id).first()
    if version is None:
        raise NotFound("Agreement not found.")
    return version


def agreements_with_versions() -> list[tuple[Agreement, list[AgreementVersion]]]:
    return [
        (agreement, list(agreement.versions.order_by("-number")))
        for agreement in Agreement.objects.order_by("key")
    ]


# --- Access gate --------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str
    url: str
    # Suspension: who is refused and the reason the studio gave (the suspended page).
    subject: str = ""
    reason: str = ""


def access_refusal(user: Any, organization_slug: str | None = None) -> Refusal | None:
    """Why this signed-in user may not use Backlot right now, or None."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    pending = pending_agreements(user)
    if pending:
        names = ", ".join(f"{v.agreement.title} (version {v.number})" for v in pending)
        url = reverse("beta-agreements")
        return Refusal(
            "agreement_required",
            f"You must accept {names} before using Backlot: open {url} to read and accept.",
            url,
        )
    memberships = memberships_of_user(user)
    suspended = suspended_organization_ids([m.organization_id for m in memberships])
    if not suspended:
        return None
    partner_memberships = [
        m for m in memberships if m.organization.kind == OrganizationKind.PARTNER
    ]
    all_suspended = bool(memberships) and all(m.organization_id in suspended for m in memberships)
    hit = next(
        (
            m
            for m in partner_memberships
            if organization_slug and m.organization.slug == organization_slug
        ),
        None,
    )
    if all_suspended or (hit is not None and hit.organization_id in suspended):
        organization = (hit or memberships[0]).organization
        reason = (
            BetaProfile.objects.filter(partner_id=organization.pk)
            .values_list("status_reason", flat=True)
            .first()
        )
        return Refusal(
            "beta_access_suspended",
            f"Beta access of {organization.name} is suspended."
            " Contact the studio's beta team to restore it.",
            reverse("beta-suspended"),
            subject=organization.name,
            reason=reason or "",
        )
    return None


def suspended_organization_ids(organization_ids: list[int]) -> set[int]:
    if not organization_ids:
        return set()
    return set(
        BetaProfile.objects.filter(
            partner_id__in=organization_ids, status=BetaStatus.SUSPENDED
        ).values_list("partner_id", flat=True)
    )


# --- Invitations and seats (inside the partner's tenant scope) ------------------------------


def seats_used(organization_id: int) -> int:
    require_scope()
    return Membership.objects.filter(organization_id=organization_id).count()


def invitations_of_current_organization() -> QuerySet[Invitation]:
    scope = require_scope()
    return Invitation.objects.filter(organization_id=scope.organization_id).select_related(
        "invited_by"
    )


def open_invitation_count(organization_id: int) -> int:
    require_scope()
    return Invitation.objects.filter(
        organization_id=organization_id,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).count()


def access_invitation_by_id(invitation_id: int) -> Invitation:
    invitation = invitations_of_current_organization().filter(pk=invitation_id).first()
    if invitation is None:
        raise NotFound("Invitation not found.")
    return invitation


# --- Staff reads --------------------------------------------------------------------------


def partner_rows() -> list[tuple[Organization, BetaProfile]]:
    rows = []
    for organization in Organization.objects.filter(kind=OrganizationKind.PARTNER).order_by("name"):
        rows.append((organization, beta_profile_of(organization)))
    return rows


def cohorts() -> QuerySet[Cohort]:
    return Cohort.objects.order_by("name")


def waitlist_entries() -> QuerySet[WaitlistEntry]:
    return WaitlistEntry.objects.select_related("partner").order_by("-created_at")


def feature_flags() -> QuerySet[FeatureFlag]:
    return FeatureFlag.objects.select_related("cohort", "partner").order_by("key")


def feedback_of_current_organization() -> QuerySet[Feedback]:
    scope = require_scope()
    return Feedback.objects.filter(organization_id=scope.organization_id).select_related("user")
