"""Writes about organizations, memberships and project shares."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from apps.accounts.models import ApiToken
from apps.audit.services import audit_record
from apps.core.access import access_changed
from apps.core.consumers import disconnect_user_sockets
from apps.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from apps.core.events import send_organization_event
from apps.tenancy.models import (
    PARTNER_ROLES,
    STUDIO_ROLES,
    Membership,
    Organization,
    OrganizationKind,
    ProjectShare,
    Role,
)
from apps.tenancy.policy import Capability, require
from apps.tenancy.scope import require_scope, tenant_scope
from apps.tenancy.selectors import memberships_of_user


def organization_create(*, name: str, kind: str, actor: Any | None, slug: str = "") -> Organization:
    name = name.strip()
    if not name:
        raise ValidationFailed("An organization needs a name.", field="name")
    if kind not in OrganizationKind.values:
        raise ValidationFailed(f"Unknown organization kind {kind!r}.", field="kind")
    slug = slugify(slug or name)[:64]
    if not slug:
        raise ValidationFailed("The name must contain letters or digits.", field="name")
    with transaction.atomic():
        if Organization.objects.filter(slug=slug).exists():
            raise Conflict(f"An organization with the slug {slug!r} already exists.", field="slug")
        organization = Organization.objects.create(name=name, slug=slug, kind=kind)
        audit_record(
            action="organization.create",
            actor=actor,
            organization_id=organization.pk,
            target=organization,
            changes={"kind": kind},
        )
    return organization


def membership_create(
    *, organization: Organization, user: Any, role: str, actor: Any | None
) -> Membership:
    allowed = STUDIO_ROLES if organization.is_studio else PARTNER_ROLES
    if role not in allowed:
        raise ValidationFailed(
            f"Role {role!r} does not exist in a {organization.get_kind_display().lower()}.",
            field="role",
        )
    with tenant_scope(organization.pk, user_id=getattr(actor, "pk", None)):
        if Membership.objects.filter(user=user).exists():
            raise Conflict(f"{user.email} is already a member of {organization.name}.")
        membership = Membership.objects.create(organization=organization, user=user, role=role)
        audit_record(
            action="membership.create", actor=actor, target=membership, changes={"role": role}
        )
    return membership


def project_share_create(*, project: Any, grantee: Organization, actor: Any) -> ProjectShare:
    """Share a partner project with the studio. Only partner owners may do this."""
    scope = require_scope()
    if project.organization_id != scope.organization_id:
        raise NotFound("Project not found.")
    if not grantee.is_studio:
        raise ValidationFailed(
            "Projects can only be shared with the internal studio.", field="grantee"
        )
    with transaction.atomic():
        if ProjectShare.objects.filter(
            project=project, grantee=grantee, revoked_at__isnull=True
        ).exists():
            raise Conflict(f"{project.name} is already shared with {grantee.name}.")
        share = ProjectShare.objects.create(project=project, grantee=grantee, granted_by=actor)
        audit_record(
            action="project_share.create",
            actor=actor,
            target=share,
            changes={"project": project.pk, "grantee": grantee.slug},
        )
        send_organization_event(
            grantee.pk, {"type": "project.shared", "project_id": project.pk, "name": project.name}
        )
    return share


def project_share_revoke(*, share: ProjectShare, actor: Any) -> ProjectShare:
    scope = require_scope()
    if share.organization_id != scope.organization_id:
        # Only the owning partner revokes; the studio side sees the share but cannot undo it.
        raise Forbidden("Only the partner that owns the project can revoke its share.")
    with transaction.atomic():
        if share.revoked_at is None:
            share.revoked_at = timezone.now()
            share.revoked_by = actor
            share.save(update_fields=["revoked_at", "revoked_by"])
            audit_record(action="project_share.revoke", actor=actor, target=share)
            send_organization_event(
                share.grantee_id, {"type": "project.unshared", "project_id": share.project_id}
            )
            # The grantee's sockets on the project (events, review rooms) check again and
            # close; the partner's own sockets stay open. Its tickets are refused.
            access_changed(
                project_ids=[share.project_id],
                reason="This project is no longer shared with your organization.",
            )
    return share


__all__ = [
    "Role",
    "membership_create",
    "organization_create",
    "project_share_create",
    "project_share_revoke",
]


# --- Team management (owner only) -----------------------------------------------------------


def _lock_member(actor: Membership, member: Membership) -> Membership:
    """The member row locked, in the actor's organization; the last owner is protected."""
    require(actor, Capability.ORGANIZATION_MANAGE)
    locked = (
        Membership.objects.select_for_update()
        .select_related("user", "organization")
        .filter(pk=member.pk, organization_id=actor.organization_id)
        .first()
    )
    if locked is None:
        raise NotFound("This person is not a member of your organization.")
    return locked


def _other_owners(member: Membership) -> int:
    return (
        Membership.objects.filter(organization_id=member.organization_id, role=Role.OWNER)
        .exclude(pk=member.pk)
        .count()
    )


def membership_change_role(*, actor: Membership, member: Membership, role: str) -> Membership:
    """Give a member another role. Their open sockets of the organization close at once
    (they reconnect with the new role); the organization keeps at least one owner."""
    locked_actor_org = actor.organization
    allowed = STUDIO_ROLES if locked_actor_org.is_studio else PARTNER_ROLES
    if role not in allowed:
        raise ValidationFailed(
            f"Role {role!r} does not exist in a {locked_actor_org.get_kind_display().lower()}.",
            field="role",
        )
    with transaction.atomic():
        locked = _lock_member(actor, member)
        before = locked.role
        if before == role:
            return locked
        if before == Role.OWNER and not _other_owners(locked):
            raise Conflict(
                f"{locked.user.email} is the only owner of {locked.organization.name}."
                " Make someone else owner first.",
                field="role",
            )
        locked.role = role
        locked.save(update_fields=["role"])
        audit_record(
            action="membership.role_change",
            actor=actor.user,
            target=locked,
            changes={"user": locked.user.email, "role": [before, role]},
        )
        label = dict(Role.choices).get(role, role)
        disconnect_user_sockets(
            locked.user_id,
            f"Your role in {locked.organization.name} is now {label}. Reload the page.",
        )
    return locked


def membership_remove(*, actor: Membership, member: Membership) -> None:
    """Take someone out of the organization. What they made stays (it belongs to the
    organization); their access ends at once: their open sockets close, and, when this was
    their last organization, their API tokens are revoked (a token only ever reaches the
    organizations its user is a member of, so it no longer reaches this one either way)."""
    with transaction.atomic():
        locked = _lock_member(actor, member)
        if locked.pk == actor.pk:
            raise Conflict("You cannot remove yourself. Ask another owner to do it.")
        if locked.role == Role.OWNER and not _other_owners(locked):
            raise Conflict(f"{locked.user.email} is the only owner; they cannot be removed.")
        user = locked.user
        organization = locked.organization
        audit_record(
            action="membership.remove",
            actor=actor.user,
            target=locked,
            changes={"user": user.email, "role": locked.role},
        )
        locked.delete()
        revoked = 0
        if not [m for m in memberships_of_user(user) if m.organization_id != organization.pk]:
            revoked = ApiToken.objects.filter(user_id=user.pk, revoked_at__isnull=True).update(
                revoked_at=timezone.now()
            )
        if revoked:
            audit_record(
                action="api_token.revoke_all",
                actor=actor.user,
                target=user,
                changes={"reason": "membership.remove", "count": revoked},
            )
        disconnect_user_sockets(user.pk, f"You were removed from {organization.name}.")
