"""What error reports may show. Django's default filter hides settings named like keys,
tokens and passwords; connection URLs (`DATABASE_OWNER_URL`, `REDIS_URL`, a cache's
LOCATION...) carry the same secrets inside them, so they are hidden too, wherever they sit."""

from __future__ import annotations

import re
from typing import Any

from django.views.debug import SafeExceptionReporterFilter


class CredentialHidingFilter(SafeExceptionReporterFilter):
    hidden_settings = re.compile(
        "API|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|DSN|DATABASE|BROKER|REDIS|CACHES"
        "|CHANNEL_LAYERS|CELERY|S3_|_URL$",
        flags=re.IGNORECASE,
    )

    def cleanse_setting(self, key: Any, value: Any) -> Any:
        if isinstance(value, str) and "://" in value:
            return self.cleansed_substitute
        return super().cleanse_setting(key, value)
