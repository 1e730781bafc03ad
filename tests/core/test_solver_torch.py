"""The solver against PyTorch on the CPU: complete (nothing torch accepts is missing) and sound
(everything returned, built as the real module, gives exactly the wanted shape).

Completeness enumerates every (kernel_size, stride, padding, output_padding, dilation) in small
bounds with a padding range far beyond any that can still give a positive output, and lets a
tiny 1-d functional call on a zero tensor decide what PyTorch accepts and what size it gives.
Tables are built once per (family, input size) and shared by all examples.
"""

from __future__ import annotations

import functools
import os
import warnings
from typing import Dict, Optional, Tuple

import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from shapelint.core.solver import (
    SUPPORTED_LAYERS,
    Bounds,
    DimSolution,
    _new_solution,
    solve,
)

SCALE = max(1, int(os.environ.get("SHAPELINT_EXAMPLES", "1")))

FAMILY_OF = {
    "ConvTranspose": "conv_transpose",
    "Conv": "conv",
    "MaxPool": "max_pool",
    "AvgPool": "avg_pool",
}
LAYER_1D = {
    "conv_transpose": "ConvTranspose1d",
    "conv": "Conv1d",
    "max_pool": "MaxPool1d",
    "avg_pool": "AvgPool1d",
}

# The brute-force space: sizes up to MAX_IN -> MAX_OUT, and per (kernel, stride, dilation) a
# padding range past the last padding that can still give an output in 1..MAX_OUT; ``_table``
# checks with torch that the range's end is indeed beyond (so the range is generous, not guessed).
MAX_IN, MAX_OUT = 10, 24
MAX_KERNEL, MAX_STRIDE, MAX_DILATION, MAX_OUTPUT_PADDING = 5, 3, 3, 3


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """Thousands of tiny ops: intra-op threads only add overhead (16x slower on a busy machine)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


Key = Tuple[int, int, int, Optional[int], int]  # kernel, stride, padding, output_padding, dilation


def _family(layer: str) -> str:
    return FAMILY_OF[layer[:-2]]


def torch_1d(
    family: str,
    size: int,
    kernel: int,
    stride: int,
    padding: int,
    output_padding: Optional[int],
    dilation: int,
) -> Optional[int]:
    """Output length PyTorch gives, or None when it rejects the call."""
    x = torch.zeros(1, 1, size)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if family == "conv_transpose":
                y = F.conv_transpose1d(
                    x,
                    torch.zeros(1, 1, kernel),
                    stride=stride,
                    padding=padding,
                    output_padding=output_padding,
                    dilation=dilation,
                )
            elif family == "conv":
                y = F.conv1d(
                    x, torch.zeros(1, 1, kernel), stride=stride, padding=padding, dilation=dilation
                )
            elif family == "max_pool":
                y = F.max_pool1d(x, kernel, stride, padding, dilation)
            else:
                y = F.avg_pool1d(x, kernel, stride, padding)
    except (RuntimeError, ValueError):
        return None
    return y.shape[-1]


@functools.lru_cache(maxsize=None)
def _table(family: str, size: int) -> Dict[Key, int]:
    """Every parameter set of the brute-force space that PyTorch accepts, with its output size."""
    table: Dict[Key, int] = {}
    dilations = range(1, MAX_DILATION + 1) if family != "avg_pool" else (1,)
    output_paddings = range(MAX_OUTPUT_PADDING + 1) if family == "conv_transpose" else (None,)
    for kernel in range(1, MAX_KERNEL + 1):
        for stride in range(1, MAX_STRIDE + 1):
            for dilation in dilations:
                for output_padding in output_paddings:
                    span = dilation * (kernel - 1) + 1
                    if family == "conv_transpose":  # outputs shrink as padding grows
                        top = ((size - 1) * stride + span + output_padding) // 2 + 3
                    else:  # outputs grow as padding grows
                        top = (MAX_OUT * stride + span - size) // 2 + 3
                    for padding in range(top + 1):
                        out = torch_1d(
                            family, size, kernel, stride, padding, output_padding, dilation
                        )
                        if out is not None:
                            table[(kernel, stride, padding, output_padding, dilation)] = out
                    # Generous: at the range's end torch rejects or the output is past MAX_OUT.
                    last = table.get((kernel, stride, top, output_padding, dilation))
                    assert last is None or last > MAX_OUT, (family, size, kernel, stride, dilation)
    return table


def brute_force(
    family: str, size_in: int, size_out: int, fixed: Dict[str, int], bounds: Bounds
) -> set:
    allowed = {
        "kernel_size": range(1, bounds.max_kernel_size + 1),
        "stride": range(1, bounds.max_stride + 1),
        "dilation": range(1, bounds.max_dilation + 1),
    }
    found = set()
    for (kernel, stride, padding, output_padding, dilation), out in _table(family, size_in).items():
        if out != size_out:
            continue
        values = {
            "kernel_size": kernel,
            "stride": stride,
            "padding": padding,
            "output_padding": output_padding,
            "dilation": dilation,
        }
        if any(values[name] != value for name, value in fixed.items()):
            continue
        if any(name not in fixed and values[name] not in allowed[name] for name in allowed):
            continue
        found.add((kernel, stride, padding, output_padding, dilation))
    return found


def _key(solution: DimSolution) -> Key:
    return (
        solution.kernel_size,
        solution.stride,
        solution.padding,
        solution.output_padding,
        solution.dilation,
    )


@st.composite
def queries(draw):
    family = draw(st.sampled_from(sorted(LAYER_1D)))
    size_in = draw(st.integers(1, MAX_IN))
    size_out = draw(st.integers(1, MAX_OUT))
    bounds = Bounds(
        draw(st.integers(1, MAX_KERNEL)),
        draw(st.integers(1, MAX_STRIDE)),
        draw(st.integers(1, MAX_DILATION)),
    )
    names = ["kernel_size", "stride", "padding"]
    if family == "conv_transpose":
        names.append("output_padding")
    if family != "avg_pool":
        names.append("dilation")
    top = {
        "kernel_size": MAX_KERNEL,
        "stride": MAX_STRIDE,
        "padding": 12,
        "output_padding": MAX_OUTPUT_PADDING,
        "dilation": MAX_DILATION,
    }
    fixed = {}
    for name in names:
        if draw(st.integers(0, 3)) == 0:  # each parameter pinned in about a quarter of the cases
            fixed[name] = draw(
                st.integers(0 if name in ("padding", "output_padding") else 1, top[name])
            )
    return family, size_in, size_out, fixed, bounds


@settings(max_examples=300 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(queries())
def test_solutions_are_exactly_what_torch_accepts(query):
    family, size_in, size_out, fixed, bounds = query
    result = solve(LAYER_1D[family], (size_in,), (size_out,), fixed=fixed, bounds=bounds)
    got = [_key(s) for s in result.dims[0].solutions]
    assert len(got) == len(set(got)), "a solution is listed twice"
    assert set(got) == brute_force(family, size_in, size_out, fixed, bounds)


def test_completeness_covers_solvable_and_unsolvable_queries():
    """Guard against a vacuous completeness test: the space has both kinds, and many solutions."""
    bounds = Bounds(MAX_KERNEL, MAX_STRIDE, MAX_DILATION)
    counts = [
        len(brute_force(f, 7, out, {}, bounds))
        for f in sorted(LAYER_1D)
        for out in (1, 7, 14, MAX_OUT)
    ]
    assert 0 in counts and max(counts) > 20


def test_the_fast_constructor_is_the_dataclass_constructor():
    made = _new_solution(3, 2, 1, 0, 1, ("x",))
    assert made == DimSolution(3, 2, 1, 0, 1, ("x",))
    assert hash(made) == hash(DimSolution(3, 2, 1, 0, 1, ("x",)))
    with pytest.raises(AttributeError):
        made.stride = 3  # still frozen


# --------------------------------------------------------------------------- soundness


def build(
    layer: str, params: Dict[str, Tuple[int, ...]], in_channels: int, out_channels: int
) -> torch.nn.Module:
    cls = getattr(torch.nn, layer)
    kwargs = {name: tuple(values) for name, values in params.items()}
    if layer.startswith("Conv"):
        return cls(in_channels, out_channels, **kwargs)
    return cls(**kwargs)


def run(module: torch.nn.Module, channels: int, sizes: Tuple[int, ...]) -> Tuple[int, ...]:
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return tuple(module(torch.zeros(1, channels, *sizes)).shape)


@st.composite
def module_queries(draw):
    layer = draw(st.sampled_from(SUPPORTED_LAYERS))
    family = _family(layer)
    n = int(layer[-2])
    size_in = tuple(draw(st.integers(1, 9)) for _ in range(n))
    bounds = Bounds(draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(1, 2)))
    # Draw a parameter set, let torch say what it gives, and ask the solver for that.
    params = {
        "kernel_size": tuple(draw(st.integers(1, bounds.max_kernel_size)) for _ in range(n)),
        "stride": tuple(draw(st.integers(1, bounds.max_stride)) for _ in range(n)),
    }
    if family != "avg_pool":
        params["dilation"] = tuple(draw(st.integers(1, bounds.max_dilation)) for _ in range(n))
    if family in ("max_pool", "avg_pool"):
        params["padding"] = tuple(draw(st.integers(0, k // 2)) for k in params["kernel_size"])
    else:
        params["padding"] = tuple(draw(st.integers(0, 4)) for _ in range(n))
    if family == "conv_transpose":
        params["output_padding"] = tuple(
            draw(st.integers(0, max(s, d) - 1))
            for s, d in zip(params["stride"], params["dilation"])
        )
    channels = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    return layer, size_in, params, bounds, channels


@settings(max_examples=80 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(module_queries())
def test_every_solution_built_in_torch_gives_the_output(query):
    layer, size_in, params, bounds, (c_in, c_out) = query
    conv = layer.startswith("Conv")
    try:
        wanted = run(build(layer, params, c_in, c_out), c_in, size_in)
    except RuntimeError:
        assume(False)  # the drawn parameters are not valid for this input; nothing to ask
    size_out = wanted[2:]
    # A transposed convolution may give an empty output without an error: not a size to ask for.
    assume(all(size > 0 for size in size_out))
    result = solve(
        layer,
        size_in,
        size_out,
        bounds=bounds,
        in_channels=c_in if conv else None,
        out_channels=c_out if conv else None,
    )
    # Complete: the drawn parameters are among the solutions of every dim.
    for axis, dim in enumerate(result.dims):
        keys = {_key(s) for s in dim.solutions}
        drawn = tuple(
            (
                params.get(name, (None,) * len(size_in))[axis]
                if name in params
                else (1 if name == "dilation" else None)
            )
            for name in ("kernel_size", "stride", "padding", "output_padding", "dilation")
        )
        assert drawn in keys
    # Sound: each dim's every solution, with the best of the other dims, gives exactly the output.
    best = [dim.solutions[0] for dim in result.dims]
    for axis, dim in enumerate(result.dims):
        for solution in dim.solutions:
            chosen = list(best)
            chosen[axis] = solution
            module_params = {
                name: tuple(getattr(s, name) for s in chosen)
                for name in ("kernel_size", "stride", "padding", "output_padding", "dilation")
                if not (name == "output_padding" and not layer.startswith("ConvTranspose"))
                and not (name == "dilation" and layer.startswith("AvgPool"))
            }
            got = run(build(layer, module_params, c_in, c_out), c_in, size_in)
            assert got == (1, c_out if conv else c_in) + tuple(size_out), (axis, solution)
    if result.recommended is not None:
        module = eval(result.recommended["code"], {"nn": torch.nn})  # noqa: S307 - our own output
        assert run(module, c_in, size_in) == wanted


# --------------------------------------------------------------------------- reasons


@settings(max_examples=300 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(queries())
@example(("conv", 8, 1, {"padding": 12}, Bounds(max_kernel_size=1, max_stride=1, max_dilation=1)))
def test_the_numbers_in_reasons_are_what_torch_gives(query):
    """Every "stride S maps N to at most/least X" in a reason holds in the torch table."""
    import re

    from shapelint.core import formulas

    family, size_in, size_out, fixed, bounds = query
    result = solve(LAYER_1D[family], (size_in,), (size_out,), fixed=fixed, bounds=bounds)
    dim = result.dims[0]
    reason = dim.reason
    assert (reason is None) == any(s.lossless for s in dim.solutions)
    if reason is None:
        return
    anything = reason.startswith("no parameter set within the bounds")
    assert anything == (not dim.solutions)
    allowed = brute_force_any(family, size_in, fixed, bounds)

    def outputs(stride, lossless=not anything, padding=None):
        return [
            out
            for (k, s, p, op, d), out in allowed.items()
            if s == stride
            and (not lossless or formulas.is_lossless(k, s, p, d))
            and (padding is None or p == padding)
        ]

    claims = 0
    for stride, most in re.findall(r"stride (\d+) maps \d+ to at most (\d+)", reason):
        assert max(outputs(int(stride))) == int(most), reason
        claims += 1
    for stride, least in re.findall(r"and stride (\d+) to at least (\d+)", reason):
        assert min(outputs(int(stride))) == int(least), reason
        claims += 1
    found = re.search(
        r"stride (\d+) maps \d+ to at least (\d+) without cropping \(padding=0\)"
        r" and to at least (\d+) with the most padding",
        reason,
    )
    if found:
        stride, unpadded, padded = map(int, found.groups())
        assert min(outputs(stride, lossless=False, padding=0)) == unpadded, reason
        assert min(outputs(stride)) == padded, reason
        claims += 1
    else:
        for stride, least in re.findall(r"stride (\d+) maps \d+ to at least (\d+)", reason):
            assert min(outputs(int(stride))) == int(least), reason
            claims += 1
    for stride, low, high in re.findall(
        r"stride (\d+) to sizes (\d+)(?:\.\.(\d+)| and up)", reason
    ):
        values = outputs(int(stride))
        assert min(values) == int(low) and size_out not in values, reason
        if high:
            assert max(values) == int(high), reason
        else:  # "and up": only a convolution's padding grows the size without bound
            assert family == "conv" and max(values) > MAX_OUT, reason
        claims += 1
    assert (
        claims
        or "crops or skips" in reason
        or "is rejected" in reason
        or "kernel_size <=" in reason
    ), reason


def brute_force_any(
    family: str, size_in: int, fixed: Dict[str, int], bounds: Bounds
) -> Dict[Key, int]:
    """The table restricted to the query's bounds and pinned parameters, any output."""
    allowed = {
        "kernel_size": range(1, bounds.max_kernel_size + 1),
        "stride": range(1, bounds.max_stride + 1),
        "dilation": range(1, bounds.max_dilation + 1),
    }
    kept = {}
    for key, out in _table(family, size_in).items():
        values = dict(zip(("kernel_size", "stride", "padding", "output_padding", "dilation"), key))
        if any(values[name] != value for name, value in fixed.items()):
            continue
        if any(name not in fixed and values[name] not in allowed[name] for name in allowed):
            continue
        kept[key] = out
    if "padding" in fixed:
        # A pinned padding may lie past the table's range (it only goes as far as outputs up to
        # MAX_OUT): ask torch directly for the sets that use it.
        def choices(name: str, default) -> list:
            return [fixed[name]] if name in fixed else list(allowed.get(name, default))

        dilations = choices("dilation", range(1, MAX_DILATION + 1)) if family != "avg_pool" else [1]
        output_paddings = (choices("output_padding", range(MAX_OUTPUT_PADDING + 1))
                           if family == "conv_transpose" else [None])
        for kernel in choices("kernel_size", ()):
            for stride in choices("stride", ()):
                for dilation in dilations:
                    for output_padding in output_paddings:
                        key = (kernel, stride, fixed["padding"], output_padding, dilation)
                        if key not in kept:
                            out = torch_1d(family, size_in, kernel, stride, fixed["padding"],
                                           output_padding, dilation)
                            if out is not None:
                                kept[key] = out
    return kept
