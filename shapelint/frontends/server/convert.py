"""Positions and diagnostics between shapelint and the Language Server Protocol (pure functions).

shapelint counts rows and columns from 1 and a column in characters (code points); LSP counts
lines and characters from 0, a character in the code units of the position encoding the client
and server agreed on (UTF-16 unless both chose another). Every position crossing the protocol
goes through :func:`to_client` or :func:`from_client`.
"""

from __future__ import annotations

import os
from typing import List, Optional, Sequence, Tuple

from lsprotocol import types

from ...core.results import Diagnostic, Related
from ...core.rules import rule_url

UTF8 = types.PositionEncodingKind.Utf8
UTF16 = types.PositionEncodingKind.Utf16
UTF32 = types.PositionEncodingKind.Utf32

SOURCE = "shapelint"


# --------------------------------------------------------------------------------------------
# Columns


def _units(text: str, encoding: str) -> int:
    """The length of ``text`` in the code units of ``encoding``."""
    if encoding == UTF32:
        return len(text)
    if encoding == UTF8:
        return len(text.encode("utf-8", "surrogatepass"))
    # UTF-16: a code point past the Basic Multilingual Plane is two units.
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def column_to_client(line: str, column: int, encoding: str) -> int:
    """A 0-based column in code points of ``line`` as the client counts it."""
    column = max(0, min(column, len(line)))
    return _units(line[:column], encoding)


def column_from_client(line: str, character: int, encoding: str) -> int:
    """The 0-based code-point column of ``character`` client units into ``line`` (past the end:
    the end; inside a character: that character)."""
    if encoding == UTF32:
        return max(0, min(character, len(line)))
    units = 0
    for index, char in enumerate(line):
        if units >= character:
            return index
        units += _units(char, encoding)
    return len(line)


def to_client(lines: Sequence[str], row: int, col: int, encoding: str) -> types.Position:
    """shapelint's (row, col), 1-based in code points, as an LSP position in the document whose
    physical lines are ``lines`` (clamped to the document)."""
    line = max(0, row - 1)
    if line >= len(lines):
        last = len(lines) - 1 if lines else 0
        return types.Position(line=last, character=_units(lines[last], encoding) if lines else 0)
    return types.Position(line=line, character=column_to_client(lines[line], col - 1, encoding))


def from_client(lines: Sequence[str], position: types.Position, encoding: str) -> Tuple[int, int]:
    """An LSP position as shapelint's (row, col), 1-based in code points (clamped)."""
    if not lines:
        return 1, 1
    line = max(0, min(position.line, len(lines) - 1))
    return line + 1, column_from_client(lines[line], position.character, encoding) + 1


def span_range(lines: Sequence[str], row: int, col: int, end_row: int, end_col: int,
               encoding: str) -> types.Range:
    start = to_client(lines, row, col, encoding)
    end = to_client(lines, end_row, end_col, encoding)
    if (end.line, end.character) < (start.line, start.character):
        end = start
    return types.Range(start=start, end=end)


def line_end(lines: Sequence[str], row: int, encoding: str) -> types.Position:
    """The end of row ``row`` (1-based)."""
    line = lines[row - 1] if 0 < row <= len(lines) else ""
    return to_client(lines, row, len(line) + 1, encoding)


# --------------------------------------------------------------------------------------------
# Diagnostics


def severity_of(diagnostic: Diagnostic) -> types.DiagnosticSeverity:
    return types.DiagnosticSeverity.Error if diagnostic.severity == "error" else types.DiagnosticSeverity.Warning


def message_of(diagnostic: Diagnostic) -> str:
    """The message as the text output shows it: the sentence, then its notes and the
    replacement code (``note:``/``help:`` lines); an editor shows them under the first line."""
    parts = [diagnostic.message]
    parts.extend(f"note: {note}" for note in diagnostic.notes)
    if diagnostic.help:
        parts.append(f"help: {diagnostic.help}")
    return "\n".join(parts)


def path_of(related_path: str, analysed: str) -> str:
    """A path in a diagnostic, absolute (other files are named relative to the analysed
    file's directory)."""
    if os.path.isabs(related_path):
        return related_path
    return os.path.normpath(os.path.join(os.path.dirname(analysed), related_path))


def to_lsp_diagnostic(diagnostic: Diagnostic, lines: Sequence[str], encoding: str, analysed: str,
                      uri_of, other_lines) -> types.Diagnostic:
    """One diagnostic of the analysed file for the client. ``uri_of(path)`` is a file's URI;
    ``other_lines(path)`` the lines of another file (its buffer or the disk; None when it cannot
    be read): a related location there is placed in its own text."""
    related: List[types.DiagnosticRelatedInformation] = []
    for place in diagnostic.related:
        location = related_location(place, lines, encoding, analysed, uri_of, other_lines)
        if location is not None:
            related.append(types.DiagnosticRelatedInformation(location=location, message=place.message))
    url = rule_url(diagnostic.code)
    return types.Diagnostic(
        range=span_range(lines, diagnostic.row, diagnostic.col, diagnostic.end_row, diagnostic.end_col, encoding),
        message=message_of(diagnostic),
        severity=severity_of(diagnostic),
        code=diagnostic.code,
        code_description=types.CodeDescription(href=url) if url else None,
        source=SOURCE,
        related_information=related or None,
    )


def related_location(place: Related, lines: Sequence[str], encoding: str, analysed: str, uri_of,
                     other_lines) -> Optional[types.Location]:
    path = path_of(place.path, analysed)
    if os.path.normcase(os.path.abspath(path)) == os.path.normcase(os.path.abspath(analysed)):
        text_lines: Optional[Sequence[str]] = lines
    else:
        text_lines = other_lines(path)
    if text_lines is None:
        return None
    return types.Location(uri=uri_of(path), range=span_range(text_lines, place.row, place.col, place.end_row,
                                                             place.end_col, encoding))
