"""Collection: what a file defines and imports, before anything is evaluated.

Imports become references (``nn`` is ``torch.nn`` however it was imported), classes and functions
of the file become references to their definitions, and nn.Module subclasses (directly or through
other classes of the file) are marked. Pragma comments are found by a cheap scan of the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

import ast

from ..core.layers import LAYERS, UNKNOWN
from ..core.text import line_starts
from .values import ClassRef, ExternalRef, FunctionRef, ModuleRef, TorchRef

#: Classes of torch.nn a user class may derive from and still be understood.
MODULE_BASES = {
    "torch.nn.Module": "module",
    "torch.nn.Sequential": "sequential",
    "torch.nn.ModuleList": "modulelist",
    "torch.nn.ModuleDict": "moduledict",
}

_KNOWN_LIBRARIES = ("collections", "math", "typing", "typing_extensions", "jaxtyping", "torchinfo",
                    "functools", "itertools", "operator", "copy",
                    # configuration (interpreter/configs.py)
                    "argparse", "json", "yaml", "tomllib", "tomli", "types", "dataclasses", "easydict", "munch")

_Name = ast.Name
_Attribute = ast.Attribute


def dotted_name(node: ast.AST) -> Optional[str]:
    """``a.b.c`` of a Name / Attribute chain, else None."""
    kind = type(node)
    if kind is _Name:
        return node.id
    if kind is _Attribute:
        head = dotted_name(node.value)
        return None if head is None else f"{head}.{node.attr}"
    return None


def has_own_semantics(top: str) -> bool:
    """Whether the analysis knows a top-level module's names itself (torch's layer table, the
    standard library's helpers it models): such a module is never read from its files."""
    return top == "torch" or top in _KNOWN_LIBRARIES


def _reference(qualified: str) -> Any:
    if qualified == "torch" or qualified.startswith("torch."):
        return TorchRef(qualified)
    if qualified.split(".")[0] in _KNOWN_LIBRARIES:
        return ExternalRef(qualified)
    return UNKNOWN


def bind_import(node: ast.AST, scope: Dict[str, Any]) -> None:
    """Bind the names an import statement (ast.Import or ast.ImportFrom) defines."""
    kind = type(node)
    if kind is ast.Import:
        for alias in node.names:
            qualified = alias.name
            if alias.asname is not None:
                scope[alias.asname] = _reference(qualified)
            else:
                head = qualified.split(".")[0]
                scope[head] = _reference(head)
    elif kind is ast.ImportFrom:
        star = len(node.names) == 1 and node.names[0].name == "*"
        if node.level or node.module is None:
            if not star:
                for alias in node.names:
                    scope[alias.asname if alias.asname is not None else alias.name] = UNKNOWN
            return
        module = node.module
        if star:
            if module in ("torch.nn", "torch.nn.modules"):
                scope["__star_torch_nn__"] = True
            return
        for alias in node.names:
            name = alias.name
            target = alias.asname if alias.asname is not None else name
            scope[target] = _reference(f"{module}.{name}")


@dataclass(eq=False)
class ClassInfo:
    name: str
    node: ast.ClassDef
    #: Base classes as references (ClassRef of the same file, TorchRef, or UNKNOWN).
    bases: List[Any] = field(default_factory=list)
    methods: Dict[str, ast.FunctionDef] = field(default_factory=dict)
    #: Class-level assignments, evaluated lazily in the class scope.
    attributes: Dict[str, Any] = field(default_factory=dict)
    attributes_evaluated: bool = False
    #: "module", "sequential", "modulelist", "moduledict", "layer" (a subclass of a layer of
    #: the table: ``class Conv2dSame(nn.Conv2d)``) or None (not an nn.Module).
    kind: Optional[str] = None
    #: For a "layer": the table's layer it derives from (``Conv2d``).
    torch_layer: Optional[str] = None
    #: The globals of the file that defines it, when that is not the analysed file.
    globals: Optional[Dict[str, Any]] = None

    def mro(self) -> List["ClassInfo"]:
        order: List[ClassInfo] = []

        def visit(info: "ClassInfo") -> None:
            if info in order:
                return
            order.append(info)
            for base in info.bases:
                if isinstance(base, ClassRef):
                    visit(base.info)

        visit(self)
        return order

    def find_method(self, name: str, after: Optional["ClassInfo"] = None) -> Optional[Tuple["ClassInfo", ast.FunctionDef]]:
        classes = self.mro()
        if after is not None and after in classes:
            classes = classes[classes.index(after) + 1 :]
        for info in classes:
            if name in info.methods:
                return info, info.methods[name]
        return None


def _module_kind(info: ClassInfo, seen: Tuple[ClassInfo, ...] = ()) -> Optional[str]:
    if info in seen:
        return None
    for base in info.bases:
        if isinstance(base, TorchRef):
            name = base.name.replace("torch.nn.modules.module.", "torch.nn.").replace(
                "torch.nn.modules.container.", "torch.nn."
            )
            if name in MODULE_BASES:
                return MODULE_BASES[name]
            if _table_layer(base) is not None:
                return "layer"
        elif isinstance(base, ClassRef):
            kind = _module_kind(base.info, seen + (info,))
            if kind is not None:
                return kind
    return None


def _table_layer(base: TorchRef) -> Optional[str]:
    """The layer of the table a torch base class is (``torch.nn.Conv2d``,
    ``torch.nn.modules.conv.Conv2d``); None for anything else."""
    parts = base.name.split(".")
    if parts[:2] != ["torch", "nn"] or parts[-1] not in LAYERS:
        return None
    return parts[-1]


def _torch_layer(info: ClassInfo, seen: Tuple[ClassInfo, ...] = ()) -> Optional[str]:
    """The table's layer a "layer" class derives from, first in the order of its bases."""
    if info in seen:
        return None
    for base in info.bases:
        found = _table_layer(base) if isinstance(base, TorchRef) else \
            _torch_layer(base.info, seen + (info,)) if isinstance(base, ClassRef) else None
        if found is not None:
            return found
    return None


@dataclass
class FileIndex:
    module: ast.Module
    scope: Dict[str, Any]
    classes: Dict[str, ClassInfo]
    #: Module-level functions (ast.FunctionDef or ast.AsyncFunctionDef).
    functions: Dict[str, ast.FunctionDef]


_FUNCTION_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)


def one_line_suite(node: ast.stmt) -> bool:
    """True when a compound statement's body is on its header's line (``if c: x = 1``): what
    libcst called a SimpleStatementSuite, as opposed to an indented block."""
    body = node.body
    if not body:
        return False
    kind = type(node)
    header_end = node.lineno
    if kind is ast.If or kind is ast.While:
        header_end = node.test.end_lineno or header_end
    elif kind is ast.ClassDef:
        for part in node.bases + node.keywords:
            header_end = max(header_end, part.end_lineno or header_end)
    elif kind is ast.For or kind is ast.AsyncFor:
        header_end = node.iter.end_lineno or header_end
    elif kind is ast.With or kind is ast.AsyncWith:
        last = node.items[-1]
        header_end = ((last.optional_vars or last.context_expr).end_lineno) or header_end
    elif kind in _FUNCTION_DEFS:
        header_end = (node.returns.end_lineno if node.returns is not None else None) or header_end
        for arg in node.args.posonlyargs + node.args.args + node.args.kwonlyargs:
            header_end = max(header_end, arg.end_lineno or header_end)
    return body[0].lineno <= header_end


#: Binds the names of an import statement of the project's own modules into a scope; False
#: when the statement imports nothing of the project (``bind_import`` then binds it).
ProjectImporter = Callable[[ast.stmt, Dict[str, Any]], bool]


def index_file(module: ast.Module, importer: Optional[ProjectImporter] = None,
               scope: Optional[Dict[str, Any]] = None) -> FileIndex:
    """Bind imports, classes and functions of the module's top level (and of simple blocks);
    ``importer`` binds the imports of the project's own modules (``project.py``), into ``scope``
    when given (an import cycle sees what is bound so far, as Python's partly run module)."""
    scope = {} if scope is None else scope
    classes: Dict[str, ClassInfo] = {}
    functions: Dict[str, ast.FunctionDef] = {}

    def visit_block(statements) -> None:
        for statement in statements:
            kind = type(statement)
            if kind is ast.Import or kind is ast.ImportFrom:
                if importer is None or not importer(statement, scope):
                    bind_import(statement, scope)
            elif kind is ast.ClassDef:
                info = ClassInfo(statement.name, statement)
                for name, node in _class_methods(statement):
                    info.methods[name] = node
                classes[info.name] = info
                scope[info.name] = ClassRef(info)
            elif kind in _FUNCTION_DEFS:
                functions[statement.name] = statement
                # Decorated: what the decorators make of it is known once the top level runs.
                scope[statement.name] = UNKNOWN if statement.decorator_list else FunctionRef(statement)
            elif (kind is ast.Try or kind is ast.If) and not _is_main_guard(statement):
                # `try: import x except ImportError: ...` and `if TYPE_CHECKING:` blocks
                # (indented blocks only, as always: not `if c: import x` on one line).
                if not one_line_suite(statement):
                    visit_block(statement.body)

    visit_block(module.body)
    for info in classes.values():
        for base in info.node.bases:
            info.bases.append(_resolve_base(base, scope))
    for info in classes.values():
        info.kind = _module_kind(info)
        if info.kind == "layer":
            info.torch_layer = _torch_layer(info)
    return FileIndex(module, scope, classes, functions)


def _resolve_base(node: ast.expr, scope: Dict[str, Any]) -> Any:
    name = dotted_name(node)
    if name is None:
        return UNKNOWN
    head, _, rest = name.partition(".")
    value = scope.get(head, UNKNOWN)
    if value is UNKNOWN and head == "Module" and scope.get("__star_torch_nn__"):
        return TorchRef("torch.nn.Module")
    for part in rest.split(".") if rest else ():
        if isinstance(value, TorchRef):
            value = value.attr(part)
        elif isinstance(value, ModuleRef):
            value = value.module.member(part)
        else:
            return UNKNOWN
    return value


def _class_methods(node: ast.ClassDef):
    for statement in node.body:
        if type(statement) in _FUNCTION_DEFS:
            yield statement.name, statement


def _is_main_guard(node: ast.AST) -> bool:
    if type(node) is not ast.If or type(node.test) is not ast.Compare:
        return False
    left = node.test.left
    return type(left) is ast.Name and left.id == "__name__"


# --------------------------------------------------------------------------- pragmas

_PRAGMA_COMMENT = re.compile(r"#[^\r\n]*?shapelint\s*:[^\r\n]*")


def scan_pragmas(text: str) -> Dict[int, Tuple[int, str, bool]]:
    """Pragma comments by line: (1-based column of the ``#``, comment text, comment-only line)."""
    found: Dict[int, Tuple[int, str, bool]] = {}
    if "shapelint" not in text:
        return found
    starts = line_starts(text)
    import bisect

    for match in _PRAGMA_COMMENT.finditer(text):
        start = match.start()
        line = bisect.bisect_right(starts, start)
        line_start = starts[line - 1]
        comment = match.group(0)
        # The comment starts at the first '#' of the pragma's own comment, not one inside code.
        hash_at = comment.rfind("#", 0, comment.find("shapelint") + 1)
        column = start - line_start + hash_at + 1
        only_comment = text[line_start:start].strip() == ""
        found[line] = (column, comment[hash_at:], only_comment)
    return found


# --------------------------------------------------------------------------- constructions

#: Fields of an ast node that never hold a node (identifiers, operators, flags): not walked.
_SCALAR_FIELDS = frozenset({"ctx", "op", "ops", "id", "attr", "name", "arg", "asname", "module", "level",
                            "type_comment", "kind", "conversion", "is_async", "simple", "tag",
                            "type_ignores"})
_AST = ast.AST


def _node_classes() -> List[type]:
    """Every concrete ast node class of this Python."""
    found, stack = [], [ast.AST]
    while stack:
        kind = stack.pop()
        stack.extend(kind.__subclasses__())
        found.append(kind)
    return found


#: Per node class, its fields that may hold nodes, in declaration (mostly source) order; built
#: once at import (a read-only table, no memo filled as files are read).
_FIELDS: Mapping[type, Tuple[str, ...]] = MappingProxyType({
    kind: () if kind is ast.Constant else tuple(
        name for name in getattr(kind, "_fields", ()) if name not in _SCALAR_FIELDS)
    for kind in _node_classes()
})


def child_fields(kind: type) -> Tuple[str, ...]:
    """The fields of an ast node type that may hold nodes, in declaration (mostly source) order."""
    fields = _FIELDS.get(kind)
    if fields is None:  # a node class made after import (none in the stdlib)
        fields = tuple(name for name in getattr(kind, "_fields", ()) if name not in _SCALAR_FIELDS)
    return fields


def _bound_names(scope: ast.AST) -> set:
    """Names a function (or loop, comprehension, lambda) binds locally: parameters, assignment,
    loop, ``with``/``except``/import ``as`` and walrus targets, nested definitions, ``global``
    and ``nonlocal`` names (an argument mentioning one cannot be evaluated in the module's scope)."""
    names: set = set()

    def targets(target: ast.AST) -> None:
        kind = type(target)
        if kind is ast.Name:
            names.add(target.id)
        elif kind is ast.Tuple or kind is ast.List:
            for element in target.elts:
                targets(element)
        elif kind is ast.Starred:
            targets(target.value)

    def walk(node: ast.AST) -> None:
        kind = type(node)
        if kind is ast.arg:
            names.add(node.arg)
        elif kind is ast.Assign:
            for target in node.targets:
                targets(target)
        elif kind in _TARGET_HOLDERS:
            targets(node.target)
        elif kind is ast.withitem:
            if node.optional_vars is not None:
                targets(node.optional_vars)
        elif kind is ast.ExceptHandler:
            if node.name is not None:
                names.add(node.name)
        elif kind in _DEFINITIONS:
            names.add(node.name)
        elif kind is ast.Global or kind is ast.Nonlocal:
            names.update(node.names)
        elif kind is ast.alias:
            if node.asname is not None:
                names.add(node.asname)
            elif node.name != "*":
                names.add(node.name.split(".")[0])
            return
        for name in child_fields(kind):
            value = getattr(node, name)
            if type(value) is list:
                for item in value:
                    if isinstance(item, _AST) and type(item) not in _NO_BINDINGS:
                        walk(item)
            elif isinstance(value, _AST) and type(value) not in _NO_BINDINGS:
                walk(value)

    walk(scope)
    return names


def constructions_of(module: ast.Module, class_names) -> Dict[str, List[Tuple[ast.Call, ast.stmt, set]]]:
    """Every call ``Name(...)`` of the file for each of ``class_names`` (one walk of the file),
    each with its statement (the innermost ast.stmt holding it, as the interpreter's) and the
    names bound locally where it is: those of enclosing functions, lambdas, loops
    and comprehensions (a loop variable at module level has only its last value in the module's
    scope). An argument mentioning one of them cannot be evaluated in the module's scope."""
    wanted = set(class_names)
    found: Dict[str, List[Tuple[ast.Call, ast.stmt, set]]] = {name: [] for name in wanted}
    if not wanted:
        return found
    bound: Dict[int, set] = {}
    enclosing: List[ast.AST] = []

    def walk(node: ast.AST, statement: Optional[ast.stmt]) -> None:
        kind = type(node)
        if kind in _STATEMENTS:
            statement = node
        elif kind is ast.Call and type(node.func) is ast.Name and node.func.id in wanted and statement is not None:
            local: set = set()
            for scope in enclosing:
                if id(scope) not in bound:
                    bound[id(scope)] = _bound_names(scope)
                local |= bound[id(scope)]
            found[node.func.id].append((node, statement, local))
        opens = kind in _BINDING_SCOPES
        if opens:
            enclosing.append(node)
        for name in child_fields(kind):
            value = getattr(node, name)
            if type(value) is list:
                for item in value:
                    if isinstance(item, _AST) and type(item) not in _NO_CALLS:
                        walk(item, statement)
            elif isinstance(value, _AST) and type(value) not in _NO_CALLS:
                walk(value, statement)
        if opens:
            enclosing.pop()

    try:
        walk(module, None)
    except RecursionError:  # a pathologically deep expression: no construction is used
        return {name: [] for name in wanted}
    return found


def _subclasses(base: type) -> frozenset:
    found = set()
    pending = [base]
    while pending:
        for sub in pending.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                pending.append(sub)
    return frozenset(found)


#: Every statement node type (simple and compound).
_STATEMENTS = _subclasses(ast.stmt)
#: Nodes whose target is a binding (see _bound_names).
_TARGET_HOLDERS = frozenset({ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor, ast.comprehension,
                             ast.NamedExpr})
_DEFINITIONS = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef})
#: Nodes whose bound names make an argument unknown (see constructions_of).
_BINDING_SCOPES = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.For, ast.AsyncFor,
                             ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp})
#: Nodes that hold no call (names, literals, imports, ...): not walked.
_NO_CALLS = frozenset({ast.Name, ast.Constant, ast.Import, ast.ImportFrom, ast.Pass, ast.Break,
                       ast.Continue, ast.Global, ast.Nonlocal})
#: Nodes that bind no name (the walk of _bound_names does not enter them).
_NO_BINDINGS = frozenset({ast.Name, ast.Constant, ast.Pass, ast.Break, ast.Continue})
