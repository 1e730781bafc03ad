"""Normalisation layers against PyTorch (eval mode: BatchNorm then uses its running stats)."""

from __future__ import annotations

from typing import Any, Dict, Mapping

from hypothesis import given, settings
from hypothesis import strategies as st

from support.layer_oracle import (
    SHP102, SHP104, SHP105, Case, all_untouched, check_case, examples, ranks, rarely,
    spatial_input,
)

features = rarely(st.integers(1, 4), st.integers(-1, 0))


def channels_first_input(batch: int = 2):
    """Knobs ``rank``, ``channels``, ``spatial`` -> ``(N, C, *spatial)`` cut or extended to the rank
    (a rank below 2 keeps the channel dim last: ``(C,)``, ``()``)."""

    def build(knobs: Mapping[str, Any]):
        rank, spatial = knobs["rank"], tuple(knobs["spatial"])
        spatial = (spatial + (2,) * rank)[: max(rank - 2, 0)]
        full = (batch, knobs["channels"]) + spatial
        return (full[2 - rank :] if rank < 2 else full), {}

    return build


@st.composite
def batch_instance_norm_cases(draw):
    n = draw(st.integers(1, 3), label="n")
    kind = draw(st.sampled_from(["BatchNorm", "InstanceNorm", "LazyBatchNorm", "LazyInstanceNorm"]))
    lazy = kind.startswith("Lazy")
    num = draw(features, label="num_features")
    kwargs: Dict[str, Any] = {
        "affine": draw(st.booleans(), label="affine"),
        "track_running_stats": draw(st.booleans(), label="track_running_stats"),
    }
    args = () if lazy else (num,)
    wanted = max(num, 1) if not lazy else draw(st.integers(1, 4))
    knobs = {
        "rank": draw(ranks(n), label="rank"),
        "channels": draw(rarely(st.just(wanted), st.integers(1, 5), odds=5), label="channels"),
        "spatial": draw(st.tuples(*[st.integers(1, 4)] * n), label="spatial"),
    }
    # BatchNorm1d takes (N, C) as well as (N, C, L): its "unbatched" rank is (N, C).
    good = {"rank": n + 2, "channels": wanted, "spatial": (5,) * n}
    codes = {"rank": SHP104, "channels": SHP102, "spatial": SHP105}
    # BatchNorm1d's 2-D input is (N, C), the other layers' (C, *spatial).
    build = channels_first_input() if kind.endswith("BatchNorm") and n == 1 else spatial_input(n, batch=2)
    return Case(f"{kind}{n}d", args, kwargs, knobs, good, codes, build, untouched=all_untouched)


@settings(max_examples=examples(300), deadline=None)
@given(batch_instance_norm_cases(), st.data())
def test_batch_and_instance_norm(case, data):
    check_case(case, data)


@st.composite
def group_norm_cases(draw):
    groups = draw(rarely(st.integers(1, 3), st.integers(-1, 0)), label="num_groups")
    channels = draw(rarely(st.integers(1, 3).map(lambda m: m * max(groups, 1)), st.integers(0, 6)),
                    label="num_channels")
    kwargs = {"affine": draw(st.booleans(), label="affine")}
    wanted = channels if channels > 0 else max(groups, 1)
    knobs = {
        "rank": draw(rarely(st.integers(2, 5), st.integers(0, 6), odds=8), label="rank"),
        "channels": draw(rarely(st.just(wanted), st.integers(1, 7), odds=5), label="channels"),
        "spatial": draw(st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 2)), label="spatial"),
    }
    good = {"rank": 4, "channels": wanted, "spatial": (3, 3, 3)}
    codes = {"rank": SHP104, "channels": SHP102, "spatial": SHP105}
    return Case("GroupNorm", (groups, channels), kwargs, knobs, good, codes, channels_first_input(),
                untouched=all_untouched)


@settings(max_examples=examples(200), deadline=None)
@given(group_norm_cases(), st.data())
def test_group_norm(case, data):
    check_case(case, data)


def _trailing_input(knobs: Mapping[str, Any]):
    """Knobs ``lead`` (leading dims) and ``tail`` (the dims normalized_shape must match)."""
    return tuple(knobs["lead"]) + tuple(knobs["tail"]), {}


@st.composite
def layer_norm_cases(draw):
    kind = draw(st.sampled_from(["LayerNorm", "RMSNorm"]))
    dims = draw(rarely(st.lists(rarely(st.integers(1, 4), st.integers(-1, 0)), min_size=1, max_size=3),
                       st.just([]), odds=10), label="shape")
    normalized = draw(st.sampled_from(["tuple", "list", "int"]) if len(dims) == 1 else st.just("tuple"))
    shape_arg = dims[0] if normalized == "int" else (list(dims) if normalized == "list" else tuple(dims))
    kwargs = {"elementwise_affine": draw(st.booleans())}
    if kind == "LayerNorm":
        kwargs["bias"] = draw(st.booleans())
    wanted = tuple(max(d, 1) for d in dims)
    tail = draw(rarely(st.just(wanted), st.lists(st.integers(1, 4), max_size=3).map(tuple), odds=4),
                label="tail")
    knobs = {"lead": draw(st.lists(st.integers(1, 3), max_size=2).map(tuple), label="lead"), "tail": tail}
    # An input with fewer dims than normalized_shape is a wrong rank; other differences are
    # mismatches.
    good = {"lead": (2,), "tail": wanted}
    short = len(knobs["lead"]) + len(tail) < len(wanted)
    codes = {"lead": SHP104, "tail": SHP104 if short else SHP102}
    return Case(kind, (shape_arg,), kwargs, knobs, good, codes, _trailing_input, untouched=all_untouched)


@settings(max_examples=examples(200), deadline=None)
@given(layer_norm_cases(), st.data())
def test_layer_norm(case, data):
    check_case(case, data)


@st.composite
def local_response_norm_cases(draw):
    size = draw(rarely(st.integers(1, 4), st.integers(-1, 0)), label="size")
    rank = draw(st.integers(0, 6), label="rank")
    knobs = {"rank": rank, "channels": draw(st.integers(1, 4)), "spatial": (3, 3, 3)}
    good = {"rank": 4, "channels": knobs["channels"], "spatial": (3, 3, 3)}
    codes = {"rank": SHP104, "channels": SHP102, "spatial": SHP105}
    return Case("LocalResponseNorm", (size,), {}, knobs, good, codes, channels_first_input(1),
                untouched=all_untouched)


@settings(max_examples=examples(60), deadline=None)
@given(local_response_norm_cases(), st.data())
def test_local_response_norm(case, data):
    check_case(case, data)
