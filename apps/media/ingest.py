"""Files that reach storage from the server rather than a browser: demo and imported media
(which then take the uploads' quarantine and validation path) and signed documents."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.audit.services import audit_record
from apps.core.colorspace import canonical_color_space
from apps.core.errors import ValidationFailed
from apps.media import storage
from apps.media.files import media_file_register
from apps.media.models import MediaFile, MediaKind, MediaState
from apps.media.names import display_name
from apps.media.uploads import validate_enqueue
from apps.media.validation import format_for_filename
from apps.production.models import Character, Project, Shot, VersionSource
from apps.production.services import version_create
from apps.tenancy.scope import require_scope


def media_ingest_file(
    *,
    actor: Any,
    shot: Shot,
    path: Path,
    filename: str,
    kind: MediaKind = MediaKind.PLATE,
    color_space: str = "",
    description: str = "",
) -> MediaFile:
    """A file already on the server (demo seed, imports) becomes an uploaded version: the
    same key scheme, quarantine and validation as a browser upload, without multipart."""
    scope = require_scope()
    fmt = format_for_filename(filename)
    if fmt is None:
        raise ValidationFailed(f"{filename} is not a supported media type.", field="filename")
    key = storage.new_object_key(
        organization_id=scope.organization_id,
        project_id=shot.project_id,
        filename=filename,
        area="uploads",
    )
    storage.object_upload(path, key, content_type=fmt.content_type)
    with transaction.atomic():
        version = version_create(
            actor=actor,
            shot=shot,
            source=VersionSource.UPLOAD,
            description=description or display_name(filename),
        )
        media = media_file_register(
            organization_id=scope.organization_id,
            project_id=shot.project_id,
            shot_id=shot.pk,
            version_id=version.pk,
            kind=kind,
            state=MediaState.QUARANTINED,
            original_filename=filename,
            content_type=fmt.content_type,
            size=path.stat().st_size,
            storage_key=key,
            color_space=canonical_color_space(color_space) or "" if color_space else "",
            uploaded_at=timezone.now(),
            created_by=actor,
        )
        audit_record(
            action="media.ingest", actor=actor, target=media, changes={"version": version.label}
        )
        validate_enqueue(media)
    return media


def media_document_store(
    *,
    actor: Any,
    project: Project,
    character: Character | None,
    filename: str,
    content: bytes,
    content_type: str,
    area: str,
) -> MediaFile:
    """Stores a document the platform itself received (e.g. a signed consent form) as ready
    media of kind document; it is never proxied. The caller checks the content and audits
    why it was stored."""
    key = storage.new_object_key(
        organization_id=project.organization_id,
        project_id=project.pk,
        filename=filename,
        area=area,
    )
    storage.object_put(key, content, content_type=content_type or "application/octet-stream")
    return media_file_register(
        organization_id=project.organization_id,
        project_id=project.pk,
        character_id=character.pk if character is not None else None,
        kind=MediaKind.DOCUMENT,
        state=MediaState.READY,
        original_filename=filename,
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        storage_key=key,
        created_by=actor,
        validated_at=timezone.now(),
    )
