"""What every managed service looks like, and how its state is recorded."""

from __future__ import annotations

import secrets
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from studio.devstack import procs


@dataclass
class ServiceState:
    """One started service as recorded in state.json."""

    service: str
    pid: int
    ports: dict[str, int]
    data_dir: str
    command: list[str]
    # What /proc showed right after startup: compared before we ever signal the pid.
    proc_cmdline: list[str]
    create_time: float
    credentials: dict[str, str] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def port(self) -> int:
        return self.ports["main"]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> ServiceState:
        return cls(**raw)

    def is_running(self) -> bool:
        return procs.is_same_process(self.pid, self.proc_cmdline, self.create_time)


class Service(ABC):
    name: str
    # When this variable is set, an external service is used and we start nothing.
    external_var: str
    start_timeout: float = 60.0

    @abstractmethod
    def start(
        self, data_dir: Path, taken_ports: set[int], previous: ServiceState | None
    ) -> ServiceState:
        """Start the service, wait until it really answers, return its state."""

    @abstractmethod
    def answers(self, state: ServiceState) -> bool:
        """A real request (not just a TCP connect) succeeds."""

    @abstractmethod
    def env(self, state: ServiceState) -> dict[str, str]:
        """Variables that point the application at this service."""

    def stop(self, state: ServiceState) -> None:
        procs.terminate(state.pid)

    def log_path(self, data_dir: Path) -> Path:
        return data_dir / f"{self.name}.log"


def new_secret() -> str:
    # URL-safe so it can go into DATABASE_URL without quoting.
    return secrets.token_urlsafe(24)


def reuse_credential(previous: ServiceState | None, key: str) -> str:
    """Keep credentials across a restart of a crashed service, so exported env stays valid."""
    if previous is not None and key in previous.credentials:
        return previous.credentials[key]
    return new_secret()


def previous_port(previous: ServiceState | None, key: str = "main") -> int | None:
    return previous.ports.get(key) if previous is not None else None
