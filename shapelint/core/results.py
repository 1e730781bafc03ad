"""What an analysis produces, shared by the analysis layer and every front end.

Rows and columns are 1-based, as in ruff's JSON output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional, Tuple

from .codes import severity
from .shapes import MaybeShape

SAFE = "safe"
UNSAFE = "unsafe"


@dataclass(frozen=True)
class Edit:
    """Replace the text between ``start`` and ``end`` (row, column; end exclusive) by ``content``."""

    content: str
    start: Tuple[int, int]
    end: Tuple[int, int]


@dataclass(frozen=True)
class Fix:
    message: str
    applicability: str  # SAFE or UNSAFE
    edits: Tuple[Edit, ...]


@dataclass(frozen=True)
class Related:
    """Another place a diagnostic concerns: the declaration it contradicts, or the layer inside
    a reusable block that the caller's argument (where the diagnostic sits) reaches. SARIF
    ``relatedLocations``, JSON ``related``."""

    message: str
    path: str
    row: int
    col: int
    end_row: int
    end_col: int


@dataclass(frozen=True)
class Diagnostic:
    code: str
    message: str
    path: str
    row: int
    col: int
    end_row: int
    end_col: int
    fix: Optional[Fix] = None
    #: Replacement code shown to a person on the ``help:`` line (text output).
    help: Optional[str] = None
    #: The evidence behind the one-sentence ``message`` (the inferred chain, why no layer fits,
    #: the other fixes), one sentence each: ``note:`` lines in text, ``notes`` in JSON, as rustc
    #: and ruff keep their first line short.
    notes: Tuple[str, ...] = ()
    #: The other places it concerns (see :class:`Related`).
    related: Tuple[Related, ...] = ()

    @property
    def severity(self) -> str:
        return severity(self.code)


def is_fixable(diagnostic: Diagnostic, unsafe: bool = False) -> bool:
    """Whether ``check --fix`` applies the diagnostic's fix (with ``--unsafe-fixes``: ``unsafe``)."""
    fix = diagnostic.fix
    return fix is not None and (fix.applicability == SAFE or (unsafe and fix.applicability == UNSAFE))


@dataclass
class LayerShape:
    """One entry of ``model.named_modules()`` with the shapes of its first call."""

    name: str
    type: str
    line: int
    input: MaybeShape
    output: MaybeShape


@dataclass
class ModelShapes:
    name: str
    filename: str
    line: int
    input: MaybeShape
    output: MaybeShape
    declared_output: MaybeShape
    layers: List[LayerShape] = field(default_factory=list)


@dataclass
class FileResult:
    path: str
    diagnostics: List[Diagnostic] = field(default_factory=list)
    models: List[ModelShapes] = field(default_factory=list)
