"""The solver's ranking, reasons, recommendation, alternatives and JSON, checked against torch."""

from __future__ import annotations

import json
import warnings

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from shapelint.core import formulas
from shapelint.core.solver import SUPPORTED_LAYERS, Bounds, SolverError, solve


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """Thousands of tiny ops: intra-op threads only add overhead (16x slower on a busy machine)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


TRANSPOSED = ("ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d")


def run(module, channels, sizes):
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return tuple(module(torch.zeros(1, channels, *sizes)).shape)


def build_code(code: str):
    return eval(code, {"nn": torch.nn})  # noqa: S307 - the solver's own output


def tier(layer, solution):
    return (
        not solution.lossless,
        layer.startswith("ConvTranspose") and not solution.checkerboard_free,
    )


# --------------------------------------------------------------------------- the founding question


def founding():
    return solve(
        "ConvTranspose3d",
        (16, 160, 160),
        (16, 224, 224),
        fixed={"stride": (1, 2, 2)},
        in_channels=256,
        out_channels=256,
    )


def test_founding_question_has_no_lossless_transposed_conv_for_160_to_224():
    result = founding()
    assert result.recommended is None
    depth, height, width = result.dims
    assert depth.solutions and depth.solutions[0].lossless and depth.reason is None
    for dim in (height, width):
        assert dim.solutions, "cropping solutions exist and must be listed"
        assert not any(s.lossless for s in dim.solutions)
        assert all(s.stride == 2 for s in dim.solutions)
        assert all(any(w.startswith("crops input") for w in s.warnings) for s in dim.solutions)


def test_founding_question_reason_has_the_numbers_torch_gives():
    reason = founding().dims[1].reason
    x = torch.zeros(1, 1, 160)
    # Stride 2 without padding: the least output of any kernel is that of kernel 1.
    at_least_unpadded = min(
        F.conv_transpose1d(x, torch.zeros(1, 1, k), stride=2, dilation=d).shape[-1]
        for k in range(1, 17)
        for d in range(1, 4)
    )
    # With the most padding that crops nothing (dilation*(kernel_size-1)), no holes allowed.
    at_least_padded = min(
        F.conv_transpose1d(
            x, torch.zeros(1, 1, k), stride=2, padding=d * (k - 1), dilation=d
        ).shape[-1]
        for k in range(1, 17)
        for d in range(1, 4)
        if 2 <= d * (k - 1) + 1
    )
    assert (at_least_unpadded, at_least_padded) == (319, 274)
    assert f"stride 2 maps 160 to at least {at_least_unpadded}" in reason
    assert f"at least {at_least_padded} with the most padding the kernel covers" in reason
    assert "224 needs a factor of 1.4, not an integer" in reason


def test_founding_question_alternative_builds_in_torch_to_the_wanted_shape():
    result = founding()
    assert result.alternatives
    upsample = result.alternatives[0]
    assert "nn.Upsample(size=(16, 224, 224), mode='trilinear')" in upsample.code
    assert "padding='same'" in upsample.code and upsample.note
    module = build_code(upsample.code.replace("256, 256", "2, 3"))
    assert run(module, 2, (16, 160, 160)) == (1, 3, 16, 224, 224)


def test_convtranspose2d_32_to_64_recommendation_is_lossless_and_checkerboard_free_in_torch():
    result = solve("ConvTranspose2d", (32, 32), (64, 64), in_channels=8, out_channels=4)
    rec = result.recommended
    assert rec is not None
    for k, s, p, op, d in zip(
        rec["kernel_size"], rec["stride"], rec["padding"], rec["output_padding"], rec["dilation"]
    ):
        assert formulas.is_lossless(k, s, p, d) and formulas.is_checkerboard_free(k, s, d)
        assert op == 0 and d == 1
    assert run(build_code(rec["code"]), 8, (32, 32)) == (1, 4, 64, 64)
    # Smallest kernel among lossless, checkerboard-free, op=0, d=1: nothing smaller works in torch.
    k = rec["kernel_size"][0]
    x = torch.zeros(1, 1, 32)
    for smaller in range(1, k):
        for s in range(1, 9):
            for p in range(0, smaller):
                if formulas.is_lossless(smaller, s, p, 1) and formulas.is_checkerboard_free(
                    smaller, s, 1
                ):
                    assert (
                        F.conv_transpose1d(
                            x, torch.zeros(1, 1, smaller), stride=s, padding=p
                        ).shape[-1]
                        != 64
                    )
    # The classic kernel 4 / stride 2 / padding 1 is there too, right behind.
    keys = [(s.kernel_size, s.stride, s.padding) for s in result.dims[0].solutions]
    assert (4, 2, 1) in keys[:3]


# --------------------------------------------------------------------------- ranking


@st.composite
def queries(draw):
    layer = draw(st.sampled_from([name for name in SUPPORTED_LAYERS if name.endswith("1d")]))
    size_in = draw(st.integers(1, 40))
    size_out = draw(st.integers(1, 80))
    return layer, size_in, size_out


@settings(max_examples=200, deadline=None)
@given(queries())
def test_ranking_follows_the_contract(query):
    layer, size_in, size_out = query
    result = solve(layer, (size_in,), (size_out,), bounds=Bounds(6, 4, 2))
    solutions = result.dims[0].solutions
    tiers = [tier(layer, s) for s in solutions]
    assert tiers == sorted(tiers), "lossless first, then (transposed) checkerboard-free"
    # (4) within a tier: output_padding 0, dilation 1, smaller kernel, smaller stride.
    fourth = [
        tier(layer, s) + ((s.output_padding or 0) != 0, s.dilation != 1, s.kernel_size, s.stride)
        for s in solutions
    ]
    assert fourth == sorted(fourth)
    # The reason is given exactly when no lossless solution exists.
    assert (result.dims[0].reason is None) == any(s.lossless for s in solutions)
    assert (result.recommended is None) == (not any(s.lossless for s in solutions))
    assert bool(result.alternatives) == (result.recommended is None)


def test_checkerboard_ranks_transposed_convolutions_only():
    # Conv1d 10 -> 4: kernel 3 stride 2 (3 % 2 != 0) is lossless and ranks before
    # kernel 3 stride 3, because the checkerboard criterion is for transposed convolutions.
    conv = [(s.kernel_size, s.stride) for s in solve("Conv1d", (10,), (4,)).dims[0].solutions]
    assert conv.index((3, 2)) < conv.index((3, 3))
    # ConvTranspose1d 10 -> 20: kernel 3 stride 2 (checkerboard) ranks after every
    # checkerboard-free lossless solution, though its kernel is smaller than kernel 4 stride 2.
    up = solve("ConvTranspose1d", (10,), (20,)).dims[0].solutions
    keys = [(s.kernel_size, s.stride) for s in up]
    assert (3, 2) in keys and keys.index((4, 2)) < keys.index((3, 2))
    assert tier("ConvTranspose1d", up[keys.index((4, 2))]) == (False, False)
    assert tier("ConvTranspose1d", up[keys.index((3, 2))]) == (False, True)


def test_fewest_changes_relative_to_the_code_as_written():
    # As written: kernel 4, stride 2, padding 1, output_padding 1 gives 65; 64 is wanted.
    current = {"kernel_size": 4, "stride": 2, "padding": 1, "output_padding": 1}
    best = solve("ConvTranspose1d", (32,), (64,), current=current).dims[0].solutions[0]
    assert (best.kernel_size, best.stride, best.padding, best.output_padding) == (4, 2, 1, 0)
    # Without ``current`` the smallest kernel wins instead.
    plain = solve("ConvTranspose1d", (32,), (64,)).dims[0].solutions[0]
    assert (plain.kernel_size, plain.stride, plain.padding) == (2, 2, 0)
    x = torch.zeros(1, 1, 32)
    assert (
        F.conv_transpose1d(x, torch.zeros(1, 1, 4), stride=2, padding=1, output_padding=1).shape[-1]
        == 65
    )


def test_changes_rank_below_lossless_and_checkerboard_free():
    # As written: kernel 3, stride 2, padding 1 gives 63. Adding output_padding=1 is one change
    # but leaves a checkerboard kernel; kernel 4 is also one change and checkerboard-free.
    current = {"kernel_size": 3, "stride": 2, "padding": 1}
    result = solve("ConvTranspose2d", (32, 32), (64, 64), current=current)
    best = result.dims[0].solutions[0]
    assert (best.kernel_size, best.stride, best.padding, best.output_padding) == (4, 2, 1, 0)
    assert (
        result.recommended["code"]
        == "nn.ConvTranspose2d(C_in, C_out, kernel_size=4, stride=2, padding=1)"
    )


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(["ConvTranspose1d", "Conv1d", "MaxPool1d"]),
    st.integers(2, 30),
    st.integers(1, 60),
    st.integers(1, 6),
    st.integers(1, 4),
    st.integers(0, 3),
)
def test_changes_are_the_third_criterion(layer, size_in, size_out, k, s, p):
    current = {"kernel_size": k, "stride": s, "padding": p}
    solutions = (
        solve(layer, (size_in,), (size_out,), bounds=Bounds(6, 4, 2), current=current)
        .dims[0]
        .solutions
    )

    def changes(sol):
        written = dict(current, dilation=1)
        if layer.startswith("ConvTranspose"):
            written["output_padding"] = 0
        return sum(getattr(sol, name) != value for name, value in written.items())

    keys = [tier(layer, sol) + (changes(sol),) for sol in solutions]
    assert keys == sorted(keys)


def test_combined_recommendation_changes_fewest_parameter_names():
    # Dims differ: 32->64 and 16->32. As written kernel 4 stride 2 padding 1 output_padding 1
    # everywhere; dropping output_padding alone fixes both dims.
    current = {"kernel_size": 4, "stride": 2, "padding": 1, "output_padding": 1}
    rec = solve("ConvTranspose2d", (32, 16), (64, 32), current=current).recommended
    assert rec["code"] == "nn.ConvTranspose2d(C_in, C_out, kernel_size=4, stride=2, padding=1)"


def test_pool_current_stride_defaults_to_kernel():
    # MaxPool1d(kernel_size=2) as written has stride 2: 64 -> 32 keeps everything unchanged.
    best = solve("MaxPool1d", (64,), (32,), current={"kernel_size": 2}).dims[0].solutions[0]
    assert (best.kernel_size, best.stride, best.padding) == (2, 2, 0)


# --------------------------------------------------------------------------- unreachable


def test_pool_cannot_upsample_and_says_so():
    result = solve("MaxPool2d", (10, 10), (30, 30))
    assert not result.exact and result.recommended is None
    reason = result.dims[0].reason
    most = max(F.max_pool1d(torch.zeros(1, 1, 10), k, 1, k // 2).shape[-1] for k in range(1, 17))
    assert f"to at most {most}" in reason and "only grows a size by its padding" in reason
    assert reason.startswith("no parameter set within the bounds gives exactly 30")
    module = build_code(result.alternatives[0].code)
    assert run(module, 3, (10, 10)) == (1, 3, 30, 30)


def test_non_integer_downsampling_suggests_adaptive_pooling_that_works():
    # 64 -> 24 with stride pinned to 2 and no dilation: a kernel of at most 16 cannot shrink 64
    # below 25 at stride 2 (24 would need a span of 17 or more).
    undilated = Bounds(16, 8, 1)
    result = solve(
        "Conv2d",
        (64, 64),
        (24, 24),
        fixed={"stride": 2},
        bounds=undilated,
        in_channels=3,
        out_channels=5,
    )
    assert result.recommended is None
    assert "reduction by a factor of 2.667, not an integer" in result.dims[0].reason
    codes = [a.code for a in result.alternatives]
    assert any("nn.AdaptiveAvgPool2d((24, 24))" in c for c in codes)
    for code in codes:
        assert run(build_code(code), 3, (64, 64)) == (1, 5, 24, 24)
    for layer, adaptive in (("MaxPool2d", "AdaptiveMaxPool2d"), ("AvgPool2d", "AdaptiveAvgPool2d")):
        result = solve(layer, (64, 64), (24, 24), fixed={"stride": 2}, bounds=undilated)
        codes = [a.code for a in result.alternatives]
        assert f"nn.{adaptive}((24, 24))" in codes
        for code in codes:
            assert run(build_code(code), 3, (64, 64)) == (1, 3, 24, 24)


def test_integer_factor_outside_the_allowed_strides_is_named():
    reason = solve("ConvTranspose1d", (10,), (100,), fixed={"stride": 2}).dims[0].reason
    assert "needs a factor of 10, and the stride is pinned to 2" in reason
    reason = solve("ConvTranspose1d", (10,), (100,), bounds=Bounds(16, 4, 3)).dims[0].reason
    assert "the largest stride allowed is 4" in reason


def test_reason_reports_torch_ranges_when_stride_is_free():
    reason = solve("ConvTranspose1d", (160,), (224,)).dims[0].reason
    # The largest lossless stride-1 output in torch, and the least lossless stride-2 output.
    x = torch.zeros(1, 1, 160)
    most = max(
        F.conv_transpose1d(x, torch.zeros(1, 1, k), stride=1, output_padding=op, dilation=d).shape[
            -1
        ]
        for k in range(1, 17)
        for d in range(1, 4)
        for op in range(max(1, d))
    )
    least = min(
        F.conv_transpose1d(
            x, torch.zeros(1, 1, k), stride=2, padding=d * (k - 1), dilation=d
        ).shape[-1]
        for k in range(1, 17)
        for d in range(1, 4)
        if d * (k - 1) + 1 >= 2
    )
    assert f"stride 1 maps 160 to at most {most} and stride 2 to at least {least}" in reason


def test_avgpool3d_kernel_must_fit_the_input():
    # AvgPool3d rejects kernels longer than the input (padding aside), unlike AvgPool2d.
    with pytest.raises(RuntimeError):
        torch.nn.AvgPool3d(2, 2, 1)(torch.zeros(1, 1, 1, 1, 1))
    assert run(torch.nn.AvgPool2d(2, 2, 1), 1, (1, 1)) == (1, 1, 1, 1)
    three = solve("AvgPool3d", (1, 1, 1), (1, 1, 1), bounds=Bounds(2, 2, 1))
    two = solve("AvgPool2d", (1, 1), (1, 1), bounds=Bounds(2, 2, 1))
    assert all(s.kernel_size == 1 for s in three.dims[0].solutions)
    assert any(s.kernel_size == 2 for s in two.dims[0].solutions)


# --------------------------------------------------------------------------- code and JSON


def test_code_collapses_uniform_tuples_omits_defaults_and_uses_channels():
    rec = solve(
        "Conv3d",
        (16, 64, 64),
        (16, 32, 32),
        fixed={"stride": (1, 2, 2)},
        in_channels=4,
        out_channels=6,
    ).recommended
    assert rec["code"].startswith("nn.Conv3d(4, 6, kernel_size=")
    assert "stride=(1, 2, 2)" in rec["code"] and "dilation" not in rec["code"]
    assert run(build_code(rec["code"]), 4, (16, 64, 64)) == (1, 6, 16, 32, 32)
    pool = solve("AvgPool2d", (64, 64), (32, 32)).recommended
    assert pool["code"] == "nn.AvgPool2d(kernel_size=2)"  # stride defaults to the kernel
    assert pool["dilation"] == [1, 1]
    strided = solve("MaxPool1d", (64,), (63,)).recommended
    assert "stride=1" in strided["code"]  # not the default for a pool
    assert run(build_code(strided["code"]), 1, (64,)) == (1, 1, 63)


def test_json_matches_the_contract_schema():
    for layer, size_in, size_out in (
        ("ConvTranspose2d", (32, 32), (64, 64)),
        ("Conv2d", (32, 32), (16, 16)),
        ("MaxPool1d", (10,), (30,)),
        ("AvgPool3d", (8, 8, 8), (4, 4, 4)),
    ):
        data = json.loads(
            json.dumps(solve(layer, size_in, size_out, fixed={"stride": 2}).to_json())
        )
        assert set(data) == {
            "layer",
            "input",
            "output",
            "fixed",
            "bounds",
            "dims",
            "recommended",
            "alternatives",
        }
        assert data["fixed"] == {"stride": [2] * len(size_in)}
        assert data["bounds"] == {"max_kernel_size": 16, "max_stride": 8, "max_dilation": 3}
        assert len(data["dims"]) == len(size_in)
        keys = {"kernel_size", "stride", "padding", "dilation", "warnings"}
        if layer.startswith("ConvTranspose"):
            keys.add("output_padding")
        for dim in data["dims"]:
            assert set(dim) == {
                "input", "output", "count", "lossless_count", "solutions", "reason"
            }
            # Without a limit the listing is complete, and the counts say so.
            assert dim["count"] == len(dim["solutions"])
            assert dim["lossless_count"] == sum(
                formulas.is_lossless(s["kernel_size"], s["stride"], s["padding"], s["dilation"])
                for s in dim["solutions"]
            )
            for solution in dim["solutions"]:
                assert set(solution) == keys
        if data["recommended"] is not None:
            assert set(data["recommended"]) == (keys - {"warnings"}) | {"code"} | {"dilation"}
        for alternative in data["alternatives"]:
            assert set(alternative) == {"code", "note"}


# --------------------------------------------------------------------------- bad queries


@pytest.mark.parametrize(
    "args, kwargs",
    [
        (("Conv9d", (1,), (1,)), {}),
        (("Linear", (1,), (1,)), {}),
        (("Conv2d", (10, 10), (5,)), {}),
        (("Conv2d", (10, 0), (5, 5)), {}),
        (("Conv1d", (10,), (-1,)), {}),
        (("Conv1d", (10,), (5,)), {"fixed": {"stride": 0}}),
        (("Conv1d", (10,), (5,)), {"fixed": {"padding": -1}}),
        (("Conv2d", (10, 10), (5, 5)), {"fixed": {"stride": (1, 2, 3)}}),
        (("Conv1d", (10,), (5,)), {"fixed": {"output_padding": 1}}),
        (("AvgPool1d", (10,), (5,)), {"fixed": {"dilation": 2}}),
        (("Conv1d", (10,), (5,)), {"fixed": {"groups": 2}}),
        (("Conv1d", (10,), (5,)), {"bounds": Bounds(0, 8, 3)}),
        (("Conv1d", (10,), (5,)), {"in_channels": 0}),
    ],
)
def test_bad_queries_raise_solver_error(args, kwargs):
    with pytest.raises(SolverError):
        solve(*args, **kwargs)


def test_fixed_parameter_beyond_the_bounds_is_used():
    result = solve("ConvTranspose1d", (10,), (100,), fixed={"stride": 10, "kernel_size": 10})
    assert [(s.kernel_size, s.stride, s.padding) for s in result.dims[0].solutions][0] == (
        10,
        10,
        0,
    )
    assert (
        F.conv_transpose1d(torch.zeros(1, 1, 10), torch.zeros(1, 1, 10), stride=10).shape[-1] == 100
    )


@st.composite
def resize_queries(draw):
    layer = draw(st.sampled_from(SUPPORTED_LAYERS))
    n = int(layer[-2])
    top = 40 if n < 3 else 12  # keep 3-d tensors small
    size_in = tuple(draw(st.integers(1, top)) for _ in range(n))
    size_out = tuple(draw(st.integers(1, top + top // 2)) for _ in range(n))
    return layer, size_in, size_out, draw(st.one_of(st.none(), st.integers(1, 3)))


@settings(max_examples=80, deadline=None)
@given(resize_queries())
def test_every_alternative_builds_in_torch_to_exactly_the_wanted_shape(query):
    layer, size_in, size_out, stride = query
    fixed = {} if stride is None else {"stride": stride}
    conv = layer.startswith("Conv")
    result = solve(
        layer,
        size_in,
        size_out,
        fixed=fixed,
        bounds=Bounds(5, 3, 2),
        in_channels=2 if conv else None,
        out_channels=3 if conv else None,
    )
    for alternative in result.alternatives:
        assert alternative.note
        assert (
            run(build_code(alternative.code), 2, size_in) == (1, 3 if conv else 2) + size_out
        ), alternative.code


def test_strided_layer_then_adaptive_pool_does_most_of_the_reduction():
    result = solve(
        "Conv2d",
        (100, 64),
        (30, 24),
        fixed={"stride": (3, 2)},
        bounds=Bounds(16, 8, 1),
        in_channels=2,
        out_channels=2,
    )
    assert result.recommended is None
    first = result.alternatives[0]
    assert (
        first.code.startswith("nn.Sequential(nn.Conv2d(2, 2, kernel_size=")
        and "AdaptiveAvgPool2d((30, 24))" in first.code
    )
    # Per dim, the least size >= the target that a lossless conv with that stride gives in torch.
    nearest = []
    for size, target, stride in ((100, 30, 3), (64, 24, 2)):
        x = torch.zeros(1, 1, size)
        nearest.append(
            min(
                out
                for k in range(1, 17)
                for p in range(k)
                if formulas.is_lossless(k, stride, p, 1)
                for out in [F.conv1d(x, torch.zeros(1, 1, k), stride=stride, padding=p).shape[-1]]
                if out >= target
            )
        )
    strided = build_code(first.code)[0]
    assert run(strided, 2, (100, 64))[2:] == tuple(nearest)
    assert run(build_code(first.code), 2, (100, 64)) == (1, 2, 30, 24)


def test_lazy_convolutions_are_solved_with_code_without_in_channels():
    result = solve("LazyConvTranspose2d", (32, 32), (64, 64), out_channels=4)
    assert result.recommended["code"].startswith("nn.LazyConvTranspose2d(4, kernel_size=")
    assert run(build_code(result.recommended["code"]), 3, (32, 32)) == (1, 4, 64, 64)
    resized = solve("LazyConv1d", (160,), (224,), out_channels=5)
    for alternative in resized.alternatives:
        assert "LazyConv1d(5," in alternative.code
        assert run(build_code(alternative.code), 3, (160,)) == (1, 5, 224)


def test_equally_small_edits_keep_the_kernel():
    """A 3x3 conv that lost its padding gets padding=1 back, not a 1x1 kernel (same edit count)."""
    written = {"kernel_size": 3, "stride": 1, "padding": 0, "dilation": 1}
    result = solve("Conv2d", (32, 32), (32, 32), current=written)
    assert result.recommended["kernel_size"] == [3, 3]
    assert result.recommended["padding"] == [1, 1]
    # With the kernel the only one-parameter edit left, the kernel does change.
    result = solve("Conv2d", (32, 32), (32, 32), fixed={"padding": 0}, current=written)
    assert result.recommended["kernel_size"] == [1, 1]
