"""The parameter solver: which kernel/stride/padding turns one spatial size into another.

Pure integer work on the formulas of ``formulas.py``; no libcst, no command line, no torch.

Each spatial dim is solved on its own, in closed form. For a fixed (stride, dilation) the size
formula pins ``t = 2*padding`` (and with it ``output_padding``) to a window whose ends move
linearly with the kernel size, and every other condition (no cropping, PyTorch's pooling cap,
a pinned value, ``output_padding`` zero or not) is one more linear bound. So the paddings of all
kernel sizes of one (stride, dilation) form a few *runs*: kernel sizes in an arithmetic
progression with a padding interval whose ends are linear in the position. Counting them is a
sum of arithmetic series; listing them best first is a merge of the runs of every (stride,
dilation), made only as far as it is read. The work grows with ``max_stride * max_dilation``,
never with the kernel bound or the number of solutions, which can be astronomically large
(``solve_bounds.LIMITS``). Every listed solution is confirmed with the forward formula, which
keeps this module honest if the inversion were ever wrong.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import math
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import (
    Any,
    Dict,
    FrozenSet,
    Iterator,
    List,
    Mapping,
    Optional,
    Sequence,
    Set,
    Tuple,
    Union,
    overload,
)

from . import formulas
from .layers import AVG_POOL, CONV, CONV_TRANSPOSE, LAYERS, MAX_POOL
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
    "LISTED_AT_MOST",
    "layer_code",
    "solve",
]

ParamValue = Union[int, Sequence[int]]

#: The parameters the solver chooses, per layer family, in torch's keyword order.
FAMILY_PARAMS: Dict[str, Tuple[str, ...]] = {
    CONV_TRANSPOSE: ("kernel_size", "stride", "padding", "output_padding", "dilation"),
    CONV: ("kernel_size", "stride", "padding", "dilation"),
    MAX_POOL: ("kernel_size", "stride", "padding", "dilation"),
    AVG_POOL: ("kernel_size", "stride", "padding"),
}

#: Layer classes ``shapelint solve`` accepts on its command line.
SUPPORTED_LAYERS: Tuple[str, ...] = tuple(
    f"{kind}{n}d" for kind in ("ConvTranspose", "Conv", "MaxPool", "AvgPool") for n in (1, 2, 3)
)

#: Accepted by ``solve`` as well (not by the command line): code without ``in_channels``.
LAZY_LAYERS: Tuple[str, ...] = tuple(
    f"Lazy{kind}{n}d" for kind in ("ConvTranspose", "Conv") for n in (1, 2, 3)
)

#: The most solutions of one dim a complete listing (JSON, ``--limit 0``) writes out: ten times
#: the most the default bounds ever give (about a thousand), and a listing of three such dims
#: stays well under a second. Past it, ask for the best N (``limit``) and read the count.
LISTED_AT_MOST = 10_000

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

    A complete listing makes thousands; equivalent to the constructor (no ``__post_init__``);
    tests compare the two.
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
    #: Every solution within the bounds, best first. From ``solve`` a lazy sequence: ``len()``
    #: is counted in closed form and solutions are made only as far as they are read.
    solutions: Sequence[DimSolution]
    reason: Optional[str] = None

    @property
    def count(self) -> int:
        return len(self.solutions)

    @property
    def lossless_count(self) -> int:
        counted = getattr(self.solutions, "lossless_count", None)
        if counted is not None:
            return counted
        return sum(1 for s in self.solutions if s.lossless)

    @property
    def lossless(self) -> List[DimSolution]:
        # Lossless solutions rank first (see _ranked).
        return list(itertools.takewhile(lambda s: s.lossless, self.solutions))

    def to_json(self, limit: Optional[int] = None) -> Dict[str, Any]:
        """``limit``: the best N solutions; None lists every one (at most ``LISTED_AT_MOST``)."""
        if limit is None and self.count > LISTED_AT_MOST:
            raise SolverError(
                f"{self.input} -> {self.output} has {self.count:,} solutions within the bounds,"
                f" more than the {LISTED_AT_MOST:,} a complete listing writes out; ask for the"
                " best N instead (--limit N) or narrow the bounds"
            )
        shown = self.solutions if limit is None else self.solutions[:limit]
        return {
            "input": self.input,
            "output": self.output,
            "count": self.count,
            "lossless_count": self.lossless_count,
            "solutions": [s.to_json() for s in shown],
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
    in_channels: Optional[int] = None  # as given, for the code shown (C_in when None)
    out_channels: Optional[int] = None

    @property
    def exact(self) -> bool:
        """Every dim has at least one parameter set giving exactly the output (lossy or not)."""
        return all(d.solutions for d in self.dims)

    def to_json(self, limit: Optional[int] = None) -> Dict[str, Any]:
        """The JSON of ``shapelint solve --format json`` (docs/output-formats.md); ``limit`` keeps
        the best N solutions of each dim (every dim says its ``count`` either way)."""
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
            "dims": [d.to_json(limit) for d in self.dims],
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


def _kernel_range(query: _DimQuery) -> Tuple[int, int]:
    """The kernel sizes to try, ``low..high`` (empty when low > high); a pinned one alone."""
    fixed = dict(query.fixed)
    if "kernel_size" in fixed:
        low = high = fixed["kernel_size"]
    else:
        low, high = 1, query.bounds.max_kernel_size
    if query.kernel_within_input:
        high = min(high, query.size_in)
    return low, high


def _strides(query: _DimQuery) -> Sequence[int]:
    fixed = dict(query.fixed)
    return (fixed["stride"],) if "stride" in fixed else range(1, query.bounds.max_stride + 1)


def _dilations(query: _DimQuery) -> Sequence[int]:
    fixed = dict(query.fixed)
    if query.family == AVG_POOL:
        return (1,)
    if "dilation" in fixed:
        return (fixed["dilation"],)
    return range(1, query.bounds.max_dilation + 1)


# A linear bound ``c + m*x``, as the pair (c, m).
Line = Tuple[int, int]

# A run: kernel sizes ``first + step*j`` for j in lo..hi, each with the paddings
# ``max(c + m*j for lows) .. min(c + m*j for highs)``, never empty on lo..hi.
Run = Tuple[int, int, int, int, Tuple[Line, ...], Tuple[Line, ...]]


def _window_start(query: _DimQuery, stride: int, dilation: int) -> Tuple[int, int]:
    """``(base, width)``: for kernel size k, ``t = 2*padding`` must lie in
    ``[base + dilation*k, base + dilation*k + width - 1]`` (and ``t >= 0``).

    Convolution and pooling: ``out - 1 = (in + t - span) // stride``, a window of ``stride``
    values. Transposed: ``t = (in-1)*stride + span - out + output_padding`` with
    ``0 <= output_padding < max(stride, dilation)``.
    """
    if query.family == CONV_TRANSPOSE:
        base = (query.size_in - 1) * stride + 1 - query.size_out - dilation
        return base, max(stride, dilation)
    return (query.size_out - 1) * stride + 1 - query.size_in - dilation, stride


def _nonempty(lows: Sequence[Line], highs: Sequence[Line], lo: int, hi: int) -> Tuple[int, int]:
    """The j in lo..hi where every high is at least every low (an interval: all are linear)."""
    for low_c, low_m in lows:
        for high_c, high_m in highs:
            c, m = high_c - low_c, high_m - low_m
            if m > 0:
                lo = max(lo, -(c // m))  # j >= ceil(-c/m)
            elif m < 0:
                hi = min(hi, c // -m)
            elif c < 0:
                return 1, 0
    return lo, hi


def _runs(
    query: _DimQuery,
    stride: int,
    dilation: int,
    kernels: Tuple[int, int],
    padding: Optional[int],
    output_padding: Optional[int],
    lossless: Optional[bool] = None,
    checkerboard: Optional[bool] = None,
    op_zero: Optional[bool] = None,
) -> List[Run]:
    """The runs of solutions with this stride and dilation and kernel sizes in ``kernels``.

    ``padding`` / ``output_padding`` pin a value; ``lossless``, ``checkerboard`` (transposed)
    and ``op_zero`` (``output_padding == 0``, transposed) keep one side of a ranking criterion,
    None keeps both.
    """
    base, width = _window_start(query, stride, dilation)
    lows: List[Line] = [(0, 0), (base, dilation)]
    highs: List[Line] = [(base + width - 1, dilation)]
    if padding is not None:
        lows.append((2 * padding, 0))
        highs.append((2 * padding, 0))
    if output_padding is not None:
        if output_padding >= width:
            return []
        lows.append((base + output_padding, dilation))
        highs.append((base + output_padding, dilation))
    if op_zero:
        highs.append((base, dilation))
    elif op_zero is False:
        lows.append((base + 1, dilation))
    step = 1
    if checkerboard is False:  # dilation 1 and a kernel size that is a multiple of the stride
        if dilation != 1:
            return []
        step = stride
    elif checkerboard and dilation == 1 and stride == 1:
        return []  # every kernel size is a multiple of 1
    low, high = kernels
    # The least kernel size whose span reaches the stride: from it on, no holes.
    whole = (stride + dilation - 2) // dilation + 1
    if lossless is None:
        parts = [(low, high, lows, highs)]
    elif lossless:  # and padding <= dilation*(kernel_size-1)
        parts = [(max(low, whole), high, lows, highs + [(-2 * dilation, 2 * dilation)])]
    else:  # holes, or padding > dilation*(kernel_size-1)
        parts = [
            (low, min(high, whole - 1), lows, highs),
            (max(low, whole), high, lows + [(2 - 2 * dilation, 2 * dilation)], highs),
        ]
    pool = query.family in (MAX_POOL, AVG_POOL)
    runs: List[Run] = []
    for part_low, part_high, part_lows, part_highs in parts:
        if step > 1:
            part_low = -(-part_low // step) * step
        # Each parity of the position j on its own: a bound on t = c + m*k then has one parity
        # throughout, so the padding bound t/2 (rounded inwards) stays linear in j.
        for first in (part_low, part_low + step):
            if first > part_high:
                break
            run_step = 2 * step
            p_lows = tuple((-(-(c + m * first) // 2), m * step) for c, m in part_lows)
            p_highs = [((c + m * first) // 2, m * step) for c, m in part_highs]
            if pool:  # PyTorch: padding at most kernel_size // 2
                p_highs.append((first // 2, step))
            lo, hi = _nonempty(p_lows, p_highs, 0, (part_high - first) // run_step)
            if lo <= hi:
                runs.append((first, run_step, lo, hi, p_lows, tuple(p_highs)))
    return runs


def _run_count(run: Run) -> int:
    """Solutions in a run: a sum of ``min(highs) - max(lows) + 1`` over its positions, split
    where one bound overtakes another so that each piece is an arithmetic series."""
    _, _, lo, hi, lows, highs = run
    cuts = {lo, hi + 1}
    for bounds in (lows, highs):
        for (c1, m1), (c2, m2) in itertools.combinations(bounds, 2):
            if m1 != m2:
                cut = (c2 - c1) // (m1 - m2) + 1  # the first j past their crossing
                if lo < cut <= hi:
                    cuts.add(cut)
    points = sorted(cuts)
    total = 0
    for start, stop in zip(points, points[1:]):
        low_c, low_m = max(lows, key=lambda line: line[0] + line[1] * start)
        high_c, high_m = min(highs, key=lambda line: line[0] + line[1] * start)
        c, m, n = high_c - low_c + 1, high_m - low_m, stop - start
        total += n * c + m * (start + stop - 1) * n // 2
    return total


# One solution as a sort key within its rank class:
# (kernel_size, stride, dilation, output_padding or 0, ignores inputs, padding).
Key = Tuple[int, int, int, int, bool, int]


def _stream(
    query: _DimQuery,
    stride: int,
    dilation: int,
    runs: List[Run],
    skip_kernel: Optional[int] = None,
    skip_padding: Optional[int] = None,
    skip_output_padding: Optional[int] = None,
    skip_multiples: bool = False,
) -> Iterator[Key]:
    """The solutions of ``runs`` in key order. ``skip_*`` leave out one value (it belongs to
    another rank class); ``skip_multiples`` the kernel sizes that are multiples of the stride."""
    transposed = query.family == CONV_TRANSPOSE
    base, _ = _window_start(query, stride, dilation)
    kernel = 0
    while True:
        found = None
        for first, run_step, lo, hi, lows, highs in runs:
            j = max(lo, -((first - kernel) // run_step))
            if j <= hi and (found is None or first + run_step * j < found[0]):
                found = (first + run_step * j, j, lows, highs)
        if found is None:
            return
        kernel, j, lows, highs = found
        if kernel == skip_kernel or (skip_multiples and kernel % stride == 0):
            kernel += 1
            continue
        p_low = max(c + m * j for c, m in lows)
        p_high = min(c + m * j for c, m in highs)
        start = base + dilation * kernel  # the least 2*padding
        if transposed:
            for padding in range(p_low, p_high + 1):
                output_padding = 2 * padding - start
                if padding != skip_padding and output_padding != skip_output_padding:
                    yield (kernel, stride, dilation, output_padding, False, padding)
        else:
            # Past ``start`` the last window ends before the input does: inputs are ignored.
            for padding in range(p_low, min(p_high, start) + 1):
                if padding != skip_padding:
                    yield (kernel, stride, dilation, 0, False, padding)
            for padding in range(max(p_low, start + 1), p_high + 1):
                if padding != skip_padding:
                    yield (kernel, stride, dilation, 0, True, padding)
        kernel += 1


# A slice of a dim's solutions by what they change relative to the code as written:
# (changed names, names kept at their written value, names that must differ from it).
Slice = Tuple[FrozenSet[str], Dict[str, int], Dict[str, int]]


@functools.lru_cache(maxsize=256)
def _slices(query: _DimQuery) -> Tuple[Slice, ...]:
    """One slice per set of changed parameters, fewest changes first and the kernel kept
    before it is changed (ranking criterion 3); without ``current``, one slice."""
    if query.current is None:
        return ((frozenset(), {}, {}),)
    fixed = dict(query.fixed)
    current = dict(query.current)
    names = tuple(current)
    slices: List[Slice] = []
    for mask in range(1 << len(names)):
        changed = frozenset(name for i, name in enumerate(names) if mask >> i & 1)
        kept: Dict[str, int] = {}
        differ: Dict[str, int] = {}
        for name in names:
            pinned = fixed.get(name)
            if name in changed:
                if pinned == current[name]:
                    break
                if pinned is None:
                    differ[name] = current[name]
            elif pinned is not None and pinned != current[name]:
                break
            else:
                kept[name] = current[name]
        else:
            slices.append((changed, kept, differ))
    slices.sort(key=lambda piece: (len(piece[0]), "kernel_size" in piece[0]))
    return tuple(slices)


def _allowed(values: Sequence[int], kept: Optional[int], differ: Optional[int]) -> Sequence[int]:
    if kept is not None:
        return (kept,) if kept in values else ()
    if differ is not None:
        return [v for v in values if v != differ]
    return values


def _class_keys(
    query: _DimQuery,
    slices: Sequence[Slice],
    lossless: bool,
    checkerboard: Optional[bool],
    op_zero: Optional[bool],
    dilated: bool,
) -> Iterator[Key]:
    """The solutions of one rank class (section 5: everything but the last criteria equal) in
    key order: a merge of the streams of every (stride, dilation) of every slice."""
    fixed = dict(query.fixed)
    low, high = _kernel_range(query)
    streams = []
    for _, kept, differ in slices:
        kernels = (low, high)
        if "kernel_size" in kept:
            kernels = (max(low, kept["kernel_size"]), min(high, kept["kernel_size"]))
        if kernels[0] > kernels[1]:
            continue
        strides = _allowed(_strides(query), kept.get("stride"), differ.get("stride"))
        dilations = [
            d
            for d in _allowed(_dilations(query), kept.get("dilation"), differ.get("dilation"))
            if (d != 1) == dilated
        ]
        padding = fixed.get("padding", kept.get("padding"))
        output_padding = fixed.get("output_padding", kept.get("output_padding"))
        for stride in strides:
            for dilation in dilations:
                runs = _runs(
                    query,
                    stride,
                    dilation,
                    kernels,
                    padding,
                    output_padding,
                    lossless,
                    checkerboard,
                    op_zero,
                )
                if runs:
                    streams.append(
                        _stream(
                            query,
                            stride,
                            dilation,
                            runs,
                            differ.get("kernel_size"),
                            differ.get("padding"),
                            differ.get("output_padding"),
                            bool(checkerboard) and dilation == 1,
                        )
                    )
    return heapq.merge(*streams)


# A rank tier: (lossless, checkerboard); checkerboard is None for layers it does not apply to.
Tier = Tuple[bool, Optional[bool]]


def _tiers(query: _DimQuery) -> Tuple[Tier, ...]:
    if query.family == CONV_TRANSPOSE:
        return ((True, False), (True, True), (False, False), (False, True))
    return ((True, None), (False, None))


def _tier_classes(query: _DimQuery, tier: Tier, slices: Sequence[Slice]) -> Iterator[Tuple]:
    """The rank classes of one tier, best first, each as (rank prefix, iterator of keys)."""
    lossless, checkerboard = tier
    transposed = query.family == CONV_TRANSPOSE
    groups = itertools.groupby(slices, key=lambda piece: (len(piece[0]), "kernel_size" in piece[0]))
    for (changes, kernel_changed), group in groups:
        members = list(group)
        for op_zero in (True, False) if transposed else (None,):
            for dilated in (False, True):
                prefix = (
                    not lossless,
                    bool(checkerboard),
                    changes,
                    kernel_changed,
                    op_zero is False,
                    dilated,
                )
                yield prefix, _class_keys(query, members, lossless, checkerboard, op_zero, dilated)


def _criteria_runs(query: _DimQuery, **criteria: Optional[bool]) -> Iterator[Run]:
    """The runs of every (stride, dilation), with one side of some criteria (as ``_runs``)."""
    kernels = _kernel_range(query)
    if kernels[0] > kernels[1]:
        return
    fixed = dict(query.fixed)
    padding, output_padding = fixed.get("padding"), fixed.get("output_padding")
    dilations = _dilations(query)
    if criteria.get("checkerboard") is False:
        dilations = [d for d in dilations if d == 1]
    for stride in _strides(query):
        for dilation in dilations:
            yield from _runs(query, stride, dilation, kernels, padding, output_padding, **criteria)


def _count(query: _DimQuery, **criteria: Optional[bool]) -> int:
    """How many solutions the dim has (with one side of some criteria, as ``_runs``)."""
    return sum(_run_count(run) for run in _criteria_runs(query, **criteria))


def _tier_exists(query: _DimQuery, tier: Tier) -> bool:
    """Whether any solution is in ``tier``: the first run found says so."""
    lossless, checkerboard = tier
    if checkerboard is None:
        return any(_criteria_runs(query, lossless=lossless))
    if not checkerboard:
        return any(_criteria_runs(query, lossless=lossless, checkerboard=False))
    # Checkerboard: any solution of the tier that is not checkerboard-free.
    return _count(query, lossless=lossless) > _count(query, lossless=lossless, checkerboard=False)


@functools.lru_cache(maxsize=256)
def _tier_counts(query: _DimQuery) -> Dict[Tier, int]:
    """Solutions per rank tier, counted in closed form."""
    total = _count(query)
    lossless = _count(query, lossless=True)
    if query.family != CONV_TRANSPOSE:
        return {(True, None): lossless, (False, None): total - lossless}
    free = _count(query, checkerboard=False)
    free_lossless = _count(query, lossless=True, checkerboard=False)
    return {
        (True, False): free_lossless,
        (True, True): lossless - free_lossless,
        (False, False): free - free_lossless,
        (False, True): total - lossless - free + free_lossless,
    }


def _ranked(query: _DimQuery) -> Iterator[DimSolution]:
    """Every solution, best first: lossless (no input cropped, no output position without
    input) before lossy, then checkerboard-free (``kernel_size % stride == 0``, dilation 1);
    rank class by rank class, each a merge in (kernel_size, stride, dilation, output_padding,
    ignored inputs, padding) order."""
    slices = _slices(query)
    for tier in _tiers(query):
        if not _tier_exists(query, tier):
            continue
        for _, keys in _tier_classes(query, tier, slices):
            for kernel, stride, dilation, output_padding, _, padding in keys:
                yield _solution(query, kernel, stride, dilation, padding, output_padding)


def _solution(
    query: _DimQuery, kernel: int, stride: int, dilation: int, padding: int, output_padding: int
) -> DimSolution:
    """The solution with its warnings, confirmed with the forward formula."""
    family = query.family
    transposed = family == CONV_TRANSPOSE
    size_in, size_out = query.size_in, query.size_out
    span = formulas.effective_kernel(kernel, dilation)
    reach = span - 1
    if transposed:
        produced = formulas.conv_transpose_out(
            size_in, kernel, stride, padding, output_padding, dilation
        )
    elif family == CONV:
        produced = formulas.conv_out(size_in, kernel, stride, padding, dilation)
    else:
        produced = formulas.pool_out(size_in, kernel, stride, padding, dilation, False)
    if produced != size_out:  # the closed form is wrong: never return it
        raise AssertionError(
            f"solver inversion disagrees with the formula for {family}"
            f" {size_in}->{size_out}: k={kernel} s={stride} p={padding}"
            f" op={output_padding} d={dilation} gives {produced}"
        )
    warnings: Tuple[str, ...] = ()
    if formulas.crops_input(kernel, padding, dilation):
        warnings = (
            (
                (
                    f"crops input: padding {padding} > dilation*(kernel_size-1) = {reach},"
                    " border inputs are lost"
                )
                if transposed
                else f"output border sees only padding: padding {padding} >"
                f" dilation*(kernel_size-1) = {reach}"
            ),
        )
    if formulas.leaves_holes(kernel, stride, dilation):
        warnings += (
            (f"leaves holes: stride {stride} > kernel span {span}, some outputs get no input",)
            if transposed
            else (f"skips inputs: stride {stride} > kernel span {span}",)
        )
    # Checkerboard artifacts come from the uneven overlap of a *transposed* convolution's
    # scattered kernels; a convolution or pool computes each output from one full window, so
    # ranking criterion (2) does not apply to them.
    elif transposed and not formulas.is_checkerboard_free(kernel, stride, dilation):
        warnings += (
            (f"checkerboard: dilation {dilation} spreads the kernel taps unevenly",)
            if dilation != 1
            else (f"checkerboard: kernel_size {kernel} is not a multiple of stride {stride}",)
        )
    if not transposed:
        # Trailing inputs no window reaches: the floor division drops them.
        ignored = size_in - 1 - ((size_out - 1) * stride - padding + reach)
        if ignored > 0:
            warnings += (f"ignores the last {ignored} input{'s' if ignored > 1 else ''}",)
    return _new_solution(
        kernel, stride, padding, output_padding if transposed else None, dilation, warnings
    )


class _Solutions(Sequence[DimSolution]):
    """Every solution of one dim, best first, made only as far as they are read; ``len()``
    is counted in closed form, so an astronomically long answer costs what is read of it."""

    def __init__(self, query: _DimQuery) -> None:
        self._query = query
        self._made: List[DimSolution] = []
        self._source: Optional[Iterator[DimSolution]] = None

    @property
    def lossless_count(self) -> int:
        counts = _tier_counts(self._query)
        return sum(n for (lossless, _), n in counts.items() if lossless)

    def __len__(self) -> int:
        return sum(_tier_counts(self._query).values())

    def _make(self, wanted: int) -> None:
        if self._source is None:
            self._source = _ranked(self._query)
        while len(self._made) < wanted:
            solution = next(self._source, None)
            if solution is None:
                return
            self._made.append(solution)

    @overload
    def __getitem__(self, index: int) -> DimSolution: ...

    @overload
    def __getitem__(self, index: slice) -> List[DimSolution]: ...

    def __getitem__(self, index):
        if isinstance(index, slice):
            start, stop, step = index.start or 0, index.stop, index.step or 1
            if step > 0 and start >= 0 and stop is not None and stop >= 0:
                self._make(stop)  # the common [:n], without counting
                return self._made[index]
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if index >= 0:
            self._make(index + 1)
        if not 0 <= index < len(self._made):
            raise IndexError("solution index out of range")
        return self._made[index]

    def __iter__(self) -> Iterator[DimSolution]:
        index = 0
        while True:
            self._make(index + 1)
            if index >= len(self._made):
                return
            yield self._made[index]
            index += 1

    def __bool__(self) -> bool:
        self._make(1)
        return bool(self._made)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _Solutions) and self._query == other._query:
            return True
        if not isinstance(other, Sequence):
            return NotImplemented
        # Counted first, then compared only as far as the first difference.
        return len(self) == len(other) and all(a == b for a, b in zip(self, other))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<{len(self)} solutions of {self._query.size_in} -> {self._query.size_out}>"


@functools.lru_cache(maxsize=128)
def _cached_dim(query: _DimQuery) -> _Solutions:
    """``check`` asks about the same sizes over and over (every layer of every model); a
    repeated dim costs a lookup, and what was already made of its listing is kept."""
    return _Solutions(query)


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
        # Output padding op gives every other size from start0 + op (least padding) down to
        # end0 + op (most padding), or down to 1 or 2 by parity when the padding is unbounded.
        start0 = formulas.conv_transpose_out(size_in, kernel, stride, least_padding, 0, dilation)
        high = start0 + most_op
        if high < 1:
            return None
        first = max(least_op, 1 - start0)  # the least output_padding with a positive start
        if most_padding == _UNBOUNDED:
            odd = first < most_op or (start0 + first) % 2 == 1
            return (1 if odd else 2, high)
        end0 = formulas.conv_transpose_out(size_in, kernel, stride, int(most_padding), 0, dilation)
        lows = []
        positive = max(first, 1 - end0)  # from here on the most padding leaves a positive size
        if positive <= most_op:
            lows.append(end0 + positive)
        below = min(most_op, positive - 1) - first + 1  # those whose sizes run down past 1
        if below >= 2:
            lows.append(1)
        elif below == 1:
            lows.append(2 - (start0 + first) % 2)
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


#: Up to this many kernel sizes, ``_kernel_extremes`` evaluates every one; past it only the
#: sizes where an extreme can be (tests lower it to check the two agree).
ALL_KERNELS_UP_TO = 24


def _kernel_extremes(
    family: str,
    size_in: int,
    kernels: Tuple[int, int],
    stride: int,
    dilation: int,
    fixed: Mapping[str, int],
    lossless: bool,
) -> Optional[Tuple[float, float]]:
    """Least and greatest output over every kernel size in ``kernels`` (``_output_range``)."""
    low, high = kernels
    if high - low < ALL_KERNELS_UP_TO:
        candidates: Sequence[int] = range(low, high + 1)
    else:
        candidates = sorted(
            _extreme_kernels(family, size_in, kernels, stride, dilation, fixed, lossless)
        )
    found = [
        reached
        for kernel in candidates
        for reached in [_output_range(family, size_in, kernel, stride, dilation, fixed, lossless)]
        if reached is not None
    ]
    if not found:
        return None
    return min(r[0] for r in found), max(r[1] for r in found)


def _extreme_kernels(
    family: str,
    size_in: int,
    kernels: Tuple[int, int],
    stride: int,
    dilation: int,
    fixed: Mapping[str, int],
    lossless: bool,
) -> Set[int]:
    """The kernel sizes where ``_output_range`` can be least or greatest: the first and last
    admissible kernel size of each parity.

    Within one parity of the kernel size both ends of the range are monotone in it: the reach
    grows by an even step, so the sizes change monotonically, and where a formula changes regime
    (the least padding starts to grow, a transposed output runs down past 1 and is then set by
    parity) the parity keeps the new values on the same side. The admissible kernel sizes of one
    parity are an interval: each condition of ``_output_range`` is a bound on them.
    """
    low, high = kernels
    padding = fixed.get("padding")
    pool = family in (MAX_POOL, AVG_POOL)
    lower = [low]  # the admissible kernel sizes are at least each of these...
    upper = {0: [high], 1: [high]}  # ...and at most these, per parity
    if lossless:
        lower.append((stride + dilation - 2) // dilation + 1)  # no holes
    if padding is not None:
        if pool:
            lower.append(2 * padding)  # padding <= kernel_size // 2
        elif lossless:
            lower.append(-(-padding // dilation) + 1)  # padding <= dilation*(kernel_size-1)
    if family == CONV_TRANSPOSE:
        limit = max(stride, dilation)
        output_padding = fixed.get("output_padding")
        if output_padding is not None and output_padding >= limit:
            return set()
        most_op = limit - 1 if output_padding is None else output_padding
        # The greatest output, at the least padding, must be positive.
        need = 2 * (padding or 0) - most_op - (size_in - 1) * stride
        lower.append(1 - (-need // dilation))
    elif padding is not None:  # the window must fit: ceil((span - in)/2) <= padding
        upper[0].append(1 + (2 * padding + size_in - 1) // dilation)
        upper[1].append(1 + (2 * padding + size_in - 1) // dilation)
    elif pool and dilation > 1:  # the least padding the window needs within kernel_size // 2
        upper[0].append((size_in + dilation - 1) // (dilation - 1))
        upper[1].append(1 + (size_in - 1) // (dilation - 1))
    candidates: Set[int] = set()
    least = max(lower)
    for parity in (0, 1):
        first = least + (parity - least) % 2
        last = min(upper[parity])
        last -= (last - parity) % 2
        if first <= last:
            candidates.update((first, last))
    return candidates


def _format_ratio(value: Fraction) -> str:
    return f"{float(value):.4g}"


@functools.lru_cache(maxsize=1024)
def _reason(query: _DimQuery, layer: str, any_exact: bool) -> str:
    """Why no lossless parameter set gives exactly the output, with the numbers that show it.

    When no parameter set at all gives it, the ranges are those of every admissible parameter
    set; otherwise those of the lossless ones.
    """
    kernels = _kernel_range(query)
    any_kernel = kernels[0] <= kernels[1]
    if any_kernel:
        parts = [_reach_sentence(query, kernels, lossless=any_exact)]
    else:
        parts = [f"{layer} needs kernel_size <= the input size {query.size_in}"]
    ratio = _ratio_sentence(query, layer)
    if ratio is not None:
        parts.append(ratio)
    if any_kernel and query.kernel_within_input:
        largest = dict(query.fixed).get("kernel_size", query.bounds.max_kernel_size)
        if largest > query.size_in:
            parts.append(f"{layer} also needs kernel_size <= the input size {query.size_in}")
    reason = "; ".join(parts)
    if not any_exact:
        reason = f"no parameter set within the bounds gives exactly {query.size_out}, lossless or not: {reason}"
    return reason


#: What "lossless" means for each family, as the reasons word it.
_LOSSLESS_WORDS = {
    CONV_TRANSPOSE: " without cropping or holes",
    CONV: " without skipped inputs or outputs that see only padding",
}


def _reach_sentence(query: _DimQuery, kernels: Tuple[int, int], lossless: bool) -> str:
    """What sizes the input reaches with each stride, set against the size wanted."""
    size_in, size_out = query.size_in, query.size_out
    strides = _strides(query)
    per_stride = _ranges_per_stride(query, kernels, lossless)
    # The stride is named in every sentence; other pinned parameters are worth repeating.
    pinned = ", ".join(f"{name}={value}" for name, value in query.fixed if name != "stride")
    context = f" (with {pinned})" if pinned else ""
    qualifier = _LOSSLESS_WORDS.get(query.family, " without skipping inputs") if lossless else ""
    if not per_stride:
        return (
            f"with stride {'/'.join(map(str, strides))}{context} every parameter set within the"
            " bounds "
            + (
                "crops or skips: the stride is longer than the kernel span, or the padding reaches past it"
                if lossless
                else "is rejected by PyTorch"
            )
        )
    inside = sorted(s for s, (lo, hi) in per_stride.items() if lo <= size_out <= hi)
    below = [s for s, (lo, hi) in per_stride.items() if hi < size_out]
    above = [s for s, (lo, hi) in per_stride.items() if lo > size_out]
    if inside:
        reached = ", ".join(f"stride {s} to sizes {_sizes_text(*per_stride[s])}" for s in inside)
        return (
            f"{size_in} maps{qualifier} with {reached}{context}, but no parameter set"
            f" within the bounds gives exactly {size_out}"
        )
    if below and above:
        s_below = max(below, key=lambda s: (per_stride[s][1], -s))
        s_above = min(above, key=lambda s: (per_stride[s][0], s))
        return (
            f"stride {s_below} maps {size_in} to at most {per_stride[s_below][1]} and stride"
            f" {s_above} to at least {per_stride[s_above][0]}{qualifier}{context}"
        )
    if above:
        s = min(above, key=lambda s: (per_stride[s][0], s))
        return _too_large_sentence(query, kernels, lossless, s, per_stride[s][0], context, qualifier)
    s = max(below, key=lambda s: (per_stride[s][1], -s))
    return f"stride {s} maps {size_in} to at most {per_stride[s][1]}{qualifier}{context}"


def _ranges_per_stride(
    query: _DimQuery, kernels: Tuple[int, int], lossless: bool
) -> Dict[int, Tuple[float, float]]:
    """The least and greatest output of each stride over every kernel size and dilation (of
    the lossless parameter sets only, when ``lossless``); a stride that fits none is absent."""
    fixed = dict(query.fixed)
    per_stride: Dict[int, Tuple[float, float]] = {}
    for stride in _strides(query):
        for dilation in _dilations(query):
            found = _kernel_extremes(query.family, query.size_in, kernels, stride, dilation, fixed, lossless)
            if found is None:
                continue
            low, high = per_stride.get(stride, found)
            per_stride[stride] = (min(low, found[0]), max(high, found[1]))
    return per_stride


def _sizes_text(low: float, high: float) -> str:
    return f"{low} and up" if high == _UNBOUNDED else f"{low}..{high}"


def _too_large_sentence(
    query: _DimQuery, kernels: Tuple[int, int], lossless: bool, stride: int, low: float,
    context: str, qualifier: str,
) -> str:
    """Even the shortest output of the best stride, ``low``, is longer than the size wanted."""
    fixed = dict(query.fixed)
    at_zero = None
    if lossless and query.family == CONV_TRANSPOSE and "padding" not in fixed:
        # Without padding the output grows with the kernel and the dilation.
        at_zero = formulas.conv_transpose_out(
            query.size_in, kernels[0], stride, 0, fixed.get("output_padding", 0), min(_dilations(query))
        )
    if at_zero is not None and at_zero != low:
        return (
            f"stride {stride} maps {query.size_in} to at least {at_zero} without cropping"
            f" (padding=0) and to at least {low} with the most padding the kernel covers{context}"
        )
    return f"stride {stride} maps {query.size_in} to at least {low}{qualifier}{context}"


def _ratio_sentence(query: _DimQuery, layer: str) -> Optional[str]:
    """A lossless strided layer scales a size by about its stride: why the ratio of the sizes
    is no whole factor the layer can have (None when it is, or the sizes are equal)."""
    size_in, size_out = query.size_in, query.size_out
    upsizing = size_out > size_in
    if query.family in (CONV, MAX_POOL, AVG_POOL) and upsizing:
        return f"{size_out} is larger than {size_in}, and a {layer} only grows a size by its padding"
    if size_out == size_in:
        return None
    ratio = Fraction(size_out, size_in) if upsizing else Fraction(size_in, size_out)
    words = "a factor of" if upsizing else "a reduction by a factor of"
    if ratio.denominator != 1:
        return f"{size_out} needs {words} {_format_ratio(ratio)}, not an integer"
    strides = _strides(query)
    if int(ratio) in strides:
        return None
    allowed = (
        f"the stride is pinned to {strides[0]}"
        if "stride" in dict(query.fixed)
        else f"the largest stride allowed is {max(strides)}"
    )
    return f"{size_out} needs {words} {int(ratio)}, and {allowed}"


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


def _first(solutions: Sequence[DimSolution]) -> Optional[DimSolution]:
    return solutions[0] if solutions else None


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
        best_here = _first(dim.solutions)
        if best_here is not None and best_here.lossless:
            chosen.append(best_here)
            reached.append(dim.output)
            continue
        kernels = _kernel_range(query)
        fixed = dict(query.fixed)
        ranges = [
            found
            for stride in (_strides(query) if kernels[0] <= kernels[1] else ())
            for dilation in _dilations(query)
            for found in [
                _kernel_extremes(family, query.size_in, kernels, stride, dilation, fixed, True)
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
                for size in range(
                    int(max(low, first)),
                    int(min(high, query.size_in, max(low, first) + tries - 1)) + 1,
                )
            }
        )[:tries]
        best = None
        for size in reachable:
            candidate = _first(_cached_dim(replace(query, size_out=size)))
            if candidate is not None and candidate.lossless:
                best = (size, candidate)
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
            Alternative(pool, f"pools to exactly {target} with windows adapted to the size ratio")
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
    family, n = _family_and_dims(layer)
    size_in = _sizes("input", input, n, layer)
    size_out = _sizes("output", output, n, layer)
    _check_bounds(bounds)
    _check_channels(in_channels, out_channels)
    pinned = _normalize_params(layer, family, n, fixed, "fixed")
    written = None if current is None else _written_params(layer, family, n, current)
    queries = [
        _DimQuery(
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
        for axis in range(n)
    ]
    dims = _solve_dims(layer, queries)
    firsts = [_first(d.solutions) for d in dims]
    recommended = None
    if all(s is not None and s.lossless for s in firsts):
        best = _combine(family, queries, firsts, written is not None)
        recommended = _recommended(layer, family, best, in_channels, out_channels)
    alternatives: List[Alternative] = []
    if any(s is None or not s.lossless for s in firsts):
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
        in_channels=in_channels,
        out_channels=out_channels,
    )


def _family_and_dims(layer: str) -> Tuple[str, int]:
    # The lazy convolutions (no in_channels) are solvable too, for ``check``.
    if layer not in SUPPORTED_LAYERS and layer not in LAZY_LAYERS:
        raise SolverError(f"unknown layer {layer!r}; expected one of {', '.join(SUPPORTED_LAYERS)}")
    spec = LAYERS[layer]
    assert spec.family in FAMILY_PARAMS and spec.spatial_dims is not None
    return spec.family, spec.spatial_dims


def _check_bounds(bounds: Bounds) -> None:
    for name in ("max_kernel_size", "max_stride", "max_dilation"):
        value = getattr(bounds, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise SolverError(f"bound {name} must be a positive integer, got {value!r}")


def _check_channels(in_channels: Optional[int], out_channels: Optional[int]) -> None:
    for name, count in (("in_channels", in_channels), ("out_channels", out_channels)):
        if count is not None and (
            isinstance(count, bool) or not isinstance(count, int) or count < 1
        ):
            raise SolverError(f"{name} must be a positive integer, got {count!r}")


def _written_params(
    layer: str, family: str, n: int, current: Mapping[str, ParamValue]
) -> Dict[str, Tuple[int, ...]]:
    """The parameters as the user's code has them, defaults included (what "changed" is
    counted against)."""
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
    return written


def _solve_dims(layer: str, queries: Sequence[_DimQuery]) -> List[DimResult]:
    """Each dim's solutions, and why none is lossless where that is so."""
    dims: List[DimResult] = []
    solved: Dict[_DimQuery, Tuple[Sequence[DimSolution], Optional[str]]] = {}
    for query in queries:
        if query not in solved:  # equal dims (160x160) are solved once
            solutions = _cached_dim(query)
            best = _first(solutions)
            reason = (
                _reason(query, layer, best is not None)
                if best is None or not best.lossless
                else None
            )
            solved[query] = (solutions, reason)
        solutions, reason = solved[query]
        dims.append(DimResult(query.size_in, query.size_out, solutions, reason))
    return dims


def _recommended(
    layer: str,
    family: str,
    best: Sequence[DimSolution],
    in_channels: Optional[int],
    out_channels: Optional[int],
) -> Dict[str, Any]:
    """The best parameter set, per parameter one value per dim, and its code."""
    recommended: Dict[str, Any] = {
        name: [getattr(s, name) for s in best] for name in FAMILY_PARAMS[family]
    }
    if family == AVG_POOL:
        recommended["dilation"] = [1] * len(best)
    recommended["code"] = layer_code(layer, family, recommended, in_channels, out_channels)
    return recommended


def _tier_of(query: _DimQuery, solution: DimSolution) -> Tier:
    if query.family != CONV_TRANSPOSE:
        return (solution.lossless, None)
    return (solution.lossless, not solution.checkerboard_free)


@functools.lru_cache(maxsize=4096)
def _first_changing(
    query: _DimQuery, tier: Tier, changed: FrozenSet[str]
) -> Optional[Tuple[Tuple, DimSolution]]:
    """``_first_of_slice`` of the slice of ``query`` that changes ``changed``: a fix search asks
    the same dims over and over (each layer of a chain, for each operand, each fix checked),
    and a square layer asks each of its dims the same."""
    for piece in _slices(query):
        if piece[0] == changed:
            return _first_of_slice(query, tier, piece)
    return None


def _first_of_slice(
    query: _DimQuery, tier: Tier, piece: Slice
) -> Optional[Tuple[Tuple, DimSolution]]:
    """The best solution of ``tier`` that changes exactly ``piece``'s names, with its rank key."""
    for prefix, keys in _tier_classes(query, tier, [piece]):
        for key in keys:
            kernel, stride, dilation, output_padding, _, padding = key
            return prefix + key, _solution(query, kernel, stride, dilation, padding, output_padding)
    return None


def _combine(
    family: str,
    queries: List[_DimQuery],
    firsts: List[DimSolution],
    with_current: bool,
) -> List[DimSolution]:
    """The best solution per dim; with ``current``, the fewest parameter *names* changed overall.

    Ranking per dim counts changed values in that dim, but a reader sees a parameter as changed
    when any of its dims changes, so pick the smallest set of parameter names that every dim can
    stay within, each dim taking its best solution of its top lossless/checkerboard tier that
    changes nothing else; among equally small sets, the one whose worst dim ranks best.
    """
    if not with_current:
        return firsts
    names = FAMILY_PARAMS[family]  # kernel_size first
    tiers = [_tier_of(query, best) for query, best in zip(queries, firsts)]
    found: Dict[Tuple[int, FrozenSet[str]], Optional[Tuple[Tuple, DimSolution]]] = {}

    def best_within(axis: int, allowed: FrozenSet[str]) -> Optional[Tuple[Tuple, DimSolution]]:
        best = None
        for piece in _slices(queries[axis]):
            if piece[0] <= allowed:
                if (axis, piece[0]) not in found:
                    found[axis, piece[0]] = _first_changing(queries[axis], tiers[axis], piece[0])
                hit = found[axis, piece[0]]
                if hit is not None and (best is None or hit[0] < best[0]):
                    best = hit
        return best

    def level(mask: int) -> Tuple[int, int]:
        return (bin(mask).count("1"), mask & 1)  # (names changed, kernel_size among them)

    for _, masks in itertools.groupby(sorted(range(1 << len(names)), key=level), key=level):
        options = []
        for mask in masks:
            allowed = frozenset(name for i, name in enumerate(names) if mask >> i & 1)
            picks = [best_within(axis, allowed) for axis in range(len(queries))]
            if all(pick is not None for pick in picks):
                worst_first = sorted((pick[0] for pick in picks), reverse=True)  # type: ignore[index]
                options.append((worst_first, mask, [pick[1] for pick in picks]))  # type: ignore[index]
        if options:
            return min(options, key=lambda option: (option[0], option[1]))[2]
    return firsts  # not reached: allowing every name keeps each dim's best
