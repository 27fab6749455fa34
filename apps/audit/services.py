"""The one audit service. Every write in Backlot calls `audit_record` in its transaction."""

from __future__ import annotations

from typing import Any

from django.db import models

from apps.audit.models import AuditEntry
from apps.core import metrics
from apps.core.request_context import current_request_context
from apps.tenancy.scope import current_scope


def audit_record(
    *,
    action: str,
    actor: Any | None,
    organization_id: int | None = None,
    target: models.Model | None = None,
    changes: dict[str, Any] | None = None,
) -> AuditEntry:
    """Write one audit row. `organization_id` defaults to the active tenant scope.

    An action in one organization's scope on another organization's row (studio staff on
    a project a partner shared) is written into the owner's log too, so a partner's own
    audit log shows everything done to its data, by whomever."""
    scope = current_scope()
    if organization_id is None:
        organization_id = scope.organization_id if scope else None
    context = current_request_context()
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    entry = AuditEntry(
        actor=actor if authenticated else None,
        actor_label=getattr(actor, "email", "") if authenticated else "",
        organization_id=organization_id,
        action=action,
        changes=changes or {},
        ip_address=context.ip_address if context else None,
        user_agent=context.user_agent if context else "",
        request_id=context.request_id if context else "",
        source=context.source if context else "system",
    )
    if target is not None:
        entry.target_type = target._meta.label_lower
        entry.target_id = str(target.pk)
        entry.target_repr = str(target)[:300]
    entry.save(force_insert=True)
    metrics.AUDIT_ENTRIES.labels(action=action).inc()
    owner_id = getattr(target, "organization_id", None) if target is not None else None
    if (
        owner_id is not None
        and scope is not None
        and organization_id == scope.organization_id
        and owner_id != organization_id
    ):
        copied = {
            f.attname: getattr(entry, f.attname)
            for f in AuditEntry._meta.concrete_fields
            if not f.primary_key and f.attname != "created_at"
        }
        copied.update(
            organization_id=owner_id,
            changes={**entry.changes, "acting_organization": organization_id},
        )
        AuditEntry(**copied).save(force_insert=True)
    return entry
