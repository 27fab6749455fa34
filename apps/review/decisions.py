"""Decisions on a version: approve or request changes. The version's status follows, through
the production service; every open session showing the version hears of it live.
`actor` is the acting user's Membership in the current scope."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from apps.audit.services import audit_record
from apps.beta.selectors import require_feature
from apps.core.errors import Forbidden
from apps.production.models import Version, VersionStatus
from apps.production.services import version_set_status
from apps.review import protocol
from apps.review.events import event_append_to_sessions_showing
from apps.review.inbox import inbox_decision
from apps.review.models import Decision, DecisionKind, ReviewSession
from apps.review.serializers import decision_data
from apps.review.sessions import REVIEW_FEATURE, require_version_in_open_session
from apps.tenancy.models import Membership
from apps.tenancy.policy import Capability, require
from apps.tenancy.scope import require_scope, tenant_scope


def decision_create(
    *,
    actor: Membership,
    version: Version,
    decision: Any,
    comment: Any = "",
    session: ReviewSession | None = None,
) -> Decision:
    """Approve or request changes. The version's status follows (production service)."""
    require(actor, Capability.REVIEW_DECIDE)
    require_feature(version.organization_id, REVIEW_FEATURE)
    decision = protocol.clean_decision(decision)
    clean_comment = protocol.clean_text(comment or "", field="comment", allow_empty=True)
    require_version_in_open_session(session, version)
    user = actor.user
    with transaction.atomic():
        record = Decision.objects.create(
            organization_id=version.organization_id,
            project_id=version.project_id,
            version=version,
            session=session,
            decision=decision,
            comment=clean_comment,
            actor=user,
        )
        status = (
            VersionStatus.APPROVED
            if decision == DecisionKind.APPROVED
            else VersionStatus.CHANGES_REQUESTED
        )
        _version_set_status_as_owner(user=user, version=version, status=status)
        audit_record(
            action="review_decision.create",
            actor=user,
            target=record,
            changes={"version": version.pk, "decision": decision},
        )
        inbox_decision(actor=user, version=version, decision=decision, comment=clean_comment)
        data = decision_data(record)
        event_append_to_sessions_showing(
            version=version,
            session=session,
            type="decision.made",
            user=user,
            payload={"decision": data, "version_status": status},
        )
    return record


def _version_set_status_as_owner(*, user: Any, version: Version, status: str) -> None:
    """The version row belongs to the partner. A studio reviewer reaches it through a share
    (already checked: the version is visible in the caller's scope) and could write it from
    the studio's scope, but the status change is the partner's record: it runs in the
    owner's scope so that its `version.status` audit entry lands in the partner's audit log,
    where the partner's history and the beta results report (time to approval) read it."""
    scope = require_scope()
    if version.organization_id == scope.organization_id:
        version_set_status(actor=user, version=version, status=status)
        return
    if version.project_id not in scope.shared_project_ids:
        raise Forbidden("This version is not shared with you.")
    with tenant_scope(version.organization_id, user_id=user.pk):
        version_set_status(actor=user, version=version, status=status)
