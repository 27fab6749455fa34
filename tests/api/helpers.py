from __future__ import annotations

from typing import Any

from rest_framework.test import APIClient

from apps.accounts.services import api_token_create


def api_client_for(user: Any) -> APIClient:
    """A client that authenticates with a real personal API token."""
    _, plain = api_token_create(user=user, name="tests")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    return client
