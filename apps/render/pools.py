"""Pools: worker slots, device kind and price per GPU-second, paused or drained; and each
partner's entitlement on a pool (share weight and hard cap) that the dispatcher honours."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction

from apps.audit.services import audit_record
from apps.core.errors import Conflict, ValidationFailed
from apps.render.models import DeviceKind, Pool, PoolEntitlement, PoolState
from apps.render.scheduler import dispatch_after_commit
from apps.tenancy.models import Organization
from apps.tenancy.scope import tenant_scope

CENT = Decimal("0.0001")


def money(value: Decimal | float) -> Decimal:
    """Costs and prices are kept to four decimal places."""
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def gpu_cost(pool: Pool, gpu_seconds: Decimal | float) -> Decimal:
    return money(Decimal(str(gpu_seconds)) * pool.price_per_gpu_second)


def pool_create(
    *,
    actor: Any | None,
    name: str,
    device_kind: str = DeviceKind.CPU,
    capacity: int = 1,
    price_per_gpu_second: Decimal | str = "0.001",
    description: str = "",
) -> Pool:
    if device_kind not in DeviceKind.values:
        raise ValidationFailed(f"Unknown device kind {device_kind!r}.", field="device_kind")
    if capacity < 1:
        raise ValidationFailed("A pool needs at least one worker slot.", field="capacity")
    price = Decimal(str(price_per_gpu_second))
    if price < 0:
        raise ValidationFailed("The price cannot be negative.", field="price_per_gpu_second")
    with transaction.atomic():
        if Pool.objects.filter(name=name).exists():
            raise Conflict(f"A pool named {name!r} already exists.", field="name")
        pool = Pool.objects.create(
            name=name,
            device_kind=device_kind,
            capacity=capacity,
            price_per_gpu_second=price,
            description=description,
        )
        audit_record(
            action="render.pool.create",
            actor=actor,
            target=pool,
            changes={"capacity": capacity, "price": str(price), "device": device_kind},
        )
    return pool


def pool_update(
    *,
    actor: Any | None,
    pool: Pool,
    state: str | None = None,
    capacity: int | None = None,
    price_per_gpu_second: Decimal | str | None = None,
) -> Pool:
    """Pause (jobs wait), drain (no new work, running jobs finish), resume, resize."""
    changes: dict[str, Any] = {}
    with transaction.atomic():
        pool = Pool.objects.select_for_update(no_key=True).get(pk=pool.pk)
        if state is not None:
            if state not in PoolState.values:
                raise ValidationFailed(f"Unknown pool state {state!r}.", field="state")
            changes["state"] = [pool.state, state]
            pool.state = state
        if capacity is not None:
            if capacity < 1:
                raise ValidationFailed("A pool needs at least one worker slot.", field="capacity")
            changes["capacity"] = [pool.capacity, capacity]
            pool.capacity = capacity
        if price_per_gpu_second is not None:
            changes["price"] = [str(pool.price_per_gpu_second), str(price_per_gpu_second)]
            pool.price_per_gpu_second = Decimal(str(price_per_gpu_second))
        pool.save()
        audit_record(action="render.pool.update", actor=actor, target=pool, changes=changes)
    if pool.state == PoolState.ACTIVE:
        dispatch_after_commit(pool.pk)
    return pool


def entitlement_set(
    *,
    actor: Any | None,
    pool: Pool,
    organization: Organization,
    share: Decimal | float | str,
    hard_cap: int | None = None,
) -> PoolEntitlement:
    share_value = Decimal(str(share))
    if share_value <= 0:
        raise ValidationFailed("A share must be positive.", field="share")
    if hard_cap is not None and hard_cap < 0:
        raise ValidationFailed("A hard cap cannot be negative.", field="hard_cap")
    with tenant_scope(organization.pk), transaction.atomic():
        entitlement, _ = PoolEntitlement.objects.update_or_create(
            pool=pool,
            organization=organization,
            defaults={"share": share_value, "hard_cap": hard_cap},
        )
        audit_record(
            action="render.entitlement.set",
            actor=actor,
            organization_id=organization.pk,
            target=entitlement,
            changes={"pool": pool.name, "share": str(share_value), "hard_cap": hard_cap},
        )
    return entitlement
