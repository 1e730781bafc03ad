"""Incremental analysis: what an edit cannot reach is not run again.

A front end that analyses one file again and again (an editor's buffer) keeps a :class:`Reuse`
and hands it to each analysis. The file's top-level statements are grouped into *components*:
two statements are in one component when they share a module-level name (one defines or
assigns it, the other reads it, calls it, builds it, mutates it, or gives an example of it).
A model's run can reach only its own component: the classes and functions it calls, the
module-level values it reads, the constructions and examples of its class (the plan and the
``_file_construction`` read them), and whatever another model of the component does to a value
both can reach. Names bound by imports of torch and of the libraries the analysis knows itself
(``nn``, ``F``, ``math``) link nothing: their values are references that no code of the file
can change (a file that assigns to one of their attributes links them after all). All imports
of other modules (project files, packages) link with each other, and so with every statement
that uses what they import: the code of one imported module may change what another gives.

A model's result (its shapes, its summary, the SHP301 of its budget) is kept under a key of
everything it may depend on: the text and first line of every statement of its component, the
file's imports and its text after the last statement, the options, the other files read, and
the model's plan. A component is run again when any of its models has no kept result; then all
of its models run again, in the plan's order, so that what they share is as a whole-file run
leaves it. Anything not shown to be unaffected runs again:

- a model whose run found something (its diagnostics, fixes and their checks depend on the
  whole file's errors) is never kept;
- a model whose plan cannot be fingerprinted (a value without a stable text) is never kept;
- nothing is kept or reused when the module-level code used up its budget, when the file reads
  its own names dynamically (``globals()``, ``vars()``, ``eval``, ``exec``, ``sys.modules``,
  ``__import__``, ``importlib``), when it has a star import of a module the analysis does not
  know, when a statement's names cannot be read, or when a model's run read another file that
  was not read before the models ran.

The tests compare an incremental analysis with a fresh one after random edits (diagnostics and
shapes): ``tests/analysis/test_incremental.py``.
"""

from __future__ import annotations

import ast
import bisect
import hashlib
import re
import symtable
import warnings
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, Dict, FrozenSet, List, Mapping, NamedTuple, Optional, Sequence, Set, Tuple

from ..core.results import Diagnostic, ModelShapes, ModelSummary
from .collect import ClassInfo, has_own_semantics

#: Text that makes a file's own names reachable other than by name: no result is reused.
_DYNAMIC_NAMES = re.compile(r"\b(globals|vars|locals|eval|exec|__import__)\s*\(|\bsys\s*\.\s*modules\b|\bimportlib\b")
_DYNAMIC_WORDS = ("globals", "vars", "locals", "eval", "exec", "__import__", "modules", "importlib")
#: A quoted identifier (``getattr(module, "Net")``, a string annotation): it may name a global.
_QUOTED_NAME = re.compile(r"""['"]([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)['"]""")

#: What every import of a module the analysis reads (a project file, an unknown package) links:
#: the code of one may reach the values of another, whatever names they are imported by.
_IMPORTS = "<imports of modules read>"

#: Statement facts kept per distinct statement text, and model results kept per analysed file.
_MAX_STATEMENTS = 1024
_MIN_MODELS = 256


@dataclass(frozen=True)
class ModelMemo:
    """What a model's run gave, as the analysis reports it (no reference into a tree)."""

    shapes: Optional[ModelShapes]
    summary: ModelSummary
    #: The SHP301 of the budget that stopped it, where the whole-file analysis reports it.
    stop: Optional[Diagnostic]


class StatementNames(NamedTuple):
    """The module-level names one top-level statement touches."""

    #: Every module-level name it reads, binds or mutates (and quoted identifiers).
    names: FrozenSet[str]
    #: The names it binds at module level (``global`` declarations in functions included).
    binds: FrozenSet[str]
    #: Names it binds by importing a module the analysis knows itself (``import torch.nn as nn``).
    own_imports: FrozenSet[str]
    #: Roots of the attributes and items it assigns to (``nn`` of ``nn.Conv2d = X``).
    stored_roots: FrozenSet[str]
    #: It is a star import of a module the analysis does not know.
    unknown_star: bool


class Reuse:
    """The results of earlier analyses of one file, kept by the front end between analyses
    (no module-level state: whoever analyses a file again keeps one and passes it in)."""

    def __init__(self, deferred: bool = False) -> None:
        #: The next analysis's results are keyed only when a fix of it is checked (``check``:
        #: one analysis per file, most with no fix to check); ``pending`` keeps them then.
        self.deferred = deferred
        self.pending: Optional[Callable[[], None]] = None
        self.models: "OrderedDict[str, ModelMemo]" = OrderedDict()
        self.statements: "OrderedDict[str, Optional[StatementNames]]" = OrderedDict()
        #: The latest text analysed and its tree (``parse`` parses again only what changed).
        self.base: Optional[Tuple[List[str], ast.Module, List[int], List[int]]] = None

    def remember(self, lines: List[str], tree: ast.Module) -> None:
        """The text an editor's next text will differ from a little (its lines, its tree)."""
        starts, ends = _statement_lines(tree)
        self.base = (lines, tree, starts, ends)

    def parse(self, text: str, lines: List[str]) -> ast.Module:
        """``ast.parse(text)`` (its errors too): when the text differs from the remembered one
        within one top-level statement's lines, only that statement is parsed, the others are
        the remembered tree's nodes (never changed: every stage reads trees only)."""
        tree = _parse_changed(self.base, text, lines) if self.base is not None else None
        return tree if tree is not None else parse_text(text)

    def memo(self, key: str) -> Optional[ModelMemo]:
        found = self.models.get(key)
        if found is not None:
            self.models.move_to_end(key)
        return found

    def keep(self, key: str, memo: ModelMemo, models_in_file: int) -> None:
        self.models[key] = memo
        self.models.move_to_end(key)
        # Room for a few versions of every model of the file (the edits being checked as fixes,
        # the text before them): older results go first.
        while len(self.models) > max(_MIN_MODELS, 4 * models_in_file):
            self.models.popitem(last=False)

    def statement_names(self, text: str, node: ast.stmt) -> Optional[StatementNames]:
        if text in self.statements:
            self.statements.move_to_end(text)
            return self.statements[text]
        found = read_statement_names(text, node)
        self.statements[text] = found
        while len(self.statements) > _MAX_STATEMENTS:
            self.statements.popitem(last=False)
        return found


# --------------------------------------------------------------------------- parsing


def parse_text(text: str) -> ast.Module:
    with warnings.catch_warnings():
        # Invalid escape sequences and the like are the user's business, not this tool's output.
        warnings.simplefilter("ignore")
        return ast.parse(text)


def _statement_lines(tree: ast.Module) -> Tuple[List[int], List[int]]:
    """The first line (decorators included) and the last line of each top-level statement."""
    starts = [min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", ())]) for node in tree.body]
    ends = [node.end_lineno or node.lineno for node in tree.body]
    return starts, ends


def _parse_changed(base: Tuple[List[str], ast.Module, List[int], List[int]], text: str,
                   lines: List[str]) -> Optional[ast.Module]:
    """The tree of ``text`` from the remembered one, when the lines that differ are all within
    one top-level statement that shares no line with another and the number of lines is the
    same; None otherwise. A statement's lines that parse on their own parse the same in the file:
    it starts a line at column 0 with nothing open before it, and what follows it starts a line
    at column 0 too."""
    old, tree, starts, ends = base
    if len(old) != len(lines) or "__future__" in text or "\r" in text:
        return None  # a future import may change the grammar; joined lines must be the text's
    first = 0
    while first < len(lines) and old[first] == lines[first]:
        first += 1
    if first == len(lines):
        return tree
    last = len(lines) - 1
    while old[last] == lines[last]:
        last -= 1
    first, last = first + 1, last + 1  # 1-based
    index = bisect.bisect_right(starts, first) - 1
    if index < 0 or last > ends[index]:
        return None
    if index > 0 and ends[index - 1] >= starts[index] or index + 1 < len(starts) and starts[index + 1] <= ends[index]:
        return None  # a line shared with another statement (``a = 1; b = 2``)
    try:
        part = parse_text("\n".join(lines[starts[index] - 1:ends[index]]))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None  # the whole text's parse says what is wrong
    for node in part.body:
        ast.increment_lineno(node, starts[index] - 1)
    return ast.Module(body=tree.body[:index] + part.body + tree.body[index + 1:], type_ignores=[])


# --------------------------------------------------------------------------- statements


def read_statement_names(text: str, node: ast.stmt) -> Optional[StatementNames]:
    """The module-level names of a top-level statement whose full lines are ``text`` (other
    statements on those lines included: more names, never fewer). None when its scopes cannot
    be read."""
    try:
        table = symtable.symtable(text, "<statement>", "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    names: Set[str] = set()
    binds: Set[str] = set()
    _module_names(table, names, binds, top=True)
    names.update(part for quoted in _QUOTED_NAME.findall(text) for part in quoted.split("."))
    own: Set[str] = set()
    unknown_star = False
    if type(node) is ast.Import:
        for alias in node.names:
            bound = alias.asname or alias.name.split(".")[0]
            if has_own_semantics(alias.name.split(".")[0]):
                own.add(bound)
            else:
                names.add(_IMPORTS)
    elif type(node) is ast.ImportFrom:
        known = node.level == 0 and node.module is not None and has_own_semantics(node.module.split(".")[0])
        for alias in node.names:
            if alias.name == "*":
                unknown_star = unknown_star or not known
            elif known:
                own.add(alias.asname or alias.name)
        if not known:
            names.add(_IMPORTS)
    names.update(binds)
    return StatementNames(frozenset(names), frozenset(binds), frozenset(own),
                          frozenset(_stored_roots(node)), unknown_star)


def _module_names(table: "symtable.SymbolTable", names: Set[str], binds: Set[str], top: bool) -> None:
    for symbol in table.get_symbols():
        name = symbol.get_name()
        if top:
            names.add(name)
            if symbol.is_assigned() or symbol.is_imported() or symbol.is_namespace():
                binds.add(name)
        elif symbol.is_global() or symbol.is_declared_global():
            names.add(name)
            if symbol.is_declared_global() and symbol.is_assigned():
                binds.add(name)
    for child in table.get_children():
        _module_names(child, names, binds, top=False)


def _stored_roots(node: ast.AST) -> Set[str]:
    roots: Set[str] = set()
    for child in ast.walk(node):
        if type(child) in (ast.Attribute, ast.Subscript) and type(child.ctx) is not ast.Load:
            root = child.value
            while type(root) in (ast.Attribute, ast.Subscript, ast.Call):
                root = root.func if type(root) is ast.Call else root.value
            if type(root) is ast.Name:
                roots.add(root.id)
    return roots


# --------------------------------------------------------------------------- the file's components


class Layout:
    """The top-level statements of one text, their keys and their components."""

    def __init__(self, tree: ast.Module, lines: Sequence[str], reuse: Reuse) -> None:
        body = tree.body
        self.usable = True
        self.starts: List[int] = []
        self.ends: List[int] = []
        keys: List[str] = []
        facts: List[Optional[StatementNames]] = []
        previous_end = 0
        for statement in body:
            first = min([statement.lineno] + [d.lineno for d in getattr(statement, "decorator_list", ())])
            last = statement.end_lineno or statement.lineno
            # The key's lines reach back to the line after the previous statement, and at least
            # to the line above (a pragma there belongs to a class or an assignment).
            begin = max(1, min(previous_end + 1, first - 1))
            keys.append(_digest(f"{begin}\n" + "\n".join(lines[begin - 1:last])))
            facts.append(reuse.statement_names("\n".join(lines[first - 1:last]), statement))
            self.starts.append(first)
            self.ends.append(last)
            previous_end = max(previous_end, last)
        self.tail = "\n".join(lines[previous_end:])
        self.keys = keys
        if any(found is None or found.unknown_star for found in facts):
            self.usable = False
            return
        self.component = _components([found for found in facts if found is not None])
        imports = [keys[i] for i, statement in enumerate(body) if type(statement) in (ast.Import, ast.ImportFrom)]
        self.imports = _digest("\n".join(imports) + "\n" + self.tail)
        members: Dict[int, List[str]] = {}
        for i, root in enumerate(self.component):
            members.setdefault(root, []).append(keys[i])
        self.component_keys = {root: _digest("\n".join(sorted(found))) for root, found in members.items()}

    def statement_of(self, node: Optional[ast.AST]) -> Optional[int]:
        """The index of the top-level statement holding ``node`` (by its first line)."""
        if node is None or getattr(node, "lineno", None) is None:
            return None
        line = node.lineno
        low, high = 0, len(self.starts) - 1
        while low <= high:  # the last statement that starts at or before the line
            middle = (low + high) // 2
            if self.starts[middle] <= line:
                low = middle + 1
            else:
                high = middle - 1
        if high >= 0 and self.starts[high] <= line <= self.ends[high]:
            return high
        return None


def _components(facts: Sequence[StatementNames]) -> List[int]:
    """The component of each statement (a representative index): statements sharing a
    module-level name that some statement binds, other than an import of a known library."""
    bound: Set[str] = set()
    own: Set[str] = set()
    other_binds: Set[str] = set()
    stored: Set[str] = set()
    for found in facts:
        bound |= found.binds
        own |= found.own_imports
        other_binds |= found.binds - found.own_imports
        stored |= found.stored_roots
    inert = own - other_binds - stored
    parent = list(range(len(facts)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_with: Dict[str, int] = {}
    for i, found in enumerate(facts):
        for name in found.names:
            if name in inert or (name not in bound and name != _IMPORTS):
                continue
            j = first_with.setdefault(name, i)
            if j != i:
                a, b = root(i), root(j)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    return [root(i) for i in range(len(facts))]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


# --------------------------------------------------------------------------- fingerprints


class Unstable(Exception):
    """A value without a text that is the same in every analysis (an object's address)."""


def fingerprint(value: Any) -> str:
    """A text of ``value`` that is equal for equal plans across analyses: nodes by where they
    are (their text is in the component's key), classes by name and line; raises
    :class:`Unstable` for anything else whose text would name an address."""
    parts: List[str] = []
    _fingerprint(value, parts, 0)
    return "".join(parts)


def _fingerprint(value: Any, out: List[str], depth: int) -> None:
    if depth > 40:
        raise Unstable("too deep")
    kind = type(value)
    if value is None or kind in (bool, int, float, str, bytes):
        out.append(repr(value))
    elif isinstance(value, ast.AST):
        out.append(f"<{kind.__name__} {getattr(value, 'lineno', '?')}:{getattr(value, 'col_offset', '?')}"
                   f"-{getattr(value, 'end_lineno', '?')}:{getattr(value, 'end_col_offset', '?')}>")
    elif kind is ClassInfo:
        out.append(f"<class {value.name} {value.node.lineno}>")
    elif isinstance(value, tuple) and hasattr(value, "_fields"):
        out.append(kind.__name__ + "(")
        for name in value._fields:
            out.append(name + "=")
            _fingerprint(getattr(value, name), out, depth + 1)
            out.append(",")
        out.append(")")
    elif kind in (tuple, list):
        out.append("[")
        for item in value:
            _fingerprint(item, out, depth + 1)
            out.append(",")
        out.append("]")
    elif isinstance(value, Mapping):
        out.append("{")
        for key in sorted(value, key=repr):
            _fingerprint(key, out, depth + 1)
            out.append(":")
            _fingerprint(value[key], out, depth + 1)
            out.append(",")
        out.append("}")
    elif kind in (set, frozenset):
        out.append("{" + ",".join(sorted(fingerprint(item) for item in value)) + "}")
    else:
        text = repr(value)
        if " at 0x" in text or "object at" in text:
            raise Unstable(kind.__name__)
        out.append(text)


# --------------------------------------------------------------------------- one analysis


class Session:
    """The reuse of one analysis: which planned models have a kept result."""

    def __init__(self, reuse: Reuse, layout: Layout, file_key: str, plans: Sequence[Any]) -> None:
        self.reuse = reuse
        self.layout = layout
        self.models_in_file = len(plans)
        self.keys: List[Optional[str]] = []
        components: List[Optional[int]] = []
        for plan in plans:
            key, component = self._key(file_key, plan)
            self.keys.append(key)
            components.append(component)
        # A component runs again as a whole when one of its models has no kept result.
        stale = {component for key, component in zip(self.keys, components)
                 if key is None or reuse.memo(key) is None}
        self.reusable = [key is not None and component not in stale for key, component in zip(self.keys, components)]

    def _key(self, file_key: str, plan: Any) -> Tuple[Optional[str], Optional[int]]:
        layout = self.layout
        node = plan.info.node if plan.info is not None else plan.statement
        index = layout.statement_of(node)
        if index is None:
            return None, None
        component = layout.component[index]
        try:
            planned = fingerprint(plan)
        except (Unstable, RecursionError):
            return None, component
        return _digest("\n".join((file_key, layout.component_keys[component], planned))), component

    def memo(self, position: int) -> Optional[ModelMemo]:
        if not self.reusable[position]:
            return None
        return self.reuse.memo(self.keys[position])

    def keep(self, position: int, memo: ModelMemo) -> None:
        key = self.keys[position]
        if key is not None:
            self.reuse.keep(key, memo, self.models_in_file)


def file_key(path: str, options: Any, layout: Layout, files_read: Sequence[Any]) -> Optional[str]:
    """What every model of the file depends on; None when the options have no stable text."""
    try:
        settings = fingerprint(options)
    except (Unstable, RecursionError):
        return None
    read = "\n".join(sorted(f"{d.path}\0{d.digest}" for d in files_read))
    return _digest("\n".join((path, settings, layout.imports, read)))


def reads_names_dynamically(text: str) -> bool:
    # The words first: a search of the pattern over a whole file costs milliseconds.
    if not any(word in text for word in _DYNAMIC_WORDS):
        return False
    return _DYNAMIC_NAMES.search(text) is not None
