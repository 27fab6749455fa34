"""Deflicker: per-frame exposure statistics smoothed over time, and a per-frame gain.

Pass 1 measures each frame's mean in linear light (Rec.709 luma of the working space, or
each of R, G, B), optionally inside a region of interest. In the log domain (flicker is
multiplicative) the series is smoothed with a local linear fit over a centred window of
`window` frames: inside the shot this equals the window mean, and unlike a plain moving
average it keeps real exposure ramps and fades intact up to the shot's first and last frame.
Pass 2 multiplies each frame by exp(smoothed - measured), clamped to [1/max_gain, max_gain].
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from gpu_workers import color, frames
from gpu_workers.device import frames_per_batch
from gpu_workers.ops import _common
from gpu_workers.registry import (
    InputRole,
    Operation,
    OperationContext,
    OperationResult,
    OutputFile,
    Param,
    ParamSpec,
    register,
)

EPSILON = 1e-6


SPEC = ParamSpec(
    params=(
        Param(
            "window",
            "integer",
            "Smoothing window",
            help="Frames the exposure is averaged over (odd, centred on each frame): longer"
            " removes slower flicker.",
            default=9,
            minimum=3,
            maximum=301,
            step=2,
            unit="frames",
            odd=True,
        ),
        Param(
            "mode",
            "choice",
            "Measure",
            help="luma: one gain per frame; rgb: one gain per channel (also fixes colour flicker).",
            default="luma",
            choices=("luma", "rgb"),
        ),
        Param(
            "max_gain",
            "number",
            "Maximum gain",
            help="No frame is brightened or darkened by more than this factor.",
            default=2.0,
            minimum=1.0,
            maximum=16.0,
            step=0.1,
            unit="×",
        ),
        _common.roi_param("roi", "Region measured", "source"),
        _common.colorspace_param(),
        _common.output_format_param(),
    )
)


def validate(params: Mapping[str, Any]) -> dict[str, Any]:
    return OPERATION.validate(params)


def smooth_log_series(values: np.ndarray, window: int) -> np.ndarray:
    """Local linear fit of each column of `values` (T, K) over a centred window, evaluated
    at the window's own frame (windows are clipped at the ends of the shot)."""
    count = values.shape[0]
    half = window // 2
    smoothed = np.empty_like(values, dtype=np.float64)
    for t in range(count):
        lo, hi = max(0, t - half), min(count, t + half + 1)
        k = np.arange(lo, hi, dtype=np.float64) - t
        ys = values[lo:hi].astype(np.float64)
        if hi - lo < 2:
            smoothed[t] = ys[0]
            continue
        design = np.stack([np.ones_like(k), k], axis=1)
        coefficients, *_ = np.linalg.lstsq(design, ys, rcond=None)
        smoothed[t] = coefficients[0]  # the fitted value at k = 0
    return smoothed


def frame_statistics(batch: Any, mode: str, region: list[float] | None) -> np.ndarray:
    """Per-frame means (N, 1) of luma or (N, 3) of RGB in linear light."""
    import torch

    pixels = _common.crop_roi(batch[:, :3], region)
    # Summed in float32 (pairwise / tree reductions keep about 1e-7 relative error over a
    # UHD frame) instead of casting every pixel to float64 first, which is two orders of
    # magnitude slower on the host; the means are then carried on in float64.
    means = pixels.mean(dim=(2, 3), dtype=torch.float32).to(torch.float64)  # (N, 3)
    if mode == "luma":
        weights = torch.tensor(luma_weights(), dtype=torch.float64, device=means.device)
        means = (means * weights).sum(dim=1, keepdim=True)
    return np.asarray(means.cpu().numpy(), dtype=np.float64)


def apply_gains(linear: Any, gains: np.ndarray) -> Any:
    """Multiplies the colour of (N, C, H, W) frames by per-frame gains (N, 1) or per-channel
    gains (N, 3), in place (alpha, if any, stays as it is); returns the frames."""
    import torch

    gain = torch.as_tensor(gains, dtype=linear.dtype, device=linear.device)
    linear[:, :3].mul_(gain[:, :, None, None])
    return linear


def luma_weights() -> list[float]:
    """Luminance (Y) weights of the working space (ACEScg): OCIO's matrix to XYZ via
    Linear Rec.709 gives the Y row."""
    to_rec709 = color.linear_matrix(color.WORKING_SPACE, "Linear Rec.709 (sRGB)")
    rec709_y = np.array([0.2126, 0.7152, 0.0722])
    weights = rec709_y @ to_rec709 if to_rec709 is not None else rec709_y
    return [float(w) for w in weights]


def run(context: OperationContext) -> OperationResult:
    import torch

    params = validate(context.params)
    policy = context.device
    source = _common.open_input(context, "source")
    info = source.info
    space = _common.source_space(params, info)
    batch_size = frames_per_batch(policy, info.width * info.height * 4 * 4 * 6, ceiling=4)

    with torch.inference_mode():
        measured: list[np.ndarray] = []
        for indices, batch in frames.iter_batches(source, policy, batch_size):
            context.check_cancelled()
            linear = _common.to_working(batch, space, policy)
            measured.append(frame_statistics(linear, params["mode"], params["roi"]))
            context.progress(0.3 * (indices[-1] + 1) / info.count, f"measured {indices[-1] + 1}")
        stats = np.concatenate(measured, axis=0)
        logs = np.log(np.clip(stats, EPSILON, None))
        smoothed = smooth_log_series(logs, params["window"])
        limit = math.log(params["max_gain"])
        log_gains = np.clip(smoothed - logs, -limit, limit)
        gains = np.exp(log_gains)  # (T, 1) or (T, 3)

        output = _common.Output(
            context,
            f"{source.path.stem}_deflickered",
            info,
            space,
            fmt=params["output_format"],
            alpha=info.channels == 4,
        )
        done = 0
        for indices, batch in frames.iter_batches(source, policy, batch_size):
            context.check_cancelled()
            # A fresh batch: scaled in place (premultiplied: colour scales, alpha stays).
            corrected = apply_gains(_common.to_working(batch, space, policy), gains[indices])
            for frame in corrected:
                output.write(frame)
                done += 1
                context.progress(0.3 + 0.7 * done / info.count, f"frame {done}/{info.count}")

    before = float(np.std(np.diff(logs, axis=0))) if len(logs) > 1 else 0.0
    after_logs = logs + log_gains
    after = float(np.std(np.diff(after_logs, axis=0))) if len(logs) > 1 else 0.0
    report = {
        "operation": "deflicker",
        "window": params["window"],
        "mode": params["mode"],
        "frames": [
            {
                "frame": i,
                "measured": np.round(stats[i], 6).tolist(),
                "gain": np.round(gains[i], 6).tolist(),
            }
            for i in range(len(stats))
        ],
        "flicker_before": round(before, 6),
        "flicker_after": round(after, 6),
    }
    report_path = context.output_dir / f"{source.path.stem}_deflicker.json"
    report_path.write_text(json.dumps(report, indent=2))
    return OperationResult(
        outputs=[output.close(), OutputFile(report_path, "document", "report", "application/json")],
        metrics={
            "frames": done,
            "flicker_before": before,
            "flicker_after": after,
            "max_gain_applied": float(np.exp(np.abs(log_gains).max())),
            "source_colorspace": space,
            "output_colorspace": output.space,
        },
    )


OPERATION = register(
    Operation(
        name="deflicker",
        title="Deflicker",
        description="Evens out frame-to-frame exposure flicker while keeping real fades and"
        " exposure ramps.",
        run=run,
        spec=SPEC,
        inputs=(InputRole("source", "Shot", help="The flickering plate or render."),),
        gpu_seconds_per_frame=0.005,
        gpu_seconds_overhead=1.2,  # measured on the CPU pool (e2e runs, 12 small frames)
    )
)
