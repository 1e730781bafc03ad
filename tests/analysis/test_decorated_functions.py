"""Decorated helper functions are what their decorators make of them, as PyTorch runs them: a
wrapper that changes the result, a registry that returns the function, ``lru_cache`` and
``torch.no_grad``; a decorator that cannot be followed leaves the helper unknown, never the
undecorated function (which once gave a wrong width)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from support.cli import shapes_json

torch = pytest.importorskip("torch")
from support.torch_oracle import first_outputs  # noqa: E402  (needs torch)

MODEL = '''\
import functools
from functools import lru_cache, wraps

import torch
import torch.nn as nn

REGISTRY = {}


def doubled(fn):
    @wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs) * 2
    return wrapper


def register(name):
    def add(fn):
        REGISTRY[name] = fn
        return fn
    return add


def plus(extra):
    def decorate(fn):
        def shifted(base):
            return fn(base) + extra
        return shifted
    return decorate


@doubled
def width():
    return 4


@register("stem")
@lru_cache(maxsize=None)
def stem(channels):
    return nn.Conv2d(3, channels, 3, padding=1)


@functools.lru_cache()
@plus(3)
def hidden(base):
    return base * 2


@torch.no_grad()
def head_channels():
    return 6


@{unknown}
def mystery():
    return 7


class Net(nn.Module):  # shapelint: input=(2, 3, 8, 8)
    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, width(), 3, padding=1)
        self.b = REGISTRY["stem"](5)
        self.c = nn.Conv2d(width() + 5, hidden(2), 1)
        self.d = nn.Conv2d(hidden(2), head_channels(), 1)
        self.e = nn.Conv2d(head_channels(), mystery(), 1)

    def forward(self, x):
        x = torch.cat([self.a(x), self.b(x)], dim=1)
        return self.e(self.d(self.c(x)))
'''

#: A decorator the analysis cannot follow (its module is not available): the helper is unknown.
UNFOLLOWED = "some_library.magic"


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(f"decorated_{abs(hash(str(path)))}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_decorated_helpers_give_pytorchs_shapes(tmp_path: Path):
    path = tmp_path / "model.py"
    path.write_text(MODEL.replace("{unknown}", "functools.lru_cache(maxsize=2)"))
    _, expected = first_outputs(_load(path).Net(), (2, 3, 8, 8))
    code, data, _ = shapes_json(str(path), "--no-cache")
    [model] = data["models"]
    got = {layer["name"]: tuple(layer["output"]) for layer in model["layers"] if layer["name"]}
    assert got == {name: shape for name, shape in expected.items() if name}
    assert tuple(model["output"]) == expected[""] == (2, 7, 8, 8)


def test_a_decorator_not_followed_leaves_the_helper_unknown(tmp_path: Path, monkeypatch):
    path = tmp_path / "model.py"
    path.write_text(MODEL.replace("{unknown}", UNFOLLOWED).replace(
        "import torch\n", "import torch\nimport some_library\n", 1))
    library = tmp_path / "lib"
    library.mkdir()
    (library / "some_library.py").write_text("def magic(fn):\n    return lambda: fn() + 1\n")
    monkeypatch.syspath_prepend(str(library))
    _, expected = first_outputs(_load(path).Net(), (2, 3, 8, 8))
    assert expected["e"] == (2, 8, 8, 8)  # PyTorch: 7 + 1 channels, which shapelint cannot see
    sys.modules.pop("some_library", None)
    code, data, _ = shapes_json(str(path), "--no-cache")
    [model] = data["models"]
    e = next(layer for layer in model["layers"] if layer["name"] == "e")
    assert e["output"] == [2, None, 8, 8] and model["output"] == [2, None, 8, 8]
