"""Source positions of libcst nodes, computed cheaply.

libcst's PositionProvider re-generates the whole file to count characters, which costs as much
as parsing it again. The standard ``ast`` parser (about 15x faster) records positions for free,
and its statements correspond one to one to libcst's small and compound statements, so the two
trees are walked in lockstep once, statements only. Positions inside a statement (a layer
constructor, one of its arguments) are found on demand: the n-th call of the statement in
source order is the n-th call of its ast twin.

Rows and columns are 1-based; columns count characters (ast counts UTF-8 bytes).
"""

from __future__ import annotations

import ast
import re
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import libcst as cst

Position = Tuple[int, int]
Range = Tuple[Position, Position]

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _flatten(statements: Sequence[cst.CSTNode]) -> Iterator[cst.CSTNode]:
    for statement in statements:
        if isinstance(statement, cst.SimpleStatementLine):
            yield from statement.body
        else:
            yield statement


def _block(body: cst.BaseSuite) -> List[cst.CSTNode]:
    if isinstance(body, cst.IndentedBlock):
        return list(_flatten(body.body))
    if isinstance(body, cst.SimpleStatementSuite):
        return list(body.body)
    return []


def _header_parts(node: cst.CSTNode) -> List[cst.CSTNode]:
    """The parts of a statement that hold its own expressions (not its nested statements)."""
    if isinstance(node, cst.If) or isinstance(node, cst.While):
        return [node.test]
    if isinstance(node, cst.For):
        return [node.target, node.iter]
    if isinstance(node, cst.With):
        return list(node.items)
    if isinstance(node, cst.FunctionDef):
        return list(node.decorators) + [node.params] + ([node.returns] if node.returns else [])
    if isinstance(node, cst.ClassDef):
        return list(node.decorators) + list(node.bases) + list(node.keywords)
    if isinstance(node, (cst.Try, cst.TryStar)):
        return []
    return [node]


def _ast_header_parts(node: ast.AST) -> List[ast.AST]:
    if isinstance(node, (ast.If, ast.While)):
        return [node.test]
    if isinstance(node, (ast.For, ast.AsyncFor)):
        return [node.target, node.iter]
    if isinstance(node, (ast.With, ast.AsyncWith)):
        return list(node.items)
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return list(node.decorator_list) + [node.args] + ([node.returns] if node.returns else [])
    if isinstance(node, ast.ClassDef):
        return list(node.decorator_list) + list(node.bases) + list(node.keywords)
    if isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
        return []
    return [node]


#: Nodes whose dataclass fields are not in source order (``body if test else orelse``).
_SOURCE_ORDER = {
    cst.IfExp: ("body", "test", "orelse"),
    cst.Parameters: ("posonly_params", "params", "star_arg", "kwonly_params", "star_kwarg"),
}
_FIELDS: Dict[type, Tuple[str, ...]] = {}


def _child_nodes(node: cst.CSTNode) -> List[cst.CSTNode]:
    """Children in source order, read from the fields (libcst's ``children`` is much slower)."""
    kind = type(node)
    names = _FIELDS.get(kind)
    if names is None:
        names = _SOURCE_ORDER.get(kind) or tuple(node.__dataclass_fields__)
        names = tuple(n for n in names if not n.startswith(("whitespace", "lpar", "rpar", "comma", "semicolon")))
        _FIELDS[kind] = names
    return nodes_in_fields(node, names)


def nodes_in_fields(node: cst.CSTNode, names: Tuple[str, ...]) -> List[cst.CSTNode]:
    """The nodes held by the fields ``names`` of ``node``, in that order."""
    out: List[cst.CSTNode] = []
    for name in names:
        value = getattr(node, name)
        if isinstance(value, cst.CSTNode):
            out.append(value)
        elif isinstance(value, (list, tuple)):
            out.extend(v for v in value if isinstance(v, cst.CSTNode))
    return out


def _cst_calls(parts: Sequence[cst.CSTNode]) -> List[cst.Call]:
    """Calls in source order (preorder: an outer call starts no later than its inner calls)."""
    found: List[cst.Call] = []
    stack = list(reversed(parts))
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Call):
            found.append(node)
        stack.extend(reversed(_child_nodes(node)))
    return found


def _ast_calls(parts: Sequence[ast.AST]) -> List[ast.Call]:
    calls = [n for part in parts for n in ast.walk(part) if isinstance(n, ast.Call)]
    calls.sort(key=lambda c: (c.lineno, c.col_offset, -(c.end_lineno or 0), -(c.end_col_offset or 0)))
    return calls


class Positions:
    def __init__(self, module: cst.Module, text: str) -> None:
        self._module = module
        self._text = text
        self._lines: Optional[List[str]] = None
        self._statements: Optional[Dict[int, ast.AST]] = None
        self._calls: Dict[int, Tuple[List[cst.Call], List[ast.Call]]] = {}
        self._tree: Optional[ast.Module] = None

    # ----------------------------------------------------------------- lockstep mapping

    def _map(self) -> Dict[int, ast.AST]:
        if self._statements is None:
            self._statements = {}
            try:
                tree = ast.parse(self._text)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                return self._statements
            self._tree = tree
            self._pair(list(_flatten(self._module.body)), tree.body)
        return self._statements

    def _pair(self, cst_body: List[cst.CSTNode], ast_body: List[ast.AST]) -> None:
        if len(cst_body) != len(ast_body):
            return  # structures disagree: leave this block unmapped rather than guess
        for node, twin in zip(cst_body, ast_body):
            self._statements[id(node)] = twin
            self._pair_nested(node, twin)

    def _pair_nested(self, node: cst.CSTNode, twin: ast.AST) -> None:
        if isinstance(node, (cst.ClassDef, cst.FunctionDef, cst.With)):
            self._pair(_block(node.body), getattr(twin, "body", []))
        elif isinstance(node, cst.If) and isinstance(twin, ast.If):
            self._pair(_block(node.body), twin.body)
            if isinstance(node.orelse, cst.If):
                self._pair([node.orelse], twin.orelse)
            elif isinstance(node.orelse, cst.Else):
                self._pair(_block(node.orelse.body), twin.orelse)
        elif isinstance(node, (cst.For, cst.While)):
            self._pair(_block(node.body), getattr(twin, "body", []))
            if node.orelse is not None:
                self._pair(_block(node.orelse.body), getattr(twin, "orelse", []))
        elif isinstance(node, (cst.Try, cst.TryStar)):
            self._pair(_block(node.body), getattr(twin, "body", []))
            handlers = getattr(twin, "handlers", [])
            if len(handlers) == len(node.handlers):
                for handler, ast_handler in zip(node.handlers, handlers):
                    self._pair(_block(handler.body), ast_handler.body)
            if node.orelse is not None:
                self._pair(_block(node.orelse.body), getattr(twin, "orelse", []))
            if node.finalbody is not None:
                self._pair(_block(node.finalbody.body), getattr(twin, "finalbody", []))

    # ----------------------------------------------------------------- columns

    def _column(self, row: int, byte_col: int) -> int:
        """1-based character column of an ast (0-based UTF-8 byte) column."""
        if self._lines is None:
            self._lines = _LINE_BREAK.split(self._text)
        if not 1 <= row <= len(self._lines):
            return byte_col + 1
        line = self._lines[row - 1]
        if line.isascii():
            return byte_col + 1
        return len(line.encode("utf-8")[:byte_col].decode("utf-8", "replace")) + 1

    def _range(self, node: ast.AST) -> Range:
        start = (node.lineno, self._column(node.lineno, node.col_offset))
        end_row = getattr(node, "end_lineno", None) or node.lineno
        end_col = getattr(node, "end_col_offset", None)
        end = (end_row, self._column(end_row, end_col) if end_col is not None else start[1])
        return start, end

    # ----------------------------------------------------------------- queries

    def string_lines(self, candidates) -> set:
        """(line, column) of candidate comments that are really inside a string literal."""
        self._map()
        tree = self._tree
        inside = set()
        if tree is None:
            return inside
        wanted = {line: column for line, (column, _, _) in candidates.items()}
        for node in ast.walk(tree):
            if isinstance(node, (ast.Constant, ast.JoinedStr)) and (
                isinstance(node, ast.JoinedStr) or isinstance(node.value, (str, bytes))
            ):
                first, last = node.lineno, node.end_lineno or node.lineno
                for line, column in wanted.items():
                    if not first <= line <= last:
                        continue
                    start = self._column(first, node.col_offset) if line == first else 0
                    end = self._column(last, node.end_col_offset) if line == last else 1 << 30
                    if start <= column < end:
                        inside.add((line, column))
        return inside

    def annotation(self, function: cst.FunctionDef, parameter: Optional[str]) -> Optional[Position]:
        """Where a parameter's annotation (or, for None, the return annotation) starts."""
        twin = self._map().get(id(function))
        if not isinstance(twin, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return None
        if parameter is None:
            node = twin.returns
        else:
            args = twin.args
            node = next((a.annotation for a in args.posonlyargs + args.args + args.kwonlyargs
                         if a.arg == parameter), None)
        if node is None:
            return None
        return self._range(node)[0]

    def twin(self, statement: cst.CSTNode) -> Optional[ast.AST]:
        return self._map().get(id(statement))

    def statement(self, statement: cst.CSTNode) -> Optional[Range]:
        twin = self._map().get(id(statement))
        if twin is None:
            return None
        if isinstance(twin, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            # The header line only, from the keyword (decorators excluded).
            return (twin.lineno, self._column(twin.lineno, twin.col_offset)), (
                twin.lineno,
                self._column(twin.lineno, twin.col_offset),
            )
        return self._range(twin)

    def statement_lines(self, statement: cst.CSTNode) -> Optional[Tuple[int, int]]:
        """First and last line of a statement (decorators excluded for a class or def)."""
        twin = self._map().get(id(statement))
        if twin is None:
            return None
        if isinstance(twin, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            return twin.lineno, twin.lineno
        return twin.lineno, getattr(twin, "end_lineno", None) or twin.lineno

    def first_line(self, statement: cst.CSTNode) -> Optional[int]:
        """The line where a statement's text starts, its decorators included."""
        twin = self._map().get(id(statement))
        if twin is None:
            return None
        decorators = getattr(twin, "decorator_list", None)
        if decorators:
            return min(d.lineno for d in decorators)
        return twin.lineno

    def _ast_call(self, call: cst.Call, statement: cst.CSTNode) -> Optional[ast.Call]:
        key = id(statement)
        if key not in self._calls:
            twin = self._map().get(key)
            if twin is None:
                return None
            self._calls[key] = (_cst_calls(_header_parts(statement)), _ast_calls(_ast_header_parts(twin)))
        cst_calls, ast_calls = self._calls[key]
        if len(cst_calls) != len(ast_calls):
            return None
        for index, candidate in enumerate(cst_calls):
            if candidate is call:
                return ast_calls[index]
        return None

    def call(self, call: cst.Call, statement: cst.CSTNode) -> Optional[Range]:
        twin = self._ast_call(call, statement)
        if twin is None:
            return self.statement(statement)
        return self._range(twin)

    def argument(self, call: cst.Call, statement: cst.CSTNode, arg: cst.Arg) -> Optional[Range]:
        """Range of an argument's value (the text an edit replaces)."""
        twin = self._ast_call(call, statement)
        if twin is None:
            return None
        positional = [a for a in call.args if a.keyword is None and a.star != "**"]
        keywords = [a for a in call.args if a.keyword is not None or a.star == "**"]
        if arg in positional and len(positional) == len(twin.args):
            return self._range(twin.args[positional.index(arg)])
        if arg in keywords and len(keywords) == len(twin.keywords):
            return self._range(twin.keywords[keywords.index(arg)].value)
        return None

    def end_of_arguments(self, call: cst.Call, statement: cst.CSTNode) -> Optional[Position]:
        """Where a new keyword argument goes: right after the last argument."""
        twin = self._ast_call(call, statement)
        if twin is None:
            return None
        nodes = list(twin.args) + [k.value for k in twin.keywords]
        if not nodes:
            return None
        last = max(nodes, key=lambda n: (n.end_lineno or 0, n.end_col_offset or 0))
        return self._range(last)[1]
