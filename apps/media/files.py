"""The one owner of MediaFile rows: every app (uploads, proxies, render results, consent
documents) creates them through `media_file_register`, so the kind is always a MediaKind
and the object key always lies under its tenant's and project's prefix."""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction
from typing import Any

from apps.core.errors import ValidationFailed
from apps.media.models import MediaFile, MediaKind, MediaState
from apps.media.names import UnusableName, display_name


def project_key_prefix(*, organization_id: int, project_id: int) -> str:
    """Where every object of a project lives (see `storage.new_object_key`)."""
    return f"org/{organization_id}/project/{project_id}/"


def _shown_name(name: str) -> str:
    """Whatever made the file (a browser, a worker, an import), only a clean display name
    is stored (apps.media.names)."""
    try:
        return display_name(name)
    except UnusableName:
        return "file"


def media_file_register(
    *,
    organization_id: int,
    project_id: int,
    kind: MediaKind,
    state: MediaState,
    storage_key: str,
    original_filename: str,
    content_type: str = "",
    declared_content_type: str = "",
    size: int = 0,
    sha256: str = "",
    shot_id: int | None = None,
    version_id: int | None = None,
    character_id: int | None = None,
    derived_from_id: int | None = None,
    viewer_id: int | None = None,
    created_by: Any | None = None,
    color_space: str = "",
    upload_id: str = "",
    part_size: int = 0,
    part_count: int = 0,
    codec: str = "",
    width: int | None = None,
    height: int | None = None,
    frame_rate: Fraction | None = None,
    frame_count: int | None = None,
    probe: dict[str, Any] | None = None,
    uploaded_at: datetime | None = None,
    validated_at: datetime | None = None,
    role: str = "",
) -> MediaFile:
    """Records one stored object (or image-sequence prefix) as a media file. Auditing is
    the caller's: it knows why the file exists (upload, proxy, render result...)."""
    if not isinstance(kind, MediaKind):
        raise TypeError(f"kind must be a MediaKind, not {kind!r}")
    prefix = project_key_prefix(organization_id=organization_id, project_id=project_id)
    if not storage_key.startswith(prefix) or ".." in storage_key.split("/"):
        raise ValidationFailed(
            f"The object {storage_key!r} is not stored under its project's prefix.",
            field="storage_key",
        )
    return MediaFile.objects.create(
        organization_id=organization_id,
        project_id=project_id,
        shot_id=shot_id,
        version_id=version_id,
        character_id=character_id,
        derived_from_id=derived_from_id,
        viewer_id=viewer_id,
        kind=kind,
        state=state,
        original_filename=_shown_name(original_filename),
        content_type=content_type[:100],
        declared_content_type=declared_content_type[:100],
        size=size,
        sha256=sha256[:64],
        storage_key=storage_key,
        upload_id=upload_id,
        part_size=part_size,
        part_count=part_count,
        color_space=color_space,
        codec=codec[:64],
        width=width,
        height=height,
        frame_rate_numerator=frame_rate.numerator if frame_rate is not None else None,
        frame_rate_denominator=frame_rate.denominator if frame_rate is not None else None,
        frame_count=frame_count,
        probe=probe or {},
        created_by=created_by if getattr(created_by, "is_authenticated", False) else None,
        uploaded_at=uploaded_at,
        validated_at=validated_at,
        role=role[:32],
    )
