"""Layouts in a real browser: no page of the product scrolls sideways at 390, 768 or 1280 px.

The demo world (`make run`'s seed: partner owner, studio reviewer with two-factor, beta
admin) plus what the seed lacks (a finished render job, a character with a consent, a cut
import, a guest link, an invitation, a sent email, long unbroken names). Every page route of
the URL conf is either visited here or skipped with a reason (a meta-check keeps it so).
Screenshots go to tests/e2e/artifacts/layouts/."""

from __future__ import annotations

import datetime
import os
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS
from tests.factories import totp_code

pytestmark = pytest.mark.e2e

WIDTHS = (390, 768, 1280)
SHOTS = ARTIFACTS / "layouts"
EDL_PATH = (
    Path(__file__).resolve().parents[1] / "interchange" / "data" / "avid_with_transitions.edl"
)
LONG = "Shot_cleanup_" + "wire_removal_and_paint_out_" * 4 + "v002"

# Lists what sticks out past the right edge of the viewport: the widest elements first,
# leaving out those clipped by a scrolling or hidden-overflow ancestor (they cannot widen
# the page).
OVERFLOW_JS = """
() => {
  const limit = window.innerWidth;
  const result = {scrollWidth: document.documentElement.scrollWidth, innerWidth: limit, offenders: []};
  if (result.scrollWidth <= limit) return result;
  // Clipped by an ancestor that scrolls or hides overflow (for an absolutely positioned
  // element, only its containing block and that block's ancestors can clip it).
  const clipped = (el) => {
    let position = getComputedStyle(el).position;
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const style = getComputedStyle(p);
      if (position === "absolute" && style.position === "static" && style.transform === "none") continue;
      if (["auto", "scroll", "hidden", "clip"].includes(style.overflowX)) return true;
      position = style.position;
    }
    return false;
  };
  const describe = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += "#" + el.id;
    const cls = [...el.classList].slice(0, 3).join(".");
    if (cls) s += "." + cls;
    const tid = el.getAttribute("data-testid");
    if (tid) s += `[data-testid=${tid}]`;
    const text = (el.textContent || "").trim().replace(/\\s+/g, " ").slice(0, 40);
    return text ? `${s} "${text}"` : s;
  };
  const found = [];
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.right <= limit + 0.5) continue;
    if (getComputedStyle(el).position === "fixed" || clipped(el)) continue;
    found.push({el: describe(el), width: Math.round(box.width), right: Math.round(box.right)});
  }
  found.sort((a, b) => b.width - a.width);
  result.offenders = found.slice(0, 8);
  return result;
}
"""


# ---------------------------------------------------------------------------- the pages
@dataclass(repr=False)
class Demo:
    partner: Any
    studio: Any
    owner: Any
    reviewer: Any
    admin: Any
    admin_secret: str
    reviewer_secret: str
    project: Any
    shot: Any
    version: Any
    session: Any
    character: Any
    job: Any
    job_version: Any
    cut_import: Any
    guest_token: str
    invitation_token: str
    outbox_name: str
    extra: dict[str, Any] = field(default_factory=dict)


Path_ = Callable[[Demo], str]


def _p(d: Demo) -> str:
    return f"{d.partner.slug}/{d.project.pk}"


# Route name -> (who visits, the path). Roles: "anonymous", "owner" (partner owner),
# "reviewer" (studio reviewer signed in with two-factor), "admin" (beta admin).
PAGES: dict[str, tuple[str, Path_]] = {
    # Signed out
    "account_login": ("anonymous", lambda d: "/accounts/login/"),
    "account_signup": ("anonymous", lambda d: "/accounts/signup/"),
    "password-reset": ("anonymous", lambda d: "/accounts/password/reset/"),
    "account_reset_password_done": ("anonymous", lambda d: "/accounts/password/reset/done/"),
    "account_reset_password_from_key": (
        "anonymous",
        lambda d: "/accounts/password/reset/key/1-expired-or-used-key/",
    ),
    "account_reset_password_from_key_done": (
        "anonymous",
        lambda d: "/accounts/password/reset/key/done/",
    ),
    "account_inactive": ("anonymous", lambda d: "/accounts/inactive/"),
    "account_email_verification_sent": ("anonymous", lambda d: "/accounts/confirm-email/"),
    "account_confirm_email": ("anonymous", lambda d: "/accounts/confirm-email/no-such-key/"),
    "beta-waitlist": ("anonymous", lambda d: "/beta/waitlist/"),
    "beta-suspended": ("anonymous", lambda d: "/beta/suspended/"),
    "beta-invitation": ("anonymous", lambda d: f"/beta/invite/{d.invitation_token}/"),
    "guest-page": ("anonymous", lambda d: f"/g/{d.guest_token}/"),
    # Partner owner
    "dashboard": ("owner", lambda d: "/dashboard/"),
    "project-list-page": ("owner", lambda d: f"/projects/{d.partner.slug}/"),
    "project-page": ("owner", lambda d: f"/projects/{_p(d)}/"),
    "project-settings": ("owner", lambda d: f"/projects/{_p(d)}/settings/"),
    "shot-page": ("owner", lambda d: f"/projects/{_p(d)}/shots/{d.shot.pk}/"),
    "version-page": ("owner", lambda d: f"/projects/{_p(d)}/versions/{d.version.pk}/"),
    "characters-page": ("owner", lambda d: f"/projects/{_p(d)}/characters/"),
    "character-page": ("owner", lambda d: f"/projects/{_p(d)}/characters/{d.character.pk}/"),
    "assist-page": ("owner", lambda d: f"/projects/{_p(d)}/assistant/"),
    "editorial-page": ("owner", lambda d: f"/projects/{_p(d)}/editorial/"),
    "editorial-import": (
        "owner",
        lambda d: f"/projects/{_p(d)}/editorial/imports/{d.cut_import.pk}/",
    ),
    "review-sessions": ("owner", lambda d: f"/review/{d.partner.slug}/"),
    "review-session-new": (
        "owner",
        lambda d: f"/review/{d.partner.slug}/new/?project={d.project.pk}&version={d.version.pk}",
    ),
    "review-room": ("owner", lambda d: f"/review/{d.partner.slug}/{d.session.pk}/"),
    "review-session-manage": (
        "owner",
        lambda d: f"/review/{d.partner.slug}/{d.session.pk}/manage/",
    ),
    "render-jobs-page": (
        "owner",
        lambda d: f"/render/{d.partner.slug}/projects/{d.project.pk}/jobs/",
    ),
    "render-job-new": (
        "owner",
        lambda d: (
            f"/render/{d.partner.slug}/projects/{d.project.pk}/jobs/new/?operation=shot_match"
        ),
    ),
    "render-consents-page": (
        "owner",
        lambda d: f"/render/{d.partner.slug}/projects/{d.project.pk}/consents/",
    ),
    "render-job-page": ("owner", lambda d: f"/render/{d.partner.slug}/jobs/{d.job.pk}/"),
    "render-consistency-report": (
        "owner",
        lambda d: f"/render/{d.partner.slug}/jobs/{d.job.pk}/consistency/",
    ),
    "render-version-provenance": (
        "owner",
        lambda d: f"/render/{d.partner.slug}/versions/{d.job_version.pk}/provenance/",
    ),
    "beta-team": ("owner", lambda d: f"/beta/{d.partner.slug}/team/"),
    "beta-agreements": ("owner", lambda d: "/beta/agreements/"),
    "api-tokens-page": ("owner", lambda d: "/settings/tokens/"),
    "inbox-page": ("owner", lambda d: "/inbox/"),
    "inbox-settings": ("owner", lambda d: "/settings/inbox/"),
    "api-docs": ("owner", lambda d: "/api/docs/"),
    "verified-email": ("owner", lambda d: "/accounts/email/"),
    "account_change_password": ("owner", lambda d: "/accounts/password/change/"),
    "account_reauthenticate": ("owner", lambda d: "/accounts/reauthenticate/"),
    "mfa_activate_totp": ("owner", lambda d: "/accounts/2fa/totp/activate/"),
    "account_logout": ("owner", lambda d: "/accounts/logout/"),
    # Studio reviewer (two-factor)
    "mfa_index": ("reviewer", lambda d: "/accounts/2fa/"),
    "mfa_reauthenticate": ("reviewer", lambda d: "/accounts/2fa/reauthenticate/"),
    "mfa_view_recovery_codes": ("reviewer", lambda d: "/accounts/2fa/recovery-codes/"),
    "mfa_generate_recovery_codes": (
        "reviewer",
        lambda d: "/accounts/2fa/recovery-codes/generate/",
    ),
    "mfa_deactivate_totp": ("reviewer", lambda d: "/accounts/2fa/totp/deactivate/"),
    # Beta admin (two-factor)
    "staff-console": ("admin", lambda d: "/staff/"),
    "staff-beta": ("admin", lambda d: "/staff/beta/"),
    "staff-beta-report": ("admin", lambda d: "/staff/beta/report/"),
    "staff-beta-feedback": ("admin", lambda d: "/staff/beta/feedback/"),
    "staff-outbox": ("admin", lambda d: "/staff/outbox/"),
    "staff-outbox-message": ("admin", lambda d: f"/staff/outbox/{d.outbox_name}/"),
}

# The reviewer also sees the shared project's pages under the studio.
STUDIO_VIEWS: dict[str, Path_] = {
    "dashboard": lambda d: "/dashboard/",
    "project-page": lambda d: f"/projects/{d.studio.slug}/{d.project.pk}/",
    "shot-page": lambda d: f"/projects/{d.studio.slug}/{d.project.pk}/shots/{d.shot.pk}/",
    "version-page": lambda d: f"/projects/{d.studio.slug}/{d.project.pk}/versions/{d.version.pk}/",
    "review-sessions": lambda d: f"/review/{d.studio.slug}/",
    "review-room": lambda d: f"/review/{d.studio.slug}/{d.session.pk}/",
    "beta-team": lambda d: f"/beta/{d.studio.slug}/team/",
}

SKIPPED: dict[str, str] = {
    "home": "redirects to the dashboard or the sign-in page (both visited)",
    "public-link": "redirects to the session, version or shot page (visited)",
    "media-link-page": "redirects to a signed media URL, not a page",
    "inbox-item-open": "marks an item read and redirects to its subject (visited)",
    "inbox-mark-read": "POST only",
    "beta-feedback": "POST only; the Feedback popover is tested below",
    "review-session-add": "POST only",
    "guest-link-revoke": "POST only",
    "guest-note": "POST only",
    "guest-links": "an HTML fragment shown in the version page's share dialog (checked there)",
    "guest-media": "media bytes, not a page",
    "render-consent-revoke": "POST only",
    "render-job-action": "POST only",
    "assist-ask": "POST only (the assistant page's Suggest/Summarize buttons)",
    "character-still-remove": "POST only (the character page's Remove button)",
    "media-proxy-retry": "POST only (the version page's Retry button)",
    "project-shots-add": "POST only (the project page's Add shot / Import shot list forms)",
    "account_email": "shadowed by verified-email (same path, visited)",
    "render-job-provenance-json": "a JSON download",
    "staff-beta-report-csv": "a CSV download",
    "staff-beta-feedback-csv": "a CSV download",
    "healthz": "plain-text probe",
    "readyz": "plain-text probe",
    "metrics": "Prometheus text",
    "schema": "the OpenAPI document (YAML)",
    "account_reset_password": "shadowed by password-reset (same path, visited)",
    "account_set_password": "redirects to password change: every Backlot user has a password",
    "account_confirm_login_code": "login by code is off; answers with a redirect",
    "account_request_reauthentication_code": "login by code is off",
    "account_confirm_reauthentication_code": "login by code is off",
    "mfa_authenticate": "the two-factor step, checked during the reviewer's sign-in",
    "mfa_download_recovery_codes": "a text download",
}
# Whole namespaces: JSON endpoints, and Django's own admin (its own stylesheet).
SKIPPED_NAMESPACES = {"api": "JSON API", "admin": "the Django admin (staff tool, Django's CSS)"}
# Unnamed routes by their pattern.
SKIPPED_PATTERNS = {"^api/": "JSON 404 for unknown API paths"}

# Pages that answer with a status other than 200 on purpose.
# (The consistency report of a job that is not a consistency check is the 404 page: making a
# real report needs a GPU run; tests/render covers the report's content.)
EXPECTED_STATUS = {"render-consistency-report": 404}
# Pages that send this job or version on to another page of the product.
LANDS = {"render-version-provenance": "render-job-page"}


def _page_routes() -> dict[str, str]:
    """Route name -> pattern for every route of the URL conf outside skipped namespaces."""
    routes: dict[str, str] = {}

    def walk(patterns: list[Any], prefix: str, namespace: str | None) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, prefix + str(entry.pattern), entry.namespace or namespace)
            elif isinstance(entry, URLPattern):
                if namespace in SKIPPED_NAMESPACES:
                    continue
                pattern = prefix + str(entry.pattern)
                key = entry.name or pattern
                routes[key] = pattern

    walk(get_resolver().url_patterns, "", None)
    return routes


def test_every_page_route_is_visited_or_skipped_with_a_reason() -> None:
    routes = set(_page_routes())
    listed = set(PAGES) | set(SKIPPED) | set(SKIPPED_PATTERNS)
    missing = routes - listed
    assert not missing, (
        f"new page routes: add them to PAGES in tests/e2e/test_layouts.py (or to SKIPPED "
        f"with a reason): {sorted(missing)}"
    )
    assert not listed - routes, f"listed routes that no longer exist: {sorted(listed - routes)}"
    assert not set(PAGES) & set(SKIPPED)
    assert all(reason.strip() for reason in SKIPPED.values())


# ---------------------------------------------------------------------------- data
def _write_outbox_message(to: str) -> str:
    folder = os.environ.get("EMAIL_OUTBOX_DIR", "")
    if not folder:
        pytest.fail("EMAIL_OUTBOX_DIR is not set: run the tests on a devstack (see AGENTS.md)")
    name = f"layout-{uuid.uuid4().hex[:10]}.eml"
    link = "http://localhost:8000/r/" + "0123456789abcdef" * 4 + "/?utm=" + "x" * 80
    body = (
        f"From: Backlot <noreply@backlot.example>\r\nTo: {to}\r\n"
        f"Subject: {LONG} is ready for review\r\nDate: Mon, 04 Mar 2030 15:30:00 +0000\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\nOpen it: {link}\r\n{LONG}\r\n"
    )
    Path(folder).mkdir(parents=True, exist_ok=True)
    (Path(folder) / name).write_text(body)
    return name


def _finished_job(partner: Any, project: Any, shot: Any, owner: Any) -> Any:
    """A noop job carried to success the way a worker reports it (no GPU farm needed)."""
    from apps.render import submission
    from apps.render.intake import report_receive
    from apps.render.models import Job
    from apps.render.scheduler import dispatch_pool, output_prefix
    from apps.tenancy.scope import tenant_scope
    from tests.render.helpers import make_pool

    pool = make_pool()
    with tenant_scope(partner.pk, user_id=owner.pk):
        job = submission.job_submit(
            actor=owner, project=project, shot=shot, operation="noop", pool=pool.name
        )
    dispatch_pool(pool_id=pool.pk, publish=lambda queue, spec: None)
    with tenant_scope(partner.pk):
        attempt = Job.objects.get(pk=job.pk).attempts.get()
    report = {"organization_id": partner.pk, "job_id": job.pk, "attempt_id": str(attempt.pk)}
    output = {"key": output_prefix(job, attempt) + f"{LONG}.exr", "sha256": "a" * 64, "size": 1}
    report_receive(report={**report, "type": "started"})
    report_receive(report={**report, "type": "result", "outputs": [output], "gpu_seconds": 2})
    with tenant_scope(partner.pk):
        return Job.objects.get(pk=job.pk)


@pytest.fixture(scope="module")
def demo(django_db_setup: Any, django_db_blocker: Any) -> Iterator[Demo]:
    # Built in another thread: Playwright's event loop in this one keeps Django from
    # sending live events (async_to_sync), and the conftest guard is not set up yet.
    with django_db_blocker.unblock(), ThreadPoolExecutor(max_workers=1) as pool:
        yield pool.submit(_build_demo).result(timeout=600)


def _build_demo() -> Demo:
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from django.db import connections

    from apps.beta.invitations import invitation_create
    from apps.core.request_context import request_context
    from apps.production.characters import character_create
    from apps.production.models import Version
    from apps.production.services import sequence_create, shot_create
    from apps.render import consent
    from apps.review.guests import guest_link_create
    from apps.review.models import ReviewSession
    from apps.tenancy.models import Role
    from apps.tenancy.scope import tenant_scope
    from apps.tenancy.selectors import members_of_current_organization
    from apps.web.demo import DEMO_REVIEWER_TOTP_SECRET, seed_demo
    from tests.factories import enable_totp

    with request_context(source="cli"):
        result = seed_demo(log=lambda line: None)
        partner, studio, owner, project = (
            result.partner,
            result.studio,
            result.producer,
            result.project,
        )
        admin = result.staff
        # Two-factor set-up asks for a verified address first.
        EmailAddress.objects.update_or_create(
            user=owner, email=owner.email, defaults={"verified": True, "primary": True}
        )
        RecoveryCodes.activate(result.reviewer)
        Authenticator.objects.filter(user=admin).delete()
        admin_secret = enable_totp(admin)
        with tenant_scope(partner.pk, user_id=owner.pk):
            member = members_of_current_organization().get(user=owner)
            session = ReviewSession.objects.get(project=project, title="Ember Falls dailies")
            version = session.playlist.order_by("position")[0].version
            sequence = project.sequences.filter(code="SQ990").first() or sequence_create(
                actor=owner, project=project, code="SQ990", name=LONG
            )
            shot = shot_create(
                actor=owner,
                sequence=sequence,
                code=f"SQ990_{uuid.uuid4().hex[:4]}",
                cut_in=1001,
                cut_out=1048,
                description=LONG,
            )
            character = character_create(
                actor=member, project=project, name=LONG[:60], talent_name="Ana Ruiz"
            )
            today = datetime.date.today()
            consent.consent_record_create(
                actor=owner,
                project=project,
                character=character,
                talent_name="Ana Ruiz",
                scopes=["likeness"],
                valid_from=today,
                valid_until=today + datetime.timedelta(days=90),
                document_name=f"{LONG}.pdf",
                document_content=b"%PDF-1.4 signed",
            )
            from apps.interchange.services import cut_import_preview

            cut_import = cut_import_preview(
                actor=owner,
                project=project,
                filename="ember_falls_reel1.edl",
                data=EDL_PATH.read_bytes(),
                sequence_code="SQ010",
            )
            _, guest_token = guest_link_create(
                actor=member,
                version=version,
                email=f"{'director.of.photography.' * 2}long@example.com",
                expires_in_days=7,
            )
        _, invitation_token = invitation_create(
            organization=partner,
            email=f"new-{uuid.uuid4().hex[:6]}@northlight.example",
            role=Role.PRODUCER,
            actor=owner,
        )
        job = _finished_job(partner, project, shot, owner)
        with tenant_scope(partner.pk):
            job_version = Version.objects.filter(shot=shot).order_by("-number").first()
        outbox_name = _write_outbox_message(owner.email)
        assert result.reviewer is not None
        connections.close_all()
        return Demo(
            partner=partner,
            studio=studio,
            owner=owner,
            reviewer=result.reviewer,
            admin=admin,
            admin_secret=admin_secret,
            reviewer_secret=DEMO_REVIEWER_TOTP_SECRET,
            project=project,
            shot=shot,
            version=version,
            session=session,
            character=character,
            job=job,
            job_version=job_version,
            cut_import=cut_import,
            guest_token=guest_token,
            invitation_token=invitation_token,
            outbox_name=outbox_name,
        )


# ---------------------------------------------------------------------------- browser
def _accept_agreements(page: Any) -> None:
    for box in page.locator("[data-testid^=accept-]:is(input)").all():
        box.check()
    page.get_by_test_id("accept-agreements").click()


def _sign_in(browser: Any, base: str, user: Any, secret: str | None, check: Any) -> Any:
    """A fresh context signed in through the real form (and the two-factor step)."""
    from apps.web.demo import DEMO_PASSWORD

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(base + "/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.locator("form button[type=submit]").first.click()
    if secret is not None:
        expect(page.locator("input[name=code]")).to_be_visible()
        check(page, "mfa_authenticate", "two-factor step")
        page.fill("input[name=code]", totp_code(secret))
        page.locator("form button[type=submit]").first.click()
    page.wait_for_load_state()
    if "/beta/agreements/" in page.url:
        _accept_agreements(page)
    return context


class Checker:
    def __init__(self) -> None:
        self.failures: list[str] = []
        self.visited: set[str] = set()
        SHOTS.mkdir(parents=True, exist_ok=True)

    def __call__(self, page: Any, name: str, label: str) -> None:
        slug = label.replace(" ", "-")
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.wait_for_timeout(120)
            report = page.evaluate(OVERFLOW_JS)
            page.screenshot(path=str(SHOTS / f"{slug}-{width}.png"), full_page=True)
            if report["scrollWidth"] > report["innerWidth"]:
                offenders = "\n      ".join(
                    f"{o['el']} (width {o['width']}, right edge {o['right']})"
                    for o in report["offenders"]
                )
                self.failures.append(
                    f"{label} ({page.url}) at {width}px: {report['scrollWidth']}px wide\n"
                    f"      {offenders}"
                )
        page.set_viewport_size({"width": 1280, "height": 900})
        self.visited.add(name)

    def visit(self, page: Any, base: str, name: str, path: str, label: str) -> None:
        response = page.goto(base + path)
        if "/beta/agreements/" in page.url and name != "beta-agreements":
            _accept_agreements(page)
            response = page.goto(base + path)
        status = response.status if response is not None else 0
        landed = resolve(urlparse(page.url).path).url_name
        if status != EXPECTED_STATUS.get(name, 200) or landed != LANDS.get(name, name):
            self.failures.append(f"{label}: {path} answered {status} and landed on {landed}")
            return
        self(page, name, label)


def test_no_page_scrolls_sideways(browser: Any, live_server_url: str, demo: Demo) -> None:
    base, check = live_server_url, Checker()
    by_role: dict[str, list[tuple[str, Path_]]] = {}
    for name, (role, path) in PAGES.items():
        by_role.setdefault(role, []).append((name, path))

    anonymous = browser.new_context(viewport={"width": 1280, "height": 900})
    page = anonymous.new_page()
    for name, path in by_role["anonymous"]:
        check.visit(page, base, name, path(demo), f"anonymous {name}")
    anonymous.close()

    users = {
        "owner": (demo.owner, None),
        "reviewer": (demo.reviewer, demo.reviewer_secret),
        "admin": (demo.admin, demo.admin_secret),
    }
    for role, (user, secret) in users.items():
        context = _sign_in(browser, base, user, secret, check)
        page = context.new_page()
        pages = list(by_role.get(role, []))
        if role == "reviewer":
            pages = [(n, p) for n, p in STUDIO_VIEWS.items()] + pages
        # Sign-out last: its page is a confirmation, but keep the session to the end.
        pages.sort(key=lambda item: item[0] == "account_logout")
        for name, path in pages:
            check.visit(page, base, name, path(demo), f"{role} {name}")
        context.close()

    unvisited = set(PAGES) - check.visited
    problems = check.failures + ([f"not visited: {sorted(unvisited)}"] if unvisited else [])
    assert not problems, "pages wider than the viewport:\n  " + "\n  ".join(problems)


# ---------------------------------------------------------------------------- phones & tablets
def _inside_viewport(page: Any, locator: Any) -> bool:
    box = locator.bounding_box()
    size = page.viewport_size
    return bool(
        box
        and box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= size["width"]
        and box["y"] + box["height"] <= size["height"]
    )


def test_navigation_folds_into_a_keyboard_menu_on_phones(
    browser: Any, live_server_url: str, demo: Demo
) -> None:
    context = _sign_in(browser, live_server_url, demo.owner, None, None)
    page = context.new_page()
    try:
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"{live_server_url}/projects/{_p(demo)}/")
        toggle = page.get_by_test_id("nav-toggle")
        expect(toggle).to_be_visible()
        expect(toggle).to_have_attribute("aria-expanded", "false")
        expect(page.get_by_test_id("nav-team")).to_be_hidden()
        expect(page.get_by_test_id("nav-inbox")).to_be_hidden()
        page.screenshot(path=str(SHOTS / "menu-closed-390.png"))

        # Keyboard: focus the button, open with Enter, every link is there, Escape closes.
        toggle.focus()
        page.keyboard.press("Enter")
        expect(toggle).to_have_attribute("aria-expanded", "true")
        for testid in ("nav-dashboard", "nav-projects", "nav-review", "nav-team", "nav-inbox"):
            expect(page.get_by_test_id(testid)).to_be_visible()
        expect(page.get_by_test_id("inbox-count")).to_have_count(1)
        assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
        page.screenshot(path=str(SHOTS / "menu-open-390.png"))
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.dataset.testid") == "nav-dashboard"
        page.keyboard.press("Escape")
        expect(toggle).to_have_attribute("aria-expanded", "false")
        expect(page.get_by_test_id("nav-team")).to_be_hidden()
        assert page.evaluate("document.activeElement.dataset.testid") == "nav-toggle"

        # The Team link of the open menu works.
        toggle.click()
        page.get_by_test_id("nav-team").click()
        expect(page.get_by_test_id("team-heading")).to_be_visible()

        # Wider screens show the navigation itself, no menu button.
        for width in (768, 1280):
            page.set_viewport_size({"width": width, "height": 900})
            expect(page.get_by_test_id("nav-toggle")).to_be_hidden()
            expect(page.get_by_test_id("nav-team")).to_be_visible()
            expect(page.get_by_test_id("nav-inbox")).to_be_visible()
    finally:
        context.close()


def test_feedback_popover_stays_inside_the_viewport(
    browser: Any, live_server_url: str, demo: Demo
) -> None:
    context = _sign_in(browser, live_server_url, demo.owner, None, None)
    page = context.new_page()
    try:
        page.goto(f"{live_server_url}/projects/{_p(demo)}/")
        for width, height in ((390, 844), (768, 1024), (1280, 900)):
            page.set_viewport_size({"width": width, "height": height})
            page.get_by_test_id("feedback-toggle").click()
            for testid in ("feedback-text", "feedback-send", "feedback-rating-5"):
                target = page.get_by_test_id(testid)
                expect(target).to_be_visible()
                assert _inside_viewport(page, target), (testid, width, target.bounding_box())
            page.screenshot(path=str(SHOTS / f"feedback-popover-{width}.png"))
            page.keyboard.press("Escape")
            expect(page.get_by_test_id("feedback-text")).to_be_hidden()
    finally:
        context.close()


def test_review_room_puts_the_player_first_on_phones_and_draws_with_touch(
    browser: Any, live_server_url: str, demo: Demo
) -> None:
    context = _sign_in(browser, live_server_url, demo.owner, None, None)
    page = context.new_page()
    room = f"{live_server_url}/review/{demo.partner.slug}/{demo.session.pk}/"
    try:
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(room)
        expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "live")
        stage = page.locator(".stage").bounding_box()
        side = page.locator("aside.side").bounding_box()
        assert stage and side and stage["y"] + stage["height"] <= side["y"], (stage, side)
        assert stage["x"] >= 0 and stage["x"] + stage["width"] <= 390
        page.screenshot(path=str(SHOTS / "review-room-phone-390.png"), full_page=True)
    finally:
        context.close()

    # A tablet with a touch screen: a tap with the pen leaves a mark on the frame.
    tablet = browser.new_context(
        viewport={"width": 768, "height": 1024}, has_touch=True, is_mobile=True
    )
    page = tablet.new_page()
    try:
        from apps.web.demo import DEMO_PASSWORD

        page.goto(live_server_url + "/accounts/login/?next=" + room.replace(live_server_url, ""))
        page.fill("input[name=login]", demo.owner.email)
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.locator("form button[type=submit]").first.click()
        expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "live")
        layer = page.get_by_test_id("drawing-layer")
        assert layer.evaluate("el => getComputedStyle(el).touchAction") == "none"
        page.get_by_test_id("draw-toggle").tap()
        expect(page.get_by_test_id("draw-toggle")).to_have_attribute("aria-pressed", "true")
        box = layer.bounding_box()
        assert box is not None
        page.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        expect(layer).to_have_attribute("data-draft", "1")
        page.screenshot(path=str(SHOTS / "review-room-tablet-768.png"), full_page=True)
    finally:
        tablet.close()
