"""Suggestions: the smallest change to a layer that removes a finding, as text and as edits.

The solver (``core/solver.py``) finds the parameters; this module decides what to ask it (which
layer, which target size) and turns its answer into edits of the argument text as
the user wrote it: a positional argument stays positional, a keyword stays a keyword, a tuple
stays a tuple, and only the changed argument's text is replaced.
"""

from __future__ import annotations

import ast
import itertools
import dataclasses
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Sequence, Set, Tuple


from ..core import formulas
from ..core.codes import ShapeError
from ..core.layers import AVG_POOL, CONV, CONV_TRANSPOSE, MAX_POOL, POSITIONAL
from ..core.shapes import MaybeShape, as_expression, is_known, is_symbolic
from ..core.solver import FAMILY_PARAMS, SolveResult, SolverError, solve
from ..core.solver_bounds import Bounds
from ..core.text import one_line
from ..core.results import Edit
from .edit_sources import SourceEdit, Sources, evaluate, owner_of
from .positions import Positions
from .propagate import Propagator, Step
from .values import LayerModule, ModuleValue, Tensor, UserModule

SOLVABLE = (CONV, CONV_TRANSPOSE, MAX_POOL, AVG_POOL)


@dataclass
class Change:
    """New values for some parameters of one layer, and how good the change is."""

    layer: LayerModule
    values: Dict[str, Any]
    exact: bool = True
    lossless: bool = True
    rank: Tuple = ()
    note: str = ""
    #: Found through a residual sum followed on one side only: re-check before offering.
    approximate: bool = False
    #: Far from the written values or not the layer's usual form (``unusual``): never safe.
    unusual: bool = False
    #: The change gives a layer that was not in its usual form that form (``usual_form``).
    form_repaired: bool = False
    #: For a nudge (``NUDGES``): how far the written literal moves; 0 for other changes.
    slip: int = 0


def per_dim(value: Any, n: int) -> Optional[Tuple[int, ...]]:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return (value,) * n
    if isinstance(value, (tuple, list)):
        if len(value) == 1:
            value = tuple(value) * n
        if len(value) == n and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            return tuple(value)
    return None


def current_params(layer: LayerModule) -> Optional[Dict[str, Tuple[int, ...]]]:
    """The solver's parameters as written (defaults filled in), per dim; None when unknown."""
    spec = layer.spec
    n = spec.spatial_dims or 1
    out: Dict[str, Tuple[int, ...]] = {}
    for name in FAMILY_PARAMS[spec.family]:
        value = layer.params.get(name)  # bound with the defaults of the torch signature
        if name == "stride" and spec.family in (MAX_POOL, AVG_POOL) and value is None:
            value = layer.params.get("kernel_size")
        values = per_dim(value, n)
        if values is None:
            return None
        out[name] = values
    return out


def solve_layer(layer: LayerModule, input_shape: MaybeShape, target: MaybeShape,
                bounds: Bounds) -> Optional[SolveResult]:
    """Ask the solver for ``layer`` to map ``input_shape`` to ``target`` (spatial dims)."""
    spec = layer.spec
    if spec is None or spec.family not in SOLVABLE or input_shape is None or target is None:
        return None
    n = spec.spatial_dims
    if len(input_shape) < n or len(target) < n:
        return None
    size_in = tuple(input_shape[-n:])
    size_out = tuple(target[-n:])
    if any(is_symbolic(s) for s in size_in + size_out):
        return _solve_symbolic(layer, size_in, size_out, bounds)
    if not all(is_known(s) and s > 0 for s in size_in + size_out):
        return None
    current = current_params(layer)
    if current is None and not isinstance(layer.params.get("padding"), str):
        return None
    try:
        return solve(spec.name, size_in, size_out, {}, _bounds_around(current, bounds), current,
                     *_channel_counts(layer))
    except (SolverError, ValueError, TypeError):
        return None


def _solve_symbolic(layer: LayerModule, size_in: Tuple[Any, ...], size_out: Tuple[Any, ...],
                    bounds: Bounds) -> Optional[SolveResult]:
    """The parameters that map every size of the names in ``size_in`` to ``size_out`` (a fix
    that holds for every ``h``, not for the one size a declaration happens to name)."""
    from ..core.symbolic_solve import solve_symbolic

    if not all(is_symbolic(s) or is_known(s) and s > 0 for s in size_in + size_out):
        return None
    try:
        return solve_symbolic(layer.spec.name, [as_expression(d) for d in size_in],
                              [as_expression(d) for d in size_out], {},
                              _bounds_around(current_params(layer), bounds), *_channel_counts(layer))
    except (SolverError, ValueError, TypeError, ArithmeticError):
        return None


def _bounds_around(current: Optional[Dict[str, Any]], bounds: Bounds) -> Bounds:
    """The search bounds, scaled to the layer's written parameters when there are some."""
    if current is None:
        return bounds
    return bounds.around(current["kernel_size"], current["stride"], current.get("dilation", (1,)))


def _channel_counts(layer: LayerModule) -> Tuple[Optional[int], Optional[int]]:
    """The layer's in and out channel counts where they are known positive counts."""
    def count(name: str) -> Optional[int]:
        value = layer.params.get(name)
        return value if is_known(value) and value > 0 else None

    return count("in_channels"), count("out_channels")


def recommended_change(layer: LayerModule, result: SolveResult) -> Optional[Change]:
    """The solver's recommendation as a change of the parameters that differ from the code."""
    if result.recommended is None:
        return None
    current = current_params(layer) or {}
    recommended = result.recommended
    if unusual(layer.spec.family, current, recommended):
        recommended = _usual_solution(layer.spec.family, current, result) or recommended
    values: Dict[str, Any] = {}
    for name in FAMILY_PARAMS[layer.spec.family]:
        new = tuple(recommended[name])
        if current.get(name) != new:
            values[name] = new
    if not values:
        return None
    kernel = recommended["kernel_size"]
    stride = recommended["stride"]
    dilation = recommended.get("dilation", [1] * len(kernel))
    checkerboard = layer.spec.family == CONV_TRANSPOSE and not all(
        formulas.is_checkerboard_free(k, s, d) for k, s, d in zip(kernel, stride, dilation)
    )
    rank = (
        checkerboard,
        unusual(layer.spec.family, current, recommended),
        len(values),
        relative_change(values, current),
        sum(recommended.get("output_padding", [0]) or [0]),
        sum(dilation),
        sum(kernel),
        sum(stride),
    )
    return Change(layer, values, exact=True, lossless=True, rank=rank, unusual=rank[1])


#: Solutions of one dim read to find one in the usual form when the solver's first is not.
USUAL_SCAN = 64


def _usual_solution(family: str, current: Dict[str, Tuple[int, ...]], result: SolveResult):
    """The first lossless solution not ``unusual``, when every dim asks the same question (a
    square layer): the solver puts fewest changed parameters first, which may be a kernel 13
    where stride 2 and padding 1 were meant. None when there is none near the top."""
    dims = result.dims
    if not dims or any((d.input, d.output) != (dims[0].input, dims[0].output) for d in dims):
        return None
    n = len(dims)
    for solution in itertools.islice(dims[0].solutions, USUAL_SCAN):
        if not solution.lossless:
            continue
        values = {name: [solution.value(name)] * n for name in FAMILY_PARAMS[family]}
        if family == AVG_POOL:
            values["dilation"] = [1] * n
        if not unusual(family, current, values):
            return values
    return None


# Culprit ranking (CONTRACT 5 and 6; docs/fixes.md). Among the single-layer changes that make
# the chain give the declared shape (the solver's answer for each layer, and each written
# parameter nudged by ``NUDGES``), the first is the one most likely to undo the mistake, by
# these keys in order:
#   1. checkerboard-free (a transposed convolution whose kernel is a multiple of its stride);
#   2. not ``unusual``: no parameter far from what is written (kernel at most 2k+1, stride at
#      most twice, dilation at most 2d+1) and no stride-1 convolution made to grow its input
#      (padding above dilation*(kernel-1)//2) unless it was written so: a kernel 16, padding 15
#      convolution that absorbs a neighbour's -1 is never preferred to that neighbour's edit;
#   3. fewest changed parameters;
#   4. smallest change relative to the written values (|new - old| / old, a padding relative to
#      its kernel), less one for a nudge that gives its layer its ``usual_form`` back;
#   5. a layer with an SHP2xx warning as written, then the one nearest the declaration;
#   6. output_padding 0, dilation 1, smaller kernel, smaller stride.
# An ``unusual`` change is still offered when nothing else holds, but never as ``safe``.
# Measured on the real models' 261 breaking mutations (benchmarks/fix_repair_rate.py): the
# fixes edit the mutated line in 207 of them, against 170 with "fewest changed parameters,
# smallest absolute change" alone, and repair 238 rather than 234.


def unusual(family: str, current: Dict[str, Tuple[int, ...]], new: Dict[str, Sequence[int]]) -> bool:
    """Whether the new parameters are far from those written, or not a layer's usual form."""
    def grows(params) -> bool:
        kernel, stride = params.get("kernel_size"), params.get("stride")
        padding, dilation = params.get("padding"), params.get("dilation")
        if family != CONV or kernel is None or stride is None or padding is None or dilation is None:
            return False
        return any(s == 1 and isinstance(p, int) and p > d * (k - 1) // 2
                   for k, s, p, d in zip(kernel, stride, padding, dilation))

    limits = {"kernel_size": lambda old: 2 * old + 1, "stride": lambda old: 2 * old,
              "dilation": lambda old: 2 * old + 1}
    for name, limit in limits.items():
        old, value = current.get(name), new.get(name)
        if old is None or value is None:
            continue
        if any(isinstance(o, int) and o > 0 and v > limit(o) for o, v in zip(old, value)):
            return True
    merged = {name: tuple(new.get(name, current.get(name) or ())) for name in set(current) | set(new)}
    return grows(merged) and not grows(current)


def relative_change(values: Dict[str, Any], current: Dict[str, Any]) -> float:
    """How far the new values are from the written ones, relative to them (a padding relative to
    the kernel it pads for: 0 -> 1 for a kernel 3 is a third, as 3 -> 4 is)."""
    total = 0.0
    for name, new in values.items():
        old = current.get(name)
        news = new if isinstance(new, (tuple, list)) else (new,)
        olds = old if isinstance(old, (tuple, list)) else (old,) * len(news)
        kernels = current.get("kernel_size") if name in ("padding", "output_padding") else None
        for i, (a, b) in enumerate(zip(news, olds)):
            if not (is_known(a) and is_known(b)):
                total += 16
                continue
            scale = abs(b)
            if kernels is not None and isinstance(kernels, (tuple, list)) and i < len(kernels) \
                    and is_known(kernels[i]):
                scale = kernels[i]
            total += abs(a - b) / max(scale, 1)
    return total


def describe(values: Dict[str, Any]) -> str:
    return ", ".join(f"{name}={_show(value)}" for name, value in values.items())


def _show(value: Any) -> str:
    if isinstance(value, (tuple, list)):
        if len(set(value)) == 1:
            return str(value[0])
        return "(" + ", ".join(str(v) for v in value) + ")"
    return repr(value) if isinstance(value, str) else str(value)


# --------------------------------------------------------------------------- chains


def chain_of(propagator: Propagator, tensor: Tensor) -> List[Step]:
    """The operations that led to ``tensor`` from the first tensor with no known producer."""
    steps: List[Step] = []
    seen = set()
    current: Any = tensor
    while isinstance(current, Tensor) and id(current) in propagator.producers and id(current) not in seen:
        seen.add(id(current))
        step = propagator.producers[id(current)]
        steps.append(step)
        if step.recompute is None:
            break
        current = step.input
    steps.reverse()
    return steps


class CountProducer(NamedTuple):
    """The layer whose ``param`` (``out_channels`` / ``out_features``) made a count that arrives
    somewhere, and the value of it that gives ``wanted`` there."""

    layer: LayerModule
    param: str
    current: int
    wanted: int


def count_producers(propagator: Propagator, tensor: Tensor, axis: int, wanted: int,
                    depth: int = 0) -> List[CountProducer]:
    """The layers upstream whose output count makes the size of ``axis`` of ``tensor``, walking
    back through what keeps that size (activations, norms, pooling, dropout, padding), through
    a flatten, where a count of ``C*H*W`` features comes from ``C`` channels (``wanted`` must
    then be a multiple of ``H*W``), a PixelShuffle (``C*r*r`` channels make ``C``), a chunk
    (the whole makes each piece) and a concatenation along the axis, where each operand's
    producer is a candidate, wanting what makes the sum ``wanted``. Empty when anything else
    made it (a view, an input): then no layer is the other side of a channel mismatch."""
    steps = chain_of(propagator, tensor)
    for step in reversed(steps):
        before, after = _shape_of(step.input), step.output.shape
        if after is None or not 0 <= axis < len(after) or not is_known(after[axis]):
            return []
        made = _output_count(step.module, after, axis)
        if made is not None:
            return [CountProducer(step.module, made, after[axis], wanted)] if wanted > 0 else []
        if before is None:
            return []
        if len(before) == len(after) and before[axis] == after[axis]:
            continue
        if len(before) == len(after) == axis + 3 and _shuffles_channels(step.module):
            if not is_known(before[axis]) or wanted * before[axis] % after[axis]:
                return []
            wanted = wanted * before[axis] // after[axis]
            continue
        flattened = _flattened(before, after, axis)
        if flattened is None:
            return []
        axis, rest = flattened
        if wanted % rest:
            return []
        wanted //= rest
    start = steps[0].input if steps else tensor
    join = getattr(propagator, "joins", {}).get(id(start)) if isinstance(start, Tensor) else None
    if join is None or depth > 4 or wanted <= 0:
        return []
    if join.pieces:
        whole = wanted * join.pieces if join.axis == axis else wanted
        return count_producers(propagator, join.parts[0], axis, whole, depth + 1)
    sizes = [_shape_of(part)[axis] if _shape_of(part) is not None and axis < len(_shape_of(part)) else None
             for part in join.parts]
    if join.axis != axis or not all(is_known(size) for size in sizes):
        return []
    found: List[CountProducer] = []
    for part, size in zip(join.parts, sizes):
        found += count_producers(propagator, part, axis, wanted - (sum(sizes) - size), depth + 1)
    return found


def _shuffles_channels(module: Any) -> bool:
    """A layer that trades channels for spatial size (PixelShuffle, PixelUnshuffle)."""
    return isinstance(module, LayerModule) and module.type_name in ("PixelShuffle", "PixelUnshuffle")


def _shape_of(value: Any) -> MaybeShape:
    return value.shape if isinstance(value, Tensor) else None


def _output_count(module: Any, after: Tuple, axis: int) -> Optional[str]:
    """The parameter of ``module`` that sets the size of ``axis`` of its output ``after``."""
    if not isinstance(module, LayerModule) or module.spec is None:
        return None
    if "out_features" in module.params and axis == len(after) - 1:
        param = "out_features"
    elif "out_channels" in module.params and module.spec.spatial_dims is not None \
            and axis == len(after) - 1 - module.spec.spatial_dims:
        param = "out_channels"
    else:
        return None
    return param if module.params.get(param) == after[axis] else None


def _flattened(before: Tuple, after: Tuple, axis: int) -> Optional[Tuple[int, int]]:
    """(the first flattened axis of ``before``, the product of the others) when ``after`` is
    ``before`` with its trailing axes from ``axis`` on flattened into ``axis``."""
    if axis != len(after) - 1 or len(before) <= len(after) or tuple(before[:axis]) != tuple(after[:axis]):
        return None
    merged = before[axis:]
    if not all(is_known(d) and d > 0 for d in merged):
        return None
    rest = 1
    for d in merged[1:]:
        rest *= d
    return (axis, rest) if merged[0] * rest == after[axis] else None


#: The work one suggestion search may do, in layer re-computations. Each size tried at a layer
#: re-runs the rest of its chain; runs are remembered per (layer, input shape), which makes a
#: stack of layers that keep the size linear in depth, but a chain whose sizes differ at every
#: layer still costs a run per try. About 6 us each: the search stops after ~1 s and says so
#: (``ChainSearch.exhausted``), keeping the changes found until then. An 11,000-layer stack
#: of one size fits (its first layer re-runs the chain for ~13 sizes, the others reuse them).
MAX_SEARCH_WORK = 150_000
#: A call of the solver counts as this many re-computations (~10x one, measured on Conv1d): a
#: deep chain of distinct layers asks it at every layer.
SOLVE_WORK = 10
#: A re-computation on sizes that are expressions of names (``(h + 1)//2``) counts as this many
#: (``_computes_on_names``): exact arithmetic on them costs ~1,000x an int's (a few milliseconds
#: a layer), and a search must stay well under a second.
SYMBOLIC_WORK = 5_000

#: Outcomes of a run of the rest of a chain other than a shape (or None, unknown).
_SHAPE_ERROR = "shape error"
_OTHER_ERROR = "other error"
_MISSING = object()


class _OutOfBudget(Exception):
    """The search did its ``MAX_SEARCH_WORK``."""


class _Chain:
    """A chain's steps and the remembered runs of its suffixes (one suggestion search)."""

    def __init__(self, steps: Sequence[Step], budget: int) -> None:
        self.steps = steps
        self.budget = budget
        self.spent = 0
        #: Per "as written" flag: (index of the first step run, its input shape) -> outcome.
        self._runs: Tuple[Dict[Tuple[int, Any], Any], Dict[Tuple[int, Any], Any]] = ({}, {})
        #: approximate_after[i]: a step after step i is a guess (a residual sum followed one way).
        approximate_after = [False] * (len(steps) + 1)
        for i in range(len(steps) - 1, 0, -1):
            approximate_after[i - 1] = approximate_after[i] or steps[i].approximate
        self.approximate_after = approximate_after
        #: Solver results by (layer type, parameters as written, input, target): a stack of
        #: identical layers asks the same question at every layer.
        self._solved: Dict[Tuple[str, str, Any, Any], Optional[SolveResult]] = {}
        #: ``recommended_change`` by (solver result, layer type, parameters): the same question
        #: gets the same answer (its scan for a usual solution is not cheap).
        self._recommended: Dict[Tuple[int, str, str], Tuple[SolveResult, Optional[Change]]] = {}

    def recommend(self, layer: LayerModule, result: SolveResult) -> Optional[Change]:
        key = (id(result), layer.spec.name, repr(sorted(layer.params.items())))
        known = self._recommended.get(key)
        if known is None or known[0] is not result:
            known = self._recommended[key] = (result, recommended_change(layer, result))
        change = known[1]
        return dataclasses.replace(change, layer=layer) if change is not None else None

    def solve(self, layer: LayerModule, layer_in: MaybeShape, target: MaybeShape,
              bounds: Bounds) -> Optional[SolveResult]:
        key = (layer.spec.name, repr(sorted(layer.params.items())), layer_in, target)
        try:
            found = self._solved.get(key, _MISSING)
        except TypeError:  # unhashable dims: asked afresh
            self.charge(SOLVE_WORK)
            return solve_layer(layer, layer_in, target, bounds)
        if found is _MISSING:
            self.charge(SOLVE_WORK)
            found = self._solved[key] = solve_layer(layer, layer_in, target, bounds)
        return found

    def charge(self, work: int) -> None:
        self.spent += work
        if self.spent > self.budget:
            raise _OutOfBudget()

    def run_from(self, start: int, shape: MaybeShape, as_written: bool = False) -> Any:
        """The output of the steps from ``start`` on, given the input shape of step ``start``:
        a shape, None (unknown), ``_SHAPE_ERROR`` or ``_OTHER_ERROR``."""
        runs = self._runs[as_written]
        steps = self.steps
        visited: List[Tuple[int, Any]] = []
        index = start
        while True:
            if index == len(steps):
                outcome = shape
                break
            key = (index, shape)
            try:
                outcome = runs.get(key, _MISSING)
            except TypeError:  # a shape with an unhashable dim: not remembered
                key, outcome = None, _MISSING
            if outcome is not _MISSING:
                break
            if key is not None:
                visited.append(key)
            step = steps[index]
            if step.recompute is None:
                outcome = None
                break
            self.charge(SYMBOLIC_WORK if _computes_on_names(shape) else 1)
            try:
                shape = step.output_for(shape, as_written)
            except ShapeError:
                outcome = _SHAPE_ERROR
                break
            except Exception:  # noqa: BLE001 - odd values: not this way
                outcome = _OTHER_ERROR
                break
            if shape is None:
                outcome = None
                break
            index += 1
        for key in visited:
            runs[key] = outcome
        return outcome


def _computes_on_names(shape: MaybeShape) -> bool:
    """Whether layers compute on names in this shape: a size after the first is one (the
    first, a batch, passes through every layer unchanged, at no cost)."""
    return shape is not None and any(is_symbolic(d) for d in shape[1:])


def _symbolic_targets(chain: _Chain, index: int, layer_out: Tuple[Any, ...], axis: int, want: Any) -> List[Any]:
    """``[want]`` when the rest of the chain after layer ``index`` keeps the size of ``axis`` as
    it is for every size of the names (then the layer itself must give ``want``); else none."""
    out = chain.run_from(index + 1, layer_out)
    if out is None or out is _SHAPE_ERROR or out is _OTHER_ERROR or len(out) != len(layer_out):
        return []
    return [want] if same_size(out[axis], layer_out[axis]) else []


def same_size(a: Any, b: Any) -> bool:
    """``a == b`` for every size of the names (ints and symbolic sizes alike)."""
    if is_known(a) and is_known(b):
        return a == b
    if a is None or b is None:
        return False
    from ..core import symbolic

    try:
        return symbolic.compare(as_expression(a), "==", as_expression(b)) is True
    except (ValueError, TypeError, ArithmeticError):
        return False


def _targets_for_axis(chain: _Chain, index: int, layer_out: Tuple[Any, ...], axis: int, want: int,
                      limit: int = 4) -> List[int]:
    """Sizes of the output of layer ``index`` on ``axis`` for which the rest of the chain gives
    ``want``."""
    def final(size: int) -> Optional[int]:
        shape = tuple(layer_out[:axis]) + (size,) + tuple(layer_out[axis + 1 :])
        out = chain.run_from(index + 1, shape)
        if out is _SHAPE_ERROR:
            return -1
        if out is None or out is _OTHER_ERROR or len(out) != len(layer_out) or not is_known(out[axis]):
            return None
        return out[axis]

    current = layer_out[axis]
    if is_known(current) and final(current) == want:
        return [current]
    high = min(max(4 * want, 2 * (current if is_known(current) else 1), 64), 1 << 16)
    low = 1
    # The rest of a chain of convolutions, pools and resizes never shrinks as its input grows.
    while low < high:
        middle = (low + high) // 2
        value = final(middle)
        if value is None:
            return []
        if value < want:
            low = middle + 1
        else:
            high = middle
    found = []
    size = low
    while len(found) < limit and size <= low + 4 * limit:
        value = final(size)
        if value == want:
            found.append(size)
        elif value is not None and value > want:
            break
        size += 1
    return found


@dataclass
class ChainSearch:
    """What a suggestion search found: changes best first, the solver results of the layers that
    could reach the size only lossily, and why the search stopped early (None: it did not)."""

    changes: List[Change] = field(default_factory=list)
    lossy: List[Tuple[LayerModule, SolveResult]] = field(default_factory=list)
    exhausted: Optional[str] = None


def chain_changes(propagator: Propagator, tensor: Tensor, declared: MaybeShape, bounds: Bounds,
                  verify: Callable[[MaybeShape], bool], budget: int = MAX_SEARCH_WORK) -> ChainSearch:
    """Single-layer changes that make the chain ending at ``tensor`` produce ``declared``."""
    steps = chain_of(propagator, tensor)
    search = ChainSearch()
    if not steps or declared is None:
        return search
    chain = _Chain(steps, budget)
    try:
        _layer_changes(chain, declared, bounds, verify, search)
        _size_param_changes(chain, declared, verify, search.changes)
    except _OutOfBudget:
        search.exhausted = (
            f"it reached its budget ({budget:,} layer re-computations) on a path of {len(steps):,}"
            f" operations, so layers nearer the input were not tried"
        )
    else:
        try:
            _nudge_changes(chain, verify, search.changes)
            _shared_name_changes(chain, verify, search.changes)
            _call_literal_changes(chain, verify, search.changes)
            _other_nudges(chain, verify, search.changes)
            _name_nudges(chain, verify, search.changes, getattr(propagator, "modules", ()))
        except _OutOfBudget:
            pass  # the nudges are a second opinion: what the budget left is what they get
    search.changes.sort(key=lambda c: c.rank)
    unique: Dict[Tuple[int, str], Change] = {}
    for change in search.changes:
        unique.setdefault((id(change.layer), describe(change.values)), change)
    search.changes = list(unique.values())
    return search


def _layer_changes(chain: _Chain, declared: MaybeShape, bounds: Bounds,
                   verify: Callable[[MaybeShape], bool], search: ChainSearch) -> None:
    """For each convolution or pooling on the chain, its best change (appended as found)."""
    steps = chain.steps
    for index, step in enumerate(steps):
        layer = step.module
        if not isinstance(layer, LayerModule) or layer.spec.family not in SOLVABLE:
            continue
        if not editable(layer) or not isinstance(step.input, Tensor):
            continue
        layer_in = step.input.shape
        layer_out = step.output.shape
        n = layer.spec.spatial_dims
        if layer_in is None or layer_out is None or len(layer_out) != len(declared):
            continue
        per_axis: List[List[int]] = []
        for axis in range(len(layer_out) - n, len(layer_out)):
            want = declared[axis]
            if is_symbolic(want):
                per_axis.append(_symbolic_targets(chain, index, layer_out, axis, want))
            elif not is_known(want):
                current = layer_out[axis]
                per_axis.append([current] if is_known(current) else [])
            else:
                per_axis.append(_targets_for_axis(chain, index, layer_out, axis, want))
        if not all(per_axis):
            continue
        best: Optional[Change] = None
        for combo in itertools.islice(itertools.product(*per_axis), 16):
            target = tuple(layer_out[:-n]) + tuple(combo)
            result = chain.solve(layer, layer_in, target, bounds)
            if result is None:
                continue
            change = chain.recommend(layer, result)
            if change is None:
                if result.recommended is None:
                    search.lossy.append((layer, result))
                continue
            if not _verifies(chain, index, layer, change, verify):
                continue
            # On a tie, prefer the layer that is poor as written (its SHP2xx warnings go too),
            # then the one nearest the declaration.
            try:
                poor = bool(layer.spec.warnings(layer.params))
            except Exception:  # noqa: BLE001
                poor = False
            change.rank = change.rank[:4] + (not poor, -index) + change.rank[4:]
            change.approximate = chain.approximate_after[index]
            if best is None or change.rank < best.rank:
                best = change
        if best is not None:
            search.changes.append(best)


#: The steps a written parameter is nudged by, in the order tried (the usual slips).
NUDGES = (-1, 1, -2, 2)
#: Only the layers among this many steps before the declaration are nudged (a deep stack's
#: search stays linear in its depth).
MAX_NUDGED_STEPS = 256


def nudged(current: Dict[str, Tuple[int, ...]], name: str) -> List[Tuple[int, ...]]:
    """The written value of parameter ``name`` moved by each of ``NUDGES``: every dim at once when
    they are all equal, then one dim at a time (a ``padding=(0, 1, 1)`` written ``(1, 1, 1)``)."""
    written = current.get(name)
    if not written:
        return []
    lowest = 0 if name in ("padding", "output_padding") else 1
    found = []
    for delta in NUDGES:
        choices = [(written[0] + delta,) * len(written)] if len(set(written)) == 1 else []
        if len(written) > 1:
            choices += [written[:i] + (written[i] + delta,) + written[i + 1:] for i in range(len(written))]
        found.extend(c for c in choices if min(c) >= lowest)
    return found


def usual_form(family: str, params: Dict[str, Tuple[int, ...]]) -> bool:
    """Whether a layer's parameters have the form people write: a stride-1 convolution that
    keeps the size (``padding == dilation*(kernel-1)//2``, odd kernel), a strided one that
    divides it by its stride (the same padding, any kernel: 3 or 4 with padding 1; or patches,
    ``kernel == stride`` without padding), a transposed convolution that multiplies it by its
    stride (``kernel % stride == 0``, ``padding == (kernel - stride)//2``), a pooling whose
    stride is its kernel."""
    try:
        rows = list(zip(params["kernel_size"], params["stride"], params["padding"],
                        params.get("dilation") or (1,) * len(params["kernel_size"])))
    except (KeyError, TypeError):
        return False
    for k, s, p, d in rows:
        if family == CONV and s == 1 and not (k % 2 == 1 and p == d * (k - 1) // 2):
            return False
        if family == CONV and s > 1 and not (p == d * (k - 1) // 2 or d == 1 and k == s and p == 0):
            return False
        if family == CONV_TRANSPOSE and not (d == 1 and k % s == 0 and 2 * p == k - s):
            return False
        if family in (MAX_POOL, AVG_POOL) and s != k:
            return False
    return True


def _nudge_changes(chain: _Chain, verify: Callable[[MaybeShape], bool], changes: List[Change]) -> None:
    """Each written parameter of each convolution or pooling on the chain moved by a small step
    (``NUDGES``) that makes the chain give what ``verify`` wants: the usual slip undone. Works
    where the solver cannot be asked (a Flatten or a reshape between the layer and the
    declaration). Appended to ``changes`` as found, ranked as ``recommended_change`` ranks."""
    for index, layer, current in _nudged_layers(chain):
        family = layer.spec.family
        was_usual = usual_form(family, current)
        for name in FAMILY_PARAMS[family]:
            for value in nudged(current, name):
                new = dict(current, **{name: value})
                if name == "kernel_size" and family in (MAX_POOL, AVG_POOL) and layer.params.get("stride") is None:
                    new["stride"] = new[name]  # a pool's stride follows its kernel when not written
                if not lossless_params(family, new):
                    continue
                change = Change(layer, {name: new[name]}, approximate=chain.approximate_after[index],
                                slip=max(abs(a - b) for a, b in zip(new[name], current[name])))
                repaired = usual_form(family, new) and not was_usual
                checkerboard = family == CONV_TRANSPOSE and not all(
                    formulas.is_checkerboard_free(k, s, d)
                    for k, s, d in zip(new["kernel_size"], new["stride"], new["dilation"]))
                change.unusual = unusual(family, current, new)
                change.rank = (checkerboard, change.unusual, 1,
                               relative_change(change.values, current) - repaired, True, -index)
                change.form_repaired = repaired
                if _verifies(chain, index, layer, change, verify):
                    changes.append(change)
                    break


def _nudged_layers(chain: _Chain):
    """(index, layer, its solver parameters) of the convolutions and poolings on the chain that
    may be nudged (``_nudged_steps``)."""
    for index, layer in _nudged_steps(chain):
        if layer.spec.family in SOLVABLE:
            current = current_params(layer)
            if current is not None:
                yield index, layer, current


def _nudged_steps(chain: _Chain):
    """(index, layer) of the editable layers on the chain that may be nudged: after the last
    declared shape on it, among the last ``MAX_NUDGED_STEPS``."""
    # A layer before a declared shape on the chain would change it: only those after the last.
    declared_at = [i for i, step in enumerate(chain.steps[:-1])
                   if getattr(step.module, "declared_output", None) is not None]
    first = max(declared_at[-1] + 1 if declared_at else 0, len(chain.steps) - MAX_NUDGED_STEPS)
    for index, step in enumerate(chain.steps):
        layer = step.module
        if index < first or not isinstance(layer, LayerModule) or layer.spec is None:
            continue
        if editable(layer) and isinstance(step.input, Tensor):
            yield index, layer


#: The size parameters of layers the solver does not know that are nudged: a padding layer's
#: padding, an upsampling's integer scale factor, a pixel shuffle's upscale factor.
OTHER_NUDGED = ("padding", "scale_factor", "upscale_factor")


def _other_nudges(chain: _Chain, verify: Callable[[MaybeShape], bool], changes: List[Change]) -> None:
    """Each integer of the padding of a padding layer (``ZeroPad2d((1, 0, 1, 0))``) and of an
    upsampling's scale factor on the chain moved by a small step (``NUDGES``) that makes the
    chain give what ``verify`` wants; a layer built several times by one call with that value
    written as a literal changes at every instance on the chain. Ranked as a nudge, relative to
    the written value; re-checked on the file (``approximate``)."""
    done: Set[int] = set()
    for index, layer in reversed(list(_nudged_steps(chain))):
        if layer.spec.family in SOLVABLE or id(layer.node) in done:
            continue
        done.add(id(layer.node))
        written = argument_nodes(layer)
        names = {p.name for p in layer.spec.signature}
        for name in OTHER_NUDGED:
            value = layer.params.get(name)
            if name not in names or name not in written:
                continue
            # Every layer of the call on the chain takes the literal's new value; a value that
            # is not a literal there (a caller's argument) changes at this layer only.
            same = [i for i, step in enumerate(chain.steps) if isinstance(step.module, LayerModule)
                    and step.module.node is layer.node] if _literal(written[name]) else [index]
            for new, step in _nudged_value(value, 0 if name == "padding" else 1):
                values = {id(chain.steps[i].module): {name: new} for i in same}
                if not _verifies_all(chain, values, verify):
                    continue
                change = Change(layer, {name: new}, approximate=True, slip=step)
                change.rank = (False, False, 1, relative_change({name: new}, {name: value}), True, -index)
                changes.append(change)
                break


def _name_nudges(chain: _Chain, verify: Callable[[MaybeShape], bool], changes: List[Change],
                 modules: Sequence[Tuple[str, ModuleValue]]) -> None:
    """Each name that the arguments of several layers on the chain read, built by one block
    (``up_scale`` of ``Conv2d(c, c * up_scale ** 2)`` and ``PixelShuffle(up_scale)``) or by the
    model (a default ``k`` read by every convolution's kernel and padding), moved by a small step
    (``NUDGES``): every argument of those layers that reads it recomputed (counts too), the
    chain run with all of them changed. The change of the first of them that takes the name as
    an argument of its own (its edit is the name's, at its source), when the chain gives what
    ``verify`` wants: the slip of a value a block's caller or a default passes to several layers."""
    if not modules:
        return
    owner_of_layer = _owners(modules)
    owners: Dict[int, Optional[ModuleValue]] = {}
    groups: Dict[Tuple[str, int, int], List[Tuple[int, LayerModule, Dict[str, ast.expr]]]] = {}
    for index, layer in _nudged_steps(chain):
        readers: Dict[str, Dict[str, ast.expr]] = {}
        for param, node in argument_nodes(layer).items():
            for name in {n.id for n in ast.walk(node) if type(n) is ast.Name}:
                if type(layer.argument_names.get(name)) is int:
                    readers.setdefault(name, {})[param] = node
        owner = owner_of_layer(layer)
        owners[id(owner)] = owner
        for name, nodes in readers.items():
            key = (name, layer.argument_names[name], id(owner))
            if all(other is not layer for _, other, _ in groups.get(key, [])):
                groups.setdefault(key, []).append((index, layer, nodes))
    for (name, old, owner), members in groups.items():
        if len({id(layer.node) for _, layer, _ in members}) < 2:
            continue  # one call's layers: ``_shared_name_changes`` and the nudges see to it
        if not _read_by_these_only(owners.get(owner), name, [layer.node for _, layer, _ in members]):
            continue
        own = [(index, layer) for index, layer, nodes in reversed(members)
               if any(type(node) is ast.Name and node.id == name for node in nodes.values())]
        if not own:
            continue
        for delta in NUDGES:
            if old + delta < 1:
                continue
            values = _with_name(members, name, old + delta)
            if values is None or not _verifies_all(chain, values, verify):
                continue
            index, layer = own[0]
            if id(layer) not in values:
                continue
            change = Change(layer, values[id(layer)], approximate=True, slip=abs(delta))
            current = {p: layer.params.get(p) for p in change.values}
            # Usual forms regained (a kernel 2 with padding 1 back to 3), none lost.
            forms = [_usual_before_after(member, values.get(id(member))) for _, member, _ in members]
            change.form_repaired = any(not a and b for a, b in forms) and not any(a and not b for a, b in forms)
            change.rank = (False, False, 1, relative_change(change.values, current) - change.form_repaired,
                           True, -index)
            changes.append(change)
            break


def _owners(modules: Sequence[Tuple[str, ModuleValue]]) -> Callable[[ModuleValue], Optional[ModuleValue]]:
    """The nearest user-module ancestor of a module in ``modules`` (``named_modules()``), each
    found by walking its name up (``edit_sources.owner_of`` for many modules)."""
    by_name = {name: module for name, module in modules}
    names: Dict[int, str] = {}
    for name, module in modules:
        names.setdefault(id(module), name)

    def owner(module: ModuleValue) -> Optional[ModuleValue]:
        name = names.get(id(module))
        while name:
            name = name.rpartition(".")[0]
            if isinstance(by_name.get(name), UserModule):
                return by_name[name]
        return None

    return owner


def _usual_before_after(layer: LayerModule, changed: Optional[Dict[str, Any]]) -> Tuple[bool, bool]:
    """Whether a convolution or pooling is in its usual form as written and with ``changed``."""
    current = current_params(layer) if layer.spec.family in SOLVABLE else None
    if current is None or not changed:
        return True, True
    n = layer.spec.spatial_dims or 1
    new = dict(current, **{k: per_dim(v, n) for k, v in changed.items() if k in current})
    return usual_form(layer.spec.family, current), usual_form(layer.spec.family, new)


def _read_by_these_only(owner: Optional[ModuleValue], name: str, calls: Sequence[ast.AST]) -> bool:
    """Whether the ``__init__`` of the block ``owner`` builds the layers of ``calls`` and reads
    ``name`` nowhere else (a ``Chomp1d(padding)`` beside the convolutions reads it too: the
    chain cannot say what its change does there)."""
    found = owner.cls.find_method("__init__") if isinstance(owner, UserModule) and owner.cls is not None else None
    if found is None:
        return False
    init = found[1]
    distinct = {id(call): call for call in calls}.values()
    if not all(isinstance(call, ast.AST) and init.lineno <= getattr(call, "lineno", 0) <= init.end_lineno
               for call in distinct):
        return False  # built by a helper function: its parameter, not the block's

    def loads(node: ast.AST) -> int:
        return sum(type(n) is ast.Name and n.id == name and type(n.ctx) is ast.Load for n in ast.walk(node))

    return loads(init) == sum(loads(call) for call in distinct)


def _with_name(members, name: str, value: int) -> Optional[Dict[int, Dict[str, Any]]]:
    """id(layer) -> the parameters of each of ``members`` (index, layer, the arguments that read
    ``name``) that change with ``name`` = ``value``; None when one cannot be evaluated."""
    found: Dict[int, Dict[str, Any]] = {}
    for _, layer, nodes in members:
        known = dict(layer.argument_names, **{name: value})
        changed = {}
        for param, node in nodes.items():
            new = _argument_value(node, known, {})
            if new is None:
                return None
            if new != layer.params.get(param):
                changed[param] = new
        current = current_params(layer) if layer.spec.family in SOLVABLE else None
        if current is not None and changed:
            n = layer.spec.spatial_dims or 1
            params = dict(current, **{k: per_dim(v, n) for k, v in changed.items() if k in current})
            if any(v is None for v in params.values()) or not _valid_params(params) \
                    or not lossless_params(layer.spec.family, params):
                return None
        if changed:
            found[id(layer)] = changed
    return found or None


def _nudged_value(value: Any, lowest: int) -> List[Tuple[Any, int]]:
    """(new value, step) for an integer or a tuple of integers: the whole value moved by each
    of ``NUDGES`` (every item at once when they are all equal), then one item at a time; no
    item below ``lowest``."""
    found: List[Tuple[Any, int]] = []
    if type(value) is int:
        found = [(value + delta, abs(delta)) for delta in NUDGES]
    elif isinstance(value, tuple) and value and all(type(v) is int for v in value):
        for delta in NUDGES:
            if len(set(value)) == 1:
                found.append((tuple(v + delta for v in value), abs(delta)))
            found.extend((value[:i] + (value[i] + delta,) + value[i + 1:], abs(delta)) for i in range(len(value)))
    return [(new, step) for new, step in found if min(new if isinstance(new, tuple) else (new,)) >= lowest]


def _shared_name_changes(chain: _Chain, verify: Callable[[MaybeShape], bool], changes: List[Change]) -> None:
    """Each name that several solver parameters of a layer on the chain read (``r`` of
    ``kernel_size=r * 2, stride=r, padding=r // 2 + r % 2``) moved by a small step (``NUDGES``):
    the parameters it gives together, when they make the chain give what ``verify`` wants. One
    edit where the name is written (``shared_name_edit``), ranked as a nudge: the slip of one
    value of a loop's sequence undone, which no single parameter's change expresses."""
    for index, layer, current in _nudged_layers(chain):
        family = layer.spec.family
        n = layer.spec.spatial_dims or 1
        was_usual = usual_form(family, current)
        for name, readers in shared_names(layer).items():
            if not set(readers) <= set(FAMILY_PARAMS[family]):
                continue
            old = layer.argument_names[name]
            for delta in NUDGES:
                got = shared_name_values(layer, name, readers, old + delta) if old + delta >= 0 else None
                new = dict(current, **{p: per_dim(v, n) for p, v in (got or {}).items()})
                if got is None or any(v is None for v in new.values()) or new == current:
                    continue
                if not _valid_params(new) or not lossless_params(family, new):
                    continue
                values = {p: new[p] for p in readers if new[p] != current[p]}
                change = Change(layer, values, approximate=chain.approximate_after[index], slip=abs(delta))
                repaired = usual_form(family, new) and not was_usual
                checkerboard = family == CONV_TRANSPOSE and not all(
                    formulas.is_checkerboard_free(k, s, d)
                    for k, s, d in zip(new["kernel_size"], new["stride"], new["dilation"]))
                change.unusual = unusual(family, current, new)
                change.rank = (checkerboard, change.unusual, 1,
                               relative_change(values, current) - repaired, True, -index)
                change.form_repaired = repaired
                if _verifies(chain, index, layer, change, verify):
                    changes.append(change)


def _call_literal_changes(chain: _Chain, verify: Callable[[MaybeShape], bool], changes: List[Change]) -> None:
    """Each integer literal of a solver parameter's argument, in a call that built several
    layers on the chain (a loop, a block or a helper used several times), moved by a small step
    (``NUDGES``): every layer that call built changes at once (``kernel_size=2 * stride`` gives
    each its own value), as the edit of that literal does. The change of the layer nearest the
    declaration, when the chain run with all of them changed gives what ``verify`` wants: the
    slip of one literal that every instance repeats, which no single layer's change expresses."""
    done: Set[int] = set()
    for index, layer, current in reversed(list(_nudged_layers(chain))):
        call = layer.node
        if id(call) in done:
            continue
        done.add(id(call))
        built = [(i, step.module) for i, step in enumerate(chain.steps) if isinstance(step.module, LayerModule)
                 and step.module.node is call and isinstance(step.input, Tensor)]
        if len(built) < 2:
            continue
        family = layer.spec.family
        n = layer.spec.spatial_dims or 1
        for name, node in argument_nodes(layer).items():
            if name not in FAMILY_PARAMS[family]:
                continue
            literals = [child for child in ast.walk(node) if type(child) is ast.Constant and type(child.value) is int]
            for literal in literals:
                for delta in NUDGES:
                    if literal.value + delta < 0:
                        continue
                    found = _with_literal(built, node, literal, literal.value + delta, name, n)
                    if found is None:
                        continue
                    change = Change(layer, {name: found[id(layer)]}, approximate=True, slip=abs(delta))
                    new = dict(current, **{name: found[id(layer)]})
                    if name == "kernel_size" and family in (MAX_POOL, AVG_POOL) and layer.params.get("stride") is None:
                        new["stride"] = new[name]  # a pool's stride follows its kernel when not written
                    change.form_repaired = usual_form(family, new) and not usual_form(family, current)
                    change.rank = (False, False, 1, relative_change(change.values, current) - change.form_repaired,
                                   True, -index)
                    if _verifies_all(chain, {key: {name: value} for key, value in found.items()}, verify):
                        changes.append(change)
                        break


def _with_literal(built, node: ast.expr, literal: ast.Constant, value: int, name: str,
                  n: int) -> Optional[Dict[int, Tuple[int, ...]]]:
    """id(layer) -> the parameter ``name`` of each of the ``built`` layers (index, layer) with
    ``literal`` of its argument ``node`` written ``value``; None when one of them cannot be
    evaluated, takes an invalid or lossy value, or none changes."""
    found = {}
    for _, module in built:
        new = per_dim(_argument_value(node, module.argument_names, {id(literal): value}), n)
        params = current_params(module)
        if new is None or params is None:
            return None
        params = dict(params, **{name: new})
        if not _valid_params(params) or not lossless_params(module.spec.family, params):
            return None
        found[id(module)] = new
    if all(found[id(module)] == current_params(module)[name] for _, module in built):
        return None
    return found


def _argument_value(node: ast.expr, names: Dict[str, int], literals: Dict[int, int]) -> Any:
    """An argument's value (an integer, or a tuple of them) with the ``literals`` written
    otherwise; None when it is not plain arithmetic of known names."""
    if type(node) in (ast.Tuple, ast.List):
        values = tuple(evaluate(element, names, literals) for element in node.elts)
        return None if None in values else values
    return evaluate(node, names, literals)


def _verifies_all(chain: _Chain, values: Dict[int, Dict[str, Any]], verify: Callable[[MaybeShape], bool]) -> bool:
    """Re-run the chain from the first layer in ``values`` (id(layer) -> its new parameters)
    with each of them changed: the declared shape must come out."""
    steps = chain.steps
    first = min(i for i, step in enumerate(steps) if id(step.module) in values)
    shape = steps[first].input.shape
    for step in steps[first:]:
        module = step.module
        chain.charge(1)
        try:
            if id(module) in values:
                shape = module.spec.infer(dict(module.params, **values[id(module)]), shape, {})
            elif step.recompute is None:
                return False
            else:
                shape = step.output_for(shape)
        except Exception:  # noqa: BLE001 - ShapeError or odd values: not this way
            return False
        if shape is None:
            return False
    try:
        return bool(verify(shape))
    except Exception:  # noqa: BLE001
        return False


def splits_value(change: Change) -> bool:
    """Whether the change gives a parameter written once for all dims (``kernel_size=4``, or
    not written) a different value per dim (``(4, 3)``): a square layer made oblong, which
    the code did not mean when the model is square elsewhere."""
    layer = change.layer
    written = argument_nodes(layer)
    n = (layer.spec.spatial_dims or 1) if layer.spec is not None else 1
    for name, value in change.values.items():
        values = per_dim(value, n)
        if values is not None and len(set(values)) > 1 and type(written.get(name)) not in (ast.Tuple, ast.List):
            return True
    return False


def _valid_params(params: Dict[str, Tuple[int, ...]]) -> bool:
    """Whether PyTorch takes the values: paddings from 0, the rest from 1."""
    lowest = {"padding": 0, "output_padding": 0}
    return all(min(values) >= lowest.get(name, 1) for name, values in params.items())


#: The parameters that set a size (not a count): what a slip against a sibling layer changes.
SIZE_PARAMS = ("kernel_size", "stride", "padding", "dilation", "output_padding")
#: Sibling values tried per parameter of a layer (each a chain re-run).
MAX_SIBLING_VALUES = 4


def sibling_changes(propagator: Propagator, tensor: Tensor, verify: Callable[[MaybeShape], bool],
                    layers: Sequence[LayerModule], siblings: Sequence[LayerModule]) -> List[Change]:
    """Changes of one size parameter of one of ``layers`` (steps of the chain ending at
    ``tensor``) to the value a layer of the same type among ``siblings`` has, that make the chain
    give what ``verify`` wants: the slip against the pattern of the model undone (a
    ``ReflectionPad2d(2)`` where the others pad 1). Works for layers the solver does not know."""
    steps = chain_of(propagator, tensor)
    chain = _Chain(steps, MAX_SEARCH_WORK)
    wanted = {id(layer) for layer in layers}
    found: List[Change] = []
    try:
        for index, step in enumerate(steps):
            layer = step.module
            if id(layer) not in wanted or not isinstance(step.input, Tensor) or not editable(layer):
                continue
            n = layer.spec.spatial_dims or 1
            for name in SIZE_PARAMS:
                current = per_dim(layer.params.get(name), n)
                if current is None:
                    continue
                values: Dict[Tuple[int, ...], Any] = {}  # per dim -> as the sibling has it
                for other in siblings:
                    value = per_dim(other.params.get(name), n)
                    if other is not layer and other.type_name == layer.type_name and value is not None \
                            and value != current and value not in values:
                        values[value] = other.params.get(name)
                for value, raw in list(values.items())[:MAX_SIBLING_VALUES]:
                    change = Change(layer, {name: raw}, approximate=chain.approximate_after[index])
                    # The layer most against the pattern first: its value rare, the new one common.
                    common = sum(other.type_name == layer.type_name and per_dim(other.params.get(name), n) == value
                                 for other in siblings)
                    # Layers its own call built (a block used several times) repeat its writing.
                    rare = 1 + sum(other.type_name == layer.type_name and other.node is not layer.node
                                   and per_dim(other.params.get(name), n) == current for other in siblings)
                    # Not a slip when another layer shares the current value; a kernel is what
                    # tells branches apart (Inception's 1, 3, 5): only a kernel most share.
                    if rare > 1 or (name == "kernel_size" and common < 2):
                        continue
                    change.rank = (False, False, 0, float(rare - common), True, -index)
                    if _verifies(chain, index, layer, change, verify):
                        found.append(change)
                        break
    except _OutOfBudget:
        pass  # a second opinion: what the budget left is what it gets
    return sorted(found, key=lambda c: c.rank)


def lossless_params(family: str, params: Dict[str, Tuple[int, ...]]) -> bool:
    dilations = params.get("dilation") or (1,) * len(params["kernel_size"])
    outs = params.get("output_padding") or (0,) * len(params["kernel_size"])
    for k, s, p, d, o in zip(params["kernel_size"], params["stride"], params["padding"], dilations, outs):
        if not formulas.is_lossless(k, s, p, d):
            return False
        if family == CONV_TRANSPOSE and o >= max(s, d):
            return False
        if family in (MAX_POOL, AVG_POOL) and 2 * p > k:
            return False
    return True


def _size_param_changes(chain: _Chain, declared: MaybeShape, verify: Callable[[MaybeShape], bool],
                        changes: List[Change]) -> None:
    """Changes of a layer's output size (a global pooling's, a channel or feature count) that
    make the chain give ``declared`` (appended to ``changes`` as found)."""
    steps = chain.steps
    final = steps[-1].output.shape if steps else None
    if final is None or declared is None:
        return
    _global_pool_changes(chain, verify, changes)
    if len(final) != len(declared):
        return
    wanted = {declared[i] for i in range(len(final))
              if is_known(declared[i]) and is_known(final[i]) and declared[i] != final[i]}
    for index, step in enumerate(steps):
        layer = step.module
        if not isinstance(layer, LayerModule) or not editable(layer) or not isinstance(step.input, Tensor):
            continue
        if not layer.spec.output_size_params:
            continue
        try:
            poor = bool(layer.spec.warnings(layer.params))
        except Exception:  # noqa: BLE001
            poor = False
        for name in layer.spec.output_size_params:
            current = layer.params.get(name)
            for value in _size_candidates(step, name, current, declared, wanted):
                change = Change(layer, {name: value}, approximate=chain.approximate_after[index])
                change.rank = (False, False, 1, relative_change({name: value}, {name: current}), not poor, -index)
                if _verifies(chain, index, layer, change, verify):
                    changes.append(change)


def _global_pool_changes(chain: _Chain, verify: Callable[[MaybeShape], bool], changes: List[Change]) -> None:
    """A global pooling that pools to more than one position (rank errors follow a squeeze)."""
    for index, step in enumerate(chain.steps):
        layer = step.module
        if isinstance(layer, LayerModule) and layer.spec.adaptive and editable(layer):
            current = layer.params.get("output_size")
            if current != 1 and isinstance(step.input, Tensor):
                change = Change(layer, {"output_size": 1}, rank=(False, False, 1, 1.0, True, -index),
                                approximate=chain.approximate_after[index])
                if _verifies(chain, index, layer, change, verify):
                    changes.append(change)


def _size_candidates(step: Step, name: str, current: Any, declared: Tuple[Any, ...],
                     wanted: Set[Any]) -> List[Any]:
    """Values of output-size parameter ``name`` worth trying: the declared sizes that differ."""
    if name != "size":
        if not is_known(current):
            return []
        return [v for v in sorted(wanted) if v != current and v > 0]
    # nn.Upsample(size=...): the declared sizes of the dims it sets.
    out = step.output.shape
    if not isinstance(current, (tuple, list)) or out is None or len(out) != len(declared):
        return []
    n = len(current)
    value = tuple(declared[len(out) - n + i] if is_known(declared[len(out) - n + i]) else current[i]
                  for i in range(n))
    if value == tuple(current) or not all(is_known(v) and v > 0 for v in value):
        return []
    return [value]


def _verifies(chain: _Chain, index: int, layer: LayerModule, change: Change,
              verify: Callable[[MaybeShape], bool]) -> bool:
    """Re-run the whole chain with the change applied: the declared shape must come out."""
    params = dict(layer.params)
    for name, value in change.values.items():
        params[name] = tuple(value) if isinstance(value, (tuple, list)) else value
    step = chain.steps[index]
    for as_written in (False, True):
        try:
            shape = layer.spec.infer(params, step.input.shape, {})
        except Exception:  # noqa: BLE001 - ShapeError or odd values: not this way
            continue
        shape = chain.run_from(index + 1, shape, as_written)
        if shape is None or shape is _SHAPE_ERROR or shape is _OTHER_ERROR:
            continue
        try:
            if verify(shape):
                return True
        except Exception:  # noqa: BLE001 - odd values: not this way
            continue
    return False


# --------------------------------------------------------------------------- edits


_NUMBERS = (int, float)


def _literal(node: ast.expr) -> bool:
    kind = type(node)
    if kind is ast.Constant:
        value = node.value
        return value is None or isinstance(value, (int, float, str, bytes)) and not isinstance(value, complex)
    if kind is ast.UnaryOp:
        operand = node.operand
        return type(operand) is ast.Constant and type(operand.value) in _NUMBERS
    if kind is ast.Tuple or kind is ast.List:
        return all(type(e) is not ast.Starred and _literal(e) for e in node.elts)
    return False


def _format(value: Any, original: Optional[ast.expr]) -> str:
    if isinstance(value, str):
        return repr(value)
    if not isinstance(value, (tuple, list)):
        return str(value)
    values = list(value)
    if isinstance(original, ast.List):
        return "[" + ", ".join(map(str, values)) + "]"
    if isinstance(original, ast.Tuple) or len(set(values)) > 1:
        if len(values) == 1:
            return f"({values[0]},)"
        return "(" + ", ".join(map(str, values)) + ")"
    return str(values[0])


def _argument_text(positions: Positions, call: ast.Call, arg: ast.AST, index: int) -> str:
    """An argument's value as written, with the parentheses around it (``k=(3)`` gives ``(3)``)."""
    if isinstance(arg, ast.keyword):
        written = positions.source(arg)
        _, equal, after = written.partition("=")
        after = after.strip()
        if equal and after.startswith("(") and after.endswith(")"):
            return after
        return positions.source(arg.value)
    text = positions.source(arg)
    if index == 0:
        gap = positions.between(call.func, arg)
        opening = gap.count("(") - 1  # the call's own parenthesis
    else:
        gap = positions.between(call.args[index - 1], arg)
        opening = gap.rpartition(",")[2].count("(")
    if opening <= 0:
        return text
    following = call.args[index + 1] if index + 1 < len(call.args) else (call.keywords[0] if call.keywords else None)
    after = positions.between(arg, following) if following is not None else positions.until_end(arg, call)
    closing = 0
    for char in after:
        if char == ")":
            closing += 1
        elif not char.isspace():
            break
    if following is None:
        closing -= 1  # the call's own parenthesis (when no trailing comma follows)
        if after.rstrip().rstrip(")").rstrip().endswith(","):
            closing += 1
    wrap = min(opening, closing)
    if wrap <= 0:
        return text
    before = gap
    cut = len(before)
    for _ in range(wrap):
        cut = before.rindex("(", 0, cut)
    end = 0
    seen = 0
    while seen < wrap:
        if after[end] == ")":
            seen += 1
        end += 1
    return before[cut:] + text + after[:end]


@dataclass
class LayerEdit:
    edits: List[Edit] = field(default_factory=list)
    code: str = ""
    #: Every replaced text is a literal (always so: an expression is never replaced by one).
    literal: bool = True
    #: Every edit is in the layer's own call and replaces a literal there (or adds a keyword):
    #: an edit confined to the culprit, which may be ``safe``.
    local: bool = True
    #: The range of the text the fix changes (the first edit's): the argument of the layer, or
    #: the caller's argument that feeds a reusable block, or the default or constant it comes from.
    target: Optional[Tuple[Tuple[int, int], Tuple[int, int]]] = None


def editable(layer: ModuleValue) -> bool:
    """Whether a fix may change the layer: not when it is built under a condition that could not
    be decided (it may not exist as written) or by another file's code (not this file's text)."""
    return not layer.uncertain and layer.elsewhere is None


def layer_edit(layer: LayerModule, values: Dict[str, Any], positions: Positions,
               sources: Optional[Sources] = None) -> Optional[LayerEdit]:
    """Edits giving ``layer``'s constructor arguments the ``values``, made where each value is
    written (``edit_sources``): a literal argument is replaced, an expression keeps its form
    with one literal changed, a value passed into a reusable block is changed at the caller.
    Values that all come from one name several arguments read are given by that name's value
    (``shared_name_edit``): edits of each argument would conflict, or one would be solved for the
    name's old value while another changes it. None when some value cannot be given (never an
    expression replaced by a literal)."""
    if layer.elsewhere is not None:
        return None  # another file's text: never edited here
    found = shared_name_edit(layer, values, positions, sources)
    if found is None:
        found = _edit_per_argument(layer, values, positions, sources)
    return found


def _edit_per_argument(layer: LayerModule, values: Dict[str, Any], positions: Positions,
                       sources: Optional[Sources] = None) -> Optional[LayerEdit]:
    call = layer.node
    statement = layer.statement
    if not isinstance(call, ast.Call) or statement is None:
        return None
    if any(type(a) is ast.Starred for a in call.args):
        return None
    #: ``**kwargs`` passed on (a block's ``nn.Conv2d(cin, cout, **kwargs)``): a value not written
    #: in the call comes from the caller's keyword; none is added here (it could come twice).
    splat = next((k.value for k in call.keywords if k.arg is None), None)
    positional_names = [p.name for p in layer.spec.signature if p.kind == POSITIONAL]
    positional_args = call.args
    result = LayerEdit()
    new_args: List[Tuple[str, str]] = []  # (keyword or "", text) of the replacement call
    replaced: Dict[int, str] = {}
    elsewhere: List[SourceEdit] = []  # edits outside the layer's call
    inside: List[Edit] = []  # edits inside an argument expression of the layer's call
    for name, value in values.items():
        arg: Optional[ast.AST] = None
        original: Optional[ast.expr] = None
        for candidate in call.keywords:
            if candidate.arg == name:
                arg, original = candidate, candidate.value
        if arg is None and name in positional_names:
            index = positional_names.index(name)
            if index < len(positional_args):
                arg = original = positional_args[index]
        if arg is not None and _literal(original):
            text = _format(value, original)
            where = positions.argument(call, statement, arg)
            if where is None:
                return None
            result.edits.append(Edit(text, where[0], where[1]))
            replaced[id(arg)] = text
        elif arg is not None or splat is not None:
            source = (_source_edit(layer, name, value, original, sources) if arg is not None
                      else _splat_edit(layer, name, value, splat, sources))
            if source is None:
                return None
            result.edits.extend(source.edits)
            result.local = result.local and source.local
            if source.call is call:
                inside.extend(source.edits)
                replaced[id(arg)] = text_with_edits(positions, original, source.edits)
            else:
                elsewhere.append(source)
        else:
            new_args.append((name, _format(value, None)))
    if new_args:
        # One insertion for all added arguments: fixers keep one edit per point.
        where = positions.end_of_arguments(call, statement)
        if where is None:
            return None
        result.edits.append(Edit("".join(f", {name}={text}" for name, text in new_args), where, where))
    starts = [(e.start, e.end) for e in result.edits]
    if len(set(starts)) != len(starts):
        return None  # two values from one source: one edit cannot give both
    if elsewhere:
        # The help line shows what changes where it changes: the caller, default or constant.
        shown = elsewhere[0]
        result.code = shown.prefix + one_line(text_with_edits(positions, shown.call, shown.edits))
        result.target = shown.target
    else:
        result.code = _call_code(positions, call, replaced, new_args)
    result.edits.sort(key=lambda e: e.start)
    if result.target is None and result.edits:
        result.target = (result.edits[0].start, result.edits[0].end)
    return result


def argument_nodes(layer: LayerModule) -> Dict[str, ast.expr]:
    """The expressions of the layer's call by parameter name (positional ones by the signature);
    empty when the call splats arguments."""
    call = layer.node
    if not isinstance(call, ast.Call) or layer.spec is None or any(type(a) is ast.Starred for a in call.args):
        return {}
    if any(k.arg is None for k in call.keywords):
        return {}
    positional = [p.name for p in layer.spec.signature if p.kind == POSITIONAL]
    found = {name: arg for name, arg in zip(positional, call.args)}
    found.update({k.arg: k.value for k in call.keywords})
    return found


def shared_names(layer: LayerModule) -> Dict[str, Dict[str, ast.expr]]:
    """The names with known values (``u`` of a loop) that two or more of the layer's arguments
    read (``stride=u, padding=(k - u) // 2``), each with the arguments that read it."""
    readers: Dict[str, Dict[str, ast.expr]] = {}
    for param, node in argument_nodes(layer).items():
        for name in {n.id for n in ast.walk(node) if type(n) is ast.Name}:
            if name in layer.argument_names:
                readers.setdefault(name, {})[param] = node
    return {name: found for name, found in readers.items() if len(found) > 1}


#: How far from its value a shared name is moved (``shared_name_values``).
MAX_NAME_STEP = 64


def shared_name_values(layer: LayerModule, name: str, readers: Dict[str, ast.expr],
                       value: int) -> Optional[Dict[str, int]]:
    """The layer's arguments that read ``name`` evaluated with ``name`` = ``value`` (the other
    names as the construction saw them); None when one of them is not plain arithmetic."""
    known = dict(layer.argument_names, **{name: value})
    found = {}
    for param, node in readers.items():
        found[param] = evaluate(node, known)
        if found[param] is None:
            return None
    return found


def shared_name_edit(layer: LayerModule, values: Dict[str, Any], positions: Positions,
                     sources: Optional[Sources]) -> Optional[LayerEdit]:
    """The one edit giving ``values`` when all of them come from one name that several arguments
    read (``stride=u, padding=(k - u) // 2`` wanting stride 4, padding 2: ``u`` 5 -> 4, where
    ``u`` is written): the value of the name, nearest its own, for which every argument reading
    it has the wanted value (the others unchanged). None when there is none or no edit gives it."""
    call = layer.node
    if sources is None or not isinstance(call, ast.Call) or not values:
        return None
    n = layer.spec.spatial_dims or 1
    for name, readers in shared_names(layer).items():
        if not set(values) <= set(readers):
            continue
        wanted = {p: per_dim(values.get(p, layer.params.get(p)), n) for p in readers}
        if any(w is None for w in wanted.values()):
            continue
        old = layer.argument_names[name]
        chosen = None
        for step in range(1, MAX_NAME_STEP + 1):
            for value in (old - step, old + step):
                got = shared_name_values(layer, name, readers, value) if value >= 0 else None
                if got is not None and all(per_dim(got[p], n) == wanted[p] for p in readers):
                    chosen = value
                    break
            if chosen is not None:
                break
        if chosen is None:
            continue
        read = next(node for node in ast.walk(call) if type(node) is ast.Name and node.id == name)
        source = sources.edit_layer_argument(call, read, old, chosen, owner_of(sources.modules, layer),
                                             layer.function_calls, layer.argument_names)
        if source is None or not source.edits:
            continue
        code = source.prefix + one_line(text_with_edits(positions, source.call, source.edits))
        return LayerEdit(list(source.edits), code, True, source.local, source.target)
    return None


def _source_edit(layer: LayerModule, name: str, value: Any, original: ast.expr,
                 sources: Optional[Sources]) -> Optional[SourceEdit]:
    """The edit giving a non-literal argument ``value`` at its source (None: there is none)."""
    if sources is None:
        return None
    old = layer.params.get(name)
    if old is None:
        return None
    new = tuple(value) if isinstance(value, list) else value
    return sources.edit_layer_argument(layer.node, original, old, new, owner_of(sources.modules, layer),
                                       layer.function_calls, layer.argument_names)


def _splat_edit(layer: LayerModule, name: str, value: Any, splat: ast.expr,
                sources: Optional[Sources]) -> Optional[SourceEdit]:
    """The edit giving ``name``, not written in the layer's call but possibly in its
    ``**kwargs``, ``value`` where the caller passes it."""
    if sources is None or layer.params.get(name) is None:
        return None
    new = tuple(value) if isinstance(value, list) else value
    return sources.edit_splatted(layer.node, splat, name, layer.params[name], new,
                                 owner_of(sources.modules, layer), layer.function_calls)


def _call_code(positions: Positions, call: ast.Call, replaced: Dict[int, str],
               new_args: List[Tuple[str, str]]) -> str:
    """The layer's call with the replaced arguments, on one line (the ``help:`` code)."""
    parts = []
    for index, arg in enumerate(call.args):
        text = replaced.get(id(arg))
        if text is None:
            text = one_line(_argument_text(positions, call, arg, index))
        parts.append(one_line(text))
    for keyword in call.keywords:
        text = replaced.get(id(keyword), replaced.get(id(keyword.value)))
        if text is None:
            text = one_line(_argument_text(positions, call, keyword, -1))
        parts.append(f"{keyword.arg}={one_line(text)}" if keyword.arg else f"**{one_line(text)}")
    parts.extend(f"{name}={text}" for name, text in new_args)
    function = "".join(positions.source(call.func).split())
    return f"{function}({', '.join(parts)})"


def text_with_edits(positions: Positions, node: ast.AST, edits: Sequence[Edit]) -> str:
    """The source text of ``node`` with the ``edits`` that fall inside it applied."""
    text = positions.source(node)
    where = positions.call(node)
    if where is None:
        return text
    (row0, col0), _ = where
    lines = text.splitlines(keepends=True) or [""]

    def offset(position: Tuple[int, int]) -> int:
        row, col = position
        k = row - row0
        if k < 0 or k >= len(lines):
            return -1
        return sum(len(line) for line in lines[:k]) + (col - col0 if k == 0 else col - 1)

    for edit in sorted(edits, key=lambda e: e.start, reverse=True):
        start, end = offset(edit.start), offset(edit.end)
        if 0 <= start <= end <= len(text):
            text = text[:start] + edit.content + text[end:]
    return text


def reason_text(result: SolveResult) -> str:
    reasons = []
    for i, dim in enumerate(result.dims):
        if dim.reason and dim.reason not in reasons:
            reasons.append(dim.reason)
    return "; ".join(reasons)
