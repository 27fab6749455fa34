"""REST API of review: sessions, their event log, websocket tickets, notes, replies,
decisions, mention notifications and exports. The same services as the websocket, so a
note made here reaches every open room showing its version."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.errors import ValidationFailed
from apps.production.selectors import access_project_by_id, access_version_by_id
from apps.review import decisions, exports, notes, protocol, selectors, sessions
from apps.review.events import event_data
from apps.review.models import Decision, Note, NoteStatus, Notification, ReviewSession
from apps.review.serializers import decision_data, note_data, notes_lineage, reply_data
from apps.tenancy.policy import Capability
from apps.tenancy.viewsets import OrganizationScopedViewSet


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Dailies with two versions",
            value={
                "title": "Dailies, reel 2",
                "versions": [1],
                "participants": [],
            },
            description="`versions`: ids of versions of this project, in review order."
            " `participants`: user ids invited besides the organization's members."
            " `scheduled_for` (optional): when the session starts.",
            request_only=True,
        ),
    ]
)
class SessionCreateSerializer(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=200)
    versions = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)
    participants = serializers.ListField(child=serializers.IntegerField(), required=False)
    scheduled_for = serializers.DateTimeField(required=False, allow_null=True)


@extend_schema_serializer(
    examples=[
        OpenApiExample("Go live", value={"state": "live"}, request_only=True),
        OpenApiExample("End the session", value={"state": "ended"}, request_only=True),
    ]
)
class SessionUpdateSerializer(serializers.Serializer[Any]):
    state = serializers.ChoiceField(choices=["scheduled", "live", "ended"])


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A note on a frame range",
            value={"frame_in": 0, "frame_out": 12, "text": "Soften the matte edge on the left."},
            description="Frames are 0-based indices into the version's picture; `frame_out`"
            " defaults to `frame_in`. Add `session` (a review session id) to make the note"
            " in that session.",
            request_only=True,
        ),
        OpenApiExample(
            "A note with a drawing",
            value={
                "frame_in": 4,
                "text": "Track the lamp here.",
                "drawing": {
                    "strokes": [{"points": [[0.25, 0.4], [0.3, 0.45]], "color": "#ff3b30"}]
                },
            },
            request_only=True,
        ),
    ]
)
class NoteCreateSerializer(serializers.Serializer[Any]):
    frame_in = serializers.IntegerField(min_value=0, max_value=protocol.MAX_FRAME)
    frame_out = serializers.IntegerField(
        min_value=0, max_value=protocol.MAX_FRAME, required=False, allow_null=True
    )
    text = serializers.CharField(max_length=protocol.MAX_TEXT)
    drawing = serializers.JSONField(required=False, allow_null=True)
    session = serializers.IntegerField(required=False, allow_null=True)


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Resolve a note",
            value={"revision": 1, "status": "resolved"},
            description="`revision` is the note's revision your edit is based on (409 if the"
            " note changed since).",
            request_only=True,
        ),
        OpenApiExample(
            "Reword a note",
            value={"revision": 1, "text": "Soften the matte edge on both sides."},
            request_only=True,
        ),
    ]
)
class NoteUpdateSerializer(serializers.Serializer[Any]):
    revision = serializers.IntegerField(
        min_value=1, max_value=protocol.MAX_FRAME, help_text="The revision your edit is based on."
    )
    text = serializers.CharField(max_length=protocol.MAX_TEXT, required=False)
    drawing = serializers.JSONField(required=False, allow_null=True)
    status = serializers.ChoiceField(choices=["open", "resolved"], required=False)
    frame_in = serializers.IntegerField(min_value=0, max_value=protocol.MAX_FRAME, required=False)
    frame_out = serializers.IntegerField(min_value=0, max_value=protocol.MAX_FRAME, required=False)


@extend_schema_serializer(
    examples=[
        OpenApiExample("Reply", value={"text": "Fixed in the next version."}, request_only=True),
    ]
)
class ReplyCreateSerializer(serializers.Serializer[Any]):
    text = serializers.CharField(max_length=protocol.MAX_TEXT)


class ReviewPersonSerializer(serializers.Serializer[Any]):
    """Documents `apps.review.serializers.user_data`."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.EmailField()


class NoteReplySerializer(serializers.Serializer[Any]):
    """Documents `apps.review.serializers.reply_data`."""

    id = serializers.IntegerField()
    note = serializers.IntegerField()
    text = serializers.CharField()
    author = ReviewPersonSerializer()
    created_at = serializers.DateTimeField()


class NoteSerializer(serializers.Serializer[Any]):
    """Documents `apps.review.serializers.note_data` (with replies), as every note route
    answers it."""

    id = serializers.IntegerField()
    session = serializers.IntegerField(allow_null=True)
    version = serializers.IntegerField()
    frame_in = serializers.IntegerField()
    frame_out = serializers.IntegerField(allow_null=True)
    text = serializers.CharField()
    drawing = serializers.JSONField(allow_null=True)
    status = serializers.ChoiceField(choices=NoteStatus.choices)
    revision = serializers.IntegerField()
    author = ReviewPersonSerializer()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    project = serializers.IntegerField()
    source_job = serializers.IntegerField(
        allow_null=True, help_text="The render job that made the note's version (re-run from it)."
    )
    reruns = serializers.ListField(
        child=serializers.DictField(),
        help_text="Re-runs this note asked for: job, state, version and label once made.",
    )
    replies = NoteReplySerializer(many=True)


class NoteListSerializer(serializers.Serializer[Any]):
    """Documents the notes of a version, oldest first, each with its replies."""

    results = NoteSerializer(many=True)


class NoteReplyListSerializer(serializers.Serializer[Any]):
    """Documents the replies of a note, oldest first."""

    results = NoteReplySerializer(many=True)


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Approve",
            value={"decision": "approved", "comment": "Final for the client."},
            description="Add `session` (a review session id) to record it in that session.",
            request_only=True,
        ),
        OpenApiExample(
            "Ask for changes",
            value={"decision": "changes_requested", "comment": "See the notes on frames 0-12."},
            request_only=True,
        ),
    ]
)
class DecisionCreateSerializer(serializers.Serializer[Any]):
    decision = serializers.ChoiceField(choices=["approved", "changes_requested"])
    comment = serializers.CharField(required=False, allow_blank=True)
    session = serializers.IntegerField(required=False, allow_null=True)


_FORMAT = OpenApiParameter(
    "fmt", str, OpenApiParameter.PATH, enum=sorted(exports.FORMATS), description="Export format."
)
_TIMELINE = OpenApiParameter(
    "timeline",
    str,
    OpenApiParameter.QUERY,
    enum=list(exports.TIMELINES),
    description="record (default): the cut's record timecode; session: the session's reel.",
)


# csv, edl and avid (text), fcpxml (XML), as `exports.FORMATS` serves them.
_EXPORT_RESPONSES: dict[Any, Any] = {
    (200, "text/csv"): str,
    (200, "text/plain"): str,
    (200, "application/xml"): str,
}


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
        return Response(selectors.session_snapshot(session, viewer=request.user))

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

    @extend_schema(parameters=[_FORMAT, _TIMELINE], responses=_EXPORT_RESPONSES)
    def export(self, request: Request, **kwargs: Any) -> HttpResponse:
        session = self._session(kwargs["pk"])
        body, content_type, filename = exports.export_session(
            session, kwargs["fmt"], request.query_params.get("timeline", "record")
        )
        return _export_response(body, content_type, filename)


class NoteViewSet(_ReviewViewSet):
    model = Note
    # The notes of a version answer in one object (`{"results": [...]}`), not paged.
    schema_list_envelope = True

    def scoped_queryset(self) -> Any:
        return Note.objects.all()

    @extend_schema(responses={200: NoteListSerializer})
    def list(self, request: Request, **kwargs: Any) -> Response:
        version = access_version_by_id(int(kwargs["version_pk"]))
        notes = list(selectors.notes_of_version(version))
        lineage = notes_lineage(notes)
        return Response({"results": [note_data(n, replies=True, lineage=lineage) for n in notes]})

    @extend_schema(request=NoteCreateSerializer, responses={201: NoteSerializer})
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

    @extend_schema(responses={200: NoteSerializer})
    def retrieve(self, request: Request, **kwargs: Any) -> Response:
        return Response(note_data(selectors.access_note_by_id(int(kwargs["pk"])), replies=True))

    @extend_schema(request=NoteUpdateSerializer, responses={200: NoteSerializer})
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

    @extend_schema(methods=["GET"], responses={200: NoteReplyListSerializer})
    @extend_schema(
        methods=["POST"], request=ReplyCreateSerializer, responses={201: NoteReplySerializer}
    )
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

    @extend_schema(parameters=[_FORMAT, _TIMELINE], responses=_EXPORT_RESPONSES)
    def export(self, request: Request, **kwargs: Any) -> HttpResponse:
        version = access_version_by_id(int(kwargs["version_pk"]))
        body, content_type, filename = exports.export_version(
            version, kwargs["fmt"], request.query_params.get("timeline", "record")
        )
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
