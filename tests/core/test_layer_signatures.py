"""Every entry of the layer table against ``inspect.signature`` of the torch.nn class."""

from __future__ import annotations

import inspect

import pytest
import torch

from shapelint.core.layers import (
    KEYWORD_ONLY, LAYERS, POSITIONAL, REQUIRED, VAR_KEYWORD, VAR_POSITIONAL, BindError,
)

KINDS = {
    inspect.Parameter.POSITIONAL_OR_KEYWORD: POSITIONAL,
    inspect.Parameter.KEYWORD_ONLY: KEYWORD_ONLY,
    inspect.Parameter.VAR_POSITIONAL: VAR_POSITIONAL,
    inspect.Parameter.VAR_KEYWORD: VAR_KEYWORD,
}


def _torch_params(name: str):
    signature = inspect.signature(getattr(torch.nn, name))
    return [
        (p.name, KINDS[p.kind], REQUIRED if p.default is inspect.Parameter.empty else p.default)
        for p in signature.parameters.values()
    ]


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_signature_matches_torch(name):
    assert hasattr(torch.nn, name), f"torch.nn has no {name}"
    ours = [(p.name, p.kind, p.default) for p in LAYERS[name].params]
    assert ours == _torch_params(name)


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_spec_name_is_its_key(name):
    assert LAYERS[name].name == name


def _module_classes(module, exclude=()):
    return {
        name for name, obj in vars(module).items()
        if inspect.isclass(obj) and issubclass(obj, torch.nn.Module) and not name.startswith("_")
        and obj.__module__ == module.__name__ and name not in exclude
    }


#: torch.nn.modules.activation also holds attention, which is not an activation layer.
NOT_ACTIVATIONS = {"MultiheadAttention", "NonDynamicallyQuantizableLinear", "Module"}

REQUIRED_LAYERS = (
    [f"{kind}{n}d" for n in (1, 2, 3) for kind in (
        "Conv", "ConvTranspose", "LazyConv", "LazyConvTranspose", "MaxPool", "AvgPool",
        "AdaptiveAvgPool", "AdaptiveMaxPool", "BatchNorm", "InstanceNorm", "ZeroPad", "ConstantPad",
        "ReflectionPad", "ReplicationPad", "CircularPad",
    )]
    + ["LPPool1d", "LPPool2d", "LazyLinear", "Upsample", "UpsamplingNearest2d",
       "UpsamplingBilinear2d", "PixelShuffle", "PixelUnshuffle", "Flatten", "Unflatten", "Linear",
       "Identity", "GroupNorm", "LayerNorm", "LocalResponseNorm", "Embedding"]
)


def test_table_covers_the_required_layers():
    missing = [name for name in REQUIRED_LAYERS if name not in LAYERS]
    assert not missing


def test_table_covers_every_activation_and_dropout():
    wanted = _module_classes(torch.nn.modules.activation, NOT_ACTIVATIONS)
    wanted |= _module_classes(torch.nn.modules.dropout)
    assert len(wanted) > 30
    assert sorted(wanted - set(LAYERS)) == []


def test_bind_fills_defaults_and_rejects_what_python_rejects():
    spec = LAYERS["Conv2d"]
    params = spec.bind((3, 8, 3), {"padding": 1})
    assert params["stride"] == 1 and params["padding"] == 1 and params["padding_mode"] == "zeros"
    for args, kwargs in [((3,), {}), ((3, 8, 3), {"padding": 1, "bogus": 2}),
                         ((3, 8, 3), {"in_channels": 3}), ((3, 8, 3, 1, 1, 1, 1, True, "zeros", None, None, 1), {})]:
        with pytest.raises(BindError):
            spec.bind(args, kwargs)
        with pytest.raises(TypeError):
            torch.nn.Conv2d(*args, **kwargs)


def test_bind_keyword_only_and_varargs():
    assert LAYERS["BatchNorm2d"].bind((4,), {"bias": False})["bias"] is False
    with pytest.raises(BindError):
        LAYERS["BatchNorm2d"].bind((4, 1e-5, 0.1, True, True, None, None, False))
    LAYERS["Identity"].bind((1, 2), {"anything": 3})
    torch.nn.Identity(1, 2, anything=3)
