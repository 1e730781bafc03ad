"""Shared by the real-model tests: PyTorch (on the CPU) as the oracle, the CLI as a black box.

- :func:`trace` loads a model file, builds its models and runs them with forward hooks on every
  ``named_modules()`` entry: the output shape of each module's first call, the line of the file
  where each module was constructed (recorded while it is built, not guessed from the text), and
  when PyTorch rejects the model, which module or statement failed.
- :func:`run_cli` runs ``shapelint`` in-process with captured stdout/stderr.
- :func:`apply_fixes` applies the ``fix.edits`` of ruff-style JSON (1-based rows/columns, end
  exclusive).
"""

from __future__ import annotations

import ast
import contextlib
import importlib.util
import io
import itertools
import shutil
import json
import os
import sys
import traceback
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Set, Tuple

warnings.filterwarnings("ignore", message="Failed to initialize NumPy")

import torch  # noqa: E402
from torch import nn  # noqa: E402

_counter = itertools.count()


# --------------------------------------------------------------------------------------------
# Loading and tracing


class _ConstructionLines:
    """While active, remembers for every nn.Module built by code in ``path`` the line of that
    file whose call constructed it (the innermost frame of the file that is not the module's
    own ``__init__``)."""

    def __init__(self, path: str) -> None:
        self.path = os.path.realpath(path)
        self.lines: Dict[int, int] = {}
        self._keep: List[nn.Module] = []

    def __enter__(self) -> "_ConstructionLines":
        original = nn.Module.__init__
        recorder = self

        def __init__(module, *args, **kwargs):  # noqa: N807 - replaces nn.Module.__init__
            original(module, *args, **kwargs)
            if id(module) in recorder.lines:
                return
            frame = sys._getframe(1)
            while frame is not None:
                if (
                    os.path.realpath(frame.f_code.co_filename) == recorder.path
                    and frame.f_locals.get("self") is not module
                ):
                    recorder.lines[id(module)] = frame.f_lineno
                    recorder._keep.append(module)
                    break
                frame = frame.f_back

        self._original = original
        nn.Module.__init__ = __init__
        return self

    def __exit__(self, *exc) -> None:
        nn.Module.__init__ = self._original


def load_module(path: str):
    """Import a model file under a fresh name (each mutation is its own module)."""
    name = f"_shapelint_model_{os.path.splitext(os.path.basename(path))[0]}_{next(_counter)}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class Trace:
    """What PyTorch did with one model."""

    model: Optional[nn.Module] = None
    #: first-call output shape of every module whose output is a tensor, by named_modules() name
    outputs: Dict[str, Tuple[int, ...]] = field(default_factory=dict)
    #: construction line (in the model file) of every module built there, by name
    lines: Dict[str, int] = field(default_factory=dict)
    #: named_modules() names and their class names
    types: Dict[str, str] = field(default_factory=dict)
    #: extra_repr() of every module, to see which ones a mutation changed
    reprs: Dict[str, str] = field(default_factory=dict)
    output: Optional[Tuple[int, ...]] = None
    error: Optional[str] = None
    #: the innermost module running when PyTorch raised (its name), if any
    failing_module: Optional[str] = None
    #: lines of the model file in the traceback of the error (the statement that failed)
    error_lines: Set[int] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return self.error is None


def _file_lines_of(tb, path: str) -> Set[int]:
    path = os.path.realpath(path)
    return {
        frame.lineno
        for frame in traceback.extract_tb(tb)
        if os.path.realpath(frame.filename) == path
    }


def trace(
    path: str,
    build: Callable[[Any], nn.Module],
    inputs: Sequence[Tuple[int, ...]],
    module: Any = None,
) -> Trace:
    """Load ``path`` (unless ``module`` is given), build a model, run it on zeros of ``inputs``."""
    result = Trace()
    recorder = _ConstructionLines(path)
    try:
        with recorder:
            if module is None:
                module = load_module(path)
            model = build(module)
    except Exception as error:  # noqa: BLE001 - PyTorch rejecting the constructor is a result
        result.error = f"{type(error).__name__}: {error}"
        result.error_lines = _file_lines_of(error.__traceback__, path)
        return result
    result.model = model
    stack: List[str] = []
    hooks = []
    for name, sub in model.named_modules():
        result.types[name] = type(sub).__name__
        result.reprs[name] = f"{type(sub).__name__}({sub.extra_repr()})"
        if id(sub) in recorder.lines:
            result.lines[name] = recorder.lines[id(sub)]

        def pre(mod, args, name=name):
            stack.append(name)

        def post(mod, args, output, name=name):
            if stack and stack[-1] == name:
                stack.pop()
            if name not in result.outputs and isinstance(output, torch.Tensor):
                result.outputs[name] = tuple(output.shape)

        hooks.append(sub.register_forward_pre_hook(pre))
        hooks.append(sub.register_forward_hook(post))
    try:
        model.eval()
        with torch.no_grad():
            out = model(*(torch.zeros(shape) for shape in inputs))
        result.output = tuple(out.shape)
    except Exception as error:  # noqa: BLE001
        result.error = f"{type(error).__name__}: {error}"
        result.failing_module = stack[-1] if stack else None
        result.error_lines = _file_lines_of(error.__traceback__, path)
    finally:
        for h in hooks:
            h.remove()
    return result


# --------------------------------------------------------------------------------------------
# Source positions


def call_span(source: str, line: int, type_name: Optional[str] = None) -> Set[int]:
    """Lines of the constructor call that starts on ``line`` (the one calling ``type_name`` when
    several calls start there), so a diagnostic anywhere in a multi-line call counts."""
    tree = ast.parse(source)
    candidates = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.lineno == line:
            func = node.func
            fname = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            candidates.append((fname == type_name, node.end_lineno - node.lineno, node))
    if not candidates:
        return {line}
    named = [c for c in candidates if c[0]]
    node = (min(named, key=lambda c: c[1]) if named else max(candidates, key=lambda c: c[1]))[2]
    return set(range(node.lineno, node.end_lineno + 1))


def enclosing_call_span(source: str, line: int, col: int) -> Set[int]:
    """Lines of the innermost layer-constructor call containing the position (1-based line,
    0-based column), or just the line."""
    tree = ast.parse(source)
    best = None
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        start = (node.lineno, node.col_offset)
        end = (node.end_lineno, node.end_col_offset)
        if start <= (line, col) < end:
            func = node.func
            fname = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if fname[:1].isupper():  # a class: a layer, not a helper such as get_padding
                if best is None or (node.lineno, node.col_offset) >= (best.lineno, best.col_offset):
                    best = node
    if best is None:
        return {line}
    return set(range(best.lineno, best.end_lineno + 1))


# --------------------------------------------------------------------------------------------
# The CLI


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        try:
            return json.loads(self.stdout)
        except ValueError as error:
            raise AssertionError(
                f"not JSON ({error}); exit {self.code}; stdout={self.stdout[:2000]!r}; "
                f"stderr={self.stderr[:2000]!r}"
            ) from None


def run_cli(*args: str) -> CliResult:
    from shapelint.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exit_:  # a front end that exits instead of returning
            code = exit_.code if isinstance(exit_.code, int) else 1
    return CliResult(code, out.getvalue(), err.getvalue())


def check_json(path: str, *extra: str) -> Tuple[int, List[dict], str]:
    result = run_cli("check", path, "--format", "json", "--no-cache", *extra)
    assert "Traceback" not in result.stderr, result.stderr
    diagnostics = result.json()
    assert isinstance(diagnostics, list), diagnostics
    return result.code, diagnostics, result.stderr


def shapes_json(path: str, *extra: str) -> Tuple[int, dict, str]:
    result = run_cli("shapes", path, "--format", "json", *extra)
    assert "Traceback" not in result.stderr, result.stderr
    data = result.json()
    assert isinstance(data, dict) and isinstance(data.get("models"), list), data
    return result.code, data, result.stderr


# --------------------------------------------------------------------------------------------
# Fixes


def _offset(line_starts: List[int], text: str, row: int, column: int) -> int:
    if not 1 <= row <= len(line_starts):
        if row == len(line_starts) + 1 and column == 1:
            return len(text)
        raise AssertionError(f"edit position row {row} outside the file ({len(line_starts)} lines)")
    start = line_starts[row - 1]
    end = line_starts[row] if row < len(line_starts) else len(text)
    offset = start + column - 1
    if not start <= offset <= end:
        raise AssertionError(f"edit position {row}:{column} outside its line")
    return offset


def apply_fixes(text: str, fixes: Iterable[Iterable[dict]]) -> Tuple[str, int]:
    """Apply the edits of each fix (a fix's edits go together; insertions at one point keep
    their order). A fix whose edits overlap an already accepted fix's is skipped, as ruff does
    before re-checking. Returns the new text and how many fixes were applied."""
    line_starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            line_starts.append(i + 1)
    if text.endswith("\n"):
        line_starts.pop()
    accepted: List[Tuple[int, int, int, str]] = []  # start, end, order, content
    applied = 0
    order = itertools.count()
    for fix in fixes:
        spans = []
        for edit in fix:
            start = _offset(line_starts, text, edit["location"]["row"], edit["location"]["column"])
            end = _offset(line_starts, text, edit["end_location"]["row"], edit["end_location"]["column"])
            assert start <= end, edit
            spans.append((start, end, next(order), edit["content"]))

        def clash(a, b) -> bool:
            if a[0] == a[1] == b[0] == b[1]:
                return True  # two fixes inserting at one point
            return a[0] < b[1] and b[0] < a[1]

        if any(clash(a, b) for a in spans for b in accepted):
            continue
        accepted.extend(spans)
        applied += 1
    for start, end, _, content in sorted(accepted, key=lambda s: (s[0], s[2]), reverse=True):
        text = text[:start] + content + text[end:]
    return text, applied


def apply_edits(text: str, edits: Iterable[dict]) -> Tuple[str, int]:
    """The edits of one fix."""
    return apply_fixes(text, [list(edits)])


# --------------------------------------------------------------------------------------------
# Shape comparison


def consistent(declared: Optional[list], actual: Tuple[int, ...], binding: Dict[str, int]) -> Optional[str]:
    """Whether a shape shapelint reports (ints, symbolic names, nulls) can be ``actual``; binds
    symbolic names. Returns a reason when it cannot."""
    if declared is None:
        return None
    if len(declared) != len(actual):
        return f"rank {len(declared)} != {len(actual)}"
    for i, (d, a) in enumerate(zip(declared, actual)):
        if d is None:
            continue
        if isinstance(d, bool) or not isinstance(d, (int, str)):
            return f"dim {i} is {d!r}, not an int, a name or null"
        if isinstance(d, int):
            if d != a:
                return f"dim {i}: shapelint {d}, torch {a}"
        else:
            if binding.setdefault(d, a) != a:
                return f"dim {i}: {d} is {binding[d]} elsewhere, torch {a}"
    return None


def known_dims(shape: Optional[list]) -> bool:
    return shape is not None and all(d is not None for d in shape)


# --------------------------------------------------------------------------------------------
# The model cases


def load_cases():
    """tests/models/cases.py, imported once."""
    name = "shapelint_test_model_cases"
    if name not in sys.modules:
        here = os.path.dirname(os.path.abspath(__file__))
        spec = importlib.util.spec_from_file_location(name, os.path.join(here, "models", "cases.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def prepare(file: str, directory) -> tuple:
    """Copy a model file into ``directory`` with the config its models need; return the path
    and the command-line arguments that declare the rest."""
    cases = load_cases()
    path = os.path.join(str(directory), file)
    shutil.copyfile(os.path.join(cases.MODELS_DIR, file), path)
    return path, file_args(file, directory)


def file_args(file: str, directory) -> list:
    """The command-line arguments of every model of ``file`` (writing its pyproject.toml)."""
    cases = load_cases()
    config_path = os.path.join(str(directory), "pyproject.toml")
    configs = [c.config for c in cases.cases_for(file) if c.config]
    if configs:
        with open(config_path, "w") as f:
            f.write("\n".join(configs))
    args: List[str] = []
    for case in cases.cases_for(file):
        cli = [a.replace("{config}", config_path) for a in case.cli]
        for flag, value in zip(cli[::2], cli[1::2]):
            if flag == "--config" and "--config" in args:
                continue
            args += [flag, value]
    return args
