from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_serializer
from rest_framework import mixins, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts import selectors, services
from apps.accounts.models import ApiToken, User
from apps.tenancy.selectors import memberships_of_user
from apps.tenancy.viewsets import UserScopedViewSet


class MembershipSummarySerializer(serializers.Serializer[Any]):
    organization = serializers.CharField(source="organization.slug")
    organization_name = serializers.CharField(source="organization.name")
    organization_kind = serializers.CharField(source="organization.kind")
    role = serializers.CharField()


class MeSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    display_name = serializers.CharField()
    memberships = MembershipSummarySerializer(many=True)


class MeViewSet(UserScopedViewSet):
    model = User
    serializer_class = MeSerializer
    pagination_class = None

    def retrieve(self, request: Request) -> Response:
        user = request.user
        data = {
            "id": user.pk,
            "email": user.email,  # type: ignore[union-attr]
            "display_name": user.display_name,  # type: ignore[union-attr]
            "memberships": memberships_of_user(user),
        }
        return Response(MeSerializer(data).data)


class ApiTokenSerializer(serializers.ModelSerializer[ApiToken]):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at"]
        read_only_fields = fields


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A token for a pipeline",
            value={"name": "Nuke publish script", "expires_at": "2027-01-01T00:00:00Z"},
            request_only=True,
        ),
        OpenApiExample("A token without expiry", value={"name": "Farm monitor"}, request_only=True),
    ]
)
class ApiTokenCreateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=100)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    token = serializers.CharField(read_only=True, help_text="Shown once; store it now.")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]
        read_only_fields = fields


class ApiTokenViewSet(mixins.ListModelMixin, UserScopedViewSet):
    model = ApiToken
    serializer_class = ApiTokenSerializer

    def scoped_queryset(self) -> Any:
        return selectors.api_tokens_of_user(user=self.request.user)  # type: ignore[arg-type]

    @extend_schema(request=ApiTokenCreateSerializer, responses={201: ApiTokenCreatedSerializer})
    def create(self, request: Request) -> Response:
        payload = ApiTokenCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        token, plain = services.api_token_create(user=request.user, **payload.validated_data)  # type: ignore[arg-type]
        token.token = plain  # type: ignore[attr-defined]
        return Response(ApiTokenCreatedSerializer(token).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request: Request, pk: str) -> Response:
        token = selectors.access_api_token_by_id(request.user, int(pk))  # type: ignore[arg-type]
        return Response(ApiTokenSerializer(token).data)

    @extend_schema(responses={200: ApiTokenSerializer})
    def destroy(self, request: Request, pk: str) -> Response:
        token = selectors.access_api_token_by_id(request.user, int(pk))  # type: ignore[arg-type]
        services.api_token_revoke(user=request.user, token=token)  # type: ignore[arg-type]
        return Response(ApiTokenSerializer(token).data)
