"""Search bounds of the solver (the defaults of docs/configuration.md) and the most a user may set.

The solver's work grows with ``max_stride * max_dilation`` (a few closed forms per pair) and not
with ``max_kernel_size`` (kernel sizes are summed in closed form) nor with the number of
solutions (listed only as far as they are read). The limits keep any ``solve`` well under a
second (about 0.15 s at the limits, 20 MB) and each are above the layers people write:

- kernel 4096: an FCN-32s head is kernel 64 / stride 32, an STFT-like front end n_fft 400-4096;
  a larger kernel bound would cost nothing, but no layer needs it.
- stride 64: twice the FCN-32s head's 32; ViT patchify strides 14-32. A longer stride (an audio
  hop of 160 or 320) is pinned rather than searched: ``--stride 160`` (pinned values are never
  bounded).
- dilation 32: DeepLab's atrous rates 6-24; WaveNet-style stacks that double up to 512 choose
  each dilation by design, never by search (pin it, as above).

In ``check`` the bounds also include, and scale with, the values a layer already has: the limits
apply to what a user sets (command line, ``[tool.shapelint]``), not to that growth.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class Bounds:
    max_kernel_size: int = 16
    max_stride: int = 8
    max_dilation: int = 3

    @staticmethod
    def problem(name: str, value: int) -> Optional[str]:
        """Why a user cannot set the bound ``name`` (``max_stride``, ...) to ``value``; None
        when they can."""
        limit = getattr(LIMITS, name)
        if value > limit:
            return f"must be at most {limit}"
        return None


#: The largest bounds a user may set (the module docstring says why these numbers).
LIMITS = Bounds(max_kernel_size=4096, max_stride=64, max_dilation=32)
