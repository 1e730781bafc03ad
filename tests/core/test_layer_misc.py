"""Linear, Embedding, Identity, every activation and every dropout layer against PyTorch.

Dropout runs in eval mode, where it is the identity; ``Dropout1d`` still checks the rank there.
"""

from __future__ import annotations

import inspect
from typing import Any, Dict, Tuple

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from support.layer_oracle import (
    SHP102, SHP103, SHP104, Case, all_untouched, check_case, examples, rarely,
)

#: The classes of torch.nn.modules.activation that are not element- or dim-wise activations.
NOT_ACTIVATIONS = {"Module", "MultiheadAttention", "NonDynamicallyQuantizableLinear"}


def _module_classes(module) -> list:
    return sorted(
        name for name, obj in vars(module).items()
        if inspect.isclass(obj) and issubclass(obj, torch.nn.Module) and not name.startswith("_")
        and obj.__module__ == module.__name__ and name not in NOT_ACTIVATIONS
    )


ACTIVATIONS = _module_classes(torch.nn.modules.activation)
DROPOUTS = _module_classes(torch.nn.modules.dropout)

unit = st.sampled_from([0.0, 0.1, 0.5, 1.0])
number = st.sampled_from([-1.0, -0.5, 0.0, 0.5, 1.0, 2.0])


def _args(draw, name: str) -> Tuple[tuple, Dict[str, Any]]:
    """Constructor arguments for ``name``, now and then ones torch rejects."""
    if name == "Threshold":
        return (draw(number), draw(number)), {}
    if name == "Hardtanh":
        low = draw(number)
        return (low, draw(rarely(st.sampled_from([low + 0.5, low + 2]), number, odds=4))), {}
    if name == "RReLU":
        return (draw(unit), draw(unit)), {}
    if name in ("ELU", "CELU"):
        return (draw(rarely(st.sampled_from([0.5, 1.0, 2.0]), st.sampled_from([0.0, -1.0]), odds=5)),), {}
    if name == "GELU":
        return (), {"approximate": draw(rarely(st.sampled_from(["none", "tanh"]), st.just("bogus")))}
    if name in ("Softplus",):
        return (draw(rarely(st.sampled_from([0.5, 1.0, 2.0]), st.sampled_from([0.0, -1.0]), odds=5)),
                draw(number)), {}
    if name in ("Hardshrink", "Softshrink"):
        return (draw(rarely(st.sampled_from([0.0, 0.5, 1.0]), st.just(-0.5), odds=5)),), {}
    if name == "LeakyReLU":
        return (draw(number),), {}
    if name in ("Softmax", "Softmin", "LogSoftmax", "GLU"):
        return (draw(rarely(st.integers(-4, 3), st.integers(-6, 5), odds=4)),), {}
    if name == "PReLU":
        return (draw(rarely(st.integers(1, 3), st.integers(-1, 0))),), {}
    if name in DROPOUTS:
        return (draw(rarely(st.sampled_from([0.0, 0.2, 0.5, 1.0]), st.sampled_from([-0.1, 1.5]))),), {}
    return (), {}


def _shape_code(name: str, args: tuple, shape: tuple) -> str:
    """Which code an input fault of ``name`` is, reasoning from the layer's rule."""
    if name == "PReLU":
        return SHP104 if len(shape) == 0 else SHP102
    if name == "GLU":
        # A scalar has no dim to halve; an odd size at dim is a dim choice torch rejects.
        dim, rank = args[0], len(shape)
        return SHP104 if not -rank <= dim < rank else SHP103
    return SHP104


@st.composite
def activation_cases(draw):
    name = draw(st.sampled_from(ACTIVATIONS + DROPOUTS + ["Identity"]), label="layer")
    args, kwargs = _args(draw, name)
    shape = tuple(draw(st.lists(st.integers(1, 4), max_size=5), label="shape"))
    channels = max(args[0], 1) if name == "PReLU" else 2
    good = (2, 2, 2) if name == "Dropout1d" else (2, channels, 2, 2)
    if name in ("Softmax", "Softmin", "LogSoftmax", "GLU") and args[0] is not None:
        good = (2, 2, 2, 2) + (2,) * max(args[0] + 1 - 4, -args[0] - 4, 0)  # dim within the rank
    if name == "PReLU" and draw(st.booleans()) and len(shape) >= 2:
        shape = shape[:1] + (channels,) + shape[2:]  # mostly the right channel count
    shaped = {"shape": shape}
    return Case(name, args, kwargs, shaped, {"shape": good}, {"shape": _shape_code(name, args, shape)},
                lambda k: (k["shape"], {}),
                untouched=all_untouched if name != "GLU" else lambda s: ())


@settings(max_examples=examples(400), deadline=None)
@given(activation_cases(), st.data())
def test_activations_and_dropout(case, data):
    check_case(case, data)


@st.composite
def linear_cases(draw):
    lazy = draw(st.booleans(), label="lazy")
    features = rarely(st.integers(1, 5), st.integers(-1, 0))
    in_f, out_f = draw(features, label="in"), draw(features, label="out")
    args = (out_f,) if lazy else (in_f, out_f)
    wanted = max(in_f, 1)
    lead = tuple(draw(st.lists(st.integers(1, 3), max_size=3), label="lead"))
    last = draw(rarely(st.just(wanted), st.integers(1, 6), odds=4), label="last")
    shape = lead + (last,) if draw(rarely(st.just(True), st.just(False), odds=10)) else ()
    code = SHP104 if not shape else SHP102
    return Case("LazyLinear" if lazy else "Linear", args, {"bias": draw(st.booleans())},
                {"shape": shape}, {"shape": (2, wanted)}, {"shape": code}, lambda k: (k["shape"], {}),
                untouched=lambda s: range(max(len(s) - 1, 0)))


@settings(max_examples=examples(150), deadline=None)
@given(linear_cases(), st.data())
def test_linear(case, data):
    check_case(case, data)


def _indices(shape):
    return torch.zeros(tuple(shape), dtype=torch.long)


@st.composite
def embedding_cases(draw):
    num = draw(rarely(st.integers(1, 5), st.integers(-1, 0)), label="num_embeddings")
    dim = draw(rarely(st.integers(1, 4), st.integers(-1, 0)), label="embedding_dim")
    kwargs: Dict[str, Any] = {}
    if draw(st.booleans()):
        kwargs["padding_idx"] = draw(st.integers(-6, 5), label="padding_idx")
    if draw(st.booleans()):
        kwargs["max_norm"] = 1.0
    shape = tuple(draw(st.lists(st.integers(1, 3), max_size=3), label="shape"))
    return Case("Embedding", (num, dim), kwargs, {"shape": shape}, {"shape": (2, 3)}, {"shape": SHP104},
                lambda k: (k["shape"], {}), make_tensor=_indices,
                untouched=lambda s: range(len(s)))


@settings(max_examples=examples(150), deadline=None)
@given(embedding_cases(), st.data())
def test_embedding(case, data):
    check_case(case, data)


def test_activation_list_is_derived_from_torch():
    assert {"ReLU", "GELU", "GLU", "PReLU", "Softmax2d", "Threshold"} <= set(ACTIVATIONS)
    assert {"Dropout", "Dropout1d", "AlphaDropout", "FeatureAlphaDropout"} <= set(DROPOUTS)
