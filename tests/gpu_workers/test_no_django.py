import subprocess
import sys
from pathlib import Path


def test_gpu_workers_import_without_django_or_database_settings() -> None:
    code = "import sys, gpu_workers; assert 'django' not in sys.modules; print('ok')"
    env = {"PATH": "/usr/bin:/bin"}  # no DATABASE_URL, no settings module
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "ok", result.stderr
