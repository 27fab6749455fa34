"""The operation registry shared by the GPU worker and the platform.

An operation is registered under a name with its declared parameters and input roles
(`gpu_workers.params`): the worker validates with them, the platform publishes them as
JSON Schema and builds the launch form from them. The worker gives an operation an
`OperationContext` (local input files, an output folder, the device policy, progress, log
and cancellation hooks) and records what it returns. No Django here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from gpu_workers.params import InputRole, InvalidParameters, Param, ParamSpec

__all__ = [
    "InputRole",
    "InvalidParameters",
    "Operation",
    "OperationCancelled",
    "OperationContext",
    "OperationResult",
    "OutputFile",
    "Param",
    "ParamSpec",
    "all_operations",
    "get_operation",
    "register",
]


class OperationCancelled(Exception):
    """Raised inside an operation when the job was cancelled; the worker reports it."""


@dataclass
class OutputFile:
    path: Path
    kind: str  # media kind on the platform: render, matte, reference, document...
    role: str = "main"  # e.g. "composite", "matte", "report", "cdl"
    content_type: str = "application/octet-stream"


@dataclass
class OperationResult:
    outputs: list[OutputFile]
    metrics: dict[str, Any] = field(default_factory=dict)


@dataclass
class OperationContext:
    inputs: Mapping[str, Path]  # input role -> local file or folder (image sequence)
    output_dir: Path
    params: Mapping[str, Any]
    device: Any  # gpu_workers.device.DevicePolicy
    progress: Callable[[float, str], None] = lambda fraction, message: None
    log: Callable[[str], None] = lambda line: None
    is_cancelled: Callable[[], bool] = lambda: False

    def check_cancelled(self) -> None:
        if self.is_cancelled():
            raise OperationCancelled("cancelled")


class OperationFunction(Protocol):
    def __call__(self, context: OperationContext) -> OperationResult: ...


@dataclass(frozen=True)
class Operation:
    name: str
    title: str
    run: OperationFunction
    spec: ParamSpec = field(default_factory=ParamSpec)
    inputs: tuple[InputRole, ...] = (InputRole("source", "Source"),)
    description: str = ""
    # Operations on a person's likeness need an active consent record.
    likeness: bool = False
    # Platform checks (tests, benchmarks): never offered to partners.
    test_only: bool = False
    # Rough cost model for budgets: estimated GPU-seconds per input frame (1080p), plus a
    # fixed GPU-seconds per job (set-up: decoding, loading models, writing outputs). The
    # platform replaces both with a fit to finished jobs as soon as it has some.
    gpu_seconds_per_frame: float = 0.05
    gpu_seconds_overhead: float = 0.0

    def validate(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The validated, normalised parameters, or InvalidParameters naming the field."""
        return self.spec.validate(self.name, params)

    @property
    def input_roles(self) -> tuple[str, ...]:
        """The roles a job must give."""
        return tuple(role.name for role in self.inputs if role.required)

    @property
    def params(self) -> tuple[Param, ...]:
        return self.spec.params

    def param(self, name: str) -> Param | None:
        return next((param for param in self.spec.params if param.name == name), None)

    def json_schema(self) -> dict[str, Any]:
        """The parameters as a JSON Schema (2020-12) object schema."""
        return self.spec.json_schema(self.title)

    def describe(self) -> dict[str, Any]:
        """What the API publishes about the operation."""
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "likeness": self.likeness,
            "test_only": self.test_only,
            "inputs": [role.as_dict() for role in self.inputs],
            "parameters": self.json_schema(),
            "gpu_seconds_per_frame": self.gpu_seconds_per_frame,
            "gpu_seconds_overhead": self.gpu_seconds_overhead,
        }


_REGISTRY: dict[str, Operation] = {}


def register(operation: Operation) -> Operation:
    if operation.name in _REGISTRY:
        raise ValueError(f"operation {operation.name!r} is already registered")
    _REGISTRY[operation.name] = operation
    return operation


def get_operation(name: str) -> Operation:
    load_builtin_operations()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise InvalidParameters(f"unknown operation {name!r}") from None


def all_operations() -> list[Operation]:
    load_builtin_operations()
    return sorted(_REGISTRY.values(), key=lambda operation: operation.name)


def load_builtin_operations() -> None:
    """Import the operations package, whose modules register themselves."""
    import importlib
    import pkgutil

    package = importlib.import_module("gpu_workers.ops")
    for info in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"gpu_workers.ops.{info.name}")
