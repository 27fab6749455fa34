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
    """Write one audit row. `organization_id` defaults to the active tenant scope."""
    if organization_id is None:
        scope = current_scope()
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
    return entry
