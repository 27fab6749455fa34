"""Reads about organizations and memberships. `access_*` helpers give one 404 for missing
and forbidden, so nobody can probe which organizations exist."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from apps.core.errors import NotFound
from apps.core.request_context import forget_memo, request_memo
from apps.tenancy.models import STUDIO_ROLES, Membership, Organization, OrganizationKind, Role
from apps.tenancy.scope import fetch_as_user, require_scope

MEMBERSHIPS_MEMO = "tenancy.memberships"


def _columns(model: Any, alias: str) -> tuple[list[str], str]:
    fields = [f.attname for f in model._meta.concrete_fields]
    return fields, ", ".join(f'{alias}."{model._meta.get_field(f).column}"' for f in fields)


def memberships_of_user(user: Any) -> list[Membership]:
    """The user's memberships with their organizations, by organization name. One round
    trip; read once per HTTP request (the access gates and the view share it), afresh
    everywhere else (websockets re-check access with it)."""
    if not getattr(user, "is_authenticated", False):
        return []
    memo = request_memo()
    key = (MEMBERSHIPS_MEMO, user.pk)
    if memo is not None and key in memo:
        return list(memo[key])
    membership_fields, membership_sql = _columns(Membership, "m")
    organization_fields, organization_sql = _columns(Organization, "o")
    rows = fetch_as_user(
        user.pk,
        f"SELECT {membership_sql}, {organization_sql} FROM {Membership._meta.db_table} m"  # noqa: S608 - names from the models
        f" JOIN {Organization._meta.db_table} o ON o.id = m.organization_id"
        " WHERE m.user_id = %s ORDER BY o.name, m.id",
        [user.pk],
    )
    split = len(membership_fields)
    memberships = []
    for row in rows:
        membership = Membership.from_db("default", membership_fields, row[:split])
        membership.organization = Organization.from_db("default", organization_fields, row[split:])
        memberships.append(membership)
    if memo is not None:
        memo[key] = tuple(memberships)
    return memberships


def forget_memberships(user_id: int) -> None:
    """After a membership of the user changed within this request."""
    forget_memo((MEMBERSHIPS_MEMO, user_id))


def access_membership_by_slug(user: Any, slug: str) -> Membership:
    for membership in memberships_of_user(user):
        if membership.organization.slug == slug:
            return membership
    raise NotFound("Organization not found.")


def is_studio_staff(user: Any) -> bool:
    return any(
        m.organization.kind == OrganizationKind.STUDIO and m.role in STUDIO_ROLES
        for m in memberships_of_user(user)
    )


def is_beta_admin(user: Any) -> bool:
    return any(
        m.organization.kind == OrganizationKind.STUDIO and m.role == Role.BETA_ADMIN
        for m in memberships_of_user(user)
    )


def members_of_current_organization() -> QuerySet[Membership]:
    scope = require_scope()
    return Membership.objects.select_related("user").filter(organization_id=scope.organization_id)


def studio_organization(slug: str | None = None) -> Organization | None:
    """The internal studio (the first one, or the one named by slug)."""
    studios = Organization.objects.filter(kind=OrganizationKind.STUDIO)
    if slug:
        studios = studios.filter(slug=slug)
    return studios.order_by("pk").first()


def access_member_by_id(membership_id: int) -> Membership:
    """A membership of the current organization; another organization's looks missing."""
    scope = require_scope()
    member = (
        Membership.objects.select_related("user", "organization")
        .filter(pk=membership_id, organization_id=scope.organization_id)
        .first()
    )
    if member is None:
        raise NotFound("This person is not a member of your organization.")
    return member
