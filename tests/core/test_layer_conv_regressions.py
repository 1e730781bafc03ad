"""Convolution cases that hypothesis found once (tests/core/test_layer_conv.py), run every time.

Each case is checked against PyTorch by the same oracle as the random tests: the output shape
where torch accepts the call, else a code among the causes torch shows (see
tests/support/layer_oracle.py); with the input known and unknown, then with every set of input
dims symbolic and every set of parameters UNKNOWN.
"""

from __future__ import annotations

import itertools
from typing import Any, Dict, List, Optional, Tuple

import pytest

from shapelint.core.codes import ShapeError
from shapelint.core.layers import LAYERS, UNKNOWN
from support.layer_oracle import (
    SHP102, SHP103, SHP104, SHP105, Case, check_case, check_partial_result, core_run, spatial_input,
)


def conv_case(
    layer: str, args: Tuple[Any, ...], kwargs: Dict[str, Any], channels: int,
    spatial: Tuple[int, ...], output_size: Optional[Tuple[int, ...]] = None, strict_none: bool = True,
) -> Case:
    """One call of a convolution on a batched input, with test_layer_conv.py's knobs and codes."""
    n = len(spatial)
    lazy = layer.startswith("Lazy")
    wanted = kwargs.get("groups", 1) if lazy else args[0]
    knobs: Dict[str, Any] = {"rank": n + 2, "channels": channels, "spatial": spatial}
    good: Dict[str, Any] = {"rank": n + 2, "channels": wanted, "spatial": (32,) * n}
    codes = {"rank": SHP104, "channels": SHP103 if lazy else SHP102, "spatial": SHP105}
    if output_size is not None:
        knobs["output_size"], good["output_size"], codes["output_size"] = output_size, None, SHP103
    return Case(layer, args, kwargs, knobs, good, codes, spatial_input(n), strict_none=strict_none)


CASES = {
    # The input is too small for the layer itself (its output would be -1), so no output_size
    # can be met: torch names the request, the input is the cause (size 32 reaches 30).
    "transpose-input-too-small-for-output-size": conv_case(
        "ConvTranspose1d", (1, 1), {"kernel_size": 1, "padding": 1, "bias": False}, 1, (1,), (30,)
    ),
    "transpose-input-too-small-output-size-29": conv_case(
        "ConvTranspose1d", (2, 3), {"kernel_size": 2, "padding": 2}, 2, (1,), (29,)
    ),
    "transpose-input-too-small-in-one-dim": conv_case(
        "ConvTranspose2d", (2, 3), {"kernel_size": 1, "padding": 1}, 2, (5, 1), (30, 30)
    ),
    # With its own output_padding the layer makes size 1 of this input: the request is the
    # fault, although torch's range for output_size (which ignores output_padding) is 0..0.
    "transpose-request-out-of-reach": conv_case(
        "ConvTranspose1d", (2, 3),
        {"kernel_size": 2, "padding": 2, "dilation": 3, "output_padding": 1}, 2, (1,), (29,),
    ),
    # A padding of n + 1 values in a non-zeros mode goes to F.pad, which pads the channels too.
    "padding-pads-channels": conv_case(
        "Conv2d", (2, 3, 3), {"padding": (1, 0, 0), "padding_mode": "replicate"}, 2, (5, 5),
    ),
    "padding-pads-channels-reflect": conv_case(
        "Conv2d", (2, 3, 1), {"padding": (1, 0, 0), "padding_mode": "reflect"}, 2, (3, 3),
    ),
    "padding-pads-channels-to-fit": conv_case(
        "Conv2d", (3, 3, 3), {"padding": (1, 0, 0), "padding_mode": "replicate"}, 1, (5, 5),
        strict_none=False,
    ),
    "padding-pads-channels-reflect-too-far": conv_case(
        "Conv1d", (3, 4, 2), {"padding": (1, 0), "padding_mode": "reflect"}, 1, (5,),
        strict_none=False,
    ),
    "padding-crops-channels": conv_case(
        "Conv1d", (5, 4, 2), {"padding": (-2, 0), "padding_mode": "replicate"}, 5, (3,),
        strict_none=False,
    ),
    "padding-crops-channels-to-fit": conv_case(
        "Conv1d", (1, 4, 2), {"padding": (-2, 0), "padding_mode": "circular"}, 5, (3,),
        strict_none=False,
    ),
    "lazy-padding-pads-channels": conv_case(
        "LazyConv2d", (3, 3), {"padding": (1, 0, 0), "padding_mode": "replicate"}, 2, (5, 5),
    ),
    # Two faults: the channels, and an output_size this input size cannot reach (size 32 can).
    "transpose-channels-and-output-size": conv_case(
        "ConvTranspose1d", (2, 1), {"kernel_size": 1, "padding": 1, "bias": False}, 1, (3,), (30,)
    ),
    "lazy-grouped-padding-pads-channels": conv_case(
        "LazyConv1d", (4, 2), {"padding": (1, 1), "padding_mode": "circular", "groups": 2}, 2, (5,),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_conv_regression(name):
    case = CASES[name]
    expected = check_case(case)  # the input known, and unknown
    causes = case.causes() if not expected[0] else set()
    shape, fkw = case.build(case.knobs)
    spec = LAYERS[case.layer]
    # Every way of making input dims symbolic, and of making parameters UNKNOWN.
    for hidden in subsets(range(len(shape))):
        partial = tuple(f"s{i}" if i in hidden else d for i, d in enumerate(shape))
        values = {f"s{i}": shape[i] for i in hidden}
        got = core_run(case.layer, case.args, case.kwargs, partial, fkw)
        check_partial_result(case, expected, causes, got, values, f"symbolic dims {hidden}")
    for hidden in subsets(sorted(case.kwargs)):
        kwargs = {k: (UNKNOWN if k in hidden else v) for k, v in case.kwargs.items()}
        try:
            got = True, spec.infer(spec.bind(case.args, kwargs), shape, fkw)
        except ShapeError as exc:
            got = False, exc
        check_partial_result(case, expected, causes, got, {}, f"UNKNOWN {hidden}", exact_code=False)


def subsets(items) -> List[Tuple[Any, ...]]:
    items = list(items)
    return [combo for r in range(1, len(items) + 1) for combo in itertools.combinations(items, r)]
