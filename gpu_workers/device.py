"""The one device policy: CUDA when present (the GPU named by CUDA_VISIBLE_DEVICES),
float16 there, float32 on CPU. Every operation asks here; nothing else picks a device."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DevicePolicy:
    device: Any  # torch.device
    dtype: Any  # torch.dtype for frame math
    name: str  # human-readable, recorded in provenance

    @property
    def is_cuda(self) -> bool:
        return bool(self.device.type == "cuda")


def pick_device() -> DevicePolicy:
    import torch

    if torch.cuda.is_available():
        device = torch.device("cuda", 0)  # CUDA_VISIBLE_DEVICES already maps our GPU to 0
        return DevicePolicy(device, torch.float16, torch.cuda.get_device_name(device))
    torch.set_num_threads(cpu_threads())
    return DevicePolicy(torch.device("cpu"), torch.float32, "cpu")


def cpu_threads() -> int:
    """Intra-op threads for frame math on the host: BACKLOT_WORKER_CPU_THREADS when set,
    else every core this process may run on (its CPU affinity: a pinned or cpuset-limited
    worker gets its own share, not the machine's core count)."""
    import os

    configured = os.environ.get("BACKLOT_WORKER_CPU_THREADS", "").strip()
    if configured:
        return max(1, int(configured))
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - platforms without affinity (macOS)
        return max(1, os.cpu_count() or 1)


# Memory budget for one operation's working set. On CUDA: half of what is free when asked;
# on CPU: BACKLOT_WORKER_MEMORY_MB (default 2048). Operations tile frames (bands of rows)
# when a batch would not fit in it.
_DEFAULT_CPU_BUDGET_MB = 2048


def memory_budget_bytes(policy: DevicePolicy) -> int:
    import os

    if policy.is_cuda:
        import torch

        free, _total = torch.cuda.mem_get_info(policy.device)
        return int(free // 2)
    return int(os.environ.get("BACKLOT_WORKER_MEMORY_MB", _DEFAULT_CPU_BUDGET_MB)) * 1024 * 1024


def row_bands(rows: int, bytes_per_row: int, budget: int) -> list[tuple[int, int]]:
    """Splits `rows` into contiguous [start, stop) bands whose working set fits `budget`."""
    per_band = max(1, budget // max(1, bytes_per_row))
    return [(start, min(rows, start + per_band)) for start in range(0, rows, per_band)]


def frames_per_batch(policy: DevicePolicy, bytes_per_frame: int, ceiling: int = 8) -> int:
    """How many frames to process together: as many as fit the budget, at most `ceiling`."""
    return max(1, min(ceiling, memory_budget_bytes(policy) // max(1, bytes_per_frame)))


class single_thread:  # used like a function: `with single_thread():`
    """Runs small host-side tensor work (fits, statistics) on one intra-op thread: with a
    busy CPU, OpenMP workers spinning on tiny tensors cost ten times the work itself."""

    def __enter__(self) -> None:
        import torch

        self._threads = torch.get_num_threads()
        torch.set_num_threads(1)

    def __exit__(self, *exc: object) -> None:
        import torch

        torch.set_num_threads(self._threads)


def compile_enabled() -> bool:
    """torch.compile is opt-in (BACKLOT_TORCH_COMPILE=1): it fuses the keyer's elementwise
    chain (about 2-6x per frame on CPU) but costs about a minute of compilation per frame
    size and process, which pays off only on long shots or long-lived workers."""
    import os

    return os.environ.get("BACKLOT_TORCH_COMPILE", "0").lower() in ("1", "true", "yes")


def maybe_compile(function: Any) -> Any:
    if not compile_enabled():
        return function
    import torch

    return torch.compile(function, dynamic=False)
