from __future__ import annotations

from typing import Any

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.api.base import ALL_ROLES, OrganizationScopedViewSet, UserScopedViewSet
from apps.core.errors import NotFound, ValidationFailed
from apps.production.selectors import access_project_by_id
from apps.tenancy import selectors, services
from apps.tenancy.models import Membership, Organization, ProjectShare, Role


class OrganizationSerializer(serializers.ModelSerializer[Organization]):
    class Meta:
        model = Organization
        fields = ["slug", "name", "kind", "created_at"]


class MyOrganizationSerializer(OrganizationSerializer):
    role = serializers.CharField()

    class Meta(OrganizationSerializer.Meta):
        fields = [*OrganizationSerializer.Meta.fields, "role"]


class OrganizationViewSet(UserScopedViewSet):
    """The organizations the requesting user belongs to."""

    model = Organization
    serializer_class = MyOrganizationSerializer
    lookup_field = "org"

    def _mine(self) -> list[Organization]:
        organizations = []
        for membership in selectors.memberships_of_user(self.request.user):
            organization = membership.organization
            organization.role = membership.role  # type: ignore[attr-defined]
            organizations.append(organization)
        return organizations

    def list(self, request: Request) -> Response:
        mine = self._mine()
        page: Any = self.paginate_queryset(mine)  # type: ignore[arg-type]
        return self.get_paginated_response(MyOrganizationSerializer(page, many=True).data)

    def retrieve(self, request: Request, org: str) -> Response:
        for organization in self._mine():
            if organization.slug == org:
                return Response(MyOrganizationSerializer(organization).data)
        raise NotFound("Organization not found.")


class MemberSerializer(serializers.ModelSerializer[Membership]):
    email = serializers.EmailField(source="user.email")
    display_name = serializers.CharField(source="user.display_name")

    class Meta:
        model = Membership
        fields = ["id", "email", "display_name", "role", "created_at"]


class MemberFilter(django_filters.FilterSet):
    role = django_filters.ChoiceFilter(choices=Role.choices)


class MemberViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrganizationScopedViewSet):
    model = Membership
    serializer_class = MemberSerializer
    filterset_class = MemberFilter
    search_fields = ["user__email", "user__display_name"]

    def scoped_queryset(self) -> Any:
        return selectors.members_of_current_organization()


class ProjectShareSerializer(serializers.ModelSerializer[ProjectShare]):
    grantee: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    granted_by = serializers.EmailField(source="granted_by.email", read_only=True)

    class Meta:
        model = ProjectShare
        fields = ["id", "project", "grantee", "granted_by", "created_at", "revoked_at"]
        read_only_fields = fields


class ProjectShareCreateSerializer(serializers.Serializer[Any]):
    grantee = serializers.SlugField(
        required=False, help_text="Slug of the studio organization; defaults to the studio."
    )


class ProjectShareViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, OrganizationScopedViewSet
):
    """Shares of one project with the studio. Partner owners grant and revoke them."""

    model = ProjectShare
    serializer_class = ProjectShareSerializer
    read_roles = ALL_ROLES
    write_roles = frozenset({Role.OWNER})

    def scoped_queryset(self) -> Any:
        project = access_project_by_id(int(self.kwargs["project_pk"]))
        return ProjectShare.objects.select_related("grantee", "granted_by").filter(project=project)

    @extend_schema(request=ProjectShareCreateSerializer, responses={201: ProjectShareSerializer})
    def create(self, request: Request, **kwargs: Any) -> Response:
        project = access_project_by_id(int(self.kwargs["project_pk"]))
        if project.organization_id != self.organization.pk:
            raise NotFound("Project not found.")
        payload = ProjectShareCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        studio = selectors.studio_organization(payload.validated_data.get("grantee") or None)
        if studio is None:
            raise ValidationFailed(
                "There is no such studio organization to share with.", field="grantee"
            )
        share = services.project_share_create(project=project, grantee=studio, actor=request.user)
        return Response(ProjectShareSerializer(share).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: ProjectShareSerializer})
    def destroy(self, request: Request, **kwargs: Any) -> Response:
        share = self.get_object()
        services.project_share_revoke(share=share, actor=request.user)
        return Response(ProjectShareSerializer(share).data)
