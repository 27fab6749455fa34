"""The dev-only outbox: the email the local SMTP sink received (studio/devstack/mail.py
writes one .eml file per message into EMAIL_OUTBOX_DIR). Beta admins only; 404 for
everyone else, and for everybody when there is no outbox (always so in production)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from apps.tenancy.selectors import is_beta_admin

MESSAGE_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,120}\.eml$")
LINK = re.compile(r"https?://[^\s<>\"]+")
MAX_LISTED = 200


@dataclass(frozen=True)
class OutboxMessage:
    name: str
    to: str
    subject: str
    sent_at: datetime | None
    text: str
    html: str
    links: list[str]


def _outbox_dir(request: HttpRequest) -> Path:
    folder = str(getattr(settings, "EMAIL_OUTBOX_DIR", "") or "")
    if getattr(settings, "PRODUCTION", False) or not folder:
        raise Http404("Not found.")
    if not is_beta_admin(request.user):
        raise Http404("Not found.")
    return Path(folder)


def _read(path: Path, *, with_body: bool) -> OutboxMessage:
    parsed = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert isinstance(parsed, EmailMessage)
    try:
        sent_at = parsedate_to_datetime(str(parsed["Date"])) if parsed["Date"] else None
    except (TypeError, ValueError):
        sent_at = None
    if sent_at is None:
        sent_at = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
    text = html = ""
    if with_body:
        plain = parsed.get_body(preferencelist=("plain",))
        rich = parsed.get_body(preferencelist=("html",))
        text = str(plain.get_content()) if plain is not None else ""
        html = str(rich.get_content()) if rich is not None else ""
    return OutboxMessage(
        name=path.name,
        to=str(parsed["To"] or parsed["X-Backlot-Envelope-To"] or ""),
        subject=str(parsed["Subject"] or "(no subject)"),
        sent_at=sent_at,
        text=text,
        html=html,
        links=list(dict.fromkeys(LINK.findall(text))),
    )


@login_required
@require_GET
def outbox_page(request: HttpRequest) -> HttpResponse:
    folder = _outbox_dir(request)
    to_filter = request.GET.get("to", "").strip().lower()
    files = (
        sorted(folder.glob("*.eml"), key=lambda p: p.name, reverse=True) if folder.is_dir() else []
    )
    messages = []
    for path in files:
        message = _read(path, with_body=False)
        if to_filter and to_filter not in message.to.lower():
            continue
        messages.append(message)
        if len(messages) >= MAX_LISTED:
            break
    return render(
        request,
        "notifications/outbox.html",
        {"messages_sent": messages, "to": to_filter, "total": len(files), "folder": folder.name},
    )


@login_required
@require_GET
def outbox_message_page(request: HttpRequest, name: str) -> HttpResponse:
    folder = _outbox_dir(request)
    path = folder / name
    if not MESSAGE_NAME.match(name) or not path.is_file():
        raise Http404("No such message.")
    return render(
        request, "notifications/outbox_message.html", {"message": _read(path, with_body=True)}
    )
