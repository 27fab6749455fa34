"""Signatures between the platform and GPU workers (no Django: shared by both sides).

The platform derives one HMAC key per attempt (from its signing key, the partner, the job
and the attempt) and hands it to the worker inside that attempt's job specification only.
The worker signs every report with it; the results intake recomputes the key from the
report's own organization, job and attempt and refuses anything that does not verify. A
worker holding one attempt's key therefore cannot sign a report for any other attempt.

The platform also signs the whole job specification with its pool's key; a worker that is
given that key (`RENDER_SPEC_KEY`) refuses specifications that do not verify.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

SIGNATURE_FIELD = "signature"
SPEC_SIGNATURE_FIELD = "spec_signature"
REPORT_KEY_FIELD = "report_key"


def canonical(message: dict[str, Any], exclude: str) -> bytes:
    """The bytes that are signed: the message without its signature, keys sorted."""
    body = {k: v for k, v in message.items() if k != exclude}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()


def derive(secret: str | bytes, label: str) -> str:
    raw = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(raw, label.encode(), hashlib.sha256).hexdigest()


def attempt_key(secret: str | bytes, organization_id: Any, job_id: Any, attempt_id: Any) -> str:
    """The per-attempt report key (hex)."""
    return derive(secret, f"backlot-report:v1:{organization_id}:{job_id}:{attempt_id}")


def pool_key(secret: str | bytes, pool: str) -> str:
    """The key a pool's workers verify job specifications with (hex)."""
    return derive(secret, f"backlot-spec:v1:{pool}")


def _mac(key_hex: str, message: dict[str, Any], exclude: str) -> str:
    return hmac.new(bytes.fromhex(key_hex), canonical(message, exclude), hashlib.sha256).hexdigest()


def sign_report(key_hex: str, report: dict[str, Any]) -> dict[str, Any]:
    return {**report, SIGNATURE_FIELD: _mac(key_hex, report, SIGNATURE_FIELD)}


def report_signature_ok(key_hex: str, report: dict[str, Any]) -> bool:
    given = report.get(SIGNATURE_FIELD)
    if not isinstance(given, str) or not given:
        return False
    return hmac.compare_digest(given, _mac(key_hex, report, SIGNATURE_FIELD))


def sign_spec(key_hex: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {**spec, SPEC_SIGNATURE_FIELD: _mac(key_hex, spec, SPEC_SIGNATURE_FIELD)}


def spec_signature_ok(key_hex: str, spec: dict[str, Any]) -> bool:
    given = spec.get(SPEC_SIGNATURE_FIELD)
    if not isinstance(given, str) or not given:
        return False
    return hmac.compare_digest(given, _mac(key_hex, spec, SPEC_SIGNATURE_FIELD))
