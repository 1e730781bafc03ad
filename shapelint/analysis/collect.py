"""Collection: what a file defines and imports, before anything is evaluated.

Imports become references (``nn`` is ``torch.nn`` however it was imported), classes and functions
of the file become references to their definitions, and nn.Module subclasses (directly or through
other classes of the file) are marked. Pragma comments are found by a cheap scan of the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

import libcst as cst

from ..core.layers import UNKNOWN
from .values import ClassRef, ExternalRef, FunctionRef, TorchRef

#: Classes of torch.nn a user class may derive from and still be understood.
MODULE_BASES = {
    "torch.nn.Module": "module",
    "torch.nn.Sequential": "sequential",
    "torch.nn.ModuleList": "modulelist",
    "torch.nn.ModuleDict": "moduledict",
}

_KNOWN_LIBRARIES = ("collections", "math", "typing", "typing_extensions", "jaxtyping", "torchinfo",
                    "functools", "itertools", "operator")


def dotted_name(node: cst.CSTNode) -> Optional[str]:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        head = dotted_name(node.value)
        return None if head is None else f"{head}.{node.attr.value}"
    return None


def _reference(qualified: str) -> Any:
    if qualified == "torch" or qualified.startswith("torch."):
        return TorchRef(qualified)
    if qualified.split(".")[0] in _KNOWN_LIBRARIES:
        return ExternalRef(qualified)
    return UNKNOWN


def bind_import(node: cst.CSTNode, scope: Dict[str, Any]) -> None:
    """Bind the names an import statement defines."""
    if isinstance(node, cst.Import):
        for alias in node.names:
            qualified = dotted_name(alias.name)
            if qualified is None:
                continue
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                scope[alias.asname.name.value] = _reference(qualified)
            else:
                head = qualified.split(".")[0]
                scope[head] = _reference(head)
    elif isinstance(node, cst.ImportFrom):
        if node.relative or node.module is None:
            names = node.names
            if not isinstance(names, cst.ImportStar):
                for alias in names:
                    target = alias.asname.name if alias.asname is not None else alias.name
                    if isinstance(target, cst.Name):
                        scope[target.value] = UNKNOWN
            return
        module = dotted_name(node.module)
        if module is None or isinstance(node.names, cst.ImportStar):
            if module in ("torch.nn", "torch.nn.modules") and isinstance(node.names, cst.ImportStar):
                scope["__star_torch_nn__"] = True
            return
        for alias in node.names:
            name = dotted_name(alias.name)
            if name is None:
                continue
            target = alias.asname.name if alias.asname is not None else alias.name
            if isinstance(target, cst.Name):
                scope[target.value] = _reference(f"{module}.{name}")


@dataclass(eq=False)
class ClassInfo:
    name: str
    node: cst.ClassDef
    #: Base classes as references (ClassRef of the same file, TorchRef, or UNKNOWN).
    bases: List[Any] = field(default_factory=list)
    methods: Dict[str, cst.FunctionDef] = field(default_factory=dict)
    #: Class-level assignments, evaluated lazily in the class scope.
    attributes: Dict[str, Any] = field(default_factory=dict)
    attributes_evaluated: bool = False
    #: "module", "sequential", "modulelist", "moduledict" or None (not an nn.Module).
    kind: Optional[str] = None

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

    def find_method(self, name: str, after: Optional["ClassInfo"] = None) -> Optional[Tuple["ClassInfo", cst.FunctionDef]]:
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
        elif isinstance(base, ClassRef):
            kind = _module_kind(base.info, seen + (info,))
            if kind is not None:
                return kind
    return None


@dataclass
class FileIndex:
    module: cst.Module
    scope: Dict[str, Any]
    classes: Dict[str, ClassInfo]
    functions: Dict[str, cst.FunctionDef]


def index_file(module: cst.Module) -> FileIndex:
    """Bind imports, classes and functions of the module's top level (and of simple blocks)."""
    scope: Dict[str, Any] = {}
    classes: Dict[str, ClassInfo] = {}
    functions: Dict[str, cst.FunctionDef] = {}

    def visit_block(statements) -> None:
        for statement in statements:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    if isinstance(small, (cst.Import, cst.ImportFrom)):
                        bind_import(small, scope)
            elif isinstance(statement, cst.ClassDef):
                info = ClassInfo(statement.name.value, statement)
                for name, node in _class_methods(statement):
                    info.methods[name] = node
                classes[info.name] = info
                scope[info.name] = ClassRef(info)
            elif isinstance(statement, cst.FunctionDef):
                functions[statement.name.value] = statement
                scope[statement.name.value] = FunctionRef(statement)
            elif isinstance(statement, (cst.Try, cst.If)) and not _is_main_guard(statement):
                # `try: import x except ImportError: ...` and `if TYPE_CHECKING:` blocks.
                body = statement.body
                if isinstance(body, cst.IndentedBlock):
                    visit_block(body.body)

    visit_block(module.body)
    for info in classes.values():
        for arg in info.node.bases:
            info.bases.append(_resolve_base(arg.value, scope))
    for info in classes.values():
        info.kind = _module_kind(info)
    return FileIndex(module, scope, classes, functions)


def _resolve_base(node: cst.BaseExpression, scope: Dict[str, Any]) -> Any:
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
        else:
            return UNKNOWN
    return value


def _class_methods(node: cst.ClassDef):
    body = node.body
    if not isinstance(body, cst.IndentedBlock):
        return
    for statement in body.body:
        if isinstance(statement, cst.FunctionDef):
            yield statement.name.value, statement


def _is_main_guard(node: cst.CSTNode) -> bool:
    if not isinstance(node, cst.If) or not isinstance(node.test, cst.Comparison):
        return False
    test = node.test
    return isinstance(test.left, cst.Name) and test.left.value == "__name__"


# --------------------------------------------------------------------------- pragmas

_PRAGMA_COMMENT = re.compile(r"#[^\r\n]*?shapelint\s*:[^\r\n]*")


def scan_pragmas(text: str) -> Dict[int, Tuple[int, str, bool]]:
    """Pragma comments by line: (1-based column of the ``#``, comment text, comment-only line)."""
    found: Dict[int, Tuple[int, str, bool]] = {}
    if "shapelint" not in text:
        return found
    line_starts = [0]
    for match in re.finditer(r"\r\n|\r|\n", text):
        line_starts.append(match.end())
    import bisect

    for match in _PRAGMA_COMMENT.finditer(text):
        start = match.start()
        line = bisect.bisect_right(line_starts, start)
        line_start = line_starts[line - 1]
        comment = match.group(0)
        # The comment starts at the first '#' of the pragma's own comment, not one inside code.
        hash_at = comment.rfind("#", 0, comment.find("shapelint") + 1)
        column = start - line_start + hash_at + 1
        only_comment = text[line_start:start].strip() == ""
        found[line] = (column, comment[hash_at:], only_comment)
    return found


# --------------------------------------------------------------------------- constructions


def _bound_names(scope: cst.CSTNode) -> set:
    """Names a function (or loop, comprehension, lambda) binds locally: parameters, assignment,
    loop, ``with``/``except``/import ``as`` and walrus targets, nested definitions, ``global``
    and ``nonlocal`` names (an argument mentioning one cannot be evaluated in the module's scope)."""
    names: set = set()

    def targets(target: cst.CSTNode) -> None:
        if isinstance(target, cst.Name):
            names.add(target.value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                targets(element.value)
        elif isinstance(target, cst.StarredElement):
            targets(target.value)

    def walk(node: cst.CSTNode) -> None:
        kind = type(node)
        if kind is cst.Param:
            names.add(node.name.value)
        elif kind in (cst.AssignTarget, cst.AnnAssign, cst.AugAssign, cst.For, cst.CompFor, cst.NamedExpr):
            targets(node.target)
        elif kind is cst.AsName:
            targets(node.name)
        elif kind in (cst.FunctionDef, cst.ClassDef):
            names.add(node.name.value)
        elif kind in (cst.Global, cst.Nonlocal):
            names.update(item.name.value for item in node.names)
        elif kind is cst.ImportAlias and node.asname is None:
            head = dotted_name(node.name)
            if head:
                names.add(head.split(".")[0])
        for name in _walked_fields(kind):
            value = getattr(node, name)
            if isinstance(value, cst.CSTNode):
                if not isinstance(value, _NO_BINDINGS):
                    walk(value)
            elif isinstance(value, (tuple, list)):
                for item in value:
                    if isinstance(item, cst.CSTNode) and not isinstance(item, _NO_BINDINGS):
                        walk(item)

    walk(scope)
    return names


def constructions_of(module: cst.Module, class_names) -> Dict[str, List[Tuple[cst.Call, cst.CSTNode, set]]]:
    """Every call ``Name(...)`` of the file for each of ``class_names`` (one walk of the file),
    each with its statement (small or compound, as the interpreter's) and the names bound
    locally where it is: those of enclosing functions, lambdas, loops
    and comprehensions (a loop variable at module level has only its last value in the module's
    scope). An argument mentioning one of them cannot be evaluated in the module's scope."""
    wanted = set(class_names)
    found: Dict[str, List[Tuple[cst.Call, cst.CSTNode, set]]] = {name: [] for name in wanted}
    if not wanted:
        return found
    bound: Dict[int, set] = {}
    enclosing: List[cst.CSTNode] = []

    def walk(node: cst.CSTNode, statement: Optional[cst.CSTNode]) -> None:
        kind = type(node)
        if issubclass(kind, (cst.BaseSmallStatement, cst.BaseCompoundStatement)):
            statement = node
        if kind is cst.Call and type(node.func) is cst.Name and node.func.value in wanted and statement is not None:
            local: set = set()
            for scope in enclosing:
                if id(scope) not in bound:
                    bound[id(scope)] = _bound_names(scope)
                local |= bound[id(scope)]
            found[node.func.value].append((node, statement, local))
        opens = kind in _BINDING_SCOPES
        if opens:
            enclosing.append(node)
        for name in _walked_fields(kind):
            value = getattr(node, name)
            if isinstance(value, cst.CSTNode):
                if not isinstance(value, _NO_CALLS):
                    walk(value, statement)
            elif isinstance(value, (tuple, list)):
                for item in value:
                    if isinstance(item, cst.CSTNode) and not isinstance(item, _NO_CALLS):
                        walk(item, statement)
        if opens:
            enclosing.pop()

    try:
        walk(module, None)
    except RecursionError:  # a pathologically deep expression: no construction is used
        return {name: [] for name in wanted}
    return found


#: Nodes whose bound names make an argument unknown (see constructions_of).
_BINDING_SCOPES = frozenset({cst.FunctionDef, cst.Lambda, cst.For, cst.While, cst.ListComp, cst.SetComp,
                             cst.DictComp, cst.GeneratorExp})
#: Nodes that hold no call (whitespace, names, literals, punctuation): not walked.
_NO_CALLS = (cst.BaseParenthesizableWhitespace, cst.EmptyLine, cst.Newline, cst.Comment,
             cst.TrailingWhitespace, cst.Name, cst.SimpleString, cst.Integer, cst.Float, cst.Imaginary,
             cst.LeftParen, cst.RightParen, cst.Comma, cst.Dot, cst.AssignEqual, cst.BaseBinaryOp,
             cst.BaseCompOp, cst.BaseUnaryOp, cst.BaseBooleanOp, cst.BaseAugOp, cst.Colon, cst.Semicolon,
             cst.Import, cst.ImportFrom, cst.Pass, cst.Break, cst.Continue)
#: Nodes that bind no name (the walk of _bound_names does not enter them).
_NO_BINDINGS = (cst.BaseParenthesizableWhitespace, cst.EmptyLine, cst.Newline, cst.Comment,
                cst.TrailingWhitespace, cst.Name, cst.SimpleString, cst.Integer, cst.Float, cst.Imaginary,
                cst.LeftParen, cst.RightParen, cst.Comma, cst.Dot, cst.AssignEqual, cst.BaseBinaryOp,
                cst.BaseCompOp, cst.BaseUnaryOp, cst.BaseBooleanOp, cst.BaseAugOp, cst.Colon, cst.Semicolon,
                cst.Pass, cst.Break, cst.Continue)
_FORMATTING_FIELDS = frozenset({"lpar", "rpar", "comma", "header", "footer", "leading_lines",
                                "lines_after_decorators", "trailing_whitespace", "semicolon", "equal",
                                "dot", "leading_whitespace"})
_FIELDS: Dict[type, Tuple[str, ...]] = {}


def _walked_fields(kind: type) -> Tuple[str, ...]:
    fields = _FIELDS.get(kind)
    if fields is None:
        fields = _FIELDS[kind] = tuple(
            name for name in getattr(kind, "__dataclass_fields__", ())
            if not name.startswith("whitespace") and name not in _FORMATTING_FIELDS
        )
    return fields
