"""Re-run with changes from a note (issue 12, item 5), on the review side: a note on an
AI-made version names the job a re-run starts from, and after the re-run the versions made
from it; the re-run's result joins the room beside its parent and the room on the parent
moves to it, at the same frame, compared side by side; the re-run link is offered only to
roles that may launch jobs."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from apps.production.services import version_create
from apps.render.models import Job
from apps.review.models import ReviewEvent, ReviewSession
from apps.review.notes import note_create
from apps.review.sessions import playback_update, session_create
from apps.tenancy.scope import tenant_scope
from apps.tenancy.selectors import members_of_current_organization
from tests.api.helpers import api_client_for
from tests.factories import World
from tests.render.helpers import make_input_media, make_pool
from tests.render.test_operations_and_rerun import _jobs_url, _succeed


def _notes(client: Any, org: str, version_id: int) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/orgs/{org}/versions/{version_id}/notes/")
    assert response.status_code == 200, response.content
    return list(response.json()["results"])


@pytest.mark.django_db
def test_a_note_on_an_ai_version_reruns_and_the_room_compares_child_with_parent(
    world: World,
) -> None:
    a = world.a
    org = a.organization.slug
    pool = make_pool()
    plate = make_input_media(a, name="plate.mov")
    grade = make_input_media(a, name="grade.mov")
    client = api_client_for(a.producer)
    inputs = {"source": plate.pk, "reference": grade.pk}
    first = client.post(
        _jobs_url(a),
        {"shot": a.shot.pk, "operation": "shot_match", "inputs": inputs, "pool": pool.name},
        format="json",
    ).json()
    _succeed(a, pool, first["id"], "matched.mov")
    with tenant_scope(a.organization.pk, user_id=a.owner.pk):
        parent = Job.objects.select_related("version").get(pk=first["id"])
        upload = version_create(actor=a.owner, shot=a.shot, source="upload")
        owner = members_of_current_organization().get(user=a.owner)
        on_parent = session_create(
            actor=owner, project=a.project, title="on the parent", version_ids=[parent.version_id]
        )
        elsewhere = session_create(
            actor=owner,
            project=a.project,
            title="on another version",
            version_ids=[upload.pk, parent.version_id],
        )
        playback_update(actor=owner, session_id=on_parent.pk, changes={"frame": 7})
        note = note_create(
            actor=owner,
            version=parent.version,
            session=on_parent,
            frame_in=7,
            frame_out=7,
            text="A touch less, please",
        )
        on_upload = note_create(
            actor=owner, version=upload, session=None, frame_in=0, frame_out=0, text="Fine"
        )

    # The note knows the job that made its version; a note on an upload has none.
    (listed,) = _notes(client, org, parent.version_id)
    assert (listed["source_job"], listed["reruns"], listed["project"]) == (
        parent.pk,
        [],
        a.project.pk,
    )
    assert _notes(client, org, upload.pk)[0]["source_job"] is None
    assert on_upload.pk

    child = client.post(
        _jobs_url(a),
        {
            "shot": a.shot.pk,
            "operation": "shot_match",
            "params": {**parent.params, "strength": 0.6},
            "inputs": inputs,
            "pool": pool.name,
            "parent": parent.pk,
            "note": note.pk,
        },
        format="json",
    ).json()
    # Queued: the thread says a re-run is on its way (no version yet).
    (listed,) = _notes(client, org, parent.version_id)
    assert listed["reruns"] == [
        {"job": child["id"], "state": "queued", "version": None, "label": None}
    ]
    _succeed(a, pool, child["id"], "matched2.mov")
    with tenant_scope(a.organization.pk):
        made = Job.objects.select_related("version").get(pk=child["id"])
        assert made.version is not None
        moved = ReviewSession.objects.get(pk=on_parent.pk)
        stayed = ReviewSession.objects.get(pk=elsewhere.pk)
        events = list(
            ReviewEvent.objects.filter(session=on_parent)
            .order_by("-seq")[:2]
            .values("type", "payload")
        )
    # "v00N made from this note".
    (listed,) = _notes(client, org, parent.version_id)
    assert listed["reruns"] == [
        {
            "job": child["id"],
            "state": "succeeded",
            "version": made.version_id,
            "label": made.version.label,
        }
    ]
    # The room on the parent moves to the re-run, same frame, side by side with the parent.
    assert moved.playback["version"] == made.version_id
    assert moved.playback["frame"] == 7 and moved.playback["playing"] is False
    assert moved.playback["compare"] == {
        "mode": "side_by_side",
        "version": parent.version_id,
        "wipe": 0.5,
    }
    assert [e["type"] for e in events] == ["playback.seek", "playlist.changed"]
    assert events[1]["payload"]["compare_with"] == parent.version_id
    assert events[0]["payload"]["playback"] == moved.playback
    # A room showing another version stays there; the re-run waits on its playlist.
    assert stayed.playback["version"] == upload.pk
    assert stayed.playback["compare"]["mode"] == "off"


@pytest.mark.django_db
def test_the_room_offers_the_rerun_only_to_roles_that_launch_jobs(world: World) -> None:
    a = world.a
    with tenant_scope(a.organization.pk, user_id=a.owner.pk):
        version = version_create(actor=a.owner, shot=a.shot, source="upload")
        owner = members_of_current_organization().get(user=a.owner)
        session = session_create(
            actor=owner,
            project=a.project,
            title="dailies",
            version_ids=[version.pk],
            participant_ids=[a.viewer.pk],
        )
    path = f"/review/{a.organization.slug}/{session.pk}/"
    producer, viewer = Client(), Client()
    producer.force_login(a.producer)
    viewer.force_login(a.viewer)
    form = f"/render/{a.organization.slug}/projects/{a.project.pk}/jobs/new/"
    assert f'data-rerun-base="{form}"' in producer.get(path).content.decode()
    seen = viewer.get(path)
    assert seen.status_code == 200
    assert 'data-rerun-base=""' in seen.content.decode()
    # The version page's notes panel likewise.
    page = f"/projects/{a.organization.slug}/{a.project.pk}/versions/{version.pk}/"
    assert f'data-rerun-base="{form}"' in producer.get(page).content.decode()
    assert 'data-rerun-base=""' in viewer.get(page).content.decode()
