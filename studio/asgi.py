"""ASGI entry point: HTTP to Django, websockets to Channels consumers."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")
django_http = get_asgi_application()  # set up Django before importing consumers

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from apps.beta.middleware import BetaAccessWebsocketMiddleware  # noqa: E402
from apps.core.ws_origin import TicketOrOriginValidator  # noqa: E402
from studio.ws_urls import websocket_urlpatterns  # noqa: E402

_websocket = AuthMiddlewareStack(BetaAccessWebsocketMiddleware(URLRouter(websocket_urlpatterns)))
application = ProtocolTypeRouter(
    {
        "http": django_http,
        # Browser websockets authenticate with the session cookie; the Origin must be one
        # of ALLOWED_HOSTS so another site cannot ride the user's cookie.
        # The beta gate refuses connections of suspended users and of users who have
        # not accepted the current agreements, before any consumer runs.
        # A client without the cookie may connect without an Origin with a ticket
        # (apps.core.ws_origin): its cookies are dropped, only the ticket counts.
        "websocket": TicketOrOriginValidator(_websocket, AllowedHostsOriginValidator(_websocket)),
    }
)
