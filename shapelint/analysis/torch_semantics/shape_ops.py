"""Shape arithmetic of tensor operations, without reporting: shapes in, a shape (None when
unknown) out. The handlers of this package call these and report what torch would raise."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any, Dict, List, Optional, Sequence

from ...core.codes import WRONG_RANK, ShapeError
from ...core.layers import LAYERS, UNKNOWN
from ...core.shapes import (
    MaybeShape,
    as_expression,
    format_shape,
    from_expression,
    is_known,
    is_symbolic,
    normalize_dim_index,
)
from ..evaluate import _STAR_UNKNOWN as STAR_UNKNOWN
from ..values import Symbol, Tensor, value_dim


def _symbolic_quotient(source: Sequence[Any], others: Sequence[Any]) -> Any:
    """The ``-1`` of a view of a shape with expressions of names (``b*8*h*w / b``): exact
    where it is a size for every value of the names, else unknown."""
    from ...core import symbolic, symbolic_formulas

    try:
        total = symbolic_formulas.flatten([as_expression(d) for d in source])
        known = symbolic_formulas.flatten([as_expression(d) for d in others])
        return from_expression(symbolic.divide_exact(total, known))
    except (ValueError, TypeError, ArithmeticError):
        return None


def shape_of(value: Any) -> MaybeShape:
    return value.shape if isinstance(value, Tensor) else None


def plain(value: Any) -> Any:
    """A constructor argument as the core's rules take it: constants, tuples of them, UNKNOWN."""
    if isinstance(value, bool) or value is None or isinstance(value, (int, float, str)):
        return value
    if isinstance(value, (tuple, list)):
        items = [plain(v) for v in value]
        if any(isinstance(v, (tuple, list)) for v in items):
            return UNKNOWN
        return tuple(items) if isinstance(value, tuple) else list(items)
    return UNKNOWN


def as_size_list(args: Sequence[Any]) -> Optional[List[Any]]:
    """``view(2, 3)`` / ``view((2, 3))`` / ``view(torch.Size)`` argument list."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return list(args[0])
    if len(args) == 1 and args[0] is UNKNOWN:
        return None
    if any(a is STAR_UNKNOWN for a in args):
        return None  # ``*sizes`` of an unknown length: not even the rank is known
    return list(args)


def view_shape(source: MaybeShape, sizes: List[Any]) -> MaybeShape:
    """``x.view(*sizes)``: resolve one ``-1`` against the element count, symbols included."""
    dims = []
    for s in sizes:
        if isinstance(s, Symbol):
            dims.append(s.name)
        elif isinstance(s, int) and not isinstance(s, bool):
            dims.append(s)
        else:
            dims.append(None)
    if sum(1 for d in dims if d == -1) > 1:
        return None
    if -1 not in dims:
        return tuple(d if not (isinstance(d, int) and d < 0) else None for d in dims)
    at = dims.index(-1)
    others = [d for i, d in enumerate(dims) if i != at]
    if source is None or None in source or None in others:
        return tuple(None if i == at else d for i, d in enumerate(dims))
    if any(is_symbolic(d) and not isinstance(d, str) for d in list(source) + others):
        return tuple(_symbolic_quotient(source, others) if i == at else d for i, d in enumerate(dims))
    numerator = Counter(d for d in source if isinstance(d, str))
    denominator = Counter(d for d in others if isinstance(d, str))
    top = math.prod(d for d in source if isinstance(d, int))
    bottom = math.prod(d for d in others if isinstance(d, int))
    inferred: Any = None
    if not denominator - numerator and bottom and top % bottom == 0:
        left = numerator - denominator
        quotient = top // bottom
        if not left:
            inferred = quotient
        elif sum(left.values()) == 1 and quotient == 1:
            inferred = next(iter(left))
    return tuple(inferred if i == at else d for i, d in enumerate(dims))


def pieces(shape: MaybeShape, name: str, args: List[Any], kwargs: Dict[str, Any]) -> Any:
    """The tensors of ``chunk``/``split``/``unbind``, as a tuple; UNKNOWN unless their number
    is certain (unpacking then stays unknown instead of guessing)."""
    first = args[0] if args else kwargs.get("split_size_or_sections", kwargs.get("chunks"))
    if name == "unbind":
        first = None
        dim = args[0] if args else kwargs.get("dim", 0)
    else:
        dim = args[1] if len(args) > 1 else kwargs.get("dim", 0)
    def whole(n: Any) -> bool:
        return isinstance(n, int) and not isinstance(n, bool)

    if shape is None or not whole(dim):
        return UNKNOWN
    index = normalize_dim_index(dim, len(shape))
    if index is None:
        return UNKNOWN
    size = shape[index]
    known = whole(size) and size > 0
    if name == "unbind":
        if not known:
            return UNKNOWN
        rest = tuple(shape[:index]) + tuple(shape[index + 1:])
        return tuple(Tensor(rest) for _ in range(size))
    if isinstance(first, (list, tuple)) and name == "split":
        if not first or not all(whole(n) and n >= 0 for n in first):
            return UNKNOWN
        if known and sum(first) != size:
            return UNKNOWN  # torch raises; not a shape this tool reports
        sizes = list(first)
    else:
        if not known or not (whole(first) and first > 0):
            return UNKNOWN
        # torch.chunk cuts pieces of ceil(size / chunks); split, pieces of the given size.
        step = -(-size // first) if name == "chunk" else first
        sizes = [step] * (size // step) + ([size % step] if size % step else [])
    return tuple(Tensor(tuple(shape[:index]) + (n,) + tuple(shape[index + 1:])) for n in sizes)


def reduce_shape(shape: MaybeShape, dim: Any, keepdim: Any) -> MaybeShape:
    if shape is None:
        return None
    if dim is None:
        return (1,) * len(shape) if keepdim is True else ()
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    if not all(isinstance(d, int) and not isinstance(d, bool) for d in dims) or keepdim is UNKNOWN:
        return None
    indices = set()
    for d in dims:
        index = normalize_dim_index(d, max(len(shape), 1))
        if index is None:
            return None
        indices.add(index)
    if keepdim:
        return tuple(1 if i in indices else s for i, s in enumerate(shape))
    return tuple(s for i, s in enumerate(shape) if i not in indices)


def index_shape(shape: MaybeShape, index: Any) -> MaybeShape:
    """Basic indexing (ints, slices, None, Ellipsis); anything else is unknown."""
    if shape is None:
        return None
    items = list(index) if isinstance(index, tuple) else [index]
    if sum(1 for i in items if i is Ellipsis) > 1:
        return None
    consumed = sum(1 for i in items if i is not None and i is not Ellipsis)
    if consumed > len(shape):
        if all(i is None or i is Ellipsis or type(i) in (int, slice) for i in items):
            # PyTorch: "too many indices for tensor of dimension n", whatever the sizes.
            raise ShapeError(WRONG_RANK, f"{consumed} indices for a {len(shape)}-D tensor {format_shape(shape)}")
        return None
    if Ellipsis in items:
        at = items.index(Ellipsis)
        items = items[:at] + [slice(None)] * (len(shape) - consumed) + items[at + 1 :]
    out: List[Any] = []
    axis = 0
    for item in items:
        if item is None:
            out.append(1)
            continue
        if axis >= len(shape):
            return None
        size = shape[axis]
        if isinstance(item, bool):
            return None
        if isinstance(item, int):
            axis += 1
            continue
        if isinstance(item, slice):
            if item.start is None and item.stop is None and item.step in (None, 1):
                out.append(size)
            elif is_known(size) and all(v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in (item.start, item.stop, item.step)) and item.step != 0:
                out.append(len(range(*item.indices(size))))
            elif is_symbolic(size) and item.step in (None, 1):
                out.append(_symbolic_slice(size, item.start, item.stop))
            else:
                out.append(None)
            axis += 1
            continue
        return None
    out.extend(shape[axis:])
    return tuple(out)


def _symbolic_slice(size: Any, start: Any, stop: Any) -> Any:
    """The length of ``[start:stop]`` (literal ints) of a symbolic size, where it is the same
    expression for every value of the names (``[:-2]`` of ``t + 2`` is ``t``); else unknown."""
    if not all(v is None or type(v) is int for v in (start, stop)):
        return None
    from ...core import symbolic

    whole = as_expression(size)
    try:
        # Each bound as an offset from 0 or from the end, and the size it needs to be inside.
        low = 0 if start is None else start if start >= 0 else whole + start
        high = whole if stop is None else stop if stop >= 0 else whole + stop
        length = high - low
        # Exact only where no bound is clipped (each inside [0, size]) and the length not negative.
        inside = all(symbolic.compare(bound, ">=", 0) is True and symbolic.compare(whole, ">=", bound) is True
                     for bound in (low, high))
        if inside and symbolic.compare(length, ">=", 0) is True:
            return from_expression(length)
    except (ValueError, TypeError, ArithmeticError):  # symbolic.Inexact
        return None
    return None


def bind_simple(names: Sequence[str], args: List[Any], kwargs: Dict[str, Any]) -> Dict[str, Any]:
    bound = dict(zip(names, args))
    for key, value in kwargs.items():
        if key in names:
            bound[key] = value
    return bound


def size_value(value: Any) -> Any:
    """A size argument (``output_size=x.size()``, ``size=(h, w)``) as the core takes it."""
    if isinstance(value, (tuple, list)):
        return tuple(value_dim(v) for v in value)
    if isinstance(value, Symbol):
        return None
    return plain(value)


def first_known(column: Sequence[Any]) -> Any:
    for c in column:
        if is_known(c):
            return c
    for c in column:
        if c is not None:
            return c
    return None


def permute_shape(shape: MaybeShape, dims: Any) -> MaybeShape:
    if shape is None or not isinstance(dims, (list, tuple)) or len(dims) != len(shape):
        return None
    indices = []
    for d in dims:
        if not isinstance(d, int) or isinstance(d, bool):
            return None
        index = normalize_dim_index(d, len(shape))
        if index is None:
            return None
        indices.append(index)
    if sorted(indices) != list(range(len(shape))):
        return None
    return tuple(shape[i] for i in indices)


def transpose_shape(shape: MaybeShape, a: Any, b: Any) -> MaybeShape:
    if shape is None or not all(isinstance(d, int) and not isinstance(d, bool) for d in (a, b)):
        return None
    i, j = normalize_dim_index(a, len(shape)), normalize_dim_index(b, len(shape))
    if i is None or j is None:
        return None
    out = list(shape)
    out[i], out[j] = out[j], out[i]
    return tuple(out)


def unsqueeze_shape(shape: MaybeShape, dim: Any) -> MaybeShape:
    if shape is None or not isinstance(dim, int) or isinstance(dim, bool):
        return None
    index = normalize_dim_index(dim, len(shape) + 1)
    if index is None:
        return None
    return tuple(shape[:index]) + (1,) + tuple(shape[index:])


def squeeze_shape(shape: MaybeShape, dim: Any) -> MaybeShape:
    if shape is None:
        return None
    if dim is None:
        if any(not is_known(d) for d in shape):
            return None
        return tuple(d for d in shape if d != 1)
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    indices = set()
    for d in dims:
        if not isinstance(d, int) or isinstance(d, bool):
            return None
        index = normalize_dim_index(d, max(len(shape), 1))
        if index is None:
            return None
        indices.add(index)
    out = []
    for i, d in enumerate(shape):
        if i in indices:
            if d == 1:
                continue
            if not is_known(d):
                return None
        out.append(d)
    return tuple(out)


def pad_shape(shape: MaybeShape, pads: Any, mode: Any, accepts: Optional[list] = None) -> MaybeShape:
    if shape is None or not isinstance(pads, (tuple, list)) or len(pads) % 2:
        return None
    n = len(pads) // 2
    if n > len(shape):
        return None
    if mode in ("reflect", "replicate", "circular") and 1 <= n <= 3 and len(shape) in (n + 1, n + 2):
        layer = {"reflect": "ReflectionPad", "replicate": "ReplicationPad", "circular": "CircularPad"}[mode]
        return LAYERS[f"{layer}{n}d"].infer({"padding": tuple(pads)}, shape, None, accepts)
    if mode != "constant":
        return None
    if 1 <= n <= 3 and len(shape) in (n + 1, n + 2):
        return LAYERS[f"ZeroPad{n}d"].infer({"padding": tuple(pads)}, shape, None, accepts)
    # Constant padding of more dims than a padding layer covers: the same per-dim rule.
    out = list(shape)
    for i in range(n):
        axis = len(shape) - 1 - i
        before, after = pads[2 * i], pads[2 * i + 1]
        if is_known(out[axis]) and is_known(before) and is_known(after):
            out[axis] = out[axis] + before + after
        else:
            out[axis] = None
    return tuple(out)


def same_shape(shape: MaybeShape) -> MaybeShape:
    """The rule of an element-wise operation: the output has the input's shape."""
    return shape


def expand_shape(shape: MaybeShape, sizes: Optional[List[Any]]) -> MaybeShape:
    """``x.expand(*sizes)``: -1 keeps a size; new dims may only lead."""
    if sizes is None or shape is None or len(sizes) < len(shape):
        return None
    offset = len(sizes) - len(shape)
    out = []
    for i, s in enumerate(sizes):
        if s == -1 and i >= offset:
            out.append(shape[i - offset])
        else:
            out.append(value_dim(s))
    return tuple(out)


def repeat_shape(shape: MaybeShape, sizes: Optional[List[Any]]) -> MaybeShape:
    """``x.repeat(*sizes)``: each dim times its count, new dims leading."""
    if sizes is None or shape is None or len(sizes) < len(shape):
        return None
    padded = (1,) * (len(sizes) - len(shape)) + tuple(shape)
    return tuple(
        d * value_dim(s) if is_known(d) and is_known(value_dim(s)) else None
        for d, s in zip(padded, sizes)
    )


def creation_shape(name: str, args: List[Any], kwargs: Dict[str, Any]) -> MaybeShape:
    """The shape ``torch.zeros(...)`` / ``randint`` / ``full`` (``name``) creates."""
    if name == "randint":
        size = kwargs.get("size", args[-1] if args else UNKNOWN)
        sizes = list(size) if isinstance(size, (tuple, list)) else None
    elif name == "full":
        size = kwargs.get("size", args[0] if args else UNKNOWN)
        sizes = list(size) if isinstance(size, (tuple, list)) else None
    elif name == "normal":
        return None
    elif "size" in kwargs:
        size = kwargs["size"]
        sizes = list(size) if isinstance(size, (tuple, list)) else None
    else:
        sizes = as_size_list(args)
    if sizes is None:
        return None
    dims = []
    for s in sizes:
        if isinstance(s, bool):
            return None
        if isinstance(s, int) or isinstance(s, Symbol):
            dims.append(value_dim(s))
        else:
            dims.append(None)
    return tuple(dims)
