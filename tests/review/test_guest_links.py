"""Guest review links: creation rules, the guest's page, password rate limit, expiry,
revocation, what a guest can reach (only what the link names) and partner isolation."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.audit.models import AuditEntry
from apps.core.errors import Forbidden, NotFound, ValidationFailed
from apps.media import samples
from apps.media.ingest import media_ingest_file
from apps.media.links import GuestViewer, media_signed_url
from apps.media.pipeline import media_make_proxy, media_make_viewer_proxy
from apps.media.uploads import media_validate
from apps.production.services import version_create
from apps.review import guests
from apps.review.models import GuestLink, Note
from apps.tenancy.models import Membership
from apps.tenancy.scope import tenant_scope
from tests.factories import Partner, World


def _member(partner: Partner, user: Any) -> Membership:
    return Membership.objects.get(organization=partner.organization, user=user)


def _version(partner: Partner) -> Any:
    with tenant_scope(partner.organization.pk, user_id=partner.owner.pk):
        return version_create(actor=partner.owner, shot=partner.shot, source="upload")


def _link(partner: Partner, version: Any, **options: Any) -> tuple[GuestLink, str]:
    options.setdefault("email", "director@example.com")
    options.setdefault("expires_in_days", 7)
    with tenant_scope(partner.organization.pk, user_id=partner.producer.pk):
        return guests.guest_link_create(
            actor=_member(partner, partner.producer), version=version, **options
        )


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    cache.clear()


@pytest.mark.django_db
def test_producer_creates_a_link_whose_token_is_stored_only_hashed(world: World) -> None:
    version = _version(world.a)
    link, token = _link(world.a, version, password="open-sesame", allow_comments=True)
    assert token.startswith(f"{world.a.organization.pk}.") and len(token) > 40
    with tenant_scope(world.a.organization.pk):
        stored = GuestLink.objects.get(pk=link.pk)
        assert stored.token_hash == guests.token_hash(token)
        assert token.split(".", 1)[1] not in stored.token_hash
        assert stored.password_hash.startswith(("pbkdf2_", "argon2", "bcrypt", "scrypt", "md5"))
        assert "open-sesame" not in stored.password_hash
        assert timedelta(days=6, hours=23) < stored.expires_at - timezone.now() <= timedelta(days=7)
        # The guest acts through an identity that can never sign in, labelled with the email.
        assert stored.guest.display_name == "director@example.com"
        assert not stored.guest.is_active and not stored.guest.has_usable_password()
        assert AuditEntry.objects.filter(action="guest_link.create").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"expires_in_days": ""}, "expires_in_days"),
        ({"expires_in_days": 0}, "expires_in_days"),
        ({"expires_in_days": 31}, "expires_in_days"),
        ({"email": ""}, "email"),
        ({"email": "not-an-address"}, "email"),
        ({"password": "abc"}, "password"),
    ],
)
def test_bad_input_names_the_field(world: World, options: dict[str, Any], field: str) -> None:
    version = _version(world.a)
    with pytest.raises(ValidationFailed) as caught:
        _link(world.a, version, **options)
    assert caught.value.field == field


@pytest.mark.django_db
def test_viewers_and_other_partners_cannot_share(world: World) -> None:
    version = _version(world.a)
    with (
        tenant_scope(world.a.organization.pk, user_id=world.a.viewer.pk),
        pytest.raises(Forbidden),
    ):
        guests.guest_link_create(
            actor=_member(world.a, world.a.viewer),
            version=version,
            email="x@example.com",
            expires_in_days=3,
        )
    # The dialog of partner B cannot name partner A's version.
    other = Client()
    other.force_login(world.b.producer)
    url = reverse("guest-links", args=[world.b.organization.slug])
    assert other.get(url, {"version": version.pk}).status_code == 404
    response = other.post(url, {"version": version.pk, "email": "x@example.com"})
    assert response.status_code == 404


@pytest.mark.django_db
def test_dialog_keeps_input_and_shows_field_errors(world: World) -> None:
    version = _version(world.a)
    producer = Client()
    producer.force_login(world.a.producer)
    url = reverse("guest-links", args=[world.a.organization.slug])
    bad = producer.post(
        url, {"version": version.pk, "email": "agent@example.com", "expires_in_days": "45"}
    )
    assert bad.status_code == 400
    body = bad.content.decode()
    assert 'data-testid="guest-expires-error"' in body and "1 to 30 days" in body
    assert 'value="agent@example.com"' in body
    made = producer.post(
        url,
        {"version": version.pk, "email": "agent@example.com", "expires_in_days": "5"},
    )
    assert made.status_code == 201
    assert (
        "/g/" in made.content.decode() and 'data-testid="guest-link-row"' in made.content.decode()
    )


@pytest.mark.django_db
def test_guest_page_shows_only_the_named_version_and_is_audited(world: World) -> None:
    version, other_version = _version(world.a), _version(world.a)
    link, token = _link(world.a, version, allow_comments=True)
    guest = Client()
    page = guest.get(reverse("guest-page", args=[token]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "director@example.com" in html
    assert world.a.producer.email not in html and world.a.owner.email not in html
    # Asking for another version shows the linked one all the same.
    html = guest.get(reverse("guest-page", args=[token]), {"v": other_version.pk}).content.decode()
    assert f'data-version="{version.pk}"' in html and f"?v={other_version.pk}" not in html
    with tenant_scope(world.a.organization.pk):
        assert AuditEntry.objects.filter(action="guest_link.view").count() == 2
        assert GuestLink.objects.get(pk=link.pk).view_count == 2
    # Notes only on the linked version.
    refused = guest.post(
        reverse("guest-note", args=[token]),
        {"version": other_version.pk, "frame": "0", "text": "sneaky"},
        HTTP_ACCEPT="application/json",
    )
    assert refused.status_code == 404
    ok = guest.post(
        reverse("guest-note", args=[token]),
        {"version": version.pk, "frame": "3", "text": "Lovely grade"},
        HTTP_ACCEPT="application/json",
    )
    assert ok.status_code == 201
    with tenant_scope(world.a.organization.pk):
        note = Note.objects.get(pk=ok.json()["id"])
        assert note.author_id == link.guest_id and note.frame_in == 3
        entry = AuditEntry.objects.get(action="review_note.create", target_id=str(note.pk))
        assert entry.changes["guest_email"] == "director@example.com"


@pytest.mark.django_db
def test_watch_only_links_refuse_notes(world: World) -> None:
    version = _version(world.a)
    _, token = _link(world.a, version, allow_comments=False)
    guest = Client()
    assert "notes are turned off" in guest.get(reverse("guest-page", args=[token])).content.decode()
    response = guest.post(
        reverse("guest-note", args=[token]),
        {"version": version.pk, "frame": "0", "text": "hi"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 403


@pytest.mark.django_db
def test_expired_and_revoked_links_are_refused(world: World) -> None:
    version = _version(world.a)
    link, token = _link(world.a, version)
    guest = Client()
    with tenant_scope(world.a.organization.pk):
        GuestLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(1))
    page = guest.get(reverse("guest-page", args=[token]))
    assert page.status_code == 410 and "expired" in page.content.decode()

    link2, token2 = _link(world.a, version)
    assert guest.get(reverse("guest-page", args=[token2])).status_code == 200
    with tenant_scope(world.a.organization.pk, user_id=world.a.producer.pk):
        guests.guest_link_revoke(actor=_member(world.a, world.a.producer), link=link2)
    page = guest.get(reverse("guest-page", args=[token2]))
    assert page.status_code == 410 and "revoked" in page.content.decode()
    note = guest.post(
        reverse("guest-note", args=[token2]),
        {"version": version.pk, "frame": "0", "text": "late"},
        HTTP_ACCEPT="application/json",
    )
    assert note.status_code == 410


@pytest.mark.django_db
def test_wrong_password_is_refused_and_rate_limited(world: World) -> None:
    version = _version(world.a)
    _, token = _link(world.a, version, password="right-one")
    guest = Client()
    url = reverse("guest-page", args=[token])
    form = guest.get(url)
    assert form.status_code == 200 and 'data-testid="guest-password-form"' in form.content.decode()
    assert 'data-testid="guest-page"' not in form.content.decode()
    for _ in range(guests.PASSWORD_MAX_FAILURES):
        wrong = guest.post(url, {"password": "guess"})
        assert wrong.status_code == 400 and "Wrong password" in wrong.content.decode()
    # Locked: even the right password waits for the window to end.
    locked = guest.post(url, {"password": "right-one"})
    assert locked.status_code == 429 and "Too many" in locked.content.decode()
    cache.clear()
    opened = guest.post(url, {"password": "right-one"})
    assert opened.status_code == 302
    assert 'data-testid="guest-page"' in guest.get(url).content.decode()
    # Another browser still needs the password.
    assert 'data-testid="guest-password-form"' in Client().get(url).content.decode()
    with tenant_scope(world.a.organization.pk):
        assert (
            AuditEntry.objects.filter(action="guest_link.password_failed").count()
            == guests.PASSWORD_MAX_FAILURES
        )


@pytest.mark.django_db
def test_tokens_do_not_cross_partners_or_survive_tampering(world: World) -> None:
    version = _version(world.a)
    link, token = _link(world.a, version)
    secret = token.split(".", 1)[1]
    guest = Client()
    for forged in (
        f"{world.b.organization.pk}.{secret}",
        f"{world.a.organization.pk}.{secret[:-2]}xx",
        secret,
        "1.short",
    ):
        assert guest.get(reverse("guest-page", args=[forged])).status_code == 404
    # Partner B cannot revoke partner A's link.
    other = Client()
    other.force_login(world.b.owner)
    revoke = reverse("guest-link-revoke", args=[world.b.organization.slug, link.pk])
    assert other.post(revoke).status_code == 404
    with tenant_scope(world.a.organization.pk):
        assert GuestLink.objects.get(pk=link.pk).revoked_at is None


@pytest.mark.django_db
def test_guests_stream_only_their_own_watermarked_copy(world: World, tmp_path: Path) -> None:
    org = world.a.organization
    movie = samples.make_movie(tmp_path / "plate.mov", codec="h264", frames=6)
    with tenant_scope(org.pk, user_id=world.a.owner.pk):
        source = media_ingest_file(
            actor=world.a.owner, shot=world.a.shot, path=movie, filename="plate.mov"
        )
    media_validate(organization_id=org.pk, media_id=source.pk)
    media_make_proxy(organization_id=org.pk, media_id=source.pk)
    with tenant_scope(org.pk):
        version = source.version
        assert version is not None and not version.project.watermark_reviews
    link, token = _link(world.a, version)
    guest = Client()
    waiting = guest.get(reverse("guest-page", args=[token])).content.decode()
    assert 'data-testid="guest-preparing"' in waiting and "proxy-video" not in waiting

    # The worker makes the copy even though the project does not watermark its reviews.
    copy = media_make_viewer_proxy(
        organization_id=org.pk, media_id=source.pk, user_id=link.guest_id, always=True
    )
    assert copy is not None and copy.viewer_id == link.guest_id
    assert copy.probe["watermark"].startswith("director@example.com · ")
    page = guest.get(reverse("guest-page", args=[token])).content.decode()
    assert reverse("guest-media", args=[token, copy.pk]) in page
    played = guest.get(reverse("guest-media", args=[token, copy.pk]))
    assert played.status_code == 302 and "inline" in played["Location"]

    with tenant_scope(org.pk):
        from apps.media.selectors import version_media

        shared = version_media(version)["proxy"]
        assert shared is not None
        # Not the shared proxy, not the original, never a download.
        for media_id in (shared.pk, source.pk):
            assert guest.get(reverse("guest-media", args=[token, media_id])).status_code == 404
        viewer = GuestViewer(organization_id=org.pk, user=link.guest)
        with pytest.raises(Forbidden):
            media_signed_url(actor=viewer, media_id=copy.pk, purpose="download")
        with pytest.raises(NotFound):
            media_signed_url(actor=viewer, media_id=shared.pk)
        # The membership path is unchanged.
        assert media_signed_url(actor=_member(world.a, world.a.viewer), media_id=shared.pk)


# The guest's socket -----------------------------------------------------------------------


def _guest_socket(token: str, cookie: str | None = None) -> Any:
    from channels.testing import WebsocketCommunicator

    from studio.asgi import application

    headers = [(b"origin", b"http://localhost"), (b"host", b"localhost")]
    if cookie:
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    return WebsocketCommunicator(application, f"/ws/guest/{token}/", headers=headers)


def _committed_link(room: Any, **options: Any) -> tuple[GuestLink, str]:
    partner = room.partner
    options.setdefault("email", "agent@example.com")
    options.setdefault("expires_in_days", 2)
    with tenant_scope(partner.organization.pk, user_id=partner.owner.pk):
        return guests.guest_link_create(
            actor=_member(partner, partner.owner), session=room.session, **options
        )


@pytest.mark.django_db(transaction=True)
async def test_revoking_closes_the_guest_socket_at_once(room: Any) -> None:
    import json

    from asgiref.sync import sync_to_async

    from apps.review.notes import note_create

    link, token = await sync_to_async(_committed_link)(room, allow_comments=True)
    socket = _guest_socket(token)
    connected, _ = await socket.connect()
    assert connected
    welcome = json.loads(await socket.receive_from(timeout=5))
    assert welcome["type"] == "welcome"

    def owner_writes_a_note() -> None:
        partner = room.partner
        with tenant_scope(partner.organization.pk, user_id=partner.owner.pk):
            note_create(
                actor=_member(partner, partner.owner),
                version=room.versions[0],
                frame_in=2,
                text=f"@{room.reviewer.email} look here",
                session=room.session,
            )

    await sync_to_async(owner_writes_a_note)()
    raw = await socket.receive_from(timeout=5)
    assert json.loads(raw) == {"type": "notes.changed", "version": room.versions[0].pk}
    assert "@" not in raw  # no addresses reach a guest

    def revoke() -> None:
        partner = room.partner
        with tenant_scope(partner.organization.pk, user_id=partner.owner.pk):
            guests.guest_link_revoke(actor=_member(partner, partner.owner), link=link)

    await sync_to_async(revoke)()
    refusal = json.loads(await socket.receive_from(timeout=5))
    assert refusal["code"] in ("access_revoked", "link_closed")
    assert "revoked" in refusal["message"]
    closed = await socket.receive_output(timeout=5)
    assert closed == {"type": "websocket.close", "code": 4403}

    # Reconnecting is refused too.
    again = _guest_socket(token)
    assert (await again.connect())[0]
    assert json.loads(await again.receive_from(timeout=5))["code"] == "link_closed"
    assert (await again.receive_output(timeout=5))["code"] == 4403


@pytest.mark.django_db(transaction=True)
async def test_the_guest_socket_closes_when_the_link_expires(room: Any) -> None:
    import json

    from asgiref.sync import sync_to_async

    link, token = await sync_to_async(_committed_link)(room)

    def expire_soon() -> None:
        with tenant_scope(room.partner.organization.pk):
            GuestLink.objects.filter(pk=link.pk).update(
                expires_at=timezone.now() + timedelta(seconds=1.5)
            )

    await sync_to_async(expire_soon)()
    socket = _guest_socket(token)
    assert (await socket.connect())[0]
    assert json.loads(await socket.receive_from(timeout=5))["type"] == "welcome"
    refusal = json.loads(await socket.receive_from(timeout=5))
    assert refusal["code"] == "link_closed" and "expired" in refusal["message"]
    assert (await socket.receive_output(timeout=5))["code"] == 4403


@pytest.mark.django_db(transaction=True)
async def test_password_links_need_the_unlocked_browser_session(room: Any) -> None:
    import json

    from asgiref.sync import sync_to_async
    from django.contrib.sessions.backends.db import SessionStore

    link, token = await sync_to_async(_committed_link)(room, password="letmein!")
    socket = _guest_socket(token)
    assert (await socket.connect())[0]
    assert json.loads(await socket.receive_from(timeout=5))["code"] == "link_closed"
    assert (await socket.receive_output(timeout=5))["code"] == 4403

    def unlocked_session() -> str:
        store = SessionStore()
        store[guests.UNLOCKED_KEY] = [link.pk]
        store.save()
        return store.session_key or ""

    cookie = await sync_to_async(unlocked_session)()
    socket = _guest_socket(token, cookie)
    assert (await socket.connect())[0]
    assert json.loads(await socket.receive_from(timeout=5))["type"] == "welcome"
    await socket.disconnect()
