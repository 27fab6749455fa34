"""Feature gates per cohort and partner, feedback, the public waitlist and the staff console."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from apps.beta.features import operation_feature_key
from apps.beta.gates import cohort_create, feature_set
from apps.beta.models import Feedback, WaitlistEntry, WaitlistStatus
from apps.beta.selectors import beta_profile_of, enabled_operations, feature_enabled
from apps.beta.suspension import beta_profile_update, partner_suspend
from apps.beta.waitlist import waitlist_invite
from apps.core.errors import ValidationFailed
from apps.tenancy.scope import tenant_scope
from tests.api.helpers import api_client_for
from tests.beta.smtp import Inbox
from tests.factories import World

pytestmark = pytest.mark.django_db


def test_cohort_switch_partner_override_and_studio(world: World) -> None:
    a, b = world.a.organization, world.b.organization
    consistency = operation_feature_key("character_consistency")
    assert not feature_enabled(a, consistency)  # default off
    assert "character_consistency" not in enabled_operations(a)
    wave = cohort_create(name="Likeness", actor=world.beta_admin)
    beta_profile_update(organization=a, actor=world.beta_admin, cohort_id=wave.pk)
    feature_set(key=consistency, enabled=True, cohort=wave, actor=world.beta_admin)
    assert feature_enabled(a, consistency) and not feature_enabled(b, consistency)
    feature_set(key=consistency, enabled=False, organization=a, actor=world.beta_admin)
    assert not feature_enabled(a.pk, consistency)  # the partner switch wins
    feature_set(key=consistency, enabled=None, organization=a, actor=world.beta_admin)
    assert feature_enabled(a, consistency)
    assert feature_enabled(world.studio, consistency)
    assert not feature_enabled(a, "no.such.feature")
    with pytest.raises(ValidationFailed):
        feature_set(key="no.such.feature", enabled=True, cohort=wave, actor=world.beta_admin)

    from apps.beta.selectors import require_can_submit_jobs, require_feature
    from apps.core.errors import Forbidden

    with pytest.raises(Forbidden, match="external LLM providers is not switched on"):
        require_feature(b, "assist.llm")
    require_feature(b, "op.shot_match")
    partner_suspend(organization=b, actor=world.beta_admin)
    with pytest.raises(Forbidden, match="new render jobs are not accepted"):
        require_can_submit_jobs(b.pk)
    require_can_submit_jobs(a.pk)

    listing = api_client_for(world.a.viewer).get(f"/api/v1/orgs/{a.slug}/features/")
    states = {item["key"]: item["enabled"] for item in listing.json()}
    assert states[consistency] is True and states["op.shot_match"] is True


def test_feedback_on_a_page_and_on_a_version(world: World) -> None:
    from apps.production.services import version_create

    with tenant_scope(world.a.organization.pk, user_id=world.a.owner.pk):
        version = version_create(actor=world.a.owner, shot=world.a.shot, source="upload")
    with tenant_scope(world.b.organization.pk, user_id=world.b.owner.pk):
        foreign = version_create(actor=world.b.owner, shot=world.b.shot, source="upload")

    browser = Client()
    browser.force_login(world.a.viewer)
    sent = browser.post(
        "/beta/feedback/",
        {
            "org": world.a.organization.slug,
            "rating": "4",
            "text": "Scrubbing is smooth",
            "next": "/dashboard/",
            "page": "/dashboard/",
        },
    )
    assert sent.status_code == 302 and sent["Location"] == "/dashboard/"
    api = api_client_for(world.a.viewer)
    url = f"/api/v1/orgs/{world.a.organization.slug}/feedback/"
    on_version = api.post(
        url,
        {"rating": 2, "text": "Edges flicker", "subject_type": "version", "subject_id": version.pk},
        format="json",
    )
    assert on_version.status_code == 201
    assert api.post(url, {"rating": 6}, format="json").status_code == 400
    probe = api.post(
        url, {"rating": 3, "subject_type": "version", "subject_id": foreign.pk}, format="json"
    )
    assert probe.status_code == 404  # another partner's version looks missing
    with tenant_scope(world.a.organization.pk):
        stored = list(
            Feedback.objects.order_by("created_at").values_list(
                "rating", "subject_type", "page_path"
            )
        )
    assert stored == [(4, "page", "/dashboard/"), (2, "version", "")]
    assert api.get(url).status_code == 403  # viewers send feedback, owners read it
    assert api_client_for(world.a.owner).get(url).json()["count"] == 2
    dashboard = browser.get("/dashboard/")
    assert 'data-testid="feedback-control"' in dashboard.content.decode()


def test_waitlist_is_rate_limited_and_staff_turn_a_request_into_an_invite(
    world: World, inbox: Inbox, django_capture_on_commit_callbacks: Any
) -> None:
    cache.delete("beta:waitlist:10.9.8.7")
    visitor = Client(REMOTE_ADDR="10.9.8.7")
    form = {
        "company": "Harbor Films",
        "role": "Producer",
        "email": "hi@harbor.test",
        "wants": "Shot matching",
    }
    assert "Request access" in visitor.get("/beta/waitlist/").content.decode()
    assert visitor.post("/beta/waitlist/", form).status_code == 200
    assert visitor.post("/beta/waitlist/", {**form, "wants": ""}).status_code == 400
    for _ in range(4):
        visitor.post("/beta/waitlist/", form)
    limited = visitor.post("/beta/waitlist/", form)
    assert limited.status_code == 429 and "Too many requests" in limited.content.decode()
    cache.delete("beta:waitlist:10.9.8.7")

    entry = WaitlistEntry.objects.filter(email="hi@harbor.test").first()
    assert entry is not None
    staff = Client()
    staff.force_login(world.beta_admin)
    console = staff.get("/staff/beta/")
    assert console.status_code == 200 and "Harbor Films" in console.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        staff.post("/staff/beta/", {"action": "waitlist_invite", "id": entry.pk})
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.INVITED and entry.partner is not None
    assert beta_profile_of(entry.partner).status == "invited"
    assert "/beta/invite/" in inbox.link_for("hi@harbor.test")
    with pytest.raises(Exception, match="already invited"):
        waitlist_invite(entry=entry, actor=world.beta_admin)


def test_staff_console_changes_are_audited_and_partners_cannot_use_it(world: World) -> None:
    from apps.audit.models import AuditEntry

    staff = Client()
    staff.force_login(world.beta_admin)
    response = staff.post(
        "/staff/beta/",
        {
            "action": "update_partner",
            "org": world.a.organization.slug,
            "status": "graduated",
            "seat_quota": "9",
            "invite_quota": "3",
            "cohort": "",
        },
    )
    assert response.status_code == 302
    profile = beta_profile_of(world.a.organization)
    assert (profile.status, profile.seat_quota, profile.invite_quota) == ("graduated", 9, 3)
    with tenant_scope(world.a.organization.pk):
        entry = AuditEntry.objects.filter(action="beta.profile.update").first()
    assert entry is not None and entry.changes["seat_quota"] == [5, 9]
    assert entry.actor_id == world.beta_admin.pk

    partner = Client()
    partner.force_login(world.a.owner)
    assert partner.get("/staff/beta/").status_code == 404
    assert (
        partner.post(
            "/staff/beta/", {"action": "suspend_partner", "org": world.b.organization.slug}
        ).status_code
        == 404
    )
    assert beta_profile_of(world.b.organization).status == "active"


def test_team_page_shows_seats_and_lets_the_owner_invite(
    world: World, inbox: Inbox, django_capture_on_commit_callbacks: Any
) -> None:
    owner = Client()
    owner.force_login(world.a.owner)
    url = f"/beta/{world.a.organization.slug}/team/"
    page = owner.get(url).content.decode()
    assert "3 of 5 seats used" in page
    with django_capture_on_commit_callbacks(execute=True):
        owner.post(url, {"action": "invite", "email": "mate@example.test", "role": "artist"})
    assert "/beta/invite/" in inbox.link_for("mate@example.test")
    assert "mate@example.test" in owner.get(url).content.decode()
    viewer = Client()
    viewer.force_login(world.a.viewer)
    assert 'data-testid="invite-form"' not in viewer.get(url).content.decode()
    viewer.post(url, {"action": "invite", "email": "sneaky@example.test", "role": "owner"})
    with tenant_scope(world.a.organization.pk):
        from apps.beta.models import Invitation

        assert not Invitation.objects.filter(email="sneaky@example.test").exists()
    assert Client().get(url).status_code == 302  # signed out: to the login page
    other = Client()
    other.force_login(world.b.owner)
    assert other.get(url).status_code == 404


def test_signup_without_an_invitation_points_to_the_waitlist() -> None:
    page = Client().get("/accounts/signup/")
    text = page.content.decode()
    assert "Sign up is closed" in text and "/beta/waitlist/" in text


def test_staff_api_lists_updates_and_suspends_partners(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    staff = api_client_for(world.beta_admin)
    listing = staff.get("/api/v1/staff/beta/partners/").json()
    slugs = {item["slug"]: item for item in listing["results"]}
    assert slugs[world.a.organization.slug]["status"] == "active"
    url = f"/api/v1/staff/beta/partners/{world.a.organization.slug}/"
    changed = staff.patch(url, {"seat_quota": 8, "status": "suspended"}, format="json")
    assert changed.status_code == 200
    assert (changed.json()["seat_quota"], changed.json()["status"]) == (8, "suspended")
    assert staff.patch(url, {"status": "bogus"}, format="json").status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        created = staff.post(
            "/api/v1/staff/beta/partners/",
            {"name": "Quarry Lane", "owner_email": "boss@quarry.test", "seat_quota": 3},
            format="json",
        )
    assert created.status_code == 201 and created.json()["status"] == "invited"
    report = staff.get("/api/v1/staff/beta/report/").json()
    assert {row["name"] for row in report["partners"]} >= {world.a.organization.name, "Quarry Lane"}
    assert api_client_for(world.b.owner).get("/api/v1/staff/beta/report/").status_code == 404
