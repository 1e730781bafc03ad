"""The per-dim shape rules of the layer table on symbolic sizes, with what PyTorch accepts.

Each function takes one spatial size (an ``int`` or a ``symbolic.Sym``) and the layer's
parameters for that dim (ints), and returns ``(output size, constraint)``: the output as an
exact expression and the values of the names for which PyTorch runs the layer on that size
(``Constraint.true()`` / ``false()`` for an int). The formulas are those of ``formulas.py``,
which both paths share; the conditions are the ones the layer table raises on
(``layers.py``), stated as ``>= 0`` margins. Anything not exact raises ``symbolic.Inexact``.

The parameters are taken as valid (the layer table checks them: pooling padding at most half
the kernel, ``output_padding`` below the stride or dilation, ...). The rules here are per dim; what couples dims (the reflect/replicate kernels' "not every padded
dim empty", which needs negative padding) is left to the caller and raises Inexact here.
"""

from __future__ import annotations

from typing import Optional, Sequence, Tuple, Union

from . import formulas
from .symbolic import Constraint, Dim, Inexact, divide_exact, floor_times, where_eq, where_ge

Result = Tuple[Dim, Constraint]

__all__ = [
    "Result",
    "conv",
    "conv_transpose",
    "pool",
    "pad",
    "interpolate",
    "pixel_shuffle",
    "pixel_unshuffle",
    "linear",
    "flatten",
    "reshape",
    "operands_equal",
    "broadcastable",
]


def _ints(*values: int) -> None:
    for value in values:
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"a layer parameter must be an int, got {value!r}")


def conv(
    size: Dim,
    kernel_size: int,
    stride: int = 1,
    padding: Union[int, str] = 0,
    dilation: int = 1,
    padding_mode: str = "zeros",
) -> Result:
    """``nn.Conv{n}d`` on one dim (``padding`` an int, ``'same'`` or ``'valid'``)."""
    accepts = Constraint.true()
    if padding == "same":
        # torch pads total = dilation*(kernel_size-1), the odd one on the right; the output
        # keeps the size. Reflect and circular modes pad with F.pad, which limits the padding.
        total = dilation * (kernel_size - 1)
        margin = formulas.mode_padding_margin(padding_mode, size, max(total // 2, total - total // 2))
        if margin is not None:
            accepts = where_ge(margin, 0)
        return size, accepts
    if padding == "valid":
        padding = 0
    assert isinstance(padding, int)
    _ints(kernel_size, stride, padding, dilation)
    if padding_mode != "zeros":
        # F.pad(x, padding, mode) first, then a convolution without padding.
        if padding < 0:
            raise Inexact("negative padding in a padding mode")
        margin = formulas.mode_padding_margin(padding_mode, size, padding)
        if margin is not None:
            accepts = where_ge(margin, 0)
    accepts = accepts & where_ge(formulas.conv_margin(size, kernel_size, padding, dilation), 0)
    return formulas.conv_out(size, kernel_size, stride, padding, dilation), accepts


def conv_transpose(
    size: Dim,
    kernel_size: int,
    stride: int = 1,
    padding: int = 0,
    output_padding: int = 0,
    dilation: int = 1,
) -> Result:
    """``nn.ConvTranspose{n}d`` on one dim: every positive output is accepted."""
    _ints(kernel_size, stride, padding, output_padding, dilation)
    out = formulas.conv_transpose_out(size, kernel_size, stride, padding, output_padding, dilation)
    return out, where_ge(out, 1)


def pool(
    size: Dim,
    kernel_size: int,
    stride: Optional[int] = None,
    padding: int = 0,
    dilation: int = 1,
    ceil_mode: bool = False,
    kernel_within_input: bool = False,
) -> Result:
    """Max/avg/LP pooling on one dim; ``kernel_within_input`` for the 3-d average (and LP)
    pools, which also need the unpadded input to hold the kernel."""
    stride = kernel_size if stride is None else stride
    _ints(kernel_size, stride, padding, dilation)
    out = formulas.pool_out(size, kernel_size, stride, padding, dilation, bool(ceil_mode))
    accepts = where_ge(out, 1)
    if kernel_within_input:
        accepts = accepts & where_ge(size, kernel_size)
    return out, accepts


def pad(size: Dim, before: int, after: int, mode: str = "constant") -> Result:
    """``F.pad`` (and the ``*Pad{n}d`` layers) on one dim."""
    _ints(before, after)
    out = size + before + after
    if mode == "constant":
        # Constant padding crops first (an empty result is allowed), then pads.
        return out, where_ge(size + min(before, 0) + min(after, 0), 0)
    if before < 0 or after < 0:
        raise Inexact(f"negative padding in mode {mode!r}")
    margin = formulas.mode_padding_margin(mode, size, max(before, after))
    return out, Constraint.true() if margin is None else where_ge(margin, 0)


def interpolate(
    size: Dim, scale_factor: Optional[float] = None, output_size: Optional[int] = None,
    mode: str = "nearest",
) -> Result:
    """``F.interpolate`` / ``nn.Upsample`` on one dim: ``floor(size * scale_factor)``, exact for
    binary-fraction scales; a fixed ``output_size`` whatever the size."""
    lowest = 0 if mode == "area" else 1  # area is an adaptive pool: an empty output is allowed
    if output_size is not None:
        return output_size, Constraint.true() if output_size >= lowest else Constraint.false()
    if scale_factor is None:
        raise ValueError("either output_size or scale_factor")
    out = floor_times(size, float(scale_factor))
    return out, where_ge(out, lowest)


def pixel_shuffle(size: Dim, upscale_factor: int) -> Result:
    return size * upscale_factor, Constraint.true()


def pixel_unshuffle(size: Dim, downscale_factor: int) -> Result:
    """PyTorch needs each spatial size divisible by the factor."""
    return size // downscale_factor, where_eq(size % downscale_factor, 0)


def linear(features: Dim, in_features: int) -> Result:
    """The feature size must be ``in_features``."""
    return in_features, where_eq(features, in_features)


def flatten(sizes: Sequence[Dim]) -> Dim:
    """The product of the flattened dims (a product of several names, or Inexact)."""
    out: Dim = 1
    for size in sizes:
        out = out * size
    return out


def operands_equal(a: Dim, b: Dim) -> Constraint:
    """``torch.cat`` along another dim: the sizes must be equal."""
    return where_eq(a, b)


def broadcastable(a: Dim, b: Dim) -> Constraint:
    """``+``/``*``: equal, or one of them 1."""
    return where_eq(a, b) | where_eq(a, 1) | where_eq(b, 1)


def reshape(sizes: Sequence[Dim], shape: Sequence[Dim]) -> Tuple[Tuple[Dim, ...], Constraint]:
    """``x.view(shape)`` / ``reshape``: at most one ``-1``, inferred as the element count over
    the other sizes where that is a size for every value (else Inexact); without ``-1`` the
    counts must be equal."""
    free = [i for i, s in enumerate(shape) if isinstance(s, int) and s == -1]
    if len(free) > 1:
        raise ValueError("only one size may be -1")
    total = flatten(sizes)
    known = flatten([s for i, s in enumerate(shape) if i not in free])
    if not free:
        return tuple(shape), where_eq(total, known)
    # divide_exact succeeds only where the count divides for every value: nothing to require.
    inferred = divide_exact(total, known)
    return tuple(inferred if i in free else s for i, s in enumerate(shape)), Constraint.true()
