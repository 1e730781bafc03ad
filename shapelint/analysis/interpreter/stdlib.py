"""What the interpreter knows of Python's own functions: the builtins that need nothing but their
arguments (``len``, ``zip``, ``sorted``, ...), ``range`` and ``isinstance`` of one value, ``math``,
and the methods of list, dict, str and tuple. Each gives ``UNKNOWN`` where its result is not certain.

The builtins that need the interpreter itself (``getattr``, ``map``, ``range`` with its budget
note, ...) are in ``calls.py``.
"""

from __future__ import annotations

import collections.abc
import math
import operator
from typing import Any, Callable, Dict, List

from ...core.layers import UNKNOWN
from ..values import (
    BuiltinRef,
    UNKNOWN_TYPE,
    ClassRef,
    ExternalRef,
    FunctionRef,
    ModuleDictModule,
    ModuleListModule,
    ModuleValue,
    OpaqueModule,
    SequentialModule,
    Tensor,
    TorchRef,
    UserModule,
)
from .limits import MAX_ITERATIONS
from .plain_values import arithmetic, iter_known, known_constant, range_length, truth

Builtin = Callable[[List[Any], Dict[str, Any]], Any]


def _b_len(args, kwargs):
    (value,) = args
    if isinstance(value, (list, tuple, str, dict, range)):
        return len(value)
    if isinstance(value, (ModuleListModule, SequentialModule, ModuleDictModule)) and not value.incomplete:
        return len(value.children)
    if isinstance(value, Tensor) and value.shape is not None and value.shape:
        return value.shape[0] if isinstance(value.shape[0], int) else UNKNOWN
    return UNKNOWN


def _numeric(fn):
    """A builtin of numbers only (``abs``, ``round``, ``math.sqrt``, ...)."""
    def run(args, kwargs):
        if kwargs or not all(isinstance(a, (int, float, bool)) for a in args):
            return UNKNOWN
        try:
            return fn(*args)
        except (TypeError, ValueError, OverflowError, ZeroDivisionError):
            return UNKNOWN

    return run


def _b_minmax(fn):
    def run(args, kwargs):
        if kwargs:
            return UNKNOWN
        items = args
        if len(args) == 1:
            items = iter_known(args[0])
            if items is None:
                return UNKNOWN
        if not items or not all(isinstance(a, (int, float)) for a in items):
            return UNKNOWN
        return fn(items)

    return run


def _b_int(args, kwargs):
    if len(args) != 1 or kwargs:
        return UNKNOWN
    value = args[0]
    if isinstance(value, (int, float, bool)):
        try:
            return int(value)
        except (OverflowError, ValueError):
            return UNKNOWN
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return UNKNOWN
    return UNKNOWN


def _b_float(args, kwargs):
    if len(args) != 1 or not isinstance(args[0], (int, float, bool, str)):
        return UNKNOWN
    try:
        return float(args[0])
    except ValueError:
        return UNKNOWN


def _b_list(args, kwargs):
    if not args:
        return []
    items = iter_known(args[0])
    return UNKNOWN if items is None else list(items)


def _b_tuple(args, kwargs):
    if not args:
        return ()
    items = iter_known(args[0])
    return UNKNOWN if items is None else tuple(items)


def _b_reversed(args, kwargs):
    items = iter_known(args[0]) if len(args) == 1 else None
    return UNKNOWN if items is None else list(reversed(items))


def _b_sorted(args, kwargs):
    items = iter_known(args[0]) if len(args) == 1 else None
    if items is None or kwargs.get("key") is not None:
        return UNKNOWN
    try:
        return sorted(items, reverse=bool(kwargs.get("reverse", False)))
    except TypeError:
        return UNKNOWN


def builtin_range(args, kwargs):
    """``range(...)`` of at most ``MAX_ITERATIONS`` items (longer ones are unknown)."""
    if kwargs or not args or not all(isinstance(a, int) for a in args):  # bools are ints here too
        return UNKNOWN
    try:
        value = range(*args)
    except (TypeError, ValueError):
        return UNKNOWN
    return value if range_length(value) <= MAX_ITERATIONS else UNKNOWN


def _b_zip(args, kwargs):
    lists = [iter_known(a) for a in args]
    if any(items is None for items in lists):
        return UNKNOWN
    return list(zip(*lists))


def _b_enumerate(args, kwargs):
    items = iter_known(args[0]) if args else None
    start = kwargs.get("start", args[1] if len(args) > 1 else 0)
    if items is None or not isinstance(start, int):
        return UNKNOWN
    return list(enumerate(items, start))


def _b_sum(args, kwargs):
    items = iter_known(args[0]) if args else None
    start = args[1] if len(args) > 1 else kwargs.get("start", 0)
    if items is None:
        return UNKNOWN
    total = start
    for item in items:
        total = arithmetic(operator.add, total, item)
        if total is UNKNOWN:
            return UNKNOWN
    return total


def _b_bool(args, kwargs):
    return truth(args[0]) if args else False


def _b_str(args, kwargs):
    if not args:
        return ""
    return str(args[0]) if known_constant(args[0]) else UNKNOWN


def builtin_dict(args, kwargs):
    """``dict(...)`` (and ``collections.OrderedDict(...)``) of known items."""
    out: Dict[Any, Any] = {}
    if args:
        source = args[0]
        if isinstance(source, dict):
            out.update(source)
        else:
            items = iter_known(source)
            if items is None:
                return UNKNOWN
            for item in items:
                if not isinstance(item, (tuple, list)) or len(item) != 2:
                    return UNKNOWN
                out[item[0]] = item[1]
    out.update(kwargs)
    return out


def _b_any_all(fn):
    def run(args, kwargs):
        items = iter_known(args[0]) if args else None
        if items is None:
            return UNKNOWN
        values = [truth(i) for i in items]
        if UNKNOWN in values:
            return UNKNOWN
        return fn(values)

    return run


def _b_pow(args, kwargs):
    if len(args) == 2:
        return arithmetic(operator.pow, args[0], args[1])
    return UNKNOWN


def _b_print(args, kwargs):
    return None


def issubclass_of(cls: Any, kind: Any) -> Any:
    """``issubclass(cls, kind)`` for a class of the file and one kind: True, False or UNKNOWN."""
    if not isinstance(cls, ClassRef):
        return UNKNOWN
    if isinstance(kind, ClassRef):
        return kind.info in cls.info.mro()  # a class of another file never derives from this one's
    if isinstance(kind, TorchRef):
        short = kind.name.rsplit(".", 1)[-1]
        if short == "Module" and cls.info.kind:
            return True
        return _derives_from_torch(cls.info, short)
    return UNKNOWN


def _b_issubclass(args, kwargs):
    if len(args) != 2 or kwargs:
        return UNKNOWN
    kinds = args[1] if isinstance(args[1], tuple) else (args[1],)
    results = [issubclass_of(args[0], k) for k in kinds]
    return True if True in results else UNKNOWN if UNKNOWN in results else False


def _derives_from_torch(info: Any, short: str) -> Any:
    """Whether a class of the file derives from the torch class ``short``: True when a base
    outside the file is it, False when every such base is ``nn.Module``, else UNKNOWN."""
    outcome: Any = False
    for cls in info.mro():
        for base in cls.bases:
            if isinstance(base, ClassRef):
                continue
            name = base.name.rsplit(".", 1)[-1] if isinstance(base, TorchRef) else None
            if name == short:
                return True
            if name != "Module":
                outcome = UNKNOWN  # its own bases are not known here
    return outcome


#: The builtins computed from their arguments alone, by name. A TypeError or ValueError they
#: raise (a wrong number of arguments, ...) makes the call unknown.
BUILTINS: Dict[str, Builtin] = {
    "len": _b_len,
    "int": _b_int,
    "float": _b_float,
    "min": _b_minmax(min),
    "max": _b_minmax(max),
    "list": _b_list,
    "tuple": _b_tuple,
    "reversed": _b_reversed,
    "sorted": _b_sorted,
    "zip": _b_zip,
    "enumerate": _b_enumerate,
    "sum": _b_sum,
    "bool": _b_bool,
    "str": _b_str,
    "dict": builtin_dict,
    "any": _b_any_all(any),
    "all": _b_any_all(all),
    "abs": _numeric(abs),
    "round": _numeric(round),
    "divmod": _numeric(divmod),
    "pow": _b_pow,
    "print": _b_print,
    "issubclass": _b_issubclass,
}

#: The builtins that need the interpreter (run by ``calls.py``; ``range`` there notes a range too
#: long to unroll). ``super()`` is evaluated where it is called (it needs the calling scope), and
#: calling it any other way gives unknown.
INTERPRETER_BUILTINS = frozenset({"isinstance", "hasattr", "getattr", "setattr", "super", "map", "range",
                                  "open", "vars"})

#: Every builtin name a scope resolves to a ``BuiltinRef``.
BUILTIN_NAMES = frozenset(BUILTINS) | INTERPRETER_BUILTINS

# --------------------------------------------------------------------------- isinstance

_PLAIN_TYPES = {"int": int, "float": float, "str": str, "list": list, "tuple": tuple, "dict": dict,
                "bool": bool}


def isinstance_of(value: Any, kind: Any) -> Any:
    """``isinstance(value, kind)`` for one kind (a builtin type, a torch class, a class of the
    file): True, False or UNKNOWN."""
    if value is UNKNOWN:
        return UNKNOWN
    if isinstance(kind, BuiltinRef):
        if kind.name in _PLAIN_TYPES:
            if isinstance(value, (Tensor, ModuleValue)):
                return False
            if not known_constant(value) and not isinstance(value, (list, tuple, dict)):
                return UNKNOWN
            if kind.name == "int" and isinstance(value, bool):
                return True
            return isinstance(value, _PLAIN_TYPES[kind.name])
        return UNKNOWN
    if isinstance(kind, TorchRef):
        return _isinstance_torch(value, kind.name.rsplit(".", 1)[-1])
    if isinstance(kind, ExternalRef) and kind.name.startswith("collections.abc."):
        return _isinstance_abc(value, kind.name[len("collections.abc."):])
    if isinstance(kind, ClassRef):
        if isinstance(value, UserModule):
            return kind.info in value.cls.mro()
        if isinstance(value, OpaqueModule) and value.type_name == UNKNOWN_TYPE:
            return UNKNOWN  # a module of unknown class
        if isinstance(value, (Tensor, ModuleValue, ClassRef, FunctionRef)) or known_constant(value):
            return False
        return UNKNOWN
    return UNKNOWN


def _isinstance_abc(value: Any, name: str) -> Any:
    """``isinstance(value, collections.abc.<name>)`` of a plain value (``to_2tuple`` helpers
    ask whether a size is ``Iterable``); of anything else, unknown."""
    abc = getattr(collections.abc, name, None)
    if not isinstance(abc, type) or not (known_constant(value) or type(value) in (list, tuple, dict)):
        return UNKNOWN
    return isinstance(value, abc)


def _isinstance_torch(value: Any, short: str) -> Any:
    """``isinstance(value, torch.<...>.short)``."""
    if isinstance(value, Tensor):
        return short == "Tensor"
    if isinstance(value, UserModule):
        return True if short == "Module" else _derives_from_torch(value.cls, short)
    if isinstance(value, ModuleValue):
        if short == "Module":
            return True
        if value.type_name == short:
            return True
        if isinstance(value, OpaqueModule):
            return UNKNOWN
        return False
    if known_constant(value) or isinstance(value, (list, tuple, dict)):
        return False
    return UNKNOWN


# --------------------------------------------------------------------------- imported functions

_MATH: Dict[str, Callable[..., Any]] = {
    "ceil": math.ceil,
    "floor": math.floor,
    "sqrt": math.sqrt,
    "log2": math.log2,
    "log": math.log,
    "gcd": math.gcd,
    "isqrt": math.isqrt,
}

MATH_CONSTANTS = {"pi": math.pi, "e": math.e, "inf": math.inf}


def call_external(name: str, args: List[Any], kwargs: Dict[str, Any]) -> Any:
    """A call of an imported name other than torch's (``math.ceil``, ``OrderedDict``)."""
    if name == "collections.OrderedDict":
        return builtin_dict(args, kwargs)
    if name in ("typing.cast", "typing_extensions.cast") and len(args) == 2 and not kwargs:
        return args[1]  # `v = cast(int, v)`: the value itself
    if name == "itertools.repeat" and len(args) == 2 and not kwargs:
        # Only the bounded form (``to_2tuple``'s ``repeat(x, 2)``): as the list it yields.
        count = args[1]
        if type(count) is not int or not 0 <= count <= MAX_ITERATIONS:
            return UNKNOWN
        return [args[0]] * count
    if name == "math.prod":
        items = iter_known(args[0]) if args else None
        if items is None or not all(isinstance(i, (int, float)) for i in items):
            return UNKNOWN
        return math.prod(items)
    if name.startswith("math."):
        fn = _MATH.get(name[5:])
        if fn is None:
            return UNKNOWN
        return _numeric(fn)(args, kwargs)
    return UNKNOWN


# --------------------------------------------------------------------------- methods of values


def list_method(receiver: list, name: str, args: List[Any], kwargs: Dict[str, Any]) -> Any:
    if name == "append" and len(args) == 1:
        receiver.append(args[0])
        return None
    if name == "extend" and len(args) == 1:
        items = iter_known(args[0])
        if items is None:
            receiver[:] = [UNKNOWN]
            return UNKNOWN
        receiver.extend(items)
        return None
    if name == "insert" and len(args) == 2 and isinstance(args[0], int):
        receiver.insert(args[0], args[1])
        return None
    if name == "pop":
        if not receiver:
            return UNKNOWN
        index = args[0] if args else -1
        if isinstance(index, int) and -len(receiver) <= index < len(receiver):
            return receiver.pop(index)
        return UNKNOWN
    if name == "index" and args and args[0] in receiver:
        return receiver.index(args[0])
    if name == "copy":
        return list(receiver)
    if name == "reverse":
        receiver.reverse()
        return None
    return UNKNOWN


def dict_method(receiver: dict, name: str, args: List[Any], kwargs: Dict[str, Any]) -> Any:
    if name == "items":
        return list(receiver.items())
    if name == "keys":
        return list(receiver.keys())
    if name == "values":
        return list(receiver.values())
    if name == "get" and args:
        key = args[0]
        if not known_constant(key):
            return UNKNOWN
        return receiver.get(key, args[1] if len(args) > 1 else None)
    if name == "update" and len(args) <= 1:
        if args and isinstance(args[0], dict):
            receiver.update(args[0])
        receiver.update(kwargs)
        return None
    if name == "pop" and args and known_constant(args[0]):
        return receiver.pop(args[0], args[1] if len(args) > 1 else UNKNOWN)
    if name == "setdefault" and args and known_constant(args[0]):
        return receiver.setdefault(args[0], args[1] if len(args) > 1 else None)
    if name == "copy":
        return dict(receiver)
    return UNKNOWN


def str_method(receiver: str, name: str, args: List[Any], kwargs: Dict[str, Any]) -> Any:
    if name == "format":
        if all(known_constant(a) for a in args) and all(known_constant(v) for v in kwargs.values()):
            try:
                return receiver.format(*args, **kwargs)
            except (IndexError, KeyError, ValueError):
                return UNKNOWN
        return UNKNOWN
    if name in ("lower", "upper", "strip") and not args:
        return getattr(receiver, name)()
    if name == "startswith" and len(args) == 1 and isinstance(args[0], (str, tuple)):
        return receiver.startswith(args[0])
    if name == "join" and len(args) == 1:
        items = iter_known(args[0])
        if items is None or not all(isinstance(i, str) for i in items):
            return UNKNOWN
        return receiver.join(items)
    return UNKNOWN


def tuple_method(receiver: tuple, name: str, args: List[Any], kwargs: Dict[str, Any]) -> Any:
    if name == "index" and args and receiver.count(args[0]):
        return receiver.index(args[0])
    if name == "count" and args:
        return receiver.count(args[0])
    return UNKNOWN
