"""Declared operations through the API (JSON Schema per operation, test-only ones hidden
from partners) and re-runs with changes: parent and note recorded, the result placed
beside its parent in the open review sessions, and bad ids refused with a named field."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings
from django.urls import reverse

from apps.production.services import version_create
from apps.render.intake import report_receive
from apps.render.models import Job
from apps.render.scheduler import dispatch_pool, output_prefix
from apps.review.models import PlaylistItem
from apps.review.notes import note_create
from apps.review.sessions import session_create
from apps.tenancy.scope import tenant_scope
from apps.tenancy.selectors import members_of_current_organization
from tests.api.helpers import api_client_for
from tests.factories import Partner, World
from tests.render.helpers import make_input_media, make_pool


def _ops_url(partner: Partner, name: str | None = None) -> str:
    org = partner.organization.slug
    if name is None:
        return reverse("api:render-operation-list", kwargs={"org": org})
    return reverse("api:render-operation-detail", kwargs={"org": org, "name": name})


def _jobs_url(partner: Partner) -> str:
    return reverse(
        "api:render-job-list",
        kwargs={"org": partner.organization.slug, "project_pk": partner.project.pk},
    )


@pytest.mark.django_db
@override_settings(RENDER_ALLOW_TEST_OPERATIONS=False)
def test_operations_publish_inputs_and_a_json_schema_and_hide_test_operations(
    world: World,
) -> None:
    client = api_client_for(world.a.producer)
    response = client.get(_ops_url(world.a))
    assert response.status_code == 200
    operations = {op["name"]: op for op in response.json()}
    assert set(operations) == {
        "character_consistency",
        "deflicker",
        "key_composite",
        "resize",
        "shot_match",
    }
    match = operations["shot_match"]
    assert [(i["role"], i["required"]) for i in match["inputs"]] == [
        ("source", True),
        ("reference", True),
    ]
    schema = match["parameters"]
    assert schema["type"] == "object" and schema["additionalProperties"] is False
    strength = schema["properties"]["strength"]
    assert (strength["type"], strength["minimum"], strength["maximum"], strength["default"]) == (
        "number",
        0.0,
        1.0,
        1.0,
    )
    assert strength["description"]
    assert schema["properties"]["method"]["enum"] == ["reinhard", "mkl"]
    assert schema["properties"]["roi"]["x-region-of"] == "source"
    key = operations["key_composite"]["parameters"]["properties"]
    assert key["screen_color"]["x-kind"] == "color" and key["edge_softness"]["x-unit"] == "px"
    assert [i["role"] for i in operations["key_composite"]["inputs"]] == [
        "foreground",
        "background",
        "clean_plate",
    ]
    assert operations["character_consistency"]["likeness"] is True

    detail = client.get(_ops_url(world.a, "deflicker")).json()
    assert detail["parameters"]["properties"]["window"]["x-odd"] is True
    assert client.get(_ops_url(world.a, "noop")).status_code == 404

    # Nor may a partner run one through the API.
    refused = client.post(
        _jobs_url(world.a), {"shot": world.a.shot.pk, "operation": "noop"}, format="json"
    )
    assert refused.status_code == 400
    assert "There is no operation named 'noop'" in str(refused.json()["error"])


@pytest.mark.django_db
def test_openapi_describes_the_operations_route(world: World) -> None:
    schema = api_client_for(world.a.producer).get("/api/schema/", {"format": "json"})
    assert schema.status_code == 200
    text = schema.content.decode()
    assert "/render/operations/" in text and "gpu_seconds_per_frame" in text


@pytest.mark.django_db
def test_bad_parameters_and_inputs_name_their_field(world: World) -> None:
    a = world.a
    plate = make_input_media(a)
    client = api_client_for(a.producer)
    bad_param = client.post(
        _jobs_url(a),
        {
            "shot": a.shot.pk,
            "operation": "shot_match",
            "params": {"strength": 3},
            "inputs": {"source": plate.pk, "reference": plate.pk},
        },
        format="json",
    )
    assert bad_param.status_code == 400
    body = str(bad_param.json())
    assert "strength must be between 0 and 1" in body and "params.strength" in body
    missing = client.post(
        _jobs_url(a),
        {"shot": a.shot.pk, "operation": "shot_match", "inputs": {"source": plate.pk}},
        format="json",
    )
    assert missing.status_code == 400 and "inputs.reference" in str(missing.json())
    unknown = client.post(
        _jobs_url(a),
        {
            "shot": a.shot.pk,
            "operation": "resize",
            "params": {"preset": "HD"},
            "inputs": {"plate": plate.pk},
        },
        format="json",
    )
    assert unknown.status_code == 400 and "has no input 'plate'" in str(unknown.json())


def _succeed(partner: Partner, pool: Any, job_id: int, name: str) -> None:
    dispatch_pool(pool_id=pool.pk, publish=lambda queue, spec: None)
    with tenant_scope(partner.organization.pk):
        job = Job.objects.get(pk=job_id)
        attempt = job.attempts.get()
    base = {
        "organization_id": partner.organization.pk,
        "job_id": job.pk,
        "attempt_id": str(attempt.pk),
    }
    output = {"key": output_prefix(job, attempt) + name, "sha256": "d" * 64, "size": 5}
    report_receive(report={**base, "type": "result", "outputs": [output], "gpu_seconds": 1})


@pytest.mark.django_db
def test_rerun_records_parent_and_note_and_joins_the_session_beside_its_parent(
    world: World,
) -> None:
    a = world.a
    pool = make_pool()
    plate = make_input_media(a, name="plate.mov")
    grade = make_input_media(a, name="grade.mov")
    client = api_client_for(a.producer)
    first = client.post(
        _jobs_url(a),
        {
            "shot": a.shot.pk,
            "operation": "shot_match",
            "params": {"strength": 0.8},
            "inputs": {"source": plate.pk, "reference": grade.pk},
            "pool": pool.name,
        },
        format="json",
    ).json()
    _succeed(a, pool, first["id"], "matched.mov")
    with tenant_scope(a.organization.pk, user_id=a.owner.pk):
        parent = Job.objects.select_related("version").get(pk=first["id"])
        other = version_create(actor=a.owner, shot=a.shot, source="upload")
        owner = members_of_current_organization().get(user=a.owner)
        session = session_create(
            actor=owner,
            project=a.project,
            title="dailies",
            version_ids=[parent.version_id, other.pk],
        )
        note = note_create(
            actor=owner,
            version=parent.version,
            session=session,
            frame_in=3,
            frame_out=3,
            text="A touch less, please",
        )

    # The note must be on the parent's version, the parent of this project.
    wrong = client.post(
        _jobs_url(a),
        {
            "shot": a.shot.pk,
            "operation": "shot_match",
            "inputs": {"source": plate.pk, "reference": grade.pk},
            "parent": 999999,
        },
        format="json",
    )
    assert wrong.status_code == 400 and "parent" in str(wrong.json())

    child = client.post(
        _jobs_url(a),
        {
            "shot": a.shot.pk,
            "operation": "shot_match",
            "params": {**parent.params, "strength": 0.6},
            "inputs": {"source": plate.pk, "reference": grade.pk},
            "pool": pool.name,
            "parent": parent.pk,
            "note": note.pk,
        },
        format="json",
    )
    assert child.status_code == 201, child.content
    assert (child.json()["parent"], child.json()["note"]) == (parent.pk, note.pk)
    _succeed(a, pool, child.json()["id"], "matched2.mov")
    with tenant_scope(a.organization.pk):
        made = Job.objects.select_related("version").get(pk=child.json()["id"])
        assert made.version is not None and made.version.parent_id == parent.version_id
        playlist = list(
            PlaylistItem.objects.filter(session=session)
            .order_by("position")
            .values_list("version_id", flat=True)
        )
    assert playlist == [parent.version_id, made.version_id, other.pk]
