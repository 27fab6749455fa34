"""Every REST route of /api/v1/. The isolation battery in tests/api/ walks these names."""

from typing import Any

from django.urls import path

from apps.accounts.api import ApiTokenViewSet, MeViewSet
from apps.assist.api import AIPolicyViewSet, AssistCallViewSet, AssistViewSet, SuggestionViewSet
from apps.audit.api import OrganizationAuditViewSet, StaffAuditViewSet
from apps.beta.api import (
    FeatureViewSet,
    FeedbackViewSet,
    InvitationViewSet,
    StaffPartnerViewSet,
    StaffReportViewSet,
)
from apps.interchange.api import CutImportViewSet, SequenceExportViewSet
from apps.media.api import MediaViewSet, UploadViewSet
from apps.media.version_api import VersionViewSet
from apps.production.api import ProjectViewSet, SequenceViewSet, ShotViewSet
from apps.production.characters_api import CharacterViewSet
from apps.production.shares_api import ProjectShareViewSet
from apps.render.api import JobViewSet, OperationViewSet, PoolViewSet, VersionProvenanceViewSet
from apps.render.estimate_api import RenderEstimateViewSet
from apps.review.api import (
    DecisionViewSet,
    NoteViewSet,
    NotificationViewSet,
    ReviewSessionViewSet,
)
from apps.tenancy.api import MemberViewSet, OrganizationViewSet

LIST: dict[str, Any] = {"get": "list"}
LIST_CREATE: dict[str, Any] = {"get": "list", "post": "create"}
DETAIL: dict[str, Any] = {"get": "retrieve"}
DETAIL_UPDATE: dict[str, Any] = {"get": "retrieve", "patch": "partial_update"}
DETAIL_DESTROY: dict[str, Any] = {"get": "retrieve", "delete": "destroy"}

ORG = "orgs/<slug:org>/"
PROJECT = ORG + "projects/<int:project_pk>/"

app_name = "api"
urlpatterns = [
    path("me/", MeViewSet.as_view({"get": "retrieve"}), name="me"),
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
    path(
        PROJECT + "shots/<int:shot_pk>/versions/",
        VersionViewSet.as_view(LIST),
        name="version-list",
    ),
    path(PROJECT + "versions/<int:pk>/", VersionViewSet.as_view(DETAIL), name="version-detail"),
    path(PROJECT + "characters/", CharacterViewSet.as_view(LIST_CREATE), name="character-list"),
    path(
        PROJECT + "characters/<int:pk>/",
        CharacterViewSet.as_view(DETAIL_UPDATE),
        name="character-detail",
    ),
    path(PROJECT + "uploads/", UploadViewSet.as_view(LIST_CREATE), name="upload-list"),
    path(
        PROJECT + "uploads/<int:pk>/",
        UploadViewSet.as_view({"get": "retrieve", "delete": "destroy"}),
        name="upload-detail",
    ),
    path(
        PROJECT + "uploads/<int:pk>/parts/",
        UploadViewSet.as_view({"post": "parts"}),
        name="upload-parts",
    ),
    path(
        PROJECT + "uploads/<int:pk>/complete/",
        UploadViewSet.as_view({"post": "complete"}),
        name="upload-complete",
    ),
    path(PROJECT + "media/", MediaViewSet.as_view(LIST), name="media-list"),
    path(PROJECT + "media/<int:pk>/", MediaViewSet.as_view(DETAIL), name="media-detail"),
    path(
        PROJECT + "media/<int:pk>/link/", MediaViewSet.as_view({"get": "link"}), name="media-link"
    ),
    path(PROJECT + "cut-imports/", CutImportViewSet.as_view(LIST_CREATE), name="cut-import-list"),
    path(
        PROJECT + "cut-imports/<int:pk>/",
        CutImportViewSet.as_view(DETAIL),
        name="cut-import-detail",
    ),
    path(
        PROJECT + "cut-imports/<int:pk>/apply/",
        CutImportViewSet.as_view({"post": "apply"}),
        name="cut-import-apply",
    ),
    path(
        PROJECT + "sequences/<int:pk>/export/",
        SequenceExportViewSet.as_view(DETAIL),
        name="sequence-export",
    ),
    path(
        PROJECT + "ai-policy/",
        AIPolicyViewSet.as_view({"get": "retrieve", "put": "update"}),
        name="ai-policy",
    ),
    path(
        PROJECT + "assist/providers/",
        AssistViewSet.as_view({"get": "providers"}),
        name="assist-providers",
    ),
    path(
        PROJECT + "assist/task-list/",
        AssistViewSet.as_view({"post": "task_list"}),
        name="assist-task-list",
    ),
    path(
        PROJECT + "assist/summary/",
        AssistViewSet.as_view({"post": "summary"}),
        name="assist-summary",
    ),
    path(
        PROJECT + "assist/rewrite/",
        AssistViewSet.as_view({"post": "rewrite"}),
        name="assist-rewrite",
    ),
    path(PROJECT + "assist/calls/", AssistCallViewSet.as_view(LIST), name="assist-calls"),
    path(PROJECT + "suggestions/", SuggestionViewSet.as_view(LIST), name="suggestion-list"),
    path(
        PROJECT + "suggestions/<int:pk>/",
        SuggestionViewSet.as_view(DETAIL_UPDATE),
        name="suggestion-detail",
    ),
    path(
        PROJECT + "suggestions/<int:pk>/accept/",
        SuggestionViewSet.as_view({"post": "accept"}),
        name="suggestion-accept",
    ),
    path(
        PROJECT + "suggestions/<int:pk>/dismiss/",
        SuggestionViewSet.as_view({"post": "dismiss"}),
        name="suggestion-dismiss",
    ),
    path(ORG + "render/pools/", PoolViewSet.as_view(LIST), name="render-pool-list"),
    path(
        PROJECT + "render-estimate/",
        RenderEstimateViewSet.as_view({"get": "estimate"}),
        name="render-estimate",
    ),
    path(ORG + "render/operations/", OperationViewSet.as_view(LIST), name="render-operation-list"),
    path(
        ORG + "render/operations/<str:name>/",
        OperationViewSet.as_view(DETAIL),
        name="render-operation-detail",
    ),
    path(PROJECT + "render-jobs/", JobViewSet.as_view(LIST_CREATE), name="render-job-list"),
    path(PROJECT + "render-jobs/<int:pk>/", JobViewSet.as_view(DETAIL), name="render-job-detail"),
    path(
        PROJECT + "render-jobs/<int:pk>/cancel/",
        JobViewSet.as_view({"post": "cancel"}),
        name="render-job-cancel",
    ),
    path(
        PROJECT + "render-jobs/<int:pk>/retry/",
        JobViewSet.as_view({"post": "retry"}),
        name="render-job-retry",
    ),
    path(
        PROJECT + "render-jobs/<int:pk>/logs/",
        JobViewSet.as_view({"get": "logs"}),
        name="render-job-logs",
    ),
    path(
        PROJECT + "render-jobs/<int:pk>/provenance/",
        JobViewSet.as_view({"get": "provenance"}),
        name="render-job-provenance",
    ),
    path(
        PROJECT + "versions/<int:pk>/provenance/",
        VersionProvenanceViewSet.as_view(DETAIL),
        name="version-provenance",
    ),
    path("staff/audit/", StaffAuditViewSet.as_view(LIST), name="staff-audit"),
    # Review sessions (apps.review; protocol in docs/review-protocol.md)
    path(
        PROJECT + "review-sessions/",
        ReviewSessionViewSet.as_view(LIST_CREATE),
        name="review-session-list",
    ),
    path(
        ORG + "review-sessions/<int:pk>/",
        ReviewSessionViewSet.as_view({"get": "retrieve", "patch": "partial_update"}),
        name="review-session-detail",
    ),
    path(
        ORG + "review-sessions/<int:pk>/events/",
        ReviewSessionViewSet.as_view({"get": "events"}),
        name="review-session-events",
    ),
    path(
        ORG + "review-sessions/<int:pk>/ticket/",
        ReviewSessionViewSet.as_view({"post": "ticket"}),
        name="review-session-ticket",
    ),
    path(
        ORG + "review-sessions/<int:pk>/export/<str:fmt>/",
        ReviewSessionViewSet.as_view({"get": "export"}),
        name="review-session-export",
    ),
    path(
        ORG + "versions/<int:version_pk>/notes/",
        NoteViewSet.as_view(LIST_CREATE),
        name="review-note-list",
    ),
    path(
        ORG + "versions/<int:version_pk>/notes/export/<str:fmt>/",
        NoteViewSet.as_view({"get": "export"}),
        name="review-note-export",
    ),
    path(ORG + "notes/<int:pk>/", NoteViewSet.as_view(DETAIL_UPDATE), name="review-note-detail"),
    path(
        ORG + "notes/<int:pk>/replies/",
        NoteViewSet.as_view({"get": "reply", "post": "reply"}),
        name="review-reply-list",
    ),
    path(
        ORG + "versions/<int:version_pk>/decisions/",
        DecisionViewSet.as_view(LIST_CREATE),
        name="review-decision-list",
    ),
    path(
        ORG + "review-notifications/",
        NotificationViewSet.as_view(LIST),
        name="review-notification-list",
    ),
    path(ORG + "invitations/", InvitationViewSet.as_view(LIST_CREATE), name="beta-invitation-list"),
    path(
        ORG + "invitations/<int:pk>/",
        InvitationViewSet.as_view(DETAIL_DESTROY),
        name="beta-invitation-detail",
    ),
    path(ORG + "feedback/", FeedbackViewSet.as_view(LIST_CREATE), name="beta-feedback-list"),
    path(ORG + "feedback/<int:pk>/", FeedbackViewSet.as_view(DETAIL), name="beta-feedback-detail"),
    path(ORG + "features/", FeatureViewSet.as_view(LIST), name="beta-feature-list"),
    path(
        "staff/beta/partners/",
        StaffPartnerViewSet.as_view(LIST_CREATE),
        name="beta-staff-partner-list",
    ),
    path(
        "staff/beta/partners/<slug:org>/",
        StaffPartnerViewSet.as_view(DETAIL_UPDATE),
        name="beta-staff-partner-detail",
    ),
    path("staff/beta/report/", StaffReportViewSet.as_view(LIST), name="beta-staff-report"),
]
