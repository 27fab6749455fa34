"""Uploads: multipart start, presigned parts, completion and abort, and the validation
step that moves quarantined media (browser uploads and `ingest.media_ingest_file`) to
ready, then on to the proxy pipeline, or to rejected with the reason.

Validation runs in a Celery task (apps.media.tasks). It keeps database transactions short:
the download and probe happen outside them, the outcome is written under a row lock.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.audit.services import audit_record
from apps.core.colorspace import canonical_color_space
from apps.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from apps.core.events import send_organization_event
from apps.media import storage
from apps.media.files import media_file_register
from apps.media.models import MediaFile, MediaKind, MediaState, ProxyStatus
from apps.media.names import UnusableName, display_name
from apps.media.pipeline import default_color_space, proxy_enqueue
from apps.media.probe import fetch_and_inspect
from apps.media.queue import VALIDATE_TASK, enqueue_after_commit
from apps.media.validation import (
    EXTENSIONS,
    FORMATS,
    IMAGE,
    MOVIE,
    format_for_filename,
)
from apps.production.models import Character, Shot, VersionSource, VersionStatus
from apps.production.services import (
    version_create,
    version_set_status,
    version_withdraw_rejected,
)
from apps.tenancy.scope import require_scope, tenant_scope

logger = logging.getLogger(__name__)

UPLOAD_KINDS = {MediaKind.PLATE, MediaKind.ELEMENT, MediaKind.MATTE, MediaKind.REFERENCE}
MIN_PART_SIZE = 5 * 1024 * 1024  # S3's minimum for every part but the last
MAX_PARTS_PER_REQUEST = 100


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{int(value)} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"  # pragma: no cover


def upload_layout(size: int) -> tuple[int, int]:
    """(part size, part count) for a file: the configured part size, grown when the file
    would otherwise need more parts than allowed."""
    max_parts = settings.MEDIA_MAX_PARTS
    part_size = max(MIN_PART_SIZE, settings.MEDIA_UPLOAD_PART_SIZE)
    if math.ceil(size / part_size) > max_parts:
        mib = 1024 * 1024
        part_size = math.ceil(size / max_parts / mib) * mib
    return part_size, max(1, math.ceil(size / part_size))


def expected_part_size(media: MediaFile, part_number: int) -> int:
    if part_number < media.part_count:
        return media.part_size
    return media.size - media.part_size * (media.part_count - 1)


def upload_start(
    *,
    actor: Any,
    shot: Shot | None = None,
    filename: str,
    size: int,
    kind: MediaKind = MediaKind.PLATE,
    color_space: str = "",
    character: Character | None = None,
    declared_content_type: str = "",
) -> MediaFile:
    """Starts an S3 multipart upload for a new version of `shot`, or of a reference still
    of `character` (no version: the still belongs to the character). The key is made here,
    prefixed by tenant and project; the layout (part size and count) is fixed now and
    enforced again at completion."""
    scope = require_scope()
    owner = shot if shot is not None else character
    if owner is None or (shot is not None and character is not None):
        raise ValidationFailed("Upload to a shot or to a character.", field="shot")
    if owner.organization_id != scope.organization_id:
        raise Forbidden("Only the partner that owns the project can upload media to it.")
    raw_filename = filename or ""
    try:
        filename = display_name(raw_filename)
    except UnusableName:
        raise ValidationFailed(
            "The file name has nothing left once path components and control characters are"
            " removed; rename the file.",
            field="filename",
        ) from None
    fmt = format_for_filename(filename)
    if character is not None and (fmt is None or fmt.category != IMAGE):
        raise ValidationFailed(
            f"{filename or 'This file'} is not a still image; reference stills are"
            " PNG, JPEG, TIFF, EXR or DPX.",
            field="filename",
        )
    if character is not None:
        kind = MediaKind.REFERENCE
    if fmt is None or fmt.category not in (MOVIE, IMAGE):
        accepted = ", ".join(sorted(e for e, f in EXTENSIONS.items() if f.category != "document"))
        raise ValidationFailed(
            f"{filename or 'This file'} is not a supported media type; accepted: {accepted}.",
            field="filename",
        )
    if kind not in UPLOAD_KINDS:
        raise ValidationFailed(
            f"Choose a kind among {', '.join(sorted(UPLOAD_KINDS))}.", field="kind"
        )
    if size <= 0:
        raise ValidationFailed("The file is empty (0 bytes): nothing to upload.", field="size")
    limit = settings.MEDIA_MAX_UPLOAD_BYTES
    if size > limit:
        raise ValidationFailed(
            f"The file is {human_size(size)}; uploads are limited to {human_size(limit)}.",
            field="size",
        )
    part_size, part_count = upload_layout(size)
    if part_count > settings.MEDIA_MAX_PARTS:
        raise ValidationFailed(
            f"The file would need {part_count} parts; the limit is {settings.MEDIA_MAX_PARTS}.",
            field="size",
        )
    project = owner.project
    if color_space:
        canonical = canonical_color_space(color_space)
        if canonical is None:
            raise ValidationFailed(
                f"{color_space!r} is not a colour space of the ACES studio config.",
                field="color_space",
            )
        color_space = canonical
    else:
        color_space = default_color_space(
            filename=filename, project_working_space=project.working_color_space
        )
    key = storage.new_object_key(
        organization_id=scope.organization_id,
        project_id=project.pk,
        filename=filename,
        area="uploads",
    )
    storage.ensure_bucket_cors()
    upload_id = storage.multipart_create(key=key, content_type=fmt.content_type)
    with transaction.atomic():
        media = media_file_register(
            organization_id=scope.organization_id,
            project_id=project.pk,
            shot_id=shot.pk if shot is not None else None,
            character_id=character.pk if character is not None else None,
            kind=kind,
            state=MediaState.UPLOADING,
            original_filename=filename,
            content_type=fmt.content_type,
            declared_content_type=declared_content_type,
            size=size,
            storage_key=key,
            upload_id=upload_id,
            part_size=part_size,
            part_count=part_count,
            color_space=color_space,
            created_by=actor,
        )
        audit_record(
            action="media.upload.start",
            actor=actor,
            target=media,
            changes={
                **({"shot": shot.code} if shot is not None else {}),
                **({"character": character.name} if character is not None else {}),
                "size": size,
                "parts": part_count,
                "kind": kind,
                # The raw name as sent, only here: everything else shows the clean one.
                **({"raw_filename": raw_filename} if raw_filename != filename else {}),
            },
        )
    return media


def _require_uploading(media: MediaFile) -> None:
    if media.state != MediaState.UPLOADING or not media.upload_id:
        raise Conflict(f"This upload is {media.get_state_display().lower()}, not in progress.")


def upload_part_urls(
    *, actor: Any, media: MediaFile, part_numbers: list[int]
) -> list[dict[str, Any]]:
    """Presigned PUT URLs for some parts of an upload in progress."""
    _require_uploading(media)
    numbers = sorted(set(part_numbers))
    if not numbers:
        raise ValidationFailed("Ask for at least one part number.", field="parts")
    if len(numbers) > MAX_PARTS_PER_REQUEST:
        raise ValidationFailed(
            f"Ask for at most {MAX_PARTS_PER_REQUEST} parts at a time.", field="parts"
        )
    if numbers[0] < 1 or numbers[-1] > media.part_count:
        raise ValidationFailed(
            f"Part numbers run from 1 to {media.part_count} for this upload.", field="parts"
        )
    seconds = settings.MEDIA_UPLOAD_URL_SECONDS
    urls = [
        {
            "part_number": number,
            "size": expected_part_size(media, number),
            "url": storage.multipart_part_url(
                key=media.storage_key,
                upload_id=media.upload_id,
                part_number=number,
                expires_in=seconds,
            ),
        }
        for number in numbers
    ]
    audit_record(
        action="media.upload.sign_parts",
        actor=actor,
        target=media,
        changes={"parts": [numbers[0], numbers[-1]], "count": len(numbers), "expires_in": seconds},
    )
    return urls


def _reject_upload(*, actor: Any, media: MediaFile, reason: str) -> MediaFile:
    """Nothing of a refused upload stays reachable: the multipart upload is aborted and
    any assembled object deleted."""
    storage.multipart_abort(key=media.storage_key, upload_id=media.upload_id)
    storage.object_delete(media.storage_key)
    media.state = MediaState.REJECTED
    media.rejection_reason = reason
    media.upload_id = ""
    media.save(update_fields=["state", "rejection_reason", "upload_id"])
    audit_record(action="media.reject", actor=actor, target=media, changes={"reason": reason})
    send_organization_event(
        media.organization_id,
        {"type": "media.rejected", "media_id": media.pk, "reason": reason},
    )
    return media


def upload_complete(*, actor: Any, media: MediaFile, description: str = "") -> MediaFile:
    """Checks the stored parts against the layout, assembles the object, creates the new
    version and quarantines the media until the validation task has looked at it."""
    with transaction.atomic():
        # One completion at a time: a second request waits, then finds it completed.
        locked = MediaFile.objects.select_for_update().filter(pk=media.pk).first()
        if locked is None:
            raise NotFound("Upload not found.")
        media = locked
        return _complete_locked(actor=actor, media=media, description=description)


def _complete_locked(*, actor: Any, media: MediaFile, description: str) -> MediaFile:
    _require_uploading(media)
    parts = storage.multipart_parts(key=media.storage_key, upload_id=media.upload_id)
    stored = {part["part_number"]: part for part in parts}
    missing = [n for n in range(1, media.part_count + 1) if n not in stored]
    if missing:
        shown = ", ".join(str(n) for n in missing[:10]) + ("…" if len(missing) > 10 else "")
        raise Conflict(f"Parts {shown} of {media.part_count} are not uploaded yet.")
    extra = sorted(set(stored) - set(range(1, media.part_count + 1)))
    wrong = [
        n
        for n in range(1, media.part_count + 1)
        if stored[n]["size"] != expected_part_size(media, n)
    ]
    if extra or wrong:
        number = (wrong or extra)[0]
        got = stored[number]["size"]
        reason = (
            f"Part {number} holds {human_size(got)} but the upload was declared as"
            f" {human_size(media.size)} in {media.part_count} parts: the file does not match"
            " its declared size (limit enforced by the server)."
        )
        return _reject_upload(actor=actor, media=media, reason=reason)
    storage.multipart_complete(key=media.storage_key, upload_id=media.upload_id, parts=parts)
    assembled = storage.object_size(media.storage_key)
    if assembled != media.size:
        return _reject_upload(
            actor=actor,
            media=media,
            reason=f"The stored object is {assembled} bytes, not the declared {media.size}.",
        )
    with transaction.atomic():
        shot = media.shot
        if shot is None and media.character_id is None:
            raise ValidationFailed("This upload has no shot.", field="shot")
        # A character's reference still makes no version: it belongs to the character.
        version = (
            version_create(
                actor=actor,
                shot=shot,
                source=VersionSource.UPLOAD,
                description=description or media.original_filename,
            )
            if shot is not None
            else None
        )
        media.version = version
        media.state = MediaState.QUARANTINED
        media.upload_id = ""
        media.uploaded_at = timezone.now()
        media.save(update_fields=["version", "state", "upload_id", "uploaded_at"])
        audit_record(
            action="media.upload.complete",
            actor=actor,
            target=media,
            changes={"version": version.label if version else None, "size": media.size},
        )
        send_organization_event(
            media.organization_id,
            {
                "type": "media.uploaded",
                "media_id": media.pk,
                "version_id": version.pk if version else None,
                "character_id": media.character_id,
            },
        )
        validate_enqueue(media)
    return media


def upload_abort(*, actor: Any, media: MediaFile) -> MediaFile:
    _require_uploading(media)
    storage.multipart_abort(key=media.storage_key, upload_id=media.upload_id)
    media.state = MediaState.REJECTED
    media.rejection_reason = "Upload cancelled."
    media.upload_id = ""
    media.save(update_fields=["state", "rejection_reason", "upload_id"])
    audit_record(action="media.upload.abort", actor=actor, target=media)
    return media


def validate_enqueue(media: MediaFile) -> None:
    enqueue_after_commit(VALIDATE_TASK, media_id=media.pk, organization_id=media.organization_id)


# --- validation -------------------------------------------------------------------------


def interrupted_reason(times: int) -> str:
    return (
        f"Validation did not finish: it was interrupted {times} time{'s' if times > 1 else ''}"
        " (the worker was lost: out of memory, killed or past its time limit), so the file"
        " was refused."
    )


def media_validate(*, organization_id: int, media_id: int) -> MediaFile | None:
    """Moves quarantined media to ready (with its probe) or rejected (with the reason).

    Runs outside any long transaction: the object is downloaded and probed first, then
    the outcome is written under a row lock (a second run of the task changes nothing).
    """
    with tenant_scope(organization_id), transaction.atomic():
        media = MediaFile.objects.select_for_update().filter(pk=media_id).first()
        if media is None or media.state != MediaState.QUARANTINED:
            return media
        # Every run counts: one lost with its worker comes back (reject_on_worker_lost).
        media.validate_attempts += 1
        media.save(update_fields=["validate_attempts"])
        key, filename, declared = media.storage_key, media.original_filename, media.size
        # A job's outputs arrive with the sha256 their worker computed; uploads without.
        declared_sha256, attempts = media.sha256, media.validate_attempts
        allow_holds = bool(media.probe.get("sequence_upload", {}).get("allow_holds"))
    if attempts > settings.MEDIA_MAX_ATTEMPTS:
        result, reason = None, interrupted_reason(attempts - 1)
    else:
        result, reason = fetch_and_inspect(
            key=key,
            filename=filename,
            declared_size=declared,
            declared_sha256=declared_sha256,
            allow_holds=allow_holds,
        )
    with tenant_scope(organization_id), transaction.atomic():
        media = MediaFile.objects.select_for_update().get(pk=media_id)
        if media.state != MediaState.QUARANTINED:
            return media
        version = media.version
        if reason or result is None:
            media.state = MediaState.REJECTED
            media.rejection_reason = reason or "The file could not be validated."
            media.validated_at = timezone.now()
            media.save(update_fields=["state", "rejection_reason", "validated_at"])
            storage.object_delete(media.storage_key)
            audit_record(
                action="media.reject",
                actor=None,
                target=media,
                changes={"reason": media.rejection_reason},
            )
            if version is not None and version.source == VersionSource.UPLOAD:
                # A refused upload does not take a version number: the next good one
                # of the shot gets it. The media row keeps the file name and reason.
                media.version = None
                media.save(update_fields=["version"])
                version_withdraw_rejected(
                    actor=None, version=version, reason=media.rejection_reason
                )
            elif version is not None:
                version_set_status(actor=None, version=version, status=VersionStatus.REJECTED)
            send_organization_event(
                organization_id,
                {
                    "type": "media.rejected",
                    "media_id": media.pk,
                    "version_id": media.version_id,
                    "reason": media.rejection_reason,
                },
            )
            return media
        media.state = MediaState.READY
        media.content_type = FORMATS[result.format].content_type  # the verdict, by content
        media.sha256 = result.sha256
        media.codec = result.codec[:64]
        media.width, media.height = result.width, result.height
        if result.frame_rate:
            media.frame_rate_numerator = result.frame_rate.numerator
            media.frame_rate_denominator = result.frame_rate.denominator
        media.frame_count = result.frame_count
        media.duration_seconds = result.duration_seconds
        media.pixel_format = result.pixel_format[:64]
        media.color_tags = result.color_tags
        media.probe = {"format": result.format, **result.details}
        media.validated_at = timezone.now()
        media.proxy_status = ProxyStatus.QUEUED
        media.proxy_updated_at = media.validated_at
        media.save()
        audit_record(
            action="media.validate",
            actor=None,
            target=media,
            changes={"sha256": result.sha256, "codec": media.codec, "frames": media.frame_count},
        )
        send_organization_event(
            organization_id,
            {"type": "media.ready", "media_id": media.pk, "version_id": media.version_id},
        )
        proxy_enqueue(media)
    return media
