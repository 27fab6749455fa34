"""Row-level security: the database itself refuses tenant rows without a tenant scope."""

from __future__ import annotations

import pytest
from django.db import connection, connections

from apps.tenancy.rls import tenant_models
from apps.tenancy.scope import tenant_scope
from tests.factories import World


def _tables_with_organization_column() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.columns"
            " WHERE table_schema = 'public' AND column_name = 'organization_id'"
        )
        return sorted(row[0] for row in cursor.fetchall())


@pytest.mark.django_db
def test_every_tenant_table_has_row_level_security_enabled_and_forced() -> None:
    tables = _tables_with_organization_column()
    assert {m._meta.db_table for m in tenant_models()} <= set(tables)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class"
            " WHERE relname = ANY(%s)",
            [tables],
        )
        flags = {name: (enabled, forced) for name, enabled, forced in cursor.fetchall()}
    assert flags == {table: (True, True) for table in tables}


@pytest.mark.django_db
def test_raw_sql_without_a_tenant_returns_no_tenant_rows(world: World) -> None:
    tables = _tables_with_organization_column()
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, current_setting('backlot.organization_id', true)")
        role, organization = cursor.fetchone()
        assert role == connection.settings_dict["USER"]
        assert not organization
        for table in tables:
            cursor.execute(f'SELECT count(*) FROM "{table}"')
            assert cursor.fetchone()[0] == 0, f"{table} leaked rows with no tenant set"


@pytest.mark.django_db
def test_raw_sql_in_one_tenant_sees_only_that_tenant(world: World) -> None:
    with tenant_scope(world.a.organization.pk), connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT organization_id FROM production_project")
        assert [row[0] for row in cursor.fetchall()] == [world.a.organization.pk]
        cursor.execute("SELECT count(*) FROM production_shot WHERE id = %s", [world.b.shot.pk])
        assert cursor.fetchone()[0] == 0


@pytest.mark.django_db
def test_raw_insert_into_another_tenant_is_refused_by_the_database(world: World) -> None:
    from django.db import DatabaseError, transaction

    with tenant_scope(world.a.organization.pk):
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO production_sequence (organization_id, project_id, code, name, created_at)"
                    " VALUES (%s, %s, 'SQ999', '', now())",
                    [world.b.organization.pk, world.b.project.pk],
                )


@pytest.mark.django_db
def test_application_role_has_no_privileges_that_bypass_rls() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (False, False)
        cursor.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user"
        )
        assert cursor.fetchone()[0] == 0
    owner = connections["owner"].settings_dict["USER"]
    assert owner != connection.settings_dict["USER"]


@pytest.mark.django_db
def test_audit_log_is_append_only_for_the_application_role(world: World) -> None:
    from django.db import DatabaseError, transaction

    with tenant_scope(world.a.organization.pk):
        for statement in (
            "UPDATE audit_auditentry SET action = 'x'",
            "DELETE FROM audit_auditentry",
        ):
            with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute(statement)
