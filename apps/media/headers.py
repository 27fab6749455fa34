"""Structure and size checks read from headers, before any pixel is decoded.

Pure functions on a local file (no Django, no decoder): the container structure is
walked (PNG chunks, OpenEXR headers, parts and offset tables, QuickTime/MP4 atoms, DPX
header sizes, JPEG markers), so truncated files, polyglots (an executable or a web page
appended or hidden in a box) and size fields that disagree with the file are refused with
a reason naming what was found, and the declared width, height, pixel count, channels and
per-frame bytes are checked against `Limits` so a decompression bomb is refused before a
decoder allocates anything.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO


class HeaderRejected(Exception):
    """The header says the file is not acceptable; `reason` is shown to the uploader."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Limits:
    """What one file may declare (defaults fit 8K plates with room to spare)."""

    max_width: int = 16384
    max_height: int = 16384
    max_pixels: int = 80_000_000
    max_channels: int = 64
    max_frames: int = 200_000
    max_duration_seconds: float = 4 * 3600.0
    max_frame_bytes: int = 2 * 1024**3
    max_exr_parts: int = 16
    allow_uncompressed_video: bool = False


@dataclass
class HeaderInfo:
    width: int | None = None
    height: int | None = None
    channels: int | None = None
    bytes_per_sample: int = 1
    compression: str = ""
    details: dict[str, Any] = field(default_factory=dict)


# Signatures of things that have no business inside a picture: a polyglot hides one.
# (magic, what it is, searched anywhere in a block): short magics only count where a
# structure should start, so binary metadata (GPS tracks, XMP) cannot match by chance.
SIGNATURES: tuple[tuple[bytes, str, bool], ...] = (
    (b"\x7fELF", "an ELF executable", False),
    (b"\x7fELF\x01\x01", "an ELF executable", True),
    (b"\x7fELF\x02\x01", "an ELF executable", True),
    (b"MZ\x90\x00", "a Windows executable", False),
    (b"#!/", "a script", False),
    (b"<?php", "a PHP script", True),
    (b"<script", "an HTML script", True),
    (b"<html", "an HTML document", True),
    (b"<!doctype html", "an HTML document", True),
    (b"<svg", "an SVG document", False),
    (b"%PDF-", "a PDF document", False),
    (b"PK\x03\x04", "a ZIP archive", False),
)


def signature_in(data: bytes, *, anywhere: bool = True) -> str | None:
    """What executable or markup `data` holds (at its start, or anywhere for the long
    signatures), or None."""
    lowered = data.lower()
    for magic, label, searched in SIGNATURES:
        needle = magic.lower()
        if lowered.startswith(needle) or (anywhere and searched and needle in lowered):
            return label
    return None


def megapixels(pixels: int) -> str:
    if pixels >= 1_000_000_000:
        return f"{pixels / 1e9:.1f} gigapixels"
    return f"{pixels / 1e6:.1f} megapixels"


def check_limits(
    limits: Limits,
    *,
    width: int,
    height: int,
    channels: int | None = None,
    bytes_per_sample: int = 1,
    what: str = "image",
) -> None:
    """Refuses declared sizes beyond the limits (in this order: sizes, pixels, channels,
    bytes a frame would take once decoded)."""
    if width <= 0 or height <= 0:
        raise HeaderRejected(f"The {what} header declares an empty picture ({width}×{height}).")
    pixels = width * height
    if width > limits.max_width or height > limits.max_height or pixels > limits.max_pixels:
        raise HeaderRejected(
            f"The {what} is {width}×{height} ({megapixels(pixels)}); the limit is"
            f" {limits.max_width}×{limits.max_height} and"
            f" {limits.max_pixels // 1_000_000} megapixels."
        )
    if channels is not None and channels > limits.max_channels:
        raise HeaderRejected(
            f"The {what} has {channels} channels; the limit is {limits.max_channels}."
        )
    frame_bytes = pixels * max(1, channels or 1) * max(1, bytes_per_sample)
    if frame_bytes > limits.max_frame_bytes:
        raise HeaderRejected(
            f"One frame of the {what} takes {frame_bytes / 1024**3:.1f} GiB once decoded;"
            f" the limit is {limits.max_frame_bytes / 1024**3:.1f} GiB."
        )


def check_header(path: Path, fmt: str, limits: Limits) -> HeaderInfo:
    """Walks the structure of `path` (of format family `fmt`) and checks its limits
    (OpenEXR has its own module, `apps.media.exr_header`)."""
    size = path.stat().st_size
    with open(path, "rb") as handle:
        if fmt == "png":
            return _png(handle, size, limits)
        if fmt == "quicktime":
            return _quicktime(handle, size)
        if fmt == "matroska":
            return _matroska(handle, size)
        if fmt == "dpx":
            return _dpx(handle, size, limits)
        if fmt == "jpeg":
            return _jpeg(handle, size, limits)
        if fmt == "tiff":
            return _tiff(handle, size, limits)
    return HeaderInfo()


def _read_exact(handle: BinaryIO, count: int) -> bytes:
    data = handle.read(count)
    if len(data) != count:
        raise EOFError
    return data


# --- PNG (chunks: length, type, data, CRC; IHDR first, IEND last) ----------------------------

_PNG_CHANNELS = {0: 1, 2: 3, 3: 3, 4: 2, 6: 4}


def _png(handle: BinaryIO, size: int, limits: Limits) -> HeaderInfo:
    offset = 8
    info = HeaderInfo(compression="deflate")
    first = True
    while True:
        handle.seek(offset)
        head = handle.read(8)
        if len(head) < 8:
            raise HeaderRejected(
                f"The PNG is truncated: it ends at byte {size} before its IEND chunk."
            )
        length, kind = struct.unpack(">I4s", head)
        end = offset + 12 + length
        if first:
            if kind != b"IHDR" or length != 13:
                raise HeaderRejected("The PNG is corrupt: it does not start with an IHDR chunk.")
            width, height, depth, color = struct.unpack(">IIBB", _read_exact(handle, 10))
            channels = _PNG_CHANNELS.get(color)
            if channels is None:
                raise HeaderRejected(f"The PNG declares an unknown colour type {color}.")
            info.width, info.height, info.channels = width, height, channels
            info.bytes_per_sample = 2 if depth == 16 else 1
            info.details = {"bit_depth": depth, "color_type": color}
            check_limits(
                limits,
                width=width,
                height=height,
                channels=channels,
                bytes_per_sample=info.bytes_per_sample,
            )
            first = False
        if end > size:
            raise HeaderRejected(
                f"The PNG is truncated: its {_fourcc(kind)} chunk declares {length} bytes"
                f" but only {max(0, size - offset - 12)} remain."
            )
        if kind == b"IEND":
            break
        offset = end
    if end < size:
        raise _trailing(handle, end, size, "PNG", "IEND chunk")
    return info


def _trailing(handle: BinaryIO, start: int, size: int, label: str, after: str) -> HeaderRejected:
    handle.seek(start)
    extra = handle.read(min(size - start, 1024 * 1024))
    found = signature_in(extra)
    what = found or f"{size - start} bytes of unknown data"
    return HeaderRejected(
        f"The {label} has {what} after its {after} (byte {start}): files with trailing data"
        " (polyglots) are not accepted."
    )


def _fourcc(kind: bytes) -> str:
    text = kind.decode("latin-1")
    return f"'{text}'" if text.isprintable() else repr(kind)


# --- QuickTime / MP4 (top-level atoms: size, type[, 64-bit size]) ----------------------------

_KNOWN_ATOMS = {
    b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot", b"uuid", b"meta",
    b"udta", b"moof", b"mfra", b"sidx", b"styp", b"pdin", b"prft", b"emsg", b"ssix",
}  # fmt: skip
_SCANNED_ATOMS = {b"free", b"skip", b"wide", b"uuid", b"udta", b"meta", b"pnot"}


def _quicktime(handle: BinaryIO, size: int) -> HeaderInfo:
    offset, previous, seen = 0, "start", []
    while offset < size:
        handle.seek(offset)
        head = handle.read(16)
        found = signature_in(head, anywhere=False)
        if found:
            raise HeaderRejected(
                f"The movie has {found} after its {previous} atom (byte {offset}): files with"
                " hidden or trailing data (polyglots) are not accepted."
            )
        if len(head) < 8:
            raise _trailing(handle, offset, size, "movie", f"{previous} atom")
        length, kind = struct.unpack(">I4s", head[:8])
        header = 8
        if length == 1:
            if len(head) < 16:
                raise HeaderRejected("The movie is truncated inside an atom header.")
            length, header = struct.unpack(">Q", head[8:16])[0], 16
        elif length == 0:
            length = size - offset  # runs to the end of the file
        if not all(0x20 <= c < 0x7F for c in kind) or length < header:
            raise _trailing(handle, offset, size, "movie", f"{previous} atom")
        if offset + length > size:
            if kind == b"mdat" and b"moov" in seen:
                # Index first (fast start), pictures cut: the decoder counts what is left.
                seen.append(kind)
                break
            raise HeaderRejected(
                f"The movie is truncated: its {_fourcc(kind)} atom declares {length} bytes"
                f" but only {size - offset} remain."
            )
        if kind not in _KNOWN_ATOMS or kind in _SCANNED_ATOMS:
            handle.seek(offset + header)
            body = handle.read(min(length - header, 4 * 1024 * 1024))
            found = signature_in(body)
            if found:
                raise HeaderRejected(
                    f"The movie's {_fourcc(kind)} atom (byte {offset}) holds {found}:"
                    " files with hidden data (polyglots) are not accepted."
                )
        seen.append(kind)
        previous = f"{_fourcc(kind)}"
        offset += length
    if b"moov" not in seen:
        raise HeaderRejected("The movie is truncated or incomplete: it has no index ('moov' atom).")
    return HeaderInfo(details={"atoms": [k.decode("latin-1") for k in seen[:32]]})


# --- Matroska / WebM (EBML: the header element, then Segments) -------------------------------

_EBML_TOP = {0x1A45DFA3: "EBML header", 0x18538067: "Segment"}


def _vint(handle: BinaryIO, *, keep_marker: bool) -> tuple[int, int, bool]:
    """(value, length, all ones) of an EBML variable-size integer."""
    first = handle.read(1)
    if not first:
        raise EOFError
    length = 9 - first[0].bit_length() if first[0] else 9
    if length > 8:
        raise HeaderRejected("The Matroska file is corrupt: an invalid element header.")
    rest = _read_exact(handle, length - 1)
    value = first[0] if keep_marker else first[0] & ((1 << (8 - length)) - 1)
    for byte in rest:
        value = (value << 8) | byte
    unknown = not keep_marker and value == (1 << (7 * length)) - 1
    return value, length, unknown


def _matroska(handle: BinaryIO, size: int) -> HeaderInfo:
    offset, previous = 0, "start"
    while offset < size:
        handle.seek(offset)
        try:
            element, id_length, _ = _vint(handle, keep_marker=True)
            length, size_length, unknown = _vint(handle, keep_marker=False)
        except (EOFError, HeaderRejected):
            raise _trailing(handle, offset, size, "Matroska file", previous) from None
        if element not in _EBML_TOP:
            raise _trailing(handle, offset, size, "Matroska file", previous)
        if unknown:
            break  # a Segment whose size was never written runs to the end of the file
        end = offset + id_length + size_length + length
        if end > size:
            raise HeaderRejected(
                f"The Matroska file is truncated: its {_EBML_TOP[element]} declares"
                f" {length} bytes but only {size - offset - id_length - size_length} remain."
            )
        previous, offset = _EBML_TOP[element], end
    return HeaderInfo()


# --- DPX (SMPTE 268M: generic file header, image header with its elements) ------------------

_DPX_CHANNELS = {1: 1, 2: 1, 3: 1, 4: 1, 6: 1, 50: 3, 51: 4, 52: 4, 100: 2, 101: 3, 102: 3, 103: 4}


def _dpx(handle: BinaryIO, size: int, limits: Limits) -> HeaderInfo:
    head = handle.read(2048)
    if len(head) < 1664:
        raise HeaderRejected(f"The DPX is truncated: its header needs 1664 bytes, it has {size}.")
    order = ">" if head[:4] == b"SDPX" else "<"
    image_offset, declared = struct.unpack(order + "I8xI", head[4:20])
    elements, width, height = struct.unpack(order + "HII", head[770:780])
    descriptor, bit_size = head[800], head[803]
    if declared and declared != size:
        if size < declared:
            raise HeaderRejected(
                f"The DPX is truncated: its header declares {declared} bytes, the file has {size}."
            )
        raise _trailing(handle, declared, size, "DPX", "declared end")
    if image_offset < 1664 or image_offset > size:
        raise HeaderRejected(
            f"The DPX is corrupt: its image data offset {image_offset} lies outside the file."
        )
    if not 1 <= elements <= 8:
        raise HeaderRejected(f"The DPX declares {elements} image elements (1 to 8 are valid).")
    channels = _DPX_CHANNELS.get(descriptor, 3)
    check_limits(
        limits,
        width=width,
        height=height,
        channels=channels,
        bytes_per_sample=2 if bit_size > 8 else 1,
    )
    return HeaderInfo(
        width=width,
        height=height,
        channels=channels,
        bytes_per_sample=2 if bit_size > 8 else 1,
        details={"bit_size": bit_size, "descriptor": descriptor},
    )


# --- JPEG (markers up to the first frame header) ---------------------------------------------

_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg(handle: BinaryIO, size: int, limits: Limits) -> HeaderInfo:
    offset = 2
    while offset + 4 <= size:
        handle.seek(offset)
        marker, length = struct.unpack(">BBH", handle.read(4))[1:]
        if marker in _SOF:
            _, height, width, channels = struct.unpack(">BHHB", _read_exact(handle, 6))
            check_limits(limits, width=width, height=height, channels=channels)
            break
        if marker == 0xDA or length < 2:
            raise HeaderRejected("The JPEG is corrupt: no frame header before its image data.")
        offset += 2 + length
    else:
        raise HeaderRejected("The JPEG is truncated: it ends before its frame header.")
    tail_start = max(0, size - 1024 * 1024)
    handle.seek(tail_start)
    tail = handle.read()
    end = tail.rfind(b"\xff\xd9")
    if end < 0:
        raise HeaderRejected("The JPEG is truncated: it has no end-of-image marker.")
    if tail_start + end + 2 < size and signature_in(tail[end + 2 :]):
        raise _trailing(handle, tail_start + end + 2, size, "JPEG", "end-of-image marker")
    return HeaderInfo(width=width, height=height, channels=channels)


# --- TIFF (the first image directory) --------------------------------------------------------


def _tiff(handle: BinaryIO, size: int, limits: Limits) -> HeaderInfo:
    head = handle.read(8)
    order = "<" if head[:2] == b"II" else ">"
    (ifd,) = struct.unpack(order + "I", head[4:8])
    if ifd < 8 or ifd + 2 > size:
        raise HeaderRejected("The TIFF is truncated: its first image directory is missing.")
    handle.seek(ifd)
    (count,) = struct.unpack(order + "H", handle.read(2))
    if ifd + 2 + count * 12 > size:
        raise HeaderRejected("The TIFF is truncated inside its first image directory.")
    tags: dict[int, int] = {}
    for _ in range(count):
        tag, kind, number, raw = struct.unpack(order + "HHI4s", handle.read(12))
        if kind == 3 and number <= 2:
            tags[tag] = struct.unpack(order + "H", raw[:2])[0]
        elif kind == 4 and number == 1:
            tags[tag] = struct.unpack(order + "I", raw)[0]
    width, height = tags.get(256, 0), tags.get(257, 0)
    channels, bits = tags.get(277, 1), tags.get(258, 8)
    check_limits(
        limits, width=width, height=height, channels=channels, bytes_per_sample=max(1, bits // 8)
    )
    return HeaderInfo(width=width, height=height, channels=channels)
