"""What the version page shows of a job's report: a pure translation of the JSON an
operation wrote (gpu_workers/ops/*) and of the job's metrics into view data for the
`templates/production/_report_*.html` includes. No storage, no database: anything
missing or of the wrong type is left out or makes the report "unreadable", never a 500.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

CHANNELS = ("Red", "Green", "Blue")
WORST_FRAMES_SHOWN = 30
CHART_WIDTH, CHART_HEIGHT = 640, 200
CHART_LEFT, CHART_RIGHT, CHART_TOP, CHART_BOTTOM = 72, 14, 12, 32
CHART_MAX_POINTS = 1200
CHART_TICK_GAP = 22  # viewBox units between two y-axis labels
SERIES_COLOURS = {"Gain": "#6ea8fe", "Red": "#ee6d6a", "Green": "#4cc38a", "Blue": "#6ea8fe"}


class ReportUnreadable(ValueError):
    """The stored report is not a JSON object this page can read."""


@dataclass
class ReportView:
    """One report as the page shows it: `template` names the include that renders it."""

    template: str
    title: str
    data: dict[str, Any] = field(default_factory=dict)


def load_report(content: bytes) -> dict[str, Any]:
    """The report's JSON object; ReportUnreadable for anything else (bad UTF-8, bad JSON,
    nesting deep enough to exhaust the parser, a list or a number at the top)."""
    try:
        report = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise ReportUnreadable(str(error)) from None
    if not isinstance(report, dict):
        raise ReportUnreadable("the report is not a JSON object")
    return report


def number(value: Any) -> float | None:
    """A finite number, else None (booleans are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    result = float(value)
    return result if math.isfinite(result) else None


def triple(value: Any) -> list[float] | None:
    """Three finite numbers (one per channel), else None."""
    if not isinstance(value, list) or len(value) != 3:
        return None
    values = [number(v) for v in value]
    return None if any(v is None for v in values) else [v for v in values if v is not None]


def show(value: Any) -> str:
    """A scalar as a person reads it in a table."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if number(value) is not None:
        if isinstance(value, int):
            return str(value)
        return f"{float(value):.4g}"
    if isinstance(value, list) and value and all(number(v) is not None for v in value):
        return " · ".join(show(v) for v in value[:8]) + (" …" if len(value) > 8 else "")
    if isinstance(value, str):
        return value[:200]
    return ""


def _text(value: Any) -> str:
    return value[:200] if isinstance(value, str) else ""


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _rows(pairs: list[tuple[str, Any]]) -> list[dict[str, str]]:
    return [{"label": label, "value": show(v)} for label, v in pairs if show(v) != ""]


# -- shot match ---------------------------------------------------------------------


def shot_match_view(report: dict[str, Any]) -> ReportView:
    """The fitted ASC CDL (slope, offset, power per channel, saturation) and its fit."""
    cdl = _dict(report.get("cdl"))
    slope, offset, power = (triple(cdl.get(k)) for k in ("slope", "offset", "power"))
    saturation = number(cdl.get("saturation"))
    if slope is None or offset is None or power is None or saturation is None:
        raise ReportUnreadable("the report has no complete CDL")
    channels = [
        {"name": name, "slope": slope[i], "offset": offset[i], "power": power[i]}
        for i, name in enumerate(CHANNELS)
    ]
    source, reference = _dict(report.get("source")), _dict(report.get("reference"))
    transfer = _dict(report.get("transfer"))
    analysed = _list(source.get("analysed_frames"))
    return ReportView(
        template="production/_report_shot_match.html",
        title="Shot match",
        data={
            "channels": channels,
            "saturation": saturation,
            "space": _text(cdl.get("space")) or "ACEScct",
            "fit_rmse": number(cdl.get("fit_rmse")),
            "fit_p99": number(cdl.get("fit_p99")),
            "fit_samples": number(cdl.get("fit_samples")),
            "facts": _rows(
                [
                    ("Method", report.get("method")),
                    ("Strength", transfer.get("strength")),
                    ("Rendered with", report.get("render_with")),
                    ("Reference", reference.get("file")),
                    ("Reference frame", reference.get("frame")),
                    ("Frames analysed", len(analysed) if analysed else None),
                    ("Source colour space", source.get("colorspace")),
                ]
            ),
        },
    )


# -- character consistency ----------------------------------------------------------


def _thumbnail_id(path: Any, thumbnails: dict[str, int]) -> int | None:
    """The media id of a report thumbnail (the report names `thumbnails/<file>`)."""
    return thumbnails.get(path.rsplit("/", 1)[-1]) if isinstance(path, str) else None


def consistency_view(report: dict[str, Any], thumbnails: dict[str, int]) -> ReportView:
    """Per shot: its summary, the checked frames worst first (lowest identity score), the
    frames without a face, and the thumbnails of the off-model faces and best match."""
    threshold = number(report.get("threshold"))
    shots: list[dict[str, Any]] = []
    for shot in _list(report.get("shots")):
        shot = _dict(shot)
        scored: list[dict[str, Any]] = []
        faceless: list[int] = []
        for row in _list(shot.get("frames")):
            row = _dict(row)
            frame = number(row.get("frame"))
            if frame is None:
                continue
            best = number(row.get("best_similarity"))
            if best is None:
                faceless.append(int(frame))
                continue
            scored.append(
                {
                    "frame": int(frame),
                    "similarity": best,
                    "faces": len(_list(row.get("faces"))),
                    "below": bool(row.get("below_threshold"))
                    or (threshold is not None and best < threshold),
                    "thumbnail_id": _thumbnail_id(row.get("thumbnail"), thumbnails),
                }
            )
        scored.sort(key=lambda r: (r["similarity"], r["frame"]))
        best_match = next(
            (
                {
                    "frame": show(t.get("frame")),
                    "similarity": number(t.get("similarity")),
                    "thumbnail_id": _thumbnail_id(t.get("file"), thumbnails),
                }
                for t in map(_dict, _list(shot.get("thumbnails")))
                if t.get("kind") == "best_match"
            ),
            None,
        )
        shots.append(
            {
                "name": _text(shot.get("shot")) or "shot",
                "consistent": shot.get("consistent") is True,
                "frames_checked": show(shot.get("frames_checked")),
                "frames_total": show(shot.get("frames_total")),
                "best_similarity": number(shot.get("best_similarity")),
                "mean_similarity": number(shot.get("mean_similarity")),
                "below_count": sum(1 for r in scored if r["below"]),
                "worst": scored[:WORST_FRAMES_SHOWN],
                "more": max(0, len(scored) - WORST_FRAMES_SHOWN),
                "faceless": faceless,
                "best_match": best_match,
            }
        )
    if not shots:
        raise ReportUnreadable("the report has no shots")
    summary = _dict(report.get("summary"))
    return ReportView(
        template="production/_report_consistency.html",
        title="Character consistency",
        data={
            "threshold": threshold,
            "consistent": summary.get("consistent") is True,
            "frames_checked": show(summary.get("frames_checked")),
            "frames_below": sum(s["below_count"] for s in shots),
            "frames_without_face": sum(len(s["faceless"]) for s in shots),
            "shots": shots,
        },
    )


# -- deflicker ----------------------------------------------------------------------


def _downsample(values: list[float]) -> list[tuple[int, float]]:
    """(index, value) pairs, at most about CHART_MAX_POINTS: long shots keep each
    bucket's lowest and highest gain so no flicker spike disappears from the chart."""
    if len(values) <= CHART_MAX_POINTS:
        return list(enumerate(values))
    size = math.ceil(len(values) / (CHART_MAX_POINTS // 2))
    points: list[tuple[int, float]] = []
    for start in range(0, len(values), size):
        bucket = list(enumerate(values[start : start + size], start))
        low, high = min(bucket, key=lambda p: p[1]), max(bucket, key=lambda p: p[1])
        points.extend(sorted({low, high}))
    return points


def gain_chart(series: dict[str, list[float]]) -> dict[str, Any]:
    """An SVG line chart (viewBox coordinates) of per-frame gains: one polyline per
    series, the y range padded around the gains and always including 1 (no change)."""
    count = max(len(v) for v in series.values())
    low = min(min(v) for v in series.values() if v)
    high = max(max(v) for v in series.values() if v)
    low, high = min(low, 1.0), max(high, 1.0)
    pad = max((high - low) * 0.08, 0.005)
    low, high = low - pad, high + pad
    plot_w = CHART_WIDTH - CHART_LEFT - CHART_RIGHT
    plot_h = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM

    def x(index: float) -> float:
        return round(CHART_LEFT + plot_w * (index / max(1, count - 1)), 1)

    def y(value: float) -> float:
        return round(CHART_TOP + plot_h * (high - value) / (high - low), 1)

    lines = [
        {
            "name": name,
            "colour": SERIES_COLOURS.get(name, "#6ea8fe"),
            "points": " ".join(f"{x(i)},{y(v)}" for i, v in _downsample(values)),
        }
        for name, values in series.items()
    ]
    # Unity, the lowest and the highest gain; a label too close to one kept is left out.
    y_ticks: list[dict[str, Any]] = []
    for value in (1.0, low + pad, high - pad):
        if all(abs(y(value) - tick["y"]) >= CHART_TICK_GAP for tick in y_ticks):
            y_ticks.append({"value": f"{value:.3f}", "y": y(value)})
    y_ticks.sort(key=lambda tick: tick["y"])
    last = count - 1
    x_ticks = [{"value": str(i), "x": x(i)} for i in sorted({0, last // 2, last})]
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": CHART_LEFT,
        "right": CHART_WIDTH - CHART_RIGHT,
        "top": CHART_TOP,
        "bottom": CHART_HEIGHT - CHART_BOTTOM,
        "one_y": y(1.0),
        "lines": lines,
        "y_ticks": y_ticks,
        "x_ticks": x_ticks,
        "label_y": CHART_HEIGHT - 8,
        "label_x": CHART_LEFT - 6,
    }


def deflicker_view(report: dict[str, Any]) -> ReportView:
    """The per-frame gain curve and the flicker measured before and after."""
    gains: list[list[float]] = []
    for row in _list(report.get("frames")):
        gain = _list(_dict(row).get("gain"))
        values = [number(v) for v in gain]
        if not values or len(values) not in (1, 3) or any(v is None or v <= 0 for v in values):
            raise ReportUnreadable("a frame of the report has no usable gain")
        gains.append([v for v in values if v is not None])
    if not gains or len({len(g) for g in gains}) != 1:
        raise ReportUnreadable("the report has no gain curve")
    names = ["Gain"] if len(gains[0]) == 1 else list(CHANNELS)
    series = {name: [g[i] for g in gains] for i, name in enumerate(names)}
    before, after = number(report.get("flicker_before")), number(report.get("flicker_after"))
    reduction = (1 - after / before) * 100 if before and after is not None else None
    flat = [v for g in gains for v in g]
    return ReportView(
        template="production/_report_deflicker.html",
        title="Deflicker",
        data={
            "chart": gain_chart(series),
            "series": [{"name": n, "colour": SERIES_COLOURS[n]} for n in names],
            "frames": len(gains),
            "facts": _rows(
                [
                    ("Mode", report.get("mode")),
                    (
                        "Window",
                        f"{show(report.get('window'))} frames" if report.get("window") else None,
                    ),
                    ("Flicker before", before),
                    ("Flicker after", after),
                    ("Reduction", f"{reduction:.0f} %" if reduction is not None else None),
                    ("Gain range", f"{min(flat):.3f} – {max(flat):.3f}"),
                ]
            ),
        },
    )


# -- key / composite, resize and any other operation: a small table ----------------


def key_composite_view(report: dict[str, Any], metrics: dict[str, Any]) -> ReportView:
    coverage = [
        v for v in (number(c) for c in _list(report.get("matte_coverage"))) if v is not None
    ]
    screen_colour = triple(report.get("screen_color"))
    match = _dict(report.get("color_match"))

    def percent(value: float) -> str:
        return f"{value * 100:.1f} %"

    return ReportView(
        template="production/_report_metrics.html",
        title="Key and composite",
        data={
            "rows": _rows(
                [
                    ("Screen", report.get("screen")),
                    (
                        "Screen colour",
                        " · ".join(f"{v:.3f}" for v in screen_colour) if screen_colour else None,
                    ),
                    (
                        "Clean plate",
                        report.get("clean_plate") or ("none" if "clean_plate" in report else None),
                    ),
                    ("Frames", report.get("background_frames")),
                    ("Foreground frames", report.get("foreground_frames")),
                    (
                        "Mean matte coverage",
                        percent(sum(coverage) / len(coverage)) if coverage else None,
                    ),
                    (
                        "Matte coverage range",
                        f"{percent(min(coverage))} – {percent(max(coverage))}"
                        if coverage
                        else None,
                    ),
                    ("Colour match strength", match.get("strength") if match else "off"),
                    ("Output colour space", metrics.get("output_colorspace")),
                ]
            )
        },
    )


def resize_view(metrics: dict[str, Any]) -> ReportView | None:
    width, height = number(metrics.get("width")), number(metrics.get("height"))
    scale = [v for v in (number(s) for s in _list(metrics.get("scale"))) if v is not None]
    rows = _rows(
        [
            ("Output size", f"{int(width)}×{int(height)}" if width and height else None),
            ("Mode", metrics.get("mode")),
            ("Filter", metrics.get("filter")),
            ("Linear light", metrics.get("linear_light")),
            ("Scale", " × ".join(f"{s:.4g}" for s in scale) if scale else None),
            ("Frames", metrics.get("frames")),
            ("Source colour space", metrics.get("source_colorspace")),
            ("Output colour space", metrics.get("output_colorspace")),
        ]
    )
    if not rows:
        return None
    return ReportView(
        template="production/_report_metrics.html", title="Resize", data={"rows": rows}
    )


def generic_view(title: str, values: dict[str, Any]) -> ReportView | None:
    rows = _rows([(str(k).replace("_", " ").capitalize(), v) for k, v in list(values.items())[:24]])
    if not rows:
        return None
    return ReportView(template="production/_report_metrics.html", title=title, data={"rows": rows})


def report_view(
    report: dict[str, Any] | None,
    *,
    operation: str = "",
    metrics: dict[str, Any] | None = None,
    thumbnails: dict[str, int] | None = None,
) -> ReportView | None:
    """The view of a job's report (None: nothing to show). `report` is the parsed JSON
    report (None when the job wrote none), `metrics` the job's metrics, `thumbnails` the
    media ids of the report's thumbnails by file name. ReportUnreadable when the report
    is not what its operation writes."""
    metrics = metrics if isinstance(metrics, dict) else {}
    name = _text((report or {}).get("operation")) or operation
    if report is not None:
        if name == "shot_match":
            return shot_match_view(report)
        if name == "character_consistency":
            return consistency_view(report, thumbnails or {})
        if name == "deflicker":
            return deflicker_view(report)
        if name == "key_composite":
            return key_composite_view(report, metrics)
        return generic_view("Report", report)
    if name == "resize":
        return resize_view(metrics)
    return generic_view("Metrics", metrics)
