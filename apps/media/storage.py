"""The S3 client and server-generated object keys. Only apps.media touches S3 directly."""

from __future__ import annotations

import functools
import re
import uuid
from typing import Any

import boto3
from botocore.config import Config
from django.conf import settings

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@functools.lru_cache(maxsize=4)
def _client(endpoint: str | None, region: str, key: str, secret: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=key or None,
        aws_secret_access_key=secret or None,
        config=Config(
            signature_version="s3v4",
            s3={"addressing_style": "path"},
            retries={"max_attempts": 3, "mode": "standard"},
        ),
    )


def s3_client() -> Any:
    return _client(
        settings.S3_ENDPOINT_URL,
        settings.S3_REGION,
        settings.S3_ACCESS_KEY_ID,
        settings.S3_SECRET_ACCESS_KEY,
    )


def safe_filename(name: str) -> str:
    cleaned = _SAFE_NAME.sub("_", name.rsplit("/", 1)[-1]).strip("._") or "file"
    return cleaned[:120]


def new_object_key(
    *, organization_id: int, project_id: int, filename: str, area: str = "media"
) -> str:
    """`org/<org>/project/<project>/<area>/<uuid>/<safe filename>`: tenant and project first,
    a random folder so names never collide, the client never picks the key."""
    return (
        f"org/{organization_id}/project/{project_id}/{area}/{uuid.uuid4().hex}/"
        f"{safe_filename(filename)}"
    )
