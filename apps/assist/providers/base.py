"""One interface for text generation, whoever answers it.

A request carries a `purpose` and a structured `payload` beside the prompt: remote models
read the prompt, the offline provider works from the payload. Every provider declares what
it guarantees about the data it receives, with the source and date of that declaration,
so the policy router can decide without calling it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol


class ProviderError(Exception):
    """The provider failed (HTTP error, timeout, malformed answer); the message says how.
    `sent` is False only when the prompt provably did not reach the provider."""

    def __init__(self, message: str, *, sent: bool = True) -> None:
        super().__init__(message)
        self.sent = sent


@dataclass(frozen=True)
class Guarantees:
    no_training: bool  # the provider contractually does not train on inputs or outputs
    retention_days: int | None  # how long inputs/outputs are kept; None = not stated
    regions: tuple[str, ...]  # where the data is processed
    source: str  # where the guarantee is written down
    source_date: date | None  # when that source was read (None: nothing was read)
    retention_note: str = ""  # exceptions to retention_days (e.g. flagged content)
    subprocessors: str = ""  # who else handles the data

    def as_dict(self) -> dict[str, Any]:
        return {
            "no_training": self.no_training,
            "retention_days": self.retention_days,
            "retention_note": self.retention_note,
            "regions": list(self.regions),
            "subprocessors": self.subprocessors,
            "source": self.source,
            "source_date": self.source_date.isoformat() if self.source_date else None,
        }


@dataclass
class GenerationRequest:
    purpose: str  # task_list, summary, rewrite
    system: str
    prompt: str
    payload: dict[str, Any] = field(default_factory=dict)
    max_tokens: int = 1200
    temperature: float = 0.2


@dataclass
class GenerationResult:
    text: str
    model: str
    region: str
    input_tokens: int
    output_tokens: int


class TextProvider(Protocol):
    name: str
    title: str
    model: str

    @property
    def guarantees(self) -> Guarantees: ...

    def generate(self, request: GenerationRequest) -> GenerationResult: ...
