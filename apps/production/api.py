from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import django_filters
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_serializer
from rest_framework import mixins, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.errors import NotFound, ValidationFailed
from apps.production import selectors, services
from apps.production.models import Project, Sequence, Shot
from apps.production.read_cache import cached_shot_read
from apps.tenancy.viewsets import OrganizationScopedViewSet


class ProjectSerializer(serializers.ModelSerializer[Project]):
    frame_rate = serializers.SerializerMethodField()
    shot_count = serializers.IntegerField(read_only=True)
    owner = serializers.CharField(source="organization.slug", read_only=True)

    class Meta:
        model = Project
        fields = [
            "id",
            "name",
            "code",
            "description",
            "frame_rate",
            "width",
            "height",
            "working_color_space",
            "start_timecode",
            "watermark_reviews",
            "burn_in_timecode",
            "owner",
            "shot_count",
            "created_at",
        ]

    def get_frame_rate(self, project: Project) -> str:
        return str(project.frame_rate)


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A UHD feature",
            value={
                "name": "Harbour Lights",
                "code": "HBL",
                "description": "Feature, 38 VFX shots.",
                "frame_rate": "24000/1001",
                "width": 3840,
                "height": 2160,
                "working_color_space": "ACEScg",
                "start_timecode": "01:00:00:00",
                "watermark_reviews": True,
                "burn_in_timecode": False,
            },
            request_only=True,
        ),
    ]
)
class ProjectCreateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200)
    code = serializers.CharField(max_length=32, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    frame_rate = serializers.CharField(
        required=False, default="24", help_text="Exact fraction such as 24, 25 or 24000/1001."
    )
    width = serializers.IntegerField(required=False, default=1920)
    height = serializers.IntegerField(required=False, default=1080)
    working_color_space = serializers.CharField(
        required=False,
        default="ACEScg",
        help_text="A colour space of OpenColorIO's built-in ACES studio config.",
    )
    start_timecode = serializers.CharField(
        required=False, default="01:00:00:00", help_text="HH:MM:SS:FF (';' for drop-frame)."
    )
    watermark_reviews = serializers.BooleanField(required=False, default=False)
    burn_in_timecode = serializers.BooleanField(required=False, default=False)


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Rename",
            value={
                "name": "Harbour Lights (director's cut)",
                "description": "Feature, 41 VFX shots.",
            },
            request_only=True,
        ),
    ]
)
class ProjectUpdateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)


class ProjectViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrganizationScopedViewSet):
    model = Project
    serializer_class = ProjectSerializer
    search_fields = ["name", "code"]
    ordering_fields = ["name", "created_at"]

    def scoped_queryset(self) -> Any:
        return selectors.projects_visible().select_related("organization")

    @extend_schema(request=ProjectCreateSerializer, responses={201: ProjectSerializer})
    def create(self, request: Request, **kwargs: Any) -> Response:
        payload = ProjectCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        project = services.project_create(actor=request.user, **payload.validated_data)
        return Response(
            ProjectSerializer(self.get_queryset().get(pk=project.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=ProjectUpdateSerializer, responses={200: ProjectSerializer})
    def partial_update(self, request: Request, **kwargs: Any) -> Response:
        project = self.get_object()
        payload = ProjectUpdateSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        services.project_update(actor=request.user, project=project, **payload.validated_data)
        return Response(ProjectSerializer(self.get_queryset().get(pk=project.pk)).data)


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A sequence",
            value={"code": "SEQ020", "name": "Harbour chase"},
            request_only=True,
        ),
    ]
)
class SequenceSerializer(serializers.ModelSerializer[Sequence]):
    shot_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Sequence
        fields = ["id", "project", "code", "name", "shot_count", "created_at"]
        read_only_fields = ["id", "project", "shot_count", "created_at"]


class SequenceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrganizationScopedViewSet):
    model = Sequence
    serializer_class = SequenceSerializer

    def scoped_queryset(self) -> Any:
        project = selectors.access_project_by_id(int(self.kwargs["project_pk"]))
        return selectors.sequences_of_project(project)

    @extend_schema(request=SequenceSerializer, responses={201: SequenceSerializer})
    def create(self, request: Request, **kwargs: Any) -> Response:
        project = selectors.access_project_by_id(int(self.kwargs["project_pk"]))
        payload = SequenceSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        sequence = services.sequence_create(
            actor=request.user,
            project=project,
            code=payload.validated_data["code"],
            name=payload.validated_data.get("name", ""),
        )
        return Response(
            SequenceSerializer(self.get_queryset().get(pk=sequence.pk)).data,
            status=status.HTTP_201_CREATED,
        )


class ShotSerializer(serializers.ModelSerializer[Shot]):
    sequence_code = serializers.CharField(source="sequence.code", read_only=True)
    frame_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Shot
        fields = [
            "id",
            "project",
            "sequence",
            "sequence_code",
            "code",
            "description",
            "cut_in",
            "cut_out",
            "frame_count",
            "created_at",
        ]
        read_only_fields = [
            "id",
            "project",
            "sequence",
            "sequence_code",
            "frame_count",
            "created_at",
        ]


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A shot of 96 frames",
            value={
                "sequence": 1,
                "code": "SH0040",
                "description": "Wide on the harbour, add fog.",
                "cut_in": 1001,
                "cut_out": 1096,
            },
            description="`sequence` is the id of a sequence of this project;"
            " `cut_in` and `cut_out` are inclusive frame numbers.",
            request_only=True,
        ),
    ]
)
class ShotCreateSerializer(ShotSerializer):
    """The request of shot creation: the shot's fields plus the sequence it goes in."""

    sequence = serializers.IntegerField(help_text="A sequence of this project.")

    class Meta(ShotSerializer.Meta):
        read_only_fields = [f for f in ShotSerializer.Meta.read_only_fields if f != "sequence"]


class ShotFilter(django_filters.FilterSet):
    sequence = django_filters.NumberFilter(field_name="sequence_id")


def _timestamp(value: datetime) -> str:
    """As DRF's DateTimeField writes it (UTC, "Z")."""
    text = value.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def shot_row_data(row: tuple[Any, ...]) -> dict[str, Any]:
    """ShotSerializer's output from a `selectors.SHOT_ROW_COLUMNS` row, without building a
    model instance or running a serializer (the list of 1000 spent most of its time there)."""
    shot_id, _, project_id, sequence_id, sequence_code, code, description, first, last, at = row
    return {
        "id": shot_id,
        "project": project_id,
        "sequence": sequence_id,
        "sequence_code": sequence_code,
        "code": code,
        "description": description,
        "cut_in": first,
        "cut_out": last,
        "frame_count": last - first + 1,
        "created_at": _timestamp(at),
    }


class ShotViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrganizationScopedViewSet):
    model = Shot
    serializer_class = ShotSerializer
    filterset_class = ShotFilter
    search_fields = ["code", "description"]

    def scoped_queryset(self) -> Any:
        project = selectors.access_project_by_id(int(self.kwargs["project_pk"]))
        return selectors.shots_visible().filter(project=project)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        rows = selectors.shot_rows(self.filter_queryset(self.get_queryset()))
        page = self.paginate_queryset(rows)
        return self.get_paginated_response([shot_row_data(row) for row in page or []])

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        project_id, shot_id = int(kwargs["project_pk"]), int(kwargs["pk"])

        def read() -> tuple[int, int, dict[str, Any]] | None:
            # One query: a shot of another project, or not visible, is no row.
            row = selectors.shot_row_by_id(project_id, shot_id)
            return (row[1], row[2], shot_row_data(row)) if row is not None else None

        data = cached_shot_read(project_id, shot_id, read)
        if data is None:
            raise NotFound("Shot not found.")
        return Response(data)

    @extend_schema(request=ShotCreateSerializer, responses={201: ShotSerializer})
    def create(self, request: Request, **kwargs: Any) -> Response:
        project = selectors.access_project_by_id(int(self.kwargs["project_pk"]))
        payload = ShotSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        sequence_id = str(request.data.get("sequence") or "")
        sequence = (
            selectors.sequence_of_project(project, int(sequence_id))
            if sequence_id.isdigit()
            else None
        )
        if sequence is None:
            raise ValidationFailed("Choose a sequence of this project.", field="sequence")
        shot = services.shot_create(actor=request.user, sequence=sequence, **payload.validated_data)
        row = tuple(
            getattr(shot, column) if column != "sequence__code" else sequence.code
            for column in selectors.SHOT_ROW_COLUMNS
        )
        return Response(shot_row_data(row), status=status.HTTP_201_CREATED)
