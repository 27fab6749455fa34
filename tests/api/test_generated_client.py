"""The OpenAPI schema is enough to write a pipeline script: a typed Python client generated
from it (openapi-python-client) drives one full flow against real processes (uvicorn, a
Celery worker for the media pipeline and the render results, the render scheduler and a
GPU worker): create a shot in a sequence, upload a movie with the direct-to-S3 multipart
protocol, wait until the media pipeline has validated it, submit a resize job, read the
version it made and its media (and download it), and post a note on that version.

Every API call goes through the generated functions and models; only the part PUTs and the
download go to the presigned S3 URLs the API hands out."""

from __future__ import annotations

import hashlib
import importlib
import json
import pkgutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from django.conf import settings
from drf_spectacular.generators import SchemaGenerator

from apps.accounts.services import api_token_create
from apps.media import samples
from tests.factories import Partner, make_partner
from tests.live_server import asgi_servers
from tests.render.helpers import (
    FAST_RENDER_ENV,
    LOGS,
    make_pool,
    platform_env,
    process,
    scheduler_args,
    worker_args,
    worker_env,
)

PACKAGE = "backlot_client"
# Generous: two CPU cores are shared with other test runs; a quiet run takes ~40 s.
WAIT_SECONDS = 120


@dataclass
class Generated:
    """The generated package: `op("orgs_projects_shots_create")` is an operation module
    (with `sync` / `sync_detailed`), `models` holds the typed request and response models."""

    package: ModuleType
    models: ModuleType

    def op(self, name: str) -> ModuleType:
        return importlib.import_module(f"{PACKAGE}.api.orgs.{name}")

    def client(self, base_url: str, token: str) -> Any:
        return self.package.AuthenticatedClient(
            base_url=base_url,
            token=token,
            raise_on_unexpected_status=True,
            timeout=httpx.Timeout(30.0),
        )


@pytest.fixture
def generated(tmp_path: Path) -> Iterator[Generated]:
    """Generates the client from the schema the server publishes (built in process, as
    tests/api/test_contract.py does) and imports it from a temporary directory."""
    document = SchemaGenerator().get_schema(request=None, public=True)
    schema = tmp_path / "openapi.json"
    schema.write_text(json.dumps(document, default=str))
    config = tmp_path / "generator.yaml"
    config.write_text("post_hooks: []\n")  # no formatter run over the generated code
    result = subprocess.run(
        [
            sys.executable, "-m", "openapi_python_client", "generate",
            "--path", str(schema), "--output-path", str(tmp_path / PACKAGE),
            "--meta", "none", "--config", str(config),
        ],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # The generator reports schema parts it could not type (and then leaves them out).
    assert "Warning" not in output, output
    sys.path.insert(0, str(tmp_path))
    try:
        package = importlib.import_module(PACKAGE)
        # Every operation of the API, not only the ones driven below, is valid Python.
        for module in pkgutil.walk_packages(package.__path__, PACKAGE + "."):
            importlib.import_module(module.name)
        yield Generated(package, importlib.import_module(f"{PACKAGE}.models"))
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


@pytest.fixture
def partner(committed_db: None) -> Partner:
    return make_partner(f"client-{uuid.uuid4().hex[:6]}")


@pytest.fixture
def platform(committed_db: None) -> Iterator[tuple[str, str]]:
    """The API server and every process behind it; yields (base URL, render pool name)."""
    pool = make_pool(capacity=1)
    env = platform_env()
    queues = f"{settings.CELERY_TASK_DEFAULT_QUEUE},render.results"
    celery = [
        sys.executable, "-m", "celery", "-A", "studio", "worker", "-Q", queues, "-P", "solo",
        "-c", "1", "--without-gossip", "--without-mingle", "-n",
        f"client-{uuid.uuid4().hex[:6]}@%h", "--loglevel", "INFO",
    ]  # fmt: skip
    with (
        process(celery, env, "generated-client-celery.log"),
        process(scheduler_args(), env, "generated-client-scheduler.log"),
        process(worker_args(pool.name), worker_env(), "generated-client-worker.log"),
        asgi_servers(1, env=FAST_RENDER_ENV, log_path=LOGS / "generated-client-server.log") as (
            url,
        ),
    ):
        yield url, pool.name


def _ok(result: Any, expected: type) -> Any:
    """The typed body of a successful call; an `Error` body fails with its message."""
    error = getattr(result, "error", None)
    assert isinstance(result, expected), (
        f"expected {expected.__name__}, got {type(result).__name__}: "
        f"{getattr(error, 'message', result)}"
    )
    return result


def _until(fetch: Callable[[], Any], done: Callable[[Any], bool], message: str) -> Any:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        value = fetch()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {WAIT_SECONDS} s: {message} ({value!r})")
        time.sleep(0.5)


def test_a_generated_client_runs_shot_upload_render_and_note(
    generated: Generated, partner: Partner, platform: tuple[str, str], tmp_path: Path
) -> None:
    base_url, pool = platform
    m = generated.models
    _, token = api_token_create(user=partner.producer, name="pipeline script")
    client = generated.client(base_url, token)
    org, project = partner.organization.slug, partner.project.pk

    # A shot in the partner's sequence.
    shot = _ok(
        generated.op("orgs_projects_shots_create").sync(
            org,
            project,
            client=client,
            body=m.ShotCreateRequest(
                sequence=partner.sequence.pk, code="SH0200", cut_in=1001, cut_out=1003
            ),
        ),
        m.Shot,
    )
    assert (shot.sequence, shot.sequence_code, shot.frame_count) == (
        partner.sequence.pk,
        "SQ010",
        3,
    )

    # Upload: start, presigned part URLs, PUT each part to S3, complete.
    movie = samples.make_movie(
        tmp_path / "plate_sh0200.mov", codec="prores", frames=3, width=64, height=48
    )
    data = movie.read_bytes()
    upload = _ok(
        generated.op("orgs_projects_uploads_create").sync(
            org,
            project,
            client=client,
            body=m.UploadStartRequest(
                shot=shot.id, filename=movie.name, size=len(data), kind=m.UploadKindEnum.PLATE
            ),
        ),
        m.UploadCreated,
    )
    assert upload.state == m.MediaStateEnum.UPLOADING and upload.part_count >= 1
    # The start answer types the server's limit, so a client can check before uploading.
    assert upload.max_upload_bytes >= len(data)
    urls = _ok(
        generated.op("orgs_projects_uploads_parts_create").sync(
            org,
            project,
            upload.id,
            client=client,
            body=m.PartsRequestRequest(parts=list(range(1, upload.part_count + 1))),
        ),
        m.PartUrls,
    )
    assert [part.part_number for part in urls.parts] == list(range(1, upload.part_count + 1))
    for part in urls.parts:
        start = (part.part_number - 1) * upload.part_size
        httpx.put(part.url, content=data[start : start + part.size], timeout=30).raise_for_status()
    completed = _ok(
        generated.op("orgs_projects_uploads_complete_create").sync(
            org, project, upload.id, client=client
        ),
        m.Media,
    )
    assert completed.size == len(data) and completed.version is not None

    # The media pipeline (the Celery worker) validates the movie.
    media_retrieve = generated.op("orgs_projects_media_retrieve")
    plate = _until(
        lambda: _ok(media_retrieve.sync(org, project, completed.id, client=client), m.Media),
        lambda media: media.state != m.MediaStateEnum.QUARANTINED,
        "the upload to be validated",
    )
    assert plate.state == m.MediaStateEnum.READY, plate.rejection_reason
    assert (plate.width, plate.height, plate.frame_count) == (64, 48, 3)
    assert plate.sha256 == hashlib.sha256(data).hexdigest()

    # A resize job on the GPU worker.
    job = _ok(
        generated.op("orgs_projects_render_jobs_create").sync(
            org,
            project,
            client=client,
            body=m.JobSubmitRequest(
                shot=shot.id,
                operation="resize",
                params=m.JobSubmitRequestParams.from_dict({"width": 32, "height": 24}),
                inputs=m.JobSubmitRequestInputs.from_dict({"source": plate.id}),
                pool=pool,
            ),
        ),
        m.Job,
    )
    assert job.operation == "resize" and job.shot == shot.id
    job_retrieve = generated.op("orgs_projects_render_jobs_retrieve")
    finished = {m.JobStateEnum.SUCCEEDED, m.JobStateEnum.FAILED, m.JobStateEnum.CANCELLED}
    job = _until(
        lambda: _ok(job_retrieve.sync(org, project, job.id, client=client), m.Job),
        lambda current: current.state in finished,
        "the resize job to finish",
    )
    assert job.state == m.JobStateEnum.SUCCEEDED, job.error
    assert job.version is not None and job.version_label == "v002"

    # Its result: a render version of the shot, with the resized movie.
    version = _ok(
        generated.op("orgs_projects_versions_retrieve").sync(
            org, project, job.version, client=client
        ),
        m.Version,
    )
    assert (version.shot, version.source, version.source_job_id) == (
        shot.id,
        m.SourceEnum.RENDER,
        job.id,
    )
    # Its size is known once the platform has validated the picture, which runs
    # after the result is registered: wait for it as a client would.
    outputs = _until(
        lambda: _ok(
            generated.op("orgs_projects_media_list").sync(
                org, project, client=client, version=version.id
            ),
            m.PaginatedMediaList,
        ),
        lambda page: bool(page.results) and page.results[0].width is not None,
        "the resized movie to be validated",
    )
    assert outputs.results and all(item.version == version.id for item in outputs.results)
    output = outputs.results[0]
    assert (output.width, output.height) == (32, 24)
    link = _ok(
        generated.op("orgs_projects_media_link_retrieve").sync(
            org,
            project,
            output.id,
            client=client,
            purpose=m.OrgsProjectsMediaLinkRetrievePurpose.DOWNLOAD,
        ),
        m.SignedLink,
    )
    download = httpx.get(link.url, timeout=30)
    download.raise_for_status()
    assert hashlib.sha256(download.content).hexdigest() == output.sha256

    # A note on the result version.
    note = _ok(
        generated.op("orgs_versions_notes_create").sync(
            org,
            version.id,
            client=client,
            body=m.NoteCreateRequest(frame_in=1, frame_out=2, text="Edges soft on the right."),
        ),
        m.Note,
    )
    assert (note.version, note.frame_in, note.frame_out) == (version.id, 1, 2)
    assert note.status == m.NoteStatusEnum.OPEN and note.author.email == partner.producer.email
    again = _ok(generated.op("orgs_notes_retrieve").sync(org, note.id, client=client), m.Note)
    assert again.text == "Edges soft on the right." and again.replies == []
