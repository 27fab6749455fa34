"""Error answers in the product's style in every environment.

Django answers a URL that matches nothing (and, with DEBUG, any Http404 or crash) with its
technical pages, which `handler404` / `handler500` replace only when DEBUG is off. This
middleware makes the answer the same everywhere: API paths get the API's JSON error
(`{"error": {"code", "message"}, "request_id"}`), pages get `errors/error.html`. With DEBUG
the traceback still goes to the log (django.request), never to the browser.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

from apps.core.api.errors import error_body
from apps.web.views import page_not_found, server_error

API_PREFIX = "/api/"
# Every technical page of Django (404 and 500) says this; our pages never do.
TECHNICAL_MARK = b"DEBUG = True"
MESSAGES = {
    404: ("not_found", "Not found."),
    500: ("server_error", "Something went wrong on our side; the error was logged."),
}


def _is_html(response: HttpResponse) -> bool:
    return str(response.get("Content-Type", "")).startswith("text/html")


class ProductErrorPagesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        status = response.status_code
        if status not in MESSAGES or getattr(response, "streaming", False):
            return response
        code, message = MESSAGES[status]
        if request.path.startswith(API_PREFIX):
            if str(response.get("Content-Type", "")).startswith("application/json"):
                return response
            return JsonResponse(error_body(code, message), status=status)
        if _is_html(response) and TECHNICAL_MARK in response.content:
            return page_not_found(request) if status == 404 else server_error(request)
        return response
