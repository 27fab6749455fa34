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
from apps.tenancy.context import context_key
from apps.tenancy.models import TenantModel

logger = logging.getLogger(__name__)

FUNCTIONS_SQL = """
CREATE OR REPLACE FUNCTION backlot_current_organization() RETURNS bigint
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('backlot.organization_id', true), '')::bigint $$;
CREATE OR REPLACE FUNCTION backlot_current_user() RETURNS bigint
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('backlot.user_id', true), '')::bigint $$;
CREATE SCHEMA IF NOT EXISTS backlot_private;
REVOKE ALL ON SCHEMA backlot_private FROM PUBLIC;
CREATE TABLE IF NOT EXISTS backlot_private.context_key (
    id integer PRIMARY KEY CHECK (id = 1),
    key text NOT NULL
);
CREATE OR REPLACE FUNCTION backlot_context_allows(purpose text) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT EXISTS (
        SELECT 1 FROM backlot_private.context_key k
        WHERE coalesce(current_setting('backlot.' || purpose, true), '') = encode(
            sha256(convert_to(k.key || ':' || purpose || ':' || txid_current()::text, 'UTF8')),
            'hex'
        )
    )
    $$;
CREATE OR REPLACE FUNCTION backlot_audit_reads_all() RETURNS boolean
    LANGUAGE sql STABLE
    AS $$ SELECT backlot_context_allows('audit_scope') $$;
"""
# The key of `backlot_context_allows` (see apps.tenancy.context), readable by the owner only.
CONTEXT_KEY_SQL = (
    "INSERT INTO backlot_private.context_key (id, key) VALUES (1, %s)"
    " ON CONFLICT (id) DO UPDATE SET key = EXCLUDED.key"
)

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
    """(read, write) expressions for a tenant model: rows that may be read, and rows that
    may be inserted, updated (before and after) and deleted."""
    if model.rls_policy_sql:
        return model.rls_policy_sql, model.rls_write_sql or model.rls_policy_sql
    condition = "organization_id = backlot_current_organization()"
    if model.share_path:
        column = model._meta.get_field(model.share_path).column
        condition = f"({condition} OR {column} IN ({SHARED_PROJECTS_SQL}))"
    return condition, model.rls_write_sql or condition


def policies_for(table: str, read: str, write: str) -> list[str]:
    """One policy per command, so a widened read (a user's own memberships, shares granted
    to the studio) never widens what may be written."""
    return [
        f"CREATE POLICY backlot_select ON {table} FOR SELECT USING ({read})",
        f"CREATE POLICY backlot_insert ON {table} FOR INSERT WITH CHECK ({write})",
        f"CREATE POLICY backlot_update ON {table} FOR UPDATE USING ({write}) WITH CHECK ({write})",
        f"CREATE POLICY backlot_delete ON {table} FOR DELETE USING ({write})",
    ]


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
        cursor.execute(CONTEXT_KEY_SQL, [context_key()])
        statements: dict[str, list[str]] = {}
        for model in tenant_models():
            read_sql, write_sql = policy_for(model)
            table = model._meta.db_table
            statements[table] = policies_for(table, read_sql, write_sql)
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
