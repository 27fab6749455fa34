"""Where a named stack lives on disk: .devstack/<name>/ with state.json and env.sh."""

from __future__ import annotations

import fcntl
import json
import os
import re
import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from studio.devstack.service import ServiceState

# Project root = parent of the studio/ package folder.
PROJECT_ROOT = Path(__file__).resolve().parents[2]
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class Stack:
    def __init__(self, name: str, root: Path = PROJECT_ROOT) -> None:
        if not NAME_PATTERN.match(name):
            raise ValueError(f"invalid stack name {name!r} (letters, digits, . _ - only)")
        self.name = name
        self.dir = root / ".devstack" / name
        self.state_path = self.dir / "state.json"
        self.env_path = self.dir / "env.sh"

    def service_dir(self, service: str) -> Path:
        path = self.dir / service
        path.mkdir(parents=True, exist_ok=True)
        # Private: it holds the data, and PostgreSQL's trust-auth unix socket.
        path.chmod(0o700)
        return path

    def load(self) -> dict[str, ServiceState] | None:
        """The recorded services, or None when this stack was never started (or is down)."""
        if not self.state_path.exists():
            return None
        raw = json.loads(self.state_path.read_text())
        return {name: ServiceState.from_json(item) for name, item in raw["services"].items()}

    def save(self, services: dict[str, ServiceState], env: dict[str, str]) -> None:
        state = {"name": self.name, "services": {k: v.to_json() for k, v in services.items()}}
        write_private(self.state_path, json.dumps(state, indent=2) + "\n")
        lines = [f"export {key}={shlex.quote(value)}" for key, value in env.items()]
        write_private(self.env_path, "".join(line + "\n" for line in lines))

    def clear(self) -> None:
        self.state_path.unlink(missing_ok=True)
        self.env_path.unlink(missing_ok=True)

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Serialise up/down on one stack (e.g. two terminals running `make test`)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        with (self.dir / ".lock").open("w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def write_private(path: Path, text: str) -> None:
    """Atomic write, readable only by us: these files hold passwords."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    os.replace(tmp, path)
