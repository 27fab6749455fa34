"""Submission gates (budget, consent, parameters, pools), cancel and retry."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest

from apps.audit.models import AuditEntry
from apps.core.errors import Conflict, ValidationFailed
from apps.production.models import Project
from apps.production.services import character_create
from apps.render import consent, pools, submission
from apps.render.models import JobState, PoolState
from apps.tenancy.scope import tenant_scope
from gpu_workers import registry
from gpu_workers.registry import Operation, OperationResult
from tests.factories import Partner, World
from tests.render.helpers import make_input_media, make_pool


def _likeness_run(context: Any) -> OperationResult:
    return OperationResult(outputs=[])


# A likeness operation for the consent gate (the real ones live in gpu_workers/ops).
LIKENESS_OP = "test_likeness_check"


@pytest.fixture
def likeness_operation(monkeypatch: pytest.MonkeyPatch) -> str:
    registry.load_builtin_operations()
    operation = Operation(
        name=LIKENESS_OP,
        title="Likeness check (test)",
        run=_likeness_run,
        inputs=(),
        likeness=True,
    )
    monkeypatch.setitem(registry._REGISTRY, LIKENESS_OP, operation)
    return LIKENESS_OP


def _audit_actions(partner: Partner) -> list[str]:
    with tenant_scope(partner.organization.pk):
        return list(
            AuditEntry.objects.filter(organization_id=partner.organization.pk)
            .order_by("pk")
            .values_list("action", flat=True)
        )


@pytest.mark.django_db
def test_submission_queues_a_job_with_an_estimate_and_an_audit_entry(world: World) -> None:
    a = world.a
    pool = make_pool(price_per_gpu_second="0.5")
    with tenant_scope(a.organization.pk, user_id=a.producer.pk):
        job = submission.job_submit(
            actor=a.producer,
            project=a.project,
            shot=a.shot,
            operation="noop",
            params={"seconds": 0},
            pool=pool.name,
        )
        assert job.state == JobState.QUEUED
        # 96 frames x 0.001 GPU-s per frame x 0.5 per GPU-s
        assert job.estimated_cost == Decimal("0.0480")
        assert job.params == {"seconds": 0.0, "steps": 10, "write_report": False}
    assert "render.job.submit" in _audit_actions(a)


@pytest.mark.django_db
def test_a_job_over_the_remaining_budget_is_refused_and_the_refusal_audited(
    world: World,
) -> None:
    a = world.a
    pool = make_pool(price_per_gpu_second="200")  # 96 frames x 0.001 GPU-s -> 19.20
    with tenant_scope(a.organization.pk, user_id=a.producer.pk):
        Project.objects.filter(pk=a.project.pk).update(gpu_budget=Decimal("10.00"))
        project = Project.objects.get(pk=a.project.pk)
        with pytest.raises(Conflict) as refused:
            submission.job_submit(
                actor=a.producer,
                project=project,
                shot=a.shot,
                operation="noop",
                pool=pool.name,
            )
    assert refused.value.code == "budget_exceeded"
    assert "would cost about 19.2000 but only 10.0000" in refused.value.message
    assert "render.job.refused_budget" in _audit_actions(a)


@pytest.mark.django_db
def test_open_jobs_reserve_budget_so_the_second_job_is_refused(world: World) -> None:
    a = world.a
    pool = make_pool(price_per_gpu_second="60")  # 96 frames -> 5.76 per job
    with tenant_scope(a.organization.pk, user_id=a.producer.pk):
        Project.objects.filter(pk=a.project.pk).update(gpu_budget=Decimal("10.00"))
        project = Project.objects.get(pk=a.project.pk)
        submission.job_submit(
            actor=a.producer, project=project, shot=a.shot, operation="noop", pool=pool.name
        )
        with pytest.raises(Conflict, match=r"only 4\.2400 of the project's GPU budget"):
            submission.job_submit(
                actor=a.producer, project=project, shot=a.shot, operation="noop", pool=pool.name
            )


@pytest.mark.django_db
def test_likeness_operation_needs_an_active_consent_record(
    world: World, likeness_operation: str
) -> None:
    a = world.a
    today = datetime.date.today()
    with tenant_scope(a.organization.pk, user_id=a.owner.pk):
        character = character_create(
            actor=a.owner, project=a.project, name="Mara", talent_name="Ana Ruiz"
        )
        with pytest.raises(Conflict) as refused:
            submission.job_submit(
                actor=a.producer,
                project=a.project,
                shot=a.shot,
                operation=LIKENESS_OP,
                character=character,
            )
        assert refused.value.code == "consent_required"
        assert "No active likeness consent for Mara (Ana Ruiz)" in refused.value.message

        # Voice-only or expired consent does not cover likeness.
        consent.consent_record_create(
            actor=a.owner,
            project=a.project,
            character=character,
            talent_name="Ana Ruiz",
            scopes=["voice"],
            valid_from=today,
            valid_until=today,
            document_name="voice.pdf",
            document_content=b"%PDF-1.4 voice",
        )
        consent.consent_record_create(
            actor=a.owner,
            project=a.project,
            character=character,
            talent_name="Ana Ruiz",
            scopes=["likeness"],
            valid_from=today - datetime.timedelta(days=30),
            valid_until=today - datetime.timedelta(days=1),
            document_name="old.pdf",
            document_content=b"%PDF-1.4 old",
        )
        with pytest.raises(Conflict):
            submission.job_submit(
                actor=a.producer,
                project=a.project,
                shot=a.shot,
                operation=LIKENESS_OP,
                character=character,
            )

        record = consent.consent_record_create(
            actor=a.owner,
            project=a.project,
            character=character,
            talent_name="Ana Ruiz",
            scopes=["likeness", "voice"],
            valid_from=today,
            valid_until=today + datetime.timedelta(days=90),
            document_name="signed.pdf",
            document_content=b"%PDF-1.4 signed",
        )
        assert record.document is not None and record.document.state == "ready"
        assert len(record.document.sha256) == 64
        job = submission.job_submit(
            actor=a.producer,
            project=a.project,
            shot=a.shot,
            operation=LIKENESS_OP,
            character=character,
        )
        assert job.consent_id == record.pk

        consent.consent_record_revoke(actor=a.owner, record=record)
        with pytest.raises(Conflict):
            submission.job_submit(
                actor=a.producer,
                project=a.project,
                shot=a.shot,
                operation=LIKENESS_OP,
                character=character,
            )
    actions = _audit_actions(a)
    assert actions.count("render.job.refused_consent") == 3
    assert "consent.create" in actions and "consent.revoke" in actions


@pytest.mark.django_db
def test_bad_parameters_inputs_and_pools_are_refused_clearly(world: World) -> None:
    a, b = world.a, world.b
    foreign_media = make_input_media(b)
    draining = make_pool()
    pools.pool_update(actor=None, pool=draining, state=PoolState.DRAINING)
    with tenant_scope(a.organization.pk, user_id=a.producer.pk):
        submit: dict[str, Any] = dict(actor=a.producer, project=a.project, shot=a.shot)
        with pytest.raises(ValidationFailed, match="unknown operation 'sharpen'"):
            submission.job_submit(**submit, operation="sharpen")
        with pytest.raises(ValidationFailed, match="seconds must be between"):
            submission.job_submit(**submit, operation="noop", params={"seconds": -1})
        with pytest.raises(ValidationFailed, match="no media file"):
            submission.job_submit(**submit, operation="noop", inputs={"source": foreign_media.pk})
        with pytest.raises(ValidationFailed, match="no pool named"):
            submission.job_submit(**submit, operation="noop", pool="nowhere")
        with pytest.raises(Conflict, match="being drained"):
            submission.job_submit(**submit, operation="noop", pool=draining.name)


@pytest.mark.django_db
def test_cancelling_a_queued_job_removes_it_and_retry_queues_it_again(world: World) -> None:
    a = world.a
    pool = make_pool()
    pools.pool_update(actor=None, pool=pool, state=PoolState.PAUSED)
    with tenant_scope(a.organization.pk, user_id=a.producer.pk):
        job = submission.job_submit(
            actor=a.producer, project=a.project, shot=a.shot, operation="noop", pool=pool.name
        )
        job = submission.job_cancel(actor=a.producer, job=job)
        assert job.state == JobState.CANCELLED and job.cost == 0
        with pytest.raises(Conflict):
            submission.job_cancel(actor=a.producer, job=job)
        job = submission.job_retry(actor=a.producer, job=job)
        assert job.state == JobState.QUEUED


@pytest.mark.django_db
def test_suspended_partner_and_switched_off_operations_cannot_submit(world: World) -> None:
    from apps.beta.gates import feature_set
    from apps.core.errors import Forbidden

    partner = world.a
    feature_set(key="op.resize", enabled=False, actor=None, organization=partner.organization)
    with tenant_scope(partner.organization.pk, user_id=partner.owner.pk):
        with pytest.raises(Forbidden, match="resize is not switched on"):
            submission.job_submit(
                actor=partner.owner,
                project=partner.project,
                shot=partner.shot,
                operation="resize",
                params={"preset": "720p"},
                inputs={},
            )
