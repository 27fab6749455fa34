"""Render API: pools, jobs (submit, cancel, retry, logs, provenance) of a project."""

from __future__ import annotations

from typing import Any

import django_filters
from django.http import JsonResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.errors import NotFound, ValidationFailed
from apps.production.selectors import access_project_by_id, access_shot_by_id
from apps.render import selectors, submission
from apps.render.models import Job, JobLog, JobState, Pool
from apps.tenancy.policy import Capability
from apps.tenancy.viewsets import OrganizationScopedViewSet


class PoolSerializer(serializers.ModelSerializer[Pool]):
    class Meta:
        model = Pool
        fields = [
            "id",
            "name",
            "description",
            "device_kind",
            "capacity",
            "price_per_gpu_second",
            "state",
        ]


class PoolViewSet(mixins.ListModelMixin, OrganizationScopedViewSet):
    """Render pools (studio configuration, the same for every partner)."""

    model = Pool
    serializer_class = PoolSerializer
    pagination_class = None

    def scoped_queryset(self) -> Any:
        return selectors.pools_visible()


class JobSerializer(serializers.ModelSerializer[Job]):
    shot_code = serializers.CharField(source="shot.code", read_only=True)
    pool = serializers.CharField(source="pool.name", read_only=True)
    version_label = serializers.SerializerMethodField()
    submitted_by = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = [
            "id",
            "project",
            "shot",
            "shot_code",
            "pool",
            "operation",
            "params",
            "inputs",
            "character",
            "priority",
            "state",
            "progress",
            "progress_message",
            "error",
            "attempts_started",
            "attempt_limit",
            "current_attempt_id",
            "estimated_cost",
            "cost",
            "gpu_seconds",
            "version",
            "version_label",
            "submitted_by",
            "submitted_at",
            "dispatched_at",
            "started_at",
            "finished_at",
            "cancel_requested_at",
        ]
        read_only_fields = fields

    def get_version_label(self, job: Job) -> str | None:
        return job.version.label if job.version_id and job.version else None

    def get_submitted_by(self, job: Job) -> str | None:
        return job.submitted_by.email if job.submitted_by else None


class JobSubmitSerializer(serializers.Serializer[Any]):
    shot = serializers.IntegerField(
        help_text="Shot of this project the output becomes a version of."
    )
    operation = serializers.CharField(
        max_length=64, help_text="A registered operation, e.g. resize."
    )
    params = serializers.DictField(required=False, default=dict)
    inputs = serializers.DictField(
        child=serializers.IntegerField(),
        required=False,
        default=dict,
        help_text="Input role -> media file id (ready media of this project).",
    )
    priority = serializers.IntegerField(required=False, default=50, min_value=0, max_value=100)
    pool = serializers.CharField(required=False, allow_blank=True, default="")
    character = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="Needed for likeness operations."
    )


class JobLogSerializer(serializers.ModelSerializer[JobLog]):
    class Meta:
        model = JobLog
        fields = ["id", "attempt_id", "level", "message", "created_at"]


class JobFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=JobState.choices)
    shot = django_filters.NumberFilter(field_name="shot_id")


class JobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrganizationScopedViewSet):
    model = Job
    serializer_class = JobSerializer
    filterset_class = JobFilter
    write_capability = Capability.RENDER_SUBMIT

    def project(self) -> Any:
        return access_project_by_id(int(self.kwargs["project_pk"]))

    def scoped_queryset(self) -> Any:
        return selectors.jobs_of_project(self.project())

    def job(self) -> Job:
        return selectors.access_job_by_id(int(self.kwargs["pk"]), project=self.project())

    @extend_schema(request=JobSubmitSerializer, responses={201: JobSerializer})
    def create(self, request: Request, **kwargs: Any) -> Response:
        project = self.project()
        payload = JobSubmitSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        try:
            shot = access_shot_by_id(data["shot"])
        except Exception as error:
            raise ValidationFailed("Choose a shot of this project.", field="shot") from error
        character = None
        if data.get("character"):
            character = (
                selectors.characters_of_project(project).filter(pk=data["character"]).first()
            )
            if character is None:
                raise ValidationFailed("Choose a character of this project.", field="character")
        job = submission.job_submit(
            actor=request.user,
            project=project,
            shot=shot,
            operation=data["operation"],
            params=data["params"],
            inputs=data["inputs"],
            priority=data["priority"],
            pool=data["pool"] or None,
            character=character,
        )
        return Response(
            JobSerializer(selectors.access_job_by_id(job.pk)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=None, responses={200: JobSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, **kwargs: Any) -> Response:
        job = submission.job_cancel(actor=request.user, job=self.job())
        return Response(JobSerializer(selectors.access_job_by_id(job.pk)).data)

    @extend_schema(request=None, responses={200: JobSerializer})
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, **kwargs: Any) -> Response:
        job = submission.job_retry(actor=request.user, job=self.job())
        return Response(JobSerializer(selectors.access_job_by_id(job.pk)).data)

    @extend_schema(
        parameters=[OpenApiParameter("after", int, description="Only lines after this id.")],
        responses={200: JobLogSerializer(many=True)},
    )
    @action(detail=True, methods=["get"])
    def logs(self, request: Request, **kwargs: Any) -> Response:
        after = str(request.query_params.get("after") or "0")
        if not after.isdigit():
            raise ValidationFailed("after must be a log line id.", field="after")
        lines = selectors.logs_of_job(self.job(), after=int(after))
        return Response(JobLogSerializer(lines, many=True).data)

    @extend_schema(responses={200: dict})
    @action(detail=True, methods=["get"])
    def provenance(self, request: Request, **kwargs: Any) -> Any:
        job = self.job()
        record = selectors.provenance_of_job(job)
        if record is None:
            raise ValidationFailed("The job has no result yet, so no provenance.")
        return _provenance_download(record.record, f"job-{job.pk}-provenance.json")


class VersionProvenanceViewSet(OrganizationScopedViewSet):
    """Provenance of a version made by a render job, as a JSON download."""

    model = Job

    @extend_schema(responses={200: dict})
    def retrieve(self, request: Request, **kwargs: Any) -> Any:
        project = access_project_by_id(int(self.kwargs["project_pk"]))
        provenance = selectors.access_provenance_by_version(int(self.kwargs["pk"]))
        if provenance.project_id != project.pk:
            raise NotFound("This version has no render provenance.")
        version = provenance.version
        label = f"{version.shot.code}-{version.label}" if version else f"job-{provenance.job_id}"
        return _provenance_download(provenance.record, f"{label}-provenance.json")


def _provenance_download(record: dict[str, Any], filename: str) -> JsonResponse:
    response = JsonResponse(record, json_dumps_params={"indent": 2})
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
