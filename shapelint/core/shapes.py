"""Shapes as the core sees them.

A dim is a known size (``int``), a symbolic size or unknown (``None``). A symbolic size is a
declared name (``str``, e.g. ``"b"``) or an exact expression of names (``symbolic.Sym``, e.g.
``(h + 1)//2``); a bare name is always kept as its ``str``, so the two forms never both stand for
one size. A shape is a tuple of dims; an unknown rank is ``None`` in place of the whole shape.
Arithmetic on anything but known sizes gives unknown unless a rule computes it exactly with
``symbolic`` (loaded only when a symbolic size is met): the core never guesses.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence, Tuple, Union

Dim = Union[int, str, None]
Shape = Tuple[Dim, ...]
MaybeShape = Optional[Shape]


def is_known(dim: object) -> bool:
    """True for a concrete size (bools are not sizes)."""
    # A plain int first: the layer rules ask this for every parameter of every call.
    return type(dim) is int or isinstance(dim, int) and not isinstance(dim, bool)


def is_symbolic(dim: object) -> bool:
    """A name or an expression of names (without importing ``symbolic``)."""
    return isinstance(dim, str) or getattr(dim, "is_size_expression", False)


def as_expression(dim: object) -> object:
    """A known or symbolic dim as ``symbolic`` computes on it (an ``int`` or a ``Sym``)."""
    if isinstance(dim, str):
        from . import symbolic

        return symbolic.name(dim)
    return dim


def from_expression(value: object) -> Dim:
    """A result of ``symbolic`` as a dim: an ``int``, a name's ``str``, or the ``Sym``."""
    if getattr(value, "is_size_expression", False):
        name = value.bare_name()  # type: ignore[attr-defined]
        return name if name is not None else value  # type: ignore[return-value]
    return value  # type: ignore[return-value]


def format_dim(dim: Dim) -> str:
    return "?" if dim is None else str(dim)


def format_shape(shape: MaybeShape) -> str:
    """``[16, 3, 64, 64]``; unknown dims print as ``?`` and an unknown rank as ``[...]``."""
    if shape is None:
        return "[...]"
    return "[" + ", ".join(format_dim(d) for d in shape) + "]"


def normalize_dim_index(dim: int, rank: int) -> Optional[int]:
    """Python-style index of a dim (negative counts from the end); None when out of range."""
    index = dim + rank if dim < 0 else dim
    return index if 0 <= index < rank else None


def same_dim(a: Dim, b: Dim) -> Optional[bool]:
    """Whether two dims are certainly equal (True), certainly different (False) or unknown
    (None): for symbolic sizes, equal or different for every value of the names."""
    if a is None or b is None:
        return None
    if is_known(a) and is_known(b):
        return a == b
    if isinstance(a, str) and isinstance(b, str) and a == b:
        return True
    if is_symbolic(a) or is_symbolic(b):
        from . import symbolic

        # Never ``==`` between a Sym and an int: that is structural (``h - 1 == 0`` is False
        # although h = 1 makes it 0).
        return symbolic.compare(as_expression(a), "==", as_expression(b))
    return None


def broadcast(a: Shape, b: Shape, accepts: Optional[list] = None) -> Optional[Shape]:
    """Broadcast two shapes as torch does; None when they certainly cannot be broadcast. With
    symbolic sizes, the condition on the names under which they can is added to ``accepts``."""
    rank = max(len(a), len(b))
    a = (1,) * (rank - len(a)) + tuple(a)
    b = (1,) * (rank - len(b)) + tuple(b)
    out = []
    for x, y in zip(a, b):
        if is_known(x) and x == 1:
            out.append(y)
        elif is_known(y) and y == 1:
            out.append(x)
        elif (is_symbolic(x) or is_symbolic(y)) and x is not None and y is not None:
            if same_dim(x, y) is True:
                out.append(x)
                continue
            found = _symbolic_broadcast(x, y, accepts)
            if found is False:
                return None
            out.append(found)
        elif same_dim(x, y) is True:
            out.append(x)
        elif same_dim(x, y) is False:
            return None
        else:
            out.append(x if is_known(x) else y if is_known(y) else None)
    return tuple(out)


def _symbolic_broadcast(x: Dim, y: Dim, accepts: Optional[list]) -> object:
    """One dim of two that are not certainly equal, one at least symbolic: False when no size
    of the names broadcasts them; else the dim where that is certain, or None, its condition
    added to ``accepts``."""
    from . import symbolic_formulas

    try:
        condition = symbolic_formulas.broadcastable(as_expression(x), as_expression(y))
    except (ValueError, TypeError, ArithmeticError):  # symbolic.Inexact: unknown
        return x if is_known(x) else y if is_known(y) else None
    if condition.is_empty():
        return False
    if accepts is not None:
        accepts.append(condition)
    # An int other than 1 is the result wherever they broadcast (the other is equal or 1).
    if is_known(x) or is_known(y):
        return x if is_known(x) else y
    return _broadcast_result(x, y)


def _broadcast_result(x: Dim, y: Dim) -> object:
    """The size two symbolic sizes broadcast to, where they do: the one that is never 1 when they
    are never equal (the other is then 1: ``h + 1`` with ``h``), or either when one is never 1
    (they are then equal); None when it depends on the names."""
    from . import symbolic

    a, b = as_expression(x), as_expression(y)
    try:
        never_equal = symbolic.where_eq(a, b).is_empty()
        a_never_one = symbolic.where_eq(a, 1).is_empty()
        b_never_one = symbolic.where_eq(b, 1).is_empty()
    except (ValueError, TypeError, ArithmeticError):  # symbolic.Inexact
        return None
    if never_equal and a_never_one != b_never_one:
        return x if a_never_one else y
    if a_never_one and b_never_one:
        return x  # then they are equal wherever they broadcast
    return None


def sizes_equal(column: Sequence[Dim]) -> Any:
    """The condition on the names under which the known and symbolic sizes of ``column`` are
    all equal (a ``symbolic.Constraint``); None when one is unknown or it is out of reach."""
    if any(d is None for d in column):
        return None
    from . import symbolic, symbolic_formulas

    try:
        condition = symbolic.Constraint.true()
        first = as_expression(column[0])
        for other in column[1:]:
            condition = condition & symbolic_formulas.operands_equal(first, as_expression(other))
        return condition
    except (ValueError, TypeError, ArithmeticError):  # symbolic.Inexact
        return None


def symbolic_sum(column: Sequence[Dim]) -> Dim:
    """The exact sum of known and symbolic sizes (a concatenated dim); None when one is unknown
    or the sum is out of reach (``h + w``)."""
    if any(d is None or not (is_known(d) or is_symbolic(d)) for d in column):
        return None
    try:
        total: Any = 0
        for d in column:
            total = total + as_expression(d)
        return from_expression(total)
    except (ValueError, TypeError, ArithmeticError):
        return None
