"""`membership|may_share_guest_links:target`: whether to offer "Share with a guest" on a
version or session page (the partner that owns it, with the capability)."""

from __future__ import annotations

from typing import Any

from django import template

from apps.tenancy.policy import Capability, can

register = template.Library()


@register.filter
def may_share_guest_links(membership: Any, target: Any) -> bool:
    if membership is None or target is None:
        return False
    return bool(
        can(membership, Capability.REVIEW_SHARE_GUEST_LINK)
        and getattr(target, "organization_id", None) == membership.organization_id
    )
