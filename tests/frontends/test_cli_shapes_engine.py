"""``shapelint shapes`` end to end: every layer's inferred output equals what PyTorch's forward
hooks see, named as ``named_modules()`` names them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

MODEL = '''\
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, stride=2),
        )
        self.head = nn.Linear(16 * 7 * 7, 10)

    def forward(self, x):
        return self.head(torch.flatten(self.features(x), 1))


decoder = nn.Sequential(nn.ConvTranspose2d(4, 2, 4, stride=2, padding=1), nn.Tanh())
'''


def shapes(*args: str, cwd: Path):
    return subprocess.run([sys.executable, "-m", "shapelint", "shapes", *args],
                          capture_output=True, text=True, cwd=cwd)


def torch_outputs(model, x):
    seen = {}

    def recorder(name):
        def hook(module, args, output):  # returns None: a hook's return value replaces the output
            seen.setdefault(name, list(output.shape))
        return hook

    hooks = [m.register_forward_hook(recorder(name)) for name, m in model.named_modules()]
    with torch.no_grad():
        model.eval()(x)
    for hook in hooks:
        hook.remove()
    return seen


def test_shapes_match_pytorch(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")  # the cache goes here
    (tmp_path / "model.py").write_text(MODEL)
    proc = shapes("model.py", "--format", "json", "--input", "Net=2,3,32,32", "--input", "decoder=5,4,8,8",
                  cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    warm = shapes("model.py", "--format", "json", "--input", "Net=2,3,32,32", "--input", "decoder=5,4,8,8",
                  cwd=tmp_path)
    assert warm.stdout == proc.stdout and (tmp_path / ".shapelint_cache").is_dir()
    models = {m["name"]: m for m in json.loads(proc.stdout)["models"]}
    assert set(models) == {"Net", "decoder"}
    namespace: dict = {}
    exec(compile(MODEL, "model.py", "exec"), namespace)
    cases = {"Net": (namespace["Net"](), (2, 3, 32, 32)), "decoder": (namespace["decoder"], (5, 4, 8, 8))}
    for name, (model, size) in cases.items():
        expected = torch_outputs(model, torch.randn(*size))
        got = {layer["name"]: layer["output"] for layer in models[name]["layers"]}
        for layer_name, shape in expected.items():
            if layer_name:  # the model itself is the model's "output"
                assert got.get(layer_name) == shape, (name, layer_name, got)
        assert models[name]["output"] == expected[""]
        assert models[name]["input"] == list(size) and models[name]["filename"] == "model.py"


def test_text_table(tmp_path):
    (tmp_path / "model.py").write_text(MODEL)
    proc = shapes("model.py", "--input", "Net=2,3,32,32", "--no-cache", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "Net (model.py:5)"
    assert any(line.split() == ["features.3", "Conv2d", "[2,", "16,", "7,", "7]"] for line in lines), lines
    # Without a declared input the decoder runs on a probe its first layer shapes ([b, 4, h, w]):
    # its sizes are expressions of those names, never a guessed number.
    decoder = proc.stdout.split("decoder (model.py:")[1].splitlines()
    assert any(line.split() == ["0", "ConvTranspose2d", "[b,", "2,", "2*h,", "2*w]"] for line in decoder), decoder
    assert "Input shape:  [b, 4, h, w] (not declared: rank and channels from its first layer)" in decoder
