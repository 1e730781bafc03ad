"""The model's own pattern as evidence of a culprit.

When a chain of layers misses a declared shape, many single-layer changes can make it hold; the
one a person meant is usually the layer that breaks the pattern of its siblings: a DCGAN whose
transposed convolutions all have ``kernel_size=4`` but one with 3. A change that puts such an odd
value back to the one its siblings share is ranked first (and is the diagnostic's place, CONTRACT
section 3), ahead of a change that makes a neighbour absorb the error.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

from .suggest import OTHER_NUDGED, SOLVABLE, Change, current_params, per_dim
from .values import LayerModule

#: Sibling layers that must share a value before it counts as the model's pattern.
MIN_SHARED = 2
#: Values tried per parameter, and weak candidates per chain (each one re-analysis at most).
MAX_WEAK = 2

Values = Tuple[int, ...]


class Siblings:
    """The values of each solver parameter over a model's layers of each type, counted once
    (a deep model asks about every layer of a chain: no question may walk the model again)."""

    def __init__(self, modules: Sequence[Tuple[str, Any]]) -> None:
        #: (type, parameter) -> how many layers have each value
        self._values: Dict[Tuple[str, str], Counter] = {}
        #: (type, parameter) -> how many layers built by each call have each value
        self._by_call: Dict[Tuple[str, str], Counter] = {}
        #: (type, all solver parameters) -> how many layers have them
        self._forms: Counter = Counter()
        #: type -> (call, pattern parameters) -> how many layers that call built with them
        self._calls: Dict[str, Counter] = {}
        #: (type, all pattern parameters) -> the writings (``_writing``) of the layers that have them
        self._writings: Dict[Tuple[str, Tuple], Set[Tuple]] = {}
        for _, module in modules:
            params = pattern_params(module)
            if params is not None:
                self._forms[_form(module.type_name, params)] += 1
                self._calls.setdefault(module.type_name, Counter())[(id(module.node), _form("", params))] += 1
                self._writings.setdefault(_form(module.type_name, params), set()).add(_writing(module))
            for name, value in (params or {}).items():
                key = (module.type_name, name)
                self._values.setdefault(key, Counter())[value] += 1
                self._by_call.setdefault(key, Counter())[(id(module.node), value)] += 1

    def others(self, layer: LayerModule, name: str, value: Values) -> List[Tuple[Values, int]]:
        """The values ``layer``'s siblings have for ``name`` instead of ``value``, most shared
        first, with how many have each; none when another call writes ``value`` too."""
        key = (layer.type_name, name)
        values = self._values.get(key)
        if not values or values[value] > self._by_call[key][(id(layer.node), value)]:
            return []
        return [(v, count) for v, count in values.most_common() if v != value]

    def with_form(self, type_name: str, params: Dict[str, Values]) -> int:
        """How many layers of the type have exactly these solver parameters."""
        return self._forms[_form(type_name, params)]

    def kin(self, layer: LayerModule, params: Dict[str, Values], name: str) -> bool:
        """Whether ``params[name]`` is the value of ``layer``'s kind: every other layer of its
        type (``_other_forms``) has it, and there are ``MIN_SHARED`` or more (a kernel 4
        throughout a DCGAN), or one that differs from ``params`` in at most one other parameter
        has it (a kernel 3 among kernel 3 convolutions built alike)."""
        others = self._other_forms(layer)
        if sum(count for _, count in others) >= MIN_SHARED and all(
                other.get(name) == params.get(name) for other, _ in others):
            return True
        return any(other.get(name) == params.get(name)
                   and sum(other.get(k) != v for k, v in params.items() if k != name) <= 1
                   for other, _ in others)

    def is_copy(self, layer: LayerModule, params: Dict[str, Values]) -> bool:
        """Whether another layer of ``layer``'s type (``_other_forms``) has exactly ``params``."""
        return any(other == params for other, _ in self._other_forms(layer))

    def _other_forms(self, layer: LayerModule) -> List[Tuple[Dict[str, Values], int]]:
        """The pattern parameters of the other layers of ``layer``'s type, each with how many
        layers have them; not those its own call built alike (a loop, a block used twice: they
        repeat the layer's own writing), but those it built otherwise (a block given another
        stride by each caller)."""
        own = (id(layer.node), _form("", pattern_params(layer) or {}))
        return [(dict(form[1]), count) for (node, form), count in self._calls.get(layer.type_name, Counter()).items()
                if (node, form) != own]

    def near_copies(self, layer: LayerModule, params: Dict[str, Values]) -> List[Tuple[str, Values, int]]:
        """(parameter, value, how many layers) for each form that other layers of ``layer``'s
        type (``_other_forms``) have and that ``params`` differ from in that one parameter only:
        a DCGAN convolution with padding 0 among kernel 4, stride 2, padding 1 ones. Most shared
        first. None when a layer of another writing has ``params`` too (two callers passing a
        block the same stride 2 do not both slip)."""
        if self._writings.get(_form(layer.type_name, params), set()) - {_writing(layer)}:
            return []  # another writing gives a layer this form too: not a slip of this one
        counts: Counter = Counter()
        for other, count in self._other_forms(layer):
            differing = [k for k, v in params.items() if other.get(k) != v]
            if len(differing) == 1 and set(other) == set(params):
                counts[(differing[0], other[differing[0]])] += count
        return [(name, value, count) for (name, value), count in counts.most_common()]

    def shared_instead(self, layer: LayerModule, name: str, value: Values) -> Optional[Values]:
        """The value most of ``layer``'s siblings share for ``name`` when none of them has
        ``value``; None otherwise. Other layers built by the same call with the same value (a
        loop, a block used twice) repeat the layer's own writing, not the model's pattern."""
        key = (layer.type_name, name)
        values = self._values.get(key)
        if not values:
            return None
        own = self._by_call[key][(id(layer.node), value)]
        if values[value] > own:
            return None  # another call writes it too: part of the pattern
        shared = [(count, v) for v, count in values.most_common(2) if v != value]
        if not shared or shared[0][0] < MIN_SHARED:
            return None
        return shared[0][1]


def pattern_params(layer: Any) -> Optional[Dict[str, Values]]:
    """The parameters that make a layer's pattern, as written: a convolution's or pooling's
    solver parameters, per dim; a padding layer's padding, an upsampling's integer scale factor
    (``suggest.OTHER_NUDGED``), as tuples; None for other layers."""
    if not isinstance(layer, LayerModule) or layer.spec is None:
        return None
    if layer.spec.family in SOLVABLE:
        return current_params(layer)
    found = {name: _as_values(layer, layer.params.get(name)) for name in OTHER_NUDGED
             if name in {p.name for p in layer.spec.signature}}
    if not found or any(v is None for v in found.values()):
        return None
    return found


def _as_values(layer: LayerModule, value: Any) -> Optional[Values]:
    """A parameter's value as a tuple: per dim for a convolution or pooling, else as written
    (an integer is a tuple of one)."""
    if layer.spec is not None and layer.spec.family in SOLVABLE:
        return per_dim(value, layer.spec.spatial_dims or 1)
    if type(value) is int:
        return (value,)
    if isinstance(value, tuple) and value and all(type(v) is int for v in value):
        return value
    return None


def pattern_first(changes: List[Change], siblings: Siblings,
                  candidates: Sequence[Change] = ()) -> List[List[Change]]:
    """``changes`` in five groups, each in its own order: those that make their layer a copy of
    a sibling it differed from in that value only (among the pattern-restoring ones and the
    ``candidates``, the ``slips``); the other pattern-restoring ones; the changes that give
    their layer its usual form back (evidence of the layer itself, stronger than a value that
    one or two siblings have); the other ``candidates``; the rest."""
    restoring = [c for c in changes if restores_pattern(c, siblings)]
    seen = {_key(c) for c in restoring}
    extra = [c for c in candidates if _key(c) not in seen]
    copying = [c for c in restoring + extra if makes_copy(c, siblings)]
    copied = {_key(c) for c in copying}
    rest = [c for c in changes if all(c is not r for r in restoring)]
    repaired = [c for c in rest if c.form_repaired]
    return [copying, [c for c in restoring if _key(c) not in copied], repaired,
            [c for c in extra if _key(c) not in copied], [c for c in rest if not c.form_repaired]]


def makes_copy(change: Change, siblings: Siblings) -> bool:
    """Whether the change makes its layer exactly like a layer of its type built elsewhere."""
    new = _changed(change)
    return new is not None and siblings.is_copy(change.layer, new)


def _changed(change: Change) -> Optional[Dict[str, Values]]:
    """The layer's pattern parameters with the change applied; None when not known."""
    current = pattern_params(change.layer)
    if current is None or not change.values:
        return None
    new = dict(current)
    for name, value in change.values.items():
        wanted = _as_values(change.layer, value)
        if name not in current or wanted is None:
            return None
        new[name] = wanted
    return new


def restores_pattern(change: Change, siblings: Siblings) -> bool:
    """Whether every parameter ``change`` sets goes from a value no sibling (a layer of the same
    type) uses to the value most of them share, a value of the layer's kind (``Siblings.kin``:
    a bottleneck's stride 1 among strided convolutions of another kernel and padding is no
    slip)."""
    layer = change.layer
    current, new = pattern_params(layer), _changed(change)
    if current is None or new is None:
        return False
    for name in change.values:
        if siblings.shared_instead(layer, name, current[name]) != new[name] or not siblings.kin(layer, new, name):
            return False
    return True


def certain_slip(change: Change, siblings: Siblings) -> bool:
    """Whether the change is a slip undone beyond doubt: it restores the pattern and makes the
    layer a copy of a sibling (a kernel 3 among kernels 4 of layers otherwise alike). A layer
    that differs from its siblings in other parameters too (a bottleneck's stride 1 beside its
    kernel 7) is of another kind: its odd value is no evidence of a slip."""
    if not restores_pattern(change, siblings):
        return False
    new = _changed(change)
    return new is not None and siblings.with_form(change.layer.type_name, new) >= 1


def _writing(layer: LayerModule) -> Tuple:
    """What a layer was built from: its call and the values of the names its arguments read
    (the layers of a loop over literals share one; a block's convolution given another count
    or stride by each caller has one per caller)."""
    return id(layer.node), tuple(sorted(layer.argument_names.items()))


def _form(type_name: str, params: Dict[str, Values]) -> Tuple[str, Tuple[Tuple[str, Values], ...]]:
    return type_name, tuple(sorted(params.items()))


def slips(layers: Sequence[Any], siblings: Siblings) -> List[Change]:
    """For each layer of ``layers`` with pattern parameters (a chain, nearest the finding last), the
    parameter that alone keeps it from being a copy of a sibling, and each parameter whose
    value no sibling uses while siblings of its kind (``Siblings.kin``) share another: the
    change back to that value. Those that make the layer a copy first, then those most
    siblings share, each nearest the finding first. Candidates only: re-analysis judges them."""
    copies: List[Change] = []
    strong: List[Change] = []
    weak: List[Change] = []  # a value one sibling has: fewer siblings, less evidence
    seen = set()

    def add(layer: LayerModule, name: str, value: Values, count: int) -> None:
        change = Change(layer, {name: value[0] if len(set(value)) == 1 else value}, rank=(False, 0))
        if _key(change) in seen:
            return
        seen.add(_key(change))
        group = copies if makes_copy(change, siblings) else strong if count >= MIN_SHARED else weak
        group.append(change)

    for layer in reversed(layers):
        current = pattern_params(layer)
        if current is None:
            continue
        for name, value, count in siblings.near_copies(layer, current)[:MAX_WEAK]:
            add(layer, name, value, count)
        for name, value in current.items():
            for other, count in siblings.others(layer, name, value)[:MAX_WEAK]:
                if siblings.kin(layer, dict(current, **{name: other}), name):
                    add(layer, name, other, count)
    return copies[:MAX_WEAK * 4] + strong + weak[:MAX_WEAK * 4]


def _key(change: Change) -> Tuple[int, str]:
    return id(change.layer), repr(sorted((k, _as_values(change.layer, v)) for k, v in change.values.items()))
