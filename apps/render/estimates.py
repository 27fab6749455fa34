"""Cost estimates calibrated from finished jobs, and the units budgets are shown in.

The work of a job is the megapixels x frames of its main input (the first input role the
operation declares; the project's resolution and the shot's length when there is none).
An estimate is (a fixed per-job overhead + GPU-seconds per megapixel-frame x work) x the
pool's price. Both terms are fitted from the last `HISTORY_JOBS` succeeded jobs of the same
operation on the same kind of device (the partner's own jobs: history is tenant-scoped like
everything else) with a Theil-Sen line (the median of the pairwise slopes is the rate, the
median of what is left is the overhead), which a few odd jobs do not pull. Set-up (decoding,
loading a model, writing the outputs) dominates small jobs, so a rate alone was far off
there. When the history has no spread of sizes, the overhead is the operation's declared
`gpu_seconds_overhead` and the rate is fitted to what is left; with no history at all both
are declared (`gpu_seconds_per_frame` is per 1080p frame, scaled by resolution).
"""

from __future__ import annotations

import itertools
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
# The overhead is fitted only when the largest job did at least this much more work than
# the smallest one; below that the line through the points says nothing about set-up.
FIT_SPREAD = 1.5
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
    overhead_gpu_seconds: float = 0.0

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
            "overhead_gpu_seconds": round(self.overhead_gpu_seconds, 3),
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


def fit_overhead_and_rate(
    history: list[tuple[float, float]], *, declared_overhead: float
) -> tuple[float, float]:
    """(overhead GPU-seconds, GPU-seconds per megapixel-frame) of finished jobs given as
    (megapixel-frames, GPU-seconds); never negative."""
    works = [work for work, _ in history]
    slopes = [
        (s2 - s1) / (w2 - w1)
        for (w1, s1), (w2, s2) in itertools.combinations(history, 2)
        if w2 != w1
    ]
    if slopes and min(works) > 0 and max(works) >= FIT_SPREAD * min(works):
        rate = max(0.0, statistics.median(slopes))
        overhead = statistics.median(seconds - rate * work for work, seconds in history)
        if overhead >= 0:
            return overhead, rate
        return 0.0, statistics.median(seconds / work for work, seconds in history)
    overhead = declared_overhead
    rate = statistics.median((seconds - overhead) / work for work, seconds in history)
    return overhead, max(0.0, rate)


def calibration(*, operation: Operation, device_kind: str) -> tuple[float, float, int] | None:
    """(overhead, rate, how many jobs) fitted from the last succeeded jobs, or None."""
    jobs = (
        Job.objects.filter(
            operation=operation.name,
            state=JobState.SUCCEEDED,
            pool__device_kind=device_kind,
            gpu_seconds__isnull=False,
            work_megapixel_frames__gt=0,
        )
        .order_by("-finished_at", "-pk")
        .values_list("work_megapixel_frames", "gpu_seconds")[:HISTORY_JOBS]
    )
    history = [(work, seconds) for work, seconds in jobs if seconds is not None and work]
    if not history:
        return None
    overhead, rate = fit_overhead_and_rate(
        history, declared_overhead=operation.gpu_seconds_overhead
    )
    return overhead, rate, len(history)


def estimate_job(
    *,
    operation: Operation,
    project: Project,
    shot: Shot,
    pool: Pool,
    inputs: dict[str, Any] | None = None,
) -> Estimate:
    work = job_work(operation=operation, project=project, shot=shot, inputs=inputs or {})
    fitted = calibration(operation=operation, device_kind=pool.device_kind)
    if fitted is not None:
        (overhead, rate, samples), basis = fitted, "history"
    else:
        overhead = operation.gpu_seconds_overhead
        rate = operation.gpu_seconds_per_frame / REFERENCE_MEGAPIXELS
        samples, basis = 0, "declared"
    gpu_seconds = overhead + rate * work.megapixel_frames
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
        overhead_gpu_seconds=overhead,
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
