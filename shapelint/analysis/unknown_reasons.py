"""Why a value could not be evaluated, told from the code that makes it.

Only asked for on the unhappy path (an item of a container that is not a known module, a call of
an unknown callee on a tensor), so the cost of walking the file's imports is paid only then.
"""

from __future__ import annotations

import ast
from typing import Any, Dict, List, Optional, Set, Tuple

#: Longest source excerpt quoted in a reason.
_EXCERPT = 40


def excerpt(node: ast.AST) -> str:
    """Short source text of ``node``, for a reason."""
    try:
        text = ast.unparse(node)
    except Exception:  # noqa: BLE001 - an odd tree must not crash the analysis
        return "this expression"
    return text if len(text) <= _EXCERPT else text[:_EXCERPT - 3] + "..."


class ReasonIndex:
    """What the reasons read from the file (its imports, its ``self.NAME = value`` assignments),
    gathered in one walk the first time a reason is asked for: real code calls many unknown
    callees, and a walk per reason made a file's analysis several times slower."""

    def __init__(self, module: Optional[ast.Module]) -> None:
        self.module = module
        self._imports: Optional[Dict[str, str]] = None
        self._attributes: Dict[str, List[ast.expr]] = {}
        #: The import sources (``.blocks``, ``models.unet``) that are project modules, read.
        self.read_sources: Set[str] = set()

    def _imported(self, what: str, source: str) -> str:
        if source in self.read_sources:
            return f"`{what}` is imported from `{source}`, where it could not be evaluated"
        return f"`{what}` is imported from `{source}`, which is not read"

    def _gather(self) -> Dict[str, str]:
        if self._imports is None:
            imports: Dict[str, str] = {}
            for node in ast.walk(self.module) if self.module is not None else ():
                if type(node) is ast.Import or type(node) is ast.ImportFrom:
                    for alias in node.names:
                        bound = alias.asname or alias.name.split(".")[0]
                        source = ("." * node.level + (node.module or "")) if type(node) is ast.ImportFrom \
                            else alias.name
                        imports.setdefault(bound, source)
                elif type(node) is ast.Assign:
                    for target in node.targets:
                        if type(target) is ast.Attribute and type(target.value) is ast.Name \
                                and target.value.id == "self":
                            self._attributes.setdefault(target.attr, []).append(node.value)
            self._imports = imports
        return self._imports

    def import_source(self, name: str) -> Optional[str]:
        """The module ``name`` is imported from (``mylib``, ``.blocks``), or None."""
        return self._gather().get(name)

    def attribute_value(self, name: str) -> Optional[ast.expr]:
        """The value of the one assignment ``self.NAME = value`` of the file (None: none, or several)."""
        self._gather()
        found = self._attributes.get(name, ())
        return found[0] if len(found) == 1 else None

    def callee(self, func: ast.expr) -> str:
        """Why calling ``func`` gives an unknown value: an import not followed, or a name whose
        value could not be evaluated."""
        if type(func) is ast.Attribute and type(func.value) is ast.Name and func.value.id == "self":
            assigned = self.attribute_value(func.attr)
            if assigned is not None:
                return f"`self.{func.attr}` is `{excerpt(assigned)}`: {self.expression(assigned)}"
        head = func
        while type(head) is ast.Attribute:
            head = head.value
        if type(head) is ast.Name:
            source = self.import_source(head.id)
            if source is not None:
                return self._imported(excerpt(func), source)
            if head is func:
                return f"`{head.id}` could not be evaluated"
        return f"`{excerpt(func)}(...)` could not be evaluated"

    def expression(self, node: Optional[ast.expr]) -> str:
        """Why the value of ``node`` is unknown (None: where it came from is not known)."""
        if node is None:
            return "an item could not be evaluated"
        if type(node) is ast.Call:
            return self.callee(node.func)
        if type(node) is ast.Name:
            source = self.import_source(node.id)
            if source is not None:
                return self._imported(node.id, source)
        return f"`{excerpt(node)}` could not be evaluated"


def _dict_value(node: ast.expr, key: Any) -> Optional[ast.expr]:
    """The value node of ``key`` in a dict display or an ``OrderedDict([(k, v), ...])`` call."""
    if type(node) is ast.Dict:
        for k, v in zip(node.keys, node.values):
            if type(k) is ast.Constant and str(k.value) == key:
                return v
        return None
    if type(node) is ast.Call and len(node.args) == 1 and type(node.args[0]) in (ast.List, ast.Tuple):
        for pair in node.args[0].elts:
            if type(pair) is ast.Tuple and len(pair.elts) == 2 and type(pair.elts[0]) is ast.Constant \
                    and str(pair.elts[0].value) == key:
                return pair.elts[1]
    return None


def item_node(call: Optional[ast.Call], position: Tuple[Any, ...]) -> Optional[ast.expr]:
    """The expression that gave the item at ``position`` of a call's arguments: an int is a
    positional argument (before any ``*``), then an index into a list display (or the element
    of a comprehension), or a key of a dict display."""
    if type(call) is not ast.Call or not position:
        return None
    first, rest = position[0], position[1:]
    if not isinstance(first, int) or first >= len(call.args) \
            or any(type(a) is ast.Starred for a in call.args[:first + 1]):
        return None
    node: Optional[ast.expr] = call.args[first]
    for step in rest:
        kind = type(node)
        if kind in (ast.ListComp, ast.GeneratorExp):
            node = node.elt
        elif isinstance(step, int) and kind in (ast.List, ast.Tuple):
            node = node.elts[step] if step < len(node.elts) and type(node.elts[step]) is not ast.Starred \
                and not any(type(e) is ast.Starred for e in node.elts[:step]) else None
        elif isinstance(step, str):
            node = _dict_value(node, step)
        else:
            node = None
        if node is None:
            return None
    return node
