"""Resizing and reshaping layers against PyTorch: Upsample, PixelShuffle, Flatten, Unflatten."""

from __future__ import annotations

import math
from typing import Any, Mapping

from hypothesis import given, settings
from hypothesis import strategies as st

from support.layer_oracle import (
    SHP102, SHP103, SHP104, SHP105, Case, batch_untouched, check_case, core_run, examples,
    rarely, torch_run,
)

MODE_RANK = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}
MODES = ["nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact"]
SCALES = [0.5, 1.0, 1.5, 2, 2.5, 3, 1 / 3, 0.7, 1.01]


def _spatial_rank_input(knobs: Mapping[str, Any]):
    """Knob ``rank``: (N, C, *spatial) with spatial cut or extended (with 3s) to the rank."""
    rank, spatial = knobs["rank"], tuple(knobs["spatial"]) + (3,) * 5
    full = (1, knobs["channels"]) + spatial[: max(rank - 2, 0)]
    return full[:rank], {}


@st.composite
def upsample_cases(draw):
    name = draw(st.sampled_from(["Upsample", "Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"]))
    k = draw(st.integers(1, 3), label="dims")
    item_size = rarely(st.integers(1, 8), st.integers(-1, 0))
    item_scale = rarely(st.sampled_from(SCALES), st.sampled_from([0, -1.0, 0.1]))
    which = draw(rarely(st.sampled_from(["size", "scale"]), st.sampled_from(["both", "neither"]), odds=15))
    size = scale = None
    if which in ("size", "both"):
        size = draw(rarely(st.one_of(item_size, st.tuples(*[item_size] * k)),
                           st.lists(item_size, min_size=1, max_size=4).map(tuple)), label="size")
    if which in ("scale", "both"):
        scale = draw(rarely(st.one_of(item_scale, st.tuples(*[item_scale] * k)),
                            st.lists(item_scale, min_size=1, max_size=4).map(tuple)), label="scale")
    kwargs = {"size": size, "scale_factor": scale}
    mode = "nearest" if name == "UpsamplingNearest2d" else "bilinear"
    if name == "Upsample":
        mode = draw(rarely(st.sampled_from(MODES), st.just("bogus")), label="mode")
        kwargs["mode"] = mode
        kwargs["align_corners"] = draw(rarely(st.none(), st.booleans(), odds=3), label="align_corners")
        kwargs["recompute_scale_factor"] = draw(rarely(st.none(), st.booleans(), odds=4))
    dims = len(size) if isinstance(size, tuple) else len(scale) if isinstance(scale, tuple) else k
    good_rank = MODE_RANK.get(mode, dims + 2)
    knobs = {
        "rank": draw(rarely(st.just(good_rank), st.integers(0, 6), odds=5), label="rank"),
        "channels": draw(st.integers(1, 3)),
        "spatial": draw(st.tuples(*[st.integers(1, 6)] * 3), label="spatial"),
    }
    good = {"rank": good_rank, "channels": knobs["channels"], "spatial": (20, 20, 20)}
    codes = {"rank": SHP104, "channels": SHP102, "spatial": SHP105}
    return Case(name, (), kwargs, knobs, good, codes, _spatial_rank_input, untouched=batch_untouched(0))


@settings(max_examples=examples(250), deadline=None)
@given(upsample_cases(), st.data())
def test_upsample(case, data):
    # interpolate keeps (N, C): both pass through untouched.
    case.untouched = lambda shape: range(min(len(shape), 2))
    check_case(case, data)


@st.composite
def pixel_shuffle_cases(draw):
    up = draw(st.booleans(), label="upscale")
    r = draw(rarely(st.integers(1, 3), st.integers(-1, 0)), label="factor")
    good_r = max(r, 1)
    rank = draw(rarely(st.sampled_from([3, 4, 5]), st.integers(0, 6), odds=6), label="rank")
    if up:
        c = draw(rarely(st.integers(1, 2).map(lambda m: m * good_r * good_r), st.integers(1, 9)), label="c")
        spatial = draw(st.tuples(st.integers(1, 4), st.integers(1, 4)))
        good = {"c": good_r * good_r, "hw": (2, 2)}
    else:
        c = draw(st.integers(1, 3))
        spatial = draw(rarely(st.tuples(*[st.integers(1, 2).map(lambda m: m * good_r)] * 2),
                              st.tuples(st.integers(1, 6), st.integers(1, 6))), label="hw")
        good = {"c": c, "hw": (2 * good_r, 2 * good_r)}

    def build(knobs):
        shape = (2, 2, knobs["c"]) + tuple(knobs["hw"])
        return shape[len(shape) - knobs["rank"]:] if knobs["rank"] <= 5 else (1,) * (knobs["rank"] - 5) + shape, {}

    knobs = {"rank": rank, "c": c, "hw": spatial}
    good["rank"] = 4
    # Channels not divisible by r**2 are a channel mismatch; spatial sizes not divisible by r a
    # parameter PyTorch rejects for that input (the factor, not a size becoming zero).
    codes = {"rank": SHP104, "c": SHP102, "hw": SHP103}
    return Case("PixelShuffle" if up else "PixelUnshuffle", (r,), {}, knobs, good, codes, build,
                untouched=lambda shape: range(max(len(shape) - 3, 0)))


@settings(max_examples=examples(200), deadline=None)
@given(pixel_shuffle_cases(), st.data())
def test_pixel_shuffle(case, data):
    check_case(case, data)


def _dim_index(dim: int, rank: int):
    index = dim + rank if dim < 0 else dim
    return index if 0 <= index < rank else None


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(st.integers(1, 4), max_size=5).map(tuple), rarely(st.integers(-3, 2), st.integers(-6, 5)),
       rarely(st.integers(-3, 2), st.integers(-6, 5)), st.data())
def test_flatten(shape, start, end, data):
    # The cause of a failure, by reasoning: a dim outside the input's (at least 1-d) range is
    # a wrong rank; start after end, in range, a parameter error.
    rank = max(len(shape), 1)
    bad_index = _dim_index(start, rank) is None or _dim_index(end, rank) is None
    case = Case("Flatten", (start, end), {}, {"shape": shape}, {"shape": shape},
                {"shape": SHP104}, lambda k: (k["shape"], {}), strict_none=False)
    ok, _ = torch_run("Flatten", (start, end), {}, shape)
    got = core_run("Flatten", (start, end), {}, shape)
    if ok:
        check_case(case, data)
    else:
        assert not got[0], f"torch rejects, core gives {got[1]}"
        assert got[1].code == (SHP104 if bad_index else SHP103), got[1]


@st.composite
def unflatten_cases(draw):
    sizes = draw(st.lists(rarely(st.integers(1, 3), st.sampled_from([-1, -1, 0, -2])), min_size=1, max_size=3),
                 label="sizes")
    sizes = tuple(sizes) if draw(st.booleans()) else list(sizes)
    dim = draw(st.integers(-4, 3), label="dim")
    rank = draw(st.integers(1, 4), label="rank")
    product = math.prod(2 if s == -1 else s for s in sizes)
    index = _dim_index(dim, rank)
    shape = [2] * rank
    if index is not None:
        shape[index] = draw(rarely(st.just(max(product, 1)), st.integers(1, 8), odds=4), label="arriving")
    good_rank = max(rank, dim + 1, -dim)
    good = [2] * good_rank
    good[_dim_index(dim, good_rank)] = max(product, 1)
    knobs = {"shape": tuple(shape)}
    code = SHP104 if index is None else SHP102
    return Case("Unflatten", (dim, sizes), {}, knobs, {"shape": tuple(good)}, {"shape": code},
                lambda k: (k["shape"], {}), strict_none=False,
                untouched=lambda s: range(index if index is not None else 0))


@settings(max_examples=examples(200), deadline=None)
@given(unflatten_cases(), st.data())
def test_unflatten(case, data):
    check_case(case, data)


def test_upsample_rounding_against_torch():
    """Output sizes from scale factors that are not exact in binary (1/3, 0.7, 1.1, 2.2...)."""
    for mode, rank in (("nearest", 3), ("linear", 3), ("bilinear", 4), ("nearest-exact", 3)):
        for scale in (1 / 3, 2 / 3, 0.7, 1.1, 1.3, 2.2, 0.35, 1.999, 2.5, 0.999):
            for size in range(1, 13):
                spatial = (size,) * (rank - 2)
                case = Case("Upsample", (), {"scale_factor": scale, "mode": mode},
                            {"rank": rank, "channels": 1, "spatial": spatial},
                            {"rank": rank, "channels": 1, "spatial": (20,) * (rank - 2)},
                            {"rank": SHP104, "channels": SHP102, "spatial": SHP105},
                            _spatial_rank_input)
                check_case(case)
