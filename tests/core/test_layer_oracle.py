"""Tests of the torch oracle of the layer-rule tests (tests/support/layer_oracle.py) itself."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from support.layer_oracle import (
    SHP102, SHP103, SHP104, SHP105, Case, _symbols, spatial_input, torch_run,
)


def test_torch_run_reports_failures_and_shapes():
    assert torch_run("Conv2d", (3, 4, 3), {}, (1, 3, 8, 8)) == (True, (1, 4, 6, 6))
    ok, exc = torch_run("Conv2d", (3, 4, 3), {}, (1, 5, 8, 8))
    assert not ok and isinstance(exc, RuntimeError)


def test_causes_finds_the_faulty_knob():
    build = spatial_input(2)
    case = Case(
        "Conv2d", (3, 4, 3), {},
        knobs={"rank": 4, "channels": 5, "spatial": (8, 8)},
        good={"rank": 4, "channels": 3, "spatial": (30, 30)},
        codes={"rank": SHP104, "channels": SHP102, "spatial": SHP105},
        build=build,
    )
    assert case.causes() == {SHP102}
    case.knobs = {"rank": 4, "channels": 3, "spatial": (2, 8)}
    assert case.causes() == {SHP105}
    case.knobs = {"rank": 6, "channels": 3, "spatial": (8, 8)}
    assert case.causes() == {SHP104}


def test_causes_include_a_fault_that_fails_only_in_combination():
    # The channels fail alone; output_size=30 fails only with size 3 (size 32 reaches it): with
    # the channels repaired the call still fails, and both of the others are causes of that.
    case = Case(
        "ConvTranspose1d", (2, 1, 1), {"padding": 1},
        knobs={"rank": 3, "channels": 1, "spatial": (3,), "output_size": (30,)},
        good={"rank": 3, "channels": 2, "spatial": (32,), "output_size": None},
        codes={"rank": SHP104, "channels": SHP102, "spatial": SHP105, "output_size": SHP103},
        build=spatial_input(1),
    )
    assert case.causes() == {SHP102, SHP103, SHP105}
    case.knobs = dict(case.knobs, spatial=(32,))  # now the channels are the only fault
    assert case.causes() == {SHP102}


@settings(max_examples=20, deadline=None)
@given(st.data())
def test_symbol_drawing_keeps_values(data):
    shape = tuple(data.draw(st.lists(st.integers(1, 5), max_size=5)))
    partial, values = _symbols(shape, data)
    assert len(partial) == len(shape)
    for i, dim in enumerate(partial):
        if isinstance(dim, str):
            assert values[dim] == shape[i]
        elif dim is not None:
            assert dim == shape[i]
