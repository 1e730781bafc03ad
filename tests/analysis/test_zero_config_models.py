"""Issue 13, zero-config: real architectures with no declaration at all, analysed by `shapelint
shapes` on the probe their first layer shapes ([b, 3, h, w], [b, 4, t]), checked against PyTorch
(CPU) for every size 1..200 of each name (the other fixed at a size that works): `accepts` holds
exactly when PyTorch runs the model, and each dim of the output, an expression of the names,
equals PyTorch's size. The models are those of test_symbolic_models.py with their declarations
stripped, and a pix2pix-style recursive U-Net and a two-level U-Net of their own."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.analysis import test_symbolic_models as declared
from tests.support.cli import check_json, shapes_json
from tests.support.zeroconf import strip_declarations

PIX2PIX = """
class SkipBlock(nn.Module):
    \"\"\"One level of a recursive U-Net: down, the inner levels, up, then the input beside it.\"\"\"

    def __init__(self, outer, inner, in_channels=None, inside=None, outermost=False):
        super().__init__()
        self.outermost = outermost
        down = nn.Conv2d(outer if in_channels is None else in_channels, inner, 4, stride=2, padding=1)
        if inside is None:
            layers = [nn.LeakyReLU(0.2), down, nn.ReLU(), nn.ConvTranspose2d(inner, outer, 4, stride=2, padding=1)]
        elif outermost:
            layers = [down, inside, nn.ReLU(), nn.ConvTranspose2d(2 * inner, outer, 4, stride=2, padding=1), nn.Tanh()]
        else:
            layers = [nn.LeakyReLU(0.2), down, inside, nn.ReLU(),
                      nn.ConvTranspose2d(2 * inner, outer, 4, stride=2, padding=1)]
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        if self.outermost:
            return self.model(x)
        return torch.cat([x, self.model(x)], 1)


class Pix2PixUNet(nn.Module):
    def __init__(self, depth=5):
        super().__init__()
        block = SkipBlock(4, 4)
        for _ in range(depth - 2):
            block = SkipBlock(4, 4, inside=block)
        self.net = SkipBlock(2, 4, in_channels=3, inside=block, outermost=True)

    def forward(self, x):
        return self.net(x)
"""

UNET2 = """
class UNet2(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc1 = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU())
        self.enc2 = nn.Sequential(nn.MaxPool2d(2), nn.Conv2d(2, 4, 3, padding=1), nn.ReLU())
        self.bottom = nn.Sequential(nn.MaxPool2d(2), nn.Conv2d(4, 4, 3, padding=1))
        self.up2 = nn.ConvTranspose2d(4, 4, 2, stride=2)
        self.dec2 = nn.Conv2d(8, 2, 3, padding=1)
        self.up1 = nn.ConvTranspose2d(2, 2, 2, stride=2)
        self.dec1 = nn.Conv2d(4, 1, 1)

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(e1)
        d2 = self.dec2(torch.cat([e2, self.up2(self.bottom(e2))], dim=1))
        return self.dec1(torch.cat([e1, self.up1(d2)], dim=1))
"""

#: name -> (source, the input's shape for given sizes, the sizes the other names are fixed at,
#: the probe's input as `shapes` gives it)
MODELS = {
    **{key: (strip_declarations(declared.HEADER + textwrap.dedent(source)), shape, fixed)
       for key, (source, shape, fixed) in declared.MODELS.items()},
    "pix2pix": (declared.HEADER + textwrap.dedent(PIX2PIX), lambda h, w: (1, 3, h, w), {"h": 64, "w": 64}),
    "unet2": (declared.HEADER + textwrap.dedent(UNET2), lambda h, w: (1, 1, h, w), {"h": 16, "w": 16}),
}


def _analysed(key: str, tmp_path: Path):
    source, _, _ = MODELS[key]
    assert "Float[" not in source and "# shapelint" not in source  # nothing declared
    path = tmp_path / f"{key}.py"
    path.write_text(source)
    _, data, _ = shapes_json(str(path), "--no-cache")
    model = [m for m in data["models"] if m["layers"] and "." not in m["name"]][-1]
    return path, model


@pytest.mark.parametrize("key", sorted(MODELS))
def test_accepts_and_output_match_pytorch(key, tmp_path: Path):
    _, shape_of, fixed = MODELS[key]
    path, model = _analysed(key, tmp_path)
    names = list(fixed)
    # The probe: the rank and channels of the first layer, the other sizes names.
    assert model["input"] == ["b", shape_of(1, 1)[1]] + names, model["input"]
    assert model["accepts"] is not None, model
    assert all(isinstance(d, (int, str)) for d in model["output"]), model["output"]
    namespace: dict = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)  # noqa: S102
    net = namespace[model["name"]]().eval()
    declared.sweep_against_pytorch(key, net, model, shape_of, fixed)


@pytest.mark.parametrize("key", sorted(MODELS))
def test_a_model_with_gaps_in_its_sizes_gets_no_diagnostic(key, tmp_path: Path):
    """Failing for some sizes is no error without a declaration, and no SHP203 either (that is
    about a declared input): the sizes are the model's `accepts`."""
    path, _ = _analysed(key, tmp_path)
    _, diagnostics, _ = check_json(str(path))
    assert [d for d in diagnostics if d["code"].startswith("SHP1") or d["code"] == "SHP203"] == []


def test_pix2pix_of_depth_5_takes_multiples_of_32_and_one_more(tmp_path: Path):
    """Its outermost level has no skip: an odd size loses its last row there, as in PyTorch."""
    _, model = _analysed("pix2pix", tmp_path)
    assert model["accepts"] == ["h % 32 <= 1", "h >= 32", "w % 32 <= 1", "w >= 32"]
    assert model["output"] == ["b", 2, "h//2*2", "w//2*2"]


def test_a_vocoder_that_starts_with_a_reflection_pad_takes_its_channels_from_the_conv(tmp_path: Path):
    _, model = _analysed("vocoder", tmp_path)
    assert model["input"] == ["b", 4, "t"]
    assert model["accepts"] == ["t >= 4"]


def test_the_probe_takes_no_name_the_file_declares(tmp_path: Path):
    """A statement pragma names b, h and w (sizes of its own): the probe's names are others, so
    no size of the model is taken for the pragma's."""
    path = tmp_path / "names.py"
    path.write_text(declared.HEADER + textwrap.dedent("""
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = nn.Conv2d(3, 8, 3)
                self.out = nn.Conv2d(8, 2, 1)

            def forward(self, x):
                y = self.conv(x)  # shapelint: output=(b, 8, h, w)
                return self.out(y)
        """))
    _, data, _ = shapes_json(str(path), "--no-cache")
    (model,) = data["models"]
    assert model["input"] == ["b0", 3, "h0", "w0"]
    assert model["output"] == ["b0", 2, "h0 - 2", "w0 - 2"]
    assert model["accepts"] == ["h0 >= 3", "w0 >= 3"]
