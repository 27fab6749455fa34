"""Sequence uploads: the frames of an image sequence (`name.####.exr`, `name_####.dpx`)
uploaded together as one version, through the same upload API with N parts, part i being
frame file i (in frame order), each PUT whole to a presigned URL under one prefix.

Start checks the frame pattern, sizes and the frame range (gaps are refused with the
missing numbers unless the uploader accepts them as holds); the stored frames are listed
for a resume; completion checks every frame is stored with its declared size, then the
media is quarantined and validated like any upload (every frame's header, the range, the
first and last frames decoded) and gets one proxy.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.audit.services import audit_record
from apps.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from apps.core.events import send_organization_event
from apps.media import storage
from apps.media.files import media_file_register
from apps.media.models import MediaFile, MediaKind, MediaState
from apps.media.names import UnusableName, display_name
from apps.media.pipeline import default_color_space
from apps.media.sequences import frame_number, missing_frames
from apps.media.uploads import UPLOAD_KINDS, human_size, validate_enqueue
from apps.media.validation import IMAGE, format_for_filename
from apps.production.models import Shot, VersionSource
from apps.production.services import version_create
from apps.tenancy.scope import require_scope

SEQUENCE_UPLOAD = "sequence"  # the upload_id of a sequence upload in progress
MAX_FRAME_BYTES = 5 * 1024**3  # one presigned PUT


def is_sequence_upload(media: MediaFile) -> bool:
    return media.upload_id == SEQUENCE_UPLOAD or media.storage_key.endswith("/")


def _frames_of(media: MediaFile) -> list[tuple[str, int]]:
    return [(name, size) for name, size in media.probe.get("sequence_upload", {}).get("frames", [])]


def sequence_upload_start(
    *,
    actor: Any,
    shot: Shot,
    frames: list[dict[str, Any]],
    kind: MediaKind = MediaKind.PLATE,
    color_space: str = "",
    allow_holds: bool = False,
    declared_content_type: str = "",
) -> MediaFile:
    scope = require_scope()
    if shot.organization_id != scope.organization_id:
        raise Forbidden("Only the partner that owns the project can upload media to it.")
    if kind not in UPLOAD_KINDS:
        raise ValidationFailed(
            f"Choose a kind among {', '.join(sorted(UPLOAD_KINDS))}.", field="kind"
        )
    if not frames or len(frames) > min(settings.MEDIA_MAX_PARTS, settings.MEDIA_MAX_FRAMES):
        raise ValidationFailed(
            f"A sequence has 1 to {min(settings.MEDIA_MAX_PARTS, settings.MEDIA_MAX_FRAMES)}"
            " frames.",
            field="frames",
        )
    numbered: list[tuple[int, str, int]] = []
    patterns = set()
    for frame in frames:
        try:
            name = display_name(str(frame.get("name", "")))
        except UnusableName:
            raise ValidationFailed("A frame has no usable file name.", field="frames") from None
        size, found, fmt = int(frame.get("size", 0)), frame_number(name), format_for_filename(name)
        if found is None or fmt is None or fmt.category != IMAGE:
            raise ValidationFailed(
                f"{name} is not a numbered frame of an image sequence (name.####.exr,"
                " name_####.dpx...).",
                field="frames",
            )
        if not 0 < size <= MAX_FRAME_BYTES:
            raise ValidationFailed(
                f"Frame {name} is {human_size(size)}; a frame is 1 byte to 5 GiB.",
                field="frames",
            )
        patterns.add(found[0])
        numbered.append((found[1], name, size))
    if len(patterns) != 1:
        shown = ", ".join(sorted(p.display() for p in patterns)[:4])
        raise ValidationFailed(f"The frames follow several patterns: {shown}.", field="frames")
    numbered.sort()
    numbers = [n for n, _, _ in numbered]
    if len(set(numbers)) != len(numbers):
        raise ValidationFailed("Two files have the same frame number.", field="frames")
    holds = missing_frames(numbers)
    if holds and not allow_holds:
        shown = ", ".join(str(n) for n in holds[:20]) + ("…" if len(holds) > 20 else "")
        raise ValidationFailed(
            f"The sequence {numbers[0]}–{numbers[-1]} is missing {len(holds)} frame"
            f"{'s' if len(holds) > 1 else ''}: {shown}. Upload them, or accept the gaps as"
            " holds.",
            field="frames",
        )
    total = sum(size for _, _, size in numbered)
    if total > settings.MEDIA_MAX_UPLOAD_BYTES:
        raise ValidationFailed(
            f"The sequence is {human_size(total)}; uploads are limited to"
            f" {human_size(settings.MEDIA_MAX_UPLOAD_BYTES)}.",
            field="frames",
        )
    pattern = next(iter(patterns))
    display = pattern.display()
    prefix = (
        storage.new_object_key(
            organization_id=scope.organization_id,
            project_id=shot.project_id,
            filename="frames",
            area="uploads",
        ).rsplit("/", 1)[0]
        + "/"
    )
    fmt = format_for_filename(display)
    assert fmt is not None  # every frame has an image extension
    with transaction.atomic():
        media = media_file_register(
            organization_id=scope.organization_id,
            project_id=shot.project_id,
            shot_id=shot.pk,
            kind=kind,
            state=MediaState.UPLOADING,
            original_filename=display,
            content_type=fmt.content_type,
            declared_content_type=declared_content_type,
            size=total,
            storage_key=prefix,
            upload_id=SEQUENCE_UPLOAD,
            part_count=len(numbered),
            color_space=color_space
            or default_color_space(
                filename=display, project_working_space=shot.project.working_color_space
            ),
            probe={
                "sequence_upload": {
                    "frames": [[storage.safe_filename(name), size] for _, name, size in numbered],
                    "first_frame": numbers[0],
                    "last_frame": numbers[-1],
                    "allow_holds": allow_holds,
                    "holds": holds,
                }
            },
            created_by=actor,
        )
        audit_record(
            action="media.upload.start",
            actor=actor,
            target=media,
            changes={
                "shot": shot.code,
                "sequence": display,
                "frames": len(numbered),
                "size": total,
                "holds": len(holds),
            },
        )
    return media


def sequence_frame_urls(
    *, actor: Any, media: MediaFile, part_numbers: list[int]
) -> list[dict[str, Any]]:
    """Presigned PUT URLs for frames (part i = frame file i of the layout)."""
    if media.state != MediaState.UPLOADING or media.upload_id != SEQUENCE_UPLOAD:
        raise Conflict(f"This upload is {media.get_state_display().lower()}, not in progress.")
    frames = _frames_of(media)
    numbers = sorted(set(part_numbers))
    if not numbers or len(numbers) > 100:
        raise ValidationFailed("Ask for 1 to 100 parts at a time.", field="parts")
    if numbers[0] < 1 or numbers[-1] > len(frames):
        raise ValidationFailed(f"Part numbers run from 1 to {len(frames)}.", field="parts")
    seconds = settings.MEDIA_UPLOAD_URL_SECONDS
    urls = [
        {
            "part_number": number,
            "name": frames[number - 1][0],
            "size": frames[number - 1][1],
            "url": storage.object_put_url(
                key=media.storage_key + frames[number - 1][0], expires_in=seconds
            ),
        }
        for number in numbers
    ]
    audit_record(
        action="media.upload.sign_parts",
        actor=actor,
        target=media,
        changes={"parts": [numbers[0], numbers[-1]], "count": len(numbers)},
    )
    return urls


def sequence_frames_stored(media: MediaFile) -> list[dict[str, int]]:
    """The frames S3 already holds with their declared size (what a resume skips)."""
    if media.state != MediaState.UPLOADING or media.upload_id != SEQUENCE_UPLOAD:
        return []
    stored = storage.prefix_objects(media.storage_key)
    return [
        {"part_number": index, "size": size}
        for index, (name, size) in enumerate(_frames_of(media), start=1)
        if stored.get(name) == size
    ]


def sequence_upload_complete(*, actor: Any, media: MediaFile) -> MediaFile:
    """Every frame stored with its declared size (409 naming the missing ones), nothing
    else under the prefix; then one new version, quarantined until validated."""
    with transaction.atomic():
        locked = MediaFile.objects.select_for_update().filter(pk=media.pk).first()
        if locked is None:
            raise NotFound("Upload not found.")
        media = locked
        if media.state != MediaState.UPLOADING or media.upload_id != SEQUENCE_UPLOAD:
            raise Conflict(f"This upload is {media.get_state_display().lower()}, not in progress.")
        frames = _frames_of(media)
        stored = storage.prefix_objects(media.storage_key)
        missing = [i for i, (name, _) in enumerate(frames, start=1) if name not in stored]
        if missing:
            shown = ", ".join(str(n) for n in missing[:10]) + ("…" if len(missing) > 10 else "")
            raise Conflict(f"Parts {shown} of {len(frames)} are not uploaded yet.")
        declared = dict(frames)
        wrong = [n for n, size in stored.items() if declared.get(n) != size]
        if wrong:
            storage.object_delete(media.storage_key)
            media.state, media.upload_id = MediaState.REJECTED, ""
            media.rejection_reason = (
                f"{wrong[0]} is not a frame of this upload or does not have its declared size."
            )
            media.save(update_fields=["state", "upload_id", "rejection_reason"])
            audit_record(
                action="media.reject",
                actor=actor,
                target=media,
                changes={"reason": media.rejection_reason},
            )
            return media
        version = version_create(
            actor=actor,
            shot=media.shot,  # type: ignore[arg-type]
            source=VersionSource.UPLOAD,
            description=media.original_filename,
        )
        media.version, media.state, media.upload_id = version, MediaState.QUARANTINED, ""
        media.uploaded_at = timezone.now()
        media.save(update_fields=["version", "state", "upload_id", "uploaded_at"])
        audit_record(
            action="media.upload.complete",
            actor=actor,
            target=media,
            changes={"version": version.label, "frames": len(frames), "size": media.size},
        )
        send_organization_event(
            media.organization_id,
            {"type": "media.uploaded", "media_id": media.pk, "version_id": version.pk},
        )
        validate_enqueue(media)
    return media


def sequence_upload_abort(*, actor: Any, media: MediaFile) -> MediaFile:
    if media.state != MediaState.UPLOADING or media.upload_id != SEQUENCE_UPLOAD:
        raise Conflict(f"This upload is {media.get_state_display().lower()}, not in progress.")
    storage.object_delete(media.storage_key)
    media.state, media.upload_id = MediaState.REJECTED, ""
    media.rejection_reason = "Upload cancelled."
    media.save(update_fields=["state", "rejection_reason", "upload_id"])
    audit_record(action="media.upload.abort", actor=actor, target=media)
    return media
