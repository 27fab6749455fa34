"""Frame I/O round trips and colour conversion against OpenColorIO itself."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import torch

from gpu_workers import color, frames
from gpu_workers.color import ColorTransform
from tests.gpu_workers.media import CPU, gradient_scene, write_exr_sequence, write_movie


def test_exr_sequence_round_trip_keeps_half_floats_as_half(tmp_path: Path) -> None:
    images = [gradient_scene(seed=i) * (i + 1) for i in range(3)]
    writer = frames.ExrSequenceWriter(tmp_path / "seq", "plate", first_frame=1001, half=True)
    for image in images:
        writer.write(torch.from_numpy(image.transpose(2, 0, 1).copy()))
    folder = writer.close()
    assert sorted(p.name for p in folder.iterdir()) == [
        "plate.1001.exr",
        "plate.1002.exr",
        "plate.1003.exr",
    ]
    reader = frames.open_frames(folder)
    assert (reader.info.width, reader.info.height, reader.info.count) == (64, 48, 3)
    assert reader.info.half and reader.info.first_frame == 1001
    assert reader.info.colorspace == "ACEScg"
    for (index, pixels), image in zip(reader.read(), images, strict=True):
        assert pixels.dtype == np.float16
        np.testing.assert_allclose(pixels.astype(np.float32), image, rtol=1e-3, atol=1e-4)
        assert index in (0, 1, 2)


def test_exr_rgba_and_single_channel(tmp_path: Path) -> None:
    rgba = np.concatenate([gradient_scene(), np.full((48, 64, 1), 0.5, np.float32)], axis=2)
    folder = write_exr_sequence(tmp_path / "rgba", [rgba])
    pixels = frames.read_image(next(folder.iterdir()))
    assert pixels.shape == (48, 64, 4) and pixels.dtype == np.float32
    np.testing.assert_allclose(pixels, rgba, atol=1e-6)
    matte = frames.ExrSequenceWriter(tmp_path / "matte", "matte", half=True)
    matte.write(torch.full((1, 8, 8), 0.25))
    assert frames.read_image(next(matte.close().iterdir())).shape == (8, 8, 1)


@pytest.mark.parametrize(("codec", "tolerance"), [("prores", 0.01), ("h264", 0.03)])
def test_movie_round_trip(tmp_path: Path, codec: str, tolerance: float) -> None:
    images = [np.clip(gradient_scene(seed=i), 0, 1) for i in range(5)]
    path = write_movie(tmp_path / f"clip.{'mov' if codec == 'prores' else 'mp4'}", images, codec)
    reader = frames.open_frames(path)
    assert (reader.info.count, reader.info.width, reader.info.height) == (5, 64, 48)
    assert reader.info.fps == 24 and reader.info.container == "movie"
    decoded = dict(reader.read([1, 3]))
    assert sorted(decoded) == [1, 3]
    assert float(np.mean(np.abs(decoded[3] - images[3]))) < tolerance


def test_unreadable_inputs_are_refused(tmp_path: Path) -> None:
    with pytest.raises(frames.FrameError, match="does not exist"):
        frames.open_frames(tmp_path / "missing.mov")
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(frames.FrameError, match="neither a movie"):
        frames.open_frames(tmp_path / "notes.txt")
    (tmp_path / "empty").mkdir()
    with pytest.raises(frames.FrameError, match="no image sequence"):
        frames.open_frames(tmp_path / "empty")


def _ocio(values: np.ndarray, src: str, dst: str) -> np.ndarray:
    import PyOpenColorIO as ocio

    config = ocio.Config.CreateFromBuiltinConfig("studio-config-latest")
    out = np.ascontiguousarray(values, dtype=np.float32).copy()
    config.getProcessor(src, dst).getDefaultCPUProcessor().applyRGB(out.reshape(-1, 3))
    return out


def test_linear_transforms_run_as_exact_matrices() -> None:
    transform = ColorTransform("ACEScg", "Linear Rec.709 (sRGB)", CPU)
    assert transform.method == "matrix"
    values = np.random.default_rng(1).uniform(-0.1, 8.0, (16, 16, 3)).astype(np.float32)
    out = transform.apply(torch.from_numpy(values).permute(2, 0, 1)).permute(1, 2, 0).numpy()
    np.testing.assert_allclose(out, _ocio(values, "ACEScg", "Linear Rec.709 (sRGB)"), atol=1e-5)


def _sample(src: str) -> np.ndarray:
    """Realistic colours: sRGB-gamut colours, -3 to +5 stops around diffuse white, encoded
    in `src` by OCIO."""
    rng = np.random.default_rng(2)
    encoded = rng.uniform(0.02, 1.0, (32, 32, 3)).astype(np.float32)
    if src == "sRGB Encoded Rec.709 (sRGB)":
        return encoded
    linear = _ocio(encoded, "sRGB Encoded Rec.709 (sRGB)", "ACEScg")
    linear = (linear * np.exp2(rng.uniform(-3, 5, (32, 32, 1)))).astype(np.float32)
    return _ocio(linear, "ACEScg", src)


@pytest.mark.parametrize(
    ("src", "dst", "tolerance"),
    [
        ("sRGB Encoded Rec.709 (sRGB)", "ACEScg", 1e-3),
        ("ACEScg", "ACEScct", 1e-3),
        ("ARRI LogC4", "ACEScg", 5e-3),
    ],
)
def test_baked_lut_matches_ocio_within_tolerance(src: str, dst: str, tolerance: float) -> None:
    """The GPU path (3D LUT 65^3 behind a shaper) against OCIO's exact CPU processor:
    relative error below `tolerance` (absolute below 1)."""
    values = _sample(src)
    lut = ColorTransform(src, dst, CPU, method="lut")
    cpu = ColorTransform(src, dst, CPU, method="cpu")
    assert (lut.method, cpu.method) == ("lut", "cpu")
    tensor = torch.from_numpy(values).permute(2, 0, 1)[None]
    exact = _ocio(values, src, dst)
    np.testing.assert_allclose(cpu.apply(tensor)[0].permute(1, 2, 0).numpy(), exact, atol=1e-6)
    error = np.abs(lut.apply(tensor)[0].permute(1, 2, 0).numpy() - exact)
    assert float(np.max(error / np.maximum(np.abs(exact), 1.0))) < tolerance


def test_acescct_closed_form_matches_ocio() -> None:
    values = np.linspace(-0.01, 100.0, 3000, dtype=np.float32).reshape(-1, 1, 3)
    cct = color.acescg_to_acescct(torch.from_numpy(values)).numpy()
    np.testing.assert_allclose(cct, _ocio(values, "ACEScg", "ACEScct"), atol=2e-5)
    back = color.acescct_to_acescg(torch.from_numpy(cct)).numpy()
    np.testing.assert_allclose(back, values, rtol=1e-4, atol=1e-6)


def test_unknown_colour_space_gets_a_suggestion() -> None:
    with pytest.raises(ValueError, match="Did you mean 'ACEScg'"):
        color.check_colorspace("ACEScgg")
    assert color.check_colorspace("acescct") == "ACEScct"


@pytest.mark.parametrize(
    ("src", "dst", "method"),
    [
        ("ACEScg", "Linear Rec.709 (sRGB)", "matrix"),
        ("Linear P3-D65", "ACEScg", "matrix"),
        ("sRGB Encoded Rec.709 (sRGB)", "ACEScg", "cpu"),
        ("ACEScg", "ACEScct", "cpu"),
        ("ACEScg", "ACEScg", "identity"),
    ],
)
def test_only_linear_transforms_become_matrices(src: str, dst: str, method: str) -> None:
    assert ColorTransform(src, dst, CPU).method == method


def test_prores_4444_keeps_alpha(tmp_path: Path) -> None:
    image = np.clip(gradient_scene(), 0, 1)
    alpha = np.linspace(0, 1, 64, dtype=np.float32)[None, :, None] * np.ones((48, 1, 1))
    rgba = np.concatenate([image * alpha, alpha], axis=2).astype(np.float32)
    writer = frames.MovieWriter(
        tmp_path / "element.mov", "prores", Fraction(24), 64, 48, alpha=True
    )
    writer.write(torch.from_numpy(rgba.transpose(2, 0, 1).copy()))
    reader = frames.open_frames(writer.close())
    assert reader.info.channels == 4
    decoded = next(reader.read())[1]
    assert float(np.abs(decoded[..., 3] - alpha[..., 0]).mean()) < 0.005
