"""Hostile and tricky files written byte by byte from the format specs (PNG: RFC 2083 /
ISO 15948; OpenEXR: "OpenEXR File Layout"; QuickTime: atoms of size + type; DPX: SMPTE
268M), so each test knows exactly what the file declares and where its structures end."""

from __future__ import annotations

import struct
import zlib

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
EXR_MAGIC = b"\x76\x2f\x31\x01"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56  # an ELF64 header's first bytes
HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"


def png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png(
    width: int, height: int, *, depth: int = 8, color: int = 0, idat: bytes | None = None
) -> bytes:
    """A PNG with one IDAT; by default a grey image of zeros (filter byte 0 per row)."""
    if idat is None:
        idat = zlib.compress(b"\x00" * ((width * depth + 7) // 8 + 1) * height)
    header = struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, 0)
    return (
        PNG_SIGNATURE
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


def _attribute(name: str, kind: str, value: bytes) -> bytes:
    return name.encode() + b"\0" + kind.encode() + b"\0" + struct.pack("<i", len(value)) + value


def exr_header(
    width: int,
    height: int,
    *,
    compression: int = 0,
    channels: tuple[str, ...] = ("Y",),
    extra: bytes = b"",
) -> bytes:
    """One part's attributes (HALF channels), closed by its NUL byte."""
    chlist = b"".join(
        name.encode() + b"\0" + struct.pack("<iB3xii", 1, 0, 1, 1) for name in channels
    )
    window = struct.pack("<iiii", 0, 0, width - 1, height - 1)
    return (
        _attribute("channels", "chlist", chlist + b"\0")
        + _attribute("compression", "compression", bytes([compression]))
        + _attribute("dataWindow", "box2i", window)
        + _attribute("displayWindow", "box2i", window)
        + _attribute("lineOrder", "lineOrder", b"\0")
        + _attribute("pixelAspectRatio", "float", struct.pack("<f", 1.0))
        + _attribute("screenWindowCenter", "v2f", struct.pack("<ff", 0.0, 0.0))
        + _attribute("screenWindowWidth", "float", struct.pack("<f", 1.0))
        + extra
        + b"\0"
    )


def exr(width: int = 2, height: int = 2, *, channels: tuple[str, ...] = ("Y",)) -> bytes:
    """A complete single-part scanline EXR without compression (one line a chunk): the
    header, an offset table of `height` entries, then per line: y, byte count, HALF zeros."""
    head = EXR_MAGIC + struct.pack("<I", 2) + exr_header(width, height, channels=channels)
    line = width * 2 * len(channels)
    table_end = len(head) + 8 * height
    offsets = [table_end + y * (8 + line) for y in range(height)]
    table = b"".join(struct.pack("<Q", offset) for offset in offsets)
    chunks = b"".join(struct.pack("<ii", y, line) + b"\x00" * line for y in range(height))
    return head + table + chunks


def exr_header_length(width: int = 2, height: int = 2) -> int:
    return 8 + len(exr_header(width, height))


def exr_multipart(parts: int) -> bytes:
    """A multi-part EXR header list (flag 0x1000) with `parts` one-line parts."""
    headers = b"".join(
        exr_header(
            1,
            1,
            extra=_attribute("name", "string", f"part{i}".encode())
            + _attribute("type", "string", b"scanlineimage")
            + _attribute("chunkCount", "int", struct.pack("<i", 1)),
        )
        for i in range(parts)
    )
    return EXR_MAGIC + struct.pack("<I", 2 | 0x1000) + headers + b"\0"


def atom(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", 8 + len(body)) + kind + body


FTYP = atom(b"ftyp", b"qt  " + struct.pack(">I", 0x200) + b"qt  ")  # 20 bytes


def dpx(width: int = 4, height: int = 2, *, declared: int | None = None) -> bytes:
    """A big-endian DPX: 2048-byte header, one RGB 10-bit element (packed: 4 bytes a
    pixel) starting at byte 2048."""
    size = 2048 + width * height * 4
    header = bytearray(2048)
    header[0:4] = b"SDPX"
    struct.pack_into(">I", header, 4, 2048)  # offset to the image data
    header[8:13] = b"V2.0\0"
    struct.pack_into(">I", header, 16, size if declared is None else declared)
    struct.pack_into(">HHII", header, 768, 0, 1, width, height)  # orientation, elements
    header[800], header[803] = 50, 10  # descriptor RGB, 10 bits
    struct.pack_into(">HHI", header, 804, 1, 0, 2048)  # packing, encoding, data offset
    return bytes(header) + b"\x00" * (size - 2048)
