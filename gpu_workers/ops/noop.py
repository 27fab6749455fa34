"""A real no-op operation: passes its input through unchanged (or writes a small report
when given none), reporting progress and honouring cancellation. Used by tests and the
job-system benchmark to measure the platform, not the maths."""

from __future__ import annotations

import json
import shutil
import time

from gpu_workers.registry import (
    InputRole,
    Operation,
    OperationContext,
    OperationResult,
    OutputFile,
    Param,
    ParamSpec,
    register,
)

# A platform check never holds a GPU slot for long (five minutes at most).
MAX_SECONDS = 300.0

SPEC = ParamSpec(
    params=(
        Param(
            "seconds",
            "number",
            "Duration",
            help="How long the job runs.",
            default=0.0,
            minimum=0.0,
            maximum=MAX_SECONDS,
            step=0.5,
            unit="s",
        ),
        Param(
            "steps",
            "integer",
            "Progress steps",
            help="How many progress reports it sends.",
            default=10,
            minimum=1,
            maximum=1000,
        ),
        Param(
            "write_report",
            "boolean",
            "Write a report",
            help="Adds a small JSON report to the outputs.",
            default=False,
        ),
    )
)


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
        description="Passes its input through unchanged; measures the platform, not the maths.",
        run=run,
        spec=SPEC,
        test_only=True,
        inputs=(InputRole("source", "Source", required=False),),
        gpu_seconds_per_frame=0.001,
    )
)
