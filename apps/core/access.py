"""Socket access: control groups, access epochs and the rules every socket obeys.

Every websocket joins control groups besides its event groups: its user (`user.<id>`), the
login session it authenticated with, the organization it acts through and the project it
follows. A change of access calls `access_changed(...)`: after commit it first bumps the
*access epoch* of each user, organization and project concerned, then sends to their
control groups either a close (`access.revoked`: the socket closes whatever it is) or a
re-check (`access.check`: the socket asks the database again and closes if access is
gone, e.g. the studio's sockets on a project whose share was revoked, but not the
partner's own).

A socket also compares, before it sends each event, the epochs it saw at its last full
check with the current ones (one cache read). When one moved it checks access in the
database again before sending, so an event is never sent past a change even when a
control message was lost. A missing epoch (cache flushed) counts as moved: it fails
towards a re-check, never towards access. Tickets carry `access_stamp(...)` and are
refused once any epoch in it moved.

Rules that depend on higher floors (beta suspension and agreements, staff two-factor)
are registered with `register_access_rule` from those apps' `ready()`; consumers ask
`rule_refusal(user, organization_id)` on connect and on every full check.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable, Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

# (user or None for a guest, organization id or None) -> why access is refused, or None
AccessRule = Callable[[Any, "int | None"], "str | None"]
_RULES: dict[str, AccessRule] = {}


def register_access_rule(name: str, rule: AccessRule) -> None:
    _RULES[name] = rule


def rule_refusal(user: Any, organization_id: int | None) -> str | None:
    """The first registered rule's reason to refuse `user` acting through the organization."""
    for rule in _RULES.values():
        reason = rule(user, organization_id)
        if reason:
            return reason
    return None


# Groups -----------------------------------------------------------------------------------


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def organization_control_group(organization_id: int) -> str:
    return f"access.org.{organization_id}"


def project_control_group(project_id: int) -> str:
    return f"access.project.{project_id}"


def login_group(session_key: str) -> str:
    """The sockets opened with one login session (hashed: keys never leave the server)."""
    return "access.login." + hashlib.sha256(session_key.encode()).hexdigest()[:40]


# Epochs -----------------------------------------------------------------------------------


def epoch_key(kind: str, object_id: int) -> str:
    return f"access:epoch:{kind}:{object_id}"


def epoch_keys(
    *, user_id: int | None = None, organization_id: int | None = None, project_id: int | None = None
) -> list[str]:
    keys = [] if user_id is None else [epoch_key("user", user_id)]
    if organization_id is not None:
        keys.append(epoch_key("org", organization_id))
    if project_id is not None:
        keys.append(epoch_key("project", project_id))
    return keys


def current_epochs(keys: list[str]) -> dict[str, str]:
    """The current epoch of each key; a key never set (or flushed) gets a new epoch."""
    found = cache.get_many(keys)
    missing = [key for key in keys if key not in found]
    for key in missing:
        cache.add(key, secrets.token_hex(8), timeout=None)
    if missing:
        found.update(cache.get_many(missing))
    return {key: str(found.get(key, "")) for key in keys}


def bump_epochs(keys: Iterable[str]) -> None:
    cache.set_many({key: secrets.token_hex(8) for key in keys}, timeout=None)


def access_stamp(
    *, user_id: int, organization_id: int | None = None, project_id: int | None = None
) -> str:
    """A digest of the current epochs of a user (and organization, project): put it in a
    ticket and compare on use; it changes with any access change of any of them."""
    keys = epoch_keys(user_id=user_id, organization_id=organization_id, project_id=project_id)
    epochs = current_epochs(keys)
    return hashlib.sha256("|".join(f"{k}={epochs[k]}" for k in keys).encode()).hexdigest()[:24]


# Changes ----------------------------------------------------------------------------------


def access_changed(
    *,
    reason: str,
    close: bool = False,
    user_ids: Iterable[int] = (),
    organization_ids: Iterable[int] = (),
    project_ids: Iterable[int] = (),
    session_keys: Iterable[str] = (),
) -> None:
    """After the current commit: bump the epochs, then close (`close=True`) or re-check
    every socket of the users, organizations, projects and login sessions named."""
    users, organizations, projects = list(user_ids), list(organization_ids), list(project_ids)
    logins = [key for key in session_keys if key]
    keys = [epoch_key("user", u) for u in users]
    keys += [epoch_key("org", o) for o in organizations]
    keys += [epoch_key("project", p) for p in projects]
    groups = [user_group(u) for u in users]
    groups += [organization_control_group(o) for o in organizations]
    groups += [project_control_group(p) for p in projects]
    groups += [login_group(key) for key in logins]
    message = {"type": "access.revoked" if close else "access.check", "reason": reason}

    def send() -> None:
        try:
            if keys:
                bump_epochs(keys)
        except Exception:  # the control messages below still close what they reach
            logger.exception("could not bump access epochs %s", keys)
        layer = get_channel_layer()
        if layer is None:
            return
        for group in groups:
            try:
                async_to_sync(layer.group_send)(group, message)
            except Exception:  # sockets still re-check on their next send (epochs moved)
                logger.exception("could not send %s to %s", message["type"], group)

    transaction.on_commit(send)
