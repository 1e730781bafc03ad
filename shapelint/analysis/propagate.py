"""Shape propagation: the interpreter of ``evaluate.py`` with torch semantics.

Its hooks hand each torch operation to the registries of ``torch_semantics`` (tensor methods,
``torch.X`` and ``F.X`` functions, module methods and calls); this class builds the values
(layers, containers, user modules), records findings and the step that made each tensor. Every
shape formula is the core's (``LAYERS``, ``broadcast``); what is not known gives an unknown
shape, never a guess. Findings are recorded with the ``ast`` node they belong to and turned into
diagnostics (with positions and fixes) by ``analyze.py``.
"""

from __future__ import annotations

import ast
import contextlib
import functools
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable, Dict, FrozenSet, List, Mapping, NamedTuple, Optional, Sequence, Tuple

from ..core.codes import NON_POSITIVE_SIZE, SHAPE_MISMATCH, ShapeError
from ..core.layers import LAYERS, UNKNOWN, BindError
from ..core.shapes import MaybeShape, format_shape
from .collect import ClassInfo, FileIndex, constructions_of
from .evaluate import _STAR_UNKNOWN, Interpreter, Scope, _Abort, _Break, _Continue, _Return
from .torch_semantics import operations
from .torch_semantics.functions import call_torch
from .torch_semantics.module_calls import MODULE_CALLS, add_submodules
from .torch_semantics.module_methods import (
    CONTAINERS,
    MODULE_METHODS,
    UnknownItems,
    base_init,
    fill_container,
    layer_attribute,
)
from .torch_semantics.shape_ops import plain, shape_of
from .torch_semantics.tensor_methods import TENSOR_METHODS
from .unknown_reasons import ReasonIndex
from .values import (
    Elsewhere,
    BoundMethod,
    ClassRef,
    ExternalRef,
    FunctionRef,
    LayerModule,
    MethodRef,
    ModuleValue,
    OpaqueModule,
    Tensor,
    TorchRef,
    UserModule,
)

__all__ = ["Finding", "Propagator", "Step", "shape_of"]  # shape_of: analyze.py imports it from here


@dataclass(eq=False)
class Finding:
    """A diagnostic before positions: where (a node in a statement) and what."""

    code: str
    message: str
    node: Optional[ast.AST]
    statement: Optional[ast.stmt]
    layer: Optional[LayerModule] = None
    error: Optional[ShapeError] = None
    input_shape: MaybeShape = None
    #: For SHP101: the shape the layer (or statement) should produce.
    target: MaybeShape = None
    #: For SHP101: the tensor that missed its declaration (its producers give the chain).
    tensor: Optional[Tensor] = None
    declared: Optional[Any] = None
    #: For SHP106: (tensor, the shape it would need) per operand.
    operands: List[Tuple[Tensor, MaybeShape]] = field(default_factory=list)
    #: For a layer's error: the tensor that arrived (its chain names the layer that made it).
    tensor_in: Optional[Tensor] = None
    #: Where to report when the finding has no node (a model's declaration).
    anchor_line: Optional[Tuple[int, int]] = None
    #: Set when the finding is in code of another file (reported at its ``anchor``).
    elsewhere: Optional[Elsewhere] = None


@dataclass(eq=False)
class Step:
    """One operation on the path of a tensor: how its output follows from its input."""

    module: Optional[ModuleValue]
    input: Any
    output: Tensor
    #: Recomputes the output shape for another input shape (raises ShapeError); None when the
    #: output does not depend on one input alone (torch.cat, a binary op of two tensors).
    recompute: Optional[Callable[[MaybeShape], MaybeShape]]
    label: str
    #: True for a residual sum followed through one operand only: a chain through it is a
    #: guess about the other operand, so a fix found through it is re-checked on the whole file.
    approximate: bool = False
    order: int = 0
    #: ``recompute`` with the layer's parameters as written, where an error found here made the
    #: analysis go on with them fixed (None: the same as ``recompute``).
    recompute_as_written: Optional[Callable[[MaybeShape], MaybeShape]] = None

    def output_for(self, shape: MaybeShape, as_written: bool = False) -> MaybeShape:
        """The output for another input shape (raises ShapeError); ``as_written``: with the
        parameters as the code has them, not as after the fix of an error found here (a fix
        is checked both ways)."""
        if as_written and self.recompute_as_written is not None:
            return self.recompute_as_written(shape)
        return self.recompute(shape)


class Join(NamedTuple):
    """A tensor whose size along ``axis`` is made of other tensors' sizes there, an operation
    no single-input ``Step`` describes: a concatenation (the sum of ``parts``), or one of
    ``pieces`` equal pieces ``chunk`` cut from ``parts[0]``."""

    output: Tensor
    parts: Tuple[Tensor, ...]
    axis: int
    #: 0 for a concatenation.
    pieces: int = 0


class UnknownSource(NamedTuple):
    """A place where shape tracking stopped: a module or a call whose result is unknown for a
    reason of its own (not because its input was)."""

    #: In the model's count of module calls: what came after it may depend on it.
    order: int
    #: The unknown module, or None for a call that is not one.
    module: Optional[ModuleValue]
    reason: str
    #: Where it is written (a constructor call, the call in ``forward``), and its statement.
    node: Optional[ast.AST]
    statement: Optional[ast.stmt]


class StatementRun:
    """What one simple statement gave while a model ran: the shapes of the tensors of its value
    (``tensor_shapes``) on its first run, the module calls begun by then, and how many times it
    ran, with the shapes of its last run."""

    __slots__ = ("statement", "first", "calls_begun", "runs", "last")

    def __init__(self, statement: ast.stmt, first: Tuple[Any, ...], calls_begun: int) -> None:
        self.statement = statement
        self.first = first
        self.calls_begun = calls_begun
        self.runs = 1
        self.last = first


def tensor_shapes(value: Any) -> Optional[Tuple[Any, ...]]:
    """The shapes of a statement's value when it is a tensor or a tuple or list of tensors
    (``(None,)`` for an unknown value, which may be a tensor); None for anything else."""
    if isinstance(value, Tensor):
        return (value.shape,)
    if value is UNKNOWN:
        return (None,)
    if type(value) in (tuple, list) and value and len(value) <= 8 \
            and all(isinstance(item, Tensor) for item in value):
        return tuple(item.shape for item in value)
    return None


class Condition(NamedTuple):
    """A condition on the symbolic sizes under which PyTorch runs an operation, and where."""

    #: A ``symbolic.Constraint``; None: a condition that could not be known.
    constraint: Any
    #: What PyTorch raises where it does not hold (SHP105 a size, SHP106 operands, SHP102 a count).
    code: str
    node: Optional[ast.AST]
    statement: Optional[ast.stmt]


class ConditionLog(list):
    """The conditions the shape rules add (``append``, or ``add`` with the code of what PyTorch
    raises), each also recorded with the operation running then (``places``)."""

    def __init__(self, propagator: "Propagator") -> None:
        super().__init__()
        self.propagator = propagator
        self.places: List[Condition] = []
        #: (code, node, statement) of the operation running; None: the statement running.
        self.current: Optional[Tuple[str, Optional[ast.AST], Optional[ast.stmt]]] = None

    def append(self, constraint: Any) -> None:
        self.add(constraint, None)

    def add(self, constraint: Any, code: Optional[str]) -> None:
        super().append(constraint)
        where = self.current
        statement = where[2] if where is not None and where[2] is not None else self.propagator.statement
        self.places.append(Condition(constraint, code or (where[0] if where is not None else NON_POSITIVE_SIZE),
                                     where[1] if where is not None else None, statement))


class ModelRun(NamedTuple):
    """What the Propagator recorded while it built and called one model."""

    findings: Tuple[Finding, ...]
    #: id(tensor) -> the operation that produced it (``suggest.chain_of`` follows them back).
    producers: Mapping[int, Step]
    #: id(constructor call) -> how many times it ran (a layer built in a loop is several).
    constructions: Mapping[int, int]
    #: The first budget that ran out: (why, the statement running then); None: none did.
    stopped: Optional[Tuple[str, Optional[ast.stmt]]]
    #: Statements and comprehension items run.
    steps: int
    #: Where shape tracking stopped, in the order met (the first is SHP301's).
    unknowns: Tuple[UnknownSource, ...] = ()
    #: id(tensor) -> the concatenation or chunk that made it (``suggest.count_producers``).
    joins: Mapping[int, Join] = MappingProxyType({})
    #: What each simple statement of the analysed file gave, in the order first run.
    statements: Tuple[StatementRun, ...] = ()
    #: The conditions on the symbolic sizes under which PyTorch runs the model.
    accepts: Tuple[Any, ...] = ()
    #: For a model with no declared input: its probe (``probe.Probe``), shaped by its first layer.
    probe: Optional[Any] = None
    #: ``accepts`` with the operation that needs each condition, in the order met.
    conditions: Tuple[Condition, ...] = ()


class Propagator(Interpreter):
    """The interpreter with torch semantics, recording findings and each tensor's producer."""

    def __init__(self, index: FileIndex, layer_pragmas: Optional[Mapping[int, Any]] = None,
                 call_end_line: Optional[Callable[[ast.Call, ast.stmt], Optional[int]]] = None,
                 after_statement: Optional[Callable[["Propagator", ast.stmt, Scope, Any], None]] = None) -> None:
        super().__init__(index)
        #: Pragmas trailing layer constructors: line -> Declared.
        self.layer_pragmas: Mapping[int, Any] = layer_pragmas or {}
        #: The line a constructor call ends on (where its trailing pragma is).
        self.call_end_line = call_end_line
        #: The statement pragmas' check, with this propagator (None: the file has none).
        self._pragma_check = functools.partial(after_statement, self) if after_statement is not None else None
        # Called after each statement: records what it gave, then checks its pragma.
        self.after_statement = self._after_statement
        self.instances: List[UserModule] = []
        #: Why values are unknown, read from the file once, when first asked.
        self.reasons = ReasonIndex(index.module)
        #: id(layer call) -> the names its arguments read (``_argument_names``).
        self._names_read: Dict[int, Tuple[str, ...]] = {}
        #: The names the file's declarations use (a probe's names are others).
        self.declared_names: FrozenSet[str] = frozenset()
        self.begin_model()

    # ----------------------------------------------------------------- per-model state

    def begin_model(self, probe: Optional[Any] = None) -> None:
        """Start recording a model: nothing found, every budget whole. ``probe`` (a
        ``probe.Probe``) holds the input of a model with no declared input: its first layer
        decides its rank and channels.

        What was recorded before stays as ``model_run()`` gave it: the containers are new."""
        self.findings: List[Finding] = []
        self._reported: Dict[tuple, Finding] = {}
        self.producers: Dict[int, Step] = {}
        self.joins: Dict[int, Join] = {}
        self.constructions: Dict[int, int] = {}
        self.attached_pragma_lines: set = set()
        self.probe = probe
        #: The conditions on the symbolic sizes under which PyTorch runs the model
        #: (``symbolic.Constraint``s, one per operation that restricts them); read through
        #: ``accepts``, which code that may not run as written does not add to.
        self._accepts = ConditionLog(self)
        #: Module calls begun (their ``call_order``), and the unknowns met (``UnknownSource``).
        self.calls_begun = 0
        self.unknowns: List[UnknownSource] = []
        #: id(statement) -> what it gave (``StatementRun``), in the order first run.
        self.statement_runs: Dict[int, StatementRun] = {}
        # The interpreter's state (evaluate.py): nothing silenced, running or returning.
        self.silent = 0
        self.steps = 0
        self.stopped = None
        self.depth = 0
        self.return_stack = []
        self.active = []
        self.function_calls = []
        self.torch_call_scope = None

    def model_run(self) -> "ModelRun":
        """What has been recorded since ``begin_model``."""
        return ModelRun(tuple(self.findings), MappingProxyType(self.producers),
                        MappingProxyType(self.constructions), self.stopped, self.steps, tuple(self.unknowns),
                        MappingProxyType(self.joins), tuple(self.statement_runs.values()),
                        tuple(self._accepts), self.probe, tuple(self._accepts.places))

    @contextlib.contextmanager
    def needing(self, code: str, node: Optional[ast.AST] = None, statement: Optional[ast.stmt] = None):
        """While this runs, the conditions added are needed by this operation (``ConditionLog``)."""
        log = self._accepts
        saved = log.current
        log.current = (code, node, statement)
        try:
            yield
        finally:
            log.current = saved

    @property
    def accepts(self) -> Optional[list]:
        """The list the rules add their conditions on symbolic sizes to; None while silenced:
        code that may not run (a branch not known to be taken) restricts no size."""
        return None if self.silent else self._accepts

    def _after_statement(self, statement: ast.stmt, scope: Scope, value: Any) -> None:
        """After each simple statement of the analysed file: what it gave (an editor shows it at
        the end of the line), then its pragma's check. Code that may not run as written
        (silenced) records nothing."""
        if not self.silent:
            shapes = tensor_shapes(value)
            if shapes is not None:
                known = self.statement_runs.get(id(statement))
                if known is None:
                    self.statement_runs[id(statement)] = StatementRun(statement, shapes, self.calls_begun)
                else:
                    known.runs += 1
                    known.last = shapes
        if self._pragma_check is not None:
            self._pragma_check(statement, scope, value)

    # ----------------------------------------------------------------- findings

    def report(self, finding: Finding) -> None:
        if self.silent:
            return
        if finding.elsewhere is None:
            layer = finding.layer
            finding.elsewhere = layer.elsewhere if layer is not None and layer.elsewhere is not None \
                else self.elsewhere(finding.node)
        # Per layer instance: a block built twice may fail in one instance and not the other,
        # and each faulty instance is reported at the call that built it.
        key = (finding.code, id(finding.node), id(finding.statement), finding.message, id(finding.layer))
        earlier = self._reported.get(key)
        if earlier is not None:
            # The same error found again with an input shape (first at construction): keep it,
            # the suggestion needs it.
            if earlier.input_shape is None and finding.input_shape is not None:
                earlier.input_shape = finding.input_shape
            return
        self._reported[key] = finding
        self.findings.append(finding)

    def report_statement(self, code: str, message: str, operands: Sequence[Tuple[Tensor, MaybeShape]] = ()) -> None:
        """A finding at the current statement; ``operands`` are (tensor, shape it should have)
        pairs, whose chains the suggestion step searches for a fix."""
        finding = Finding(code, message, None, self.statement)
        finding.operands = list(operands)
        self.report(finding)

    def step(self, module: Optional[ModuleValue], source: Any, output: Tensor,
             recompute: Optional[Callable[[MaybeShape], MaybeShape]], label: str,
             approximate: bool = False,
             recompute_as_written: Optional[Callable[[MaybeShape], MaybeShape]] = None) -> Tensor:
        self.producers[id(output)] = Step(module, source, output, recompute, label, approximate,
                                          len(self.producers) + 1, recompute_as_written)
        return output

    def join(self, output: Tensor, parts: Sequence[Tensor], axis: int, pieces: int = 0) -> None:
        """Record that ``output`` was concatenated from ``parts`` along ``axis`` (or, ``pieces``
        > 0, is one of that many equal pieces of ``parts[0]``)."""
        self.joins[id(output)] = Join(output, tuple(parts), axis, pieces)

    def order_of(self, tensor: Tensor) -> int:
        """When ``tensor`` was made, among the recorded steps (0: not by one)."""
        step = self.producers.get(id(tensor))
        return step.order if step is not None else 0

    def report_layer(self, module: LayerModule, error: ShapeError, shape: MaybeShape,
                     arriving: Optional[Tensor] = None) -> None:
        """``error`` of a layer, built (``shape`` None) or called on ``arriving``."""
        if module.uncertain:
            return
        finding = Finding(error.code, error.message, module.node, module.statement, module, error, shape)
        if shape is not None:
            finding.tensor_in = arriving
        self.report(finding)

    def check_declared(self, module: ModuleValue, result: Any, input_shape: MaybeShape) -> None:
        """SHP101 where a module's output differs from the shape a pragma declares for it."""
        declared = module.declared_output
        if declared is None or not isinstance(result, Tensor) or self.silent:
            return
        problem = declared.spec.match(result.shape, {})
        if problem is None:
            return
        target = declared.spec.resolve({})
        message = (
            f"{module.type_name} produces {format_shape(result.shape)}, not the declared"
            f" {declared.spec.text} ({problem})"
        )
        self.report(Finding(SHAPE_MISMATCH, message, module.node, module.statement,
                            module if isinstance(module, LayerModule) else None, None,
                            input_shape, target=target, tensor=result, declared=declared))

    @contextlib.contextmanager
    def silenced(self, when: bool = True):
        """Report nothing found while this runs (code that may not run as written)."""
        if when:
            self.silent += 1
        try:
            yield
        finally:
            if when:
                self.silent -= 1

    # ----------------------------------------------------------------- hooks: torch semantics

    def torch_call(self, ref: TorchRef, args: List[Any], kwargs: Dict[str, Any], node) -> Any:
        return call_torch(self, ref.name, args, kwargs, node)

    def tensor_method(self, tensor: Tensor, name: str, args: List[Any], kwargs: Dict[str, Any]) -> Any:
        handler = TENSOR_METHODS.get(name)
        return UNKNOWN if handler is None else handler(self, tensor, name, args, kwargs)

    def tensor_binary(self, op: type, left: Any, right: Any) -> Any:
        return operations.tensor_binary(self, op, left, right)

    def module_method(self, module: ModuleValue, name: str, args: List[Any], kwargs: Dict[str, Any], node) -> Any:
        handler = MODULE_METHODS.get(name)
        return UNKNOWN if handler is None else handler(self, module, name, args, kwargs, node)

    def call_module(self, module: ModuleValue, args: List[Any], kwargs: Dict[str, Any], node) -> Any:
        call = MODULE_CALLS.get(type(module))
        if call is None:
            return UNKNOWN
        first = not module.called
        if first:
            self.calls_begun += 1
            module.call_order = self.calls_begun
        try:
            if module.uncertain:
                with self.silenced():
                    result = call(self, module, args, kwargs, node)
                if first:
                    # Built on one of several paths (or from unknown arguments): what it gives
                    # is one path's, not certain. A declaration can only follow its call.
                    module.first_output = None
                    self.note_unknown(UnknownSource(
                        self.calls_begun, module, "it is built under a condition, or from arguments,"
                        " that could not be evaluated", None, self.statement))
                return Tensor(None) if isinstance(result, Tensor) else UNKNOWN
            return call(self, module, args, kwargs, node)
        finally:
            if first:
                module.call_end = self.calls_begun

    # ----------------------------------------------------------------- where tracking stops

    def note_unknown_module(self, module: ModuleValue) -> None:
        """An unknown module was called: what depends on its output is unknown."""
        if module.incomplete:
            reason = module.incomplete_reason or "its submodules could not all be evaluated"
        else:
            reason = getattr(module, "reason", "") or f"`{module.type_name}` is not modelled by shapelint"
        # With no constructor call of its own (built by code not followed), it is declared
        # where it is called.
        statement = module.statement if module.node is not None else self.statement
        self.note_unknown(UnknownSource(self.calls_begun, module, reason, module.node,
                                        statement or self.statement), module.elsewhere)

    def note_unknown_call(self, func: ast.expr, node: ast.Call) -> None:
        """A call of something that could not be evaluated, on a tensor."""
        reason = self.reasons.callee(func)
        self.calls_begun += 1  # after every module call begun so far: it may depend on them
        self.note_unknown(UnknownSource(self.calls_begun, None, reason, node, self.statement))

    def note_unknown(self, source: UnknownSource, elsewhere: Optional[Elsewhere] = None) -> None:
        """Record where tracking stopped; in another file's code, at the analysed file's
        statement that led there, naming that file's line."""
        elsewhere = elsewhere or self.elsewhere(source.node)
        if elsewhere is not None:
            source = source._replace(reason=f"{source.reason} (in {elsewhere.describe()})",
                                     node=None, statement=elsewhere.anchor)
        self.unknowns.append(source)

    # ----------------------------------------------------------------- construction

    def _argument_names(self, node) -> Dict[str, int]:
        """The integer values of the names in a layer call's arguments, as this construction saw
        them (``i`` of ``ngf // (2 ** i)`` in a loop): an edit of a literal beside them is solved
        for this instance."""
        made = self.torch_call_scope
        if made is None or made[0] is not node or not isinstance(node, ast.Call):
            return {}
        scope = made[1]
        names = self._names_read.get(id(node))
        if names is None:  # a call in a loop is built many times: its names are read once
            names = self._names_read[id(node)] = tuple(dict.fromkeys(
                name.id for argument in list(node.args) + [k.value for k in node.keywords]
                for name in ast.walk(argument) if type(name) is ast.Name and type(name.ctx) is ast.Load))
        found: Dict[str, int] = {}
        for name in names:
            value = scope.lookup(name)
            if type(value) is int:
                found[name] = value
        return found

    def construct(self, short: str, args: List[Any], kwargs: Dict[str, Any], node) -> Any:
        if short == "Parameter" or short == "Buffer":
            return args[0] if args and isinstance(args[0], Tensor) else Tensor(None)
        if short in CONTAINERS:
            return self.container(short, args, kwargs, node)
        spec = LAYERS.get(short)
        if spec is None:
            if short[:1].isupper():
                opaque = OpaqueModule(short, node=node, statement=self.statement,
                                      reason=f"`{short}` is a torch class shapelint does not model",
                                      elsewhere=self.elsewhere(node))
                self.attach_layer_pragma(opaque)
                return opaque
            return UNKNOWN
        count = self.constructions.get(id(node), 0) + 1
        self.constructions[id(node)] = count
        if _STAR_UNKNOWN in args:
            params = {p.name: UNKNOWN for p in spec.signature}
        else:
            try:
                params = spec.bind([plain(a) for a in args], {k: plain(v) for k, v in kwargs.items()})
            except BindError:
                params = {p.name: UNKNOWN for p in spec.signature}
        module = LayerModule(short, node=node, statement=self.statement, spec=spec, params=params,
                             constructions=count, function_calls=tuple(self.function_calls),
                             argument_names=self._argument_names(node), elsewhere=self.elsewhere(node))
        if self.silent:
            module.uncertain = False  # built silently only matters for reporting, not for use
        add_submodules(module, None, None)
        self.attach_layer_pragma(module)
        try:
            spec.infer(params, None)
        except ShapeError as error:
            self.report_layer(module, error, None)
        except Exception:  # noqa: BLE001 - a rule choking on odd values is not the user's error
            pass
        try:
            for warning in spec.warnings(params):
                self.report(Finding(warning.code, warning.message, node, self.statement, module, warning))
        except Exception:  # noqa: BLE001
            pass
        return module

    def attach_layer_pragma(self, module: ModuleValue) -> None:
        if not self.layer_pragmas or self.call_end_line is None or module.node is None \
                or module.elsewhere is not None:
            return
        line = self.call_end_line(module.node, self.statement)
        if line in self.layer_pragmas:
            module.declared_output = self.layer_pragmas[line]
            self.attached_pragma_lines.add(line)

    def container(self, kind: str, args: List[Any], kwargs: Dict[str, Any], node) -> ModuleValue:
        module = CONTAINERS[kind].value_class(kind, node=node, statement=self.statement,
                                              elsewhere=self.elsewhere(node))
        self.attach_layer_pragma(module)
        fill_container(module, kind, args, self.unknown_items(node))
        return module

    def unknown_items(self, node: Optional[ast.Call]) -> UnknownItems:
        """For the items of ``node``'s arguments that could not be evaluated."""
        elsewhere = self.elsewhere(node)
        if elsewhere is None:
            return UnknownItems(self.reasons, node, self.statement, self.attach_layer_pragma)

        def mark(module: ModuleValue) -> None:
            module.elsewhere = elsewhere

        return UnknownItems(self.reasons, node, self.statement, mark)

    def instantiate(self, info: ClassInfo, args: List[Any], kwargs: Dict[str, Any], node) -> Any:
        module = UserModule(info.name, node=node, statement=self.statement, cls=info,
                            elsewhere=self.elsewhere(node))
        self.instances.append(module)
        self.attach_layer_pragma(module)
        if _STAR_UNKNOWN in args:
            module.incomplete = True
            module.uncertain = True
            return module
        found = info.find_method("__init__")
        if found is None:
            if info.kind == "layer":  # the torch layer's own constructor
                module.base_layer = self.base_layer(info, args, kwargs, node)
                return module
            base_init(module, args, kwargs, self.unknown_items(node))
            return module
        owner, init = found
        if node is None and not args and not kwargs and _required_parameters(init):
            # A model analysed on its own whose constructor needs arguments: as the file builds it.
            args, kwargs = self._file_construction(info)
        self.call_function(FunctionRef(init, owner), [module] + list(args), kwargs)
        return module

    def base_layer(self, info: ClassInfo, args: List[Any], kwargs: Dict[str, Any], node) -> Any:
        """The torch layer a subclass of one builds (``super().__init__(...)``), or None when
        it cannot be: the subclass is then unknown."""
        layer = self.construct(info.torch_layer, args, kwargs, node)
        return layer if isinstance(layer, LayerModule) else None

    def _file_construction(self, info: ClassInfo) -> Tuple[List[Any], Dict[str, Any]]:
        """The arguments of the file's construction of ``info`` (``ResNet(BasicBlock, [2, 2, 2, 2])``
        in a factory function), evaluated in the module's scope: used when the file constructs the
        class once, or several times with the same evaluable arguments; otherwise none."""
        result: Tuple[List[Any], Dict[str, Any]] = ([], {})
        chosen: Optional[Tuple[List[Any], Dict[str, Any]]] = None
        every = self.__dict__.get("_constructions")
        if every is None:
            every = self.__dict__["_constructions"] = constructions_of(self.index.module, self.index.classes)
        for call, statement, local in every.get(info.name, ()):
            if info.name in local or not isinstance(self.globals.get(info.name), ClassRef) \
                    or self.globals[info.name].info is not info:
                chosen = None
                break
            evaluated = self._construction_arguments(call, statement, local)
            if evaluated is None:
                chosen = None
                break
            if chosen is None:
                chosen = evaluated
            elif not _same_arguments(chosen, evaluated):
                chosen = None
                break
        if chosen is not None:
            result = chosen
        return result

    def _construction_arguments(self, call: ast.Call, statement: ast.stmt,
                                local: set) -> Optional[Tuple[List[Any], Dict[str, Any]]]:
        if any(type(arg) is ast.Starred for arg in call.args) or any(k.arg is None for k in call.keywords):
            return None
        args: List[Any] = []
        kwargs: Dict[str, Any] = {}
        for arg in call.args:
            args.append(self._construction_argument(arg, statement, local))
        for keyword in call.keywords:
            if keyword.arg in kwargs:
                return None
            kwargs[keyword.arg] = self._construction_argument(keyword.value, statement, local)
        return args, kwargs

    def _construction_argument(self, node: ast.expr, statement: ast.stmt, local: set) -> Any:
        if local and _mentions(node, local):
            return UNKNOWN
        saved = self.statement
        self.statement = statement  # the place of a layer built in an argument
        try:
            with self.silenced():
                return self.eval(node, Scope(self.globals))
        except (_Return, _Break, _Continue, _Abort, RecursionError):
            return UNKNOWN
        finally:
            self.statement = saved

    # ----------------------------------------------------------------- module attributes

    def module_attribute(self, module: ModuleValue, name: str) -> Any:
        if name in module.children:
            return module.children[name]
        if isinstance(module, UserModule):
            if name in module.attrs:
                return module.attrs[name]
            value = self.class_attribute(module.cls, name, module)
            if value is not UNKNOWN:
                return value
            if module.base_layer is not None and name in module.base_layer.params:
                return self.module_attribute(module.base_layer, name)  # `self.kernel_size`
        if isinstance(module, LayerModule) and name in module.params:
            return layer_attribute(module.spec, module.params, name)
        if name in ("training",):
            return UNKNOWN
        if name == "forward":
            return MethodRef(module, "__call__")
        return MethodRef(module, name)

    def set_module_attribute(self, module: ModuleValue, name: str, value: Any) -> None:
        if not isinstance(module, UserModule):
            return
        if isinstance(value, ModuleValue):
            module.attrs.pop(name, None)
            module.children[name] = value
            if self.silent_writes is not None and self.silent:
                for _, sub in value.named_modules():
                    sub.uncertain = True
        elif value is None and name in module.children:
            module.children[name] = None  # type: ignore[assignment]
        else:
            module.children.pop(name, None)
            module.attrs[name] = value


def _required_parameters(init: ast.FunctionDef) -> bool:
    """Whether ``__init__`` has a parameter (after ``self``) that needs an argument."""
    arguments = init.args
    params = list(arguments.posonlyargs) + list(arguments.args)
    # Defaults belong to the last parameters: the first ``len(params) - len(defaults)`` need one.
    if len(params) - len(arguments.defaults) > 1:
        return True
    return any(default is None for default in arguments.kw_defaults)


def _mentions(node: ast.AST, names: set) -> bool:
    for child in ast.walk(node):
        if type(child) is ast.Name and child.id in names:
            return True
    return False


def _same_arguments(a: Tuple[List[Any], Dict[str, Any]], b: Tuple[List[Any], Dict[str, Any]]) -> bool:
    if len(a[0]) != len(b[0]) or set(a[1]) != set(b[1]):
        return False
    pairs = list(zip(a[0], b[0])) + [(a[1][k], b[1][k]) for k in a[1]]
    return all(_same_value(x, y) for x, y in pairs)


def _same_value(x: Any, y: Any) -> bool:
    if x is y:
        return True
    if isinstance(x, (list, tuple)) and type(x) is type(y) and len(x) == len(y):
        return all(_same_value(p, q) for p, q in zip(x, y))
    if isinstance(x, (int, float, str, bool, type(None))) and type(x) is type(y):
        return x == y
    if isinstance(x, ClassRef) and isinstance(y, ClassRef):
        return x.info is y.info
    if isinstance(x, (TorchRef, ExternalRef)) and type(x) is type(y):
        return x == y
    if isinstance(x, FunctionRef) and isinstance(y, FunctionRef):
        return x.node is y.node
    return False
