"""The launch form, generated from each operation's declared parameters and input roles.

`launch_form` builds what the template draws (one fieldset per operation: a widget per
parameter, a picker per input role, each with its value and its error); `parse_launch_form`
reads a POST back into typed parameters and inputs. Screen colours are picked as display
sRGB and stored as linear ACEScg (the working space the keyer compares in)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from apps.core.errors import ValidationFailed
from apps.media.models import MediaFile
from gpu_workers.params import Param
from gpu_workers.registry import Operation

# Linear Rec.709 -> ACEScg (Bradford D65 -> D60), the AMPAS matrix.
REC709_TO_ACESCG = (
    (0.6130973, 0.3395229, 0.0473793),
    (0.0701942, 0.9163556, 0.0134526),
    (0.0206156, 0.1095698, 0.8698151),
)


def _inverse3(m: tuple[tuple[float, ...], ...]) -> tuple[tuple[float, ...], ...]:
    a, b, c = m[0]
    d, e, f = m[1]
    g, h, i = m[2]
    det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g)
    return (
        ((e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det),
        ((f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det),
        ((d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det),
    )


ACESCG_TO_REC709 = _inverse3(REC709_TO_ACESCG)


def _mul(m: tuple[tuple[float, ...], ...], v: list[float]) -> list[float]:
    return [sum(m[r][k] * v[k] for k in range(3)) for r in range(3)]


def hex_to_acescg(value: str) -> list[float]:
    text = value.strip().lstrip("#")
    if len(text) != 6:
        raise ValueError(value)
    encoded = [int(text[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in encoded]
    return [round(v, 6) for v in _mul(REC709_TO_ACESCG, linear)]


def acescg_to_hex(rgb: list[float]) -> str:
    linear = [min(1.0, max(0.0, v)) for v in _mul(ACESCG_TO_REC709, [float(v) for v in rgb])]
    encoded = [12.92 * c if c <= 0.0031308 else 1.055 * c ** (1 / 2.4) - 0.055 for c in linear]
    return "#" + "".join(f"{round(c * 255):02x}" for c in encoded)


@dataclass
class Widget:
    """One parameter as the form draws it."""

    param: Param
    value: Any
    error: str = ""
    text: str = ""  # the value as the input shows it
    auto: bool = False  # optional parameter left automatic

    @property
    def name(self) -> str:
        return self.param.name

    @property
    def slider(self) -> bool:
        p = self.param
        return p.kind in ("number", "integer") and p.minimum is not None and p.maximum is not None

    @property
    def step(self) -> str:
        if self.param.step is not None:
            return f"{self.param.step:g}"
        return "1" if self.param.kind == "integer" else "any"


@dataclass
class Picker:
    """One input role: its choices (the shot's media first), the chosen one, its error."""

    role: Any  # gpu_workers.params.InputRole
    options: list[dict[str, Any]]
    value: int | None
    error: str = ""


@dataclass
class OperationForm:
    operation: Operation
    widgets: list[Widget]
    advanced: list[Widget]
    pickers: list[Picker]
    regions: list[Widget] = field(default_factory=list)


def _text(param: Param, value: Any) -> str:
    if value is None:
        return ""
    if param.kind == "region":
        return ", ".join(f"{float(v):.4g}" for v in value)
    if param.kind == "color":
        return acescg_to_hex(value)
    if param.kind in ("number", "integer"):
        return f"{value:g}" if isinstance(value, float) else str(value)
    return str(value)


def media_options(media: list[MediaFile], shot_id: int | None) -> list[dict[str, Any]]:
    """Ready media as picker options: the chosen shot's versions first (newest first),
    then the rest of the project; each file once, the same content once."""
    seen_ids: set[int] = set()
    seen_content: set[str] = set()
    options = []
    for item in media:
        if item.pk in seen_ids or (item.sha256 and item.sha256 in seen_content):
            continue
        seen_ids.add(item.pk)
        if item.sha256:
            seen_content.add(item.sha256)
        version = item.version
        item_shot = version.shot_id if version is not None else item.shot_id
        label = item.original_filename
        if version is not None:
            label = f"{version.shot.code} {version.label} · {label}"
        options.append(
            {
                "id": item.pk,
                "label": f"{label} ({item.get_kind_display().lower()})",
                "kind": item.kind,
                "shot": item_shot,
            }
        )
    options.sort(key=lambda o: 0 if shot_id is not None and o["shot"] == shot_id else 1)
    return options


def launch_form(
    operation: Operation,
    *,
    values: Mapping[str, Any],
    inputs: Mapping[str, Any],
    errors: Mapping[str, str],
    options: list[dict[str, Any]],
) -> OperationForm:
    """The widgets of one operation with `values` (typed, e.g. a parent job's params, or
    what was posted) and `errors` keyed by `params.<name>` / `inputs.<role>`."""
    widgets: list[Widget] = []
    advanced: list[Widget] = []
    regions: list[Widget] = []
    for param in operation.params:
        value = values.get(param.name, param.default)
        raw = values.get(f"raw.{param.name}")
        widget = Widget(
            param=param,
            value=value,
            error=errors.get(f"params.{param.name}", ""),
            text=str(raw) if raw is not None else _text(param, value),
            auto=value is None and not raw,
        )
        if param.kind == "region":
            regions.append(widget)
        (advanced if param.advanced else widgets).append(widget)
    pickers = []
    for role in operation.inputs:
        chosen = inputs.get(role.name)
        pickers.append(
            Picker(
                role=role,
                options=[o for o in options if o["kind"] in role.accepts],
                value=int(str(chosen)) if str(chosen or "").isdigit() else None,
                error=errors.get(f"inputs.{role.name}", ""),
            )
        )
    return OperationForm(operation, widgets, advanced, pickers, regions)


def _number(param: Param, raw: str) -> float | int:
    try:
        number = float(raw)
    except ValueError:
        raise ValidationFailed(
            f"{param.label} must be a number.", field=f"params.{param.name}"
        ) from None
    if param.kind == "integer":
        if number != int(number):
            raise ValidationFailed(
                f"{param.label} must be a whole number.", field=f"params.{param.name}"
            )
        return int(number)
    return number


def _region(param: Param, raw: str) -> list[float]:
    try:
        parts = [float(v) for v in raw.replace(";", ",").split(",")]
    except ValueError:
        parts = []
    if len(parts) != 4:
        raise ValidationFailed(
            f"{param.label}: give x, y, width, height as fractions of the frame, or draw it"
            " on the poster.",
            field=f"params.{param.name}",
        )
    return parts


def parse_params(operation: Operation, post: Mapping[str, Any]) -> dict[str, Any]:
    """Typed parameters from the form's `param.<name>` fields (booleans are checkboxes;
    an optional field left empty or marked automatic is null)."""
    params: dict[str, Any] = {}
    for param in operation.params:
        key = f"param.{param.name}"
        if param.kind == "boolean":
            params[param.name] = bool(post.get(key))
            continue
        raw = str(post.get(key) or "").strip()
        if post.get(f"auto.{param.name}") or not raw:
            if param.optional:
                params[param.name] = None
            continue
        if param.kind in ("number", "integer"):
            params[param.name] = _number(param, raw)
        elif param.kind == "region":
            params[param.name] = _region(param, raw)
        elif param.kind == "color":
            try:
                params[param.name] = hex_to_acescg(raw)
            except ValueError:
                raise ValidationFailed(
                    f"{param.label}: pick a colour.", field=f"params.{param.name}"
                ) from None
        else:
            params[param.name] = raw
    return params


def parse_inputs(operation: Operation, post: Mapping[str, Any]) -> dict[str, int]:
    inputs = {}
    for role in operation.inputs:
        raw = str(post.get(f"input.{role.name}") or "")
        if raw.isdigit():
            inputs[role.name] = int(raw)
    return inputs


def raw_values(operation: Operation, post: Mapping[str, Any]) -> dict[str, Any]:
    """What was typed, to show again after an error (even when it did not parse)."""
    values: dict[str, Any] = {}
    for param in operation.params:
        key = f"param.{param.name}"
        if param.kind == "boolean":
            values[param.name] = bool(post.get(key))
        elif post.get(f"auto.{param.name}"):
            values[param.name] = None
        else:
            values[param.name] = None if param.optional and not post.get(key) else param.default
            values[f"raw.{param.name}"] = str(post.get(key) or "")
    return values


def params_json(params: Mapping[str, Any]) -> str:
    return json.dumps(params, sort_keys=True)
