"""Models sized by configuration (tests/cases/configs/): every layer shape ``shapelint shapes``
infers is the one PyTorch's forward hooks see when the file runs as a script without options,
from its directory (argparse defaults, the config file next to it), and every layer is inferred."""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
from pathlib import Path
from typing import Dict, List, Optional

import pytest

from shapelint.frontends.cli import main

torch = pytest.importorskip("torch")

CONFIGS = Path(__file__).resolve().parent.parent / "cases" / "configs"

#: (case file, model name, how the script builds it, its input, shapelint's extra arguments)
MODELS = [
    ("dcgan_argparse.py", "Generator", "Generator()", (2, 100, 1, 1), ["--input", "Generator=2,100,1,1"]),
    ("dcgan_argparse.py", "Discriminator", "Discriminator()", (2, 3, 32, 32), ["--input", "Discriminator=2,3,32,32"]),
    ("vocoder_json.py", "Generator", "Generator(h)", (1, 80, 8), []),
    ("cyclegan_partial_norm.py", "ResnetGenerator", "ResnetGenerator()", (1, 3, 32, 32),
     ["--input", "ResnetGenerator=1,3,32,32"]),
    ("dataclass_yaml.py", "Classifier", "Classifier(Settings())", (2, 1, 28, 28), []),
    ("closures.py", "RRDBNet", "RRDBNet()", (1, 3, 12, 12), ["--input", "RRDBNet=1,3,12,12"]),
]


@contextlib.contextmanager
def as_a_script(path: Path):
    directory, argv = os.getcwd(), sys.argv
    os.chdir(path.parent)
    sys.argv = [str(path)]
    try:
        yield
    finally:
        os.chdir(directory)
        sys.argv = argv


def torch_layers(path: Path, build: str, shape) -> Dict[str, Optional[List[int]]]:
    """Each named module's first output in PyTorch."""
    namespace: Dict[str, object] = {"__name__": "config_case"}
    with as_a_script(path):
        exec(compile(path.read_text(encoding="utf-8"), str(path), "exec", dont_inherit=True), namespace)  # noqa: S102
        model = eval(build, namespace)  # noqa: S307 - the test's own expression
    seen: Dict[str, Optional[List[int]]] = {}
    hooks = []
    for name, module in model.named_modules():
        def hook(mod, args, output, name=name):
            if name not in seen:
                seen[name] = list(output.shape) if isinstance(output, torch.Tensor) else None
        hooks.append(module.register_forward_hook(hook))
    with torch.no_grad():
        model.eval()(torch.randn(*shape))
    for handle in hooks:
        handle.remove()
    return {name or "": seen.get(name) for name, _ in model.named_modules()}


def shapelint_layers(path: Path, name: str, extra: List[str]) -> Dict[str, Optional[List[int]]]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(["shapes", "--no-cache", "--format", "json", *extra, str(path)])
    assert code == 0, out.getvalue()
    models = {m["name"]: m for m in json.loads(out.getvalue())["models"]}
    assert name in models, sorted(models)
    layers = {layer["name"]: layer["output"] for layer in models[name]["layers"]}
    layers[""] = models[name]["output"]  # the model itself
    return layers


@pytest.mark.parametrize("case, name, build, shape, extra", MODELS, ids=[f"{m[0]}::{m[1]}" for m in MODELS])
def test_every_layer_sized_by_configuration_is_what_pytorch_gives(case, name, build, shape, extra):
    path = CONFIGS / case
    expected = torch_layers(path, build, shape)
    got = shapelint_layers(path, name, extra)
    assert [n for n in got if n] == [n for n in expected if n]  # named_modules(), in order
    for layer, want in expected.items():
        if want is not None:
            assert got.get(layer) == want, f"{layer}: shapelint {got.get(layer)}, PyTorch {want}"
