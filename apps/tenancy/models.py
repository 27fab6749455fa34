"""Organizations (tenants), memberships, project shares and the tenant model base."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.tenancy.scope import TenantScopeViolation, require_scope


class OrganizationKind(models.TextChoices):
    PARTNER = "partner", "Partner production company"
    STUDIO = "studio", "Internal studio"


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    PRODUCER = "producer", "Producer"
    ARTIST = "artist", "Artist"
    VIEWER = "viewer", "Viewer"
    REVIEWER = "reviewer", "Studio reviewer"
    BETA_ADMIN = "beta_admin", "Beta admin"


PARTNER_ROLES = frozenset({Role.OWNER, Role.PRODUCER, Role.ARTIST, Role.VIEWER})
STUDIO_ROLES = frozenset({Role.REVIEWER, Role.BETA_ADMIN})


class Organization(models.Model):
    """A tenant. Not itself tenant-scoped: it is the registry of tenants, and the API only
    ever shows a user the organizations they belong to."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=64, unique=True)
    kind = models.CharField(max_length=16, choices=OrganizationKind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_studio(self) -> bool:
        return self.kind == OrganizationKind.STUDIO


class TenantQuerySet(models.QuerySet[Any]):
    pass


class TenantManager(models.Manager[Any]):
    """Fails closed: with no active tenant scope, any query raises."""

    def get_queryset(self) -> models.QuerySet[Any]:
        scope = require_scope()
        queryset = super().get_queryset()
        return queryset.filter(self.model.scope_filter(scope))

    def none(self) -> models.QuerySet[Any]:
        # An empty queryset reveals nothing, so it needs no scope (schema generation).
        return super().get_queryset().none()


class TenantModel(models.Model):
    """Base of every tenant-owned table: NOT NULL organization, scoped manager, RLS.

    `share_path` names the column that links a row to a project, so rows of a project
    shared with the studio are visible to it; None for rows that are never shared.
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")

    objects = TenantManager()

    share_path: ClassVar[str | None] = None
    # SQL for the RLS policy; None uses the standard organization (+ share) policy.
    rls_policy_sql: ClassVar[str | None] = None
    # SQL rows must satisfy to be inserted, updated or deleted, when it is narrower than
    # what may be read (e.g. a user reads their own memberships in every organization but
    # only the organization in scope writes them). None: the read policy.
    rls_write_sql: ClassVar[str | None] = None

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        scope = require_scope()
        if self.organization_id is None:
            self.organization_id = scope.organization_id
        elif self.organization_id != scope.organization_id and not self._is_shared_with(scope):
            raise TenantScopeViolation(
                f"{type(self).__name__} of organization {self.organization_id} cannot be written"
                f" in the scope of organization {scope.organization_id}"
            )
        super().save(*args, **kwargs)

    @classmethod
    def scope_filter(cls, scope: Any) -> Q:
        condition = Q(organization_id=scope.organization_id)
        if cls.share_path and scope.shared_project_ids:
            condition |= Q(**{f"{cls.share_path}__in": scope.shared_project_ids})
        return condition

    def _is_shared_with(self, scope: Any) -> bool:
        if not self.share_path:
            return False
        # The column's attribute (project_id, or id for Project), never the related object.
        field = self._meta.get_field(self.share_path)
        attname = getattr(field, "attname", self.share_path)
        return getattr(self, attname, None) in scope.shared_project_ids


class Membership(TenantModel):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    # A user sees their own memberships (to pick an organization) before any scope exists.
    rls_policy_sql = (
        "organization_id = backlot_current_organization() OR user_id = backlot_current_user()"
    )
    # Only the organization in scope adds, changes or removes its members.
    rls_write_sql = "organization_id = backlot_current_organization()"

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="membership_unique_user")
        ]
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.organization_id} ({self.role})"


class ProjectShare(TenantModel):
    """An explicit, audited grant of one partner project to the studio organization."""

    project = models.ForeignKey(
        "production.Project", on_delete=models.CASCADE, related_name="shares"
    )
    grantee = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    rls_policy_sql = (
        "organization_id = backlot_current_organization()"
        " OR grantee_id = backlot_current_organization()"
    )
    # The studio reads the shares granted to it; only the owning partner grants or revokes.
    rls_write_sql = "organization_id = backlot_current_organization()"

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "grantee"],
                condition=Q(revoked_at__isnull=True),
                name="projectshare_one_active_per_grantee",
            )
        ]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"project {self.project_id} shared with {self.grantee_id}"

    @classmethod
    def scope_filter(cls, scope: Any) -> Q:
        return Q(organization_id=scope.organization_id) | Q(grantee_id=scope.organization_id)
