"""Each operation as a real render job on the CPU pool: submitted through the platform,
run by `python -m gpu_workers.worker` (no database settings), its outputs recorded as a new
version with provenance. (resize of a movie is also in test_worker_processes.py; here it
takes a still EXR.)"""

from __future__ import annotations

import datetime
import functools
import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import torch
from django.conf import settings
from PIL import Image

from apps.media.models import MediaFile
from apps.media.storage import s3_client
from apps.production.models import Version
from apps.production.services import character_create
from apps.render import consent, submission
from apps.render.models import Job, JobState
from apps.tenancy.scope import tenant_scope
from gpu_workers.frames import write_exr
from tests.factories import Partner, make_partner
from tests.gpu_workers.media import gradient_scene, write_movie
from tests.gpu_workers.test_character_consistency import DATA, _frame, _photo
from tests.gpu_workers.test_key_composite import green_screen_plate, known_matte
from tests.render.helpers import (
    FAST_RENDER_ENV,
    intake_args,
    make_input_media,
    make_pool,
    platform_env,
    process,
    scheduler_args,
    wait_for,
    worker_args,
    worker_env,
)


@pytest.fixture(scope="module")
def platform(django_db_setup: Any) -> Iterator[None]:
    env = platform_env()
    with (
        process(intake_args(), env, "ops-intake.log"),
        process(scheduler_args(), env, "ops-scheduler.log"),
    ):
        yield


@pytest.fixture
def partner(committed_db: None, monkeypatch: pytest.MonkeyPatch) -> Partner:
    for name, value in FAST_RENDER_ENV.items():
        monkeypatch.setenv(name, value)
    return make_partner("ops")


def _upload(partner: Partner, path: Any) -> MediaFile:
    return make_input_media(partner, path.read_bytes(), name=path.name)


def _finished(partner: Partner, job_id: int) -> Job | None:
    with tenant_scope(partner.organization.pk):
        job = Job.objects.get(pk=job_id)
    return job if job.state in (JobState.SUCCEEDED, JobState.FAILED) else None


def _version_outputs(partner: Partner, job: Job) -> tuple[dict[str, MediaFile], dict[str, Any]]:
    with tenant_scope(partner.organization.pk):
        version = Version.objects.get(source_job_id=job.pk)
        files = list(MediaFile.objects.filter(version=version))
        record = job.provenance.record
    by_name = {item.original_filename: item for item in files}
    assert all(len(item.sha256) == 64 and item.size > 0 for item in files)
    return by_name, record


def _read(item: MediaFile) -> bytes:
    return s3_client().get_object(Bucket=settings.S3_BUCKET, Key=item.storage_key)["Body"].read()


def test_every_operation_runs_as_a_job_into_a_version(
    platform: None, partner: Partner, tmp_path: Any
) -> None:
    plate = write_movie(
        tmp_path / "plate.mov", [np.clip(gradient_scene(seed=i), 0, 1) for i in range(3)]
    )
    graded = write_movie(
        tmp_path / "grade.mov", [np.clip(gradient_scene(seed=9) * [1.2, 0.9, 0.6], 0, 1)]
    )
    screen = write_movie(tmp_path / "element.mov", [green_screen_plate(known_matte(48, 64))] * 3)
    faces = write_movie(
        tmp_path / "sh010.mov", [_frame(_photo("obama2.jpg")), _frame(_photo("biden.jpg"))]
    )
    reference = tmp_path / "obama.png"
    Image.open(DATA / "obama.jpg").save(reference)
    still = tmp_path / "still.exr"
    write_exr(torch.from_numpy(gradient_scene().transpose(2, 0, 1).copy() * 4.0), still)
    media = {
        path.name: _upload(partner, path)
        for path in (plate, graded, screen, faces, reference, still)
    }
    pool = make_pool()
    today = datetime.date.today()
    submissions: dict[str, tuple[dict[str, str], dict[str, Any]]] = {
        "shot_match": ({"source": "plate.mov", "reference": "grade.mov"}, {"method": "mkl"}),
        "key_composite": ({"foreground": "element.mov", "background": "plate.mov"}, {}),
        "deflicker": ({"source": "plate.mov"}, {"window": 3}),
        "character_consistency": ({"source": "sh010.mov", "references": "obama.png"}, {}),
        "resize": ({"source": "still.exr"}, {"preset": "720p", "mode": "fill"}),
    }
    jobs: dict[str, Job] = {}
    from apps.beta.gates import feature_set

    # Likeness operations are off by default in the beta; the studio switches them on.
    feature_set(key="op.character_consistency", enabled=True, actor=None,
                organization=partner.organization)  # fmt: skip
    with tenant_scope(partner.organization.pk, user_id=partner.owner.pk):
        character = character_create(
            actor=partner.owner, project=partner.project, name="Lead", talent_name="B. Obama"
        )
        consent.consent_record_create(
            actor=partner.owner, project=partner.project, character=character,
            talent_name="B. Obama", scopes=["likeness"], valid_from=today,
            valid_until=today + datetime.timedelta(days=30), document_name="consent.pdf",
            document_content=b"%PDF-1.4 consent",
        )  # fmt: skip
        for operation, (inputs, params) in submissions.items():
            jobs[operation] = submission.job_submit(
                actor=partner.owner,
                project=partner.project,
                shot=partner.shot,
                operation=operation,
                params=params,
                inputs={role: media[name].pk for role, name in inputs.items()},
                pool=pool.name,
                character=character if operation == "character_consistency" else None,
            )
    with process(worker_args(pool.name), worker_env(), "ops-worker.log"):
        for operation, job in jobs.items():
            jobs[operation] = wait_for(
                functools.partial(_finished, partner, job.pk),
                timeout=240,
                message=f"the {operation} job to finish",
            )
    for operation, job in jobs.items():
        assert job.state == JobState.SUCCEEDED, f"{operation}: {job.error}"

    files, record = _version_outputs(partner, jobs["shot_match"])
    assert set(files) == {
        "plate_matched.mov",
        "plate_matched.cdl",
        "plate_matched.cc",
        "plate_matched.json",
    }
    assert files["plate_matched.cdl"].kind == "document"
    assert b"<Slope>" in _read(files["plate_matched.cc"])
    assert record["operation"] == "shot_match" and record["params"]["method"] == "mkl"
    assert record["metrics"]["cdl_fit_rmse"] < 0.05

    files, record = _version_outputs(partner, jobs["key_composite"])
    assert files["element_matte.mov"].kind == "matte"
    assert files["element_over_plate.mov"].kind == "render"
    assert record["metrics"]["frames"] == 3

    files, record = _version_outputs(partner, jobs["deflicker"])
    assert "plate_deflickered.mov" in files and record["metrics"]["frames"] == 3

    files, record = _version_outputs(partner, jobs["resize"])
    assert set(files) == {"still_1280x720.exr"} and files["still_1280x720.exr"].kind == "render"
    assert record["metrics"]["output_colorspace"] == "ACEScg"

    files, record = _version_outputs(partner, jobs["character_consistency"])
    report = json.loads(_read(files["character_consistency.json"]))
    assert report["shots"][0]["frames_below_threshold"] == [2]
    assert record["metrics"]["frames_below_threshold"] == 1
    assert any(name.endswith(".jpg") for name in files)

    # The report is a page in the platform, with the frames to look at.
    from django.test import Client

    browser = Client()
    browser.force_login(partner.owner)
    job = jobs["character_consistency"]
    page = browser.get(f"/render/{partner.organization.slug}/jobs/{job.pk}/consistency/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Character consistency" in html and 'data-testid="frames-below">2<' in html
