"""What each statement of ``forward`` gives (``ModelShapes.statements``, the language server's
inlay hints) is what PyTorch computes there: the model is run under a line tracer that reads
each assigned variable once its statement is done, and each returned value."""

from __future__ import annotations

import ast
import sys
from pathlib import Path
from typing import Dict, Tuple

import pytest

from shapelint import analysis
from support.torch_oracle import consistent, load_module

import torch  # noqa: E402  (after support.torch_oracle, which quiets torch's NumPy warning)

MODEL = '''
import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x):
        y = F.relu(self.conv(x))
        return x + y


class Net(nn.Module):  # shapelint: input=(2, 3, 32, 32)
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, stride=2, padding=1)
        self.blocks = nn.ModuleList([Block(16) for _ in range(2)])
        self.head = nn.Linear(16 * 4 * 4, 10)

    def forward(self, x):
        x = self.stem(x)
        for block in self.blocks:
            x = block(x)
        a, b = x.chunk(2, dim=1)
        x = torch.cat([b, a], dim=1)
        x = F.adaptive_avg_pool2d(x, 4)
        flat = x.flatten(1)
        logits = self.head(flat)
        return logits.view(2, 5, 2)
'''

#: An input with a symbolic batch: the shapes are expressions, bound by what PyTorch gives.
SYMBOLIC = MODEL.replace("input=(2, 3, 32, 32)", "input=(b, 3, 32, 32)").replace("view(2, 5, 2)", "view(-1, 5, 2)")


def torch_statement_shapes(path: Path, source: str, x: torch.Tensor) -> Dict[int, Tuple[int, ...]]:
    """line of a statement (its first) -> the shape of the tensor it gave on its first run in
    PyTorch: an assignment to one name (read when the next line of its frame runs) or a return."""
    tree = ast.parse(source)
    assignments = {node.lineno: (node.end_lineno, node.targets[0].id) for node in ast.walk(tree)
                   if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)}
    returns = {node.lineno for node in ast.walk(tree) if isinstance(node, ast.Return)}
    shapes: Dict[int, Tuple[int, ...]] = {}
    pending: Dict[int, Tuple[int, int, str]] = {}
    filename = str(path)

    def record(line: int, value) -> None:
        if isinstance(value, torch.Tensor):
            shapes.setdefault(line, tuple(value.shape))

    def local(frame, event, arg):
        waiting = pending.get(id(frame))
        if waiting is not None and (event == "return" or not waiting[0] <= frame.f_lineno <= waiting[1]):
            del pending[id(frame)]
            record(waiting[0], frame.f_locals.get(waiting[2]))
        if event == "line" and frame.f_lineno in assignments:
            end, name = assignments[frame.f_lineno]
            pending[id(frame)] = (frame.f_lineno, end, name)
        if event == "return" and frame.f_lineno in returns:
            record(frame.f_lineno, arg)
        return local

    def calls(frame, event, arg):
        return local if frame.f_code.co_filename == filename else None

    module = load_module(str(path))
    model = module.Net()
    sys.settrace(calls)
    try:
        model(x)
    finally:
        sys.settrace(None)
    return shapes


@pytest.mark.parametrize("source, batch", [(MODEL, 2), (SYMBOLIC, 2), (SYMBOLIC, 7)])
def test_each_statement_gives_what_pytorch_gives(tmp_path: Path, source: str, batch: int):
    path = tmp_path / "net.py"
    path.write_text(source)
    result = analysis.analyze_source(source, str(path))
    [net] = [m for m in result.models if m.name == "Net"]
    expected = torch_statement_shapes(path, source, torch.randn(batch, 3, 32, 32))
    single = {s.line: s for s in net.statements if len(s.outputs) == 1}
    # Every assignment and return that PyTorch ran gave a tensor is recorded, known and equal.
    assert set(expected) <= set(single), sorted(set(expected) - set(single))
    binding: Dict[str, int] = {}
    for line, shape in expected.items():
        statement = single[line]
        assert statement.unknown_reason is None, (line, statement)
        assert None not in statement.outputs[0]
        assert consistent(list(statement.outputs[0]), shape, binding) is None, (line, statement.outputs, shape)


def test_a_tuple_and_a_loop_body(tmp_path: Path):
    path = tmp_path / "net.py"
    path.write_text(MODEL)
    net = next(m for m in analysis.analyze_source(MODEL, str(path)).models if m.name == "Net")
    lines = MODEL.splitlines()
    by_line = {s.line: s for s in net.statements}
    chunk = by_line[next(n for n, line in enumerate(lines, 1) if "x.chunk(2" in line)]
    assert chunk.outputs == ((2, 8, 16, 16), (2, 8, 16, 16))
    body = by_line[next(n for n, line in enumerate(lines, 1) if "x = block(x)" in line)]
    assert body.runs == 2 and body.outputs == body.last_outputs == ((2, 16, 16, 16),)


def test_an_unknown_statement_says_why(tmp_path: Path):
    source = MODEL.replace("x = F.adaptive_avg_pool2d(x, 4)",
                           "x = mystery(x)\n        x = F.adaptive_avg_pool2d(x, 4)")
    path = tmp_path / "net.py"
    path.write_text(source)
    net = next(m for m in analysis.analyze_source(source, str(path)).models if m.name == "Net")
    line = next(n for n, text in enumerate(source.splitlines(), 1) if "mystery(x)" in text)
    statement = next(s for s in net.statements if s.line == line)
    assert statement.outputs == (None,)
    assert "mystery" in statement.unknown_reason
    # What depends on it is never given a shape (an unknown value need not be a tensor, so
    # those statements are not shown at all), except where the code itself fixes the shape:
    # `view(2, 5, 2)` gives [2, 5, 2] whatever reaches it, when PyTorch runs it at all.
    later = [(s.line, s.outputs) for s in net.statements if s.line > line]
    assert later == [(len(source.splitlines()), ((2, 5, 2),))]
