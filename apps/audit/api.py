from __future__ import annotations

from typing import Any

import django_filters
from rest_framework import mixins, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from apps.audit.models import AuditEntry
from apps.audit.selectors import all_audit_entries_readable, audit_entries_for_scope
from apps.audit.services import audit_record
from apps.core.errors import NotFound
from apps.tenancy.policy import Capability
from apps.tenancy.selectors import is_beta_admin
from apps.tenancy.viewsets import OrganizationScopedViewSet, UserScopedViewSet


class AuditEntrySerializer(serializers.ModelSerializer[AuditEntry]):
    organization: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True
    )

    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "created_at",
            "actor_label",
            "organization",
            "action",
            "target_type",
            "target_id",
            "target_repr",
            "changes",
            "ip_address",
            "user_agent",
            "request_id",
            "source",
        ]


class AuditFilter(django_filters.FilterSet):
    action = django_filters.CharFilter()
    source = django_filters.CharFilter()


class OrganizationAuditViewSet(mixins.ListModelMixin, OrganizationScopedViewSet):
    """The audit log of one organization, for its owners."""

    model = AuditEntry
    serializer_class = AuditEntrySerializer
    read_capability = Capability.AUDIT_READ
    filterset_class = AuditFilter

    def scoped_queryset(self) -> Any:
        return audit_entries_for_scope().select_related("organization")


class StaffAuditViewSet(UserScopedViewSet):
    """The whole audit log, for beta admins; reading it is itself audited."""

    model = AuditEntry
    serializer_class = AuditEntrySerializer

    def list(self, request: Request) -> Response:
        if not is_beta_admin(request.user):
            raise NotFound("Not found.")
        audit_record(action="audit.read_all", actor=request.user)
        with all_audit_entries_readable() as entries:
            queryset = entries.select_related("organization")
            action = request.query_params.get("action")
            organization = request.query_params.get("organization")
            if action:
                queryset = queryset.filter(action=action)
            if organization:
                queryset = queryset.filter(organization__slug=organization)
            page = self.paginate_queryset(queryset)
            return self.get_paginated_response(AuditEntrySerializer(page, many=True).data)
