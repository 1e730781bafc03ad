"""Robustness at scale: randomly edited model files never crash the engine or the CLI.

A linter runs on every save, so it mostly sees code that is half written: lines deleted or
duplicated, numbers being typed, indentation in flux, junk pasted in. Whatever the edit, the
engine must give a result (an SHP001 for a file that does not parse) and ``shapelint check`` must
exit 0 or 1 with no internal error.

The edits are data (tuples), applied by a plain function, so hypothesis shrinks a failure to the
fewest edits and prints them. Runs are derandomized so CI is stable; set
``SHAPELINT_FUZZ_RANDOM=1`` (and ``SHAPELINT_FUZZ_EXAMPLES=2000``) to explore new cases locally.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import tempfile
from pathlib import Path
from typing import List, Sequence, Tuple

from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st

from shapelint.analysis import analyze_source, mentions_layers
from shapelint.frontends.cli import main as cli_main
from shapelint.core.results import FileResult
from support.cpu_budget import CpuBudgetExceeded, cpu_budget

# ---------------------------------------------------------------------------------------------
# the model files: the acceptance suite's own (tests/models; no third-party source is committed)

MODEL_DIR = Path(__file__).resolve().parent / "models"
MODELS = {name: (MODEL_DIR / name).read_text() for name in ("dcgan.py", "unet.py", "vocoder.py")}

# ---------------------------------------------------------------------------------------------
# edits

NUMBER = re.compile(r"\b\d+\b")
REPLACEMENTS = ["0", "1", "-1", "2", "3", "7", "64", "65", "1000000", "10**100", "2.5", "-0",
                "ngf", "x", "None", "True", "self", "(2, 3)", "[]", "'same'", "k", "in_channels"]
JUNK = ["(", ")", "[", "]", ":", ",", "=", "\\", "'", '"', '"""', "#", "@", "\t", "\x0c", " ",
        "lambda", "*", "**", "...", "\n", "é", "\u200b", "shapelint: input=(", "# noqa", "\r"]

Edit = Tuple  # ("op", *ints/strs): plain data, so a failing case prints readably


def edits_strategy() -> st.SearchStrategy[List[Edit]]:
    index = st.integers(min_value=0, max_value=10_000)  # taken modulo the current size
    one = st.one_of(
        st.tuples(st.just("delete"), index),
        st.tuples(st.just("duplicate"), index),
        st.tuples(st.just("swap"), index, index),
        st.tuples(st.just("number"), index, st.sampled_from(REPLACEMENTS)),
        st.tuples(st.just("truncate"), index),
        st.tuples(st.just("junk"), index, st.sampled_from(JUNK)),
        st.tuples(st.just("indent"), index, st.integers(min_value=-8, max_value=8)),
    )
    return st.lists(one, min_size=1, max_size=6)


def apply_edit(source: str, edit: Edit) -> str:
    op = edit[0]
    lines = source.splitlines(keepends=True)
    if op == "truncate":
        return source[: edit[1] % (len(source) + 1)]
    if op == "junk":
        at = edit[1] % (len(source) + 1)
        return source[:at] + edit[2] + source[at:]
    if op == "number":
        numbers = list(NUMBER.finditer(source))
        if not numbers:
            return source
        m = numbers[edit[1] % len(numbers)]
        return source[: m.start()] + edit[2] + source[m.end():]
    if not lines:
        return source
    i = edit[1] % len(lines)
    if op == "delete":
        del lines[i]
    elif op == "duplicate":
        lines.insert(i, lines[i])
    elif op == "swap":
        j = edit[2] % len(lines)
        lines[i], lines[j] = lines[j], lines[i]
    elif op == "indent":
        stripped = lines[i].lstrip(" ")
        width = max(0, len(lines[i]) - len(stripped) + edit[2])
        lines[i] = " " * width + stripped
    return "".join(lines)


def apply_edits(source: str, edits: Sequence[Edit]) -> str:
    for edit in edits:
        source = apply_edit(source, edit)
    return source


# ---------------------------------------------------------------------------------------------
# settings

RANDOM = os.environ.get("SHAPELINT_FUZZ_RANDOM") == "1"
EXAMPLES = int(os.environ.get("SHAPELINT_FUZZ_EXAMPLES", "0")) or None


def fuzz_settings(examples: int):
    return settings(
        max_examples=EXAMPLES or examples,
        deadline=None,  # the first call pays for imports; the budget is the whole test's time
        derandomize=not RANDOM,
        database=None if not RANDOM else settings.default.database,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        print_blob=True,
    )


CODE = re.compile(r"^SHP\d{3}$")

# Crashes already reported in benchmarks/findings.md, by (exception type, file of the innermost
# shapelint frame). Each has its own strict xfail test below, which turns into a failure once the
# engine is fixed: then delete the entry and keep the test. The fuzz tests skip only these, so one
# known bug does not hide the next one.
KNOWN_CRASHES: set = set()  # e.g. {("CpuBudgetExceeded", "shapelint/core/solver.py")}

# An editor runs the linter on every save: a small file must never take long. CPU time, not wall
# time, so a busy CI machine does not make this flaky; generous, since the first call imports.
CPU_BUDGET_S = 5.0


def crash_key(error: BaseException) -> Tuple[str, str]:
    import traceback

    frames = [f for f in traceback.extract_tb(error.__traceback__) if "shapelint" in f.filename.replace(os.sep, "/")]
    where = frames[-1].filename.replace(os.sep, "/") if frames else ""
    where = where[where.rfind("shapelint/"):] if "shapelint/" in where else where
    return type(error).__name__, where


def analyze_or_skip_known(source: str, path: str) -> FileResult:
    try:
        with cpu_budget(CPU_BUDGET_S):
            return analyze_source(source, path)
    except (Exception, CpuBudgetExceeded) as error:
        assume(crash_key(error) not in KNOWN_CRASHES)
        raise


def assert_sane(result: FileResult, source: str) -> None:
    assert isinstance(result, FileResult)
    n_lines = source.count("\n") + 1
    for d in result.diagnostics:
        assert CODE.match(d.code), d
        assert isinstance(d.message, str) and d.message, d
        assert 1 <= d.row <= n_lines + 1, (d, n_lines)
        assert d.col >= 1, d


# ---------------------------------------------------------------------------------------------
# the tests


def test_the_unedited_models_are_clean():
    """The starting points are correct code: the fuzzing starts from silence, not from noise."""
    for name, source in MODELS.items():
        result = analyze_source(source, name)
        assert_sane(result, source)
        errors = [d for d in result.diagnostics if d.code.startswith(("SHP0", "SHP1"))]
        assert errors == [], (name, errors)


@fuzz_settings(examples=250)
@given(name=st.sampled_from(sorted(MODELS)), edits=edits_strategy())
def test_engine_never_raises_on_edited_models(name, edits):
    source = apply_edits(MODELS[name], edits)
    note(f"edited source:\n{source}")
    # Under pytest the engine re-raises its internal errors (analyze._strict), so any bug shows.
    result = analyze_or_skip_known(source, name)
    assert_sane(result, source)
    as_bytes = source.encode("utf-8", "surrogatepass")
    mentions_layers(as_bytes)
    assert_sane(analyze_source(as_bytes, name), source)


@fuzz_settings(examples=50)
@given(name=st.sampled_from(sorted(MODELS)), edits=edits_strategy(),
       output_format=st.sampled_from(["text", "json"]))
def test_cli_check_exits_0_or_1_on_edited_models(name, edits, output_format):
    source = apply_edits(MODELS[name], edits)
    note(f"edited source:\n{source}")
    analyze_or_skip_known(source, name)  # the CLI reports only "internal error": tell known ones apart here
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(source.encode("utf-8", "surrogatepass"))
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli_main(["check", "--no-cache", "--jobs", "1", "--format", output_format, str(path)])
    note(f"exit {code}\nstdout:\n{out.getvalue()}\nstderr:\n{err.getvalue()}")
    assert code in (0, 1)
    assert "internal error" not in err.getvalue().lower()
    assert "Traceback" not in err.getvalue()
    if output_format == "json":
        diagnostics = json.loads(out.getvalue())
        assert isinstance(diagnostics, list)
        assert (code == 1) == bool(diagnostics)


def test_cli_check_survives_many_edited_files_in_one_run(tmp_path):
    """One run over a directory of broken and intact files: every file is reported on, and the
    parallel path (worker processes) is exercised too."""
    import random

    rng = random.Random(1234)
    count = 0
    for name, source in MODELS.items():
        for k in range(8):
            edits = [("delete", rng.randrange(10_000)), ("junk", rng.randrange(10_000), rng.choice(JUNK)),
                     ("number", rng.randrange(10_000), rng.choice(REPLACEMENTS))][: k % 3 + 1]
            edited = apply_edits(source, edits) if k else source
            try:
                with cpu_budget(CPU_BUDGET_S):
                    analyze_source(edited, name)
            except (Exception, CpuBudgetExceeded) as error:
                if crash_key(error) in KNOWN_CRASHES:
                    continue
            (tmp_path / f"{k}_{name}").write_text(edited)
            count += 1
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli_main(["check", "--no-cache", "--jobs", "2", "--format", "json", str(tmp_path)])
    assert code in (0, 1), err.getvalue()
    assert "internal error" not in err.getvalue().lower(), err.getvalue()
    assert isinstance(json.loads(out.getvalue()), list)
    assert count >= 20


# ---------------------------------------------------------------------------------------------
# crashes the fuzzing found (benchmarks/findings.md), kept as regression tests once fixed

STRIDE_ZERO = """import torch.nn as nn


class Net(nn.Module):  # shapelint: input=(1, 3, 64, 64)
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 4, 0, 1)

    def forward(self, x):
        return self.conv(x)
"""


def test_stride_zero_with_declared_input_is_shp103_not_a_crash():
    # Found by the fuzzing: ZeroDivisionError in formulas.conv_out, fixed in b5b3764.
    result = analyze_source(STRIDE_ZERO, "stride0.py")
    # PyTorch rejects stride 0 ("non-positive stride is not supported"): an SHP103 is expected.
    assert any(d.code == "SHP103" for d in result.diagnostics), result.diagnostics


SLOW_AUDIO = """import torch.nn as nn


class AudioEncoder(nn.Module):  # shapelint: input=(1, 1, 480000) output=(1, 256, 100)
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv1d(1, 64, kernel_size=10, stride=5),
            nn.Conv1d(64, 128, kernel_size=8, stride=4),
            nn.Conv1d(128, 256, kernel_size=4, stride=2),
        )

    def forward(self, x):
        return self.net(x)
"""


def test_a_long_audio_input_with_a_wrong_output_is_checked_quickly():
    # findings.md #2: 5.2 s CPU in solver._strided_then_adaptive, fixed in f5984e2.
    with cpu_budget(1.0):
        result = analyze_source(SLOW_AUDIO, "audio.py")
    assert [d.code for d in result.diagnostics] == ["SHP101"]


RECURSIVE_HELPER = """import torch
import torch.nn as nn
import torch.nn.functional as F


def filt(x, kernels, d):
    if d < 0:
        return x
    if kernels[d].numel() == 1:
        return filt(x, kernels, d - 1)
    return F.conv1d(filt(F.pad(x, [1, 1]), kernels, d - 1), kernels[d])


class Blur(nn.Module):
    def __init__(self, kernels):
        super().__init__()
        self.kernels = kernels

    def forward(self, x):
        return filt(x, self.kernels, len(self.kernels) - 1)
"""


def test_a_recursive_helper_function_is_checked_quickly():
    # findings.md #6, from monai's simplelayers.py (_separable_filtering_conv): 5 s CPU and 300 MB
    # for 20 lines, fixed in 6bf1d56.
    with cpu_budget(1.0):
        result = analyze_source(RECURSIVE_HELPER, "recursive_helper.py")
    assert result.diagnostics == []
