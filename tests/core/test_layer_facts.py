"""The facts of the layer table the analysis reads besides the shape rules, against torch:
stored attributes, tuple attributes, the indices flag, adaptive pools, the functional of a
layer, the layers that fix the rank of an undeclared input, and the family names."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from shapelint.analysis import probe
from shapelint.core import solver
from shapelint.core.layers import AVG_POOL, CONV, CONV_TRANSPOSE, LAYERS, MAX_POOL

#: Constructor arguments (args, kwargs) of each layer with stored or tuple attributes, chosen
#: away from the defaults so that a wrong attribute cannot pass by chance.
EXAMPLES = {
    **{f"Conv{n}d": ((4, 6, 3), {"stride": 2, "padding": 1, "dilation": 2}) for n in (1, 2, 3)},
    **{f"ConvTranspose{n}d": ((4, 6, 3), {"stride": 2, "padding": 1, "output_padding": 1})
       for n in (1, 2, 3)},
    **{f"LazyConv{n}d": ((6, 3), {"stride": 2, "padding": 1, "dilation": 2}) for n in (1, 2, 3)},
    **{f"LazyConvTranspose{n}d": ((6, 3), {"stride": 2, "padding": 1, "output_padding": 1})
       for n in (1, 2, 3)},
    "RNN": ((8, 16, 2, "relu", False, True, 0, True), {}),
    "LSTM": ((8, 16, 2), {"batch_first": True, "bidirectional": True, "proj_size": 4, "bias": False}),
    "GRU": ((8, 16, 3), {"bias": False, "batch_first": True}),
    "RNNCell": ((8, 16, False, "relu"), {}),
    "LSTMCell": ((8, 16, False), {}),
    "GRUCell": ((8, 16, False), {}),
    "MultiheadAttention": ((8, 2), {"vdim": 6, "batch_first": True}),
    "TransformerEncoderLayer": ((8, 2, 16), {"norm_first": True}),
    "TransformerDecoderLayer": ((8, 2, 16), {"norm_first": True}),
}


def _with_facts(fact):
    return sorted(name for name, spec in LAYERS.items() if fact(spec))


def test_every_layer_with_attribute_facts_has_an_example():
    with_facts = _with_facts(lambda s: s.stored_attributes is not None or s.tuple_attributes)
    assert with_facts and sorted(EXAMPLES) == with_facts


@pytest.mark.parametrize("name", _with_facts(lambda s: s.stored_attributes is not None))
def test_stored_attributes_are_the_arguments(name):
    spec = LAYERS[name]
    args, kwargs = EXAMPLES[name]
    params = spec.bind(args, kwargs)
    module = getattr(torch.nn, name)(*args, **kwargs)
    fallbacks = dict(spec.attribute_fallbacks)
    checked = 0
    for attribute in sorted(spec.stored_attributes & set(params)):
        expected = params[attribute]
        if expected is None and attribute in fallbacks:
            expected = params[fallbacks[attribute]]
        actual = getattr(module, attribute)
        assert (type(actual), actual) == (type(expected), expected), attribute
        checked += 1
    assert checked
    assert set(fallbacks) <= spec.stored_attributes


@pytest.mark.parametrize("name", _with_facts(lambda s: s.tuple_attributes))
def test_tuple_attributes_are_tuples_per_spatial_dim(name):
    spec = LAYERS[name]
    args, kwargs = EXAMPLES[name]
    params = spec.bind(args, kwargs)
    module = getattr(torch.nn, name)(*args, **kwargs)
    for attribute in spec.tuple_attributes:
        assert attribute in params
        assert getattr(module, attribute) == (params[attribute],) * spec.spatial_dims, attribute


def _pool_input(spec):
    return torch.randn((2, 3) + (9,) * spec.spatial_dims)


def test_indices_flag_is_return_indices_wherever_torch_has_it():
    with_flag = _with_facts(lambda s: s.indices_flag is not None)
    assert with_flag == _with_facts(lambda s: any(p.name == "return_indices" for p in s.params))
    assert len(with_flag) == 6


@pytest.mark.parametrize("name", _with_facts(lambda s: s.indices_flag is not None))
def test_indices_flag_makes_forward_return_output_and_indices(name):
    spec = LAYERS[name]
    first = spec.params[0].name  # kernel_size or output_size
    x = _pool_input(spec)
    plain = getattr(torch.nn, name)(**{first: 3})(x)
    both = getattr(torch.nn, name)(**{first: 3, spec.indices_flag: True})(x)
    assert isinstance(plain, torch.Tensor)
    assert isinstance(both, tuple) and [t.shape for t in both] == [plain.shape, plain.shape]


@pytest.mark.parametrize("name", _with_facts(lambda s: s.adaptive))
def test_adaptive_pools_give_output_size_whatever_the_input(name):
    spec = LAYERS[name]
    layer = getattr(torch.nn, name)(output_size=3)
    for size in (5, 11):
        out = layer(torch.randn((2, 3) + (size,) * spec.spatial_dims))
        assert tuple(out.shape[2:]) == (3,) * spec.spatial_dims
    assert name.startswith("Adaptive")


def test_adaptive_is_every_adaptive_pool():
    assert _with_facts(lambda s: s.adaptive) == sorted(n for n in LAYERS if n.startswith("Adaptive"))


#: Values for a functional's parameters, all distinct from the defaults, so that a parameter in
#: the wrong place changes the result.
FUNCTIONAL_VALUES = {"kernel_size": 3, "stride": 2, "padding": 1, "dilation": 2, "ceil_mode": True,
                     "return_indices": False, "count_include_pad": False, "divisor_override": 5,
                     "output_size": 4}


@pytest.mark.parametrize("name", _with_facts(lambda s: s.functional is not None))
def test_functional_takes_the_layers_arguments_in_its_order(name):
    spec = LAYERS[name]
    assert {p.name for p in spec.params} == set(spec.functional_params)
    values = [FUNCTIONAL_VALUES[p] for p in spec.functional_params]
    x = _pool_input(spec)
    expected = getattr(torch.nn, name)(**dict(zip(spec.functional_params, values)))(x)
    function = getattr(F, spec.functional)
    assert torch.equal(function(x, *values), expected)
    assert torch.equal(function(x, **dict(zip(spec.functional_params, values))), expected)


def test_functionals_are_the_pools():
    with_functional = _with_facts(lambda s: s.functional is not None)
    assert with_functional == _with_facts(lambda s: s.family in (MAX_POOL, AVG_POOL) or s.adaptive)


@pytest.mark.parametrize("name", _with_facts(lambda s: s.probe_ranks))
def test_probe_ranks_are_the_ranks_the_layer_takes(name):
    """The ranks a probing layer lists are exactly those of 1..6 PyTorch runs it on (1..4 for a
    Linear, which takes any), the probe's shape of each one runs with the layer's channels and
    fails with others."""
    spec = LAYERS[name]
    args = (5, 7, 3) if spec.family in (CONV, CONV_TRANSPOSE) else (5, 7) if name == "Linear" else (5,)
    layer = getattr(torch.nn, name)(*args).eval()
    # The channels from channel_param; a padding layer fixes none (the probe names them).
    counted = spec.channel_param is not None
    assert not counted or getattr(layer, spec.channel_param) == 5
    n = spec.spatial_dims or 0
    names = probe.fresh_names(())

    def sized(shape, channels):
        return tuple(channels if d == 5 else 6 for d in shape)

    runs = set()
    for rank in range(1, 7):
        # Channels where the probe puts them: dim -n-1 (the last for a Linear).
        shape = (0,) * max(rank - n - 1, 0) + (5,) + (0,) * n if rank > n else (0,) * rank
        try:
            layer(torch.randn(sized(shape, 5)))
            runs.add(rank)
        except (RuntimeError, ValueError, IndexError):
            pass
    assert set(spec.probe_ranks) == (runs & {1, 2, 3, 4} if name == "Linear" else runs)
    for rank in spec.probe_ranks:
        shape = probe.probe_shape(rank, n, 5, names)
        assert len(shape) == rank and shape[-n - 1] == 5
        assert all(isinstance(d, str) for i, d in enumerate(shape) if i != rank - n - 1)
        layer(torch.randn(sized(shape, 5)))
        if counted:
            with pytest.raises((RuntimeError, ValueError)):
                layer(torch.randn(sized(shape, 4)))


def test_families_are_the_solvers():
    families = {spec.family for spec in LAYERS.values()} - {None}
    assert families == {CONV, CONV_TRANSPOSE, MAX_POOL, AVG_POOL} == set(solver.FAMILY_PARAMS)


#: (constructor keyword arguments, input) per layer with output-size parameters: 13 and 17 appear
#: nowhere else, so an output that has them has them from the parameter.
OUTPUT_SIZE_EXAMPLES = {
    **{f"{kind}{n}d": ({"in_channels": 3, "out_channels": 13, "kernel_size": 3}, (2, 3) + (9,) * n)
       for n in (1, 2, 3) for kind in ("Conv", "ConvTranspose")},
    **{f"Lazy{kind}{n}d": ({"out_channels": 13, "kernel_size": 3}, (2, 3) + (9,) * n)
       for n in (1, 2, 3) for kind in ("Conv", "ConvTranspose")},
    "Linear": ({"in_features": 5, "out_features": 13}, (2, 5)),
    "LazyLinear": ({"out_features": 13}, (2, 5)),
    "Embedding": ({"num_embeddings": 10, "embedding_dim": 13}, (2, 5)),
    "Upsample": ({"size": (13, 17)}, (2, 3, 5, 6)),
    "UpsamplingNearest2d": ({"size": (13, 17)}, (2, 3, 5, 6)),
    "UpsamplingBilinear2d": ({"size": (13, 17)}, (2, 3, 5, 6)),
}


@pytest.mark.parametrize("name", _with_facts(lambda s: s.output_size_params))
def test_output_size_params_set_output_sizes(name):
    spec = LAYERS[name]
    kwargs, shape = OUTPUT_SIZE_EXAMPLES[name]
    x = torch.randint(0, 10, shape) if name == "Embedding" else torch.randn(shape)
    out = tuple(getattr(torch.nn, name)(**kwargs)(x).shape)
    for param in spec.output_size_params:
        value = kwargs[param]
        sizes = value if isinstance(value, tuple) else (value,)
        assert out[len(out) - len(sizes):] == sizes or sizes[0] in out[1:2], (param, out)


def test_every_layer_with_output_size_params_has_an_example():
    assert sorted(OUTPUT_SIZE_EXAMPLES) == _with_facts(lambda s: s.output_size_params)
