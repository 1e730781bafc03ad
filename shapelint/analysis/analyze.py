"""The analysis of one file: parse once, find the models, build them, propagate, report.

``analyze_source`` never raises for anything in the user's file: unreadable or unparsable files
are one SHP001 diagnostic, and an internal error in one model leaves the other models' results
intact (under pytest it is raised, so that tests see bugs).
"""

from __future__ import annotations

import ast
import copy
import gc
import io
import os
import re
import tokenize
import warnings
from dataclasses import dataclass, field
from typing import Any, Dict, List, NamedTuple, Optional, Tuple, Union

from ..core.codes import (
    BAD_DECLARATION,
    CONFLICTING_DECLARATIONS,
    PARSE_ERROR,
    SHAPE_MISMATCH,
    TRACKING_STOPPED,
    WRONG_RANK,
)
from ..core.layers import UNKNOWN
from ..core.shapes import MaybeShape, format_shape, is_known
from ..core.options import Options, key_declares
from ..core.results import SAFE, UNSAFE, Diagnostic, FileResult, Fix, LayerShape, ModelShapes
from . import suggest
from .collect import ClassInfo, FileIndex, _is_main_guard, bind_import, dotted_name, index_file, scan_pragmas
from ..core.shapespec import DeclarationError, ShapeSpec, parse_jaxtyping_dims, parse_pragma, parse_shape_tuple
from .evaluate import MAX_STEPS, Scope, _Abort, _Break, _Continue, _Return
from .positions import Positions
from .prefilter import mentions_layers
from .propagate import Finding, Propagator, shape_of
from .values import (
    FunctionRef,
    ArgumentCapture,
    ClassRef,
    Declared,
    ExternalRef,
    LayerModule,
    ModuleValue,
    Tensor,
    TorchRef,
    UserModule,
)


#: Re-analyses of the edited file per file, to check fixes of layers built several times (each
#: costs about one analysis of the file: a deep model's fix checks must not cost tens of them).
#: A fix left unchecked is not offered, and the finding says so (SHP301).
MAX_REANALYSES = 10


class Suggestion(NamedTuple):
    """What a finding becomes: one sentence (what is wrong; what to do), the code for ``help:``,
    the fix, and the evidence as notes."""

    message: str
    help: Optional[str] = None
    fix: Optional[Fix] = None
    notes: Tuple[str, ...] = ()


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


def _decode(source: Union[str, bytes]) -> Tuple[Optional[str], Optional[str]]:
    """Text of the file, or an error message (PEP 263 encoding declarations honoured)."""
    if isinstance(source, str):
        return source, None
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
    except SyntaxError as error:
        return None, f"cannot decode file: {error}"
    try:
        text = source.decode(encoding)
    except (UnicodeDecodeError, LookupError) as error:
        return None, f"cannot decode file as {encoding}: {error}"
    if text.startswith("\ufeff"):
        text = text[1:]
    return text, None


def _parse_error(path: str, message: str, line: int = 1, column: int = 1) -> FileResult:
    return FileResult(path, [Diagnostic(PARSE_ERROR, message, path, line, column, line, column)])


def _parse(text: str) -> ast.Module:
    with warnings.catch_warnings():
        # Invalid escape sequences and the like are the user's business, not this tool's output.
        warnings.simplefilter("ignore")
        return ast.parse(text)


def analyze_source(source: Union[str, bytes], path: str, options: Options = Options(),
                   _verifying: bool = False, tree: Optional[ast.Module] = None) -> FileResult:
    """The analysis of one file. ``tree``, when given, must be ``ast.parse`` of exactly the text
    ``source`` is (flake8 hands its plugins the tree it parsed): the file is then not parsed again."""
    # A parse makes millions of small objects and no cycles worth collecting meanwhile: the
    # cyclic collector would halve the speed on big files.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _analyze_source(source, path, options, _verifying, tree)
    finally:
        if collecting:
            gc.enable()


def _analyze_source(source: Union[str, bytes], path: str, options: Options, _verifying: bool,
                    tree: Optional[ast.Module] = None) -> FileResult:
    text, problem = _decode(source)
    if text is None:
        return _parse_error(path, problem or "cannot decode file")
    if "\x00" in text:
        return _parse_error(path, "cannot parse file: it contains a null byte")
    if tree is None:
        try:
            tree = _parse(text)
        except SyntaxError as error:
            return _parse_error(path, f"syntax error: {error.msg}", max(error.lineno or 1, 1), max(error.offset or 1, 1))
        except RecursionError:
            return _parse_error(path, "cannot parse file: nested too deeply for Python's parser")
        except (MemoryError, ValueError) as error:
            return _parse_error(path, f"cannot parse file: {type(error).__name__}")
    if not mentions_layers(text.encode("utf-8", "surrogatepass")) and "shapelint" not in text:
        return FileResult(path)  # nothing to analyse: it parses, that is all there is to say
    analysis = FileAnalysis(tree, text, path, options)
    analysis.verifying = _verifying
    try:
        analysis.run()
    except Exception:
        if _strict():
            raise
    return analysis.result()


# --------------------------------------------------------------------------- declarations


@dataclass
class Declaration:
    spec: ShapeSpec
    source: str  # cli, pragma, jaxtyping, config, example
    line: int = 1
    column: int = 1
    #: For an example input: the constructor call the example builds the model with.
    build: Optional[ast.Call] = None

    def describe(self) -> str:
        where = {"cli": "on the command line", "config": "in the configuration"}.get(self.source)
        if where:
            return where
        return f"by the {self.source} on line {self.line}"


PRECEDENCE = ("cli", "pragma", "jaxtyping", "config", "example")


@dataclass
class ModelPlan:
    name: str
    line: int
    info: Optional[ClassInfo] = None
    statement: Optional[ast.stmt] = None  # module-level assignment
    value: Optional[ast.expr] = None
    inputs: List[Declaration] = field(default_factory=list)
    outputs: List[Declaration] = field(default_factory=list)
    #: jaxtyping declarations of further forward parameters, by name.
    extra_inputs: Dict[str, Declaration] = field(default_factory=dict)


def _jaxtyping_string(annotation: ast.expr) -> Optional[ast.expr]:
    """The dims string of ``Float[Tensor, "b c"]`` / ``Annotated[Tensor, "b c"]``, else None."""
    if type(annotation) is not ast.Subscript:
        return None
    elements = annotation.slice
    if type(elements) is not ast.Tuple or len(elements.elts) != 2:
        return None
    first, second = elements.elts
    if type(first) is ast.Slice or type(second) is ast.Slice:
        return None
    name = dotted_name(first)
    if name is None or not (name == "Tensor" or name.endswith(".Tensor")):
        return None
    if type(second) is ast.Constant and isinstance(second.value, (str, bytes)):
        return second
    return None


def _string_value(node: ast.expr) -> Optional[str]:
    if type(node) is ast.Constant and isinstance(node.value, str):
        return node.value
    return None


# --------------------------------------------------------------------------- the analysis


class FileAnalysis:
    def __init__(self, module: ast.Module, text: str, path: str, options: Options) -> None:
        self.module = module
        self.text = text
        self.path = path
        self.options = options
        self.positions = Positions(text, module)
        self.diagnostics: List[Diagnostic] = []
        self.models: List[ModelShapes] = []
        self._seen: set = set()
        self.index: Optional[FileIndex] = None
        self.propagator: Optional[Propagator] = None
        self.pragmas: Dict[int, Dict[str, ShapeSpec]] = {}
        self.pragma_columns: Dict[int, int] = {}
        self.comment_only: Dict[int, bool] = {}
        self.used_pragma_lines: set = set()
        self._defined_names: Optional[Any] = None
        self._lines: List[str] = []
        #: True while checking a candidate fix by analysing the edited text (no nested checks).
        self.verifying = False
        self._pending: List[Tuple[Finding, Dict[int, str], Dict[int, Any], Dict[int, int]]] = []
        self._constructions: Dict[int, int] = {}
        self._verified: Dict[Tuple, bool] = {}
        self._baseline_errors = 0
        self._reanalyses = 0
        #: Why the suggestion search of the finding being emitted stopped early (for SHP301).
        self._stops: List[str] = []

    # ----------------------------------------------------------------- results

    def result(self) -> FileResult:
        self.diagnostics.sort(key=lambda d: (d.row, d.col, d.code))
        return FileResult(self.path, self.diagnostics, self.models)

    def add(self, code: str, message: str, start: Tuple[int, int], end: Optional[Tuple[int, int]] = None,
            fix: Optional[Fix] = None, help: Optional[str] = None, notes: Tuple[str, ...] = ()) -> None:
        end = end or start
        # One diagnostic per code and place (a statement run for several instances reports once).
        key = (code, start)
        if key in self._seen:
            return
        self._seen.add(key)
        self.diagnostics.append(Diagnostic(code, message, self.path, start[0], start[1], end[0], end[1], fix, help, notes))

    # ----------------------------------------------------------------- driver

    def run(self) -> None:
        if not mentions_layers(self.text.encode("utf-8", "replace")) and "shapelint" not in self.text:
            return
        self.index = index_file(self.module)
        if not any(info.kind for info in self.index.classes.values()) and not _mentions_nn(self.index):
            return
        self._read_pragmas()
        propagator = Propagator(self.index)
        self.propagator = propagator
        propagator.call_end_line = self._call_end_line
        propagator.layer_pragmas = self._layer_pragmas()
        propagator.after_statement = self._after_statement
        self._execute_module_level(propagator)
        plans = self._plan_models(propagator)
        for plan in plans:
            try:
                self._analyze_model(plan)
            except Exception:
                if _strict():
                    raise
        # Diagnostics last: checking a fix of a layer shared by several instances re-analyses the
        # edited file and compares with the number of errors found here.
        self._baseline_errors = len({(f.code, id(f.node), id(f.statement), f.anchor_line, f.message)
                                     for f, _, _, _ in self._pending if f.code.startswith("SHP1")})
        for finding, names, producers, constructions in self._pending:
            # The chains of this model's tensors (each model has its own).
            propagator.producers = producers
            self._constructions = constructions
            try:
                self._emit(finding, names)
            except Exception:
                if _strict():
                    raise

    def _read_pragmas(self) -> None:
        found = scan_pragmas(self.text)
        inside_strings = self.positions.string_lines(found) if found else set()
        for line, (column, comment, only) in found.items():
            if (line, column) in inside_strings:
                continue
            try:
                parsed = parse_pragma(comment)
            except DeclarationError as error:
                self.add(BAD_DECLARATION, str(error), (line, column))
                continue
            if parsed:
                self.pragmas[line] = parsed
                self.pragma_columns[line] = column
                self.comment_only[line] = only

    def _layer_pragmas(self) -> Dict[int, Declared]:
        found = {}
        for line, parsed in self.pragmas.items():
            if "output" in parsed and not self.comment_only.get(line):
                found[line] = Declared(parsed["output"], line, "pragma")
        return found

    def _call_end_line(self, call: ast.Call, statement: ast.stmt) -> Optional[int]:
        where = self.positions.call(call, statement)
        if where is None:
            return None
        line = where[1][0]
        # A pragma after a trailing comma (`nn.Conv2d(...),  # shapelint: ...`) is on that line.
        return line

    # ----------------------------------------------------------------- module level

    def _execute_module_level(self, propagator: Propagator) -> None:
        scope = Scope(propagator.globals, propagator.globals)
        propagator.silent += 1
        try:
            self._execute_block(self.module.body, scope, propagator)
        finally:
            propagator.silent -= 1
        if propagator.stopped is not None and propagator.steps > MAX_STEPS:
            # The module's own code ran out of budget: later module-level models are not built.
            self._report_stop("module-level code", propagator.stopped)
        propagator.stopped = None

    def _execute_block(self, statements, scope: Scope, propagator: Propagator) -> None:
        for statement in statements:
            kind = type(statement)
            try:
                if kind is ast.Assign or kind is ast.AnnAssign or kind is ast.AugAssign:
                    propagator.statement = statement
                    propagator.exec_statement(statement, scope)
                elif kind is ast.For or kind is ast.While:
                    propagator.exec_statement(statement, scope)
                elif kind is ast.If and not _is_main_guard(statement):
                    propagator.exec_statement(statement, scope)
                elif kind is ast.Try and self.positions.starts_line(statement.body[0]):
                    self._execute_block(statement.body, scope, propagator)
            except (_Return, _Break, _Continue, _Abort):
                continue

    # ----------------------------------------------------------------- models

    def _plan_models(self, propagator: Propagator) -> List[ModelPlan]:
        index = self.index
        plans: List[ModelPlan] = []
        examples = self._find_examples(propagator)
        # Which classes are built by other classes: those are parts, not models.
        children: set = set()
        module_classes = [info for info in index.classes.values() if info.kind]
        for info in module_classes:
            for other in _referenced_classes(info, index, self._names_in):
                if other is not info:
                    children.add(other.name)
        for info in module_classes:
            plan = ModelPlan(info.name, self._line(info.node), info=info)
            self._class_declarations(plan)
            self._option_declarations(plan)
            if info.name in examples:
                plan.inputs.append(examples[info.name])
            if info.name in children and not plan.inputs and not plan.outputs:
                continue
            plans.append(plan)
        for statement, name, value in self._module_level_models(propagator):
            plan = ModelPlan(name, self._line(statement), statement=statement, value=value)
            self._assignment_declarations(plan, statement)
            self._option_declarations(plan)
            if name in examples:
                plan.inputs.append(examples[name])
            plans.append(plan)
        return plans

    def _line(self, node: ast.AST) -> int:
        lines = self.positions.statement_lines(node)
        return lines[0] if lines else 1

    def _module_level_models(self, propagator: Propagator):
        for statement in self.module.body:
            kind = type(statement)
            if kind is ast.Assign and len(statement.targets) == 1:
                target = statement.targets[0]
            elif kind is ast.AnnAssign and statement.value is not None:
                target = statement.target
            else:
                continue
            if type(target) is not ast.Name:
                continue
            value = propagator.globals.get(target.id)
            if isinstance(value, ModuleValue) and not isinstance(value, UserModule):
                yield statement, target.id, statement.value

    def _pragma_at(self, lines: List[int]) -> Tuple[Dict[str, ShapeSpec], Optional[int]]:
        for line in lines:
            if line in self.pragmas:
                self.used_pragma_lines.add(line)
                return self.pragmas[line], line
        return {}, None

    def _class_declarations(self, plan: ModelPlan) -> None:
        info = plan.info
        node = info.node
        header_lines = self.positions.statement_lines(node)
        first = self.positions.first_line(node)
        candidates: List[int] = []
        if header_lines:
            candidates.append(header_lines[0])
        if first and self.comment_only.get(first - 1):
            candidates.append(first - 1)
        found = info.find_method("forward")
        forward = found[1] if found else None
        if forward is not None:
            lines = self.positions.statement_lines(forward)
            body_line = self._body_line(forward)
            if lines:
                candidates.extend(range(lines[0], (body_line or lines[0] + 1)))
        for line in candidates:
            if line in self.pragmas:
                self.used_pragma_lines.add(line)
                parsed = self.pragmas[line]
                column = self.pragma_columns.get(line, 1)
                if "input" in parsed:
                    plan.inputs.append(Declaration(parsed["input"], "pragma", line, column))
                if "output" in parsed:
                    plan.outputs.append(Declaration(parsed["output"], "pragma", line, column))
        if forward is not None:
            self._jaxtyping(plan, forward)

    def _body_line(self, function: ast.FunctionDef) -> Optional[int]:
        """The line of the first statement of a function's indented body (None for a one-line
        ``def f(x): return x``)."""
        body = function.body
        if body and self.positions.starts_line(body[0]):
            lines = self.positions.statement_lines(body[0])
            if lines:
                return lines[0]
        return None

    def _jaxtyping(self, plan: ModelPlan, forward: ast.FunctionDef) -> None:
        params = list(forward.args.posonlyargs) + list(forward.args.args)
        params = params[1:]  # self
        def_line = self._line(forward)
        first_tensor = True
        for param in params:
            annotation = param.annotation
            string = _jaxtyping_string(annotation) if annotation is not None else None
            if string is None:
                if annotation is not None and dotted_name(annotation) in ("int", "float", "bool", "str"):
                    continue  # not a tensor: the input is a later parameter
                first_tensor = False  # the input is this parameter, and it declares nothing
                continue
            where = self.positions.annotation(forward, param.arg) or (def_line, 1)
            declaration = self._parse_jaxtyping(string, where)
            if declaration is None:
                first_tensor = False
                continue
            if first_tensor and not plan.extra_inputs and not any(d.source == "jaxtyping" for d in plan.inputs):
                plan.inputs.append(declaration)
                plan.extra_inputs[param.arg] = declaration
            else:
                plan.extra_inputs[param.arg] = declaration
            first_tensor = False
        if forward.returns is not None:
            string = _jaxtyping_string(forward.returns)
            if string is not None:
                where = self.positions.annotation(forward, None) or (def_line, 1)
                declaration = self._parse_jaxtyping(string, where)
                if declaration is not None:
                    plan.outputs.append(declaration)

    def _parse_jaxtyping(self, string: ast.expr, where: Tuple[int, int]) -> Optional[Declaration]:
        value = _string_value(string)
        if value is None:
            return None
        try:
            spec = parse_jaxtyping_dims(value)
        except DeclarationError as error:
            self.add(BAD_DECLARATION, str(error), where)
            return None
        return Declaration(spec, "jaxtyping", where[0], where[1])

    def _assignment_declarations(self, plan: ModelPlan, statement: ast.stmt) -> None:
        lines = self.positions.statement_lines(statement)
        if not lines:
            return
        candidates = list(range(lines[0], lines[1] + 1))
        if self.comment_only.get(lines[0] - 1):
            candidates.insert(0, lines[0] - 1)
        for line in candidates:
            parsed = self.pragmas.get(line)
            if not parsed:
                continue
            # A trailing pragma inside the expression belongs to the layer on that line.
            if line != lines[0] - 1 and line != lines[0] and "input" not in parsed:
                continue
            self.used_pragma_lines.add(line)
            column = self.pragma_columns.get(line, 1)
            if "input" in parsed:
                plan.inputs.append(Declaration(parsed["input"], "pragma", line, column))
            if "output" in parsed:
                plan.outputs.append(Declaration(parsed["output"], "pragma", line, column))

    def _option_declarations(self, plan: ModelPlan) -> None:
        options = self.options
        for mapping, source, target in (
            (options.cli_inputs, "cli", plan.inputs),
            (options.cli_outputs, "cli", plan.outputs),
            (options.config_inputs, "config", plan.inputs),
            (options.config_outputs, "config", plan.outputs),
        ):
            names = [plan.name]
            if plan.info is not None and self.propagator is not None:
                # `net = Net()` at module level: `--input net=...` declares Net.
                names += [var for var, value in self.propagator.globals.items()
                          if isinstance(value, UserModule) and value.cls is plan.info]
            for key, spec in (mapping or {}).items():
                if any(key_declares(key, name, self.path) for name in names):
                    target.append(Declaration(spec, source))
                    break

    # ----------------------------------------------------------------- example inputs

    def _find_examples(self, propagator: Propagator) -> Dict[str, Declaration]:
        found: Dict[str, Declaration] = {}
        blocks: List[List[ast.stmt]] = [list(self.module.body)]
        positions = self.positions
        while blocks:
            block = blocks.pop(0)
            self._example_scope = dict(propagator.globals)
            aliases: Dict[str, str] = {}
            tensors: Dict[str, ast.expr] = {}
            for statement in block:
                kind = type(statement)
                if kind in _SEARCHED_BLOCKS:
                    # Indented blocks only (not the one-line suite of `if x: y`), and an `else:`
                    # (not an `elif`).
                    body = statement.body
                    if body and positions.starts_line(body[0]):
                        blocks.append(list(body))
                    if kind is ast.If and statement.orelse:
                        orelse = statement.orelse
                        elif_ = len(orelse) == 1 and type(orelse[0]) is ast.If and positions.starts_with(orelse[0], "elif")
                        if not elif_ and positions.starts_line(orelse[0]):
                            blocks.append(list(orelse))
                    continue
                if kind in _COMPOUND:
                    continue
                if kind is ast.Import or kind is ast.ImportFrom:
                    bind_import(statement, self._example_scope)
                    continue
                self._example_statement(statement, aliases, tensors, found, propagator)
        return found

    def _model_name_of(self, node: ast.expr, aliases: Dict[str, Any], propagator: Propagator) -> Optional[str]:
        """The model an expression is (``Net()``, ``Net(8).eval()``, a variable holding one);
        ``self._build`` is set to the constructor call, whose arguments the example runs with."""
        self._build = None
        # Peel `.eval()`, `.to(device)`, `.cuda()`.
        while type(node) is ast.Call and type(node.func) is ast.Attribute and node.func.attr in (
            "eval", "to", "cuda", "cpu", "train", "float", "double", "half"
        ):
            node = node.func.value
        if type(node) is ast.Call:
            ref = self._static_value(node.func, propagator)
            if isinstance(ref, ClassRef) and ref.info.kind:
                self._build = node
                return ref.info.name
            if isinstance(ref, FunctionRef) and not node.args and not node.keywords:
                # A factory `def resnet18(): return ResNet(BasicBlock, [2, 2, 2, 2])`: its class,
                # built as the file builds it (no build call: the propagator finds the construction).
                body = ref.node.body
                lines = _statement_lines(body) if body and self.positions.starts_line(body[0]) else []
                first = lines[-1][0] if lines else None  # the first statement of the last line
                if type(first) is ast.Return and type(first.value) is ast.Call:
                    cls = self._static_value(first.value.func, propagator)
                    if isinstance(cls, ClassRef) and cls.info.kind:
                        params = ref.node.args
                        alone = len(lines) == 1 and not (params.args or params.posonlyargs or params.kwonlyargs
                                                         or params.vararg or params.kwarg)
                        # Its own call when nothing local can be in it; else the propagator's choice.
                        self._build = first.value if alone else None
                        return cls.info.name
            return None
        if type(node) is ast.Name:
            if node.id in aliases:
                name, self._build = aliases[node.id]
                return name
            value = propagator.globals.get(node.id)
            if isinstance(value, ModuleValue) and not isinstance(value, UserModule):
                return node.id
        return None

    def _static_value(self, node: ast.expr, propagator: Propagator) -> Any:
        name = dotted_name(node)
        if name is None:
            return UNKNOWN
        head, _, rest = name.partition(".")
        value = getattr(self, "_example_scope", propagator.globals).get(head, UNKNOWN)
        for part in rest.split(".") if rest else ():
            if isinstance(value, TorchRef):
                value = value.attr(part)
            elif isinstance(value, ExternalRef):
                value = ExternalRef(f"{value.name}.{part}")
            else:
                return UNKNOWN
        return value

    def _example_statement(self, small, aliases, tensors, found, propagator: Propagator) -> None:
        if type(small) is ast.Assign and len(small.targets) == 1 and type(small.targets[0]) is ast.Name:
            target = small.targets[0].id
            model = self._model_name_of(small.value, aliases, propagator)
            if model is not None:
                aliases[target] = (model, self._build)
            else:
                tensors[target] = small.value
        for call in _calls_in(small):
            model: Optional[str] = None
            argument: Optional[ast.expr] = None
            func = call.func
            if type(func) is ast.Attribute and func.attr == "forward":
                func = func.value
            ref = self._static_value(func, propagator)
            if isinstance(ref, ExternalRef) and ref.name in ("torchinfo.summary",):
                arguments = _arguments(call)
                if arguments:
                    model = self._model_name_of(arguments[0][1], aliases, propagator)
                    for keyword, value in arguments[1:]:
                        if keyword is None or keyword == "input_size":
                            argument = value
                            break
                    if model is not None and argument is not None:
                        spec = _example_spec(self._literal_shape(argument, propagator))
                        if spec is not None and model not in found:
                            found[model] = Declaration(spec, "example", self._line(small), build=self._build)
                continue
            model = self._model_name_of(func, aliases, propagator)
            build = self._build
            arguments = _arguments(call) if model is not None else ()
            if not arguments or arguments[0][0] is not None:
                continue
            argument = arguments[0][1]
            if type(argument) is ast.Name and argument.id in tensors:
                argument = tensors[argument.id]
            value = self._evaluate_quietly(argument, propagator)
            spec = _example_spec(value.shape) if isinstance(value, Tensor) else None
            if spec is not None and model not in found:
                found[model] = Declaration(spec, "example", self._line(small), build=build)

    def _literal_shape(self, node: ast.expr, propagator: Propagator) -> Optional[Tuple[int, ...]]:
        value = self._evaluate_quietly(node, propagator)
        if isinstance(value, list) and value and isinstance(value[0], (tuple, list)):
            value = value[0]
        if isinstance(value, (tuple, list)) and value and all(is_known(v) for v in value):
            return tuple(value)
        return None

    def _evaluate_quietly(self, node: ast.expr, propagator: Propagator) -> Any:
        propagator.silent += 1
        try:
            return propagator.eval(node, Scope(propagator.globals))
        except (_Return, _Break, _Continue, _Abort, RecursionError):
            return UNKNOWN
        finally:
            propagator.silent -= 1

    # ----------------------------------------------------------------- one model

    def _choose(self, declarations: List[Declaration], what: str, model: str) -> Optional[Declaration]:
        if not declarations:
            return None
        ordered = sorted(declarations, key=lambda d: PRECEDENCE.index(d.source))
        chosen = ordered[0]
        # In-file declarations that contradict each other: SHP003 at the weaker one.
        in_file = [d for d in ordered if d.source in ("pragma", "jaxtyping", "example")]
        for i, weaker in enumerate(in_file[1:], 1):
            for stronger in in_file[:i]:
                if _contradicts(stronger.spec, weaker.spec):
                    self.add(
                        CONFLICTING_DECLARATIONS,
                        f"{model}: {what} declared as {weaker.spec.text.strip()!s} here but as"
                        f" {stronger.spec.text.strip()} {stronger.describe()}",
                        (weaker.line, weaker.column),
                    )
                    break
        return chosen

    def _analyze_model(self, plan: ModelPlan) -> None:
        propagator = self.propagator
        input_declaration = self._choose(plan.inputs, "input", plan.name)
        output_declaration = self._choose(plan.outputs, "output", plan.name)
        build, input_shape, env = self._declared_input(plan, input_declaration)
        spec = input_declaration.spec if input_declaration is not None else None
        attempt = None
        if input_shape is None and spec is not None and spec.variadic_index is not None:
            attempt = self._variadic_attempt(plan, build, spec, env, output_declaration)
        if attempt is None:
            attempt = self._attempt(plan, build, input_shape, env, output_declaration, probe=input_declaration is None)
        if attempt is None:
            if propagator.stopped is not None:
                self._report_stop(plan.name, propagator.stopped, plan.line)
            return
        instance, input_shape, output_shape, declared_shape = attempt
        if propagator.stopped is not None and (
                propagator.steps > MAX_STEPS
                or output_declaration is not None and not _checked(output_shape, declared_shape)):
            # Only a budget that left something unchecked: the rest of the model, or its output.
            self._report_stop(plan.name, propagator.stopped, plan.line)

        # Findings of this model.
        names = {id(module): name for name, module in instance.named_modules()}
        for finding in propagator.findings:
            self._pending.append((finding, names, propagator.producers, propagator.constructions))

        # Shapes.
        layers: List[LayerShape] = []
        for name, module in instance.named_modules():
            if not name:
                continue
            layers.append(LayerShape(name, module.type_name, self._module_line(module, plan.line),
                                     module.first_input, module.first_output))
        self.models.append(ModelShapes(plan.name, self.path, plan.line, input_shape if input_declaration else None,
                                       output_shape, declared_shape, layers))

    def _declared_input(self, plan: ModelPlan, chosen: Optional[Declaration]) -> Tuple[Optional[Declaration], MaybeShape, Dict[str, Any]]:
        """The declaration the model is built as, its input shape, and the sizes of the declared
        names (``b``, ``*batch``). A pattern (``"*batch 3 h w"``) takes the sizes of the strongest
        concrete declaration that fits it (``--input``, an example input); then every input
        declaration binds its names to those sizes (one that contradicts them binds nothing)."""
        env: Dict[str, Any] = {}
        if chosen is None:
            return None, None, env
        ordered = sorted(plan.inputs, key=lambda d: PRECEDENCE.index(d.source))
        build, shape = chosen, chosen.spec.resolve({})
        if not _concrete(shape):
            for position, candidate in enumerate(ordered):
                concrete = candidate.spec.resolve({})
                if _concrete(concrete) and all(d.spec.match(concrete, {}) is None for d in ordered[:position]):
                    build, shape = candidate, concrete
                    break
        if shape is not None:
            for declaration in ordered:
                declaration.spec.match(shape, env)
        return build, shape, env

    def _attempt(self, plan: ModelPlan, build: Optional[Declaration], input_shape: MaybeShape,
                 env: Dict[str, Any], output_declaration: Optional[Declaration], probe: bool = False):
        """Run the model on ``input_shape`` and compare its output with the declared one; the
        findings are in ``propagator.findings``. (instance, input, output, declared output), or
        None when the model cannot be built."""
        instance, output = self._run_model(plan, build, input_shape, env, probe)
        if instance is None:
            return None
        output_shape = shape_of(output)
        declared_shape: MaybeShape = None
        if output_declaration is not None:
            # Names as the inputs bound them; a variadic aligns the dims after it from the right
            # (as jaxtyping does), so the fixed dims there are still compared.
            match_env = dict(env)
            spec = output_declaration.spec
            declared_shape = spec.resolve(match_env)
            if isinstance(output, Tensor):
                problem = spec.match(output.shape, match_env)
                extra = len(output_shape) - spec.min_rank if output_shape is not None else -1
                if declared_shape is None and spec.variadic_index is not None and extra >= 0:
                    # The variadic stands for what the output has there: the target of a fix.
                    start = spec.variadic_index
                    declared_shape = spec.resolve(match_env, fill=output_shape[start:start + extra])
                if problem is not None:
                    self._model_mismatch(plan, output, output_declaration, declared_shape, problem, instance)
        return instance, input_shape, output_shape, declared_shape

    def _variadic_attempt(self, plan: ModelPlan, build: Optional[Declaration], spec: ShapeSpec,
                          env: Dict[str, Any], output_declaration: Optional[Declaration]):
        """The attempt for an input declared with ``*batch`` / ``...`` and no concrete size: the
        variadic is given one dim, then two (fresh names), and what is reported is what holds for
        both, or everything of the one-dim run when two dims are too many for a layer (a Conv2d
        takes 3 or 4). None when one dim is too few for a layer: the rank is not known."""
        propagator = self.propagator
        wide_env = dict(env)
        wide = self._attempt(plan, build, self._instantiate_variadic(plan, spec, wide_env, 2), wide_env,
                             output_declaration)
        wide_keys = {_finding_key(f) for f in propagator.findings} if wide is not None else set()
        narrow_env = dict(env)
        attempt = self._attempt(plan, build, self._instantiate_variadic(plan, spec, narrow_env, 1), narrow_env,
                                output_declaration)
        if attempt is None:
            return None
        keys = {_finding_key(f) for f in propagator.findings}
        narrow_rank = {k for k in keys if k[0] == WRONG_RANK}
        wide_rank = {k for k in wide_keys if k[0] == WRONG_RANK}
        if narrow_rank - wide_rank:
            return None
        if not wide_rank - narrow_rank:
            propagator.findings[:] = [f for f in propagator.findings if _finding_key(f) in wide_keys]
        env.update(narrow_env)
        return attempt

    def _instantiate_variadic(self, plan: ModelPlan, spec: ShapeSpec, env: Dict[str, Any], count: int) -> MaybeShape:
        """The declared input with ``count`` dims of fresh names for its variadic (``batch``, or
        ``batch0``, ``batch1``), bound in ``env`` so that ``*batch`` in the output is the same."""
        variadic = spec.dims[spec.variadic_index]
        declarations = plan.inputs + plan.outputs + list(plan.extra_inputs.values())
        taken = {n for d in declarations for n in d.spec.names() if not n.startswith("*")}  # single dims
        names = _fresh_names(getattr(variadic, "name", None) or "batch", count, taken)
        if getattr(variadic, "name", None) is not None and not variadic.broadcastable:
            env["*" + variadic.name] = names
        return spec.resolve(env, fill=names)

    def _run_model(self, plan: ModelPlan, build: Optional[Declaration], input_shape: MaybeShape,
                   env: Dict[str, Any], probe: bool) -> Tuple[Optional[ModuleValue], Any]:
        """Build the model (as ``build``, an example, builds it) and call it on the input; the
        other tensor parameters of ``forward`` get their declared shapes under ``env``."""
        propagator = self.propagator
        propagator.findings = []
        propagator.attached_pragma_lines = set()
        propagator._reported = {}
        propagator.producers = {}
        propagator.constructions = {}
        propagator.probe = None
        propagator.silent = 0
        propagator.steps = 0
        propagator.stopped = None
        propagator.depth = 0
        propagator.return_stack = []
        propagator.active = []
        try:
            if plan.info is not None:
                args, kwargs = self._build_arguments(build)
                instance = propagator.instantiate(plan.info, args, kwargs, None)
            else:
                propagator.statement = plan.statement
                instance = propagator.eval(plan.value, Scope(propagator.globals))
        except _Abort:  # a budget ran out while building it (noted in propagator.stopped)
            instance = UNKNOWN
        if not isinstance(instance, ModuleValue):
            return None, None
        instance.node = None
        x = Tensor(input_shape)
        if probe:
            propagator.probe = x
        kwargs = {}
        if plan.info is not None:
            found = plan.info.find_method("forward")
            if found is not None:
                arguments = found[1].args
                params = list(arguments.posonlyargs) + list(arguments.args)
                required = len(params) - len(arguments.defaults)  # defaults are the last ones
                for position, param in enumerate(params[2:], 2):
                    declaration = plan.extra_inputs.get(param.arg)
                    if declaration is not None:
                        kwargs[param.arg] = Tensor(declaration.spec.resolve(env))
                    elif position < required:
                        kwargs[param.arg] = UNKNOWN
        try:
            return instance, propagator.call_module(instance, [x], kwargs, None)
        except _Abort:  # a budget ran out in forward (noted in propagator.stopped)
            return instance, UNKNOWN

    def _names_in(self, node: ast.AST) -> List[str]:
        """Names of the file's classes and functions a class or function mentions (a scan of
        its text: a mention in a comment only makes a model a part, never an error)."""
        if node is None or self.index is None:
            return []
        if self._defined_names is None:
            names = sorted(set(self.index.classes) | set(self.index.functions), key=len, reverse=True)
            self._defined_names = re.compile(r"\b(" + "|".join(map(re.escape, names)) + r")\b") if names else None
            self._lines = re.split(r"\r\n|\r|\n", self.text)
        if self._defined_names is None:
            return []
        first = node.body[0].lineno if getattr(node, "body", None) else node.lineno
        last = getattr(node, "end_lineno", None) or node.lineno
        return list(set(self._defined_names.findall("\n".join(self._lines[first - 1:last]))))

    def _build_arguments(self, declaration: Optional[Declaration]) -> Tuple[List[Any], Dict[str, Any]]:
        if declaration is None or declaration.build is None or not declaration.build.args:
            return [], {}
        propagator = self.propagator
        propagator.silent += 1
        try:
            build = copy.copy(declaration.build)  # never change the shared tree
            build.func = ast.copy_location(ast.Name(id="__shapelint_capture__", ctx=ast.Load()), build.func)
            call = propagator.eval(build, Scope(dict(propagator.globals, __shapelint_capture__=_CAPTURE)))
        finally:
            propagator.silent -= 1
        if isinstance(call, tuple) and len(call) == 2 and isinstance(call[1], dict):
            return list(call[0]), call[1]
        return [], {}

    def _module_line(self, module: ModuleValue, default: int) -> int:
        if isinstance(module.node, ast.Call) and module.statement is not None:
            where = self.positions.call(module.node, module.statement)
            if where is not None:
                return where[0][0]
        if module.statement is not None:
            lines = self.positions.statement_lines(module.statement)
            if lines:
                return lines[0]
        return default

    def _report_stop(self, name: str, stopped: Tuple[str, Optional[ast.stmt]], line: int = 1) -> None:
        """SHP301 where a budget of the analysis ran out (else on ``line``), and which."""
        reason, statement = stopped
        where = self.positions.statement(statement) if statement is not None else None
        if where is None:
            where = ((line, 1), (line, 1))
        if type(statement) in _BLOCK_STATEMENTS:
            where = (where[0], where[0])  # the header, not the whole indented block
        self.add(TRACKING_STOPPED, f"{name}: shape tracking stops here: {reason}", where[0], where[1])

    # ----------------------------------------------------------------- statement pragmas

    def _after_statement(self, statement: ast.stmt, scope: Scope, value: Any) -> None:
        if not self.pragmas or self.propagator is None or self.propagator.silent:
            return
        if isinstance(value, ModuleValue) and value.declared_output is None:
            # `self.up = nn.ConvTranspose3d(  # shapelint: output=...` on a line the call does
            # not end on: the pragma still belongs to the module the statement builds.
            lines = self.positions.statement_lines(statement)
            for line in range(lines[0], lines[1] + 1) if lines else ():
                declared = self.propagator.layer_pragmas.get(line)
                if declared is not None and line not in self.propagator.attached_pragma_lines:
                    value.declared_output = declared
                    self.propagator.attached_pragma_lines.add(line)
                    break
            return
        if not isinstance(value, Tensor):
            return
        lines = self.positions.statement_lines(statement)
        if not lines:
            return
        for line in range(lines[0], lines[1] + 1):
            parsed = self.pragmas.get(line)
            if not parsed or "output" not in parsed or line in self.used_pragma_lines:
                continue
            spec = parsed["output"]
            problem = spec.match(value.shape, {})
            if problem is None:
                continue
            self.propagator.report(Finding(
                SHAPE_MISMATCH,
                f"statement produces {format_shape(value.shape)}, not the declared {spec.text} ({problem})",
                None, statement, target=spec.resolve({}), tensor=value,
                declared=Declared(spec, line, "pragma"),
            ))

    # ----------------------------------------------------------------- SHP101 of a model

    def _model_mismatch(self, plan: ModelPlan, output: Tensor, declaration: Declaration,
                        declared_shape: MaybeShape, problem: str, instance: ModuleValue) -> None:
        finding = Finding(
            SHAPE_MISMATCH,
            f"{plan.name}: output {format_shape(output.shape)} differs from the declared"
            f" {_declared_text(declaration.spec)} ({problem})",
            None, None, target=declared_shape, tensor=output,
            declared=Declared(declaration.spec, declaration.line, declaration.source),
        )
        finding.anchor_line = (declaration.line, declaration.column) if declaration.source not in ("cli", "config") else (plan.line, 1)
        self.propagator.findings.append(finding)

    # ----------------------------------------------------------------- findings -> diagnostics

    def _emit(self, finding: Finding, names: Dict[int, str]) -> None:
        where = None
        if isinstance(finding.node, ast.Call) and finding.statement is not None:
            where = self.positions.call(finding.node, finding.statement)
        elif finding.statement is not None:
            where = self.positions.statement(finding.statement)
        if where is None:
            if finding.anchor_line is None:
                return
            where = (finding.anchor_line, finding.anchor_line)
        self._where = (finding.code, where[0][0])
        self._stops = []
        layer = finding.layer
        bounds = self.options.bounds
        suggestion = Suggestion(finding.message)
        if self.verifying:
            pass  # checking another finding's fix needs codes and rows only, not suggestions
        elif finding.code == SHAPE_MISMATCH and finding.tensor is not None:
            suggestion = self._mismatch_suggestion(finding, names, bounds)
        elif finding.operands:
            suggestion = self._operand_suggestion(finding, names, bounds)
        elif layer is not None and finding.error is not None and finding.code.startswith("SHP1"):
            suggestion = self._layer_suggestion(finding, names, bounds)
        notes = suggestion.notes + self._declared_at(finding, where[0][0])
        self.add(finding.code, suggestion.message, where[0], where[1], suggestion.fix, suggestion.help, notes)
        if self._stops:
            self.add(TRACKING_STOPPED, f"the search for a fix of this {finding.code} stopped early: "
                     + "; ".join(self._stops), where[0], where[1])

    def _declared_at(self, finding: Finding, row: int) -> Tuple[str, ...]:
        """``declared at path:line`` when the contradicted declaration is in the file, elsewhere
        than the diagnostic (CONTRACT section 3: a related location)."""
        declared = finding.declared
        if declared is None or declared.source in ("cli", "config") or not declared.line or declared.line == row:
            return ()
        return (f"declared at {self.path}:{declared.line}",)

    def _note_stop(self, reason: Optional[str]) -> None:
        """A budget of the suggestion search ran out (reported as SHP301 with the finding)."""
        if reason and reason not in self._stops:
            self._stops.append(reason)

    # ----------------------------------------------------------------- checking a fix

    def _fix_holds(self, fix: Fix) -> bool:
        """Analyse the file with the fix applied: the finding must go, and no error may be added."""
        if self.verifying:
            return False
        key = tuple(fix.edits)
        if key in self._verified:
            return self._verified[key]
        if self._reanalyses >= MAX_REANALYSES:
            self._note_stop(_REANALYSES_SPENT)
            return False
        self._reanalyses += 1
        edited = apply_edits(self.text, fix.edits)
        result = analyze_source(edited, self.path, self.options, _verifying=True)
        errors = [d for d in result.diagnostics if d.code.startswith("SHP1")]
        code, row = self._where
        # The finding goes, fewer errors remain, and none appears where there was none.
        before = {(f.code, self._row_of(f)) for f, _, _, _ in self._pending if f.code.startswith("SHP1")}
        holds = (
            len(errors) < self._baseline_errors
            and not any(d.code == code and d.row == row for d in errors)
            and all((d.code, d.row) in before for d in errors)
        )
        self._verified[key] = holds
        return holds

    def _producer_change(self, finding: Finding, values: Dict[str, Any]):
        """The upstream layer whose channel/feature count is what arrives: setting it to what
        this layer expects is the other way to fix a SHP102."""
        tensor = finding.tensor_in
        if tensor is None or tensor.shape is None or len(values) != 1:
            return None
        (name, arriving), = values.items()
        expected = finding.layer.params.get(name)
        if not is_known(expected) or not is_known(arriving):
            return None
        for step in reversed(suggest.chain_of(self.propagator, tensor)):
            layer = step.module
            if not isinstance(layer, LayerModule):
                continue
            for param in ("out_channels", "out_features"):
                if layer.params.get(param) == arriving:
                    change = suggest.Change(layer, {param: expected})
                    label = self._layer_label(layer, {})
                    fix, code = self._make_fix(layer, change.values, f"change {label}: {param}={expected}", True)
                    if fix is None:
                        return None
                    return change, fix, code
            if layer.spec is not None and not layer.spec.shape_preserving:
                return None  # the count was made further up: not a single obvious layer
        return None

    def _errors_after(self, fix: Fix) -> int:
        """SHP1xx left in the file once the fix is applied (a re-analysis, cached)."""
        key = ("count",) + tuple(fix.edits)
        if key not in self._verified:
            if self.verifying:
                return 1 << 30
            if self._reanalyses >= MAX_REANALYSES:
                self._note_stop(_REANALYSES_SPENT)
                return 1 << 30
            self._reanalyses += 1
            result = analyze_source(apply_edits(self.text, fix.edits), self.path, self.options, _verifying=True)
            self._verified[key] = sum(1 for d in result.diagnostics if d.code.startswith("SHP1"))
        return self._verified[key]

    def _row_of(self, finding: Finding) -> Optional[int]:
        if isinstance(finding.node, ast.Call) and finding.statement is not None:
            where = self.positions.call(finding.node, finding.statement)
        elif finding.statement is not None:
            where = self.positions.statement(finding.statement)
        else:
            return finding.anchor_line[0] if finding.anchor_line else None
        return where[0][0] if where else None

    def _needs_check(self, layer: LayerModule, fix: Fix) -> bool:
        """A layer built several times (a loop, a class used twice) changes everywhere at once."""
        return self._built(layer) > 1 or fix.applicability != SAFE

    def _built(self, layer: LayerModule) -> int:
        """How many times the layer's constructor call ran while building its model."""
        return max(self._constructions.get(id(layer.node), 1), layer.constructions)

    def _layer_label(self, layer: LayerModule, names: Dict[int, str]) -> str:
        name = names.get(id(layer))
        return f"{name} ({layer.type_name})" if name else layer.type_name

    def _make_fix(self, layer: LayerModule, values: Dict[str, Any], description: str,
                  exact_and_lossless: bool) -> Tuple[Optional[Fix], Optional[str]]:
        edit = suggest.layer_edit(layer, values, self.positions)
        if edit is None or not edit.edits:
            return None, None
        if not edit.literal and self._built(layer) > 1:
            # A variable's text replaced by one instance's value breaks the other instances.
            return None, None
        safe = exact_and_lossless and edit.literal and self._built(layer) <= 1 and not layer.uncertain
        return Fix(description, SAFE if safe else UNSAFE, tuple(edit.edits)), edit.code

    def _layer_suggestion(self, finding: Finding, names: Dict[int, str], bounds) -> "Suggestion":
        layer = finding.layer
        error = finding.error
        label = self._layer_label(layer, names)
        message = finding.message
        values: Dict[str, Any] = {}
        exact = True
        if error.fix:
            values = {k: v for k, v in error.fix.items() if v is not None}
            producer = self._producer_change(finding, values)
            if producer is not None:
                # The layer that made the count may be the wrong one: keep the change that
                # leaves fewer errors in the whole file.
                change, fix, code = producer
                mine, _ = self._make_fix(layer, values, f"change {label}: {suggest.describe(values)}", True)
                if mine is None or self._errors_after(fix) < self._errors_after(mine):
                    if self._fix_holds(fix):
                        label = self._layer_label(change.layer, names)
                        return Suggestion(f"{message}; fix: {label} with {suggest.describe(change.values)}", code, fix)
        elif layer.spec.family in suggest.SOLVABLE and finding.input_shape is not None:
            target = _intended_output(layer, finding.input_shape)
            if target is not None:
                result = suggest.solve_layer(layer, finding.input_shape, target, bounds)
                if result is not None:
                    change = suggest.recommended_change(layer, result)
                    if change is not None:
                        values = change.values
        if not values:
            return Suggestion(message)
        description = f"change {label}: {suggest.describe(values)}"
        fix, code = self._make_fix(layer, values, description, exact)
        if fix is not None and self._needs_check(layer, fix) and not self._fix_holds(fix):
            return Suggestion(message)
        if code:
            message = f"{message}; use {code}"
        return Suggestion(message, code, fix)

    def _mismatch_suggestion(self, finding: Finding, names: Dict[int, str], bounds):
        tensor = finding.tensor
        declared = finding.target
        spec = finding.declared.spec if finding.declared is not None else None
        steps = suggest.chain_of(self.propagator, tensor)
        chain = _chain_text(steps, names)
        message = finding.message
        notes = (f"inferred {chain}",) if chain else ()

        def verify(shape: MaybeShape) -> bool:
            return spec is not None and spec.match(shape, {}) is None and shape is not None and all(
                not is_known(d) or not is_known(w) or d == w for d, w in zip(shape, declared or ())
            )

        search = suggest.chain_changes(self.propagator, tensor, declared, bounds, verify)
        self._note_stop(search.exhausted)
        changes, lossy = search.changes, search.lossy
        changes = self._shared_same_size(steps) + changes
        chosen = self._first_fix(changes, names)
        if chosen is not None:
            change, fix, code = chosen
            label = self._layer_label(change.layer, names)
            message = f"{message}; fix: {label} with {suggest.describe(change.values)}"
            others = [f"{self._layer_label(c.layer, names)} with {suggest.describe(c.values)}"
                      for c in changes if c is not change][:3]
            if others:
                notes += ("or instead: " + "; or ".join(others),)
            return Suggestion(message, code, fix, notes)
        if lossy:
            layer, result = lossy[-1]
            reason = suggest.reason_text(result)
            label = self._layer_label(layer, names)
            if reason:
                notes += (f"no lossless {layer.type_name} gives it: {reason}",)
            if not result.alternatives:
                return Suggestion(f"{message}; no lossless {layer.type_name} gives it", None, None, notes)
            alternative = result.alternatives[0]
            notes += (f"replacement: {alternative.code}: {alternative.note}",)
            # The layers it is made of, in order: the code itself is on the help line.
            layers = [n for n in dict.fromkeys(re.findall(r"\bnn\.\w+(?=\()", alternative.code)) if n != "nn.Sequential"]
            parts = " then ".join(layers) or alternative.code
            return Suggestion(f"{message}; replace {label} by {parts}", alternative.code, None, notes)
        return Suggestion(message, None, None, notes)

    def _shared_same_size(self, steps) -> List[suggest.Change]:
        """A stride-1 convolution built several times that changes the size it is given: the
        usual intent is 'same' padding, and one edit changes every instance (checked by
        re-analysis before it is offered)."""
        found: List[suggest.Change] = []
        for step in steps:
            layer = step.module
            if not isinstance(layer, LayerModule) or layer.spec.family != "conv" or self._built(layer) <= 1:
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

    def _first_fix(self, changes, names):
        """The best change whose edit is known to work (checked by re-analysis when shared)."""
        for change in changes[:6]:
            label = self._layer_label(change.layer, names)
            description = f"change {label}: {suggest.describe(change.values)}"
            fix, code = self._make_fix(change.layer, change.values, description, not change.approximate)
            if fix is None:
                continue
            if (change.approximate or self._needs_check(change.layer, fix)) and not self._fix_holds(fix):
                continue
            return change, fix, code
        return None

    def _operand_suggestion(self, finding: Finding, names: Dict[int, str], bounds):
        """Tensors combined with incompatible shapes: change one operand's chain to fit the other."""
        changes = []
        for tensor, wanted in finding.operands:
            def verify(shape: MaybeShape, wanted=wanted) -> bool:
                return shape is not None and len(shape) == len(wanted) and all(
                    not is_known(d) or not is_known(w) or d == w for d, w in zip(shape, wanted)
                )

            search = suggest.chain_changes(self.propagator, tensor, wanted, bounds, verify)
            self._note_stop(search.exhausted)
            changes.extend(search.changes)
        changes.sort(key=lambda c: c.rank)
        for tensor, _ in finding.operands:
            changes = self._shared_same_size(suggest.chain_of(self.propagator, tensor)) + changes
        chosen = self._first_fix(changes, names)
        if chosen is None:
            return Suggestion(finding.message)
        change, fix, code = chosen
        label = self._layer_label(change.layer, names)
        return Suggestion(f"{finding.message}; fix: {label} with {suggest.describe(change.values)}", code, fix)


def _checked(output: MaybeShape, declared: MaybeShape) -> bool:
    """Whether every dim the declaration fixes is known in the output (so it was compared)."""
    if output is None:
        return False
    if declared is None or len(declared) != len(output):
        return all(d is not None for d in output)
    return all(o is not None or d is None for o, d in zip(output, declared))


_REANALYSES_SPENT = (f"fixes of layers built several times are checked by analysing the edited file,"
                     f" at most {MAX_REANALYSES} times per file, and those checks are spent")


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
        k, s, p, d = (params[name][i] if name in params else 1 for name in ("kernel_size", "stride", "padding", "dilation"))
        p = params["padding"][i]
        if min(k, s, d, size) < 1 or p < 0:
            return None
        if layer.spec.family == "conv_transpose":
            op = min(params["output_padding"][i], max(s, d) - 1)
            value = formulas.conv_transpose_out(size, k, s, p, op, d)
        elif layer.spec.family == "conv":
            value = formulas.conv_out(size, k, s, p, d) if size + 2 * p >= formulas.effective_kernel(k, d) else 0
        else:
            value = formulas.pool_out(size, k, s, min(p, k // 2), d, False)
        # A size that would vanish: the smallest valid one (the layer reduced it to a point).
        out.append(max(value, 1))
    return tuple(input_shape[:-n]) + tuple(out)


_CAPTURE = ArgumentCapture()


def apply_edits(text: str, edits) -> str:
    """The text with edits applied (1-based character rows and columns, end exclusive)."""
    starts = [0]
    for match in re.finditer(r"\r\n|\r|\n", text):
        starts.append(match.end())

    def offset(position: Tuple[int, int]) -> int:
        row, column = position
        return starts[min(row, len(starts)) - 1] + column - 1

    out = text
    for edit in sorted(edits, key=lambda e: e.start, reverse=True):
        out = out[: offset(edit.start)] + edit.content + out[offset(edit.end):]
    return out


def _chain_text(steps, names: Dict[int, str], limit: int = 8) -> str:
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


def _example_spec(shape: Optional[Tuple[Any, ...]]) -> Optional[ShapeSpec]:
    """The declaration an example input's literal shape makes; None when it is not a shape a
    tensor can have (``torch.randn(-1)``, a 30-digit size: the example fails when it runs)."""
    if shape is None or not all(is_known(d) and d >= 0 for d in shape):
        return None
    try:
        return parse_shape_tuple(repr(tuple(shape)))
    except (DeclarationError, ValueError):  # ValueError: an int of over 4,300 digits has no repr
        return None


def _finding_key(finding: Finding) -> Tuple:
    """What a finding is about, the same in two runs of a model on inputs of different ranks."""
    return (finding.code, id(finding.node), id(finding.statement), finding.anchor_line)


def _concrete(shape: MaybeShape) -> bool:
    return shape is not None and all(is_known(d) for d in shape)


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


def _declared_text(spec: ShapeSpec) -> str:
    text = spec.text.strip()
    if text.startswith(("(", "[")):
        return text
    return f"'{text}'"


def _contradicts(a: ShapeSpec, b: ShapeSpec) -> bool:
    shape = b.resolve({})
    if shape is None:
        return False
    if any(isinstance(d, str) for d in shape):
        # Names of one declaration are not sizes of the other: compare fixed sizes only.
        shape = tuple(d if is_known(d) else None for d in shape)
    return a.match(shape, {}) is not None


def _mentions_nn(index: FileIndex) -> bool:
    return any(isinstance(v, TorchRef) for v in index.scope.values())


#: Compound statements whose indented body the example search reads (not a class's).
_SEARCHED_BLOCKS = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.If, ast.With, ast.AsyncWith,
                              ast.For, ast.AsyncFor, ast.While, ast.Try})
#: Compound statements it skips.
_COMPOUND = frozenset({ast.ClassDef} | {getattr(ast, name) for name in ("TryStar", "Match") if hasattr(ast, name)})


def _statement_lines(body: List[ast.stmt]) -> List[List[ast.stmt]]:
    """A block's statements grouped by line (``a = 1; return b`` is one line of two)."""
    lines: List[List[ast.stmt]] = []
    previous_end = -1
    for statement in body:
        if lines and statement.lineno == previous_end and type(statement) not in _BLOCK_STATEMENTS \
                and type(lines[-1][-1]) not in _BLOCK_STATEMENTS:
            lines[-1].append(statement)
        else:
            lines.append([statement])
        previous_end = statement.end_lineno or statement.lineno
    return lines


_BLOCK_STATEMENTS = _SEARCHED_BLOCKS | _COMPOUND


def _arguments(call: ast.Call) -> List[Tuple[Optional[str], ast.expr]]:
    """A call's arguments in source order, as (keyword or None, value): ``*x`` and ``**x`` give
    (None, x)."""
    found: List[Tuple[Optional[str], ast.expr]] = [
        (None, arg.value if type(arg) is ast.Starred else arg) for arg in call.args]
    found.extend((keyword.arg, keyword.value) for keyword in call.keywords)
    if call.keywords and any(type(arg) is ast.Starred for arg in call.args):
        # `f(a=1, *rest)`: positional stars may follow keywords.
        starts = [(a.lineno, a.col_offset) for a in call.args] + [(k.lineno, k.col_offset) for k in call.keywords]
        order = sorted(range(len(found)), key=starts.__getitem__)
        found = [found[i] for i in order]
    return found


#: Per node type, the fields holding its child nodes, in source order.
_CHILD_FIELDS: Dict[type, Tuple[str, ...]] = {
    ast.IfExp: ("body", "test", "orelse"),
}
_NOT_CHILDREN = frozenset({"ctx", "op", "ops", "type_comment"})


def _calls_in(node: ast.AST) -> List[ast.Call]:
    """The calls in a statement (not in its lambdas), depth first, last child first."""
    found: List[ast.Call] = []
    stack = [node]
    while stack:
        current = stack.pop()
        kind = type(current)
        if kind is ast.Call:
            found.append(current)
        elif kind is ast.Lambda or kind is ast.FunctionDef or kind is ast.ClassDef:
            continue
        stack.extend(_children(current))
    return found


def _children(node: ast.AST) -> List[ast.AST]:
    kind = type(node)
    if kind is ast.Dict:
        # Keys and values interleaved, as written (`**x` has no key).
        out: List[ast.AST] = []
        for key, value in zip(node.keys, node.values):
            if key is not None:
                out.append(key)
            out.append(value)
        return out
    names = _CHILD_FIELDS.get(kind)
    if names is None:
        names = _CHILD_FIELDS[kind] = tuple(n for n in kind._fields if n not in _NOT_CHILDREN)
    out = []
    for name in names:
        value = getattr(node, name, None)
        if isinstance(value, ast.AST):
            out.append(value)
        elif type(value) is list:
            out.extend(v for v in value if isinstance(v, ast.AST))
    return out


def _referenced_classes(info: ClassInfo, index: FileIndex, names_in) -> List[ClassInfo]:
    """Classes of the file a class refers to in its body (directly or via helper functions)."""
    names = names_in(info.node)
    found: List[ClassInfo] = []
    seen_functions: set = set()
    pending = list(names)
    while pending:
        name = pending.pop()
        if name in index.classes and index.classes[name] not in found:
            found.append(index.classes[name])
        elif name in index.functions and name not in seen_functions:
            seen_functions.add(name)
            pending.extend(names_in(index.functions[name]))
    return found


