"""A beta feature switched off for a partner is off on every surface (security issue 16,
item 14): the notes API (notes, replies, decisions) follows `review.live`, and every
export (notes as CSV / EDL, sequences as OTIO / EDL) follows `interchange.export`."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from tests.api.helpers import api_client_for
from tests.factories import World

pytestmark = pytest.mark.django_db


def _switch_off(world: World, key: str) -> None:
    from apps.beta.gates import feature_set

    feature_set(key=key, enabled=False, actor=world.beta_admin, organization=world.a.organization)


def _version_and_note(world: World) -> tuple[Any, Any]:
    from apps.production.services import version_create
    from apps.review.notes import note_create
    from apps.tenancy.scope import tenant_scope
    from apps.tenancy.selectors import members_of_current_organization

    with tenant_scope(world.a.organization.pk, user_id=world.a.owner.pk):
        owner = members_of_current_organization().get(user=world.a.owner)
        version = version_create(actor=world.a.owner, shot=world.a.shot, source="upload")
        note = note_create(actor=owner, version=version, frame_in=1, text="too dark")
    return version, note


def _note_count(world: World) -> int:
    from apps.review.models import Note, NoteReply
    from apps.tenancy.scope import tenant_scope

    with tenant_scope(world.a.organization.pk):
        return Note.objects.count() + NoteReply.objects.count()


def test_notes_api_follows_the_review_feature(world: World) -> None:
    version, note = _version_and_note(world)
    _switch_off(world, "review.live")
    org = world.a.organization.slug
    producer = api_client_for(world.a.producer)
    before = _note_count(world)
    writes = [
        producer.post(
            f"/api/v1/orgs/{org}/versions/{version.pk}/notes/",
            {"frame_in": 2, "text": "again"},
            format="json",
        ),
        producer.patch(
            f"/api/v1/orgs/{org}/notes/{note.pk}/", {"revision": 1, "status": "resolved"},
            format="json",
        ),
        producer.post(f"/api/v1/orgs/{org}/notes/{note.pk}/replies/", {"text": "ok"}, format="json"),
        producer.post(
            f"/api/v1/orgs/{org}/versions/{version.pk}/decisions/",
            {"decision": "approved"},
            format="json",
        ),
    ]  # fmt: skip
    assert [w.status_code for w in writes] == [403, 403, 403, 403], [w.content for w in writes]
    assert all("not switched on" in w.json()["error"]["message"] for w in writes)
    assert _note_count(world) == before


def test_every_export_follows_the_export_feature(world: World) -> None:
    from apps.review.sessions import session_create
    from apps.tenancy.scope import tenant_scope
    from apps.tenancy.selectors import members_of_current_organization

    version, _ = _version_and_note(world)
    with tenant_scope(world.a.organization.pk, user_id=world.a.owner.pk):
        owner = members_of_current_organization().get(user=world.a.owner)
        session = session_create(
            actor=owner, project=world.a.project, title="Dailies", version_ids=[version.pk]
        )
    org = world.a.organization.slug
    urls = [
        f"/api/v1/orgs/{org}/versions/{version.pk}/notes/export/csv/",
        f"/api/v1/orgs/{org}/review-sessions/{session.pk}/export/edl/",
        reverse(
            "api:sequence-export",
            kwargs={"org": org, "project_pk": world.a.project.pk, "pk": world.a.sequence.pk},
        )
        + "?type=otio",
    ]
    producer = api_client_for(world.a.producer)
    assert [producer.get(u).status_code for u in urls] == [200, 200, 200]
    _switch_off(world, "interchange.export")
    assert [producer.get(u).status_code for u in urls] == [403, 403, 403]
