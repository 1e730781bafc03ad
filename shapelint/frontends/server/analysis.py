"""One analysis of an editor's buffer, and how its lines map to the buffer as it is later.

:func:`analyse` runs on the server's worker thread: the buffer's text is checked as ``check``
checks a file (the project's configuration and the workspace settings, ``# noqa``, the selected
codes), with the project's other files read from the open buffers first
(``ProjectFiles.overlay``), and the shapes are indexed for hovers and inlay hints. It never
raises: an internal error is an analysis with an ``error`` and no diagnostics.
"""

from __future__ import annotations

import ast
import os
import warnings
from dataclasses import dataclass, field
from typing import List, Optional, Sequence

from ...core.codes import BAD_DECLARATION
from ...core.results import Diagnostic, FileResult
from ...core.text import one_line, split_lines
from .settings import WorkspaceSettings, settings_for
from .views import ShapesView, build_view


@dataclass
class Analysis:
    """What one version of a buffer gave."""

    version: int
    text: str
    lines: List[str]
    #: The diagnostics reported for it (selected, ``# noqa`` applied), in source order.
    diagnostics: List[Diagnostic] = field(default_factory=list)
    #: Its shapes by line; None when the text does not parse (a hover then uses an older one).
    view: Optional[ShapesView] = None
    #: The other files it read (their changes make it stale).
    dependencies: frozenset = frozenset()
    #: An internal error (one line), logged for the user.
    error: Optional[str] = None
    #: ``diagnostics`` as published to the client (the code actions answer with them).
    published: list = field(default_factory=list)


def parse_quietly(text: str, reuse=None, lines: Optional[List[str]] = None) -> Optional[ast.Module]:
    """``ast.parse``, None for anything it cannot parse (half-typed code, a null byte, nesting
    too deep). With ``reuse`` (``analysis.incremental.Reuse``), only the statement an edit
    changed is parsed again."""
    try:
        if reuse is not None:
            return reuse.parse(text, lines if lines is not None else split_lines(text))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def analyse(text: str, version: int, path: str, settings: WorkspaceSettings, files, reuse=None) -> Analysis:
    """The analysis of a buffer holding ``text`` for the file at ``path``. ``files``: the
    ``ProjectFiles`` kept across analyses (its overlay gives the open buffers); ``reuse``: the
    buffer's results of its earlier analyses (``analysis.incremental``: an edit runs again only
    the models it reaches)."""
    from .. import runner

    lines = split_lines(text)
    analysis = Analysis(version, text, lines)
    try:
        config, options, error = settings_for(path, settings)
        if config is None or options is None:
            # As the flake8 plugin does: the configuration's error at the top of the file.
            message = one_line(error).replace(f"{BAD_DECLARATION} ", "", 1)
            analysis.diagnostics = [Diagnostic(BAD_DECLARATION, message, path, 1, 1, 1, 1)]
            return analysis
        if config.is_excluded(path):
            return analysis
        tree = parse_quietly(text, reuse, lines)
        outcome = runner.check_text(text, path, options, files=files, tree=tree, reuse=reuse)
        if outcome.error is not None or outcome.result is None:
            analysis.error = outcome.error or "no result"
            return analysis
        result: FileResult = outcome.result
        analysis.diagnostics = runner.keep_diagnostics(result, config.is_selected)
        analysis.dependencies = frozenset(os.path.normcase(os.path.abspath(d.path)) for d in result.dependencies)
        if tree is not None:
            analysis.view = build_view(result, lines, tree)
    except Exception as error:  # never take the editor's session down
        analysis.error = runner.describe(error)
    return analysis


# --------------------------------------------------------------------------------------------
# Lines of an analysed text in the buffer as it is now


class LineMap:
    """Maps rows of an analysed text to the buffer now and back: the lines before the first
    changed one and after the last changed one are the same lines (an edit is local); the
    changed ones map to nothing."""

    def __init__(self, old: Sequence[str], new: Sequence[str]) -> None:
        limit = min(len(old), len(new))
        prefix = 0
        while prefix < limit and old[prefix] == new[prefix]:
            prefix += 1
        suffix = 0
        while suffix < limit - prefix and old[len(old) - 1 - suffix] == new[len(new) - 1 - suffix]:
            suffix += 1
        self.prefix = prefix
        self.suffix = suffix
        self.old_count = len(old)
        self.new_count = len(new)

    def to_new(self, row: int) -> Optional[int]:
        """The row (1-based) of the analysed text's ``row`` in the buffer now; None if changed."""
        if row <= self.prefix:
            return row
        if row > self.old_count - self.suffix:
            return row - self.old_count + self.new_count
        return None

    def to_old(self, row: int) -> Optional[int]:
        if row <= self.prefix:
            return row
        if row > self.new_count - self.suffix:
            return row - self.new_count + self.old_count
        return None
