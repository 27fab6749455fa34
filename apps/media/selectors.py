"""Reads of media, always inside the active tenant scope."""

from __future__ import annotations

import logging
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from apps.core.errors import NotFound
from apps.media import storage
from apps.media.models import MediaFile, MediaKind, MediaState
from apps.production.models import Character, Project, Shot, Version

logger = logging.getLogger(__name__)

# How a version's outputs are listed: its picture(s) first, then the grade, then reports.
OUTPUT_ROLE_ORDER = ("main", "", "composite", "matte", "cdl", "cc", "ccc", "report", "thumbnail")
# A report read server-side to be shown on a page is never larger than this.
REPORT_MAX_BYTES = 4 * 1024 * 1024


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


def uploads_in_progress(
    *, project: Project, shot: Shot | None = None, character: Character | None = None
) -> QuerySet[MediaFile]:
    queryset = MediaFile.objects.filter(project=project, state=MediaState.UPLOADING)
    if shot is not None:
        queryset = queryset.filter(shot=shot)
    if character is not None:
        queryset = queryset.filter(character=character)
    return queryset.select_related("shot").order_by("-created_at", "-pk")


def rejected_uploads_of_shot(shot: Shot, limit: int = 5) -> list[MediaFile]:
    """Uploads of a shot that validation refused (they took no version number), newest
    first, so the shot page can still say which file was refused and why."""
    return list(
        MediaFile.objects.filter(
            shot=shot,
            version__isnull=True,
            character__isnull=True,
            derived_from__isnull=True,
            state=MediaState.REJECTED,
            validated_at__isnull=False,
        ).order_by("-validated_at")[:limit]
    )


def upload_parts_stored(media: MediaFile) -> list[dict[str, Any]]:
    """The parts S3 already holds for an upload in progress (what a resume skips)."""
    if media.state != MediaState.UPLOADING or not media.upload_id:
        return []
    return [
        {"part_number": p["part_number"], "size": p["size"]}
        for p in storage.multipart_parts(key=media.storage_key, upload_id=media.upload_id)
    ]


def version_frame_count(version: Version) -> int | None:
    """How many frames the version's picture has (its source, else its proxy), when known."""
    files = version_media(version)
    for media in (files["source"], files["proxy"]):
        if media is not None and media.frame_count:
            return int(media.frame_count)
    return None


def version_media(version: Version) -> dict[str, MediaFile | None]:
    """The source (the version's picture: its newest original movie, still or sequence,
    a job's main output before its matte; never a report or CDL) and its ready proxy,
    poster and filmstrip."""
    files = list(MediaFile.objects.filter(version=version).order_by("-created_at", "-pk"))
    return _pick_version_media(files)


def media_of_versions(version_ids: list[int]) -> dict[int, dict[str, MediaFile | None]]:
    """`version_media` of many versions in one query (lists of versions)."""
    files: dict[int, list[MediaFile]] = {pk: [] for pk in version_ids}
    for media in MediaFile.objects.filter(version_id__in=version_ids).order_by(
        "-created_at", "-pk"
    ):
        files[media.version_id].append(media)
    return {pk: _pick_version_media(found) for pk, found in files.items()}


def _pick_version_media(files: list[MediaFile]) -> dict[str, MediaFile | None]:
    pictures = [m for m in files if m.derived_from_id is None and m.kind != MediaKind.DOCUMENT]
    source = min(
        pictures,
        key=lambda m: (m.role not in ("", "main", "composite"), m.kind == MediaKind.MATTE),
        default=None,
    )  # min keeps the first (newest) of equals
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


def reference_stills_of_characters(character_ids: list[int]) -> dict[int, list[MediaFile]]:
    """Reference stills by character id (newest first), rejected ones included so the page
    can say why; uploads still in progress left out."""
    stills: dict[int, list[MediaFile]] = {pk: [] for pk in character_ids}
    for media in (
        MediaFile.objects.filter(
            character_id__in=character_ids, kind=MediaKind.REFERENCE, derived_from__isnull=True
        )
        .exclude(state=MediaState.UPLOADING)
        .order_by("-created_at", "-pk")
    ):
        if media.character_id is not None:
            stills[media.character_id].append(media)
    return stills


def ready_reference_stills(character: Character) -> QuerySet[MediaFile]:
    """The character's validated reference stills (what a likeness operation compares to)."""
    return MediaFile.objects.filter(
        character=character,
        kind=MediaKind.REFERENCE,
        state=MediaState.READY,
        derived_from__isnull=True,
    ).order_by("-created_at", "-pk")


def posters_of_sources(media_ids: list[int]) -> dict[int, MediaFile]:
    """Ready poster frames by the id of the media they were made from (for thumbnails)."""
    posters: dict[int, MediaFile] = {}
    for media in MediaFile.objects.filter(
        derived_from_id__in=media_ids,
        kind=MediaKind.POSTER,
        state=MediaState.READY,
        viewer__isnull=True,
    ).order_by("created_at", "pk"):
        if media.derived_from_id is not None:
            posters[media.derived_from_id] = media
    return posters


def version_outputs(version: Version) -> list[MediaFile]:
    """Every file a version is made of (a job's outputs by role, or the upload), in a
    stable order: by role (OUTPUT_ROLE_ORDER, unknown roles after), then file name. Derived
    review media (proxies, posters, filmstrips) and uploads in progress are left out."""
    files = (
        MediaFile.objects.filter(version=version, derived_from__isnull=True)
        .exclude(state=MediaState.UPLOADING)
        .exclude(kind__in=(MediaKind.PROXY, MediaKind.POSTER, MediaKind.FILMSTRIP))
    )

    def order(media: MediaFile) -> tuple[int, str, str, int]:
        rank = (
            OUTPUT_ROLE_ORDER.index(media.role)
            if media.role in OUTPUT_ROLE_ORDER
            else len(OUTPUT_ROLE_ORDER)
        )
        return rank, media.role, media.original_filename.lower(), media.pk

    return sorted(files, key=order)


def document_content(media: MediaFile, *, max_bytes: int = REPORT_MAX_BYTES) -> bytes | None:
    """The stored bytes of a small ready document (a job's report), read server-side;
    None when it is not ready, larger than `max_bytes`, or cannot be read from storage."""
    if media.state != MediaState.READY or media.storage_key.endswith("/"):
        return None
    if media.size > max_bytes:
        return None
    try:
        return storage.object_read(media.storage_key, max_bytes=max_bytes)
    except storage.ObjectTooLarge:
        return None
    except Exception as error:  # storage down or the object gone: the page says so
        logger.warning("could not read document %s: %s", media.pk, error)
        return None
