"""Padding layers (Zero/Constant/Reflection/Replication/Circular, 1-3 d) against PyTorch."""

from __future__ import annotations

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from support.layer_oracle import (
    SHP103, SHP104, SHP105, Case, check_case, examples, ranks, rarely, spatial_input,
)

PREFIXES = ["Zero", "Constant", "Reflection", "Replication", "Circular"]


@st.composite
def pad_cases(draw):
    n = draw(st.integers(1, 3), label="n")
    prefix = draw(st.sampled_from(PREFIXES), label="prefix")
    item = rarely(st.integers(0, 3), st.integers(-3, -1), odds=5)
    padding = draw(
        rarely(
            st.one_of(item, st.tuples(*[item] * (2 * n))),
            st.lists(item, min_size=0, max_size=2 * n + 2).map(tuple),
        ),
        label="padding",
    )
    if prefix == "Circular":
        # Torch's circular kernel fills the wrap from the output being written: with a crop on
        # one side and a pad on the other it raises an overlap error or reads uninitialised
        # memory depending on the memory layout (not on the shapes), so no shape rule can
        # match it there. Those mixed-sign pairs are left out (see the report).
        pairs = [padding[i:i + 2] for i in range(0, len(padding) - 1, 2)] if isinstance(padding, tuple) else []
        assume(not any(min(pair) < 0 < max(pair) for pair in pairs))
    args = (padding, 1.5) if prefix == "Constant" else (padding,)
    knobs = {
        "rank": draw(ranks(n), label="rank"),
        "channels": draw(st.integers(1, 3), label="channels"),
        "spatial": draw(st.tuples(*[st.integers(1, 5)] * n), label="spatial"),
    }
    good = {"rank": n + 2, "channels": knobs["channels"], "spatial": (12,) * n}
    # Channels are never wrong for padding; sizes too small to pad are SHP105.
    codes = {"rank": SHP104, "channels": SHP103, "spatial": SHP105}
    padded = len(padding) // 2 if isinstance(padding, tuple) else n

    def untouched(shape):
        return range(max(len(shape) - padded, 0))

    # A tuple of another length than 2n pads another number of dims: no one rank suits all.
    odd = isinstance(padding, tuple) and len(padding) != 2 * n
    return Case(f"{prefix}Pad{n}d", args, {}, knobs, good, codes, spatial_input(n), untouched=untouched,
                strict_none=not odd)


@settings(max_examples=examples(300), deadline=None)
@given(pad_cases(), st.data())
def test_padding_layers(case, data):
    check_case(case, data)
