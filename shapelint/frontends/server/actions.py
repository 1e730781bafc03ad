"""Code actions (pure functions): each fix as a quick fix, "fix all safe" for the file, and a
``# noqa: SHPxxx`` for a diagnostic's line.

A fix is offered as it is in ``check --fix``: its edits, its applicability in the title (an
unsafe fix says so and is never the preferred one). "Fix all" applies the safe fixes as one
round of ``check --fix`` does (``fixer.apply_fixes``: overlapping fixes wait for the next round,
a result that does not compile is refused).
"""

from __future__ import annotations

from typing import List, Optional, Sequence

from lsprotocol import types

from ...core.results import SAFE, Diagnostic
from ...core.text import line_starts
from ..fixer import apply_fixes
from ..runner import noqa_codes
from .convert import UTF16, line_end, span_range, to_client

#: The kind of the "fix all safe" action (editors run ``source.fixAll`` on save when asked).
FIX_ALL_KIND = "source.fixAll.shapelint"


def fix_action(uri: str, diagnostic: Diagnostic, lsp_diagnostic: types.Diagnostic, lines: Sequence[str],
               encoding: str = UTF16) -> Optional[types.CodeAction]:
    """The diagnostic's fix as a quick fix (None when it has none)."""
    fix = diagnostic.fix
    if fix is None or not fix.edits:
        return None
    edits = [types.TextEdit(range=span_range(lines, *edit.start, *edit.end, encoding), new_text=edit.content)
             for edit in fix.edits]
    safe = fix.applicability == SAFE
    title = f"{diagnostic.code}: {fix.message}" + ("" if safe else " (unsafe fix)")
    return types.CodeAction(
        title=title,
        kind=types.CodeActionKind.QuickFix,
        diagnostics=[lsp_diagnostic],
        is_preferred=safe,
        edit=types.WorkspaceEdit(changes={uri: edits}),
    )


def fix_all_action(uri: str, text: str, diagnostics: Sequence[Diagnostic], lines: Sequence[str],
                   encoding: str = UTF16, kind: str = FIX_ALL_KIND) -> Optional[types.CodeAction]:
    """The safe fixes of the file, applied together as one edit; None when there is none."""
    fixed, count = apply_fixes(text, diagnostics, unsafe=False)
    if fixed == text or not count:
        return None
    edit = minimal_edit(text, fixed, lines, encoding)
    noun = "fix" if count == 1 else "fixes"
    return types.CodeAction(
        title=f"shapelint: apply {count} safe {noun} in this file",
        kind=kind,
        edit=types.WorkspaceEdit(changes={uri: [edit]}),
    )


def minimal_edit(old: str, new: str, lines: Sequence[str], encoding: str = UTF16) -> types.TextEdit:
    """One edit turning ``old`` into ``new``: the part between their common prefix and suffix
    (an editor then keeps the cursor, folds and marks elsewhere)."""
    prefix = 0
    limit = min(len(old), len(new))
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and old[len(old) - 1 - suffix] == new[len(new) - 1 - suffix]:
        suffix += 1
    # Never split a \r\n: start before a \r, end after a \n.
    while prefix and old[prefix - 1] == "\r":
        prefix -= 1
    while suffix and old[len(old) - suffix] == "\n" and len(old) - suffix - 1 >= prefix \
            and old[len(old) - suffix - 1] == "\r":
        suffix -= 1
    start = _position(old, prefix, lines, encoding)
    end = _position(old, len(old) - suffix, lines, encoding)
    return types.TextEdit(range=types.Range(start=start, end=end), new_text=new[prefix:len(new) - suffix])


def _position(text: str, offset: int, lines: Sequence[str], encoding: str) -> types.Position:
    starts = line_starts(text)
    row = 0
    low, high = 0, len(starts) - 1
    while low <= high:  # the last line starting at or before the offset
        middle = (low + high) // 2
        if starts[middle] <= offset:
            row, low = middle, middle + 1
        else:
            high = middle - 1
    return to_client(lines, row + 1, offset - starts[row] + 1, encoding)


def noqa_action(uri: str, diagnostic: Diagnostic, lsp_diagnostic: types.Diagnostic, lines: Sequence[str],
                encoding: str = UTF16) -> Optional[types.CodeAction]:
    """``# noqa: CODE`` on the diagnostic's line (added to a noqa comment there already); None
    when the line cannot take a comment (a line continued with a backslash) or is silenced."""
    row = diagnostic.row
    if not 1 <= row <= len(lines):
        return None
    line = lines[row - 1]
    if line.rstrip().endswith("\\"):
        return None
    codes = noqa_codes(line)
    if codes is not None and (not codes or diagnostic.code in codes):
        return None  # silenced already (only a stale result shows it)
    if codes is None:
        stripped = line.rstrip()
        start = to_client(lines, row, len(stripped) + 1, encoding)
        edit = types.TextEdit(range=types.Range(start=start, end=line_end(lines, row, encoding)),
                              new_text=f"  # noqa: {diagnostic.code}")
    else:
        # Extend the codes of the noqa comment there: `# noqa: SHP201` -> `# noqa: SHP201, SHP101`.
        from ..runner import NOQA_RE

        match = NOQA_RE.search(line)
        assert match is not None and match.group("codes")
        codes_text = match.group("codes").rstrip()
        end = match.start("codes") + len(codes_text)
        position = to_client(lines, row, end + 1, encoding)
        edit = types.TextEdit(range=types.Range(start=position, end=position), new_text=f", {diagnostic.code}")
    return types.CodeAction(
        title=f"{diagnostic.code}: silence on this line (# noqa: {diagnostic.code})",
        kind=types.CodeActionKind.QuickFix,
        diagnostics=[lsp_diagnostic],
        edit=types.WorkspaceEdit(changes={uri: [edit]}),
    )


def actions_for(uri: str, text: str, lines: Sequence[str], diagnostics: Sequence[Diagnostic],
                lsp_diagnostics: Sequence[types.Diagnostic], first_row: int, last_row: int,
                encoding: str = UTF16, only: Optional[Sequence[str]] = None) -> List[types.CodeAction]:
    """The actions for the diagnostics on rows ``first_row``..``last_row``: each fix, each
    noqa, then "fix all safe" for the file. ``only``: the kinds the client asked for."""
    def wanted(kind: str) -> bool:
        return not only or any(kind == k or kind.startswith(k + ".") for k in only)

    actions: List[types.CodeAction] = []
    if wanted(types.CodeActionKind.QuickFix):
        for diagnostic, lsp_diagnostic in zip(diagnostics, lsp_diagnostics):
            if diagnostic.end_row < first_row or diagnostic.row > last_row:
                continue
            for action in (fix_action(uri, diagnostic, lsp_diagnostic, lines, encoding),
                           noqa_action(uri, diagnostic, lsp_diagnostic, lines, encoding)):
                if action is not None:
                    actions.append(action)
    for kind in (FIX_ALL_KIND, types.CodeActionKind.QuickFix):
        # Offered as source.fixAll (on save, from a menu) and, next to the quick fixes, once.
        if wanted(kind) and (kind == FIX_ALL_KIND or any(a.edit for a in actions)):
            action = fix_all_action(uri, text, diagnostics, lines, encoding, kind)
            if action is not None:
                actions.append(action)
            break
    return actions
