"""Who may do what: one table of named capabilities, read by viewsets, consumers and services.

A capability names a user action (`review.decide`), never a screen or a route, so the same
check guards the REST API, the websocket room and the page. Services receive the actor's
membership and ask `require(actor, Capability.X)`; no caller passes a role string in.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from apps.core.errors import Forbidden
from apps.tenancy.models import Role


class Capability(StrEnum):
    # Reading what an organization can see (its own projects and projects shared with it).
    ORGANIZATION_READ = "organization.read"
    ORGANIZATION_MANAGE = "organization.manage"  # members, seats, shares
    PRODUCTION_WRITE = "production.write"  # projects, sequences, shots, characters
    MEDIA_UPLOAD = "media.upload"
    RENDER_SUBMIT = "render.submit"
    REVIEW_CONTRIBUTE = "review.contribute"  # notes, replies, drawings, session tools
    REVIEW_NOTE = "review.note"
    REVIEW_DECIDE = "review.decide"
    REVIEW_RUN_SESSION = "review.run_session"  # create, present, end sessions
    REVIEW_SHARE_GUEST_LINK = "review.share_guest_link"  # links for people without an account
    AUDIT_READ = "audit.read"
    BETA_ACCOUNT = "beta.account"  # the partner's invitations, agreements, quota
    FEEDBACK_SEND = "feedback.send"
    FEEDBACK_READ = "feedback.read"
    ASSIST_USE = "assist.use"
    ASSIST_CONFIGURE = "assist.configure"  # the project's AI policy


_EVERYONE = frozenset(Role)
_OWNER = frozenset({Role.OWNER})
_PARTNER_LEADS = frozenset({Role.OWNER, Role.PRODUCER})
_MAKERS = frozenset({Role.OWNER, Role.PRODUCER, Role.ARTIST})
_NOT_VIEWERS = frozenset(_EVERYONE - {Role.VIEWER})

POLICY: dict[Capability, frozenset[Role]] = {
    Capability.ORGANIZATION_READ: _EVERYONE,
    Capability.ORGANIZATION_MANAGE: _OWNER,
    Capability.PRODUCTION_WRITE: _PARTNER_LEADS,
    Capability.MEDIA_UPLOAD: _MAKERS,
    Capability.RENDER_SUBMIT: _MAKERS,
    Capability.REVIEW_CONTRIBUTE: _NOT_VIEWERS,
    Capability.REVIEW_NOTE: _NOT_VIEWERS,
    Capability.REVIEW_DECIDE: frozenset({Role.OWNER, Role.PRODUCER, Role.REVIEWER}),
    Capability.REVIEW_RUN_SESSION: frozenset({Role.OWNER, Role.PRODUCER, Role.REVIEWER}),
    Capability.REVIEW_SHARE_GUEST_LINK: _PARTNER_LEADS,
    Capability.AUDIT_READ: frozenset({Role.OWNER, Role.BETA_ADMIN}),
    Capability.BETA_ACCOUNT: _OWNER,
    Capability.FEEDBACK_SEND: _EVERYONE,
    Capability.FEEDBACK_READ: _PARTNER_LEADS,
    Capability.ASSIST_USE: _NOT_VIEWERS,
    Capability.ASSIST_CONFIGURE: _OWNER,
}

# What the refusal says, after "Your role (...) cannot ...".
_WHAT: dict[Capability, str] = {
    Capability.ORGANIZATION_READ: "see this organization",
    Capability.ORGANIZATION_MANAGE: "manage this organization's team",
    Capability.PRODUCTION_WRITE: "change projects, sequences or shots",
    Capability.MEDIA_UPLOAD: "upload media",
    Capability.RENDER_SUBMIT: "launch or cancel render jobs",
    Capability.REVIEW_CONTRIBUTE: "take part in review",
    Capability.REVIEW_NOTE: "write notes",
    Capability.REVIEW_DECIDE: "approve or request changes",
    Capability.REVIEW_RUN_SESSION: "run review sessions",
    Capability.REVIEW_SHARE_GUEST_LINK: "share review links with guests",
    Capability.AUDIT_READ: "read the audit log",
    Capability.BETA_ACCOUNT: "manage the beta account",
    Capability.FEEDBACK_SEND: "send feedback",
    Capability.FEEDBACK_READ: "read feedback",
    Capability.ASSIST_USE: "use the assistant",
    Capability.ASSIST_CONFIGURE: "change the project's AI policy",
}


def role_can(role: str, capability: Capability) -> bool:
    return role in POLICY[capability]


def can(actor: Any, capability: Capability) -> bool:
    """`actor` is a Membership (anything with a `role`); no membership means no capability."""
    role = getattr(actor, "role", None)
    return role is not None and role_can(role, capability)


def require(actor: Any, capability: Capability) -> None:
    """Raises Forbidden, naming the role and the action, unless the actor may do it."""
    if can(actor, capability):
        return
    role = getattr(actor, "role", None)
    label = Role(role).label if role in Role.values else "none"
    raise Forbidden(f"Your role ({label}) cannot {_WHAT[capability]}.")


def roles_with(capability: Capability) -> frozenset[Role]:
    return POLICY[capability]
