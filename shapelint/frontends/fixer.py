"""Apply the fixes of diagnostics to a source text, and show the change as a unified diff.

Positions are (row, column), 1-based, end exclusive; a column counts characters (code points) of
its line. Only the text inside the edits changes: line endings, comments and formatting elsewhere
stay byte for byte. Like ruff, fixes are applied in source order and a fix that overlaps (or
touches) one already taken is skipped; the caller checks again and fixes what remains in another
round. A fix whose result Python does not compile is refused.
"""

from __future__ import annotations

import re
from typing import Iterable, List, Optional, Sequence, Tuple

from ..core.results import SAFE, UNSAFE, Diagnostic, Edit, Fix

_NEWLINE = re.compile(r"\r\n|\r|\n")

Span = Tuple[int, int, str]  # start offset, end offset, replacement


def split_lines(text: str) -> List[str]:
    """Lines with their endings, split only where Python's tokenizer splits (``\\n``, ``\\r\\n``,
    ``\\r``; ``str.splitlines`` also splits at form feeds and other characters)."""
    lines: List[str] = []
    start = 0
    for match in _NEWLINE.finditer(text):
        lines.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        lines.append(text[start:])
    return lines


class _Offsets:
    """Maps (row, column) to an offset into the text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0]
        self.content_ends: List[int] = []
        for match in _NEWLINE.finditer(text):
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
        start = self.starts[row - 1]
        offset = start + col - 1
        # A column may address the line's content or the position just after it (before the
        # newline); one past that would split a \r\n or land on the next line.
        return offset if offset <= self.content_ends[row - 1] else None


def _spans(fix: Fix, offsets: _Offsets) -> Optional[List[Span]]:
    """The edits of a fix as sorted offset spans; None when one is out of range or two overlap."""
    spans: List[Span] = []
    for edit in fix.edits:
        start = offsets.offset(*edit.start)
        end = offsets.offset(*edit.end)
        if start is None or end is None or end < start:
            return None
        spans.append((start, end, edit.content))
    # A stable sort: insertions at one point keep the order the fix gives them (as ruff
    # applies a fix's edits), and go before a replacement starting there.
    spans.sort(key=lambda s: (s[0], s[1]))
    for (_s1, e1, _), (s2, _e2, _) in zip(spans, spans[1:]):
        if s2 < e1:
            return None
    return spans


def _conflicts(spans: Sequence[Span], taken: Sequence[Span]) -> bool:
    # Touching counts as a conflict (as ruff's `last_pos >= min_start`): the order of an
    # insertion next to a replacement would otherwise be a guess.
    return any(s1 <= e2 and s2 <= e1 for s1, e1, _ in spans for s2, e2, _ in taken)


def _apply(text: str, spans: Iterable[Span]) -> str:
    out: List[str] = []
    last = 0
    for start, end, content in sorted(spans, key=lambda s: (s[0], s[1])):
        out.append(text[last:start])
        out.append(content)
        last = end
    out.append(text[last:])
    return "".join(out)


def compiles(text: str) -> bool:
    """Whether Python compiles ``text`` as a module. A parse alone (``ast``, libcst) accepts
    ``f(a=1, a=1)``, ``return`` outside a function and the like, which Python rejects only when
    it compiles; such a file would fail at import. A source that does not compile gets no fix."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning and the like: the user's, not ours
            compile(text, "<fixed>", "exec", dont_inherit=True)
    except Exception:  # SyntaxError; ValueError, RecursionError, MemoryError for odd input
        return False
    return True


def _applicable(fix: Optional[Fix], unsafe: bool) -> bool:
    if fix is None or not fix.edits:
        return False
    if fix.applicability == SAFE:
        return True
    return unsafe and fix.applicability == UNSAFE


def apply_fixes(
    source: str, diagnostics: Iterable[Diagnostic], unsafe: bool = False
) -> Tuple[str, int]:
    """``source`` with the fixes of ``diagnostics`` applied (safe ones, and unsafe ones when
    ``unsafe``), and the number of diagnostics fixed.

    Fixes are taken in source order; one that overlaps a fix already taken is left for the next
    round, one with a position outside the text is ignored, and one whose result would not
    compile is refused. A diagnostic whose fix is identical to one already taken counts as fixed.
    """
    offsets = _Offsets(source)
    candidates: List[Tuple[List[Span], Fix]] = []
    for diagnostic in diagnostics:
        if not _applicable(diagnostic.fix, unsafe):
            continue
        assert diagnostic.fix is not None
        spans = _spans(diagnostic.fix, offsets)
        if spans is not None:
            candidates.append((spans, diagnostic.fix))
    if not candidates:
        return source, 0
    candidates.sort(key=lambda c: (c[0][0][0], c[0][-1][1]))

    def select(verify: bool) -> Tuple[List[Span], int]:
        taken: List[Span] = []
        taken_fixes: List[Tuple[Span, ...]] = []
        count = 0
        for spans, _fix in candidates:
            key = tuple(spans)
            if key in taken_fixes:
                count += 1
                continue
            if _conflicts(spans, taken):
                continue
            if verify and not compiles(_apply(source, taken + spans)):
                continue
            taken.extend(spans)
            taken_fixes.append(key)
            count += 1
        return taken, count

    # Usually every fix is fine: one compile of the result is enough. Otherwise find the
    # culprits by adding the fixes one at a time, each checked with those before it.
    taken, count = select(verify=False)
    if not taken:
        return source, 0
    result = _apply(source, taken)
    if not compiles(result):
        taken, count = select(verify=True)
        result = _apply(source, taken)
    if result == source:
        return source, count if taken else 0
    return result, count


def unified_diff(path: str, old: str, new: str) -> str:
    """``--diff`` output for one file, as ruff and git show it; empty when nothing changed."""
    if old == new:
        return ""
    import difflib

    lines = difflib.unified_diff(split_lines(old), split_lines(new), fromfile=path, tofile=path)
    out: List[str] = []
    for line in lines:
        if line.endswith(("\n", "\r")):
            out.append(line)
        else:
            out.append(line + "\n\\ No newline at end of file\n")
    return "".join(out)


__all__ = ["apply_fixes", "unified_diff", "compiles", "split_lines", "Edit"]
