"""Per-dimension size formulas, exactly as PyTorch computes them.

Pure integer functions on known sizes; the layer table and the solver both read them, so the
formula lives in one place.
"""

from __future__ import annotations


def effective_kernel(kernel_size: int, dilation: int) -> int:
    """Span of a dilated kernel: ``dilation * (kernel_size - 1) + 1``."""
    return dilation * (kernel_size - 1) + 1


def conv_out(size: int, kernel_size: int, stride: int, padding: int, dilation: int) -> int:
    """Output size of a convolution; ``<= 0`` means PyTorch rejects the input as too small."""
    padded = size + 2 * padding - effective_kernel(kernel_size, dilation)
    if padded < 0:
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
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


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
