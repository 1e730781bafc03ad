"""The registries of torch semantics: read-only, each name once, names that torch has."""

from __future__ import annotations

import pytest
import torch

from shapelint.analysis.torch_semantics.functions import FUNCTIONALS, TORCH_FUNCTIONS
from shapelint.analysis.torch_semantics.module_calls import MODULE_CALLS
from shapelint.analysis.torch_semantics.module_methods import CONTAINERS, MODULE_METHODS
from shapelint.analysis.torch_semantics.registry import registry
from shapelint.analysis.torch_semantics.tensor_methods import TENSOR_ATTRIBUTES, TENSOR_METHODS

REGISTRIES = {
    "TENSOR_METHODS": TENSOR_METHODS, "TENSOR_ATTRIBUTES": TENSOR_ATTRIBUTES,
    "TORCH_FUNCTIONS": TORCH_FUNCTIONS, "FUNCTIONALS": FUNCTIONALS, "MODULE_METHODS": MODULE_METHODS,
    "MODULE_CALLS": MODULE_CALLS, "CONTAINERS": CONTAINERS,
}


def _handler(*args):
    return None


def test_a_name_registered_twice_fails():
    with pytest.raises(ValueError, match="'view' is registered twice"):
        registry((("view", "reshape"), _handler), (("view",), _handler))


@pytest.mark.parametrize("name", sorted(REGISTRIES))
def test_registries_are_read_only(name):
    table = REGISTRIES[name]
    assert len(table) > 0
    with pytest.raises(TypeError):
        table["added"] = _handler  # type: ignore[index]


def test_tensor_attributes_are_torchs():
    assert sorted(n for n in TENSOR_ATTRIBUTES if not hasattr(torch.Tensor, n)) == []


def test_module_methods_are_torchs():
    classes = (torch.nn.Module, torch.nn.Sequential, torch.nn.ModuleList, torch.nn.ModuleDict)
    # Dunder names are the interpreter's own (``__base_init__`` is ``super().__init__``).
    missing = [n for n in MODULE_METHODS if not n.startswith("__") and not any(hasattr(c, n) for c in classes)]
    assert missing == []


def test_containers_are_torchs():
    assert all(issubclass(getattr(torch.nn, name), torch.nn.Module) for name in CONTAINERS)
