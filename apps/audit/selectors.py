"""Reads of the audit log: partners see their organization's, beta admins see all."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db.models import QuerySet

from apps.audit.models import AuditEntry
from apps.tenancy.context import privileged_context
from apps.tenancy.scope import require_scope


def audit_entries_for_scope() -> QuerySet[AuditEntry]:
    scope = require_scope()
    return AuditEntry.objects.filter(organization_id=scope.organization_id)


@contextmanager
def all_audit_entries_readable() -> Iterator[QuerySet[AuditEntry]]:
    """Staff-wide audit reading; the caller must already have checked the beta-admin role.

    Sets the database flag the audit read policy honours, for this transaction only.
    """
    with privileged_context("audit_scope"):
        yield AuditEntry.objects.all()
