"""RNN, LSTM, GRU, their cells, MultiheadAttention and the transformer layers against PyTorch.

The first output goes through the shared oracle (``check_case``: codes, symbolic input, unknown
parameters); ``test_*_results`` compare everything forward returns (``(output, (h_n, c_n))``,
``(attn_output, attn_weights)``) with ``LayerSpec.forward_results``.
"""

from __future__ import annotations

import warnings
from typing import Any, Dict, Mapping, Sequence, Tuple

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from shapelint.core.codes import ShapeError
from shapelint.core.layers import LAYERS, UNKNOWN, TensorResult

from support.layer_oracle import (
    SHP102, SHP103, SHP104, Case, check_case, examples, rarely, torch_run,
)

RNNS = ["RNN", "LSTM", "GRU"]
CELLS = ["RNNCell", "LSTMCell", "GRUCell"]


def _fit_rank(full: Tuple[int, ...], rank: int) -> Tuple[int, ...]:
    """``full`` trimmed from the front, or padded with leading 2s, to ``rank`` dims."""
    if rank <= len(full):
        return full[len(full) - rank:]
    return (2,) * (rank - len(full)) + full


def sequence_input(batch_first: Any):
    """Knobs ``rank`` (3 batched, 2 unbatched), ``length``, ``batch``, ``features``."""

    def build(knobs: Mapping[str, Any]):
        rank, length, batch, features = knobs["rank"], knobs["length"], knobs["batch"], knobs["features"]
        if rank == 2:
            return (length, features), {}
        full = (batch, length, features) if batch_first is True else (length, batch, features)
        return _fit_rank(full, rank), {}

    return build


class TensorArgsCase(Case):
    """A case whose forward takes more tensors: ``fkw`` holds their shapes for the core, and
    random tensors of those shapes are passed to torch."""

    def torch(self, knobs: Mapping[str, Any]):
        shape, fkw = self.build(knobs)
        spec = LAYERS[self.layer]
        tensors = {k: (torch.randn(v) if k in spec.tensor_params else v) for k, v in fkw.items()}
        return torch_run(self.layer, self.args, self.kwargs, shape, tensors, self.make_tensor)


sizes = st.integers(1, 5)


@st.composite
def rnn_cases(draw):
    layer = draw(st.sampled_from(RNNS), label="layer")
    input_size = draw(rarely(st.integers(1, 6), st.integers(-1, 0)))
    hidden = draw(rarely(st.integers(1, 6), st.integers(-1, 0)))
    kwargs: Dict[str, Any] = {
        "num_layers": draw(rarely(st.integers(1, 3), st.just(0))),
        "batch_first": draw(st.booleans()),
        "bidirectional": draw(st.booleans()),
        "dropout": draw(rarely(st.sampled_from([0.0, 0.5]), st.sampled_from([-0.5, 1.5]))),
        "bias": draw(st.booleans()),
    }
    if layer == "LSTM" and draw(st.booleans()):
        kwargs["proj_size"] = draw(rarely(st.integers(0, max(hidden - 1, 0)), st.integers(-1, 7), odds=5))
    if layer == "RNN" and draw(st.booleans()):
        kwargs["nonlinearity"] = draw(rarely(st.sampled_from(["tanh", "relu"]), st.just("bogus")))
    keyword = draw(st.booleans())
    args: Tuple[Any, ...] = (input_size, hidden)
    if keyword:
        args, kwargs = (), {"input_size": input_size, "hidden_size": hidden, **kwargs}
    good = {"rank": 3, "length": 3, "batch": 2, "features": max(input_size, 1)}
    knobs = {
        "rank": draw(rarely(st.sampled_from([3, 3, 2]), st.sampled_from([1, 4]), odds=8)),
        "length": draw(sizes), "batch": draw(sizes),
        "features": draw(rarely(st.just(max(input_size, 1)), st.integers(1, 7), odds=4)),
    }
    return Case(layer, args, kwargs, knobs, good,
                {"rank": SHP104, "length": SHP104, "batch": SHP104, "features": SHP102},
                sequence_input(kwargs["batch_first"]))


@settings(max_examples=examples(300), deadline=None)
@given(rnn_cases(), st.data())
def test_rnn_layers_match_torch(case, data):
    check_case(case, data)


@st.composite
def cell_cases(draw):
    layer = draw(st.sampled_from(CELLS), label="layer")
    input_size = draw(rarely(st.integers(1, 6), st.just(-1)))
    hidden = draw(rarely(st.integers(1, 6), st.integers(-1, 0)))
    kwargs: Dict[str, Any] = {"bias": draw(st.booleans())}
    if layer == "RNNCell" and draw(st.booleans()):
        kwargs["nonlinearity"] = draw(rarely(st.sampled_from(["tanh", "relu"]), st.just("bogus")))
    rank = draw(rarely(st.sampled_from([2, 2, 1]), st.sampled_from([0, 3]), odds=8))
    features = draw(rarely(st.just(max(input_size, 1)), st.integers(1, 7), odds=4))
    batch = draw(sizes)

    def build(knobs):
        return _fit_rank((knobs["batch"], knobs["features"]), knobs["rank"]), {}

    return Case(layer, (input_size, hidden), kwargs,
                {"rank": rank, "batch": batch, "features": features},
                {"rank": 2, "batch": 2, "features": max(input_size, 1)},
                {"rank": SHP104, "batch": SHP104, "features": SHP102}, build)


@settings(max_examples=examples(200), deadline=None)
@given(cell_cases(), st.data())
def test_rnn_cells_match_torch(case, data):
    check_case(case, data)


def _heads(draw):
    heads = draw(rarely(st.integers(1, 3), st.integers(-1, 0)))
    embed = draw(rarely(st.integers(1, 3).map(lambda k: k * max(heads, 1)), st.integers(-1, 7), odds=5))
    return embed, heads


@st.composite
def attention_cases(draw):
    embed, heads = _heads(draw)
    batch_first = draw(st.booleans())
    kdim = draw(st.sampled_from([None, None, 2, 5]))
    vdim = draw(st.sampled_from([None, None, 3, 4]))
    kwargs = {"batch_first": batch_first, "kdim": kdim, "vdim": vdim,
              "add_bias_kv": draw(st.booleans()), "add_zero_attn": draw(st.booleans())}
    good_embed = max(embed, 1)
    want_k = good_embed if kdim is None else kdim
    want_v = good_embed if vdim is None else vdim
    knobs = {
        "rank": draw(rarely(st.sampled_from([3, 3, 2]), st.sampled_from([1, 4]), odds=8)),
        "key_rank": None,
        "length": draw(sizes), "source": draw(sizes), "batch": draw(sizes),
        "features": draw(rarely(st.just(good_embed), st.integers(1, 7), odds=4)),
        "key_features": draw(rarely(st.just(want_k), st.integers(1, 7), odds=6)),
        "value_features": draw(rarely(st.just(want_v), st.integers(1, 7), odds=6)),
    }
    knobs["key_rank"] = draw(rarely(st.just(knobs["rank"]), st.sampled_from([2, 3]), odds=8))
    fkw = {}
    if draw(st.booleans()):
        fkw["need_weights"] = draw(st.booleans())
    if draw(st.booleans()):
        fkw["average_attn_weights"] = draw(st.booleans())

    def seq(rank, length, batch, features):
        if rank == 2:
            return (length, features)
        full = (batch, length, features) if batch_first else (length, batch, features)
        return _fit_rank(full, rank)

    def build(k):
        query = seq(k["rank"], k["length"], k["batch"], k["features"])
        key = seq(k["key_rank"], k["source"], k["batch"], k["key_features"])
        value = seq(k["key_rank"], k["source"], k["batch"], k["value_features"])
        return query, {"key": key, "value": value, **fkw}

    good = dict(knobs, rank=3, key_rank=3, features=good_embed, key_features=want_k,
                value_features=want_v)
    return TensorArgsCase(
        "MultiheadAttention", (embed, heads), kwargs, knobs, good,
        {"rank": SHP104, "key_rank": SHP104, "length": SHP104, "source": SHP104, "batch": SHP104,
         "features": SHP102, "key_features": SHP102, "value_features": SHP102}, build)


@settings(max_examples=examples(300), deadline=None)
@given(attention_cases(), st.data())
def test_multihead_attention_matches_torch(case, data):
    check_case(case, data)


@st.composite
def transformer_cases(draw):
    layer = draw(st.sampled_from(["TransformerEncoderLayer", "TransformerDecoderLayer"]), label="layer")
    d_model, nhead = _heads(draw)
    batch_first = draw(st.booleans())
    kwargs = {"dim_feedforward": draw(st.integers(1, 8)), "batch_first": batch_first,
              "norm_first": draw(st.booleans()),
              "dropout": draw(rarely(st.sampled_from([0.0, 0.1]), st.just(1.5))),
              "activation": draw(rarely(st.sampled_from(["relu", "gelu"]), st.just("tanh")))}
    good_model = max(d_model, 1)
    knobs = {
        "rank": draw(rarely(st.sampled_from([3, 3, 2]), st.sampled_from([1, 4]), odds=8)),
        "length": draw(sizes), "source": draw(sizes), "batch": draw(sizes),
        "features": draw(rarely(st.just(good_model), st.integers(1, 7), odds=4)),
        "memory_features": draw(rarely(st.just(good_model), st.integers(1, 7), odds=6)),
    }
    knobs["memory_rank"] = draw(rarely(st.just(knobs["rank"]), st.sampled_from([2, 3]), odds=8))

    def seq(rank, length, batch, features):
        if rank == 2:
            return (length, features)
        full = (batch, length, features) if batch_first else (length, batch, features)
        return _fit_rank(full, rank)

    def build(k):
        x = seq(k["rank"], k["length"], k["batch"], k["features"])
        if layer == "TransformerEncoderLayer":
            return x, {}
        return x, {"memory": seq(k["memory_rank"], k["source"], k["batch"], k["memory_features"])}

    good = dict(knobs, rank=3, memory_rank=3, features=good_model, memory_features=good_model)
    return TensorArgsCase(
        layer, (d_model, nhead), kwargs, knobs, good,
        {"rank": SHP104, "memory_rank": SHP104, "length": SHP104, "source": SHP104,
         "batch": SHP104, "features": SHP102, "memory_features": SHP102}, build)


@settings(max_examples=examples(200), deadline=None)
@given(transformer_cases(), st.data())
def test_transformer_layers_match_torch(case, data):
    check_case(case, data)


# --------------------------------------------------------------------------- every returned value


def _torch_structure(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return tuple(value.shape)
    if isinstance(value, tuple):
        return tuple(_torch_structure(v) for v in value)
    return value


def _core_structure(value: Any) -> Any:
    if isinstance(value, TensorResult):
        return value.shape
    if isinstance(value, tuple):
        return tuple(_core_structure(v) for v in value)
    return value


def _torch_results(case: Case):
    shape, fkw = case.build(case.knobs)
    spec = LAYERS[case.layer]
    tensors = {k: (torch.randn(v) if k in spec.tensor_params else v) for k, v in fkw.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            module = getattr(torch.nn, case.layer)(*case.args, **case.kwargs).eval()
            with torch.no_grad():
                return True, _torch_structure(module(torch.randn(shape), **tensors))
        except (RuntimeError, ValueError, TypeError, IndexError, AssertionError):
            return False, None


def check_results(case: Case) -> None:
    ok, expected = _torch_results(case)
    if not ok:
        return  # the failures are check_case's
    spec = LAYERS[case.layer]
    shape, fkw = case.build(case.knobs)
    params = spec.bind(case.args, case.kwargs)
    out = spec.infer(params, shape, fkw)
    got = _core_structure(spec.forward_results(params, shape, out, fkw))
    assert got == expected, f"{case.layer}{case.args}{case.kwargs} on {shape} {fkw}"


@settings(max_examples=examples(200), deadline=None)
@given(st.one_of(rnn_cases(), cell_cases(), attention_cases(), transformer_cases()))
def test_every_returned_value_matches_torch(case):
    check_results(case)


def test_lstm_returns_output_and_state():
    spec = LAYERS["LSTM"]
    params = spec.bind((16, 32), {"num_layers": 2, "batch_first": True, "bidirectional": True, "proj_size": 8})
    out = spec.infer(params, ("b", 10, 16))
    assert out == ("b", 10, 16)
    assert _core_structure(spec.forward_results(params, ("b", 10, 16), out)) == (
        ("b", 10, 16), ((4, "b", 8), (4, "b", 32)))


def test_unknown_flags_give_unknown_sizes_not_errors():
    spec = LAYERS["LSTM"]
    params = spec.bind((16, UNKNOWN), {"bidirectional": UNKNOWN})
    assert spec.infer(params, (10, 4, 16)) == (10, 4, None)
    mha = LAYERS["MultiheadAttention"]
    params = mha.bind((UNKNOWN, 4), {})
    assert mha.infer(params, (5, 2, 12), {"key": UNKNOWN, "value": None}) == (5, 2, None)
    assert _core_structure(mha.forward_results(params, (5, 2, 12), (5, 2, None), {"need_weights": UNKNOWN})) == (
        (5, 2, None), UNKNOWN)


@pytest.mark.parametrize("args, code", [
    ((8, 3), SHP103),   # embed_dim not divisible by num_heads: torch asserts at construction
    ((0, 1), SHP103),
])
def test_multihead_attention_construction_errors(args, code):
    spec = LAYERS["MultiheadAttention"]
    with pytest.raises(ShapeError) as info:
        spec.infer(spec.bind(args, {}), None)
    assert info.value.code == code
    ok, _ = torch_run("MultiheadAttention", args, {}, (2, 8), {})
    assert not ok


def test_rnn_bind_follows_the_real_constructor():
    assert LAYERS["RNN"].bind((4, 8, 2, "relu"), {})["nonlinearity"] == "relu"
    assert LAYERS["LSTM"].bind((4, 8), {"proj_size": 2})["proj_size"] == 2
    from shapelint.core.layers import BindError
    with pytest.raises(BindError):
        LAYERS["GRU"].bind((4, 8), {"proj_size": 2})
    with pytest.raises(ValueError):
        torch.nn.GRU(4, 8, proj_size=2)


@st.composite
def transformer_model_cases(draw):
    d_model, nhead = _heads(draw)
    batch_first = draw(st.booleans())
    kwargs = {"num_encoder_layers": draw(rarely(st.integers(1, 2), st.integers(-1, 0))),
              "num_decoder_layers": draw(rarely(st.integers(1, 2), st.integers(-1, 0))),
              "dim_feedforward": draw(st.integers(1, 8)), "batch_first": batch_first,
              "norm_first": draw(st.booleans()),
              "dropout": draw(rarely(st.sampled_from([0.0, 0.1]), st.just(1.5))),
              "activation": draw(rarely(st.sampled_from(["relu", "gelu"]), st.just("tanh")))}
    good_model = max(d_model, 1)
    knobs = {
        "rank": draw(rarely(st.sampled_from([3, 3, 2]), st.sampled_from([1, 4]), odds=8)),
        "length": draw(sizes), "target_length": draw(sizes), "batch": draw(sizes),
        "target_batch": None,
        "features": draw(rarely(st.just(good_model), st.integers(1, 7), odds=5)),
        "target_features": draw(rarely(st.just(good_model), st.integers(1, 7), odds=5)),
    }
    knobs["target_rank"] = draw(rarely(st.just(knobs["rank"]), st.sampled_from([2, 3]), odds=8))
    knobs["target_batch"] = draw(rarely(st.just(knobs["batch"]), sizes, odds=8))

    def seq(rank, length, batch, features):
        if rank == 2:
            return (length, features)
        full = (batch, length, features) if batch_first else (length, batch, features)
        return _fit_rank(full, rank)

    def build(k):
        return (seq(k["rank"], k["length"], k["batch"], k["features"]),
                {"tgt": seq(k["target_rank"], k["target_length"], k["target_batch"], k["target_features"])})

    good = dict(knobs, rank=3, target_rank=3, target_batch=knobs["batch"], features=good_model,
                target_features=good_model)
    from shapelint.core.codes import INCOMPATIBLE_SHAPES
    return TensorArgsCase(
        "Transformer", (d_model, nhead), kwargs, knobs, good,
        {"rank": SHP104, "target_rank": SHP104, "length": SHP104, "target_length": SHP104,
         "batch": SHP104, "target_batch": INCOMPATIBLE_SHAPES, "features": SHP102,
         "target_features": SHP102}, build)


@settings(max_examples=examples(150), deadline=None)
@given(transformer_model_cases(), st.data())
def test_transformer_matches_torch(case, data):
    check_case(case, data)


def test_transformer_with_a_custom_part_is_unknown_not_checked_as_default():
    spec = LAYERS["Transformer"]
    params = spec.bind((8, 3), {"custom_encoder": UNKNOWN, "custom_decoder": UNKNOWN})
    # Neither default part is built: nhead=3 is never checked, and the output is not known.
    assert spec.infer(params, (5, 2, 8), {"tgt": (4, 2, 8)}) is None
