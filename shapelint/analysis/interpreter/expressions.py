"""Evaluating expressions: one handler per ast expression type, found in ``EXPRESSIONS`` by
``Interpreter.eval``. A type without a handler (sets, ``await``, ...) evaluates to ``UNKNOWN``.

Each handler is ``handler(interp, node, scope) -> value``; it evaluates the parts of its node with
``interp.eval`` and combines them with the interpreter's operations (``interp.subscript``,
``interp.binary``, ``interp.get_attribute``, calls), which hand tensors and modules to the torch
hooks.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any, Callable, Dict, List

from ...core.layers import UNKNOWN
from ..values import LambdaRef, Tensor
from .calls import eval_call
from .plain_values import compare, iter_known, known_constant, truth
from .scope import Scope
from .statements import merge_paths

if TYPE_CHECKING:
    from ..evaluate import Interpreter

Handler = Callable[["Interpreter", Any, Scope], Any]


def _constant(interp: Interpreter, node: ast.Constant, scope: Scope) -> Any:
    # int, float, str, bool, None, Ellipsis stand for themselves; complex and bytes are unknown.
    value = node.value
    kind = type(value)
    if kind is complex or kind is bytes:
        return UNKNOWN
    return value


def _joined_str(interp: Interpreter, node: ast.JoinedStr, scope: Scope) -> Any:
    """An f-string whose parts are all known constants, without format specs or conversions."""
    parts: List[str] = []
    for part in node.values:
        if type(part) is ast.Constant:
            parts.append(part.value)
        elif type(part) is ast.FormattedValue:
            if part.format_spec is not None or part.conversion != -1:
                return UNKNOWN
            value = interp.eval(part.value, scope)
            if not known_constant(value):
                return UNKNOWN
            parts.append(str(value))
        else:
            return UNKNOWN
    return "".join(parts)


def _name(interp: Interpreter, node: ast.Name, scope: Scope) -> Any:
    return scope.lookup(node.id)


def _elements(interp: Interpreter, elements: List[ast.expr], scope: Scope) -> Any:
    """The items of a tuple or list display (``*rest`` unpacked), or UNKNOWN."""
    out: List[Any] = []
    for element in elements:
        if type(element) is ast.Starred:
            items = iter_known(interp.eval(element.value, scope))
            if items is None:
                return UNKNOWN
            out.extend(items)
        else:
            out.append(interp.eval(element, scope))
    return out


def _tuple(interp: Interpreter, node: ast.Tuple, scope: Scope) -> Any:
    items = _elements(interp, node.elts, scope)
    return UNKNOWN if items is UNKNOWN else tuple(items)


def _list(interp: Interpreter, node: ast.List, scope: Scope) -> Any:
    return _elements(interp, node.elts, scope)


def _dict(interp: Interpreter, node: ast.Dict, scope: Scope) -> Any:
    out: Dict[Any, Any] = {}
    for key_node, value_node in zip(node.keys, node.values):
        if key_node is None:  # **mapping
            value = interp.eval(value_node, scope)
            if not isinstance(value, dict):
                return UNKNOWN
            out.update(value)
            continue
        key = interp.eval(key_node, scope)
        value = interp.eval(value_node, scope)
        if not known_constant(key) and not isinstance(key, tuple):
            return UNKNOWN
        out[key] = value
    return out


def _attribute(interp: Interpreter, node: ast.Attribute, scope: Scope) -> Any:
    return interp.get_attribute(interp.eval(node.value, scope), node.attr)


def _subscript(interp: Interpreter, node: ast.Subscript, scope: Scope) -> Any:
    value = interp.eval(node.value, scope)
    # `x[a, b:c]` is a Tuple holding a Slice: evaluated element by element like any tuple.
    return interp.subscript(value, interp.eval(node.slice, scope))


def _slice(interp: Interpreter, node: ast.Slice, scope: Scope) -> Any:
    parts = [None if p is None else interp.eval(p, scope) for p in (node.lower, node.upper, node.step)]
    if any(p is UNKNOWN for p in parts):
        return UNKNOWN
    return slice(*parts)


def _bin_op(interp: Interpreter, node: ast.BinOp, scope: Scope) -> Any:
    left = interp.eval(node.left, scope)
    right = interp.eval(node.right, scope)
    return interp.binary(type(node.op), left, right)


def _unary_op(interp: Interpreter, node: ast.UnaryOp, scope: Scope) -> Any:
    value = interp.eval(node.operand, scope)
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


def _bool_op(interp: Interpreter, node: ast.BoolOp, scope: Scope) -> Any:
    # `a and b and c`: each operand but the last decides, left to right.
    is_and = type(node.op) is ast.And
    values = node.values
    for operand in values[:-1]:
        value = interp.eval(operand, scope)
        t = truth(value)
        if t is UNKNOWN:
            return UNKNOWN
        if t is not is_and:  # falsy under `and`, truthy under `or`: the result
            return value
    return interp.eval(values[-1], scope)


def _compare(interp: Interpreter, node: ast.Compare, scope: Scope) -> Any:
    # `a < b < c`: each link in turn, stopping at the first false one.
    left = interp.eval(node.left, scope)
    for op, comparator in zip(node.ops, node.comparators):
        right = interp.eval(comparator, scope)
        outcome = compare(type(op), left, right)
        if outcome is UNKNOWN:
            return UNKNOWN
        if not outcome:
            return False
        left = right
    return True


def _if_exp(interp: Interpreter, node: ast.IfExp, scope: Scope) -> Any:
    t = truth(interp.eval(node.test, scope))
    if t is UNKNOWN:
        # Both values silently (no findings from a path that may not run); keep what they share:
        # two different modules are a module of unknown class, never one of them.
        interp.silent += 1
        try:
            a = interp.eval(node.body, scope)
            b = interp.eval(node.orelse, scope)
        finally:
            interp.silent -= 1
        return merge_paths(a, b, node)
    return interp.eval(node.body if t else node.orelse, scope)


def _lambda(interp: Interpreter, node: ast.Lambda, scope: Scope) -> Any:
    return LambdaRef(node, dict(scope.locals), scope.globals)


def _comprehension(interp: Interpreter, node, scope: Scope, produce: Callable[[Scope], None]) -> bool:
    """Run a comprehension's loops, calling ``produce`` for each item; False when an iterable or
    a condition is unknown."""
    local = Scope(scope.globals, dict(scope.locals), scope.owner)
    generators = node.generators

    def run(level: int) -> bool:
        if level == len(generators):
            produce(local)
            return True
        clause = generators[level]
        items = iter_known(interp.eval(clause.iter, local))
        if items is None:
            return False
        for item in items:
            interp.count_step()
            interp.assign(clause.target, item, local)
            keep = True
            for condition in clause.ifs:
                t = truth(interp.eval(condition, local))
                if t is UNKNOWN:
                    return False
                keep = keep and t
            if keep and not run(level + 1):
                return False
        return True

    return run(0)


def _list_comp(interp: Interpreter, node: ast.ListComp, scope: Scope) -> Any:
    """A list comprehension, or a generator expression (made into a list)."""
    out: List[Any] = []
    if not _comprehension(interp, node, scope, lambda s: out.append(interp.eval(node.elt, s))):
        return UNKNOWN
    return out


def _dict_comp(interp: Interpreter, node: ast.DictComp, scope: Scope) -> Any:
    out: Dict[Any, Any] = {}

    def produce(s: Scope) -> None:
        key = interp.eval(node.key, s)
        if known_constant(key):
            out[key] = interp.eval(node.value, s)

    if not _comprehension(interp, node, scope, produce):
        return UNKNOWN
    return out


def _named_expr(interp: Interpreter, node: ast.NamedExpr, scope: Scope) -> Any:
    value = interp.eval(node.value, scope)
    interp.assign(node.target, value, scope)
    return value


#: The handler of each expression type the interpreter evaluates.
EXPRESSIONS: Dict[type, Handler] = {
    ast.Constant: _constant,
    ast.JoinedStr: _joined_str,
    ast.Name: _name,
    ast.Tuple: _tuple,
    ast.List: _list,
    ast.Dict: _dict,
    ast.Attribute: _attribute,
    ast.Subscript: _subscript,
    ast.Slice: _slice,
    ast.BinOp: _bin_op,
    ast.UnaryOp: _unary_op,
    ast.BoolOp: _bool_op,
    ast.Compare: _compare,
    ast.IfExp: _if_exp,
    ast.Lambda: _lambda,
    ast.ListComp: _list_comp,
    ast.GeneratorExp: _list_comp,
    ast.DictComp: _dict_comp,
    ast.NamedExpr: _named_expr,
    ast.Call: eval_call,
}
