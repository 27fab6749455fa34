"""OpenEXR structure checks from the file layout spec (openexr.com, "OpenEXR File Layout").

Reads the magic number and version flags, every part's header attributes (channels,
compression, dataWindow, type, tiles, chunkCount), the offset tables and each chunk's
header, without decoding a pixel. Refuses with a reason naming the real failure: a
truncated header, offset table or chunk, an unsupported compression, too many parts,
sizes beyond the limits, and trailing data after the last chunk.
"""

from __future__ import annotations

import math
import struct
from typing import Any, BinaryIO

from apps.media.headers import HeaderInfo, HeaderRejected, Limits, _trailing, check_limits

HEADER_BYTES_MAX = 16 * 1024 * 1024
MAX_CHUNKS = 2_000_000
COMPRESSIONS = {
    0: ("none", 1),
    1: ("rle", 1),
    2: ("zips", 1),
    3: ("zip", 16),
    4: ("piz", 32),
    5: ("pxr24", 16),
    6: ("b44", 32),
    7: ("b44a", 32),
    8: ("dwaa", 32),
    9: ("dwab", 256),
    10: ("htj2k256", 256),
    11: ("htj2k32", 32),
}
PIXEL_BYTES = {0: 4, 1: 2, 2: 4}  # UINT, HALF, FLOAT
TILED, LONG_NAMES, NON_IMAGE, MULTIPART = 0x200, 0x400, 0x800, 0x1000


class _Truncated(Exception):
    pass


class _Cursor:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, count: int) -> bytes:
        if count < 0 or self.pos + count > len(self.data):
            raise _Truncated
        chunk = self.data[self.pos : self.pos + count]
        self.pos += count
        return chunk

    def cstring(self, limit: int) -> bytes:
        end = self.data.find(b"\0", self.pos, self.pos + limit + 1)
        if end < 0:
            if len(self.data) - self.pos <= limit:
                raise _Truncated
            raise HeaderRejected(
                f"The EXR header is corrupt: a name longer than {limit} characters at byte"
                f" {self.pos}."
            )
        text = self.data[self.pos : end]
        self.pos = end + 1
        return text


def _attributes(cursor: _Cursor, name_limit: int) -> dict[str, tuple[str, bytes]]:
    attributes: dict[str, tuple[str, bytes]] = {}
    while True:
        name = cursor.cstring(name_limit)
        if not name:
            return attributes
        kind = cursor.cstring(name_limit)
        (length,) = struct.unpack("<i", cursor.take(4))
        if length < 0:
            raise HeaderRejected(
                f"The EXR header is corrupt: attribute {name.decode('latin-1')!r} has a"
                f" negative size."
            )
        attributes[name.decode("latin-1")] = (kind.decode("latin-1"), cursor.take(length))


def _channels(raw: bytes) -> list[tuple[str, int]]:
    cursor, found = _Cursor(raw), list[tuple[str, int]]()
    while True:
        name = cursor.cstring(255)
        if not name:
            return found
        pixel_type = struct.unpack("<i", cursor.take(4))[0]
        cursor.take(12)  # pLinear, reserved, x and y sampling
        if pixel_type not in PIXEL_BYTES:
            raise HeaderRejected(
                f"The EXR channel {name.decode('latin-1')!r} has an unknown pixel type"
                f" {pixel_type}."
            )
        found.append((name.decode("latin-1"), pixel_type))


def _levels(size: int, rounding: int) -> int:
    if size <= 1:
        return 1
    log = math.log2(size)
    return (math.ceil(log) if rounding else math.floor(log)) + 1


def _level_size(size: int, level: int, rounding: int) -> int:
    return max(1, -(-size // (1 << level)) if rounding else size >> level)


def _tile_count(width: int, height: int, tiles: bytes) -> int:
    tile_x, tile_y, mode = struct.unpack("<IIB", tiles[:9])
    if tile_x < 1 or tile_y < 1:
        raise HeaderRejected("The EXR declares tiles of size 0.")
    level_mode, rounding = mode & 0x0F, mode >> 4

    def count(w: int, h: int) -> int:
        return -(-w // tile_x) * -(-h // tile_y)

    if level_mode == 0:
        return count(width, height)
    if level_mode == 1:
        levels = _levels(max(width, height), rounding)
        return sum(
            count(_level_size(width, lv, rounding), _level_size(height, lv, rounding))
            for lv in range(levels)
        )
    return sum(
        count(_level_size(width, lx, rounding), _level_size(height, ly, rounding))
        for lx in range(_levels(width, rounding))
        for ly in range(_levels(height, rounding))
    )


def _part(attributes: dict[str, tuple[str, bytes]], index: int, limits: Limits) -> dict[str, Any]:
    where = f" of part {index}" if index else ""
    for required in ("channels", "compression", "dataWindow"):
        if required not in attributes:
            raise HeaderRejected(
                f"The EXR header{where} lacks its required {required!r} attribute."
            )
    compression_id = attributes["compression"][1][0]
    if compression_id not in COMPRESSIONS:
        accepted = ", ".join(name.upper() for name, _ in COMPRESSIONS.values())
        raise HeaderRejected(
            f"The EXR{where} uses compression #{compression_id}, which is not supported"
            f" (accepted: {accepted})."
        )
    compression, lines = COMPRESSIONS[compression_id]
    x_min, y_min, x_max, y_max = struct.unpack("<iiii", attributes["dataWindow"][1][:16])
    width, height = x_max - x_min + 1, y_max - y_min + 1
    channels = _channels(attributes["channels"][1])
    if not channels:
        raise HeaderRejected(f"The EXR{where} has no channels.")
    sample = max(PIXEL_BYTES[t] for _, t in channels)
    check_limits(
        limits, width=width, height=height, channels=len(channels), bytes_per_sample=sample
    )
    kind = attributes.get("type", ("", b"scanlineimage"))[1].rstrip(b"\0").decode("latin-1")
    if "tiles" in attributes and kind in ("tiledimage", "deeptile", "scanlineimage"):
        kind = "deeptile" if kind == "deeptile" else "tiledimage"
        chunks = _tile_count(width, height, attributes["tiles"][1])
    else:
        chunks = -(-height // lines)
    if "chunkCount" in attributes:
        chunks = struct.unpack("<i", attributes["chunkCount"][1][:4])[0]
    if not 0 < chunks <= MAX_CHUNKS:
        raise HeaderRejected(f"The EXR{where} declares {chunks} chunks (1 to {MAX_CHUNKS}).")
    return {
        "width": width,
        "height": height,
        "channels": [name for name, _ in channels],
        "sample": sample,
        "compression": compression,
        "type": kind,
        "chunks": chunks,
    }


def check_exr(handle: BinaryIO, size: int, limits: Limits) -> HeaderInfo:
    data = handle.read(min(size, HEADER_BYTES_MAX))
    if len(data) < 8:
        raise HeaderRejected(f"The EXR is truncated: {size} bytes hold no header.")
    (version_field,) = struct.unpack("<I", data[4:8])
    version, flags = version_field & 0xFF, version_field & ~0xFF
    if version != 2 or flags & ~(TILED | LONG_NAMES | NON_IMAGE | MULTIPART):
        raise HeaderRejected(
            f"The EXR declares version {version} with flags {flags:#x}; only version 2 is known."
        )
    cursor = _Cursor(data)
    cursor.pos = 8
    name_limit = 255 if flags & LONG_NAMES else 31
    parts: list[dict[str, Any]] = []
    try:
        while True:
            if flags & MULTIPART and cursor.data[cursor.pos : cursor.pos + 1] == b"\0":
                cursor.pos += 1  # the empty header closing the list
                break
            if len(parts) >= limits.max_exr_parts:
                raise HeaderRejected(
                    f"The EXR has more than {limits.max_exr_parts} parts; the limit is"
                    f" {limits.max_exr_parts}."
                )
            attributes = _attributes(cursor, name_limit)
            parts.append(_part(attributes, len(parts), limits))
            if not flags & MULTIPART:
                break
        tables = [struct.unpack(f"<{p['chunks']}Q", cursor.take(8 * p["chunks"])) for p in parts]
    except _Truncated:
        if size > HEADER_BYTES_MAX:
            raise HeaderRejected(
                f"The EXR header is larger than {HEADER_BYTES_MAX // 1024**2} MiB."
            ) from None
        raise HeaderRejected(
            f"The EXR is truncated: the file ends at byte {size}, inside its header or offset"
            " table."
        ) from None
    table_end = cursor.pos
    end = table_end
    multipart = bool(flags & MULTIPART)
    for index, (part, table) in enumerate(zip(parts, tables, strict=True)):
        deep = part["type"].startswith("deep") or bool(flags & NON_IMAGE)
        present = sum(1 for offset in table if table_end <= offset < size)
        if present < len(table):
            raise HeaderRejected(
                f"The EXR is truncated: only {present} of its {len(table)} pixel chunks"
                f"{f' (part {index})' if multipart else ''} are in the file."
            )
        if deep:
            end = size  # deep chunks are sized by their own tables; not walked here
            continue
        fixed = (4 if multipart else 0) + (16 if part["type"] == "tiledimage" else 4)
        for number, offset in enumerate(table):
            handle.seek(offset)
            head = handle.read(fixed + 4)
            if len(head) < fixed + 4:
                raise HeaderRejected(
                    f"The EXR is truncated: chunk {number + 1} of {len(table)} is cut off."
                )
            if multipart and struct.unpack("<i", head[:4])[0] != index:
                raise HeaderRejected(
                    f"The EXR is corrupt: chunk {number + 1} of part {index} names another part."
                )
            (length,) = struct.unpack("<i", head[fixed:])
            chunk_end = offset + fixed + 4 + length
            if length < 0 or chunk_end > size:
                raise HeaderRejected(
                    f"The EXR is truncated: chunk {number + 1} of {len(table)} declares"
                    f" {length} bytes but the file ends at byte {size}."
                )
            end = max(end, chunk_end)
    if end < size:
        raise _trailing(handle, end, size, "EXR", "last pixel chunk")
    first = parts[0]
    return HeaderInfo(
        width=first["width"],
        height=first["height"],
        channels=len(first["channels"]),
        bytes_per_sample=first["sample"],
        compression=first["compression"],
        details={"parts": len(parts), "chunks": sum(p["chunks"] for p in parts)},
    )
