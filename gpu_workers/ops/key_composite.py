"""Key and composite: a colour-difference keyer for green and blue screens, despill, and a
premultiplied Porter-Duff "over" of the keyed element onto a background plate.

The keyer follows the image-based keyer idea: for a green screen the colour difference is
d(P) = G - (w R + (1 - w) B) (w = red_weight), and the matte is 1 - gain * d(P) / d(S)
against the screen colour S: one colour for the whole screen, estimated from the element
or given, or a clean plate (the screen without the subject, per pixel). Black and white
points then stretch the matte, edge softness blurs it (Gaussian, in pixels). Despill limits
G to w R + (1 - w) B. Optionally the element is colour-matched (Reinhard, Oklab) to the
plate before it is merged. Everything happens in linear light; the merge is
comp = F * a + B * (1 - a) with F * a the premultiplied element.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any

import numpy as np

from gpu_workers.device import frames_per_batch, maybe_compile
from gpu_workers.ops import _common
from gpu_workers.ops._transfer import ColorMatch, PixelStats, stats_in_space
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

SCREENS = ("green", "blue")


def _check(params: dict[str, Any]) -> dict[str, Any]:
    if params["white_point"] <= params["black_point"]:
        raise InvalidParameters("white_point must be above black_point", field="white_point")
    return params


def _fraction(
    name: str,
    label: str,
    default: float,
    help: str,
    *,
    minimum: float = 0.0,
    maximum: float = 1.0,
    advanced: bool = False,
) -> Param:
    return Param(
        name, "number", label, help=help, default=default, minimum=minimum, maximum=maximum,
        step=0.01, advanced=advanced,
    )  # fmt: skip


SPEC = ParamSpec(
    params=(
        Param(
            "screen",
            "choice",
            "Screen",
            help="The colour of the backing the foreground was shot against.",
            default="green",
            choices=SCREENS,
        ),
        Param(
            "screen_color",
            "color",
            "Screen colour",
            help="Pick the backing's colour; automatic estimates it from the first frame"
            " (ignored when a clean plate is given).",
            optional=True,
        ),
        _fraction(
            "despill",
            "Despill",
            1.0,
            "How much of the screen's colour spill is removed from the subject.",
        ),
        Param(
            "edge_softness",
            "number",
            "Edge softness",
            help="Gaussian blur of the matte.",
            default=0.0,
            minimum=0.0,
            maximum=50.0,
            step=0.5,
            unit="px",
        ),
        _fraction(
            "black_point",
            "Matte black point",
            0.0,
            "Matte values below this become fully transparent.",
            maximum=0.99,
        ),
        _fraction(
            "white_point",
            "Matte white point",
            1.0,
            "Matte values above this become fully opaque.",
            minimum=0.01,
        ),
        Param(
            "matte_gain",
            "number",
            "Matte gain",
            help="Scales the colour difference: higher pulls a harder matte.",
            default=1.0,
            minimum=0.1,
            maximum=10.0,
            step=0.1,
            advanced=True,
        ),
        _fraction(
            "red_weight",
            "Red weight",
            0.5,
            "Weight of red against the third channel in the colour difference.",
            advanced=True,
        ),
        Param(
            "screen_subtraction",
            "boolean",
            "Screen subtraction",
            help="Remove the screen's contribution at soft edges (unmixes hair and motion blur).",
            default=True,
        ),
        Param(
            "match_color",
            "boolean",
            "Match the element to the plate",
            help="Colour-match the keyed foreground to the background before the merge.",
            default=False,
        ),
        _fraction("match_strength", "Match strength", 0.6, "How far the colour match goes."),
        _common.colorspace_param("colorspace", "the foreground"),
        _common.colorspace_param("background_colorspace", "the background"),
        _common.output_format_param(),
    ),
    check=_check,
)


def validate(params: Mapping[str, Any]) -> dict[str, Any]:
    return OPERATION.validate(params)


def _channels(screen: str) -> tuple[int, int, int]:
    """(key channel, first other, second other): green -> (G, R, B), blue -> (B, R, G)."""
    return (1, 0, 2) if screen == "green" else (2, 0, 1)


def color_difference(rgb: Any, screen: str, red_weight: float) -> Any:
    """d = key - (w * first + (1 - w) * second) for (N, 3, H, W) or (3,) values."""
    k, a, b = _channels(screen)
    axis = 1 if rgb.dim() == 4 else 0
    key, first, second = rgb.select(axis, k), rgb.select(axis, a), rgb.select(axis, b)
    return key - (red_weight * first + (1.0 - red_weight) * second)


def estimate_screen_color(rgb: Any, screen: str, red_weight: float) -> list[float]:
    """The screen's colour from a frame (3, H, W): the median of the pixels whose colour
    difference is in the top half of the frame's range."""
    import torch

    difference = color_difference(rgb[None].float(), screen, red_weight)[0]
    strongest = float(difference.max())
    if strongest <= 0:
        raise InvalidParameters(f"no {screen} screen found in the foreground's first frame")
    mask = difference > 0.5 * strongest
    pixels = rgb.float().reshape(3, -1)[:, mask.reshape(-1)]
    return [float(v) for v in torch.median(pixels, dim=1).values]


def gaussian_blur(matte: Any, sigma: float) -> Any:
    """Separable Gaussian blur of (N, 1, H, W) with reflected edges."""
    import torch
    import torch.nn.functional as F

    if sigma <= 0:
        return matte
    radius = max(1, round(3.0 * sigma))
    taps = torch.arange(-radius, radius + 1, dtype=torch.float32, device=matte.device)
    kernel = torch.exp(-0.5 * (taps / sigma) ** 2)
    kernel = (kernel / kernel.sum()).to(matte.dtype)
    height, width = matte.shape[-2:]
    pad_x, pad_y = min(radius, width - 1), min(radius, height - 1)
    out = F.pad(matte, (pad_x, pad_x, 0, 0), mode="reflect")
    out = F.conv2d(out, kernel[radius - pad_x : radius + pad_x + 1].reshape(1, 1, 1, -1))
    out = F.pad(out, (0, 0, pad_y, pad_y), mode="reflect")
    return F.conv2d(out, kernel[radius - pad_y : radius + pad_y + 1].reshape(1, 1, -1, 1))


def pull_key(rgb: Any, params: Mapping[str, Any], screen_rgb: Any) -> Any:
    """The matte (N, 1, H, W) of straight (N, 3, H, W) element pixels. `screen_rgb` is the
    screen colour (3,) or a clean plate (N or 1, 3, H, W)."""
    screen, weight = params["screen"], params["red_weight"]
    pixel_difference = color_difference(rgb, screen, weight)
    screen_difference = color_difference(screen_rgb, screen, weight)
    ratio = pixel_difference / screen_difference.clamp_min(1e-6)
    alpha = (1.0 - params["matte_gain"] * ratio).clamp(0.0, 1.0)
    black, white = params["black_point"], params["white_point"]
    alpha = ((alpha - black) / (white - black)).clamp(0.0, 1.0).unsqueeze(1)
    return gaussian_blur(alpha, params["edge_softness"]).clamp(0.0, 1.0)


def despill(rgb: Any, screen: str, red_weight: float, strength: float) -> Any:
    """Limits the key channel to the weighted average of the other two."""
    import torch

    k, _a, _b = _channels(screen)
    spill = color_difference(rgb, screen, red_weight).clamp_min(0.0)
    out = rgb.clone()
    out[:, k] = rgb[:, k] - strength * spill
    return torch.nan_to_num(out)


def premultiplied_element(rgb: Any, alpha: Any, screen_rgb: Any, params: Mapping[str, Any]) -> Any:
    """The element premultiplied by its matte. With screen subtraction (the default) the
    screen's contribution is removed from the pixels, P - (1 - a) S, which unmixes the
    subject's own colour at soft edges; without it, P * a. Then despill."""
    if params["screen_subtraction"]:
        screen = screen_rgb.reshape(1, 3, 1, 1) if screen_rgb.dim() == 1 else screen_rgb
        element = (rgb - (1.0 - alpha) * screen).clamp_min(0.0)
    else:
        element = rgb * alpha
    return despill(element, params["screen"], params["red_weight"], params["despill"])


def over(fg_premultiplied: Any, alpha: Any, background: Any) -> Any:
    """Porter-Duff over with a premultiplied foreground."""
    return fg_premultiplied + background * (1.0 - alpha)


def key_kernel(fg: Any, bg: Any, screen_rgb: Any, params: Mapping[str, Any]) -> tuple[Any, Any]:
    """Key, unmix, despill and merge one batch: (composite, matte).

    The same arithmetic as pull_key -> premultiplied_element -> over, fused for speed: the
    colour difference is built in one buffer, the matte's gain, screen difference and
    black / white points fold into one scale and offset (the two clamps to [0, 1] of the
    plain chain collapse into one, as the stretch is increasing and maps [0, 1] over
    [0, 1]), 1 - matte is computed once, and every later step works in place on the
    element's own buffer."""
    import torch

    screen, weight = params["screen"], params["red_weight"]
    black, white = params["black_point"], params["white_point"]
    k, a, b = _channels(screen)
    difference = torch.add(fg[:, k], fg[:, a], alpha=-weight)
    difference.add_(fg[:, b], alpha=-(1.0 - weight))
    screen_difference = color_difference(screen_rgb, screen, weight).clamp_min(1e-6)
    if screen_rgb.dim() != 1:  # a clean plate: a screen difference per pixel
        difference.div_(screen_difference)
        scale: Any = -params["matte_gain"] / (white - black)
    else:
        scale = screen_difference.reciprocal().mul_(-params["matte_gain"] / (white - black))
    alpha = difference.mul_(scale).add_((1.0 - black) / (white - black)).clamp_(0.0, 1.0)
    alpha = alpha.unsqueeze(1)
    if params["edge_softness"] > 0:
        alpha = gaussian_blur(alpha, params["edge_softness"]).clamp_(0.0, 1.0)
    transparency = torch.rsub(alpha, 1.0)
    if params["screen_subtraction"]:
        backing = screen_rgb.reshape(1, 3, 1, 1) if screen_rgb.dim() == 1 else screen_rgb
        element = torch.addcmul(fg, transparency, backing, value=-1.0).clamp_min_(0.0)
    else:
        element = fg * alpha
    spill = torch.add(element[:, k], element[:, a], alpha=-weight)
    spill.add_(element[:, b], alpha=-(1.0 - weight)).clamp_min_(0.0)
    element[:, k].add_(spill, alpha=-params["despill"])
    del spill
    torch.nan_to_num_(element)
    return element.addcmul_(bg, transparency), alpha


def run(context: OperationContext) -> OperationResult:
    import torch

    params = validate(context.params)
    policy = context.device
    foreground = _common.open_input(context, "foreground")
    background = _common.open_input(context, "background")
    readers = [foreground, background]
    clean_plate = None
    if context.inputs.get("clean_plate") is not None:
        clean_plate = _common.open_input(context, "clean_plate")
        readers.append(clean_plate)
    fg_info, bg_info = foreground.info, background.info
    for reader in (foreground, clean_plate):
        if reader is None:
            continue
        if (reader.info.width, reader.info.height) != (bg_info.width, bg_info.height):
            raise InvalidParameters(
                f"{reader.path.name} is {reader.info.width}x{reader.info.height} but the "
                f"background is {bg_info.width}x{bg_info.height}: reformat it first (resize)"
            )
    fg_space = _common.source_space(params, fg_info)
    bg_space = _common.source_space(params, bg_info, "background_colorspace")
    count = bg_info.count
    batch_size = frames_per_batch(policy, bg_info.width * bg_info.height * 4 * 4 * 16, 4)

    with torch.inference_mode():
        screen_rgb: Any
        first_frames = next(_common.lockstep_batches(readers, policy, 1, 1))[1]
        first_fg = _common.to_working(first_frames[0], fg_space, policy)[0, :3]
        if clean_plate is None:
            screen = params["screen_color"] or estimate_screen_color(
                first_fg, params["screen"], params["red_weight"]
            )
            screen_rgb = torch.tensor(screen, dtype=policy.dtype, device=policy.device)
            context.log(f"screen colour (working space): {[round(v, 4) for v in screen]}")
        match: ColorMatch | None = None
        if params["match_color"]:
            screen_for_key = (
                screen_rgb
                if clean_plate is None
                else _common.to_working(first_frames[2], fg_space, policy)[:, :3]
            )
            key = pull_key(first_fg[None], params, screen_for_key)
            element = premultiplied_element(first_fg[None], key, screen_for_key, params)
            element = element / key.clamp_min(1e-6)
            source_stats = stats_in_space(element, "reinhard", mask=key)
            if source_stats.count < 16:
                raise InvalidParameters("match_color: the key left too few element pixels")
            plate = _common.to_working(first_frames[1], bg_space, policy)[:, :3]
            target_stats: PixelStats = stats_in_space(plate, "reinhard")
            match = ColorMatch.fit("reinhard", source_stats, target_stats, params["match_strength"])

        composite_out = _common.Output(
            context,
            f"{foreground.path.stem}_over_{background.path.stem}",
            bg_info,
            bg_space,
            fmt=params["output_format"],
            role="composite",
        )
        matte_out = _common.Output(
            context,
            f"{foreground.path.stem}_matte",
            bg_info,
            bg_space,
            fmt=composite_out.format,
            kind="matte",
            role="matte",
        )
        coverage: list[float] = []
        kernel = maybe_compile(functools.partial(key_kernel, params=params))
        done = 0
        for _indices, batches in _common.lockstep_batches(readers, policy, batch_size, count):
            context.check_cancelled()
            fg = _common.to_working(batches[0], fg_space, policy)[:, :3]
            bg = _common.to_working(batches[1], bg_space, policy)[:, :3]
            if clean_plate is not None:
                screen_rgb = _common.to_working(batches[2], fg_space, policy)[:, :3]
            if match is None:
                composite, alpha = kernel(fg, bg, screen_rgb)
            else:
                alpha = pull_key(fg, params, screen_rgb)
                element = premultiplied_element(fg, alpha, screen_rgb, params)
                element = match.apply(element / alpha.clamp_min(1e-6)) * alpha
                composite = over(element, alpha, bg)
            for frame_composite, frame_alpha in zip(composite, alpha, strict=True):
                composite_out.write(frame_composite)
                matte_out.write(frame_alpha, is_matte=True)
                coverage.append(float(frame_alpha.float().mean()))
                done += 1
                context.progress(done / count, f"frame {done}/{count}")

    report = {
        "operation": "key_composite",
        "screen": params["screen"],
        "screen_color": None
        if clean_plate is not None
        else [round(float(v), 6) for v in screen_rgb],
        "clean_plate": clean_plate.path.name if clean_plate is not None else None,
        "matte_coverage": [round(v, 6) for v in coverage],
        "color_match": match.as_dict() if match is not None else None,
        "foreground_frames": fg_info.count,
        "background_frames": count,
    }
    report_path = context.output_dir / f"{foreground.path.stem}_key.json"
    report_path.write_text(json.dumps(report, indent=2))
    return OperationResult(
        outputs=[
            composite_out.close(),
            matte_out.close(),
            OutputFile(report_path, "document", "report", "application/json"),
        ],
        metrics={
            "frames": done,
            "mean_matte_coverage": float(np.mean(coverage)),
            "source_colorspace": fg_space,
            "background_colorspace": bg_space,
            "output_colorspace": composite_out.space,
        },
    )


OPERATION = register(
    Operation(
        name="key_composite",
        title="Key and composite",
        description="Pulls a green or blue screen key from the foreground, despills it and"
        " merges it over the background plate; the matte is an output too.",
        run=run,
        spec=SPEC,
        inputs=(
            InputRole(
                "foreground",
                "Foreground (screen)",
                accepts=("plate", "element", "render"),
                help="The element shot against a green or blue screen.",
            ),
            InputRole(
                "background",
                "Background plate",
                help="The plate the element goes over; the result has its size and length.",
            ),
            InputRole(
                "clean_plate",
                "Clean plate",
                required=False,
                help="The screen without the subject, for an uneven screen (optional).",
            ),
        ),
        gpu_seconds_per_frame=0.02,
        gpu_seconds_overhead=1.0,  # a first guess; fitted from finished jobs
    )
)
