"""Media a render job made: its outputs join the same pipeline as an upload.

Every picture output (movie, still or image sequence) is recorded quarantined and goes
through the upload's validation (download, sha256 against what the worker declared,
magic bytes, a real probe) and then the review proxy, poster and filmstrip. Every other
output (a CDL, a JSON report, report thumbnails) is attached to the version as a typed
document under its role, never as the version's picture.

`media_recover` re-queues what a restart left behind (validation or proxy work whose
message or worker was lost), so no version waits for a proxy forever.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.media.files import media_file_register
from apps.media.models import MediaFile, MediaKind, MediaState, ProxyStatus
from apps.media.pipeline import default_color_space, proxy_enqueue, proxy_lease_expired
from apps.media.probe import is_sequence_key
from apps.media.proxy_failures import lost_worker_reason, proxy_fail
from apps.media.uploads import validate_enqueue
from apps.media.validation import FORMATS, IMAGE, MOVIE, format_for_filename
from apps.production.models import Project
from apps.tenancy.models import Organization
from apps.tenancy.scope import tenant_scope

logger = logging.getLogger(__name__)

# Roles whose file is the version's picture when several pictures are output (a key
# makes a composite and a matte: the composite is what the version shows).
PRIMARY_ROLES = ("main", "composite", "")


@dataclass(frozen=True)
class JobOutput:
    """One output as a worker reported it (already checked to lie under its prefix)."""

    key: str
    filename: str
    kind: MediaKind
    role: str
    content_type: str
    size: int
    sha256: str


def sequence_filename(folder: str, content_type: str) -> str:
    """How an image sequence is named to people and to the pipeline: `name.####.ext`."""
    ext = next((f.extensions[0] for f in FORMATS.values() if f.content_type == content_type), "exr")
    return f"{folder.strip('/') or 'sequence'}.####.{ext}"


def is_picture(output: JobOutput) -> bool:
    """Movies, stills and image sequences get validated and proxied; documents never."""
    if output.kind == MediaKind.DOCUMENT:
        return False
    fmt = format_for_filename(output.filename)
    if is_sequence_key(output.key):
        return fmt is not None and fmt.category == IMAGE
    return fmt is not None and fmt.category in (MOVIE, IMAGE)


def media_register_job_outputs(
    *,
    project: Project,
    version_id: int,
    shot_id: int | None,
    outputs: list[JobOutput],
    now: datetime,
) -> list[MediaFile]:
    """Records a job's outputs on its new version (inside the caller's transaction, which
    also audits the job's success); pictures are queued for validation after commit."""
    created: list[MediaFile] = []
    for output in outputs:
        filename = output.filename
        if is_sequence_key(output.key) and output.kind != MediaKind.DOCUMENT:
            filename = sequence_filename(filename, output.content_type)
        picture = is_picture(replace(output, filename=filename))
        fmt = format_for_filename(filename)
        media = media_file_register(
            organization_id=project.organization_id,
            project_id=project.pk,
            version_id=version_id,
            shot_id=shot_id,
            kind=output.kind if picture else MediaKind.DOCUMENT,
            state=MediaState.QUARANTINED if picture else MediaState.READY,
            original_filename=filename,
            content_type=(fmt.content_type if picture and fmt else output.content_type),
            size=output.size,
            sha256=output.sha256,
            storage_key=output.key,
            color_space=default_color_space(
                filename=filename, project_working_space=project.working_color_space
            )
            if picture
            else "",
            uploaded_at=now,
            validated_at=None if picture else now,
            role=output.role or "main",
        )
        if picture:
            validate_enqueue(media)
        created.append(media)
    return created


def _validation_lost(media: MediaFile, now: datetime) -> bool:
    """Whether quarantined media needs its validation queued (again): never started (its
    message was lost), or started but stuck past MEDIA_STUCK_SECONDS, in which case its
    attempts are used up so the run rejects it with the reason."""
    waited = (now - (media.uploaded_at or media.created_at)).total_seconds()
    if media.validate_attempts == 0:
        return True
    if waited < settings.MEDIA_STUCK_SECONDS:
        return False  # being validated (a lost run comes back by itself)
    media.validate_attempts = max(media.validate_attempts, settings.MEDIA_MAX_ATTEMPTS)
    media.save(update_fields=["validate_attempts"])
    return True


def media_recover(*, lease_seconds: float | None = None) -> int:
    """Queues again every validation and proxy a restart may have lost: quarantined
    media, queued proxies, and running proxies whose worker went silent. The tasks are
    idempotent (a row lock and its state decide), so a duplicate costs nothing."""
    queued, now = 0, timezone.now()
    for organization_id in Organization.objects.order_by("pk").values_list("pk", flat=True):
        with tenant_scope(organization_id), transaction.atomic():
            waiting = MediaFile.objects.filter(organization_id=organization_id).filter(
                Q(state=MediaState.QUARANTINED)
                | Q(
                    state=MediaState.READY,
                    proxy_status__in=(ProxyStatus.QUEUED, ProxyStatus.RUNNING),
                )
            )
            for media in waiting.select_for_update(skip_locked=True):
                if media.state == MediaState.QUARANTINED:
                    if not _validation_lost(media, now):
                        continue
                    validate_enqueue(media)
                elif media.proxy_status == ProxyStatus.QUEUED:
                    proxy_enqueue(media)
                elif not proxy_lease_expired(media, lease_seconds=lease_seconds):
                    continue
                elif media.proxy_attempts >= settings.MEDIA_MAX_ATTEMPTS:
                    # Its worker died every time: fail with the reason, never loop.
                    proxy_fail(media, reason=lost_worker_reason(media.proxy_attempts))
                else:
                    media.proxy_status, media.proxy_updated_at = ProxyStatus.QUEUED, timezone.now()
                    media.save(update_fields=["proxy_status", "proxy_updated_at"])
                    proxy_enqueue(media)
                queued += 1
    if queued:
        logger.info("media recovery queued %s validation/proxy task(s)", queued)
    return queued
