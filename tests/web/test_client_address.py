"""Rate limits key on the client, not on the load balancer (security issue 16, item 11):
behind TRUSTED_PROXY_COUNT proxies the address is read from the right of X-Forwarded-For,
so what a client writes on the left is never trusted; a trusted header wins when named."""

from __future__ import annotations

from django.test import RequestFactory, override_settings

from apps.core.middleware import client_ip

FORGED = "203.0.113.66, 198.51.100.7"  # the client wrote the first, our balancer the second


def _request(**meta: str) -> object:
    request = RequestFactory().get("/")
    request.META.update({"REMOTE_ADDR": "10.0.0.5", **meta})
    return request


def test_without_trusted_proxies_the_socket_address_counts() -> None:
    assert client_ip(_request(HTTP_X_FORWARDED_FOR=FORGED)) == "10.0.0.5"  # type: ignore[arg-type]


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_one_balancer_two_clients_get_two_buckets() -> None:
    one = client_ip(_request(HTTP_X_FORWARDED_FOR=FORGED))  # type: ignore[arg-type]
    two = client_ip(_request(HTTP_X_FORWARDED_FOR="198.51.100.8"))  # type: ignore[arg-type]
    assert (one, two) == ("198.51.100.7", "198.51.100.8")


@override_settings(TRUSTED_CLIENT_IP_HEADER="X-Real-IP", TRUSTED_PROXY_COUNT=1)
def test_a_trusted_header_wins() -> None:
    request = _request(HTTP_X_REAL_IP="198.51.100.9", HTTP_X_FORWARDED_FOR=FORGED)
    assert client_ip(request) == "198.51.100.9"  # type: ignore[arg-type]


def test_allauth_rate_limits_use_the_same_setting() -> None:
    from django.conf import settings

    assert settings.ALLAUTH_TRUSTED_PROXY_COUNT == settings.TRUSTED_PROXY_COUNT
    assert settings.ALLAUTH_TRUSTED_CLIENT_IP_HEADER == settings.TRUSTED_CLIENT_IP_HEADER
