"""Convolutions (plain, transposed, lazy) against PyTorch: shapes, errors and their codes."""

from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from shapelint.core.codes import CHECKERBOARD, CROPS_INPUT
from shapelint.core.layers import LAYERS
from support.layer_oracle import (
    SHP102, SHP103, SHP104, SHP105, Case, examples, rarely, batch_untouched, check_case, core_run, per_dim, ranks,
    spatial_input,
)

small = st.integers(1, 3)
non_positive = st.integers(-1, 0)


@st.composite
def conv_cases(draw, transposed: bool, lazy: bool, with_output_size: bool = False):
    n = draw(st.integers(1, 3), label="n")
    name = ("Lazy" if lazy else "") + ("ConvTranspose" if transposed else "Conv") + f"{n}d"
    groups = draw(rarely(st.sampled_from([1, 1, 2, 3]), non_positive), label="groups")
    g = max(groups, 1)
    channel_counts = rarely(st.integers(1, 3).map(lambda m: m * g), st.integers(0, 8), odds=6)
    in_ch = draw(channel_counts, label="in")
    out_ch = draw(channel_counts, label="out")
    kwargs = {
        "kernel_size": draw(per_dim(n, st.integers(1, 4), non_positive), label="kernel_size"),
        "stride": draw(per_dim(n, small, non_positive), label="stride"),
        "dilation": draw(per_dim(n, rarely(st.just(1), small, odds=3), non_positive), label="dilation"),
        "groups": groups,
        "bias": draw(st.booleans()),
    }
    good_padding = per_dim(n, st.integers(0, 3), st.just(-1))
    if not transposed:
        padding = rarely(good_padding, st.sampled_from(["same", "valid", "bogus"]), odds=4)
        modes = st.sampled_from(["zeros", "zeros", "reflect", "replicate", "circular"])
    else:
        padding = rarely(good_padding, st.just("same"))
        kwargs["output_padding"] = draw(
            rarely(st.just(0), per_dim(n, st.integers(0, 2), st.just(-1)), odds=3), label="output_padding"
        )
        modes = rarely(st.just("zeros"), st.sampled_from(["reflect", "replicate", "circular"]))
    kwargs["padding"] = draw(padding, label="padding")
    kwargs["padding_mode"] = draw(rarely(modes, st.just("bogus")), label="padding_mode")
    args = (out_ch,) if lazy else (in_ch, out_ch)
    # Mostly feed the channels the layer wants (a multiple of groups for lazy layers).
    wanted = (max(in_ch, 1) if not lazy else g * draw(st.integers(1, 2)))
    channels = draw(rarely(st.just(wanted), st.integers(1, 8), odds=6), label="channels")
    spatial = draw(st.tuples(*[st.integers(1, 9)] * n), label="spatial")
    knobs = {"rank": draw(ranks(n), label="rank"), "channels": channels, "spatial": spatial}
    good = {"rank": n + 2, "channels": wanted, "spatial": (32,) * n}
    # A lazy layer takes any channel count; the contract files "groups not dividing the
    # channels" under SHP103.
    codes = {"rank": SHP104, "channels": SHP103 if lazy else SHP102, "spatial": SHP105}
    if with_output_size:
        # A request near the natural output size: in range, or just outside.
        knobs["output_size"] = draw(
            st.one_of(
                st.tuples(*[st.integers(-1, 30)] * n),
                st.tuples(*[st.integers(-1, 30)] * (n + 2)),
                st.lists(st.integers(1, 30), min_size=1, max_size=n + 3).map(tuple),
            ),
            label="output_size",
        )
        good["output_size"] = None
        codes["output_size"] = SHP103
    # With padding_mode other than zeros, a padding tuple of another length than n goes to
    # F.pad, which accepts only some input ranks: then no one input is right for every rank,
    # and the core, not knowing the rank, must not fail without an input.
    padding = kwargs["padding"]
    odd_padding = isinstance(padding, tuple) and len(padding) != n and kwargs["padding_mode"] != "zeros"
    return Case(
        name, args, kwargs, knobs, good, codes, spatial_input(n), untouched=batch_untouched(n),
        strict_none=not odd_padding,
    )


@settings(max_examples=examples(250), deadline=None)
@given(conv_cases(transposed=False, lazy=False), st.data())
def test_conv(case, data):
    check_case(case, data)


@settings(max_examples=examples(250), deadline=None)
@given(conv_cases(transposed=True, lazy=False), st.data())
def test_conv_transpose(case, data):
    check_case(case, data)


@settings(max_examples=examples(100), deadline=None)
@given(st.booleans().flatmap(lambda t: conv_cases(transposed=t, lazy=True)), st.data())
def test_lazy_conv(case, data):
    check_case(case, data)


@settings(max_examples=examples(200), deadline=None)
@given(conv_cases(transposed=True, lazy=False, with_output_size=True), st.data())
def test_conv_transpose_output_size(case, data):
    check_case(case, data)


@st.composite
def output_size_near_range(draw):
    """ConvTranspose with a valid configuration and output_size at the edges of the reachable range."""
    n = draw(st.integers(1, 3))
    k = draw(st.integers(1, 4))
    s = draw(st.integers(1, 3))
    d = draw(st.integers(1, 2))
    p = draw(st.integers(0, 2))
    size = draw(st.integers(2, 6))
    natural = (size - 1) * s - 2 * p + d * (k - 1) + 1
    want = natural + draw(st.integers(-2, s + 1))
    return n, k, s, d, p, size, want


@settings(max_examples=examples(150), deadline=None)
@given(output_size_near_range())
def test_conv_transpose_output_size_edges(params):
    """Exactly the sizes torch reaches with output_size are accepted, the others are SHP103."""
    n, k, s, d, p, size, want = params
    case = Case(
        f"ConvTranspose{n}d", (2, 3, k), {"stride": s, "dilation": d, "padding": p},
        knobs={"rank": n + 2, "channels": 2, "spatial": (size,) * n, "output_size": (want,) * n},
        good={"rank": n + 2, "channels": 2, "spatial": (32,) * n, "output_size": None},
        codes={"rank": SHP104, "channels": SHP102, "spatial": SHP105, "output_size": SHP103},
        build=spatial_input(n),
    )
    check_case(case)


def test_symbolic_batch_passes_through_conv2d():
    # The batch passes through; a "same" 3x3 convolution keeps the spatial name h exactly.
    got = core_run("Conv2d", (3, 8, 3), {"padding": 1}, ("b", 3, "h", 16))
    assert got == (True, ("b", 8, "h", 16))
    for h in (1, 2, 7):
        assert torch.nn.Conv2d(3, 8, 3, padding=1)(torch.zeros(1, 3, h, 16)).shape[2] == h


# --------------------------------------------------------------------------- SHP201 / SHP202


def _taps(k: int, s: int, d: int) -> torch.Tensor:
    """How many kernel taps land on each output of a 1-D transposed convolution (torch counts)."""
    layer = torch.nn.ConvTranspose1d(1, 1, k, stride=s, dilation=d, bias=False)
    with torch.no_grad():
        layer.weight.fill_(1.0)
        return layer(torch.ones(1, 1, 3 * k + 8))[0, 0]


def _lost_inputs(k: int, s: int, p: int, d: int) -> bool:
    """Whether some input of a transposed convolution reaches no output (torch's gradient says)."""
    layer = torch.nn.ConvTranspose1d(1, 1, k, stride=s, padding=p, dilation=d, bias=False)
    with torch.no_grad():
        layer.weight.fill_(1.0)
    x = torch.ones(1, 1, 12, requires_grad=True)
    layer(x).sum().backward()
    return bool((x.grad == 0).any())


@settings(max_examples=examples(150), deadline=None)
@given(st.integers(1, 3), st.integers(1, 6), st.integers(1, 4), st.integers(0, 4), st.integers(1, 3))
def test_conv_transpose_warnings(n, k, s, p, d):
    spec = LAYERS[f"ConvTranspose{n}d"]
    params = spec.bind((2, 2, k), {"stride": s, "padding": p, "dilation": d})
    codes = {w.code for w in spec.warnings(params)}
    interior = _taps(k, s, d)[d * (k - 1) + 1 : -(d * (k - 1) + 1)]
    uneven = bool((interior != interior[0]).any())
    # Uneven tap counts need k % s != 0 or a dilation; the lint is the contract's "kernel not a
    # multiple of stride", so it fires exactly on k % s and only where torch shows uneven taps.
    assert (CHECKERBOARD in codes) == (k % s != 0)
    if CHECKERBOARD in codes:
        assert uneven
    if d == 1:
        assert (CHECKERBOARD in codes) == uneven
    assert (CROPS_INPUT in codes) == _lost_inputs(k, s, p, d)


def test_conv_transpose_warnings_per_dim_and_clean():
    spec = LAYERS["ConvTranspose2d"]
    assert spec.warnings(spec.bind((2, 2, (4, 3)), {"stride": 2, "padding": 1})) != []
    assert spec.warnings(spec.bind((2, 2, 4), {"stride": 2, "padding": 1})) == []
