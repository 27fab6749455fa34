"""Units for money and GPU time in templates: `{% load render_units %}`.

{{ job.cost|money:project.currency }}            €0.42
{{ job.gpu_seconds|gpu_time }}                   12.5 GPU-h
{% project_budget_units project as budget %}     budget.budget = "12.5 GPU-h · €41.20"
{% job_estimate_report job project as report %}  estimate vs actual (render/_estimate.html)
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

from apps.production.models import Project
from apps.render import conf
from apps.render.estimates import (
    budget_display,
    estimate_vs_actual,
    format_gpu_hours,
    format_money,
)
from apps.render.models import Job, Pool
from apps.render.submission import project_budget

register = template.Library()


@register.filter
def money(amount: Decimal | float | None, currency: str = "EUR") -> str:
    return format_money(amount, currency or "EUR")


@register.filter
def gpu_time(gpu_seconds: float | None) -> str:
    return format_gpu_hours(gpu_seconds)


@register.simple_tag
def project_budget_units(project: Project) -> dict[str, str]:
    """The project's budget, spent and reserved amounts in GPU time (at the default pool's
    price) and money."""
    status = project_budget(project)
    pool = Pool.objects.filter(name=conf.default_pool()).first()
    return budget_display(
        budget=status.budget,
        spent=status.spent,
        committed=status.committed,
        currency=project.currency,
        pool=pool,
    )


@register.simple_tag
def job_estimate_report(job: Job, project: Project) -> dict[str, Any]:
    return estimate_vs_actual(job, currency=project.currency)
