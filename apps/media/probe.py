"""Fetch a stored object (or an image sequence under its prefix) and inspect it: the one
validation step of uploads, imports and a job's outputs alike."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from apps.media import storage
from apps.media.validation import MediaRejected, ProbeResult, inspect_file, inspect_sequence

logger = logging.getLogger(__name__)


def is_sequence_key(key: str) -> bool:
    """An image sequence is stored as the files under one prefix (its key ends with /)."""
    return key.endswith("/")


def fetch_and_inspect(
    *, key: str, filename: str, declared_size: int, declared_sha256: str = ""
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
                path = Path(work) / "object"
                storage.object_download(key, path)
                stored = path.stat().st_size
        except Exception as error:
            logger.warning("could not download %s: %s", key, error)
            return None, "The stored object could not be read from storage."
        if stored != declared_size:
            return None, f"The stored object is {stored} bytes, not {declared_size}."
        try:
            if is_sequence_key(key):
                result = inspect_sequence(folder, filename=filename)
            else:
                result = inspect_file(path, filename=filename)
        except MediaRejected as rejected:
            return None, rejected.reason
        except Exception as error:  # a decoder crash is a rejection, not a retry
            logger.exception("probe failed for %s", key)
            return None, f"The file could not be probed: {error}."
    if declared_sha256 and result.sha256 != declared_sha256:
        return None, (
            "The stored content does not match the sha256 its producer declared"
            f" ({declared_sha256[:12]}…, stored {result.sha256[:12]}…)."
        )
    return result, ""
