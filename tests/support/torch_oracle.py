"""PyTorch (on the CPU) as the oracle of the real-model tests.

- :func:`trace` loads a model file, builds its models and runs them with forward hooks on every
  ``named_modules()`` entry: the output shape of each module's first call, the line of the file
  where each module was constructed (recorded while it is built, not guessed from the text), and
  when PyTorch rejects the model, which module or statement failed.
- :func:`call_span` / :func:`enclosing_call_span`: the lines of a constructor call, so that a
  diagnostic anywhere in a multi-line call counts as on it.
- :func:`consistent` / :func:`known_dims`: whether a shape shapelint reports can be PyTorch's.
- :func:`first_outputs`: a built model's ``named_modules()`` types and each module's first output.
"""

from __future__ import annotations

import ast
import importlib.util
import itertools
import os
import sys
import traceback
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Set, Tuple

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


def first_outputs(model: nn.Module, shape: Tuple[int, ...]) -> Tuple[Dict[str, str], Dict[str, Tuple[int, ...]]]:
    """The model's ``named_modules()`` types and the shape of each module's first tensor output,
    run in eval mode on a random input of ``shape`` (hooks removed afterwards)."""
    outputs: Dict[str, Tuple[int, ...]] = {}

    def recorder(name: str):
        def hook(module, args, output):
            if name not in outputs and isinstance(output, torch.Tensor):
                outputs[name] = tuple(output.shape)
        return hook

    handles = [module.register_forward_hook(recorder(name)) for name, module in model.named_modules()]
    try:
        with torch.no_grad():
            model.eval()(torch.randn(*shape))
    finally:
        for handle in handles:
            handle.remove()
    return {name: type(module).__name__ for name, module in model.named_modules()}, outputs
