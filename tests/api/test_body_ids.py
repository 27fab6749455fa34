"""Foreign ids in request bodies (security issue 16; standing suite). The isolation battery
covers ids in URLs; this one puts, into every writable body field that names another
object, another partner's object, an object of the studio the project is not shared with
(where the studio has such objects) and an id that does not exist. All of them get the
same 4xx, and nothing is written.

The fields come from the OpenAPI schema's request bodies: a meta-test fails when a body
field that can name an object (an integer or a list of integers that is not a quantity,
or a known reference of another type) is neither probed here nor listed with a reason."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.api.helpers import api_client_for
from tests.api.test_isolation import _b_character_id, _b_review_kwargs, _b_version_id
from tests.factories import World

NOWHERE = 987_654_321

# Integer body fields that are quantities or positions, never a reference to an object.
QUANTITIES = {
    "rating",
    "width",
    "height",
    "cut_in",
    "cut_out",
    "frame_in",
    "frame_out",
    "revision",
    "priority",
    "size",
    "seat_quota",
    "invite_quota",
    "max_retention_days",
    "parts",
}
# Reference fields whose type is not an integer.
OTHER_REFERENCES = {"inputs", "grantee"}

# Reference fields that are not tenant objects, with the reason.
NOT_TENANT = {
    ("staff_beta_partners_create", "cohort"): "cohorts are the studio's own; beta admins only",
    ("staff_beta_partners_partial_update", "cohort"): "cohorts are the studio's own",
}


@dataclass
class Case:
    user: Any
    url: str
    body: dict[str, Any]
    foreign: list[Any]  # values put into the field
    count: Callable[[], int]  # rows that must not change
    method: str = "post"
    wrap: Callable[[Any], Any] = field(default=lambda v: v)


def _a_version(world: World) -> int:
    from apps.production.services import version_create
    from apps.tenancy.scope import tenant_scope

    with tenant_scope(world.a.organization.pk):
        return version_create(actor=world.a.owner, shot=world.a.shot, source="upload").pk


def _count(world: World, model_path: str) -> Callable[[], int]:
    def count() -> int:
        from importlib import import_module

        from apps.tenancy.scope import tenant_scope

        module, name = model_path.rsplit(".", 1)
        model = getattr(import_module(module), name)
        with tenant_scope(world.a.organization.pk):
            return int(model.objects.count())

    return count


def _project_url(world: World, tail: str) -> str:
    return f"/api/v1/orgs/{world.a.organization.slug}/projects/{world.a.project.pk}/{tail}"


def _b_media(world: World) -> int:
    from apps.media.files import media_file_register
    from apps.media.models import MediaKind, MediaState
    from apps.tenancy.scope import tenant_scope

    b = world.b
    with tenant_scope(b.organization.pk):
        return media_file_register(
            organization_id=b.organization.pk,
            project_id=b.project.pk,
            shot_id=b.shot.pk,
            kind=MediaKind.PLATE,
            state=MediaState.READY,
            storage_key=f"org/{b.organization.pk}/project/{b.project.pk}/b.exr",
            original_filename="b.exr",
        ).pk


def _b_job(world: World) -> int:
    from apps.render.submission import job_submit
    from apps.tenancy.scope import tenant_scope

    with tenant_scope(world.b.organization.pk, user_id=world.b.owner.pk):
        return job_submit(
            actor=world.b.owner, project=world.b.project, shot=world.b.shot, operation="noop"
        ).pk


def _b(world: World, what: str) -> int:
    return int(_b_review_kwargs(world, what)[0]["pk"])


def _sessions(world: World, fld: str) -> Case:
    version = _a_version(world)
    foreign = {
        "versions": [_b_version_id(world), NOWHERE],
        "participants": [world.b.owner.pk, world.reviewer.pk, NOWHERE],
    }[fld]
    return Case(
        user=world.a.producer,
        url=_project_url(world, "review-sessions/"),
        body={"title": "Dailies", "versions": [version]},
        foreign=foreign,
        count=_count(world, "apps.review.models.ReviewSession"),
        wrap=lambda v: [v],
    )


def _jobs(world: World, fld: str) -> Case:
    foreign: dict[str, list[Any]] = {
        "shot": [world.b.shot.pk, NOWHERE],
        "inputs": [_b_media(world), NOWHERE],
        "character": [_b_character_id(world), NOWHERE],
        "parent": [_b_job(world), NOWHERE],
        "note": [_b(world, "note"), NOWHERE],
    }
    return Case(
        user=world.a.producer,
        url=_project_url(world, "render-jobs/"),
        body={"shot": world.a.shot.pk, "operation": "noop"},
        foreign=foreign[fld],
        count=_count(world, "apps.render.models.Job"),
        wrap=(lambda v: {"source": v}) if fld == "inputs" else (lambda v: v),
    )


def _notes(world: World, _: str) -> Case:
    version = _a_version(world)
    return Case(
        user=world.a.producer,
        url=f"/api/v1/orgs/{world.a.organization.slug}/versions/{version}/notes/",
        body={"frame_in": 1, "text": "too dark"},
        foreign=[_b(world, "session"), NOWHERE],
        count=_count(world, "apps.review.models.Note"),
    )


def _decisions(world: World, _: str) -> Case:
    version = _a_version(world)
    return Case(
        user=world.a.owner,
        url=f"/api/v1/orgs/{world.a.organization.slug}/versions/{version}/decisions/",
        body={"decision": "approved"},
        foreign=[_b(world, "session"), NOWHERE],
        count=_count(world, "apps.review.models.Decision"),
    )


def _shots(world: World, _: str) -> Case:
    return Case(
        user=world.a.producer,
        url=_project_url(world, "shots/"),
        body={"code": "SH9990", "cut_in": 1001, "cut_out": 1010},
        foreign=[world.b.sequence.pk, NOWHERE],
        count=_count(world, "apps.production.models.Shot"),
    )


def _uploads(world: World, fld: str) -> Case:
    base: dict[str, Any] = {"filename": "plate.mov", "size": 1024}
    if fld == "character":
        base["kind"] = "reference"
        base["filename"] = "still.jpg"
    else:
        base["shot"] = world.a.shot.pk
    return Case(
        user=world.a.producer,
        url=_project_url(world, "uploads/"),
        body=base,
        foreign=[world.b.shot.pk if fld == "shot" else _b_character_id(world), NOWHERE],
        count=_count(world, "apps.media.models.MediaFile"),
    )


def _assist(world: World, task: str) -> Callable[[World, str], Case]:
    def build(world: World, fld: str) -> Case:
        return Case(
            user=world.a.producer,
            url=_project_url(world, f"assist/{task}/"),
            body={"provider": "local"},
            foreign=[_b(world, fld), NOWHERE],
            count=_count(world, "apps.assist.models.Suggestion"),
        )

    return build


def _feedback(world: World, _: str) -> Case:
    return Case(
        user=world.a.owner,
        url=f"/api/v1/orgs/{world.a.organization.slug}/feedback/",
        body={"rating": 3, "text": "fine", "subject_type": "version"},
        foreign=[_b_version_id(world), NOWHERE],
        count=_count(world, "apps.beta.models.Feedback"),
    )


def _shares(world: World, _: str) -> Case:
    return Case(
        user=world.a.owner,
        url=_project_url(world, "shares/"),
        body={},
        foreign=[world.b.organization.slug, "no-such-organization"],
        count=_count(world, "apps.tenancy.models.ProjectShare"),
    )


def _characters(world: World, _: str) -> Case:
    return Case(
        user=world.a.producer,
        url=_project_url(world, "characters/"),
        body={"name": "Lead"},
        foreign=[NOWHERE],
        count=_count(world, "apps.production.models.Character"),
    )


PROBES: dict[tuple[str, str], Callable[[World, str], Case]] = {
    ("orgs_projects_review_sessions_create", "versions"): _sessions,
    ("orgs_projects_review_sessions_create", "participants"): _sessions,
    ("orgs_projects_render_jobs_create", "shot"): _jobs,
    ("orgs_projects_render_jobs_create", "inputs"): _jobs,
    ("orgs_projects_render_jobs_create", "character"): _jobs,
    ("orgs_projects_render_jobs_create", "parent"): _jobs,
    ("orgs_projects_render_jobs_create", "note"): _jobs,
    ("orgs_versions_notes_create", "session"): _notes,
    ("orgs_versions_decisions_create", "session"): _decisions,
    ("orgs_projects_shots_create", "sequence"): _shots,
    ("orgs_projects_uploads_create", "shot"): _uploads,
    ("orgs_projects_uploads_create", "character"): _uploads,
    ("orgs_feedback_create", "subject_id"): _feedback,
    ("orgs_projects_shares_create", "grantee"): _shares,
    ("orgs_projects_characters_create", "consent"): _characters,
    **{
        (f"orgs_projects_assist_{task}_create", fld): _assist(World, task.replace("_", "-"))  # type: ignore[arg-type]
        for task in ("rewrite", "summary", "task_list")
        for fld in ("session", "version", "note")
    },
}
# Probed through the create route of the same serializer field (same service path).
SAME_AS = {
    ("orgs_projects_characters_partial_update", "consent"): (
        "orgs_projects_characters_create",
        "consent",
    ),
}


def _schema_reference_fields() -> set[tuple[str, str]]:
    from drf_spectacular.generators import SchemaGenerator

    from studio import api_urls

    schema = SchemaGenerator(patterns=api_urls.urlpatterns).get_schema(request=None, public=True)
    components = schema["components"]["schemas"]

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        ref = node.get("$ref")
        return components[ref.split("/")[-1]] if ref else node

    found = set()
    for operations in schema["paths"].values():
        for method, operation in operations.items():
            body = operation.get("requestBody") if method in ("post", "put", "patch") else None
            if not body:
                continue
            media = next(iter(body["content"].values()))
            for name, prop in resolve(media["schema"]).get("properties", {}).items():
                prop = resolve(prop)
                if prop.get("readOnly"):
                    continue
                kind = prop.get("type")
                items = resolve(prop.get("items", {})).get("type") if kind == "array" else None
                integer = kind == "integer" or items == "integer"
                if (integer and name not in QUANTITIES) or name in OTHER_REFERENCES:
                    found.add((operation["operationId"], name))
    return found


def test_every_body_reference_is_probed_or_explained() -> None:
    fields = _schema_reference_fields()
    assert ("orgs_projects_render_jobs_create", "shot") in fields  # the walk sees bodies
    covered = set(PROBES) | set(SAME_AS) | set(NOT_TENANT)
    assert fields - covered == set(), "body fields that name objects without a probe"
    assert covered - fields == set(), "probes of fields the API no longer has"


@pytest.mark.django_db
@pytest.mark.parametrize("operation,fld", sorted(PROBES), ids=lambda v: str(v))
def test_foreign_ids_in_a_body_get_one_answer_and_write_nothing(
    world: World, operation: str, fld: str
) -> None:
    case = PROBES[(operation, fld)](world, fld)
    client = api_client_for(case.user)
    before = case.count()
    answers = set()
    for value in case.foreign:
        body = {**case.body, fld: case.wrap(value)}
        response = getattr(client, case.method)(case.url, body, format="json")
        assert 400 <= response.status_code < 500, (value, response.status_code, response.content)
        error = response.json()["error"]
        message = error["message"]
        for other in (str(value), world.b.organization.name, world.b.owner.email):
            message = message.replace(other, "<id>")
        answers.add((response.status_code, error["code"], message))
    assert len(answers) == 1, answers
    assert case.count() == before
