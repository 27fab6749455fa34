"""Versioned agreements (the beta NDA): publishing a version, which everyone must accept
before their next request, and recording an acceptance of the exact text read."""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import transaction

from apps.accounts.models import User
from apps.audit.services import audit_record
from apps.beta.models import Agreement, AgreementAcceptance, AgreementVersion
from apps.beta.selectors import current_agreement_versions
from apps.core.access import access_changed
from apps.core.errors import Conflict, ValidationFailed
from apps.tenancy.selectors import memberships_of_user


def content_hash(body: str) -> str:
    normalized = "\n".join(line.rstrip() for line in body.strip().replace("\r\n", "\n").split("\n"))
    return hashlib.sha256(normalized.encode()).hexdigest()


def agreement_publish(
    *, key: str, title: str, body: str, actor: Any, required: bool = True
) -> AgreementVersion:
    """Publish a new version; everyone must accept it before their next request."""
    key, title = key.strip().lower(), title.strip()
    if not key or not title or not body.strip():
        raise ValidationFailed("An agreement needs a key, a title and a text.")
    with transaction.atomic():
        agreement, _ = Agreement.objects.select_for_update().get_or_create(
            key=key[:40], defaults={"title": title[:200], "required": required}
        )
        if agreement.title != title or agreement.required != required:
            agreement.title, agreement.required = title[:200], required
            agreement.save(update_fields=["title", "required"])
        latest = agreement.versions.order_by("-number").first()
        digest = content_hash(body)
        if latest is not None and latest.content_hash == digest:
            raise Conflict("This text is identical to the current version.", field="body")
        version = AgreementVersion.objects.create(
            agreement=agreement,
            number=(latest.number + 1) if latest else 1,
            body=body.strip(),
            content_hash=digest,
            published_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        audit_record(
            action="agreement.publish",
            actor=actor,
            target=version,
            changes={"key": agreement.key, "version": version.number, "hash": digest},
        )
        if required:
            reason = (
                f"{agreement.title} version {version.number} was published: accept it to continue."
            )
            # One batch: the epochs of everyone move in one write, then each socket closes.
            access_changed(
                user_ids=User.objects.filter(is_active=True).values_list("pk", flat=True),
                reason=reason,
                close=True,
            )
    return version


def agreement_accept(
    *,
    user: Any,
    version: AgreementVersion,
    content_hash_seen: str,
    ip_address: str | None,
    user_agent: str,
) -> AgreementAcceptance:
    current = {v.pk for v in current_agreement_versions()}
    if version.pk not in current:
        raise Conflict("A newer version of this agreement exists; reload the page to read it.")
    if content_hash_seen != version.content_hash:
        raise Conflict("The agreement text changed while you were reading it; please reload.")
    memberships = memberships_of_user(user)
    organization_id = memberships[0].organization_id if memberships else None
    with transaction.atomic():
        existing = AgreementAcceptance.objects.filter(user_id=user.pk, version=version).first()
        if existing is not None:
            return existing
        acceptance = AgreementAcceptance.objects.create(
            user_id=user.pk,
            partner_id=organization_id,
            version=version,
            content_hash=version.content_hash,
            ip_address=ip_address,
            user_agent=user_agent[:512],
        )
        audit_record(
            action="agreement.accept",
            actor=user,
            organization_id=organization_id,
            target=acceptance,
            changes={"version": version.number, "hash": version.content_hash},
        )
    return acceptance
