"""What Python computes on plain values (numbers, strings, tuples, lists, dicts, ranges), where
the result is certain; ``UNKNOWN`` everywhere else. Nothing here needs the interpreter."""

from __future__ import annotations

import ast
import math
import operator
from typing import Any, Callable, Dict, List, Optional

from ...core.layers import UNKNOWN
from ..values import ModuleDictModule, ModuleListModule, ModuleValue, SequentialModule, Tensor
from .limits import MAX_ITERATIONS, MAX_LENGTH


def known_constant(value: Any) -> bool:
    return isinstance(value, (int, float, str, bool, type(None)))


def truth(value: Any) -> Any:
    """Python truthiness when certain, else UNKNOWN."""
    if value is UNKNOWN or isinstance(value, Tensor):
        return UNKNOWN
    if isinstance(value, (int, float, str, bool, type(None))):
        return bool(value)
    if isinstance(value, (tuple, list, dict)):
        return bool(value)
    if isinstance(value, ModuleValue):
        return True
    if isinstance(value, range):
        return bool(value)
    return UNKNOWN


def contains_unknown(value: Any) -> bool:
    if value is UNKNOWN:
        return True
    if isinstance(value, (tuple, list)):
        return any(contains_unknown(v) for v in value)
    return False


def iter_known(value: Any) -> Optional[List[Any]]:
    """The items of a value when all are known (a list, tuple, range, dict's keys, module list)."""
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, range):
        return list(value) if len(value) <= MAX_ITERATIONS else None
    if isinstance(value, dict):
        return list(value.keys())
    if isinstance(value, str):
        return list(value)
    if isinstance(value, (ModuleListModule, SequentialModule)) and not value.incomplete:
        return list(value.children.values())
    if isinstance(value, ModuleDictModule) and not value.incomplete:
        return list(value.children.keys())
    return None


def range_length(items: range) -> float:
    try:
        return len(items)
    except OverflowError:  # more items than Python can count
        return math.inf


#: Binary operators by ast operator class (ast.MatMult goes to the tensor hook).
BINARY: Dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
    ast.LShift: operator.lshift,
    ast.RShift: operator.rshift,
    ast.BitAnd: operator.and_,
    ast.BitOr: operator.or_,
    ast.BitXor: operator.xor,
}

#: The augmented assignments evaluated (``x @= y``, ``x |= y``, ... give unknown).
AUGMENTED = frozenset({ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow})

_ORDERING: Dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}


def arithmetic(op: Callable[[Any, Any], Any], a: Any, b: Any) -> Any:
    """``op(a, b)`` on numbers, or ``+``, ``*`` and ``%`` on sequences and strings; unknown when
    the result would be huge (a number past 10**18, a sequence past ``MAX_LENGTH``)."""
    plain = (int, float, bool)
    if isinstance(a, plain) and isinstance(b, plain):
        if op is operator.pow and isinstance(b, (int, float)) and abs(b) > 256:
            return UNKNOWN
        try:
            result = op(a, b)
        except (ZeroDivisionError, OverflowError, ValueError, TypeError):
            return UNKNOWN
        if isinstance(result, int) and abs(result) > 10**18:
            return UNKNOWN
        if isinstance(result, complex):
            return UNKNOWN
        return result
    if isinstance(a, str) and isinstance(b, str) and op is operator.add:
        return a + b if len(a) + len(b) <= MAX_LENGTH else UNKNOWN
    if isinstance(a, (tuple, list)) and type(a) is type(b) and op is operator.add:
        return a + b if len(a) + len(b) <= MAX_LENGTH else UNKNOWN
    if op is operator.mul and isinstance(a, (tuple, list, str)) and _count(b):
        return a * b if 0 <= b <= MAX_ITERATIONS and len(a) * b <= MAX_LENGTH else UNKNOWN
    if op is operator.mul and isinstance(b, (tuple, list, str)) and _count(a):
        return b * a if 0 <= a <= MAX_ITERATIONS and len(b) * a <= MAX_LENGTH else UNKNOWN
    if isinstance(a, str) and op is operator.mod:
        try:
            return a % b
        except (TypeError, ValueError):
            return UNKNOWN
    return UNKNOWN


def _count(value: Any) -> bool:
    """An int that may repeat a sequence (not a bool)."""
    return isinstance(value, int) and not isinstance(value, bool)


def compare(op: type, left: Any, right: Any) -> Any:
    """``left op right`` for an ast comparison class (ast.Eq, ast.Is, ast.In, ...)."""
    if op is ast.Is or op is ast.IsNot:
        return _identity(op, left, right)
    if op is ast.In or op is ast.NotIn:
        return _membership(op, left, right)
    fn = _ORDERING.get(op)
    if fn is None or contains_unknown(left) or contains_unknown(right):
        return UNKNOWN
    ok = (int, float, bool, str, type(None), tuple)
    if not isinstance(left, ok) or not isinstance(right, ok):
        return UNKNOWN
    if isinstance(left, tuple) and not all(known_constant(v) for v in left):
        return UNKNOWN
    if isinstance(right, tuple) and not all(known_constant(v) for v in right):
        return UNKNOWN
    if isinstance(left, str) != isinstance(right, str) and fn not in (operator.eq, operator.ne):
        return UNKNOWN
    try:
        return bool(fn(left, right))
    except TypeError:
        return UNKNOWN


def _identity(op: type, left: Any, right: Any) -> Any:
    """``is`` / ``is not``: certain for None, booleans and modules only."""
    if left is UNKNOWN or right is UNKNOWN:
        return UNKNOWN
    if right is None or left is None:
        if isinstance(left, Tensor) or isinstance(right, Tensor):
            same = False
        else:
            same = left is right
    elif isinstance(left, bool) or isinstance(right, bool):
        same = left is right
    elif isinstance(left, ModuleValue) or isinstance(right, ModuleValue):
        same = left is right
    else:
        return UNKNOWN
    return same if op is ast.Is else not same


def _membership(op: type, left: Any, right: Any) -> Any:
    """``in`` / ``not in`` over a known container of known constants."""
    items = iter_known(right)
    if items is None or left is UNKNOWN or any(i is UNKNOWN for i in items):
        return UNKNOWN
    if isinstance(right, str) and isinstance(left, str):
        found = left in right
    elif not known_constant(left):
        return UNKNOWN
    else:
        found = any(known_constant(i) and i == left for i in items)
    return found if op is ast.In else not found
