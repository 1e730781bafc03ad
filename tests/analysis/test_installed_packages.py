"""Installed packages, read and never imported (issue 12, point 2).

``tests/projects/installed/site`` is a directory laid out as ``site-packages`` is: ``visionzoo``,
a backbone library written the way vision model zoos are (a package ``__init__`` that imports
every family, star re-exports, a registry decorator, ``to_2tuple`` helpers), with the
``*.dist-info`` of a distribution that requires torch; and ``numberkit``, whose distribution does
not (never read). ``tests/projects/installed/app`` builds classifiers on the backbones.

With ``site`` on ``sys.path`` (as a package installed in the environment shapelint runs in is),
PyTorch imports the app and runs each model with forward hooks; the analysis must list every
module PyTorch calls under its ``named_modules()`` name and type, state only PyTorch's shapes, and
infer every layer but those after ``numberkit``. Nothing of the site is imported by the analysis.
"""

from __future__ import annotations

import importlib
import shutil
import sys
from pathlib import Path
from typing import Dict, Tuple

import pytest

from support.cli import check_json, run_cli, shapes_json

torch = pytest.importorskip("torch")

INSTALLED = Path(__file__).resolve().parent.parent / "projects" / "installed"

#: model name in train.py's examples -> (its constructor in model.py, the example's input).
MODELS = {
    "FeatureClassifier": ("FeatureClassifier(num_classes=5)", (2, 3, 96, 96)),
    "ZooClassifier": ("ZooClassifier()", (2, 3, 64, 64)),
    "BottleneckClassifier": ("BottleneckClassifier()", (1, 3, 64, 64)),
    "ScaledHead": ("ScaledHead()", (2, 3, 64, 64)),
}

#: Layers whose size comes from numberkit, which is not followed (its distribution has no torch).
NOT_FOLLOWED = {("ScaledHead", "head"), ("ScaledHead", "")}


@pytest.fixture
def installed(tmp_path: Path, monkeypatch) -> Path:
    """A copy of the site and the app; the site is on ``sys.path`` (installed), the app is not."""
    root = tmp_path / "installed"
    shutil.copytree(INSTALLED, root, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.syspath_prepend(str(root / "site"))
    return root


def torch_run(app: Path, build: str, shape: Tuple[int, ...]) -> Tuple[Dict[str, str], Dict[str, Tuple[int, ...]]]:
    """``named_modules()`` types and each called module's first output, in PyTorch."""
    saved = dict(sys.modules)
    sys.path.insert(0, str(app))
    sys.dont_write_bytecode, flag = True, sys.dont_write_bytecode
    try:
        namespace = vars(importlib.import_module("model"))
        model = eval(build, dict(namespace))  # noqa: S307 - our own fixture's expression
    finally:
        sys.path.remove(str(app))
        sys.dont_write_bytecode = flag
        for name in set(sys.modules) - set(saved):
            del sys.modules[name]
    outputs: Dict[str, Tuple[int, ...]] = {}

    def recorder(name):
        def hook(module, args, output):
            if name not in outputs and isinstance(output, torch.Tensor):
                outputs[name] = tuple(output.shape)
        return hook

    for name, module in model.named_modules():
        module.register_forward_hook(recorder(name))
    with torch.no_grad():
        model.eval()(torch.randn(*shape))
    return {n: type(m).__name__ for n, m in model.named_modules()}, outputs


def analysed(app: Path) -> Dict[str, dict]:
    code, data, _ = shapes_json(str(app / "train.py"), "--no-cache")
    assert code == 0
    return {model["name"]: model for model in data["models"]}


@pytest.mark.parametrize("name", list(MODELS))
def test_a_backbone_of_an_installed_package_is_followed_layer_by_layer(installed: Path, name: str):
    build, shape = MODELS[name]
    types, outputs = torch_run(installed / "app", build, shape)
    model = analysed(installed / "app")[name]
    listed = {layer["name"]: layer for layer in model["layers"]}
    assert set(listed) == {n for n in types if n}  # every module, under its own name
    for layer_name, layer in listed.items():
        assert layer["type"] == types[layer_name], layer_name
        real, out = outputs.get(layer_name), layer["output"]
        if (name, layer_name) in NOT_FOLLOWED:
            assert out is None or None in out, (layer_name, out)
            continue
        if real is None:  # not called (FeatureClassifier calls forward_features, not the head)
            assert out is None, (layer_name, out)
            continue
        assert out == list(real), (layer_name, out, real)
    if (name, "") not in NOT_FOLLOWED:
        assert model["output"] == list(outputs[""])
    assert model["output"][-1] is None if (name, "") in NOT_FOLLOWED else True


def test_the_installed_package_is_read_not_imported(installed: Path):
    before = set(sys.modules)
    analysed(installed / "app")
    assert not {m for m in set(sys.modules) - before if m.split(".")[0] in ("visionzoo", "numberkit", "torch")}
    assert not list((installed / "site").rglob("__pycache__"))


def test_an_installed_layer_file_is_named_by_its_own_path(installed: Path):
    model = analysed(installed / "app")["ZooClassifier"]
    [layer] = [layer for layer in model["layers"] if layer["name"] == "net.features.0"]
    assert layer["filename"].replace("\\", "/").endswith("visionzoo/models/vgg.py")


def test_without_the_package_installed_its_blocks_stay_unknown(tmp_path: Path):
    app = tmp_path / "app"
    shutil.copytree(INSTALLED / "app", app)  # the site is not on sys.path: not installed here
    models = analysed(app)
    assert models["FeatureClassifier"]["output"] is None
    layers = {layer["name"]: layer for layer in models["FeatureClassifier"]["layers"]}
    assert "backbone" not in layers  # a value that could not be evaluated is given no name
    assert layers["head"]["output"] is None
    code, diagnostics, _ = check_json(str(app), "--no-cache")
    assert [d for d in diagnostics if d["code"].startswith("SHP1")] == []


def test_a_package_whose_distribution_needs_no_torch_is_not_read(tmp_path: Path, monkeypatch):
    site = tmp_path / "site"
    shutil.copytree(INSTALLED / "site", site)
    (site / "numberkit-0.3.dist-info" / "METADATA").write_text("Name: numberkit\nRequires-Dist: torch\n")
    monkeypatch.syspath_prepend(str(site))
    app = tmp_path / "app"
    shutil.copytree(INSTALLED / "app", app)
    # Once its distribution requires torch it is read, and the head's width is known.
    head = {layer["name"]: layer for layer in analysed(app)["ScaledHead"]["layers"]}["head"]
    assert head["output"] == [2, 16]


def test_a_bug_in_the_users_code_is_found_through_the_installed_backbone(installed: Path):
    model_py = installed / "app" / "model.py"
    text = model_py.read_text()
    model_py.write_text(text.replace("ConvBnAct(512, hidden, kernel_size=1)", "ConvBnAct(256, hidden, kernel_size=1)"))
    with pytest.raises(RuntimeError):
        torch_run(installed / "app", *MODELS["FeatureClassifier"])
    code, diagnostics, _ = check_json(str(installed / "app"), "--no-cache")
    found = [(Path(d["filename"]).name, d["location"]["row"], d["code"]) for d in diagnostics
             if d["code"].startswith("SHP1")]
    line = next(i for i, row in enumerate(model_py.read_text().splitlines(), 1) if "ConvBnAct(256" in row)
    assert code == 1 and found == [("model.py", line, "SHP102")]  # once, in the app, not in train.py too
    [diagnostic] = [d for d in diagnostics if d["code"] == "SHP102"]
    assert diagnostic["fix"] is None  # the block is the package's: nothing of it is edited
    [related] = [r for r in diagnostic["related"] if r["message"] == "found here"]
    assert Path(related["filename"]).resolve() == (installed / "site" / "visionzoo" / "layers" / "conv_bn.py").resolve()
    assert any("visionzoo/layers/conv_bn.py:" in note for note in diagnostic["notes"])


def test_editing_the_installed_package_invalidates_the_cache(installed: Path, monkeypatch, tmp_path: Path):
    monkeypatch.setenv("SHAPELINT_CACHE_DIR", str(tmp_path / "cache"))
    train = str(installed / "app" / "train.py")
    cached = lambda: run_cli("check", train, "--format", "json").json()  # noqa: E731 - the cache on
    assert [d for d in cached() if d["code"].startswith("SHP1")] == []
    resnet = installed / "site" / "visionzoo" / "models" / "resnet.py"
    resnet.write_text(resnet.read_text().replace("channels = [64, 128, 256, 512]", "channels = [64, 128, 256, 384]"))
    assert "SHP102" in {d["code"] for d in cached()}


@pytest.mark.parametrize("requirement, followed", [
    ("Requires-Dist: torch", True),
    ("Requires-Dist: torch (>=2.0)", True),
    ("Requires-Dist: torch>=2.1; python_version >= '3.9'", True),
    ("Requires-Dist: Torch==2.13.0", True),
    ("Requires-Dist: torchmetrics", False),
    ("Requires-Dist: torch-geometric", False),
    ("Requires-Dist: torch ; extra == 'gpu'", False),
    ("Requires-Dist: numpy", False),
])
def test_a_distribution_is_followed_when_it_requires_torch(tmp_path: Path, requirement: str, followed: bool):
    from shapelint.analysis.installed import requires_torch

    (tmp_path / "blocks").mkdir()
    (tmp_path / "blocks" / "__init__.py").write_text("")
    info = tmp_path / "my_blocks-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: my-blocks\n{requirement}\n")
    (info / "top_level.txt").write_text("blocks\n")
    assert requires_torch(str(tmp_path), "blocks") is followed


def test_a_bad_argument_to_an_installed_block_is_reported_at_the_call_that_passes_it(installed: Path):
    app = installed / "app"
    model_py = app / "model.py"
    model_py.write_text(model_py.read_text().replace('resnet26(num_classes=7, global_pool="avgmax")',
                                                     'resnet26(num_classes=7, global_pool="avgmax", in_chans=1)'))
    with pytest.raises(RuntimeError):
        torch_run(app, *MODELS["BottleneckClassifier"])
    line = next(i for i, row in enumerate(model_py.read_text().splitlines(), 1) if "in_chans=1" in row)
    # The project: once, at the call in model.py that passes in_chans (the package is not ours).
    code, diagnostics, _ = check_json(str(app), "--no-cache")
    found = [(Path(d["filename"]).name, d["location"]["row"], d["code"]) for d in diagnostics
             if d["code"].startswith("SHP1")]
    assert code == 1 and found == [("model.py", line, "SHP102")]
    [diagnostic] = [d for d in diagnostics if d["code"] == "SHP102"]
    assert any("visionzoo/layers/conv_bn.py:" in note for note in diagnostic["notes"])
    # train.py alone (pre-commit passes only the staged file): at its line, naming model.py's.
    code, diagnostics, _ = check_json(str(app / "train.py"), "--no-cache")
    [diagnostic] = [d for d in diagnostics if d["code"].startswith("SHP1")]
    assert diagnostic["filename"].endswith("train.py") and diagnostic["fix"] is None
    assert any(f"model.py:{line}" in note for note in diagnostic["notes"])
