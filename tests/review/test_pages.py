"""The sessions page and the room page: tenant-resolved like the API."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.review.conftest import Room, build_room


@pytest.fixture
def room(committed_db: None) -> Room:
    return build_room("pg")


def test_sessions_and_room_pages(room: Room) -> None:
    client = Client()
    client.force_login(room.partner.producer)
    org = room.partner.organization.slug
    listing = client.get(f"/review/{org}/")
    assert listing.status_code == 200
    assert room.session.title in listing.content.decode()
    page = client.get(f"/review/{org}/{room.session.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-session="{room.session.pk}"' in html and "js/review/room.js" in html

    # Another partner: not found, whatever organization slug it uses.
    stranger = Client()
    stranger.force_login(room.other.owner)
    assert stranger.get(f"/review/{org}/{room.session.pk}/").status_code == 404
    other = room.other.organization.slug
    assert stranger.get(f"/review/{other}/{room.session.pk}/").status_code == 404
    assert room.session.title not in stranger.get(f"/review/{other}/").content.decode()
    # An uninvited studio reviewer of the shared project: not found either.
    outsider = Client()
    outsider.force_login(room.outsider)
    assert outsider.get(f"/review/{room.studio.slug}/{room.session.pk}/").status_code == 404
