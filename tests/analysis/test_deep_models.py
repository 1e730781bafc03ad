"""Deep models: checked in time linear in their depth, and budgets that run out are said (SHP301).

The suggestion search once re-ran the rest of the chain for every size it tried at every layer:
a 4,096-layer stack with a wrong declared output took over 10 minutes, and from 4,097 layers on
the model vanished without a word (loops were unrolled for 4,096 iterations at most).
"""

from __future__ import annotations

import ast
import json
import os
import resource
import subprocess
import sys
import textwrap

import pytest

from shapelint.analysis import analyze_source
from support.cpu_budget import cpu_budget
from shapelint.analysis import suggest
from shapelint.analysis.analyze import trace_models
from shapelint.core.text import apply_edits
from shapelint.analysis.collect import index_file
from shapelint.analysis.evaluate import MAX_ITERATIONS, MAX_STEPS
from shapelint.analysis.plan import ParsedFile
from shapelint.analysis.positions import Positions
from shapelint.analysis.report import Diagnostics
from shapelint.core.codes import ShapeError
from shapelint.core.options import Options

#: CPU seconds a deep model may take. Generous: the benchmark is the real measurement (8,192
#: layers take about 2 s); a search quadratic in depth takes minutes.
CPU_LIMIT_S = 10.0


def stack(layers: int, declared_length: int = 33, layer: str = "nn.Conv1d(8, 8, 3, padding=1)") -> str:
    """``layers`` Conv1d in a module-level Sequential; the declared output is on line 3."""
    return (
        "import torch.nn as nn\n\n"
        f"# shapelint: input=(1, 8, 32) output=(1, 8, {declared_length})\n"
        f"net = nn.Sequential(*[{layer} for _ in range({layers})])\n"
    )


def stack_in_class(layers: int) -> str:
    return textwrap.dedent(f"""\
        import torch.nn as nn


        # shapelint: input=(1, 8, 32) output=(1, 8, 33)
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.body = nn.Sequential(*[nn.Conv1d(8, 8, 3, padding=1) for _ in range({layers})])

            def forward(self, x):
                return self.body(x)
        """)


def check_cli(tmp_path, source: str, *flags: str):
    """``shapelint check --format json`` on ``source``: (diagnostics, CPU seconds it took)."""
    path = tmp_path / "deep.py"
    path.write_text(source)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [sys.executable, "-m", "shapelint", "check", "--no-cache", "--format", "json", *flags, path.name],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"),
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert done.returncode in (0, 1), done.stderr
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return json.loads(done.stdout), cpu


# --------------------------------------------------------------------------------------------
# deep models are checked, quickly


@pytest.mark.parametrize("layers", [4096, 8192])
def test_a_deep_stack_with_a_wrong_output_is_reported_quickly(tmp_path, layers):
    found, cpu = check_cli(tmp_path, stack(layers))
    assert [(d["code"], d["location"]["row"]) for d in found] == [("SHP101", 3)]
    assert "output [1, 8, 32] differs from the declared (1, 8, 33)" in found[0]["message"]
    assert cpu < CPU_LIMIT_S, f"{layers} layers took {cpu:.1f} s of CPU"


def test_a_deep_stack_in_a_class_is_reported_quickly():
    with cpu_budget(CPU_LIMIT_S):
        result = analyze_source(stack_in_class(4096), "deep.py")
    # No fix (the layers are built in a loop): at forward's `return`.
    assert [(d.code, d.row) for d in result.diagnostics] == [("SHP101", 11)]


def test_a_deep_stack_without_a_mismatch_is_clean():
    with cpu_budget(CPU_LIMIT_S):
        result = analyze_source(stack(MAX_ITERATIONS, declared_length=32), "deep.py")
    assert result.diagnostics == []
    assert len(result.models[0].layers) == MAX_ITERATIONS


def test_a_shallow_stack_still_gets_its_fixes():
    # The middle Conv1d loses 2 positions; one more position of padding on either side of any of
    # the three layers gives back the declared 32. The fix is the middle layer's missing padding
    # (the culprit: the only layer not in its usual 'same' form); the others would make a layer
    # grow its input, so they come after (fix policy, suggest.py "Culprit ranking").
    source = textwrap.dedent("""\
        import torch.nn as nn

        # shapelint: input=(1, 8, 32) output=(1, 8, 32)
        net = nn.Sequential(
            nn.Conv1d(8, 8, 3, padding=1),
            nn.Conv1d(8, 8, 3),
            nn.Conv1d(8, 8, 3, padding=1),
        )
        """)
    result = analyze_source(source, "shallow.py")
    (diagnostic,) = result.diagnostics
    # Where the fix goes: the padding of the middle layer; the declaration is a note.
    assert (diagnostic.code, diagnostic.row) == ("SHP101", 6)
    assert diagnostic.message.endswith("; fix: 1 (Conv1d) with padding=1")
    assert diagnostic.notes[-2:] == ("or instead: 1 (Conv1d) with kernel_size=1; or 2 (Conv1d) with padding=2;"
                                     " or 0 (Conv1d) with padding=2", "declared at shallow.py:3")
    assert diagnostic.help == "nn.Conv1d(8, 8, 3, padding=1)"
    assert diagnostic.fix is not None and diagnostic.fix.applicability == "safe"
    assert analyze_source(apply_edits(source, diagnostic.fix.edits), "shallow.py").diagnostics == []


# --------------------------------------------------------------------------------------------
# the remembered runs of a chain are the runs themselves


def _plain_run(steps, start, shape, as_written):
    """The rest of a chain, run step by step (what ``_Chain.run_from`` must give)."""
    for step in steps[start:]:
        if step.recompute is None:
            return None
        try:
            shape = step.output_for(shape, as_written)
        except ShapeError:
            return suggest._SHAPE_ERROR
        except Exception:  # noqa: BLE001
            return suggest._OTHER_ERROR
        if shape is None:
            return None
    return shape


def test_remembered_runs_equal_plain_runs():
    # Pooling, strides and an error for small sizes (a kernel larger than its input): every
    # kind of outcome, asked in an order that reuses runs from other starts.
    source = textwrap.dedent("""\
        import torch.nn as nn

        # shapelint: input=(1, 4, 64) output=(1, 4, 7)
        net = nn.Sequential(
            nn.Conv1d(4, 4, 5, stride=2),
            nn.MaxPool1d(2),
            nn.Conv1d(4, 4, 3, padding=1),
            nn.ReLU(),
            nn.ConvTranspose1d(4, 4, 4, stride=2, padding=1),
            nn.Conv1d(4, 4, 7),
        )
        """)
    tree = ast.parse(source)
    parsed = ParsedFile(tree, source, "chain.py", Positions(source, tree), index_file(tree))
    trace, = trace_models(parsed, Options(), Diagnostics(), [])  # findings only: the chain is searched here
    finding, = trace.findings
    steps = suggest.chain_of(trace, finding.tensor)
    assert len(steps) == 6
    chain = suggest._Chain(steps, budget=10**6)
    for as_written in (False, True):
        for start in (5, 3, 0, 4, 1, 2, 6):
            for size in (1, 2, 3, 5, 8, 13, 21, 34, 55, 64, 200):
                shape = (1, 4, size)
                assert chain.run_from(start, shape, as_written) == _plain_run(steps, start, shape, as_written)
    outcomes = {repr(_plain_run(steps, 0, (1, 4, size), False)) for size in range(1, 40)}
    assert repr(suggest._SHAPE_ERROR) in outcomes and len(outcomes) > 3  # not a trivial chain


# --------------------------------------------------------------------------------------------
# budgets that run out are said: SHP301, off by default


def test_the_suggestion_budget_is_said_and_the_mismatch_still_reported():
    # Each layer adds one position, so every size tried at every layer starts a new run of the
    # rest of the chain: the search budget runs out long before the 2,000 layers are tried.
    source = stack(2000, declared_length=33 + 1, layer="nn.Conv1d(8, 8, 2, padding=1)")
    with cpu_budget(CPU_LIMIT_S):
        result = analyze_source(source, "growing.py")
    codes = {d.code: d for d in result.diagnostics}
    assert set(codes) == {"SHP101", "SHP301"}
    assert codes["SHP101"].row == codes["SHP301"].row == 3
    assert "output [1, 8, 2032] differs from the declared (1, 8, 34)" in codes["SHP101"].message
    assert codes["SHP301"].message.startswith("the search for a fix of this SHP101 stopped early:")
    assert f"its budget ({suggest.MAX_SEARCH_WORK:,} layer re-computations)" in codes["SHP301"].message


def test_a_model_too_deep_to_unroll_is_said_not_passed():
    layers = MAX_ITERATIONS + 1
    result = analyze_source(stack(layers), "too_deep.py")
    (diagnostic,) = result.diagnostics
    assert (diagnostic.code, diagnostic.row) == ("SHP301", 4)
    assert diagnostic.message.startswith("net: shape tracking stops here: ")
    assert f"range() of {layers:,} items" in diagnostic.message


def test_the_step_budget_is_said():
    source = textwrap.dedent(f"""\
        import torch.nn as nn


        # shapelint: input=(1, 8, 32) output=(1, 8, 33)
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.total = 0
                for i in range({MAX_STEPS // 100}):
                    for j in range(200):
                        self.total += j
                self.conv = nn.Conv1d(8, 8, 3, padding=1)

            def forward(self, x):
                return self.conv(x)
        """)
    with cpu_budget(CPU_LIMIT_S):
        result = analyze_source(source, "busy.py")
    (diagnostic,) = result.diagnostics
    assert (diagnostic.code, diagnostic.row) == ("SHP301", 11)
    assert f"more than {MAX_STEPS:,} statements and comprehension items were run" in diagnostic.message


def test_module_level_code_that_runs_out_is_said():
    # The module's own statements share one budget: the model after the loop is never built.
    source = textwrap.dedent(f"""\
        import torch.nn as nn

        total = 0
        for i in range({MAX_STEPS // 100}):
            for j in range(200):
                total += j
        # shapelint: input=(1, 8, 32) output=(1, 8, 33)
        net = nn.Sequential(nn.Conv1d(8, 8, 3, padding=1))
        """)
    with cpu_budget(CPU_LIMIT_S):
        result = analyze_source(source, "busy_module.py")
    (diagnostic,) = result.diagnostics
    assert (diagnostic.code, diagnostic.row) == ("SHP301", 6)
    assert diagnostic.message.startswith("module-level code: shape tracking stops here: ")


def test_shp301_is_off_by_default(tmp_path):
    source = stack(MAX_ITERATIONS + 1)
    assert check_cli(tmp_path, source)[0] == []
    assert [d["code"] for d in check_cli(tmp_path, source, "--select", "SHP301")[0]] == ["SHP301"]
    assert [d["code"] for d in check_cli(tmp_path, source, "--extend-select", "SHP3")[0]] == ["SHP301"]


def test_a_doubling_list_stays_bounded():
    source = textwrap.dedent("""\
        import torch.nn as nn

        sizes = [8]
        for _ in range(64):
            sizes = sizes + sizes
        # shapelint: input=(1, 8, 32) output=(1, 8, 32)
        net = nn.Sequential(nn.Conv1d(sizes[0], 8, 3, padding=1))
        """)
    with cpu_budget(CPU_LIMIT_S):
        result = analyze_source(source, "doubling.py")
    assert result.diagnostics == []


def test_a_budget_that_changes_no_shape_is_not_reported():
    # The long range is unknown, but it changes no shape: no declaration goes unchecked.
    source = textwrap.dedent(f"""\
        import torch.nn as nn


        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.ids = list(range({MAX_ITERATIONS + 1}))
                self.conv = nn.Conv1d(8, 8, 3, padding=1)

            def forward(self, x):
                return self.conv(x)
        """)
    result = analyze_source(source, "ids.py")
    assert result.diagnostics == []
    assert result.models[0].output is not None
    # Declared, and the output known: nothing left unchecked either.
    declared = source.replace("class Net", "# shapelint: input=(1, 8, 32) output=(1, 8, 32)\nclass Net")
    assert analyze_source(declared, "ids.py").diagnostics == []


def test_spent_fix_checks_are_said():
    # Each model's fix edits a layer built twice, so it is checked by analysing the edited file:
    # past MAX_REANALYSES checks a file's later findings lose their fix and say why.
    from shapelint.analysis.analyze import MAX_REANALYSES

    models = MAX_REANALYSES + 2
    source = "import torch.nn as nn\n" + "".join(
        f"\n# shapelint: input=(1, 8, 32) output=(1, 8, 32)\n"
        f"net{k} = nn.Sequential(*[nn.Conv1d(8, 8, 3) for _ in range(2)])\n"
        for k in range(models))
    result = analyze_source(source, "many.py")
    mismatches = [d for d in result.diagnostics if d.code == "SHP101"]
    stops = [d for d in result.diagnostics if d.code == "SHP301"]
    assert len(mismatches) == models
    assert [d.fix is not None for d in mismatches] == [True] * MAX_REANALYSES + [False] * 2
    assert [d.row for d in stops] == [d.row for d in mismatches[MAX_REANALYSES:]]
    assert all(f"at most {MAX_REANALYSES} times per file" in d.message for d in stops)
