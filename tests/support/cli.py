"""``shapelint`` as a black box, in-process: its exit status, its output, its JSON fixes.

- :func:`run_cli` runs ``shapelint`` in-process with captured stdout/stderr (and, if given, the
  bytes of stdin).
- :func:`check_json` / :func:`shapes_json`: ``check`` / ``shapes`` with ``--format json``.
- :func:`apply_fixes` applies the ``fix.edits`` of ruff-style JSON (1-based rows/columns, end
  exclusive).

Nothing here imports torch: the front-end tests run without it.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import sys
from dataclasses import dataclass
from typing import Any, Iterable, List, Optional, Tuple

@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        try:
            return json.loads(self.stdout)
        except ValueError as error:
            raise AssertionError(
                f"not JSON ({error}); exit {self.code}; stdout={self.stdout[:2000]!r}; "
                f"stderr={self.stderr[:2000]!r}"
            ) from None


def run_cli(*args: str, stdin: Optional[bytes] = None) -> CliResult:
    """``shapelint ARGS``, in-process; ``stdin`` is what ``-`` reads (nothing when None)."""
    from shapelint.frontends.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), _stdin(stdin):
        try:
            code = main(list(args))
        except SystemExit as exit_:  # a front end that exits instead of returning
            code = exit_.code if isinstance(exit_.code, int) else 1
    return CliResult(code, out.getvalue(), err.getvalue())


@contextlib.contextmanager
def _stdin(data: Optional[bytes]):
    if data is None:
        yield
        return
    saved = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(data))
    try:
        yield
    finally:
        sys.stdin = saved


def check_json(path: str, *extra: str) -> Tuple[int, List[dict], str]:
    result = run_cli("check", path, "--format", "json", "--no-cache", *extra)
    assert "Traceback" not in result.stderr, result.stderr
    diagnostics = result.json()
    assert isinstance(diagnostics, list), diagnostics
    return result.code, diagnostics, result.stderr


def shapes_json(path: str, *extra: str) -> Tuple[int, dict, str]:
    result = run_cli("shapes", path, "--format", "json", *extra)
    assert "Traceback" not in result.stderr, result.stderr
    data = result.json()
    assert isinstance(data, dict) and isinstance(data.get("models"), list), data
    return result.code, data, result.stderr


# --------------------------------------------------------------------------------------------
# Fixes


def _offset(line_starts: List[int], text: str, row: int, column: int) -> int:
    if not 1 <= row <= len(line_starts):
        if row == len(line_starts) + 1 and column == 1:
            return len(text)
        raise AssertionError(f"edit position row {row} outside the file ({len(line_starts)} lines)")
    start = line_starts[row - 1]
    end = line_starts[row] if row < len(line_starts) else len(text)
    offset = start + column - 1
    if not start <= offset <= end:
        raise AssertionError(f"edit position {row}:{column} outside its line")
    return offset


def apply_fixes(text: str, fixes: Iterable[Iterable[dict]]) -> Tuple[str, int]:
    """Apply the edits of each fix (a fix's edits go together; insertions at one point keep
    their order). A fix whose edits overlap an already accepted fix's is skipped, as ruff does
    before re-checking. Returns the new text and how many fixes were applied."""
    line_starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            line_starts.append(i + 1)
    if text.endswith("\n"):
        line_starts.pop()
    accepted: List[Tuple[int, int, int, str]] = []  # start, end, order, content
    applied = 0
    order = itertools.count()
    for fix in fixes:
        spans = []
        for edit in fix:
            start = _offset(line_starts, text, edit["location"]["row"], edit["location"]["column"])
            end = _offset(line_starts, text, edit["end_location"]["row"], edit["end_location"]["column"])
            assert start <= end, edit
            spans.append((start, end, next(order), edit["content"]))

        def clash(a, b) -> bool:
            if a[0] == a[1] == b[0] == b[1]:
                return True  # two fixes inserting at one point
            return a[0] < b[1] and b[0] < a[1]

        if any(clash(a, b) for a in spans for b in accepted):
            continue
        accepted.extend(spans)
        applied += 1
    for start, end, _, content in sorted(accepted, key=lambda s: (s[0], s[2]), reverse=True):
        text = text[:start] + content + text[end:]
    return text, applied


def apply_edits(text: str, edits: Iterable[dict]) -> Tuple[str, int]:
    """The edits of one fix."""
    return apply_fixes(text, [list(edits)])


