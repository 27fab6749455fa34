"""A per-tenant cache of shot reads (the API's hottest single-object read).

Keys name the organization the reader acts for (`prod:shot:<org>:<shot id>`), so one
partner's entry is never looked up for another. Each entry also records the generation
of the shot it was read at; every write of a shot (any save or delete, through the model
signals connected in `apps.production.apps`) moves the shot's generation after commit, so
the next read misses and goes to PostgreSQL. Reader and generation come in one cache
round trip. The generation is read *before* the database, so a read racing a write can
only store an entry that is already stale, never serve one.

On a hit the entry is still checked against the reader's live scope: the row must belong
to the reader's organization or to a project shared with it right now (shares are read
from PostgreSQL with every scope), so a revoked share ends access at once.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db import transaction

from apps.tenancy.scope import require_scope

logger = logging.getLogger(__name__)

TTL_SECONDS = 300
GENERATION_TTL_SECONDS = 3600


def _generation_key(shot_id: int) -> str:
    return f"prod:shotgen:{shot_id}"


def _entry_key(organization_id: int, shot_id: int) -> str:
    return f"prod:shot:{organization_id}:{shot_id}"


def cached_shot_read(
    project_id: int, shot_id: int, read: Callable[[], tuple[int, int, dict[str, Any]] | None]
) -> dict[str, Any] | None:
    """The data of the shot `shot_id` of project `project_id` for the current scope, or
    None. `read()` returns (organization id, project id, data) from PostgreSQL, or None
    when the shot is not visible there."""
    scope = require_scope()
    generation_key, entry_key = _generation_key(shot_id), _entry_key(scope.organization_id, shot_id)
    try:
        found = cache.get_many([generation_key, entry_key])
    except Exception:  # the cache is an accelerator: PostgreSQL answers without it
        logger.warning("shot cache unavailable", exc_info=True)
        row = read()
        return row[2] if row else None
    generation = found.get(generation_key)
    entry = found.get(entry_key)
    if (
        generation is not None
        and isinstance(entry, tuple)
        and entry[0] == generation
        and entry[2] == project_id
        and (entry[1] == scope.organization_id or entry[2] in scope.shared_project_ids)
    ):
        return dict(entry[3])
    row = read()
    if row is None:
        return None
    try:
        if generation is None:
            # First read (or an evicted generation): start one, cache from the next read.
            cache.add(generation_key, uuid.uuid4().hex, GENERATION_TTL_SECONDS)
        else:
            cache.set(entry_key, (generation, row[0], row[1], row[2]), TTL_SECONDS)
    except Exception:
        logger.warning("shot cache unavailable", exc_info=True)
    return row[2]


def forget_shot(shot_id: int) -> None:
    """After the current transaction commits, no cached read of the shot is served."""

    def bump() -> None:
        try:
            cache.set(_generation_key(shot_id), uuid.uuid4().hex, GENERATION_TTL_SECONDS)
        except Exception:
            # An unreachable cache serves nothing; one that comes back might serve the
            # old entry until it expires (TTL_SECONDS): say so loudly.
            logger.error("could not invalidate cached shot %s", shot_id, exc_info=True)

    transaction.on_commit(bump)
