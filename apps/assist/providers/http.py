"""Small JSON-over-HTTP helper for the HTTP providers (standard library only)."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from typing import Any

from apps.assist.providers.base import ProviderError


def post_json(
    url: str, body: dict[str, Any], headers: dict[str, str], timeout: float
) -> dict[str, Any]:
    if not url.startswith(("http://", "https://")):
        raise ProviderError(f"endpoint {url!r} is not an http(s) URL")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **headers},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            raw = response.read()
    except urllib.error.HTTPError as error:
        detail = error.read()[:500].decode("utf-8", "replace")
        raise ProviderError(f"HTTP {error.code} from provider: {detail}") from error
    except TimeoutError as error:
        raise ProviderError(f"provider did not answer within {timeout:g} s") from error
    except urllib.error.URLError as error:
        if isinstance(error.reason, (TimeoutError, socket.timeout)):
            raise ProviderError(f"provider did not answer within {timeout:g} s") from error
        raise ProviderError(f"could not reach provider: {error.reason}") from error
    try:
        parsed = json.loads(raw)
    except json.JSONDecodeError as error:
        raise ProviderError("provider answered with something that is not JSON") from error
    if not isinstance(parsed, dict):
        raise ProviderError("provider answered with an unexpected JSON shape")
    return parsed
