"""Studio actions on a partner's data are in the partner's own audit log too (security
issue 16, item 7): a studio reviewer writing on a shared project leaves an entry the
partner reads, naming the reviewer and the studio; other partners see nothing of it."""

from __future__ import annotations

import pytest

from tests.api.helpers import api_client_for
from tests.factories import World, share_with_studio

pytestmark = pytest.mark.django_db


def test_a_studio_note_on_a_shared_project_is_in_the_partners_log(world: World) -> None:
    from apps.audit.selectors import audit_entries_for_scope
    from apps.production.services import version_create
    from apps.tenancy.scope import tenant_scope

    share_with_studio(world.a, world.studio)
    with tenant_scope(world.a.organization.pk):
        version = version_create(actor=world.a.owner, shot=world.a.shot, source="upload")
    reviewer = api_client_for(world.reviewer)
    created = reviewer.post(
        f"/api/v1/orgs/{world.studio.slug}/versions/{version.pk}/notes/",
        {"frame_in": 3, "text": "Studio says: lift the mids"},
        format="json",
    )
    assert created.status_code == 201, created.content
    note_id = str(created.json()["id"])

    def _entries(organization_id: int) -> list[tuple[str, str, dict]]:
        with tenant_scope(organization_id):
            return [
                (e.action, e.actor_label, e.changes)
                for e in audit_entries_for_scope().filter(target_id=note_id)
                if e.target_type == "review.note"
            ]

    partner_log = _entries(world.a.organization.pk)
    assert partner_log, "the partner's log does not show the studio's note"
    action, actor, changes = partner_log[0]
    assert action.endswith("create") and actor == world.reviewer.email
    assert changes["acting_organization"] == world.studio.pk
    assert _entries(world.studio.pk)  # the studio's own log keeps it as well
    assert not _entries(world.b.organization.pk)

    # The partner reads it through its own audit API.
    owner = api_client_for(world.a.owner)
    listing = owner.get(f"/api/v1/orgs/{world.a.organization.slug}/audit/")
    assert listing.status_code == 200
    assert world.reviewer.email in listing.content.decode()
