"""Prometheus metrics shared by the platform processes."""

from prometheus_client import Counter, Histogram

HTTP_REQUESTS = Counter(
    "backlot_http_requests_total", "HTTP requests handled", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "backlot_http_request_seconds", "HTTP request latency", ["method", "route"]
)
AUDIT_ENTRIES = Counter("backlot_audit_entries_total", "Audit entries written", ["action"])
LIVE_EVENT_SEND_FAILURES = Counter(
    "backlot_live_event_send_failures_total",
    "Live events whose broadcast failed after retries (receivers catch up from the log)",
    ["event"],
)


def observe_request(*, method: str, route: str, status: int, seconds: float) -> None:
    HTTP_REQUESTS.labels(method=method, route=route, status=str(status)).inc()
    HTTP_LATENCY.labels(method=method, route=route).observe(seconds)
