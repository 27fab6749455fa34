"""Helpers shared by the operations: parameter checks, colour-managed reading and writing."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gpu_workers import color, frames
from gpu_workers.registry import InvalidParameters, OperationContext, OutputFile

if TYPE_CHECKING:
    import torch

    from gpu_workers.device import DevicePolicy


def number(params: Mapping[str, Any], key: str, default: float, low: float, high: float) -> float:
    value = params.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidParameters(f"{key} must be a number")
    if not low <= float(value) <= high:
        raise InvalidParameters(f"{key} must be between {low:g} and {high:g} (got {value})")
    return float(value)


def integer(params: Mapping[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = params.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidParameters(f"{key} must be a whole number")
    if not low <= value <= high:
        raise InvalidParameters(f"{key} must be between {low} and {high} (got {value})")
    return int(value)


def choice(params: Mapping[str, Any], key: str, options: tuple[str, ...], default: str) -> str:
    value = params.get(key, default)
    if value not in options:
        raise InvalidParameters(f"{key} must be one of {', '.join(options)} (got {value!r})")
    return str(value)


def flag(params: Mapping[str, Any], key: str, default: bool) -> bool:
    value = params.get(key, default)
    if not isinstance(value, bool):
        raise InvalidParameters(f"{key} must be true or false")
    return value


def rgb(params: Mapping[str, Any], key: str) -> list[float] | None:
    value = params.get(key)
    if value is None:
        return None
    if (
        not isinstance(value, list | tuple)
        or len(value) != 3
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    ):
        raise InvalidParameters(f"{key} must be three numbers [r, g, b]")
    return [float(v) for v in value]


def colorspace(params: Mapping[str, Any], key: str = "colorspace") -> str | None:
    value = params.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidParameters(f"{key} must be a colour space name")
    try:
        return color.check_colorspace(value)
    except ValueError as error:
        raise InvalidParameters(str(error)) from None


def output_format(params: Mapping[str, Any]) -> str | None:
    value = params.get("output_format")
    if value is None:
        return None
    return choice(params, "output_format", frames.OUTPUT_FORMATS, "exr")


def roi(params: Mapping[str, Any], key: str = "roi") -> list[float] | None:
    """A region as [x, y, width, height] in fractions of the frame (0..1)."""
    value = params.get(key)
    if value is None:
        return None
    if (
        not isinstance(value, list | tuple)
        or len(value) != 4
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    ):
        raise InvalidParameters(f"{key} must be [x, y, width, height] as fractions of the frame")
    x, y, w, h = (float(v) for v in value)
    if not (0 <= x < 1 and 0 <= y < 1 and 0 < w <= 1 - x + 1e-9 and 0 < h <= 1 - y + 1e-9):
        raise InvalidParameters(f"{key} must lie inside the frame (fractions between 0 and 1)")
    return [x, y, w, h]


def crop_roi(frame: torch.Tensor, region: list[float] | None) -> torch.Tensor:
    """The pixels of (.., C, H, W) inside a fractional [x, y, w, h] region."""
    if region is None:
        return frame
    height, width = frame.shape[-2:]
    x0, y0 = int(region[0] * width), int(region[1] * height)
    x1 = max(x0 + 1, round((region[0] + region[2]) * width))
    y1 = max(y0 + 1, round((region[1] + region[3]) * height))
    return frame[..., y0:y1, x0:x1]


def require_input(context: OperationContext, role: str) -> Path:
    path = context.inputs.get(role)
    if path is None:
        raise InvalidParameters(f"input {role!r} is missing")
    return Path(path)


def open_input(context: OperationContext, role: str) -> frames.FrameReader:
    try:
        return frames.open_frames(require_input(context, role))
    except frames.FrameError as error:
        raise InvalidParameters(f"{role}: {error}") from None


def source_space(params: Mapping[str, Any], info: frames.FrameInfo, key: str = "colorspace") -> str:
    return colorspace(params, key) or info.colorspace


def to_working(
    batch: torch.Tensor, space: str, policy: DevicePolicy, working: str = color.WORKING_SPACE
) -> torch.Tensor:
    """Source values -> linear working space (RGB only; alpha and mattes pass through)."""
    if batch.shape[-3] < 3:
        return batch
    return color.convert(batch, space, working, policy)


class Output:
    """A colour-managed writer: frames in the working space go out encoded for the format."""

    def __init__(
        self,
        context: OperationContext,
        stem: str,
        info: frames.FrameInfo,
        source_space: str,
        *,
        fmt: str | None = None,
        width: int | None = None,
        height: int | None = None,
        alpha: bool = False,
        kind: str = "render",
        role: str = "main",
        working: str = color.WORKING_SPACE,
    ) -> None:
        self.context = context
        self.format = fmt or frames.default_output_format(info)
        self.space = frames.output_colorspace(self.format, source_space)
        self.working = working
        self.kind, self.role = kind, role
        try:
            self.writer = frames.open_writer(
                self.format,
                context.output_dir,
                stem,
                info,
                width=width,
                height=height,
                alpha=alpha,
            )
        except frames.FrameError as error:
            raise InvalidParameters(str(error)) from None

    def write(self, frame: torch.Tensor, *, is_matte: bool = False) -> None:
        """Writes one (C, H, W) frame given in the working space (mattes: as they are)."""
        if not is_matte and frame.shape[0] >= 3:
            frame = color.convert(frame, self.working, self.space, self.context.device)
        self.writer.write(frame)

    def close(self) -> OutputFile:
        path = self.writer.close()
        return OutputFile(
            path=path, kind=self.kind, role=self.role, content_type=self.writer.content_type
        )


def lockstep_batches(
    readers: list[frames.FrameReader], policy: DevicePolicy, batch_size: int, count: int
) -> Any:
    """Yields (indices, [batch per reader]) for `count` frames, streaming every reader once
    in order; a shorter input (a still, a clean plate) holds its last frame."""
    streams = [reader.read() for reader in readers]
    last: list[Any] = [None] * len(readers)
    pending: list[list[Any]] = [[] for _ in readers]
    indices: list[int] = []
    for index in range(count):
        for slot, stream in enumerate(streams):
            if last[slot] is None or index < readers[slot].info.count:
                _, last[slot] = next(stream)
            pending[slot].append(last[slot])
        indices.append(index)
        if len(indices) == batch_size or index == count - 1:
            yield indices, [frames.to_tensor(arrays, policy) for arrays in pending]
            pending = [[] for _ in readers]
            indices = []
