from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.beta.smtp import Inbox, smtp_server


@pytest.fixture
def inbox(settings: object) -> Iterator[Inbox]:
    with smtp_server() as (box, port):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"  # type: ignore[attr-defined]
        settings.EMAIL_HOST = "127.0.0.1"  # type: ignore[attr-defined]
        settings.EMAIL_PORT = port  # type: ignore[attr-defined]
        yield box
