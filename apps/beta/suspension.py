"""A partner's place in the beta (status, cohort, quotas) and one-step suspension and
reinstatement of a partner or of one person.

Suspending ends access at once, after commit: API tokens revoked, sessions deleted and
every websocket of the people concerned closed through `disconnect_user_sockets`. New
render jobs are refused from then on (`apps.beta.selectors.organization_can_submit_jobs`).
Reinstating deletes nothing and brings nothing back but access: revoked tokens stay revoked.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import ApiToken, User
from apps.audit.services import audit_record
from apps.beta.invitations import lock_profile
from apps.beta.models import BetaProfile, BetaStatus, Cohort
from apps.core.access import access_changed
from apps.core.consumers import disconnect_user_sockets
from apps.core.errors import ValidationFailed
from apps.tenancy.models import Membership, Organization, OrganizationKind
from apps.tenancy.scope import tenant_scope


def beta_profile_update(
    *,
    organization: Organization,
    actor: Any,
    status: str | None = None,
    cohort_id: int | str | None = "",
    seat_quota: int | None = None,
    invite_quota: int | None = None,
    reason: str = "",
) -> BetaProfile:
    """Staff change a partner's status, cohort or quotas. `cohort_id=""` leaves it."""
    if organization.kind != OrganizationKind.PARTNER:
        raise ValidationFailed("Only partner organizations take part in the beta.")
    if status is not None and status not in BetaStatus.values:
        raise ValidationFailed(f"Unknown beta status {status!r}.", field="status")
    for field, value in (("seat_quota", seat_quota), ("invite_quota", invite_quota)):
        if value is not None and not 0 <= value <= 10_000:
            raise ValidationFailed("Quotas are whole numbers from 0 to 10000.", field=field)
    with transaction.atomic():
        profile = lock_profile(organization.pk)
        changes: dict[str, Any] = {}
        if cohort_id != "":
            new_cohort = None
            if cohort_id is not None:
                new_cohort = Cohort.objects.filter(pk=cohort_id).first()
                if new_cohort is None:
                    raise ValidationFailed("That cohort does not exist.", field="cohort")
            if profile.cohort_id != (new_cohort.pk if new_cohort else None):
                changes["cohort"] = [
                    profile.cohort.name if profile.cohort else None,
                    new_cohort.name if new_cohort else None,
                ]
                profile.cohort = new_cohort
        for field, value in (("seat_quota", seat_quota), ("invite_quota", invite_quota)):
            if value is not None and getattr(profile, field) != value:
                changes[field] = [getattr(profile, field), value]
                setattr(profile, field, value)
        previous_status = profile.status
        if status is not None and status != previous_status:
            changes["status"] = [previous_status, status]
            profile.status = status
            profile.status_reason = reason[:300]
        if not changes:
            return profile
        profile.save()
        audit_record(
            action="beta.profile.update",
            actor=actor,
            organization_id=organization.pk,
            target=profile,
            changes=changes,
        )
        if "status" in changes and status == BetaStatus.SUSPENDED:
            _end_access_of_members(organization, reason or "Beta access was suspended.")
    return profile


def partner_suspend(*, organization: Organization, actor: Any, reason: str = "") -> BetaProfile:
    """One step: status suspended, sessions ended, API tokens revoked, websockets closed,
    new jobs refused (`organization_can_submit_jobs`), audited."""
    return beta_profile_update(
        organization=organization, actor=actor, status=BetaStatus.SUSPENDED, reason=reason
    )


def partner_reactivate(*, organization: Organization, actor: Any) -> BetaProfile:
    """Access comes back; nothing was deleted. Revoked API tokens stay revoked."""
    return beta_profile_update(organization=organization, actor=actor, status=BetaStatus.ACTIVE)


def _end_access_of_members(organization: Organization, reason: str) -> None:
    with tenant_scope(organization.pk):
        user_ids = list(
            Membership.objects.filter(organization_id=organization.pk).values_list(
                "user_id", flat=True
            )
        )
    _end_user_access(user_ids, f"{organization.name}: {reason}")
    # Every socket acting through the partner closes, whoever opened it (a member of
    # several organizations too), and its tickets are refused.
    access_changed(
        organization_ids=[organization.pk], reason=f"{organization.name}: {reason}", close=True
    )


def _end_user_access(user_ids: list[int], reason: str) -> None:
    """Revoke API tokens, delete sessions and close websockets (after commit)."""
    if not user_ids:
        return
    revoked = ApiToken.objects.filter(user_id__in=user_ids, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    _delete_sessions_of(set(user_ids))
    for user_id in user_ids:
        disconnect_user_sockets(user_id, reason)
    if revoked:
        audit_record(
            action="api_token.revoke_all",
            actor=None,
            changes={"users": sorted(user_ids), "count": revoked},
        )


def _delete_sessions_of(user_ids: set[int]) -> None:
    engine = settings.SESSION_ENGINE
    if engine not in (
        "django.contrib.sessions.backends.db",
        "django.contrib.sessions.backends.cached_db",
    ):
        return  # other engines: the access gate still refuses every request
    wanted = {str(user_id) for user_id in user_ids}
    store = import_module(engine).SessionStore
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") in wanted:
            store(session_key=session.session_key).delete()


def user_suspend(*, user: User, actor: Any, reason: str = "") -> User:
    if user.pk == getattr(actor, "pk", None):
        raise ValidationFailed("You cannot suspend yourself.")
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(
            is_active=False, suspension_reason=reason.strip()[:300]
        )
        user.is_active = False
        user.suspension_reason = reason.strip()[:300]
        _end_user_access([user.pk], reason or "Your access was suspended.")
        audit_record(
            action="beta.user.suspend", actor=actor, target=user, changes={"reason": reason}
        )
    return user


def user_reactivate(*, user: User, actor: Any) -> User:
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_active=True, suspension_reason="")
        user.is_active = True
        user.suspension_reason = ""
        audit_record(action="beta.user.reactivate", actor=actor, target=user)
    return user
