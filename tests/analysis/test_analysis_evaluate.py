"""Constant evaluation and propagation, unit by unit: the interpreter never runs user code, knows
what Python would compute where it can, and says UNKNOWN everywhere else."""

from __future__ import annotations

import ast
import textwrap

import pytest

from shapelint.analysis.collect import index_file
from shapelint.analysis.evaluate import Scope
from shapelint.analysis.propagate import Propagator
from shapelint.analysis.values import LayerModule, SequentialModule, Symbol, Tensor, UserModule
from shapelint.core.layers import UNKNOWN

PRELUDE = """\
import math
from collections import OrderedDict
import torch
import torch.nn as tnn
from torch import nn
from torch.nn import Conv2d
import torch.nn.functional as F
"""


def interpreter(source: str = ""):
    module = ast.parse(PRELUDE + textwrap.dedent(source))
    propagator = Propagator(index_file(module))
    scope = Scope(propagator.globals, propagator.globals)
    for statement in module.body:
        if not isinstance(statement, (ast.ClassDef, ast.FunctionDef)):
            propagator.exec_statement(statement, scope)
    return propagator


def parse_expression(text: str) -> ast.expr:
    return ast.parse(text, mode="eval").body


def value(expression: str, source: str = ""):
    propagator = interpreter(source)
    return propagator.eval(parse_expression(expression), Scope(propagator.globals))


@pytest.mark.parametrize(
    "expression, expected",
    [
        ("1 + 2 * 3", 7),
        ("7 // 2, 7 % 3, 2 ** 10, 7 / 2", (3, 1, 1024, 3.5)),
        ("int(3.9) + len([1, 2]) + min(4, 2) + max([1, 5])", 3 + 2 + 2 + 5),
        ("list(reversed(range(3)))", [2, 1, 0]),
        ("list(zip([1, 2], 'ab'))", [(1, "a"), (2, "b")]),
        ("list(enumerate([7, 8], 1))", [(1, 7), (2, 8)]),
        ("[1, 2, 3, 4][1:3] + [5][::-1]", [2, 3, 5]),
        ("(1, 2, 3)[-1]", 3),
        ("'a' if 2 > 1 else 'b'", "a"),
        ("[x * 2 for x in range(4) if x % 2]", [2, 6]),
        ("{k: v for k, v in [('a', 1)]}", {"a": 1}),
        ("f'layer{3}'", "layer3"),
        ("math.ceil(2.1) + math.floor(2.9)", 5),
        ("CHANNELS[2] * SCALE", 64 * 2),
        ("helper(3)", 9),
        ("Config.depth", 4),
        ("sum(CHANNELS)", 16 + 32 + 64),
        ("not [] and 1 in (1, 2)", True),
    ],
)
def test_constants(expression, expected):
    source = """
    CHANNELS = [16, 32, 64]
    SCALE = 2

    def helper(x):
        y = x * 2
        return y + 3

    class Config:
        depth = 4
    """
    assert value(expression, source) == expected


@pytest.mark.parametrize(
    "expression",
    ["unknown_name", "os.environ['X']", "int(input())", "[x for x in unknown]", "len(unknown)",
     "range(10 ** 9)", "2 ** 10 ** 10", "1 / 0", "{}.get(unknown)"],
)
def test_what_cannot_be_known_is_unknown(expression):
    assert value(expression, "import os\n") is UNKNOWN


def test_layers_however_imported():
    for expression in ("nn.Conv2d(3, 8, 3)", "tnn.Conv2d(3, 8, 3)", "torch.nn.Conv2d(3, 8, 3)", "Conv2d(3, 8, 3)"):
        layer = value(expression)
        assert isinstance(layer, LayerModule) and layer.type_name == "Conv2d"
        assert layer.params["in_channels"] == 3 and layer.params["stride"] == 1


def test_sequential_names_from_ordered_dict_and_add_module():
    seq = value("nn.Sequential(OrderedDict([('conv', nn.Conv2d(1, 2, 3)), ('act', nn.ReLU())]))")
    assert isinstance(seq, SequentialModule) and list(seq.children) == ["conv", "act"]
    propagator = interpreter("seq = nn.Sequential()\nseq.add_module('pool', nn.MaxPool2d(2))\n")
    assert list(propagator.globals["seq"].children) == ["pool"]


def test_user_module_built_with_arguments_from_its_parent():
    propagator = interpreter(
        """
        class Block(nn.Module):
            def __init__(self, cin, cout=8, *, k=3):
                super().__init__()
                self.conv = nn.Conv2d(cin, cout, k, padding=k // 2)

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.blocks = nn.ModuleList([Block(c, 2 * c, k=5) for c in (4, 8)])

        net = Net()
        """
    )
    net = propagator.globals["net"]
    assert isinstance(net, UserModule)
    names = [name for name, _ in net.named_modules()]
    assert names == ["", "blocks", "blocks.0", "blocks.0.conv", "blocks.1", "blocks.1.conv"]
    conv = net.children["blocks"].children["1"].children["conv"]
    assert (conv.params["in_channels"], conv.params["out_channels"], conv.params["padding"]) == (8, 16, 2)


def _shape(propagator, expression, shape):
    scope = Scope(propagator.globals, {"x": Tensor(shape)})
    out = propagator.eval(parse_expression(expression), scope)
    if isinstance(out, tuple) and out and all(isinstance(t, Tensor) for t in out):
        return [t.shape for t in out]  # the pieces of chunk/split/unbind
    return out.shape if isinstance(out, Tensor) else out


@pytest.mark.parametrize(
    "expression, shape, expected",
    [
        ("x.view(x.size(0), -1)", ("b", 4, 3, 3), ("b", 36)),
        ("x.reshape(2, -1, 3)", (4, 3, 3), (2, 6, 3)),
        ("x.flatten(1)", (2, 3, 4), (2, 12)),
        ("torch.flatten(x)", (2, 3, 4), (24,)),
        ("x.permute(0, 2, 1)", (2, 3, 4), (2, 4, 3)),
        ("x.transpose(-1, -2)", (2, 3, 4), (2, 4, 3)),
        ("x.unsqueeze(1).squeeze(0)", (1, 3), (1, 3)),
        ("x[:, 0]", (2, 3, 4), (2, 4)),
        ("x[..., 1:3]", (2, 3, 4), (2, 3, 2)),
        ("x[None]", (2, 3), (1, 2, 3)),
        ("x.mean(dim=(2, 3), keepdim=True)", (2, 3, 4, 5), (2, 3, 1, 1)),
        ("torch.cat([x, x], dim=1)", (2, 3, 4), (2, 6, 4)),
        ("torch.stack([x, x], -1)", (2, 3), (2, 3, 2)),
        ("x + x[:, :1]", (2, 3), (2, 3)),
        ("x @ torch.randn(4, 5)", (2, 3, 4), (2, 3, 5)),
        ("F.interpolate(x, size=(8, 9), mode='bilinear')", (1, 2, 4, 4), (1, 2, 8, 9)),
        ("F.pad(x, (1, 2))", (1, 2, 4), (1, 2, 7)),
        ("F.max_pool2d(x, 2)", (1, 2, 9, 9), (1, 2, 4, 4)),
        ("F.adaptive_avg_pool2d(x, 1)", (1, 2, 9, 9), (1, 2, 1, 1)),
        ("F.relu(x).sigmoid().float()", (1, 2), (1, 2)),
        ("x.shape[-1] * 2", (1, 5), 10),
        ("x.size()", ("b", 3), (Symbol("b"), 3)),
        ("x.dim()", (1, 2, 3), 3),
        ("x.chunk(2)", (4,), [(2,), (2,)]),
        ("x.chunk(2, dim=1)", ("b", 3), [("b", 2), ("b", 1)]),
        ("x.chunk(2)", ("b", 3), UNKNOWN),  # how many pieces depends on b
    ],
)
def test_tensor_operations(expression, shape, expected):
    assert _shape(interpreter(), expression, shape) == expected


def test_unknown_shapes_stay_unknown_and_silent():
    propagator = interpreter()
    assert _shape(propagator, "torch.cat([x, torch.randn(2, 5)], 1)", None) is None
    assert _shape(propagator, "x + torch.randn(3)", (2, None)) == (2, 3)
    assert propagator.findings == []


def test_incompatible_broadcast_is_reported_at_the_statement():
    propagator = interpreter()
    assert _shape(propagator, "x + torch.randn(2, 5)", (2, 3)) is None
    (finding,) = propagator.findings
    assert finding.code == "SHP106"
