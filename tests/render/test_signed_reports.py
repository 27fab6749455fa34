"""Worker reports are signed per attempt: the results intake (the `render.results` task's
entry point) applies only reports that verify with the key handed to that attempt, and
audits every refusal. A worker holding one job's spec cannot forge another job's result."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from apps.audit.models import AuditEntry
from apps.render import submission
from apps.render.intake import handle_report_safely
from apps.render.models import Attempt, Job, JobLog, JobState
from apps.render.scheduler import dispatch_pool, job_spec, output_prefix
from apps.tenancy.scope import tenant_scope
from gpu_workers.signing import sign_report
from gpu_workers.worker import Reporter
from tests.factories import Partner, World
from tests.render.helpers import make_pool


def _submit(partner: Partner, pool: Any) -> Job:
    with tenant_scope(partner.organization.pk, user_id=partner.producer.pk):
        return submission.job_submit(
            actor=partner.producer,
            project=partner.project,
            shot=partner.shot,
            operation="noop",
            pool=pool.name,
        )


def _spec(partner: Partner, job_id: int) -> tuple[Job, dict[str, Any]]:
    """The specification the dispatcher publishes for the job's current attempt."""
    with tenant_scope(partner.organization.pk):
        job = Job.objects.select_related("pool").get(pk=job_id)
        attempt = Attempt.objects.get(pk=job.current_attempt_id)
        return job, job_spec(job, attempt)


def _signed(spec: dict[str, Any], kind: str, **fields: Any) -> dict[str, Any]:
    """A report exactly as the GPU worker's Reporter sends it for this spec."""
    sent: list[dict[str, Any]] = []
    Reporter(spec, sent.append).send(kind, **fields)
    return sent[0]


def _state(partner: Partner, job_id: int) -> str:
    with tenant_scope(partner.organization.pk):
        return str(Job.objects.get(pk=job_id).state)


def test_forged_unsigned_and_tampered_reports_change_nothing(world: World) -> None:
    a, b = world.a, world.b
    pool = make_pool(capacity=2)
    job_a = _submit(a, pool)
    job_b = _submit(b, pool)
    dispatch_pool(pool_id=pool.pk, publish=lambda queue, spec: None)
    job_a, spec_a = _spec(a, job_a.pk)
    job_b, spec_b = _spec(b, job_b.pk)
    assert spec_a["report_key"] != spec_b["report_key"]
    # The spec names no other partner and no bucket-wide credentials.
    assert str(b.organization.pk) not in repr(spec_a["inputs"])

    prefix_b = output_prefix(job_b, Attempt(pk=job_b.current_attempt_id, number=1))
    output = {"key": prefix_b + "out.exr", "sha256": "f" * 64, "size": 3, "role": "main"}
    forged = {
        "type": "result",
        "organization_id": b.organization.pk,
        "job_id": job_b.pk,
        "attempt_id": spec_b["attempt_id"],
        "seq": 1,
        "sent_at": datetime.now(UTC).isoformat(),
        "outputs": [output],
        "gpu_seconds": 1,
    }
    # Unsigned, then signed with partner A's attempt key (the worker that ran A's job).
    assert handle_report_safely(forged) == "refused"
    assert handle_report_safely(sign_report(spec_a["report_key"], forged)) == "refused"
    # Spec A's key re-labelled as B's job: the key is derived from B's ids, so no match.
    spoofed_spec = {**spec_a, "organization_id": b.organization.pk, "job_id": job_b.pk}
    spoofed_spec["attempt_id"] = spec_b["attempt_id"]
    assert handle_report_safely(_signed(spoofed_spec, "failed", error="boom")) == "refused"
    # A genuine report from B's worker, tampered with after signing.
    genuine = _signed(spec_b, "progress", progress=0.25, message="quarter")
    assert handle_report_safely({**genuine, "progress": 0.99}) == "refused"
    assert _state(b, job_b.pk) == JobState.DISPATCHED
    with tenant_scope(b.organization.pk):
        refusals = AuditEntry.objects.filter(
            organization_id=b.organization.pk, action="render.report.refused"
        )
        assert refusals.count() == 4
        assert refusals.filter(target_id=str(job_b.pk)).count() == 4
        logs = list(JobLog.objects.filter(job_id=job_b.pk).values_list("message", flat=True))
    assert sum("refused a report" in m for m in logs) == 4

    # B's own worker, signing with its own key: applied.
    assert handle_report_safely(genuine) == "applied"
    assert handle_report_safely(_signed(spec_b, "result", outputs=[output], gpu_seconds=1)) == (
        "applied"
    )
    assert _state(b, job_b.pk) == JobState.SUCCEEDED
    assert _state(a, job_a.pk) == JobState.DISPATCHED


def test_a_report_signed_long_ago_is_refused_as_stale(world: World) -> None:
    pool = make_pool()
    job = _submit(world.a, pool)
    dispatch_pool(pool_id=pool.pk, publish=lambda queue, spec: None)
    job, spec = _spec(world.a, job.pk)
    reporter = Reporter(spec, lambda r: None)
    captured: list[dict[str, Any]] = []
    reporter._send = captured.append
    # The worker's clock is honest; the message is replayed three days later.
    three_days_ago = (datetime.now(UTC) - timedelta(days=3)).isoformat()
    reporter.send("failed", error="boom")
    replay = {k: v for k, v in captured[0].items() if k != "signature"}
    replay = sign_report(spec["report_key"], {**replay, "sent_at": three_days_ago})
    assert handle_report_safely(replay) == "refused"
    assert _state(world.a, job.pk) == JobState.DISPATCHED
    with tenant_scope(world.a.organization.pk):
        entry = AuditEntry.objects.get(action="render.report.refused", target_id=str(job.pk))
    assert "stale" in entry.changes["reason"]


def test_a_replayed_report_is_refused_and_audited(world: World) -> None:
    pool = make_pool()
    job = _submit(world.a, pool)
    dispatch_pool(pool_id=pool.pk, publish=lambda queue, spec: None)
    job, spec = _spec(world.a, job.pk)
    log = _signed(spec, "log", message="frame 1 of 2")
    assert handle_report_safely(log) == "applied"
    # The same signed message again (captured on the broker and re-sent): refused.
    assert handle_report_safely(dict(log)) == "refused"
    with tenant_scope(world.a.organization.pk):
        entry = AuditEntry.objects.get(action="render.report.refused", target_id=str(job.pk))
        messages = list(JobLog.objects.filter(job=job).values_list("message", flat=True))
    assert entry.changes["reason"] == "replayed"
    assert messages.count("frame 1 of 2") == 1
