"""The isolation battery: for every API route, a member of partner A (and studio staff
without a share) gets 404 for partner B's objects, whatever the method. A meta-test fails
when a route is added to /api/v1/ without being listed here."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import URLPattern, reverse

from studio import api_urls
from tests.api.helpers import api_client_for
from tests.factories import World

Kwargs = dict[str, Any]

# Route name -> URL kwargs that point at partner B's objects, seen from partner A.
FOREIGN: dict[str, Callable[[World], list[Kwargs]]] = {
    "org-detail": lambda w: [{"org": w.b.organization.slug}],
    "member-list": lambda w: [{"org": w.b.organization.slug}],
    "member-detail": lambda w: [
        {"org": w.b.organization.slug, "pk": _membership_id(w, "b")},
        {"org": w.a.organization.slug, "pk": _membership_id(w, "b")},
    ],
    "org-audit": lambda w: [{"org": w.b.organization.slug}],
    "project-list": lambda w: [{"org": w.b.organization.slug}],
    "project-detail": lambda w: [
        {"org": w.b.organization.slug, "pk": w.b.project.pk},
        {"org": w.a.organization.slug, "pk": w.b.project.pk},
    ],
    "share-list": lambda w: [
        {"org": w.b.organization.slug, "project_pk": w.b.project.pk},
        {"org": w.a.organization.slug, "project_pk": w.b.project.pk},
    ],
    "share-detail": lambda w: [
        {"org": w.a.organization.slug, "project_pk": w.b.project.pk, "pk": _share_id(w)},
        {"org": w.b.organization.slug, "project_pk": w.b.project.pk, "pk": _share_id(w)},
    ],
    "sequence-list": lambda w: [
        {"org": w.b.organization.slug, "project_pk": w.b.project.pk},
        {"org": w.a.organization.slug, "project_pk": w.b.project.pk},
    ],
    "sequence-detail": lambda w: [
        {"org": w.a.organization.slug, "project_pk": w.b.project.pk, "pk": w.b.sequence.pk},
        {"org": w.a.organization.slug, "project_pk": w.a.project.pk, "pk": w.b.sequence.pk},
    ],
    "shot-list": lambda w: [
        {"org": w.a.organization.slug, "project_pk": w.b.project.pk},
    ],
    "shot-detail": lambda w: [
        {"org": w.a.organization.slug, "project_pk": w.b.project.pk, "pk": w.b.shot.pk},
        {"org": w.a.organization.slug, "project_pk": w.a.project.pk, "pk": w.b.shot.pk},
    ],
    "cut-import-list": lambda w: [
        {"org": w.b.organization.slug, "project_pk": w.b.project.pk},
        {"org": w.a.organization.slug, "project_pk": w.b.project.pk},
    ],
    "cut-import-detail": lambda w: [
        {"org": w.a.organization.slug, "project_pk": w.b.project.pk, "pk": _cut_import_id(w)},
        {"org": w.a.organization.slug, "project_pk": w.a.project.pk, "pk": _cut_import_id(w)},
    ],
    "cut-import-apply": lambda w: [
        {"org": w.a.organization.slug, "project_pk": w.a.project.pk, "pk": _cut_import_id(w)},
        {"org": w.b.organization.slug, "project_pk": w.b.project.pk, "pk": _cut_import_id(w)},
    ],
    "sequence-export": lambda w: [
        {"org": w.a.organization.slug, "project_pk": w.b.project.pk, "pk": w.b.sequence.pk},
        {"org": w.a.organization.slug, "project_pk": w.a.project.pk, "pk": w.b.sequence.pk},
    ],
    # Media (apps.media, apps.production versions)
    "version-list": lambda w: [
        {"org": w.a.organization.slug, "project_pk": w.b.project.pk, "shot_pk": w.b.shot.pk},
        {"org": w.a.organization.slug, "project_pk": w.a.project.pk, "shot_pk": w.b.shot.pk},
    ],
    "version-detail": lambda w: [
        {"org": w.a.organization.slug, "project_pk": w.b.project.pk, "pk": _b_version_id(w)},
        {"org": w.a.organization.slug, "project_pk": w.a.project.pk, "pk": _b_version_id(w)},
    ],
    "upload-list": lambda w: [
        {"org": w.a.organization.slug, "project_pk": w.b.project.pk},
        {"org": w.b.organization.slug, "project_pk": w.b.project.pk},
    ],
    "upload-detail": lambda w: _b_upload_kwargs(w),
    "upload-parts": lambda w: _b_upload_kwargs(w),
    "upload-complete": lambda w: _b_upload_kwargs(w),
    "media-list": lambda w: _b_project_kwargs(w),
    "render-estimate": lambda w: _b_project_kwargs(w),
    # Characters (apps.production.characters_api)
    "character-list": lambda w: _b_project_kwargs(w),
    "character-detail": lambda w: [
        {"org": w.a.organization.slug, "project_pk": w.b.project.pk, "pk": _b_character_id(w)},
        {"org": w.a.organization.slug, "project_pk": w.a.project.pk, "pk": _b_character_id(w)},
    ],
    "media-detail": lambda w: _b_upload_kwargs(w),
    "media-link": lambda w: _b_upload_kwargs(w),
    # Assist (apps.assist)
    "ai-policy": lambda w: _b_project_kwargs(w),
    "assist-providers": lambda w: _b_project_kwargs(w),
    "assist-task-list": lambda w: _b_project_kwargs(w),
    "assist-summary": lambda w: _b_project_kwargs(w),
    "assist-rewrite": lambda w: _b_project_kwargs(w),
    "assist-calls": lambda w: _b_project_kwargs(w),
    "suggestion-list": lambda w: _b_project_kwargs(w),
    "suggestion-detail": lambda w: [
        {"org": w.a.organization.slug, "project_pk": w.b.project.pk, "pk": _suggestion_id(w)},
        {"org": w.a.organization.slug, "project_pk": w.a.project.pk, "pk": _suggestion_id(w)},
    ],
    "suggestion-accept": lambda w: [
        {"org": w.a.organization.slug, "project_pk": w.b.project.pk, "pk": _suggestion_id(w)},
        {"org": w.a.organization.slug, "project_pk": w.a.project.pk, "pk": _suggestion_id(w)},
    ],
    "suggestion-dismiss": lambda w: [
        {"org": w.a.organization.slug, "project_pk": w.b.project.pk, "pk": _suggestion_id(w)},
        {"org": w.a.organization.slug, "project_pk": w.a.project.pk, "pk": _suggestion_id(w)},
    ],
    "token-detail": lambda w: [{"pk": _token_id(w)}],
    "staff-audit": lambda w: [{}],
    # Review (apps.review)
    "review-session-list": lambda w: _b_project_kwargs(w),
    "review-session-detail": lambda w: _b_review_kwargs(w, "session"),
    "review-session-events": lambda w: _b_review_kwargs(w, "session"),
    "review-session-ticket": lambda w: _b_review_kwargs(w, "session"),
    "review-session-export": lambda w: [
        {**k, "fmt": "csv"} for k in _b_review_kwargs(w, "session")
    ],
    "review-note-list": lambda w: _b_review_kwargs(w, "version", key="version_pk"),
    "review-note-export": lambda w: [
        {**k, "fmt": "edl"} for k in _b_review_kwargs(w, "version", key="version_pk")
    ],
    "review-note-detail": lambda w: _b_review_kwargs(w, "note"),
    "review-reply-list": lambda w: _b_review_kwargs(w, "note"),
    "review-decision-list": lambda w: _b_review_kwargs(w, "version", key="version_pk"),
    "review-notification-list": lambda w: [{"org": w.b.organization.slug}],
    # Render (apps.render)
    "render-pool-list": lambda w: [{"org": w.b.organization.slug}],
    "render-operation-list": lambda w: [{"org": w.b.organization.slug}],
    "render-operation-detail": lambda w: [{"org": w.b.organization.slug, "name": "shot_match"}],
    "render-job-list": lambda w: _b_project_kwargs(w),
    "render-job-detail": lambda w: _render_job_kwargs(w),
    "render-job-cancel": lambda w: _render_job_kwargs(w),
    "render-job-retry": lambda w: _render_job_kwargs(w),
    "render-job-logs": lambda w: _render_job_kwargs(w),
    "render-job-provenance": lambda w: _render_job_kwargs(w),
    "version-provenance": lambda w: [
        {"org": w.a.organization.slug, "project_pk": p, "pk": _b_render_version_id(w)}
        for p in (w.b.project.pk, w.a.project.pk)
    ],
    "beta-invitation-list": lambda w: [{"org": w.b.organization.slug}],
    "beta-invitation-detail": lambda w: [
        {"org": w.b.organization.slug, "pk": _beta_invitation_id(w)},
        {"org": w.a.organization.slug, "pk": _beta_invitation_id(w)},
    ],
    "beta-feedback-list": lambda w: [{"org": w.b.organization.slug}],
    "beta-feedback-detail": lambda w: [
        {"org": w.b.organization.slug, "pk": _beta_feedback_id(w)},
        {"org": w.a.organization.slug, "pk": _beta_feedback_id(w)},
    ],
    "beta-feature-list": lambda w: [{"org": w.b.organization.slug}],
    "beta-staff-partner-list": lambda w: [{}],
    "beta-staff-partner-detail": lambda w: [{"org": w.b.organization.slug}],
    "beta-staff-report": lambda w: [{}],
}

# Routes about the requesting user: they answer 200, so they must not mention B at all.
SELF_ONLY = {"me", "org-list", "token-list"}


def _membership_id(world: World, which: str) -> int:
    from apps.tenancy.models import Membership
    from apps.tenancy.scope import tenant_scope

    partner = world.b if which == "b" else world.a
    with tenant_scope(partner.organization.pk):
        return Membership.objects.get(user=partner.owner).pk


def _share_id(world: World) -> int:
    from tests.factories import share_with_studio

    if not hasattr(world, "_b_share"):
        world._b_share = share_with_studio(world.b, world.studio)  # type: ignore[attr-defined]
        # Revoke it again so the studio reviewer probes an unshared project.
        from apps.tenancy.scope import tenant_scope
        from apps.tenancy.services import project_share_revoke

        with tenant_scope(world.b.organization.pk):
            project_share_revoke(share=world._b_share, actor=world.b.owner)  # type: ignore[attr-defined]
    return world._b_share.pk  # type: ignore[attr-defined]


def _cut_import_id(world: World) -> int:
    from apps.interchange.services import cut_import_preview
    from apps.tenancy.scope import tenant_scope

    if not hasattr(world, "_b_cut_import"):
        edl = (
            "TITLE: B\nFCM: NON-DROP FRAME\n\n"
            "001  B001 V     C        01:00:00:00 01:00:01:00 01:00:00:00 01:00:01:00\n"
            "* FROM CLIP NAME: SH0010\n"
        )
        with tenant_scope(world.b.organization.pk):
            world._b_cut_import = cut_import_preview(  # type: ignore[attr-defined]
                actor=world.b.owner,
                project=world.b.project,
                filename="b.edl",
                data=edl.encode(),
                sequence_code="SQ010",
            )
    return world._b_cut_import.pk  # type: ignore[attr-defined]


def _b_version_id(world: World) -> int:
    from apps.production.services import version_create
    from apps.tenancy.scope import tenant_scope

    if not hasattr(world, "_b_version"):
        with tenant_scope(world.b.organization.pk):
            world._b_version = version_create(  # type: ignore[attr-defined]
                actor=world.b.owner, shot=world.b.shot, source="upload"
            )
    return world._b_version.pk  # type: ignore[attr-defined]


def _b_review_kwargs(world: World, what: str, key: str = "pk") -> list[Kwargs]:
    """Partner B's review session, a version in it and a note on it, probed from A's
    organization, from B's (A is no member) and from the unshared studio."""
    from apps.review.notes import note_create
    from apps.review.sessions import session_create
    from apps.tenancy.scope import tenant_scope
    from apps.tenancy.selectors import members_of_current_organization

    if not hasattr(world, "_b_review"):
        version_id = _b_version_id(world)
        with tenant_scope(world.b.organization.pk, user_id=world.b.owner.pk):
            version = world._b_version  # type: ignore[attr-defined]
            owner = members_of_current_organization().get(user=world.b.owner)
            session = session_create(
                actor=owner,
                project=world.b.project,
                title="B dailies",
                version_ids=[version_id],
            )
            note = note_create(actor=owner, version=version, frame_in=1, text="b note")
        world._b_review = {"session": session.pk, "version": version_id, "note": note.pk}  # type: ignore[attr-defined]
    pk = world._b_review[what]  # type: ignore[attr-defined]
    return [
        {"org": world.a.organization.slug, key: pk},
        {"org": world.b.organization.slug, key: pk},
        {"org": world.studio.slug, key: pk},
    ]


def _b_project_kwargs(world: World) -> list[Kwargs]:
    a, b = world.a, world.b
    return [
        {"org": b.organization.slug, "project_pk": b.project.pk},
        {"org": a.organization.slug, "project_pk": b.project.pk},
    ]


def _b_upload_kwargs(world: World) -> list[Kwargs]:
    upload_id = _b_upload_id(world)
    a, b = world.a, world.b
    return [
        {"org": a.organization.slug, "project_pk": b.project.pk, "pk": upload_id},
        {"org": a.organization.slug, "project_pk": a.project.pk, "pk": upload_id},
    ]


def _render_job_kwargs(world: World) -> list[Kwargs]:
    job_id = _b_render_job_id(world)
    a, b = world.a, world.b
    return [
        {"org": a.organization.slug, "project_pk": b.project.pk, "pk": job_id},
        {"org": a.organization.slug, "project_pk": a.project.pk, "pk": job_id},
        {"org": b.organization.slug, "project_pk": b.project.pk, "pk": job_id},
    ]


def _b_render_job_id(world: World) -> int:
    """A finished render job of partner B, with a version and its provenance."""
    from apps.render.intake import report_receive
    from apps.render.scheduler import dispatch_pool, output_prefix
    from apps.render.submission import job_submit
    from apps.tenancy.scope import tenant_scope

    if not hasattr(world, "_b_render_job"):
        with tenant_scope(world.b.organization.pk, user_id=world.b.owner.pk):
            job = job_submit(
                actor=world.b.owner,
                project=world.b.project,
                shot=world.b.shot,
                operation="noop",
            )
        dispatch_pool(pool_id=job.pool_id, publish=lambda queue, spec: None)
        with tenant_scope(world.b.organization.pk):
            job.refresh_from_db()
            attempt = job.attempts.get()
        report = {
            "organization_id": world.b.organization.pk,
            "job_id": job.pk,
            "attempt_id": str(attempt.pk),
        }
        output = {"key": output_prefix(job, attempt) + "b.exr", "sha256": "b" * 64, "size": 1}
        report_receive(report={**report, "type": "started"})
        report_receive(report={**report, "type": "result", "outputs": [output]})
        world._b_render_job = job  # type: ignore[attr-defined]
    return world._b_render_job.pk  # type: ignore[attr-defined]


def _b_render_version_id(world: World) -> int:
    from apps.render.models import Job
    from apps.tenancy.scope import tenant_scope

    job_id = _b_render_job_id(world)
    with tenant_scope(world.b.organization.pk):
        version_id = Job.objects.get(pk=job_id).version_id
    assert version_id is not None
    return version_id


def _b_character_id(world: World) -> int:
    from apps.production.characters import character_create
    from apps.tenancy.models import Membership
    from apps.tenancy.scope import tenant_scope

    if not hasattr(world, "_b_character"):
        with tenant_scope(world.b.organization.pk):
            owner = Membership.objects.get(user=world.b.owner, organization=world.b.organization)
            world._b_character = character_create(  # type: ignore[attr-defined]
                actor=owner, project=world.b.project, name="B's lead"
            )
    return world._b_character.pk  # type: ignore[attr-defined]


def _b_upload_id(world: World) -> int:
    from apps.media.uploads import upload_start
    from apps.tenancy.scope import tenant_scope

    if not hasattr(world, "_b_upload"):
        with tenant_scope(world.b.organization.pk):
            world._b_upload = upload_start(  # type: ignore[attr-defined]
                actor=world.b.owner, shot=world.b.shot, filename="b_plate.mov", size=1024
            )
    return world._b_upload.pk  # type: ignore[attr-defined]


def _beta_invitation_id(world: World) -> int:
    from apps.beta.invitations import invitation_create

    if not hasattr(world, "_b_invitation"):
        world._b_invitation, _ = invitation_create(  # type: ignore[attr-defined]
            organization=world.b.organization,
            email="b-invitee@example.test",
            role="artist",
            actor=world.b.owner,
        )
    return world._b_invitation.pk  # type: ignore[attr-defined]


def _beta_feedback_id(world: World) -> int:
    from apps.beta.feedback import feedback_create
    from apps.tenancy.scope import tenant_scope

    if not hasattr(world, "_b_feedback"):
        with tenant_scope(world.b.organization.pk, user_id=world.b.owner.pk):
            world._b_feedback = feedback_create(  # type: ignore[attr-defined]
                user=world.b.owner, rating=4, text="b's feedback"
            )
    return world._b_feedback.pk  # type: ignore[attr-defined]


def _suggestion_id(world: World) -> int:
    from apps.assist.models import Suggestion
    from apps.tenancy.scope import tenant_scope

    if not hasattr(world, "_b_suggestion"):
        with tenant_scope(world.b.organization.pk):
            world._b_suggestion = Suggestion.objects.create(  # type: ignore[attr-defined]
                project=world.b.project,
                kind="summary",
                source_type="version",
                source_id=1,
                text="B's private summary",
            )
    return world._b_suggestion.pk  # type: ignore[attr-defined]


def _token_id(world: World) -> int:
    from apps.accounts.services import api_token_create

    token, _ = api_token_create(user=world.b.owner, name="b's token")
    return token.pk


def _api_patterns() -> list[URLPattern]:
    return [p for p in api_urls.urlpatterns if isinstance(p, URLPattern)]


def _route_name(pattern: URLPattern) -> str:
    assert pattern.name is not None, f"API route {pattern.pattern} has no name"
    return pattern.name


def _methods(pattern: URLPattern) -> list[str]:
    actions: dict[str, str] = pattern.callback.actions  # type: ignore[attr-defined]
    return sorted(actions)


def test_every_api_route_is_covered_by_the_isolation_battery() -> None:
    names = {_route_name(p) for p in _api_patterns()}
    missing = names - set(FOREIGN) - SELF_ONLY
    assert not missing, f"add these routes to the isolation battery: {sorted(missing)}"
    assert not (set(FOREIGN) | SELF_ONLY) - names, "battery lists routes that no longer exist"


@pytest.mark.parametrize(
    "pattern", [p for p in _api_patterns() if p.name not in SELF_ONLY], ids=lambda p: p.name
)
@pytest.mark.django_db
def test_foreign_objects_answer_404_for_every_method(pattern: URLPattern, world: World) -> None:
    actors = {"partner A owner": world.a.owner, "unshared studio reviewer": world.reviewer}
    for kwargs in FOREIGN[_route_name(pattern)](world):
        url = reverse(f"api:{pattern.name}", kwargs=kwargs)
        for label, user in actors.items():
            client = api_client_for(user)
            for method in _methods(pattern):
                response = getattr(client, method)(url, {}, format="json")
                assert response.status_code == 404, (
                    f"{label} {method.upper()} {url} answered {response.status_code}: "
                    f"{response.content[:200]!r}"
                )
                if method == "head":
                    continue
                body = json.loads(response.content)
                assert body["error"]["code"] == "not_found"
                assert world.b.project.name not in response.content.decode()


@pytest.mark.parametrize("name", sorted(SELF_ONLY))
@pytest.mark.django_db
def test_user_scoped_routes_never_mention_another_partner(name: str, world: World) -> None:
    _token_id(world)
    response = api_client_for(world.a.owner).get(reverse(f"api:{name}"))
    assert response.status_code == 200
    text = response.content.decode()
    for secret in (
        world.b.organization.slug,
        world.b.owner.email,
        "b's token",
        world.b.project.name,
    ):
        assert secret not in text


@pytest.mark.django_db
def test_partner_sees_own_objects_through_the_same_routes(world: World) -> None:
    client = api_client_for(world.a.viewer)
    org = world.a.organization.slug
    projects = client.get(reverse("api:project-list", kwargs={"org": org})).json()
    assert [p["id"] for p in projects["results"]] == [world.a.project.pk]
    shot = client.get(
        reverse(
            "api:shot-detail",
            kwargs={"org": org, "project_pk": world.a.project.pk, "pk": world.a.shot.pk},
        )
    ).json()
    assert (shot["cut_in"], shot["cut_out"], shot["frame_count"]) == (1001, 1096, 96)
