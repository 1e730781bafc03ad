"""Forgetting what code that is not followed as written may change: a loop of unknown length, a
condition too deeply undecidable, a ``match``, the paths of an undecidable ``if``. Whatever such
code may assign becomes unknown (a module there stays a module, under its name, of unknown class
and shape: ``unknown_in``); containers it may fill become incomplete."""

from __future__ import annotations

import ast
from typing import Any, List, Tuple

from ...core.layers import UNKNOWN
from ..collect import child_fields
from ..values import ModuleValue, UserModule, unknown_module
from .objects import ConfigObject, forget_object_attribute
from .scope import Scope

#: Methods that change their receiver (of a list, dict or module container).
_MUTATORS = frozenset({"append", "extend", "insert", "add_module", "register_module", "update", "pop",
                       "remove", "setdefault", "__setitem__", "clear", "add_argument", "set_defaults",
                       "add_argument_group", "add_mutually_exclusive_group"})
#: Statements whose ``target`` ``_Assigned`` records (``for`` only: not comprehension targets).
_TARGETED = frozenset({ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor})
#: Nodes nothing below which can assign.
_LEAVES = frozenset({ast.Name, ast.Constant, ast.Pass, ast.Break, ast.Continue, ast.Import, ast.ImportFrom})
_AST = ast.AST


def havoc(interp: Any, body: Any, scope: Scope, reason: str, where: ast.stmt) -> None:
    """Forget everything a block of unknown repetition may change (``body``: a statement or
    a list of statements, of the statement ``where``); a module it may build is unknown, for
    ``reason``."""
    assigned = assigned_in(body)
    for name in assigned.names:
        scope.locals[name] = UNKNOWN
    for receiver in assigned.receivers:
        value = interp.eval(receiver, scope)
        if isinstance(value, ConfigObject):
            value.forget()  # a parser given options, an attribute dict filled, in a loop
        elif isinstance(value, ModuleValue):
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
        if isinstance(value, ConfigObject):
            forget_object_attribute(value, name)
        elif isinstance(value, UserModule):
            if name in value.children:
                value.incomplete = True
            forget_attribute(value, name, reason, where)


def assigned_in(body: Any) -> "_Assigned":
    """What a statement, or a list of statements, may assign."""
    assigned = _Assigned()
    for statement in body if type(body) is list else (body,):
        assigned.walk(statement)
    return assigned


def forget_attribute(receiver: Any, name: str, reason: str, where: ast.stmt) -> None:
    """An attribute that code not followed as written may have set: a module there is still a
    module, under its name, but of unknown class and shape; any other value is unknown."""
    if not isinstance(receiver, UserModule):
        return
    if name in receiver.children:
        receiver.children[name] = unknown_in(reason, where)
    elif name in receiver.attrs:
        receiver.attrs[name] = UNKNOWN


def unknown_in(reason: str, where: ast.stmt) -> ModuleValue:
    """A module built by code not followed as written (at ``where``): its class, children and
    shape are unknown."""
    module = unknown_module(reason, None, where)
    module.incomplete = True
    module.incomplete_reason = reason
    return module


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
