"""Apply the fixes of diagnostics to a source text, and show the change as a unified diff.

Positions are (row, column), 1-based, end exclusive; a column counts characters (code points) of
its line. Only the text inside the edits changes: line endings, comments and formatting elsewhere
stay byte for byte. Like ruff, fixes are applied in source order and a fix that overlaps (or
touches) one already taken is skipped; the caller checks again and fixes what remains in another
round. A fix whose result Python does not compile is refused.
"""

from __future__ import annotations

from typing import Iterable, List, Optional, Sequence, Tuple

from ..core.results import SAFE, UNSAFE, Diagnostic, Fix
from ..core.text import LineIndex, Span, lines_with_ends, replace_spans


def _conflicts(spans: Sequence[Span], taken: Sequence[Span]) -> bool:
    # Touching counts as a conflict (as ruff's `last_pos >= min_start`): the order of an
    # insertion next to a replacement would otherwise be a guess.
    return any(s1 <= e2 and s2 <= e1 for s1, e1, _ in spans for s2, e2, _ in taken)


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
    lines = LineIndex(source)
    candidates: List[Tuple[List[Span], Fix]] = []
    for diagnostic in diagnostics:
        if not _applicable(diagnostic.fix, unsafe):
            continue
        assert diagnostic.fix is not None
        spans = lines.spans(diagnostic.fix.edits)
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
            if verify and not compiles(replace_spans(source, taken + spans)):
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
    result = replace_spans(source, taken)
    if not compiles(result):
        taken, count = select(verify=True)
        result = replace_spans(source, taken)
    if result == source:
        return source, count if taken else 0
    return result, count


def unified_diff(path: str, old: str, new: str) -> str:
    """``--diff`` output for one file, as ruff and git show it; empty when nothing changed."""
    if old == new:
        return ""
    import difflib

    lines = difflib.unified_diff(lines_with_ends(old), lines_with_ends(new), fromfile=path, tofile=path)
    out: List[str] = []
    for line in lines:
        if line.endswith(("\n", "\r")):
            out.append(line)
        else:
            out.append(line + "\n\\ No newline at end of file\n")
    return "".join(out)


__all__ = ["apply_fixes", "unified_diff", "compiles"]
