"""A real no-op operation: passes its input through unchanged (or writes a small report
when given none), reporting progress and honouring cancellation. Used by tests and the
job-system benchmark to measure the platform, not the maths."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Mapping
from typing import Any

from gpu_workers.registry import (
    InvalidParameters,
    Operation,
    OperationContext,
    OperationResult,
    OutputFile,
    register,
)

MAX_SECONDS = 3600.0


def validate(params: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(params) - {"seconds", "steps", "write_report"}
    if unknown:
        raise InvalidParameters(f"noop does not take {', '.join(sorted(unknown))}")
    try:
        seconds = float(params.get("seconds", 0))
        steps = int(params.get("steps", 10))
    except (TypeError, ValueError) as error:
        raise InvalidParameters("seconds must be a number and steps an integer") from error
    if not 0 <= seconds <= MAX_SECONDS:
        raise InvalidParameters(f"seconds must be between 0 and {MAX_SECONDS:g}")
    if not 1 <= steps <= 1000:
        raise InvalidParameters("steps must be between 1 and 1000")
    return {"seconds": seconds, "steps": steps, "write_report": bool(params.get("write_report"))}


def run(context: OperationContext) -> OperationResult:
    params = context.params
    seconds, steps = float(params["seconds"]), int(params["steps"])
    for step in range(steps):
        context.check_cancelled()
        if seconds:
            time.sleep(seconds / steps)
        context.progress((step + 1) / steps, f"step {step + 1} of {steps}")
    context.check_cancelled()
    outputs: list[OutputFile] = []
    source = context.inputs.get("source")
    if source is not None and source.is_file():
        target = context.output_dir / source.name
        shutil.copyfile(source, target)
        outputs.append(OutputFile(target, kind="render", role="main"))
        context.log(f"passed {source.name} through unchanged")
    if params.get("write_report"):
        report = context.output_dir / "noop-report.json"
        report.write_text(json.dumps({"steps": steps, "seconds": seconds}))
        outputs.append(
            OutputFile(report, kind="document", role="report", content_type="application/json")
        )
    return OperationResult(outputs=outputs, metrics={"steps": steps})


OPERATION = register(
    Operation(
        name="noop",
        title="No-op (pass-through, for tests and benchmarks)",
        run=run,
        validate=validate,
        input_roles=(),
        gpu_seconds_per_frame=0.001,
    )
)
