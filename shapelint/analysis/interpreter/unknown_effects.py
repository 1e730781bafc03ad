"""Forgetting what code that is not followed may change: a loop of unknown length, a condition
too deeply undecidable, a ``match``, an attribute set on one path only. Whatever such code may
assign becomes unknown; containers it may fill become incomplete."""

from __future__ import annotations

import ast
from typing import Any, List, Tuple

from ...core.layers import UNKNOWN
from ..collect import child_fields
from ..values import ModuleValue, UserModule
from .scope import Scope

#: Methods that change their receiver (of a list, dict or module container).
_MUTATORS = frozenset({"append", "extend", "insert", "add_module", "register_module", "update", "pop",
                       "remove", "setdefault", "__setitem__", "clear"})
#: Statements whose ``target`` ``_Assigned`` records (``for`` only: not comprehension targets).
_TARGETED = frozenset({ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor})
#: Nodes nothing below which can assign.
_LEAVES = frozenset({ast.Name, ast.Constant, ast.Pass, ast.Break, ast.Continue, ast.Import, ast.ImportFrom})
_AST = ast.AST


def havoc(interp: Any, body: Any, scope: Scope) -> None:
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
        value = interp.eval(receiver, scope)
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
        value = interp.eval(receiver, scope)
        if isinstance(value, UserModule):
            if name in value.children:
                value.incomplete = True
                for _, sub in value.children[name].named_modules():
                    sub.uncertain = True
            else:
                value.attrs[name] = UNKNOWN


def mark_uncertain(receiver: Any, name: str) -> None:
    """An attribute set on one path only: whatever it holds cannot be trusted."""
    if isinstance(receiver, UserModule):
        value = receiver.children.get(name)
        if isinstance(value, ModuleValue):
            for _, sub in value.named_modules():
                sub.uncertain = True
            return
        if name in receiver.attrs:
            receiver.attrs[name] = UNKNOWN


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
