"""REST API of review: sessions, their event log, websocket tickets, notes, replies,
decisions, mention notifications and exports. The same services as the websocket, so a
note made here reaches every open room showing its version."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.errors import ValidationFailed
from apps.production.selectors import access_project_by_id, access_version_by_id
from apps.review import decisions, exports, notes, protocol, selectors, sessions
from apps.review.events import event_data
from apps.review.models import Decision, Note, Notification, ReviewSession
from apps.review.serializers import decision_data, note_data, reply_data
from apps.tenancy.policy import Capability
from apps.tenancy.viewsets import OrganizationScopedViewSet


class SessionCreateSerializer(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=200)
    versions = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)
    participants = serializers.ListField(child=serializers.IntegerField(), required=False)
    scheduled_for = serializers.DateTimeField(required=False, allow_null=True)


class SessionUpdateSerializer(serializers.Serializer[Any]):
    state = serializers.ChoiceField(choices=["scheduled", "live", "ended"])


class NoteCreateSerializer(serializers.Serializer[Any]):
    frame_in = serializers.IntegerField(min_value=0)
    frame_out = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    text = serializers.CharField(max_length=protocol.MAX_TEXT)
    drawing = serializers.JSONField(required=False, allow_null=True)
    session = serializers.IntegerField(required=False, allow_null=True)


class NoteUpdateSerializer(serializers.Serializer[Any]):
    revision = serializers.IntegerField(help_text="The revision your edit is based on.")
    text = serializers.CharField(max_length=protocol.MAX_TEXT, required=False)
    drawing = serializers.JSONField(required=False, allow_null=True)
    status = serializers.ChoiceField(choices=["open", "resolved"], required=False)
    frame_in = serializers.IntegerField(min_value=0, required=False)
    frame_out = serializers.IntegerField(min_value=0, required=False)


class ReplyCreateSerializer(serializers.Serializer[Any]):
    text = serializers.CharField(max_length=protocol.MAX_TEXT)


class DecisionCreateSerializer(serializers.Serializer[Any]):
    decision = serializers.ChoiceField(choices=["approved", "changes_requested"])
    comment = serializers.CharField(required=False, allow_blank=True)
    session = serializers.IntegerField(required=False, allow_null=True)


def _export_response(body: str, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class _ReviewViewSet(OrganizationScopedViewSet):
    write_capability = Capability.REVIEW_CONTRIBUTE

    def _session(self, pk: Any) -> ReviewSession:
        return selectors.access_session_by_id(self.request.user, self.membership, int(pk))


class ReviewSessionViewSet(_ReviewViewSet):
    model = ReviewSession

    def scoped_queryset(self) -> Any:
        return ReviewSession.objects.all()

    @extend_schema(responses={200: dict})
    def list(self, request: Request, **kwargs: Any) -> Response:
        project = access_project_by_id(int(kwargs["project_pk"]))
        sessions = [
            s
            for s in selectors.sessions_of_project(project)
            if selectors.may_join(request.user, s, self.membership)
        ]
        return Response({"results": [selectors.session_data(s) for s in sessions]})

    @extend_schema(request=SessionCreateSerializer, responses={201: dict})
    def create(self, request: Request, **kwargs: Any) -> Response:
        project = access_project_by_id(int(kwargs["project_pk"]))
        payload = SessionCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        session = sessions.session_create(
            actor=self.membership,
            project=project,
            title=data["title"],
            version_ids=data["versions"],
            participant_ids=data.get("participants", []),
            scheduled_for=data.get("scheduled_for"),
        )
        return Response(selectors.session_data(session), status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: dict})
    def retrieve(self, request: Request, **kwargs: Any) -> Response:
        session = self._session(kwargs["pk"])
        return Response(selectors.session_snapshot(session))

    @extend_schema(request=SessionUpdateSerializer, responses={200: dict})
    def partial_update(self, request: Request, **kwargs: Any) -> Response:
        session = self._session(kwargs["pk"])
        payload = SessionUpdateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        session = sessions.session_set_state(
            actor=self.membership, session=session, state=payload.validated_data["state"]
        )
        return Response(selectors.session_data(session))

    @extend_schema(
        parameters=[OpenApiParameter("after", int, description="Events after this seq.")],
        responses={200: dict},
    )
    def events(self, request: Request, **kwargs: Any) -> Response:
        session = self._session(kwargs["pk"])
        after = request.query_params.get("after", "0")
        if not after.isdigit():
            raise ValidationFailed("after is a sequence number.", field="after")
        events = selectors.events_after(session, int(after), limit=1000)
        return Response({"results": [event_data(e) for e in events], "last_seq": session.last_seq})

    @extend_schema(request=None, responses={201: dict})
    def ticket(self, request: Request, **kwargs: Any) -> Response:
        session = self._session(kwargs["pk"])
        ticket = sessions.ticket_issue(actor=self.membership, session=session)
        return Response(
            {
                "ticket": ticket,
                "expires_in": sessions.TICKET_SECONDS,
                "url": f"/ws/review/{session.pk}/?ticket={ticket}",
            },
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(responses={(200, "text/plain"): str})
    def export(self, request: Request, **kwargs: Any) -> HttpResponse:
        session = self._session(kwargs["pk"])
        body, content_type, filename = exports.export_session(session, kwargs["fmt"])
        return _export_response(body, content_type, filename)


class NoteViewSet(_ReviewViewSet):
    model = Note

    def scoped_queryset(self) -> Any:
        return Note.objects.all()

    @extend_schema(responses={200: dict})
    def list(self, request: Request, **kwargs: Any) -> Response:
        version = access_version_by_id(int(kwargs["version_pk"]))
        notes = selectors.notes_of_version(version)
        return Response({"results": [note_data(n, replies=True) for n in notes]})

    @extend_schema(request=NoteCreateSerializer, responses={201: dict})
    def create(self, request: Request, **kwargs: Any) -> Response:
        version = access_version_by_id(int(kwargs["version_pk"]))
        payload = NoteCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        session = self._session(data["session"]) if data.get("session") else None
        note = notes.note_create(
            actor=self.membership,
            version=version,
            frame_in=data["frame_in"],
            frame_out=data.get("frame_out"),
            text=data["text"],
            drawing=data.get("drawing"),
            session=session,
        )
        return Response(note_data(note, replies=True), status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: dict})
    def retrieve(self, request: Request, **kwargs: Any) -> Response:
        return Response(note_data(selectors.access_note_by_id(int(kwargs["pk"])), replies=True))

    @extend_schema(request=NoteUpdateSerializer, responses={200: dict})
    def partial_update(self, request: Request, **kwargs: Any) -> Response:
        note = selectors.access_note_by_id(int(kwargs["pk"]))
        payload = NoteUpdateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        revision = data.pop("revision")
        if "drawing" in request.data:
            data["drawing"] = request.data["drawing"]
        note = notes.note_update(
            actor=self.membership,
            note=note,
            revision=revision,
            changes=data,
        )
        return Response(note_data(note, replies=True))

    @extend_schema(request=ReplyCreateSerializer, responses={201: dict})
    def reply(self, request: Request, **kwargs: Any) -> Response:
        note = selectors.access_note_by_id(int(kwargs["pk"]))
        if request.method == "GET":
            return Response({"results": [reply_data(r) for r in note.replies.all()]})
        payload = ReplyCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        reply = notes.reply_create(
            actor=self.membership,
            note=note,
            text=payload.validated_data["text"],
        )
        return Response(reply_data(reply), status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "text/plain"): str})
    def export(self, request: Request, **kwargs: Any) -> HttpResponse:
        version = access_version_by_id(int(kwargs["version_pk"]))
        body, content_type, filename = exports.export_version(version, kwargs["fmt"])
        return _export_response(body, content_type, filename)


class DecisionViewSet(_ReviewViewSet):
    model = Decision

    def scoped_queryset(self) -> Any:
        return Decision.objects.all()

    @extend_schema(responses={200: dict})
    def list(self, request: Request, **kwargs: Any) -> Response:
        version = access_version_by_id(int(kwargs["version_pk"]))
        return Response(
            {
                "version_status": version.status,
                "results": [decision_data(d) for d in selectors.decisions_of_version(version)],
            }
        )

    @extend_schema(request=DecisionCreateSerializer, responses={201: dict})
    def create(self, request: Request, **kwargs: Any) -> Response:
        version = access_version_by_id(int(kwargs["version_pk"]))
        payload = DecisionCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        session = self._session(data["session"]) if data.get("session") else None
        decision = decisions.decision_create(
            actor=self.membership,
            version=version,
            decision=data["decision"],
            comment=data.get("comment", ""),
            session=session,
        )
        return Response(decision_data(decision), status=status.HTTP_201_CREATED)


class NotificationViewSet(_ReviewViewSet):
    model = Notification

    def scoped_queryset(self) -> Any:
        return Notification.objects.all()

    @extend_schema(responses={200: dict})
    def list(self, request: Request, **kwargs: Any) -> Response:
        rows = selectors.notifications_of_user(request.user)[:200]
        return Response(
            {
                "results": [
                    {
                        "id": n.pk,
                        "kind": n.kind,
                        "text": n.text,
                        "note": n.note_id,
                        "version": n.note.version_id,
                        "session": n.note.session_id,
                        "frame": n.note.frame_in,
                        "created_at": n.created_at.isoformat(),
                        "read": n.read_at is not None,
                    }
                    for n in rows
                ]
            }
        )
