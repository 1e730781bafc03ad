"""Run, the second stage of the analysis of a file: the module's top level, then each planned
model built and called on its declared input by the Propagator (the interpreter with torch
semantics). Each model gives an immutable ``ModelTrace``: its module tree, its shapes, what was
found, and the budget that stopped it, if one did.
"""

from __future__ import annotations

import ast
import copy
from types import MappingProxyType
from typing import Any, Dict, FrozenSet, List, Mapping, NamedTuple, Optional, Set, Tuple

from ..core.codes import CHANNEL_MISMATCH, SHAPE_MISMATCH, SIZE_GAPS, WRONG_RANK
from ..core.initargs import interpreter_arguments
from ..core.layers import UNKNOWN
from ..core.results import LayerShape, ModelShapes, StatementShape
from ..core.shapes import MaybeShape, as_expression, format_shape, is_symbolic
from ..core.shapespec import ShapeSpec
from .collect import _is_main_guard, dotted_name
from .interpreter.objects import ConfigObject
from .interpreter.statements import enter_with
from .evaluate import _STAR_UNKNOWN as STAR_UNKNOWN
from .evaluate import MAX_STEPS, Scope, _Abort, _Break, _Continue, _Return
from .examples import fresh_locals
from .plan import Construction, Declarations, ModelPlan, ParsedFile
from .positions import Positions
from .probe import Probe
from .probe import declared_names as probe_names_used
from .probe import fresh_names as fresh_probe_names
from .propagate import Condition, Finding, Join, Propagator, StatementRun, Step, UnknownSource, shape_of
from .unknown_reasons import excerpt
from .values import ArgumentCapture, BuiltinRef, Declared, ModuleDictModule, ModuleListModule, ModuleValue, Tensor

#: A budget that ran out: (why, the statement running then).
Stop = Tuple[str, Optional[ast.stmt]]


class ModelTrace(NamedTuple):
    """What running one model gave."""

    plan: ModelPlan
    #: False when the model could not be built (then nothing else is known but ``stopped``).
    built: bool
    #: Its ``named_modules()``: (name, module), the model itself first as "".
    modules: Tuple[Tuple[str, ModuleValue], ...]
    #: The model's and its layers' shapes (None when it was not built).
    shapes: Optional[ModelShapes]
    findings: Tuple[Finding, ...]
    #: id(tensor) -> the operation that produced it (``suggest.chain_of`` reads it).
    producers: Mapping[int, Step]
    #: id(constructor call) -> how many times it ran while the model was built.
    constructions: Mapping[int, int]
    #: The budget that ran out, when it left something unchecked (SHP301).
    stopped: Optional[Stop]
    #: id(module) -> its name in the model.
    names: Mapping[int, str]
    #: Every tensor ``forward`` returns (one, or a tuple/list/dict of them) has a fully known shape.
    output_known: bool = False
    #: id(tensor) -> the concatenation or chunk that made it (``suggest.count_producers``).
    joins: Mapping[int, Join] = MappingProxyType({})
    #: The probe the model ran on, when no input is declared (its shape: its first layer's).
    probe: Optional[Probe] = None
    #: The conditions on the symbolic sizes met (``ModelRun.accepts``).
    conditions: Tuple[Any, ...] = ()


# --------------------------------------------------------------------------- the propagator


class LinePragmas(NamedTuple):
    """Pragmas that declare the shape right after a layer or a statement (not a model's)."""

    positions: Positions
    #: line -> the declared output of the layer whose constructor call ends there.
    layers: Mapping[int, Declared]
    #: line -> the declared output of the statement on that line.
    statements: Mapping[int, ShapeSpec]

    def call_end_line(self, call: ast.Call, statement: ast.stmt) -> Optional[int]:
        """The line a constructor call ends on: a pragma after a trailing comma
        (``nn.Conv2d(...),  # shapelint: ...``) is on that line."""
        where = self.positions.call(call, statement)
        return None if where is None else where[1][0]

    def after_statement(self, propagator: Propagator, statement: ast.stmt, scope: Scope, value: Any) -> None:
        if propagator.silent:
            return
        if isinstance(value, ModuleValue) and value.declared_output is None:
            self._attach(propagator, statement, value)
        elif isinstance(value, Tensor) and value.shape is not None:
            self._check(propagator, statement, value)
        elif (value is UNKNOWN or isinstance(value, Tensor)) and type(statement) is ast.Assign \
                and len(statement.targets) == 1:
            self._declare(propagator, statement, scope)

    def _declare(self, propagator: Propagator, statement: ast.Assign, scope: Scope) -> None:
        """``y = unknown(x)  # shapelint: output=(...)``: what the analysis could not compute,
        the user declares; the analysis goes on with it."""
        lines = self.positions.statement_lines(statement)
        for line in range(lines[0], lines[1] + 1) if lines else ():
            spec = self.statements.get(line)
            shape = spec.resolve({}) if spec is not None else None
            if shape is not None:
                propagator.assign(statement.targets[0], Tensor(shape), scope)
                return

    def _attach(self, propagator: Propagator, statement: ast.stmt, module: ModuleValue) -> None:
        """``self.up = nn.ConvTranspose3d(  # shapelint: output=...`` on a line the call does not
        end on: the pragma still belongs to the module the statement builds."""
        lines = self.positions.statement_lines(statement)
        for line in range(lines[0], lines[1] + 1) if lines else ():
            declared = self.layers.get(line)
            if declared is not None and line not in propagator.attached_pragma_lines:
                module.declared_output = declared
                propagator.attached_pragma_lines.add(line)
                return

    def _check(self, propagator: Propagator, statement: ast.stmt, value: Tensor) -> None:
        lines = self.positions.statement_lines(statement)
        if not lines:
            return
        for line in range(lines[0], lines[1] + 1):
            spec = self.statements.get(line)
            problem = spec.match(value.shape, {}) if spec is not None else None
            if problem is None:
                continue
            propagator.report(Finding(
                SHAPE_MISMATCH,
                f"statement produces {format_shape(value.shape)}, not the declared {spec.text} ({problem})",
                None, statement, target=spec.resolve({}), tensor=value,
                declared=Declared(spec, line, "pragma"),
            ))


def new_propagator(parsed: ParsedFile, declarations: Declarations) -> Propagator:
    """The file's Propagator, which attaches the layer and statement pragmas as it runs."""
    model_lines: Set[int] = set()
    for found in declarations.classes.values():
        model_lines |= found.pragma_lines
    layers = {line: Declared(pragma.specs["output"], line, "pragma")
              for line, pragma in declarations.pragmas.items() if "output" in pragma.specs and not pragma.alone}
    statements = {line: pragma.specs["output"] for line, pragma in declarations.pragmas.items()
                  if "output" in pragma.specs and line not in model_lines}
    pragmas = LinePragmas(parsed.positions, MappingProxyType(layers), MappingProxyType(statements))
    propagator = Propagator(parsed.index, layers, pragmas.call_end_line,
                            pragmas.after_statement if layers or statements else None)
    propagator.declared_names = _file_names(declarations)
    return propagator


def _file_names(declarations: Declarations) -> FrozenSet[str]:
    """Every single-dim name the file's declarations use: pragmas (of layers and statements
    too, whose names flow with the tensors they declare) and the models' annotations."""
    specs = [spec for pragma in declarations.pragmas.values() for key, spec in pragma.specs.items()
             if key in ("input", "output")]
    for found in declarations.classes.values():
        specs += [d.spec for d in found.inputs + found.outputs + tuple(found.extra_inputs.values())]
    return probe_names_used(specs)


def evaluate_quietly(propagator: Propagator, node: ast.expr, local: Optional[Dict[str, Any]] = None) -> Any:
    """The value of an expression in the module's scope (and the local names given), reporting
    nothing."""
    with propagator.silenced():
        try:
            return propagator.eval(node, Scope(propagator.globals, dict(local or {})))
        except (_Return, _Break, _Continue, _Abort, RecursionError):
            return UNKNOWN


# --------------------------------------------------------------------------- the module's top level


def execute_module_level(propagator: Propagator, parsed: ParsedFile) -> Optional[Stop]:
    """Run the module's own code (quietly: it is not a model), so that its names have values;
    the budget that ran out, when the module's code used all of it (later module-level models
    are then not built)."""
    scope = Scope(propagator.globals, propagator.globals)
    with propagator.silenced():
        _execute_block(parsed.tree.body, scope, propagator, parsed.positions)
    return propagator.stopped if propagator.steps > MAX_STEPS else None


#: Statements the top level of one imported module may run, and all of them together.
MAX_MODULE_STEPS = 1_000
MAX_PROJECT_STEPS = 6_000


def execute_project(propagator: Propagator, parsed: ParsedFile) -> None:
    """Run the top levels of the project modules the file imports (dependencies first, quietly,
    as code of their own files), then bind what the file imports from them."""
    project = parsed.project
    if project is None or not project.modules:
        return
    propagator.reasons.read_sources = project.home_sources
    spent = [0]

    def execute(module) -> bool:
        # Each module's top level gets a small budget, and all of them together a larger one:
        # what a budget leaves unrun stays unknown (an import utility's feature checks, a
        # package's long chain of re-exports must not cost each analysis seconds).
        budget = min(MAX_MODULE_STEPS, MAX_PROJECT_STEPS - spent[0])
        if budget <= 0:
            return False
        saved = propagator.steps, propagator.stopped
        propagator.steps = MAX_STEPS - budget
        scope = Scope(module.globals, module.globals)
        try:
            with propagator.silenced(), propagator.running_code_of(module.globals):
                _execute_block(module.index.module.body, scope, propagator, project.positions(module))
        finally:
            used = propagator.steps - (MAX_STEPS - budget)
            spent[0] += used
            propagator.steps, propagator.stopped = saved
        return used <= budget  # False: the budget stopped it

    project.run(execute, propagator.globals)


def _execute_block(statements, scope: Scope, propagator: Propagator, positions: Positions) -> None:
    """Assignments, loops and conditions (not ``if __name__ == "__main__":``); the indented body
    of a ``try``."""
    for statement in statements:
        kind = type(statement)
        try:
            if kind is ast.Assign or kind is ast.AnnAssign or kind is ast.AugAssign \
                    or kind is ast.For or kind is ast.While or kind is ast.If and not _is_main_guard(statement) \
                    or kind is ast.Expr and _runs_at_module_level(statement.value, scope) \
                    or (kind is ast.FunctionDef or kind is ast.AsyncFunctionDef) and statement.decorator_list:
                # A decorated function is what its decorators make of it (the index left it unknown).
                propagator.exec_statement(statement, scope)
            elif kind is ast.Try and positions.starts_line(statement.body[0]):
                _execute_block(statement.body, scope, propagator, positions)
            elif kind is ast.Expr and type(statement.value) is ast.Call:
                _forget_given(statement.value, scope)
            elif kind is ast.With and _opens_files(statement):
                # `with open("config.json") as f:` and what its body reads (the same statements).
                files = enter_with(propagator, statement, scope)
                try:
                    if len(files) == len(statement.items):
                        _execute_block(statement.body, scope, propagator, positions)
                finally:
                    for file in files:
                        file.closed = True
        except (_Return, _Break, _Continue, _Abort):
            continue


def _opens_files(statement: ast.With) -> bool:
    """``with open(...) as f, open(...) as g:``: a module-level ``with`` whose body runs (any
    other, ``with torch.no_grad():``, holds work, not configuration)."""
    return all(type(item.context_expr) is ast.Call and type(item.context_expr.func) is ast.Name
               and item.context_expr.func.id == "open" for item in statement.items)


def _forget_given(call: ast.Call, scope: Scope) -> None:
    """A call the module's code makes but the analysis does not run (``add_model_args(parser)``):
    the objects it is given by name may be changed by it."""
    for argument in list(call.args) + [keyword.value for keyword in call.keywords]:
        if type(argument) is ast.Starred:
            argument = argument.value
        if type(argument) is ast.Name:
            value = scope.lookup(argument.id)
            if isinstance(value, ConfigObject):
                value.forget()


def _runs_at_module_level(node: ast.expr, scope: Scope) -> bool:
    """``parser.add_argument(...)``, ``layers.append(...)``: a method of a named value, which
    fills it; ``print(opt)``: a builtin. A call of the file's function (``main()``) is not run:
    it is not configuration."""
    if type(node) is not ast.Call:
        return False
    func = node.func
    if type(func) is ast.Attribute:
        return dotted_name(func.value) is not None
    return type(func) is ast.Name and isinstance(scope.lookup(func.id), BuiltinRef)


# --------------------------------------------------------------------------- one model


def run_model(propagator: Propagator, plan: ModelPlan, positions: Positions, path: str) -> ModelTrace:
    """Build the model as planned and call it on its declared input (with none declared, on a
    probe: ``_run_probed``)."""
    if plan.input is None:
        return _run_probed(propagator, plan, positions, path)
    trace = None
    spec = plan.input.spec
    if plan.input_shape is None and spec.variadic_index is not None:
        trace = _run_variadic(propagator, plan, spec, positions, path)
    if trace is None:
        trace = _attempt(propagator, plan, plan.input_shape, plan.sizes, positions, path)
    return trace


def _run_probed(propagator: Propagator, plan: ModelPlan, positions: Positions, path: str) -> ModelTrace:
    """The run of a model with no declared input, on a symbolic input shaped by its first layer
    (``probe.Probe``): of the usual rank, its shapes and findings. An error there is reported
    only when the input of each other rank the first layer takes fails too (a Conv2d also takes
    unbatched input, a Linear leading dims): certain for every input, not for a guessed rank."""
    names = fresh_probe_names(plan.names_in_use | propagator.declared_names)
    trace = _attempt(propagator, plan, None, plan.sizes, positions, path, Probe(names))
    probe = trace.probe
    channels = _pinned_channels(probe, trace.conditions) if probe is not None else None
    if channels is not None:
        # A first layer that does not fix the channels (a reflection pad), a later one that
        # does for every size: the model again with those channels, so its shapes say them.
        probe = probe.again(channels=channels)
        trace = _attempt(propagator, plan, None, plan.sizes, positions, path, probe)
    variants = probe.variants if probe is not None else 0
    if not any(_is_error(f) for f in trace.findings):
        return trace
    for variant in range(1, variants):
        other = _attempt(propagator, plan, None, plan.sizes, positions, path, probe.again(variant))
        if not any(_is_error(f) for f in other.findings):
            return trace._replace(findings=tuple(f for f in trace.findings if not _is_error(f)))
    return trace


def _is_error(finding: Finding) -> bool:
    return finding.code.startswith("SHP1")


def _no_size_runs(conditions: Tuple[Condition, ...]) -> Tuple[Finding, ...]:
    """The operation whose condition on the sizes, with those of the operations before it,
    leaves no size: PyTorch fails there or before for every input (each condition alone may
    hold for some, ``t == 1`` of a sum after ``t >= 3`` of a convolution). Nothing when every
    size that runs so far is possible, or the sets are out of reach."""
    from ..core import symbolic

    combined = symbolic.Constraint.true()
    known = [c for c in conditions if c.constraint is not None]
    try:
        for index, condition in enumerate(known):
            before = combined
            combined = combined & condition.constraint
            if not combined.is_empty():
                continue
            # The earliest operation that alone leaves no size with this one is where the sizes
            # went wrong first (a residual sum of h + 1 rows with h, before a convolution that
            # needs more than the one size that sum takes); else this one, after all of them.
            earlier = next((c for c in known[:index] if (c.constraint & condition.constraint).is_empty()), None)
            if earlier is not None and earlier.code == condition.code == CHANNEL_MISMATCH:
                # Two layers that count the same flattened features differently (a VAE's
                # fc_mu and fc_var): certain, but which count is wrong only a size can say.
                return ()
            if earlier is not None:
                message = (f"no input size runs the model: this needs {_conjunction(earlier.constraint)},"
                           f" what runs after it {_conjunction(condition.constraint)}")
                return (Finding(earlier.code, message, earlier.node, earlier.statement),)
            message = (f"no input size runs the model: this needs {_conjunction(condition.constraint)},"
                       f" what runs before it {_conjunction(before)}")
            return (Finding(condition.code, message, condition.node, condition.statement),)
    except (ValueError, TypeError, ArithmeticError):  # symbolic.Inexact
        return ()
    return ()


def _pinned_channels(probe: Probe, conditions: Tuple[Any, ...]) -> Optional[int]:
    """The one channel count PyTorch can run the model with, when the probe's channels are a
    name (``c``) that the conditions met fix (``c == 16``, a convolution's in_channels after a
    pad); None otherwise."""
    name = probe.named_channels
    if name is None or not any(c is not None and name in c.names() for c in conditions):
        return None
    from ..core import symbolic

    try:
        combined = symbolic.Constraint.true()
        for condition in conditions:
            if condition is not None and name in condition.names():
                combined = combined & condition
        values = combined.of_name(name)
        value = values.smallest()
        return value if value is not None and values == symbolic.where_eq(symbolic.name(name), value).of_name(name) \
            else None
    except (ValueError, TypeError, ArithmeticError):  # symbolic.Inexact
        return None


def _run_variadic(propagator: Propagator, plan: ModelPlan, spec: ShapeSpec, positions: Positions,
                  path: str) -> Optional[ModelTrace]:
    """The run of a model whose input is declared with ``*batch`` / ``...`` and no concrete size:
    the variadic is given one dim, then two (fresh names), and what is reported is what holds
    for both, or everything of the one-dim run when two dims are too many for a layer (a Conv2d
    takes 3 or 4). None when one dim is too few for a layer: the rank is not known."""
    wide_sizes = dict(plan.sizes)
    wide = _attempt(propagator, plan, _variadic_input(plan, spec, wide_sizes, 2), wide_sizes, positions, path)
    wide_keys = {_finding_key(f) for f in wide.findings}
    narrow_sizes = dict(plan.sizes)
    narrow = _attempt(propagator, plan, _variadic_input(plan, spec, narrow_sizes, 1), narrow_sizes, positions, path)
    if not narrow.built:
        return None
    keys = {_finding_key(f) for f in narrow.findings}
    narrow_rank = {k for k in keys if k[0] == WRONG_RANK}
    wide_rank = {k for k in wide_keys if k[0] == WRONG_RANK}
    if narrow_rank - wide_rank:
        return None
    if not wide_rank - narrow_rank:
        narrow = narrow._replace(findings=tuple(f for f in narrow.findings if _finding_key(f) in wide_keys))
    return narrow


def _variadic_input(plan: ModelPlan, spec: ShapeSpec, sizes: Dict[str, Any], count: int) -> MaybeShape:
    """The declared input with ``count`` dims of fresh names for its variadic (``batch``, or
    ``batch0``, ``batch1``), bound in ``sizes`` so that ``*batch`` in the output is the same."""
    variadic = spec.dims[spec.variadic_index]
    names = _fresh_names(getattr(variadic, "name", None) or "batch", count, plan.names_in_use)
    if getattr(variadic, "name", None) is not None and not variadic.broadcastable:
        sizes["*" + variadic.name] = names
    return spec.resolve(sizes, fill=names)


def _fresh_names(base: str, count: int, taken) -> Tuple[str, ...]:
    """``count`` names for the dims a variadic stands for, none of them a name already declared:
    ``batch``, or ``batch0``, ``batch1``..."""
    if count == 1 and base not in taken:
        return (base,)
    names = []
    index = 0
    while len(names) < count:
        name = f"{base}{index}"
        if name not in taken:
            names.append(name)
        index += 1
    return tuple(names)


def _finding_key(finding: Finding) -> Tuple:
    """What a finding is about, the same in two runs of a model on inputs of different ranks."""
    return (finding.code, id(finding.node), id(finding.statement), finding.anchor_line)


def _attempt(propagator: Propagator, plan: ModelPlan, input_shape: MaybeShape, sizes: Mapping[str, Any],
             positions: Positions, path: str, probe: Optional[Probe] = None) -> ModelTrace:
    """Run the model on ``input_shape`` (or on ``probe``) and compare its output with the
    declared one."""
    instance, output = _build_and_call(propagator, plan, input_shape, sizes, probe)
    run = propagator.model_run()
    if instance is None:
        return ModelTrace(plan, False, (), None, (), run.producers, run.constructions, run.stopped,
                          MappingProxyType({}), probe=probe)
    if probe is not None:
        input_shape = probe.shape
    output_shape = shape_of(output)
    findings = run.findings
    declared_shape: MaybeShape = None
    if plan.output is not None:
        declared_shape, mismatch = _compare_output(plan, output, sizes)
        if mismatch is not None:
            findings += (mismatch,)
    stopped = run.stopped
    if stopped is not None and not (run.steps > MAX_STEPS or plan.output is not None
                                    and not _checked(output_shape, declared_shape)):
        stopped = None  # the budget left nothing unchecked: neither the model's code nor its output
    if stopped is None and plan.input is not None and run.unknowns:
        stopped = _first_unknown(run.unknowns[0])
    modules = tuple(instance.named_modules())
    named = {id(module): name for name, module in modules}
    for name, module in modules:  # a layer subclass's layer is the module itself, by its name
        base = getattr(module, "base_layer", None)
        if base is not None:
            named.setdefault(id(base), name)
    names = MappingProxyType(named)
    why = UnknownReasons(run.unknowns, names, plan.input is None, run.stopped)
    layers = [LayerShape(name, module.type_name, _module_line(module, plan.line, positions),
                         public_shape(module.first_input), public_shape(module.first_output), why.of(module),
                         _module_file(module, path))
              for name, module in modules if name]
    if input_shape is not None and any(is_symbolic(d) for d in input_shape) \
            and not any(_is_error(f) for f in findings):
        findings += _no_size_runs(run.conditions)
    followed = stopped is None and not run.unknowns and _all_tensors_known(output)
    combined = _combined(input_shape, run.accepts) if followed else None
    if combined is not None and any(_is_error(f) and f.code != SHAPE_MISMATCH for f in findings):
        combined = combined.false()  # PyTorch rejects the model: for no size at all
    accepts = _conditions(combined)
    if combined is not None and (plan.input is not None or plan.output is not None) \
            and not any(f.code == SHAPE_MISMATCH for f in findings):
        findings += _size_findings(plan, output_shape, declared_shape, combined,
                                   output if isinstance(output, Tensor) else None)
    shapes = ModelShapes(plan.name, path, plan.line, public_shape(input_shape),
                         public_shape(output_shape), public_shape(declared_shape), layers,
                         statements=statement_shapes(run.statements, why), accepts=accepts,
                         input_probed=plan.input is None and input_shape is not None)
    return ModelTrace(plan, True, modules, shapes, findings, run.producers, run.constructions, stopped, names,
                      _all_tensors_known(output), run.joins, probe, run.accepts)


def statement_shapes(runs: Tuple[StatementRun, ...], why: "UnknownReasons") -> List[StatementShape]:
    """What each statement gave, for an editor. A value that is not known at all is kept only
    where tracking stopped for a reason of that statement's own (an unknown call on a tensor),
    since elsewhere it need not be a tensor."""
    shapes: List[StatementShape] = []
    for run in runs:
        statement = run.statement
        if run.first == (None,) and not why.stops_at(statement):
            continue
        end = getattr(statement, "end_lineno", None) or statement.lineno
        shapes.append(StatementShape(statement.lineno, end, _public_shapes(run.first), run.runs,
                                     _public_shapes(run.last) if run.runs > 1 else (),
                                     why.of_statement(statement, run.first, run.calls_begun)))
    return shapes


def _public_shapes(shapes):
    """Each shape of a statement's value as the results hold it (``public_shape``)."""
    return tuple(public_shape(shape) for shape in shapes)


def public_shape(shape: MaybeShape) -> MaybeShape:
    """A shape as the results hold it: an expression of names as its Python text (``(h + 1)//2``),
    so that JSON, the cache and other processes read plain ints and strings."""
    if shape is None:
        return None
    return tuple(d if d is None or isinstance(d, (int, str)) else str(d) for d in shape)


def _combined(input_shape: MaybeShape, conditions: Tuple[Any, ...]) -> Any:
    """The conjunction of the conditions under which PyTorch runs a model followed to its end
    (a ``symbolic.Constraint``); None for an input without names or with a size not known (a
    probe whose channels are not), or a condition out of reach (a None among them)."""
    if input_shape is None or not any(is_symbolic(d) for d in input_shape) or None in input_shape \
            or None in conditions:
        return None
    from ..core import symbolic

    try:
        combined = symbolic.Constraint.true()
        for condition in conditions:
            combined = combined & condition
        return combined
    except (ValueError, TypeError, ArithmeticError):  # symbolic.Inexact
        return None


def _conditions(combined: Any) -> Optional[List[str]]:
    """The model's ``accepts``: Python conditions whose conjunction is ``combined``."""
    if combined is None:
        return None
    try:
        return combined.conditions()
    except (ValueError, TypeError, ArithmeticError):
        return None


def _size_findings(plan: ModelPlan, output: MaybeShape, declared: MaybeShape, accepts: Any,
                   tensor: Optional[Tensor] = None) -> Tuple[Finding, ...]:
    """Over the symbolic sizes of the declared input (or of the probe): SHP101 when the output
    misses the declared one wherever the model runs; with a declared input, SHP203 when the sizes
    it runs (and fits) on have gaps, with the smallest counterexample; nothing for a mere minimum
    size, nor where it is out of reach."""
    fit = _fitting(output, declared, accepts)
    if fit is None or accepts.is_empty():
        return ()
    anchor = (plan.line, 1) if plan.input is None or plan.input.source in ("cli", "config") \
        else (plan.input.line, plan.input.column)
    if fit.is_empty():
        finding = Finding(
            SHAPE_MISMATCH,
            f"{plan.name}: output {format_shape(output)} differs from the declared {format_shape(declared)}"
            f" for every size the model accepts ({_conjunction(accepts)})",
            None, None, target=declared, tensor=tensor,
            declared=None if plan.output is None else Declared(plan.output.spec, plan.output.line, plan.output.source))
        if plan.output is not None and plan.output.source not in ("cli", "config"):
            anchor = (plan.output.line, plan.output.column)
        finding.anchor_line = anchor
        return (finding,)
    if plan.input is None:
        return ()  # gaps in the sizes a probe takes are no declaration's gaps: its `accepts` says
    for name in fit.names():
        sizes = fit.of_name(name)
        lowest = sizes.smallest()
        gap = sizes.smallest_missing(lowest) if lowest is not None else None
        if gap is not None:
            finding = Finding(
                SIZE_GAPS,
                f"{plan.name}: runs{' and fits its declared output' if declared is not None else ''}"
                f" only where {_conjunction(fit)}: {name} = {lowest} works, {name} = {gap} does not",
                None, None)
            finding.anchor_line = anchor
            return (finding,)
    return ()


def _fitting(output: MaybeShape, declared: MaybeShape, accepts: Any) -> Any:
    """``accepts`` narrowed to where the output equals the declared output; None when that is
    out of reach (an unknown dim, a rank that differs, a condition over several names)."""
    if declared is None:
        return accepts
    if output is None or len(output) != len(declared):
        return None
    from ..core import symbolic

    fit = accepts
    try:
        for got, wanted in zip(output, declared):
            if got is None or wanted is None:
                continue
            if is_symbolic(got) or is_symbolic(wanted):
                fit = fit & symbolic.where_eq(as_expression(got), as_expression(wanted))
    except (ValueError, TypeError, ArithmeticError):  # symbolic.Inexact
        return None
    return fit


def _conjunction(constraint: Any) -> str:
    conditions = constraint.conditions()
    return " and ".join(conditions) if conditions else "every size"


def _all_tensors_known(value: Any) -> bool:
    """Whether ``value`` holds tensors only (nested in tuples, lists, dicts), each of fully
    known shape."""
    if isinstance(value, Tensor):
        return value.shape is not None and None not in value.shape
    if isinstance(value, (tuple, list)):
        return bool(value) and all(_all_tensors_known(item) for item in value)
    if isinstance(value, dict):
        return bool(value) and all(_all_tensors_known(item) for item in value.values())
    return False


def _first_unknown(source: UnknownSource) -> Stop:
    """SHP301's stop at the first unknown of a model: where, why, and what to declare."""
    if source.node is not None and source.module is not None:
        return f"{source.reason}; declare its output with `# shapelint: output=(...)` after its constructor", \
            source.node
    where = source.node if source.node is not None else source.statement
    return f"{source.reason}; declare the shape with `# shapelint: output=(...)` on this statement", where


class UnknownReasons(NamedTuple):
    """Why each module of a model has an unknown output (``shapes``' ``unknown_reason``)."""

    unknowns: Tuple[UnknownSource, ...]
    #: id(module) -> its name in the model.
    names: Mapping[int, str]
    #: True when the model has no declared input (its sizes are then not all known).
    undeclared: bool
    #: The budget that ran out, if one did.
    stopped: Optional[Stop]

    def of(self, module: ModuleValue) -> Optional[str]:
        """None when the module's output is known."""
        output = module.first_output
        if output is not None and None not in output:
            return None
        own = [u for u in self.unknowns if u.module is module]
        if own:
            return own[0].reason
        if isinstance(module, (ModuleListModule, ModuleDictModule)):
            return f"a {module.type_name} is never called, only its items are"
        if not module.called:
            return self.stopped[0] if self.stopped is not None else "it is not called when the model runs"
        earlier = next((u for u in self.unknowns if u.order <= module.call_end), None)
        if earlier is not None:
            label = self._label(earlier)
            if earlier.order >= module.call_order:
                return f"{label} inside it is unknown: {earlier.reason}"
            return f"its input is unknown (from {label})"
        if self.stopped is not None:
            return self.stopped[0]
        if self.undeclared:
            return "the model has no declared input, so this size is not known"
        if module.incomplete:
            return "its submodules could not all be evaluated"
        return "part of what it computes could not be evaluated"

    def stops_at(self, statement: ast.stmt) -> bool:
        """Whether tracking stopped at ``statement`` for a reason of its own."""
        return any(u.statement is statement and u.module is None for u in self.unknowns)

    def of_statement(self, statement: ast.stmt, shapes: Tuple[MaybeShape, ...], calls_begun: int) -> Optional[str]:
        """Why what a statement gave is not (fully) known; None when it is."""
        if all(shape is not None and None not in shape for shape in shapes):
            return None
        own = [u for u in self.unknowns if u.statement is statement and u.module is None]
        if own:
            return own[0].reason
        earlier = next((u for u in self.unknowns if u.order <= calls_begun), None)
        if earlier is not None:
            return f"it depends on an unknown (from {self._label(earlier)}): {earlier.reason}"
        if self.stopped is not None:
            return self.stopped[0]
        if self.undeclared:
            return "the model has no declared input, so this size is not known"
        return "part of what it computes could not be evaluated"

    def _label(self, source: UnknownSource) -> str:
        if source.module is not None and id(source.module) in self.names:
            return f"`{self.names[id(source.module)]}`"
        where = source.node if source.node is not None else source.statement
        line = getattr(where, "lineno", None)
        if line is None:
            return "a call"
        return f"`{excerpt(where)}` on line {line}" if isinstance(where, ast.Call) else f"line {line}"


def _compare_output(plan: ModelPlan, output: Any, sizes: Mapping[str, Any]) -> Tuple[MaybeShape, Optional[Finding]]:
    """The declared output shape (names as the inputs bound them) and, when the output
    contradicts it, the model's SHP101. A variadic aligns the dims after it from the right (as
    jaxtyping does), so the fixed dims there are still compared."""
    declaration = plan.output
    spec = declaration.spec
    match_sizes = dict(sizes)
    declared_shape = spec.resolve(match_sizes)
    if not isinstance(output, Tensor):
        return declared_shape, None
    output_shape = output.shape
    problem = spec.match(output_shape, match_sizes)
    extra = len(output_shape) - spec.min_rank if output_shape is not None else -1
    if declared_shape is None and spec.variadic_index is not None and extra >= 0:
        # The variadic stands for what the output has there: the target of a fix.
        start = spec.variadic_index
        declared_shape = spec.resolve(match_sizes, fill=output_shape[start:start + extra])
    if problem is None:
        return declared_shape, None
    finding = Finding(
        SHAPE_MISMATCH,
        f"{plan.name}: output {format_shape(output_shape)} differs from the declared"
        f" {_declared_text(spec)} ({problem})",
        None, None, target=declared_shape, tensor=output,
        declared=Declared(spec, declaration.line, declaration.source),
    )
    in_file = declaration.source not in ("cli", "config")
    finding.anchor_line = (declaration.line, declaration.column) if in_file else (plan.line, 1)
    return declared_shape, finding


def _declared_text(spec: ShapeSpec) -> str:
    text = spec.text.strip()
    if text.startswith(("(", "[")):
        return text
    return f"'{text}'"


def _checked(output: MaybeShape, declared: MaybeShape) -> bool:
    """Whether every dim the declaration fixes is known in the output (so it was compared)."""
    if output is None:
        return False
    if declared is None or len(declared) != len(output):
        return all(d is not None for d in output)
    return all(o is not None or d is None for o, d in zip(output, declared))


def _build_and_call(propagator: Propagator, plan: ModelPlan, input_shape: MaybeShape,
                    sizes: Mapping[str, Any], probe: Optional[Probe]) -> Tuple[Optional[ModuleValue], Any]:
    """Build the model (as ``plan.build``, an example, builds it) and call it on the input (the
    probe's placeholder when there is one); the other tensor parameters of ``forward`` get their
    declared shapes under ``sizes``."""
    x = probe.placeholder if probe is not None else Tensor(input_shape)
    propagator.begin_model(probe=probe)
    try:
        if plan.info is not None:
            if plan.construction is not None:
                args, kwargs = _explicit_arguments(plan.construction)
            else:
                args, kwargs = _build_arguments(propagator, plan.build, plan.build_locals)
            propagator.calling = plan.build  # another file's model: its example is the place
            instance = propagator.instantiate(plan.info, args, kwargs, None)
        else:
            propagator.statement = plan.statement  # where the layers the expression builds are
            instance = propagator.eval(plan.value, Scope(propagator.globals))
    except _Abort:  # a budget ran out while building it (noted in propagator.stopped)
        instance = UNKNOWN
    if not isinstance(instance, ModuleValue):
        return None, None
    instance.node = None
    propagator.calling = plan.build
    try:
        return instance, propagator.call_module(instance, [x], _forward_arguments(plan, sizes), None)
    except _Abort:  # a budget ran out in forward (noted in propagator.stopped)
        return instance, UNKNOWN


def _explicit_arguments(construction: Construction) -> Tuple[list, Dict[str, Any]]:
    """The literal arguments given with ``--init``, a pragma or the configuration; when they do
    not bind to ``__init__`` (reported as SHP002), unknown ones: never the defaults."""
    if not construction.fits:
        return [STAR_UNKNOWN], {}
    return interpreter_arguments(construction.arguments)


def _build_arguments(propagator: Propagator, build: Optional[ast.Call],
                     build_locals: Mapping[str, Any]) -> Tuple[list, Dict[str, Any]]:
    """The arguments of an example's constructor call, as the interpreter evaluates them where
    the call is; arguments that cannot be bound (``**config`` unknown) build the model with
    them unknown, never with the defaults."""
    if build is None or not build.args and not build.keywords:
        return [], {}
    with propagator.silenced():
        call = copy.copy(build)  # never change the shared tree
        call.func = ast.copy_location(ast.Name(id="__shapelint_capture__", ctx=ast.Load()), call.func)
        captured = propagator.eval(call, Scope(dict(propagator.globals, __shapelint_capture__=ArgumentCapture()),
                                               fresh_locals(build_locals)))
    if isinstance(captured, tuple) and len(captured) == 2 and isinstance(captured[1], dict):
        return list(captured[0]), captured[1]
    return [STAR_UNKNOWN], {}


def _forward_arguments(plan: ModelPlan, sizes: Mapping[str, Any]) -> Dict[str, Any]:
    """The parameters of ``forward`` after the input: a declared tensor, or unknown when it has
    no default."""
    kwargs: Dict[str, Any] = {}
    found = plan.info.find_method("forward") if plan.info is not None else None
    if found is None:
        return kwargs
    arguments = found[1].args
    params = list(arguments.posonlyargs) + list(arguments.args)
    required = len(params) - len(arguments.defaults)  # defaults are the last ones
    for position, param in enumerate(params[2:], 2):
        declaration = plan.extra_inputs.get(param.arg)
        if declaration is not None:
            kwargs[param.arg] = Tensor(declaration.spec.resolve(sizes))
        elif position < required:
            kwargs[param.arg] = UNKNOWN
    return kwargs


def _module_file(module: ModuleValue, path: str) -> Optional[str]:
    """The other file of the project whose code builds the module (None: the analysed file)."""
    away = module.elsewhere
    if away is None or not away.path:
        return None
    return away.path_beside(path)


def _module_line(module: ModuleValue, default: int, positions: Positions) -> int:
    """The line that builds the module: of the analysed file, or of the other file that
    ``_module_file`` names."""
    if module.elsewhere is not None:
        if module.elsewhere.path:
            return module.elsewhere.line
        anchor = module.elsewhere.anchor
        lines = positions.statement_lines(anchor) if anchor is not None else None
        return lines[0] if lines else default
    if module.node is None and module.statement is not None and not positions.owns(module.statement):
        return default
    if isinstance(module.node, ast.Call) and module.statement is not None:
        where = positions.call(module.node, module.statement)
        if where is not None:
            return where[0][0]
    if module.statement is not None:
        lines = positions.statement_lines(module.statement)
        if lines:
            return lines[0]
    return default
