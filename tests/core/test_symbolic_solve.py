"""``solve`` with names: every listed family gives OUT for every size in PyTorch, and no family
within the bounds is missing (checked against a brute-force sweep of the integer formulas)."""

from __future__ import annotations

import itertools
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")
nn = torch.nn

from shapelint.core import formulas  # noqa: E402
from shapelint.core import symbolic as S  # noqa: E402
from shapelint.core.solver_bounds import Bounds  # noqa: E402
from shapelint.core.symbolic_solve import solve_symbolic  # noqa: E402
from shapelint.frontends.cli.solve_cmd import main  # noqa: E402

H = S.name("h")
TARGETS = {
    "ConvTranspose1d": ["2*h", "2*h + 1", "2*h - 1", "3*h", "h", "h + 2", "4*h - 2"],
    "Conv1d": ["h//2", "(h + 1)//2", "h", "h - 2", "h + 2", "(h + 2)//3", "h//4", "(h - 1)//2"],
    "MaxPool1d": ["h//2", "(h + 1)//2", "h", "h - 1", "(h - 2)//3 + 1"],
    "AvgPool1d": ["h//2", "(h + 1)//2", "h", "h//3 + 1"],
}
SMALL = Bounds(max_kernel_size=7, max_stride=4, max_dilation=2)


def _module(layer: str, s):
    if layer == "ConvTranspose1d":
        return nn.ConvTranspose1d(1, 1, s.kernel_size, s.stride, s.padding, s.output_padding, dilation=s.dilation)
    if layer == "Conv1d":
        return nn.Conv1d(1, 1, s.kernel_size, s.stride, s.padding, s.dilation)
    if layer == "MaxPool1d":
        return nn.MaxPool1d(s.kernel_size, s.stride, s.padding, s.dilation)
    return nn.AvgPool1d(s.kernel_size, s.stride, s.padding)


def _runs_to(module, h: int):
    try:
        with torch.no_grad():
            return module(torch.zeros(1, 1, h)).shape[-1]
    except RuntimeError:
        return None


QUERIES = [(layer, target) for layer, targets in TARGETS.items() for target in targets]


@pytest.mark.parametrize("layer, target", QUERIES)
def test_every_listed_family_gives_out_for_every_size_in_pytorch(layer, target):
    out = S.parse(target)
    result = solve_symbolic(layer, [H], [out], bounds=SMALL)
    solutions = list(result.dims[0].solutions)
    for solution in solutions[:12]:
        module = _module(layer, solution)
        for h in range(1, 121):
            wanted = S.evaluate(out, {"h": h})
            if wanted >= 1:
                assert _runs_to(module, h) == wanted, (layer, target, solution, h)


def _holds_for_every_size(layer, target, k, s, p, op, d):
    for h in range(1, 201):
        wanted = S.evaluate(target, {"h": h})
        if wanted < 1:
            continue
        if layer == "ConvTranspose1d":
            got = formulas.conv_transpose_out(h, k, s, p, op, d)
        elif layer == "Conv1d":
            got = formulas.conv_out(h, k, s, p, d) if h + 2 * p >= d * (k - 1) + 1 else None
        else:
            got = formulas.pool_out(h, k, s, p, d, False)
        if got != wanted:
            return False
    return True


def _brute_force(layer, target):
    found = set()
    for k, s, d in itertools.product(range(1, 8), range(1, 5), range(1, 3)):
        if layer == "AvgPool1d" and d != 1:
            continue
        max_pad = k // 2 if "Pool" in layer else 12
        ops = range(max(s, d)) if layer == "ConvTranspose1d" else (None,)
        for p in range(max_pad + 1):
            for op in ops:
                if _holds_for_every_size(layer, target, k, s, p, op or 0, d):
                    found.add((k, s, p, op, d))
    return found


@pytest.mark.parametrize("layer, target", QUERIES)
def test_no_family_is_missing(layer, target):
    out = S.parse(target)
    result = solve_symbolic(layer, [H], [out], bounds=SMALL)
    listed = {(s.kernel_size, s.stride, s.padding, s.output_padding, s.dilation) for s in result.dims[0].solutions}
    assert listed == _brute_force(layer, out)


def test_ranked_lossless_first_then_simple():
    result = solve_symbolic("ConvTranspose1d", [H], [2 * H])
    solutions = list(result.dims[0].solutions)
    assert solutions[0].kernel_size == 2 and solutions[0].stride == 2 and solutions[0].padding == 0
    lossless = [s.lossless for s in solutions]
    assert lossless == sorted(lossless, reverse=True)
    assert result.recommended is not None


@settings(max_examples=25)
@given(st.sampled_from(QUERIES), st.integers(1, 3))
def test_an_input_expression_instead_of_a_name(query, scale):
    """``scale*h`` in, OUT of h out: still exact in PyTorch."""
    layer, target = query
    x = scale * H
    out = S.parse(target)
    result = solve_symbolic(layer, [x], [out], bounds=SMALL)
    for solution in list(result.dims[0].solutions)[:4]:
        module = _module(layer, solution)
        for h in range(1, 60):
            wanted = S.evaluate(out, {"h": h})
            if wanted >= 1:
                assert _runs_to(module, scale * h) == wanted


def test_the_command_line_answers_the_issue_question(capsys):
    """``shapelint solve ConvTranspose2d h 2*h``: stride 2 with
    dilation*(kernel_size-1) + output_padding == 2*padding + 1, every such family listed."""
    code = main(["ConvTranspose2d", "h", "2*h", "--format", "json", "--max-kernel-size", "8"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["input"] == ["h", "h"] and data["output"] == ["2*h", "2*h"]
    listed = {
        (s["kernel_size"], s["stride"], s["padding"], s["output_padding"], s["dilation"])
        for s in data["dims"][0]["solutions"]
    }
    expected = {
        (k, 2, p, op, d)
        for k in range(1, 9) for d in range(1, 4) for op in range(max(2, d)) for p in range(20)
        if d * (k - 1) + op == 2 * p + 1
    }
    assert listed == expected
    assert data["recommended"]["code"] == "nn.ConvTranspose2d(C_in, C_out, kernel_size=2, stride=2)"


def test_the_command_line_text_names_the_sizes(capsys):
    assert main(["Conv2d", "h, w", "(h + 1)//2, w", "--limit", "1"]) == 0
    out = capsys.readouterr().out
    assert "h -> (h + 1)//2" in out and "w -> w" in out
    assert "kernel_size=(3, 1), stride=(2, 1), padding=(1, 0)" in out
