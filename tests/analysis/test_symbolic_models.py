"""Issue 13 end to end: real architectures declared with names ("b 3 h w"), analysed by
`shapelint shapes`, checked against PyTorch (CPU) for every size 1..200 of one name (the others
fixed at a size that works): `accepts` holds exactly when PyTorch runs the model, and each dim
of the output, an expression of the names, equals PyTorch's size."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Dict

import pytest
import torch

from shapelint.core import symbolic
from tests.support.cli import shapes_json

HEADER = """\
import torch
import torch.nn as nn
import torch.nn.functional as F
from jaxtyping import Float
from torch import Tensor
"""

UNET = """
class UNet(nn.Module):
    def __init__(self, depth: int = {depth}):
        super().__init__()
        self.inc = nn.Conv2d(3, 2, 3, padding=1)
        self.downs = nn.ModuleList([nn.Sequential(nn.MaxPool2d(2), nn.Conv2d(2, 2, 3, padding=1), nn.ReLU())
                                    for _ in range(depth)])
        self.ups = nn.ModuleList([nn.ConvTranspose2d(2, 2, 2, stride=2) for _ in range(depth)])
        self.decs = nn.ModuleList([nn.Conv2d(4, 2, 3, padding=1) for _ in range(depth)])
        self.out = nn.Conv2d(2, 2, 1)

    def forward(self, x: Float[Tensor, "b 3 h w"]) -> Float[Tensor, "b 2 h w"]:
        x = self.inc(x)
        skips = []
        for down in self.downs:
            skips.append(x)
            x = down(x)
        for up, dec in zip(self.ups, self.decs):
            x = dec(torch.cat([skips.pop(), up(x)], dim=1))
        return self.out(x)
"""

AUTOENCODER = """
class AutoEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 2, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(2, 2, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(2, 2, 5, stride=3),
        )
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(2, 2, 5, stride=3), nn.ReLU(),
            nn.ConvTranspose2d(2, 2, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
            nn.ConvTranspose2d(2, 1, 3, stride=2, padding=1, output_padding=1),
        )

    def forward(self, x: Float[Tensor, "b 1 h w"]):
        return self.decoder(self.encoder(x))
"""

VOCODER = """
class Vocoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.pre = nn.Sequential(nn.ReflectionPad1d(3), nn.Conv1d(4, 4, 7))
        self.up1 = nn.ConvTranspose1d(4, 2, 16, stride=8, padding=4)
        self.res = nn.Sequential(nn.ReflectionPad1d(2), nn.Conv1d(2, 2, 3, dilation=2))
        self.up2 = nn.ConvTranspose1d(2, 1, 4, stride=2, padding=1)
        self.post = nn.Sequential(nn.ReflectionPad1d(3), nn.Conv1d(1, 1, 7))

    def forward(self, mel: Float[Tensor, "b 4 t"]):
        x = self.up1(self.pre(mel))
        x = x + self.res(x)
        return self.post(self.up2(x))
"""

CLASSIFIER = """
class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.short = nn.Conv2d(cin, cout, 1, stride=stride)

    def forward(self, x):
        return F.relu(self.conv2(F.relu(self.conv1(x))) + self.short(x))


class ResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 2, 7, stride=2, padding=3), nn.MaxPool2d(3, 2, padding=1))
        self.layers = nn.Sequential(Block(2, 2, 1), Block(2, 4, 2), Block(4, 4, 2))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(4, 10)

    def forward(self, x: Float[Tensor, "b 3 h w"]) -> Float[Tensor, "b 10"]:
        x = self.pool(self.layers(self.stem(x)))
        return self.fc(torch.flatten(x, 1))
"""

CEIL_POOLS = """
class CeilPools(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 1, 3), nn.MaxPool2d(3, 2, ceil_mode=True),
            nn.Conv2d(1, 1, 3), nn.AvgPool2d(2, ceil_mode=True), nn.MaxPool2d(3, 3, padding=1, ceil_mode=True),
        )

    def forward(self, x: Float[Tensor, "b 1 h w"]):
        return self.body(x)
"""

#: name -> (source, the input's shape for given sizes, the sizes the other names are fixed at)
MODELS = {
    "unet3": (UNET.format(depth=3), lambda h, w: (1, 3, h, w), {"h": 16, "w": 16}),
    "unet4": (UNET.format(depth=4), lambda h, w: (1, 3, h, w), {"h": 32, "w": 32}),
    "autoencoder": (AUTOENCODER, lambda h, w: (1, 1, h, w), {"h": 40, "w": 40}),
    "vocoder": (VOCODER, lambda t, _: (1, 4, t), {"t": 20}),
    "classifier": (CLASSIFIER, lambda h, w: (1, 3, h, w), {"h": 32, "w": 32}),
    "ceil_pools": (CEIL_POOLS, lambda h, w: (1, 1, h, w), {"h": 30, "w": 30}),
}


def _accepted(conditions, values: Dict[str, int]) -> bool:
    return all(eval(c, {"__builtins__": {}}, dict(values)) for c in conditions)  # noqa: S307


def _size(dim, values: Dict[str, int]) -> int:
    return dim if isinstance(dim, int) else symbolic.evaluate(symbolic.parse(dim), values)


def sweep_against_pytorch(key: str, net, model: dict, shape_of, fixed: Dict[str, int]) -> None:
    """For each name in turn, every size 1..200 (the others at ``fixed``): ``accepts`` holds
    exactly when PyTorch runs ``net``, and then the output expressions are PyTorch's shape."""
    names = list(fixed)
    runs = 0
    with torch.no_grad():
        for varied in names:
            for size in range(1, 201):
                values = dict(fixed, **{varied: size})
                sizes = [values[n] for n in names] + [None] * (2 - len(names))
                try:
                    out = net(torch.zeros(shape_of(*sizes)))
                except RuntimeError:
                    out = None
                accepted = _accepted(model["accepts"], dict(values, b=1))
                assert accepted == (out is not None), (key, values, model["accepts"])
                if out is not None:
                    runs += 1
                    got = [_size(d, dict(values, b=1)) for d in model["output"]]
                    assert got == list(out.shape), (key, values, model["output"])
    assert runs > 0


@pytest.mark.parametrize("key", sorted(MODELS))
def test_accepts_and_output_match_pytorch(key, tmp_path: Path):
    source, shape_of, fixed = MODELS[key]
    path = tmp_path / f"{key}.py"
    path.write_text(HEADER + textwrap.dedent(source))
    code, data, _ = shapes_json(str(path), "--no-cache")
    (model,) = [m for m in data["models"] if m["layers"] and "." not in m["name"]][-1:]
    assert model["accepts"] is not None, model
    assert all(isinstance(d, (int, str)) for d in model["output"]), model["output"]
    namespace: dict = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)  # noqa: S102
    net = namespace[model["name"]]().eval()
    sweep_against_pytorch(key, net, model, shape_of, fixed)


def test_unet_depth_4_accepts_multiples_of_16(tmp_path: Path):
    path = tmp_path / "unet.py"
    path.write_text(HEADER + textwrap.dedent(UNET.format(depth=4)))
    _, data, _ = shapes_json(str(path), "--no-cache")
    (model,) = data["models"]
    assert model["accepts"] == ["h % 16 == 0", "w % 16 == 0"]
    assert model["output"] == ["b", 2, "h", "w"]


SYMBOLIC_SLIPS = {
    # (layer as written, what the declaration wants of h): each misses it for every size.
    "convtranspose_kernel": ("nn.ConvTranspose2d(4, 4, 3, stride=2, padding=1)", "2*h"),
    "convtranspose_padding": ("nn.ConvTranspose2d(4, 4, 4, stride=2, padding=2)", "2*h"),
    "strided_conv_padding": ("nn.Conv2d(4, 4, 3, stride=2, padding=0)", "(h+1)//2"),
    "same_conv_padding": ("nn.Conv2d(4, 4, 5, padding=1)", "h"),
}


@pytest.mark.parametrize("key", sorted(SYMBOLIC_SLIPS))
def test_a_fix_for_every_size_holds_in_pytorch_for_every_size(key, tmp_path: Path):
    layer, wanted = SYMBOLIC_SLIPS[key]
    out_h, out_w = wanted, wanted.replace("h", "w")
    path = tmp_path / "model.py"
    path.write_text(textwrap.dedent(f'''\
        import torch.nn as nn
        from jaxtyping import Float
        from torch import Tensor


        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.layer = {layer}

            def forward(self, x: Float[Tensor, "b 4 h w"]) -> Float[Tensor, "b 4 {out_h} {out_w}"]:
                return self.layer(x)
        '''))
    from tests.support.cli import run_cli

    before = run_cli("check", "--no-cache", "--format", "json", str(path)).json()
    assert [d["code"] for d in before if d["code"].startswith("SHP1")] == ["SHP101"]
    assert "every size" in before[[d["code"] for d in before].index("SHP101")]["message"]
    fixed = run_cli("check", "--no-cache", "--fix", "--unsafe-fixes", str(path))
    after = run_cli("check", "--no-cache", "--format", "json", str(path)).json()
    assert not [d for d in after if d["code"].startswith("SHP1")], fixed.stdout
    namespace: Dict[str, object] = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)  # noqa: S102 - the fixed model
    model = namespace["Net"]().eval()
    with torch.no_grad():
        for h in range(1, 41):
            w = h + 3
            got = tuple(model(torch.randn(1, 4, h, w)).shape)
            assert got == (1, 4, symbolic.evaluate(symbolic.parse(out_h), {"h": h}),
                           symbolic.evaluate(symbolic.parse(out_w), {"w": w})), (key, h, path.read_text())
