"""Review proxies: H.264 MP4 (fast start, short GOP), poster frame and filmstrip.

Pure functions on local files (no Django, no S3). Frames are conformed to the project
frame rate one for one (frame N of the source is frame N of the proxy, so notes on a
proxy frame are notes on the source frame). Log and linear sources go through
OpenColorIO's display/view transform of the built-in ACES studio config.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from apps.core.colorspace import needs_display_transform, ocio_config
from apps.media.sequences import held_frames, sequence_frames
from apps.media.validation import FORMATS, MOVIE

LUT_SIZE = 65
SHAPER_SPACE = "ACEScct"


@functools.lru_cache(maxsize=1)
def _display_lut() -> Any:
    """ACEScct → default display/view, baked into a 65³ tetrahedral 3D LUT.

    The ACES 2.0 output transform costs ~1.5 µs a pixel on the CPU; the LUT (applied by
    OCIO's vectorised CPU path) is ~30 times faster and within a few 1/1000 of it.
    """
    import PyOpenColorIO as ocio

    config = ocio_config()
    display = config.getDefaultDisplay()
    exact = config.getProcessor(
        ocio.DisplayViewTransform(
            src=SHAPER_SPACE, display=display, view=config.getDefaultView(display)
        )
    ).getDefaultCPUProcessor()
    axis = np.linspace(0.0, 1.0, LUT_SIZE, dtype=np.float32)
    red, green, blue = np.meshgrid(axis, axis, axis, indexing="ij")
    lattice = np.ascontiguousarray(np.stack([red, green, blue], axis=-1).reshape(-1, 3))
    exact.applyRGB(lattice)  # blue varies fastest, as OCIO's Lut3DTransform expects
    lut = ocio.Lut3DTransform(gridSize=LUT_SIZE)
    lut.setData(lattice.ravel())
    lut.setInterpolation(ocio.INTERP_TETRAHEDRAL)
    return config.getProcessor(lut).getDefaultCPUProcessor()


@functools.lru_cache(maxsize=16)
def _shaper(color_space: str) -> Any:
    return ocio_config().getProcessor(color_space, SHAPER_SPACE).getDefaultCPUProcessor()


class _DisplayProcessor:
    def __init__(self, color_space: str) -> None:
        self.shaper = _shaper(color_space)
        self.lut = _display_lut()

    def applyRGB(self, pixels: np.ndarray) -> None:
        self.shaper.applyRGB(pixels)
        self.lut.applyRGB(pixels)


def _display_processor(color_space: str) -> _DisplayProcessor:
    return _DisplayProcessor(color_space)


def display_transform_description(color_space: str) -> str:
    config = ocio_config()
    display = config.getDefaultDisplay()
    return f"{color_space} → {display} / {config.getDefaultView(display)}"


@dataclass
class ProxyOptions:
    frame_rate: Fraction
    color_space: str
    max_width: int = 1280
    max_height: int = 720
    gop: int = 12
    crf: int = 21
    preset: str = "veryfast"
    filmstrip_tiles: int = 10
    filmstrip_height: int = 72
    # Burn-ins: a per-frame label (e.g. frame number and timecode) and a watermark text.
    frame_label: Callable[[int], str] | None = None
    watermark: str = ""


@dataclass
class ProxyOutput:
    video: Path
    poster: Path
    filmstrip: Path
    frames: int
    width: int
    height: int
    seconds: float
    color_transform: str
    filmstrip_tiles: int
    details: dict[str, Any] = field(default_factory=dict)


def fit_size(width: int, height: int, max_width: int, max_height: int) -> tuple[int, int]:
    scale = min(1.0, max_width / width, max_height / height)
    out_w = max(2, round(width * scale / 2) * 2)
    out_h = max(2, round(height * scale / 2) * 2)
    return out_w, out_h


def _movie_frames(path: Path, width: int, height: int, as_float: bool) -> Iterator[np.ndarray]:
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            if as_float:
                array = frame.reformat(width=width, height=height, format="rgb48le").to_ndarray()
                yield array.astype(np.float32) / 65535.0
            else:
                yield frame.reformat(width=width, height=height, format="rgb24").to_ndarray()


def _movie_frames_yuv(path: Path, width: int, height: int) -> Iterator[Any]:
    """Decoded frames scaled straight to the encoder's format (one swscale pass)."""
    import av
    from av.video.frame import PictureType

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            scaled = frame.reformat(
                width=width, height=height, format="yuv420p", dst_colorspace="ITU709"
            )
            scaled.pts = None
            # Forget the source's picture types (intra-only codecs mark every frame I,
            # which the encoder would honour): the proxy's GOP is ours.
            scaled.pict_type = PictureType.NONE
            yield scaled


def _image_pixels(path: Path, fmt: str) -> np.ndarray:
    """Float RGB pixels of a still (EXR through OpenEXR, others through OpenImageIO)."""
    if fmt == "exr":
        import OpenEXR

        channels = OpenEXR.File(str(path)).channels()
        if "RGB" in channels:
            rgb = channels["RGB"].pixels
        elif "RGBA" in channels:
            rgb = channels["RGBA"].pixels[..., :3]
        else:
            planes = [channels[c].pixels for c in ("R", "G", "B") if c in channels]
            if not planes:
                planes = [next(iter(channels.values())).pixels] * 3
            while len(planes) < 3:
                planes.append(planes[-1])
            rgb = np.stack(planes, axis=-1)
        return np.ascontiguousarray(rgb, dtype=np.float32)
    import OpenImageIO as oiio

    image = oiio.ImageInput.open(str(path))
    if image is None:
        raise ValueError(oiio.geterror())
    try:
        pixels = image.read_image(oiio.FLOAT)
    finally:
        image.close()
    if pixels is None:
        raise ValueError("The image pixels cannot be read.")
    if pixels.ndim == 2:
        pixels = pixels[..., None]
    if pixels.shape[2] == 1:
        pixels = np.repeat(pixels, 3, axis=2)
    return np.ascontiguousarray(pixels[..., :3], dtype=np.float32)


def _resize_float(pixels: np.ndarray, width: int, height: int) -> np.ndarray:
    if pixels.shape[1] == width and pixels.shape[0] == height:
        return pixels
    import OpenImageIO as oiio

    source = oiio.ImageBuf(np.ascontiguousarray(pixels))
    resized = oiio.ImageBufAlgo.resize(source, roi=oiio.ROI(0, width, 0, height, 0, 1, 0, 3))
    return np.ascontiguousarray(resized.get_pixels(oiio.FLOAT), dtype=np.float32)


def _to_display(frame: np.ndarray, color_space: str, convert: bool) -> np.ndarray:
    """uint8 display RGB from a float (scene) or uint8 (display-referred) frame."""
    if convert:
        pixels = np.ascontiguousarray(frame, dtype=np.float32)
        _display_processor(color_space).applyRGB(pixels)
        frame = pixels
    if frame.dtype != np.uint8:
        frame = (np.clip(frame, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    return frame


def _burn_in(frame: np.ndarray, label: str, watermark: str) -> np.ndarray:
    from PIL import Image, ImageDraw, ImageFont

    image = Image.fromarray(frame).convert("RGBA")
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    height = image.size[1]
    if label:
        font = ImageFont.load_default(size=max(10, height // 28))
        box = draw.textbbox((0, 0), label, font=font)
        pad = max(3, height // 120)
        x = (image.size[0] - (box[2] - box[0])) // 2
        y = height - (box[3] - box[1]) - pad * 4
        draw.rectangle(
            (x - pad, y - pad, x + box[2] - box[0] + pad, y + box[3] + pad), fill=(0, 0, 0, 150)
        )
        draw.text((x, y - box[1] // 2), label, font=font, fill=(255, 255, 255, 235))
    if watermark:
        font = ImageFont.load_default(size=max(12, height // 18))
        box = draw.textbbox((0, 0), watermark, font=font)
        x = (image.size[0] - (box[2] - box[0])) // 2
        y = (height - (box[3] - box[1])) // 3
        # Readable on any picture (light text, dark outline), yet see-through.
        draw.text(
            (x, y),
            watermark,
            font=font,
            fill=(255, 255, 255, 110),
            stroke_width=max(1, height // 360),
            stroke_fill=(0, 0, 0, 110),
        )
    return np.asarray(Image.alpha_composite(image, overlay).convert("RGB"))


def build_proxy(
    source: Path,
    *,
    fmt: str,
    width: int,
    height: int,
    frame_count: int,
    out_dir: Path,
    options: ProxyOptions,
    progress: Callable[[int, int], None] | None = None,
) -> ProxyOutput:
    """Decode, colour convert, burn in, encode; returns the files it wrote in out_dir."""
    import av
    from PIL import Image

    started = time.perf_counter()
    out_w, out_h = fit_size(width, height, options.max_width, options.max_height)
    convert = needs_display_transform(options.color_space)
    is_movie = FORMATS[fmt].category == MOVIE
    # A folder is an image sequence: one proxy frame per file, in frame order.
    # Missing frames accepted as holds repeat the frame before them.
    sequence = held_frames(sequence_frames(source)) if source.is_dir() else None
    total = max(1, frame_count if is_movie else len(sequence) if sequence else 1)
    if sequence:
        frames: Iterator[Any] = (
            _resize_float(_image_pixels(path, fmt), out_w, out_h) for path in sequence
        )
    elif is_movie:
        fast = not convert and not options.frame_label and not options.watermark
        frames = (
            _movie_frames_yuv(source, out_w, out_h)
            if fast
            else _movie_frames(source, out_w, out_h, as_float=convert)
        )
    else:
        frames = iter([_resize_float(_image_pixels(source, fmt), out_w, out_h)])

    tiles = max(1, min(options.filmstrip_tiles, total))
    tile_frames = {
        round(i * (total - 1) / max(1, tiles - 1)) if tiles > 1 else 0 for i in range(tiles)
    }
    poster_index = total // 2
    tile_w = max(2, round(out_w * options.filmstrip_height / out_h))
    strip = Image.new("RGB", (tile_w * len(tile_frames), options.filmstrip_height))
    poster: Image.Image | None = None

    video_path = out_dir / "proxy.mp4"
    output = av.open(str(video_path), "w", format="mp4", options={"movflags": "+faststart"})
    written = 0
    try:
        stream = output.add_stream("libx264", rate=options.frame_rate)
        stream.width, stream.height = out_w, out_h
        stream.pix_fmt = "yuv420p"
        stream.codec_context.gop_size = options.gop
        stream.codec_context.options = {
            "crf": str(options.crf),
            "preset": options.preset,
            "profile": "high",
            # A keyframe every `gop` frames and no scene-cut keyframes: seeking anywhere
            # decodes at most gop-1 frames, so scrubbing stays frame accurate and fast.
            "x264-params": f"keyint={options.gop}:min-keyint={options.gop}:scenecut=0:bframes=0",
        }
        stream.codec_context.color_primaries = 1  # BT.709
        stream.codec_context.color_trc = 1
        stream.codec_context.colorspace = 1
        time_base = Fraction(options.frame_rate.denominator, options.frame_rate.numerator)
        tile_slot = 0
        for index, frame in enumerate(frames):
            wanted = index == poster_index or index in tile_frames or index == total - 1
            if isinstance(frame, av.VideoFrame):
                # Fast path (display-referred movie, no burn-in): already scaled YUV.
                video_frame = frame
                display = (
                    frame.to_ndarray(format="rgb24", src_colorspace="ITU709") if wanted else None
                )
            else:
                display = _to_display(frame, options.color_space, convert)
                label = options.frame_label(index) if options.frame_label else ""
                burnt = (
                    _burn_in(display, label, options.watermark)
                    if label or options.watermark
                    else display
                )
                # RGB → Y'CbCr with the BT.709 matrix the stream is tagged with.
                video_frame = av.VideoFrame.from_ndarray(
                    np.ascontiguousarray(burnt), format="rgb24"
                ).reformat(format="yuv420p", dst_colorspace="ITU709")
            if display is not None:
                if index == poster_index or (poster is None and index == total - 1):
                    poster = Image.fromarray(display)
                if index in tile_frames:
                    tile = Image.fromarray(display).resize((tile_w, options.filmstrip_height))
                    strip.paste(tile, (tile_slot * tile_w, 0))
                    tile_slot += 1
            video_frame.pts = index
            video_frame.time_base = time_base
            for packet in stream.encode(video_frame):
                output.mux(packet)
            written = index + 1
            if progress is not None:
                progress(written, total)
        for packet in stream.encode():
            output.mux(packet)
    finally:
        output.close()
    if written == 0:
        raise ValueError("The source produced no frames.")
    if poster is None:
        poster = Image.fromarray(np.zeros((out_h, out_w, 3), dtype=np.uint8))
    poster_path = out_dir / "poster.jpg"
    poster.save(poster_path, "JPEG", quality=88)
    strip_path = out_dir / "filmstrip.jpg"
    strip.crop((0, 0, max(tile_w, tile_slot * tile_w), options.filmstrip_height)).save(
        strip_path, "JPEG", quality=82
    )
    return ProxyOutput(
        video=video_path,
        poster=poster_path,
        filmstrip=strip_path,
        frames=written,
        width=out_w,
        height=out_h,
        seconds=time.perf_counter() - started,
        color_transform=display_transform_description(options.color_space)
        if convert
        else "none (display-referred source)",
        filmstrip_tiles=tile_slot,
        details={"gop": options.gop, "crf": options.crf, "codec": "h264"},
    )
