from __future__ import annotations

from typing import Any

import django_filters
from rest_framework import mixins, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.errors import NotFound
from apps.tenancy import selectors
from apps.tenancy.models import Membership, Organization, Role
from apps.tenancy.viewsets import OrganizationScopedViewSet, UserScopedViewSet


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
