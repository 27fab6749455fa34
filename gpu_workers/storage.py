"""S3 transfer for the GPU worker (boto3 only, no Django). Credentials come from the
environment (S3_ENDPOINT_URL, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, S3_REGION, S3_BUCKET)."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class StoredObject:
    key: str
    sha256: str
    size: int


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


class Storage:
    def __init__(self, client: Any | None = None, bucket: str | None = None) -> None:
        self.bucket = bucket or os.environ.get("S3_BUCKET", "backlot-media")
        self.client = client or boto3.client(
            "s3",
            endpoint_url=os.environ.get("S3_ENDPOINT_URL") or None,
            region_name=os.environ.get("S3_REGION", "us-east-1"),
            aws_access_key_id=os.environ.get("S3_ACCESS_KEY_ID") or None,
            aws_secret_access_key=os.environ.get("S3_SECRET_ACCESS_KEY") or None,
            config=Config(
                signature_version="s3v4",
                s3={"addressing_style": "path"},
                retries={"max_attempts": 5, "mode": "standard"},
            ),
        )

    def download(self, key: str, destination: Path) -> Path:
        """One object to a file, or (key ending in '/') every object under a prefix to a
        folder (image sequences). Returns the local path."""
        if key.endswith("/"):
            destination.mkdir(parents=True, exist_ok=True)
            paginator = self.client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=key):
                for item in page.get("Contents", []):
                    relative = item["Key"][len(key) :]
                    if not relative or ".." in relative.split("/"):
                        continue
                    target = destination / relative
                    target.parent.mkdir(parents=True, exist_ok=True)
                    self.client.download_file(self.bucket, item["Key"], str(target))
            return destination
        destination.parent.mkdir(parents=True, exist_ok=True)
        self.client.download_file(self.bucket, key, str(destination))
        return destination

    def upload_tree(self, folder: Path, prefix: str, content_type: str) -> StoredObject:
        """Every file of a folder (an image sequence) under `prefix` + '/'. The sha256 is
        that of a manifest listing each file's relative path and sha256, in name order."""
        base = prefix.rstrip("/") + "/"
        lines, total = [], 0
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            relative = path.relative_to(folder).as_posix()
            stored = self.upload(path, base + relative, content_type)
            lines.append(f"{stored.sha256}  {relative}")
            total += stored.size
        manifest = "\n".join(lines) + "\n"
        return StoredObject(
            key=base, sha256=hashlib.sha256(manifest.encode()).hexdigest(), size=total
        )

    def upload(self, path: Path, key: str, content_type: str) -> StoredObject:
        digest = sha256_of(path)
        self.client.upload_file(
            str(path),
            self.bucket,
            key,
            ExtraArgs={"ContentType": content_type, "Metadata": {"sha256": digest}},
        )
        return StoredObject(key=key, sha256=digest, size=path.stat().st_size)
