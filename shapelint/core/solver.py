"""The parameter solver: which kernel/stride/padding turns one spatial size into another.

Pure integer work on the formulas of ``formulas.py``; no libcst, no command line, no torch.

Each spatial dim is solved on its own, in closed form: for every (dilation, kernel_size, stride)
in the bounds the admissible ``padding`` (and ``output_padding``) follow from the size formula
directly, so no padding value is ever guessed and checked. Every candidate is then confirmed with
the forward formula, which keeps this module honest if the inversion were ever wrong.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from . import formulas
from .layers import LAYERS
from .solver_bounds import Bounds

__all__ = [
    "Alternative",
    "Bounds",
    "DimResult",
    "DimSolution",
    "SolveResult",
    "SolverError",
    "SUPPORTED_LAYERS",
    "LAZY_LAYERS",
    "FAMILY_PARAMS",
    "layer_code",
    "solve",
]

ParamValue = Union[int, Sequence[int]]

CONV = "conv"
CONV_TRANSPOSE = "conv_transpose"
MAX_POOL = "max_pool"
AVG_POOL = "avg_pool"

#: The parameters the solver chooses, per layer family, in torch's keyword order.
FAMILY_PARAMS: Dict[str, Tuple[str, ...]] = {
    CONV_TRANSPOSE: ("kernel_size", "stride", "padding", "output_padding", "dilation"),
    CONV: ("kernel_size", "stride", "padding", "dilation"),
    MAX_POOL: ("kernel_size", "stride", "padding", "dilation"),
    AVG_POOL: ("kernel_size", "stride", "padding"),
}

#: Layer classes ``solve`` accepts (CONTRACT.md section 2).
SUPPORTED_LAYERS: Tuple[str, ...] = tuple(
    f"{kind}{n}d" for kind in ("ConvTranspose", "Conv", "MaxPool", "AvgPool") for n in (1, 2, 3)
)

#: Accepted by ``solve`` as well (not by the command line): code without ``in_channels``.
LAZY_LAYERS: Tuple[str, ...] = tuple(
    f"Lazy{kind}{n}d" for kind in ("ConvTranspose", "Conv") for n in (1, 2, 3)
)

_INTERPOLATION_MODE = {1: "linear", 2: "bilinear", 3: "trilinear"}


class SolverError(ValueError):
    """A query the solver cannot answer as asked: unknown layer, wrong lengths, bad sizes."""


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class DimSolution:
    """One parameter set for one spatial dim that PyTorch accepts and that gives the output."""

    kernel_size: int
    stride: int
    padding: int
    output_padding: Optional[int]  # None for convolutions and pooling
    dilation: int
    warnings: Tuple[str, ...] = ()

    @property
    def lossless(self) -> bool:
        return formulas.is_lossless(self.kernel_size, self.stride, self.padding, self.dilation)

    @property
    def checkerboard_free(self) -> bool:
        return formulas.is_checkerboard_free(self.kernel_size, self.stride, self.dilation)

    def value(self, name: str) -> Optional[int]:
        return getattr(self, name)

    def to_json(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {
            "kernel_size": self.kernel_size,
            "stride": self.stride,
            "padding": self.padding,
        }
        if self.output_padding is not None:
            out["output_padding"] = self.output_padding
        out["dilation"] = self.dilation
        out["warnings"] = list(self.warnings)
        return out


def _new_solution(
    kernel_size: int,
    stride: int,
    padding: int,
    output_padding: Optional[int],
    dilation: int,
    warnings: Tuple[str, ...],
    _new: Any = object.__new__,
) -> DimSolution:
    """``DimSolution(...)`` at half the cost of the frozen dataclass ``__init__``.

    A default-bounds dim has close to a thousand solutions; this is the solver's inner loop.
    Equivalent to the constructor (no ``__post_init__``); tests compare the two.
    """
    solution = _new(DimSolution)
    solution.__dict__.update(
        kernel_size=kernel_size,
        stride=stride,
        padding=padding,
        output_padding=output_padding,
        dilation=dilation,
        warnings=warnings,
    )
    return solution


@dataclass
class DimResult:
    input: int
    output: int
    solutions: List[DimSolution]
    reason: Optional[str] = None

    @property
    def lossless(self) -> List[DimSolution]:
        return [s for s in self.solutions if s.lossless]

    def to_json(self) -> Dict[str, Any]:
        return {
            "input": self.input,
            "output": self.output,
            "solutions": [s.to_json() for s in self.solutions],
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Alternative:
    code: str
    note: str


@dataclass
class SolveResult:
    layer: str
    input: Tuple[int, ...]
    output: Tuple[int, ...]
    fixed: Dict[str, Tuple[int, ...]]
    bounds: Bounds
    dims: List[DimResult]
    recommended: Optional[Dict[str, Any]] = None
    alternatives: List[Alternative] = field(default_factory=list)

    @property
    def exact(self) -> bool:
        """Every dim has at least one parameter set giving exactly the output (lossy or not)."""
        return all(d.solutions for d in self.dims)

    def to_json(self) -> Dict[str, Any]:
        return {
            "layer": self.layer,
            "input": list(self.input),
            "output": list(self.output),
            "fixed": {name: list(values) for name, values in self.fixed.items()},
            "bounds": {
                "max_kernel_size": self.bounds.max_kernel_size,
                "max_stride": self.bounds.max_stride,
                "max_dilation": self.bounds.max_dilation,
            },
            "dims": [d.to_json() for d in self.dims],
            "recommended": None if self.recommended is None else dict(self.recommended),
            "alternatives": [{"code": a.code, "note": a.note} for a in self.alternatives],
        }


# --------------------------------------------------------------------------- one dim


@dataclass(frozen=True)
class _DimQuery:
    family: str
    size_in: int
    size_out: int
    fixed: Tuple[Tuple[str, int], ...]  # sorted (name, value) pairs for this dim
    current: Optional[Tuple[Tuple[str, int], ...]]
    bounds: Bounds
    # AvgPool3d on the CPU also demands an input at least as long as the kernel, padding aside
    # ("input image smaller than kernel size"); no other layer here does.
    kernel_within_input: bool = False


def _choices(query: _DimQuery) -> Tuple[List[int], List[int], List[int]]:
    """Kernel sizes, strides and dilations to try; a pinned parameter is tried alone."""
    fixed = dict(query.fixed)
    bounds = query.bounds
    kernels = (
        [fixed["kernel_size"]]
        if "kernel_size" in fixed
        else list(range(1, bounds.max_kernel_size + 1))
    )
    if query.kernel_within_input:
        kernels = [k for k in kernels if k <= query.size_in]
    strides = [fixed["stride"]] if "stride" in fixed else list(range(1, bounds.max_stride + 1))
    if query.family == AVG_POOL:
        dilations = [1]
    elif "dilation" in fixed:
        dilations = [fixed["dilation"]]
    else:
        dilations = list(range(1, bounds.max_dilation + 1))
    return kernels, strides, dilations


def _solve_dim(query: _DimQuery) -> List[DimSolution]:
    """Every parameter set giving exactly the output, best first (CONTRACT.md section 5).

    Closed form per (dilation, kernel_size, stride):
    - transposed: ``out = base - 2*padding + output_padding`` with ``base`` the output at
      padding 0, so each allowed output_padding (``< max(stride, dilation)``) fixes the padding;
    - conv / pooling: ``out - 1 = (in + 2*padding - span) // stride`` pins ``2*padding`` to the
      ``stride`` consecutive values ``[(out-1)*stride + span - in, ... + stride - 1]``; pooling
      additionally caps padding at ``kernel_size // 2`` (PyTorch's rule, not the dilated span).
    Everything that depends only on (kernel, stride, dilation) is worked out once per triple:
    a default-bounds dim has close to a thousand solutions and must stay in the milliseconds.
    """
    family = query.family
    transposed = family == CONV_TRANSPOSE
    size_in, size_out = query.size_in, query.size_out
    fixed = dict(query.fixed)
    fixed_padding = fixed.get("padding")
    fixed_output_padding = fixed.get("output_padding")
    current = dict(query.current) if query.current is not None else None
    kernels, strides, dilations = _choices(query)
    forward = (
        formulas.conv_transpose_out
        if transposed
        else formulas.conv_out if family == CONV else formulas.pool_out
    )
    crops_input = formulas.crops_input
    keyed = []
    for dilation in dilations:
        for kernel in kernels:
            span = formulas.effective_kernel(kernel, dilation)
            reach = span - 1
            for stride in strides:
                if transposed:
                    base = (size_in - 1) * stride + span
                    limit = max(stride, dilation)
                    if fixed_output_padding is not None:
                        choices = [fixed_output_padding] if fixed_output_padding < limit else []
                    else:
                        choices = range(limit)
                    candidates = []
                    for output_padding in choices:
                        twice = base + output_padding - size_out
                        if twice >= 0 and not twice & 1:
                            if fixed_padding is None or twice >> 1 == fixed_padding:
                                candidates.append((twice >> 1, output_padding))
                else:
                    low = (size_out - 1) * stride + span - size_in  # the least 2*padding
                    first = max(0, (low + 1) // 2)
                    last = (low + stride - 1) // 2
                    if family != CONV:
                        last = min(last, kernel // 2)
                    if fixed_padding is not None:
                        first, last = max(first, fixed_padding), min(last, fixed_padding)
                    candidates = [(padding, None) for padding in range(first, last + 1)]
                if not candidates:
                    continue
                holes = formulas.leaves_holes(kernel, stride, dilation)
                # Checkerboard artifacts come from the uneven overlap of a *transposed*
                # convolution's scattered kernels; a convolution or pool computes each output
                # from one full window, so ranking criterion (2) does not apply to them.
                checkerboard = transposed and not formulas.is_checkerboard_free(
                    kernel, stride, dilation
                )
                shared: Tuple[str, ...] = ()
                if holes:
                    shared = (
                        (
                            f"leaves holes: stride {stride} > kernel span {span}, some outputs get no input",
                        )
                        if transposed
                        else (f"skips inputs: stride {stride} > kernel span {span}",)
                    )
                elif checkerboard:
                    shared = (
                        (f"checkerboard: dilation {dilation} spreads the kernel taps unevenly",)
                        if dilation != 1
                        else (
                            f"checkerboard: kernel_size {kernel} is not a multiple of stride {stride}",
                        )
                    )
                for padding, output_padding in candidates:
                    if transposed:
                        produced = forward(
                            size_in, kernel, stride, padding, output_padding, dilation
                        )
                    elif family == CONV:
                        produced = forward(size_in, kernel, stride, padding, dilation)
                    else:
                        produced = forward(size_in, kernel, stride, padding, dilation, False)
                    if produced != size_out:  # the closed form is wrong: never return it
                        raise AssertionError(
                            f"solver inversion disagrees with the formula for {family}"
                            f" {size_in}->{size_out}: k={kernel} s={stride} p={padding}"
                            f" op={output_padding} d={dilation} gives {produced}"
                        )
                    crops = crops_input(kernel, padding, dilation)
                    warnings = shared
                    if crops:
                        warnings = (
                            (
                                f"crops input: padding {padding} > dilation*(kernel_size-1) = {reach},"
                                " border inputs are lost",
                            )
                            if transposed
                            else (
                                f"output border sees only padding: padding {padding} >"
                                f" dilation*(kernel_size-1) = {reach}",
                            )
                        ) + shared
                    ignored = 0
                    if not transposed:
                        # Trailing inputs no window reaches: the floor division drops them.
                        ignored = size_in - 1 - ((size_out - 1) * stride - padding + reach)
                        if ignored > 0:
                            warnings = warnings + (
                                f"ignores the last {ignored} input{'s' if ignored > 1 else ''}",
                            )
                    solution = _new_solution(
                        kernel, stride, padding, output_padding, dilation, warnings
                    )
                    changes = 0
                    kernel_changed = False
                    if current is not None:
                        changes = sum(
                            1 for name, value in current.items() if getattr(solution, name) != value
                        )
                        # Among equally small edits keep the kernel: its size is the weight's
                        # shape (checkpoints still load) and the receptive field the author chose.
                        kernel_changed = kernel != current.get("kernel_size", kernel)
                    op = output_padding or 0
                    keyed.append(
                        (
                            (
                                crops or holes,  # (1) lossless first: formulas.is_lossless
                                checkerboard,  # (2)
                                changes,  # (3)
                                kernel_changed,
                                op != 0,  # (4)
                                dilation != 1,
                                kernel,
                                stride,
                                dilation,
                                op,
                                ignored > 0,  # then: every input read, and the least padding
                                padding,
                            ),
                            solution,
                        )
                    )
    keyed.sort(key=lambda pair: pair[0])
    return [solution for _, solution in keyed]


@functools.lru_cache(maxsize=128)
def _cached_dim(query: _DimQuery) -> Tuple[DimSolution, ...]:
    """``check`` asks about the same sizes over and over (every layer of every model); the
    solutions are immutable, so a repeated dim costs a lookup instead of a solve. A free dim
    holds about a thousand solutions (~0.5 MB), hence the small cache."""
    return tuple(_solve_dim(query))


# --------------------------------------------------------------------------- reasons

_UNBOUNDED = math.inf


def _output_range(
    family: str,
    size_in: int,
    kernel: int,
    stride: int,
    dilation: int,
    fixed: Mapping[str, int],
    lossless: bool,
) -> Optional[Tuple[float, float]]:
    """Least and greatest output of one (kernel, stride, dilation), over the admissible padding
    (and output_padding); ``lossless`` keeps to no cropping and no holes. ``None``: nothing fits.
    Convolution outputs grow without bound with padding, transposed ones shrink to 1.
    """
    if lossless and formulas.leaves_holes(kernel, stride, dilation):
        return None
    reach = dilation * (kernel - 1)
    if family in (MAX_POOL, AVG_POOL):
        top: float = kernel // 2  # PyTorch's cap; never past the reach, so never cropping
    else:
        top = reach if lossless else _UNBOUNDED
    if "padding" in fixed:
        if not 0 <= fixed["padding"] <= top:
            return None
        least_padding, most_padding = fixed["padding"], fixed["padding"]
    else:
        least_padding, most_padding = 0, top
    if family == CONV_TRANSPOSE:
        limit = max(stride, dilation)
        if "output_padding" in fixed:
            if fixed["output_padding"] >= limit:
                return None
            least_op = most_op = fixed["output_padding"]
        else:
            least_op, most_op = 0, limit - 1
        high = formulas.conv_transpose_out(
            size_in, kernel, stride, least_padding, most_op, dilation
        )
        if high < 1:
            return None
        # Each output_padding gives every other size down from its padding-0 output; the least
        # positive one depends on the parity when the padding can go all the way.
        lows = []
        for output_padding in range(least_op, most_op + 1):
            start = formulas.conv_transpose_out(
                size_in, kernel, stride, least_padding, output_padding, dilation
            )
            if start < 1:
                continue
            if most_padding == _UNBOUNDED:
                lows.append(2 - start % 2)
            else:
                end = formulas.conv_transpose_out(
                    size_in, kernel, stride, int(most_padding), output_padding, dilation
                )
                lows.append(end if end >= 1 else 2 - start % 2)
        return (min(lows), high)
    # A conv/pool window must fit the padded input: padding >= ceil((span - in) / 2).
    least_padding = max(
        least_padding, -((size_in - formulas.effective_kernel(kernel, dilation)) // 2)
    )
    if least_padding > most_padding:
        return None
    low = formulas.conv_out(size_in, kernel, stride, least_padding, dilation)
    if most_padding == _UNBOUNDED:
        return (low, _UNBOUNDED)
    return (low, formulas.conv_out(size_in, kernel, stride, int(most_padding), dilation))


def _format_ratio(value: Fraction) -> str:
    return f"{float(value):.4g}"


@functools.lru_cache(maxsize=1024)
def _reason(query: _DimQuery, layer: str, any_exact: bool) -> str:
    """Why no lossless parameter set gives exactly the output, with the numbers that show it.

    When no parameter set at all gives it, the ranges are those of every admissible parameter
    set; otherwise those of the lossless ones.
    """
    family = query.family
    size_in, size_out = query.size_in, query.size_out
    fixed = dict(query.fixed)
    kernels, strides, dilations = _choices(query)
    lossless = any_exact
    per_stride: Dict[int, Tuple[float, float]] = {}
    for stride in strides:
        for kernel in kernels:
            for dilation in dilations:
                found = _output_range(family, size_in, kernel, stride, dilation, fixed, lossless)
                if found is None:
                    continue
                low, high = per_stride.get(stride, found)
                per_stride[stride] = (min(low, found[0]), max(high, found[1]))
    # The stride is named in every sentence; other pinned parameters are worth repeating.
    pinned = ", ".join(f"{name}={value}" for name, value in query.fixed if name != "stride")
    context = f" (with {pinned})" if pinned else ""
    qualifier = ""
    if lossless:
        qualifier = {
            CONV_TRANSPOSE: " without cropping or holes",
            CONV: " without skipped inputs or outputs that see only padding",
        }.get(family, " without skipping inputs")
    parts: List[str] = []
    if not kernels:
        parts.append(f"{layer} needs kernel_size <= the input size {size_in}")
    elif not per_stride:
        parts.append(
            f"with stride {'/'.join(map(str, strides))}{context} every parameter set within the"
            " bounds "
            + (
                "crops or skips: the stride is longer than the kernel span, or the padding reaches past it"
                if lossless
                else "is rejected by PyTorch"
            )
        )
    else:
        inside = sorted(s for s, (lo, hi) in per_stride.items() if lo <= size_out <= hi)
        below = [s for s, (lo, hi) in per_stride.items() if hi < size_out]
        above = [s for s, (lo, hi) in per_stride.items() if lo > size_out]
        if inside:

            def sizes(low: float, high: float) -> str:
                return f"{low} and up" if high == _UNBOUNDED else f"{low}..{high}"

            reached = ", ".join(f"stride {s} to sizes {sizes(*per_stride[s])}" for s in inside)
            parts.append(
                f"{size_in} maps{qualifier} with {reached}{context}, but no parameter set"
                f" within the bounds gives exactly {size_out}"
            )
        elif below and above:
            s_below = max(below, key=lambda s: (per_stride[s][1], -s))
            s_above = min(above, key=lambda s: (per_stride[s][0], s))
            parts.append(
                f"stride {s_below} maps {size_in} to at most {per_stride[s_below][1]} and stride"
                f" {s_above} to at least {per_stride[s_above][0]}{qualifier}{context}"
            )
        elif above:
            s = min(above, key=lambda s: (per_stride[s][0], s))
            low = per_stride[s][0]
            at_zero = None
            if lossless and family == CONV_TRANSPOSE and "padding" not in fixed:
                at_zero = min(
                    formulas.conv_transpose_out(size_in, k, s, 0, fixed.get("output_padding", 0), d)
                    for k in kernels
                    for d in dilations
                )
            if at_zero is not None and at_zero != low:
                parts.append(
                    f"stride {s} maps {size_in} to at least {at_zero} without cropping"
                    f" (padding=0) and to at least {low} with the most padding the kernel covers{context}"
                )
            else:
                parts.append(f"stride {s} maps {size_in} to at least {low}{qualifier}{context}")
        else:
            s = max(below, key=lambda s: (per_stride[s][1], -s))
            parts.append(
                f"stride {s} maps {size_in} to at most {per_stride[s][1]}{qualifier}{context}"
            )
    # A lossless strided layer scales a size by about its stride: say when the ratio is no
    # whole factor the layer can have.
    upsizing = size_out > size_in
    if family in (CONV, MAX_POOL, AVG_POOL) and upsizing:
        parts.append(
            f"{size_out} is larger than {size_in}, and a {layer} only grows a size by its padding"
        )
    elif size_out != size_in:
        ratio = Fraction(size_out, size_in) if upsizing else Fraction(size_in, size_out)
        words = "a factor of" if upsizing else "a reduction by a factor of"
        if ratio.denominator != 1:
            parts.append(f"{size_out} needs {words} {_format_ratio(ratio)}, not an integer")
        elif int(ratio) not in strides:
            allowed = (
                f"the stride is pinned to {strides[0]}"
                if "stride" in fixed
                else f"the largest stride allowed is {max(strides)}"
            )
            parts.append(f"{size_out} needs {words} {int(ratio)}, and {allowed}")
    if kernels and query.kernel_within_input:
        wanted = (
            [fixed["kernel_size"]]
            if "kernel_size" in fixed
            else range(1, query.bounds.max_kernel_size + 1)
        )
        if any(k > size_in for k in wanted):
            parts.append(f"{layer} also needs kernel_size <= the input size {size_in}")
    reason = "; ".join(parts)
    if not any_exact:
        reason = f"no parameter set within the bounds gives exactly {size_out}, lossless or not: {reason}"
    return reason


# --------------------------------------------------------------------------- code


def _show(values: Sequence[int]) -> str:
    values = tuple(values)
    if len(set(values)) == 1:
        return str(values[0])
    return "(" + ", ".join(map(str, values)) + ")"


def _size_literal(values: Sequence[int]) -> str:
    values = tuple(values)
    return str(values[0]) if len(values) == 1 else "(" + ", ".join(map(str, values)) + ")"


def _channels(in_channels: Optional[int], out_channels: Optional[int]) -> Tuple[str, str]:
    return (
        "C_in" if in_channels is None else str(in_channels),
        "C_out" if out_channels is None else str(out_channels),
    )


def layer_code(
    layer: str,
    family: str,
    params: Mapping[str, Sequence[int]],
    in_channels: Optional[int] = None,
    out_channels: Optional[int] = None,
) -> str:
    """``nn.Layer(...)`` with uniform tuples collapsed to an int and defaults left out."""
    args: List[str] = []
    if family in (CONV, CONV_TRANSPOSE):
        c_in, c_out = _channels(in_channels, out_channels)
        args.extend([c_out] if layer.startswith("Lazy") else [c_in, c_out])
    kernel = tuple(params["kernel_size"])
    for name in FAMILY_PARAMS[family]:
        values = tuple(params[name])
        if name == "stride" and family in (MAX_POOL, AVG_POOL):
            if values == kernel:  # a pool's stride defaults to its kernel_size
                continue
        elif name != "kernel_size" and all(
            v == (1 if name in ("stride", "dilation") else 0) for v in values
        ):
            continue
        args.append(f"{name}={_show(values)}")
    return f"nn.{layer}({', '.join(args)})"


def _strided_then_adaptive(
    layer: str,
    family: str,
    queries: List[_DimQuery],
    dims: List[DimResult],
    in_channels: Optional[int],
    out_channels: Optional[int],
) -> Optional[Alternative]:
    """Downsampling: the layer itself, lossless, as close above the target as it gets in each
    dim (exact where it can), then an adaptive pool for the rest. ``None`` when the layer would
    reduce no dim at all (then it adds nothing to the plain adaptive pool).
    """
    chosen: List[DimSolution] = []
    reached: List[int] = []
    for query, dim in zip(queries, dims):
        if dim.solutions and dim.solutions[0].lossless:
            chosen.append(dim.solutions[0])
            reached.append(dim.output)
            continue
        kernels, strides, dilations = _choices(query)
        fixed = dict(query.fixed)
        ranges = [
            found
            for kernel in kernels
            for stride in strides
            for dilation in dilations
            for found in [
                _output_range(family, query.size_in, kernel, stride, dilation, fixed, True)
            ]
            if found is not None
        ]
        # The four smallest reachable sizes above the target (ranges have parity gaps; never
        # scan far), taken from the ranges' starts rather than by walking every size up to the
        # input's (a 480000-sample input would cost millions of range tests).
        tries = 4
        first = query.size_out + 1
        reachable = sorted(
            {
                size
                for low, high in ranges
                for size in range(max(low, first), min(high, query.size_in, max(low, first) + tries - 1) + 1)
            }
        )[:tries]
        best = None
        for size in reachable:
            solutions = _solve_dim(replace(query, size_out=size))
            if solutions and solutions[0].lossless:
                best = (size, solutions[0])
                break
        if best is None:
            return None
        reached.append(best[0])
        chosen.append(best[1])
    if all(size == query.size_in for size, query in zip(reached, queries)):
        return None
    n = len(queries)
    params = {name: [getattr(s, name) for s in chosen] for name in FAMILY_PARAMS[family]}
    pool = "Max" if family == MAX_POOL else "Avg"
    target = _size_literal(tuple(d.output for d in dims))
    start = _size_literal(tuple(q.size_in for q in queries))
    return Alternative(
        f"nn.Sequential({layer_code(layer, family, params, in_channels, out_channels)},"
        f" nn.Adaptive{pool}Pool{n}d({target}))",
        f"the {layer} without cropping or skipping takes {start} to {_size_literal(tuple(reached))},"
        f" exact where it can; adaptive pooling then gives exactly {target}",
    )


def _alternatives(
    layer: str,
    family: str,
    n: int,
    size_in: Tuple[int, ...],
    size_out: Tuple[int, ...],
    in_channels: Optional[int],
    out_channels: Optional[int],
) -> List[Alternative]:
    target = _size_literal(size_out)
    c_in, c_out = _channels(in_channels, out_channels)
    channel_conv = (
        f"nn.LazyConv{n}d({c_out}, kernel_size=3, padding='same')"
        if layer.startswith("Lazy")
        else f"nn.Conv{n}d({c_in}, {c_out}, kernel_size=3, padding='same')"
    )
    alternatives: List[Alternative] = []
    downsampling = all(o <= i for i, o in zip(size_in, size_out))
    if not downsampling:
        mode = _INTERPOLATION_MODE[n]
        resize = f"nn.Upsample(size={target}, mode='{mode}')"
        if family in (CONV, CONV_TRANSPOSE):
            alternatives.append(
                Alternative(
                    f"nn.Sequential({resize}, {channel_conv})",
                    f"resize to exactly {target} by {mode} interpolation, then a stride-1"
                    " convolution with padding='same' keeps the size and maps the channels:"
                    " no cropping, no holes, no checkerboard",
                )
            )
        else:
            alternatives.append(
                Alternative(
                    resize, f"a pooling layer cannot enlarge; resize to exactly {target} instead"
                )
            )
        return alternatives
    if family == MAX_POOL:
        alternatives.append(
            Alternative(
                f"nn.AdaptiveMaxPool{n}d({target})",
                f"pools to exactly {target} with windows adapted to the size ratio",
            )
        )
        return alternatives
    pool = f"nn.AdaptiveAvgPool{n}d({target})"
    if family == AVG_POOL:
        alternatives.append(
            Alternative(
                pool, f"pools to exactly {target} with windows adapted to the size ratio"
            )
        )
        return alternatives
    alternatives.append(
        Alternative(
            f"nn.Sequential({pool}, {channel_conv})",
            f"average-pool to exactly {target} (windows adapt to the size ratio), then a"
            " stride-1 convolution with padding='same' keeps the size and maps the channels",
        )
    )
    alternatives.append(
        Alternative(
            f"nn.Sequential({channel_conv}, {pool})",
            "the same with the convolution first, at full resolution (more compute, sees every input)",
        )
    )
    return alternatives


# --------------------------------------------------------------------------- the query


def _per_dim(name: str, value: ParamValue, n: int, layer: str) -> Tuple[int, ...]:
    if isinstance(value, bool):
        raise SolverError(f"{name} must be an integer or {n} integers, got {value!r}")
    if isinstance(value, int):
        values: Tuple[Any, ...] = (value,) * n
    elif isinstance(value, (tuple, list)):
        values = tuple(value)
        if len(values) == 1:
            values = values * n
        if len(values) != n:
            raise SolverError(
                f"{layer} has {n} spatial dim{'s' if n > 1 else ''}, {name} has {len(values)} values"
            )
    else:
        raise SolverError(f"{name} must be an integer or {n} integers, got {value!r}")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        raise SolverError(f"{name} must be integers, got {values!r}")
    return values


def _check_param(layer: str, name: str, values: Tuple[int, ...], what: str) -> None:
    if name in ("padding", "output_padding"):
        if any(v < 0 for v in values):
            raise SolverError(f"{what} {name} must not be negative, got {_show(values)}")
    elif any(v < 1 for v in values):
        raise SolverError(f"{what} {name} must be positive, got {_show(values)}")


def _normalize_params(
    layer: str, family: str, n: int, given: Optional[Mapping[str, ParamValue]], what: str
) -> Dict[str, Tuple[int, ...]]:
    out: Dict[str, Tuple[int, ...]] = {}
    for name, value in (given or {}).items():
        if name not in FAMILY_PARAMS[family]:
            if name == "dilation" and family == AVG_POOL:
                raise SolverError(f"{layer} has no dilation parameter")
            raise SolverError(
                f"{layer} has no parameter {name!r} (it takes {', '.join(FAMILY_PARAMS[family])})"
            )
        values = _per_dim(name, value, n, layer)
        _check_param(layer, name, values, what)
        out[name] = values
    return out


def _sizes(name: str, values: Sequence[int], n: int, layer: str) -> Tuple[int, ...]:
    try:
        sizes = tuple(values)
    except TypeError:
        raise SolverError(f"{name} must be a sequence of sizes, got {values!r}") from None
    if len(sizes) != n:
        raise SolverError(
            f"{layer} has {n} spatial dim{'s' if n > 1 else ''}, {name} has {len(sizes)}"
            f" ({'x'.join(map(str, sizes)) or 'none'})"
        )
    for size in sizes:
        if isinstance(size, bool) or not isinstance(size, int):
            raise SolverError(f"{name} sizes must be integers, got {size!r}")
        if size < 1:
            raise SolverError(f"{name} sizes must be positive, got {size}")
    return sizes


def solve(
    layer: str,
    input: Sequence[int],
    output: Sequence[int],
    fixed: Mapping[str, ParamValue] = {},  # noqa: B006 - read only
    bounds: Bounds = Bounds(),
    current: Optional[Mapping[str, ParamValue]] = None,
    in_channels: Optional[int] = None,
    out_channels: Optional[int] = None,
) -> SolveResult:
    """Every parameter set of ``layer`` mapping the spatial sizes ``input`` to ``output``.

    ``fixed`` pins parameters (an int for every dim, or one value per dim); ``current`` is the
    parameter set as written in user code, which makes "fewest changed parameters" a ranking
    criterion. Raises ``SolverError`` for a query that cannot be asked.
    """
    # The lazy convolutions (no in_channels) are solvable too, for ``check``.
    if layer not in SUPPORTED_LAYERS and layer not in LAZY_LAYERS:
        raise SolverError(f"unknown layer {layer!r}; expected one of {', '.join(SUPPORTED_LAYERS)}")
    spec = LAYERS[layer]
    family = spec.family
    n = spec.spatial_dims
    assert family in FAMILY_PARAMS and n is not None
    size_in = _sizes("input", input, n, layer)
    size_out = _sizes("output", output, n, layer)
    for name in ("max_kernel_size", "max_stride", "max_dilation"):
        value = getattr(bounds, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise SolverError(f"bound {name} must be a positive integer, got {value!r}")
    for name, count in (("in_channels", in_channels), ("out_channels", out_channels)):
        if count is not None and (
            isinstance(count, bool) or not isinstance(count, int) or count < 1
        ):
            raise SolverError(f"{name} must be a positive integer, got {count!r}")
    pinned = _normalize_params(layer, family, n, fixed, "fixed")
    written: Optional[Dict[str, Tuple[int, ...]]] = None
    if current is not None:
        current = dict(current)
        if family in (MAX_POOL, AVG_POOL) and current.get("stride") is None:
            current.pop("stride", None)
            if current.get("kernel_size") is not None:
                current["stride"] = current["kernel_size"]  # a pool's stride defaults to its kernel
        current = {k: v for k, v in current.items() if v is not None}
        written = _normalize_params(layer, family, n, current, "current")
        for name in FAMILY_PARAMS[family]:
            if (
                name not in written
                and name != "kernel_size"
                and not (name == "stride" and family in (MAX_POOL, AVG_POOL))
            ):
                written[name] = (1 if name in ("stride", "dilation") else 0,) * n

    dims: List[DimResult] = []
    queries: List[_DimQuery] = []
    solved: Dict[_DimQuery, List[DimSolution]] = {}
    reasons: Dict[_DimQuery, Optional[str]] = {}
    for axis in range(n):
        query = _DimQuery(
            family,
            size_in[axis],
            size_out[axis],
            tuple(sorted((name, values[axis]) for name, values in pinned.items())),
            (
                None
                if written is None
                else tuple(sorted((name, values[axis]) for name, values in written.items()))
            ),
            bounds,
            kernel_within_input=layer == "AvgPool3d",
        )
        queries.append(query)
        if query not in solved:  # equal dims (160x160) are solved once
            solved[query] = _cached_dim(query)
            solutions = solved[query]
            reasons[query] = (
                _reason(query, layer, bool(solutions))
                if not solutions or not solutions[0].lossless
                else None
            )
        solutions = list(solved[query])
        reason = reasons[query]
        dims.append(DimResult(size_in[axis], size_out[axis], solutions, reason))

    recommended = None
    if all(d.solutions and d.solutions[0].lossless for d in dims):
        best = _combine(family, dims, written)
        recommended = {name: [getattr(s, name) for s in best] for name in FAMILY_PARAMS[family]}
        if family == AVG_POOL:
            recommended["dilation"] = [1] * n
        recommended["code"] = layer_code(layer, family, recommended, in_channels, out_channels)
        for name in list(recommended):
            if name != "code":
                recommended[name] = list(recommended[name])

    alternatives: List[Alternative] = []
    if any(not d.solutions or not d.solutions[0].lossless for d in dims):
        alternatives = _alternatives(layer, family, n, size_in, size_out, in_channels, out_channels)
        if family != CONV_TRANSPOSE and all(o <= i for i, o in zip(size_in, size_out)):
            strided = _strided_then_adaptive(
                layer, family, queries, dims, in_channels, out_channels
            )
            if strided is not None:
                alternatives.insert(0, strided)

    return SolveResult(
        layer=layer,
        input=size_in,
        output=size_out,
        fixed=pinned,
        bounds=bounds,
        dims=dims,
        recommended=recommended,
        alternatives=alternatives,
    )


def _combine(
    family: str, dims: List[DimResult], written: Optional[Mapping[str, Tuple[int, ...]]]
) -> List[DimSolution]:
    """The best solution per dim; with ``current``, the fewest parameter *names* changed overall.

    Ranking per dim counts changed values in that dim, but a reader sees a parameter as changed
    when any of its dims changes, so pick the smallest set of parameter names that every dim can
    stay within, among each dim's solutions of the top lossless/checkerboard tier.
    """
    if written is None:
        return [d.solutions[0] for d in dims]

    def tier(solution: DimSolution) -> Tuple[bool, bool]:
        return (not solution.lossless, family == CONV_TRANSPOSE and not solution.checkerboard_free)

    names = FAMILY_PARAMS[family]
    candidates = []
    for axis, dim in enumerate(dims):
        top = tier(dim.solutions[0])
        pool = []
        for solution in dim.solutions:
            if tier(solution) != top:
                break
            changed = frozenset(
                name for name, values in written.items() if solution.value(name) != values[axis]
            )
            pool.append((changed, solution))
        candidates.append(pool)
    best: Optional[Tuple[int, bool, int, frozenset]] = None
    for mask in range(1 << len(names)):
        allowed = frozenset(names[i] for i in range(len(names)) if mask >> i & 1)
        positions = []
        for pool in candidates:
            position = next((i for i, (changed, _) in enumerate(pool) if changed <= allowed), None)
            if position is None:
                break
            positions.append(position)
        else:
            key = (len(allowed), "kernel_size" in allowed, sum(positions), allowed)
            if best is None or key[:3] < best[:3]:
                best = key
    assert best is not None  # allowing every name always fits
    best_set = best[3]
    return [next(s for changed, s in pool if changed <= best_set) for pool in candidates]
