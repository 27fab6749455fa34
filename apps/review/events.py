"""The numbered event log of a review session, and its live broadcast.

Each state change takes the session row lock, gets the next per-session sequence number,
is stored as a ReviewEvent and is sent to the room's group only after the transaction
commits: nothing is ever shown that is not in PostgreSQL, and a client that missed a
broadcast replays the log from its last sequence number.
"""

from __future__ import annotations

from typing import Any

from django.db import connection

from apps.core.events import send_group_event_after_commit, send_project_event
from apps.review.models import ReviewEvent, ReviewSession
from apps.review.selectors import open_sessions_showing
from apps.review.serializers import user_data
from apps.tenancy.scope import require_scope

# The consumer's handler for group messages (ReviewConsumer.review_event).
REVIEW_MESSAGE_TYPE = "review.event"


def review_group(session_id: int) -> str:
    return f"review.{session_id}"


def event_data(event: ReviewEvent) -> dict[str, Any]:
    """An event as clients receive it, live or replayed."""
    return {
        **event.payload,
        "type": event.type,
        "seq": event.seq,
        "session": event.session_id,
        "actor": event.payload.get("actor"),
        "at": event.created_at.isoformat(),
    }


def event_append(
    *, session_id: int, type: str, user: Any | None, payload: dict[str, Any]
) -> tuple[ReviewSession, ReviewEvent]:
    """Lock the session, take the next sequence number, store the event, broadcast it
    after commit. Must run inside the caller's transaction. `user` is the acting user."""
    require_scope()
    # One round trip takes the row lock and the next number (row-level security limits
    # the UPDATE to the scope's sessions, as the manager would).
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {ReviewSession._meta.db_table} SET last_seq = last_seq + 1"  # noqa: S608 - table name from the model
            " WHERE id = %s RETURNING id, organization_id, project_id, last_seq",
            [session_id],
        )
        row = cursor.fetchone()
    if row is None:
        raise ReviewSession.DoesNotExist("No such review session in this scope.")
    # The other fields load on first use.
    session = ReviewSession.from_db(
        connection.alias, ["id", "organization_id", "project_id", "last_seq"], row
    )
    body = {**payload, "actor": user_data(user) if user is not None else None}
    event = ReviewEvent.objects.create(
        organization_id=session.organization_id,
        project_id=session.project_id,
        session=session,
        seq=session.last_seq,
        type=type,
        actor=user,
        payload=body,
    )
    send_group_event_after_commit(review_group(session.pk), REVIEW_MESSAGE_TYPE, event_data(event))
    return session, event


def event_append_to_sessions_showing(
    *, version: Any, session: ReviewSession | None, type: str, user: Any, payload: dict[str, Any]
) -> None:
    """A change to a version's notes or decisions reaches every open room that shows the
    version (and the room it was made in), each with its own sequence number, and every
    page following the version's project (the version page), after commit."""
    for session_id in open_sessions_showing(version, session):
        event_append(session_id=session_id, type=type, user=user, payload=payload)
    send_project_event(
        version.project_id,
        {
            **payload,
            "type": type,
            "version": version.pk,
            "session": session.pk if session is not None else None,
            "actor": user_data(user) if user is not None else None,
        },
    )
