"""What a stored file really is: sha256, magic bytes and a real probe.

Pure functions on a local file (no Django, no S3): the validation task downloads the
object and asks `inspect_file`. Anything that is not what its name claims, is truncated
or cannot be decoded raises `MediaRejected` with a reason a person can act on.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

MOVIE = "movie"
IMAGE = "image"
DOCUMENT = "document"


class MediaRejected(Exception):
    """The file is not acceptable; `reason` is shown to the uploader."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Format:
    name: str  # family key
    label: str  # what a person calls it
    category: str  # movie, image or document
    extensions: tuple[str, ...]
    content_type: str


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("quicktime", "QuickTime/MP4 movie", MOVIE, ("mov", "mp4", "m4v"), "video/quicktime"),
        Format("mxf", "MXF movie", MOVIE, ("mxf",), "application/mxf"),
        Format("matroska", "Matroska/WebM movie", MOVIE, ("mkv", "webm"), "video/x-matroska"),
        Format("exr", "OpenEXR image", IMAGE, ("exr",), "image/x-exr"),
        Format("dpx", "DPX image", IMAGE, ("dpx",), "image/x-dpx"),
        Format("tiff", "TIFF image", IMAGE, ("tif", "tiff"), "image/tiff"),
        Format("png", "PNG image", IMAGE, ("png",), "image/png"),
        Format("jpeg", "JPEG image", IMAGE, ("jpg", "jpeg"), "image/jpeg"),
        Format("pdf", "PDF document", DOCUMENT, ("pdf",), "application/pdf"),
    )
}
EXTENSIONS: dict[str, Format] = {ext: f for f in FORMATS.values() for ext in f.extensions}
_QUICKTIME_ATOMS = {b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}


def format_for_filename(filename: str) -> Format | None:
    suffix = Path(filename).suffix.lower().lstrip(".")
    return EXTENSIONS.get(suffix)


def sniff(head: bytes) -> str | None:
    """The format family the first bytes belong to, or None."""
    if head[:4] == b"\x76\x2f\x31\x01":
        return "exr"
    if head[:4] in (b"SDPX", b"XPDS"):
        return "dpx"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if head[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if head[:4] == b"\x06\x0e\x2b\x34":
        return "mxf"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "matroska"
    if head[:5] == b"%PDF-":
        return "pdf"
    if len(head) >= 8 and head[4:8] in _QUICKTIME_ATOMS:
        return "quicktime"
    return None


@dataclass
class ProbeResult:
    format: str
    sha256: str
    size: int
    codec: str = ""
    width: int | None = None
    height: int | None = None
    frame_rate: Fraction | None = None
    frame_count: int | None = None
    duration_seconds: float | None = None
    pixel_format: str = ""
    color_tags: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)


def sha256_of(path: Path, chunk: int = 8 * 1024 * 1024) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def inspect_file(path: Path, *, filename: str) -> ProbeResult:
    """sha256, magic bytes against the claimed format, then a real decode."""
    claimed = format_for_filename(filename)
    if claimed is None:
        accepted = ", ".join(sorted(EXTENSIONS))
        raise MediaRejected(
            f"Unsupported file type {Path(filename).suffix or '(none)'}; accepted: {accepted}."
        )
    size = os.path.getsize(path)
    if size == 0:
        raise MediaRejected("The file is empty (0 bytes).")
    with open(path, "rb") as handle:
        head = handle.read(64)
    found = sniff(head)
    if found != claimed.name:
        looks_like = FORMATS[found].label if found else "no known media format"
        raise MediaRejected(
            f"The file is named as a {claimed.label} but its content is {looks_like}"
            " (wrong magic bytes)."
        )
    result = ProbeResult(format=claimed.name, sha256=sha256_of(path), size=size)
    if claimed.category == MOVIE:
        _probe_movie(path, result)
    elif claimed.name == "exr":
        _probe_exr(path, result)
    elif claimed.category == IMAGE:
        _probe_image(path, result)
    return result


def _probe_movie(path: Path, result: ProbeResult) -> None:
    import av

    try:
        container = av.open(str(path))
    except av.FFmpegError as error:
        raise MediaRejected(
            f"The movie cannot be opened (truncated or corrupt): {error}."
        ) from error
    with container:
        if not container.streams.video:
            raise MediaRejected("The movie has no video stream.")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        context = stream.codec_context
        rate = stream.average_rate or stream.guessed_rate
        declared = int(stream.frames or 0)
        decoded = 0
        pixel_format = ""
        try:
            for packet in container.demux(stream):
                for frame in packet.decode():
                    decoded += 1
                    if not pixel_format:
                        pixel_format = frame.format.name
        except av.FFmpegError as error:
            raise MediaRejected(
                f"The movie is corrupt: decoding failed after {decoded} frames ({error})."
            ) from error
        if decoded == 0:
            raise MediaRejected("The movie contains no decodable frame (truncated or corrupt).")
        if declared and decoded < declared:
            raise MediaRejected(
                f"The movie is truncated: {decoded} of its {declared} frames are present."
            )
        result.codec = context.name or ""
        result.width, result.height = context.width, context.height
        result.frame_rate = Fraction(rate) if rate else None
        result.frame_count = decoded
        if result.frame_rate:
            result.duration_seconds = float(decoded / result.frame_rate)
        result.pixel_format = pixel_format or (context.format.name if context.format else "")
        tags = {
            "primaries": _enum_name(getattr(context, "color_primaries", None)),
            "transfer": _enum_name(getattr(context, "color_trc", None)),
            "matrix": _enum_name(getattr(context, "colorspace", None)),
            "range": _enum_name(getattr(context, "color_range", None)),
        }
        result.color_tags = {k: v for k, v in tags.items() if v not in ("", None)}
        result.details = {
            "container": container.format.name,
            "codec_long_name": context.codec.long_name if context.codec else "",
            "profile": context.profile or "",
            "declared_frames": declared,
            "bit_rate": container.bit_rate,
        }


def _enum_name(value: Any) -> str | int | None:
    if value is None:
        return None
    name = getattr(value, "name", None)
    if name:
        return str(name).lower()
    return int(value) if isinstance(value, int) else str(value)


def _probe_exr(path: Path, result: ProbeResult) -> None:
    import OpenEXR

    try:
        exr = OpenEXR.File(str(path))
        header = exr.header()
        channels = exr.channels()
    except Exception as error:
        raise MediaRejected(f"The EXR header or pixels cannot be read: {error}.") from error
    low, high = header["dataWindow"]
    result.width = int(high[0] - low[0] + 1)
    result.height = int(high[1] - low[1] + 1)
    result.frame_count = 1
    result.codec = str(header.get("compression", "")).split(".")[-1].lower()
    names = sorted(channels)
    dtypes = {str(channel.pixels.dtype) for channel in channels.values()}
    result.pixel_format = f"{'+'.join(names)} {'/'.join(sorted(dtypes))}"
    if "chromaticities" in header:
        result.color_tags = {"chromaticities": [float(v) for v in header["chromaticities"]]}
    result.details = {
        "channels": names,
        "line_order": str(header.get("lineOrder", "")),
        "type": str(header.get("type", "")),
    }


def _probe_image(path: Path, result: ProbeResult) -> None:
    import OpenImageIO as oiio

    image = oiio.ImageInput.open(str(path))
    if image is None:
        raise MediaRejected(f"The image cannot be opened: {oiio.geterror() or 'unreadable'}.")
    try:
        spec = image.spec()
        pixels = image.read_image(oiio.FLOAT)
        if pixels is None:
            raise MediaRejected(
                f"The image is truncated or corrupt: {image.geterror() or 'pixels unreadable'}."
            )
        result.width, result.height = int(spec.width), int(spec.height)
        result.frame_count = 1
        result.codec = image.format_name()
        result.pixel_format = f"{spec.nchannels}ch {spec.format}"
        color = spec.getattribute("oiio:ColorSpace")
        result.color_tags = {"oiio_colorspace": str(color)} if color else {}
        result.details = {"channels": list(spec.channelnames)}
    finally:
        image.close()


# --- image sequences (a job's output folder, stored under one prefix) -----------------------

_FRAME_NUMBER = re.compile(r"(\d+)$")


def sequence_frames(folder: Path) -> list[Path]:
    """The frame files of a sequence folder in frame order (trailing number, then name)."""

    def order(path: Path) -> tuple[int, str]:
        match = _FRAME_NUMBER.search(path.stem)
        return (int(match.group(1)) if match else -1, path.name)

    return sorted((p for p in folder.iterdir() if p.is_file()), key=order)


def tree_manifest_sha256(folder: Path) -> str:
    """The sha256 a GPU worker declares for a folder it stored: that of a manifest listing
    every file's sha256 and relative path, in path order (gpu_workers.storage.upload_tree)."""
    lines = [
        f"{sha256_of(path)}  {path.relative_to(folder).as_posix()}"
        for path in sorted(p for p in folder.rglob("*") if p.is_file())
    ]
    return hashlib.sha256(("\n".join(lines) + "\n").encode()).hexdigest()


def inspect_sequence(folder: Path, *, filename: str) -> ProbeResult:
    """An image sequence: every frame has the claimed format's magic bytes, the first and
    last frames decode, all frames share one size; sha256 is the folder's manifest."""
    claimed = format_for_filename(filename)
    if claimed is None or claimed.category != IMAGE:
        raise MediaRejected(f"{filename} does not name an image sequence (EXR, DPX, TIFF...).")
    frames = sequence_frames(folder)
    if not frames:
        raise MediaRejected("The image sequence holds no frames.")
    total = 0
    for path in frames:
        size = path.stat().st_size
        if size == 0:
            raise MediaRejected(f"Frame {path.name} of the sequence is empty (0 bytes).")
        with open(path, "rb") as handle:
            found = sniff(handle.read(64))
        if found != claimed.name:
            raise MediaRejected(
                f"Frame {path.name} of the sequence is not a {claimed.label} (wrong magic bytes)."
            )
        total += size
    first = inspect_file(frames[0], filename=frames[0].name)
    if len(frames) > 1:
        last = inspect_file(frames[-1], filename=frames[-1].name)
        if (last.width, last.height) != (first.width, first.height):
            raise MediaRejected(
                f"The sequence changes size: {frames[0].name} is {first.width}×{first.height},"
                f" {frames[-1].name} is {last.width}×{last.height}."
            )
    numbers = [m.group(1) for p in frames if (m := _FRAME_NUMBER.search(p.stem))]
    return ProbeResult(
        format=claimed.name,
        sha256=tree_manifest_sha256(folder),
        size=total,
        codec=first.codec,
        width=first.width,
        height=first.height,
        frame_count=len(frames),
        pixel_format=first.pixel_format,
        color_tags=first.color_tags,
        details={
            **first.details,
            "sequence": {
                "frames": len(frames),
                "first": frames[0].name,
                "last": frames[-1].name,
                "first_frame": int(numbers[0]) if numbers else None,
                "last_frame": int(numbers[-1]) if numbers else None,
            },
        },
    )
