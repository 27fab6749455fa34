"""Characters pages: a project's characters (list and create) and one character (edit, its
reference stills uploaded through the normal multipart upload flow, and the consent its
likeness depends on). They show production and media things, so they live on the top
floor; every write goes through `apps.production.characters` or `apps.media.uploads`."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from apps.core.errors import BacklotError
from apps.media.selectors import posters_of_sources, reference_stills_of_characters
from apps.media.stills import reference_still_remove
from apps.production import characters, selectors
from apps.production.models import Character, Project
from apps.tenancy.models import Membership, Role
from apps.tenancy.policy import Capability, can
from apps.tenancy.web import organization_page

FIELDS = ("name", "talent_name", "description", "consent")
# What a browser shows inline; other stills (EXR, DPX, TIFF) show their poster frame.
INLINE_IMAGE_TYPES = {"image/png", "image/jpeg"}


def _can_write(membership: Membership, project: Project) -> bool:
    return (
        can(membership, Capability.PRODUCTION_WRITE)
        and project.organization_id == membership.organization_id
    )


def _can_upload(membership: Membership, project: Project) -> bool:
    return (
        can(membership, Capability.MEDIA_UPLOAD)
        and project.organization_id == membership.organization_id
    )


def _consent_id(value: str) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() else None


def _consent_status(character: Character) -> dict[str, Any]:
    active = selectors.character_active_consent(character)
    chosen = character.consent
    return {
        "active": active,
        # A chosen record that is no longer in force is worth saying out loud.
        "chosen_lapsed": chosen is not None and (active is None or active.pk != chosen.pk),
    }


def _stills_context(character_list: list[Character]) -> dict[int, list[dict[str, Any]]]:
    stills = reference_stills_of_characters([c.pk for c in character_list])
    posters = posters_of_sources([m.pk for items in stills.values() for m in items])
    return {
        character_id: [
            {
                "media": media,
                "poster": posters.get(media.pk),
                "inline": media.state == "ready" and media.content_type in INLINE_IMAGE_TYPES,
            }
            for media in items
        ]
        for character_id, items in stills.items()
    }


def _common(membership: Membership, project: Project) -> dict[str, Any]:
    return {
        "membership": membership,
        "project": project,
        "can_write": _can_write(membership, project),
        "can_upload": _can_upload(membership, project),
        "can_record_consent": membership.role == Role.OWNER
        and project.organization_id == membership.organization_id,
        "consents": selectors.consents_in_force_of_project(project),
        "today": timezone.localdate(),
    }


@organization_page
@require_http_methods(["GET", "POST"])
def characters_page(request: HttpRequest, membership: Membership, project_id: int) -> HttpResponse:
    project = selectors.access_project_by_id(project_id)
    form: dict[str, str] = dict.fromkeys(FIELDS, "")
    error: BacklotError | None = None
    if request.method == "POST":
        form = {key: request.POST.get(key, "") for key in FIELDS}
        try:
            character = characters.character_create(
                actor=membership,
                project=project,
                name=form["name"],
                talent_name=form["talent_name"],
                description=form["description"],
                consent_id=_consent_id(form["consent"]),
            )
        except BacklotError as failure:
            error = failure
        else:
            return HttpResponseRedirect(
                reverse(
                    "character-page", args=[membership.organization.slug, project.pk, character.pk]
                )
                + "?created=1"
            )
    character_list = list(selectors.characters_of_project_with_consent(project))
    stills = _stills_context(character_list)
    rows = [
        {"character": c, "stills": stills.get(c.pk, []), **_consent_status(c)}
        for c in character_list
    ]
    return render(
        request,
        "production/characters.html",
        {
            **_common(membership, project),
            "rows": rows,
            "form": form,
            "error": error,
        },
        status=error.status_code if error else 200,
    )


@organization_page
@require_http_methods(["GET", "POST"])
def character_page(
    request: HttpRequest, membership: Membership, project_id: int, character_id: int
) -> HttpResponse:
    project = selectors.access_project_by_id(project_id)
    character = selectors.access_character_by_id(character_id, project=project)
    form: dict[str, str] = {
        "name": character.name,
        "talent_name": character.talent_name,
        "description": character.description,
        "consent": str(character.consent_id or ""),
    }
    error: BacklotError | None = None
    saved = False
    if request.method == "POST":
        form = {key: request.POST.get(key, "") for key in FIELDS}
        consent_id = _consent_id(form["consent"])
        try:
            character = characters.character_update(
                actor=membership,
                character=character,
                name=form["name"],
                talent_name=form["talent_name"],
                description=form["description"],
                consent_id=consent_id,
                clear_consent=consent_id is None,
            )
        except BacklotError as failure:
            error = failure
        else:
            saved = True
            character = selectors.access_character_by_id(character.pk, project=project)
    context = _common(membership, project)
    chosen = character.consent
    if chosen is not None and chosen not in context["consents"]:
        context["consents"] = [chosen, *context["consents"]]
    return render(
        request,
        "production/character.html",
        {
            **context,
            "character": character,
            "stills": _stills_context([character]).get(character.pk, []),
            "form": form,
            "error": error,
            "saved": saved,
            "created": request.method == "GET" and request.GET.get("created") == "1",
            "max_upload_bytes": settings.MEDIA_MAX_UPLOAD_BYTES,
            **_consent_status(character),
        },
        status=error.status_code if error else 200,
    )


@require_POST
@organization_page
def character_still_remove(
    request: HttpRequest, membership: Membership, project_id: int, character_id: int, media_id: int
) -> HttpResponse:
    """Removes one reference still of the character, then back to the character's page."""
    project = selectors.access_project_by_id(project_id)
    character = selectors.access_character_by_id(character_id, project=project)
    still = next(
        (
            m
            for m in reference_stills_of_characters([character.pk]).get(character.pk, [])
            if m.pk == media_id
        ),
        None,
    )
    page = reverse("character-page", args=[membership.organization.slug, project.pk, character.pk])
    if still is None:
        messages.error(request, "That reference still is no longer there.")
        return HttpResponseRedirect(page)
    try:
        reference_still_remove(actor=membership, media=still)
    except BacklotError as failure:
        messages.error(request, failure.message)
    else:
        messages.success(
            request, f"{still.original_filename} is no longer a reference of {character.name}."
        )
    return HttpResponseRedirect(page)
