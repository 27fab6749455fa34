"""Procedurally generated media (moving patterns) for the demo, tests and benchmarks.

Nothing is downloaded: movies are rendered with PyAV, EXR stills with OpenEXR, other
stills with OpenImageIO.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

CODECS = {
    # name: (PyAV encoder, pixel format, options)
    "prores": ("prores_ks", "yuv422p10le", {"profile": "2"}),
    "dnxhr": ("dnxhd", "yuv422p", {"profile": "dnxhr_sq"}),
    "h264": ("libx264", "yuv420p", {"preset": "ultrafast", "crf": "20"}),
}


def pattern_frame(index: int, width: int, height: int, *, seed: int = 0) -> np.ndarray:
    """A moving colour sweep with a bouncing bar: easy to see that playback moves."""
    x = np.arange(width, dtype=np.float32)[None, :]
    y = np.arange(height, dtype=np.float32)[:, None]
    phase = index * 0.12 + seed
    r = np.broadcast_to(0.5 + 0.5 * np.sin(x / max(1, width) * 6.28 + phase), (height, width))
    g = np.broadcast_to(
        0.5 + 0.5 * np.sin(y / max(1, height) * 6.28 - phase * 0.7), (height, width)
    )
    b = 0.5 + 0.5 * np.sin((x + y) / max(1, width + height) * 12.0 + phase * 1.3)
    frame = np.stack([r, g, b], axis=-1)
    bar = int((index * 7 + seed * 13) % max(1, width - width // 10))
    frame[:, bar : bar + max(2, width // 10), :] = (1.0, 0.85, 0.2)
    return frame


def make_movie(
    path: Path,
    *,
    codec: str = "h264",
    frames: int = 24,
    width: int = 320,
    height: int = 180,
    rate: Fraction = Fraction(24),
    faststart: bool = False,
    seed: int = 0,
) -> Path:
    import av

    encoder, pix_fmt, options = CODECS[codec]
    container_options = {"movflags": "+faststart"} if faststart else {}
    with av.open(str(path), "w", format="mov", options=container_options) as output:
        stream: Any = output.add_stream(encoder, rate=rate)
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        stream.codec_context.options = dict(options)
        time_base = Fraction(rate.denominator, rate.numerator)
        for index in range(frames):
            rgb = (pattern_frame(index, width, height, seed=seed) * 255).astype(np.uint8)
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts, frame.time_base = index, time_base
            for packet in stream.encode(frame):
                output.mux(packet)
        for packet in stream.encode():
            output.mux(packet)
    return path


def make_exr(path: Path, *, width: int = 320, height: int = 180, index: int = 0) -> Path:
    """A scene-linear (ACEScg-like) still with values above 1.0 in the highlights."""
    import OpenEXR

    linear = (pattern_frame(index, width, height) ** 2.2 * 2.0).astype(np.float32)
    header = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}
    OpenEXR.File(header, {"RGB": linear}).write(str(path))
    return path


def make_still(path: Path, *, width: int = 320, height: int = 180, index: int = 0) -> Path:
    """A PNG / TIFF / DPX / JPEG still (format from the file name) through OpenImageIO."""
    import OpenImageIO as oiio

    pixels = np.ascontiguousarray(pattern_frame(index, width, height), dtype=np.float32)
    buffer = oiio.ImageBuf(pixels)
    data_format = "uint8" if path.suffix.lower() in (".png", ".jpg", ".jpeg") else "uint16"
    buffer.set_write_format(data_format)
    if not buffer.write(str(path)):
        raise OSError(buffer.geterror())
    return path
