"""Plan, the first stage of the analysis of a file: which models the file defines, which
declaration of each one's shapes wins, and which example and constructor call builds each.

Nothing here runs the user's code. ``read_declarations`` reads what the syntax says (pragma
comments, jaxtyping annotations of ``forward``) before anything runs; ``plan_models`` adds what
needs the module's names after its top level ran (module-level models, ``--input net=...`` for
``net = Net()``, example inputs) and the options. Every result is immutable; the problems found
(SHP002, SHP003) are returned with it, never reported on the side.
"""

from __future__ import annotations

import ast
import functools
import re
from types import MappingProxyType
from typing import Any, Callable, Dict, FrozenSet, Iterator, List, Mapping, NamedTuple, Optional, Set, Tuple

from ..core.codes import BAD_DECLARATION, CONFLICTING_DECLARATIONS
from ..core.initargs import InitArgs, binding_problem
from ..core.options import Options, key_declares
from ..core.results import Diagnostic
from ..core.shapes import MaybeShape, is_known
from ..core.text import split_lines
from ..core.shapespec import DeclarationError, ShapeSpec, parse_jaxtyping_dims, parse_pragma
from .collect import ClassInfo, FileIndex, dotted_name, scan_pragmas
from .positions import Positions
from .values import ClassRef, ModuleValue, UserModule


class ParsedFile(NamedTuple):
    """One file as every stage reads it."""

    tree: ast.Module
    text: str
    path: str
    positions: Positions
    index: FileIndex
    #: The project modules the file imports (``project.py``); None: imports are not followed.
    project: Optional[Any] = None


class Pragma(NamedTuple):
    """A ``# shapelint: key=shape ...`` comment."""

    specs: Mapping[str, Any]  # "input" / "output" -> the ShapeSpec declared; "init" -> InitArgs
    column: int  # 1-based column of its ``#``
    alone: bool  # the comment is alone on its line


class Declaration(NamedTuple):
    """One declared input or output shape of a model, and where it comes from."""

    spec: ShapeSpec
    source: str  # cli, pragma, jaxtyping, config, example
    line: int = 1
    column: int = 1
    #: For an example input: the constructor call the example builds the model with.
    build: Optional[ast.Call] = None
    #: The local names that call sees where it is (``n`` of ``n = 1; Net(blocks=n)`` in a
    #: function); the module's names for the others.
    build_locals: Mapping[str, Any] = MappingProxyType({})

    def describe(self) -> str:
        where = {"cli": "on the command line", "config": "in the configuration"}.get(self.source)
        if where:
            return where
        return f"by the {self.source} on line {self.line}"


class Construction(NamedTuple):
    """Constructor arguments given explicitly (``--init``, ``init(...)`` pragma, config)."""

    arguments: InitArgs
    source: str  # cli, pragma, config
    line: int = 1
    column: int = 1
    #: False when they do not bind to ``__init__`` (reported): the model is then built with
    #: unknown arguments, never with the defaults.
    fits: bool = True


#: Where two declarations declare the same thing, the first source here wins: the command line
#: beats pragmas, which beat jaxtyping annotations, which beat pyproject.toml, which beats example
#: inputs (README, "Declaring shapes").
PRECEDENCE = ("cli", "pragma", "jaxtyping", "config", "example")


class ClassDeclarations(NamedTuple):
    """What a model class's own text declares: pragmas on or above it, jaxtyping on ``forward``."""

    inputs: Tuple[Declaration, ...]
    outputs: Tuple[Declaration, ...]
    #: jaxtyping declarations of ``forward``'s tensor parameters (the input's included), by name.
    extra_inputs: Mapping[str, Declaration]
    #: The pragma lines that declare the model, not a statement of it.
    pragma_lines: FrozenSet[int]
    #: ``# shapelint: init(...)`` on the class line or the comment line above it.
    construction: Optional[Construction] = None


class Declarations(NamedTuple):
    """What the file declares before anything runs."""

    pragmas: Mapping[int, Pragma]  # by line
    classes: Mapping[str, ClassDeclarations]  # by class name, for every nn.Module class
    problems: Tuple[Diagnostic, ...]  # SHP002: malformed pragmas and annotations


class ModelPlan(NamedTuple):
    """How one model is analysed: built how, called on what, compared with what."""

    name: str
    line: int
    #: A model class, or else a module-level assignment of an nn.Module expression.
    info: Optional[ClassInfo]
    statement: Optional[ast.stmt]
    value: Optional[ast.expr]
    #: The declarations that win (None: not declared; an undeclared input is probed).
    input: Optional[Declaration]
    output: Optional[Declaration]
    #: The constructor call the model is built with (an example's); None: as the file builds it.
    build: Optional[ast.Call]
    #: The input shape, None when the declaration is not one shape (``*batch``, nothing declared).
    input_shape: MaybeShape
    #: The sizes the declared names stand for (``b``, ``*batch``), as the input binds them.
    sizes: Mapping[str, Any]
    extra_inputs: Mapping[str, Declaration]
    #: Every single-dim name the model's declarations use (a variadic gets other names).
    names_in_use: FrozenSet[str]
    #: The local names ``build`` sees (``Declaration.build_locals``).
    build_locals: Mapping[str, Any] = MappingProxyType({})
    #: Constructor arguments given explicitly; they replace ``build``'s.
    construction: Optional[Construction] = None


class FilePlan(NamedTuple):
    models: Tuple[ModelPlan, ...]
    problems: Tuple[Diagnostic, ...]  # SHP003: declarations that contradict each other


#: Evaluates an expression in the module's scope and the local names given, reporting nothing
#: (for example inputs).
Evaluate = Callable[[ast.expr, Dict[str, Any]], Any]


def _problem(code: str, message: str, path: str, start: Tuple[int, int]) -> Diagnostic:
    return Diagnostic(code, message, path, start[0], start[1], start[0], start[1])


# --------------------------------------------------------------------------- before anything runs


def read_declarations(parsed: ParsedFile) -> Declarations:
    """The pragmas of the file, and what each nn.Module class declares itself."""
    pragmas, problems = _read_pragmas(parsed)
    classes: Dict[str, ClassDeclarations] = {}
    for info in parsed.index.classes.values():
        if info.kind:
            classes[info.name] = _class_declarations(info, pragmas, parsed, problems)
    problems.extend(_misplaced_inits(pragmas, classes, parsed.path))
    return Declarations(MappingProxyType(pragmas), MappingProxyType(classes), tuple(problems))


def _misplaced_inits(pragmas: Mapping[int, Pragma], classes: Mapping[str, ClassDeclarations],
                     path: str) -> List[Diagnostic]:
    """SHP002 for each ``init(...)`` pragma that no model class takes: it would build nothing."""
    taken = {found.construction.line for found in classes.values() if found.construction is not None}
    return [_problem(BAD_DECLARATION, "malformed shapelint pragma: init(...) belongs on a model class's"
                     " line or the comment line directly above it", path, (line, pragma.column))
            for line, pragma in sorted(pragmas.items()) if "init" in pragma.specs and line not in taken]


def _read_pragmas(parsed: ParsedFile) -> Tuple[Dict[int, Pragma], List[Diagnostic]]:
    found = scan_pragmas(parsed.text)
    inside_strings = parsed.positions.string_lines(found) if found else set()
    pragmas: Dict[int, Pragma] = {}
    problems: List[Diagnostic] = []
    for line, (column, comment, alone) in found.items():
        if (line, column) in inside_strings:
            continue
        try:
            specs = _parsed_pragma(comment)
        except DeclarationError as error:
            problems.append(_problem(BAD_DECLARATION, str(error), parsed.path, (line, column)))
            continue
        if specs:
            pragmas[line] = Pragma(specs, column, alone)
    return pragmas, problems


@functools.lru_cache(maxsize=1024)
def _parsed_pragma(comment: str) -> Optional[Mapping[str, Any]]:
    """``parse_pragma``, read-only, each comment text once: an editor's buffer is analysed on
    every edit, and its pragmas are the same comments each time (a malformed one raises again)."""
    specs = parse_pragma(comment)
    return MappingProxyType(specs) if specs is not None else None


def _class_declarations(info: ClassInfo, pragmas: Mapping[int, Pragma], parsed: ParsedFile,
                        problems: List[Diagnostic]) -> ClassDeclarations:
    """Pragmas on the class line, the comment line above it (above its decorators) or the
    ``def forward`` header; then jaxtyping annotations of ``forward``."""
    positions = parsed.positions
    node = info.node
    header_lines = positions.statement_lines(node)
    first = positions.first_line(node)
    candidates: List[int] = []
    if header_lines:
        candidates.append(header_lines[0])
    if first and first - 1 in pragmas and pragmas[first - 1].alone:
        candidates.append(first - 1)
    construction = _pragma_construction(candidates, pragmas)
    found = info.find_method("forward")
    forward = found[1] if found else None
    if forward is not None:
        lines = positions.statement_lines(forward)
        body_line = _body_line(forward, positions)
        if lines:
            candidates.extend(range(lines[0], (body_line or lines[0] + 1)))
    inputs: List[Declaration] = []
    outputs: List[Declaration] = []
    used = {line for line in candidates if line in pragmas}
    for line in candidates:
        if line in pragmas:
            _add_pragma(pragmas[line], line, inputs, outputs)
    extra_inputs: Dict[str, Declaration] = {}
    if forward is not None:
        _jaxtyping(forward, parsed, inputs, outputs, extra_inputs, problems)
    return ClassDeclarations(tuple(inputs), tuple(outputs), MappingProxyType(extra_inputs), frozenset(used),
                             construction)


def _pragma_construction(lines: List[int], pragmas: Mapping[int, Pragma]) -> Optional[Construction]:
    """The ``init(...)`` of the pragmas on the class line or the comment line above it (the
    class line's first)."""
    for line in lines:
        pragma = pragmas.get(line)
        if pragma is not None and "init" in pragma.specs:
            return Construction(pragma.specs["init"], "pragma", line, pragma.column)
    return None


def _add_pragma(pragma: Pragma, line: int, inputs: List[Declaration], outputs: List[Declaration]) -> None:
    if "input" in pragma.specs:
        inputs.append(Declaration(pragma.specs["input"], "pragma", line, pragma.column))
    if "output" in pragma.specs:
        outputs.append(Declaration(pragma.specs["output"], "pragma", line, pragma.column))


def _body_line(function: ast.FunctionDef, positions: Positions) -> Optional[int]:
    """The line of the first statement of a function's indented body (None for a one-line
    ``def f(x): return x``)."""
    body = function.body
    if body and positions.starts_line(body[0]):
        lines = positions.statement_lines(body[0])
        if lines:
            return lines[0]
    return None


def _jaxtyping(forward: ast.FunctionDef, parsed: ParsedFile, inputs: List[Declaration],
               outputs: List[Declaration], extra_inputs: Dict[str, Declaration],
               problems: List[Diagnostic]) -> None:
    """The first tensor parameter after ``self`` is the input; every annotated one is a tensor
    ``forward`` is called with; the return annotation is the output."""
    params = (list(forward.args.posonlyargs) + list(forward.args.args))[1:]  # after self
    def_line = _line(forward, parsed.positions)
    first_tensor = True
    for param in params:
        annotation = param.annotation
        string = _jaxtyping_string(annotation) if annotation is not None else None
        if string is None:
            if annotation is not None and dotted_name(annotation) in ("int", "float", "bool", "str"):
                continue  # not a tensor: the input is a later parameter
            first_tensor = False  # the input is this parameter, and it declares nothing
            continue
        where = parsed.positions.annotation(forward, param.arg) or (def_line, 1)
        declaration = _parse_jaxtyping(string, where, parsed.path, problems)
        if declaration is None:
            first_tensor = False
            continue
        if first_tensor:
            inputs.append(declaration)
        extra_inputs[param.arg] = declaration
        first_tensor = False
    string = _jaxtyping_string(forward.returns) if forward.returns is not None else None
    if string is not None:
        where = parsed.positions.annotation(forward, None) or (def_line, 1)
        declaration = _parse_jaxtyping(string, where, parsed.path, problems)
        if declaration is not None:
            outputs.append(declaration)


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


def _parse_jaxtyping(string: ast.expr, where: Tuple[int, int], path: str,
                     problems: List[Diagnostic]) -> Optional[Declaration]:
    if type(string) is not ast.Constant or not isinstance(string.value, str):
        return None  # bytes
    try:
        spec = parse_jaxtyping_dims(string.value)
    except DeclarationError as error:
        problems.append(_problem(BAD_DECLARATION, str(error), path, where))
        return None
    return Declaration(spec, "jaxtyping", where[0], where[1])


def _line(node: ast.AST, positions: Positions) -> int:
    lines = positions.statement_lines(node)
    return lines[0] if lines else 1


# --------------------------------------------------------------------------- the models


def plan_models(parsed: ParsedFile, declarations: Declarations, names: Mapping[str, Any],
                examples: Mapping[str, Declaration], options: Options) -> FilePlan:
    """The models of the file, in order: its nn.Module classes (those only built by other
    classes are parts, unless declared), then its module-level models (``net = nn.Sequential(
    ...)``). ``names`` are the module's names after its top level ran; ``examples`` the first
    example input of each model (``examples.find_examples``)."""
    problems: List[Diagnostic] = []
    models: List[ModelPlan] = []
    parts = _parts(parsed)
    for info in parsed.index.classes.values():
        if not info.kind:
            continue
        own = declarations.classes[info.name]
        inputs, outputs = list(own.inputs), list(own.outputs)
        # `net = Net()` at module level: `--input net=...` declares Net.
        aliases = [var for var, value in names.items() if isinstance(value, UserModule) and value.cls is info]
        _add_options(options, parsed.path, [info.name] + aliases, inputs, outputs)
        if info.name in examples:
            inputs.append(examples[info.name])
        construction = _construction(options, parsed.path, [info.name] + aliases, own.construction)
        if (info.name in parts or info.kind == "layer") and not inputs and not outputs and construction is None:
            continue  # a part of models (a layer's subclass is one) unless declared
        line = _line(info.node, parsed.positions)
        construction = _checked_construction(construction, info, line, parsed.path, problems)
        models.append(_model_plan(info.name, line, inputs, outputs, own.extra_inputs, problems, parsed.path,
                                  info=info, construction=construction))
    for info, example in _imported_models(parsed, names, examples):
        inputs, outputs = [example], []
        _add_options(options, parsed.path, [info.name], inputs, outputs)
        construction = _construction(options, parsed.path, [info.name], None)
        construction = _checked_construction(construction, info, example.line, parsed.path, problems)
        models.append(_model_plan(info.name, example.line, inputs, outputs, MappingProxyType({}),
                                  problems, parsed.path, info=info, construction=construction))
    for statement, name, value in _module_level_models(parsed.tree, names):
        inputs, outputs = _assignment_declarations(statement, declarations.pragmas, parsed.positions)
        _add_options(options, parsed.path, [name], inputs, outputs)
        if name in examples:
            inputs.append(examples[name])
        models.append(_model_plan(name, _line(statement, parsed.positions), inputs, outputs,
                                  MappingProxyType({}), problems, parsed.path, statement=statement, value=value))
    return FilePlan(tuple(models), tuple(problems))


def _imported_models(parsed: ParsedFile, names: Mapping[str, Any],
                     examples: Mapping[str, Declaration]) -> Iterator[Tuple[ClassInfo, Declaration]]:
    """The model classes of other files of the project that this file builds and calls in an
    example (``train.py``'s ``UNet(3, 2)(torch.randn(1, 3, 64, 64))``), each once."""
    seen: Set[str] = set(parsed.index.classes)
    for value in names.values():
        if isinstance(value, ClassRef) and value.info.kind and value.info.globals is not None:
            name = value.info.name
            if name in examples and name not in seen:
                seen.add(name)
                yield value.info, examples[name]


def _construction(options: Options, path: str, names: List[str],
                  pragma: Optional[Construction]) -> Optional[Construction]:
    """The explicit constructor arguments that win: the command line's, then the pragma's,
    then the configuration's (an example's own call loses to all of them)."""
    return (_option_construction(options.cli_inits, "cli", path, names) or pragma
            or _option_construction(options.config_inits, "config", path, names))


def _option_construction(inits: Mapping[str, InitArgs], source: str, path: str,
                         names: List[str]) -> Optional[Construction]:
    for key, arguments in (inits or {}).items():
        if any(key_declares(key, name, path) for name in names):
            return Construction(arguments, source)
    return None


def _checked_construction(construction: Optional[Construction], info: ClassInfo, line: int, path: str,
                          problems: List[Diagnostic]) -> Optional[Construction]:
    """The construction, marked as not fitting (and an SHP002: at the pragma, or at the model
    for the command line's and the configuration's) when its arguments do not bind to
    ``__init__`` as Python binds them."""
    if construction is None:
        return None
    found = info.find_method("__init__")
    problem = binding_problem(found[1], construction.arguments) if found is not None else None
    if problem is None:
        return construction
    arguments = construction.arguments
    if construction.source == "pragma":
        problems.append(_problem(BAD_DECLARATION, f"malformed shapelint pragma: init({arguments.text}):"
                                 f" {info.name}() {problem}", path, (construction.line, construction.column)))
    else:
        problems.append(_problem(BAD_DECLARATION, f"{arguments.origin}: {info.name}() {problem}", path, (line, 1)))
    return construction._replace(fits=False)


def _model_plan(name: str, line: int, inputs: List[Declaration], outputs: List[Declaration],
                extra_inputs: Mapping[str, Declaration], problems: List[Diagnostic], path: str,
                info: Optional[ClassInfo] = None, statement: Optional[ast.stmt] = None,
                value: Optional[ast.expr] = None, construction: Optional[Construction] = None) -> ModelPlan:
    inputs = _strongest_first(inputs)
    outputs = _strongest_first(outputs)
    chosen_input = _choose(inputs, "input", name, path, problems)
    chosen_output = _choose(outputs, "output", name, path, problems)
    build, input_shape, sizes = _declared_input(inputs, chosen_input)
    declared = inputs + outputs + list(extra_inputs.values())
    names_in_use = frozenset(n for d in declared for n in d.spec.names() if not n.startswith("*"))
    if construction is not None:
        build = None  # the explicit arguments replace the example's call; its input still counts
    return ModelPlan(name, line, info, statement, value, chosen_input, chosen_output,
                     build.build if build is not None else None, input_shape, MappingProxyType(sizes),
                     extra_inputs, names_in_use, build.build_locals if build is not None else MappingProxyType({}),
                     construction)


def _strongest_first(declarations: List[Declaration]) -> List[Declaration]:
    return sorted(declarations, key=lambda d: PRECEDENCE.index(d.source))


def _choose(ordered: List[Declaration], what: str, model: str, path: str,
            problems: List[Diagnostic]) -> Optional[Declaration]:
    """The strongest declaration; in-file declarations that contradict a stronger one are an
    SHP003 each, at the weaker one."""
    if not ordered:
        return None
    in_file = [d for d in ordered if d.source in ("pragma", "jaxtyping", "example")]
    for i, weaker in enumerate(in_file[1:], 1):
        for stronger in in_file[:i]:
            if _contradicts(stronger.spec, weaker.spec):
                problems.append(_problem(
                    CONFLICTING_DECLARATIONS,
                    f"{model}: {what} declared as {weaker.spec.text.strip()!s} here but as"
                    f" {stronger.spec.text.strip()} {stronger.describe()}",
                    path, (weaker.line, weaker.column)))
                break
    return ordered[0]


def _contradicts(a: ShapeSpec, b: ShapeSpec) -> bool:
    shape = b.resolve({})
    if shape is None:
        return False
    if any(isinstance(d, str) for d in shape):
        # Names of one declaration are not sizes of the other: compare fixed sizes only.
        shape = tuple(d if is_known(d) else None for d in shape)
    return a.match(shape, {}) is not None


def _declared_input(ordered: List[Declaration], chosen: Optional[Declaration]
                    ) -> Tuple[Optional[Declaration], MaybeShape, Dict[str, Any]]:
    """The declaration the model is built as, its input shape, and the sizes of the declared
    names (``b``, ``*batch``). A pattern (``"*batch 3 h w"``) takes the sizes of the strongest
    concrete declaration that fits it (``--input``, an example input); then every input
    declaration binds its names to those sizes (one that contradicts them binds nothing)."""
    sizes: Dict[str, Any] = {}
    if chosen is None:
        return None, None, sizes
    build, shape = chosen, chosen.spec.resolve({})
    if not _concrete(shape):
        for position, candidate in enumerate(ordered):
            concrete = candidate.spec.resolve({})
            if _concrete(concrete) and all(d.spec.match(concrete, {}) is None for d in ordered[:position]):
                build, shape = candidate, concrete
                break
    if shape is not None:
        for declaration in ordered:
            declaration.spec.match(shape, sizes)
    return build, shape, sizes


def _concrete(shape: MaybeShape) -> bool:
    return shape is not None and all(is_known(d) for d in shape)


def _add_options(options: Options, path: str, names: List[str], inputs: List[Declaration],
                 outputs: List[Declaration]) -> None:
    """The command line's and the configuration's declarations of a model known by ``names``."""
    for mapping, source, target in (
        (options.cli_inputs, "cli", inputs),
        (options.cli_outputs, "cli", outputs),
        (options.config_inputs, "config", inputs),
        (options.config_outputs, "config", outputs),
    ):
        for key, spec in (mapping or {}).items():
            if any(key_declares(key, name, path) for name in names):
                target.append(Declaration(spec, source))
                break


def _module_level_models(tree: ast.Module, names: Mapping[str, Any]) -> Iterator[Tuple[ast.stmt, str, ast.expr]]:
    """Module-level assignments of an nn.Module expression that is not a model class's
    instance (``decoder = nn.Sequential(...)``): (statement, variable, expression)."""
    for statement in tree.body:
        kind = type(statement)
        if kind is ast.Assign and len(statement.targets) == 1:
            target = statement.targets[0]
        elif kind is ast.AnnAssign and statement.value is not None:
            target = statement.target
        else:
            continue
        if type(target) is not ast.Name:
            continue
        value = names.get(target.id)
        if isinstance(value, ModuleValue) and not isinstance(value, UserModule):
            yield statement, target.id, statement.value


def _assignment_declarations(statement: ast.stmt, pragmas: Mapping[int, Pragma], positions: Positions
                             ) -> Tuple[List[Declaration], List[Declaration]]:
    """Pragmas on, or on the comment line directly above, a module-level model's assignment."""
    inputs: List[Declaration] = []
    outputs: List[Declaration] = []
    lines = positions.statement_lines(statement)
    if not lines:
        return inputs, outputs
    candidates = list(range(lines[0], lines[1] + 1))
    above = pragmas.get(lines[0] - 1)
    if above is not None and above.alone:
        candidates.insert(0, lines[0] - 1)
    for line in candidates:
        pragma = pragmas.get(line)
        if pragma is None:
            continue
        # A trailing pragma inside the expression belongs to the layer on that line.
        if line != lines[0] - 1 and line != lines[0] and "input" not in pragma.specs:
            continue
        _add_pragma(pragma, line, inputs, outputs)
    return inputs, outputs


# --------------------------------------------------------------------------- parts of models


def _parts(parsed: ParsedFile) -> Set[str]:
    """The nn.Module classes other classes of the file build: parts, not models."""
    names_in = _name_finder(parsed)
    index = parsed.index
    parts: Set[str] = set()
    for info in index.classes.values():
        if info.kind:
            for other in _referenced_classes(info, index, names_in):
                if other is not info:
                    parts.add(other.name)
    return parts


def _name_finder(parsed: ParsedFile) -> Callable[[ast.AST], List[str]]:
    """A function giving the names of the file's classes and functions a class or function
    mentions (a scan of its text: a mention in a comment only makes a model a part, never an
    error)."""
    index = parsed.index
    defined = sorted(set(index.classes) | set(index.functions), key=len, reverse=True)
    if not defined:
        return lambda node: []
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, defined)) + r")\b")
    lines = split_lines(parsed.text)

    def names_in(node: ast.AST) -> List[str]:
        if node is None:
            return []
        first = node.body[0].lineno if getattr(node, "body", None) else node.lineno
        last = getattr(node, "end_lineno", None) or node.lineno
        return list(_names_found(pattern, "\n".join(lines[first - 1:last])))

    return names_in


@functools.lru_cache(maxsize=512)
def _names_found(pattern: "re.Pattern[str]", text: str) -> FrozenSet[str]:
    """The names ``pattern`` finds in ``text``, each text once: an editor's buffer is analysed on
    every edit, and all its classes but one are the same text as before."""
    return frozenset(pattern.findall(text))


def _referenced_classes(info: ClassInfo, index: FileIndex, names_in) -> List[ClassInfo]:
    """Classes of the file a class refers to in its body (directly or via helper functions)."""
    found: List[ClassInfo] = []
    seen_functions: set = set()
    pending = list(names_in(info.node))
    while pending:
        name = pending.pop()
        if name in index.classes and index.classes[name] not in found:
            found.append(index.classes[name])
        elif name in index.functions and name not in seen_functions:
            seen_functions.add(name)
            pending.extend(names_in(index.functions[name]))
    return found
