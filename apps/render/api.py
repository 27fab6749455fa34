"""Render API: pools, jobs (submit, cancel, retry, logs, provenance) of a project."""

from __future__ import annotations

from typing import Any

import django_filters
from django.http import JsonResponse
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.errors import NotFound, ValidationFailed
from apps.production.selectors import access_project_by_id, access_shot_by_id
from apps.render import rerun, selectors, submission
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


class InputRoleSerializer(serializers.Serializer[Any]):
    role = serializers.CharField(help_text="The input's name in `inputs` of a job.")
    label = serializers.CharField()  # type: ignore[assignment]  # a field named like a DRF Field attribute
    accepts = serializers.ListField(
        child=serializers.CharField(), help_text="Media kinds this input takes."
    )
    required = serializers.BooleanField()  # type: ignore[assignment]  # a field named like a DRF Field attribute
    help = serializers.CharField()
    many = serializers.BooleanField(help_text="A set of stills rather than one clip.")  # type: ignore[assignment]  # a field named like a DRF Field attribute


class OperationSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    likeness = serializers.BooleanField(help_text="Needs a character with active consent.")
    test_only = serializers.BooleanField()
    inputs = InputRoleSerializer(many=True)
    parameters = serializers.JSONField(
        help_text="JSON Schema (2020-12) of the job's `params`: types, ranges, defaults,"
        " enums; x-unit, x-kind (number, integer, boolean, choice, color, region),"
        " x-advanced, x-region-of and x-null-label guide a form."
    )
    gpu_seconds_per_frame = serializers.FloatField()
    gpu_seconds_overhead = serializers.FloatField(
        help_text="Declared fixed GPU-seconds per job; estimates fit it from finished jobs."
    )


class OperationViewSet(OrganizationScopedViewSet):
    """The AI operations a job may run, each with its declared inputs and parameters."""

    model = Job
    pagination_class = None

    @extend_schema(responses={200: OperationSerializer(many=True)})
    def list(self, request: Request, **kwargs: Any) -> Response:
        operations = selectors.operations_offered()
        return Response(OperationSerializer([op.describe() for op in operations], many=True).data)

    @extend_schema(responses={200: OperationSerializer})
    def retrieve(self, request: Request, **kwargs: Any) -> Response:
        operation = selectors.access_operation(str(self.kwargs["name"]))
        return Response(OperationSerializer(operation.describe()).data)


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
            "parent",
            "note",
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


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Resize a plate to HD",
            value={
                "shot": 1,
                "operation": "resize",
                "params": {"preset": "HD", "mode": "fit", "linear_light": True},
                "inputs": {"source": 1},
                "priority": 50,
            },
            description="`shot`: a shot of this project; `inputs`: input role (see"
            " `GET render/operations/{name}/`) -> id of a ready media file of this project;"
            " `params` as the operation's parameter spec. A re-run names `parent` (a job of"
            " the same operation) and may name `note`, the review note that asked for it.",
            request_only=True,
        ),
    ]
)
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
    parent = serializers.IntegerField(  # type: ignore[assignment]  # named like Field.parent
        required=False,
        allow_null=True,
        default=None,
        help_text="Re-run with changes: the job (same operation) this one is made from.",
    )
    note = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="The review note on the parent's version that asked for the re-run.",
    )


class _IdCodeSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    code = serializers.CharField()


class _IdLabelSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    label = serializers.CharField()  # type: ignore[assignment]  # named like Field.label


class _AttemptRefSerializer(serializers.Serializer[Any]):
    id = serializers.CharField()
    number = serializers.IntegerField()


class _PoolRefSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    device_kind = serializers.CharField()


class _ProvenanceOutputSerializer(serializers.Serializer[Any]):
    media_file_id = serializers.IntegerField()
    storage_key = serializers.CharField()
    sha256 = serializers.CharField()
    size = serializers.IntegerField()
    kind = serializers.CharField()
    role = serializers.CharField()


class ProvenanceRecordSerializer(serializers.Serializer[Any]):
    """Documents the provenance record `apps.render.intake` writes when a job succeeds
    (served as a JSON download)."""

    job = serializers.IntegerField()
    attempt = _AttemptRefSerializer()
    operation = serializers.CharField()
    params = serializers.DictField()
    shot = _IdCodeSerializer()
    version = _IdLabelSerializer(allow_null=True)
    inputs = serializers.ListField(
        child=serializers.DictField(), help_text="Each input: its role and the media used."
    )
    outputs = _ProvenanceOutputSerializer(many=True)
    code_version = serializers.CharField(allow_blank=True)
    worker_host = serializers.CharField(allow_blank=True)
    device = serializers.CharField(allow_blank=True)
    pool = _PoolRefSerializer()
    started_at = serializers.CharField(allow_null=True)
    finished_at = serializers.CharField()
    gpu_seconds = serializers.FloatField()
    wall_seconds = serializers.FloatField(allow_null=True)
    peak_gpu_memory_bytes = serializers.IntegerField(allow_null=True)
    price_per_gpu_second = serializers.CharField(help_text="Decimal, as a string.")
    cost = serializers.CharField(help_text="Decimal, as a string.")
    metrics = serializers.DictField()
    consent_record = serializers.IntegerField(allow_null=True)
    character = serializers.IntegerField(allow_null=True)
    submitted_by = serializers.CharField(allow_null=True)
    submitted_at = serializers.CharField()


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
        parent, note = rerun.rerun_origin(
            project=project, parent_id=data.get("parent"), note_id=data.get("note")
        )
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
            parent=parent,
            note=note,
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

    @extend_schema(responses={200: ProvenanceRecordSerializer})
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

    @extend_schema(responses={200: ProvenanceRecordSerializer})
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
