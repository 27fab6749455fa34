"""Declared parameters and input roles of an operation: one declaration that the worker
validates with, the platform publishes as JSON Schema and the browser builds its form from.

A `Param` is typed (number, integer, boolean, choice, colour, region) with its range,
default, unit, help text and choices; `optional` parameters accept null ("automatic").
An `InputRole` names an input (source, reference, foreground...) and the media kinds it
takes. No Django here, and nothing heavier than the standard library.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

ParamKind = Literal["number", "integer", "boolean", "choice", "color", "region"]
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


class InvalidParameters(ValueError):
    """Parameters that an operation refuses, with a message a partner can act on; `field`
    names the parameter (or input role) at fault when there is one."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True)
class Param:
    name: str
    kind: ParamKind
    label: str
    help: str = ""
    default: Any = None
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None
    unit: str = ""
    # Fixed choices, or a function giving them (colour spaces come from the OCIO config).
    choices: tuple[str, ...] | Callable[[], tuple[str, ...]] = ()
    # null is accepted and means "automatic" (from the file, estimated, whole frame...).
    optional: bool = False
    # What null is called in a form.
    null_label: str = "Automatic"
    # Shown folded away in the form.
    advanced: bool = False
    # Integers that must be odd (a centred window of frames).
    odd: bool = False
    # Turns an accepted value into its canonical spelling, or raises ValueError.
    normalise: Callable[[Any], Any] | None = None
    # Regions: the input role whose poster frame the region is drawn on.
    region_of: str = ""

    def choice_list(self) -> tuple[str, ...]:
        return self.choices() if callable(self.choices) else self.choices

    # Validation ---------------------------------------------------------------------------

    def clean(self, params: Mapping[str, Any]) -> Any:
        value = params.get(self.name, self.default)
        if value is None:
            if self.optional:
                return None
            value = self.default
        checker = getattr(self, f"_clean_{self.kind}")
        cleaned = checker(value)
        if self.normalise is not None and cleaned is not None:
            try:
                cleaned = self.normalise(cleaned)
            except ValueError as error:
                raise InvalidParameters(str(error), field=self.name) from None
        return cleaned

    def _fail(self, message: str) -> InvalidParameters:
        return InvalidParameters(message, field=self.name)

    def _range_text(self, low: float | None, high: float | None, fmt: str) -> str:
        if low is not None and high is not None:
            return f"between {low:{fmt}} and {high:{fmt}}"
        if low is not None:
            return f"{low:{fmt}} or more"
        return f"{high:{fmt}} or less"

    def _check_range(self, value: float, fmt: str) -> None:
        low, high = self.minimum, self.maximum
        if (low is not None and value < low) or (high is not None and value > high):
            raise self._fail(
                f"{self.name} must be {self._range_text(low, high, fmt)} (got {value:{fmt}})"
            )

    def _clean_number(self, value: Any) -> float:
        if not _is_number(value):
            raise self._fail(f"{self.name} must be a number")
        self._check_range(float(value), "g")
        return float(value)

    def _clean_integer(self, value: Any) -> int:
        if not _is_number(value) or int(value) != value:
            raise self._fail(f"{self.name} must be a whole number")
        self._check_range(int(value), "d")
        if self.odd and int(value) % 2 == 0:
            raise self._fail(
                f"{self.name} must be an odd number{' of ' + self.unit if self.unit else ''}"
                f" (3, 5, 7...; got {value})"
            )
        return int(value)

    def _clean_boolean(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise self._fail(f"{self.name} must be true or false")
        return value

    def _clean_choice(self, value: Any) -> str:
        if self.normalise is not None and isinstance(value, str):
            return value  # checked (and spelled canonically) by normalise
        options = self.choice_list()
        if value not in options:
            raise self._fail(f"{self.name} must be one of {', '.join(options)} (got {value!r})")
        return str(value)

    def _clean_color(self, value: Any) -> list[float]:
        if (
            not isinstance(value, list | tuple)
            or len(value) != 3
            or not all(map(_is_number, value))
        ):
            raise self._fail(f"{self.name} must be three numbers [r, g, b]")
        if any(v < 0 for v in value):
            raise self._fail(f"{self.name} must not be negative")
        return [float(v) for v in value]

    def _clean_region(self, value: Any) -> list[float]:
        if (
            not isinstance(value, list | tuple)
            or len(value) != 4
            or not all(map(_is_number, value))
        ):
            raise self._fail(f"{self.name} must be [x, y, width, height] as fractions of the frame")
        x, y, w, h = (float(v) for v in value)
        if not (0 <= x < 1 and 0 <= y < 1 and 0 < w <= 1 - x + 1e-9 and 0 < h <= 1 - y + 1e-9):
            raise self._fail(f"{self.name} must lie inside the frame (fractions between 0 and 1)")
        return [x, y, w, h]

    # Publication --------------------------------------------------------------------------

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"title": self.label, "x-kind": self.kind}
        if self.help:
            schema["description"] = self.help
        if self.kind in ("number", "integer"):
            schema["type"] = self.kind
            if self.minimum is not None:
                schema["minimum"] = self.minimum
            if self.maximum is not None:
                schema["maximum"] = self.maximum
            if self.step is not None:
                schema["x-step"] = self.step
        elif self.kind == "boolean":
            schema["type"] = "boolean"
        elif self.kind == "choice":
            schema["type"] = "string"
            schema["enum"] = list(self.choice_list())
        elif self.kind == "color":
            schema.update(
                type="array",
                items={"type": "number", "minimum": 0},
                minItems=3,
                maxItems=3,
                description=(self.help + " " if self.help else "")
                + "Linear RGB in the working space (ACEScg).",
            )
        else:  # region
            schema.update(
                type="array",
                items={"type": "number", "minimum": 0, "maximum": 1},
                minItems=4,
                maxItems=4,
            )
            schema["x-region-of"] = self.region_of
        if self.odd:
            schema["x-odd"] = True
        if self.unit:
            schema["x-unit"] = self.unit
        if self.advanced:
            schema["x-advanced"] = True
        if self.optional:
            schema["x-null-label"] = self.null_label
            schema["type"] = [schema["type"], "null"]
            if "enum" in schema:
                schema["enum"] = [*schema["enum"], None]
        schema["default"] = self.default
        return schema


@dataclass(frozen=True)
class InputRole:
    """A named input of an operation and what it accepts."""

    name: str
    label: str
    # Media kinds (the platform's MediaKind values) this role accepts.
    accepts: tuple[str, ...] = ("plate", "element", "render")
    required: bool = True
    help: str = ""
    # A folder of stills (e.g. a character's reference images) rather than one clip.
    many: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "role": self.name,
            "label": self.label,
            "accepts": list(self.accepts),
            "required": self.required,
            "help": self.help,
            "many": self.many,
        }


@dataclass(frozen=True)
class ParamSpec:
    """The parameters of one operation and its cross-field rule (`check`), if any."""

    params: tuple[Param, ...] = ()
    check: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def validate(self, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        if not isinstance(params, Mapping):
            raise InvalidParameters("parameters must be an object of name: value")
        known = {param.name for param in self.params}
        unknown = sorted(set(params) - known)
        if unknown:
            raise InvalidParameters(
                f"{operation} does not take {', '.join(unknown)}"
                + (f" (it takes {', '.join(sorted(known))})" if known else ""),
                field=unknown[0],
            )
        cleaned = {param.name: param.clean(params) for param in self.params}
        return self.check(cleaned) if self.check is not None else cleaned

    def json_schema(self, title: str) -> dict[str, Any]:
        return {
            "$schema": JSON_SCHEMA_DIALECT,
            "title": title,
            "type": "object",
            "additionalProperties": False,
            "properties": {param.name: param.json_schema() for param in self.params},
            "x-order": [param.name for param in self.params],
            **self.extra,
        }
