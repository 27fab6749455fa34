"""Cost estimates calibrated from finished jobs, and the units budgets are shown in.

The work of a job is the megapixels x frames of its main input (the first input role the
operation declares; the project's resolution and the shot's length when there is none).
An estimate is GPU-seconds per megapixel-frame x work x the pool's price, where the rate
is the median of the last `HISTORY_JOBS` succeeded jobs of the same operation on the same
kind of device (the partner's own jobs: history is tenant-scoped like everything else),
and falls back to the operation's declared `gpu_seconds_per_frame`, which is per 1080p
frame, scaled by resolution.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from apps.media.models import MediaFile
from apps.production.models import Project, Shot
from apps.render.models import Job, JobState, Pool
from apps.render.pools import gpu_cost, money
from gpu_workers.registry import Operation

HISTORY_JOBS = 20
REFERENCE_MEGAPIXELS = 1920 * 1080 / 1_000_000  # declared rates are per 1080p frame
CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥"}


def format_money(amount: Decimal | float | None, currency: str) -> str:
    """ "€41.20", "$0.0240" (four decimals below one cent), "CHF 12.00"."""
    if amount is None:
        return "—"
    value = Decimal(str(amount))
    places = Decimal("0.01") if abs(value) >= Decimal("0.01") or value == 0 else Decimal("0.0001")
    text = f"{value.quantize(places):,}"
    symbol = CURRENCY_SYMBOLS.get(currency.upper())
    return f"{symbol}{text}" if symbol else f"{currency.upper()} {text}"


def format_gpu_hours(gpu_seconds: float | None) -> str:
    """GPU time in the unit a producer reads: "12.5 GPU-h", "3.2 GPU-min", "0.40 GPU-s"."""
    if gpu_seconds is None:
        return "—"
    if gpu_seconds >= 3600:
        return f"{gpu_seconds / 3600:,.1f} GPU-h"
    if gpu_seconds >= 60:
        return f"{gpu_seconds / 60:.1f} GPU-min"
    return f"{gpu_seconds:.2f} GPU-s"


def money_as_gpu_seconds(amount: Decimal, price_per_gpu_second: Decimal) -> float | None:
    if price_per_gpu_second <= 0:
        return None
    return float(amount / price_per_gpu_second)


@dataclass(frozen=True)
class Work:
    width: int
    height: int
    frames: int

    @property
    def megapixel_frames(self) -> float:
        return self.width * self.height / 1_000_000 * self.frames


@dataclass(frozen=True)
class Estimate:
    operation: str
    gpu_seconds: float
    cost: Decimal
    currency: str
    price_per_gpu_second: Decimal
    work: Work
    seconds_per_megapixel_frame: float
    basis: str  # "history" or "declared"
    samples: int

    @property
    def display(self) -> str:
        return f"{format_gpu_hours(self.gpu_seconds)} · {format_money(self.cost, self.currency)}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "gpu_seconds": round(self.gpu_seconds, 3),
            "cost": str(self.cost),
            "currency": self.currency,
            "price_per_gpu_second": str(self.price_per_gpu_second),
            "width": self.work.width,
            "height": self.work.height,
            "frames": self.work.frames,
            "megapixel_frames": round(self.work.megapixel_frames, 3),
            "seconds_per_megapixel_frame": round(self.seconds_per_megapixel_frame, 6),
            "basis": self.basis,
            "samples": self.samples,
            "display": self.display,
        }


def job_work(*, operation: Operation, project: Project, shot: Shot, inputs: dict[str, Any]) -> Work:
    """`inputs`: role -> media id, or role -> {"media_file_id": ...} as resolved at submit."""
    media = None
    for role in (*operation.input_roles, *inputs):
        if role in inputs:
            value = inputs[role]
            media_id = str(value.get("media_file_id") if isinstance(value, dict) else value)
            if media_id.isdigit():
                media = MediaFile.objects.filter(pk=int(media_id), project=project).first()
            break
    width = (media.width if media else None) or project.width
    height = (media.height if media else None) or project.height
    frames = (media.frame_count if media else None) or shot.frame_count
    return Work(width=width, height=height, frames=max(1, frames))


def calibrated_rate(*, operation: str, device_kind: str) -> tuple[float | None, int]:
    """Median GPU-seconds per megapixel-frame of the last succeeded jobs, and how many."""
    jobs = (
        Job.objects.filter(
            operation=operation,
            state=JobState.SUCCEEDED,
            pool__device_kind=device_kind,
            gpu_seconds__isnull=False,
            work_megapixel_frames__gt=0,
        )
        .order_by("-finished_at", "-pk")
        .values_list("gpu_seconds", "work_megapixel_frames")[:HISTORY_JOBS]
    )
    rates = [seconds / work for seconds, work in jobs if seconds is not None and work]
    if not rates:
        return None, 0
    return statistics.median(rates), len(rates)


def estimate_job(
    *,
    operation: Operation,
    project: Project,
    shot: Shot,
    pool: Pool,
    inputs: dict[str, Any] | None = None,
) -> Estimate:
    work = job_work(operation=operation, project=project, shot=shot, inputs=inputs or {})
    rate, samples = calibrated_rate(operation=operation.name, device_kind=pool.device_kind)
    basis = "history"
    if rate is None:
        rate, basis = operation.gpu_seconds_per_frame / REFERENCE_MEGAPIXELS, "declared"
    gpu_seconds = rate * work.megapixel_frames
    return Estimate(
        operation=operation.name,
        gpu_seconds=gpu_seconds,
        cost=gpu_cost(pool, gpu_seconds),
        currency=project.currency,
        price_per_gpu_second=pool.price_per_gpu_second,
        work=work,
        seconds_per_megapixel_frame=rate,
        basis=basis,
        samples=samples,
    )


def estimate_vs_actual(job: Job, *, currency: str) -> dict[str, Any]:
    """What the job page shows: the estimate made at submission against the actual run."""
    price = job.pool.price_per_gpu_second
    estimated_seconds = job.estimated_gpu_seconds
    if estimated_seconds is None:  # jobs from before calibrated estimates
        estimated_seconds = money_as_gpu_seconds(job.estimated_cost, price)
    actual_seconds = job.gpu_seconds if job.state == JobState.SUCCEEDED else None
    error = None
    if actual_seconds and estimated_seconds is not None:
        error = (estimated_seconds - actual_seconds) / actual_seconds * 100
    return {
        "estimated_gpu_seconds": estimated_seconds,
        "estimated_cost": job.estimated_cost,
        "estimated_display": (
            f"{format_gpu_hours(estimated_seconds)} · {format_money(job.estimated_cost, currency)}"
        ),
        "actual_gpu_seconds": actual_seconds,
        "actual_cost": job.cost if actual_seconds is not None else None,
        "actual_display": (
            f"{format_gpu_hours(actual_seconds)} · {format_money(job.cost, currency)}"
            if actual_seconds is not None
            else None
        ),
        "error_percent": error,
        "work_megapixel_frames": job.work_megapixel_frames,
        "price": format_money(price, currency),
    }


def budget_display(
    *, budget: Decimal, spent: Decimal, committed: Decimal, currency: str, pool: Pool | None
) -> dict[str, str]:
    """Budget lines with both units: "12.5 GPU-h · €41.20" (GPU time at `pool`'s price)."""
    remaining = budget - spent - committed

    def line(amount: Decimal) -> str:
        seconds = money_as_gpu_seconds(amount, pool.price_per_gpu_second) if pool else None
        cash = format_money(money(amount), currency)
        return f"{format_gpu_hours(seconds)} · {cash}" if seconds is not None else cash

    return {
        "budget": line(budget),
        "spent": line(spent),
        "committed": line(committed),
        "remaining": line(remaining),
        "pool": pool.name if pool else "",
        "price": format_money(pool.price_per_gpu_second, currency) if pool else "",
    }
