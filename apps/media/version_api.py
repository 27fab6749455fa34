"""The versions API. A version is a production row, but what a client needs from it is
its media state (validation, proxy progress, files), so the route lives with media."""

from __future__ import annotations

from typing import Any

from rest_framework import mixins, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.errors import NotFound
from apps.media.selectors import media_of_versions, version_media
from apps.production import selectors
from apps.production.models import Version
from apps.tenancy.viewsets import OrganizationScopedViewSet


class VersionSerializer(serializers.ModelSerializer[Version]):
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]
    shot_code = serializers.CharField(source="shot.code", read_only=True)
    created_by = serializers.SerializerMethodField()
    media = serializers.SerializerMethodField()

    class Meta:
        model = Version
        fields = [
            "id",
            "project",
            "shot",
            "shot_code",
            "number",
            "label",
            "status",
            "source",
            "source_job_id",
            "parent",
            "description",
            "created_by",
            "created_at",
            "media",
        ]
        read_only_fields = fields

    def get_created_by(self, version: Version) -> str | None:
        return version.created_by.email if version.created_by_id and version.created_by else None

    def get_media(self, version: Version) -> dict[str, Any]:
        """The source media's state (and rejection reason) and the ids of its proxy files."""
        batch = self.context.get("media_of_versions")
        files = batch[version.pk] if batch and version.pk in batch else version_media(version)
        source = files["source"]
        return {
            "source_id": source.pk if source else None,
            "state": source.state if source else None,
            "rejection_reason": source.rejection_reason if source else "",
            "proxy_status": source.proxy_status if source else None,
            "proxy_progress": source.proxy_progress if source else 0,
            **{
                f"{kind}_id": (m.pk if m else None) for kind, m in files.items() if kind != "source"
            },
        }


class VersionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrganizationScopedViewSet):
    """Versions of a shot (newest first) and single versions with their media state."""

    model = Version
    serializer_class = VersionSerializer

    def scoped_queryset(self) -> Any:
        project = selectors.access_project_by_id(int(self.kwargs["project_pk"]))
        if "shot_pk" in self.kwargs:
            shot = selectors.access_shot_by_id(int(self.kwargs["shot_pk"]))
            if shot.project_id != project.pk:
                raise NotFound("Shot not found.")
            return selectors.versions_of_shot(shot).select_related("shot", "created_by")
        return selectors.versions_of_project(project).select_related("shot", "created_by")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """A page of versions with their media read in one query, not one per version."""
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset())) or []
        context = self.get_serializer_context()
        context["media_of_versions"] = media_of_versions([v.pk for v in page])
        data = VersionSerializer(page, many=True, context=context).data
        return self.get_paginated_response(data)
