"""Per-dimension size formulas, exactly as PyTorch computes them.

The layer table, the solver and the symbolic sizes (``symbolic.py``) all read them, so each
formula lives in one place. They are written with ``+ - * //`` only, so a size may be an ``int``
or a symbolic size (``symbolic.Sym``, which has those operators); the ``*_margin`` functions
give what PyTorch needs to be ``>= 0`` to accept an input, the same way for both. This module
never imports ``symbolic``: an int never leaves the int path.
"""

from __future__ import annotations


def effective_kernel(kernel_size: int, dilation: int) -> int:
    """Span of a dilated kernel: ``dilation * (kernel_size - 1) + 1``."""
    return dilation * (kernel_size - 1) + 1


def conv_margin(size, kernel_size: int, padding: int, dilation: int):
    """``>= 0`` exactly when the padded input holds one (dilated) kernel window."""
    return size + 2 * padding - effective_kernel(kernel_size, dilation)


def conv_out(size: int, kernel_size: int, stride: int, padding: int, dilation: int) -> int:
    """Output size of a convolution; ``<= 0`` means PyTorch rejects the input as too small
    (for a symbolic size: where ``conv_margin`` is negative)."""
    padded = conv_margin(size, kernel_size, padding, dilation)
    if isinstance(padded, int) and padded < 0:
        return 0
    return padded // stride + 1


def conv_transpose_out(
    size: int, kernel_size: int, stride: int, padding: int, output_padding: int, dilation: int
) -> int:
    """``(in-1)*stride - 2*padding + dilation*(kernel_size-1) + output_padding + 1``."""
    return (size - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + output_padding + 1


def conv_transpose_out_range(
    size: int, kernel_size: int, stride: int, padding: int, dilation: int
) -> tuple:
    """The sizes ``forward(x, output_size=...)`` accepts: ``[min, min + stride - 1]``."""
    low = conv_transpose_out(size, kernel_size, stride, padding, 0, dilation)
    return low, low + stride - 1


def pool_out(
    size: int, kernel_size: int, stride: int, padding: int, dilation: int, ceil_mode: bool
) -> int:
    """Output size of max/avg pooling (ATen's ``pooling_output_shape``)."""
    numerator = size + 2 * padding - effective_kernel(kernel_size, dilation)
    if ceil_mode:
        numerator += stride - 1
    out = numerator // stride + 1
    # With ceil_mode the last window must start inside the input or its left padding.
    if ceil_mode:
        out -= nonneg_indicator((out - 1) * stride - (size + padding))
    return out


def nonneg_indicator(value) -> int:
    """``1 if value >= 0 else 0``; a symbolic size gives it as a size (periodic, or unknown)."""
    if isinstance(value, int):
        return 1 if value >= 0 else 0
    return value.nonneg_indicator()


def mode_padding_margin(mode: object, size, pad):
    """``>= 0`` exactly when ``F.pad`` in ``mode`` can pad a dim of ``size`` by ``pad`` on a
    side: reflect needs ``pad < size``, circular ``pad <= size``; None where no limit applies."""
    if mode == "reflect":
        return size - pad - 1
    if mode == "circular":
        return size - pad
    return None


# Quality predicates (CONTRACT.md section 5), shared by the solver's ranking and the SHP2xx lints.


def crops_input(kernel_size: int, padding: int, dilation: int) -> bool:
    """Padding beyond the kernel's reach: border inputs (transposed) or outputs (conv) are lost."""
    return padding > dilation * (kernel_size - 1)


def leaves_holes(kernel_size: int, stride: int, dilation: int) -> bool:
    """A stride longer than the kernel span skips positions (output holes, or unread inputs)."""
    return stride > effective_kernel(kernel_size, dilation)


def is_lossless(kernel_size: int, stride: int, padding: int, dilation: int) -> bool:
    return not crops_input(kernel_size, padding, dilation) and not leaves_holes(
        kernel_size, stride, dilation
    )


def is_checkerboard_free(kernel_size: int, stride: int, dilation: int) -> bool:
    """Every output of a transposed convolution gets the same number of kernel taps."""
    return dilation == 1 and kernel_size % stride == 0
