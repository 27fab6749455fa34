"""Shot match: grade a shot to match a reference shot or frame, and hand the grade over as
an ASC CDL a colorist can refine.

Statistics of the reference frame and of frames sampled across the source shot (optionally
inside a region of interest) define one transfer for the whole shot: Reinhard (Oklab) or
Pitié's linear Monge-Kantorovich (ACEScct). A CDL (slope, offset, power, saturation, in
ACEScct) is fitted by least squares to reproduce the transfer, and its fit error reported.
Frames are rendered with the exact transfer (default) or with the CDL itself.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np

from gpu_workers import color, frames
from gpu_workers.device import frames_per_batch
from gpu_workers.ops import _common
from gpu_workers.ops._cdl import apply_cdl, fit_cdl, write_cc, write_cdl
from gpu_workers.ops._transfer import METHODS, ColorMatch, PixelStats, stats_in_space
from gpu_workers.registry import (
    InputRole,
    InvalidParameters,
    Operation,
    OperationContext,
    OperationResult,
    OutputFile,
    Param,
    ParamSpec,
    register,
)

CDL_SAMPLES = 16384


SPEC = ParamSpec(
    params=(
        Param(
            "strength",
            "number",
            "Strength",
            help="How far the shot moves toward the reference: 0 leaves it as it is, 1 is a"
            " full match.",
            default=1.0,
            minimum=0.0,
            maximum=1.0,
            step=0.05,
        ),
        Param(
            "method",
            "choice",
            "Method",
            help="Reinhard matches mean and spread per channel in Oklab (robust, keeps hue);"
            " Monge-Kantorovich matches the full colour covariance in ACEScct (stronger"
            " cross-channel shifts).",
            default="reinhard",
            choices=METHODS,
        ),
        _common.roi_param("roi", "Region of interest (source)", "source"),
        _common.roi_param("reference_roi", "Region of interest (reference)", "reference"),
        Param(
            "reference_frame",
            "integer",
            "Reference frame",
            help="Frame of the reference (0 = its first) to match; empty: its middle frame.",
            minimum=0,
            unit="frame",
            optional=True,
        ),
        Param(
            "render_with",
            "choice",
            "Render with",
            help="transfer: the exact colour transfer; cdl: the fitted ASC CDL itself, so the"
            " picture is exactly what a colorist gets from the .cdl.",
            default="transfer",
            choices=("transfer", "cdl"),
        ),
        Param(
            "analysis_frames",
            "integer",
            "Frames analysed",
            help="Source frames sampled across the shot for its statistics.",
            default=8,
            minimum=1,
            maximum=64,
            unit="frames",
            advanced=True,
        ),
        _common.colorspace_param("colorspace", "the source"),
        _common.colorspace_param("reference_colorspace", "the reference"),
        _common.output_format_param(),
    )
)


def validate(params: Mapping[str, Any]) -> dict[str, Any]:
    return OPERATION.validate(params)


def _unpremultiply(batch: Any) -> tuple[Any, Any]:
    """(N, C, H, W) -> (straight RGB, alpha or None)."""
    if batch.shape[1] < 4:
        return batch[:, :3], None
    alpha = batch[:, 3:4]
    return batch[:, :3] / alpha.clamp_min(1e-6) * (alpha > 0), alpha


def run(context: OperationContext) -> OperationResult:
    import torch

    params = validate(context.params)
    policy = context.device
    method: str = params["method"]
    source = _common.open_input(context, "source")
    reference = _common.open_input(context, "reference")
    source_space = _common.source_space(params, source.info)
    reference_space = _common.source_space(params, reference.info, "reference_colorspace")
    info = source.info
    frame_bytes = info.width * info.height * 4 * 4
    batch_size = frames_per_batch(policy, frame_bytes * 12, ceiling=4)

    with torch.inference_mode():
        # 1. Reference statistics (one frame).
        ref_index = params["reference_frame"]
        if ref_index is None:
            ref_index = reference.info.count // 2
        if ref_index >= reference.info.count:
            raise InvalidParameters(
                f"reference_frame {ref_index} is past the reference's {reference.info.count} frames"
            )
        _, ref_batch = next(frames.iter_batches(reference, policy, 1, [ref_index]))
        ref_rgb, _ = _unpremultiply(_common.to_working(ref_batch, reference_space, policy))
        target = stats_in_space(_common.crop_roi(ref_rgb, params["reference_roi"]), method)

        # 2. Source statistics over frames sampled across the shot; keep pixel samples.
        analysed = sorted(
            {round(i) for i in np.linspace(0, info.count - 1, params["analysis_frames"])}
        )
        source_stats = PixelStats()
        generator = torch.Generator().manual_seed(1234)
        samples: list[torch.Tensor] = []
        per_frame = max(1, CDL_SAMPLES // len(analysed))
        for indices, batch in frames.iter_batches(source, policy, batch_size, analysed):
            context.check_cancelled()
            rgb, _ = _unpremultiply(_common.to_working(batch, source_space, policy))
            region = _common.crop_roi(rgb, params["roi"])
            stats_in_space(region, method, into=source_stats)
            for frame in rgb.float():
                flat = frame.reshape(3, -1).T
                pick = torch.randperm(flat.shape[0], generator=generator)[:per_frame]
                samples.append(flat[pick.to(flat.device)])
            context.progress(0.1 * len(samples) / len(analysed), f"analysed frame {indices[-1]}")
        match = ColorMatch.fit(method, source_stats, target, params["strength"])

        # 3. Fit the CDL (ACEScct) that reproduces the transfer on the sampled pixels.
        sampled = torch.cat(samples)  # (M, 3) linear working space
        matched = match.apply(sampled.T.reshape(1, 3, -1, 1)).reshape(3, -1).T
        fit = fit_cdl(color.acescg_to_acescct(sampled), color.acescg_to_acescct(matched))
        context.log(f"CDL fit: rmse {fit.rmse:.5f}, p99 {fit.p99:.5f} (ACEScct)")
        context.progress(0.15, "fitted the CDL")

        # 4. Render the matched shot.
        stem = f"{source.path.stem}_matched"
        output = _common.Output(
            context,
            stem,
            info,
            source_space,
            fmt=params["output_format"],
            alpha=info.channels == 4,
        )
        done = 0
        for _indices, batch in frames.iter_batches(source, policy, batch_size):
            context.check_cancelled()
            rgb, alpha = _unpremultiply(_common.to_working(batch, source_space, policy))
            if params["render_with"] == "cdl":
                graded = apply_cdl(color.acescg_to_acescct(rgb.float()), fit.cdl)
                result = color.acescct_to_acescg(graded).to(rgb.dtype)
            else:
                result = match.apply(rgb)
            if alpha is not None:
                result = torch.cat([result * alpha, alpha], dim=1)
            for frame in result:
                output.write(frame)
                done += 1
                context.progress(0.15 + 0.85 * done / info.count, f"frame {done}/{info.count}")
        outputs = [output.close()]

    description = (
        f"Backlot shot match ({method}) of {source.path.name} to {reference.path.name}; "
        f"ACEScct; fit rmse {fit.rmse:.5f}"
    )
    cdl_path = write_cdl(fit.cdl, context.output_dir / f"{stem}.cdl", stem, description)
    cc_path = write_cc(fit.cdl, context.output_dir / f"{stem}.cc", stem, description)
    report = {
        "operation": "shot_match",
        "method": method,
        "render_with": params["render_with"],
        "source": {
            "file": source.path.name,
            "colorspace": source_space,
            "frames": info.count,
            "analysed_frames": analysed,
            "roi": params["roi"],
        },
        "reference": {
            "file": reference.path.name,
            "colorspace": reference_space,
            "frame": ref_index,
            "roi": params["reference_roi"],
        },
        "transfer": match.as_dict(),
        "cdl": {
            **fit.cdl.as_dict(),
            "space": color.GRADING_SPACE,
            "fit_rmse": round(fit.rmse, 6),
            "fit_p99": round(fit.p99, 6),
            "fit_samples": fit.samples,
        },
        "output": {"format": output.format, "colorspace": output.space},
        "ocio_config": color.config_name(),
    }
    report_path = context.output_dir / f"{stem}.json"
    report_path.write_text(json.dumps(report, indent=2))
    outputs += [
        OutputFile(cdl_path, "document", "cdl", "application/xml"),
        OutputFile(cc_path, "document", "cc", "application/xml"),
        OutputFile(report_path, "document", "report", "application/json"),
    ]
    return OperationResult(
        outputs=outputs,
        metrics={
            "frames": info.count,
            "cdl_fit_rmse": fit.rmse,
            "cdl_fit_p99": fit.p99,
            "cdl": fit.cdl.as_dict(),
            "method": method,
            "source_colorspace": source_space,
            "output_colorspace": output.space,
        },
    )


OPERATION = register(
    Operation(
        name="shot_match",
        title="Shot match (colour transfer + ASC CDL)",
        description="Grades the shot to match a reference shot or frame, and hands the grade"
        " over as an ASC CDL (.cdl / .cc) a colorist can refine.",
        run=run,
        spec=SPEC,
        inputs=(
            InputRole("source", "Shot to grade", help="The plate or render to match."),
            InputRole(
                "reference",
                "Reference",
                accepts=("plate", "element", "render", "reference"),
                help="The shot or still whose look to match.",
            ),
        ),
        gpu_seconds_per_frame=0.02,
        gpu_seconds_overhead=1.0,  # a first guess; fitted from finished jobs
    )
)
