"""Comparisons of classes, functions and torch names are exact or unknown, never a guess; and what
code under a condition that cannot be evaluated builds is unknown afterwards (a module under its
``named_modules()`` name, of unknown class and shape), never one branch's.

The oracles: Python itself for the comparisons; PyTorch's forward hooks and ``named_modules()``
for the models (each model file is loaded and run by PyTorch in the test).
"""

from __future__ import annotations

import ast
import warnings
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

from support.cli import check_json, shapes_json  # noqa: E402
from support.torch_oracle import consistent, trace  # noqa: E402

from shapelint.analysis.collect import index_file  # noqa: E402
from shapelint.analysis.evaluate import Scope  # noqa: E402
from shapelint.analysis.propagate import Propagator  # noqa: E402
from shapelint.core.layers import UNKNOWN  # noqa: E402

# --------------------------------------------------------------------------------------------
# The comparisons, with Python as the oracle

SOURCE = """\
import torch
from torch import nn
import torch.nn.functional as F


class A(nn.Module):
    pass


class B(A):
    pass


class Plain:
    pass


def f(x):
    return x


def g(x):
    return x


lam = lambda x: x
a = A()
b = B()
"""

#: Values the comparisons are made of, by what they are.
USER = ["A", "B", "Plain", "f", "g", "lam", "a", "b"]
TORCH = ["nn.ReLU", "nn.GELU", "torch.nn.ReLU", "F.relu", "F.gelu", "nn.Conv2d"]
PLAIN = ["None", "True", "False", "0", "1", "'A'", "()", "3.5"]
ATOMS = USER + TORCH + PLAIN
SINGLETONS = {"None", "True", "False"}
OPERATORS = ["is", "is not", "==", "!="]


def interpreted(expression: str):
    module = ast.parse(SOURCE)
    propagator = Propagator(index_file(module))
    scope = Scope(propagator.globals, propagator.globals)
    for statement in module.body:
        if not isinstance(statement, ast.ClassDef):  # the file's classes are in the index already
            propagator.exec_statement(statement, scope)
    return propagator.eval(ast.parse(expression, mode="eval").body, Scope(propagator.globals))


def python(expression: str):
    namespace: dict = {}
    exec(SOURCE, namespace)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)  # `0 is 'A'`: the point of the test
        return eval(expression, namespace)


def must_be_exact(left: str, right: str, op: str) -> bool:
    """Where Python's answer follows from the code alone: a class, function or module of the
    file against anything; torch classes and functions against each other and plain values;
    None, True and False against anything known (by identity), or None by equality; plain
    values by equality."""
    if left in USER or right in USER:
        return True
    if left in TORCH and right in TORCH or left in TORCH and right in PLAIN or left in PLAIN and right in TORCH:
        return True
    identity = op in ("is", "is not")
    if identity and (left in SINGLETONS or right in SINGLETONS):
        return True
    if not identity and "None" in (left, right):
        return True
    return not identity and left in PLAIN and right in PLAIN


def test_every_pair_is_exact_or_unknown_never_wrong():
    """All pairs of the values, every operator: the interpreter says what Python says, or
    unknown only where Python's answer depends on more than the code shows."""
    for left in ATOMS:
        for right in ATOMS:
            for op in OPERATORS:
                expression = f"{left} {op} {right}"
                got = interpreted(expression)
                expected = python(expression)
                if got is UNKNOWN:
                    assert not must_be_exact(left, right, op), f"{expression}: unknown, Python says {expected}"
                else:
                    assert got is expected, f"{expression}: {got}, Python says {expected}"


@settings(max_examples=150)
@given(st.sampled_from(ATOMS), st.lists(st.sampled_from(ATOMS), max_size=4), st.booleans(),
       st.sampled_from(["in", "not in"]))
def test_membership_in_a_tuple_or_list_of_classes_and_functions(left, items, as_list, op):
    container = ("[{}]" if as_list else "({},)" if len(items) == 1 else "({})").format(", ".join(items))
    expression = f"{left} {op} {container}"
    got = interpreted(expression)
    expected = python(expression)
    if got is UNKNOWN:
        assert not all(must_be_exact(left, item, "==") for item in items), \
            f"{expression}: unknown, Python says {expected}"
    else:
        assert got is expected, f"{expression}: {got}, Python says {expected}"


@pytest.mark.parametrize("expression", [
    "isinstance(a, A)", "isinstance(b, A)", "isinstance(a, B)", "isinstance(a, (B, nn.Module))",
    "isinstance(a, nn.Conv2d)", "isinstance(A, A)", "isinstance(f, A)", "isinstance(None, A)",
    "issubclass(B, A)", "issubclass(A, B)", "issubclass(B, nn.Module)", "issubclass(A, (Plain, B))",
    "issubclass(A, nn.Conv2d)",
])
def test_isinstance_and_issubclass_of_the_files_classes_are_exact(expression):
    assert interpreted(expression) is python(expression)


def test_torch_names_taken_as_distinct_are_distinct_in_pytorch():
    """The rule the comparisons of torch names use (plain_values._distinct_torch_name): the
    classes of torch.nn and the functions of torch.nn.functional are pairwise different objects,
    unequal, and none is None."""
    from shapelint.analysis.interpreter.plain_values import _distinct_torch_name

    nn, functional = torch.nn, torch.nn.functional
    named = [(f"torch.nn.{k}", getattr(nn, k)) for k in dir(nn)] + \
        [(f"torch.nn.functional.{k}", getattr(functional, k)) for k in dir(functional)]
    distinct = [(name, value) for name, value in named if _distinct_torch_name(name)]
    assert len(distinct) > 250  # the rule covers the API, not a handful of names
    for i, (name, value) in enumerate(distinct):
        assert value is not None, name
        for other, other_value in distinct[i + 1:]:
            assert value is not other_value and not bool(value == other_value), (name, other)


# --------------------------------------------------------------------------------------------
# Models, with PyTorch as the oracle

FIXTURE = '''\
import torch
from torch import nn


class Res(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x):
        return x + self.conv(x)


class Up(nn.Module):
    def __init__(self, c, basic_module=None):
        super().__init__()
        if basic_module is Res:
            self.up = nn.ConvTranspose2d(c, c, 4, stride=2, padding=1)
        else:
            self.up = nn.Upsample(scale_factor=3)

    def forward(self, x):
        return self.up(x)


class Net(nn.Module):
    def __init__(self, blocks=3):
        super().__init__()
        self.up = Up(4, basic_module=Res)
        self.blocks = nn.Sequential(*[nn.Conv2d(4, 4, 3, padding=1) for _ in range(blocks)])
        self.pool = nn.MaxPool2d(2 ** blocks)

    def forward(self, x):
        return self.pool(self.blocks(self.up(x)))


def main():
    import torch
    out = Net(blocks=1)(torch.randn(1, 4, 32, 32))
    assert out.shape == (1, 4, 32, 32)
'''


def model_against_pytorch(path: Path, name: str, build, shape, *extra: str):
    """``shapes --format json`` of one model next to PyTorch's run of it: every name shapelint
    lists is a ``named_modules()`` name, every known dim is PyTorch's, every known type too."""
    _, data, _ = shapes_json(str(path), "--no-cache", *extra)
    model = {m["name"]: m for m in data["models"]}[name]
    real = trace(str(path), build, [shape])
    assert real.error is None, real.error
    for layer in model["layers"]:
        assert layer["name"] in real.types, (layer["name"], sorted(real.types))
        assert layer["type"] in ("?", real.types[layer["name"]]), layer
        if layer["output"] is not None:
            assert layer["name"] in real.outputs, layer
            assert consistent(layer["output"], real.outputs[layer["name"]], {}) is None, \
                (layer, real.outputs[layer["name"]])
    assert consistent(model["output"], real.output, {}) is None, (model["output"], real.output)
    return model, real


def test_a_class_compared_with_is_takes_its_branch(tmp_path):
    """``if basic_module is Res`` with ``basic_module=Res``: the ConvTranspose2d, as in PyTorch;
    the example in ``main()`` builds the model with ``blocks=1``, as written."""
    path = tmp_path / "up.py"
    path.write_text(FIXTURE)
    model, real = model_against_pytorch(path, "Net", lambda m: m.Net(blocks=1), (1, 4, 32, 32))
    layers = {layer["name"]: layer for layer in model["layers"]}
    assert layers["up.up"]["type"] == "ConvTranspose2d" == real.types["up.up"]
    assert [n for n in layers] == [n for n in real.types if n]  # the whole tree, by name
    assert all(layer["output"] is not None for layer in model["layers"])
    assert model["output"] == list(real.output)


BRANCHES = '''\
import os

from torch import nn

CHOICE = os.environ.get("SHAPELINT_TEST_CHOICE", "a")


class Block(nn.Module):
    def __init__(self, c, choice=CHOICE):
        super().__init__()
        if choice == "a":
            self.up = nn.ConvTranspose2d(c, c, 4, stride=2, padding=1)
        else:
            self.up = nn.Upsample(scale_factor=3)
        layers = [nn.Conv2d(c, c, 3, padding=1)]
        if choice == "b":
            layers.append(nn.Conv2d(c, c, 3))
        self.body = nn.Sequential(*layers)
        self.act = nn.ReLU() if choice == "a" else nn.Identity()
        self.convs = nn.ModuleList([nn.Conv2d(c, c, 1)])
        if choice == "b":
            self.convs.append(nn.Conv2d(c, c, 5))
        self.head = nn.Conv2d(c, 8, 1)

    def forward(self, x):  # shapelint: input=(1, 4, 16, 16)
        x = self.act(self.body(self.up(x)))
        for conv in self.convs:
            x = conv(x)
        return self.head(x)
'''


@pytest.mark.parametrize("choice", ["a", "b"])
def test_what_an_undecidable_branch_builds_is_unknown_under_its_name(tmp_path, monkeypatch, choice):
    """``os.environ`` decides: either branch may run. Every module either branch builds or
    replaces is there under its name, of unknown class and shape; nothing after it has a shape
    stated from one branch; and PyTorch, taking either branch, agrees with all that is stated."""
    path = tmp_path / "branches.py"
    path.write_text(BRANCHES)
    monkeypatch.setenv("SHAPELINT_TEST_CHOICE", choice)
    model, real = model_against_pytorch(path, "Block", lambda m: m.Block(4), (1, 4, 16, 16))
    layers = {layer["name"]: layer for layer in model["layers"]}
    for name in ("up", "act"):
        assert layers[name]["type"] == "?" and layers[name]["output"] is None, layers[name]
    assert layers["head"]["output"] is None and model["output"] is None
    assert "convs.1" not in layers or layers["convs.1"]["type"] == "?"


SILENT = '''\
import os

from torch import nn


class Net(nn.Module):  # shapelint: input=(1, 3, 16, 16) output=(1, 8, 16, 16)
    def __init__(self, wide=os.environ.get("WIDE")):
        super().__init__()
        if wide is None:
            self.conv = nn.Conv2d(3, 8, 3, padding=1)
        else:
            self.conv = nn.Conv2d(5, 8, 3)  # wrong for this input: a path that may not run
        self.act = nn.ReLU() if wide else nn.Conv2d(8, 8, 7)

    def forward(self, x):
        return self.act(self.conv(x))
'''


def test_diagnostics_stay_silent_on_what_may_not_run(tmp_path):
    path = tmp_path / "silent.py"
    path.write_text(SILENT)
    code, diagnostics, _ = check_json(str(path))
    assert [d["code"] for d in diagnostics if d["code"].startswith("SHP1")] == []
    model_against_pytorch(path, "Net", lambda m: m.Net(), (1, 3, 16, 16))


@settings(max_examples=12)
@given(st.sampled_from(["Res", "Other", "None", "nn.ReLU", "'res'"]), st.sampled_from(["is", "==", "is not", "!="]),
       st.sampled_from(["Res", "Other", "nn.ReLU"]), st.integers(1, 2))
def test_the_branch_a_class_comparison_takes_is_pytorchs(tmp_path_factory, passed, op, compared, blocks):
    """A class, a string, None or a torch class passed as an argument and compared with a class:
    the branch PyTorch takes, every layer's shape as PyTorch's hooks see it."""
    source = FIXTURE.replace("class Up(", "class Other(nn.Module):\n    pass\n\n\nclass Up(") \
        .replace("if basic_module is Res:", f"if basic_module {op} {compared}:") \
        .replace("Up(4, basic_module=Res)", f"Up(4, basic_module={passed})") \
        .replace("Net(blocks=1)", f"Net(blocks={blocks})")
    path = tmp_path_factory.mktemp("cmp") / "model.py"
    path.write_text(source)
    model, real = model_against_pytorch(path, "Net", lambda m: m.Net(blocks=blocks), (1, 4, 32, 32))
    assert model["output"] == list(real.output)
    assert [layer["name"] for layer in model["layers"]] == [n for n in real.types if n]
