"""Writes and link minting for media: uploads, validation, proxies, signed links.

The validation and proxy services run in Celery tasks (apps.media.tasks). They keep
database transactions short: the download, probe and encode happen outside them, each
step opens its own tenant scope, so progress is visible while a long proxy runs.
"""

from __future__ import annotations

import logging
import math
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.audit.services import audit_record
from apps.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from apps.core.events import send_organization_event
from apps.media import storage
from apps.media.models import MediaFile, MediaKind, MediaState, ProxyStatus
from apps.media.proxy import ProxyOptions, build_proxy, canonical_color_space
from apps.media.storage import s3_client, safe_filename
from apps.media.validation import (
    EXTENSIONS,
    IMAGE,
    MOVIE,
    MediaRejected,
    format_for_filename,
    inspect_file,
    sha256_of,
)
from apps.production.models import Shot, Version, VersionSource, VersionStatus
from apps.production.services import version_create, version_set_status
from apps.tenancy.scope import require_scope, tenant_scope

logger = logging.getLogger(__name__)

UPLOAD_KINDS = {MediaKind.PLATE, MediaKind.ELEMENT, MediaKind.MATTE, MediaKind.REFERENCE}
MIN_PART_SIZE = 5 * 1024 * 1024  # S3's minimum for every part but the last
MAX_PARTS_PER_REQUEST = 100
PROGRESS_INTERVAL_SECONDS = 0.5


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


def default_color_space(*, filename: str, project_working_space: str) -> str:
    """The source colour space assumed when the uploader does not pick one."""
    fmt = format_for_filename(filename)
    if fmt is not None and fmt.name == "exr":
        return project_working_space
    if fmt is not None and fmt.name == "dpx":
        return "ADX10"
    if fmt is not None and fmt.category == MOVIE:
        return "Rec.1886 Rec.709 - Display"
    return "sRGB Encoded Rec.709 (sRGB)"


def upload_start(
    *,
    actor: Any,
    shot: Shot,
    filename: str,
    size: int,
    kind: str = MediaKind.PLATE,
    color_space: str = "",
) -> MediaFile:
    """Starts an S3 multipart upload for a new version of `shot`. The key is made here,
    prefixed by tenant and project; the layout (part size and count) is fixed now and
    enforced again at completion."""
    scope = require_scope()
    if shot.organization_id != scope.organization_id:
        raise Forbidden("Only the partner that owns the project can upload media to it.")
    filename = (filename or "").strip()
    fmt = format_for_filename(filename)
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
    project = shot.project
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
        media = MediaFile.objects.create(
            organization_id=scope.organization_id,
            project=project,
            shot=shot,
            kind=kind,
            state=MediaState.UPLOADING,
            original_filename=filename[:255],
            content_type=fmt.content_type,
            size=size,
            storage_key=key,
            upload_id=upload_id,
            part_size=part_size,
            part_count=part_count,
            color_space=color_space,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        audit_record(
            action="media.upload.start",
            actor=actor,
            target=media,
            changes={"shot": shot.code, "size": size, "parts": part_count, "kind": kind},
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
        if shot is None:
            raise ValidationFailed("This upload has no shot.", field="shot")
        version = version_create(
            actor=actor,
            shot=shot,
            source=VersionSource.UPLOAD,
            description=description or media.original_filename,
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
            changes={"version": version.label, "size": media.size},
        )
        send_organization_event(
            media.organization_id,
            {"type": "media.uploaded", "media_id": media.pk, "version_id": version.pk},
        )
        _enqueue("validate", media)
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


def _enqueue(step: str, media: MediaFile) -> None:
    """Sends the validation or proxy task to the platform (CPU) queue after commit."""
    name = "media.validate" if step == "validate" else "media.proxy"
    kwargs = {"media_id": media.pk, "organization_id": media.organization_id}

    def send() -> None:
        from studio.celery import app

        app.send_task(name, kwargs=kwargs, queue=settings.CELERY_TASK_DEFAULT_QUEUE)

    transaction.on_commit(send)


# --- validation -------------------------------------------------------------------------


def media_validate(*, organization_id: int, media_id: int) -> MediaFile | None:
    """Moves quarantined media to ready (with its probe) or rejected (with the reason).

    Runs outside any long transaction: the object is downloaded and probed first, then
    the outcome is written under a row lock (a second run of the task changes nothing).
    """
    with tenant_scope(organization_id):
        media = MediaFile.objects.filter(pk=media_id).first()
        if media is None or media.state != MediaState.QUARANTINED:
            return media
        key, filename, declared = media.storage_key, media.original_filename, media.size
    reason = ""
    result = None
    with tempfile.TemporaryDirectory(prefix="backlot-validate-") as work:
        path = Path(work) / "object"
        try:
            storage.object_download(key, path)
        except Exception as error:
            logger.warning("could not download %s: %s", key, error)
            reason = "The uploaded object could not be read from storage."
        if not reason:
            if path.stat().st_size != declared:
                reason = f"The stored object is {path.stat().st_size} bytes, not {declared}."
            else:
                try:
                    result = inspect_file(path, filename=filename)
                except MediaRejected as rejected:
                    reason = rejected.reason
                except Exception as error:  # a decoder crash is a rejection, not a retry
                    logger.exception("probe failed for media %s", media_id)
                    reason = f"The file could not be probed: {error}."
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
            if version is not None:
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
        _enqueue("proxy", media)
    return media


# --- proxies ----------------------------------------------------------------------------


def _frame_label(version: Version | None, media: MediaFile) -> Callable[[int], str] | None:
    project = media.project
    if not project.burn_in_timecode:
        return None
    from apps.core.timecode import frames_to_timecode, parse_timecode, timecode_to_frames

    rate = project.frame_rate
    try:
        drop = parse_timecode(project.start_timecode).drop_frame
        start = timecode_to_frames(project.start_timecode, rate)
    except ValueError:
        drop, start = False, 0
    first = version.shot.cut_in if version is not None else 0

    def label(index: int) -> str:
        frame = first + index
        return f"{frames_to_timecode(start + frame, rate, drop_frame=drop)}   {frame}"

    return label


def media_request_proxy(*, actor: Any | None, media: MediaFile) -> MediaFile:
    """Queues (again) the review proxy of ready media, e.g. for a render job's output."""
    if media.state != MediaState.READY:
        raise Conflict("Only validated media gets a proxy.")
    fmt = format_for_filename(media.original_filename)
    if fmt is None or fmt.category not in (MOVIE, IMAGE):
        raise ValidationFailed("Only movies and images get a proxy.")
    with transaction.atomic():
        media.proxy_status, media.proxy_progress, media.proxy_error = ProxyStatus.QUEUED, 0, ""
        media.save(update_fields=["proxy_status", "proxy_progress", "proxy_error"])
        audit_record(action="media.proxy.request", actor=actor, target=media)
        _enqueue("proxy", media)
    return media


def _set_proxy_progress(
    organization_id: int, media_id: int, percent: int, version_id: int | None
) -> None:
    with tenant_scope(organization_id):
        MediaFile.objects.filter(pk=media_id).update(proxy_progress=percent)
        send_organization_event(
            organization_id,
            {
                "type": "media.proxy.progress",
                "media_id": media_id,
                "version_id": version_id,
                "progress": percent,
            },
        )


def media_make_proxy(*, organization_id: int, media_id: int) -> MediaFile | None:
    """Renders the review proxy, poster frame and filmstrip of ready media, reporting
    progress as it goes, then marks the version ready for review."""
    with tenant_scope(organization_id), transaction.atomic():
        media = (
            MediaFile.objects.select_for_update(of=("self",))
            .select_related("project", "version__shot", "organization")
            .filter(pk=media_id)
            .first()
        )
        if media is None or media.state != MediaState.READY:
            return media  # quarantined and rejected media is never processed
        if media.proxy_status in (ProxyStatus.RUNNING, ProxyStatus.READY):
            return media
        fmt = format_for_filename(media.original_filename)
        if fmt is None or fmt.category not in (MOVIE, IMAGE):
            return media
        media.proxy_status, media.proxy_progress, media.proxy_error = ProxyStatus.RUNNING, 0, ""
        media.save(update_fields=["proxy_status", "proxy_progress", "proxy_error"])
        project = media.project
        version = media.version
        options = ProxyOptions(
            frame_rate=project.frame_rate,
            color_space=media.color_space
            or default_color_space(
                filename=media.original_filename,
                project_working_space=project.working_color_space,
            ),
            max_width=settings.MEDIA_PROXY_MAX_WIDTH,
            max_height=settings.MEDIA_PROXY_MAX_HEIGHT,
            gop=settings.MEDIA_PROXY_GOP,
            frame_label=_frame_label(version, media),
            watermark=(
                f"{media.organization.name} · confidential" if project.watermark_reviews else ""
            ),
        )
        width, height, count = media.width or 0, media.height or 0, media.frame_count or 1
    version_id = media.version_id
    last = {"at": 0.0, "percent": -1}

    def progress(done: int, total: int) -> None:
        percent = min(99, int(done * 100 / max(1, total)))
        now = time.monotonic()
        if percent != last["percent"] and now - last["at"] >= PROGRESS_INTERVAL_SECONDS:
            last["at"], last["percent"] = now, percent
            _set_proxy_progress(organization_id, media_id, percent, version_id)

    try:
        with tempfile.TemporaryDirectory(prefix="backlot-proxy-") as work:
            source = Path(work) / "source"
            storage.object_download(media.storage_key, source)
            out_dir = Path(work) / "out"
            out_dir.mkdir()
            output = build_proxy(
                source,
                fmt=fmt.name,
                width=width,
                height=height,
                frame_count=count,
                out_dir=out_dir,
                options=options,
                progress=progress,
            )
            stored: list[tuple[str, Path, str, str]] = []
            for out_kind, path, content_type, name in (
                (MediaKind.PROXY, output.video, "video/mp4", "proxy.mp4"),
                (MediaKind.POSTER, output.poster, "image/jpeg", "poster.jpg"),
                (MediaKind.FILMSTRIP, output.filmstrip, "image/jpeg", "filmstrip.jpg"),
            ):
                key = storage.new_object_key(
                    organization_id=organization_id,
                    project_id=project.pk,
                    filename=f"{Path(media.original_filename).stem}_{name}",
                    area="proxies",
                )
                storage.object_upload(path, key, content_type=content_type)
                stored.append((out_kind, path, content_type, key))
            with tenant_scope(organization_id), transaction.atomic():
                media = MediaFile.objects.select_for_update().get(pk=media_id)
                for stored_kind, path, content_type, key in stored:
                    MediaFile.objects.create(
                        organization_id=organization_id,
                        project_id=media.project_id,
                        version_id=media.version_id,
                        shot_id=media.shot_id,
                        derived_from=media,
                        kind=stored_kind,
                        state=MediaState.READY,
                        original_filename=Path(key).name,
                        content_type=content_type,
                        size=path.stat().st_size,
                        sha256=sha256_of(path),
                        storage_key=key,
                        codec="h264" if stored_kind == MediaKind.PROXY else "jpeg",
                        width=output.width,
                        height=output.height,
                        frame_rate_numerator=project.frame_rate.numerator,
                        frame_rate_denominator=project.frame_rate.denominator,
                        frame_count=output.frames if stored_kind == MediaKind.PROXY else 1,
                        probe={
                            "color_transform": output.color_transform,
                            "filmstrip_tiles": output.filmstrip_tiles,
                            **output.details,
                        },
                        validated_at=timezone.now(),
                    )
                media.proxy_status, media.proxy_progress = ProxyStatus.READY, 100
                media.save(update_fields=["proxy_status", "proxy_progress"])
                audit_record(
                    action="media.proxy.create",
                    actor=None,
                    target=media,
                    changes={
                        "frames": output.frames,
                        "seconds": round(output.seconds, 3),
                        "color": output.color_transform,
                    },
                )
                if media.version is not None and media.version.status == VersionStatus.PENDING:
                    version_set_status(
                        actor=None, version=media.version, status=VersionStatus.IN_REVIEW
                    )
                send_organization_event(
                    organization_id,
                    {
                        "type": "media.proxy.ready",
                        "media_id": media.pk,
                        "version_id": media.version_id,
                    },
                )
            return media
    except Exception as error:
        logger.exception("proxy failed for media %s", media_id)
        with tenant_scope(organization_id), transaction.atomic():
            MediaFile.objects.filter(pk=media_id).update(
                proxy_status=ProxyStatus.FAILED, proxy_error=str(error)[:500]
            )
            failed = MediaFile.objects.get(pk=media_id)
            audit_record(
                action="media.proxy.fail",
                actor=None,
                target=failed,
                changes={"error": str(error)[:200]},
            )
        return failed


# --- viewer watermarks -------------------------------------------------------------------


def viewer_watermark_text(*, user: Any, organization_name: str, day: Any) -> str:
    name = getattr(user, "display_name", "") or getattr(user, "email", "") or "viewer"
    return f"{name} · {organization_name} · {day.isoformat()}"


def viewer_proxy_request(*, actor: Any, source: MediaFile) -> None:
    """Queues today's watermarked review copy of `source` for `actor` (projects with
    watermark_reviews). Deduplicated for a few minutes so reloads do not queue it again."""
    from django.core.cache import cache

    if source.state != MediaState.READY or not source.project.watermark_reviews:
        raise Conflict("This media has no watermarked review copies.")
    day = timezone.localdate()
    key = f"media:viewer-proxy:{source.pk}:{actor.pk}:{day.isoformat()}"
    if not cache.add(key, 1, timeout=600):
        return
    audit_record(action="media.proxy.viewer.request", actor=actor, target=source)
    kwargs = {"media_id": source.pk, "organization_id": source.organization_id, "user_id": actor.pk}

    def send() -> None:
        from studio.celery import app

        app.send_task("media.viewer_proxy", kwargs=kwargs, queue=settings.CELERY_TASK_DEFAULT_QUEUE)

    transaction.on_commit(send)


def media_make_viewer_proxy(
    *, organization_id: int, media_id: int, user_id: int
) -> MediaFile | None:
    """Renders a review proxy with the viewer's name, the partner and the date burned in."""
    from apps.accounts.models import User
    from apps.media.selectors import viewer_proxy_of

    user = User.objects.filter(pk=user_id).first()
    with tenant_scope(organization_id):
        media = (
            MediaFile.objects.select_related("project", "version__shot", "organization")
            .filter(pk=media_id)
            .first()
        )
        if user is None or media is None or media.state != MediaState.READY:
            return None
        if not media.project.watermark_reviews:
            return None
        existing = viewer_proxy_of(media, user)
        if existing is not None:
            return existing
        fmt = format_for_filename(media.original_filename)
        if fmt is None or fmt.category not in (MOVIE, IMAGE):
            return None
        project, version = media.project, media.version
        day = timezone.localdate()
        # The viewer's partner is the project's owner or (shared projects) the studio.
        text = viewer_watermark_text(user=user, organization_name=media.organization.name, day=day)
        options = ProxyOptions(
            frame_rate=project.frame_rate,
            color_space=media.color_space
            or default_color_space(
                filename=media.original_filename,
                project_working_space=project.working_color_space,
            ),
            max_width=settings.MEDIA_PROXY_MAX_WIDTH,
            max_height=settings.MEDIA_PROXY_MAX_HEIGHT,
            gop=settings.MEDIA_PROXY_GOP,
            frame_label=_frame_label(version, media),
            watermark=text,
        )
    with tempfile.TemporaryDirectory(prefix="backlot-viewer-proxy-") as work:
        source = Path(work) / "source"
        storage.object_download(media.storage_key, source)
        out_dir = Path(work) / "out"
        out_dir.mkdir()
        output = build_proxy(
            source,
            fmt=fmt.name,
            width=media.width or 0,
            height=media.height or 0,
            frame_count=media.frame_count or 1,
            out_dir=out_dir,
            options=options,
        )
        key = storage.new_object_key(
            organization_id=organization_id,
            project_id=project.pk,
            filename=f"{Path(media.original_filename).stem}_viewer{user_id}_proxy.mp4",
            area="proxies",
        )
        storage.object_upload(output.video, key, content_type="video/mp4")
        with tenant_scope(organization_id), transaction.atomic():
            viewer_copy = MediaFile.objects.create(
                organization_id=organization_id,
                project_id=project.pk,
                version_id=media.version_id,
                shot_id=media.shot_id,
                derived_from=media,
                viewer=user,
                kind=MediaKind.PROXY,
                state=MediaState.READY,
                original_filename=Path(key).name,
                content_type="video/mp4",
                size=output.video.stat().st_size,
                sha256=sha256_of(output.video),
                storage_key=key,
                codec="h264",
                width=output.width,
                height=output.height,
                frame_rate_numerator=project.frame_rate.numerator,
                frame_rate_denominator=project.frame_rate.denominator,
                frame_count=output.frames,
                probe={
                    "color_transform": output.color_transform,
                    "watermark": text,
                    "day": day.isoformat(),
                    **output.details,
                },
                validated_at=timezone.now(),
            )
            audit_record(
                action="media.proxy.viewer",
                actor=None,
                target=viewer_copy,
                changes={"viewer": user.email, "source": media.pk},
            )
    return viewer_copy


# --- generated / server-side objects ------------------------------------------------------


def media_ingest_file(
    *,
    actor: Any,
    shot: Shot,
    path: Path,
    filename: str,
    kind: str = MediaKind.PLATE,
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
            actor=actor, shot=shot, source=VersionSource.UPLOAD, description=description or filename
        )
        media = MediaFile.objects.create(
            organization_id=scope.organization_id,
            project_id=shot.project_id,
            shot=shot,
            version=version,
            kind=kind,
            state=MediaState.QUARANTINED,
            original_filename=filename,
            content_type=fmt.content_type,
            size=path.stat().st_size,
            storage_key=key,
            color_space=canonical_color_space(color_space) or "" if color_space else "",
            uploaded_at=timezone.now(),
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        audit_record(
            action="media.ingest", actor=actor, target=media, changes={"version": version.label}
        )
        _enqueue("validate", media)
    return media


MAX_LINK_SECONDS = 300
ORIGINAL_KINDS = {
    MediaKind.PLATE,
    MediaKind.ELEMENT,
    MediaKind.MATTE,
    MediaKind.REFERENCE,
    MediaKind.RENDER,
    MediaKind.DOCUMENT,
}


def media_signed_url(
    *,
    actor: Any,
    role: str,
    media_id: int,
    purpose: str = "play",
    expires_in: int = MAX_LINK_SECONDS,
) -> str:
    """The only way to get a link to stored media: a presigned GET that lives at most five
    minutes, with a Content-Disposition, after re-checking the tenant, the media state and
    the project's download policy. Every link minted is audited."""
    require_scope()
    media = MediaFile.objects.select_related("project").filter(pk=media_id).first()
    if media is None or media.state != MediaState.READY:
        # Quarantined or rejected media is never served: it does not exist for readers.
        raise NotFound("Media not found.")
    if purpose == "download" and media.kind in ORIGINAL_KINDS:
        allowed = media.project.original_download_roles or []
        if role not in allowed:
            raise Forbidden("Your role may stream this project's media but not download originals.")
    disposition = "attachment" if purpose == "download" else "inline"
    seconds = max(1, min(int(expires_in), MAX_LINK_SECONDS))
    url: str = s3_client().generate_presigned_url(
        "get_object",
        Params={
            "Bucket": settings.S3_BUCKET,
            "Key": media.storage_key,
            "ResponseContentDisposition": f'{disposition}; filename="{safe_filename(media.original_filename)}"',
            **({"ResponseContentType": media.content_type} if media.content_type else {}),
        },
        ExpiresIn=seconds,
    )
    audit_record(
        action=f"media.link.{purpose}", actor=actor, target=media, changes={"expires_in": seconds}
    )
    return url
