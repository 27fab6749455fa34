"""Presence as a heartbeat: every room socket refreshes its row
(settings.REVIEW_PRESENCE_HEARTBEAT_SECONDS); a row not refreshed for
settings.REVIEW_PRESENCE_TTL_SECONDS is a dead connection (a killed server process, a
client that stopped reading, a disconnect that never ran) and is swept by any live socket
of the room, with the `presence.left` event everybody else sees.

Joining and leaving cleanly are `sessions.presence_join` / `sessions.presence_leave`.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from apps.review.events import event_append
from apps.review.models import Presence, ReviewSession
from apps.review.serializers import presence_cutoff, presence_data, user_data


def presence_touch(*, channel_name: str) -> bool:
    """Refresh one socket's row; False when it is gone (swept while this process was
    stalled): the socket then joins again."""
    return bool(Presence.objects.filter(channel_name=channel_name).update(last_seen=timezone.now()))


def presence_sweep(*, session_id: int) -> int:
    """Drop the session's stale rows; one `presence.left` per person who left with them.
    Returns the number of rows dropped."""
    cutoff = presence_cutoff()
    if not Presence.objects.filter(session_id=session_id, last_seen__lt=cutoff).exists():
        return 0
    with transaction.atomic():
        # The session lock orders concurrent sweeps of several sockets: one wins.
        session = ReviewSession.objects.select_for_update().get(pk=session_id)
        stale = list(
            Presence.objects.filter(session=session, last_seen__lt=cutoff).select_related("user")
        )
        if not stale:
            return 0
        Presence.objects.filter(pk__in=[row.pk for row in stale]).delete()
        for user in {row.user_id: row.user for row in stale}.values():
            event_append(
                session_id=session.pk,
                type="presence.left",
                user=user,
                payload={"user": user_data(user), "presence": presence_data(session)},
            )
    return len(stale)
