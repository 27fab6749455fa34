"""Signed worker reports: the extra time per report for signing it on the worker (the
Reporter, with its attempt's key) and verifying it at the results intake (deriving the
attempt's key from the platform secret, HMAC over the canonical JSON, freshness check),
against sending and receiving the same report unsigned. In-process, no broker: the
broker round trip is the same either way."""

from __future__ import annotations

import statistics
import time
import uuid
from typing import Any

SAMPLES = 2000


def _report_fields() -> dict[str, Any]:
    """A typical `result` report: eight outputs and a metrics block."""
    outputs = [
        {
            "key": f"org/1/project/2/render/job-3/attempt-1-abcdef12/out/{i:04d}.exr",
            "sha256": "a" * 64,
            "size": 12_345_678,
            "kind": "render",
            "role": "main",
            "content_type": "image/x-exr",
            "filename": f"{i:04d}.exr",
        }
        for i in range(8)
    ]
    return {"outputs": outputs, "metrics": {"frames": 96, "psnr": 41.2}, "gpu_seconds": 12.5}


def run() -> list[dict[str, Any]]:
    # Imported here: the bench runner sets Django up before calling run().
    from apps.render import conf
    from apps.render.intake import _signature_problem
    from gpu_workers import signing
    from gpu_workers.worker import Reporter

    secret = conf.signing_secrets()[0]
    attempt_id = str(uuid.uuid4())
    spec = {"job_id": 3, "attempt_id": attempt_id, "organization_id": 1}
    signed_spec = {**spec, "report_key": signing.attempt_key(secret, 1, 3, attempt_id)}
    fields = _report_fields()
    plain_times: list[float] = []
    signed_times: list[float] = []
    for _ in range(SAMPLES):
        sent: list[dict[str, Any]] = []
        started = time.perf_counter()
        Reporter(spec, sent.append).send("result", **fields)
        plain_times.append(time.perf_counter() - started)
        sent.clear()
        started = time.perf_counter()
        Reporter(signed_spec, sent.append).send("result", **fields)
        problem = _signature_problem(sent[0])
        signed_times.append(time.perf_counter() - started)
        assert problem is None, problem
    overhead = statistics.median(signed_times) - statistics.median(plain_times)
    return [
        {
            "name": "jobs.signed_report_overhead_ms",
            "value": overhead * 1000,
            "unit": "ms",
            "better": "lower",
            "baseline": statistics.median(plain_times) * 1000,
            "settings": {"samples": SAMPLES, "outputs_per_report": 8, "report": "result"},
        }
    ]
