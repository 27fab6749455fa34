"""The GPU worker's side of the signed boundary: with its pool's spec key it runs only specs
the platform signed for that pool, unaltered; every report it sends is signed with the
attempt's own key and verifies with no other attempt's key. Real broker (Redis) for the
heartbeat and stop flags; no Django."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from gpu_workers import signing
from gpu_workers.worker import execute

SECRET = "test-signing-secret-" + "k" * 40


def _spec(pool: str = "standard", organization_id: int = 7) -> dict[str, Any]:
    attempt_id = str(uuid.uuid4())
    spec = {
        "job_id": 11,
        "attempt_id": attempt_id,
        "organization_id": organization_id,
        "operation": "noop",
        "params": {"steps": 2},
        "inputs": {},
        "output_prefix": f"org/{organization_id}/project/1/render/job-11/attempt-1-x/",
        "heartbeat_seconds": 5,
        "heartbeat_timeout": 30,
        "report_key": signing.attempt_key(SECRET, organization_id, 11, attempt_id),
    }
    return signing.sign_spec(signing.pool_key(SECRET, pool), spec)


@pytest.fixture
def pool_key(monkeypatch: pytest.MonkeyPatch) -> str:
    key = signing.pool_key(SECRET, "standard")
    monkeypatch.setenv("RENDER_SPEC_KEY", key)
    return key


def test_a_signed_spec_runs_and_every_report_verifies_only_with_its_attempt_key(
    pool_key: str,
) -> None:
    spec = _spec()
    sent: list[dict[str, Any]] = []
    assert execute(spec, send=sent.append) == "result"
    kinds = [report["type"] for report in sent]
    assert kinds[0] == "started" and kinds[-1] == "result" and "progress" in kinds
    other = signing.attempt_key(SECRET, 7, 11, str(uuid.uuid4()))
    for report in sent:
        assert signing.report_signature_ok(spec["report_key"], report)
        assert not signing.report_signature_ok(other, report)
        assert "report_key" not in report


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"inputs": {"source": "org/8/project/2/media/plate.exr"}}, id="inputs"),
        pytest.param({"organization_id": 8}, id="partner"),
        pytest.param({"spec_signature": ""}, id="unsigned"),
    ],
)
def test_an_altered_or_unsigned_spec_is_not_run(pool_key: str, change: dict[str, Any]) -> None:
    sent: list[dict[str, Any]] = []
    assert execute({**_spec(), **change}, send=sent.append) == "refused"
    assert sent == []


def test_a_spec_signed_for_another_pool_is_not_run(pool_key: str) -> None:
    sent: list[dict[str, Any]] = []
    assert execute(_spec(pool="premium"), send=sent.append) == "refused"
    assert sent == []
