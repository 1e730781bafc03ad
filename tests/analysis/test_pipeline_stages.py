"""The three stages of the analysis of a file, each through its own interface: plan (data, built
without running the models), run (one fresh trace per model), report (fix checks through the
function it is handed)."""

from __future__ import annotations

import ast
import textwrap

import pytest

from shapelint.analysis import analyze
from shapelint.analysis.project import ProjectFiles
from shapelint.analysis.analyze import MAX_REANALYSES, trace_models
from shapelint.analysis.collect import index_file
from shapelint.analysis.examples import find_examples
from shapelint.analysis.plan import ParsedFile, plan_models, read_declarations
from shapelint.analysis.positions import Positions
from shapelint.analysis.report import Diagnostics, FindingReporter, FixVerdict
from shapelint.analysis.run import evaluate_quietly, execute_module_level, new_propagator
from shapelint.core.options import Options
from shapelint.core.results import Edit, Fix
from shapelint.core.shapespec import parse_shape_tuple


def _parsed(source: str, path: str = "m.py") -> ParsedFile:
    source = textwrap.dedent(source)
    tree = ast.parse(source)
    return ParsedFile(tree, source, path, Positions(source, tree), index_file(tree))


def _plan(parsed: ParsedFile, options: Options = Options()):
    declarations = read_declarations(parsed)
    propagator = new_propagator(parsed, declarations)
    execute_module_level(propagator, parsed)
    examples = find_examples(parsed, propagator.globals, lambda node, local: evaluate_quietly(propagator, node, local))
    return declarations, plan_models(parsed, declarations, propagator.globals, examples, options)


DECLARED_THREE_WAYS = """\
    import torch
    import torch.nn as nn
    from jaxtyping import Float
    from torch import Tensor


    # shapelint: input=(1, 3, 8, 8)
    class Net(nn.Module):
        def __init__(self, width=4):
            super().__init__()
            self.conv = nn.Conv2d(3, width, 3, padding=1)

        def forward(self, x: Float[Tensor, "1 3 16 16"]):
            return self.conv(x)


    Net(6)(torch.randn(1, 3, 32, 32))
    """


def test_plan_is_data_with_the_winning_declaration():
    parsed = _parsed(DECLARED_THREE_WAYS)
    _, plan = _plan(parsed)
    model, = plan.models
    assert (model.name, model.input.source, model.input_shape) == ("Net", "pragma", (1, 3, 8, 8))
    # The jaxtyping annotation and the example contradict the pragma: one SHP003 at each.
    assert sorted((p.code, p.row) for p in plan.problems) == [("SHP003", 13), ("SHP003", 17)]
    with pytest.raises(AttributeError):
        model.input_shape = (1, 3, 16, 16)
    # The command line beats them all, and contradicting it is not an in-file conflict.
    options = Options(cli_inputs={"Net": parse_shape_tuple("(2, 3, 8, 8)")})
    _, plan = _plan(parsed, options)
    model, = plan.models
    assert (model.input.source, model.input_shape) == ("cli", (2, 3, 8, 8))
    assert len(plan.problems) == 2


def test_an_example_gives_the_constructor_call_and_a_pattern_its_sizes():
    lines = [line for line in DECLARED_THREE_WAYS.splitlines() if "shapelint:" not in line]
    example_only = "\n".join(lines).replace('Float[Tensor, "1 3 16 16"]', "Tensor")
    model, = _plan(_parsed(example_only))[1].models
    assert (model.input.source, model.input_shape) == ("example", (1, 3, 32, 32))
    assert ast.unparse(model.build) == "Net(6)"
    options = Options(cli_inputs={"Net": parse_shape_tuple("(b, 3, h, w)")})
    model, = _plan(_parsed(example_only), options)[1].models
    assert model.input.source == "cli" and model.input_shape == (1, 3, 32, 32)
    assert dict(model.sizes) == {"b": 1, "h": 32, "w": 32} and ast.unparse(model.build) == "Net(6)"


TWO_MODELS = """\
    import torch.nn as nn

    # shapelint: input=(1, 3, 16) output=(1, 5, 16)
    first = nn.Sequential(nn.Conv1d(3, 4, 3, padding=1))
    # shapelint: input=(1, 3, 16) output=(1, 4, 16)
    second = nn.Sequential(nn.Conv1d(3, 4, 3, padding=1), nn.Conv1d(5, 4, 1))
    """


def test_each_model_runs_afresh_and_its_trace_does_not_change_afterwards():
    parsed = _parsed(TWO_MODELS)
    first, second = trace_models(parsed, Options(), Diagnostics(), [])
    assert [(f.code, f.statement.lineno if f.statement else f.anchor_line[0]) for f in first.findings] \
        == [("SHP101", 3)]
    assert [(f.code, f.statement.lineno) for f in second.findings] == [("SHP102", 6)]
    # The second run started with new containers: the first trace still holds only its own.
    assert not set(first.producers) & set(second.producers)
    assert [name for name, _ in first.modules] == ["", "0"]
    assert [name for name, _ in second.modules] == ["", "0", "1"]
    with pytest.raises(TypeError):
        first.producers[0] = None  # read-only


SHARED_LAYER = """\
    import torch.nn as nn

    # shapelint: input=(1, 8, 32) output=(1, 8, 32)
    net = nn.Sequential(*[nn.Conv1d(8, 8, 3) for _ in range(2)])
    """


def _report(parsed: ParsedFile, check_fix):
    traces = trace_models(parsed, Options(), Diagnostics(), [])
    reporter = FindingReporter(parsed, traces, Options().bounds, check_fix)
    return [d for trace in traces for finding in trace.findings for d in reporter.diagnostics(trace, finding)]


def test_a_fix_of_a_layer_built_twice_is_offered_only_as_the_fix_check_says():
    parsed = _parsed(SHARED_LAYER)
    asked = []

    def holds(fix: Fix) -> FixVerdict:
        asked.append(fix)
        return FixVerdict(())  # nothing left

    mismatch, = _report(parsed, holds)
    assert mismatch.code == "SHP101" and mismatch.fix is not None and asked
    assert mismatch.fix.edits == asked[-1].edits
    assert mismatch.row == mismatch.fix.edits[0].start[0]  # where the fix goes

    spent, stop = _report(parsed, lambda fix: FixVerdict(None, "no re-analysis today"))
    assert spent.fix is None
    assert stop.code == "SHP301" and stop.message.endswith("stopped early: no re-analysis today")

    # Suggestions off (what the file with a fix applied is analysed with): codes and rows only,
    # at the declaration (a module-level model has no `return`).
    quiet, = _report(parsed, None)
    assert (quiet.code, quiet.row, quiet.fix, quiet.help) == ("SHP101", 3, None, None)

    same_error_left, = _report(parsed, lambda fix: FixVerdict((("SHP101", quiet.row),)))
    assert same_error_left.fix is None


def test_fix_checker_analyses_each_edited_text_once_and_at_most_max_reanalyses_times(monkeypatch):
    analysed = []
    real = analyze._analyze_source

    def counting(source, path, options, tree, files, suggestions, reuse=None):
        analysed.append((source, suggestions))
        return real(source, path, options, tree, files, suggestions, reuse)

    monkeypatch.setattr(analyze, "_analyze_source", counting)
    text = textwrap.dedent(SHARED_LAYER)
    column = text.splitlines()[3].index("3)") + 2  # 1-based, right after the kernel size
    check_fix = analyze._fix_checker(text, "m.py", Options())
    fixes = [Fix("pad", "unsafe", (Edit(f", padding={k}", (4, column), (4, column)),))
             for k in range(1, MAX_REANALYSES + 2)]
    first = check_fix(fixes[0])
    assert check_fix(fixes[0]) == first and len(analysed) == 1 and analysed[0][1] is False
    assert first.errors == ()  # padding=1 keeps the size: nothing left
    assert check_fix(fixes[1]).errors == (("SHP101", 3),)  # padding=2 grows it (at the declaration)
    for fix in fixes[2:MAX_REANALYSES]:
        assert check_fix(fix).errors is not None
    refused = check_fix(fixes[MAX_REANALYSES])
    assert refused.errors is None and f"at most {MAX_REANALYSES} times per file" in refused.unchecked
    assert len(analysed) == MAX_REANALYSES


def test_an_error_in_the_fix_search_keeps_the_finding(monkeypatch):
    """Outside the tests (no strict mode) an internal error while searching for a fix costs the
    fix, never the diagnostic: the model is still reported, with a note saying why no fix."""
    from pathlib import Path

    from shapelint.analysis import analyze, report
    from shapelint.core.options import Options

    def broken(self, finding):
        raise RuntimeError("a bug in the search")

    source = (Path(__file__).resolve().parents[2] / "examples" / "broken_decoder.py").read_text()
    # Without a fix, each finding is where it is found (where suggestions off place it).
    quiet = analyze._analyze_source(source, "b.py", Options(), None, ProjectFiles(), suggestions=False)
    expected = [(d.code, d.row) for d in quiet.diagnostics]
    assert expected
    monkeypatch.setattr(report._FixSearch, "suggest", broken)
    monkeypatch.delenv("PYTEST_CURRENT_TEST", raising=False)
    monkeypatch.delenv("SHAPELINT_STRICT", raising=False)
    result = analyze.analyze_source(source, "b.py", Options())
    assert [(d.code, d.row) for d in result.diagnostics] == expected
    assert all(d.fix is None and "search for one failed" in d.notes[-1] for d in result.diagnostics)
