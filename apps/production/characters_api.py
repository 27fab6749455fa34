"""Characters over the REST API (thin: writes go through apps.production.characters).

A character's reference stills are media of kind reference: upload them with
`POST .../uploads/ {"character": <id>, ...}` and list them with `GET .../media/?character=<id>`.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_serializer
from rest_framework import mixins, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from apps.production import characters, selectors
from apps.production.models import Character
from apps.tenancy.policy import Capability
from apps.tenancy.viewsets import OrganizationScopedViewSet


class ConsentSummarySerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    talent_name = serializers.CharField()
    scopes = serializers.ListField(child=serializers.CharField())
    valid_from = serializers.DateField()
    valid_until = serializers.DateField()
    revoked = serializers.SerializerMethodField()

    def get_revoked(self, record: Any) -> bool:
        return record.revoked_at is not None


class CharacterSerializer(serializers.ModelSerializer[Character]):
    consent = serializers.IntegerField(
        source="consent_id",
        read_only=True,
        allow_null=True,
        help_text="The consent record chosen for this character (may be null).",
    )
    active_consent = serializers.SerializerMethodField(
        help_text="The likeness consent in force today, or null: character consistency is"
        " refused without one."
    )

    class Meta:
        model = Character
        fields = [
            "id",
            "project",
            "name",
            "talent_name",
            "description",
            "consent",
            "active_consent",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema(responses=ConsentSummarySerializer)
    def get_active_consent(self, character: Character) -> dict[str, Any] | None:
        record = selectors.character_active_consent(character)
        return dict(ConsentSummarySerializer(record).data) if record is not None else None


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A character",
            value={
                "name": "Captain Mara Vey",
                "talent_name": "Ana Ortiz",
                "description": "Lead; digital double in the storm sequence.",
            },
            description="`consent` (optional) is the id of an active likeness consent record"
            " of this project; null clears it.",
            request_only=True,
        ),
    ]
)
class CharacterWriteSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200, required=False)
    talent_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    consent = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="Id of an active likeness consent record of the project; null clears it.",
    )


class CharacterViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrganizationScopedViewSet):
    """A project's characters and the consent their likeness depends on."""

    model = Character
    serializer_class = CharacterSerializer
    write_capability = Capability.PRODUCTION_WRITE
    search_fields = ["name", "talent_name"]

    def _project(self) -> Any:
        return selectors.access_project_by_id(int(self.kwargs["project_pk"]))

    def scoped_queryset(self) -> Any:
        return selectors.characters_of_project_with_consent(self._project())

    @extend_schema(request=CharacterWriteSerializer, responses={201: CharacterSerializer})
    def create(self, request: Request, **kwargs: Any) -> Response:
        project = self._project()
        payload = CharacterWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        character = characters.character_create(
            actor=self.membership,
            project=project,
            name=data.get("name", ""),
            talent_name=data.get("talent_name", ""),
            description=data.get("description", ""),
            consent_id=data.get("consent"),
        )
        return Response(
            CharacterSerializer(self.get_queryset().get(pk=character.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=CharacterWriteSerializer, responses={200: CharacterSerializer})
    def partial_update(self, request: Request, **kwargs: Any) -> Response:
        character = selectors.access_character_by_id(
            int(self.kwargs["pk"]), project=self._project()
        )
        payload = CharacterWriteSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        characters.character_update(
            actor=self.membership,
            character=character,
            name=data.get("name"),
            talent_name=data.get("talent_name"),
            description=data.get("description"),
            consent_id=data.get("consent"),
            clear_consent="consent" in data and data["consent"] is None,
        )
        return Response(CharacterSerializer(self.get_queryset().get(pk=character.pk)).data)
