"""Proxies: the one path from ready media to its review proxy, poster and filmstrip, and to
the per-viewer watermarked review copies (projects with watermark_reviews).

Uploads reach it after validation; any other derived output (e.g. a render job's result)
asks for it with `media_request_proxy`. The proxy tasks run in Celery (apps.media.tasks)
and keep database transactions short: the download and encode happen outside them, and
progress is written in its own tenant scope so it is visible while a long proxy runs.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.audit.services import audit_record
from apps.core.errors import Conflict, ValidationFailed
from apps.core.events import send_organization_event
from apps.core.timecode import frames_to_timecode, parse_timecode, timecode_to_frames
from apps.media import storage
from apps.media.files import media_file_register
from apps.media.models import MediaFile, MediaKind, MediaState, ProxyStatus
from apps.media.probe import is_sequence_key, local_name
from apps.media.proxy import ProxyOptions, ProxyOutput, build_proxy
from apps.media.proxy_failures import lost_worker_reason, proxy_fail
from apps.media.queue import PROXY_TASK, VIEWER_PROXY_TASK, enqueue_after_commit
from apps.media.selectors import viewer_proxy_of
from apps.media.validation import IMAGE, MOVIE, format_for_filename, scrub, sha256_of
from apps.production.models import Version, VersionStatus
from apps.production.services import version_set_status
from apps.tenancy.scope import tenant_scope

logger = logging.getLogger(__name__)

PROGRESS_INTERVAL_SECONDS = 0.5
VIEWER_PROXY_DEDUP_SECONDS = 600
# Progress is written at least every few seconds while a proxy runs (the download too):
# a running proxy silent for this long lost its worker.
PROXY_LEASE_SECONDS = 120.0

# What the shared proxy stores: (kind, content type, file name suffix).
REVIEW_OUTPUTS = (
    (MediaKind.PROXY, "video/mp4", "proxy.mp4"),
    (MediaKind.POSTER, "image/jpeg", "poster.jpg"),
    (MediaKind.FILMSTRIP, "image/jpeg", "filmstrip.jpg"),
)


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


def frame_label(version: Version | None, media: MediaFile) -> Callable[[int], str] | None:
    """The burn-in of each proxy frame: record timecode and shot frame number."""
    project = media.project
    if not project.burn_in_timecode:
        return None
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


def _proxyable(media: MediaFile) -> bool:
    fmt = format_for_filename(media.original_filename)
    return fmt is not None and fmt.category in (MOVIE, IMAGE)


def _proxy_options(media: MediaFile, *, watermark: str) -> ProxyOptions:
    project = media.project
    return ProxyOptions(
        frame_rate=project.frame_rate,
        color_space=media.color_space
        or default_color_space(
            filename=media.original_filename, project_working_space=project.working_color_space
        ),
        max_width=settings.MEDIA_PROXY_MAX_WIDTH,
        max_height=settings.MEDIA_PROXY_MAX_HEIGHT,
        gop=settings.MEDIA_PROXY_GOP,
        frame_label=frame_label(media.version, media),
        watermark=watermark,
    )


@dataclass(frozen=True)
class _Stored:
    kind: MediaKind
    path: Path
    content_type: str
    key: str


def _encode_and_store(
    media: MediaFile,
    *,
    work: Path,
    options: ProxyOptions,
    outputs: tuple[tuple[MediaKind, str, str], ...],
    progress: Callable[[int, int], None] | None = None,
) -> tuple[ProxyOutput, list[_Stored]]:
    """Downloads the source, encodes it and uploads the wanted outputs under `proxies/`."""
    fmt = format_for_filename(media.original_filename)
    assert fmt is not None  # callers checked _proxyable
    # A single file keeps its format's extension: decoders pick their reader by it.
    source = work / (
        "source"
        if is_sequence_key(media.storage_key)
        else local_name(media.original_filename, "source")
    )
    if is_sequence_key(media.storage_key):
        source.mkdir()
        storage.prefix_download(media.storage_key, source)
    else:
        storage.object_download(media.storage_key, source)
    if progress is not None:
        progress(0, max(1, media.frame_count or 1))  # downloaded: the proxy is alive
    out_dir = work / "out"
    out_dir.mkdir()
    output = build_proxy(
        source,
        fmt=fmt.name,
        width=media.width or 0,
        height=media.height or 0,
        frame_count=media.frame_count or 1,
        out_dir=out_dir,
        options=options,
        progress=progress,
    )
    paths = {
        MediaKind.PROXY: output.video,
        MediaKind.POSTER: output.poster,
        MediaKind.FILMSTRIP: output.filmstrip,
    }
    stored: list[_Stored] = []
    for kind, content_type, suffix in outputs:
        key = storage.new_object_key(
            organization_id=media.organization_id,
            project_id=media.project_id,
            filename=f"{Path(media.original_filename).stem}_{suffix}",
            area="proxies",
        )
        storage.object_upload(paths[kind], key, content_type=content_type)
        stored.append(_Stored(kind, paths[kind], content_type, key))
    return output, stored


def _register_derived(
    media: MediaFile,
    stored: _Stored,
    output: ProxyOutput,
    *,
    probe: dict[str, Any],
    viewer_id: int | None = None,
) -> MediaFile:
    is_video = stored.kind == MediaKind.PROXY
    return media_file_register(
        organization_id=media.organization_id,
        project_id=media.project_id,
        version_id=media.version_id,
        shot_id=media.shot_id,
        derived_from_id=media.pk,
        viewer_id=viewer_id,
        kind=stored.kind,
        state=MediaState.READY,
        original_filename=Path(stored.key).name,
        content_type=stored.content_type,
        size=stored.path.stat().st_size,
        sha256=sha256_of(stored.path),
        storage_key=stored.key,
        codec="h264" if is_video else "jpeg",
        width=output.width,
        height=output.height,
        frame_rate=media.project.frame_rate,
        frame_count=output.frames if is_video else 1,
        probe=probe,
        validated_at=timezone.now(),
    )


# --- the review proxy ------------------------------------------------------------------------


def media_request_proxy(*, actor: Any | None, media: MediaFile) -> MediaFile:
    """Queues (again) the review proxy of ready media, e.g. for a render job's output."""
    if media.state != MediaState.READY:
        raise Conflict("Only validated media gets a proxy.")
    if not _proxyable(media):
        raise ValidationFailed("Only movies and images get a proxy.")
    with transaction.atomic():
        media.proxy_status, media.proxy_progress, media.proxy_error = ProxyStatus.QUEUED, 0, ""
        media.proxy_updated_at, media.proxy_attempts = timezone.now(), 0
        media.save(
            update_fields=[
                "proxy_status",
                "proxy_progress",
                "proxy_error",
                "proxy_updated_at",
                "proxy_attempts",
            ]
        )
        audit_record(action="media.proxy.request", actor=actor, target=media)
        proxy_enqueue(media)
    return media


def proxy_lease_expired(media: MediaFile, *, lease_seconds: float | None = None) -> bool:
    """A running proxy whose worker went silent (no progress for the lease) is dead: the
    worker was killed or restarted; its proxy may be made again."""
    seconds = PROXY_LEASE_SECONDS if lease_seconds is None else lease_seconds
    updated = media.proxy_updated_at
    return updated is None or (timezone.now() - updated).total_seconds() >= seconds


def proxy_enqueue(media: MediaFile) -> None:
    enqueue_after_commit(PROXY_TASK, media_id=media.pk, organization_id=media.organization_id)


def _set_proxy_progress(
    organization_id: int, media_id: int, percent: int, version_id: int | None
) -> None:
    with tenant_scope(organization_id):
        MediaFile.objects.filter(pk=media_id).update(
            proxy_progress=percent, proxy_updated_at=timezone.now()
        )
        send_organization_event(
            organization_id,
            {
                "type": "media.proxy.progress",
                "media_id": media_id,
                "version_id": version_id,
                "progress": percent,
            },
        )


def media_make_proxy(*, organization_id: int, media_id: int, task_id: str = "") -> MediaFile | None:
    """Renders the review proxy, poster frame and filmstrip of ready media, reporting
    progress as it goes, then marks the version ready for review. A run whose worker was
    lost (its message comes back with the same `task_id`) counts as an attempt: past
    MEDIA_MAX_ATTEMPTS the proxy fails with the reason instead of killing another worker."""
    with tenant_scope(organization_id), transaction.atomic():
        media = (
            MediaFile.objects.select_for_update(of=("self",))
            .select_related("project", "version__shot", "organization")
            .filter(pk=media_id)
            .first()
        )
        if media is None or media.state != MediaState.READY:
            return media  # quarantined and rejected media is never processed
        if media.proxy_status == ProxyStatus.READY:
            return media
        if media.proxy_status == ProxyStatus.RUNNING:
            lost = bool(task_id) and media.proxy_task == task_id
            if not lost and not proxy_lease_expired(media):
                return media  # being made by a live worker
            if media.proxy_attempts >= settings.MEDIA_MAX_ATTEMPTS:
                return proxy_fail(media, reason=lost_worker_reason(media.proxy_attempts))
        if not _proxyable(media):
            return media
        media.proxy_status, media.proxy_progress, media.proxy_error = ProxyStatus.RUNNING, 0, ""
        media.proxy_updated_at = timezone.now()
        media.proxy_attempts, media.proxy_task = media.proxy_attempts + 1, task_id[:64]
        media.save(
            update_fields=[
                "proxy_status",
                "proxy_progress",
                "proxy_error",
                "proxy_updated_at",
                "proxy_attempts",
                "proxy_task",
            ]
        )
        watermark = (
            f"{media.organization.name} · confidential" if media.project.watermark_reviews else ""
        )
        options = _proxy_options(media, watermark=watermark)
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
            output, stored = _encode_and_store(
                media, work=Path(work), options=options, outputs=REVIEW_OUTPUTS, progress=progress
            )
            with tenant_scope(organization_id), transaction.atomic():
                media = MediaFile.objects.select_for_update().get(pk=media_id)
                for item in stored:
                    _register_derived(
                        media,
                        item,
                        output,
                        probe={
                            "color_transform": output.color_transform,
                            "filmstrip_tiles": output.filmstrip_tiles,
                            **output.details,
                        },
                    )
                return _proxy_done(media, output)
    except Exception as error:
        logger.exception("proxy failed for media %s", media_id)
        with tenant_scope(organization_id), transaction.atomic():
            failed = MediaFile.objects.select_related("version").get(pk=media_id)
            shown = scrub(str(error), None, failed.original_filename)
            reason = f"The proxy could not be made: {shown}"
            return proxy_fail(failed, reason=reason[:500])


def _proxy_done(media: MediaFile, output: ProxyOutput) -> MediaFile:
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
    # Pending, or rejected by an earlier failed proxy that a retry has now made.
    if media.version is not None and media.version.status in (
        VersionStatus.PENDING,
        VersionStatus.REJECTED,
    ):
        version_set_status(actor=None, version=media.version, status=VersionStatus.IN_REVIEW)
    send_organization_event(
        media.organization_id,
        {"type": "media.proxy.ready", "media_id": media.pk, "version_id": media.version_id},
    )
    return media


# --- per-viewer watermarked copies -----------------------------------------------------------


def viewer_watermark_text(*, user: Any, organization_name: str, day: Any) -> str:
    name = getattr(user, "display_name", "") or getattr(user, "email", "") or "viewer"
    return f"{name} · {organization_name} · {day.isoformat()}"


def viewer_proxy_request(*, actor: Any, source: MediaFile, always: bool = False) -> None:
    """Queues today's watermarked review copy of `source` for `actor` (projects with
    watermark_reviews; `always` for viewers who only ever watch watermarked copies, e.g.
    guests of a review link). Deduplicated for a few minutes so reloads do not queue it
    again."""
    if source.state != MediaState.READY or not (always or source.project.watermark_reviews):
        raise Conflict("This media has no watermarked review copies.")
    day = timezone.localdate()
    key = f"media:viewer-proxy:{source.pk}:{actor.pk}:{day.isoformat()}"
    if not cache.add(key, 1, timeout=VIEWER_PROXY_DEDUP_SECONDS):
        return
    audit_record(action="media.proxy.viewer.request", actor=actor, target=source)
    enqueue_after_commit(
        VIEWER_PROXY_TASK,
        media_id=source.pk,
        organization_id=source.organization_id,
        user_id=actor.pk,
        **({"always": True} if always else {}),
    )


def media_make_viewer_proxy(
    *, organization_id: int, media_id: int, user_id: int, always: bool = False
) -> MediaFile | None:
    """Renders a review proxy with the viewer's name, the partner and the date burned in
    (for projects with watermark_reviews, or `always`, e.g. for a guest)."""
    user = User.objects.filter(pk=user_id).first()
    with tenant_scope(organization_id):
        media = (
            MediaFile.objects.select_related("project", "version__shot", "organization")
            .filter(pk=media_id)
            .first()
        )
        if user is None or media is None or media.state != MediaState.READY:
            return None
        if not (always or media.project.watermark_reviews):
            return None
        existing = viewer_proxy_of(media, user)
        if existing is not None:
            return existing
        if not _proxyable(media):
            return None
        day = timezone.localdate()
        # The viewer's partner is the project's owner or (shared projects) the studio.
        text = viewer_watermark_text(user=user, organization_name=media.organization.name, day=day)
        options = _proxy_options(media, watermark=text)
    with tempfile.TemporaryDirectory(prefix="backlot-viewer-proxy-") as work:
        output, stored = _encode_and_store(
            media,
            work=Path(work),
            options=options,
            outputs=((MediaKind.PROXY, "video/mp4", f"viewer{user_id}_proxy.mp4"),),
        )
        with tenant_scope(organization_id), transaction.atomic():
            viewer_copy = _register_derived(
                media,
                stored[0],
                output,
                probe={
                    "color_transform": output.color_transform,
                    "watermark": text,
                    "day": day.isoformat(),
                    **output.details,
                },
                viewer_id=user.pk,
            )
            audit_record(
                action="media.proxy.viewer",
                actor=None,
                target=viewer_copy,
                changes={"viewer": user.email, "source": media.pk},
            )
    return viewer_copy
