from __future__ import annotations

from typing import Any

from django.db import connection
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.assist import services, sources
from apps.assist.models import AIPolicy, AssistCall, Suggestion
from apps.assist.registry import configured_providers
from apps.core.errors import ValidationFailed
from apps.production.selectors import access_project_by_id
from apps.tenancy.policy import Capability
from apps.tenancy.scope import tenant_scope
from apps.tenancy.viewsets import BacklotAPIMixin, OrganizationScopedViewSet


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Local models only, 30 days",
            value={
                "no_training": True,
                "max_retention_days": 30,
                "allowed_providers": ["local"],
                "allowed_regions": ["eu-west-1"],
            },
            description="Every field is optional; `max_retention_days: null` means no limit.",
            request_only=True,
        ),
    ]
)
class AIPolicySerializer(serializers.ModelSerializer[AIPolicy]):
    # Lists of names, not any JSON: the model's JSONField would take a number or an object.
    allowed_providers = serializers.ListField(
        child=serializers.CharField(max_length=100), max_length=50, required=False
    )
    allowed_regions = serializers.ListField(
        child=serializers.CharField(max_length=64), max_length=50, required=False
    )
    accept = serializers.BooleanField(
        required=False,
        write_only=True,
        help_text="The owner accepts the policy as saved; external providers stay off until then.",
    )
    accepted = serializers.BooleanField(read_only=True)

    class Meta:
        model = AIPolicy
        fields = [
            "no_training",
            "max_retention_days",
            "allowed_providers",
            "allowed_regions",
            "version",
            "accepted_version",
            "accepted",
            "accepted_at",
            "accept",
            "updated_at",
        ]
        read_only_fields = ["updated_at", "version", "accepted_version", "accepted_at"]


class AIPolicyViewSet(OrganizationScopedViewSet):
    """The project's AI policy. Owners change it; everybody can read it."""

    model = AIPolicy
    serializer_class = AIPolicySerializer
    write_capability = Capability.ASSIST_CONFIGURE

    def retrieve(self, request: Request, **kwargs: Any) -> Response:
        project = access_project_by_id(int(self.kwargs["project_pk"]))
        return Response(AIPolicySerializer(services.ai_policy_of(project)).data)

    def update(self, request: Request, **kwargs: Any) -> Response:
        project = access_project_by_id(int(self.kwargs["project_pk"]))
        payload = AIPolicySerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        policy = services.ai_policy_update(
            actor=request.user,
            project=project,
            no_training=data.get("no_training"),
            max_retention_days=data.get("max_retention_days", "keep"),
            allowed_providers=data.get("allowed_providers"),
            allowed_regions=data.get("allowed_regions"),
            accept=bool(data.get("accept")),
        )
        return Response(AIPolicySerializer(policy).data)


class ProviderSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    title = serializers.CharField()
    model = serializers.CharField()
    guarantees = serializers.DictField()
    allowed = serializers.BooleanField()
    reason = serializers.CharField(allow_null=True)


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "From a version's notes",
            value={"version": 1},
            description="Task list and summary: name `session` (a review session of this"
            " project) or `version` (a version of this project); rewrite: name `note`."
            " `provider` picks one allowed by the project's AI policy.",
            request_only=True,
        ),
        OpenApiExample(
            "From a review session", value={"session": 1, "provider": "local"}, request_only=True
        ),
        OpenApiExample("Rewrite a note", value={"note": 1}, request_only=True),
    ]
)
class AssistRequestSerializer(serializers.Serializer[Any]):
    session = serializers.IntegerField(required=False)
    version = serializers.IntegerField(required=False)
    note = serializers.IntegerField(required=False)
    provider = serializers.CharField(required=False)


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Edit a task list",
            value={
                "tasks": [
                    {
                        "shot": "SH0010",
                        "task": "Soften the matte edge on the left.",
                        "frames": [0, 12],
                        "requested_by": ["Director"],
                        "note_ids": [1],
                    }
                ]
            },
            request_only=True,
        ),
        OpenApiExample(
            "Edit a summary or rewrite",
            value={"text": "Two open notes on the matte; the grade is approved."},
            request_only=True,
        ),
    ]
)
class SuggestionSerializer(serializers.ModelSerializer[Suggestion]):
    provider = serializers.CharField(source="call.provider", read_only=True, default="")
    model_name = serializers.CharField(source="call.model", read_only=True, default="")

    class Meta:
        model = Suggestion
        fields = [
            "id",
            "kind",
            "source_type",
            "source_id",
            "status",
            "text",
            "tasks",
            "edited",
            "provider",
            "model_name",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "kind",
            "source_type",
            "source_id",
            "status",
            "edited",
            "provider",
            "model_name",
            "created_at",
            "updated_at",
        ]


class AssistViewSet(OrganizationScopedViewSet):
    """Suggestions from review notes: task lists, summaries, rewritten notes."""

    model = Suggestion
    serializer_class = SuggestionSerializer
    write_capability = Capability.ASSIST_USE

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        # The project is resolved before any input is looked at: foreign ids answer 404.
        self.project = access_project_by_id(int(self.kwargs["project_pk"]))
        # No provider call runs inside the request's transaction: close it (and the scope)
        # now; handlers open short tenant scopes and the service logs each call in its own
        # transactions around the call.
        self._scope_stack.close()

    def _scope(self) -> Any:
        return tenant_scope(self.organization.pk, user_id=self.request.user.pk)

    def handle_exception(self, exc: Exception) -> Response:
        if not connection.in_atomic_block:  # nothing to roll back: the request holds none
            return super(BacklotAPIMixin, self).handle_exception(exc)
        return super().handle_exception(exc)

    def _project(self) -> Any:
        return self.project

    def _source(
        self, data: dict[str, Any], *, summary: bool = False
    ) -> tuple[str, int, str, list[dict[str, Any]], list[dict[str, Any]]]:
        with self._scope():
            return self._read_source(data, summary=summary)

    def _read_source(
        self, data: dict[str, Any], *, summary: bool = False
    ) -> tuple[str, int, str, list[dict[str, Any]], list[dict[str, Any]]]:
        project = self._project()
        if data.get("session"):
            title, notes, decisions = sources.notes_of_session(
                self.request.user,
                self.membership,
                project,
                data["session"],
                made_in_session=summary,
            )
            return "review_session", data["session"], title, notes, decisions
        if data.get("version"):
            title, notes, decisions = sources.notes_of_version(project, data["version"])
            return "version", data["version"], title, notes, decisions
        raise ValidationFailed("Name a review session or a version.", field="session")

    @extend_schema(responses={200: ProviderSerializer(many=True)})
    def providers(self, request: Request, **kwargs: Any) -> Response:
        project = self._project()
        rows = []
        with self._scope():
            policy = services.ai_policy_of(project)
            for name, provider in configured_providers().items():
                reason = services.provider_refusal(project, policy, name, provider)
                rows.append(
                    {
                        "name": name,
                        "title": provider.title,
                        "model": provider.model,
                        "guarantees": provider.guarantees.as_dict(),
                        "allowed": reason is None,
                        "reason": reason,
                    }
                )
        return Response(rows)

    @extend_schema(request=AssistRequestSerializer, responses={201: SuggestionSerializer})
    def task_list(self, request: Request, **kwargs: Any) -> Response:
        payload = AssistRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        source_type, source_id, _, notes, _ = self._source(payload.validated_data)
        suggestion = services.suggest_task_list(
            actor=request.user,
            project=self._project(),
            source_type=source_type,
            source_id=source_id,
            notes=notes,
            provider=payload.validated_data.get("provider"),
        )
        return Response(SuggestionSerializer(suggestion).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AssistRequestSerializer, responses={201: SuggestionSerializer})
    def summary(self, request: Request, **kwargs: Any) -> Response:
        payload = AssistRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        source_type, source_id, title, notes, decisions = self._source(
            payload.validated_data, summary=True
        )
        suggestion = services.suggest_summary(
            actor=request.user,
            project=self._project(),
            source_type=source_type,
            source_id=source_id,
            title=title,
            notes=notes,
            decisions=decisions,
            provider=payload.validated_data.get("provider"),
        )
        return Response(SuggestionSerializer(suggestion).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AssistRequestSerializer, responses={201: SuggestionSerializer})
    def rewrite(self, request: Request, **kwargs: Any) -> Response:
        payload = AssistRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        if not payload.validated_data.get("note"):
            raise ValidationFailed("Name the note to rewrite.", field="note")
        project = self._project()
        with self._scope():
            note = sources.note_by_id(project, payload.validated_data["note"])
        suggestion = services.suggest_rewrite(
            actor=request.user,
            project=project,
            note=note,
            provider=payload.validated_data.get("provider"),
        )
        return Response(SuggestionSerializer(suggestion).data, status=status.HTTP_201_CREATED)


class SuggestionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, OrganizationScopedViewSet
):
    model = Suggestion
    serializer_class = SuggestionSerializer
    write_capability = Capability.ASSIST_USE

    def scoped_queryset(self) -> Any:
        project = access_project_by_id(int(self.kwargs["project_pk"]))
        return Suggestion.objects.filter(project=project).select_related("call")

    def partial_update(self, request: Request, **kwargs: Any) -> Response:
        payload = SuggestionSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        suggestion = services.suggestion_edit(
            actor=request.user,
            suggestion=self.get_object(),
            text=payload.validated_data.get("text"),
            tasks=payload.validated_data.get("tasks"),
        )
        return Response(SuggestionSerializer(suggestion).data)

    @extend_schema(request=None, responses={200: SuggestionSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, **kwargs: Any) -> Response:
        suggestion = services.suggestion_decide(
            actor=request.user, suggestion=self.get_object(), accept=True
        )
        return Response(SuggestionSerializer(suggestion).data)

    @extend_schema(request=None, responses={200: SuggestionSerializer})
    @action(detail=True, methods=["post"])
    def dismiss(self, request: Request, **kwargs: Any) -> Response:
        suggestion = services.suggestion_decide(
            actor=request.user, suggestion=self.get_object(), accept=False
        )
        return Response(SuggestionSerializer(suggestion).data)


class AssistCallSerializer(serializers.ModelSerializer[AssistCall]):
    class Meta:
        model = AssistCall
        fields = [
            "id",
            "purpose",
            "provider",
            "model",
            "region",
            "status",
            "detail",
            "input_tokens",
            "output_tokens",
            "duration_ms",
            "policy",
            "guarantees",
            "created_at",
        ]


class AssistCallViewSet(mixins.ListModelMixin, OrganizationScopedViewSet):
    """Every call, routed or refused: provider, model, region, tokens and the policy."""

    model = AssistCall
    serializer_class = AssistCallSerializer

    def scoped_queryset(self) -> Any:
        project = access_project_by_id(int(self.kwargs["project_pk"]))
        return AssistCall.objects.filter(project=project)
