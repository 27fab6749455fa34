"""Reads about organizations and memberships. `access_*` helpers give one 404 for missing
and forbidden, so nobody can probe which organizations exist."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from apps.core.errors import NotFound
from apps.tenancy.models import STUDIO_ROLES, Membership, Organization, OrganizationKind, Role
from apps.tenancy.scope import require_scope, user_scope


def memberships_of_user(user: Any) -> list[Membership]:
    if not getattr(user, "is_authenticated", False):
        return []
    with user_scope(user.pk):
        return list(
            Membership._base_manager.select_related("organization")
            .filter(user_id=user.pk)
            .order_by("organization__name")
        )


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
