"""The cost estimate of a job before it is submitted (thin: apps.render.estimates).

`GET .../render-estimate/?operation=resize&shot=12&pool=cpu&inputs.source=34` answers the
GPU time and cost the job would be charged at submission, calibrated from the partner's
finished jobs of the same operation, with the basis (history or declared rate) and the
units ("12.5 GPU-h · €41.20"). The launch form calls it whenever its choices change.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.errors import ValidationFailed
from apps.production.selectors import access_project_by_id, shots_visible
from apps.render import conf, selectors
from apps.render.estimates import estimate_job
from apps.render.models import Job, Pool
from apps.tenancy.viewsets import OrganizationScopedViewSet
from gpu_workers.registry import InvalidParameters, get_operation

EstimateSerializer = inline_serializer(
    "RenderEstimate",
    {
        "operation": serializers.CharField(),
        "gpu_seconds": serializers.FloatField(),
        "cost": serializers.DecimalField(max_digits=12, decimal_places=4),
        "currency": serializers.CharField(),
        "price_per_gpu_second": serializers.DecimalField(max_digits=12, decimal_places=6),
        "width": serializers.IntegerField(),
        "height": serializers.IntegerField(),
        "frames": serializers.IntegerField(),
        "megapixel_frames": serializers.FloatField(),
        "seconds_per_megapixel_frame": serializers.FloatField(),
        "overhead_gpu_seconds": serializers.FloatField(),
        "basis": serializers.ChoiceField(choices=["history", "declared"]),
        "samples": serializers.IntegerField(),
        "display": serializers.CharField(),
    },
)


def _int(value: str | None, field: str) -> int:
    text = (value or "").strip()
    if not text.isdigit():
        raise ValidationFailed(f"{field} must be an id (a whole number).", field=field)
    return int(text)


class RenderEstimateViewSet(OrganizationScopedViewSet):
    model = Job

    def scoped_queryset(self) -> Any:
        return selectors.jobs_of_project(access_project_by_id(int(self.kwargs["project_pk"])))

    @extend_schema(
        parameters=[
            OpenApiParameter("operation", str, required=True),
            OpenApiParameter("shot", int, required=True),
            OpenApiParameter("pool", str, description="Default: the studio's default pool."),
            OpenApiParameter(
                "inputs.source",
                int,
                description="One `inputs.<role>=<media id>` per input role; the first"
                " declared role sets the resolution and frame count.",
            ),
        ],
        responses={200: EstimateSerializer},
    )
    def estimate(self, request: Request, **kwargs: Any) -> Response:
        project = access_project_by_id(int(self.kwargs["project_pk"]))
        params = request.query_params
        try:
            operation = get_operation(params.get("operation", ""))
        except InvalidParameters as unknown:
            raise ValidationFailed(str(unknown), field="operation") from unknown
        if operation.test_only and not conf.allow_test_operations():
            raise ValidationFailed("There is no such operation.", field="operation")
        shot = shots_visible().filter(project=project, pk=_int(params.get("shot"), "shot")).first()
        if shot is None:
            raise ValidationFailed("Choose a shot of this project.", field="shot")
        pool_name = params.get("pool") or conf.default_pool()
        pool = Pool.objects.filter(name=pool_name).first()
        if pool is None:
            raise ValidationFailed(f"There is no pool named {pool_name!r}.", field="pool")
        inputs: dict[str, int] = {}
        for key in params:
            if key.startswith("inputs."):
                role = key.removeprefix("inputs.")
                media_id = _int(params.get(key), key)
                if not selectors.input_media_of_project(project).filter(pk=media_id).exists():
                    raise ValidationFailed(
                        f"Input {role!r}: no ready media file {media_id} in this project.",
                        field=key,
                    )
                inputs[role] = media_id
        estimate = estimate_job(
            operation=operation, project=project, shot=shot, pool=pool, inputs=inputs
        )
        return Response(estimate.as_dict())
