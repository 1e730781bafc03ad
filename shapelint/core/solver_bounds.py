"""Search bounds of the solver (CONTRACT.md section 2 defaults)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bounds:
    max_kernel_size: int = 16
    max_stride: int = 8
    max_dilation: int = 3
