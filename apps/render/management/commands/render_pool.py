"""Create or change a render pool: `manage.py render_pool gpu-a100 --device cuda --capacity 4
--price 0.0009`, `--state paused|draining|active`, `--entitle <org slug>=<share>[:cap]`."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from apps.render import pools
from apps.render.models import Pool
from apps.tenancy.models import Organization


class Command(BaseCommand):
    help = "Create or update a render pool and its entitlements."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("name")
        parser.add_argument("--device", choices=["cpu", "cuda"], default=None)
        parser.add_argument("--capacity", type=int, default=None)
        parser.add_argument("--price", type=Decimal, default=None)
        parser.add_argument("--state", choices=["active", "paused", "draining"], default=None)
        parser.add_argument("--entitle", action="append", default=[])

    def handle(self, *args: Any, **options: Any) -> None:
        pool = Pool.objects.filter(name=options["name"]).first()
        if pool is None:
            pool = pools.pool_create(
                actor=None,
                name=options["name"],
                device_kind=options["device"] or "cpu",
                capacity=options["capacity"] or 1,
                price_per_gpu_second=options["price"] or Decimal("0.001"),
            )
        else:
            pool = pools.pool_update(
                actor=None,
                pool=pool,
                capacity=options["capacity"],
                price_per_gpu_second=options["price"],
            )
        if options["state"]:
            pool = pools.pool_update(actor=None, pool=pool, state=options["state"])
        for item in options["entitle"]:
            slug, _, rest = item.partition("=")
            share, _, cap = rest.partition(":")
            organization = Organization.objects.filter(slug=slug).first()
            if organization is None or not share:
                raise CommandError(f"--entitle wants <org slug>=<share>[:cap], got {item!r}")
            pools.entitlement_set(
                actor=None,
                pool=pool,
                organization=organization,
                share=share,
                hard_cap=int(cap) if cap else None,
            )
        self.stdout.write(
            f"{pool.name}: {pool.device_kind}, {pool.capacity} slot(s),"
            f" {pool.price_per_gpu_second}/GPU-s, {pool.state}"
        )
