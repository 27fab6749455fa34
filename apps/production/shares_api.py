"""Project shares: a partner owner grants the studio access to one project for review.
The share is a tenancy row; the route lives here because it is addressed by project."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_serializer
from rest_framework import mixins, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.errors import NotFound, ValidationFailed
from apps.production.selectors import access_project_by_id
from apps.tenancy import selectors, services
from apps.tenancy.models import ProjectShare
from apps.tenancy.policy import Capability
from apps.tenancy.viewsets import OrganizationScopedViewSet


class ProjectShareSerializer(serializers.ModelSerializer[ProjectShare]):
    grantee: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    granted_by = serializers.EmailField(source="granted_by.email", read_only=True)

    class Meta:
        model = ProjectShare
        fields = ["id", "project", "grantee", "granted_by", "created_at", "revoked_at"]
        read_only_fields = fields


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Share with the studio",
            value={},
            description="With no `grantee` the project is shared with the studio.",
            request_only=True,
        ),
    ]
)
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
    write_capability = Capability.ORGANIZATION_MANAGE

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
