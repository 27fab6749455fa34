"""Characters in the API and the browser pages: create with a reference still and a consent,
edit, refusal for viewers, consent state, isolation between partners."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from apps.media import samples
from apps.media.models import MediaFile, MediaKind, MediaState
from apps.media.uploads import media_validate
from apps.production.models import Character
from apps.render import consent
from apps.tenancy.scope import tenant_scope
from tests.api.helpers import api_client_for
from tests.factories import Partner, World
from tests.media.helpers import api_url, send_parts


def _login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _record_consent(partner: Partner, character_id: int, *, days: int = 30) -> int:
    today = datetime.date.today()
    with tenant_scope(partner.organization.pk, user_id=partner.owner.pk):
        character = Character.objects.get(pk=character_id)
        record = consent.consent_record_create(
            actor=partner.owner,
            project=partner.project,
            character=character,
            talent_name="Ana Ruiz",
            scopes=["likeness"],
            valid_from=today,
            valid_until=today + datetime.timedelta(days=days),
            document_name="consent.pdf",
            document_content=b"%PDF-1.4 signed",
        )
    return record.pk


def _characters_url(partner: Partner) -> str:
    return api_url("character-list", partner.organization.slug, partner.project.pk)


def _still(tmp_path: Path) -> Path:
    return samples.make_still(tmp_path / "mara_front.png", width=64, height=64)


def _upload_still(client: Any, partner: Partner, character_id: int, path: Path) -> dict:
    org, project = partner.organization.slug, partner.project.pk
    data = path.read_bytes()
    started = client.post(
        api_url("upload-list", org, project),
        {"character": character_id, "filename": path.name, "size": len(data)},
        format="json",
    )
    assert started.status_code == 201, started.content
    upload = started.json()
    assert upload["character"] == character_id and upload["kind"] == "reference"
    send_parts(client, org, project, upload, data, list(range(1, upload["part_count"] + 1)))
    completed = client.post(api_url("upload-complete", org, project, pk=upload["id"]))
    assert completed.status_code == 200, completed.content
    body = dict(completed.json())
    # The validation task (Celery after commit in production) runs here directly.
    media_validate(organization_id=partner.organization.pk, media_id=body["id"])
    return body


@pytest.mark.django_db
def test_api_creates_a_character_with_a_still_and_a_consent_then_edits_it(
    world: World, tmp_path: Path
) -> None:
    a = world.a
    client = api_client_for(a.producer)
    created = client.post(
        _characters_url(a), {"name": "Mara", "talent_name": "Ana Ruiz"}, format="json"
    )
    assert created.status_code == 201, created.content
    character = created.json()
    assert character["active_consent"] is None  # character consistency would be refused

    upload = _upload_still(client, a, character["id"], _still(tmp_path))
    assert upload["version"] is None  # a still belongs to the character, not to a shot
    stills = client.get(
        api_url("media-list", a.organization.slug, a.project.pk) + f"?character={character['id']}"
    ).json()["results"]
    assert [(m["id"], m["kind"], m["state"]) for m in stills] == [
        (upload["id"], "reference", "ready")
    ]

    # A consent recorded for another character of the same talent can be chosen.
    other = client.post(_characters_url(a), {"name": "Young Mara"}, format="json").json()
    record_id = _record_consent(a, other["id"])
    detail = api_url("character-detail", a.organization.slug, a.project.pk, pk=character["id"])
    edited = client.patch(
        detail, {"consent": record_id, "description": "Lead, scar on the left cheek"}, format="json"
    )
    assert edited.status_code == 200, edited.content
    body = edited.json()
    assert body["consent"] == record_id
    assert body["active_consent"]["id"] == record_id
    assert body["active_consent"]["talent_name"] == "Ana Ruiz"
    assert body["description"] == "Lead, scar on the left cheek"

    cleared = client.patch(detail, {"consent": None}, format="json").json()
    assert cleared["consent"] is None and cleared["active_consent"] is None


@pytest.mark.django_db
def test_api_answers_bad_input_with_the_field(world: World) -> None:
    a = world.a
    client = api_client_for(a.producer)
    blank = client.post(_characters_url(a), {"name": "  "}, format="json")
    assert blank.status_code == 400
    assert blank.json()["error"]["fields"] and "name" in str(blank.json()["error"]["fields"])
    client.post(_characters_url(a), {"name": "Mara"}, format="json")
    twice = client.post(_characters_url(a), {"name": "mara"}, format="json")
    assert twice.status_code == 409 and "already exists" in twice.json()["error"]["message"]
    wrong_consent = client.post(
        _characters_url(a), {"name": "Ivo", "consent": 99999}, format="json"
    )
    assert wrong_consent.status_code == 400
    assert "consent" in str(wrong_consent.json()["error"]["fields"])
    movie = client.post(
        api_url("upload-list", a.organization.slug, a.project.pk),
        {
            "character": _first_character(a),
            "filename": "clip.mov",
            "size": 100,
        },
        format="json",
    )
    assert movie.status_code == 400 and "not a still image" in movie.json()["error"]["message"]


def _first_character(partner: Partner) -> int:
    with tenant_scope(partner.organization.pk):
        return Character.objects.filter(project=partner.project).first().pk  # type: ignore[union-attr]


@pytest.mark.django_db
def test_viewers_cannot_create_or_edit_characters(world: World) -> None:
    a = world.a
    refused = api_client_for(a.viewer).post(_characters_url(a), {"name": "Mara"}, format="json")
    assert refused.status_code == 403
    created = api_client_for(a.producer).post(_characters_url(a), {"name": "Mara"}, format="json")
    detail = api_url("character-detail", a.organization.slug, a.project.pk, pk=created.json()["id"])
    assert api_client_for(a.viewer).patch(detail, {"name": "X"}, format="json").status_code == 403
    # The page shows the list but no form, and a POST says why.
    client = _login(a.viewer)
    page_url = reverse("characters-page", args=[a.organization.slug, a.project.pk])
    page = client.get(page_url)
    assert page.status_code == 200 and "Mara" in page.content.decode()
    assert 'data-testid="character-form"' not in page.content.decode()
    posted = client.post(page_url, {"name": "Ivo"})
    assert posted.status_code == 403 and "cannot change projects" in posted.content.decode()
    with tenant_scope(a.organization.pk):
        assert not Character.objects.filter(name="Ivo").exists()


@pytest.mark.django_db
def test_other_partner_cannot_see_or_touch_characters(world: World) -> None:
    a, b = world.a, world.b
    created = api_client_for(b.producer).post(_characters_url(b), {"name": "Secret"}, format="json")
    character_id = created.json()["id"]
    client = _login(a.owner)
    for url in (
        reverse("characters-page", args=[b.organization.slug, b.project.pk]),
        reverse("characters-page", args=[a.organization.slug, b.project.pk]),
        reverse("character-page", args=[a.organization.slug, a.project.pk, character_id]),
    ):
        assert client.get(url).status_code == 404
    upload = api_client_for(a.owner).post(
        api_url("upload-list", a.organization.slug, a.project.pk),
        {"character": character_id, "filename": "x.png", "size": 10},
        format="json",
    )
    assert upload.status_code == 404


@pytest.mark.django_db
def test_pages_create_keep_input_on_error_and_show_consent_state(world: World) -> None:
    a = world.a
    client = _login(a.producer)
    project_page = client.get(reverse("project-page", args=[a.organization.slug, a.project.pk]))
    url = reverse("characters-page", args=[a.organization.slug, a.project.pk])
    assert url in project_page.content.decode()

    bad = client.post(url, {"name": "", "talent_name": "Ana Ruiz", "description": "Lead"})
    text = bad.content.decode()
    assert bad.status_code == 400
    assert 'data-testid="character-name-error"' in text and "needs a name" in text
    assert 'value="Ana Ruiz"' in text and ">Lead</textarea>" in text

    made = client.post(url, {"name": "Mara", "talent_name": "Ana Ruiz"})
    assert made.status_code == 302
    character_url = made["Location"]
    page = client.get(character_url).content.decode()
    assert "No active consent" in page and "Character consistency will be refused" in page
    assert reverse("render-consents-page", args=[a.organization.slug, a.project.pk]) in page

    with tenant_scope(a.organization.pk):
        character = Character.objects.get(project=a.project, name="Mara")
    record_id = _record_consent(a, character.pk)
    listing = client.get(url).content.decode()
    assert 'data-state="active"' in listing and "Ana Ruiz" in listing

    renamed = client.post(
        character_url.split("?")[0],
        {"name": "Mara Vidal", "talent_name": "Ana Ruiz", "description": "", "consent": record_id},
    )
    assert renamed.status_code == 200 and "Changes saved." in renamed.content.decode()
    with tenant_scope(a.organization.pk):
        character.refresh_from_db()
        assert (character.name, character.consent_id) == ("Mara Vidal", record_id)


@pytest.mark.django_db
def test_character_page_lists_its_stills(world: World, tmp_path: Path) -> None:
    a = world.a
    api = api_client_for(a.producer)
    character = api.post(_characters_url(a), {"name": "Mara"}, format="json").json()
    upload = _upload_still(api, a, character["id"], _still(tmp_path))
    with tenant_scope(a.organization.pk):
        media = MediaFile.objects.get(pk=upload["id"])
        assert (media.kind, media.state, media.character_id, media.version_id) == (
            MediaKind.REFERENCE,
            MediaState.READY,
            character["id"],
            None,
        )
    page = _login(a.producer).get(
        reverse("character-page", args=[a.organization.slug, a.project.pk, character["id"]])
    )
    text = page.content.decode()
    assert f'data-media-id="{upload["id"]}"' in text and "mara_front.png" in text
    assert reverse("media-link-page", args=[a.organization.slug, upload["id"], "play"]) in text
