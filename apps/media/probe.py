"""Fetch a stored object (or an image sequence under its prefix) and inspect it: the one
validation step of uploads, imports and a job's outputs alike."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from django.conf import settings

from apps.media import storage
from apps.media.headers import Limits
from apps.media.sandbox import Sandbox
from apps.media.sequences import inspect_sequence
from apps.media.validation import (
    MediaRejected,
    ProbeResult,
    format_for_filename,
    inspect_file,
    scrub,
)

logger = logging.getLogger(__name__)


def is_sequence_key(key: str) -> bool:
    """An image sequence is stored as the files under one prefix (its key ends with /)."""
    return key.endswith("/")


def media_limits() -> Limits:
    """The configured limits (settings MEDIA_MAX_*), checked on headers before decoding."""
    return Limits(
        max_width=settings.MEDIA_MAX_WIDTH,
        max_height=settings.MEDIA_MAX_HEIGHT,
        max_pixels=settings.MEDIA_MAX_PIXELS,
        max_channels=settings.MEDIA_MAX_CHANNELS,
        max_frames=settings.MEDIA_MAX_FRAMES,
        max_duration_seconds=settings.MEDIA_MAX_DURATION_SECONDS,
        max_frame_bytes=settings.MEDIA_MAX_FRAME_BYTES,
        max_exr_parts=settings.MEDIA_MAX_EXR_PARTS,
        allow_uncompressed_video=settings.MEDIA_ALLOW_UNCOMPRESSED_VIDEO,
    )


def media_sandbox() -> Sandbox:
    """The caps of the decoding child process (settings MEDIA_DECODE_*)."""
    return Sandbox(
        memory_mb=settings.MEDIA_DECODE_MEMORY_MB,
        cpu_seconds=settings.MEDIA_DECODE_CPU_SECONDS,
        wall_seconds=settings.MEDIA_DECODE_WALL_SECONDS,
    )


def local_name(filename: str, stem: str = "object") -> str:
    """A temp file name that keeps the format's extension (decoders pick readers by it)."""
    fmt = format_for_filename(filename)
    return f"{stem}.{fmt.extensions[0]}" if fmt else stem


def fetch_and_inspect(
    *,
    key: str,
    filename: str,
    declared_size: int,
    declared_sha256: str = "",
    allow_holds: bool = False,
) -> tuple[ProbeResult | None, str]:
    """(probe, "") when the stored media is what it claims, else (None, the reason)."""
    with tempfile.TemporaryDirectory(prefix="backlot-validate-") as work:
        try:
            if is_sequence_key(key):
                folder = Path(work) / "sequence"
                folder.mkdir()
                storage.prefix_download(key, folder)
                stored = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
            else:
                path = Path(work) / local_name(filename)
                storage.object_download(key, path)
                stored = path.stat().st_size
        except Exception as error:
            logger.warning("could not download %s: %s", key, error)
            return None, "The stored object could not be read from storage."
        if stored != declared_size:
            return None, f"The stored object is {stored} bytes, not {declared_size}."
        limits, sandbox = media_limits(), media_sandbox()
        try:
            if is_sequence_key(key):
                result = inspect_sequence(
                    folder,
                    filename=filename,
                    limits=limits,
                    sandbox=sandbox,
                    allow_holds=allow_holds,
                )
            else:
                result = inspect_file(path, filename=filename, limits=limits, sandbox=sandbox)
        except MediaRejected as rejected:
            return None, scrub(rejected.reason, None, filename)
        except Exception as error:  # a decoder crash is a rejection, not a retry
            logger.exception("probe failed for %s", key)
            return None, scrub(f"The file could not be probed: {error}.", None, filename)
    if declared_sha256 and result.sha256 != declared_sha256:
        return None, (
            "The stored content does not match the sha256 its producer declared"
            f" ({declared_sha256[:12]}…, stored {result.sha256[:12]}…)."
        )
    return result, ""
