"""REST API of the beta program: a partner's invitations, feedback and feature switches."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_serializer
from rest_framework import mixins, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from apps.beta import reports, selectors
from apps.beta.features import FEATURES
from apps.beta.feedback import feedback_create
from apps.beta.invitations import invitation_create, invitation_revoke, partner_invite
from apps.beta.models import BetaProfile, BetaStatus, Feedback, FeedbackSubject, Invitation
from apps.beta.suspension import beta_profile_update
from apps.core.errors import NotFound
from apps.tenancy.models import PARTNER_ROLES
from apps.tenancy.policy import Capability
from apps.tenancy.selectors import is_beta_admin
from apps.tenancy.viewsets import OrganizationScopedViewSet, UserScopedViewSet


class InvitationSerializer(serializers.ModelSerializer[Invitation]):
    state = serializers.CharField(read_only=True)
    invited_by = serializers.EmailField(source="invited_by.email", read_only=True, default=None)

    class Meta:
        model = Invitation
        fields = [
            "id",
            "email",
            "role",
            "state",
            "invited_by",
            "created_at",
            "expires_at",
            "sent_count",
            "accepted_at",
            "revoked_at",
        ]
        read_only_fields = fields


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Invite an artist",
            value={"email": "lena.park@example.com", "role": "artist"},
            request_only=True,
        ),
    ]
)
class InvitationCreateSerializer(serializers.Serializer[Any]):
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=sorted(PARTNER_ROLES))


class InvitationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, OrganizationScopedViewSet
):
    """Invitations of a partner. Only its owner lists, creates and revokes them; the seat
    and invite quotas are enforced under a row lock (409 when exceeded)."""

    model = Invitation
    serializer_class = InvitationSerializer
    read_capability = Capability.BETA_ACCOUNT
    write_capability = Capability.BETA_ACCOUNT

    def scoped_queryset(self) -> Any:
        return selectors.invitations_of_current_organization()

    @extend_schema(request=InvitationCreateSerializer, responses={201: InvitationSerializer})
    def create(self, request: Request, **kwargs: Any) -> Response:
        payload = InvitationCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        invitation, _ = invitation_create(
            organization=self.organization,
            email=payload.validated_data["email"],
            role=payload.validated_data["role"],
            actor=request.user,
            base_url=request.build_absolute_uri("/"),
        )
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: InvitationSerializer})
    def destroy(self, request: Request, **kwargs: Any) -> Response:
        invitation = selectors.access_invitation_by_id(int(self.kwargs["pk"]))
        invitation = invitation_revoke(invitation=invitation, actor=request.user)
        return Response(InvitationSerializer(invitation).data)


class FeedbackSerializer(serializers.ModelSerializer[Feedback]):
    user = serializers.EmailField(source="user.email", read_only=True)

    class Meta:
        model = Feedback
        fields = [
            "id",
            "user",
            "rating",
            "text",
            "subject_type",
            "subject_id",
            "page_path",
            "created_at",
        ]
        read_only_fields = ["id", "user", "created_at"]


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "About a page",
            value={"rating": 4, "text": "The upload dialog is clear.", "page_path": "/projects/"},
            request_only=True,
        ),
        OpenApiExample(
            "About a version",
            value={
                "rating": 2,
                "text": "The proxy took a long time to appear.",
                "subject_type": "version",
                "subject_id": 1,
            },
            description="`subject_id` is the id of the version or render job named by"
            " `subject_type`; leave it out for a page.",
            request_only=True,
        ),
    ]
)
class FeedbackCreateSerializer(serializers.Serializer[Any]):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    text = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    subject_type = serializers.ChoiceField(
        choices=FeedbackSubject.choices, default=FeedbackSubject.PAGE
    )
    subject_id = serializers.IntegerField(required=False, allow_null=True)
    page_path = serializers.CharField(required=False, allow_blank=True, max_length=300)


class FeedbackViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrganizationScopedViewSet):
    """Beta feedback (1 to 5 plus text) about a page, a version or a render job. Every member
    may send it; owners and producers read their partner's feedback."""

    model = Feedback
    serializer_class = FeedbackSerializer
    read_capability = Capability.FEEDBACK_READ
    write_capability = Capability.FEEDBACK_SEND

    def scoped_queryset(self) -> Any:
        return selectors.feedback_of_current_organization()

    @extend_schema(request=FeedbackCreateSerializer, responses={201: FeedbackSerializer})
    def create(self, request: Request, **kwargs: Any) -> Response:
        payload = FeedbackCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        feedback = feedback_create(user=request.user, **payload.validated_data)
        return Response(FeedbackSerializer(feedback).data, status=status.HTTP_201_CREATED)


class FeatureSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    title = serializers.CharField()
    enabled = serializers.BooleanField()


class FeatureViewSet(OrganizationScopedViewSet):
    """Which beta features (e.g. AI operations `op.<name>`) this partner has."""

    model = Invitation  # only for the schema generator; nothing is queried through it
    serializer_class = FeatureSerializer
    pagination_class = None

    @extend_schema(responses={200: FeatureSerializer(many=True)})
    def list(self, request: Request, **kwargs: Any) -> Response:
        states = selectors.feature_states(self.organization)
        data = [
            {"key": key, "title": FEATURES[key].label, "enabled": enabled}
            for key, enabled in states.items()
        ]
        return Response(FeatureSerializer(data, many=True).data)


# --- Staff (beta admins): partners and the results report ---------------------------------


_STATUS_HELP = "Beta status: " + ", ".join(BetaStatus.values) + "."


def _require_beta_admin(request: Request) -> None:
    if not is_beta_admin(request.user):
        raise NotFound("Not found.")


class StaffPartnerSerializer(serializers.Serializer[Any]):
    slug = serializers.SlugField(source="partner.slug")
    name = serializers.CharField(source="partner.name")
    status = serializers.CharField(help_text=_STATUS_HELP)
    status_reason = serializers.CharField()
    cohort = serializers.CharField(source="cohort.name", allow_null=True, default=None)
    seat_quota = serializers.IntegerField()
    invite_quota = serializers.IntegerField()


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A new partner",
            value={
                "name": "Northlight Pictures",
                "owner_email": "producer@northlight.example",
                "seat_quota": 5,
                "invite_quota": 10,
            },
            request_only=True,
        ),
    ]
)
class StaffPartnerCreateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200)
    owner_email = serializers.EmailField()
    cohort = serializers.IntegerField(required=False, allow_null=True)
    seat_quota = serializers.IntegerField(min_value=1, max_value=10_000, default=5)
    invite_quota = serializers.IntegerField(min_value=0, max_value=10_000, default=10)


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Activate",
            value={"status": "active", "reason": "Onboarding call done."},
            request_only=True,
        ),
        OpenApiExample(
            "Raise the quotas", value={"seat_quota": 10, "invite_quota": 20}, request_only=True
        ),
    ]
)
class StaffPartnerUpdateSerializer(serializers.Serializer[Any]):
    status = serializers.CharField(required=False, help_text=_STATUS_HELP)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300)
    cohort = serializers.IntegerField(required=False, allow_null=True)
    seat_quota = serializers.IntegerField(required=False, min_value=0, max_value=10_000)
    invite_quota = serializers.IntegerField(required=False, min_value=0, max_value=10_000)


class StaffPartnerViewSet(UserScopedViewSet):
    """Beta admins: every partner's beta status, cohort and quotas. Setting the status to
    `suspended` suspends the partner in one step (sessions, tokens, sockets, jobs)."""

    model = BetaProfile
    serializer_class = StaffPartnerSerializer
    lookup_field = "org"

    def list(self, request: Request) -> Response:
        _require_beta_admin(request)
        profiles = [profile for _, profile in selectors.partner_rows()]
        page: Any = self.paginate_queryset(profiles)  # type: ignore[arg-type]
        return self.get_paginated_response(StaffPartnerSerializer(page, many=True).data)

    @extend_schema(request=StaffPartnerCreateSerializer, responses={201: StaffPartnerSerializer})
    def create(self, request: Request) -> Response:
        _require_beta_admin(request)
        payload = StaffPartnerCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        organization, _ = partner_invite(
            name=data["name"],
            owner_email=data["owner_email"],
            actor=request.user,
            cohort_id=data.get("cohort"),
            seat_quota=data["seat_quota"],
            invite_quota=data["invite_quota"],
            base_url=request.build_absolute_uri("/"),
        )
        profile = selectors.beta_profile_of(organization)
        return Response(StaffPartnerSerializer(profile).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request: Request, org: str) -> Response:
        _require_beta_admin(request)
        return Response(StaffPartnerSerializer(self._profile(org)).data)

    @extend_schema(request=StaffPartnerUpdateSerializer, responses={200: StaffPartnerSerializer})
    def partial_update(self, request: Request, org: str) -> Response:
        _require_beta_admin(request)
        profile = self._profile(org)
        payload = StaffPartnerUpdateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        beta_profile_update(
            organization=profile.partner,
            actor=request.user,
            status=data.get("status"),
            cohort_id=data.get("cohort", ""),
            seat_quota=data.get("seat_quota"),
            invite_quota=data.get("invite_quota"),
            reason=data.get("reason", ""),
        )
        return Response(StaffPartnerSerializer(self._profile(org)).data)

    def _profile(self, slug: str) -> BetaProfile:
        for organization, profile in selectors.partner_rows():
            if organization.slug == slug:
                profile.partner = organization
                return profile
        raise NotFound("Partner not found.")


class StaffReportViewSet(UserScopedViewSet):
    """Beta admins: the results report as JSON (the page and CSV are under /staff/beta/)."""

    model = BetaProfile
    pagination_class = None

    @extend_schema(responses={200: dict})
    def list(self, request: Request) -> Response:
        _require_beta_admin(request)
        report = reports.results_report()

        def row(item: reports.Row) -> dict[str, Any]:
            return {
                "name": item.label,
                "cohort": item.cohort,
                "status": item.status,
                "partners": item.partners,
                "seats_used": item.seats_used,
                "seat_quota": item.seat_quota,
                "uploads": item.uploads,
                "versions": item.versions,
                "approvals": item.approvals,
                "median_hours_first_version_to_approval": item.median_hours_to_approval,
                "jobs_by_operation": item.jobs_by_operation,
                "gpu_hours": item.gpu_hours,
                "review_sessions": item.review_sessions,
                "notes": item.notes,
                "feedback_count": item.feedback_count,
                "feedback_average": item.feedback_average,
            }

        return Response(
            {
                "partners": [row(item) for item in report.partners],
                "cohorts": [row(item) for item in report.cohorts],
                "total": row(report.total),
                "feedback_by_week": [
                    {"week": week.isoformat(), "average": average, "count": count}
                    for week, average, count in report.feedback_by_week
                ],
                "not_available": report.unavailable,
            }
        )
