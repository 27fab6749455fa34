"""API token format: `blt_<prefix>_<secret>`; the database keeps sha256(full token)."""

import hashlib
import secrets

TOKEN_MARKER = "blt_"


def generate_token() -> tuple[str, str, str]:
    """Returns (full token, prefix, sha256 hex of the full token)."""
    prefix = secrets.token_hex(4)
    token = f"{TOKEN_MARKER}{prefix}_{secrets.token_urlsafe(32)}"
    return token, prefix, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
