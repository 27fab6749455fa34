"""Which websocket handshakes may skip the Origin check.

Browsers always send `Origin` on a websocket handshake, and the cookie is only safe with an
allowed Origin (another site could otherwise ride the user's cookie). A client without the
cookie (a script, a desktop tool) authenticates with a ticket (docs/review-protocol.md): a
short-lived bearer credential in the query, bound to one user and one session, which no
other site can get. So a handshake **without** an Origin header that carries `ticket=` is
let through, with its cookies removed, so that only the ticket can authenticate it; every
other handshake goes through the allowed-hosts Origin check as before.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs


class TicketOrOriginValidator:
    def __init__(self, inner: Any, checked: Any) -> None:
        self.inner = inner  # the application without the Origin check
        self.checked = checked  # the same application behind the Origin check

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope.get("type") == "websocket" and _ticket_without_origin(scope):
            headers = [(k, v) for k, v in scope.get("headers", []) if k.lower() != b"cookie"]
            return await self.inner({**scope, "headers": headers}, receive, send)
        return await self.checked(scope, receive, send)


def _ticket_without_origin(scope: dict[str, Any]) -> bool:
    if any(key.lower() == b"origin" for key, _ in scope.get("headers", [])):
        return False
    query = parse_qs(scope.get("query_string", b"").decode(errors="replace"))
    return bool(query.get("ticket"))
