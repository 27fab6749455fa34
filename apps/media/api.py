"""Uploads and media over the REST API (thin: writes go through apps.media.uploads and links)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import mixins, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.errors import ValidationFailed
from apps.media import links, selectors, sequence_uploads, uploads
from apps.media.models import UPLOAD_KIND_CHOICES, MediaFile, MediaKind
from apps.production.selectors import (
    access_character_by_id,
    access_project_by_id,
    access_shot_by_id,
)
from apps.tenancy.policy import Capability
from apps.tenancy.viewsets import OrganizationScopedViewSet


class MediaSerializer(serializers.ModelSerializer[MediaFile]):
    frame_rate = serializers.SerializerMethodField()
    version_label = serializers.SerializerMethodField()

    class Meta:
        model = MediaFile
        fields = [
            "id",
            "project",
            "shot",
            "version",
            "version_label",
            "character",
            "derived_from",
            "viewer",
            "kind",
            "state",
            "rejection_reason",
            "original_filename",
            "content_type",
            "declared_content_type",
            "size",
            "sha256",
            "codec",
            "width",
            "height",
            "frame_rate",
            "frame_count",
            "duration_seconds",
            "pixel_format",
            "color_space",
            "color_tags",
            "probe",
            "proxy_status",
            "proxy_progress",
            "proxy_error",
            "created_at",
            "uploaded_at",
            "validated_at",
        ]
        read_only_fields = fields

    def get_frame_rate(self, media: MediaFile) -> str | None:
        if not media.frame_rate_numerator or not media.frame_rate_denominator:
            return None
        if media.frame_rate_denominator == 1:
            return str(media.frame_rate_numerator)
        return f"{media.frame_rate_numerator}/{media.frame_rate_denominator}"

    def get_version_label(self, media: MediaFile) -> str | None:
        return media.version.label if media.version_id and media.version else None


class UploadSerializer(serializers.ModelSerializer[MediaFile]):
    class Meta:
        model = MediaFile
        fields = [
            "id",
            "shot",
            "character",
            "kind",
            "state",
            "rejection_reason",
            "original_filename",
            "size",
            "part_size",
            "part_count",
            "color_space",
            "version",
            "created_at",
        ]
        read_only_fields = fields


class UploadStatusSerializer(UploadSerializer):
    parts_stored = serializers.SerializerMethodField()

    class Meta(UploadSerializer.Meta):
        fields = [*UploadSerializer.Meta.fields, "parts_stored"]
        read_only_fields = fields

    def get_parts_stored(self, media: MediaFile) -> list[dict[str, int]]:
        if sequence_uploads.is_sequence_upload(media):
            return sequence_uploads.sequence_frames_stored(media)
        return selectors.upload_parts_stored(media)


class UploadCreatedSerializer(UploadSerializer):
    """Documents the upload start answer: the upload plus the server's size limit."""

    max_upload_bytes = serializers.IntegerField(
        read_only=True, help_text="The largest file this server accepts, in bytes."
    )

    class Meta(UploadSerializer.Meta):
        fields = [*UploadSerializer.Meta.fields, "max_upload_bytes"]
        read_only_fields = fields


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A plate for a shot",
            value={
                "shot": 1,
                "filename": "A001C003_harbour_plate.mov",
                "size": 734003200,
                "kind": "plate",
                "color_space": "",
            },
            description="Name `shot` (the new file becomes a version of it) or `character`"
            " (a reference still of that character), not both.",
            request_only=True,
        ),
    ]
)
class UploadStartSerializer(serializers.Serializer[Any]):
    shot = serializers.IntegerField(required=False, help_text="The shot of the new version.")
    character = serializers.IntegerField(
        required=False,
        help_text="Instead of a shot: the character this reference still belongs to.",
    )
    filename = serializers.CharField(max_length=255, required=False)
    size = serializers.IntegerField(required=False, help_text="Exact size of the file in bytes.")
    frames = serializers.ListField(
        child=inline_serializer(
            "SequenceFrame",
            {"name": serializers.CharField(max_length=255), "size": serializers.IntegerField()},
        ),
        required=False,
        help_text="Instead of filename and size: the frames of an image sequence"
        " (name.####.exr...), uploaded as one version; part i is frame i in frame order.",
    )
    allow_holds = serializers.BooleanField(
        default=False, help_text="Accept missing frames of a sequence as holds."
    )
    kind = serializers.ChoiceField(choices=UPLOAD_KIND_CHOICES, default=MediaKind.PLATE.value)
    color_space = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="OCIO colour space of the source (ACES studio config); blank = automatic.",
    )
    content_type = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=100,
        help_text="The type the client declares: recorded only; the server decides by content.",
    )


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "The first two parts",
            value={"parts": [1, 2]},
            description="1-based part numbers of the layout the upload start answered.",
            request_only=True,
        ),
    ]
)
class PartsRequestSerializer(serializers.Serializer[Any]):
    parts = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)


class UploadViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrganizationScopedViewSet):
    """Direct-to-S3 multipart uploads. Start (the server picks the key and part layout),
    ask for presigned part URLs, PUT the parts to S3, complete. `GET` on an upload lists
    the parts S3 already holds, so a client resumes by sending only the others."""

    model = MediaFile
    serializer_class = UploadSerializer
    write_capability = Capability.MEDIA_UPLOAD

    def scoped_queryset(self) -> Any:
        project = access_project_by_id(int(self.kwargs["project_pk"]))
        shot_id = self.request.query_params.get("shot", "")
        shot = access_shot_by_id(int(shot_id)) if shot_id.isdigit() else None
        character_id = self.request.query_params.get("character", "")
        character = (
            access_character_by_id(int(character_id), project=project)
            if character_id.isdigit()
            else None
        )
        return selectors.uploads_in_progress(project=project, shot=shot, character=character)

    def _upload(self) -> MediaFile:
        project = access_project_by_id(int(self.kwargs["project_pk"]))
        return selectors.access_media_by_id(int(self.kwargs["pk"]), project=project)

    @extend_schema(
        parameters=[
            OpenApiParameter("shot", int, description="Only uploads for this shot."),
            OpenApiParameter("character", int, description="Only uploads for this character."),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={200: UploadStatusSerializer})
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(UploadStatusSerializer(self._upload()).data)

    @extend_schema(request=UploadStartSerializer, responses={201: UploadCreatedSerializer})
    def create(self, request: Request, **kwargs: Any) -> Response:
        project = access_project_by_id(int(self.kwargs["project_pk"]))
        payload = UploadStartSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        shot = character = None
        if data.get("character") is not None:
            if data.get("shot") is not None:
                raise ValidationFailed("Give a shot or a character, not both.", field="character")
            character = access_character_by_id(data["character"], project=project)
        elif data.get("shot") is not None:
            shot = access_shot_by_id(data["shot"])
            if shot.project_id != project.pk:
                raise ValidationFailed("Choose a shot of this project.", field="shot")
        else:
            raise ValidationFailed("Give the shot (or the character) to upload to.", field="shot")
        if data.get("frames"):
            if shot is None:
                raise ValidationFailed("A sequence is uploaded to a shot.", field="shot")
            media = sequence_uploads.sequence_upload_start(
                actor=request.user,
                shot=shot,
                frames=data["frames"],
                kind=MediaKind(data["kind"]),
                color_space=data["color_space"],
                allow_holds=data["allow_holds"],
                declared_content_type=data["content_type"],
            )
            body = dict(UploadSerializer(media).data)
            body["max_upload_bytes"] = settings.MEDIA_MAX_UPLOAD_BYTES
            return Response(body, status=status.HTTP_201_CREATED)
        if not data.get("filename") or data.get("size") is None:
            raise ValidationFailed("Give the filename and size (or the frames).", field="filename")
        media = uploads.upload_start(
            actor=request.user,
            shot=shot,
            character=character,
            filename=data["filename"],
            size=data["size"],
            kind=MediaKind(data["kind"]),
            color_space=data["color_space"],
            declared_content_type=data["content_type"],
        )
        body = dict(UploadSerializer(media).data)
        body["max_upload_bytes"] = settings.MEDIA_MAX_UPLOAD_BYTES
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=PartsRequestSerializer,
        responses={
            200: inline_serializer(
                "PartUrls",
                {
                    "parts": serializers.ListField(
                        child=inline_serializer(
                            "PartUrl",
                            {
                                "part_number": serializers.IntegerField(),
                                "size": serializers.IntegerField(),
                                "url": serializers.URLField(),
                            },
                        )
                    )
                },
            )
        },
    )
    def parts(self, request: Request, **kwargs: Any) -> Response:
        media = self._upload()
        payload = PartsRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        numbers = payload.validated_data["parts"]
        if sequence_uploads.is_sequence_upload(media):
            urls = sequence_uploads.sequence_frame_urls(
                actor=request.user, media=media, part_numbers=numbers
            )
        else:
            urls = uploads.upload_part_urls(actor=request.user, media=media, part_numbers=numbers)
        return Response({"parts": urls})

    @extend_schema(request=None, responses={200: MediaSerializer})
    def complete(self, request: Request, **kwargs: Any) -> Response:
        media = self._upload()
        if sequence_uploads.is_sequence_upload(media):
            media = sequence_uploads.sequence_upload_complete(actor=request.user, media=media)
        else:
            media = uploads.upload_complete(actor=request.user, media=media)
        return Response(MediaSerializer(media).data)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, **kwargs: Any) -> Response:
        media = self._upload()
        if sequence_uploads.is_sequence_upload(media):
            sequence_uploads.sequence_upload_abort(actor=request.user, media=media)
        else:
            uploads.upload_abort(actor=request.user, media=media)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MediaViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrganizationScopedViewSet):
    """Media of a project with its state, rejection reason, probe and proxy progress."""

    model = MediaFile
    serializer_class = MediaSerializer

    def scoped_queryset(self) -> Any:
        project = access_project_by_id(int(self.kwargs["project_pk"]))
        queryset = selectors.media_of_project(project)
        version = self.request.query_params.get("version", "")
        if version.isdigit():
            queryset = queryset.filter(version_id=int(version))
        character = self.request.query_params.get("character", "")
        if character.isdigit():
            queryset = queryset.filter(character_id=int(character))
        return queryset

    @extend_schema(
        parameters=[
            OpenApiParameter("version", int, description="Only the media of this version."),
            OpenApiParameter("character", int, description="Only the media of this character."),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        parameters=[
            OpenApiParameter("purpose", str, enum=["play", "download"], default="play"),
        ],
        responses={
            200: inline_serializer(
                "SignedLink",
                {"url": serializers.URLField(), "expires_in": serializers.IntegerField()},
            )
        },
    )
    def link(self, request: Request, **kwargs: Any) -> Response:
        """A presigned GET link that lives at most five minutes (audited)."""
        project = access_project_by_id(int(self.kwargs["project_pk"]))
        media = selectors.access_media_by_id(int(self.kwargs["pk"]), project=project)
        purpose = request.query_params.get("purpose", "play")
        if purpose not in ("play", "download"):
            raise ValidationFailed("purpose is play or download.", field="purpose")
        url = links.media_signed_url(actor=self.membership, media_id=media.pk, purpose=purpose)
        return Response({"url": url, "expires_in": links.MAX_LINK_SECONDS})
