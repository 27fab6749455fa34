"""Privileged database contexts that the application role cannot switch on by itself.

Two readers see more than one organization: the staff audit reader (every entry) and the
render dispatcher (every partner's pool entitlements). Their policies do not trust a plain
setting, which any statement running as the application role could set (an injection, a
raw query): the setting must hold a keyed hash of its purpose and of the current
transaction id. `backlot_context_allows(purpose)` (SECURITY DEFINER, see `rls.py`) checks
it against a key stored where the application role cannot read it; the platform derives
the same key from SECRET_KEY, and `migrate` writes it for the database."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connection, transaction

PURPOSES = frozenset({"audit_scope", "render_scheduler"})


def context_key() -> str:
    """The key shared by the platform and the database (rotates with SECRET_KEY; the next
    `migrate` writes the new one)."""
    return hmac.new(
        settings.SECRET_KEY.encode(), b"backlot.rls.context-key", hashlib.sha256
    ).hexdigest()


def context_token(purpose: str, transaction_id: int) -> str:
    message = f"{context_key()}:{purpose}:{transaction_id}"
    return hashlib.sha256(message.encode()).hexdigest()


@contextmanager
def privileged_context(purpose: str) -> Iterator[None]:
    """Switches on `purpose` for the enclosed statements of this transaction only. The
    caller must already have checked who may (e.g. the beta-admin role)."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown privileged context {purpose!r}")
    name = f"backlot.{purpose}"
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT txid_current()")
            (transaction_id,) = cursor.fetchone()
            cursor.execute(
                "SELECT set_config(%s, %s, true)",
                [name, context_token(purpose, int(transaction_id))],
            )
        try:
            yield
        finally:
            if not connection.needs_rollback:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT set_config(%s, '', true)", [name])
