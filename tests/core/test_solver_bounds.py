"""The solver at large bounds, and the limits on them.

The solver counts in closed form and lists best first without making the rest; here both are
checked against a plain enumeration that tries paddings one by one with the forward formulas
(independent of the solver's inversion), at bounds well past the torch oracle's small ones. Then
the limits: above them the command line and ``[tool.shapelint]`` refuse in one line, and at them
any query answers fast in little memory.
"""

from __future__ import annotations

import heapq
import itertools
import json
import subprocess
import sys
import textwrap
from typing import Dict, Iterator, Optional, Tuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shapelint.frontends.cli import main as shapelint_main
from shapelint.frontends.cli.solve_cmd import main as solve_main
from shapelint.core import formulas, solver
from shapelint.core.solver import LISTED_AT_MOST, Bounds, solve
from shapelint.core.solver_bounds import LIMITS

FAMILY = {
    "ConvTranspose1d": "conv_transpose",
    "Conv1d": "conv",
    "MaxPool1d": "max_pool",
    "AvgPool1d": "avg_pool",
}
PARAMS = {
    "conv_transpose": ("kernel_size", "stride", "padding", "output_padding", "dilation"),
    "conv": ("kernel_size", "stride", "padding", "dilation"),
    "max_pool": ("kernel_size", "stride", "padding", "dilation"),
    "avg_pool": ("kernel_size", "stride", "padding"),
}

Solution = Tuple[
    int, int, int, Optional[int], int
]  # kernel, stride, padding, output_padding, dilation


def _out(family: str, size: int, k: int, s: int, p: int, op: Optional[int], d: int) -> int:
    if family == "conv_transpose":
        return formulas.conv_transpose_out(size, k, s, p, op, d)
    if family == "conv":
        return formulas.conv_out(size, k, s, p, d)
    return formulas.pool_out(size, k, s, p, d, False)


def enumerate_solutions(
    family: str, size_in: int, size_out: int, bounds: Bounds, fixed: Dict[str, int]
) -> Iterator[Solution]:
    """Every solution, by trying each padding (and output_padding) in turn near where the
    forward formula can give ``size_out`` (far enough that none is missed: see the margins)."""

    def values(name: str, top: int) -> range:
        return range(fixed[name], fixed[name] + 1) if name in fixed else range(1, top + 1)

    dilations = values("dilation", bounds.max_dilation) if family != "avg_pool" else range(1, 2)
    for k, s, d in itertools.product(
        values("kernel_size", bounds.max_kernel_size),
        values("stride", bounds.max_stride),
        dilations,
    ):
        span = d * (k - 1) + 1
        if family == "conv_transpose":
            ops = range(max(s, d)) if "output_padding" not in fixed else [fixed["output_padding"]]
            for op in ops:
                if op >= max(s, d):
                    continue
                # The output falls by 2 per padding step: one candidate and its neighbours.
                guess = ((size_in - 1) * s + span + op - size_out) // 2
                for p in range(max(0, guess - 2), guess + 3):
                    if (
                        fixed.get("padding", p) == p
                        and _out(family, size_in, k, s, p, op, d) == size_out
                    ):
                        yield (k, s, p, op, d)
        else:
            # The output grows by at most 1 per padding step: scan from where it can start.
            first = max(0, ((size_out - 2) * s + span - size_in) // 2 - 2)
            last = first + s + 4
            if family != "conv":
                last = min(last, k // 2)  # PyTorch: pooling padding at most kernel_size // 2
            for p in range(first, last + 1):
                if (
                    fixed.get("padding", p) == p
                    and _out(family, size_in, k, s, p, None, d) == size_out
                ):
                    yield (k, s, p, None, d)


def rank(
    family: str, size_in: int, size_out: int, solution: Solution, current: Optional[Dict[str, int]]
) -> tuple:
    """CONTRACT.md section 5 written out: lossless, checkerboard-free (transposed), fewest
    changes (kernel kept first), then output_padding 0, dilation 1, smaller kernel, stride,
    dilation, output_padding; last, inputs all read and the least padding."""
    k, s, p, op, d = solution
    values = dict(zip(("kernel_size", "stride", "padding", "output_padding", "dilation"), solution))
    lossless = p <= d * (k - 1) and s <= d * (k - 1) + 1
    checkerboard = family == "conv_transpose" and not (d == 1 and k % s == 0)
    changes = sum(values[name] != value for name, value in (current or {}).items())
    kernel_changed = current is not None and k != current.get("kernel_size", k)
    ignores = (
        family != "conv_transpose" and size_in - 1 - ((size_out - 1) * s - p + d * (k - 1)) > 0
    )
    return (
        not lossless,
        checkerboard,
        changes,
        kernel_changed,
        bool(op),
        d != 1,
        k,
        s,
        d,
        op or 0,
        ignores,
        p,
    )


def key(solution) -> Solution:
    return (
        solution.kernel_size,
        solution.stride,
        solution.padding,
        solution.output_padding,
        solution.dilation,
    )


@st.composite
def queries(
    draw, top_in=20, top_out=40, top_kernel=24, top_stride=5, top_dilation=3, with_current=True
):
    layer = draw(st.sampled_from(sorted(FAMILY)))
    family = FAMILY[layer]
    bounds = Bounds(
        draw(st.integers(1, top_kernel)),
        draw(st.integers(1, top_stride)),
        draw(st.integers(1, top_dilation)),
    )
    fixed = {}
    for name in PARAMS[family]:
        if draw(st.integers(0, 5)) == 0:
            low = 0 if name in ("padding", "output_padding") else 1
            fixed[name] = draw(
                st.integers(low, {"kernel_size": top_kernel, "padding": 12}.get(name, 4))
            )
    current = None
    if with_current and draw(st.booleans()):
        current = {
            name: draw(st.integers(0 if name in ("padding", "output_padding") else 1, 6))
            for name in PARAMS[family]
        }
    return (
        layer,
        draw(st.integers(1, top_in)),
        draw(st.integers(1, top_out)),
        bounds,
        fixed,
        current,
    )


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(queries())
def test_listing_and_counts_are_an_enumeration_of_every_padding_ranked(query):
    layer, size_in, size_out, bounds, fixed, current = query
    family = FAMILY[layer]
    dim = solve(layer, (size_in,), (size_out,), fixed=fixed, bounds=bounds, current=current).dims[0]
    expected = sorted(
        enumerate_solutions(family, size_in, size_out, bounds, fixed),
        key=lambda sol: rank(family, size_in, size_out, sol, current),
    )
    assert [key(s) for s in dim.solutions] == expected
    assert dim.count == len(expected)
    assert dim.lossless_count == sum(
        1 for k, s, p, _, d in expected if formulas.is_lossless(k, s, p, d)
    )


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    queries(
        top_in=3000, top_out=400, top_kernel=200, top_stride=10, top_dilation=4, with_current=False
    )
)
def test_at_larger_bounds_the_count_and_the_best_solutions_are_those_of_the_enumeration(query):
    layer, size_in, size_out, bounds, fixed, _ = query
    family = FAMILY[layer]
    dim = solve(layer, (size_in,), (size_out,), fixed=fixed, bounds=bounds).dims[0]
    everything = list(enumerate_solutions(family, size_in, size_out, bounds, fixed))
    best = heapq.nsmallest(
        30, everything, key=lambda sol: rank(family, size_in, size_out, sol, None)
    )
    assert dim.count == len(everything)
    assert [key(s) for s in dim.solutions[:30]] == best


def test_a_count_past_what_is_listed_is_the_sum_of_its_kernel_sizes():
    """Counted, not listed: ConvTranspose1d 64 -> 128 with kernels up to 1024 has more solutions
    than a complete listing writes out; each kernel size's count (a query of its own) adds up to
    it, and one of them agrees with the enumeration."""
    bounds = Bounds(1024, 8, 3)
    dim = solve("ConvTranspose1d", (64,), (128,), bounds=bounds).dims[0]
    assert dim.count > LISTED_AT_MOST
    per_kernel = sum(
        solve("ConvTranspose1d", (64,), (128,), fixed={"kernel_size": k}, bounds=bounds)
        .dims[0]
        .count
        for k in range(1, 1025)
    )
    assert dim.count == per_kernel
    one = solve("ConvTranspose1d", (64,), (128,), fixed={"kernel_size": 700}, bounds=bounds).dims[0]
    assert one.count == len(
        list(enumerate_solutions("conv_transpose", 64, 128, bounds, {"kernel_size": 700}))
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    queries(top_in=60, top_out=90, top_kernel=70, top_stride=6, top_dilation=3, with_current=False)
)
def test_reasons_from_the_extreme_kernel_sizes_are_those_of_every_kernel_size(query):
    """Past ``ALL_KERNELS_UP_TO`` kernel sizes the reasons read only those where an extreme can
    be: every number in them, and the alternatives, must be those that reading all gives."""
    layer, size_in, size_out, bounds, fixed, _ = query
    answers = []
    for every_up_to in (10**9, 0):
        solver._reason.cache_clear()
        solver._cached_dim.cache_clear()
        original, solver.ALL_KERNELS_UP_TO = solver.ALL_KERNELS_UP_TO, every_up_to
        try:
            result = solve(layer, (size_in,), (size_out,), fixed=fixed, bounds=bounds)
        finally:
            solver.ALL_KERNELS_UP_TO = original
        answers.append(([d.reason for d in result.dims], result.alternatives))
    solver._reason.cache_clear()
    solver._cached_dim.cache_clear()
    assert answers[0] == answers[1]


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(sorted(PARAMS)),
    st.one_of(st.integers(1, 30), st.integers(1, 400)),
    st.integers(1, 12),
    st.integers(1, 5),
    st.one_of(st.none(), st.integers(0, 40)),
    st.one_of(st.none(), st.integers(0, 5)),
    st.booleans(),
    st.integers(1, 5),
    st.integers(0, 150),
)
def test_the_extreme_kernel_sizes_hold_the_least_and_greatest_output_of_them_all(
    family, size_in, stride, dilation, padding, output_padding, lossless, low, more
):
    """``_output_range`` per kernel size is what the torch-checked reasons use; over a wide
    kernel range only the first and last admissible size of each parity are read."""
    dilation = 1 if family == "avg_pool" else dilation
    fixed = {"padding": padding, "output_padding": output_padding}
    if family != "conv_transpose":
        fixed.pop("output_padding")
    fixed = {name: value for name, value in fixed.items() if value is not None}
    kernels = (low, low + more)

    def extremes(sizes):
        reached = [
            found
            for k in sizes
            for found in [
                solver._output_range(family, size_in, k, stride, dilation, fixed, lossless)
            ]
            if found is not None
        ]
        return (min(r[0] for r in reached), max(r[1] for r in reached)) if reached else None

    chosen = solver._extreme_kernels(family, size_in, kernels, stride, dilation, fixed, lossless)
    assert extremes(sorted(chosen)) == extremes(range(kernels[0], kernels[1] + 1))


# --------------------------------------------------------------------------- limits

BOUNDS = (
    ("max_kernel_size", "--max-kernel-size", "max-kernel-size"),
    ("max_stride", "--max-stride", "max-stride"),
    ("max_dilation", "--max-dilation", "max-dilation"),
)


@pytest.mark.parametrize("name", [name for name, _, _ in BOUNDS])
def test_a_bound_may_reach_its_limit_and_no_further(name):
    limit = getattr(LIMITS, name)
    assert Bounds.problem(name, limit) is None
    assert Bounds.problem(name, limit + 1) == f"must be at most {limit}"
    # The limits must let a real layer be searched: an FCN-32s head (kernel 64, stride 32).
    assert (
        getattr(LIMITS, name) >= {"max_kernel_size": 64, "max_stride": 32, "max_dilation": 12}[name]
    )


@pytest.mark.parametrize("name, flag, _", BOUNDS)
@pytest.mark.parametrize("excess", [1, 10**6])
def test_each_bound_past_its_limit_on_the_command_line_is_one_line_exit_2(
    capsys, name, flag, _, excess
):
    limit = getattr(LIMITS, name)
    code = solve_main(["ConvTranspose2d", "64", "128", flag, str(limit + excess)])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    assert captured.err.startswith(f"shapelint solve: error: {flag} must be at most {limit}")
    assert captured.err.count("\n") == 1


@pytest.mark.parametrize("name, _, key", BOUNDS)
def test_each_bound_past_its_limit_in_pyproject_is_a_one_line_config_error(
    tmp_path, capsys, name, _, key
):
    limit = getattr(LIMITS, name)
    (tmp_path / "pyproject.toml").write_text(f"[tool.shapelint]\n{key} = {limit + 1}\n")
    model = tmp_path / "model.py"
    model.write_text("import torch.nn as nn\n\nnet = nn.Sequential(nn.Conv2d(3, 8, 3))\n")
    code = shapelint_main(["check", str(model)])
    captured = capsys.readouterr()
    assert code == 2
    assert f"tool.shapelint.{key}: must be at most {limit}, got {limit + 1}" in captured.err
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err
    # At the limit the same file is checked.
    (tmp_path / "pyproject.toml").write_text(f"[tool.shapelint]\n{key} = {limit}\n")
    assert shapelint_main(["check", str(model)]) == 0
    capsys.readouterr()


def test_queries_at_the_limits_answer_in_seconds_within_a_gigabyte():
    """The worst cases at the largest bounds allowed, each a whole command, in a process that may
    not use more than 1 GB of address space; the benchmark measures the real speed (about 0.15 s
    each). Before the limits, the first of these ran for minutes and took 24 GB."""
    limits = [
        "--max-kernel-size",
        str(LIMITS.max_kernel_size),
        "--max-stride",
        str(LIMITS.max_stride),
        "--max-dilation",
        str(LIMITS.max_dilation),
    ]
    commands = [
        ["ConvTranspose2d", "64", "128"],  # millions of solutions per dim
        ["ConvTranspose3d", "16x160x160", "16x224x224", "--format", "json", "--limit", "20"],
        ["AvgPool1d", "100000", "1"],  # nothing exact: reasons and alternatives, every pair
        ["MaxPool2d", "10x10", "30x30"],
        ["Conv2d", "224", "7", "--limit", "0"],  # a complete listing past the cap: refused
    ]
    script = textwrap.dedent(f"""
        import json, resource, sys, time
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
        from shapelint.frontends.cli.solve_cmd import main
        codes = []
        for argv in {commands!r}:
            codes.append(main(argv + {limits!r}))
        print(json.dumps(codes))
        """)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=10
    )
    assert done.returncode == 0, done.stderr
    codes = json.loads(done.stdout.strip().splitlines()[-1])
    assert codes == [0, 0, 1, 1, 2]
    assert f"complete listing stops at {LISTED_AT_MOST:,}" in done.stderr
