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

In ``check`` the bounds also include, and scale with, the values a layer already has
(``Bounds.around``): the limits apply to what a user sets (command line, ``[tool.shapelint]``),
not to that growth, which has its own ceiling (``AROUND_CEILING``, ``AROUND_WORK``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence


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

    def around(self, kernel_sizes: Sequence[int], strides: Sequence[int], dilations: Sequence[int]) -> "Bounds":
        """These bounds grown to include, and scale with, a layer's own values (``check``): a
        kernel 65, stride 32 head is searched up to kernel 131 and stride 64. The growth stops at
        ``AROUND_CEILING`` (past it a layer's own value is not searched around), and the
        stride x dilation product, which the solver's work follows, at ``AROUND_WORK``."""
        kernel = _grown(self.max_kernel_size, kernel_sizes, 2, 1, AROUND_CEILING.max_kernel_size)
        stride = _grown(self.max_stride, strides, 2, 0, AROUND_CEILING.max_stride)
        dilation = _grown(self.max_dilation, dilations, 2, 1, AROUND_CEILING.max_dilation)
        if stride * dilation > AROUND_WORK:
            dilation = max(self.max_dilation, max((d for d in dilations if d > 0), default=1),
                           AROUND_WORK // stride)
            dilation = min(dilation, AROUND_CEILING.max_dilation)
        if (kernel, stride, dilation) == (self.max_kernel_size, self.max_stride, self.max_dilation):
            return self
        return Bounds(kernel, stride, dilation)


def _grown(bound: int, values: Sequence[int], factor: int, extra: int, ceiling: int) -> int:
    """``bound`` raised to ``factor * value + extra`` for the largest of a layer's ``values``,
    never above ``ceiling`` (nor lowered)."""
    top = max((v for v in values if isinstance(v, int) and v > 0), default=0)
    return max(bound, min(factor * top + extra, ceiling))


#: The largest bounds a user may set (the module docstring says why these numbers).
LIMITS = Bounds(max_kernel_size=4096, max_stride=64, max_dilation=32)
#: How far ``Bounds.around`` grows the bounds for a layer's own values: a stride up to 128 (an
#: audio hop of 160 is pinned by the code as written, never searched), a dilation up to 32.
AROUND_CEILING = Bounds(max_kernel_size=4096, max_stride=128, max_dilation=32)
#: The most stride x dilation pairs ``Bounds.around`` lets the solver try (twice ``LIMITS``'
#: 64 x 32; about 0.3 s for one query at worst).
AROUND_WORK = 4096
