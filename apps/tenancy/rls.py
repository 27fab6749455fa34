"""Row-level security for every tenant table, derived from the models.

Applied after every `migrate` on the owner connection, so a new tenant model cannot ship
without RLS. Policies read the transaction-local settings that `tenant_scope` sets.
"""

from __future__ import annotations

import logging
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connections, transaction

from apps.audit.models import AuditEntry
from apps.tenancy.models import TenantModel

logger = logging.getLogger(__name__)

FUNCTIONS_SQL = """
CREATE OR REPLACE FUNCTION backlot_current_organization() RETURNS bigint
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('backlot.organization_id', true), '')::bigint $$;
CREATE OR REPLACE FUNCTION backlot_current_user() RETURNS bigint
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('backlot.user_id', true), '')::bigint $$;
CREATE OR REPLACE FUNCTION backlot_audit_reads_all() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(current_setting('backlot.audit_scope', true), '') = 'all' $$;
"""

SHARED_PROJECTS_SQL = (
    "SELECT s.project_id FROM tenancy_projectshare s"
    " WHERE s.grantee_id = backlot_current_organization() AND s.revoked_at IS NULL"
)

# Tables the application role may only append to.
APPEND_ONLY_TABLES = {"audit_auditentry"}


def tenant_models() -> list[Any]:
    return [
        model
        for model in apps.get_models()
        if issubclass(model, TenantModel) and model._meta.managed and not model._meta.proxy
    ]


def policy_for(model: Any) -> tuple[str, str]:
    """(USING, WITH CHECK) expressions for a tenant model."""
    if model.rls_policy_sql:
        return model.rls_policy_sql, model.rls_policy_sql
    condition = "organization_id = backlot_current_organization()"
    if model.share_path:
        column = model._meta.get_field(model.share_path).column
        condition = f"({condition} OR {column} IN ({SHARED_PROJECTS_SQL}))"
    return condition, condition


def extra_policies() -> dict[str, list[str]]:
    """Tables with row-level security that are not TenantModels (e.g. the audit log)."""
    table = AuditEntry._meta.db_table
    return {
        table: [
            f"CREATE POLICY backlot_read ON {table} FOR SELECT USING"
            " (organization_id = backlot_current_organization() OR backlot_audit_reads_all())",
            f"CREATE POLICY backlot_append ON {table} FOR INSERT WITH CHECK (true)",
        ]
    }


def apply_row_level_security(sender: Any = None, using: str = "owner", **kwargs: Any) -> None:
    if using != "owner" or sender is None or sender.label != "tenancy":
        # Run once per migrate, after the tenancy app (its tables and our functions).
        return
    connection = connections[using]
    app_role = settings.DATABASES["default"].get("USER")
    owner_role = settings.DATABASES["owner"].get("USER")
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute(FUNCTIONS_SQL)
        statements: dict[str, list[str]] = {}
        for model in tenant_models():
            using_sql, check_sql = policy_for(model)
            table = model._meta.db_table
            statements[table] = [
                f"CREATE POLICY backlot_tenant ON {table} USING ({using_sql})"
                f" WITH CHECK ({check_sql})"
            ]
        statements.update(extra_policies())
        existing = set(connection.introspection.table_names(cursor))
        for table, policies in statements.items():
            if table not in existing:
                continue
            cursor.execute("SELECT policyname FROM pg_policies WHERE tablename = %s", [table])
            for (name,) in cursor.fetchall():
                cursor.execute(f'DROP POLICY "{name}" ON {table}')
            cursor.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            cursor.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
            for policy in policies:
                cursor.execute(policy)
        if app_role and app_role != owner_role:
            _grant_app_role(cursor, app_role, existing)
        else:
            logger.warning(
                "The application connects as the table owner; RLS is forced but privilege"
                " separation is off. Set DATABASE_OWNER_URL to a separate role."
            )


def _grant_app_role(cursor: Any, app_role: str, tables: set[str]) -> None:
    quoted = _quote_ident(app_role)
    cursor.execute(f"GRANT USAGE ON SCHEMA public TO {quoted}")
    cursor.execute(
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}"
    )
    cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}")
    for table in APPEND_ONLY_TABLES & tables:
        cursor.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM {quoted}")


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
