"""Source positions of ``ast`` nodes, as users count them.

The standard parser records every node's position (``lineno``/``col_offset`` to
``end_lineno``/``end_col_offset``); this layer only converts them: rows and columns are 1-based,
columns count characters (ast counts UTF-8 bytes), and ``source`` gives a node's exact text.
"""

from __future__ import annotations

import ast
import bisect
from typing import List, Optional, Tuple

from ..core.text import line_starts, split_lines

Position = Tuple[int, int]
Range = Tuple[Position, Position]

_DEFINITIONS = (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)


class Positions:
    def __init__(self, text: str, tree: Optional[ast.Module] = None, lines: Optional[List[str]] = None) -> None:
        self._text = text
        self._tree = tree
        #: ``split_lines(text)``, when the caller has it.
        self._lines: Optional[List[str]] = lines
        self._starts: Optional[List[int]] = None
        self._statements: Optional[frozenset] = None

    # ----------------------------------------------------------------- columns

    @property
    def lines(self) -> List[str]:
        """The text's physical lines (shared: never change them)."""
        if self._lines is None:
            self._lines = split_lines(self._text)
        return self._lines

    def _line(self, row: int) -> Optional[str]:
        if self._lines is None:
            self._lines = split_lines(self._text)
        if not 1 <= row <= len(self._lines):
            return None
        return self._lines[row - 1]

    def _column(self, row: int, byte_col: int) -> int:
        """1-based character column of an ast (0-based UTF-8 byte) column."""
        line = self._line(row)
        if line is None or line.isascii():
            return byte_col + 1
        return len(line.encode("utf-8")[:byte_col].decode("utf-8", "replace")) + 1

    def _range(self, node: ast.AST) -> Range:
        start = (node.lineno, self._column(node.lineno, node.col_offset))
        end_row = getattr(node, "end_lineno", None) or node.lineno
        end_col = getattr(node, "end_col_offset", None)
        end = (end_row, self._column(end_row, end_col) if end_col is not None else start[1])
        return start, end

    def _offset(self, row: int, byte_col: int) -> int:
        """0-based character offset in the text of an ast position."""
        if self._starts is None:
            self._starts = line_starts(self._text)
        row = min(max(row, 1), len(self._starts))
        return self._starts[row - 1] + self._column(row, byte_col) - 1

    # ----------------------------------------------------------------- queries

    def owns(self, statement: ast.AST) -> bool:
        """Whether ``statement`` is one of this file's (not of another file of the project);
        the set is made on the first question, which only code of other files raises."""
        if self._tree is None:
            return True
        if self._statements is None:
            self._statements = frozenset(id(node) for node in ast.walk(self._tree) if isinstance(node, ast.stmt))
        return id(statement) in self._statements

    def source(self, node: ast.AST) -> str:
        """The exact source text of a node (from its first character to its last)."""
        end_row = getattr(node, "end_lineno", None)
        end_col = getattr(node, "end_col_offset", None)
        if end_row is None or end_col is None:
            return ""
        return self._text[self._offset(node.lineno, node.col_offset):self._offset(end_row, end_col)]

    def between(self, first: ast.AST, second: ast.AST) -> str:
        """The text from the end of ``first`` to the start of ``second``."""
        return self._text[self._offset(first.end_lineno, first.end_col_offset):
                          self._offset(second.lineno, second.col_offset)]

    def until_end(self, inner: ast.AST, outer: ast.AST) -> str:
        """The text from the end of ``inner`` to the end of ``outer`` (which contains it)."""
        return self._text[self._offset(inner.end_lineno, inner.end_col_offset):
                          self._offset(outer.end_lineno, outer.end_col_offset)]

    def starts_with(self, node: ast.AST, prefix: str) -> bool:
        """Whether the node's text starts with ``prefix`` (an ``elif`` is an ``ast.If``)."""
        start = self._offset(node.lineno, node.col_offset)
        return self._text.startswith(prefix, start)

    def starts_line(self, node: ast.AST) -> bool:
        """Whether only whitespace precedes the node on its first line (a statement of an
        indented block, not of a one-line ``if x: y`` suite or after a ``;``)."""
        line = self._line(node.lineno)
        if line is None:
            return True
        return not line.encode("utf-8")[:node.col_offset].strip()

    def string_lines(self, candidates) -> set:
        """(line, column) of candidate comments that are really inside a string literal.

        Only the nodes whose lines hold a candidate are visited (a node's children lie within
        its lines): a file's pragmas are a few lines of it."""
        tree = self._tree
        inside: set = set()
        if tree is None:
            return inside
        wanted = {line: column for line, (column, _, _) in candidates.items()}
        if not wanted:
            return inside
        rows = sorted(wanted)
        pending = [tree]
        while pending:
            node = pending.pop()
            for child in ast.iter_child_nodes(node):
                first = getattr(child, "lineno", None)
                if first is None:  # arguments, comprehension, withitem: no lines of their own
                    pending.append(child)
                    continue
                last = child.end_lineno or first
                decorators = getattr(child, "decorator_list", None)
                if decorators:  # above the ``def``/``class`` line its own lines start at
                    first = min([first] + [decorator.lineno for decorator in decorators])
                at = bisect.bisect_left(rows, first)
                if at == len(rows) or rows[at] > last:
                    continue  # no candidate on its lines
                kind = type(child)
                if kind is ast.JoinedStr or (kind is ast.Constant and isinstance(child.value, (str, bytes))):
                    self._strings_over(child, first, last, wanted, inside)
                pending.append(child)
        return inside

    def _strings_over(self, node: ast.AST, first: int, last: int, wanted: dict, inside: set) -> None:
        for line, column in wanted.items():
            if not first <= line <= last:
                continue
            start = self._column(first, node.col_offset) if line == first else 0
            end = self._column(last, node.end_col_offset) if line == last else 1 << 30
            if start <= column < end:
                inside.add((line, column))

    def annotation(self, function: ast.AST, parameter: Optional[str]) -> Optional[Position]:
        """Where a parameter's annotation (or, for None, the return annotation) starts."""
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return None
        if parameter is None:
            node = function.returns
        else:
            args = function.args
            node = next((a.annotation for a in args.posonlyargs + args.args + args.kwonlyargs
                         if a.arg == parameter), None)
        if node is None:
            return None
        return self._range(node)[0]

    def statement(self, statement: Optional[ast.AST]) -> Optional[Range]:
        if statement is None or not hasattr(statement, "lineno"):
            return None
        if isinstance(statement, _DEFINITIONS):
            # The header line only, from the keyword (decorators excluded).
            start = (statement.lineno, self._column(statement.lineno, statement.col_offset))
            return start, start
        return self._range(statement)

    def statement_lines(self, statement: Optional[ast.AST]) -> Optional[Tuple[int, int]]:
        """First and last line of a statement (decorators excluded for a class or def)."""
        if statement is None or not hasattr(statement, "lineno"):
            return None
        if isinstance(statement, _DEFINITIONS):
            return statement.lineno, statement.lineno
        return statement.lineno, getattr(statement, "end_lineno", None) or statement.lineno

    def first_line(self, statement: Optional[ast.AST]) -> Optional[int]:
        """The line where a statement's text starts, its decorators included."""
        if statement is None or not hasattr(statement, "lineno"):
            return None
        decorators = getattr(statement, "decorator_list", None)
        if decorators:
            return min(d.lineno for d in decorators)
        return statement.lineno

    def call(self, call: ast.AST, statement: Optional[ast.AST] = None) -> Optional[Range]:
        if not hasattr(call, "lineno"):
            return self.statement(statement)
        return self._range(call)

    def argument(self, call: ast.Call, statement: Optional[ast.AST], arg: ast.AST) -> Optional[Range]:
        """Range of an argument's value (the text an edit replaces): ``arg`` is an expression of
        ``call.args`` or an ``ast.keyword`` of ``call.keywords``."""
        if isinstance(arg, ast.keyword):
            arg = arg.value
        if not hasattr(arg, "lineno"):
            return None
        return self._range(arg)

    def end_of_arguments(self, call: ast.Call, statement: Optional[ast.AST] = None) -> Optional[Position]:
        """Where a new keyword argument goes: right after the last argument."""
        nodes = list(call.args) + [k.value for k in call.keywords]
        if not nodes:
            return None
        last = max(nodes, key=lambda n: (n.end_lineno or 0, n.end_col_offset or 0))
        return self._range(last)[1]

    def node(self, node: ast.AST) -> Optional[Range]:
        """Range of any node that has a position."""
        if not hasattr(node, "lineno"):
            return None
        return self._range(node)

    def line_text(self, row: int, marker: Optional[str] = None) -> Optional[Range]:
        """The text of a line, from ``marker`` (a pragma) when the line holds it, else from its
        first non-blank character, to its last non-blank one."""
        line = self._line(row)
        if line is None:
            return None
        end = len(line.rstrip())
        start = line.find(marker) if marker else -1
        if start < 0 or start >= end:
            start = len(line) - len(line.lstrip())
        if start >= end:
            return (row, 1), (row, 1)
        return (row, start + 1), (row, end + 1)

    def last_return(self, function: ast.AST) -> Optional[Range]:
        """The last ``return`` of a function's own body (not of a function defined inside it)."""
        found: Optional[ast.AST] = None
        pending = list(getattr(function, "body", ()))
        while pending:
            node = pending.pop()
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                continue
            if isinstance(node, ast.Return) and (found is None or (node.lineno, node.col_offset)
                                                 > (found.lineno, found.col_offset)):
                found = node
            pending.extend(ast.iter_child_nodes(node))
        return self._range(found) if found is not None else None

    def call_with_arguments_ending_at(self, point: Position) -> Optional[ast.Call]:
        """The call whose last argument ends at ``point`` (where an edit adds a keyword)."""
        if self._tree is None:
            return None
        row = point[0]
        for node in ast.walk(self._tree):
            if (type(node) is ast.Call and node.lineno <= row <= (node.end_lineno or node.lineno)
                    and self.end_of_arguments(node) == point):
                return node
        return None
