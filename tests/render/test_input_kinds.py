"""What a GPU job may read and run (security issue 16, item 14): documents (consent forms,
reports), posters, filmstrips and review proxies are never job inputs, whatever the
operation; the test-only noop operation is refused in production and never holds a GPU
slot for long."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from apps.core.errors import ValidationFailed
from apps.media.models import MediaKind, MediaState
from apps.render import submission
from apps.tenancy.scope import tenant_scope
from tests.factories import World
from tests.render.helpers import make_input_media, make_pool

pytestmark = pytest.mark.django_db


def _media(world: World, kind: MediaKind, name: str, **extra: Any) -> Any:
    from apps.media.files import media_file_register

    a = world.a
    with tenant_scope(a.organization.pk):
        return media_file_register(
            organization_id=a.organization.pk,
            project_id=a.project.pk,
            kind=kind,
            state=MediaState.READY,
            storage_key=f"org/{a.organization.pk}/project/{a.project.pk}/{name}",
            original_filename=name,
            **extra,
        )


def test_documents_posters_filmstrips_and_proxies_are_never_job_inputs(world: World) -> None:
    a = world.a
    plate = make_input_media(a)
    refused = [
        _media(world, MediaKind.DOCUMENT, "consent.pdf"),
        _media(world, MediaKind.POSTER, "poster.jpg", derived_from_id=plate.pk),
        _media(world, MediaKind.FILMSTRIP, "strip.jpg", derived_from_id=plate.pk),
        _media(world, MediaKind.PROXY, "proxy.mp4", derived_from_id=plate.pk),
        _media(world, MediaKind.PROXY, "mine.mp4", derived_from_id=plate.pk, viewer_id=a.viewer.pk),
    ]
    pool = make_pool()
    messages = set()
    with tenant_scope(a.organization.pk, user_id=a.producer.pk):
        for media in refused:
            with pytest.raises(ValidationFailed) as error:
                submission.job_submit(
                    actor=a.producer,
                    project=a.project,
                    shot=a.shot,
                    operation="noop",
                    inputs={"source": media.pk},
                    pool=pool.name,
                )
            assert error.value.field == "inputs.source"
            messages.add(str(error.value).replace(str(media.pk), "N"))
        # One answer for all of them: the input does not exist for a job.
        assert len(messages) == 1
        job = submission.job_submit(
            actor=a.producer,
            project=a.project,
            shot=a.shot,
            operation="noop",
            inputs={"source": plate.pk},
            pool=pool.name,
        )
        assert job.inputs["source"]["media_file_id"] == plate.pk


def test_noop_is_short_and_never_runs_in_production(world: World) -> None:
    a = world.a
    pool = make_pool()
    submit: dict[str, Any] = dict(
        actor=a.producer, project=a.project, shot=a.shot, operation="noop", pool=pool.name
    )
    with tenant_scope(a.organization.pk, user_id=a.producer.pk):
        with pytest.raises(ValidationFailed, match="seconds must be between"):
            submission.job_submit(**submit, params={"seconds": 3600})
        with override_settings(BACKLOT_ENV="production", RENDER_ALLOW_TEST_OPERATIONS=True):
            with pytest.raises(ValidationFailed) as error:
                submission.job_submit(**submit, params={"seconds": 0})
        assert error.value.field == "operation"
