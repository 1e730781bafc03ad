"""The mutation acceptance of issue 11: every integer literal of every layer call +-1, PyTorch as
the judge, shapelint's diagnostics and fixes measured against it.

- :func:`subjects`: the model files mutated — the acceptance models of tests/models/ (their
  catalogue, tests/models/cases.py) and the real-style files of tests/models/realstyle/ (their
  declarations read from the file itself: a ``# shapelint:`` pragma on the class line, the line
  above it or ``def forward``, or an example call under ``if __name__ == "__main__":``).
- :func:`enumerate_mutants`: the mutants of one file, each with its category —
  ``layer-literal`` (an argument of a torch.nn layer call in the model), ``block-internal`` (the
  same inside a reusable block class or a helper that builds layers), ``caller-argument`` (an
  argument of a call that instantiates a user block), ``expression`` (a literal inside a larger
  expression of either), ``default-constant`` (``__init__`` / helper defaults, size constants
  assigned at module level or in ``__init__``).
- :func:`judge`: what PyTorch does with a mutant (``bug``, ``ok`` or ``same`` when nothing
  PyTorch builds changed), and for a bug what ``shapelint check`` and ``check --fix
  --unsafe-fixes`` (the real CLI, in-process) make of it: :class:`Outcome`.

Importing this module imports torch (through :mod:`support.torch_oracle`).
"""

from __future__ import annotations

import ast
import inspect
import io
import os
import random
import re
import shutil
import tempfile
import tokenize
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import torch
from torch import nn

from support.cli import check_json, run_cli
from support.cpu_budget import CpuBudgetExceeded, cpu_budget
from support.real_models import MODELS_DIR, load_cases
from support.torch_oracle import trace

REALSTYLE_DIR = os.path.join(MODELS_DIR, "realstyle")
CATEGORIES = ("layer-literal", "caller-argument", "block-internal", "expression", "default-constant")
CONTAINERS = {"Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict"}
#: CPU seconds PyTorch may spend on one mutant's models (a mutant is tiny; this bounds a runaway)
TORCH_CPU_BUDGET = 30.0

Shape = Tuple[int, ...]


# --------------------------------------------------------------------------------------------
# Subjects: a model file and its declared models


@dataclass(frozen=True)
class DeclaredModel:
    name: str
    build: Callable[[Any], Any]
    inputs: Tuple[Shape, ...]
    declared_output: Optional[Shape]
    layer_declarations: Dict[str, Shape] = field(default_factory=dict)


@dataclass(frozen=True)
class Subject:
    #: path of the unmutated file
    path: str
    models: Tuple[DeclaredModel, ...]
    #: command-line arguments of ``shapelint check`` (``{config}`` stands for a pyproject path)
    cli: Tuple[str, ...] = ()
    config: Optional[str] = None
    #: ``acceptance`` (tests/models/) or ``realstyle``
    origin: str = "realstyle"

    @property
    def file(self) -> str:
        return os.path.basename(self.path)

    @property
    def label(self) -> str:
        return self.file if self.origin == "acceptance" else f"realstyle/{self.file}"

    def args(self, directory: str) -> List[str]:
        """The CLI arguments, writing the config the models need into ``directory``."""
        if self.config is None:
            return list(self.cli)
        config_path = os.path.join(directory, "pyproject.toml")
        with open(config_path, "w") as f:
            f.write(self.config)
        return [a.replace("{config}", config_path) for a in self.cli]


def acceptance_subjects() -> List[Subject]:
    """The correct models of tests/models/, grouped by file, from their catalogue."""
    cases = load_cases()
    subjects = []
    for file in cases.FILES:
        file_cases = cases.cases_for(file)
        if not all(c.correct for c in file_cases):
            continue
        cli: List[str] = []
        for case in file_cases:
            for flag, value in zip(case.cli[::2], case.cli[1::2]):
                if not (flag == "--config" and "--config" in cli):
                    cli += [flag, value]
        configs = [c.config for c in file_cases if c.config]
        models = tuple(
            DeclaredModel(c.name, c.build, c.inputs, c.declared_output, dict(c.layer_declarations))
            for c in file_cases
        )
        subjects.append(
            Subject(os.path.join(MODELS_DIR, file), models, tuple(cli),
                    "\n".join(configs) if configs else None, "acceptance")
        )
    return subjects


_PRAGMA_SHAPE = re.compile(r"\b(input|output)=(\([^)]*\)|\[[^\]]*\])")


def _pragma_shapes(line: str) -> Dict[str, Shape]:
    if "# shapelint:" not in line:
        return {}
    pragma = line.split("# shapelint:", 1)[1]
    return {key: tuple(ast.literal_eval(text)) for key, text in _PRAGMA_SHAPE.findall(pragma)}


def _class_pragmas(lines: Sequence[str], node: ast.ClassDef) -> Dict[str, Shape]:
    found: Dict[str, Shape] = {}
    first = min([node.lineno] + [d.lineno for d in node.decorator_list])
    candidates = [lines[first - 2] if first >= 2 else "", lines[node.lineno - 1]]
    candidates += [lines[item.lineno - 1] for item in node.body
                   if isinstance(item, ast.FunctionDef) and item.name == "forward"]
    for line in candidates:
        found.update(_pragma_shapes(line))
    return found


_TENSOR_FACTORIES = {"randn", "zeros", "ones", "rand", "empty"}


def _example_calls(tree: ast.Module) -> Dict[str, Tuple[tuple, dict, Shape]]:
    """class name -> (constructor args, kwargs, input shape) of examples under
    ``if __name__ == "__main__":``, for literal constructor arguments and input sizes."""
    found: Dict[str, Tuple[tuple, dict, Shape]] = {}
    for block in tree.body:
        if not (isinstance(block, ast.If) and "__main__" in ast.unparse(block.test)):
            continue
        instances: Dict[str, ast.Call] = {}
        for node in ast.walk(block):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and \
                    isinstance(node.value.func, ast.Name) and len(node.targets) == 1 and \
                    isinstance(node.targets[0], ast.Name):
                instances[node.targets[0].id] = node.value
        for node in ast.walk(block):
            if not (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Call)):
                continue
            factory = node.args[0]
            if not (isinstance(factory.func, ast.Attribute) and factory.func.attr in _TENSOR_FACTORIES):
                continue
            constructor = node.func if isinstance(node.func, ast.Call) else \
                instances.get(getattr(node.func, "id", None))
            if constructor is None or not isinstance(constructor.func, ast.Name):
                continue
            shape = tuple(ast.literal_eval(a) for a in factory.args)
            args = tuple(ast.literal_eval(a) for a in constructor.args)
            kwargs = {k.arg: ast.literal_eval(k.value) for k in constructor.keywords}
            found[constructor.func.id] = (args, kwargs, shape)
    return found


def read_declarations(path: str) -> Tuple[DeclaredModel, ...]:
    """The declared models of a real-style file: a class with a declared input (pragma or
    example), built as its example builds it (else from its defaults)."""
    with open(path) as f:
        source = f.read()
    tree = ast.parse(source)
    lines = source.splitlines()
    examples = _example_calls(tree)
    models = []
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        pragmas = _class_pragmas(lines, node)
        args, kwargs, example_input = examples.get(node.name, ((), {}, None))
        shape = pragmas.get("input", example_input)
        if shape is None:
            continue

        def build(module, name=node.name, args=args, kwargs=kwargs):
            return getattr(module, name)(*args, **kwargs)

        models.append(DeclaredModel(node.name, build, (shape,), pragmas.get("output")))
    return tuple(models)


def realstyle_files() -> List[str]:
    return sorted(f for f in os.listdir(REALSTYLE_DIR) if f.endswith(".py"))


def realstyle_subjects() -> List[Subject]:
    return [Subject(os.path.join(REALSTYLE_DIR, f), read_declarations(os.path.join(REALSTYLE_DIR, f)))
            for f in realstyle_files()]


def subjects() -> List[Subject]:
    return acceptance_subjects() + realstyle_subjects()


# --------------------------------------------------------------------------------------------
# Mutants


@dataclass(frozen=True)
class Mutant:
    subject: Subject
    line: int
    col: int
    end_col: int
    old: int
    new: int
    category: str
    #: what the literal feeds: ``Conv2d.kernel_size``, ``UNetUp.in_size``, ``__init__.ratios``...
    site: str
    #: the culprit's extent, (row, col)-(row, col), 1-based rows, 0-based columns: the call the
    #: literal is an argument of (the caller's call for a block argument), or the default or
    #: constant expression
    culprit: Tuple[Tuple[int, int], Tuple[int, int]]

    @property
    def id(self) -> str:
        return f"{self.subject.label}:{self.line}:{self.col}:{self.site}:{self.old}->{self.new}"

    def apply(self, source: str) -> str:
        lines = source.splitlines(keepends=True)
        row = lines[self.line - 1]
        assert row[self.col:self.end_col] == str(self.old), (self.id, row)
        lines[self.line - 1] = row[: self.col] + str(self.new) + row[self.end_col:]
        return "".join(lines)


def _call_name(func: ast.AST) -> Optional[str]:
    if isinstance(func, ast.Attribute):
        return func.attr
    return getattr(func, "id", None)


def nn_layer(func: ast.AST) -> Optional[type]:
    """The torch.nn layer class a call constructs (not a container), or None."""
    name = _call_name(func)
    if not name or name in CONTAINERS:
        return None
    cls = getattr(nn, name, None)
    if isinstance(cls, type) and issubclass(cls, nn.Module):
        return cls
    return None


class _FileModel:
    """What the mutant enumeration needs to know about a file's definitions."""

    def __init__(self, tree: ast.Module) -> None:
        self.classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
        self.functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
        self.methods = {
            (c.name, item.name): item
            for c in self.classes.values() for item in c.body if isinstance(item, ast.FunctionDef)
        }
        instantiated = {
            _call_name(n.func) for c in self.classes.values() for n in ast.walk(c)
            if isinstance(n, ast.Call)
        }
        #: classes another class builds: reusable blocks (the rest are the models)
        self.blocks = {name for name in self.classes if name in instantiated}

    def builds_layers(self, node: ast.AST) -> bool:
        return any(isinstance(n, ast.Call) and (nn_layer(n.func) or _call_name(n.func) in self.classes)
                   for n in ast.walk(node))

    def callee(self, call: ast.Call, owner: Optional[str]) -> Optional[ast.AST]:
        """The user class, layer-building helper or layer-building method a call invokes."""
        func = call.func
        if isinstance(func, ast.Name):
            if func.id in self.classes:
                return self.classes[func.id]
            helper = self.functions.get(func.id)
            return helper if helper is not None and self.builds_layers(helper) else None
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and \
                func.value.id == "self" and owner is not None:
            method = self.methods.get((owner, func.attr))
            return method if method is not None and self.builds_layers(method) else None
        return None


def _params_of(callee: ast.AST) -> List[str]:
    if isinstance(callee, ast.ClassDef):
        init = next((i for i in callee.body if isinstance(i, ast.FunctionDef) and i.name == "__init__"), None)
        return [a.arg for a in init.args.args[1:]] if init else []
    params = [a.arg for a in callee.args.args]
    return params[1:] if params[:1] == ["self"] else params


def _layer_params(cls: type) -> List[str]:
    try:
        return list(inspect.signature(cls).parameters)
    except (TypeError, ValueError):
        return []


def int_literals(node: ast.AST, direct: bool = True):
    """Integer literals of an argument expression, each with whether it is the argument itself
    (or an item of a tuple/list argument). Subscripts' indices, booleans and nested layer or
    block calls (their own sites) are left out."""
    if isinstance(node, ast.Constant):
        if isinstance(node.value, int) and not isinstance(node.value, bool):
            yield node, direct
        return
    if isinstance(node, ast.Subscript):
        yield from int_literals(node.value, False)
        return
    if isinstance(node, ast.Call) and nn_layer(node.func) is not None:
        return
    keeps_direct = direct and isinstance(node, (ast.Tuple, ast.List))
    for child in ast.iter_child_nodes(node):
        yield from int_literals(child, keeps_direct)


def _span(node: ast.AST) -> Tuple[Tuple[int, int], Tuple[int, int]]:
    return (node.lineno, node.col_offset), (node.end_lineno, node.end_col_offset)


def _enclosing(tree: ast.Module):
    """Each node with the class and function it is in (innermost)."""
    def visit(node, owner, function):
        yield node, owner, function
        for child in ast.iter_child_nodes(node):
            yield from visit(
                child,
                node.name if isinstance(node, ast.ClassDef) else owner,
                node if isinstance(node, ast.FunctionDef) else function,
            )
    yield from visit(tree, None, None)


def _sites(tree: ast.Module, model: _FileModel):
    """(literal, category, site, culprit span) of every mutable literal of the file."""
    for node, owner, function in _enclosing(tree):
        if isinstance(node, ast.Call):
            layer = nn_layer(node.func)
            callee = None if layer else model.callee(node, owner)
            if layer is None and callee is None:
                continue
            params = _layer_params(layer) if layer else _params_of(callee)
            name = layer.__name__ if layer else _call_name(node.func)
            inside_block = owner in model.blocks or (owner is None and function is not None)
            arguments = [(params[i] if i < len(params) else f"arg{i}", a) for i, a in enumerate(node.args)]
            arguments += [(k.arg or "**", k.value) for k in node.keywords]
            for param, value in arguments:
                for literal, direct in int_literals(value):
                    if not direct:
                        category = "expression"
                    elif layer is None:
                        category = "caller-argument"
                    else:
                        category = "block-internal" if inside_block else "layer-literal"
                    yield literal, category, f"{name}.{param}", _span(node)
        elif isinstance(node, ast.FunctionDef):
            positional = node.args.args[len(node.args.args) - len(node.args.defaults):]
            defaults = list(zip(positional, node.args.defaults))
            defaults += [(a, d) for a, d in zip(node.args.kwonlyargs, node.args.kw_defaults) if d is not None]
            for arg, default in defaults:
                for literal, _ in int_literals(default):
                    yield literal, "default-constant", f"{node.name}.{arg.arg}", _span(default)
            if node.name == "__init__":
                yield from _constant_assignments(node.body, "__init__")
    yield from _constant_assignments(tree.body, "module")


def _is_size_constant(value: ast.AST) -> bool:
    """An int, or a list/tuple of ints (strings such as VGG's ``'M'`` allowed among them)."""
    if isinstance(value, ast.Constant):
        return isinstance(value.value, int) and not isinstance(value.value, bool)
    if isinstance(value, (ast.List, ast.Tuple)):
        return any(_is_size_constant(e) for e in value.elts) and all(
            isinstance(e, ast.Constant) for e in value.elts)
    return False


def _constant_assignments(body, scope: str):
    for statement in body:
        if isinstance(statement, ast.If):  # ``if hidden_dims is None: hidden_dims = [...]``
            yield from _constant_assignments(statement.body, scope)
            continue
        if not (isinstance(statement, ast.Assign) and _is_size_constant(statement.value)):
            continue
        target = ast.unparse(statement.targets[0])
        for literal, _ in int_literals(statement.value):
            yield literal, "default-constant", f"{scope}.{target}", _span(statement.value)


def enumerate_mutants(subject: Subject) -> List[Mutant]:
    """Every literal of the file's sites, +1 and -1 (never below 0), in a stable order."""
    with open(subject.path) as f:
        tree = ast.parse(f.read())
    model = _FileModel(tree)
    seen = set()
    mutants = []
    for literal, category, site, culprit in _sites(tree, model):
        key = (literal.lineno, literal.col_offset)
        if key in seen:
            continue
        seen.add(key)
        for new in (literal.value + 1, literal.value - 1):
            if new < 0:
                continue
            mutants.append(Mutant(subject, literal.lineno, literal.col_offset, literal.end_col_offset,
                                  literal.value, new, category, site, culprit))
    mutants.sort(key=lambda m: (m.line, m.col, m.new))
    return mutants


def all_mutants(chosen: Optional[Sequence[Subject]] = None) -> List[Mutant]:
    return [m for s in (chosen if chosen is not None else subjects()) for m in enumerate_mutants(s)]


def sample(mutants: Sequence[Mutant], count: int, seed: int = 11) -> List[Mutant]:
    """A seeded sample of ``count`` mutants, spread over the categories in proportion."""
    if count >= len(mutants):
        return list(mutants)
    return sorted(random.Random(seed).sample(list(mutants), count), key=lambda m: m.id)


# --------------------------------------------------------------------------------------------
# PyTorch as the judge


def torch_verdict(path: str, models: Sequence[DeclaredModel]) -> Tuple[str, List[Any]]:
    """``rejected``, ``changed`` (a declared shape does not hold) or ``holds``, with the traces."""
    # One thread: the models are tiny, and the machine is shared (threads only contend).
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _torch_verdict(path, models)
    finally:
        torch.set_num_threads(threads)


def _torch_verdict(path: str, models: Sequence[DeclaredModel]) -> Tuple[str, List[Any]]:
    traces = []
    verdict = "holds"
    for declared in models:
        try:
            with cpu_budget(TORCH_CPU_BUDGET):
                t = trace(path, declared.build, declared.inputs)
        except CpuBudgetExceeded as error:
            return "rejected", traces + [str(error)]
        traces.append(t)
        if not t.ok:
            verdict = "rejected"
        elif verdict == "holds" and (
            (declared.declared_output is not None and t.output != declared.declared_output)
            or any(t.outputs.get(n) != s for n, s in declared.layer_declarations.items())
        ):
            verdict = "changed"
    return verdict, traces


def _fingerprint(traces) -> List[Any]:
    return [(t.reprs, t.outputs, t.output, t.error) if hasattr(t, "reprs") else t for t in traces]


_baselines: Dict[str, List[Any]] = {}


def baseline(subject: Subject) -> List[Any]:
    if subject.path not in _baselines:
        verdict, traces = torch_verdict(subject.path, subject.models)
        assert verdict == "holds", (subject.label, verdict, [getattr(t, "error", t) for t in traces])
        _baselines[subject.path] = _fingerprint(traces)
    return _baselines[subject.path]


# --------------------------------------------------------------------------------------------
# What shapelint makes of a mutant


@dataclass
class Outcome:
    mutant: Mutant
    #: ``bug``, ``ok`` (PyTorch runs, every declared shape holds) or ``same`` (nothing PyTorch
    #: builds or computes changed: skipped)
    kind: str
    torch: str = ""
    shp1: List[dict] = field(default_factory=list)
    on_line: bool = False
    repaired: bool = False
    repair_note: str = ""
    collapses: List[str] = field(default_factory=list)
    safe_outside: List[str] = field(default_factory=list)

    @property
    def false_positive(self) -> bool:
        return self.kind == "ok" and bool(self.shp1)


def shp1(diagnostics: Sequence[dict]) -> List[dict]:
    return [d for d in diagnostics if str(d.get("code", "")).startswith("SHP1")]


def _is_literal(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return _is_literal(node.operand)
    if isinstance(node, (ast.Tuple, ast.List)):
        return all(_is_literal(e) for e in node.elts)
    return False


def _parse_expression(text: str) -> Optional[ast.AST]:
    try:
        return ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        return None


def bare_literal(text: str) -> bool:
    node = _parse_expression(text)
    return node is not None and _is_literal(node)


_OPERATORS = {"+", "-", "*", "/", "//", "%", "**", "(", "[", "."}


def has_non_literal(text: str) -> bool:
    """Whether source text holds a name, an attribute, a call or an operator (keyword-argument
    names, ``kernel_size=``, do not count)."""
    node = _parse_expression(text)
    if node is not None:
        return not _is_literal(node)
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(text.strip()).readline)
                  if t.type in (tokenize.NAME, tokenize.OP)]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return False
    for i, token in enumerate(tokens):
        following = tokens[i + 1].string if i + 1 < len(tokens) else ""
        if token.type == tokenize.NAME and token.string not in ("True", "False", "None") and following != "=":
            return True
        if token.type == tokenize.OP and token.string in _OPERATORS and not (
                token.string == "(" and (i == 0 or tokens[i - 1].string in (",", "=", "("))):
            return True
    return False


def _text_between(source_lines: List[str], start: dict, end: dict) -> str:
    """The text of a JSON edit's range (1-based rows and columns, end exclusive)."""
    (r1, c1), (r2, c2) = (start["row"], start["column"]), (end["row"], end["column"])
    if r1 > len(source_lines):
        return ""
    if r1 == r2:
        return source_lines[r1 - 1][c1 - 1:c2 - 1]
    parts = [source_lines[r1 - 1][c1 - 1:]] + source_lines[r1:r2 - 1]
    if r2 <= len(source_lines):
        parts.append(source_lines[r2 - 1][:c2 - 1])
    return "".join(parts)


def _inside(culprit, start: dict, end: dict) -> bool:
    (cr1, cc1), (cr2, cc2) = culprit
    return (cr1, cc1 + 1) <= (start["row"], start["column"]) and \
        (end["row"], end["column"]) <= (cr2, cc2 + 1)


def fix_policy_breaches(mutant: Mutant, source: str, errors: Sequence[dict]) -> Tuple[List[str], List[str]]:
    """(expression collapsed into a literal, safe fix outside the culprit), one line each."""
    lines = source.splitlines(keepends=True)
    collapses, outside = [], []
    for d in errors:
        fix = d.get("fix")
        if not fix:
            continue
        for edit in fix.get("edits", []):
            old = _text_between(lines, edit["location"], edit["end_location"])
            where = f"{d['code']} row {edit['location']['row']}"
            if bare_literal(edit["content"]) and has_non_literal(old):
                collapses.append(f"{where}: {old.strip()!r} -> {edit['content']!r}")
            safe = fix.get("applicability") == "safe"
            if safe and not _inside(mutant.culprit, edit["location"], edit["end_location"]):
                outside.append(f"{where}: {old.strip()!r} -> {edit['content']!r} ({fix.get('message')})")
    return collapses, outside


def judge(mutant: Mutant, workdir: Optional[str] = None) -> Outcome:
    """PyTorch's verdict on the mutant and, for a bug, shapelint's diagnostics and fixes."""
    with open(mutant.subject.path) as f:
        original = f.read()
    mutated = mutant.apply(original)
    owned = workdir is None
    directory = tempfile.mkdtemp(prefix="shapelint-mutant-") if owned else workdir
    try:
        path = os.path.join(directory, mutant.subject.file)
        with open(path, "w") as f:
            f.write(mutated)
        args = mutant.subject.args(directory)
        verdict, traces = torch_verdict(path, mutant.subject.models)
        if verdict == "holds" and _fingerprint(traces) == baseline(mutant.subject):
            return Outcome(mutant, "same", verdict)
        _, diagnostics, _ = check_json(path, *args)
        errors = shp1(diagnostics)
        if verdict == "holds":
            return Outcome(mutant, "ok", verdict, errors)
        outcome = Outcome(mutant, "bug", _describe(verdict, traces), errors)
        outcome.on_line = any(d["location"]["row"] == mutant.line for d in errors)
        outcome.collapses, outcome.safe_outside = fix_policy_breaches(mutant, mutated, errors)
        outcome.repaired, outcome.repair_note = _repair(mutant, path, args)
        return outcome
    finally:
        if owned:
            shutil.rmtree(directory, ignore_errors=True)


def _describe(verdict: str, traces) -> str:
    for t in traces:
        if isinstance(t, str):
            return t
        if t.error:
            return t.error.splitlines()[0][:160]
    return f"{verdict}: output {[getattr(t, 'output', None) for t in traces]}"


def _repair(mutant: Mutant, path: str, args: List[str]) -> Tuple[bool, str]:
    """``shapelint check --fix --unsafe-fixes`` on the mutated file, then PyTorch on the result
    with the original declarations."""
    with open(path) as f:
        before = f.read()
    fixed = run_cli("check", path, "--fix", "--unsafe-fixes", "--no-cache", *args)
    if "Traceback" in fixed.stderr:
        return False, "traceback in check --fix"
    with open(path) as f:
        after = f.read()
    if after == before:
        return False, "no fix applied"
    verdict, traces = torch_verdict(path, mutant.subject.models)
    if verdict == "holds":
        return True, "repaired"
    return False, f"fixed file: {_describe(verdict, traces)}"
