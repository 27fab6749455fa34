"""A real review proxy for tests: a short H.264 MP4 (yuv420p, faststart) whose frames show
their frame number in big seven-segment digits and as a binary strip (8 blocks, MSB
first, white = 1) along the bottom, so a test can read which frame is on screen."""

from __future__ import annotations

import tempfile
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
from django.conf import settings

WIDTH, HEIGHT = 640, 360
BITS = 8
BLOCK = WIDTH // BITS
STRIP_TOP = HEIGHT - 48

_SEGMENTS = {
    "0": "abcdef", "1": "bc", "2": "abdeg", "3": "abcdg", "4": "bcfg",
    "5": "acdfg", "6": "acdefg", "7": "abc", "8": "abcdefg", "9": "abcdfg",
}  # fmt: skip


def _draw_digit(image: np.ndarray, digit: str, left: int, top: int, w: int, h: int) -> None:
    t = max(6, w // 6)
    half = h // 2
    boxes = {
        "a": (top, top + t, left, left + w),
        "b": (top, top + half, left + w - t, left + w),
        "c": (top + half, top + h, left + w - t, left + w),
        "d": (top + h - t, top + h, left, left + w),
        "e": (top + half, top + h, left, left + t),
        "f": (top, top + half, left, left + t),
        "g": (top + half - t // 2, top + half + t // 2, left, left + w),
    }
    for segment in _SEGMENTS[digit]:
        y0, y1, x0, x1 = boxes[segment]
        image[y0:y1, x0:x1] = (255, 255, 255)


def frame_image(number: int) -> np.ndarray:
    image = np.zeros((HEIGHT, WIDTH, 3), dtype=np.uint8)
    image[:, :] = (30 + (number * 37) % 90, 40, 70)
    text = f"{number:03d}"
    for index, digit in enumerate(text):
        _draw_digit(image, digit, 150 + index * 120, 60, 90, 180)
    for bit in range(BITS):
        on = (number >> (BITS - 1 - bit)) & 1
        image[STRIP_TOP:HEIGHT, bit * BLOCK : (bit + 1) * BLOCK] = (255, 255, 255) if on else 0
    return image


def read_frame_number(rgb: np.ndarray) -> int:
    """Decode the binary strip of a frame (any size; sampled at block centres)."""
    height, width = rgb.shape[:2]
    y = int(height * (STRIP_TOP + (HEIGHT - STRIP_TOP) / 2) / HEIGHT)
    value = 0
    for bit in range(BITS):
        x = int(width * (bit + 0.5) / BITS)
        value = value * 2 + (1 if rgb[y, x, :3].mean() > 128 else 0)
    return value


def encode_proxy(frames: int = 48, rate: Fraction = Fraction(24000, 1001), gop: int = 6) -> bytes:
    # faststart rewrites the file in a second pass, which needs a real file.
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "proxy.mp4"
        _encode(path, frames, rate, gop)
        return path.read_bytes()


def _encode(path: Path, frames: int, rate: Fraction, gop: int) -> None:
    with av.open(
        str(path), mode="w", format="mp4", options={"movflags": "+faststart"}
    ) as container:
        stream = container.add_stream("libx264", rate=rate)
        stream.width, stream.height = WIDTH, HEIGHT
        stream.pix_fmt = "yuv420p"
        stream.gop_size = gop
        stream.options = {"crf": "18", "preset": "veryfast", "bf": "0"}
        for number in range(frames):
            frame = av.VideoFrame.from_ndarray(frame_image(number), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def make_proxy(version: Any, *, frames: int = 48, data: bytes | None = None) -> Any:
    """Store a proxy in S3 and record it as ready media of `version` (inside its scope)."""
    from apps.media.models import MediaFile, MediaKind, MediaState
    from apps.media.storage import new_object_key, s3_client

    body = data if data is not None else encode_proxy(frames, version.project.frame_rate)
    key = new_object_key(
        organization_id=version.organization_id,
        project_id=version.project_id,
        filename=f"{version.shot.code}_{version.label}_proxy.mp4",
        area="proxies",
    )
    s3_client().put_object(Bucket=settings.S3_BUCKET, Key=key, Body=body, ContentType="video/mp4")
    rate: Fraction = version.project.frame_rate
    return MediaFile.objects.create(
        organization_id=version.organization_id,
        project_id=version.project_id,
        version=version,
        kind=MediaKind.PROXY,
        state=MediaState.READY,
        original_filename=f"{version.shot.code}_{version.label}_proxy.mp4",
        content_type="video/mp4",
        size=len(body),
        storage_key=key,
        codec="h264",
        width=WIDTH,
        height=HEIGHT,
        frame_rate_numerator=rate.numerator,
        frame_rate_denominator=rate.denominator,
        frame_count=frames,
        duration_seconds=float(frames / rate),
        pixel_format="yuv420p",
    )
