"""The S3 client and server-generated object keys. Only apps.media touches S3 directly."""

from __future__ import annotations

import functools
import re
import uuid
from pathlib import Path
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


_cors_checked: set[str] = set()


def ensure_bucket_cors() -> None:
    """Lets browsers PUT parts and read ETags (only when S3_MANAGE_CORS, once a process)."""
    bucket = settings.S3_BUCKET
    if not settings.S3_MANAGE_CORS or bucket in _cors_checked:
        return
    s3_client().put_bucket_cors(
        Bucket=bucket,
        CORSConfiguration={
            "CORSRules": [
                {
                    "AllowedOrigins": list(settings.S3_CORS_ORIGINS) or ["*"],
                    "AllowedMethods": ["PUT", "GET", "HEAD"],
                    "AllowedHeaders": ["*"],
                    "ExposeHeaders": ["ETag"],
                    "MaxAgeSeconds": 3600,
                }
            ]
        },
    )
    _cors_checked.add(bucket)


def multipart_create(*, key: str, content_type: str) -> str:
    response = s3_client().create_multipart_upload(
        Bucket=settings.S3_BUCKET, Key=key, ContentType=content_type or "application/octet-stream"
    )
    return str(response["UploadId"])


def multipart_part_url(*, key: str, upload_id: str, part_number: int, expires_in: int) -> str:
    url: str = s3_client().generate_presigned_url(
        "upload_part",
        Params={
            "Bucket": settings.S3_BUCKET,
            "Key": key,
            "UploadId": upload_id,
            "PartNumber": part_number,
        },
        ExpiresIn=expires_in,
    )
    return url


def multipart_parts(*, key: str, upload_id: str) -> list[dict[str, Any]]:
    """Every part S3 holds for the upload (ListParts, all pages)."""
    parts: list[dict[str, Any]] = []
    marker = 0
    while True:
        response = s3_client().list_parts(
            Bucket=settings.S3_BUCKET, Key=key, UploadId=upload_id, PartNumberMarker=marker
        )
        for part in response.get("Parts", []):
            parts.append(
                {
                    "part_number": int(part["PartNumber"]),
                    "size": int(part["Size"]),
                    "etag": part["ETag"],
                }
            )
        if not response.get("IsTruncated"):
            break
        marker = int(response["NextPartNumberMarker"])
    return sorted(parts, key=lambda part: part["part_number"])


def multipart_complete(*, key: str, upload_id: str, parts: list[dict[str, Any]]) -> None:
    s3_client().complete_multipart_upload(
        Bucket=settings.S3_BUCKET,
        Key=key,
        UploadId=upload_id,
        MultipartUpload={
            "Parts": [{"PartNumber": p["part_number"], "ETag": p["etag"]} for p in parts]
        },
    )


def multipart_abort(*, key: str, upload_id: str) -> None:
    try:
        s3_client().abort_multipart_upload(Bucket=settings.S3_BUCKET, Key=key, UploadId=upload_id)
    except s3_client().exceptions.NoSuchUpload:
        pass


def object_size(key: str) -> int | None:
    try:
        return int(s3_client().head_object(Bucket=settings.S3_BUCKET, Key=key)["ContentLength"])
    except s3_client().exceptions.ClientError:
        return None


def object_download(key: str, path: Any) -> None:
    s3_client().download_file(settings.S3_BUCKET, key, str(path))


def object_upload(path: Any, key: str, *, content_type: str) -> None:
    s3_client().upload_file(
        str(path), settings.S3_BUCKET, key, ExtraArgs={"ContentType": content_type}
    )


def object_put(key: str, content: bytes, *, content_type: str) -> None:
    s3_client().put_object(
        Bucket=settings.S3_BUCKET, Key=key, Body=content, ContentType=content_type
    )


def object_delete(key: str) -> None:
    """Deletes an object, or every object under an image sequence's prefix (key ending /)."""
    if key.endswith("/"):
        client = s3_client()
        for page in client.get_paginator("list_objects_v2").paginate(
            Bucket=settings.S3_BUCKET, Prefix=key
        ):
            for item in page.get("Contents", []):
                client.delete_object(Bucket=settings.S3_BUCKET, Key=item["Key"])
        return
    s3_client().delete_object(Bucket=settings.S3_BUCKET, Key=key)


def prefix_objects(prefix: str) -> dict[str, int]:
    """Name (relative to `prefix`) and size of every object stored under it."""
    found: dict[str, int] = {}
    for page in (
        s3_client()
        .get_paginator("list_objects_v2")
        .paginate(Bucket=settings.S3_BUCKET, Prefix=prefix)
    ):
        for item in page.get("Contents", []):
            found[item["Key"][len(prefix) :]] = int(item["Size"])
    return found


def object_put_url(*, key: str, expires_in: int) -> str:
    """A presigned PUT of one whole object (a frame of a sequence upload)."""
    url: str = s3_client().generate_presigned_url(
        "put_object",
        Params={"Bucket": settings.S3_BUCKET, "Key": key},
        ExpiresIn=expires_in,
    )
    return url


def prefix_download(prefix: str, folder: Path) -> list[Path]:
    """Every object under `prefix` (an image sequence) into `folder`, keeping the relative
    paths; returns the local files in name order."""
    client = s3_client()
    base = prefix.rstrip("/") + "/"
    files: list[Path] = []
    for page in client.get_paginator("list_objects_v2").paginate(
        Bucket=settings.S3_BUCKET, Prefix=base
    ):
        for item in page.get("Contents", []):
            relative = item["Key"][len(base) :]
            if not relative or ".." in relative.split("/"):
                continue
            target = folder / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            client.download_file(settings.S3_BUCKET, item["Key"], str(target))
            files.append(target)
    return sorted(files)


class ObjectTooLarge(Exception):
    """An object is larger than a server-side read may fetch."""


def object_read(key: str, *, max_bytes: int) -> bytes:
    """The bytes of a small object (a report), read server-side; never more than
    `max_bytes` (ObjectTooLarge beyond that, so a huge object cannot fill memory)."""
    response = s3_client().get_object(
        Bucket=settings.S3_BUCKET, Key=key, Range=f"bytes=0-{max_bytes}"
    )
    content: bytes = response["Body"].read(max_bytes + 1)
    if len(content) > max_bytes:
        raise ObjectTooLarge(key)
    return content
