"""Structure behind the runner's speed and memory (no timings: nothing here can flake on a loaded
machine): chunking largest-first, outcomes without models for ``check``, the memory release, and
the example search's child walk (source order, every child node, no operator or context node)."""

from __future__ import annotations

import sys
from pathlib import Path

import ast

import pytest

from shapelint.frontends import runner
from shapelint.analysis import examples as examples_module
from shapelint.core.options import Options
from shapelint.core.results import Diagnostic, FileResult, LayerShape, ModelShapes

MODEL = """import torch
import torch.nn as nn


class Net(nn.Module):  # shapelint: input=(1, 3, 8, 8) output=(1, 4, 8, 8)
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)

    def forward(self, x):
        return self.conv(x)


if __name__ == "__main__":
    print(Net()(torch.randn(1, 3, 8, 8)).shape, [f(x) for x in range(3) if g(lambda y: h(y))])
"""


def test_chunks_cover_every_file_once_largest_first(tmp_path: Path):
    paths = []
    for i, size in enumerate([5, 500, 50, 5000, 1, 0, 70]):
        path = tmp_path / f"f{i}.py"
        path.write_text("x" * size)
        paths.append(str(path))
    paths.append(str(tmp_path / "missing.py"))
    for workers in (1, 2, 3):
        chunks = runner._chunks(paths, workers)
        flat = [p for chunk in chunks for p in chunk]
        assert sorted(flat) == sorted(paths)
        assert all(chunks)
        sizes = [Path(p).stat().st_size if Path(p).exists() else 0 for p in flat]
        assert sizes == sorted(sizes, reverse=True)


def test_outcomes_drop_models_only_when_the_job_says_so(tmp_path: Path):
    path = tmp_path / "model.py"
    path.write_text(MODEL)
    full = runner.check_file(str(path), runner.Job(Options()))
    slim = runner.check_file(str(path), runner.Job(Options(), keep_models=False))
    assert full.result.models and not slim.result.models
    assert full.result.diagnostics == slim.result.diagnostics


def test_slim_keeps_diagnostics():
    diagnostic = Diagnostic("SHP101", "m", "p.py", 1, 1, 1, 1)
    model = ModelShapes("Net", "p.py", 1, None, None, None, [LayerShape("a", "Conv2d", 2, None, None)])
    result = FileResult("p.py", [diagnostic], [model])
    assert runner.slim(result, runner.Job(Options())) is result
    slimmed = runner.slim(result, runner.Job(Options(), keep_models=False))
    assert slimmed.diagnostics == [diagnostic] and slimmed.models == []


def test_memory_trimmer_never_raises_and_remembers_its_last_trim():
    trimmer = runner.MemoryTrimmer(growth=0)
    trimmer.after_file()
    trimmer.after_file()
    if trimmer.trim is not False:  # glibc: trimmed, and the size after the trim is the new base
        assert trimmer.base > 0
    calls = []

    def failing_trim(pad):
        calls.append(pad)
        raise OSError("no")

    trimmer.trim, trimmer.base = failing_trim, 0
    trimmer.after_file()
    trimmer.after_file()
    assert trimmer.trim is False and calls == [0]  # a failing trim is not tried again
    never = runner.MemoryTrimmer()
    never.trim = False
    never.after_file()


def _position(node):
    return (node.lineno, node.col_offset)


def test_child_walk_gives_every_child_in_source_order():
    module = ast.parse(MODEL)
    stack = [module]
    seen = 0
    while stack:
        node = stack.pop()
        expected = [c for c in ast.iter_child_nodes(node)
                    if not isinstance(c, (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop))]
        got = examples_module._children(node)
        assert sorted(map(id, got)) == sorted(map(id, expected)), type(node)
        placed = [_position(c) for c in got if hasattr(c, "lineno")]
        assert placed == sorted(placed), type(node)
        stack.extend(got)
        seen += 1
    assert seen > 60


def test_child_walk_orders_conditional_expressions_and_dicts_as_written():
    node = ast.parse("(a if b else c, {d: e, **f, g: h})\n").body[0].value
    conditional, mapping = node.elts
    assert [n.id for n in examples_module._children(conditional)] == ["a", "b", "c"]
    assert [n.id for n in examples_module._children(mapping)] == ["d", "e", "f", "g", "h"]


def test_calls_in_order_unchanged():
    statement = ast.parse("a(b(1), c(d(2)), e=f(3))\n").body[0]
    names = [call.func.id for call in examples_module._calls_in(statement)]
    assert names == ["a", "f", "c", "d", "b"]


def test_calls_in_skips_lambdas():
    statement = ast.parse("x = g(lambda y: h(y))\n").body[0]
    assert [call.func.id for call in examples_module._calls_in(statement)] == ["g"]


@pytest.mark.skipif(sys.platform != "linux", reason="workers are forked only on Linux")
def test_workers_that_retire_are_replaced_and_every_file_is_checked_once(tmp_path: Path, monkeypatch):
    broken = MODEL.replace("nn.Conv2d(3, 4, 3, padding=1)", "nn.Conv2d(3, 4, 3)")
    paths = []
    for i in range(24):
        path = tmp_path / f"model{i}.py"
        path.write_text(broken if i % 3 == 0 else MODEL)
        paths.append(str(path))
    job = runner.Job(Options(), keep_models=False)
    serial = runner.run(paths, job, jobs=1).outcomes
    started = []
    real_start = runner._start_workers

    def counting_start(context, job, count, pool):
        started.append(count)
        return real_start(context, job, count, pool)

    monkeypatch.setattr(runner, "RETIRE_GROWTH", -1)  # every worker retires after one file
    monkeypatch.setattr(runner, "_start_workers", counting_start)
    parallel = runner.run(paths, job, jobs=2).outcomes
    assert [o.path for o in parallel] == sorted(paths)
    assert [o.result.diagnostics for o in parallel] == [o.result.diagnostics for o in serial]
    assert sum(o.result.diagnostics != [] for o in parallel) == 8
    assert sum(started) == len(paths)  # two at the start, then one for each file after the first two
