"""``shapelint solve`` with names: the parameter families that map *every* size to the output.

``solve ConvTranspose2d h 2*h`` lists the parameter sets under which, for every positive ``h``
whose output ``2*h`` is a size, PyTorch accepts ``h`` and gives ``2*h``. A family that does so
maps one sample size ``h0`` to ``OUT(h0)`` in particular, so it is among the integer solver's
(complete) answer for ``h0``; each of those is then kept when its symbolic output equals
``OUT`` and its symbolic constraint holds wherever ``OUT`` is a size (``symbolic_formulas``).
Ranked as the integer solver ranks (CONTRACT section 5), with the one criterion that depends
on the size ("ignores trailing inputs") taken over every size.
"""

from __future__ import annotations

from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from . import formulas, symbolic_formulas
from .layers import AVG_POOL, CONV, CONV_TRANSPOSE, LAYERS
from .solver import (
    FAMILY_PARAMS,
    DimResult,
    DimSolution,
    ParamValue,
    SolveResult,
    SolverError,
    layer_code,
    solve,
)
from .solver_bounds import Bounds
from .symbolic import Dim, Inexact, Sym, always, evaluate, render, where_eq, where_ge

__all__ = ["solve_symbolic", "MAX_CANDIDATES"]

#: The most integer solutions of the sample size that are examined per dim.
MAX_CANDIDATES = 200_000

#: Where the sample size is looked for: large enough that few parameter sets fit by chance.
_SAMPLE_FROM = 64


def solve_symbolic(
    layer: str,
    input: Sequence[Dim],
    output: Sequence[Dim],
    fixed: Mapping[str, ParamValue] = {},  # noqa: B006 - read only
    bounds: Bounds = Bounds(),
    in_channels: Optional[int] = None,
    out_channels: Optional[int] = None,
) -> SolveResult:
    """Every parameter set within ``bounds`` mapping each input size (an expression of one
    name, or an int) to its output for every value of the name, best first."""
    spec = LAYERS.get(layer)
    if spec is None or spec.family not in FAMILY_PARAMS or spec.spatial_dims is None:
        raise SolverError(f"unknown layer {layer!r}")
    family, n = spec.family, spec.spatial_dims
    size_in, size_out = _per_dim(input, n, "input", layer), _per_dim(output, n, "output", layer)
    samples = [_sample(x, t) for x, t in zip(size_in, size_out)]
    # The integer solver on the samples checks the layer, bounds and fixed parameters too.
    sampled = solve(
        layer,
        [evaluate(x, s) for x, s in zip(size_in, samples)],
        [evaluate(t, s) for t, s in zip(size_out, samples)],
        fixed=fixed,
        bounds=bounds,
    )
    dims: List[DimResult] = []
    done: Dict[Tuple[str, str], DimResult] = {}
    for axis in range(n):
        question = (render(size_in[axis]), render(size_out[axis]))
        if question not in done:
            candidates = sampled.dims[axis].solutions
            if len(candidates) > MAX_CANDIDATES:
                raise SolverError(
                    f"{question[0]} -> {question[1]}: {len(candidates):,} parameter sets to examine"
                    f" within the bounds (at most {MAX_CANDIDATES:,}); narrow the bounds or pin"
                    " a parameter"
                )
            found = _families(layer, family, size_in[axis], size_out[axis], candidates)
            reason = None
            if not found:
                reason = (
                    f"no {layer} within the bounds maps every {question[0]} to {question[1]}"
                )
            elif not found[0].lossless:
                reason = f"no lossless {layer} within the bounds maps every {question[0]} to {question[1]}"
            done[question] = DimResult(question[0], question[1], found, reason)  # type: ignore[arg-type]
        dims.append(done[question])
    recommended = None
    if all(d.solutions and d.solutions[0].lossless for d in dims):
        best = [d.solutions[0] for d in dims]
        recommended = {name: [getattr(s, name) for s in best] for name in FAMILY_PARAMS[family]}
        if family == AVG_POOL:
            recommended["dilation"] = [1] * n
        recommended["code"] = layer_code(layer, family, recommended, in_channels, out_channels)
    return SolveResult(
        layer=layer,
        input=tuple(render(x) for x in size_in),  # type: ignore[arg-type]
        output=tuple(render(t) for t in size_out),  # type: ignore[arg-type]
        fixed=sampled.fixed,
        bounds=bounds,
        dims=dims,
        recommended=recommended,
        alternatives=[],
        in_channels=in_channels,
        out_channels=out_channels,
    )


def _per_dim(values: Sequence[Dim], n: int, what: str, layer: str) -> List[Dim]:
    values = list(values)
    if len(values) == 1:
        values = values * n
    if len(values) != n:
        raise SolverError(f"{layer} has {n} spatial dims, {what} has {len(values)}")
    for value in values:
        if isinstance(value, Sym) and len(value.names()) != 1:
            raise SolverError(f"{what} {render(value)}: one name per dim")
    return values


def _name_of(x: Dim, t: Dim) -> str:
    names = {n for v in (x, t) if isinstance(v, Sym) for n in v.names()}
    if len(names) != 1 or not isinstance(x, Sym) or not isinstance(t, Sym):
        # A layer's output grows with its input: a constant on either side is no question.
        raise SolverError(
            f"{render(x)} -> {render(t)}: the input must be a size of a name, and the output"
            " a size of the same name"
        )
    return names.pop()


def _sample(x: Dim, t: Dim) -> Dict[str, int]:
    """A value of the dim's name where both sides are sizes (from ``_SAMPLE_FROM`` on)."""
    name = _name_of(x, t)
    for value in range(_SAMPLE_FROM, _SAMPLE_FROM + 8192):
        values = {name: value}
        if evaluate(x, values) >= 1 and evaluate(t, values) >= 1:
            return values
    raise SolverError(f"{render(x)} -> {render(t)}: no size of {name} gives sizes on both sides")


def _families(
    layer: str, family: str, x: Dim, t: Dim, candidates: Sequence[DimSolution]
) -> List[DimSolution]:
    name = _name_of(x, t)
    region = where_ge(x, 1) & where_ge(t, 1)
    probes = [{name: v} for v in range(1, 200) if region.contains({name: v})][:12]
    kept = []
    for candidate in candidates:
        # Cheap integer probes first; the symbolic check decides.
        if not all(_int_output(layer, family, evaluate(x, p), candidate) == evaluate(t, p) for p in probes):
            continue
        try:
            out, accepts = _symbolic(layer, family, x, candidate)
            fits = always(accepts & where_eq(out, t), given=region)
        except Inexact:
            continue
        if fits:
            kept.append(_with_size_warnings(family, x, t, candidate))
    kept.sort(key=lambda s: _rank(family, s))
    return kept


def _int_output(layer: str, family: str, size: int, s: DimSolution) -> Optional[int]:
    try:
        out, accepts = _symbolic(layer, family, size, s)
    except Inexact:
        return None
    return out if accepts.is_everything() else None  # type: ignore[return-value]


def _symbolic(layer: str, family: str, size: Dim, s: DimSolution):
    if family == CONV_TRANSPOSE:
        return symbolic_formulas.conv_transpose(
            size, s.kernel_size, s.stride, s.padding, s.output_padding or 0, s.dilation
        )
    if family == CONV:
        return symbolic_formulas.conv(size, s.kernel_size, s.stride, s.padding, s.dilation)
    return symbolic_formulas.pool(
        size, s.kernel_size, s.stride, s.padding, s.dilation, False,
        kernel_within_input=layer == "AvgPool3d",
    )


def _with_size_warnings(family: str, x: Dim, t: Dim, s: DimSolution) -> DimSolution:
    """The solution's warnings, with "ignores trailing inputs" taken over every size."""
    warnings = tuple(w for w in s.warnings if not w.startswith("ignores"))
    if family != CONV_TRANSPOSE:
        reach = formulas.effective_kernel(s.kernel_size, s.dilation) - 1
        ignored = x - 1 - ((t - 1) * s.stride - s.padding + reach)
        where = where_ge(ignored, 1)
        if not where.is_empty():
            most = _most(ignored)
            if most == 1:
                count = "the last input"
            elif isinstance(ignored, int):
                count = f"the last {most} inputs"
            else:
                count = f"up to {most} trailing inputs"
            when = "" if where.is_everything() else f" where {where}"
            warnings += (f"ignores {count}{when}",)
    return DimSolution(s.kernel_size, s.stride, s.padding, s.output_padding, s.dilation, warnings)


def _most(value: Dim) -> int:
    if isinstance(value, int):
        return value
    factor = value.factors[0]
    if factor.slope != 0:
        raise Inexact("an unbounded count")
    return max(int(b) for b in factor.offsets)


def _rank(family: str, s: DimSolution) -> Tuple:
    """CONTRACT section 5, as the integer solver orders: lossless, checkerboard-free
    (transposed), output_padding 0, dilation 1, then kernel, stride, dilation, output_padding,
    ignored inputs, padding."""
    transposed = family == CONV_TRANSPOSE
    ignores = any(w.startswith("ignores") for w in s.warnings)
    return (
        not s.lossless,
        transposed and not s.checkerboard_free,
        transposed and bool(s.output_padding),
        s.dilation != 1,
        s.kernel_size,
        s.stride,
        s.dilation,
        s.output_padding or 0,
        ignores,
        s.padding,
    )
