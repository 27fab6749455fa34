"""Keyer, despill and Porter-Duff over against known mattes and a NumPy reference."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from gpu_workers.frames import open_frames
from gpu_workers.ops.key_composite import despill, over, pull_key, validate
from gpu_workers.registry import InvalidParameters, get_operation
from tests.gpu_workers.media import Recorder, gradient_scene, make_context, write_exr_sequence

SCREEN = np.array([0.1, 0.7, 0.15], np.float32)  # a scene-linear green screen
SUBJECT = np.array([0.6, 0.4, 0.2], np.float32)  # G equals the mean of R and B: no green


def known_matte(height: int = 40, width: int = 60) -> np.ndarray:
    """A disc of subject with a soft ramp edge: alpha 1 inside, 0 outside."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    distance = np.hypot(x - width / 2, y - height / 2)
    return np.clip((14.0 - distance) / 6.0, 0.0, 1.0)


def green_screen_plate(alpha: np.ndarray) -> np.ndarray:
    a = alpha[..., None]
    return a * SUBJECT + (1.0 - a) * SCREEN


def _batch(image: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1)))[None]


def test_pure_green_screen_gives_the_known_matte() -> None:
    alpha = known_matte()
    params = validate({})
    matte = pull_key(_batch(green_screen_plate(alpha)), params, torch.from_numpy(SCREEN))
    np.testing.assert_allclose(matte[0, 0].numpy(), alpha, atol=1e-5)


def test_clean_plate_keys_an_uneven_screen() -> None:
    alpha = known_matte()
    shading = np.linspace(0.6, 1.2, alpha.shape[1], dtype=np.float32)[None, :, None]
    screen = SCREEN * shading * np.ones_like(alpha)[..., None]
    plate = alpha[..., None] * SUBJECT + (1 - alpha[..., None]) * screen
    params = validate({})
    matte = pull_key(_batch(plate), params, _batch(screen))
    np.testing.assert_allclose(matte[0, 0].numpy(), alpha, atol=1e-5)


def test_black_and_white_points_and_softness() -> None:
    alpha = known_matte()
    plate = _batch(green_screen_plate(alpha))
    crushed = pull_key(
        plate, validate({"black_point": 0.2, "white_point": 0.8}), torch.from_numpy(SCREEN)
    )[0, 0].numpy()
    np.testing.assert_allclose(crushed, np.clip((alpha - 0.2) / 0.6, 0, 1), atol=1e-5)
    soft = pull_key(plate, validate({"edge_softness": 2.0}), torch.from_numpy(SCREEN))[0, 0]
    assert float(soft.sum()) == pytest.approx(float(alpha.sum()), rel=0.02)  # blur keeps area
    assert float((soft - torch.from_numpy(alpha)).abs().max()) > 0.05  # but moves the edge


def test_despill_removes_green_cast() -> None:
    spilled = np.array([[[0.5, 0.6, 0.3]]], np.float32)  # G above (R + B) / 2
    out = despill(_batch(spilled), "green", 0.5, 1.0)[0, :, 0, 0].numpy()
    np.testing.assert_allclose(out, [0.5, 0.4, 0.3], atol=1e-6)


def test_over_matches_numpy_porter_duff() -> None:
    rng = np.random.default_rng(6)
    fg = rng.uniform(0, 1, (3, 20, 30)).astype(np.float32)
    alpha = rng.uniform(0, 1, (1, 20, 30)).astype(np.float32)
    bg = rng.uniform(0, 2, (3, 20, 30)).astype(np.float32)
    premultiplied = fg * alpha
    expected = premultiplied + bg * (1.0 - alpha)  # Porter & Duff 1984, "A over B"
    ours = over(
        torch.from_numpy(premultiplied)[None],
        torch.from_numpy(alpha)[None],
        torch.from_numpy(bg)[None],
    )[0].numpy()
    np.testing.assert_allclose(ours, expected, atol=1e-6)


def test_operation_outputs_composite_and_matte(tmp_path: Path) -> None:
    alpha = known_matte()
    foreground = write_exr_sequence(tmp_path / "fg", [green_screen_plate(alpha)] * 3, "element")
    background_image = gradient_scene(40, 60)
    background = write_exr_sequence(tmp_path / "bg", [background_image] * 3, "plate")
    operation = get_operation("key_composite")
    recorder = Recorder()
    result = operation.run(
        make_context(
            {"foreground": foreground, "background": background},
            tmp_path / "out",
            operation.validate({"despill": 0.0}),
            recorder,
        )
    )
    roles = {output.role: output for output in result.outputs}
    assert roles["composite"].kind == "render" and roles["matte"].kind == "matte"
    mattes = [pixels for _, pixels in open_frames(roles["matte"].path).read()]
    assert len(mattes) == 3 and mattes[0].shape == (40, 60, 1)
    np.testing.assert_allclose(mattes[0][..., 0].astype(np.float32), alpha, atol=2e-3)
    composite = next(open_frames(roles["composite"].path).read())[1].astype(np.float32)
    expected = alpha[..., None] * SUBJECT + (1 - alpha[..., None]) * background_image
    np.testing.assert_allclose(composite, expected, atol=5e-3, rtol=2e-3)
    report = json.loads(roles["report"].path.read_text())
    np.testing.assert_allclose(report["screen_color"], SCREEN, atol=0.01)  # estimated
    assert recorder.progress[-1][0] == pytest.approx(1.0)


def test_color_match_moves_the_element_towards_the_plate(tmp_path: Path) -> None:
    alpha = known_matte()
    foreground = write_exr_sequence(tmp_path / "fg", [green_screen_plate(alpha)], "element")
    background = write_exr_sequence(tmp_path / "bg", [gradient_scene(40, 60) * [0.3, 0.5, 1.2]])
    operation = get_operation("key_composite")
    outputs = {}
    for match in (False, True):
        result = operation.run(
            make_context(
                {"foreground": foreground, "background": background},
                tmp_path / f"out{match}",
                operation.validate({"match_color": match, "match_strength": 1.0}),
                Recorder(),
            )
        )
        composite = next(o for o in result.outputs if o.role == "composite")
        outputs[match] = next(open_frames(composite.path).read())[1].astype(np.float32)
    inside = alpha > 0.99
    plain, matched = outputs[False][inside].mean(0), outputs[True][inside].mean(0)
    # The orange subject picks up the plate's blue cast.
    assert matched[2] / matched[0] > 1.5 * plain[2] / plain[0]


def test_size_mismatch_and_bad_points_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameters, match="white_point must be above"):
        validate({"black_point": 0.6, "white_point": 0.5})
    foreground = write_exr_sequence(tmp_path / "fg", [gradient_scene(20, 30)])
    background = write_exr_sequence(tmp_path / "bg", [gradient_scene(40, 60)])
    with pytest.raises(InvalidParameters, match="reformat it first"):
        get_operation("key_composite").run(
            make_context(
                {"foreground": foreground, "background": background},
                tmp_path / "out",
                {},
                Recorder(),
            )
        )
