"""Drive the upload API like a browser does: start, presigned part PUTs, complete."""

from __future__ import annotations

import hashlib
import http.client
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from django.conf import settings
from django.urls import reverse

from apps.media.storage import s3_client


def api_url(name: str, org: str, project_id: int, **kwargs: Any) -> str:
    return reverse(f"api:{name}", kwargs={"org": org, "project_pk": project_id, **kwargs})


def put_part(url: str, data: bytes) -> int:
    request = urllib.request.Request(url, data=data, method="PUT")
    with urllib.request.urlopen(request, timeout=30) as response:
        return int(response.status)


def put_part_dropped(url: str, data: bytes) -> None:
    """Send half of a part and drop the connection, like a laptop losing its network."""
    parsed = urllib.parse.urlsplit(url)
    assert parsed.hostname is not None
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10)
    connection.putrequest("PUT", parsed.path + "?" + parsed.query, skip_accept_encoding=True)
    connection.putheader("Content-Length", str(len(data)))
    connection.endheaders()
    connection.send(data[: len(data) // 2])
    connection.sock.close()


def start_upload(client: Any, org: str, project_id: int, shot_id: int, name: str, size: int) -> Any:
    return client.post(
        api_url("upload-list", org, project_id),
        {"shot": shot_id, "filename": name, "size": size},
        format="json",
    )


def send_parts(
    client: Any, org: str, project_id: int, upload: dict[str, Any], data: bytes, numbers: list[int]
) -> None:
    response = client.post(
        api_url("upload-parts", org, project_id, pk=upload["id"]), {"parts": numbers}, format="json"
    )
    assert response.status_code == 200, response.content
    for part in response.json()["parts"]:
        start = (part["part_number"] - 1) * upload["part_size"]
        assert put_part(part["url"], data[start : start + part["size"]]) == 200


def upload_file(
    client: Any, org: str, project_id: int, shot_id: int, path: Path, name: str | None = None
) -> dict[str, Any]:
    data = path.read_bytes()
    started = start_upload(client, org, project_id, shot_id, name or path.name, len(data))
    assert started.status_code == 201, started.content
    upload = started.json()
    send_parts(client, org, project_id, upload, data, list(range(1, upload["part_count"] + 1)))
    completed = client.post(api_url("upload-complete", org, project_id, pk=upload["id"]))
    assert completed.status_code == 200, completed.content
    return dict(completed.json())


def object_exists(key: str) -> bool:
    try:
        s3_client().head_object(Bucket=settings.S3_BUCKET, Key=key)
        return True
    except s3_client().exceptions.ClientError:
        return False


def object_sha256(key: str) -> str:
    body = s3_client().get_object(Bucket=settings.S3_BUCKET, Key=key)["Body"].read()
    return hashlib.sha256(body).hexdigest()
