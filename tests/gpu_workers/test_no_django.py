"""GPU nodes get the worker package and nothing of the platform: every module of
`gpu_workers` must import where Django, the apps and the studio settings do not exist.

The check runs in a fresh interpreter that refuses those packages, as a GPU node without
them would. (Libraries such as kombu try `import django` and carry on when it fails, so
looking at sys.modules alone would blame them for what our code does not do.)"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHECK = """
import importlib, importlib.abc, pathlib, sys

ABSENT = {"django", "apps", "studio"}
attempts = []

class Absent(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ABSENT:
            attempts.append(name)
            raise ModuleNotFoundError(f"No module named {name!r}")
        return None

sys.meta_path.insert(0, Absent())
names = sorted(
    ".".join(p.with_suffix("").parts).removesuffix(".__init__")
    for p in pathlib.Path("gpu_workers").rglob("*.py")
)
for name in names:
    importlib.import_module(name)
leaked = sorted(m for m in sys.modules if m.split(".")[0] in ABSENT)
print(len(names), "|".join(leaked))
"""


def test_every_gpu_worker_module_imports_without_django_apps_or_studio() -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp"}  # no DATABASE_URL, no settings module
    result = subprocess.run(
        [sys.executable, "-c", CHECK],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"a gpu_workers module needs the platform:\n{result.stderr}"
    count, _, leaked = result.stdout.strip().partition(" ")
    assert int(count) == len(list((ROOT / "gpu_workers").rglob("*.py")))
    assert leaked == "", f"gpu_workers pulled in: {leaked}"


def test_the_check_fails_for_a_module_that_imports_django(tmp_path: Path) -> None:
    package = tmp_path / "gpu_workers"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "leaky.py").write_text("from django.conf import settings\n")
    result = subprocess.run(
        [sys.executable, "-c", CHECK], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0 and "No module named 'django" in result.stderr
