"""Reads of media, always inside the active tenant scope."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from apps.core.errors import NotFound
from apps.media import storage
from apps.media.models import MediaFile, MediaKind, MediaState
from apps.production.models import Project, Shot, Version


def media_of_project(project: Project) -> QuerySet[MediaFile]:
    return MediaFile.objects.filter(project=project).select_related("version", "shot")


def access_media_by_id(media_id: int, *, project: Project | None = None) -> MediaFile:
    queryset = MediaFile.objects.select_related("project", "version", "shot")
    if project is not None:
        queryset = queryset.filter(project=project)
    media = queryset.filter(pk=media_id).first()
    if media is None:
        raise NotFound("Media not found.")
    return media


def uploads_in_progress(*, project: Project, shot: Shot | None = None) -> QuerySet[MediaFile]:
    queryset = MediaFile.objects.filter(project=project, state=MediaState.UPLOADING)
    if shot is not None:
        queryset = queryset.filter(shot=shot)
    return queryset.select_related("shot").order_by("-created_at", "-pk")


def upload_parts_stored(media: MediaFile) -> list[dict[str, Any]]:
    """The parts S3 already holds for an upload in progress (what a resume skips)."""
    if media.state != MediaState.UPLOADING or not media.upload_id:
        return []
    return [
        {"part_number": p["part_number"], "size": p["size"]}
        for p in storage.multipart_parts(key=media.storage_key, upload_id=media.upload_id)
    ]


def version_media(version: Version) -> dict[str, MediaFile | None]:
    """The source (newest original) and its ready proxy, poster and filmstrip."""
    files = list(MediaFile.objects.filter(version=version).order_by("-created_at", "-pk"))
    source = next((m for m in files if m.derived_from_id is None), None)
    result: dict[str, MediaFile | None] = {"source": source}
    for kind in (MediaKind.PROXY, MediaKind.POSTER, MediaKind.FILMSTRIP):
        result[str(kind)] = next(
            (
                m
                for m in files
                if m.kind == kind
                and m.state == MediaState.READY
                and m.viewer_id is None
                and (source is None or m.derived_from_id == source.pk)
            ),
            None,
        )
    return result


def posters_of_versions(version_ids: list[int]) -> dict[int, MediaFile]:
    """Ready poster frames by version id (for thumbnails in lists)."""
    posters: dict[int, MediaFile] = {}
    for media in MediaFile.objects.filter(
        version_id__in=version_ids, kind=MediaKind.POSTER, state=MediaState.READY
    ).order_by("created_at", "pk"):
        if media.version_id is not None:
            posters[media.version_id] = media
    return posters


def viewer_proxy_of(source: MediaFile, user: Any) -> MediaFile | None:
    """Today's review proxy of `source` watermarked for `user`, if made."""
    return (
        MediaFile.objects.filter(
            derived_from=source,
            kind=MediaKind.PROXY,
            state=MediaState.READY,
            viewer_id=user.pk,
            created_at__date=timezone.localdate(),
        )
        .order_by("-created_at", "-pk")
        .first()
    )
