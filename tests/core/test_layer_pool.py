"""Pooling layers (max, avg, LP, adaptive) against PyTorch."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from support.layer_oracle import (
    SHP103, SHP104, SHP105, Case, batch_untouched, check_case, examples, per_dim, ranks, rarely,
    spatial_input,
)

non_positive = st.integers(-1, 0)


def _case(name: str, n: int, kwargs: dict, draw) -> Case:
    knobs = {
        "rank": draw(ranks(n), label="rank"),
        "channels": draw(st.integers(1, 3), label="channels"),
        "spatial": draw(st.tuples(*[st.integers(1, 9)] * n), label="spatial"),
    }
    good = {"rank": n + 2, "channels": knobs["channels"], "spatial": (32,) * n}
    # Pools take any channel count: only the rank and the spatial sizes can be wrong.
    codes = {"rank": SHP104, "channels": SHP103, "spatial": SHP105}
    return Case(name, (), kwargs, knobs, good, codes, spatial_input(n), untouched=batch_untouched(n))


@st.composite
def pool_cases(draw):
    n = draw(st.integers(1, 3), label="n")
    kind = draw(st.sampled_from(["Max", "Avg", "LP"]), label="kind")
    if kind == "LP" and n == 3 and not hasattr(__import__("torch").nn, "LPPool3d"):
        kind = "Max"
    kwargs = {
        "kernel_size": draw(per_dim(n, st.integers(1, 4), non_positive), label="kernel_size"),
        "stride": draw(st.one_of(st.none(), per_dim(n, st.integers(1, 3), non_positive)), label="stride"),
        "ceil_mode": draw(st.booleans(), label="ceil_mode"),
    }
    if kind != "LP":
        kwargs["padding"] = draw(
            rarely(st.just(0), per_dim(n, st.integers(0, 2), st.just(-1)), odds=3), label="padding"
        )
    if kind == "Max":
        kwargs["dilation"] = draw(
            per_dim(n, rarely(st.just(1), st.integers(1, 3), odds=3), non_positive), label="dilation"
        )
        kwargs["return_indices"] = draw(st.booleans())
    if kind == "Avg":
        kwargs["count_include_pad"] = draw(st.booleans())
        if n > 1:
            kwargs["divisor_override"] = draw(
                rarely(st.none(), st.integers(-1, 3), odds=4), label="divisor_override"
            )
    args = ()
    if kind == "LP":
        args = (draw(st.sampled_from([1, 2, 3.0, 0.5]), label="norm_type"),)
    case = _case(f"{kind}Pool{n}d", n, kwargs, draw)
    case.args = args
    return case


@settings(max_examples=examples(300), deadline=None)
@given(pool_cases(), st.data())
def test_pool(case, data):
    check_case(case, data)


@st.composite
def adaptive_cases(draw):
    n = draw(st.integers(1, 3), label="n")
    kind = draw(st.sampled_from(["Max", "Avg"]), label="kind")
    item = rarely(st.one_of(st.integers(1, 5), st.none()), st.integers(-1, 0))
    size = draw(rarely(st.one_of(item, st.tuples(*[item] * n)),
                       st.lists(item, min_size=0, max_size=n + 1).map(tuple)), label="output_size")
    kwargs = {"output_size": size}
    if kind == "Max":
        kwargs["return_indices"] = draw(st.booleans())
    return _case(f"Adaptive{kind}Pool{n}d", n, kwargs, draw)


@settings(max_examples=examples(200), deadline=None)
@given(adaptive_cases(), st.data())
def test_adaptive_pool(case, data):
    check_case(case, data)


def test_max_pool_padding_limit_against_kernel_and_dilation():
    """Settle max_pool1d vs max_pool2d/3d: is padding checked against the kernel or its dilated
    span? Every small combination, with and without indices (max_pool1d has its own kernel
    when no indices are asked for), is compared with torch."""
    from itertools import product

    for n, k, d, pad, indices in product((1, 2, 3), (1, 2, 3, 4), (1, 2, 3), (0, 1, 2, 3), (False, True)):
        case = _fixed_case(f"MaxPool{n}d", n, {"kernel_size": k, "dilation": d, "padding": pad,
                                               "return_indices": indices}, size=12)
        check_case(case)


def test_avg_pool_padding_limit_and_ceil_mode():
    from itertools import product

    for n, k, s, pad, ceil, size in product((1, 2, 3), (1, 2, 3), (1, 2, 3), (0, 1, 2), (False, True), (1, 2, 5)):
        case = _fixed_case(f"AvgPool{n}d", n, {"kernel_size": k, "stride": s, "padding": pad,
                                               "ceil_mode": ceil}, size=size)
        check_case(case)


def _fixed_case(name: str, n: int, kwargs: dict, size: int) -> Case:
    knobs = {"rank": n + 2, "channels": 1, "spatial": (size,) * n}
    good = {"rank": n + 2, "channels": 1, "spatial": (32,) * n}
    return Case(name, (), kwargs, knobs, good, {"rank": SHP104, "channels": SHP103, "spatial": SHP105},
                spatial_input(n), untouched=batch_untouched(n))
