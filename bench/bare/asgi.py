"""`uvicorn bench.bare.asgi:application`: Django's ASGI handler with no middleware at all
and only the bare URL (the project's settings otherwise, so the same database)."""

from __future__ import annotations

import os
from typing import Any

import django
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.exception import convert_exception_to_response

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")
django.setup(set_prefix=False)

BARE_URLCONF = "bench.bare.urls"


class BareHandler(ASGIHandler):
    def load_middleware(self, is_async: bool = False) -> None:
        self._view_middleware: list[Any] = []
        self._template_response_middleware: list[Any] = []
        self._exception_middleware: list[Any] = []
        get_response = (
            self._get_response_async  # type: ignore[attr-defined]
            if is_async
            else self._get_response  # type: ignore[attr-defined]
        )
        self._middleware_chain = convert_exception_to_response(get_response)

    def resolve_request(self, request: Any) -> Any:
        request.urlconf = BARE_URLCONF
        return super().resolve_request(request)


application = BareHandler()
