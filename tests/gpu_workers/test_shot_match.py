"""Shot match: colour transfers against colour-science / NumPy, the CDL math and fit, the
.cdl / .cc files, and the registered operation on real files."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import colour
import numpy as np
import pytest
import scipy.linalg
import torch

from gpu_workers.frames import open_frames
from gpu_workers.ops._cdl import Cdl, apply_cdl, fit_cdl, write_cc, write_cdl
from gpu_workers.ops._transfer import ColorMatch, PixelStats, mkl_matrix, stats_in_space, to_oklab
from gpu_workers.registry import InvalidParameters, OperationCancelled, get_operation
from tests.gpu_workers.media import Recorder, gradient_scene, make_context, write_exr_sequence

REC709 = "Linear Rec.709 (sRGB)"


def _oklab_reference(linear_rgb: np.ndarray) -> np.ndarray:
    """colour-science: linear sRGB -> XYZ -> Oklab."""
    xyz = colour.RGB_to_XYZ(linear_rgb, colour.RGB_COLOURSPACES["sRGB"], apply_cctf_decoding=False)
    return colour.XYZ_to_Oklab(xyz)


def _batch(image: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(image.transpose(2, 0, 1).copy())[None]


def test_oklab_matches_colour_science() -> None:
    image = gradient_scene()
    ours = to_oklab(_batch(image).double(), REC709)[0].permute(1, 2, 0).numpy()
    np.testing.assert_allclose(ours, _oklab_reference(image.astype(np.float64)), atol=2e-3)


def test_reinhard_gives_the_reference_mean_and_spread_in_oklab() -> None:
    source = gradient_scene(seed=1) * np.array([0.6, 0.8, 1.3], np.float32)
    reference = gradient_scene(seed=2) * np.array([1.4, 1.0, 0.6], np.float32) + 0.02
    match = ColorMatch.fit(
        "reinhard",
        stats_in_space(_batch(source), "reinhard", working=REC709),
        stats_in_space(_batch(reference), "reinhard", working=REC709),
    )
    result = match.apply(_batch(source).double(), REC709)[0].permute(1, 2, 0).numpy()
    ours = _oklab_reference(result).reshape(-1, 3)
    target = _oklab_reference(reference.astype(np.float64)).reshape(-1, 3)
    np.testing.assert_allclose(ours.mean(0), target.mean(0), atol=2e-3)
    np.testing.assert_allclose(ours.std(0), target.std(0), atol=2e-3)


def test_mkl_matches_an_independent_numpy_implementation() -> None:
    rng = np.random.default_rng(3)
    source = rng.multivariate_normal(
        [0.4, 0.4, 0.3], [[0.02, 0.01, 0], [0.01, 0.03, 0.005], [0, 0.005, 0.01]], 5000
    )
    target = rng.multivariate_normal(
        [0.5, 0.35, 0.2], [[0.03, -0.01, 0.002], [-0.01, 0.02, 0], [0.002, 0, 0.015]], 5000
    )
    cs, ct = np.cov(source.T, bias=True), np.cov(target.T, bias=True)
    # Pitié & Kokaram (2007), eq. 9, with SciPy's matrix square root.
    half = np.real(scipy.linalg.sqrtm(cs))
    inv_half = np.linalg.inv(half)
    expected = inv_half @ np.real(scipy.linalg.sqrtm(half @ ct @ half)) @ inv_half
    np.testing.assert_allclose(mkl_matrix(cs, ct), expected, atol=1e-6)
    # Mapped samples have the target's covariance.
    stats_s, stats_t = PixelStats(), PixelStats()
    stats_s.update(torch.from_numpy(source))
    stats_t.update(torch.from_numpy(target))
    match = ColorMatch.fit("mkl", stats_s, stats_t)
    mapped = match.apply_in_space(torch.from_numpy(source)).numpy()
    np.testing.assert_allclose(np.cov(mapped.T, bias=True), ct, atol=1e-6)
    np.testing.assert_allclose(mapped.mean(0), target.mean(0), atol=1e-9)


def _numpy_cdl(rgb: np.ndarray, slope, offset, power, sat) -> np.ndarray:
    """ASC CDL v1.2 as written in the spec (no upper clamp, ACES convention)."""
    out = np.maximum(rgb * np.asarray(slope) + np.asarray(offset), 0.0) ** np.asarray(power)
    luma = out @ np.array([0.2126, 0.7152, 0.0722])
    return luma[..., None] + sat * (out - luma[..., None])


def test_cdl_math_matches_the_asc_formula() -> None:
    rng = np.random.default_rng(4)
    rgb = rng.uniform(-0.1, 1.2, (20, 30, 3))
    cdl = Cdl(
        slope=[1.2, 0.9, 1.05], offset=[-0.02, 0.01, 0.03], power=[0.9, 1.1, 1.0], saturation=0.85
    )
    ours = apply_cdl(torch.from_numpy(rgb.transpose(2, 0, 1).copy()), cdl).numpy()
    expected = _numpy_cdl(rgb, cdl.slope, cdl.offset, cdl.power, cdl.saturation)
    np.testing.assert_allclose(ours.transpose(1, 2, 0), expected, atol=1e-12)


def test_cdl_fit_recovers_a_known_grade() -> None:
    rng = np.random.default_rng(5)
    source = rng.uniform(0.1, 0.7, (4000, 3))
    truth = Cdl(
        slope=[1.1, 0.95, 0.9], offset=[0.02, -0.01, 0.04], power=[1.1, 0.95, 1.0], saturation=0.9
    )
    target = _numpy_cdl(source, truth.slope, truth.offset, truth.power, truth.saturation)
    fit = fit_cdl(torch.from_numpy(source), torch.from_numpy(target))
    assert fit.rmse < 1e-4
    np.testing.assert_allclose(fit.cdl.slope, truth.slope, atol=5e-3)
    np.testing.assert_allclose(fit.cdl.power, truth.power, atol=5e-3)
    assert abs(fit.cdl.saturation - truth.saturation) < 5e-3


def test_cdl_and_cc_files_carry_the_numbers(tmp_path: Path) -> None:
    cdl = Cdl(
        slope=[1.1, 1.0, 0.9], offset=[0.01, 0.0, -0.01], power=[1.0, 1.05, 0.95], saturation=0.8
    )
    ns = {"asc": "urn:ASC:CDL:v1.01"}
    cc = ET.parse(write_cc(cdl, tmp_path / "a.cc", "sh010")).getroot()
    assert cc.tag == "{urn:ASC:CDL:v1.01}ColorCorrection" and cc.get("id") == "sh010"
    slope = cc.find("asc:SOPNode/asc:Slope", ns)
    assert slope is not None and slope.text == "1.100000 1.000000 0.900000"
    saturation = cc.find("asc:SatNode/asc:Saturation", ns)
    assert saturation is not None and saturation.text == "0.800000"
    tree = ET.parse(write_cdl(cdl, tmp_path / "a.cdl", "sh010")).getroot()
    power = tree.find("asc:ColorDecision/asc:ColorCorrection/asc:SOPNode/asc:Power", ns)
    assert power is not None and power.text is not None
    assert [float(v) for v in power.text.split()] == [1.0, 1.05, 0.95]


@pytest.fixture
def shots(tmp_path: Path) -> tuple[Path, Path, np.ndarray]:
    scene = gradient_scene(48, 64)
    source = write_exr_sequence(tmp_path / "src", [scene * 0.5 * (1 + 0.02 * i) for i in range(4)])
    reference_image = scene * np.array([1.3, 1.0, 0.7], np.float32) + 0.01
    reference = write_exr_sequence(tmp_path / "ref", [reference_image])
    return source, reference, reference_image


@pytest.mark.parametrize(("method", "render_with"), [("reinhard", "transfer"), ("mkl", "cdl")])
def test_operation_matches_the_shot_and_exports_the_cdl(
    tmp_path: Path, shots: tuple[Path, Path, np.ndarray], method: str, render_with: str
) -> None:
    source, reference, reference_image = shots
    operation = get_operation("shot_match")
    recorder = Recorder()
    params = operation.validate({"method": method, "render_with": render_with})
    context = make_context(
        {"source": source, "reference": reference}, tmp_path / "out", params, recorder
    )
    result = operation.run(context)
    roles = {output.role: output for output in result.outputs}
    assert set(roles) == {"main", "cdl", "cc", "report"}
    assert roles["main"].kind == "render" and roles["main"].content_type == "image/x-exr"
    matched = [pixels.astype(np.float32) for _, pixels in open_frames(roles["main"].path).read()]
    assert len(matched) == 4
    # The matched shot's average colour is the reference's (within 5 %; MKL matches in log).
    np.testing.assert_allclose(
        matched[0].reshape(-1, 3).mean(0), reference_image.reshape(-1, 3).mean(0), rtol=0.05
    )
    report = json.loads(roles["report"].path.read_text())
    assert report["cdl"]["space"] == "ACEScct" and report["cdl"]["fit_rmse"] < 0.02
    assert result.metrics["cdl_fit_rmse"] == pytest.approx(report["cdl"]["fit_rmse"], abs=1e-6)
    assert roles["cdl"].path.suffix == ".cdl" and roles["cc"].path.suffix == ".cc"
    fractions = [fraction for fraction, _ in recorder.progress]
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)


def test_cancellation_stops_between_frames(tmp_path: Path, shots) -> None:
    source, reference, _ = shots
    recorder = Recorder()
    recorder.cancel_after = 2
    context = make_context(
        {"source": source, "reference": reference}, tmp_path / "out", {}, recorder
    )
    with pytest.raises(OperationCancelled):
        get_operation("shot_match").run(context)


def test_parameters_are_checked() -> None:
    validate = get_operation("shot_match").validate
    assert validate({})["method"] == "reinhard"
    with pytest.raises(InvalidParameters, match="method must be one of"):
        validate({"method": "histogram"})
    with pytest.raises(InvalidParameters, match="roi must lie inside"):
        validate({"roi": [0.5, 0.5, 0.8, 0.2]})
    with pytest.raises(InvalidParameters, match="unknown colour space"):
        validate({"colorspace": "Rec.9999"})
