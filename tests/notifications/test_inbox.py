"""The inbox: a mention, a reply and a decision each put an entry in the right person's inbox
and send an email (plain text + HTML, with the link) unless that kind is switched off; the
inbox page opens entries (marking them read) and marks all read; the dev outbox shows
what the local mail sink received, to beta admins only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from apps.notifications.models import InboxItem, NotificationKind
from apps.notifications.services import email_preferences_update
from apps.production.services import version_create
from apps.review.decisions import decision_create
from apps.review.notes import note_create, reply_create
from apps.tenancy.models import Membership
from apps.tenancy.scope import tenant_scope
from tests.factories import PASSWORD, World


def _member(world: World, user: Any) -> Membership:
    with tenant_scope(world.a.organization.pk, user_id=user.pk):
        return Membership.objects.select_related("user", "organization").get(user=user)


def _client(user: Any) -> Client:
    client = Client()
    assert client.login(email=user.email, password=PASSWORD)
    return client


@pytest.mark.django_db
def test_a_mention_lands_in_the_inbox_and_is_emailed_with_text_and_link(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    a = world.a
    producer = _member(world, a.producer)
    with tenant_scope(a.organization.pk, user_id=a.owner.pk):
        version = version_create(actor=a.owner, shot=a.shot, source="upload")
    handle = a.owner.email.split("@")[0]
    with django_capture_on_commit_callbacks(execute=True):
        with tenant_scope(a.organization.pk, user_id=a.producer.pk):
            note_create(
                actor=producer, version=version, frame_in=12, text=f"@{handle} grain too heavy"
            )
    item = InboxItem.objects.get(user=a.owner, kind=NotificationKind.MENTION)
    assert "mentioned you" in item.title and "frame 12" in item.title
    assert item.url == f"/r/{version.public_id}/"
    assert item.emailed_at is not None
    [message] = [m for m in mail.outbox if a.owner.email in m.to]
    assert "grain too heavy" in message.body
    assert f"/r/{version.public_id}/" in message.body
    html, mime = message.alternatives[0]  # type: ignore[attr-defined]
    assert mime == "text/html" and "Open in Backlot" in html

    owner = _client(a.owner)
    page = owner.get("/inbox/").content.decode()
    assert 'data-testid="inbox-count">1<' in page
    assert "grain too heavy" in page
    opened = owner.get(f"/inbox/{item.pk}/")
    assert opened.status_code == 302 and opened["Location"] == item.url
    item.refresh_from_db()
    assert item.read_at is not None
    # Someone else's entry looks missing.
    assert _client(a.producer).get(f"/inbox/{item.pk}/").status_code == 404


@pytest.mark.django_db
def test_replies_and_decisions_reach_the_author_and_email_follows_preferences(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    a = world.a
    owner, producer = _member(world, a.owner), _member(world, a.producer)
    email_preferences_update(user=a.owner, emailed_kinds={NotificationKind.DECISION.value})
    with django_capture_on_commit_callbacks(execute=True):
        with tenant_scope(a.organization.pk, user_id=a.owner.pk):
            version = version_create(actor=a.owner, shot=a.shot, source="upload")
            note = note_create(actor=owner, version=version, frame_in=3, text="sky is flat")
        with tenant_scope(a.organization.pk, user_id=a.producer.pk):
            reply_create(actor=producer, note=note, text="agreed, lift it")
            decision_create(actor=producer, version=version, decision="changes_requested")
    kinds = set(InboxItem.objects.filter(user=a.owner).values_list("kind", flat=True))
    assert kinds == {NotificationKind.REPLY, NotificationKind.DECISION}
    emailed = [m.subject for m in mail.outbox if a.owner.email in m.to]
    assert len(emailed) == 1 and "requested changes" in emailed[0]

    client = _client(a.owner)
    assert client.post("/inbox/read/", {"id": "all"}).status_code == 302
    assert not InboxItem.objects.filter(user=a.owner, read_at__isnull=True).exists()
    settings_page = client.get("/settings/inbox/").content.decode()
    assert 'value="decision" checked' in settings_page
    bad = client.post("/settings/inbox/", {"email": ["nonsense"]})
    assert bad.status_code == 400 and "Unknown notification kind" in bad.content.decode()


@pytest.mark.django_db
def test_the_dev_outbox_is_for_beta_admins_and_absent_without_a_mail_sink(
    world: World, settings: Any, tmp_path: Path
) -> None:
    (tmp_path / "20260101T000000-1-1.eml").write_bytes(
        b"From: a@x\r\nTo: someone@example.com\r\nSubject: Hello outbox\r\n"
        b"Content-Type: text/plain\r\n\r\nOpen http://127.0.0.1:8000/inbox/ now\r\n"
    )
    settings.EMAIL_OUTBOX_DIR = ""
    admin = Client()
    admin.force_login(world.beta_admin)
    assert admin.get("/staff/outbox/").status_code == 404
    settings.EMAIL_OUTBOX_DIR = str(tmp_path)
    listing = admin.get("/staff/outbox/")
    assert listing.status_code == 200 and "Hello outbox" in listing.content.decode()
    detail = admin.get("/staff/outbox/20260101T000000-1-1.eml/").content.decode()
    assert "http://127.0.0.1:8000/inbox/" in detail
    assert admin.get("/staff/outbox/..%2Fsecret.eml/").status_code == 404
    assert _client(world.a.owner).get("/staff/outbox/").status_code == 404
