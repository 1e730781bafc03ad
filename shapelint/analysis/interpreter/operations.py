"""Indexing, operators and attributes of values: where a tensor or a module hands over to the
torch hooks (``tensor_method``, ``tensor_binary``, ``module_attribute``, ...), and where the
classes of the file are looked into."""

from __future__ import annotations

import ast
from typing import Any

from ...core.layers import UNKNOWN
from ..collect import ClassInfo, dotted_name, one_line_suite
from ..values import (
    BoundMethod,
    ClassRef,
    ExternalRef,
    ModuleRef,
    FunctionRef,
    MethodRef,
    ModuleDictModule,
    ModuleListModule,
    ModuleValue,
    SequentialModule,
    SuperRef,
    Tensor,
    TorchRef,
)
from .objects import (
    AttrDictValue,
    bound_method,
    ConfigObject,
    ObjectValue,
    RecordTuple,
    object_attribute,
    set_object_attribute,
)
from .plain_values import BINARY, arithmetic
from .scope import Abort, BreakSignal, ContinueSignal, ReturnSignal, Scope
from .statements import SIMPLE_STATEMENTS
from .stdlib import MATH_CONSTANTS

#: The statements of a class body evaluated for its class attributes.
_CLASS_ATTRIBUTE_STATEMENTS = (ast.Assign, ast.AnnAssign, ast.AugAssign)


class Operations:
    """The operations of the Interpreter on values: ``value[index]``, ``left op right``,
    ``value.name`` and ``target.name = value`` (a mixin of the Interpreter, in ``evaluate.py``,
    whose state and torch hooks these use)."""

    def subscript(self, value: Any, index: Any) -> Any:
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

    def binary(self, op: type, left: Any, right: Any) -> Any:
        """``left op right`` for an ast operator class (ast.Add, ast.MatMult, ...)."""
        if isinstance(left, Tensor) or isinstance(right, Tensor) or op is ast.MatMult:
            return self.tensor_binary(op, left, right)
        if op is ast.Add and isinstance(left, ModuleValue):
            return self.module_method(left, "__add__", [right], {}, None)  # ModuleList + [...]
        fn = BINARY.get(op)
        if fn is None or left is UNKNOWN or right is UNKNOWN:
            return UNKNOWN
        return arithmetic(fn, left, right)

    def get_attribute(self, value: Any, name: str) -> Any:
        if value is UNKNOWN:
            return UNKNOWN
        if isinstance(value, TorchRef):
            return value.attr(name)
        if isinstance(value, ExternalRef):
            if value.name == "math" and name in MATH_CONSTANTS:
                return MATH_CONSTANTS[name]
            return ExternalRef(f"{value.name}.{name}")
        if isinstance(value, Tensor):
            return self.tensor_method(value, "__attr__", [name], {})
        if isinstance(value, ModuleValue):
            return self.module_attribute(value, name)
        if isinstance(value, ClassRef):
            return self.class_attribute(value.info, name)
        if isinstance(value, ModuleRef):
            return value.module.member(name)
        if isinstance(value, SuperRef):
            return self.super_attribute(value, name)
        if isinstance(value, (ObjectValue, AttrDictValue, RecordTuple)):
            return object_attribute(self, value, name)
        if isinstance(value, ConfigObject):
            return MethodRef(value, name)  # a parser's or a file's methods
        if isinstance(value, (list, dict, str, tuple)):
            return MethodRef(value, name)
        return UNKNOWN

    def class_attribute(self, info: ClassInfo, name: str, receiver: Any = None) -> Any:
        """``Class.name``, or ``instance.name`` of a ``receiver``: a class attribute or a method of
        the class or of a base in the file, bound as Python binds it (a ``@classmethod`` to the
        class, a ``@staticmethod`` to nothing, any other decorator: unknown)."""
        for cls in info.mro():
            _evaluate_class_body(self, cls)
            if name in cls.attributes:
                value = cls.attributes[name]
                if receiver is not None and isinstance(value, FunctionRef):
                    return BoundMethod(receiver, value)  # a function is a method however it got there
                return value
            if name in cls.methods:
                method = cls.methods[name]
                if receiver is not None and _is_property(method):
                    return self.call_function(FunctionRef(method, cls), [receiver], {})
                return bound_method(info, cls, method, receiver)
        return UNKNOWN

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
        elif isinstance(target, (ObjectValue, AttrDictValue, RecordTuple)):
            set_object_attribute(self, target, name, value)


def _is_property(method: ast.FunctionDef) -> bool:
    return [dotted_name(d) for d in method.decorator_list] == ["property"]


def _evaluate_class_body(interp: Any, info: ClassInfo) -> None:
    """Evaluate the assignments of a class body once (silently), into ``info.attributes``."""
    if info.attributes_evaluated:
        return
    info.attributes_evaluated = True
    node = info.node
    if one_line_suite(node):
        return  # `class C: x = 1` on one line is not evaluated (as the analysis always did)
    globals_ = info.globals if info.globals is not None else interp.globals
    scope = Scope(globals_, {}, info, class_scope=True)
    interp.silent += 1
    try:
        with interp.running_code_of(globals_):
            for statement in node.body:
                kind = type(statement)
                if kind in _CLASS_ATTRIBUTE_STATEMENTS:
                    try:
                        SIMPLE_STATEMENTS[kind](interp, statement, scope)
                    except (ReturnSignal, BreakSignal, ContinueSignal, Abort):
                        pass
    finally:
        interp.silent -= 1
    info.attributes.update({k: v for k, v in scope.locals.items()})
