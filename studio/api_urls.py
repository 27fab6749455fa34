"""Every REST route of /api/v1/. The isolation battery in tests/api/ walks these names."""

from typing import Any

from django.urls import path

from apps.accounts.api import ApiTokenViewSet, MeViewSet
from apps.audit.api import OrganizationAuditViewSet, StaffAuditViewSet
from apps.production.api import ProjectViewSet, SequenceViewSet, ShotViewSet
from apps.tenancy.api import MemberViewSet, OrganizationViewSet, ProjectShareViewSet

LIST: dict[str, Any] = {"get": "list"}
LIST_CREATE: dict[str, Any] = {"get": "list", "post": "create"}
DETAIL: dict[str, Any] = {"get": "retrieve"}
DETAIL_UPDATE: dict[str, Any] = {"get": "retrieve", "patch": "partial_update"}
DETAIL_DESTROY: dict[str, Any] = {"get": "retrieve", "delete": "destroy"}

ORG = "orgs/<slug:org>/"
PROJECT = ORG + "projects/<int:project_pk>/"

app_name = "api"
urlpatterns = [
    path("me/", MeViewSet.as_view(LIST), name="me"),
    path("tokens/", ApiTokenViewSet.as_view(LIST_CREATE), name="token-list"),
    path("tokens/<int:pk>/", ApiTokenViewSet.as_view(DETAIL_DESTROY), name="token-detail"),
    path("orgs/", OrganizationViewSet.as_view(LIST), name="org-list"),
    path(ORG, OrganizationViewSet.as_view(DETAIL), name="org-detail"),
    path(ORG + "members/", MemberViewSet.as_view(LIST), name="member-list"),
    path(ORG + "members/<int:pk>/", MemberViewSet.as_view(DETAIL), name="member-detail"),
    path(ORG + "audit/", OrganizationAuditViewSet.as_view(LIST), name="org-audit"),
    path(ORG + "projects/", ProjectViewSet.as_view(LIST_CREATE), name="project-list"),
    path(ORG + "projects/<int:pk>/", ProjectViewSet.as_view(DETAIL_UPDATE), name="project-detail"),
    path(PROJECT + "shares/", ProjectShareViewSet.as_view(LIST_CREATE), name="share-list"),
    path(
        PROJECT + "shares/<int:pk>/",
        ProjectShareViewSet.as_view(DETAIL_DESTROY),
        name="share-detail",
    ),
    path(PROJECT + "sequences/", SequenceViewSet.as_view(LIST_CREATE), name="sequence-list"),
    path(PROJECT + "sequences/<int:pk>/", SequenceViewSet.as_view(DETAIL), name="sequence-detail"),
    path(PROJECT + "shots/", ShotViewSet.as_view(LIST_CREATE), name="shot-list"),
    path(PROJECT + "shots/<int:pk>/", ShotViewSet.as_view(DETAIL), name="shot-detail"),
    path("staff/audit/", StaffAuditViewSet.as_view(LIST), name="staff-audit"),
]
