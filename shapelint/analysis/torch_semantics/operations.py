"""Tensor operations that can fail as torch would: each reports to the propagator (at the
current statement) and records the step that made its output, so that a chain can be followed
back and recomputed."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any, Callable, List, Optional, Sequence, Tuple

from ...core.codes import INCOMPATIBLE_SHAPES, ShapeError
from ...core.layers import UNKNOWN
from ...core.shapes import (
    MaybeShape,
    Shape,
    broadcast,
    format_shape,
    is_known,
    is_symbolic,
    normalize_dim_index,
    sizes_equal,
    symbolic_sum,
)
from ..evaluate import iter_known
from ..values import Symbol, Tensor
from .registry import Args, Kwargs
from .shape_ops import first_known, same_shape, shape_of

if TYPE_CHECKING:
    from ..propagate import Propagator

_OP_SYMBOL = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/",
              ast.FloorDiv: "//", ast.Mod: "%", ast.Pow: "**"}


def _incompatible(p: Propagator, message: str, operands: Sequence[Tuple[Tensor, MaybeShape]] = ()) -> Tensor:
    """SHP106 at the current statement (``operands``: each tensor with the shape it would need);
    the result is not known."""
    p.report_statement(INCOMPATIBLE_SHAPES, message, operands)
    return Tensor(None)


def run_rule(p: Propagator, label: str, rule: Callable[..., MaybeShape], x: Any, collects: bool = False) -> Tensor:
    """Apply a core rule to a tensor: report what PyTorch would raise, record the step. A rule
    that ``collects`` takes a second argument, the model's list of the conditions on symbolic
    sizes (only this first call adds to it, not a recomputation of the step)."""
    shape = shape_of(x)
    try:
        out = rule(shape, p.accepts) if collects else rule(shape)
    except ShapeError as error:
        message = error.message if error.message.startswith(label) else f"{label}: {error.message}"
        p.report_statement(error.code, message)
        out = None
    except Exception:  # noqa: BLE001
        out = None
    result = Tensor(out)
    if isinstance(x, Tensor):
        p.step(None, x, result, rule, label)
    return result


def tensor_binary(p: Propagator, op: type, left: Any, right: Any) -> Any:
    """``left <op> right`` where one side at least is a tensor."""
    if op is ast.MatMult:
        return matmul(p, left, right)
    if isinstance(left, Tensor) and isinstance(right, Tensor):
        return broadcast_op(p, left, right, _OP_SYMBOL.get(op, "op"))
    tensor = left if isinstance(left, Tensor) else right
    other = right if tensor is left else left
    if isinstance(other, (int, float, bool)) or isinstance(other, Symbol):
        out = Tensor(tensor.shape)
        return p.step(None, tensor, out, same_shape, "scalar op")
    # An unknown other side may be a tensor of higher rank, which broadcasting would add dims
    # for: nothing is certain (``h * (weight + 1)`` with ``h`` an unknown parameter is not
    # ``weight``'s shape).
    return Tensor(None)


def broadcast_op(p: Propagator, left: Tensor, right: Tensor, symbol: str) -> Tensor:
    if left.shape is None or right.shape is None:
        return Tensor(None)
    with p.needing(INCOMPATIBLE_SHAPES):
        out = broadcast(left.shape, right.shape, p.accepts)
    if out is None:
        operands = []
        if len(left.shape) == len(right.shape):
            operands = [(left, right.shape), (right, left.shape)]
        return _incompatible(
            p,
            f"'{symbol}' of tensors with incompatible shapes {format_shape(left.shape)} and"
            f" {format_shape(right.shape)}",
            operands,
        )
    result = Tensor(out)
    if left.shape == right.shape == tuple(out):
        # A residual sum (x + f(x)): follow the operand made first, the skip.
        skip = left if p.order_of(left) <= p.order_of(right) else right
        p.step(None, skip, result, same_shape, f"'{symbol}'", approximate=True)
    return result


def matmul(p: Propagator, left: Any, right: Any) -> Any:
    a, b = shape_of(left), shape_of(right)
    if a is None or b is None or len(a) < 1 or len(b) < 1:
        return Tensor(None)
    if len(a) == 1 and len(b) == 1:
        return Tensor(())
    inner_a = a[-1]
    inner_b = b[0] if len(b) == 1 else b[-2]
    if is_known(inner_a) and is_known(inner_b) and inner_a != inner_b:
        return _incompatible(
            p,
            f"matrix product of {format_shape(a)} and {format_shape(b)}: inner sizes"
            f" {inner_a} and {inner_b} differ",
        )
    if len(b) == 1:
        return Tensor(tuple(a[:-1]))
    if len(a) == 1:
        return Tensor(tuple(b[:-2]) + (b[-1],))
    batch = broadcast(tuple(a[:-2]), tuple(b[:-2]))
    if batch is None:
        return Tensor(None)
    return Tensor(tuple(batch) + (a[-2], b[-1]))


def concatenate(p: Propagator, args: Args, kwargs: Kwargs, stack: bool) -> Any:
    """``torch.cat`` (``stack`` False) or ``torch.stack`` of a known sequence of tensors."""
    tensors = args[0] if args else kwargs.get("tensors", UNKNOWN)
    dim = args[1] if len(args) > 1 else kwargs.get("dim", 0)
    items = iter_known(tensors) if not isinstance(tensors, Tensor) else None
    what = "torch.stack" if stack else "torch.cat"
    if not items or not isinstance(dim, int) or isinstance(dim, bool):
        return Tensor(None)
    shapes = [shape_of(t) for t in items]
    if any(s is None for s in shapes) or not all(isinstance(t, Tensor) for t in items):
        return Tensor(None)
    rank = len(shapes[0])
    if any(len(s) != rank for s in shapes):
        return _incompatible(
            p,
            f"{what} of tensors with different numbers of dims: "
            + ", ".join(format_shape(s) for s in shapes),
        )
    if stack:
        return _stacked(p, what, shapes, dim)
    return _concatenated(p, what, items, shapes, dim)


def _stacked(p: Propagator, what: str, shapes: Sequence[Shape], dim: int) -> Tensor:
    rank = len(shapes[0])
    for s in shapes[1:]:
        for i, (a, b) in enumerate(zip(shapes[0], s)):
            if is_known(a) and is_known(b) and a != b:
                return _incompatible(
                    p,
                    f"{what} needs equal shapes, got {format_shape(shapes[0])} and"
                    f" {format_shape(s)} (dim {i})",
                )
    index = normalize_dim_index(dim, rank + 1)
    if index is None:
        return Tensor(None)
    merged = tuple(first_known([s[i] for s in shapes]) for i in range(rank))
    return Tensor(merged[:index] + (len(shapes),) + merged[index:])


def _concatenated(p: Propagator, what: str, items: List[Tensor], shapes: Sequence[Shape],
                  dim: int) -> Tensor:
    rank = len(shapes[0])
    index = normalize_dim_index(dim, max(rank, 1))
    if index is None:
        return Tensor(None)
    out: List[Any] = []
    for i in range(rank):
        column = [s[i] for s in shapes]
        if i == index:
            out.append(sum(column) if all(is_known(c) for c in column) else symbolic_sum(column))
            continue
        known = [c for c in column if is_known(c)]
        if known and any(c != known[0] for c in known):
            return _incompatible(
                p,
                f"{what} along dim {dim}: sizes differ at dim {i} ("
                + ", ".join(format_shape(s) for s in shapes) + ")",
                _concatenated_operands(items, shapes, index),
            )
        if any(is_symbolic(c) for c in column):
            condition = sizes_equal(column)
            if condition is not None and condition.is_empty():
                return _incompatible(
                    p,
                    f"{what} along dim {dim}: sizes differ at dim {i} for every size ("
                    + ", ".join(format_shape(s) for s in shapes) + ")",
                    _concatenated_operands(items, shapes, index),
                )
            if condition is not None and not condition.is_everything() and p.accepts is not None:
                p.accepts.add(condition, INCOMPATIBLE_SHAPES)
        out.append(first_known(column))
    result = Tensor(tuple(out))
    # A count along ``index`` is the operands' sum: a channel mismatch after it has a producer
    # in one of them (``suggest.count_producers``).
    p.join(result, items, index)
    return result


def _concatenated_operands(items: List[Tensor], shapes: Sequence[Shape],
                           index: int) -> List[Tuple[Tensor, MaybeShape]]:
    """For two tensors: each with the shape the other has, but for the concatenated dim. For
    more: the one tensor whose sizes differ from those all the others agree on, with theirs
    (the others with None: they are as they should be); none when no single one is odd."""
    if len(items) == 2:
        return [(a, tuple(None if j == index else d for j, d in enumerate(b)))
                for a, b in ((items[1], shapes[0]), (items[0], shapes[1]))]
    odd = _odd_one_out(shapes, index)
    if odd is None:
        return []
    agreed = shapes[(odd + 1) % len(shapes)]
    wanted = tuple(None if j == index else d for j, d in enumerate(agreed))
    return [(t, wanted if i == odd else None) for i, t in enumerate(items)]


def _odd_one_out(shapes: Sequence[Shape], index: int) -> Optional[int]:
    """The position of the only shape whose sizes (but for dim ``index``) differ from those of
    all the others, which agree and are all known; None when there is no such single one."""
    def sizes(shape: Shape) -> Tuple[Any, ...]:
        return tuple(d for j, d in enumerate(shape) if j != index)

    if len(shapes) < 3 or not all(is_known(d) for s in shapes for d in sizes(s)):
        return None
    for i, shape in enumerate(shapes):
        others = {sizes(s) for j, s in enumerate(shapes) if j != i}
        if len(others) == 1 and sizes(shape) not in others:
            return i
    return None
