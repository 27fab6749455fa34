"""Lanczos-3 resize against Pillow, reformat geometry, tiling, and deflicker residuals."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from gpu_workers.frames import open_frames
from gpu_workers.ops.deflicker import smooth_log_series
from gpu_workers.ops.resize import Resampler, reformat_geometry
from gpu_workers.registry import InvalidParameters, get_operation
from tests.gpu_workers.media import (
    CPU,
    Recorder,
    gradient_scene,
    make_context,
    write_exr_sequence,
    write_movie,
)

PILLOW_TOLERANCE = 1e-5  # Pillow's float ("F") Lanczos, same weights, float32 rounding


@pytest.mark.parametrize("size", [(23, 17), (35, 25), (140, 100), (97, 61), (70, 50), (33, 90)])
def test_lanczos_matches_pillow(size: tuple[int, int]) -> None:
    image = np.random.default_rng(8).random((50, 70)).astype(np.float32)
    expected = np.asarray(Image.fromarray(image, mode="F").resize(size, Image.Resampling.LANCZOS))
    ours = Resampler(CPU, (70, 50), size)(torch.from_numpy(image)[None, None])[0, 0].numpy()
    assert float(np.abs(ours - expected).max()) < PILLOW_TOLERANCE


def test_shrinking_is_antialiased() -> None:
    """A one-pixel checkerboard shrunk 4x must become flat grey, not a moire pattern."""
    y, x = np.mgrid[0:64, 0:96]
    checker = ((x + y) % 2).astype(np.float32)
    out = Resampler(CPU, (96, 64), (24, 16))(torch.from_numpy(checker)[None, None])[0, 0]
    inner = out[3:-3, 3:-3]
    assert float(inner.mean()) == pytest.approx(0.5, abs=1e-3)
    assert float(inner.std()) < 0.01


def test_reformat_geometry() -> None:
    # UHD to HD: plain 2x.
    assert reformat_geometry(3840, 2160, 1920, 1080, "fit") == (
        (1920, 1080),
        (0.0, 0.0, 3840.0, 2160.0),
        (0, 0),
    )
    # 2K DCI (1.896) into HD (1.778) fit: letterboxed 1920 x 1012, centred.
    size, _, offset = reformat_geometry(2048, 1080, 1920, 1080, "fit")
    assert size == (1920, 1012) and offset == (0, 34)
    # Fill crops the sides of the source instead.
    size, box, offset = reformat_geometry(2048, 1080, 1920, 1080, "fill")
    assert size == (1920, 1080) and box[1] == 0 and box[0] == pytest.approx(64.0)
    # Crop keeps pixels 1:1.
    assert reformat_geometry(2048, 1080, 1920, 1080, "crop")[1] == (64.0, 0.0, 1984.0, 1080.0)


def test_resize_operation_in_linear_light_and_tiled(tmp_path: Path, monkeypatch) -> None:
    images = [np.clip(gradient_scene(64, 96, seed=i), 0, 1) for i in range(3)]
    movie = write_movie(tmp_path / "plate.mov", images)
    operation = get_operation("resize")
    recorder = Recorder()
    params = operation.validate({"width": 48, "height": 32, "output_format": "exr"})
    result = operation.run(make_context({"source": movie}, tmp_path / "a", params, recorder))
    output = result.outputs[0]
    assert output.kind == "render" and output.path.is_dir()
    reader = open_frames(output.path)
    assert (reader.info.width, reader.info.height, reader.info.count) == (48, 32, 3)
    assert [round(f, 3) for f, _ in recorder.progress] == [0.333, 0.667, 1.0]
    whole = [p for _, p in reader.read()]
    # With a memory budget of 0 MB, frames are streamed through the device in row bands.
    monkeypatch.setenv("BACKLOT_WORKER_MEMORY_MB", "0")
    recorder = Recorder()
    tiled = operation.run(make_context({"source": movie}, tmp_path / "b", params, recorder))
    assert any("row bands" in line for line in recorder.lines)
    for a, (_, b) in zip(whole, open_frames(tiled.outputs[0].path).read(), strict=True):
        np.testing.assert_array_equal(a, b)  # deterministic, tiling changes nothing


def test_resize_parameters() -> None:
    validate = get_operation("resize").validate
    assert validate({"preset": "HD"})[("width")] == 1920
    with pytest.raises(InvalidParameters, match="give a preset"):
        validate({"width": 100})
    with pytest.raises(InvalidParameters, match="preset must be one of"):
        validate({"preset": "8K"})


def test_local_linear_smoothing_keeps_ramps() -> None:
    ramp = np.linspace(0.0, 1.0, 30)[:, None]
    np.testing.assert_allclose(smooth_log_series(ramp, 9), ramp, atol=1e-12)


def test_synthetic_flicker_is_removed(tmp_path: Path) -> None:
    """A fading shot (exposure ramp of +0.5 stop) with a period-3 flicker of +-8 %: after
    deflicker (window 9) the per-frame means follow the ramp within 0.5 % inside the shot,
    and the frame-to-frame flicker drops at least 10x."""
    count = 24
    scene = gradient_scene(32, 48)
    ramp = np.exp2(np.linspace(0.0, 0.5, count))
    pattern = np.exp(np.array([0.08, -0.08, 0.0]))
    flicker = pattern[np.arange(count) % 3]
    shot = write_exr_sequence(
        tmp_path / "shot", [scene * (r * f) for r, f in zip(ramp, flicker, strict=True)]
    )
    operation = get_operation("deflicker")
    result = operation.run(
        make_context(
            {"source": shot}, tmp_path / "out", operation.validate({"window": 9}), Recorder()
        )
    )
    frames_out = [p.astype(np.float64) for _, p in open_frames(result.outputs[0].path).read()]
    means = np.array([f.mean() for f in frames_out]) / scene.mean()
    geometric = np.exp(np.log(pattern).mean())  # the flicker's own average level
    interior = slice(4, count - 4)
    residual = np.abs(means[interior] / (ramp[interior] * geometric) - 1.0)
    assert float(residual.max()) < 0.005
    report = json.loads(result.outputs[1].path.read_text())
    assert report["flicker_after"] * 10 < report["flicker_before"]
    with pytest.raises(InvalidParameters, match="odd number"):
        operation.validate({"window": 8})


def test_movie_in_gives_prores_out_with_the_same_frames(tmp_path: Path) -> None:
    images = [
        np.clip(gradient_scene(48, 64, seed=i) * (1.0 + 0.1 * (i % 2)), 0, 1) for i in range(6)
    ]
    movie = write_movie(tmp_path / "sh.mov", images)
    operation = get_operation("deflicker")
    result = operation.run(
        make_context(
            {"source": movie}, tmp_path / "out", operation.validate({"window": 3}), Recorder()
        )
    )
    output = result.outputs[0]
    assert output.path.suffix == ".mov" and output.content_type == "video/quicktime"
    reader = open_frames(output.path)
    assert (reader.info.count, reader.info.width, reader.info.height) == (6, 64, 48)
    after = np.array([p.mean() for _, p in reader.read()])
    before = np.array([p.mean() for _, p in open_frames(movie).read()])
    # The alternating 10 % flicker at least halves frame to frame (6 frames, window 3).
    assert np.abs(np.diff(np.log(after))).mean() * 2 < np.abs(np.diff(np.log(before))).mean()


def test_a_still_exr_gives_a_still_exr(tmp_path: Path) -> None:
    folder = write_exr_sequence(tmp_path / "still", [gradient_scene(64, 96) * 4.0])
    still = next(folder.iterdir())
    operation = get_operation("resize")
    result = operation.run(
        make_context(
            {"source": still},
            tmp_path / "out",
            operation.validate({"width": 48, "height": 32}),
            Recorder(),
        )
    )
    output = result.outputs[0]
    assert output.path.is_file() and output.path.name == "plate.1001_48x32.exr"
    pixels = open_frames(output.path).info
    assert (pixels.width, pixels.height, pixels.half) == (48, 32, True)
    assert result.metrics["output_colorspace"] == "ACEScg"  # scene-linear in, scene-linear out
