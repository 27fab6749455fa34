"""Feature gates: cohorts of partners and the switches of a feature per cohort or per
partner (the registry of features is `apps.beta.features`; reads are in selectors)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from apps.audit.services import audit_record
from apps.beta.features import FEATURES
from apps.beta.models import Cohort, FeatureFlag
from apps.core.errors import Conflict, ValidationFailed
from apps.tenancy.models import Organization


def cohort_create(*, name: str, description: str = "", actor: Any) -> Cohort:
    name = name.strip()
    if not name:
        raise ValidationFailed("A cohort needs a name.", field="name")
    with transaction.atomic():
        if Cohort.objects.filter(name__iexact=name).exists():
            raise Conflict(f"A cohort named {name!r} already exists.", field="name")
        cohort = Cohort.objects.create(name=name[:100], description=description)
        audit_record(action="beta.cohort.create", actor=actor, target=cohort)
    return cohort


def feature_set(
    *,
    key: str,
    enabled: bool | None,
    actor: Any,
    cohort: Cohort | None = None,
    organization: Organization | None = None,
) -> FeatureFlag | None:
    """Switch a feature on/off for a cohort or one partner; None goes back to inheriting."""
    if key not in FEATURES:
        raise ValidationFailed(f"Unknown feature {key!r}.", field="key")
    if (cohort is None) == (organization is None):
        raise ValidationFailed("Choose either a cohort or a partner.")
    target: dict[str, Any] = {"cohort": cohort} if cohort is not None else {"partner": organization}
    with transaction.atomic():
        flag = FeatureFlag.objects.select_for_update().filter(key=key, **target).first()
        before = flag.enabled if flag else None
        if enabled is None:
            if flag is not None:
                flag.delete()
            flag = None
        elif flag is None:
            flag = FeatureFlag.objects.create(key=key, enabled=enabled, **target)
        else:
            flag.enabled = enabled
            flag.save(update_fields=["enabled", "updated_at"])
        if before != enabled:
            audit_record(
                action="beta.feature.set",
                actor=actor,
                organization_id=organization.pk if organization else None,
                changes={
                    "key": key,
                    "target": str(cohort or organization),
                    "enabled": [before, enabled],
                },
            )
    return flag
