"""The version page's report view data, from reports written by hand the way the
operations write them (gpu_workers/ops/shot_match.py, character_consistency.py,
deflicker.py, key_composite.py; resize writes only metrics)."""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

import pytest

from apps.web import reports
from apps.web.reports import ReportUnreadable, load_report, report_view

SHOT_MATCH: dict[str, Any] = {
    "operation": "shot_match",
    "method": "reinhard",
    "render_with": "transfer",
    "source": {
        "file": "plate.mov",
        "colorspace": "ACEScg",
        "frames": 48,
        "analysed_frames": [0, 7, 13, 20, 27, 34, 40, 47],
        "roi": None,
    },
    "reference": {"file": "ref.mov", "colorspace": "ACEScg", "frame": 12, "roi": None},
    "transfer": {
        "method": "reinhard",
        "space": "Oklab",
        "matrix": [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
        "source_mean": [0.5, 0.0, 0.0],
        "target_mean": [0.55, 0.01, -0.02],
        "strength": 0.6,
    },
    "cdl": {
        "slope": [1.052341, 0.98712, 0.9311],
        "offset": [-0.012, 0.003, 0.0205],
        "power": [1.01, 0.995, 1.0],
        "saturation": 0.943,
        "space": "ACEScct",
        "fit_rmse": 0.004321,
        "fit_p99": 0.0123,
        "fit_samples": 16384,
    },
    "output": {"format": "mov", "colorspace": "ACEScg"},
    "ocio_config": "studio-config-v2.1.0_aces-v1.3_ocio-v2.3",
}


def _consistency() -> dict[str, Any]:
    def frame(number: int, best: float | None, thumb: bool = False) -> dict[str, Any]:
        row: dict[str, Any] = {
            "frame": number,
            "faces": []
            if best is None
            else [{"box": [10.0, 20.0, 64.0, 64.0], "detection_score": 0.93, "similarity": best}],
            "best_similarity": best,
            "below_threshold": best is not None and best < 0.4,
        }
        if thumb:
            row["thumbnail"] = f"thumbnails/plate_{number:06d}.jpg"
        return row

    frames = [
        frame(1001, 0.71),
        frame(1002, 0.32, thumb=True),
        frame(1003, None),
        frame(1004, 0.18, thumb=True),
        frame(1005, 0.66),
    ]
    return {
        "operation": "character_consistency",
        "threshold": 0.4,
        "every_nth": 1,
        "models": {"detector": {"file": "yunet.onnx", "sha256": "ab" * 32}},
        "references": [{"file": "ref_01.png", "faces_found": 1, "used": True}],
        "shots": [
            {
                "shot": "plate.mov",
                "frames_total": 5,
                "frames_checked": 5,
                "frames_with_face": 4,
                "best_similarity": 0.71,
                "mean_similarity": 0.4675,
                "frames_below_threshold": [1002, 1004],
                "frames_without_face": [1003],
                "consistent": False,
                "thumbnails": [
                    {
                        "frame": 1002,
                        "file": "thumbnails/plate_001002.jpg",
                        "similarity": 0.32,
                        "kind": "below_threshold",
                    },
                    {
                        "frame": 1004,
                        "file": "thumbnails/plate_001004.jpg",
                        "similarity": 0.18,
                        "kind": "below_threshold",
                    },
                    {
                        "frame": 1001,
                        "file": "thumbnails/plate_best.jpg",
                        "similarity": 0.71,
                        "kind": "best_match",
                    },
                ],
                "frames": frames,
            }
        ],
        "summary": {
            "shots": 1,
            "frames_checked": 5,
            "frames_below_threshold": 2,
            "frames_without_face": 1,
            "consistent": False,
        },
    }


def _deflicker(gains: list[list[float]], mode: str = "luma") -> dict[str, Any]:
    return {
        "operation": "deflicker",
        "window": 9,
        "mode": mode,
        "frames": [
            {"frame": i, "measured": [0.18] * len(gain), "gain": gain}
            for i, gain in enumerate(gains)
        ],
        "flicker_before": 0.0421,
        "flicker_after": 0.0063,
    }


def test_shot_match_shows_the_cdl_per_channel_with_its_fit_error() -> None:
    view = report_view(SHOT_MATCH, operation="shot_match")
    assert view is not None and view.template == "production/_report_shot_match.html"
    channels = view.data["channels"]
    assert [c["name"] for c in channels] == ["Red", "Green", "Blue"]
    assert channels[0] == {"name": "Red", "slope": 1.052341, "offset": -0.012, "power": 1.01}
    assert channels[2]["offset"] == 0.0205
    assert view.data["saturation"] == 0.943
    assert (view.data["fit_rmse"], view.data["fit_p99"]) == (0.004321, 0.0123)
    assert view.data["space"] == "ACEScct"
    facts = {row["label"]: row["value"] for row in view.data["facts"]}
    assert facts["Method"] == "reinhard" and facts["Strength"] == "0.6"
    assert facts["Reference frame"] == "12" and facts["Frames analysed"] == "8"


@pytest.mark.parametrize(
    "cdl",
    [
        {},
        {"slope": [1, 1], "offset": [0, 0, 0], "power": [1, 1, 1], "saturation": 1},
        {"slope": [1, 1, "x"], "offset": [0, 0, 0], "power": [1, 1, 1], "saturation": 1},
        {"slope": [1, 1, 1], "offset": [0, 0, 0], "power": [1, 1, 1], "saturation": True},
        "not a dict",
    ],
)
def test_a_shot_match_report_without_a_complete_cdl_is_unreadable(cdl: Any) -> None:
    with pytest.raises(ReportUnreadable, match="CDL"):
        report_view({**SHOT_MATCH, "cdl": cdl}, operation="shot_match")


def test_consistency_lists_the_worst_frames_first_with_their_thumbnails() -> None:
    thumbnails = {"plate_001002.jpg": 71, "plate_001004.jpg": 72, "plate_best.jpg": 73}
    view = report_view(_consistency(), operation="character_consistency", thumbnails=thumbnails)
    assert view is not None and view.template == "production/_report_consistency.html"
    assert (view.data["frames_below"], view.data["frames_without_face"]) == (2, 1)
    assert view.data["consistent"] is False and view.data["threshold"] == 0.4
    shot = view.data["shots"][0]
    assert [r["frame"] for r in shot["worst"]] == [1004, 1002, 1005, 1001]
    assert [r["thumbnail_id"] for r in shot["worst"]] == [72, 71, None, None]
    assert [r["below"] for r in shot["worst"]] == [True, True, False, False]
    assert shot["faceless"] == [1003]
    assert shot["best_match"] == {"frame": "1001", "similarity": 0.71, "thumbnail_id": 73}


def test_consistency_keeps_the_worst_frames_of_a_long_shot() -> None:
    report = _consistency()
    report["shots"][0]["frames"] = [
        {"frame": n, "faces": [{}], "best_similarity": 1 - n / 1000, "below_threshold": False}
        for n in range(100)
    ]
    view = report_view(report)
    assert view is not None
    shot = view.data["shots"][0]
    assert len(shot["worst"]) == reports.WORST_FRAMES_SHOWN and shot["more"] == 70
    assert shot["worst"][0]["frame"] == 99


def _polyline(points: str) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in (p.split(",") for p in points.split())]


def test_deflicker_draws_the_gain_curve_inside_its_chart() -> None:
    gains = [[1.0], [1.08], [0.93], [1.0], [1.02]]
    view = report_view(_deflicker(gains))
    assert view is not None and view.template == "production/_report_deflicker.html"
    chart = view.data["chart"]
    (line,) = chart["lines"]
    points = _polyline(line["points"])
    assert len(points) == 5
    assert points[0][0] == chart["left"] and points[-1][0] == chart["right"]
    assert all(chart["top"] <= y <= chart["bottom"] for _, y in points)
    # Higher gain is drawn higher (smaller y); gain 1 lies on the unity line.
    ys = [y for _, y in points]
    assert ys[1] < ys[0] < ys[2] and ys[0] == chart["one_y"] == ys[3]
    facts = {row["label"]: row["value"] for row in view.data["facts"]}
    assert facts["Flicker before"] == "0.0421" and facts["Reduction"] == "85 %"
    assert facts["Gain range"] == "0.930 – 1.080"
    assert [t["value"] for t in chart["x_ticks"]] == ["0", "2", "4"]


def test_rgb_deflicker_has_one_curve_per_channel() -> None:
    view = report_view(_deflicker([[1.0, 1.1, 0.9], [1.02, 1.0, 0.97]], mode="rgb"))
    assert view is not None
    assert [line["name"] for line in view.data["chart"]["lines"]] == ["Red", "Green", "Blue"]


def test_a_long_deflicker_curve_is_thinned_but_keeps_its_spike() -> None:
    gains = [[1.0]] * 20000
    gains[12345] = [1.9]
    view = report_view(_deflicker(gains))
    assert view is not None
    points = _polyline(view.data["chart"]["lines"][0]["points"])
    assert len(points) <= reports.CHART_MAX_POINTS + 2
    chart = view.data["chart"]
    x, y = min(points, key=lambda p: p[1])  # the highest point drawn
    assert y < chart["one_y"] - 0.8 * (chart["one_y"] - chart["top"])
    expected_x = chart["left"] + (chart["right"] - chart["left"]) * 12345 / 19999
    assert abs(x - expected_x) < 1


@pytest.mark.parametrize(
    "frames",
    [[], [{"frame": 0, "gain": []}], [{"frame": 0, "gain": [0]}], [{"frame": 0, "gain": ["a"]}],
     [{"frame": 0, "gain": [1.0]}, {"frame": 1, "gain": [1.0, 1.0, 1.0]}]],
)  # fmt: skip
def test_a_deflicker_report_without_a_usable_curve_is_unreadable(frames: Any) -> None:
    with pytest.raises(ReportUnreadable):
        report_view({**_deflicker([[1.0]]), "frames": frames})


def test_key_composite_and_resize_show_their_metrics_as_a_table() -> None:
    key = {
        "operation": "key_composite",
        "screen": "green",
        "screen_color": [0.1234, 0.7, 0.15],
        "clean_plate": None,
        "matte_coverage": [0.25, 0.3, 0.35],
        "color_match": None,
        "foreground_frames": 48,
        "background_frames": 48,
    }
    view = report_view(key, metrics={"output_colorspace": "ACEScg"})
    assert view is not None and view.template == "production/_report_metrics.html"
    rows = {row["label"]: row["value"] for row in view.data["rows"]}
    assert rows["Screen"] == "green" and rows["Screen colour"] == "0.123 · 0.700 · 0.150"
    assert rows["Mean matte coverage"] == "30.0 %"
    assert rows["Matte coverage range"] == "25.0 % – 35.0 %"
    assert rows["Clean plate"] == "none" and rows["Colour match strength"] == "off"
    assert rows["Output colour space"] == "ACEScg"

    metrics = {
        "frames": 24,
        "width": 256,
        "height": 144,
        "mode": "fit",
        "filter": "lanczos3",
        "linear_light": True,
        "source_colorspace": "ACEScg",
        "output_colorspace": "ACEScg",
        "scale": [0.2, 0.2],
    }
    view = report_view(None, operation="resize", metrics=metrics)
    assert view is not None and view.title == "Resize"
    rows = {row["label"]: row["value"] for row in view.data["rows"]}
    assert rows["Output size"] == "256×144" and rows["Linear light"] == "yes"
    assert rows["Scale"] == "0.2 × 0.2" and rows["Frames"] == "24"


def test_nothing_to_show_is_none_and_other_reports_show_their_values() -> None:
    assert report_view(None, operation="resize", metrics={}) is None
    assert report_view(None) is None
    view = report_view({"steps": 3, "seconds": 0.5, "nested": {"a": 1}}, operation="noop")
    assert view is not None
    assert view.data["rows"] == [
        {"label": "Steps", "value": "3"},
        {"label": "Seconds", "value": "0.5"},
    ]


@pytest.mark.parametrize(
    "content",
    [b"", b"{not json", b"\xff\xfe", b"[1, 2]", b"42", b"[" * 100000 + b"]" * 100000],
)
def test_bytes_that_are_not_a_json_object_are_unreadable(content: bytes) -> None:
    with pytest.raises(ReportUnreadable):
        load_report(content)


def test_a_report_object_loads() -> None:
    assert load_report(json.dumps(SHOT_MATCH).encode()) == SHOT_MATCH


def test_values_are_shown_as_text_never_markup() -> None:
    # The template escapes; the view keeps strings short and drops non-scalars.
    view = report_view({"note": "<script>x</script>" * 50, "obj": {"a": 1}})
    assert view is not None
    (row,) = view.data["rows"]
    assert len(row["value"]) == 200 and not re.search(r"obj", row["label"].lower())


def test_gain_labels_never_overlap() -> None:
    view = report_view(_deflicker([[1.0], [1.001], [0.994], [1.0005]]))
    assert view is not None
    ticks = view.data["chart"]["y_ticks"]
    assert "1.000" in [t["value"] for t in ticks] and "0.994" in [t["value"] for t in ticks]
    gaps = [b["y"] - a["y"] for a, b in itertools.pairwise(ticks)]
    assert all(gap >= reports.CHART_TICK_GAP for gap in gaps)
