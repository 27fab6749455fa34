"""Small generated media for the operation tests: EXR sequences, movies, contexts."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import torch

from gpu_workers.device import DevicePolicy
from gpu_workers.frames import ExrSequenceWriter, MovieWriter
from gpu_workers.registry import OperationContext

CPU = DevicePolicy(torch.device("cpu"), torch.float32, "cpu")


def gradient_scene(height: int = 48, width: int = 64, seed: int = 0) -> np.ndarray:
    """A smooth, colourful scene-linear image (H, W, 3) with some texture."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    r = 0.05 + 0.6 * x / width
    g = 0.08 + 0.5 * y / height
    b = 0.1 + 0.3 * (np.sin(x / 5.0) * np.cos(y / 7.0) + 1.0) / 2.0
    noise = rng.normal(0.0, 0.01, size=(height, width, 3)).astype(np.float32)
    return np.clip(np.stack([r, g, b], axis=-1) + noise, 0.001, None)


def write_exr_sequence(folder: Path, images: list[np.ndarray], stem: str = "plate") -> Path:
    writer = ExrSequenceWriter(folder, stem, first_frame=1001, half=False)
    for image in images:
        writer.write(torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1))))
    return writer.close()


def write_movie(path: Path, images: list[np.ndarray], codec: str = "prores") -> Path:
    height, width = images[0].shape[:2]
    writer = MovieWriter(path, codec, Fraction(24), width, height)  # type: ignore[arg-type]
    for image in images:
        writer.write(torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1))))
    return writer.close()


class Recorder:
    def __init__(self) -> None:
        self.progress: list[tuple[float, str]] = []
        self.lines: list[str] = []
        self.cancel_after: int | None = None

    def on_progress(self, fraction: float, message: str) -> None:
        self.progress.append((fraction, message))

    def is_cancelled(self) -> bool:
        return self.cancel_after is not None and len(self.progress) >= self.cancel_after


def make_context(
    inputs: dict[str, Path], output_dir: Path, params: dict[str, Any], recorder: Recorder
) -> OperationContext:
    output_dir.mkdir(parents=True, exist_ok=True)
    return OperationContext(
        inputs=inputs,
        output_dir=output_dir,
        params=params,
        device=CPU,
        progress=recorder.on_progress,
        log=recorder.lines.append,
        is_cancelled=recorder.is_cancelled,
    )
