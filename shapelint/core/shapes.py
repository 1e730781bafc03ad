"""Shapes as the core sees them.

A dim is a known size (``int``), a symbolic size (``str``, e.g. ``"b"``) or unknown (``None``).
A shape is a tuple of dims; an unknown rank is ``None`` in place of the whole shape.
Arithmetic on anything but known sizes gives unknown: the core never guesses.
"""

from __future__ import annotations

from typing import Optional, Tuple, Union

Dim = Union[int, str, None]
Shape = Tuple[Dim, ...]
MaybeShape = Optional[Shape]


def is_known(dim: object) -> bool:
    """True for a concrete size (bools are not sizes)."""
    return isinstance(dim, int) and not isinstance(dim, bool)


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
    """Whether two dims are certainly equal (True), certainly different (False) or unknown (None)."""
    if a is None or b is None:
        return None
    if is_known(a) and is_known(b):
        return a == b
    if isinstance(a, str) and isinstance(b, str) and a == b:
        return True
    return None


def broadcast(a: Shape, b: Shape) -> Optional[Shape]:
    """Broadcast two shapes as torch does; None when they certainly cannot be broadcast."""
    rank = max(len(a), len(b))
    a = (1,) * (rank - len(a)) + tuple(a)
    b = (1,) * (rank - len(b)) + tuple(b)
    out = []
    for x, y in zip(a, b):
        if x == 1:
            out.append(y)
        elif y == 1:
            out.append(x)
        elif same_dim(x, y) is True:
            out.append(x)
        elif same_dim(x, y) is False:
            return None
        else:
            out.append(x if is_known(x) else y if is_known(y) else None)
    return tuple(out)
