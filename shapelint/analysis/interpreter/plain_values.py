"""What Python computes on plain values (numbers, strings, tuples, lists, dicts, ranges), where
the result is certain; ``UNKNOWN`` everywhere else. Nothing here needs the interpreter."""

from __future__ import annotations

import ast
import math
import operator
from typing import Any, Callable, Dict, List, Optional

from ...core.layers import UNKNOWN
from ..values import (
    UNKNOWN_TYPE,
    BoundMethod,
    BuiltinRef,
    ClassRef,
    ExternalRef,
    FunctionRef,
    LambdaRef,
    ModuleDictModule,
    ModuleListModule,
    ModuleValue,
    OpaqueModule,
    PartialRef,
    SequentialModule,
    Symbol,
    Tensor,
    TorchRef,
)
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
    """``left op right`` for an ast comparison class (ast.Eq, ast.Is, ast.In, ...): True or False
    when Python's answer is certain, else UNKNOWN (never a guess)."""
    if op is ast.Is or op is ast.IsNot:
        same = _identical(left, right)
        return same if same is UNKNOWN or op is ast.Is else not same
    if op is ast.In or op is ast.NotIn:
        return _membership(op, left, right)
    if op is ast.Eq or op is ast.NotEq:
        equal = _equal(left, right)
        return equal if equal is UNKNOWN or op is ast.Eq else not equal
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
    if isinstance(left, str) != isinstance(right, str):
        return UNKNOWN
    try:
        return bool(fn(left, right))
    except TypeError:
        return UNKNOWN


#: Values that stand for one object of the user's file, the same object only when identical
#: (classes, functions, lambdas and module instances have identity equality).
_USER_OBJECTS = (ClassRef, FunctionRef, LambdaRef, ModuleValue)
#: Names ``torch.nn.functional`` imports for itself (``np`` is None without NumPy): not its API.
_IMPORTED_BY_FUNCTIONAL = frozenset({"np", "math", "torch", "warnings", "importlib", "dataclasses", "grad"})


def _distinct_torch_name(name: str) -> bool:
    """A class of ``torch.nn`` or a function of ``torch.nn.functional``: no two such names are
    the same object or equal, and none is None (checked against PyTorch in
    tests/analysis/test_class_comparisons.py)."""
    namespace, _, short = name.rpartition(".")
    if namespace == "torch.nn":
        return short[:1].isupper()
    return namespace == "torch.nn.functional" and short[:1].islower() and short not in _IMPORTED_BY_FUNCTIONAL


def _not_none(value: Any) -> bool:
    """Whether a value that is not None is certainly not None (and not equal to it)."""
    if isinstance(value, TorchRef):
        return _distinct_torch_name(value.name)
    return isinstance(value, (Tensor, Symbol, BuiltinRef, PartialRef, BoundMethod) + _USER_OBJECTS) \
        or known_constant(value) or isinstance(value, (tuple, list, dict))


def _identical(left: Any, right: Any) -> Any:
    """``left is right``: True, False or UNKNOWN."""
    if left is UNKNOWN or right is UNKNOWN:
        return UNKNOWN
    if left is None or right is None:
        if left is right:
            return True
        return False if _not_none(right if left is None else left) else UNKNOWN
    if isinstance(left, bool) and isinstance(right, bool):
        return left is right
    if isinstance(left, bool) or isinstance(right, bool):
        # True and False are the only bools; a size is an int, never one.
        return False if _not_none(right if isinstance(left, bool) else left) else UNKNOWN
    if isinstance(left, _USER_OBJECTS) or isinstance(right, _USER_OBJECTS):
        return _same_object(left, right)
    if isinstance(left, (TorchRef, BuiltinRef)) and type(left) is type(right):
        return _same_named_object(left, right)
    return False if _torch_api_and_plain(left, right) else UNKNOWN


def _torch_api_and_plain(left: Any, right: Any) -> bool:
    """A class or function of torch against a number, string, container, tensor or size."""
    for api, other in ((left, right), (right, left)):
        if isinstance(api, TorchRef) and _distinct_torch_name(api.name) and (
                known_constant(other) or isinstance(other, (tuple, list, dict, Tensor, Symbol, BuiltinRef))):
            return True
    return False


def _same_object(left: Any, right: Any) -> Any:
    """Identity where one side is an object of the user's file."""
    if left is right:
        return True
    if isinstance(left, ClassRef) and isinstance(right, ClassRef):
        return left.info is right.info
    if isinstance(left, (FunctionRef, LambdaRef)) and type(left) is type(right):
        # Another definition is another object; the same one may run twice (a nested def).
        return UNKNOWN if left.node is right.node else False
    if _of_unknown_class(left) or _of_unknown_class(right):
        return UNKNOWN  # it may be any module: that one too
    if isinstance(left, ModuleValue) and isinstance(right, ModuleValue):
        return False
    if isinstance(left, BoundMethod) or isinstance(right, BoundMethod):
        return UNKNOWN
    if isinstance(left, Symbol) or isinstance(right, Symbol) or isinstance(left, Tensor) \
            or isinstance(right, Tensor):
        return False  # a size or a tensor is no class, function or module
    other = right if isinstance(left, _USER_OBJECTS) else left
    if isinstance(other, _USER_OBJECTS + (TorchRef, ExternalRef, BuiltinRef)) or known_constant(other) \
            or isinstance(other, (tuple, list, dict)):
        return False  # objects of different kinds, or the user's object and a library's
    return UNKNOWN


def _of_unknown_class(value: Any) -> bool:
    return isinstance(value, OpaqueModule) and value.type_name == UNKNOWN_TYPE


def _same_named_object(left: Any, right: Any) -> Any:
    """Identity of two builtins, or of two torch names."""
    if left.name == right.name:
        return True
    if isinstance(left, BuiltinRef):
        return False
    if _distinct_torch_name(left.name) and _distinct_torch_name(right.name):
        return False
    return UNKNOWN  # `torch.nn.Conv2d` is `torch.nn.modules.conv.Conv2d`


def _equal(left: Any, right: Any) -> Any:
    """``left == right``: True, False or UNKNOWN."""
    if left is UNKNOWN or right is UNKNOWN:
        return UNKNOWN
    if isinstance(left, Tensor) or isinstance(right, Tensor):
        return UNKNOWN  # elementwise
    if isinstance(left, _USER_OBJECTS) or isinstance(right, _USER_OBJECTS):
        return _same_object(left, right)  # their == is identity
    if isinstance(left, (tuple, list)) and isinstance(right, (tuple, list)):
        if type(left) is not type(right) or len(left) != len(right):
            return False
        outcome: Any = True
        for a, b in zip(left, right):
            equal = _equal(a, b)
            if equal is False:
                return False
            if equal is UNKNOWN:
                outcome = UNKNOWN
        return outcome
    if known_constant(left) and known_constant(right):
        return left == right
    if known_constant(left) and isinstance(right, (tuple, list, dict)) \
            or known_constant(right) and isinstance(left, (tuple, list, dict)):
        return False  # a number or a string is no container
    if left is None or right is None:
        return False if _not_none(right if left is None else left) else UNKNOWN
    if isinstance(left, (TorchRef, BuiltinRef)) and type(left) is type(right):
        # Classes and functions are equal when identical; another torch name may be a number (nan).
        if isinstance(left, BuiltinRef) or _distinct_torch_name(left.name) and _distinct_torch_name(right.name):
            return _same_named_object(left, right)
    return False if _torch_api_and_plain(left, right) else UNKNOWN


def _membership(op: type, left: Any, right: Any) -> Any:
    """``in`` / ``not in`` over a known container: an item identical or equal to ``left``."""
    if left is UNKNOWN or right is UNKNOWN:
        return UNKNOWN
    if isinstance(right, str):
        if not isinstance(left, str):
            return UNKNOWN  # a TypeError in Python
        found: Any = left in right
    else:
        items = iter_known(right)
        if items is None or isinstance(right, (ModuleListModule, SequentialModule, ModuleDictModule)):
            return UNKNOWN
        found = False
        for item in items:
            same = _identical(left, item)
            equal = True if same is True else _equal(left, item)
            if equal is True:
                found = True
                break
            if equal is UNKNOWN:
                found = UNKNOWN
        if found is UNKNOWN:
            return UNKNOWN
    return found if op is ast.In else not found
