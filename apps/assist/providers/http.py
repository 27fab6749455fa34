"""Small JSON-over-HTTP helper for the HTTP providers (standard library only).

One deadline covers the whole call (connect, send, every read), not each socket operation;
redirects are never followed (the credentials would go to another host); HTTPS is
required except for loopback addresses (local test servers). Every way the connection can
fail becomes a ProviderError whose `sent` says whether the prompt may have reached the
provider.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import ssl
import time
import urllib.parse
from typing import Any

from apps.assist.providers.base import ProviderError

MAX_ANSWER_BYTES = 4 * 1024 * 1024


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_endpoint(url: str) -> urllib.parse.SplitResult:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ProviderError(f"endpoint {url!r} is not an http(s) URL", sent=False)
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ProviderError("the endpoint must use HTTPS (plain http only on loopback)", sent=False)
    return parts


def _left(deadline: float, timeout: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    return left


def post_json(
    url: str, body: dict[str, Any], headers: dict[str, str], timeout: float
) -> dict[str, Any]:
    parts = check_endpoint(url)
    deadline = time.monotonic() + timeout
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(
            parts.hostname or "", parts.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)
    sent = False
    try:
        connection.connect()
        sock = connection.sock
        sock.settimeout(_left(deadline, timeout))
        sent = True  # from here on the provider may have the prompt
        connection.request(
            "POST",
            path,
            body=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", **headers},
        )
        sock.settimeout(_left(deadline, timeout))
        response = connection.getresponse()
        if 300 <= response.status < 400:
            raise ProviderError(
                f"provider answered HTTP {response.status} (a redirect); not followed, "
                "credentials are never sent to another address"
            )
        raw = b""
        while True:
            sock.settimeout(_left(deadline, timeout))
            chunk = response.read1(65536)
            if not chunk:
                break
            raw += chunk
            if len(raw) > MAX_ANSWER_BYTES:
                raise ProviderError("provider answer is too large")
        if response.length:
            raise http.client.IncompleteRead(raw, response.length)
    except ProviderError:
        raise
    except TimeoutError as error:
        raise ProviderError(f"provider did not answer within {timeout:g} s", sent=sent) from error
    except http.client.IncompleteRead as error:
        raise ProviderError(
            "the connection closed mid-answer (incomplete read) after the prompt was sent"
        ) from error
    except (http.client.RemoteDisconnected, ConnectionError) as error:
        raise ProviderError(
            "the provider closed the connection"
            + (" after the prompt was sent" if sent else f" before the prompt was sent: {error}"),
            sent=sent,
        ) from error
    except (http.client.HTTPException, OSError) as error:
        raise ProviderError(f"could not reach provider: {error}", sent=sent) from error
    finally:
        connection.close()
    if response.status >= 400:
        detail = raw[:500].decode("utf-8", "replace")
        raise ProviderError(f"HTTP {response.status} from provider: {detail}")
    try:
        parsed = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ProviderError("provider answered with something that is not JSON") from error
    if not isinstance(parsed, dict):
        raise ProviderError("provider answered with an unexpected JSON shape")
    return parsed


def token_count(usage: Any, key: str) -> int:
    """A token count from a provider's usage block; anything else is a malformed answer."""
    if usage is None:
        return 0
    if not isinstance(usage, dict):
        raise ProviderError("provider answer has malformed usage (not an object)")
    value = usage.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ProviderError(f"provider answer has malformed usage ({key}={value!r})")
    return value
