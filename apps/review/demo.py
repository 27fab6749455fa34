"""A demo review session with notes, so the room and the assistant have something real."""

from __future__ import annotations

from typing import Any

from apps.production.models import Project, Version
from apps.review.models import ReviewSession
from apps.review.notes import note_create
from apps.review.sessions import session_create
from apps.tenancy.scope import tenant_scope
from apps.tenancy.selectors import members_of_current_organization

# (playlist position, author key, frame, text): frames are 0-based proxy frames.
DEMO_NOTES = [
    (0, "producer", 6, "Remove the wire at the top left, it catches the light."),
    (0, "sam", 9, "Please paint out the wire in the top left corner."),
    (0, "producer", 20, "Warm up the sky a touch, it reads too blue against the plate."),
    (1, "sam", 30, "The crowd element looks weird."),
    (1, "ines", 12, "Track the crowd element to the plate, it slides near the end."),
]


def seed_review_demo(
    *, project: Project, users: dict[str, Any], log: Any = print
) -> ReviewSession | None:
    with tenant_scope(project.organization_id, user_id=users["producer"].pk):
        existing = ReviewSession.objects.filter(
            project=project, title="Ember Falls dailies"
        ).first()
        if existing is not None:
            return existing
        # The newest reviewable version of the first three shots that have one.
        versions: list[Version] = []
        for version in (
            Version.objects.filter(
                project=project, status="in_review", media_files__frame_count__gt=30
            )
            .distinct()
            .order_by("shot__code", "-number")
        ):
            if all(v.shot_id != version.shot_id for v in versions):
                versions.append(version)
        versions = versions[:3]
        if not versions:
            log("  no reviewable version: demo review session skipped")
            return None
        # Each author acts through their own membership of the partner.
        members = {m.user_id: m for m in members_of_current_organization()}
        session = session_create(
            actor=members[users["producer"].pk],
            project=project,
            title="Ember Falls dailies",
            version_ids=[v.pk for v in versions],
            # Only people who may see the project can be invited: the studio's reviewer
            # (the project is shared), never the beta admin.
            participant_ids=[users["reviewer"].pk] if users.get("reviewer") else [],
        )
        for position, author, frame, text in DEMO_NOTES:
            version = versions[min(position, len(versions) - 1)]
            note_create(
                actor=members[users[author].pk],
                version=version,
                frame_in=frame,
                text=text,
                session=session,
            )
        log(f"  review session '{session.title}' with {len(DEMO_NOTES)} notes")
        return session
