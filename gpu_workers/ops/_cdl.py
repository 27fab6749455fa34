"""ASC CDL: apply, fit to a colour transfer, and export as .cdl / .cc.

The CDL is the ASC v1.2 formula with the ACES convention (applied in ACEScct, no upper
clamp): out = max(in * slope + offset, 0) ** power, then saturation around Rec.709 luma
(0.2126, 0.7152, 0.0722): out = luma + saturation * (out - luma).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

LUMA = (0.2126, 0.7152, 0.0722)
ASC_NAMESPACE = "urn:ASC:CDL:v1.01"


@dataclass
class Cdl:
    slope: list[float] = field(default_factory=lambda: [1.0, 1.0, 1.0])
    offset: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])
    power: list[float] = field(default_factory=lambda: [1.0, 1.0, 1.0])
    saturation: float = 1.0

    def as_dict(self) -> dict[str, list[float] | float]:
        return {
            "slope": [round(v, 6) for v in self.slope],
            "offset": [round(v, 6) for v in self.offset],
            "power": [round(v, 6) for v in self.power],
            "saturation": round(self.saturation, 6),
        }


def apply_cdl(rgb: torch.Tensor, cdl: Cdl) -> torch.Tensor:
    """Applies the CDL to (..., 3, H, W) or (N, 3) shaped values (channel dim given below)."""
    return _apply(rgb, cdl.slope, cdl.offset, cdl.power, cdl.saturation, channel_dim=-3)


def _apply(
    rgb: torch.Tensor,
    slope: torch.Tensor | list[float],
    offset: torch.Tensor | list[float],
    power: torch.Tensor | list[float],
    saturation: torch.Tensor | float,
    *,
    channel_dim: int,
) -> torch.Tensor:
    import torch

    shape = [1] * rgb.dim()
    shape[channel_dim] = 3

    def as_tensor(values: torch.Tensor | list[float]) -> torch.Tensor:
        return torch.as_tensor(values, dtype=rgb.dtype, device=rgb.device).reshape(shape)

    graded = (rgb * as_tensor(slope) + as_tensor(offset)).clamp_min(0.0)
    # Where the base is 0 the result is 0 for any power; keep the gradient finite there.
    graded = torch.where(graded > 0, graded.clamp_min(1e-12) ** as_tensor(power), graded)
    luma = (graded * as_tensor(list(LUMA))).sum(dim=channel_dim, keepdim=True)
    sat = torch.as_tensor(saturation, dtype=rgb.dtype, device=rgb.device)
    return luma + sat * (graded - luma)


@dataclass
class CdlFit:
    cdl: Cdl
    rmse: float  # root mean square error over the fitted samples (grading-space units)
    p99: float  # 99th percentile of the absolute per-channel error
    samples: int


def fit_cdl(source: torch.Tensor, target: torch.Tensor, iterations: int = 50) -> CdlFit:
    """Least-squares CDL taking `source` to `target`, both (N, 3) samples in the grading
    space. Deterministic: float64 L-BFGS on the host from a per-channel linear start."""
    import torch

    # Callers run under inference_mode; the fit needs autograd on ordinary tensors.
    from gpu_workers.device import single_thread

    with single_thread(), torch.inference_mode(False), torch.enable_grad():
        x = source.detach().to("cpu", torch.float64).reshape(-1, 3).clone()
        y = target.detach().to("cpu", torch.float64).reshape(-1, 3).clone()
        return _fit(x, y, iterations)


def _fit(x: torch.Tensor, y: torch.Tensor, iterations: int) -> CdlFit:
    import torch

    # Start: per-channel least-squares line (slope, offset), power 1, saturation 1.
    x_mean, y_mean = x.mean(0), y.mean(0)
    variance = ((x - x_mean) ** 2).mean(0).clamp_min(1e-12)
    slope0 = (((x - x_mean) * (y - y_mean)).mean(0) / variance).clamp(0.05, 20.0)
    offset0 = y_mean - slope0 * x_mean
    slope = slope0.clone().requires_grad_(True)
    offset = offset0.clone().requires_grad_(True)
    log_power = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    log_sat = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS(
        [slope, offset, log_power, log_sat],
        lr=1.0,
        max_iter=iterations,
        line_search_fn="strong_wolfe",
        tolerance_grad=1e-10,
        tolerance_change=1e-14,
    )

    def loss_fn() -> torch.Tensor:
        predicted = _apply(x, slope, offset, log_power.exp(), log_sat.exp()[0], channel_dim=-1)
        return ((predicted - y) ** 2).mean()

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = loss_fn()
        loss.backward()
        return loss

    optimizer.step(closure)
    with torch.no_grad():
        cdl = Cdl(
            slope=[float(v) for v in slope],
            offset=[float(v) for v in offset],
            power=[float(v) for v in log_power.exp()],
            saturation=float(log_sat.exp()[0]),
        )
        error = _apply(x, cdl.slope, cdl.offset, cdl.power, cdl.saturation, channel_dim=-1) - y
        rmse = float(error.pow(2).mean().sqrt())
        p99 = float(torch.quantile(error.abs().reshape(-1).float(), 0.99))
    return CdlFit(cdl=cdl, rmse=rmse, p99=p99, samples=int(x.shape[0]))


def _numbers(values: list[float]) -> str:
    return " ".join(f"{v:.6f}" for v in values)


def _correction(cdl: Cdl, correction_id: str, description: str) -> ET.Element:
    correction = ET.Element("ColorCorrection", {"id": correction_id})
    sop = ET.SubElement(correction, "SOPNode")
    ET.SubElement(sop, "Description").text = description
    ET.SubElement(sop, "Slope").text = _numbers(cdl.slope)
    ET.SubElement(sop, "Offset").text = _numbers(cdl.offset)
    ET.SubElement(sop, "Power").text = _numbers(cdl.power)
    sat = ET.SubElement(correction, "SatNode")
    ET.SubElement(sat, "Saturation").text = f"{cdl.saturation:.6f}"
    return correction


def _write(root: ET.Element, path: Path) -> Path:
    ET.indent(root)
    path.write_bytes(ET.tostring(root, encoding="UTF-8", xml_declaration=True) + b"\n")
    return path


def write_cc(cdl: Cdl, path: Path, correction_id: str, description: str = "") -> Path:
    """A single ColorCorrection (.cc), the file Resolve, Baselight and Nuke's OCIOCDL load."""
    root = _correction(cdl, correction_id, description)
    root.set("xmlns", ASC_NAMESPACE)
    return _write(root, path)


def write_cdl(cdl: Cdl, path: Path, correction_id: str, description: str = "") -> Path:
    """A ColorDecisionList (.cdl) with one ColorDecision."""
    root = ET.Element("ColorDecisionList", {"xmlns": ASC_NAMESPACE})
    decision = ET.SubElement(root, "ColorDecision")
    decision.append(_correction(cdl, correction_id, description))
    return _write(root, path)
