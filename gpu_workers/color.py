"""Colour conversion with OpenColorIO's built-in ACES studio config.

Every conversion is an OCIO processor between two colour spaces of the built-in config
(`studio-config-latest`). It runs on the frame's device in one of three ways, picked once
per transform:

- ``matrix``: the transform is linear (ACEScg <-> Linear Rec.709, ...): OCIO is sampled on
  the basis vectors and the 3x3 matrix is applied on the device. Exact.
- ``lut``: the transform is baked into a 3D LUT (65^3 by default) behind a 1D shaper (log2
  for scene-linear sources, identity for encoded ones) and applied on the device with
  trilinear interpolation. The default on CUDA for encoded sources (video, log, sRGB),
  where it avoids a round trip to the host. Scene-linear sources are baked only on request
  (accurate for per-channel curves such as ACEScg -> ACEScct, not for channel mixing of
  saturated colours at high exposure).
- ``cpu``: OCIO's own optimised CPU processor on the host. Exact; the default on CPU.

Alpha passes through untouched. Colour spaces are named as in the config ("ACEScg",
"ACEScct", "sRGB Encoded Rec.709 (sRGB)", "ARRI LogC4", ...).
"""

from __future__ import annotations

import difflib
import functools
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

if TYPE_CHECKING:
    import torch

    from gpu_workers.device import DevicePolicy

BUILTIN_CONFIG = "studio-config-latest"
# The space frames are merged, blurred and resampled in (linear light).
WORKING_SPACE = "ACEScg"
# The space an ASC CDL is fitted and applied in (the ACES grading convention).
GRADING_SPACE = "ACEScct"
# Defaults by container when the job does not say: EXR is scene-linear ACEScg, display
# media (movies, PNG, JPEG, TIFF) are sRGB-encoded Rec.709.
DEFAULT_LINEAR_SPACE = "ACEScg"
DEFAULT_DISPLAY_SPACE = "sRGB Encoded Rec.709 (sRGB)"

Method = Literal["auto", "matrix", "lut", "cpu"]

# Shaper domain for scene-linear values baked into a LUT: 2^-12 .. 2^10 (about 22 stops).
_SHAPER_LOG_MIN = -12.0
_SHAPER_LOG_MAX = 10.0


@functools.lru_cache(maxsize=1)
def config() -> Any:
    import PyOpenColorIO as ocio

    return ocio.Config.CreateFromBuiltinConfig(BUILTIN_CONFIG)


def config_name() -> str:
    return str(config().getName())


@functools.lru_cache(maxsize=1)
def colorspace_names() -> tuple[str, ...]:
    return tuple(space.getName() for space in config().getColorSpaces())


def check_colorspace(name: str) -> str:
    """Returns the colour space name as the config spells it, or raises ValueError."""
    names = colorspace_names()
    if name in names:
        return name
    by_lower = {candidate.lower(): candidate for candidate in names}
    if name.lower() in by_lower:
        return by_lower[name.lower()]
    try:
        resolved = config().getColorSpace(name)  # roles and aliases ("scene_linear", ...)
    except Exception:  # pragma: no cover - OCIO raises only on malformed names
        resolved = None
    if resolved is not None:
        return str(resolved.getName())
    close = difflib.get_close_matches(name, names, n=3)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise ValueError(f"unknown colour space {name!r} in the ACES studio config.{hint}")


def encoding(name: str) -> str:
    """OCIO's encoding of a colour space: scene-linear, log, sdr-video, data..."""
    return str(config().getColorSpace(check_colorspace(name)).getEncoding() or "")


@functools.lru_cache(maxsize=64)
def _cpu_processor(src: str, dst: str) -> Any:
    return config().getProcessor(src, dst).getDefaultCPUProcessor()


def apply_cpu(pixels: np.ndarray, src: str, dst: str) -> np.ndarray:
    """OCIO on the host: `pixels` float32 (..., 3) is converted in a copy."""
    out = np.ascontiguousarray(pixels, dtype=np.float32).copy()
    _cpu_processor(src, dst).applyRGB(out.reshape(-1, 3))
    return out


@functools.lru_cache(maxsize=64)
def linear_matrix(src: str, dst: str) -> np.ndarray | None:
    """The 3x3 matrix of the transform when it is linear (checked on random samples), else None."""
    basis = np.eye(3, dtype=np.float32)
    matrix = apply_cpu(basis, src, dst).T  # columns are the images of the basis vectors
    rng = np.random.default_rng(7)
    samples = rng.uniform(-0.5, 16.0, size=(256, 3)).astype(np.float32)
    expected = apply_cpu(samples, src, dst)
    predicted = samples @ matrix.T
    if not (np.all(np.isfinite(expected)) and np.all(np.isfinite(matrix))):
        return None  # e.g. a log or power curve given negative values
    scale = np.maximum(np.abs(expected), 1.0)
    if float(np.max(np.abs(predicted - expected) / scale)) > 1e-5:
        return None
    return matrix.astype(np.float64)


class ColorTransform:
    """One conversion between two colour spaces, applied to frames on their device."""

    def __init__(
        self,
        src: str,
        dst: str,
        policy: DevicePolicy,
        *,
        method: Method = "auto",
        lut_size: int = 65,
    ) -> None:
        import torch

        self.src = check_colorspace(src)
        self.dst = check_colorspace(dst)
        self.policy = policy
        self._matrix: torch.Tensor | None = None
        self._lut: torch.Tensor | None = None
        self._log_shaper = False
        if self.src == self.dst:
            self.method = "identity"
            return
        matrix = linear_matrix(self.src, self.dst)
        if matrix is not None and method in ("auto", "matrix"):
            self.method = "matrix"
            self._matrix = torch.tensor(matrix, dtype=torch.float32, device=policy.device)
            return
        if method == "matrix":
            raise ValueError(f"{self.src} -> {self.dst} is not a matrix transform")
        # A log-shaped lattice is accurate for per-channel curves of scene-linear values but
        # not for channel mixing at high values (saturated colours crossing zero), so on
        # "auto" only bounded, encoded sources are baked; scene-linear ones stay exact.
        bounded = encoding(self.src) != "scene-linear"
        if method == "lut" or (method == "auto" and policy.is_cuda and bounded):
            self.method = "lut"
            self._bake_lut(lut_size)
        else:
            self.method = "cpu"

    def _bake_lut(self, size: int) -> None:
        import torch

        self._log_shaper = encoding(self.src) == "scene-linear"
        grid = np.linspace(0.0, 1.0, size, dtype=np.float32)
        if self._log_shaper:
            grid = np.exp2(_SHAPER_LOG_MIN + grid * (_SHAPER_LOG_MAX - _SHAPER_LOG_MIN))
        # lattice[b, g, r] = (r, g, b): grid_sample reads x=r (W), y=g (H), z=b (D).
        b, g, r = np.meshgrid(grid, grid, grid, indexing="ij")
        lattice = np.stack([r, g, b], axis=-1).astype(np.float32)
        baked = apply_cpu(lattice, self.src, self.dst)  # (D, H, W, 3)
        self._lut = (
            torch.from_numpy(np.ascontiguousarray(baked.transpose(3, 0, 1, 2)))
            .unsqueeze(0)
            .to(self.policy.device, torch.float32)
        )

    def _shape(self, rgb: torch.Tensor) -> torch.Tensor:
        import torch

        if not self._log_shaper:
            return rgb.clamp(0.0, 1.0)
        logs = torch.log2(rgb.clamp_min(2.0**_SHAPER_LOG_MIN))
        return ((logs - _SHAPER_LOG_MIN) / (_SHAPER_LOG_MAX - _SHAPER_LOG_MIN)).clamp(0.0, 1.0)

    def apply(self, frames: torch.Tensor) -> torch.Tensor:
        """Converts (C, H, W) or (N, C, H, W) frames; channels beyond RGB pass through."""
        import torch
        import torch.nn.functional as F

        if self.method == "identity":
            return frames
        single = frames.dim() == 3
        batch = frames.unsqueeze(0) if single else frames
        rgb = batch[:, :3].float()
        if self.method == "matrix":
            assert self._matrix is not None
            out = torch.einsum("ij,njhw->nihw", self._matrix, rgb)
        elif self.method == "lut":
            assert self._lut is not None
            coords = self._shape(rgb) * 2.0 - 1.0  # (N, 3, H, W) in grid_sample's [-1, 1]
            n, _, h, w = coords.shape
            # grid_sample's (x, y, z) index the lattice's (W, H, D) = (r, g, b).
            grid = coords.permute(0, 2, 3, 1).reshape(1, 1, n * h, w, 3)
            sampled = F.grid_sample(
                self._lut, grid, mode="bilinear", padding_mode="border", align_corners=True
            )  # (1, 3, 1, n*h, w)
            out = sampled.reshape(3, n, h, w).permute(1, 0, 2, 3)
        else:
            host = rgb.detach().to("cpu", torch.float32).permute(0, 2, 3, 1).contiguous().numpy()
            converted = apply_cpu(host, self.src, self.dst)
            out = torch.from_numpy(converted).permute(0, 3, 1, 2).to(frames.device)
        out = out.to(frames.dtype)
        if batch.shape[1] > 3:
            out = torch.cat([out, batch[:, 3:]], dim=1)
        return out[0] if single else out


@functools.lru_cache(maxsize=32)
def _cached_transform(src: str, dst: str, policy: DevicePolicy, method: Method) -> ColorTransform:
    return ColorTransform(src, dst, policy, method=method)


def transform(src: str, dst: str, policy: DevicePolicy, method: Method = "auto") -> ColorTransform:
    """A cached ColorTransform (OCIO processors and baked LUTs are built once per process)."""
    return _cached_transform(check_colorspace(src), check_colorspace(dst), policy, method)


def convert(
    frames: torch.Tensor, src: str, dst: str, policy: DevicePolicy, method: Method = "auto"
) -> torch.Tensor:
    return transform(src, dst, policy, method).apply(frames)


# ACEScct (S-2016-001) in closed form, for the device: the grading space of the CDL.
_CCT_A = 10.5402377416545
_CCT_B = 0.0729055341958355
_CCT_LIN_BREAK = 0.0078125
_CCT_BREAK = 0.155251141552511


def acescg_to_acescct(values: torch.Tensor) -> torch.Tensor:
    import torch

    logs = (torch.log2(values.clamp_min(_CCT_LIN_BREAK)) + 9.72) / 17.52
    return torch.where(values <= _CCT_LIN_BREAK, _CCT_A * values + _CCT_B, logs)


def acescct_to_acescg(values: torch.Tensor) -> torch.Tensor:
    import torch

    linear = torch.exp2(values.clamp_max(1.468) * 17.52 - 9.72)  # 1.468 -> 65504, half max
    return torch.where(values <= _CCT_BREAK, (values - _CCT_B) / _CCT_A, linear)
