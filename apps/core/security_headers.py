"""Security headers on every response: a strict Content-Security-Policy with a per-request
nonce (no inline script runs without it; pages carry no inline handlers), frame-ancestors
'none', a Permissions-Policy that switches off what Backlot never uses, Referrer-Policy and
nosniff. Templates put `nonce="{{ request.csp_nonce }}"` on the few inline scripts they
need (none of Backlot's own pages do)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse

PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
        "interest-cohort",
    )
)


def media_origins() -> list[str]:
    """Where presigned media links point (uploads PUT there, players read from there)."""
    configured = list(getattr(settings, "CSP_MEDIA_ORIGINS", []) or [])
    endpoint = getattr(settings, "S3_ENDPOINT_URL", None)
    if endpoint:
        parts = urlsplit(endpoint)
        configured.append(f"{parts.scheme}://{parts.netloc}")
    else:
        configured.append("https://*.amazonaws.com")
    return configured


def content_security_policy(nonce: str, host: str) -> str:
    media = " ".join(media_origins())
    sockets = f"ws://{host} wss://{host}" if host else ""
    directives = {
        "default-src": "'self'",
        "script-src": f"'self' 'nonce-{nonce}'",
        # Style attributes are used for layout (widths of progress bars, chart sizes); no
        # script can run from a style.
        "style-src": "'self' 'unsafe-inline'",
        "img-src": f"'self' data: blob: {media}",
        "media-src": f"'self' blob: {media}",
        "connect-src": f"'self' {sockets} {media}",
        "font-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
        "worker-src": "'self' blob:",
    }
    return "; ".join(f"{name} {' '.join(value.split())}" for name, value in directives.items())


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        nonce = secrets.token_urlsafe(18)
        request.csp_nonce = nonce  # type: ignore[attr-defined]
        response = self.get_response(request)
        try:
            host = request.get_host()
        except Exception:  # a disallowed host already got its 400; keep the headers safe
            host = ""
        response.headers.setdefault("Content-Security-Policy", content_security_policy(nonce, host))
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response
