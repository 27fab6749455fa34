"""Image sequences: frames of one picture stored as files under one prefix.

The frame pattern is recognised from the names (`name.####.exr`, `name_####.dpx`, any
padding, any first frame: 1001 is as good as 0). Every frame's header is checked (the
structure, the limits, and one resolution, channel count and compression for the whole
sequence); the frame range is checked for gaps (reported with the missing numbers, refused
unless the uploader accepts them as holds); the first and last frames are decoded.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from apps.media.exr_header import check_exr
from apps.media.headers import HeaderInfo, HeaderRejected, Limits, check_header
from apps.media.sandbox import Sandbox
from apps.media.validation import (
    FORMATS,
    IMAGE,
    MediaRejected,
    ProbeResult,
    format_for_filename,
    inspect_file,
    sha256_of,
    sniff,
)

_FRAME_NUMBER = re.compile(r"(\d+)$")
_FRAME_NAME = re.compile(r"^(?P<base>.*?)(?P<sep>[._]?)(?P<number>\d+)\.(?P<ext>[A-Za-z0-9]+)$")


@dataclass(frozen=True)
class FramePattern:
    base: str
    separator: str
    padding: int
    extension: str

    def display(self) -> str:
        return f"{self.base}{self.separator}{'#' * self.padding}.{self.extension}"


def frame_number(name: str) -> tuple[FramePattern, int] | None:
    """(pattern, frame number) of a frame file name, or None when it carries no number."""
    match = _FRAME_NAME.match(name)
    if match is None:
        return None
    number = match.group("number")
    pattern = FramePattern(
        match.group("base"), match.group("sep"), len(number), match.group("ext").lower()
    )
    return pattern, int(number)


def sequence_frames(folder: Path) -> list[Path]:
    """The frame files of a sequence folder in frame order (trailing number, then name)."""

    def order(path: Path) -> tuple[int, str]:
        match = _FRAME_NUMBER.search(path.stem)
        return (int(match.group(1)) if match else -1, path.name)

    return sorted((p for p in folder.iterdir() if p.is_file()), key=order)


def held_frames(frames: list[Path]) -> list[Path]:
    """Frames in order with every missing number filled by the frame before it (a hold),
    so frame N of the range is picture N of a proxy made from it."""
    numbered = [(found[1], path) for path in frames if (found := frame_number(path.name))]
    if len(numbered) != len(frames) or not numbered:
        return frames
    held: list[Path] = []
    expected = numbered[0][0]
    for number, path in numbered:
        while held and expected < number:
            held.append(held[-1])
            expected += 1
        held.append(path)
        expected = number + 1
    return held


def tree_manifest_sha256(folder: Path) -> str:
    """The sha256 a GPU worker declares for a folder it stored: that of a manifest listing
    every file's sha256 and relative path, in path order (gpu_workers.storage.upload_tree)."""
    lines = [
        f"{sha256_of(path)}  {path.relative_to(folder).as_posix()}"
        for path in sorted(p for p in folder.rglob("*") if p.is_file())
    ]
    return hashlib.sha256(("\n".join(lines) + "\n").encode()).hexdigest()


def missing_frames(numbers: list[int]) -> list[int]:
    present = set(numbers)
    return [n for n in range(min(numbers), max(numbers) + 1) if n not in present]


def _ranges(numbers: list[int]) -> str:
    """1003, 1007-1009: missing frames as a person reads them (at most 12 runs shown)."""
    runs: list[list[int]] = []
    for number in numbers:
        if runs and number == runs[-1][1] + 1:
            runs[-1][1] = number
        else:
            runs.append([number, number])
    shown = [str(a) if a == b else f"{a}–{b}" for a, b in runs[:12]]
    return ", ".join(shown) + ("…" if len(runs) > 12 else "")


def _header(path: Path, fmt: str, limits: Limits) -> HeaderInfo:
    try:
        if fmt == "exr":
            with open(path, "rb") as handle:
                return check_exr(handle, path.stat().st_size, limits)
        return check_header(path, fmt, limits)
    except HeaderRejected as rejected:
        raise MediaRejected(f"Frame {path.name} of the sequence: {rejected.reason}") from None


def inspect_sequence(
    folder: Path,
    *,
    filename: str,
    limits: Limits | None = None,
    sandbox: Sandbox | None = None,
    allow_holds: bool = False,
) -> ProbeResult:
    """An image sequence: one frame pattern, every frame's header (structure, limits, one
    resolution, channel set size and compression), no gaps unless `allow_holds`, the first
    and last frames decoded; sha256 is the folder's manifest."""
    limits = limits or Limits()
    claimed = format_for_filename(filename)
    if claimed is None or claimed.category != IMAGE:
        raise MediaRejected(f"{filename} does not name an image sequence (EXR, DPX, TIFF...).")
    frames = sequence_frames(folder)
    if not frames:
        raise MediaRejected("The image sequence holds no frames.")
    if len(frames) > limits.max_frames:
        raise MediaRejected(
            f"The sequence has {len(frames)} frames; the limit is {limits.max_frames}."
        )
    parsed = [frame_number(p.name) for p in frames]
    patterns = {p[0] for p in parsed if p is not None}
    if None in parsed or len(patterns) != 1:
        names = sorted({p[0].display() for p in parsed if p is not None})
        unnumbered = [f.name for f, p in zip(frames, parsed, strict=True) if p is None][:3]
        raise MediaRejected(
            "The files do not form one frame sequence"
            + (f" (patterns {', '.join(names)})" if len(names) > 1 else "")
            + (f" (no frame number: {', '.join(unnumbered)})" if unnumbered else "")
            + "."
        )
    numbers = [p[1] for p in parsed if p is not None]
    if len(set(numbers)) != len(numbers):
        raise MediaRejected("The sequence has two files for the same frame number.")
    total, first_header, holds = 0, None, missing_frames(numbers)
    for path, number in zip(frames, numbers, strict=True):
        size = path.stat().st_size
        if size == 0:
            raise MediaRejected(f"Frame {number} of the sequence is empty (0 bytes).")
        with open(path, "rb") as handle:
            found = sniff(handle.read(64))
        if found != claimed.name:
            looks_like = FORMATS[found].label if found else "no known media format"
            raise MediaRejected(
                f"Frame {number} of the sequence is {looks_like}, not a {claimed.label}"
                " (wrong magic bytes)."
            )
        header = _header(path, claimed.name, limits)
        if first_header is None:
            first_header, first_number = header, number
        else:
            _same_as_first(first_header, first_number, header, number)
        total += size
    if holds and not allow_holds:
        raise MediaRejected(
            f"The sequence {min(numbers)}–{max(numbers)} is missing {len(holds)} frame"
            f"{'s' if len(holds) > 1 else ''}: {_ranges(holds)}. Upload them, or accept the"
            " gaps as holds."
        )
    first = inspect_file(frames[0], filename=frames[0].name, limits=limits, sandbox=sandbox)
    if len(frames) > 1:
        inspect_file(frames[-1], filename=frames[-1].name, limits=limits, sandbox=sandbox)
    pattern = next(iter(patterns))
    return ProbeResult(
        format=claimed.name,
        sha256=tree_manifest_sha256(folder),
        size=total,
        codec=first.codec,
        width=first.width,
        height=first.height,
        frame_count=max(numbers) - min(numbers) + 1,
        pixel_format=first.pixel_format,
        color_tags=first.color_tags,
        details={
            **first.details,
            "sequence": {
                "pattern": pattern.display(),
                "frames": len(frames),
                "first": frames[0].name,
                "last": frames[-1].name,
                "first_frame": min(numbers),
                "last_frame": max(numbers),
                "holds": holds,
            },
        },
    )


def _same_as_first(first: HeaderInfo, first_number: int, header: HeaderInfo, number: int) -> None:
    if (header.width, header.height) != (first.width, first.height):
        raise MediaRejected(
            f"The sequence changes resolution: frame {first_number} is"
            f" {first.width}×{first.height}, frame {number} is {header.width}×{header.height}."
        )
    if header.channels != first.channels:
        raise MediaRejected(
            f"The sequence changes channels: frame {first_number} has {first.channels},"
            f" frame {number} has {header.channels}."
        )
    if header.compression != first.compression:
        raise MediaRejected(
            f"The sequence changes compression: frame {first_number} is"
            f" {first.compression or 'uncompressed'}, frame {number} is"
            f" {header.compression or 'uncompressed'}."
        )
