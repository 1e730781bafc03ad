"""Where names live while code runs (``Scope``), and how control leaves a block: ``return``,
``break``, ``continue`` and a path that cannot be followed travel up as exceptions."""

from __future__ import annotations

from typing import Any, Dict, Optional

from ...core.layers import UNKNOWN
from ..collect import ClassInfo
from ..values import BuiltinRef
from .stdlib import BUILTIN_NAMES


class ReturnSignal(Exception):
    """A ``return`` reached: ``value`` is what it returns."""

    def __init__(self, value: Any) -> None:
        self.value = value


class BreakSignal(Exception):
    """A ``break`` reached."""


class ContinueSignal(Exception):
    """A ``continue`` reached."""


class Abort(Exception):
    """The path cannot be followed (a ``raise`` reached, a budget exhausted)."""


class Scope:
    """The names of one running block: its locals, the module's globals, the class whose method
    runs (``owner``: what ``super()`` and default arguments need), and whether this is a class
    body (where a ``def`` binds nothing the interpreter uses)."""

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
        if name in BUILTIN_NAMES:
            return BuiltinRef(name)
        return UNKNOWN
