"""What a stored file really is: sha256, magic bytes, its structure and a real probe.

Pure functions on a local file (no Django, no S3): the validation task downloads the
object and asks `inspect_file`. Anything that is not what its name claims, is truncated,
carries hidden data, declares sizes beyond the limits, uses a codec outside the allow-list
or cannot be decoded raises `MediaRejected` with a reason a person can act on. The header
checks (`apps.media.headers`, `apps.media.exr_header`) run before any decoder; the decode
itself runs in a capped child process when a `Sandbox` is given (`apps.media.sandbox`).
"""

from __future__ import annotations

import hashlib
import os
import re
import struct
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from apps.media.exr_header import check_exr
from apps.media.headers import HeaderRejected, Limits, check_header, check_limits
from apps.media.sandbox import Sandbox, SandboxRejected, restore, run_isolated

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


def inspect_file(
    path: Path, *, filename: str, limits: Limits | None = None, sandbox: Sandbox | None = None
) -> ProbeResult:
    """sha256, magic bytes against the claimed format, the structure and declared sizes
    from the headers, then a real decode (in a capped child process with `sandbox`)."""
    limits = limits or Limits()
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
    try:
        if claimed.name == "exr":
            with open(path, "rb") as handle:
                header = check_exr(handle, size, limits)
        else:
            header = check_header(path, claimed.name, limits)
    except HeaderRejected as rejected:
        raise MediaRejected(rejected.reason) from None
    except (struct.error, EOFError, OSError):
        raise MediaRejected(f"The {claimed.label} header is truncated or corrupt.") from None
    if claimed.category == DOCUMENT:
        return ProbeResult(format=claimed.name, sha256=sha256_of(path), size=size)
    if sandbox is None:
        result = decode(path, fmt=claimed.name, filename=filename, limits=limits)
    else:
        try:
            found_fields = run_isolated(
                path, fmt=claimed.name, filename=filename, limits=limits, sandbox=sandbox
            )
        except SandboxRejected as rejected:
            raise MediaRejected(rejected.reason) from None
        result = ProbeResult(**{k: restore(v) for k, v in found_fields.items()})
    result.sha256, result.size = sha256_of(path), size
    if header.compression and claimed.name == "exr":
        result.details["compression"] = header.compression
    result.details.update({k: v for k, v in header.details.items() if k not in result.details})
    return result


def decode(path: Path, *, fmt: str, filename: str, limits: Limits) -> ProbeResult:
    """The decoder's probe of a file whose headers passed (runs in the sandbox child)."""
    result = ProbeResult(format=fmt, sha256="", size=0)
    try:
        if FORMATS[fmt].category == MOVIE:
            _probe_movie(path, result, limits)
        elif fmt == "exr":
            _probe_exr(path, result)
        else:
            _probe_image(path, result)
    except MediaRejected as rejected:
        raise MediaRejected(scrub(rejected.reason, path, filename)) from None
    return result


_ABSOLUTE_PATH = re.compile(r"""(?:[A-Za-z]:)?[/\\](?:[^\s'"/\\]+[/\\])+[^\s'",;)]*""")


def scrub(message: str, path: Path | None, filename: str) -> str:
    """A decoder message without server paths: the temp file is named by its upload name."""
    text = message
    if path is not None:
        text = text.replace(str(path.resolve()), filename).replace(str(path), filename)
    return _ABSOLUTE_PATH.sub(filename or "the file", text)


# Video codecs accepted (by FFmpeg decoder name), and what a person calls the others.
ACCEPTED_CODECS = {"prores", "dnxhd", "h264", "hevc"}
UNCOMPRESSED_CODECS = {"rawvideo", "v210", "v410", "r210", "r10k", "v308", "v408", "yuv4"}
REFUSED_LABELS = {
    "mpeg4": "MPEG-4 Part 2",
    "msmpeg4v3": "MS MPEG-4 v3 (DivX 3)",
    "mpeg2video": "MPEG-2",
    "mpeg1video": "MPEG-1",
    "mjpeg": "Motion JPEG",
    "h263": "H.263",
    "flv1": "Sorenson Spark (FLV)",
    "svq1": "Sorenson Video",
    "svq3": "Sorenson Video 3",
    "cinepak": "Cinepak",
    "vp8": "VP8",
    "vp9": "VP9",
    "av1": "AV1",
    "theora": "Theora",
    "qtrle": "QuickTime Animation",
    "png": "PNG-in-movie",
    "gif": "GIF",
}
EXPORT_HINT = "export ProRes or DNxHR (or H.264/H.265 for references)"


def check_codec(codec: str, *, container: str, pixel_format: str, limits: Limits) -> None:
    if codec in ACCEPTED_CODECS:
        return
    if codec in UNCOMPRESSED_CODECS:
        if limits.allow_uncompressed_video and "mov" in container.split(","):
            return
        raise MediaRejected(
            f"Uncompressed video ({codec}, {pixel_format or 'unknown pixels'}) is not accepted"
            f" in this project; {EXPORT_HINT}."
        )
    label = REFUSED_LABELS.get(codec, f"{codec or 'unknown'!s}")
    raise MediaRejected(f"{label} video is not accepted; {EXPORT_HINT}.")


def _probe_movie(path: Path, result: ProbeResult, limits: Limits | None = None) -> None:
    import av

    limits = limits or Limits()
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
        context = stream.codec_context
        check_codec(
            context.name or "",
            container=container.format.name,
            pixel_format=context.format.name if context.format else "",
            limits=limits,
        )
        try:
            check_limits(limits, width=context.width, height=context.height, what="movie")
        except HeaderRejected as rejected:
            raise MediaRejected(rejected.reason) from None
        rate = stream.average_rate or stream.guessed_rate
        declared = int(stream.frames or 0)
        base = stream.time_base
        seconds = float(stream.duration * base) if stream.duration and base else 0.0
        if declared > limits.max_frames or seconds > limits.max_duration_seconds:
            raise MediaRejected(
                f"The movie declares {declared} frames ({seconds / 60:.0f} min); the limits"
                f" are {limits.max_frames} frames and"
                f" {limits.max_duration_seconds / 60:.0f} min."
            )
        stream.thread_type = "AUTO"
        decoded = 0
        pixel_format = ""
        try:
            for packet in container.demux(stream):
                for frame in packet.decode():
                    decoded += 1
                    if not pixel_format:
                        pixel_format = frame.format.name
                if decoded > limits.max_frames:
                    raise MediaRejected(
                        f"The movie holds more than {limits.max_frames} frames; that is the limit."
                    )
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
        raise MediaRejected(f"The EXR pixels cannot be decoded: {error}.") from error
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
