"""Frames in and out: movies (PyAV), EXR (OpenEXR) and other image sequences into float
tensors, and EXR sequences or ProRes / H.264 movies out.

Conventions: a frame on the host is a NumPy array (H, W, C) with C = 1, 3 or 4; EXR half
channels stay float16, everything else becomes float32 in [0, 1] for integer formats. On
the device a frame is a tensor (C, H, W) and a batch (N, C, H, W) in the policy's dtype.
Alpha, when present, is premultiplied (the EXR convention) and is the fourth channel.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np

from gpu_workers import color

if TYPE_CHECKING:
    import torch

    from gpu_workers.device import DevicePolicy

MOVIE_EXTENSIONS = frozenset({".mov", ".mp4", ".m4v", ".mxf", ".mkv", ".avi", ".webm"})
IMAGE_EXTENSIONS = frozenset({".exr", ".png", ".tif", ".tiff", ".jpg", ".jpeg"})
OutputFormat = Literal["exr", "prores", "h264"]
OUTPUT_FORMATS: tuple[str, ...] = ("exr", "prores", "h264")
DEFAULT_SEQUENCE_FPS = Fraction(24)
_FRAME_NUMBER = re.compile(r"(\d+)$")


class FrameError(ValueError):
    """An input that cannot be read as frames (missing, empty, unsupported)."""


@dataclass(frozen=True)
class FrameInfo:
    width: int
    height: int
    count: int
    fps: Fraction
    channels: int  # 1, 3 or 4 as the frames come out of read()
    half: bool  # EXR half floats: read() keeps them float16
    container: Literal["movie", "sequence"]
    colorspace: str  # the default colour space for this kind of file
    first_frame: int  # frame number of the first frame (sequence numbering; movies: 1)


class FrameReader:
    """Reads the frames of a movie file, one image, or a folder holding an image sequence."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise FrameError(f"input {self.path.name!r} does not exist")
        self._files: list[Path] = []
        if self.path.is_dir():
            self._files = sequence_files(self.path)
            if not self._files:
                raise FrameError(f"folder {self.path.name!r} holds no image sequence")
            self.info = self._probe_sequence()
        elif self.path.suffix.lower() in IMAGE_EXTENSIONS:
            self._files = [self.path]
            self.info = self._probe_sequence()
        elif self.path.suffix.lower() in MOVIE_EXTENSIONS:
            self.info = self._probe_movie()
        else:
            raise FrameError(f"{self.path.name!r} is neither a movie nor an image sequence")

    def _probe_sequence(self) -> FrameInfo:
        first = read_image(self._files[0])
        height, width, channels = first.shape
        match = _FRAME_NUMBER.search(self._files[0].stem)
        is_exr = self._files[0].suffix.lower() == ".exr"
        return FrameInfo(
            width=width,
            height=height,
            count=len(self._files),
            fps=DEFAULT_SEQUENCE_FPS,
            channels=channels,
            half=first.dtype == np.float16,
            container="sequence",
            colorspace=color.DEFAULT_LINEAR_SPACE if is_exr else color.DEFAULT_DISPLAY_SPACE,
            first_frame=int(match.group(1)) if match and len(self._files) > 1 else 1,
        )

    def _probe_movie(self) -> FrameInfo:
        import av

        try:
            with av.open(str(self.path)) as container:
                if not container.streams.video:
                    raise FrameError(f"{self.path.name!r} has no video stream")
                stream = container.streams.video[0]
                count = int(stream.frames or 0)
                if count <= 0:  # containers without a frame count: count the packets
                    count = sum(1 for packet in container.demux(stream) if packet.size)
                rate = stream.average_rate or stream.guessed_rate or DEFAULT_SEQUENCE_FPS
                pix_fmt = stream.codec_context.pix_fmt
                # Four components = colour + alpha (yuva444p10le, rgba, gbrap...).
                alpha = pix_fmt is not None and len(av.VideoFormat(pix_fmt).components) == 4
                return FrameInfo(
                    width=int(stream.codec_context.width),
                    height=int(stream.codec_context.height),
                    count=count,
                    fps=Fraction(rate),
                    channels=4 if alpha else 3,
                    half=False,
                    container="movie",
                    colorspace=color.DEFAULT_DISPLAY_SPACE,
                    first_frame=1,
                )
        except av.error.FFmpegError as error:
            raise FrameError(f"cannot read movie {self.path.name!r}: {error}") from error

    def read(self, indices: Iterable[int] | None = None) -> Iterator[tuple[int, np.ndarray]]:
        """Yields (index, frame) in increasing index order (indices from 0)."""
        wanted = sorted(set(range(self.info.count) if indices is None else indices))
        if self._files:
            for index in wanted:
                yield index, read_image(self._files[index])
            return
        yield from self._read_movie(wanted)

    def _read_movie(self, wanted: Sequence[int]) -> Iterator[tuple[int, np.ndarray]]:
        import av

        if not wanted:
            return
        keep = set(wanted)
        last = wanted[-1]
        fmt = "rgba64le" if self.info.channels == 4 else "rgb48le"
        with av.open(str(self.path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            for index, frame in enumerate(container.decode(stream)):
                if index in keep:
                    pixels = frame.to_ndarray(format=fmt).astype(np.float32) / 65535.0
                    yield index, pixels
                if index >= last:
                    break


def sequence_files(folder: Path) -> list[Path]:
    """The image files of a sequence folder, in frame order (numeric, then by name)."""
    files = [
        child
        for child in folder.iterdir()
        if child.is_file() and child.suffix.lower() in IMAGE_EXTENSIONS
    ]

    def key(path: Path) -> tuple[int, str]:
        match = _FRAME_NUMBER.search(path.stem)
        return (int(match.group(1)) if match else -1, path.name)

    return sorted(files, key=key)


def open_frames(path: Path) -> FrameReader:
    return FrameReader(path)


def read_image(path: Path) -> np.ndarray:
    """One image as (H, W, C): EXR keeps half as float16; integer formats become float32."""
    if path.suffix.lower() == ".exr":
        return _read_exr(path)
    import cv2

    pixels = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if pixels is None:
        raise FrameError(f"cannot read image {path.name!r}")
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    elif pixels.shape[2] >= 3:  # OpenCV is BGR(A)
        order = [2, 1, 0, 3] if pixels.shape[2] == 4 else [2, 1, 0]
        pixels = pixels[:, :, order]
    if pixels.dtype == np.uint8:
        return pixels.astype(np.float32) / 255.0
    if pixels.dtype == np.uint16:
        return pixels.astype(np.float32) / 65535.0
    return np.ascontiguousarray(pixels)


def _read_exr(path: Path) -> np.ndarray:
    import OpenEXR

    try:
        with OpenEXR.File(str(path), separate_channels=True) as exr:
            channels = {name: channel.pixels for name, channel in exr.channels().items()}
    except Exception as error:
        raise FrameError(f"cannot read EXR {path.name!r}: {error}") from error
    names = [n for n in ("R", "G", "B") if n in channels]
    if len(names) == 3:
        planes = [channels[n] for n in names]
        if "A" in channels:
            planes.append(channels["A"])
    elif "Y" in channels:
        planes = [channels["Y"]]
    elif "A" in channels:
        planes = [channels["A"]]
    else:
        raise FrameError(f"EXR {path.name!r} has no RGB, Y or A channels")
    dtypes = {plane.dtype for plane in planes}
    dtype = np.float16 if dtypes == {np.dtype(np.float16)} else np.float32
    return np.stack([plane.astype(dtype, copy=False) for plane in planes], axis=-1)


def to_tensor(frames: Sequence[np.ndarray], policy: DevicePolicy) -> torch.Tensor:
    """Host frames (H, W, C) -> a device batch (N, C, H, W) in the policy's dtype."""
    import torch

    batch = torch.from_numpy(np.ascontiguousarray(np.stack(frames, axis=0)))
    return batch.to(policy.device, non_blocking=True).permute(0, 3, 1, 2).to(policy.dtype)


def to_host(frame: torch.Tensor) -> np.ndarray:
    """A device frame (C, H, W) -> host float32 (H, W, C)."""
    import torch

    return frame.detach().to("cpu", torch.float32).permute(1, 2, 0).contiguous().numpy()


def iter_batches(
    reader: FrameReader,
    policy: DevicePolicy,
    batch_size: int,
    indices: Iterable[int] | None = None,
) -> Iterator[tuple[list[int], torch.Tensor]]:
    """Yields ([indices], batch (N, C, H, W)) of up to `batch_size` frames."""
    pending: list[int] = []
    arrays: list[np.ndarray] = []
    for index, pixels in reader.read(indices):
        pending.append(index)
        arrays.append(pixels)
        if len(pending) == batch_size:
            yield pending, to_tensor(arrays, policy)
            pending, arrays = [], []
    if pending:
        yield pending, to_tensor(arrays, policy)


class FrameWriter(Protocol):
    path: Path  # the movie file, or the folder of the EXR sequence
    content_type: str
    frames_written: int

    def write(self, frame: torch.Tensor) -> None: ...

    def close(self) -> Path: ...


class ExrSequenceWriter:
    """Writes frames (C, H, W) as `<stem>.<frame>.exr` files into a folder of their own
    (see write_exr for the channels)."""

    content_type = "image/x-exr"

    def __init__(self, folder: Path, stem: str, first_frame: int = 1001, half: bool = True):
        self.path = Path(folder)
        self.path.mkdir(parents=True, exist_ok=True)
        self.stem = stem
        self.first_frame = first_frame
        self.half = half
        self.frames_written = 0

    def write(self, frame: torch.Tensor) -> None:
        number = self.first_frame + self.frames_written
        write_exr(frame, self.path / f"{self.stem}.{number:04d}.exr", half=self.half)
        self.frames_written += 1

    def close(self) -> Path:
        return self.path


class ExrImageWriter:
    """One frame as one EXR file (a still in, a still out: no folder to upload)."""

    content_type = "image/x-exr"

    def __init__(self, path: Path, half: bool = True) -> None:
        self.path = Path(path)
        self.half = half
        self.frames_written = 0

    def write(self, frame: torch.Tensor) -> None:
        if self.frames_written:
            raise FrameError("an EXR image holds one frame; write a sequence instead")
        write_exr(frame, self.path, half=self.half)
        self.frames_written = 1

    def close(self) -> Path:
        return self.path


def write_exr(frame: torch.Tensor, path: Path, half: bool = True) -> Path:
    """A (C, H, W) frame as an EXR: half float by default, ZIP compressed; one channel is
    written as Y, two as Y + A, three as RGB, four as RGBA."""
    import OpenEXR

    pixels = to_host(frame).astype(np.float16 if half else np.float32)
    c = pixels.shape[2]
    names = {1: ["Y"], 2: ["Y", "A"], 3: ["R", "G", "B"], 4: ["R", "G", "B", "A"]}[c]
    channels = {name: np.ascontiguousarray(pixels[:, :, i]) for i, name in enumerate(names)}
    header = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}
    with OpenEXR.File(header, channels) as exr:
        exr.write(str(path))
    return path


class MovieWriter:
    """ProRes 422 HQ (4444 with alpha) in .mov, or H.264 in .mp4, tagged Rec.709.
    Frames are display-encoded values in [0, 1] (convert with gpu_workers.color first)."""

    def __init__(
        self,
        path: Path,
        codec: Literal["prores", "h264"],
        fps: Fraction,
        width: int,
        height: int,
        alpha: bool = False,
    ) -> None:
        import av

        self.path = Path(path)
        self.codec = codec
        self.frames_written = 0
        self.content_type = "video/quicktime" if codec == "prores" else "video/mp4"
        self._container: Any = av.open(str(self.path), "w")
        if codec == "prores":
            self._pix_fmt = "yuva444p10le" if alpha else "yuv422p10le"
            stream = self._container.add_stream("prores_ks", rate=fps)
            stream.options = {"profile": "4" if alpha else "3", "vendor": "apl0"}
        else:
            if width % 2 or height % 2:
                raise FrameError("H.264 needs an even width and height; use ProRes or EXR")
            self._pix_fmt = "yuv420p"
            stream = self._container.add_stream("libx264", rate=fps)
            stream.options = {"crf": "16", "preset": "medium"}
        stream.width, stream.height, stream.pix_fmt = width, height, self._pix_fmt
        context = stream.codec_context
        context.colorspace = context.color_primaries = context.color_trc = 1  # BT.709
        self._alpha = alpha
        self._stream = stream

    def write(self, frame: torch.Tensor) -> None:
        import av

        pixels = to_host(frame)
        if pixels.shape[2] == 1:
            pixels = np.repeat(pixels, 3, axis=2)
        if pixels.shape[2] == 4 and not self._alpha:
            pixels = pixels[:, :, :3]
        fmt = "rgba64le" if pixels.shape[2] == 4 else "rgb48le"
        words = np.round(np.clip(pixels, 0.0, 1.0) * 65535.0).astype(np.uint16)
        video = av.VideoFrame.from_ndarray(np.ascontiguousarray(words), format=fmt)
        video = video.reformat(format=self._pix_fmt, dst_colorspace="ITU709")
        for packet in self._stream.encode(video):
            self._container.mux(packet)
        self.frames_written += 1

    def close(self) -> Path:
        for packet in self._stream.encode():
            self._container.mux(packet)
        self._container.close()
        return self.path


def open_writer(
    fmt: str,
    output_dir: Path,
    stem: str,
    info: FrameInfo,
    *,
    width: int | None = None,
    height: int | None = None,
    alpha: bool = False,
) -> FrameWriter:
    """A writer for `fmt` (exr, prores, h264) named after `stem` in `output_dir`."""
    w = width if width is not None else info.width
    h = height if height is not None else info.height
    if fmt == "exr":
        if info.count == 1:
            return ExrImageWriter(output_dir / f"{stem}.exr")
        first = info.first_frame if info.container == "sequence" and info.count > 1 else 1001
        return ExrSequenceWriter(output_dir / stem, stem, first_frame=first)
    if fmt == "prores":
        return MovieWriter(output_dir / f"{stem}.mov", "prores", info.fps, w, h, alpha)
    if fmt == "h264":
        return MovieWriter(output_dir / f"{stem}.mp4", "h264", info.fps, w, h)
    raise FrameError(f"unknown output format {fmt!r}; use one of {', '.join(OUTPUT_FORMATS)}")


def default_output_format(info: FrameInfo) -> str:
    """EXR for EXR sources (scene-linear stays scene-linear), ProRes for everything else."""
    return "exr" if info.half or info.colorspace == color.DEFAULT_LINEAR_SPACE else "prores"


def output_colorspace(fmt: str, source_space: str) -> str:
    """What the written values are encoded as: EXR keeps the source's scene-linear space
    (or ACEScg), movies are display-encoded sRGB Rec.709 unless the source was encoded."""
    if fmt == "exr":
        return source_space if color.encoding(source_space) == "scene-linear" else "ACEScg"
    if color.encoding(source_space) == "scene-linear":
        return color.DEFAULT_DISPLAY_SPACE
    return source_space


def write_thumbnail(frame: np.ndarray, path: Path, max_side: int = 256) -> Path:
    """A JPEG preview of a display-encoded host frame (H, W, 3) in [0, 1]."""
    from PIL import Image

    pixels = np.round(np.clip(frame[:, :, :3], 0.0, 1.0) * 255.0).astype(np.uint8)
    image = Image.fromarray(pixels)
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    image.save(path, "JPEG", quality=88)
    return path
