"""Python source as text: decoding its bytes, its physical lines, positions in it and edits to it.

Rows and columns are 1-based and a column counts characters (code points) of its line, as in
ruff's JSON output; an edit's end is exclusive. Lines break only where Python's tokenizer breaks
them (``\\r\\n``, ``\\r``, ``\\n``): ``str.splitlines`` also breaks at ``\\f``, ``\\v``, ``\\x1c``,
``\\u2028``..., which would shift every row after such a character.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Iterable, List, Optional, Sequence, Tuple

if TYPE_CHECKING:  # only the type: results need not be loaded to decode a file
    from .results import Edit

LINE_BREAK = re.compile(r"\r\n|\r|\n")

#: What decoding source bytes raises: a bad encoding declaration (SyntaxError), bytes that are
#: not in the encoding (UnicodeDecodeError), an encoding Python does not know (LookupError).
DECODE_ERRORS = (SyntaxError, UnicodeDecodeError, LookupError)

#: An edit as offsets into the text: (start, end, replacement).
Span = Tuple[int, int, str]


# --------------------------------------------------------------------------- decoding


def source_encoding(data: bytes) -> str:
    """The encoding Python reads ``data`` in (a BOM, else a PEP 263 cookie, else UTF-8); raises
    SyntaxError for a bad declaration."""
    import io
    import tokenize

    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return encoding


def decode_as(data: bytes, encoding: str) -> str:
    """``data`` decoded in ``encoding``, without the byte order mark the interpreter skips."""
    text = data.decode(encoding)
    return text[1:] if text.startswith("\ufeff") else text


def decode_source(data: bytes) -> str:
    """Decode Python source as the interpreter does; raises one of :data:`DECODE_ERRORS`."""
    return decode_as(data, source_encoding(data))


def decode_for_rewrite(data: bytes) -> Optional[Tuple[str, str]]:
    """Source bytes' text and the encoding to write it back in, or None when they do not decode."""
    try:
        encoding = source_encoding(data)
        return decode_as(data, encoding), encoding
    except DECODE_ERRORS:
        return None


# --------------------------------------------------------------------------- lines


def split_lines(text: str) -> List[str]:
    """The physical lines of ``text``, without their line breaks."""
    return LINE_BREAK.split(text)


def lines_with_ends(text: str) -> List[str]:
    """The physical lines of ``text`` with their line breaks (none after a final break)."""
    lines: List[str] = []
    start = 0
    for match in LINE_BREAK.finditer(text):
        lines.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        lines.append(text[start:])
    return lines


def line_starts(text: str) -> List[int]:
    """The offset at which each physical line starts (the first is 0)."""
    starts = [0]
    starts.extend(match.end() for match in LINE_BREAK.finditer(text))
    return starts


def one_line(text: object) -> str:
    """``text`` with every run of white space, line breaks included, as one space."""
    return " ".join(str(text).split())


# --------------------------------------------------------------------------- edits


class LineIndex:
    """Maps (row, column) positions of one text to offsets into it."""

    def __init__(self, text: str) -> None:
        self.starts = [0]
        self.content_ends: List[int] = []
        for match in LINE_BREAK.finditer(text):
            self.content_ends.append(match.start())
            self.starts.append(match.end())
        self.content_ends.append(len(text))

    def offset(self, row: int, col: int) -> Optional[int]:
        """None for a position that is not in the text."""
        if row < 1 or col < 1:
            return None
        if row > len(self.starts):
            # After a final newline, the end of the text is (rows + 1, 1): starts has it already.
            return None
        offset = self.starts[row - 1] + col - 1
        # A column may address the line's content or the position just after it (before the
        # newline); one past that would split a \r\n or land on the next line.
        return offset if offset <= self.content_ends[row - 1] else None

    def spans(self, edits: Iterable["Edit"]) -> Optional[List[Span]]:
        """The edits as spans in text order; None when one is outside the text or two overlap."""
        spans: List[Span] = []
        for edit in edits:
            start = self.offset(*edit.start)
            end = self.offset(*edit.end)
            if start is None or end is None or end < start:
                return None
            spans.append((start, end, edit.content))
        # A stable sort: insertions at one point keep the order the edits give them (as ruff
        # applies a fix's edits), and go before a replacement starting there.
        spans.sort(key=lambda s: (s[0], s[1]))
        for (_s1, e1, _), (s2, _e2, _) in zip(spans, spans[1:]):
            if s2 < e1:
                return None
        return spans


def replace_spans(text: str, spans: Iterable[Span]) -> str:
    """``text`` with each span replaced (the spans do not overlap)."""
    out: List[str] = []
    last = 0
    for start, end, content in sorted(spans, key=lambda s: (s[0], s[1])):
        out.append(text[last:start])
        out.append(content)
        last = end
    out.append(text[last:])
    return "".join(out)


def apply_edits(text: str, edits: Sequence["Edit"]) -> str:
    """``text`` with ``edits`` applied; raises ValueError when one is outside the text or two
    overlap."""
    spans = LineIndex(text).spans(edits)
    if spans is None:
        raise ValueError("an edit is outside the text or overlaps another")
    return replace_spans(text, spans)
