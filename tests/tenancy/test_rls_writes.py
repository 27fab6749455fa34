"""Row-level security for writes (security issue 16, item 4; standing suite): raw SQL as
the application role, on every tenant table. A row of another organization cannot be
inserted, rows cannot be moved to another organization, a read that is wider than the
organization (a user's own memberships, the shares granted to the studio) never widens
what may be written, and the privileged readers' flags cannot be switched on with a
plain setting."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

from apps.tenancy.rls import tenant_models
from apps.tenancy.scope import tenant_scope, user_scope
from tests.factories import World, share_with_studio

pytestmark = pytest.mark.django_db

COMMANDS = {"SELECT", "INSERT", "UPDATE", "DELETE"}


def _tenant_tables() -> list[str]:
    return sorted(m._meta.db_table for m in tenant_models())


def _refused(sql: str, params: list[Any]) -> str:
    """The database's refusal of `sql` (it must refuse)."""
    with pytest.raises(DatabaseError) as error, transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
    return str(error.value)


def _rowcount(sql: str, params: list[Any]) -> int:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)


def test_every_tenant_table_has_one_policy_per_command() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, cmd, coalesce(with_check, '') FROM pg_policies"
            " WHERE tablename = ANY(%s)",
            [_tenant_tables()],
        )
        rows = cursor.fetchall()
    commands: dict[str, set[str]] = {}
    for table, command, check in rows:
        commands.setdefault(table, set()).add(command)
        if command in ("INSERT", "UPDATE"):
            # Writes are checked on the organization (and shared projects), never on the
            # user (memberships) or the grantee (shares), and never on a setting the
            # application role can set.
            assert "backlot_current_user" not in check, (table, check)
            if table == "tenancy_projectshare":
                assert "grantee_id" not in check, (table, check)
            assert "current_setting" not in check, (table, check)
    assert commands == {table: COMMANDS for table in _tenant_tables()}


def test_insert_into_another_organization_is_refused_on_every_tenant_table(world: World) -> None:
    with tenant_scope(world.a.organization.pk, user_id=world.a.owner.pk):
        for table in _tenant_tables():
            message = _refused(
                f'INSERT INTO "{table}" (organization_id) VALUES (%s)',
                [world.b.organization.pk],
            )
            assert "row-level security" in message, (table, message)


def test_rows_cannot_be_moved_to_another_organization_or_touched_across(world: World) -> None:
    moved = []
    with tenant_scope(world.a.organization.pk, user_id=world.a.owner.pk):
        for table in _tenant_tables():
            with connection.cursor() as cursor:
                cursor.execute(
                    f'SELECT count(*) FROM "{table}" WHERE organization_id = %s',
                    [world.a.organization.pk],
                )
                (own,) = cursor.fetchone()
            if own:
                message = _refused(
                    f'UPDATE "{table}" SET organization_id = %s WHERE organization_id = %s',
                    [world.b.organization.pk, world.a.organization.pk],
                )
                assert "row-level security" in message, (table, message)
                moved.append(table)
            # B's rows are neither updated nor deleted from A's scope.
            where = "WHERE organization_id = %s"
            assert (
                _rowcount(
                    f'UPDATE "{table}" SET organization_id = organization_id {where}',
                    [world.b.organization.pk],
                )
                == 0
            ), table
            assert _rowcount(f'DELETE FROM "{table}" {where}', [world.b.organization.pk]) == 0, (
                table
            )
    # The fixture has rows in the core tables, so the UPDATE check really ran there.
    assert {"tenancy_membership", "production_project", "production_shot"} <= set(moved)


def test_a_user_cannot_make_themselves_a_member_of_another_organization(world: World) -> None:
    with user_scope(world.a.viewer.pk):
        message = _refused(
            "INSERT INTO tenancy_membership (organization_id, user_id, role, created_at)"
            " VALUES (%s, %s, 'owner', now())",
            [world.b.organization.pk, world.a.viewer.pk],
        )
        assert "row-level security" in message
        # Their own membership in A is readable here, but not writable.
        assert (
            _rowcount(
                "UPDATE tenancy_membership SET role = 'owner' WHERE user_id = %s",
                [world.a.viewer.pk],
            )
            == 0
        )


def test_the_studio_cannot_grant_itself_a_share_or_keep_a_revoked_one(world: World) -> None:
    share = share_with_studio(world.a, world.studio)
    with tenant_scope(world.studio.pk, user_id=world.reviewer.pk):
        message = _refused(
            "INSERT INTO tenancy_projectshare"
            " (organization_id, project_id, grantee_id, granted_by_id, created_at)"
            " VALUES (%s, %s, %s, %s, now())",
            [world.b.organization.pk, world.b.project.pk, world.studio.pk, world.reviewer.pk],
        )
        assert "row-level security" in message
        # It reads the share granted to it, and cannot change or remove it.
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM tenancy_projectshare WHERE id = %s", [share.pk])
            assert cursor.fetchone()[0] == 1
        assert (
            _rowcount("UPDATE tenancy_projectshare SET revoked_at = NULL WHERE id = %s", [share.pk])
            == 0
        )
        assert _rowcount("DELETE FROM tenancy_projectshare WHERE id = %s", [share.pk]) == 0


def test_privileged_readers_cannot_be_switched_on_with_a_plain_setting(world: World) -> None:
    from apps.audit.selectors import all_audit_entries_readable

    with tenant_scope(world.a.organization.pk), connection.cursor() as cursor:
        cursor.execute("SELECT count(DISTINCT organization_id) FROM audit_auditentry")
        (alone,) = cursor.fetchone()
        for name, value in (("backlot.audit_scope", "all"), ("backlot.render_scheduler", "on")):
            cursor.execute("SELECT set_config(%s, %s, true)", [name, value])
        cursor.execute("SELECT count(DISTINCT organization_id) FROM audit_auditentry")
        assert cursor.fetchone()[0] == alone == 1
        cursor.execute(
            "SELECT count(*) FROM render_poolentitlement WHERE organization_id <> %s",
            [world.a.organization.pk],
        )
        assert cursor.fetchone()[0] == 0
        # The key that signs the real flags is not readable by the application role.
        _refused("SELECT key FROM backlot_private.context_key", [])
    # The staff reader (signed flag) still sees every organization.
    with all_audit_entries_readable() as entries:
        organizations = set(entries.values_list("organization_id", flat=True))
    assert {world.a.organization.pk, world.b.organization.pk} <= organizations
