"""Unknown is contagious, never dropped (issue 11, point 1).

Each model is written into tmp_path: the model file in ``project/`` and a ``mylib.py`` in
``site/``, an installed library outside the project, which the analysis does not read. PyTorch imports and runs it with forward hooks on every module; then, for
every layer ``shapes --format json`` lists: its name is one of ``named_modules()``, its type is
that module's class name (or ``?``), every known dim is PyTorch's, and an unknown shape says why.
``check`` must report no SHP1xx on these models: they all run in PyTorch.
"""

from __future__ import annotations

import importlib.util
import itertools
import sys
from pathlib import Path
from typing import Dict, Optional, Tuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from support.cli import check_json, run_cli, shapes_json

torch = pytest.importorskip("torch")
nn = torch.nn

#: The library the models import; shapelint does not read other files.
MYLIB = '''\
import torch
from torch import nn

DEPTH = 2


class Down(nn.Module):
    """Halves H and W."""

    def __init__(self, channels):
        super().__init__()
        self.pool = nn.MaxPool2d(2)

    def forward(self, x):
        return self.pool(x)


def make_block(channels):
    return nn.Conv2d(channels, channels, 3, stride=2, padding=1)


def act(x):
    return torch.relu(x)[:, :, 1:, 1:]
'''

_counter = itertools.count()


def write_package(tmp_path: Path, source: str) -> Path:
    (tmp_path / "site").mkdir(exist_ok=True)
    (tmp_path / "site" / "mylib.py").write_text(MYLIB)
    (tmp_path / "project").mkdir(exist_ok=True)
    (tmp_path / "project" / "pyproject.toml").write_text("[project]\nname = 'models'\n")
    path = tmp_path / "project" / "model.py"
    path.write_text(source)
    return path


def torch_run(path: Path, name: str, shape: Tuple[int, ...]):
    """The model ``name`` of the file, built with defaults and called on ``shape``: its
    ``named_modules()`` types and the first output shape of every module PyTorch called."""
    library = str(path.parent.parent / "site")
    sys.path.insert(0, library)
    sys.modules.pop("mylib", None)
    try:
        spec = importlib.util.spec_from_file_location(f"_contagion_{next(_counter)}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(library)
        sys.modules.pop("mylib", None)
    model = getattr(module, name)()
    outputs: Dict[str, Optional[Tuple[int, ...]]] = {}

    def recorder(qualified):
        def hook(mod, args, output):  # returns None: the output stays as it is
            if qualified not in outputs:
                outputs[qualified] = tuple(output.shape) if isinstance(output, torch.Tensor) else None
        return hook

    handles = [m.register_forward_hook(recorder(n)) for n, m in model.named_modules()]
    with torch.no_grad():
        model.eval()(torch.zeros(shape))
    for handle in handles:
        handle.remove()
    types = {n: type(m).__name__ for n, m in model.named_modules()}
    return types, outputs


def assert_matches_torch(path: Path, name: str, shape: Tuple[int, ...], every_name: bool = True) -> dict:
    """The comparison of the module docstring; ``every_name``: the tool lists every module
    PyTorch has (its children are all enumerable). The tool's model, for more checks."""
    types, outputs = torch_run(path, name, shape)
    code, data, _ = shapes_json(str(path), "--no-cache", "--input", f"{name}=" + ",".join(map(str, shape)))
    assert code == 0
    (model,) = [m for m in data["models"] if m["name"] == name]
    assert model["accepts"] is None
    listed = {layer["name"]: layer for layer in model["layers"]}
    for layer_name, layer in listed.items():
        assert layer_name in types, f"{layer_name} is not a name of named_modules(): {sorted(types)}"
        assert layer["type"] in (types[layer_name], "?"), (layer_name, layer["type"], types[layer_name])
        assert layer["filename"] == model["filename"]
        out = layer["output"]
        known = out is not None and None not in out
        assert (layer["unknown_reason"] is None) == known, layer
        if out is None:
            continue
        real = outputs.get(layer_name)
        assert real is not None, f"{layer_name}: shapelint states {out}, PyTorch never called it"
        assert len(out) == len(real), (layer_name, out, real)
        for mine, theirs in zip(out, real):
            assert mine is None or mine == theirs, (layer_name, out, real)
    if every_name:
        # The submodules of a module whose class is unknown cannot be known.
        opaque = tuple(n + "." for n, item in listed.items() if item["type"] == "?")
        expected = {n for n in types if n and not n.startswith(opaque)}
        assert set(listed) == expected, (sorted(listed), sorted(expected))
    if model["output"] is not None:
        assert all(a is None or a == b for a, b in zip(model["output"], outputs[""]))
    code, diagnostics, _ = check_json(str(path), "--input", f"{name}=" + ",".join(map(str, shape)))
    false = [d for d in diagnostics if d["code"].startswith("SHP1")]
    assert not false, false
    return model


def layer(model: dict, name: str) -> dict:
    return next(item for item in model["layers"] if item["name"] == name)


# ----------------------------------------------------------------------------- the reproducers

REPRO_IMPORTED = '''\
import torch
from torch import nn
from mylib import Down


class Net(nn.Module):  # shapelint: input=(1, 3, 32, 32)
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), Down(8), nn.Flatten(), nn.Linear(8 * 16 * 16, 10))

    def forward(self, x):
        return self.body(x)
'''

REPRO_PARTIAL = '''\
import functools
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self, norm_layer=functools.partial(nn.InstanceNorm2d, affine=False)):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), norm_layer(8), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8 * 16 * 16, 10))

    def forward(self, x):
        return self.body(x)


if __name__ == "__main__":
    import torch
    print(Net()(torch.randn(1, 3, 32, 32)).shape)
'''


def test_imported_block_keeps_its_name_and_makes_the_rest_unknown(tmp_path):
    path = write_package(tmp_path, REPRO_IMPORTED)
    model = assert_matches_torch(path, "Net", (1, 3, 32, 32))
    down = layer(model, "body.1")
    assert down["type"] == "?" and down["output"] is None
    assert down["unknown_reason"] == "`Down` is imported from `mylib`, which is not read"
    assert layer(model, "body.2")["unknown_reason"] == "its input is unknown (from `body.1`)"
    assert layer(model, "body.3")["output"] is None
    assert layer(model, "body.0")["output"] == [1, 8, 32, 32]


def test_shp301_marks_the_first_unknown_with_its_reason(tmp_path):
    path = write_package(tmp_path, REPRO_IMPORTED)
    _, diagnostics, _ = check_json(str(path), "--select", "SHP301")
    (note,) = diagnostics
    assert note["code"] == "SHP301"
    assert note["location"] == {"row": 9, "column": REPRO_IMPORTED.splitlines()[8].index("Down(8)") + 1}
    assert "`Down` is imported from `mylib`, which is not read" in note["message"]
    assert "# shapelint: output=(...)" in note["message"]


def test_a_declared_output_of_the_unknown_block_is_followed(tmp_path):
    source = REPRO_IMPORTED.replace(
        "nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), Down(8), nn.Flatten(), nn.Linear(8 * 16 * 16, 10))",
        "nn.Sequential(\n            nn.Conv2d(3, 8, 3, padding=1),\n"
        "            Down(8),  # shapelint: output=(1, 8, 16, 16)\n"
        "            nn.Flatten(),\n            nn.Linear(8 * 16 * 16, 10),\n        )")
    path = write_package(tmp_path, source)
    model = assert_matches_torch(path, "Net", (1, 3, 32, 32))
    assert model["output"] == [1, 10]
    _, diagnostics, _ = check_json(str(path), "--select", "SHP301")
    assert diagnostics == []


def test_partial_norm_layer_builds_the_real_layer(tmp_path):
    path = write_package(tmp_path, REPRO_PARTIAL)
    model = assert_matches_torch(path, "Net", (1, 3, 32, 32))
    assert layer(model, "body.1")["type"] == "InstanceNorm2d"
    assert layer(model, "body.4")["output"] == [1, 10]


# ----------------------------------------------------------------------------- position of the unknown


@settings(max_examples=12)
@given(count=st.integers(0, 3), data=st.data())
def test_unknown_block_anywhere_in_a_sequential(tmp_path_factory, count, data):
    position = data.draw(st.integers(0, count), label="position")
    items = ["nn.Conv2d(8, 8, 3, padding=1)"] * count
    items.insert(position, "Down(8)")
    source = f'''\
import torch
from torch import nn
from mylib import Down


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 1)
        self.body = nn.Sequential({", ".join(items)})
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(8 * 8 * 8, 10))

    def forward(self, x):
        return self.head(self.body(self.stem(x)))
'''
    path = write_package(tmp_path_factory.mktemp("seq"), source)
    model = assert_matches_torch(path, "Net", (2, 3, 16, 16))
    assert layer(model, f"body.{position}")["type"] == "?"
    for later in range(position + 1, count + 1):
        assert layer(model, f"body.{later}")["output"] is None
    assert layer(model, "head.1")["unknown_reason"] is not None


# ----------------------------------------------------------------------------- other containers

MODULE_LIST = '''\
import torch
from torch import nn
from mylib import Down


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList([nn.Conv2d(3, 8, 3, padding=1), Down(8)])
        self.blocks.append(nn.Conv2d(8, 8, 3, padding=1))
        self.blocks.extend([Down(8), nn.ReLU()])
        self.blocks.insert(1, nn.ReLU())
        self.blocks += [Down(8)]
        self.head = nn.Conv2d(8, 4, 1)

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return self.head(x)
'''

MODULE_DICT = '''\
from collections import OrderedDict

import torch
from torch import nn
from mylib import Down


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.parts = nn.ModuleDict({"stem": nn.Conv2d(3, 8, 3, padding=1), "down": Down(8), "out": nn.Conv2d(8, 4, 1)})
        self.more = nn.Sequential(OrderedDict([("conv", nn.Conv2d(4, 4, 1)), ("down", Down(4)), ("relu", nn.ReLU())]))
        self.parts["late"] = nn.Identity()

    def forward(self, x):
        x = self.parts["stem"](x)
        x = self.parts["down"](x)
        return self.more(self.parts["out"](x))
'''

HELPER = '''\
import torch
from torch import nn
from mylib import make_block
import mylib


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), make_block(8), mylib.Down(8), nn.ReLU())
        self.side = nn.Conv2d(8, 8, 1)

    def forward(self, x):
        x = self.body(x)
        return self.side(mylib.act(x))
'''

SEQUENTIAL_SUBCLASS = '''\
import torch
from torch import nn
from mylib import Down


class Stack(nn.Sequential):
    pass


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = Stack(nn.Conv2d(3, 8, 3, padding=1), Down(8), nn.Conv2d(8, 8, 1))

    def forward(self, x):
        return self.body(x)
'''

PARTIALS = '''\
from functools import partial

import torch
from torch import nn


class Block(nn.Module):
    def __init__(self, c_in, c_out, stride=1):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1)

    def forward(self, x):
        return self.conv(x)


def conv_bn(c_in, c_out, kernel=3, stride=1):
    return nn.Sequential(nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=kernel // 2), nn.BatchNorm2d(c_out))


class Net(nn.Module):
    def __init__(self, norm=partial(nn.GroupNorm, 2)):
        super().__init__()
        down = partial(Block, stride=2)
        head = partial(conv_bn, kernel=1)
        self.body = nn.Sequential(down(3, 8), norm(num_channels=8), head(8, 4, stride=2))

    def forward(self, x):
        return self.body(x)
'''


UNKNOWN_CONDITION = '''\
import torch
from torch import nn
import mylib


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        if mylib.DEPTH > 1:
            self.conv = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        else:
            self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.head = nn.Conv2d(8, 4, 1)

    def forward(self, x):
        return self.head(self.conv(x))
'''


LIST_OF_LAYERS = '''\
import torch
from torch import nn
from mylib import Down


def stage(c):
    layers = [nn.Conv2d(c, c, 3, padding=1)]
    layers.append(Down(c))
    layers += [nn.ReLU()]
    return layers


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 1)
        self.body = nn.Sequential(*stage(8), *stage(8), nn.Conv2d(8, 4, 1))

    def forward(self, x):
        return self.body(self.stem(x))
'''


#: A Sequential subclass filled from a list an undecidable branch changed (torchvision's
#: ConvNormActivation with a norm layer of another library): not an empty Sequential.
SEQUENTIAL_FILLED_AFTER_A_BRANCH = '''\
import torch
from torch import nn
import mylib


class ConvNorm(nn.Sequential):
    def __init__(self, c_in, c_out, norm_layer=nn.BatchNorm2d):
        layers = [nn.Conv2d(c_in, c_out, 4, stride=4)]
        if norm_layer is not None:
            layers.append(norm_layer(c_out))
        super().__init__(*layers)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = ConvNorm(3, 8, norm_layer=mylib.Down)
        self.head = nn.Conv2d(8, 4, 1)

    def forward(self, x):
        return self.head(self.stem(x))
'''


@pytest.mark.parametrize("source", [MODULE_LIST, MODULE_DICT, HELPER, SEQUENTIAL_SUBCLASS, PARTIALS, UNKNOWN_CONDITION,
                                    LIST_OF_LAYERS],
                         ids=["modulelist", "moduledict", "helper", "sequential-subclass", "partials", "condition",
                              "list-of-layers"])
def test_containers_keep_unknown_items_in_place(tmp_path, source):
    path = write_package(tmp_path, source)
    assert_matches_torch(path, "Net", (1, 3, 16, 16))


def test_a_sequential_filled_from_a_list_a_branch_changed_is_unknown_not_empty(tmp_path):
    path = write_package(tmp_path, SEQUENTIAL_FILLED_AFTER_A_BRANCH)
    model = assert_matches_torch(path, "Net", (1, 3, 16, 16), every_name=False)
    listed = {layer["name"]: layer for layer in model["layers"]}
    assert listed["stem"]["output"] is None and listed["head"]["output"] is None


#: Blocks named by an OrderedDict built in a loop the analysis cannot count (torchvision's
#: RegNet): the Sequential's children are named by the keys, never "0".
ORDERED_BLOCKS_OF_UNKNOWN_COUNT = '''\
from collections import OrderedDict

import torch
from torch import nn
import mylib


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        blocks = []
        for i in range(mylib.DEPTH):
            blocks.append((f"block{i + 1}", nn.Conv2d(3, 3, 1)))
        self.trunk = nn.Sequential(OrderedDict(blocks))

    def forward(self, x):
        return self.trunk(x)
'''


#: Subclasses of torch layers, as torchvision and timm write them: a constructor that fixes some
#: arguments, a forward of its own around the layer's (``super().forward``), attributes read
#: from the layer (``self.normalized_shape``), one with no ``__init__``, and a method of the
#: layer's that is not modelled (``_conv_forward``): unknown from there, never guessed.
LAYER_SUBCLASSES = '''\
import torch
from torch import nn
import torch.nn.functional as F


class Conv3DSimple(nn.Conv3d):
    def __init__(self, in_planes, out_planes, stride=1, padding=1):
        super().__init__(in_channels=in_planes, out_channels=out_planes, kernel_size=(3, 3, 3),
                         stride=stride, padding=padding, bias=False)


class LayerNorm2d(nn.LayerNorm):
    def forward(self, x):
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


class PaddedConv(nn.Conv2d):
    """Pads by half its kernel, then convolves."""

    def __init__(self, c_in, c_out, kernel_size, **kwargs):
        super().__init__(c_in, c_out, kernel_size, padding=0, **kwargs)
        self.extra = kernel_size // 2

    def forward(self, x):
        return super().forward(F.pad(x, [self.extra] * 4))


class SameConv(nn.Conv2d):
    def forward(self, x):
        return self._conv_forward(F.pad(x, [1, 1, 1, 1]), self.weight, self.bias)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.video = Conv3DSimple(3, 8, stride=2)
        self.norm = LayerNorm2d(8)
        self.conv = PaddedConv(8, 8, 5, stride=2)
        self.same = SameConv(8, 4, 3)
        self.head = nn.Conv2d(4, 2, 1)

    def forward(self, x):
        x = self.video(x).mean(2)
        x = self.conv(self.norm(x))
        return self.head(self.same(x))
'''


#: What library code writes around its layers: a property, a static and a class method,
#: typing.cast, a to_2tuple built on collections.abc and itertools.repeat.
LIBRARY_IDIOMS = '''\
import collections.abc
from itertools import repeat
from typing import cast

import torch
from torch import nn


def to_2tuple(x):
    if isinstance(x, collections.abc.Iterable) and not isinstance(x, str):
        return tuple(x)
    return tuple(repeat(x, 2))


class Block(nn.Module):
    def __init__(self, c, kernel_size=3):
        super().__init__()
        self.c = c
        kernel_size = to_2tuple(kernel_size)
        padding = tuple((k - 1) // 2 for k in kernel_size)
        self.conv = nn.Conv2d(c, self.out_channels, kernel_size, padding=padding)
        self.proj = nn.Conv2d(self.out_channels, self.double(cast(int, c)), 1)

    @property
    def out_channels(self):
        return self.c * 2

    @staticmethod
    def double(x):
        return 2 * x

    @classmethod
    def make(cls, c, kernel_size):
        return cls(c, kernel_size)

    def forward(self, x):
        return self.proj(self.conv(x))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block.make(3, (5, 3))
        self.head = nn.Conv2d(6, 2, 1)

    def forward(self, x):
        return self.head(self.block(x))
'''


#: A stage list built from configuration objects, as EfficientNet-style code builds it: a
#: dataclass widened by a subclass's ``__init__``, a ``partial`` of it, ``copy.copy`` of each
#: config before it is changed, and a stochastic-depth residual whose mask is drawn in place
#: (``self.training`` is not known statically: both paths keep the shape).
CONFIG_STAGES = '''\
import copy
from dataclasses import dataclass
from functools import partial

import torch
from torch import nn


@dataclass
class _StageConfig:
    expand: int
    in_channels: int
    out_channels: int
    layers: int


class StageConfig(_StageConfig):
    def __init__(self, expand, in_channels, out_channels, layers, width=1.0):
        super().__init__(expand, int(in_channels * width), int(out_channels * width), layers)


def drop_path(x, p, training):
    if not training or p == 0.0:
        return x
    mask = torch.empty([x.shape[0], 1, 1, 1], dtype=x.dtype)
    mask.bernoulli_(1.0 - p)
    return x * mask.div_(1.0 - p)


class Block(nn.Module):
    def __init__(self, cnf, p):
        super().__init__()
        hidden = cnf.in_channels * cnf.expand
        self.residual = cnf.in_channels == cnf.out_channels
        self.body = nn.Sequential(nn.Conv2d(cnf.in_channels, hidden, 1), nn.ReLU(),
                                  nn.Conv2d(hidden, cnf.out_channels, 3, padding=1))
        self.p = p

    def forward(self, x):
        out = self.body(x)
        if self.residual:
            out = drop_path(out, self.p, self.training) + x
        return out


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        conf = partial(StageConfig, width=2.0)
        settings = [conf(1, 4, 4, 2), conf(2, 4, 8, 2)]
        stages = []
        for cnf in settings:
            blocks = []
            for i in range(cnf.layers):
                block_cnf = copy.copy(cnf)
                if blocks:
                    block_cnf.in_channels = block_cnf.out_channels
                blocks.append(Block(block_cnf, 0.1 * i))
            stages.append(nn.Sequential(*blocks))
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.stages = nn.Sequential(*stages)

    def forward(self, x):
        return self.stages(self.stem(x))
'''


def test_stages_built_from_configuration_objects_are_followed(tmp_path):
    path = write_package(tmp_path, CONFIG_STAGES)
    model = assert_matches_torch(path, "Net", (2, 3, 8, 8))
    assert model["output"] == [2, 16, 8, 8]


def test_library_idioms_are_followed(tmp_path):
    path = write_package(tmp_path, LIBRARY_IDIOMS)
    model = assert_matches_torch(path, "Net", (1, 3, 16, 16))
    assert model["output"] == [1, 2, 16, 16]


def test_subclasses_of_torch_layers_are_the_layers_they_build(tmp_path):
    path = write_package(tmp_path, LAYER_SUBCLASSES)
    model = assert_matches_torch(path, "Net", (1, 3, 8, 16, 16))
    listed = {layer["name"]: layer for layer in model["layers"]}
    assert [listed[n]["output"] for n in ("video", "norm", "conv")] == [[1, 8, 4, 8, 8], [1, 8, 8, 8], [1, 8, 4, 4]]
    assert listed["same"]["output"] is None and listed["same"]["type"] == "SameConv"
    assert listed["head"]["output"] is None


def test_a_sequential_of_an_ordered_dict_of_unknown_blocks_names_no_child(tmp_path):
    path = write_package(tmp_path, ORDERED_BLOCKS_OF_UNKNOWN_COUNT)
    model = assert_matches_torch(path, "Net", (1, 3, 8, 8), every_name=False)
    assert [layer["name"] for layer in model["layers"]] == ["trunk"]


def test_every_unknown_of_a_module_list_has_its_reason(tmp_path):
    path = write_package(tmp_path, MODULE_LIST)
    model = assert_matches_torch(path, "Net", (1, 3, 16, 16))
    assert [layer(model, f"blocks.{i}")["type"] for i in range(7)] == \
        ["Conv2d", "ReLU", "?", "Conv2d", "?", "ReLU", "?"]
    assert layer(model, "blocks.2")["unknown_reason"] == "`Down` is imported from `mylib`, which is not read"
    assert layer(model, "blocks.3")["unknown_reason"] == "its input is unknown (from `blocks.2`)"


def test_a_helper_and_a_function_of_another_file(tmp_path):
    path = write_package(tmp_path, HELPER)
    model = assert_matches_torch(path, "Net", (1, 3, 16, 16))
    assert layer(model, "body.1")["unknown_reason"] == "`make_block` is imported from `mylib`, which is not read"
    assert layer(model, "body.2")["unknown_reason"] == "`mylib.Down` is imported from `mylib`, which is not read"


def test_partials_of_layers_classes_and_functions(tmp_path):
    path = write_package(tmp_path, PARTIALS)
    model = assert_matches_torch(path, "Net", (1, 3, 16, 16))
    assert all(item["unknown_reason"] is None for item in model["layers"])
    assert layer(model, "body.2.0")["output"] == [1, 4, 4, 4]


# ----------------------------------------------------------------------------- unknown counts

UNKNOWN_COUNT = '''\
import torch
from torch import nn
import mylib


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        layers = []
        for _ in range(mylib.DEPTH):
            layers.append(nn.Conv2d(8, 8, 3, padding=1))
        self.body = nn.Sequential(nn.Conv2d(3, 8, 1), nn.ReLU(), *layers, nn.Flatten(), nn.Linear(8 * 16 * 16, 10))
        self.tail = nn.ModuleList([nn.Identity() for _ in range(mylib.DEPTH)])
        self.head = nn.Linear(10, 2)

    def forward(self, x):
        x = self.body(x)
        for t in self.tail:
            x = t(x)
        return self.head(x)
'''


def test_no_child_name_after_an_unknown_count(tmp_path):
    path = write_package(tmp_path, UNKNOWN_COUNT)
    model = assert_matches_torch(path, "Net", (1, 3, 16, 16), every_name=False)
    names = {item["name"] for item in model["layers"]}
    assert {"body.0", "body.1", "head"} <= names
    assert not {n for n in names if n.startswith(("body.", "tail.")) and n not in ("body.0", "body.1")}


def test_an_attribute_that_cannot_be_evaluated_is_not_given_a_name(tmp_path):
    source = REPRO_IMPORTED.replace("self.body = nn.Sequential(",
                                    "self.down = Down(8)\n        self.body = nn.Sequential(")
    source = source.replace("return self.body(x)", "return self.body(x) + self.down(x)[:, :1, :1, :1].sum()")
    path = write_package(tmp_path, source)
    model = assert_matches_torch(path, "Net", (1, 3, 32, 32), every_name=False)
    assert "down" not in {item["name"] for item in model["layers"]}


# ----------------------------------------------------------------------------- the text table


def test_text_table_gives_each_reason_once(tmp_path):
    path = write_package(tmp_path, REPRO_IMPORTED)
    result = run_cli("shapes", str(path), "--no-cache")
    assert result.code == 0
    lines = result.stdout.splitlines()
    reasons = lines[lines.index("Unknown because:") + 1:]
    assert len(reasons) == len(set(reasons)) == 3
    down_row = next(line for line in lines if line.strip().startswith("body.1"))
    number = down_row.split()[-1]
    assert any(r.strip().startswith(number) and "`Down` is imported" in r for r in reasons)


def test_a_statement_pragma_declares_what_an_unknown_call_gives(tmp_path):
    source = HELPER.replace("return self.side(mylib.act(x))",
                            "y = mylib.act(x)  # shapelint: output=(1, 8, 3, 3)\n        return self.side(y)")
    path = write_package(tmp_path, source)
    model = assert_matches_torch(path, "Net", (1, 3, 16, 16))
    assert layer(model, "side")["output"] == [1, 8, 3, 3]


def test_the_first_unknown_call_in_forward_is_marked(tmp_path):
    source = HELPER.replace("mylib.Down(8)", "nn.Identity()").replace("make_block(8)", "nn.ReLU()")
    path = write_package(tmp_path, source)
    row = next(i for i, text in enumerate(source.splitlines(), 1) if "mylib.act(x)" in text)
    model = assert_matches_torch(path, "Net", (1, 3, 16, 16))
    assert layer(model, "side")["unknown_reason"] == f"its input is unknown (from `mylib.act(x)` on line {row})"
    _, diagnostics, _ = check_json(str(path), "--select", "SHP301", "--input", "Net=1,3,16,16")
    (note,) = diagnostics
    assert note["location"]["row"] == row
    assert "`mylib.act` is imported from `mylib`, which is not read" in note["message"]


APPEND_AFTER_UNKNOWN_COUNT = '''\
import torch
from torch import nn
import mylib


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList([nn.Conv2d(3, 3, 3, padding=1)])
        self.blocks.extend([nn.Conv2d(3, 3, 3, padding=1) for _ in range(mylib.DEPTH)])
        self.blocks.append(nn.Conv2d(3, 8, 1))
        self.blocks.insert(0, nn.ReLU())
        self.blocks += [nn.ReLU()]
        self.more = nn.ModuleList([nn.Identity() for _ in range(mylib.DEPTH)]) + [nn.ReLU()]

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return x
'''


def test_no_index_is_given_after_an_unknown_number_of_items(tmp_path):
    path = write_package(tmp_path, APPEND_AFTER_UNKNOWN_COUNT)
    model = assert_matches_torch(path, "Net", (1, 3, 8, 8), every_name=False)
    names = {item["name"] for item in model["layers"]}
    assert names == {"blocks", "blocks.0", "blocks.1", "more"}  # insert(0, ...) moved the known one


def test_a_module_built_under_an_unknown_condition_is_marked_where_it_is_called(tmp_path):
    path = write_package(tmp_path, UNKNOWN_CONDITION)
    model = assert_matches_torch(path, "Net", (1, 3, 16, 16))
    assert layer(model, "conv")["output"] is None
    assert layer(model, "head")["unknown_reason"] == "its input is unknown (from `conv`)"
    _, diagnostics, _ = check_json(str(path), "--select", "SHP301", "--input", "Net=1,3,16,16")
    (note,) = diagnostics
    row = next(i for i, text in enumerate(UNKNOWN_CONDITION.splitlines(), 1) if "return self.head" in text)
    assert note["location"]["row"] == row and "built under a condition" in note["message"]
