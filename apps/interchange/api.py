from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.errors import NotFound, ValidationFailed
from apps.interchange import edit, selectors, services
from apps.interchange.models import CutImport
from apps.production.models import Sequence
from apps.production.selectors import access_project_by_id, sequences_of_project
from apps.tenancy.viewsets import OrganizationScopedViewSet


class CutImportSerializer(serializers.ModelSerializer[CutImport]):
    class Meta:
        model = CutImport
        fields = [
            "id",
            "project",
            "sequence_code",
            "filename",
            "format",
            "timeline_name",
            "state",
            "plan",
            "not_placed",
            "markers",
            "omitted",
            "warnings",
            "created_at",
            "applied_at",
        ]
        read_only_fields = fields


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A CMX 3600 EDL",
            value={
                "file": "TITLE: REEL 2\nFCM: NON-DROP FRAME\n\n001  A001C003 V     C        "
                "01:00:00:00 01:00:04:00 01:00:00:00 01:00:04:00\n* FROM CLIP NAME: SH0010\n",
                "sequence_code": "SEQ010",
                "format": "edl",
            },
            description="`file` is the edit file (multipart); `format` is detected from the"
            " file name when omitted.",
            request_only=True,
            media_type="multipart/form-data",
        ),
    ]
)
class CutImportUploadSerializer(serializers.Serializer[Any]):
    file = serializers.FileField()
    sequence_code = serializers.CharField(max_length=32)
    format = serializers.ChoiceField(
        choices=sorted(edit.READ_ADAPTERS),
        required=False,
        help_text="Detected from the file when omitted.",
    )


class CutImportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrganizationScopedViewSet):
    """Import an edit (OTIO, CMX 3600 EDL, FCP7 XML, FCPX XML): preview first, then apply."""

    model = CutImport
    serializer_class = CutImportSerializer
    parser_classes = [MultiPartParser, FormParser]

    def scoped_queryset(self) -> Any:
        project = access_project_by_id(int(self.kwargs["project_pk"]))
        return selectors.cut_imports_of_project(project)

    @extend_schema(
        request={"multipart/form-data": CutImportUploadSerializer},
        responses={201: CutImportSerializer},
    )
    def create(self, request: Request, **kwargs: Any) -> Response:
        project = access_project_by_id(int(self.kwargs["project_pk"]))
        payload = CutImportUploadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        upload = payload.validated_data["file"]
        cut_import = services.cut_import_preview(
            actor=request.user,
            project=project,
            filename=upload.name or "edit",
            data=upload.read(services.MAX_EDIT_BYTES + 1),
            sequence_code=payload.validated_data["sequence_code"],
            fmt=payload.validated_data.get("format", ""),
        )
        return Response(CutImportSerializer(cut_import).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: CutImportSerializer})
    @action(detail=True, methods=["post"])
    def apply(self, request: Request, **kwargs: Any) -> Response:
        cut_import = services.cut_import_apply(actor=request.user, cut_import=self.get_object())
        return Response(CutImportSerializer(cut_import).data)


class SequenceExportViewSet(OrganizationScopedViewSet):
    model = Sequence

    @extend_schema(
        # Not "format": DRF reserves that query parameter for renderer selection.
        parameters=[OpenApiParameter("type", str, enum=list(edit.EXPORT_TYPES), default="edl")],
        responses={(200, "text/plain"): OpenApiTypes.STR},
    )
    def retrieve(self, request: Request, **kwargs: Any) -> HttpResponse:
        project = access_project_by_id(int(self.kwargs["project_pk"]))
        sequence = sequences_of_project(project).filter(pk=int(self.kwargs["pk"])).first()
        if sequence is None:
            raise NotFound("Sequence not found.")
        fmt = request.query_params.get("type", "edl")
        if fmt not in edit.EXPORT_TYPES:
            raise ValidationFailed(
                f"type must be one of {', '.join(edit.EXPORT_TYPES)}.", field="type"
            )
        filename, text = services.sequence_export(actor=request.user, sequence=sequence, fmt=fmt)
        response = HttpResponse(text, content_type=edit.CONTENT_TYPES[fmt])
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
