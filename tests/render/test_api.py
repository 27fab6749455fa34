"""The render API as a pipeline engineer uses it, and the project websocket."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.urls import reverse

from apps.production.models import Project
from apps.render.intake import report_receive
from apps.render.models import Job
from apps.render.scheduler import dispatch_pool, output_prefix
from apps.tenancy.scope import tenant_scope
from studio.asgi import application
from tests.api.helpers import api_client_for
from tests.factories import Partner, World, make_partner
from tests.render.helpers import make_input_media, make_pool


def _url(partner: Partner, name: str, **kwargs: Any) -> str:
    return reverse(
        f"api:{name}",
        kwargs={"org": partner.organization.slug, "project_pk": partner.project.pk, **kwargs},
    )


@pytest.mark.django_db
def test_submit_follow_and_download_provenance_through_the_api(world: World) -> None:
    a = world.a
    pool = make_pool(price_per_gpu_second="0.25")
    media = make_input_media(a)
    client = api_client_for(a.producer)
    response = client.post(
        _url(a, "render-job-list"),
        {
            "shot": a.shot.pk,
            "operation": "noop",
            "params": {"seconds": 1},
            "inputs": {"source": media.pk},
            "pool": pool.name,
            "priority": 70,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    job = response.json()
    assert (job["state"], job["priority"], job["estimated_cost"]) == ("queued", 70, "0.0240")
    assert job["inputs"]["source"]["sha256"] == media.sha256

    listed = client.get(_url(a, "render-job-list"), {"state": "queued"}).json()
    assert [item["id"] for item in listed["results"]] == [job["id"]]

    # The worker's side, as the results intake receives it.
    dispatch_pool(pool_id=pool.pk, publish=lambda queue, spec: None)
    with tenant_scope(a.organization.pk):
        row = Job.objects.get(pk=job["id"])
        attempt = row.attempts.get()
    base = {"organization_id": a.organization.pk, "job_id": row.pk, "attempt_id": str(attempt.pk)}
    report_receive(report={**base, "type": "started", "worker_host": "gpu-07", "device": "cpu"})
    report_receive(report={**base, "type": "log", "message": "frame 1/96"})
    detail = client.get(_url(a, "render-job-detail", pk=row.pk)).json()
    assert detail["state"] == "running" and detail["attempts_started"] == 1

    logs = client.get(_url(a, "render-job-logs", pk=row.pk)).json()
    assert any(line["message"] == "frame 1/96" for line in logs)
    later = client.get(_url(a, "render-job-logs", pk=row.pk), {"after": logs[-1]["id"]}).json()
    assert later == []

    missing = client.get(_url(a, "render-job-provenance", pk=row.pk))
    assert missing.status_code == 400 and "no result yet" in missing.json()["error"]["message"]

    output = {"key": output_prefix(row, attempt) + "out.mov", "sha256": "c" * 64, "size": 5}
    report_receive(report={**base, "type": "result", "outputs": [output], "gpu_seconds": 2})
    detail = client.get(_url(a, "render-job-detail", pk=row.pk)).json()
    assert (detail["state"], detail["cost"], detail["version_label"]) == (
        "succeeded",
        "0.5000",
        "v001",
    )
    download = client.get(_url(a, "render-job-provenance", pk=row.pk))
    assert download.status_code == 200
    assert "attachment" in download["Content-Disposition"]
    record = download.json()
    assert record["worker_host"] == "gpu-07" and record["outputs"][0]["sha256"] == "c" * 64
    by_version = client.get(_url(a, "version-provenance", pk=detail["version"]))
    assert by_version.json() == record

    retried = client.post(_url(a, "render-job-retry", pk=row.pk))
    assert retried.status_code == 409


@pytest.mark.django_db
def test_refusals_are_clear_4xx_errors(world: World) -> None:
    a = world.a
    pool = make_pool(price_per_gpu_second="1000")
    producer = api_client_for(a.producer)
    with tenant_scope(a.organization.pk):
        Project.objects.filter(pk=a.project.pk).update(gpu_budget="1.00")
    over = producer.post(
        _url(a, "render-job-list"),
        {"shot": a.shot.pk, "operation": "noop", "pool": pool.name},
        format="json",
    )
    assert over.status_code == 409
    assert over.json()["error"]["code"] == "budget_exceeded"
    assert "GPU budget of 1.00" in over.json()["error"]["message"]

    bad = producer.post(
        _url(a, "render-job-list"),
        {"shot": a.shot.pk, "operation": "noop", "params": {"steps": 0}},
        format="json",
    )
    assert bad.status_code == 400 and bad.json()["error"]["fields"]

    viewer = api_client_for(a.viewer).post(
        _url(a, "render-job-list"), {"shot": a.shot.pk, "operation": "noop"}, format="json"
    )
    assert viewer.status_code == 403

    pools = producer.get(reverse("api:render-pool-list", kwargs={"org": a.organization.slug}))
    assert pool.name in [item["name"] for item in pools.json()]


def _session_cookie(user: Any) -> str:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return session.session_key or ""


def _socket(project_id: int, cookie: str) -> WebsocketCommunicator:
    headers = [
        (b"origin", b"http://localhost"),
        (b"host", b"localhost"),
        (b"cookie", f"sessionid={cookie}".encode()),
    ]
    return WebsocketCommunicator(application, f"/ws/projects/{project_id}/", headers=headers)


@pytest.fixture
def partners(committed_db: None) -> tuple[Partner, Partner]:
    return make_partner("wsrender-a"), make_partner("wsrender-b")


async def test_project_socket_streams_job_progress_to_members_only(
    partners: tuple[Partner, Partner],
) -> None:
    a, b = partners
    pool = await sync_to_async(make_pool)()
    outsider = _socket(a.project.pk, await sync_to_async(_session_cookie)(b.owner))
    connected, code = await outsider.connect()
    assert not connected and code == 4404

    socket = _socket(a.project.pk, await sync_to_async(_session_cookie)(a.viewer))
    connected, _ = await socket.connect()
    assert connected
    assert (await socket.receive_json_from())["type"] == "hello"

    def submit_and_start() -> None:
        from apps.render.submission import job_submit

        # Committed: the job is dispatched as soon as the submission commits.
        with tenant_scope(a.organization.pk, user_id=a.producer.pk):
            job = job_submit(
                actor=a.producer, project=a.project, shot=a.shot, operation="noop", pool=pool.name
            )
        with tenant_scope(a.organization.pk):
            attempt = Job.objects.get(pk=job.pk).current_attempt_id
        base = {"organization_id": a.organization.pk, "job_id": job.pk, "attempt_id": str(attempt)}
        report_receive(report={**base, "type": "started", "worker_host": "w", "device": "cpu"})
        report_receive(report={**base, "type": "progress", "progress": 0.5, "message": "half"})

    await sync_to_async(submit_and_start)()
    seen: list[dict[str, Any]] = []
    while not any(e.get("job", {}).get("progress") == 0.5 for e in seen):
        seen.append(await socket.receive_json_from(timeout=5))
    states = [e["job"]["state"] for e in seen if e["type"] == "render.job"]
    assert states[0] == "queued" and "running" in states
    assert any(e["type"] == "render.log" and "started on w" in e["log"]["message"] for e in seen)
    await socket.send_json_to({"type": "ping"})
    while (await socket.receive_json_from(timeout=5))["type"] != "pong":
        pass
    await socket.disconnect()
