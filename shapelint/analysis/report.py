"""Report, the last stage of the analysis of a file: the findings of each model's run become
diagnostics, placed where the fix goes, with a suggestion (``help:``) and a fix when one is found.

A fix that edits a layer built several times changes every instance at once, so it is offered
only when it holds on the whole file: ``check_fix``, handed in by the pipeline, analyses the
edited file and says which errors remain.
"""

from __future__ import annotations

import ast
import dataclasses
import math
import re
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Set, Tuple

from ..core.codes import INVALID_PARAMETERS, NON_POSITIVE_SIZE, SHAPE_MISMATCH, TRACKING_STOPPED
from ..core.layers import AVG_POOL, CONV, CONV_TRANSPOSE, MAX_POOL
from ..core.results import SAFE, UNSAFE, Diagnostic, Edit, Fix, Related
from ..core.shapes import MaybeShape, format_shape, is_known, is_symbolic
from . import patterns, suggest
from .edit_sources import Sources
from .examples import BLOCK_STATEMENTS
from .placement import Placed, Placer, first_edit_range
from .plan import ParsedFile
from .positions import Positions
from .propagate import Finding, shape_of
from .run import ModelTrace, Stop
from .values import LayerModule, Tensor, path_beside

Range = Tuple[Tuple[int, int], Tuple[int, int]]


class FixVerdict(NamedTuple):
    """What analysing the file with a fix applied found."""

    #: The SHP1xx diagnostics left, as (code, row); None when the file was not analysed.
    errors: Optional[Tuple[Tuple[str, int], ...]]
    #: Why it was not analysed.
    unchecked: str = ""


#: Analyses the file with a fix applied (suggestions off).
CheckFix = Callable[[Fix], FixVerdict]


class Suggestion(NamedTuple):
    """What a finding becomes: one sentence (what is wrong; what to do), the code for ``help:``,
    the fix, and the evidence as notes."""

    message: str
    help: Optional[str] = None
    fix: Optional[Fix] = None
    notes: Tuple[str, ...] = ()
    #: The range of the text the fix edits (the culprit's argument, the caller's argument for
    #: a reusable block, or the default or constant it comes from); None without a fix.
    target: Optional[Range] = None
    #: The layer a suggestion without a fix replaces (the diagnostic goes there).
    layer: Optional[LayerModule] = None
    #: The diagnostic stays at its finding, not at the fix (a fix whose culprit is a guess).
    stays: bool = False


class Diagnostics:
    """The diagnostics of a file, one per code and place (a statement run for several
    instances reports once: the first one added stays)."""

    def __init__(self) -> None:
        self._found: Dict[Tuple[str, Tuple[int, int]], Diagnostic] = {}

    def add(self, diagnostic: Diagnostic) -> None:
        key = (diagnostic.code, (diagnostic.row, diagnostic.col))
        kept = self._found.get(key)
        if kept is None:
            self._found[key] = diagnostic
        elif kept.fix is not None and kept.fix == diagnostic.fix and kept.message != diagnostic.message:
            # Two findings that one fix repairs (two statements fed by the layer it edits): one
            # diagnostic, where the fix goes, that names the other finding too.
            found_at = f" at line {diagnostic.related[0].row}" if diagnostic.related else ""
            also = f"also{found_at}: {diagnostic.message.split('; ')[0]}"
            self._found[key] = dataclasses.replace(kept, notes=kept.notes + (also,),
                                                   related=kept.related + diagnostic.related)

    def in_order(self) -> List[Diagnostic]:
        return sorted(self._found.values(), key=lambda d: (d.row, d.col, d.code))


def stop_diagnostic(name: str, stopped: Stop, line: int, positions: Positions, path: str) -> Diagnostic:
    """SHP301 where a budget of the analysis ran out (else on ``line``), and which."""
    reason, statement = stopped
    where = positions.statement(statement) if statement is not None else None
    if where is None:
        where = ((line, 1), (line, 1))
    if type(statement) in BLOCK_STATEMENTS:
        where = (where[0], where[0])  # the header, not the whole indented block
    return _diagnostic(TRACKING_STOPPED, f"{name}: shape tracking stops here: {reason}", path, where)


def _diagnostic(code: str, message: str, path: str, where: Range,
                suggestion: Suggestion = Suggestion(""), related: Tuple[Related, ...] = ()) -> Diagnostic:
    (row, col), (end_row, end_col) = where
    return Diagnostic(code, message, path, row, col, end_row, end_col, suggestion.fix, suggestion.help,
                      suggestion.notes, related)


class FindingReporter:
    """Turns the findings of a file's models into diagnostics, placed where the fix goes
    (``placement.py``). ``check_fix`` None: no suggestions (what checking a fix needs is the
    codes and rows of the errors only)."""

    def __init__(self, parsed: ParsedFile, traces: List[ModelTrace], bounds: Any,
                 check_fix: Optional[CheckFix]) -> None:
        self.path = parsed.path
        self.positions = parsed.positions
        self.tree = parsed.tree
        self.text = parsed.text
        self.bounds = bounds
        self.check_fix = check_fix
        self.placer = Placer(parsed.path, parsed.positions, parsed.index.classes)
        self.project = parsed.project
        #: id(finding) -> where it goes before any fix is known.
        self._placed: Dict[int, Optional[Placed]] = {}
        #: (code, start) of the findings reported: a statement run for several instances (a block
        #: used twice, a loop) reports once, the first time.
        self._reported: Set[Tuple[str, Tuple[int, int]]] = set()
        #: Whether a fix holds, by its edits: judged once, for the first finding that offers it.
        self.holds_by_fix: Dict[Tuple[Edit, ...], bool] = {}
        #: id(trace) -> its layers' values, counted once (``patterns``).
        self._siblings: Dict[int, patterns.Siblings] = {}
        errors = set()
        if check_fix:
            for trace in traces:
                for finding in trace.findings:
                    placed = self.placed(trace, finding) if finding.code.startswith("SHP1") else None
                    if placed is not None:
                        errors.add((finding.code, placed.where[0]))
        #: A fix must leave fewer errors than this, and none where there was none. The file
        #: analysed with a fix applied reports without suggestions: its errors are placed as
        #: ``placed`` places them, one per code and position, as :class:`Diagnostics` keeps them.
        self.baseline_errors = len(errors)
        self.errors_before = {(code, start[0]) for code, start in errors}

    def siblings(self, trace: ModelTrace) -> patterns.Siblings:
        if id(trace) not in self._siblings:
            self._siblings[id(trace)] = patterns.Siblings(trace.modules)
        return self._siblings[id(trace)]

    def diagnostics(self, trace: ModelTrace, finding: Finding) -> Tuple[Diagnostic, ...]:
        """The finding's diagnostic, and an SHP301 when the search for its fix stopped early."""
        placed = self._first_time(trace, finding)
        if placed is None:
            return ()
        if finding.elsewhere is not None:  # another file's text: no fix is offered here
            self._reported_at(finding, placed)
            found = _diagnostic(finding.code, finding.message, self.path, placed.where,
                                Suggestion(finding.message, notes=placed.notes), placed.related)
            return (dataclasses.replace(found, origin=placed.related[0] if placed.related else None),)
        search = _FixSearch(self, trace, (finding.code, placed.where[0][0]))
        suggestion = search.suggest(finding) if self.check_fix is not None else Suggestion(finding.message)
        self._reported_at(finding, placed)
        placed = self._where_the_fix_goes(trace, finding, placed, suggestion)
        where = placed.where
        declared_notes, declared_at = self.placer.declaration(finding.declared, where[0][0])
        suggestion = suggestion._replace(notes=suggestion.notes + placed.notes + declared_notes)
        found = [_diagnostic(finding.code, suggestion.message, self.path, where, suggestion,
                             placed.related + declared_at)]
        if search.stops:
            found.append(_diagnostic(TRACKING_STOPPED, f"the search for a fix of this {finding.code} stopped"
                                     f" early: " + "; ".join(search.stops), self.path, where))
        return tuple(found)

    def without_fix(self, trace: ModelTrace, finding: Finding) -> Tuple[Diagnostic, ...]:
        """The finding alone, when the search for its fix failed: an error in the search must
        not take the finding with it."""
        placed = self._first_time(trace, finding)
        if placed is None:
            return ()
        self._reported_at(finding, placed)
        declared_notes, declared_at = self.placer.declaration(finding.declared, placed.where[0][0])
        note = Suggestion(finding.message, notes=placed.notes + declared_notes
                          + ("no fix offered: the search for one failed (an internal error)",))
        return (_diagnostic(finding.code, finding.message, self.path, placed.where, note,
                            placed.related + declared_at),)

    def _first_time(self, trace: ModelTrace, finding: Finding) -> Optional[Placed]:
        """Where the finding goes, unless one of its code was reported there already."""
        placed = self.placed(trace, finding)
        if placed is None or (finding.code, placed.where[0]) in self._reported:
            return None
        return placed

    def _reported_at(self, finding: Finding, placed: Placed) -> None:
        self._reported.add((finding.code, placed.where[0]))

    def placed(self, trace: ModelTrace, finding: Finding) -> Optional[Placed]:
        """Where a finding goes before any fix is known (where the file analysed with a fix
        applied, without suggestions, reports it too): the layer's argument at fault (or the
        caller's argument that feeds it into a block), else its call or statement; a model's
        output at ``forward``'s ``return``; else its anchor."""
        key = id(finding)
        if key not in self._placed:
            self._placed[key] = self._place(trace, finding)
        return self._placed[key]

    def _place(self, trace: ModelTrace, finding: Finding) -> Optional[Placed]:
        if finding.elsewhere is not None:
            return self._place_elsewhere(trace, finding)
        fault = self.placer.layer_fault(trace, finding)
        if fault is not None:
            return fault
        where = None
        if isinstance(finding.node, ast.Call) and finding.statement is not None:
            where = self.positions.call(finding.node, finding.statement)
        elif finding.statement is not None:
            where = self.positions.statement(finding.statement)
        elif finding.node is None and finding.code == SHAPE_MISMATCH:
            where = self.placer.model_return(trace)
        if where is None and finding.anchor_line is not None:
            where = (finding.anchor_line, finding.anchor_line)
        return Placed(where) if where is not None else None

    def _place_elsewhere(self, trace: ModelTrace, finding: Finding) -> Optional[Placed]:
        """A finding in another file's code: at the analysed file's line that builds or calls
        the block, naming the other file's line (a note, and a related location)."""
        away = finding.elsewhere
        where = None
        if away.call is not None:
            where = self.positions.call(away.call, away.anchor)
        if where is None and away.anchor is not None:
            where = self.positions.statement(away.anchor)
        if where is None:
            return None
        layer = finding.layer
        name = trace.names.get(id(layer)) if layer is not None else None
        found = f"found in `{name}` ({layer.type_name}) at" if name else "found at"
        through = self._related_via(away)
        reached = f", which {through[0].path}:{through[0].row} calls" if through else ""
        notes = (f"{found} {away.describe()}{reached}; no fix is offered in another file",)
        # The first related place is the finding's origin: a project run reports it there.
        related = through + self._related_elsewhere(away, finding)
        return Placed(where, notes, related)

    def _related_via(self, away: Any) -> Tuple[Related, ...]:
        """The call of another project file into an installed package where the finding is (the
        package is not the user's to change: that call, which passes what it was given, is)."""
        if away.via is None or self.project is None:
            return ()
        module, call, statement = away.via
        if call is None or statement is None:
            return ()
        where = self.project.positions(module).call(call, statement)
        if where is None:
            return ()
        path = path_beside(self.path, module.display, module.path)
        (row, col), (end_row, end_col) = where
        return (Related("the package is called here", path, row, col, end_row, end_col),)

    def _related_elsewhere(self, away: Any, finding: Finding) -> Tuple[Related, ...]:
        module = self.project.modules.get(away.file) if self.project is not None and away.file else None
        node = finding.node if finding.node is not None else finding.statement
        if module is None or node is None:
            return ()
        positions = self.project.positions(module)
        where = positions.call(node, finding.statement) if isinstance(node, ast.Call) else positions.statement(node)
        if where is None:
            return ()
        path = away.path_beside(self.path)
        (row, col), (end_row, end_col) = where
        return (Related("found here", path, row, col, end_row, end_col),)

    def _where_the_fix_goes(self, trace: ModelTrace, finding: Finding, placed: Placed,
                            suggestion: Suggestion) -> Placed:
        """The first edit of the suggestion's fix, else the layer it replaces; the finding's own
        place, named in a note, when that is elsewhere."""
        where = None if suggestion.stays else first_edit_range(suggestion.fix, self.positions)
        if where is None and suggestion.layer is not None:
            where = self.positions.call(suggestion.layer.node, suggestion.layer.statement)
        if where is None or where == placed.where:
            return placed
        own = self.positions.call(finding.node, finding.statement) if isinstance(finding.node, ast.Call) else None
        if own is None and finding.node is None and finding.statement is not None:
            own = self.positions.statement(finding.statement)
        if own is None or own[0] <= where[0] and where[1] <= own[1]:
            return Placed(where)
        if finding.layer is not None:
            return Placed(where, *self.placer.away_from_layer(trace, finding.layer))
        found_here = "the tensors are combined here" if finding.operands else "found here"
        return Placed(where, (f"in the statement at line {own[0][0]}",), (self.placer.related(found_here, own),))


class _FixSearch:
    """The search for a fix of one finding, and why it stopped early (``stops``)."""

    def __init__(self, reporter: FindingReporter, trace: ModelTrace, where: Tuple[str, int]) -> None:
        self.reporter = reporter
        self.trace = trace
        self.names = trace.names
        #: (code, row) of the finding: a fix must make it go.
        self.where = where
        self.stops: List[str] = []
        self.sources = Sources(reporter.tree, reporter.positions, trace.modules)
        #: The target range of each fix made (``Suggestion.target``).
        self.targets: Dict[Fix, Range] = {}

    def suggest(self, finding: Finding) -> Suggestion:
        suggestion = self._suggest(finding)
        if suggestion.fix is not None and suggestion.target is None:
            suggestion = suggestion._replace(target=self.targets.get(suggestion.fix))
        return suggestion

    def _suggest(self, finding: Finding) -> Suggestion:
        if finding.code == SHAPE_MISMATCH and finding.tensor is not None:
            return self._mismatch(finding)
        if finding.operands:
            return self._operands(finding)
        if finding.layer is not None and finding.error is not None and finding.code.startswith("SHP1"):
            return self._layer(finding)
        return Suggestion(finding.message)

    def _note_stop(self, reason: Optional[str]) -> None:
        if reason and reason not in self.stops:
            self.stops.append(reason)

    # ----------------------------------------------------------------- checking a fix

    def _holds(self, fix: Fix) -> bool:
        """Analyse the file with the fix applied: the finding must go, fewer errors remain, and
        none appears where there was none."""
        reporter = self.reporter
        key = tuple(fix.edits)
        if key in reporter.holds_by_fix:
            return reporter.holds_by_fix[key]
        verdict = reporter.check_fix(fix)
        if verdict.errors is None:
            self._note_stop(verdict.unchecked)
            return False
        errors = verdict.errors
        holds = (len(errors) < reporter.baseline_errors and self.where not in errors
                 and all(error in reporter.errors_before for error in errors))
        reporter.holds_by_fix[key] = holds
        return holds

    def _errors_after(self, fix: Fix) -> int:
        """SHP1xx left in the file once the fix is applied."""
        verdict = self.reporter.check_fix(fix)
        if verdict.errors is None:
            self._note_stop(verdict.unchecked)
            return 1 << 30
        return len(verdict.errors)

    def _built(self, layer: LayerModule) -> int:
        """How many times the layer's constructor call ran while building its model."""
        return max(self.trace.constructions.get(id(layer.node), 1), layer.constructions)

    def _needs_check(self, layer: LayerModule, fix: Fix) -> bool:
        """A layer built several times (a loop, a class used twice) changes everywhere at once."""
        return self._built(layer) > 1 or fix.applicability != SAFE

    # ----------------------------------------------------------------- making a fix

    def _label(self, layer: LayerModule) -> str:
        name = self.names.get(id(layer))
        return f"{name} ({layer.type_name})" if name else layer.type_name

    def _make_fix(self, layer: LayerModule, values: Dict[str, Any], description: str,
                  exact_and_lossless: bool) -> Tuple[Optional[Fix], Optional[str]]:
        edit = self._source_edit(layer, values)
        if edit is None or not edit.edits:
            return None, None
        # CONTRACT 6: safe only for an exact, lossless edit confined to the culprit's own call,
        # built once; an edit at a caller, a default or a constant reaches other code: unsafe.
        safe = exact_and_lossless and edit.local and self._built(layer) <= 1 and suggest.editable(layer)
        fix = Fix(description, SAFE if safe else UNSAFE, tuple(edit.edits))
        if edit.target is not None:
            self.targets[fix] = edit.target
        return fix, edit.code

    def _source_edit(self, layer: LayerModule, values: Dict[str, Any]) -> Optional[suggest.LayerEdit]:
        """The edit at the values' source; when it reaches beyond the layer's call (a caller's
        argument) and does not hold, the edit of a literal of the layer's own expression instead
        (a class used several times whose literal is the mistake for every instance)."""
        positions = self.reporter.positions
        edit = suggest.layer_edit(layer, values, positions, self.sources)
        if edit is None or edit.local:
            return edit
        self.sources.prefer_literals = True
        try:
            other = suggest.layer_edit(layer, values, positions, self.sources)
        finally:
            self.sources.prefer_literals = False
        if other is None or other.edits == edit.edits:
            return edit
        if self._holds(Fix("", UNSAFE, tuple(edit.edits))):
            return edit
        return other

    def _first_fix(self, changes: List[suggest.Change],
                   is_culprit: Callable[[suggest.Change], bool] = lambda change: True):
        """The best change whose edit is known to work (checked by re-analysis when shared):
        (change, fix, code), or None. A change ``is_culprit`` doubts is never safe."""
        for change in changes[:6]:
            description = f"change {self._label(change.layer)}: {suggest.describe(change.values)}"
            fix, code = self._make_fix(change.layer, change.values, description,
                                       not change.approximate and not change.unusual and is_culprit(change))
            if fix is None:
                continue
            if (change.approximate or self._needs_check(change.layer, fix)) and not self._holds(fix):
                continue
            return change, fix, code
        return None

    # ----------------------------------------------------------------- a layer's error

    def _layer(self, finding: Finding) -> Suggestion:
        layer = finding.layer
        error = finding.error
        label = self._label(layer)
        message = finding.message
        values: Dict[str, Any] = {}
        own_is_culprit = True
        slipped = self._pattern_slip(finding)
        if slipped is not None:
            return slipped
        if error.fix:
            values = {k: v for k, v in error.fix.items() if v is not None}
            upstream = self._upstream_slip(finding, values)
            if upstream is not None:
                return upstream
            sided, own_is_culprit = self._channel_side(finding, values)
            if sided is not None:
                return sided
        elif finding.code in (INVALID_PARAMETERS, NON_POSITIVE_SIZE):
            return self._tried(finding)
        if not values or not all(_positive(v) for v in values.values()):
            # 0 features arrive: the layer before emptied them.
            return self._emptied_upstream(finding) or Suggestion(message)
        flattened = self._features_flattened(finding, values)
        if self._own_size_doubted(finding) or flattened:
            own_is_culprit = False
        fix, code = self._make_fix(layer, values, f"change {label}: {suggest.describe(values)}", own_is_culprit)
        step = self._literal_step(fix) if fix is not None and flattened else None
        if fix is None or step is not None:
            # A count that a smaller slip of a layer upstream explains than one of this layer's
            # own writing (a pool's kernel 1 where 2 was meant, flattened): that layer's.
            upstream = self._upstream_slip(finding, values, any_change=True, below=step)
            if upstream is not None:
                return upstream
        if fix is not None and self._needs_check(layer, fix) and not self._holds(fix):
            return Suggestion(message)
        if code:
            message = f"{message}; use {code}"
        return Suggestion(message, code, fix)

    def _literal_step(self, fix: Fix) -> Optional[int]:
        """How far the edits of ``fix`` move the integer literals they replace (the largest
        step); None when one of them replaces anything else."""
        lines = self.reporter.text.splitlines()
        steps = []
        for edit in fix.edits:
            (row, col), (end_row, end_col) = edit.start, edit.end
            if row != end_row or not 1 <= row <= len(lines):
                return None
            old, new = lines[row - 1][col - 1:end_col - 1].strip(), edit.content.strip()
            if not (_int_text(old) and _int_text(new)):
                return None
            steps.append(abs(int(new) - int(old)))
        return max(steps) if steps else None

    def _emptied_upstream(self, finding: Finding) -> Optional[Suggestion]:
        """A count of 0 that arrives because a layer upstream was written with a size or count
        of 0 (``AdaptiveAvgPool1d(0)``): no model means 0, so that layer is the culprit; of 1
        and the count this layer expects, the value whose edit leaves the fewest errors (which
        one was meant is a guess: unsafe). None when no layer upstream wrote a 0."""
        tensor = finding.tensor_in
        if tensor is None:
            return None
        expected = [v for v in finding.layer.params.values() if _is_count(v)][:1]
        for step in reversed(suggest.chain_of(self.trace, tensor)):
            layer = step.module
            if not isinstance(layer, LayerModule) or layer.uncertain:
                continue
            zeros = [name for name in EMPTYING_PARAMS if not _positive(layer.params.get(name))]
            if not zeros:
                continue
            best = None
            for value in dict.fromkeys([1] + expected):
                values = {name: _with_positive(layer.params[name], value) for name in zeros}
                fix, code = self._make_fix(layer, values, f"change {self._label(layer)}: {suggest.describe(values)}",
                                           False)
                if fix is None or not self._holds(fix):
                    continue
                left = self._errors_after(fix)
                if best is None or left < best[0]:
                    best = (left, fix, code, values)
            if best is None:
                return None
            _, fix, code, values = best
            return Suggestion(f"{finding.message}; fix: {self._label(layer)} with {suggest.describe(values)}",
                              code, fix)
        return None

    def _features_flattened(self, finding: Finding, values: Dict[str, Any]) -> bool:
        """An ``in_features`` that arrives through a flatten of what convolutions or poolings
        made: the count is channels times sizes, and any of those layers may be the slip."""
        tensor = finding.tensor_in
        if "in_features" not in values or tensor is None:
            return False
        steps = suggest.chain_of(self.trace, tensor)
        flattened = any(shape_of(step.input) is None or step.output.shape is None
                        or len(shape_of(step.input)) > len(step.output.shape) for step in steps)
        made = any(isinstance(step.module, LayerModule) and step.module.spec is not None
                   and step.module.spec.family in suggest.SOLVABLE for step in steps)
        return flattened and made

    def _own_size_doubted(self, finding: Finding) -> bool:
        """A size this layer empties (SHP105) that layers before it made too: which of them is
        wrong is a guess, so this layer's own edit is never safe."""
        if finding.code != NON_POSITIVE_SIZE:
            return False
        tensor = finding.tensor_in
        if tensor is None:
            return True
        for step in suggest.chain_of(self.trace, tensor):
            before, after = shape_of(step.input), step.output.shape
            if before is None or after is None or tuple(before[2:]) != tuple(after[2:]):
                return True
        return False

    def _tried(self, finding: Finding) -> Suggestion:
        """SHP103 / SHP105 of a layer (``stride=0``, ``out_channels=0``, a pooling that empties a
        size): of a few candidate values (``_trial_values``), the one whose edit leaves the
        file with the fewest errors, the chain and every declared shape holding (re-analysis
        judges). The solver's exact, lossless answer may be safe; a tried value is unsafe."""
        layer = finding.layer
        label = self._label(layer)
        best = None
        doubted = self._own_size_doubted(finding)
        for values, exact in self._trial_values(finding)[:MAX_TRIALS]:
            fix, code = self._make_fix(layer, values, f"change {label}: {suggest.describe(values)}",
                                       exact and not doubted)
            if fix is None or not self._holds(fix):
                continue
            left = self._errors_after(fix)
            if best is None or left < best[0]:
                best = (left, fix, code)
            if left == 0:
                break
        if best is None:
            return self._solved_alone(finding)
        _, fix, code = best
        return Suggestion(f"{finding.message}; use {code}", code, fix)

    def _solved_alone(self, finding: Finding) -> Suggestion:
        """The solver's exact answer for the layer alone, when no tried value makes the whole file
        hold: it removes this error (what follows is reported, and fixed, in the next round)."""
        layer = finding.layer
        if layer.spec.family not in suggest.SOLVABLE or finding.input_shape is None:
            return Suggestion(finding.message)
        values = self._solved_values(layer, finding.input_shape)
        if not values:
            return Suggestion(finding.message)
        fix, code = self._make_fix(layer, values, f"change {self._label(layer)}: {suggest.describe(values)}",
                                   not self._own_size_doubted(finding))
        if fix is None or (self._needs_check(layer, fix) and not self._holds(fix)):
            return Suggestion(finding.message)
        return Suggestion(f"{finding.message}; use {code}", code, fix)

    def _trial_values(self, finding: Finding) -> List[Tuple[Dict[str, Any], bool]]:
        """Candidate parameter values for a layer PyTorch rejects, likeliest first, each with
        whether it is the solver's exact answer."""
        layer = finding.layer
        found: List[Tuple[Dict[str, Any], bool]] = []
        if layer.spec.family in suggest.SOLVABLE and finding.input_shape is not None:
            solved = self._solved_values(layer, finding.input_shape)
            if solved:
                found.append((solved, True))
        named = re.search(r": (\w+) must be positive", finding.message)
        if layer.type_name == "GroupNorm" and "not divisible by" in finding.message:
            found.extend((values, False) for values in _group_norm_candidates(layer, self.trace))
        elif named:
            name = named.group(1)
            written = layer.params.get(name)
            for value in _positive_candidates(name, layer, self.trace, finding.input_shape):
                found.append(({name: _with_positive(written, value)}, False))
        elif layer.spec.family in suggest.SOLVABLE:
            current = suggest.current_params(layer)
            family = layer.spec.family
            nudges = []
            # No nudges when a parameter is not known (a damaged call).
            for name in ("padding", "kernel_size", "stride") if current is not None else ():
                for value in suggest.nudged(current, name):
                    new = dict(current, **{name: value})
                    if suggest.lossless_params(family, new):
                        # The usual form first, then fewest and smallest changes relative to the code.
                        key = (not suggest.usual_form(family, new), 1,
                               len(set(value)) > len(set(current[name])),  # a tuple made of one value
                               suggest.relative_change({name: value}, current))
                        nudges.append((key, {name: value}))
            nudges.sort(key=lambda n: n[0])
            solved = [(values, exact) for values, exact in found if exact]
            if solved and current:
                # The solver's answer takes its place among the nudges by the same keys.
                values = solved[0][0]
                merged = dict(current, **{k: tuple(v) for k, v in values.items()})
                key = (not suggest.usual_form(family, merged), len(values),
                       any(len(set(v)) > len(set(current[k])) for k, v in merged.items() if k in current),
                       suggest.relative_change(values, current))
                place = sum(1 for k, _ in nudges if k < key)
                found = [(v, False) for _, v in nudges[:place]] + solved + [(v, False) for _, v in nudges[place:]]
            else:
                found.extend((values, False) for _, values in nudges)
        return found

    def _solved_values(self, layer: LayerModule, input_shape: MaybeShape) -> Dict[str, Any]:
        """The solver's parameters for an invalid conv/pool layer to give what its formula meant."""
        target = _intended_output(layer, input_shape)
        if target is None:
            return {}
        result = suggest.solve_layer(layer, input_shape, target, self.reporter.bounds)
        change = suggest.recommended_change(layer, result) if result is not None else None
        return change.values if change is not None else {}

    def _pattern_slip(self, finding: Finding) -> Optional[Suggestion]:
        """A layer upstream that breaks its siblings' pattern (a kernel 5 among kernels 4) and
        whose change back makes this error go: the likelier culprit than this layer, which
        only shows the damage. Unsafe (a guess with evidence). None when there is none."""
        tensor = finding.tensor_in
        if tensor is None:
            return None
        chosen = self._first_fix(self._slips(suggest.chain_of(self.trace, tensor)))
        if chosen is None:
            return None
        change, fix, code = chosen
        return Suggestion(f"{finding.message}; fix: {self._label(change.layer)} with"
                          f" {suggest.describe(change.values)}", code, fix)

    def _upstream_slip(self, finding: Finding, values: Dict[str, Any], any_change: bool = False,
                       below: Optional[int] = None) -> Optional[Suggestion]:
        """A count that arrives wrong because a layer upstream lost its usual form (a kernel 4
        with padding 1, a pool whose stride is not its kernel): undoing that slip is the likely
        fix, rather than making this layer expect the wrong count. None when there is none.
        ``any_change``: when this layer's count cannot be edited (``128 * 7 * 7`` where
        ``128 * 3 * 3`` arrive), any upstream change that gives the count and keeps the layer's
        usual form, never safe (which layer slipped is a guess); with ``below``, only a nudge
        of a written literal by less than that (this layer's own fix moves a literal so far: a
        smaller slip upstream is the likelier one)."""
        tensor = finding.tensor_in
        if tensor is None or tensor.shape is None or len(values) != 1:
            return None
        (name, arriving), = values.items()
        axis = {"in_features": -1, "in_channels": 1, "num_features": 1, "num_channels": 1}.get(name)
        expected = finding.layer.params.get(name)
        if axis is None or not is_known(expected) or len(tensor.shape) < 2:
            return None

        def verify(shape: MaybeShape) -> bool:
            return shape is not None and len(shape) == len(tensor.shape) and shape[axis] == expected

        wanted = tuple(None for _ in tensor.shape)
        search = suggest.chain_changes(self.trace, tensor, wanted, self.reporter.bounds, verify)
        self._note_stop(search.exhausted)
        if any_change:
            # Only a change that leaves the layer in its usual form (a stride back to 1, not a
            # kernel 4 with padding 1 that absorbs what a Linear's own slip asks for).
            repairs = [dataclasses.replace(c, unusual=True) for c in search.changes if _keeps_usual_form(c)
                       and (below is None or 0 < c.slip < below)]
        else:
            repairs = [c for c in search.changes if c.form_repaired]
        # Several layers upstream may have lost their form: which one is a guess, never safe.
        chosen = self._first_fix(repairs, lambda change: False)
        if chosen is None:
            return None
        change, fix, code = chosen
        return Suggestion(f"{finding.message}; fix: {self._label(change.layer)} with"
                          f" {suggest.describe(change.values)}", code, fix)

    def _producer_changes(self, finding: Finding, values: Dict[str, Any]) -> List[suggest.CountProducer]:
        """The upstream layers whose ``out_channels`` / ``out_features`` make the count that
        arrives (through activations, norms, pools, a flatten, a concatenation): setting one to
        what gives this layer its count is the other way to fix a SHP102. Empty when no layer
        made the count."""
        tensor = finding.tensor_in
        if tensor is None or tensor.shape is None or len(values) != 1:
            return []
        (name, arriving), = values.items()
        expected = finding.layer.params.get(name)
        if not is_known(expected) or not is_known(arriving) or len(tensor.shape) < 2:
            return []
        axis = {"in_features": len(tensor.shape) - 1, "normalized_shape": len(tensor.shape) - 1,
                "in_channels": 1, "num_features": 1, "num_channels": 1}.get(name)
        if axis is None or tensor.shape[axis] != arriving:
            return []
        return suggest.count_producers(self.trace, tensor, axis, expected)

    def _producer_fix(self, producers: List[suggest.CountProducer], unit: int):
        """Of the producers' edits, the one that leaves the fewest errors in the file (the odd
        count first among equals; the first ``MAX_PRODUCERS`` of them, odd ones first):
        (producer, fix, code, errors left), or None."""
        best = None
        for producer in sorted(producers, key=lambda p: not _producer_is_odd(p, unit))[:MAX_PRODUCERS]:
            values = {producer.param: producer.wanted}
            fix, code = self._make_fix(producer.layer, values,
                                       f"change {self._label(producer.layer)}: {suggest.describe(values)}", True)
            if fix is None:
                continue
            left = self._errors_after(fix) if len(producers) > 1 else None
            if best is None or left is not None and left < best[3]:
                best = (producer, fix, code, left)
        return best

    def _channel_side(self, finding: Finding, values: Dict[str, Any]) -> Tuple[Optional[Suggestion], bool]:
        """A SHP102 has two sides: the layer that expects the count and the layer upstream that
        made it. The culprit is the side the rest of the model contradicts: the edit that leaves
        fewer errors in the whole file (a BatchNorm or a skip that agrees with this layer makes
        the producer the odd one out). When both leave as many, the producer only when its
        count looks like the slip (``_producer_is_odd``: 63 where 64 is expected), and its fix
        is unsafe: the culprit is a guess. (None, whether this layer's own edit may be safe)
        when the fix is this layer's own, where the mismatch shows (the caller goes on with it):
        not safe when a producer's edit leaves as few errors (which side slipped is a guess),
        unless this layer is a norm, whose count only repeats the producer's."""
        producers = self._producer_changes(finding, values)
        if not producers:
            return None, True
        layer = finding.layer
        label = self._label(layer)
        unit = _count_unit(_channel_counts(self.trace, (layer,) + tuple(p.layer for p in producers)))
        chosen = self._producer_fix(producers, unit)
        if chosen is None:
            return None, not any(_producer_is_odd(p, unit) for p in producers)
        producer, theirs, code, left_theirs = chosen
        odd = _producer_is_odd(producer, unit)
        # Through a concatenation, the other operands are part of the count: a guess.
        certain = len(producers) == 1 and not self._through_join(finding)
        if not certain:
            theirs = self._unsafe(theirs)
        mine, _ = self._make_fix(layer, values, f"change {label}: {suggest.describe(values)}", True)
        if mine is None:
            theirs = self._unsafe(theirs)  # this side cannot be edited: no evidence either way
        else:
            if left_theirs is None:
                left_theirs = self._errors_after(theirs)
            left_mine = self._errors_after(mine)
            if left_theirs > left_mine:
                return None, True
            if left_theirs == left_mine:
                if not odd:
                    # A norm's count only repeats the count it normalizes: its own edit stays
                    # exact. Between two layers that make and take a count, a guess.
                    return None, _repeats_a_count(values)
                theirs = self._unsafe(theirs)
        if not self._holds(theirs):
            return None, not odd
        theirs_values = {producer.param: producer.wanted}
        return Suggestion(f"{finding.message}; fix: {self._label(producer.layer)} with"
                          f" {suggest.describe(theirs_values)}", code, theirs), False

    def _through_join(self, finding: Finding) -> bool:
        """Whether the count that arrives was concatenated or cut from others."""
        tensor = finding.tensor_in
        steps = suggest.chain_of(self.trace, tensor)
        start = steps[0].input if steps else tensor
        return isinstance(start, Tensor) and id(start) in self.trace.joins

    def _unsafe(self, fix: Fix) -> Fix:
        unsafe = dataclasses.replace(fix, applicability=UNSAFE)
        if fix in self.targets:
            self.targets[unsafe] = self.targets[fix]
        return unsafe

    # ----------------------------------------------------------------- a declared shape missed

    def _slips(self, steps) -> List[suggest.Change]:
        """The pattern slips on a chain (``patterns.slips``): candidates that re-analysis must
        confirm (``approximate``), so never safe."""
        found = patterns.slips([step.module for step in steps], self.reporter.siblings(self.trace))
        return [dataclasses.replace(change, approximate=True) for change in found]

    def _mismatch(self, finding: Finding) -> Suggestion:
        tensor = finding.tensor
        declared = finding.target
        spec = finding.declared.spec if finding.declared is not None else None
        steps = suggest.chain_of(self.trace, tensor)
        chain = _chain_text(steps, self.names)
        message = finding.message
        notes = (f"inferred {chain}",) if chain else ()

        def verify(shape: MaybeShape) -> bool:
            if shape is not None and any(is_symbolic(w) for w in declared or ()):
                # Every dim the declaration gives a size of names equal for every size.
                return len(shape) == len(declared) and all(
                    suggest.same_size(d, w) for d, w in zip(shape, declared) if w is not None)
            return spec is not None and spec.match(shape, {}) is None and shape is not None and all(
                not is_known(d) or not is_known(w) or d == w for d, w in zip(shape, declared or ())
            )

        search = suggest.chain_changes(self.trace, tensor, declared, self.reporter.bounds, verify)
        self._note_stop(search.exhausted)
        # Which layer is wrong is a guess unless it is the only one that can change the size or
        # it breaks the pattern of its siblings: that change goes first, and only such a change
        # may be safe (CONTRACT 6).
        siblings = self.reporter.siblings(self.trace)
        # A change that makes a square layer oblong comes after those that do not.
        found = sorted(self._shared_same_size(steps) + search.changes, key=suggest.splits_value)
        alone = len({id(change.layer) for change in found}) == 1
        is_culprit = lambda change: (  # noqa: E731
            alone and not _unsearched_resizer(steps, change.layer) or patterns.certain_slip(change, siblings))
        groups = patterns.pattern_first(found, siblings, self._slips(steps))
        chosen = None
        for group in groups:  # each group has its own share of the re-analyses
            chosen = chosen or self._first_fix(group, is_culprit)
        if chosen is not None:
            change, fix, code = chosen
            message = f"{message}; fix: {self._label(change.layer)} with {suggest.describe(change.values)}"
            chosen_text = f"{self._label(change.layer)} with {suggest.describe(change.values)}"
            # The other changes the search verified (not the slips it did not), in the order tried.
            verified = [c for group in groups for c in group if any(c is f for f in found)]
            others = [text for text in dict.fromkeys(f"{self._label(c.layer)} with {suggest.describe(c.values)}"
                                                     for c in verified) if text != chosen_text][:3]
            if others:
                notes += ("or instead: " + "; or ".join(others),)
            return Suggestion(message, code, fix, notes)
        if search.lossy:
            return self._replacement(message, notes, *search.lossy[-1])
        return Suggestion(message, None, None, notes)

    def _replacement(self, message: str, notes: Tuple[str, ...], layer: LayerModule, result) -> Suggestion:
        """No lossless parameters of the layer give the size: what replaces it (said, not fixed)."""
        reason = suggest.reason_text(result)
        if reason:
            notes += (f"no lossless {layer.type_name} gives it: {reason}",)
        if not result.alternatives:
            return Suggestion(f"{message}; no lossless {layer.type_name} gives it", None, None, notes)
        plausible = [a for a in result.alternatives if _plausible_replacement(layer, a.code)]
        alternative = (plausible or result.alternatives)[0]
        notes += (f"replacement: {alternative.code}: {alternative.note}",)
        # The layers it is made of, in order: the code itself is on the help line.
        layers = [n for n in dict.fromkeys(re.findall(r"\bnn\.\w+(?=\()", alternative.code)) if n != "nn.Sequential"]
        parts = " then ".join(layers) or alternative.code
        return Suggestion(f"{message}; replace {self._label(layer)} by {parts}", alternative.code, None, notes, layer=layer)

    # ----------------------------------------------------------------- an input the model cannot take

    def _accepted_sizes(self) -> Optional[Tuple[int, Optional[int], Optional[int]]]:
        """(dim, nearest size taken below, nearest above) when the model fails for its declared
        input but takes a nearby size of one spatial dim (a U-Net fed 161): found by analysing the
        file with the declaration edited. None when the input is not the suspect: its sizes are
        multiples of ``ROUND_SIZE``, it is declared outside the file, or no size near it works."""
        plan = self.trace.plan
        shape = plan.input_shape
        declared = plan.input
        if declared is None or declared.source not in ("pragma", "jaxtyping", "example") or shape is None:
            return None
        odd = [axis for axis in range(2, len(shape)) if is_known(shape[axis]) and shape[axis] % ROUND_SIZE]
        if len(odd) != 1 or not all(is_known(d) for d in shape):
            return None
        axis = odd[0]
        where = self._declared_dim(declared, shape, axis)
        if where is None:
            return None
        below, above = _size_candidates(shape[axis])
        if not below or not self._takes(where, below[-1]):
            return None  # not even the round size below: the input is not the suspect
        budget = MAX_SIZE_TRIALS - 1
        nearest_below, nearest_above = below[-1], None
        for size in below[:-1]:  # nearest first
            if budget <= 0:
                break
            budget -= 1
            if self._takes(where, size):
                nearest_below = size
                break
        for size in above:
            if budget <= 0:
                break
            budget -= 1
            if self._takes(where, size):
                nearest_above = size
                break
        return axis, nearest_below, nearest_above

    def _declared_dim(self, declared, shape, axis: int) -> Optional[Tuple[int, int, int]]:
        """(row, start column, end column), 1-based, of the declared input's size of ``axis``."""
        lines = self.reporter.text.splitlines()
        if not 1 <= declared.line <= len(lines):
            return None
        line = lines[declared.line - 1]
        start = max(declared.column - 1, 0)
        marker = line.find("input", start)
        if declared.source == "pragma" and marker >= 0:
            start = marker
        spans = _int_spans(line, start)
        n = len(shape)
        for i in range(len(spans) - n + 1):
            if tuple(v for v, _, _ in spans[i:i + n]) == tuple(shape):
                _, begin, end = spans[i + axis]
                return declared.line, begin + 1, end + 1
        return None

    def _takes(self, where: Tuple[int, int, int], size: int) -> bool:
        """Whether the model runs (no SHP102-SHP106 that was not there, this one gone) with the
        declared size at ``where`` changed to ``size``."""
        row, start, end = where
        verdict = self.reporter.check_fix(Fix("", UNSAFE, (Edit(str(size), (row, start), (row, end)),)))
        if verdict.errors is None:
            return False
        failing = {"SHP102", "SHP103", "SHP104", "SHP105", "SHP106"}
        return self.where not in verdict.errors and all(
            code not in failing or (code, line) in self.reporter.errors_before for code, line in verdict.errors)

    def _input_not_taken(self, message: str, accepted) -> Suggestion:
        axis, below, above = accepted
        size = self.trace.plan.input_shape[axis]
        sizes = " and ".join(str(s) for s in (below, above) if s is not None)
        advice = " or ".join(part for part in (f"pad to {above}" if above else "",
                                               f"crop to {below}" if below else "") if part)
        return Suggestion(f"{message}; the model does not take {size} on dim {axis}: {advice}", None, None,
                          (f"the nearest sizes it takes are {sizes}; no layer edit: the declared input"
                           f" {format_shape(self.trace.plan.input_shape)} is the problem, not the layers",))

    def _shared_same_size(self, steps) -> List[suggest.Change]:
        """A stride-1 convolution built several times that changes the size it is given: the
        usual intent is 'same' padding, and one edit changes every instance (checked by
        re-analysis before it is offered)."""
        found: List[suggest.Change] = []
        for step in steps:
            layer = step.module
            if not isinstance(layer, LayerModule) or layer.spec.family != CONV or self._built(layer) <= 1:
                continue
            params = suggest.current_params(layer)
            if params is None or any(s != 1 for s in params["stride"]):
                continue
            before, after = shape_of(step.input), step.output.shape
            if before is None or after is None or before[2:] == after[2:]:
                continue
            kernels, pads, dilations = params["kernel_size"], params["padding"], params["dilation"]
            if all(d * (k - 1) % 2 == 0 for k, d in zip(kernels, dilations)):
                values = tuple(d * (k - 1) // 2 for k, d in zip(kernels, dilations))
                if values != pads:
                    found.append(suggest.Change(layer, {"padding": values}, rank=(False, 0)))
            if all(2 * p % d == 0 for p, d in zip(pads, dilations)):
                values = tuple(2 * p // d + 1 for p, d in zip(pads, dilations))
                if values != kernels:
                    found.append(suggest.Change(layer, {"kernel_size": values}, rank=(False, 0)))
        return found[:4]

    # ----------------------------------------------------------------- tensors that do not fit

    def _operands(self, finding: Finding) -> Suggestion:
        """Tensors combined with incompatible shapes: change a layer of the culprit's branch (the
        steps after the operands' paths part) so that it fits the others, unless the model takes
        sizes near the declared input (then that input is the problem). A change that undoes a
        slip against the model's pattern (a sibling layer's value, a layer's usual form) comes
        first, before the paths part too (an odd size made there). The fix is unsafe when the
        culprit branch is a guess (CONTRACT 6), and the diagnostic stays at the statement unless
        the pattern names the culprit."""
        accepted = self._accepted_sizes()
        if accepted is not None:
            return self._input_not_taken(finding.message, accepted)
        branches = _branches(self.trace, [tensor for tensor, _ in finding.operands])
        in_branches: Set[int] = set().union(*branches)
        layers = [m for _, m in self.trace.modules if isinstance(m, LayerModule)]
        changes: List[suggest.Change] = []
        before: List[suggest.Change] = []  # made before the paths part: checked on the whole file
        shared: List[suggest.Change] = []
        for (tensor, wanted), branch in zip(finding.operands, branches):
            if wanted is None or not branch:
                continue

            def verify(shape: MaybeShape, wanted=wanted) -> bool:
                return shape is not None and len(shape) == len(wanted) and all(
                    not is_known(d) or not is_known(w) or d == w for d, w in zip(shape, wanted)
                )

            search = suggest.chain_changes(self.trace, tensor, wanted, self.reporter.bounds, verify)
            self._note_stop(search.exhausted)
            changes.extend(c for c in search.changes if id(c.layer) in branch)
            before.extend(dataclasses.replace(c, approximate=True) for c in search.changes
                          if id(c.layer) not in in_branches)
            shared.extend(suggest.sibling_changes(self.trace, tensor, verify,
                                                  [m for m in layers if id(m) in branch], layers))
            # 'same' padding for a convolution built several times is its usual form regained.
            for change in self._shared_same_size(suggest.chain_of(self.trace, tensor)):
                change.form_repaired = True
                if id(change.layer) in branch:
                    shared.append(change)
                elif id(change.layer) not in in_branches:
                    before.append(dataclasses.replace(change, approximate=True))
        changes.sort(key=lambda c: c.rank)
        before.sort(key=lambda c: c.rank)
        ordered = sorted(shared + changes + before, key=lambda c: self._operand_tier(c, in_branches))
        chosen = self._first_fix(ordered)
        if chosen is None:
            return Suggestion(finding.message)
        change, fix, code = chosen
        message = f"{finding.message}; fix: {self._label(change.layer)} with {suggest.describe(change.values)}"
        if id(change.layer) in in_branches and _culprit_is_certain(finding.operands, branches):
            # The branch is certain; the layer in it only when no other step there resizes.
            branch_steps = self._branch_steps(finding, branches, change.layer)
            if _only_resizer(branch_steps, change.layer) or self._against_pattern(change):
                return Suggestion(message, code, fix)
            return Suggestion(message, code, self._unsafe(fix))
        named = self._against_pattern(change) or self._beside_a_projection(finding, branches, change)
        return Suggestion(message, code, self._unsafe(fix), stays=not named)

    def _branch_steps(self, finding: Finding, branches: List[Set[int]], layer: LayerModule) -> List:
        """The steps of the operand's own branch that ``layer`` is on (empty when none)."""
        for (tensor, _), branch in zip(finding.operands, branches):
            if id(layer) in branch:
                return [step for step in suggest.chain_of(self.trace, tensor) if id(step.module) in branch]
        return []

    def _beside_a_projection(self, finding: Finding, branches: List[Set[int]], change: suggest.Change) -> bool:
        """Whether the change is on the one branch of two that changes the size, the other being
        a projection that keeps it (a 1x1 shortcut convolution beside a block): the block is the
        likely culprit (its diagnostic goes there; the fix stays unsafe)."""
        if len(branches) != 2:
            return False
        keeps = [_keeps_size(self.trace, tensor, branch) for (tensor, _), branch in zip(finding.operands, branches)]
        mine = [id(change.layer) in branch for branch in branches]
        return keeps.count(True) == 1 and any(m and not k for m, k in zip(mine, keeps))

    def _operand_tier(self, change: suggest.Change, in_branches: Set[int]) -> int:
        """The order changes of an operand mismatch are tried in: a slip undone in a branch (that
        does not take a layer out of its usual form: a 1x1 convolution given a sibling's kernel
        2 is not); any other change there that keeps its layer's usual form; a slip undone before the paths part
        (an odd size made there, that a U-Net's roundtrip cannot take back); the rest."""
        pattern = self._against_pattern(change) and not _breaks_form(change)
        if id(change.layer) in in_branches:
            return 0 if pattern else 1 if not _breaks_form(change) else 3
        return 2 if pattern else 4

    def _against_pattern(self, change: suggest.Change) -> bool:
        """Whether the change undoes a slip: a value other layers of its type have, or the
        layer's usual form regained."""
        return change.form_repaired or _restores_sibling(self.trace, change)


def _lineage(propagator, tensor: Tensor) -> Set[int]:
    """The ids of the tensors ``tensor`` was made from, along its chain, and its own."""
    steps = suggest.chain_of(propagator, tensor)
    found = {id(tensor)} | {id(step.output) for step in steps}
    if steps:
        found.add(id(steps[0].input))
    return found


def _branches(propagator, tensors: List[Tensor]) -> List[Set[int]]:
    """For each operand, the ids of the layers of its own branch: the steps of its chain made
    after it parts from every other operand's (a layer before that changes all of them alike)."""
    lineages = [_lineage(propagator, tensor) for tensor in tensors]
    branches = []
    for i, tensor in enumerate(tensors):
        others: Set[int] = set().union(*(lineage for j, lineage in enumerate(lineages) if j != i))
        branches.append({id(step.module) for step in suggest.chain_of(propagator, tensor)
                         if isinstance(step.module, LayerModule) and id(step.output) not in others})
    return branches


def _keeps_size(propagator, tensor: Tensor, branch: Set[int]) -> bool:
    """Whether every step of the operand's branch keeps the sizes after the channel dim, with
    stride 1 wherever a stride is written (so for any input, not just this one)."""
    steps = [step for step in suggest.chain_of(propagator, tensor) if id(step.module) in branch]
    for step in steps:
        before, after = shape_of(step.input), step.output.shape
        stride = step.module.params.get("stride") if isinstance(step.module, LayerModule) else None
        strides = stride if isinstance(stride, (tuple, list)) else (1 if stride is None else stride,)
        if before is None or after is None or tuple(before[2:]) != tuple(after[2:]) or any(s != 1 for s in strides):
            return False
    return bool(steps)


def _resizes(step) -> bool:
    """Whether a step changes the sizes after the channel dim (a change of rank, a flatten, is
    not counted)."""
    before, after = shape_of(step.input), step.output.shape
    return (before is not None and after is not None and len(before) == len(after)
            and tuple(before[2:]) != tuple(after[2:]))


def _only_resizer(steps, layer: LayerModule) -> bool:
    """Whether ``layer`` is the only step among ``steps`` that changes the sizes, but for
    transposed convolutions and poolings in their usual form (a kernel 2, stride 2 upsampling
    does what it is written for): otherwise which of them slipped is a guess."""
    return not any(step.module is not layer and _resizes(step) and not _scales_as_usual(step.module)
                   for step in steps)


def _scales_as_usual(module: Any) -> bool:
    """A transposed convolution or pooling in its usual form (``suggest.usual_form``): it scales
    the size by its stride, as meant. (A strided convolution has no such form: any kernel and
    padding are usual for it.)"""
    if not isinstance(module, LayerModule) or module.spec is None or module.spec.family in (None, CONV):
        return False
    if module.spec.family not in suggest.SOLVABLE:
        return False
    current = suggest.current_params(module)
    return current is not None and suggest.usual_form(module.spec.family, current)


def _unsearched_resizer(steps, layer: LayerModule) -> bool:
    """Whether a step other than ``layer`` changes the sizes and is not one the chain search
    edits (a padding, an upsampling by a factor): it may be the slip, whatever the search says."""
    for step in steps:
        module = step.module
        searched = isinstance(module, LayerModule) and module.spec is not None and (
            module.spec.family in suggest.SOLVABLE or module.spec.output_size_params or module.spec.adaptive)
        if module is not layer and not searched and _resizes(step):
            return True
    return False


def _culprit_is_certain(operands, branches: List[Set[int]]) -> bool:
    """Whether the operand to change is known: the odd one out of several (the only one with a
    wanted shape), or the only one of two whose branch has layers (``x + block(x)``)."""
    wanted = [i for i, (_, shape) in enumerate(operands) if shape is not None]
    if len(operands) > 2:
        return len(wanted) == 1
    return sum(bool(branch) for branch in branches) == 1


def _breaks_form(change: suggest.Change) -> bool:
    """Whether the change takes a layer in its usual form out of it (``suggest.usual_form``)."""
    layer = change.layer
    current = suggest.current_params(layer) if layer.spec is not None and layer.spec.family else None
    if current is None:
        return False
    n = layer.spec.spatial_dims or 1
    new = dict(current)
    for name, value in change.values.items():
        if name in new:
            new[name] = suggest.per_dim(value, n) or new[name]
    family = layer.spec.family
    return suggest.usual_form(family, current) and not suggest.usual_form(family, new)


def _restores_sibling(trace: ModelTrace, change: suggest.Change) -> bool:
    layer = change.layer
    n = (layer.spec.spatial_dims or 1) if layer.spec is not None else 1
    for name, value in change.values.items():
        wanted = suggest.per_dim(value, n)
        if wanted is None:
            return False
        if not any(isinstance(other, LayerModule) and other is not layer and other.type_name == layer.type_name
                   and suggest.per_dim(other.params.get(name), n) == wanted for _, other in trace.modules):
            return False
    return bool(change.values)


#: Candidate values tried (each a re-analysis of the file) for a layer PyTorch rejects.
MAX_TRIALS = 8
#: Parameters a layer empties its output with when written 0 (``_emptied_upstream``).
EMPTYING_PARAMS = ("output_size", "out_channels", "out_features", "size")
#: The smallest width a model's channel counts are taken to scale from (``_count_unit``).
MIN_UNIT = 4
#: Producers of a count weighed (each a re-analysis) against the layer that expects another.
MAX_PRODUCERS = 3


def _positive_candidates(name: str, layer: LayerModule, trace: ModelTrace,
                         input_shape: MaybeShape = None) -> List[int]:
    """Values to try for a parameter written zero or negative: a stride, kernel or dilation
    from 1 up; a channel or feature count among those the model's other layers use: for an
    input count, the count that arrives first; for an output count, the layer's own input
    count, then the counts of the declared output (the last layer's ``out_channels=0``)."""
    if name in ("stride", "kernel_size", "dilation", "groups"):
        return [2, 1, 3, 4] if name == "stride" else [1, 3, 2, 5]
    counts: List[int] = []
    arriving = _arriving_count(name, input_shape)
    if arriving is not None:
        counts.append(arriving)
    own = layer.params.get("in_channels", layer.params.get("in_features"))
    if is_known(own) and own > 0 and own not in counts:
        counts.append(own)
    if name in ("out_channels", "out_features"):
        counts.extend(c for c in _declared_counts(trace, name == "out_features") if c not in counts)
    for _, module in trace.modules:
        if isinstance(module, LayerModule) and module is not layer:
            for key in ("in_channels", "out_channels", "in_features", "out_features", "num_features"):
                value = module.params.get(key)
                if isinstance(value, int) and not isinstance(value, bool) and value > 0 and value not in counts:
                    counts.append(value)
    return counts


def _int_text(text: str) -> bool:
    """Whether ``text`` is an integer literal (``3``, ``-1``)."""
    return re.fullmatch(r"-?\d+", text) is not None


def _positive(value: Any) -> bool:
    """Whether no integer of ``value`` (one, or per dim) is zero or negative."""
    values = value if isinstance(value, (tuple, list)) else (value,)
    return all(not isinstance(v, int) or isinstance(v, bool) or v > 0 for v in values)


def _keeps_usual_form(change: suggest.Change) -> bool:
    """Whether a change leaves its layer in the form people write, without dilation, and gives
    a value written once for all dims one value still (a pooling's padding 1 is not made
    (1, 0); a ``(1, 1)`` may become ``(2, 1)``)."""
    current = suggest.current_params(change.layer)
    if current is None or change.unusual:
        return False
    n = len(next(iter(current.values()), ())) or 1
    merged = dict(current, **{k: suggest.per_dim(v, n) or current.get(k) for k, v in change.values.items()})
    if change.layer.spec.family in (MAX_POOL, AVG_POOL) and change.layer.params.get("stride") is None:
        merged["stride"] = merged["kernel_size"]  # a pool's stride follows its kernel when not written
    if suggest.splits_value(change):
        return False
    dilation = merged.get("dilation") or ()
    return suggest.usual_form(change.layer.spec.family, merged) and all(d == 1 for d in dilation)


def _with_positive(written: Any, value: int) -> Any:
    """``value`` in place of the written value, or of its non-positive items only in a tuple
    (``stride=(0, 2, 2)`` -> ``(1, 2, 2)``: the other dims were right)."""
    if not isinstance(written, (tuple, list)):
        return value
    return tuple(w if isinstance(w, int) and w > 0 else value for w in written)


def _arriving_count(name: str, input_shape: MaybeShape) -> Optional[int]:
    """The channel or feature count of the layer's input, for its input-count parameter."""
    if input_shape is None or len(input_shape) < 2:
        return None
    axis = {"in_channels": 1, "num_features": 1, "num_channels": 1, "in_features": -1}.get(name)
    size = input_shape[axis] if axis is not None else None
    return size if is_known(size) and size > 0 else None


def _declared_counts(trace: ModelTrace, last_first: bool) -> List[int]:
    """The fixed sizes of the model's declared output after the batch dim (its channel or
    feature counts among them): the channels' dim first, or the features' (the last)."""
    declared = trace.plan.output
    dims = getattr(declared.spec, "dims", ()) if declared is not None else ()
    sizes = [getattr(d, "size", None) for d in dims[1:]]
    sizes = sizes[::-1] if last_first else sizes
    return [s for s in sizes if isinstance(s, int) and s > 0]


def _group_norm_candidates(layer: LayerModule, trace: ModelTrace) -> List[Dict[str, int]]:
    """For a GroupNorm whose ``num_channels`` is not divisible by ``num_groups``, likeliest first:
    the multiple of ``num_groups`` next to ``num_channels`` that the model's other layers use and
    that is rounder (31 -> 32: the count was the slip), then the divisors of ``num_channels``
    nearest ``num_groups`` (those the model's other GroupNorms use, then the larger), then the
    other multiples. Re-analysis judges each (a count the next layer does not expect fails)."""
    groups, channels = layer.params.get("num_groups"), layer.params.get("num_channels")
    if not (_is_count(groups) and _is_count(channels)) or channels % groups == 0:
        return []
    below = channels // groups * groups
    multiples = [m for m in sorted((below, below + groups), key=lambda m: abs(m - channels)) if m > 0]
    counts = _channel_counts(trace, (layer,))
    agreed = [m for m in multiples if m in counts and _roundness(m) > _roundness(channels)]
    used_groups = {module.params.get("num_groups") for _, module in trace.modules
                   if isinstance(module, LayerModule) and module is not layer and module.type_name == "GroupNorm"}
    divisors = [d for d in range(1, channels + 1) if channels % d == 0]
    divisors.sort(key=lambda d: (d not in used_groups, abs(d - groups), -d))
    found = [{"num_channels": m} for m in agreed] + [{"num_groups": d} for d in divisors[:2]]
    return found + [{"num_channels": m} for m in multiples if m not in agreed]


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _channel_counts(trace: ModelTrace, leave_out: Tuple[LayerModule, ...]) -> List[int]:
    """The channel and feature counts of the model's layers but ``leave_out``."""
    counts: List[int] = []
    for _, module in trace.modules:
        if isinstance(module, LayerModule) and all(module is not other for other in leave_out):
            for key in ("in_channels", "out_channels", "in_features", "out_features", "num_features",
                        "num_channels"):
                value = module.params.get(key)
                if _is_count(value):
                    counts.append(value)
    return counts


def _producer_is_odd(producer: suggest.CountProducer, unit: int = 0) -> bool:
    """Between a producer's count and the one a consumer expects, equally supported by the rest
    of the file: whether the producer's looks like the slip (not a multiple of four: 63 where
    64 is expected; or, in a model whose counts are a unit times powers of two, not one of
    those: 12 or 20 where 16 is expected among 4, 8, 16). Two round counts (8 and 16) say
    nothing: the consumer, where the mismatch shows, stays the default. (How often other
    layers use a count says little: a producer's count is normally used by its consumer alone,
    and that is the layer that disagrees.)"""
    if _roundness(producer.current) < min(2, _roundness(producer.wanted)):
        return True
    return unit >= MIN_UNIT and _off_the_unit(producer.current, unit) and not _off_the_unit(producer.wanted, unit)


def _repeats_a_count(values: Dict[str, Any]) -> bool:
    """Whether the parameter at fault is a norm's count (``num_features``, ``num_channels``,
    ``normalized_shape``), which repeats what the layer before made."""
    return any(name in ("num_features", "num_channels", "normalized_shape") for name in values)


def _count_unit(counts: List[int]) -> int:
    """The greatest common divisor of a model's channel counts of ``MIN_UNIT`` and more (the
    input's channels and the classes left out): the width the model scales by powers of two."""
    return math.gcd(*[c for c in counts if c >= MIN_UNIT]) if any(c >= MIN_UNIT for c in counts) else 0


def _off_the_unit(count: int, unit: int) -> bool:
    """Whether ``count`` is not ``unit`` times or over a power of two (8 and 32 are on a unit
    of 16; 24 is not)."""
    if count <= 0:
        return True
    high, low = max(count, unit), min(count, unit)
    ratio, rest = divmod(high, low)
    return rest != 0 or ratio & (ratio - 1) != 0


def _roundness(count: int) -> int:
    """The exponent of the highest power of two dividing ``count``."""
    return (count & -count).bit_length() - 1 if count > 0 else 0


#: Re-analyses one search for the sizes a model takes may spend (``_accepted_sizes``).
MAX_SIZE_TRIALS = 6
#: Sizes that are multiples of this are taken to be what the model was made for: a declared
#: input with such sizes is never the suspect.
ROUND_SIZE = 32


def _size_candidates(size: int) -> Tuple[List[int], List[int]]:
    """Sizes below and above ``size`` to try, nearest first: one step, then the multiples of
    2, 4, ..., ``ROUND_SIZE``."""
    below, above = {size - 1}, {size + 1}
    m = 2
    while m <= ROUND_SIZE:
        below.add(size // m * m)
        above.add(-(-size // m) * m)
        m *= 2
    return (sorted((s for s in below if 0 < s < size), reverse=True),
            sorted(s for s in above if s > size))


def _int_spans(line: str, start: int) -> List[Tuple[int, int, int]]:
    """(value, start, end) of the integers of ``line`` from column ``start`` (0-based) on."""
    return [(int(m.group()), m.start(), m.end()) for m in re.finditer(r"(?<![\w.])\d+(?![\w.])", line)
            if m.start() >= start]


def _plausible_replacement(layer: LayerModule, code: str) -> bool:
    """Whether a replacement keeps the layer near what is written: no kernel above ``2k+1`` nor
    a dilation above ``2d+1`` of the written ones (not a kernel 16, dilation 3 convolution in
    front of an adaptive pool where a kernel 3 was written)."""
    current = suggest.current_params(layer) or {}
    head = code.split("nn.Adaptive")[0]
    for name in ("kernel_size", "dilation"):
        written = current.get(name)
        found = re.search(name + r"=\(?(\d+)", head)
        if written and found and int(found.group(1)) > 2 * max(written) + 1:
            return False
    return True


def _intended_output(layer: LayerModule, input_shape: MaybeShape) -> Optional[Tuple[int, ...]]:
    """The size an invalid conv/pool layer would have produced by its formula (to solve for)."""
    from ..core import formulas

    params = suggest.current_params(layer)
    if params is None or input_shape is None:
        return None
    n = layer.spec.spatial_dims
    sizes = input_shape[-n:]
    if len(sizes) != n or not all(is_known(s) for s in sizes):
        return None
    out = []
    for i, size in enumerate(sizes):
        k, s, d = (params[name][i] if name in params else 1 for name in ("kernel_size", "stride", "dilation"))
        p = params["padding"][i]
        if min(k, s, d, size) < 1 or p < 0:
            return None
        if layer.spec.family == CONV_TRANSPOSE:
            op = min(params["output_padding"][i], max(s, d) - 1)
            value = formulas.conv_transpose_out(size, k, s, p, op, d)
        elif layer.spec.family == CONV:
            value = formulas.conv_out(size, k, s, p, d) if size + 2 * p >= formulas.effective_kernel(k, d) else 0
        else:
            value = formulas.pool_out(size, k, s, min(p, k // 2), d, False)
        # A size that would vanish: the smallest valid one (the layer reduced it to a point).
        out.append(max(value, 1))
    return tuple(input_shape[:-n]) + tuple(out)


def _chain_text(steps, names, limit: int = 8) -> str:
    if not steps:
        return ""
    parts = [format_shape(shape_of(steps[0].input))]
    # Steps that keep the shape (activations, norms, dropout) do not say where it went wrong.
    steps = [step for step in steps if shape_of(step.input) != step.output.shape] or steps[-1:]
    shown = steps if len(steps) <= limit else steps[: limit // 2] + [None] + steps[-limit // 2 :]
    for step in shown:
        if step is None:
            parts.append("...")
            continue
        if step.module is not None:
            name = names.get(id(step.module))
            label = f"{name} ({step.module.type_name})" if name else step.module.type_name
        else:
            label = step.label
        parts.append(f"{label} -> {format_shape(step.output.shape)}")
    return " -> ".join(parts)
