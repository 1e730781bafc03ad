"""What an analysis produces, shared by the analysis layer and every front end.

Rows and columns are 1-based, as in ruff's JSON output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, NamedTuple, Optional, Tuple

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
    #: For a finding in another file's code (reported where this file reaches it): where it
    #: is in that file. A run that checks that file too reports it there, once.
    origin: Optional[Related] = None

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
    #: Why the output is not (fully) known; None when it is.
    unknown_reason: Optional[str] = None
    #: The file that builds it when that is not the model's (a block imported from another
    #: file of the project); ``line`` is then that file's.
    filename: Optional[str] = None


@dataclass(frozen=True)
class StatementShape:
    """The tensors a simple statement of the analysed file gives while the model runs (an
    assignment, an expression, a ``return`` in ``forward`` or in a block's ``forward``): what an
    editor shows at the end of its line. Of its first run, and of its last when it ran more
    than once (a loop body)."""

    line: int
    end_line: int
    #: One shape per tensor of the value (a tuple of tensors gives several), as its first run.
    outputs: Tuple[MaybeShape, ...]
    #: How many times it ran while the model was called, and the shapes of its last run.
    runs: int = 1
    last_outputs: Tuple[MaybeShape, ...] = ()
    #: Why a shape is not (fully) known; None when it is.
    unknown_reason: Optional[str] = None


@dataclass
class ModelShapes:
    name: str
    filename: str
    line: int
    input: MaybeShape
    output: MaybeShape
    declared_output: MaybeShape
    layers: List[LayerShape] = field(default_factory=list)
    #: The statements of the analysed file that gave tensors while the model ran, in the order
    #: they first ran (the language server's inlay hints and hovers; not in ``shapes``' JSON).
    statements: List[StatementShape] = field(default_factory=list)
    #: The conditions on the symbolic sizes under which PyTorch runs the model (Python
    #: expressions, their conjunction; ``[]``: every size); None when not determined.
    accepts: Optional[List[str]] = None
    #: No input is declared: ``input`` is the probe its first layer shaped (zero-config).
    input_probed: bool = False


@dataclass(frozen=True)
class ModelSummary:
    """How far the analysis followed one model: what ``check``'s summary line counts.

    ``layers`` are the submodules the model lists (``named_modules()`` less the model itself),
    containers included (``nn.Sequential``, the user's blocks: PyTorch calls them and their
    forward hooks fire), ``nn.ModuleList`` and ``nn.ModuleDict`` excluded (never called); once a
    model is followed to its output, a submodule its ``forward`` never calls is left out too
    (PyTorch never calls it either). ``layers_inferred`` of them have a fully known output shape.
    """

    name: str
    line: int
    #: An input is declared (command line, pragma, jaxtyping, config or example).
    declared_input: bool
    #: An output is declared (then it is compared once the model is followed).
    declared_output: bool
    #: Built, no budget ran out, and its output shape is fully known (so a declared output
    #: was compared with it).
    followed: bool
    layers_inferred: int
    layers: int

    @property
    def declared(self) -> bool:
        return self.declared_input or self.declared_output


class Dependency(NamedTuple):
    """A file an analysis read: its SHA-256 then, and its size and modification time just
    before it was read (unchanged ones need no hashing to be trusted; a file changed between
    the look and the read has a newer time, so it is hashed)."""

    path: str
    digest: str
    size: int
    mtime_ns: int


@dataclass
class FileResult:
    path: str
    diagnostics: List[Diagnostic] = field(default_factory=list)
    models: List[ModelShapes] = field(default_factory=list)
    #: One per model the analysis planned, in the file's order (``models`` holds only the
    #: models that could be built, and ``check`` drops it when it needs no shapes).
    summaries: List[ModelSummary] = field(default_factory=list)
    #: The other files of the project the analysis read (its imports, its config files): the
    #: result holds while they and the file are unchanged.
    dependencies: List["Dependency"] = field(default_factory=list)
