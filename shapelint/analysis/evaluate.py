"""Constant evaluation: a small abstract interpreter over stdlib ``ast`` trees, never running user code.

It evaluates what can be known statically (literals, constants, arithmetic, builtins, loops over
known ranges, user functions and classes of the same file) and gives ``UNKNOWN`` for everything
else. ``__init__`` bodies are executed to build the module tree; ``forward`` bodies are executed
by the same interpreter with tensors standing for their shapes (see ``propagate.py``).

Code under a condition that cannot be decided is executed *silently* (no diagnostics) and its
effects are merged conservatively: what differs between the paths becomes unknown.
"""

from __future__ import annotations

import ast
import math
import operator
from typing import Any, Callable, Dict, List, Optional, Tuple

from ..core.layers import UNKNOWN
from .collect import ClassInfo, FileIndex, bind_import, child_fields, one_line_suite
from .values import (
    ArgumentCapture,
    BoundMethod,
    BuiltinRef,
    ClassRef,
    ExternalRef,
    FunctionRef,
    LambdaRef,
    MethodRef,
    ModuleValue,
    SuperRef,
    Tensor,
    TorchRef,
    UserModule,
    merge_values,
)

#: Loops and comprehensions longer than this are not unrolled (their effects become unknown, and
#: SHP301 says so). Twice the deepest stack the tests check (an 8,192-layer ``nn.Sequential``
#: built by a comprehension, ~2 s); each iteration also counts against ``MAX_STEPS``.
MAX_ITERATIONS = 16_384
#: Lists, tuples and strings that ``+`` or ``*`` would make longer than this are unknown: a
#: doubling loop must not fill the memory.
MAX_LENGTH = 1 << 20
#: Depth of user function calls followed before giving up (recursion, deep helpers).
MAX_CALL_DEPTH = 40
#: Calls of a function already running this many times give unknown (recursion).
MAX_RECURSION = 6
#: Undecidable conditions nested deeper than this are not followed path by path.
MAX_UNDECIDED_NESTING = 4
#: Total statements executed (and comprehension items made) per model, so that a pathological
#: file cannot hang the linter (~30 us each). The most any model of the 980,000-line benchmark
#: corpus needs is 4,707. Running out is reported (SHP301), never a silent clean result.
MAX_STEPS = 25_000


class _Return(Exception):
    def __init__(self, value: Any) -> None:
        self.value = value


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class _Abort(Exception):
    """The path cannot be followed (a ``raise`` reached, a budget exhausted)."""


class Scope:
    __slots__ = ("locals", "globals", "owner", "class_scope")

    def __init__(self, globals_: Dict[str, Any], locals_: Optional[Dict[str, Any]] = None,
                 owner: Optional[ClassInfo] = None, class_scope: bool = False) -> None:
        self.globals = globals_
        self.locals = {} if locals_ is None else locals_
        self.owner = owner
        self.class_scope = class_scope

    def lookup(self, name: str) -> Any:
        if name in self.locals:
            return self.locals[name]
        if name in self.globals:
            return self.globals[name]
        if name in BUILTINS:
            return BuiltinRef(name)
        return UNKNOWN


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


#: Binary operators by ast operator class (ast.MatMult goes to tensor_binary).
_BINARY: Dict[type, Callable[[Any, Any], Any]] = {
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
_AUGMENTED = frozenset({ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow})

_COMPARE: Dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}

#: Compound statements: executed by their ``_exec_<type name>`` method (none: nothing done).
#: Every other statement is simple (``_simple_statement``) and followed by ``after_statement``.
_COMPOUND = frozenset({ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try,
                       ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef}
                      | {getattr(ast, name) for name in ("TryStar", "Match") if hasattr(ast, name)})


def _safe_arith(op: Callable[[Any, Any], Any], a: Any, b: Any) -> Any:
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
    if isinstance(a, (tuple, list, str)) and isinstance(b, int) and not isinstance(b, bool) and op is operator.mul:
        return a * b if 0 <= b <= MAX_ITERATIONS and len(a) * b <= MAX_LENGTH else UNKNOWN
    if isinstance(b, (tuple, list, str)) and isinstance(a, int) and not isinstance(a, bool) and op is operator.mul:
        return b * a if 0 <= a <= MAX_ITERATIONS and len(b) * a <= MAX_LENGTH else UNKNOWN
    if isinstance(a, str) and op is operator.mod:
        try:
            return a % b
        except (TypeError, ValueError):
            return UNKNOWN
    return UNKNOWN


# --------------------------------------------------------------------------- builtins


def _iterate(value: Any) -> Optional[List[Any]]:
    """The items of a value when all are known (a list, tuple, range, dict's keys, module list)."""
    from .values import ModuleDictModule, ModuleListModule, SequentialModule

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


def _b_len(args, kwargs):
    from .values import ModuleDictModule, ModuleListModule, SequentialModule

    (value,) = args
    if isinstance(value, (list, tuple, str, dict, range)):
        return len(value)
    if isinstance(value, (ModuleListModule, SequentialModule, ModuleDictModule)) and not value.incomplete:
        return len(value.children)
    if isinstance(value, Tensor) and value.shape is not None and value.shape:
        return value.shape[0] if isinstance(value.shape[0], int) else UNKNOWN
    return UNKNOWN


def _numeric(fn):
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
            items = _iterate(args[0])
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
    if isinstance(value, Tensor):
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
    items = _iterate(args[0])
    return UNKNOWN if items is None else list(items)


def _b_tuple(args, kwargs):
    if not args:
        return ()
    items = _iterate(args[0])
    return UNKNOWN if items is None else tuple(items)


def _b_reversed(args, kwargs):
    items = _iterate(args[0]) if len(args) == 1 else None
    return UNKNOWN if items is None else list(reversed(items))


def _b_sorted(args, kwargs):
    items = _iterate(args[0]) if len(args) == 1 else None
    if items is None or kwargs.get("key") not in (None,):
        return UNKNOWN
    try:
        return sorted(items, reverse=bool(kwargs.get("reverse", False)))
    except TypeError:
        return UNKNOWN


def _b_range(args, kwargs):
    if kwargs or not args or not all(isinstance(a, int) and not isinstance(a, bool) or a is True or a is False for a in args):
        return UNKNOWN
    try:
        value = range(*args)
    except (TypeError, ValueError):
        return UNKNOWN
    return value if _length(value) <= MAX_ITERATIONS else UNKNOWN


def _length(items: range) -> float:
    try:
        return len(items)
    except OverflowError:  # more items than Python can count
        return math.inf


def _b_zip(args, kwargs):
    lists = [_iterate(a) for a in args]
    if any(items is None for items in lists):
        return UNKNOWN
    return list(zip(*lists))


def _b_enumerate(args, kwargs):
    items = _iterate(args[0]) if args else None
    start = kwargs.get("start", args[1] if len(args) > 1 else 0)
    if items is None or not isinstance(start, int):
        return UNKNOWN
    return list(enumerate(items, start))


def _b_sum(args, kwargs):
    items = _iterate(args[0]) if args else None
    start = args[1] if len(args) > 1 else kwargs.get("start", 0)
    if items is None:
        return UNKNOWN
    total = start
    for item in items:
        total = _safe_arith(operator.add, total, item)
        if total is UNKNOWN:
            return UNKNOWN
    return total


def _b_bool(args, kwargs):
    return truth(args[0]) if args else False


def _b_str(args, kwargs):
    if not args:
        return ""
    return str(args[0]) if known_constant(args[0]) else UNKNOWN


def _b_dict(args, kwargs):
    out: Dict[Any, Any] = {}
    if args:
        source = args[0]
        if isinstance(source, dict):
            out.update(source)
        else:
            items = _iterate(source)
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
        items = _iterate(args[0]) if args else None
        if items is None:
            return UNKNOWN
        values = [truth(i) for i in items]
        if UNKNOWN in values:
            return UNKNOWN
        return fn(values)

    return run


def _b_abs(args, kwargs):
    return _numeric(abs)(args, kwargs)


def _b_round(args, kwargs):
    return _numeric(round)(args, kwargs)


def _b_divmod(args, kwargs):
    return _numeric(divmod)(args, kwargs)


def _b_pow(args, kwargs):
    if len(args) == 2:
        return _safe_arith(operator.pow, args[0], args[1])
    return UNKNOWN


BUILTINS: Dict[str, Callable[[List[Any], Dict[str, Any]], Any]] = {
    "len": _b_len,
    "int": _b_int,
    "float": _b_float,
    "min": _b_minmax(min),
    "max": _b_minmax(max),
    "list": _b_list,
    "tuple": _b_tuple,
    "reversed": _b_reversed,
    "sorted": _b_sorted,
    "range": _b_range,
    "zip": _b_zip,
    "enumerate": _b_enumerate,
    "sum": _b_sum,
    "bool": _b_bool,
    "str": _b_str,
    "dict": _b_dict,
    "any": _b_any_all(any),
    "all": _b_any_all(all),
    "abs": _b_abs,
    "round": _b_round,
    "divmod": _b_divmod,
    "pow": _b_pow,
    "print": lambda args, kwargs: None,
    # Handled by the interpreter itself (they need it): isinstance, hasattr, getattr, setattr,
    # super, map.
    "isinstance": None,  # type: ignore[dict-item]
    "hasattr": None,  # type: ignore[dict-item]
    "getattr": None,  # type: ignore[dict-item]
    "setattr": None,  # type: ignore[dict-item]
    "super": None,  # type: ignore[dict-item]
    "map": None,  # type: ignore[dict-item]
}

_MATH: Dict[str, Callable[..., Any]] = {
    "ceil": math.ceil,
    "floor": math.floor,
    "sqrt": math.sqrt,
    "log2": math.log2,
    "log": math.log,
    "prod": math.prod,
    "gcd": math.gcd,
    "isqrt": math.isqrt,
}

_MATH_CONSTANTS = {"pi": math.pi, "e": math.e, "inf": math.inf}


# --------------------------------------------------------------------------- the interpreter


class Interpreter:
    """Evaluates expressions and executes statements of one file.

    ``hooks`` is the shape-propagation layer (``propagate.Propagator``): everything about torch
    (constructing layers, calling modules, tensor operations) is delegated to it.
    """

    def __init__(self, index: FileIndex) -> None:
        self.index = index
        self.globals: Dict[str, Any] = dict(index.scope)
        self.silent = 0
        self.depth = 0
        self.steps = 0
        #: The first budget of this model that ran out: (why, the statement running then).
        self.stopped: Optional[Tuple[str, Optional[ast.stmt]]] = None
        self.statement: Optional[ast.stmt] = None
        #: Object attributes written while silent, merged after an undecidable branch.
        self.silent_writes: Optional[List[Tuple[Any, str]]] = None
        #: Called after each statement (pragma checks): (statement, scope, value) -> None.
        self.after_statement: Optional[Callable[[ast.stmt, Scope, Any], None]] = None
        #: The functions being executed (by node id), innermost last.
        self.active: List[int] = []
        #: Per function call, the values returned on undecidable paths.
        self.return_stack: List[List[Any]] = []

    # ----------------------------------------------------------------- hooks (propagate.py)

    def torch_call(self, ref: TorchRef, args: List[Any], kwargs: Dict[str, Any], node: ast.Call) -> Any:
        return UNKNOWN

    def call_module(self, module: ModuleValue, args: List[Any], kwargs: Dict[str, Any], node: Optional[ast.Call]) -> Any:
        return UNKNOWN

    def tensor_method(self, tensor: Tensor, name: str, args: List[Any], kwargs: Dict[str, Any]) -> Any:
        return UNKNOWN

    def module_method(self, module: ModuleValue, name: str, args: List[Any], kwargs: Dict[str, Any], node) -> Any:
        return UNKNOWN

    def module_attribute(self, module: ModuleValue, name: str) -> Any:
        return UNKNOWN

    def set_module_attribute(self, module: ModuleValue, name: str, value: Any) -> None:
        pass

    def instantiate(self, info: ClassInfo, args: List[Any], kwargs: Dict[str, Any], node) -> Any:
        return UNKNOWN

    def tensor_binary(self, op: type, left: Any, right: Any) -> Any:
        return UNKNOWN

    # ----------------------------------------------------------------- expressions

    def eval(self, node: ast.expr, scope: Scope) -> Any:
        method = getattr(self, "_eval_" + type(node).__name__, None)
        if method is None:
            return UNKNOWN
        return method(node, scope)

    def _eval_Constant(self, node: ast.Constant, scope: Scope) -> Any:
        # int, float, str, bool, None, Ellipsis stand for themselves; complex and bytes are
        # unknown (as libcst's Imaginary and bytes strings were).
        value = node.value
        kind = type(value)
        if kind is complex or kind is bytes:
            return UNKNOWN
        return value

    def _eval_JoinedStr(self, node: ast.JoinedStr, scope: Scope) -> Any:
        parts: List[str] = []
        for part in node.values:
            if type(part) is ast.Constant:
                parts.append(part.value)
            elif type(part) is ast.FormattedValue:
                if part.format_spec is not None or part.conversion != -1:
                    return UNKNOWN
                value = self.eval(part.value, scope)
                if not known_constant(value):
                    return UNKNOWN
                parts.append(str(value))
            else:
                return UNKNOWN
        return "".join(parts)

    def _eval_Name(self, node: ast.Name, scope: Scope) -> Any:
        return scope.lookup(node.id)

    def _elements(self, elements: List[ast.expr], scope: Scope) -> Any:
        out: List[Any] = []
        for element in elements:
            if type(element) is ast.Starred:
                items = _iterate(self.eval(element.value, scope))
                if items is None:
                    return UNKNOWN
                out.extend(items)
            else:
                out.append(self.eval(element, scope))
        return out

    def _eval_Tuple(self, node: ast.Tuple, scope: Scope) -> Any:
        items = self._elements(node.elts, scope)
        return UNKNOWN if items is UNKNOWN else tuple(items)

    def _eval_List(self, node: ast.List, scope: Scope) -> Any:
        return self._elements(node.elts, scope)

    def _eval_Set(self, node, scope) -> Any:
        return UNKNOWN

    def _eval_Dict(self, node: ast.Dict, scope: Scope) -> Any:
        out: Dict[Any, Any] = {}
        for key_node, value_node in zip(node.keys, node.values):
            if key_node is None:  # **mapping
                value = self.eval(value_node, scope)
                if not isinstance(value, dict):
                    return UNKNOWN
                out.update(value)
                continue
            key = self.eval(key_node, scope)
            value = self.eval(value_node, scope)
            if not known_constant(key) and not isinstance(key, tuple):
                return UNKNOWN
            out[key] = value
        return out

    def _eval_Attribute(self, node: ast.Attribute, scope: Scope) -> Any:
        return self.get_attribute(self.eval(node.value, scope), node.attr)

    def _eval_Subscript(self, node: ast.Subscript, scope: Scope) -> Any:
        value = self.eval(node.value, scope)
        # `x[a, b:c]` is a Tuple holding a Slice: evaluated element by element like any tuple.
        return self.subscript(value, self.eval(node.slice, scope))

    def _eval_Slice(self, node: ast.Slice, scope: Scope) -> Any:
        parts = [None if p is None else self.eval(p, scope) for p in (node.lower, node.upper, node.step)]
        if any(p is UNKNOWN for p in parts):
            return UNKNOWN
        return slice(*parts)

    def subscript(self, value: Any, index: Any) -> Any:
        from .values import ModuleDictModule, ModuleListModule, SequentialModule

        if index is UNKNOWN:
            return UNKNOWN
        if isinstance(value, Tensor):
            return self.tensor_method(value, "__getitem__", [index], {})
        if isinstance(value, (list, tuple, str, range)):
            if isinstance(index, bool) or not isinstance(index, (int, slice)):
                return UNKNOWN
            try:
                return value[index]
            except (IndexError, TypeError, ValueError):
                return UNKNOWN
        if isinstance(value, dict):
            try:
                return value.get(index, UNKNOWN)
            except TypeError:
                return UNKNOWN
        if isinstance(value, (ModuleListModule, SequentialModule)) and not value.incomplete:
            children = list(value.children.values())
            if isinstance(index, int) and not isinstance(index, bool):
                try:
                    return children[index]
                except IndexError:
                    return UNKNOWN
            if isinstance(index, slice):
                return self.module_method(value, "__slice__", [index], {}, None)
        if isinstance(value, ModuleDictModule) and not value.incomplete and isinstance(index, str):
            return value.children.get(index, UNKNOWN)
        if isinstance(value, ExternalRef) or isinstance(value, TorchRef):
            return ("__generic__", value, index)  # Float[Tensor, "..."], Annotated[...]
        return UNKNOWN

    def _eval_BinOp(self, node: ast.BinOp, scope: Scope) -> Any:
        left = self.eval(node.left, scope)
        right = self.eval(node.right, scope)
        return self.binary(type(node.op), left, right)

    def binary(self, op: type, left: Any, right: Any) -> Any:
        """``left op right`` for an ast operator class (ast.Add, ast.MatMult, ...)."""
        if isinstance(left, Tensor) or isinstance(right, Tensor) or op is ast.MatMult:
            return self.tensor_binary(op, left, right)
        fn = _BINARY.get(op)
        if fn is None or left is UNKNOWN or right is UNKNOWN:
            return UNKNOWN
        return _safe_arith(fn, left, right)

    def _eval_UnaryOp(self, node: ast.UnaryOp, scope: Scope) -> Any:
        value = self.eval(node.operand, scope)
        op = type(node.op)
        if op is ast.Not:
            t = truth(value)
            return UNKNOWN if t is UNKNOWN else not t
        if isinstance(value, Tensor):
            return Tensor(value.shape)
        if not isinstance(value, (int, float, bool)):
            return UNKNOWN
        if op is ast.USub:
            return -value
        if op is ast.UAdd:
            return +value
        if op is ast.Invert and isinstance(value, int):
            return ~value
        return UNKNOWN

    def _eval_BoolOp(self, node: ast.BoolOp, scope: Scope) -> Any:
        # `a and b and c`: each operand but the last decides, left to right.
        is_and = type(node.op) is ast.And
        values = node.values
        for operand in values[:-1]:
            value = self.eval(operand, scope)
            t = truth(value)
            if t is UNKNOWN:
                return UNKNOWN
            if t is not is_and:  # falsy under `and`, truthy under `or`: the result
                return value
        return self.eval(values[-1], scope)

    def _eval_Compare(self, node: ast.Compare, scope: Scope) -> Any:
        left = self.eval(node.left, scope)
        result: Any = True
        for op, comparator in zip(node.ops, node.comparators):
            right = self.eval(comparator, scope)
            outcome = self.compare(type(op), left, right)
            if outcome is UNKNOWN:
                return UNKNOWN
            if not outcome:
                return False
            left = right
        return result

    def compare(self, op: type, left: Any, right: Any) -> Any:
        """``left op right`` for an ast comparison class (ast.Eq, ast.Is, ast.In, ...)."""
        if op is ast.Is or op is ast.IsNot:
            if left is UNKNOWN or right is UNKNOWN:
                return UNKNOWN
            if right is None or left is None:
                if isinstance(left, Tensor) or isinstance(right, Tensor):
                    same = False
                else:
                    same = left is right
            elif isinstance(left, (bool,)) or isinstance(right, bool):
                same = left is right
            elif isinstance(left, ModuleValue) or isinstance(right, ModuleValue):
                same = left is right
            else:
                return UNKNOWN
            return same if op is ast.Is else not same
        if op is ast.In or op is ast.NotIn:
            items = _iterate(right)
            if items is None or left is UNKNOWN or any(i is UNKNOWN for i in items):
                return UNKNOWN
            if isinstance(right, str) and isinstance(left, str):
                found = left in right
            elif not known_constant(left):
                return UNKNOWN
            else:
                found = any(known_constant(i) and i == left for i in items)
            return found if op is ast.In else not found
        fn = _COMPARE.get(op)
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

    def _eval_IfExp(self, node: ast.IfExp, scope: Scope) -> Any:
        t = truth(self.eval(node.test, scope))
        if t is UNKNOWN:
            self.silent += 1
            try:
                a = self.eval(node.body, scope)
                b = self.eval(node.orelse, scope)
            finally:
                self.silent -= 1
            return merge_values(a, b)
        return self.eval(node.body if t else node.orelse, scope)

    def _eval_Lambda(self, node: ast.Lambda, scope: Scope) -> Any:
        return LambdaRef(node, dict(scope.locals))

    def _comprehension(self, node, scope: Scope, produce: Callable[[Scope], None]) -> bool:
        """Run a comprehension's loops; False when an iterable is unknown."""
        local = Scope(scope.globals, dict(scope.locals), scope.owner)
        generators = node.generators

        def run(level: int) -> bool:
            if level == len(generators):
                produce(local)
                return True
            clause = generators[level]
            items = _iterate(self.eval(clause.iter, local))
            if items is None:
                return False
            for item in items:
                self.count_step()
                self.assign(clause.target, item, local)
                keep = True
                for condition in clause.ifs:
                    t = truth(self.eval(condition, local))
                    if t is UNKNOWN:
                        return False
                    keep = keep and t
                if keep and not run(level + 1):
                    return False
            return True

        return run(0)

    def _eval_ListComp(self, node: ast.ListComp, scope: Scope) -> Any:
        out: List[Any] = []
        if not self._comprehension(node, scope, lambda s: out.append(self.eval(node.elt, s))):
            return UNKNOWN
        return out

    _eval_GeneratorExp = _eval_ListComp
    _eval_SetComp = None  # type: ignore[assignment]

    def _eval_DictComp(self, node: ast.DictComp, scope: Scope) -> Any:
        out: Dict[Any, Any] = {}

        def produce(s: Scope) -> None:
            key = self.eval(node.key, s)
            if known_constant(key):
                out[key] = self.eval(node.value, s)

        if not self._comprehension(node, scope, produce):
            return UNKNOWN
        return out

    def _eval_NamedExpr(self, node: ast.NamedExpr, scope: Scope) -> Any:
        value = self.eval(node.value, scope)
        self.assign(node.target, value, scope)
        return value

    def _eval_Await(self, node, scope) -> Any:
        return UNKNOWN

    # ----------------------------------------------------------------- attributes

    def get_attribute(self, value: Any, name: str) -> Any:
        if value is UNKNOWN:
            return UNKNOWN
        if isinstance(value, TorchRef):
            return value.attr(name)
        if isinstance(value, ExternalRef):
            if value.name == "math" and name in _MATH_CONSTANTS:
                return _MATH_CONSTANTS[name]
            return ExternalRef(f"{value.name}.{name}")
        if isinstance(value, Tensor):
            return self.tensor_method(value, "__attr__", [name], {})
        if isinstance(value, ModuleValue):
            return self.module_attribute(value, name)
        if isinstance(value, ClassRef):
            return self.class_attribute(value.info, name)
        if isinstance(value, SuperRef):
            return self.super_attribute(value, name)
        if isinstance(value, (list, dict, str, tuple)):
            return MethodRef(value, name)
        return UNKNOWN

    def class_attribute(self, info: ClassInfo, name: str) -> Any:
        for cls in info.mro():
            self.evaluate_class_body(cls)
            if name in cls.attributes:
                return cls.attributes[name]
            if name in cls.methods:
                return FunctionRef(cls.methods[name], cls)
        return UNKNOWN

    def evaluate_class_body(self, info: ClassInfo) -> None:
        if info.attributes_evaluated:
            return
        info.attributes_evaluated = True
        node = info.node
        if one_line_suite(node):
            return  # `class C: x = 1` on one line: never evaluated (as with libcst)
        scope = Scope(self.globals, {}, info, class_scope=True)
        self.silent += 1
        try:
            for statement in node.body:
                kind = type(statement)
                if kind is ast.Assign or kind is ast.AnnAssign or kind is ast.AugAssign:
                    try:
                        self._simple_statement(statement, scope)
                    except (_Return, _Break, _Continue, _Abort):
                        pass
        finally:
            self.silent -= 1
        info.attributes.update({k: v for k, v in scope.locals.items()})

    def super_attribute(self, sup: SuperRef, name: str) -> Any:
        info = sup.owner
        found = info.find_method(name, after=info) if info is not None else None
        if found is not None:
            cls, method = found
            return BoundMethod(sup.receiver, FunctionRef(method, cls))
        # Not in a base of this file: the torch base class.
        if name == "__init__":
            return MethodRef(sup.receiver, "__base_init__")
        if name == "forward":
            return MethodRef(sup.receiver, "__base_forward__")
        return MethodRef(sup.receiver, name)

    def set_attribute(self, target: Any, name: str, value: Any) -> None:
        if self.silent_writes is not None:
            self.silent_writes.append((target, name))
        if isinstance(target, ModuleValue):
            self.set_module_attribute(target, name, value)

    # ----------------------------------------------------------------- calls

    def _eval_Call(self, node: ast.Call, scope: Scope) -> Any:
        fn = self.eval(node.func, scope)
        args: List[Any] = []
        kwargs: Dict[str, Any] = {}
        positional = node.args
        keywords = node.keywords
        arguments: List[ast.AST] = positional
        if keywords:
            arguments = positional + keywords
            if positional and type(positional[-1]) is ast.Starred and _after(positional[-1], keywords[0]):
                # `f(a=1, *rest)`: evaluate in source order, as Python does.
                arguments = sorted(arguments, key=_position)
        Starred, keyword = ast.Starred, ast.keyword
        for arg in arguments:
            kind = type(arg)
            if kind is Starred:
                items = _iterate(self.eval(arg.value, scope))
                if items is None:
                    args.append(_STAR_UNKNOWN)
                    continue
                args.extend(items)
            elif kind is keyword:
                if arg.arg is None:  # **mapping
                    mapping = self.eval(arg.value, scope)
                    if not isinstance(mapping, dict) or not all(isinstance(k, str) for k in mapping):
                        kwargs["**"] = UNKNOWN
                        continue
                    kwargs.update(mapping)
                else:
                    kwargs[arg.arg] = self.eval(arg.value, scope)
            else:
                args.append(self.eval(arg, scope))
        if fn is BuiltinRef("super") or (isinstance(fn, BuiltinRef) and fn.name == "super"):
            return self._super(args, scope)
        if _STAR_UNKNOWN in args or "**" in kwargs:
            # Unknown unpacking: the arguments cannot be bound. Still construct what is passed.
            return self.call_unbindable(fn, node)
        return self.call(fn, args, kwargs, node)

    def call_unbindable(self, fn: Any, node: ast.Call) -> Any:
        if isinstance(fn, TorchRef):
            return self.torch_call(fn, [_STAR_UNKNOWN], {}, node)
        if isinstance(fn, ClassRef) and fn.info.kind is not None:
            return self.instantiate(fn.info, [_STAR_UNKNOWN], {}, node)
        return UNKNOWN

    def _super(self, args: List[Any], scope: Scope) -> Any:
        receiver = scope.locals.get("self", UNKNOWN)
        owner = scope.owner
        if len(args) == 2 and isinstance(args[0], ClassRef):
            owner = args[0].info
            receiver = args[1]
        if receiver is UNKNOWN:
            return UNKNOWN
        return SuperRef(receiver, owner)

    def call(self, fn: Any, args: List[Any], kwargs: Dict[str, Any], node: Optional[ast.Call]) -> Any:
        if fn is UNKNOWN:
            return UNKNOWN
        if isinstance(fn, ArgumentCapture):
            return (list(args), dict(kwargs))
        if isinstance(fn, TorchRef):
            return self.torch_call(fn, args, kwargs, node)
        if isinstance(fn, ModuleValue):
            return self.call_module(fn, args, kwargs, node)
        if isinstance(fn, BoundMethod):
            return self.call_function(fn.function, [fn.receiver] + list(args), kwargs)
        if isinstance(fn, FunctionRef):
            return self.call_function(fn, list(args), kwargs)
        if isinstance(fn, ClassRef):
            if fn.info.kind is None:
                return UNKNOWN
            return self.instantiate(fn.info, args, kwargs, node)
        if isinstance(fn, MethodRef):
            return self.call_method(fn, args, kwargs, node)
        if isinstance(fn, BuiltinRef):
            return self.call_builtin(fn.name, args, kwargs, node)
        if isinstance(fn, ExternalRef):
            return self.call_external(fn.name, args, kwargs)
        if isinstance(fn, LambdaRef):
            return self.call_lambda(fn, args, kwargs)
        return UNKNOWN

    def call_builtin(self, name: str, args: List[Any], kwargs: Dict[str, Any], node) -> Any:
        if name == "isinstance":
            return self._isinstance(args)
        if name == "hasattr":
            if len(args) == 2 and isinstance(args[1], str):
                value = self.get_attribute(args[0], args[1])
                return UNKNOWN if value is UNKNOWN else True
            return UNKNOWN
        if name == "getattr":
            if len(args) >= 2 and isinstance(args[1], str):
                value = self.get_attribute(args[0], args[1])
                if value is UNKNOWN and len(args) == 3:
                    return UNKNOWN
                return value
            return UNKNOWN
        if name == "setattr":
            if len(args) == 3 and isinstance(args[1], str):
                self.set_attribute(args[0], args[1], args[2])
            elif args and isinstance(args[0], ModuleValue):
                args[0].incomplete = True
            return None
        if name == "map":
            if len(args) >= 2:
                lists = [_iterate(a) for a in args[1:]]
                if any(items is None for items in lists):
                    return UNKNOWN
                return [self.call(args[0], list(items), {}, node) for items in zip(*lists)]
            return UNKNOWN
        fn = self._range if name == "range" else BUILTINS.get(name)
        if fn is None:
            return UNKNOWN
        try:
            return fn(list(args), dict(kwargs))
        except (TypeError, ValueError):
            return UNKNOWN

    def _isinstance(self, args: List[Any]) -> Any:
        if len(args) != 2:
            return UNKNOWN
        value, kinds = args
        kinds = kinds if isinstance(kinds, tuple) else (kinds,)
        results = [self._isinstance_one(value, k) for k in kinds]
        if True in results:
            return True
        if UNKNOWN in results:
            return UNKNOWN
        return False

    def _isinstance_one(self, value: Any, kind: Any) -> Any:
        if value is UNKNOWN:
            return UNKNOWN
        if isinstance(kind, BuiltinRef):
            types = {"int": int, "float": (int, float) if False else float, "str": str, "list": list,
                     "tuple": tuple, "dict": dict, "bool": bool}
            if kind.name in types:
                if isinstance(value, (Tensor, ModuleValue)):
                    return False
                if not known_constant(value) and not isinstance(value, (list, tuple, dict)):
                    return UNKNOWN
                if kind.name == "int" and isinstance(value, bool):
                    return True
                return isinstance(value, types[kind.name])
            return UNKNOWN
        if isinstance(kind, TorchRef):
            short = kind.name.rsplit(".", 1)[-1]
            if isinstance(value, Tensor):
                return short == "Tensor"
            if isinstance(value, ModuleValue):
                if short == "Module":
                    return True
                if value.type_name == short:
                    return True
                from .values import OpaqueModule, UserModule as _User

                if isinstance(value, OpaqueModule):
                    return UNKNOWN
                if isinstance(value, _User):
                    return UNKNOWN if short in ("Sequential", "ModuleList", "ModuleDict") else False
                return False
            if known_constant(value) or isinstance(value, (list, tuple, dict)):
                return False
            return UNKNOWN
        if isinstance(kind, ClassRef):
            if isinstance(value, UserModule):
                return kind.info in value.cls.mro()
            if isinstance(value, (Tensor, ModuleValue)) or known_constant(value):
                return False
            return UNKNOWN
        return UNKNOWN

    def call_external(self, name: str, args: List[Any], kwargs: Dict[str, Any]) -> Any:
        if name == "collections.OrderedDict":
            return _b_dict(args, kwargs)
        if name.startswith("math."):
            fn = _MATH.get(name[5:])
            if fn is None:
                return UNKNOWN
            if name == "math.prod":
                items = _iterate(args[0]) if args else None
                if items is None or not all(isinstance(i, (int, float)) for i in items):
                    return UNKNOWN
                return math.prod(items)
            return _numeric(fn)(args, kwargs)
        if name in ("functools.partial",):
            return UNKNOWN
        return UNKNOWN

    def call_lambda(self, fn: LambdaRef, args: List[Any], kwargs: Dict[str, Any]) -> Any:
        local = dict(fn.scope)
        names = [p.arg for p in fn.node.args.args]
        if len(args) > len(names):
            return UNKNOWN
        for name, value in zip(names, args):
            local[name] = value
        local.update({k: v for k, v in kwargs.items() if k in names})
        return self.eval(fn.node.body, Scope(self.globals, local))

    def call_method(self, ref: MethodRef, args: List[Any], kwargs: Dict[str, Any], node) -> Any:
        receiver, name = ref.receiver, ref.name
        if isinstance(receiver, Tensor):
            return self.tensor_method(receiver, name, args, kwargs)
        if isinstance(receiver, ModuleValue):
            return self.module_method(receiver, name, args, kwargs, node)
        if isinstance(receiver, list):
            return _list_method(receiver, name, args, kwargs)
        if isinstance(receiver, dict):
            return _dict_method(receiver, name, args, kwargs)
        if isinstance(receiver, str):
            return _str_method(receiver, name, args, kwargs)
        if isinstance(receiver, tuple):
            if name == "index" and args and receiver.count(args[0]):
                return receiver.index(args[0])
            if name == "count" and args:
                return receiver.count(args[0])
        return UNKNOWN

    def call_function(self, fn: FunctionRef, args: List[Any], kwargs: Dict[str, Any]) -> Any:
        if self.depth >= MAX_CALL_DEPTH:
            return UNKNOWN
        node = fn.node
        # A recursive helper behind undecidable conditions runs both ways at every level:
        # past a few levels of recursion its result is simply unknown.
        if self.active.count(id(node)) >= MAX_RECURSION:
            return UNKNOWN
        if type(node) is ast.AsyncFunctionDef:
            return UNKNOWN
        definition_scope = self.globals
        local: Dict[str, Any] = {}
        if not self.bind_parameters(node.args, args, kwargs, local, fn.owner):
            return UNKNOWN
        scope = Scope(definition_scope, local, fn.owner)
        self.depth += 1
        self.active.append(id(node))
        saved_statement = self.statement
        self.return_stack.append([])
        value: Any = None
        try:
            self.exec_block(node.body, scope)
        except _Return as done:
            value = done.value
        except (_Break, _Continue, _Abort, RecursionError):
            value = UNKNOWN
        finally:
            self.depth -= 1
            self.active.pop()
            self.statement = saved_statement
            pending = self.return_stack.pop()
        # A return on a path whose condition was undecidable: the result is what all agree on.
        for other in pending:
            value = merge_values(value, other)
        return value

    def bind_parameters(self, params: ast.arguments, args: List[Any], kwargs: Dict[str, Any],
                        local: Dict[str, Any], owner: Optional[ClassInfo]) -> bool:
        """Bind call arguments to a def's parameters as Python would; False when they do not fit."""
        default_scope = Scope(self.globals, {}, owner)
        positional = params.posonlyargs + params.args
        defaults = params.defaults
        first_default = len(positional) - len(defaults)
        remaining = list(args)
        kwargs = dict(kwargs)
        for i, param in enumerate(positional):
            name = param.arg
            if remaining:
                local[name] = remaining.pop(0)
                if name in kwargs:
                    return False
            elif name in kwargs:
                local[name] = kwargs.pop(name)
            elif i >= first_default:
                local[name] = self.eval(defaults[i - first_default], default_scope)
            else:
                local[name] = UNKNOWN  # a required argument nobody passed: unknown, not an error
        if params.vararg is not None:
            local[params.vararg.arg] = tuple(remaining)
        elif remaining:
            return False
        for param, default in zip(params.kwonlyargs, params.kw_defaults):
            name = param.arg
            if name in kwargs:
                local[name] = kwargs.pop(name)
            elif default is not None:
                local[name] = self.eval(default, default_scope)
            else:
                local[name] = UNKNOWN
        if params.kwarg is not None:
            local[params.kwarg.arg] = kwargs
        elif kwargs:
            return False
        return True

    # ----------------------------------------------------------------- budgets

    def note_stop(self, reason: str) -> None:
        """A budget ran out: the first one of a model is what SHP301 reports."""
        if self.stopped is None:
            self.stopped = (reason, self.statement)

    def count_step(self) -> None:
        """One more statement run or comprehension item made; past ``MAX_STEPS`` the model's
        code is not followed any further."""
        self.steps += 1
        if self.steps > MAX_STEPS:
            self.note_stop(f"more than {MAX_STEPS:,} statements and comprehension items were run"
                           f" (the budget of each model, and of the module's own code), so the rest"
                           f" is not followed")
            raise _Abort()

    def _range(self, args: List[Any], kwargs: Dict[str, Any]) -> Any:
        """``range(...)``; one too long to unroll is unknown, and noted as a budget run out."""
        value = _b_range(args, kwargs)
        if value is UNKNOWN and not kwargs and args and all(type(a) is int for a in args):
            try:
                length = _length(range(*args))
            except ValueError:  # a zero step
                return value
            if length > MAX_ITERATIONS:
                self.note_stop(f"range() of {length:,} items is longer than the {MAX_ITERATIONS:,}"
                               f" iterations a loop or comprehension is unrolled for, so what is"
                               f" built or computed from it is unknown")
        return value

    # ----------------------------------------------------------------- statements

    def exec_block(self, body: List[ast.stmt], scope: Scope) -> None:
        for statement in body:
            self.exec_statement(statement, scope)

    def exec_statement(self, statement: ast.stmt, scope: Scope) -> None:
        self.statement = statement
        self.count_step()
        kind = type(statement)
        if kind in _COMPOUND:
            method = getattr(self, "_exec_" + kind.__name__, None)
            if method is not None:
                method(statement, scope)
            return
        try:
            value = self._simple_statement(statement, scope)
        except _Return as done:
            # `return x  # shapelint: output=...` declares the returned tensor.
            if self.after_statement is not None:
                self.after_statement(statement, scope, done.value)
            raise
        if self.after_statement is not None:
            self.after_statement(statement, scope, value)

    def _simple_statement(self, node: ast.stmt, scope: Scope) -> Any:
        """Execute a simple statement (what libcst called a small statement); its value, if any."""
        kind = type(node)
        if kind is ast.Assign:
            value = self.eval(node.value, scope)
            for target in node.targets:
                self.assign(target, value, scope)
            return value
        if kind is ast.Expr:
            return self.eval(node.value, scope)
        if kind is ast.Return:
            raise _Return(None if node.value is None else self.eval(node.value, scope))
        if kind is ast.AugAssign:
            current = self.eval(node.target, scope)
            right = self.eval(node.value, scope)
            op = type(node.op)
            if isinstance(current, list) and op is ast.Add:
                items = _iterate(right)
                if items is None:
                    self.assign(node.target, UNKNOWN, scope)
                    return UNKNOWN
                current.extend(items)  # `layers += [...]` mutates the list in place
                return current
            value = self.binary(op, current, right) if op in _AUGMENTED else UNKNOWN
            self.assign(node.target, value, scope)
            return value
        if kind is ast.AnnAssign:
            if node.value is None:
                return None
            value = self.eval(node.value, scope)
            self.assign(node.target, value, scope)
            return value
        if kind is ast.Break:
            raise _Break()
        if kind is ast.Continue:
            raise _Continue()
        if kind is ast.Raise:
            raise _Abort()
        if kind is ast.Import or kind is ast.ImportFrom:
            bind_import(node, scope.locals)
            return None
        return None  # pass, del, global, nonlocal, assert

    def assign(self, target: ast.expr, value: Any, scope: Scope) -> None:
        kind = type(target)
        if kind is ast.Name:
            scope.locals[target.id] = value
        elif kind is ast.Tuple or kind is ast.List:
            elements = target.elts
            starred = [i for i, e in enumerate(elements) if type(e) is ast.Starred]
            items = _iterate(value) if not isinstance(value, Tensor) else None
            if isinstance(value, Tensor) and value.shape is not None and value.shape and isinstance(value.shape[0], int) and not starred:
                items = [self.subscript(value, i) for i in range(value.shape[0])]
            if items is not None and not starred and len(items) != len(elements):
                items = None
            if items is not None and starred:
                before = starred[0]
                after = len(elements) - before - 1
                if len(items) < before + after:
                    items = None
                else:
                    items = items[:before] + [list(items[before:len(items) - after])] + items[len(items) - after:]
            for i, element in enumerate(elements):
                self.assign(element, UNKNOWN if items is None else items[i], scope)
        elif kind is ast.Attribute:
            receiver = self.eval(target.value, scope)
            self.set_attribute(receiver, target.attr, value)
        elif kind is ast.Subscript:
            receiver = self.eval(target.value, scope)
            index = target.slice
            # One index (not a slice, not `a, b`): an item of a dict, list or module container.
            if type(index) is not ast.Slice and type(index) is not ast.Tuple:
                key = self.eval(index, scope)
                if isinstance(receiver, dict) and known_constant(key):
                    receiver[key] = value
                    return
                if isinstance(receiver, list) and isinstance(key, int) and -len(receiver) <= key < len(receiver):
                    receiver[key] = value
                    return
                if isinstance(receiver, ModuleValue):
                    self.module_method(receiver, "__setitem__", [key, value], {}, None)
                    return
            if isinstance(receiver, list):
                receiver[:] = [UNKNOWN] * len(receiver)
        elif kind is ast.Starred:
            self.assign(target.value, value, scope)

    def _exec_If(self, node: ast.If, scope: Scope) -> None:
        t = truth(self.eval(node.test, scope))
        if t is True:
            self.exec_block(node.body, scope)
            return
        orelse = node.orelse  # `elif` is an ast.If alone in orelse
        if t is False:
            self.exec_block(orelse, scope)
            return
        if self.silent >= MAX_UNDECIDED_NESTING:
            # Undecidable inside undecidable (a recursive helper): both paths would double the
            # work at every level. Forget what the statement may change instead.
            self.havoc(node, scope)
            if self.return_stack:
                self.return_stack[-1].append(UNKNOWN)
            return

        # Undecidable: run both paths silently, keep what they agree on.
        self.run_both(lambda s: self.exec_block(node.body, s), lambda s: self.exec_block(orelse, s), scope)

    def run_both(self, first: Callable[[Scope], None], second: Callable[[Scope], None], scope: Scope) -> None:
        results = []
        outer_writes = self.silent_writes
        writes: List[Tuple[Any, str]] = []
        self.silent_writes = writes
        self.silent += 1
        returned: List[Any] = []
        try:
            for branch in (first, second):
                local = Scope(scope.globals, dict(scope.locals), scope.owner)
                outcome = "fell"
                try:
                    branch(local)
                except _Return as done:
                    returned.append(done.value)
                    outcome = "returned"
                except (_Break, _Continue, _Abort):
                    outcome = "left"
                results.append((local, outcome))
        finally:
            self.silent -= 1
            self.silent_writes = outer_writes
            if outer_writes is not None:
                outer_writes.extend(writes)
        for receiver, name in writes:
            self.mark_uncertain(receiver, name)
        fell = [local for local, outcome in results if outcome == "fell"]
        if not fell:
            if len(returned) == 2:
                raise _Return(merge_values(returned[0], returned[1]))
            if returned:
                raise _Return(UNKNOWN)
            raise _Abort()
        names = set()
        for local in fell:
            names.update(local.locals)
        for name in names:
            values = [local.locals.get(name, UNKNOWN) for local in fell]
            merged = values[0]
            for other in values[1:]:
                merged = merge_values(merged, other)
            if returned:
                # One path returned: what follows only runs on the other, but the function's
                # result is uncertain; keep the fall-through values.
                pass
            scope.locals[name] = merged
        if returned and self.return_stack:
            self.return_stack[-1].append(returned[0])

    def mark_uncertain(self, receiver: Any, name: str) -> None:
        """An attribute set on one path only: whatever it holds cannot be trusted."""
        if isinstance(receiver, UserModule):
            value = receiver.children.get(name)
            if isinstance(value, ModuleValue):
                for _, sub in value.named_modules():
                    sub.uncertain = True
                return
            if name in receiver.attrs:
                receiver.attrs[name] = UNKNOWN

    def _exec_For(self, node: ast.For, scope: Scope) -> None:
        iterable = self.eval(node.iter, scope)
        items = _iterate(iterable) if not isinstance(iterable, Tensor) else None
        if items is None:
            self.havoc(node.body, scope)
            return
        broke = False
        for item in items:
            self.assign(node.target, item, scope)
            try:
                self.exec_block(node.body, scope)
            except _Break:
                broke = True
                break
            except _Continue:
                continue
        if not broke and node.orelse:
            self.exec_block(node.orelse, scope)

    _exec_AsyncFor = _exec_For

    def _exec_While(self, node: ast.While, scope: Scope) -> None:
        for _ in range(MAX_ITERATIONS):
            t = truth(self.eval(node.test, scope))
            if t is UNKNOWN:
                self.havoc(node.body, scope)
                return
            if not t:
                if node.orelse:
                    self.exec_block(node.orelse, scope)
                return
            try:
                self.exec_block(node.body, scope)
            except _Break:
                return
            except _Continue:
                continue
        self.note_stop(f"a while loop still runs after {MAX_ITERATIONS:,} iterations (the most"
                       f" followed), so what it computes is unknown")
        self.havoc(node.body, scope)

    def _exec_With(self, node: ast.With, scope: Scope) -> None:
        for item in node.items:
            value = self.eval(item.context_expr, scope)
            if item.optional_vars is not None:
                self.assign(item.optional_vars, UNKNOWN if not isinstance(value, ModuleValue) else value, scope)
        self.exec_block(node.body, scope)

    _exec_AsyncWith = _exec_With

    def _exec_Try(self, node: ast.Try, scope: Scope) -> None:
        # Handlers never run: an exception is a path not followed. (`try/except*` is not run.)
        try:
            self.exec_block(node.body, scope)
        except _Abort:
            if self.steps > MAX_STEPS:
                raise
            return
        if node.orelse:
            self.exec_block(node.orelse, scope)
        if node.finalbody:
            self.exec_block(node.finalbody, scope)

    def _exec_FunctionDef(self, node: ast.FunctionDef, scope: Scope) -> None:
        if scope.class_scope:
            return
        scope.locals[node.name] = FunctionRef(node, scope.owner)

    _exec_AsyncFunctionDef = _exec_FunctionDef

    def _exec_ClassDef(self, node: ast.ClassDef, scope: Scope) -> None:
        scope.locals[node.name] = UNKNOWN

    def _exec_Match(self, node, scope: Scope) -> None:
        self.havoc(node, scope)

    def havoc(self, body: Any, scope: Scope) -> None:
        """Forget everything a block of unknown repetition may change (``body``: a statement or
        a list of statements)."""
        assigned = _Assigned()
        if type(body) is list:
            for statement in body:
                assigned.walk(statement)
        else:
            assigned.walk(body)
        for name in assigned.names:
            scope.locals[name] = UNKNOWN
        for receiver in assigned.receivers:
            value = self.eval(receiver, scope)
            if isinstance(value, ModuleValue):
                value.incomplete = True
            elif isinstance(value, list):
                value.append(UNKNOWN)
                value[:] = [UNKNOWN]
                if type(receiver) is ast.Name:
                    scope.locals[receiver.id] = UNKNOWN
            elif type(receiver) is ast.Name:
                scope.locals[receiver.id] = UNKNOWN
        for receiver, name in assigned.attributes:
            value = self.eval(receiver, scope)
            if isinstance(value, UserModule):
                if name in value.children:
                    value.incomplete = True
                    for _, sub in value.children[name].named_modules():
                        sub.uncertain = True
                else:
                    value.attrs[name] = UNKNOWN


_STAR_UNKNOWN = object()

_MUTATORS = {"append", "extend", "insert", "add_module", "register_module", "update", "pop",
             "remove", "setdefault", "__setitem__", "clear"}


def _position(node: ast.AST) -> Tuple[int, int]:
    return node.lineno, node.col_offset


def _after(a: ast.AST, b: ast.AST) -> bool:
    return (a.lineno, a.col_offset) > (b.lineno, b.col_offset)


class _Assigned:
    """What a block may assign: names, receivers of item writes and mutating calls, and
    attributes. Walks everything below (nested definitions included), in source order."""

    __slots__ = ("names", "receivers", "attributes")

    def __init__(self) -> None:
        self.names: List[str] = []
        self.receivers: List[ast.expr] = []
        self.attributes: List[Tuple[ast.expr, str]] = []

    def _target(self, target: ast.expr) -> None:
        kind = type(target)
        if kind is ast.Name:
            self.names.append(target.id)
        elif kind is ast.Tuple or kind is ast.List:
            for element in target.elts:
                self._target(element)
        elif kind is ast.Attribute:
            self.attributes.append((target.value, target.attr))
        elif kind is ast.Subscript:
            self.receivers.append(target.value)
        elif kind is ast.Starred:
            self._target(target.value)

    def walk(self, node: ast.AST) -> None:
        kind = type(node)
        if kind is ast.Assign:
            for target in node.targets:
                self._target(target)
        elif kind in _TARGETED:
            self._target(node.target)
        elif kind is ast.Call:
            func = node.func
            if type(func) is ast.Attribute and func.attr in _MUTATORS:
                self.receivers.append(func.value)
            if type(func) is ast.Name and func.id == "setattr":
                if node.args:
                    first = node.args[0]
                    self.receivers.append(first.value if type(first) is ast.Starred else first)
                elif node.keywords:
                    self.receivers.append(node.keywords[0].value)
        elif kind in _LEAVES:
            return
        for name in child_fields(kind):
            value = getattr(node, name)
            if type(value) is list:
                for item in value:
                    if isinstance(item, _AST):
                        self.walk(item)
            elif isinstance(value, _AST):
                self.walk(value)


#: Statements whose ``target`` _Assigned records (``for`` only: not comprehension targets).
_TARGETED = frozenset({ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor})
_LEAVES = frozenset({ast.Name, ast.Constant, ast.Pass, ast.Break, ast.Continue, ast.Import, ast.ImportFrom})
_AST = ast.AST


def _list_method(receiver: list, name: str, args: List[Any], kwargs: Dict[str, Any]) -> Any:
    if name == "append" and len(args) == 1:
        receiver.append(args[0])
        return None
    if name == "extend" and len(args) == 1:
        items = _iterate(args[0])
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


def _dict_method(receiver: dict, name: str, args: List[Any], kwargs: Dict[str, Any]) -> Any:
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


def _str_method(receiver: str, name: str, args: List[Any], kwargs: Dict[str, Any]) -> Any:
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
        items = _iterate(args[0])
        if items is None or not all(isinstance(i, str) for i in items):
            return UNKNOWN
        return receiver.join(items)
    return UNKNOWN


def iter_known(value: Any) -> Optional[List[Any]]:
    return _iterate(value)
