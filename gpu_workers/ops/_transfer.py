"""Colour transfers between two sets of pixels, used by shot matching and compositing.

- Reinhard et al. 2001: per-channel mean / standard deviation transfer in a perceptual
  space. The space here is Oklab (Ottosson 2020), reached from the linear working space.
- Pitié & Kokaram 2007: the linear Monge-Kantorovich (MKL) transfer, the affine map
  x -> T (x - mu_s) + mu_t with T = S^-1/2 (S^1/2 C S^1/2)^1/2 S^-1/2 (S, C the source and
  target covariances), the optimal-transport map between two Gaussians. It runs in the
  grading space (ACEScct), where steps are perceptually even.

Statistics are accumulated in float64 over any number of batches (a whole shot), so the
correction is the same for every frame of the shot.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from gpu_workers import color

if TYPE_CHECKING:
    import torch


# Oklab: linear sRGB (Rec.709 primaries, D65) -> LMS, and cube-rooted LMS -> Lab.
OKLAB_M1 = np.array(
    [
        [0.4122214708, 0.5363325363, 0.0514459929],
        [0.2119034982, 0.6806995451, 0.1073969566],
        [0.0883024619, 0.2817188376, 0.6299787005],
    ]
)
OKLAB_M2 = np.array(
    [
        [0.2104542553, 0.7936177850, -0.0040720468],
        [1.9779984951, -2.4285922050, 0.4505937099],
        [0.0259040371, 0.7827717662, -0.8086757660],
    ]
)
METHODS = ("reinhard", "mkl")


@functools.lru_cache(maxsize=8)
def working_to_lms(working: str = color.WORKING_SPACE) -> np.ndarray:
    """Working space -> Oklab LMS, through OCIO's (chromatically adapted) Linear Rec.709."""
    to_rec709 = color.linear_matrix(working, "Linear Rec.709 (sRGB)")
    if to_rec709 is None:  # pragma: no cover - the working space is always linear
        raise ValueError(f"{working} is not a linear colour space")
    return OKLAB_M1 @ to_rec709


def _matmul(
    matrix: np.ndarray, values: torch.Tensor, bias: np.ndarray | None = None
) -> torch.Tensor:
    """Applies a 3x3 matrix (then adds `bias`, (3,)) along the channel axis of (N, 3, H, W)
    or (N, 3). Frames go through one (3 x 3) @ (3 x H*W) product on their own channel planes:
    no permute to channels-last and back, no einsum reshuffle."""
    import torch

    m = torch.as_tensor(matrix, dtype=values.dtype, device=values.device)
    b = None if bias is None else torch.as_tensor(bias, dtype=values.dtype, device=values.device)
    if values.dim() == 2:
        return values @ m.T if b is None else torch.addmm(b, values, m.T)
    n, _, h, w = values.shape
    planes = values.reshape(n, 3, h * w)
    if b is None:
        out = torch.matmul(m, planes)
    else:
        out = torch.baddbmm(b.reshape(1, 3, 1).expand(n, 3, h * w), m.expand(n, 3, 3), planes)
    return out.reshape(n, 3, h, w)


def _cbrt(values: torch.Tensor) -> torch.Tensor:
    """Signed cube root, in place: on the host NumPy's cbrt (a dedicated kernel, three times
    faster than a float power), on a GPU |x|^(1/3) with the sign copied back."""
    if values.device.type == "cpu" and values.is_contiguous() and not values.requires_grad:
        host = values.numpy()
        np.cbrt(host, out=host)
        return values
    magnitude = values.abs().pow_(1.0 / 3.0)
    return values.copy_(magnitude.copysign_(values))


def to_oklab(linear: torch.Tensor, working: str = color.WORKING_SPACE) -> torch.Tensor:
    lms = _matmul(working_to_lms(working), linear)
    return _matmul(OKLAB_M2, _cbrt(lms))


@functools.lru_cache(maxsize=8)
def _lms_from_working_inverse(working: str) -> np.ndarray:
    return np.linalg.inv(working_to_lms(working))


_OKLAB_M2_INV = np.linalg.inv(OKLAB_M2)


def from_oklab(lab: torch.Tensor, working: str = color.WORKING_SPACE) -> torch.Tensor:
    lms = _matmul(_OKLAB_M2_INV, lab).pow_(3)
    return _matmul(_lms_from_working_inverse(working), lms)


@dataclass
class PixelStats:
    """Running mean and covariance of 3-channel samples, in float64."""

    count: int = 0
    total: np.ndarray = field(default_factory=lambda: np.zeros(3))
    outer: np.ndarray = field(default_factory=lambda: np.zeros((3, 3)))

    def update(self, samples: torch.Tensor) -> None:
        """`samples` is (N, 3, H, W) or (N, 3)."""
        import torch

        flat = samples if samples.dim() == 2 else samples.permute(0, 2, 3, 1).reshape(-1, 3)
        flat64 = flat.to(torch.float64)
        self.count += int(flat64.shape[0])
        self.total += flat64.sum(0).cpu().numpy()
        self.outer += (flat64.T @ flat64).cpu().numpy()

    @property
    def mean(self) -> np.ndarray:
        return self.total / max(1, self.count)

    @property
    def covariance(self) -> np.ndarray:
        mean = self.mean
        return self.outer / max(1, self.count) - np.outer(mean, mean)

    @property
    def std(self) -> np.ndarray:
        return np.sqrt(np.clip(np.diag(self.covariance), 0.0, None))


def _sqrtm(matrix: np.ndarray, inverse: bool = False) -> np.ndarray:
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2.0)
    values = np.clip(values, 1e-10, None)
    power = -0.5 if inverse else 0.5
    return (vectors * values**power) @ vectors.T


def mkl_matrix(source_cov: np.ndarray, target_cov: np.ndarray) -> np.ndarray:
    """Pitié's linear Monge-Kantorovich map between two covariances."""
    eps = 1e-8 * np.eye(3)
    s_half = _sqrtm(source_cov + eps)
    s_inv_half = _sqrtm(source_cov + eps, inverse=True)
    middle = _sqrtm(s_half @ (target_cov + eps) @ s_half)
    return s_inv_half @ middle @ s_inv_half


def space_of(method: str) -> str:
    return "oklab" if method == "reinhard" else "acescct"


def to_space(linear: torch.Tensor, method: str, working: str = color.WORKING_SPACE) -> torch.Tensor:
    """Linear working-space values -> the space the method's statistics live in."""
    if method == "reinhard":
        return to_oklab(linear, working)
    return color.acescg_to_acescct(linear)


def from_space(
    values: torch.Tensor, method: str, working: str = color.WORKING_SPACE
) -> torch.Tensor:
    if method == "reinhard":
        return from_oklab(values, working)
    return color.acescct_to_acescg(values)


@dataclass
class ColorMatch:
    """The fitted transfer: an affine map x -> matrix @ (x - source_mean) + target_mean in
    the method's space (diagonal for Reinhard), blended by `strength`."""

    method: str
    matrix: np.ndarray
    source_mean: np.ndarray
    target_mean: np.ndarray
    strength: float = 1.0

    @classmethod
    def fit(
        cls, method: str, source: PixelStats, target: PixelStats, strength: float = 1.0
    ) -> ColorMatch:
        if method == "reinhard":
            matrix = np.diag(target.std / np.clip(source.std, 1e-8, None))
        else:
            matrix = mkl_matrix(source.covariance, target.covariance)
        effective = strength * matrix + (1.0 - strength) * np.eye(3)
        return cls(
            method,
            effective,
            source.mean,
            target.mean * strength + source.mean * (1.0 - strength),
            strength,
        )

    def affine(self) -> tuple[np.ndarray, np.ndarray]:
        """(A, b) with apply_in_space(x) = A x + b, in float64."""
        return self.matrix, self.target_mean - self.matrix @ self.source_mean

    def apply_in_space(self, values: torch.Tensor) -> torch.Tensor:
        matrix, bias = self.affine()
        return _matmul(matrix, values, bias)

    def apply(self, linear: torch.Tensor, working: str = color.WORKING_SPACE) -> torch.Tensor:
        """Linear working-space RGB (N, 3, H, W) -> matched linear working-space RGB."""
        values = linear.float()
        if self.method != "reinhard" or values.dim() != 4:
            values = to_space(values, self.method, working)
            return from_space(self.apply_in_space(values), self.method, working).to(linear.dtype)
        # Reinhard, fused: Oklab's second matrix, the transfer and the way back compose into
        # one affine map of the cube-rooted LMS values (computed once in float64), so a frame
        # is matrix, cube root, affine, cube, matrix, with the temporaries reused in place.
        matrix, bias = self.affine()
        fused = _OKLAB_M2_INV @ matrix @ OKLAB_M2
        lms = _cbrt(_matmul(working_to_lms(working), values))
        lms = _matmul(fused, lms, _OKLAB_M2_INV @ bias).pow_(3)
        return _matmul(_lms_from_working_inverse(working), lms).to(linear.dtype)

    def as_dict(self) -> dict[str, object]:
        return {
            "method": self.method,
            "space": space_of(self.method),
            "matrix": np.round(self.matrix, 6).tolist(),
            "source_mean": np.round(self.source_mean, 6).tolist(),
            "target_mean": np.round(self.target_mean, 6).tolist(),
            "strength": self.strength,
        }


def stats_in_space(
    linear: torch.Tensor,
    method: str,
    mask: torch.Tensor | None = None,
    working: str = color.WORKING_SPACE,
    into: PixelStats | None = None,
) -> PixelStats:
    """Statistics of (N, 3, H, W) linear values in the method's space (optionally only where
    `mask` (N, 1, H, W) > 0.5), added to `into` when given."""
    stats = into if into is not None else PixelStats()
    values = to_space(linear.float(), method, working)
    flat = values.permute(0, 2, 3, 1).reshape(-1, 3)
    if mask is not None:
        flat = flat[mask.permute(0, 2, 3, 1).reshape(-1) > 0.5]
    stats.update(flat)
    return stats
