"""Helpers shared by the operations: common parameter declarations, colour-managed reading
and writing."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gpu_workers import color, frames
from gpu_workers.registry import InvalidParameters, OperationContext, OutputFile, Param

if TYPE_CHECKING:
    import torch

    from gpu_workers.device import DevicePolicy


def colorspace_param(
    name: str = "colorspace", of: str = "the source", *, advanced: bool = True
) -> Param:
    """The colour space an input is in; automatic (from the file) unless given."""
    return Param(
        name,
        "choice",
        f"Colour space of {of}",
        help=f"How to read {of}: automatic uses the file's own tags (EXR: ACEScg, movies"
        " and stills: sRGB / Rec.709).",
        choices=color.colorspace_names,
        optional=True,
        advanced=advanced,
        normalise=color.check_colorspace,
    )


def output_format_param() -> Param:
    return Param(
        "output_format",
        "choice",
        "Output format",
        help="EXR (half float, scene-linear), ProRes 4444 or H.264; automatic keeps the"
        " source's kind (EXR for EXR, ProRes for movies).",
        choices=frames.OUTPUT_FORMATS,
        optional=True,
        advanced=True,
    )


def roi_param(name: str = "roi", label: str = "Region of interest", of: str = "source") -> Param:
    """A region as [x, y, width, height] in fractions of the frame (0..1)."""
    return Param(
        name,
        "region",
        label,
        help=f"Only the pixels inside this box of the {of} are measured; empty: the whole frame.",
        optional=True,
        region_of=of,
    )


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
    """The validated colour space parameter, or the file's own."""
    return str(params.get(key) or info.colorspace)


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
