"""The analysis of one file: decode and parse it once, then three stages.

1. plan (``plan.py``, ``examples.py``): which models the file defines, which declaration of
   their shapes wins, which example and constructor call builds each;
2. run (``run.py``): the module's top level, then each model built and called by the
   Propagator, giving one ``ModelTrace`` per model;
3. report (``report.py``): the findings of the traces become diagnostics with suggestions and
   fixes; a fix of a layer built several times is checked by analysing the edited file again,
   with suggestions off (``_fix_checker``).

``analyze_source`` never raises for anything in the user's file: unreadable or unparsable files
are one SHP001 diagnostic, and an internal error in one model leaves the other models' results
intact (under pytest it is raised, so that tests see bugs).
"""

from __future__ import annotations

import ast
import functools
import gc
import os
import warnings
from typing import Dict, List, Optional, Tuple, Union

from ..core import text as text_helpers
from ..core.codes import PARSE_ERROR
from ..core.options import Options
from ..core.results import Diagnostic, Edit, FileResult, Fix, ModelShapes, ModelSummary
from ..core.shapes import MaybeShape
from .collect import FileIndex, index_file
from .examples import find_examples
from .incremental import Layout, ModelMemo, Reuse, Session, file_key, reads_names_dynamically
from .plan import ParsedFile, plan_models, read_declarations
from .positions import Positions
from .prefilter import mentions_layers
from .report import CheckFix, Diagnostics, FindingReporter, FixVerdict, stop_diagnostic
from .project import Project, ProjectFiles
from .run import ModelTrace, evaluate_quietly, execute_module_level, execute_project, new_propagator, run_model
from .values import ModuleDictModule, ModuleListModule, ModuleValue, TorchRef, UserModule

#: Re-analyses of the edited file per file, to check fixes of layers built several times (each
#: costs about one analysis of the file: a deep model's fix checks must not cost tens of them).
#: A fix left unchecked is not offered, and the finding says so (SHP301).
MAX_REANALYSES = 10

_REANALYSES_SPENT = (f"fixes of layers built several times are checked by analysing the edited file,"
                     f" at most {MAX_REANALYSES} times per file, and those checks are spent")


def _strict() -> bool:
    """Raise internal errors instead of containing them (under pytest, or when asked)."""
    return "PYTEST_CURRENT_TEST" in os.environ or os.environ.get("SHAPELINT_STRICT") == "1"


def analyze_file(path: str, options: Options = Options()) -> FileResult:
    try:
        with open(path, "rb") as handle:
            source = handle.read()
    except OSError as error:
        reason = error.strerror or str(error)
        return FileResult(path, [Diagnostic(PARSE_ERROR, f"cannot read file: {reason}", path, 1, 1, 1, 1)])
    return analyze_source(source, path, options)


def analyze_source(source: Union[str, bytes], path: str, options: Options = Options(),
                   tree: Optional[ast.Module] = None, files: Optional[ProjectFiles] = None,
                   reuse: Optional[Reuse] = None) -> FileResult:
    """The analysis of one file. ``tree``, when given, must be ``ast.parse`` of exactly the text
    ``source`` is (flake8 hands its plugins the tree it parsed): the file is then not parsed again.
    ``files`` keeps the project files parsed across the analyses of one run; ``reuse`` the
    results of earlier analyses of this file (``incremental.py``: an editor's buffer), else the
    analyses of this one's fixes share a new one (made when a fix is first checked: most files
    have none)."""
    # A parse makes millions of small objects and no cycles worth collecting meanwhile: the
    # cyclic collector would halve the speed on big files.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _analyze_source(source, path, options, tree, files or ProjectFiles(), suggestions=True,
                               reuse=reuse if reuse is not None else Reuse(deferred=True))
    finally:
        if collecting:
            gc.enable()


def _analyze_source(source: Union[str, bytes], path: str, options: Options, tree: Optional[ast.Module],
                    files: ProjectFiles, suggestions: bool, reuse: Optional[Reuse] = None) -> FileResult:
    text, problem = _decode(source)
    if text is None:
        return _parse_error(path, problem or "cannot decode file")
    if "\x00" in text:
        return _parse_error(path, "cannot parse file: it contains a null byte")
    # A ``check`` of a file (a deferred reuse) remembers its text only if a fix is checked.
    eager = reuse is not None and not reuse.deferred
    lines = text_helpers.split_lines(text) if eager else None
    if tree is None:
        try:
            tree = reuse.parse(text, lines) if eager else _parse(text)
        except SyntaxError as error:
            return _parse_error(path, f"syntax error: {error.msg}", max(error.lineno or 1, 1), max(error.offset or 1, 1))
        except RecursionError:
            return _parse_error(path, "cannot parse file: nested too deeply for Python's parser")
        except (MemoryError, ValueError) as error:
            return _parse_error(path, f"cannot parse file: {type(error).__name__}")
    if not mentions_layers(text.encode("utf-8", "surrogatepass")) and "shapelint" not in text:
        return FileResult(path)  # nothing to analyse: it parses, that is all there is to say
    if eager and suggestions:  # the text the next one (an edit, a fix) differs from
        reuse.remember(lines, tree)
    project = Project(path, files)
    index = index_file(tree, project.importer(tree))
    if not any(info.kind for info in index.classes.values()) and not _mentions_nn(index):
        return FileResult(path, dependencies=project.files_read())
    parsed = ParsedFile(tree, text, path, Positions(text, tree, lines), index, project)
    check_fix = _fix_checker(text, path, options, files, reuse, tree) if suggestions else None
    diagnostics = Diagnostics()
    models: List[ModelShapes] = []
    summaries: List[ModelSummary] = []
    try:
        _analyze(parsed, options, check_fix, diagnostics, models, summaries, reuse)
    except Exception:
        if _strict():
            raise
    return FileResult(path, diagnostics.in_order(), models, summaries, project.files_read())


def _analyze(parsed: ParsedFile, options: Options, check_fix: Optional[CheckFix], diagnostics: Diagnostics,
             models: List[ModelShapes], summaries: List[ModelSummary], reuse: Optional[Reuse] = None) -> None:
    """Plan, run and report, adding to ``diagnostics``, ``models`` and ``summaries`` as each
    stage ends (so an internal error leaves what came before). The report needs only the traces
    of the models that ran: a model whose kept result is reused found nothing."""
    traces = trace_models(parsed, options, diagnostics, models, summaries, reuse)
    _report(parsed, traces, options, check_fix, diagnostics)


def trace_models(parsed: ParsedFile, options: Options, diagnostics: Diagnostics,
                 models: List[ModelShapes], summaries: Optional[List[ModelSummary]] = None,
                 reuse: Optional[Reuse] = None) -> List[ModelTrace]:
    """Plan and run: the trace of each model, in the plan's order. The problems of the
    declarations and the budgets that ran out are added to ``diagnostics``, the shapes of the
    models that could be built to ``models``, how far each planned model was followed to
    ``summaries``. With ``reuse``, a model whose kept result still holds is not run (and has no
    trace: it found nothing)."""
    declarations = read_declarations(parsed)
    for found in declarations.problems:
        diagnostics.add(found)
    propagator = new_propagator(parsed, declarations)
    propagator.path = parsed.path  # config files are looked for from the file's directory
    if parsed.project is not None:
        propagator.files_read = parsed.project.config_files  # the result depends on them too
    execute_project(propagator, parsed)
    stopped = execute_module_level(propagator, parsed)
    if stopped is not None:
        diagnostics.add(stop_diagnostic("module-level code", stopped, 1, parsed.positions, parsed.path))
    names = propagator.globals
    examples = find_examples(parsed, names, functools.partial(evaluate_quietly, propagator))
    plan = plan_models(parsed, declarations, names, examples, options)
    for found in plan.problems:
        diagnostics.add(found)
    keeping = reuse is not None and stopped is None
    session = _session(reuse, parsed, options, plan.models) if keeping and not reuse.deferred else None
    read_before = parsed.project.files_read() if keeping and parsed.project is not None else None
    kept: List[Tuple[int, ModelMemo]] = []
    traces: List[ModelTrace] = []
    for position, model in enumerate(plan.models):
        memo = session.memo(position) if session is not None else None
        if memo is not None:
            _add_memo(memo, diagnostics, models, summaries)
            continue
        try:
            trace = run_model(propagator, model, parsed.positions, parsed.path)
        except Exception:
            if _strict():
                raise
            if summaries is not None:  # not followed, and the summary says so
                summaries.append(ModelSummary(model.name, model.line, model.input is not None,
                                              model.output is not None, False, 0, 0))
            continue
        traces.append(trace)
        stop = None
        if trace.stopped is not None:
            stop = stop_diagnostic(model.name, trace.stopped, model.line, parsed.positions, parsed.path)
        memo = ModelMemo(trace.shapes, summarize(trace), stop)
        _add_memo(memo, diagnostics, models, summaries)
        if keeping and not trace.findings:  # what found something is reported anew
            kept.append((position, memo))
    # A model's run that read another file (a config it opens) depends on it: nothing is kept.
    if keeping and (read_before is None or parsed.project.files_read() == read_before):
        if session is not None:
            for position, memo in kept:
                session.keep(position, memo)
        else:  # kept when a fix is first checked (``check`` analyses most files once, with no fix)
            reuse.pending = functools.partial(_keep_later, reuse, parsed, options, plan.models, kept)
    return traces


def _keep_later(reuse: Reuse, parsed: ParsedFile, options: Options, plans, kept: List[Tuple[int, ModelMemo]]) -> None:
    session = _session(reuse, parsed, options, plans)
    if session is not None:
        for position, memo in kept:
            session.keep(position, memo)


def _add_memo(memo: ModelMemo, diagnostics: Diagnostics, models: List[ModelShapes],
              summaries: Optional[List[ModelSummary]]) -> None:
    """A model's result, where the whole-file analysis adds it."""
    if summaries is not None:
        summaries.append(memo.summary)
    if memo.stop is not None:
        diagnostics.add(memo.stop)
    if memo.shapes is not None:
        models.append(memo.shapes)


def _session(reuse: Reuse, parsed: ParsedFile, options: Options, plans) -> Optional[Session]:
    """Which planned models' kept results hold (``incremental.py``); None when none can."""
    if reads_names_dynamically(parsed.text):
        return None
    layout = Layout(parsed.tree, parsed.positions.lines, reuse)
    if not layout.usable:
        return None
    read = parsed.project.files_read() if parsed.project is not None else ()
    key = file_key(parsed.path, options, layout, read)
    if key is None:
        return None
    return Session(reuse, layout, key, plans)


def summarize(trace: ModelTrace) -> ModelSummary:
    """How far the analysis followed the model (see ``ModelSummary`` for what counts as a layer)."""
    plan = trace.plan
    followed = trace.built and trace.stopped is None and trace.output_known
    layers = [module for name, module in trace.modules
              if name and _is_callable(module) and (module.called or not followed)]
    inferred = sum(1 for module in layers if _fully_known(module.first_output))
    return ModelSummary(plan.name, plan.line, plan.input is not None, plan.output is not None,
                        followed, inferred, len(layers))


def _fully_known(shape: MaybeShape) -> bool:
    """Every dim known: a size or an expression of the declared names (``shapes`` prints no null)."""
    return shape is not None and all(dim is not None for dim in shape)


def _is_callable(module: ModuleValue) -> bool:
    """Whether PyTorch can call the module: ``nn.ModuleList`` and ``nn.ModuleDict`` (and the
    user's subclasses of them that define no ``forward``) only hold other modules."""
    if isinstance(module, (ModuleListModule, ModuleDictModule)):
        return False
    if isinstance(module, UserModule) and module.cls is not None and module.cls.kind in ("modulelist", "moduledict"):
        return module.cls.find_method("forward") is not None
    return True


def _report(parsed: ParsedFile, traces: List[ModelTrace], options: Options, check_fix: Optional[CheckFix],
            diagnostics: Diagnostics) -> None:
    reporter = FindingReporter(parsed, traces, options.bounds, check_fix)
    for trace in traces:
        for finding in trace.findings:
            try:
                found = reporter.diagnostics(trace, finding)
            except Exception:
                if _strict():
                    raise
                found = reporter.without_fix(trace, finding)
            for diagnostic in found:
                diagnostics.add(diagnostic)


def _fix_checker(text: str, path: str, options: Options, files: Optional[ProjectFiles] = None,
                 reuse: Optional[Reuse] = None, tree: Optional[ast.Module] = None) -> CheckFix:
    """Analyses the file with a fix applied, suggestions off: each edited text once, and at most
    ``MAX_REANALYSES`` of them per file. With ``reuse``, only the models the fix's edits reach
    run again."""
    verdicts: Dict[Tuple[Edit, ...], FixVerdict] = {}
    files = files if files is not None else ProjectFiles()

    def check_fix(fix: Fix) -> FixVerdict:
        key = tuple(fix.edits)
        if key not in verdicts:
            if len(verdicts) >= MAX_REANALYSES:
                return FixVerdict(None, _REANALYSES_SPENT)
            try:
                edited = text_helpers.apply_edits(text, fix.edits)
            except ValueError:  # edits outside the text: never offered
                verdicts[key] = FixVerdict(None, "its edits do not fit the file")
                return verdicts[key]
            if reuse is not None and reuse.deferred:  # the analysis checked keeps its results now
                reuse.deferred = False
                if tree is not None:
                    reuse.remember(text_helpers.split_lines(text), tree)
                if reuse.pending is not None:
                    reuse.pending, keep = None, reuse.pending
                    keep()
            result = _analyze_source(edited, path, options, None, files, suggestions=False, reuse=reuse)
            verdicts[key] = FixVerdict(tuple((d.code, d.row) for d in result.diagnostics if d.code.startswith("SHP1")))
        return verdicts[key]

    return check_fix


def _mentions_nn(index: FileIndex) -> bool:
    return any(isinstance(v, TorchRef) for v in index.scope.values())


def _decode(source: Union[str, bytes]) -> Tuple[Optional[str], Optional[str]]:
    """Text of the file, or an error message (PEP 263 encoding declarations honoured)."""
    if isinstance(source, str):
        return source, None
    try:
        encoding = text_helpers.source_encoding(source)
    except SyntaxError as error:
        return None, f"cannot decode file: {error}"
    try:
        return text_helpers.decode_as(source, encoding), None
    except (UnicodeDecodeError, LookupError) as error:
        return None, f"cannot decode file as {encoding}: {error}"


def _parse_error(path: str, message: str, line: int = 1, column: int = 1) -> FileResult:
    return FileResult(path, [Diagnostic(PARSE_ERROR, message, path, line, column, line, column)])


def _parse(text: str) -> ast.Module:
    with warnings.catch_warnings():
        # Invalid escape sequences and the like are the user's business, not this tool's output.
        warnings.simplefilter("ignore")
        return ast.parse(text)
