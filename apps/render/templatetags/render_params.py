"""`{% job_param_rows job as rows %}`: a job's parameters as labelled values, in the order
and with the labels and units the operation declares (never a Python dict on screen)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template

from apps.core.formats import value_label
from apps.render import selectors
from apps.render.models import Job

register = template.Library()


@dataclass(frozen=True)
class ParamRow:
    name: str
    label: str
    value: str


@register.simple_tag
def job_param_rows(job: Job) -> list[ParamRow]:
    params: dict[str, Any] = job.params or {}
    operation = selectors.operation_of_job(job)
    declared = {p.name: p for p in operation.params} if operation is not None else {}
    rows = []
    for name in list(declared) + sorted(set(params) - set(declared)):
        if name not in params:
            continue
        param = declared.get(name)
        value = value_label(params[name], param.null_label if param else "Automatic")
        unit = param.unit if param and params[name] is not None else ""
        rows.append(
            ParamRow(
                name=name,
                label=param.label if param else name.replace("_", " ").capitalize(),
                value=f"{value} {unit}".strip(),
            )
        )
    return rows
