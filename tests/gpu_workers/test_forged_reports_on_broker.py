"""A forged report put on the real broker, as anyone holding a worker's broker credentials
could, reaches the real results intake process and changes nothing; the job's own signed
report, sent the same way, is applied. Real intake and scheduler processes, PostgreSQL,
Redis."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from apps.audit.models import AuditEntry
from apps.render import submission
from apps.render.models import Attempt, Job, JobState
from apps.render.scheduler import job_spec, output_prefix
from apps.tenancy.scope import tenant_scope
from gpu_workers.celery_app import REPORT_TASK, RESULTS_QUEUE, app
from gpu_workers.signing import attempt_key, sign_report
from gpu_workers.worker import Reporter
from tests.factories import Partner, make_partner
from tests.render.helpers import (
    FAST_RENDER_ENV,
    intake_args,
    make_pool,
    platform_env,
    process,
    scheduler_args,
    wait_for,
)


@pytest.fixture(scope="module")
def platform(django_db_setup: Any) -> Iterator[None]:
    env = platform_env()
    with (
        process(intake_args(), env, "render-intake-forged.log"),
        process(scheduler_args(), env, "render-scheduler-forged.log"),
    ):
        yield


@pytest.fixture
def partner(committed_db: None, monkeypatch: pytest.MonkeyPatch) -> Partner:
    for name, value in FAST_RENDER_ENV.items():
        monkeypatch.setenv(name, value)
    return make_partner("forged")


def _send(report: dict[str, Any]) -> None:
    """Exactly what a GPU worker does with a report (broker credentials only)."""
    app.send_task(REPORT_TASK, kwargs={"report": report}, queue=RESULTS_QUEUE)


def _refusals(partner: Partner, job_id: int) -> int:
    with tenant_scope(partner.organization.pk):
        return AuditEntry.objects.filter(
            action="render.report.refused", target_id=str(job_id)
        ).count()


def test_forged_result_on_the_broker_is_refused_by_the_intake_process(
    platform: None, partner: Partner
) -> None:
    pool = make_pool()  # no worker consumes it: the job stays dispatched
    with tenant_scope(partner.organization.pk, user_id=partner.producer.pk):
        job = submission.job_submit(
            actor=partner.producer,
            project=partner.project,
            shot=partner.shot,
            operation="noop",
            pool=pool.name,
        )

    def dispatched() -> Job | None:
        with tenant_scope(partner.organization.pk):
            found = Job.objects.select_related("pool").get(pk=job.pk)
        return found if found.state == JobState.DISPATCHED else None

    job = wait_for(dispatched, timeout=30, message="the scheduler to dispatch the job")
    with tenant_scope(partner.organization.pk):
        attempt = Attempt.objects.get(pk=job.current_attempt_id)
        spec = job_spec(job, attempt)
    output = {"key": output_prefix(job, attempt) + "x.exr", "sha256": "0" * 64, "size": 1}
    forged = {
        "type": "result",
        "organization_id": partner.organization.pk,
        "job_id": job.pk,
        "attempt_id": spec["attempt_id"],
        "seq": 1,
        "sent_at": datetime.now(UTC).isoformat(),
        "outputs": [output],
        "gpu_seconds": 1,
    }
    _send(forged)
    # A key guessed from another secret: as good as none.
    _send(sign_report(attempt_key("guessed", partner.organization.pk, job.pk, attempt.pk), forged))
    wait_for(lambda: _refusals(partner, job.pk) == 2, timeout=30, message="two refusals")
    assert dispatched() is not None

    # The attempt's own worker, with the key from its spec: applied.
    reporter = Reporter(spec, _send)
    reporter.send("started", worker_host="gpu-1", device="cpu")
    reporter.send("result", outputs=[], gpu_seconds=0.5)

    def finished() -> Job | None:
        with tenant_scope(partner.organization.pk):
            found = Job.objects.get(pk=job.pk)
        return found if found.state == JobState.SUCCEEDED else None

    wait_for(finished, timeout=30, message="the signed result to be applied")
    assert _refusals(partner, job.pk) == 2
