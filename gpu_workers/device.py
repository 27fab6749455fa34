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
    return DevicePolicy(torch.device("cpu"), torch.float32, "cpu")
