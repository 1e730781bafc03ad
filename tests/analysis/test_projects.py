"""Whole projects (issue 12): models whose parts are in other files of the project.

Each project under ``tests/projects/`` is written the way public repositories are (a U-Net whose
parts a star import brings, a VAE family on an abstract base class of another file, a vocoder
whose blocks, helpers and constants come from three modules, a ``train.py`` that builds and calls
the model). PyTorch imports the project from a copy and runs the model with forward hooks; the
analysis of the entry file must list every ``named_modules()`` name with PyTorch's type, state
only PyTorch's shapes, and infer every layer. Then bugs are injected into an imported file: the
analysis of the entry file reports each at the entry file's line that builds or calls the block,
naming the other file's line, offers no edit of either file, and the flake8 plugin agrees.
"""

from __future__ import annotations

import ast
import importlib
import os
import shutil
import sys
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Tuple

import pytest

from support.cli import check_json, run_cli, shapes_json

torch = pytest.importorskip("torch")
from support.torch_oracle import first_outputs  # noqa: E402  (needs torch)

PROJECTS = Path(__file__).resolve().parent.parent / "projects"


class Project(NamedTuple):
    directory: str
    #: The file the analysis is run on, relative to the project.
    entry: str
    #: The model's name in that file's ``shapes`` output.
    model: str
    #: The module PyTorch imports and the expression (in its namespace) that builds the model.
    module: str
    build: str
    input: Tuple[int, ...]
    #: ``--input`` given to the analysis (None: the entry file's example declares it).
    declared: Optional[str] = None


CASES = {
    "unet-train": Project("unet_star", "train.py", "UNet", "unet", "UNet(n_channels=3, n_classes=2, bilinear=False)",
                          (1, 3, 64, 64)),
    "unet-bilinear-test": Project("unet_star", "tests/test_unet.py", "UNet", "unet.unet_model",
                                  "UNet(3, 4, bilinear=True)", (1, 3, 48, 48)),
    "vae-vanilla": Project("vae_zoo", "run.py", "VanillaVAE", "models", "VanillaVAE(in_channels=3, latent_dim=16)",
                           (2, 3, 64, 64)),
    "vae-beta": Project("vae_zoo", "run.py", "BetaVAE", "models", "BetaVAE(3, 8)", (2, 3, 32, 32)),
    "melgan": Project("melgan_vocoder", "model/generator.py", "Generator", "model.generator", "Generator()",
                      (3, 80, 10)),
    "gan-generator": Project("gan_options", "train.py", "Generator", "models", "Generator()", (16, 100)),
    "gan-discriminator": Project("gan_options", "train.py", "Discriminator", "models", "Discriminator()",
                                 (16, 1, 32, 32)),
    "hifigan-json": Project("hifigan_config", "inference.py", "Generator", "inference", "Generator(h)", (1, 80, 32)),
}


def copy_project(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copytree(PROJECTS / name, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def torch_shapes(root: Path, case: Project) -> Tuple[Dict[str, str], Dict[str, Tuple[int, ...]]]:
    """The model's ``named_modules()`` types and each module's first output shape in PyTorch."""
    saved_modules, saved_argv, saved_cwd = dict(sys.modules), sys.argv, os.getcwd()
    sys.path.insert(0, str(root))
    sys.dont_write_bytecode, saved_flag = True, sys.dont_write_bytecode
    sys.argv = [case.module]  # argparse reads the command line: the project's defaults
    os.chdir(root)  # config files are opened relative to where the project runs
    try:
        namespace = vars(importlib.import_module(case.module))
        model = eval(case.build, dict(namespace))  # noqa: S307 - our own fixture's expression
    finally:
        os.chdir(saved_cwd)
        sys.argv = saved_argv
        sys.path.remove(str(root))
        sys.dont_write_bytecode = saved_flag
        for name in set(sys.modules) - set(saved_modules):
            del sys.modules[name]
    return first_outputs(model, case.input)


def analysed_model(root: Path, case: Project) -> dict:
    extra = ("--input", case.declared) if case.declared else ()
    code, data, _ = shapes_json(str(root / case.entry), "--no-cache", *extra)
    assert code == 0
    [model] = [m for m in data["models"] if m["name"] == case.model]
    return model


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_every_layer_of_an_imported_model_is_pytorchs(case: Project, tmp_path: Path):
    root = copy_project(case.directory, tmp_path)
    types, outputs = torch_shapes(root, case)
    model = analysed_model(root, case)
    listed = {layer["name"]: layer for layer in model["layers"]}
    assert set(listed) == {name for name in types if name}
    for name, layer in listed.items():
        assert layer["type"] == types[name], name
        if name in outputs:
            assert layer["output"] == list(outputs[name]), (name, layer["output"], outputs[name])
            assert layer["unknown_reason"] is None, name
        else:  # PyTorch never calls it (a ModuleList): no shape is stated
            assert layer["output"] is None, name
    # The model's own output: PyTorch's when it is a tensor (a VAE returns a list: unknown).
    assert model["output"] == (list(outputs[""]) if "" in outputs else None)
    # Layers built by another file's code are listed under that file and line.
    files = {Path(layer["filename"]).resolve() for layer in model["layers"]}
    assert files - {(root / case.entry).resolve()} and all(f.is_file() for f in files), files


def test_no_error_is_reported_on_the_projects(tmp_path: Path):
    for name in sorted({case.directory for case in CASES.values()}):
        root = copy_project(name, tmp_path)
        _, diagnostics, _ = check_json(str(root), "--no-cache")
        assert [d for d in diagnostics if d["code"].startswith("SHP1")] == [], name


# ----------------------------------------------------------------------------- bugs in imported files


class Bug(NamedTuple):
    case: str
    #: The imported file changed, and the change (its text before and after).
    file: str
    before: str
    after: str
    code: str
    #: A text of the entry file's line where the diagnostic must be (the block's construction or
    #: call that leads into the faulty code).
    anchor: str
    #: Where the finding is in the imported code, when not on the changed line: (file, text).
    #: An operand mismatch is found at the operation (the culprit search of SHP106, which moves
    #: it to the layer, runs only for the analysed file's own code).
    found: Optional[Tuple[str, str]] = None


BUGS = {
    "outconv-in-channels": Bug("unet-train", "unet/unet_parts.py", "nn.Conv2d(in_channels, out_channels, kernel_size=1)",
                               "nn.Conv2d(in_channels + 1, out_channels, kernel_size=1)", "SHP102",
                               "net = UNet("),
    "pool-kernel": Bug("unet-train", "unet/unet_parts.py", "nn.MaxPool2d(2)", "nn.MaxPool2d(3)", "SHP105", "net = UNet("),
    "bilinear-mid-norm": Bug("unet-bilinear-test", "unet/unet_parts.py", "nn.BatchNorm2d(mid_channels)",
                             "nn.BatchNorm2d(out_channels)", "SHP102", "model = UNet("),
    "vae-fc-features": Bug("vae-vanilla", "models/vanilla_vae.py", "self.fc_mu = nn.Linear(hidden_dims[-1] * 4, latent_dim)",
                           "self.fc_mu = nn.Linear(hidden_dims[-1] * 3, latent_dim)", "SHP102", "vae = VanillaVAE("),
    "vae-beta-features": Bug("vae-beta", "models/beta_vae.py", "self.fc_var = nn.Linear(hidden_dims[-1] * 16",
                             "self.fc_var = nn.Linear(hidden_dims[-1] * 15", "SHP102", "beta = BetaVAE("),
    "resstack-dilation-padding": Bug("melgan", "model/res_stack.py", "padding=get_padding(kernel_size, 3 ** i))",
                                     "padding=get_padding(kernel_size, 2 ** i))", "SHP106", "return self.generator(mel)",
                                     ("model/res_stack.py", "x = shortcut(x) + block(x)")),
    "argparse-default": Bug("gan-discriminator", "options.py", 'default=32, help="size of each image dimension"',
                            'default=30, help="size of each image dimension"', "SHP102",
                            "discriminator = Discriminator()",
                            ("models.py", "self.adv_layer = nn.Sequential(nn.Linear(128 * ds_size ** 2, 1)")),
    "json-kernel-size": Bug("hifigan-json", "config_v1.json", '"resblock_kernel_sizes": [3, 7, 11]',
                            '"resblock_kernel_sizes": [3, 6, 11]', "SHP106", "generator = Generator(h)",
                            ("models.py", "x = xt + x")),
    "helper-padding": Bug("melgan", "utils/audio.py", "return int((kernel_size * dilation - dilation) / 2)",
                          "return int((kernel_size * dilation - dilation) / 2) + 1", "SHP106",
                          "return self.generator(mel)", ("model/res_stack.py", "x = shortcut(x) + block(x)")),
}


def inject(root: Path, bug: Bug) -> Path:
    path = root / bug.file
    text = path.read_text()
    assert text.count(bug.before) == 1, bug
    path.write_text(text.replace(bug.before, bug.after))
    return path


def found_at(root: Path, bug: Bug) -> Tuple[Path, int]:
    """The imported file and line where the finding is."""
    file, text = bug.found or (bug.file, bug.after)
    return root / file, line_of(root / file, text)


def line_of(path: Path, text: str) -> int:
    return next(row for row, line in enumerate(path.read_text().splitlines(), 1) if text in line)


@pytest.mark.parametrize("bug", list(BUGS.values()), ids=list(BUGS))
def test_a_bug_in_an_imported_file_is_reported_where_the_entry_file_reaches_it(bug: Bug, tmp_path: Path):
    from shapelint.analysis import analyze_file
    from shapelint.frontends.flake8_plugin import ShapelintPlugin

    case = CASES[bug.case]
    root = copy_project(case.directory, tmp_path)
    changed = inject(root, bug)
    with pytest.raises(RuntimeError):
        torch_shapes(root, case)  # PyTorch confirms the bug
    entry = root / case.entry
    found = [d for d in analyze_file(str(entry)).diagnostics if d.code.startswith("SHP1")]
    assert [(d.code, d.row) for d in found] == [(bug.code, line_of(entry, bug.anchor))]
    [diagnostic] = found
    assert diagnostic.fix is None  # nothing here to edit, and the other file is not this run's
    where, line = found_at(root, bug)
    named = os.path.relpath(where, entry.parent)  # as the entry file's directory reaches it
    assert any(f"{named}:{line}" in note for note in diagnostic.notes), diagnostic.notes
    assert [(Path(r.path).resolve(), r.row) for r in diagnostic.related] == [(where.resolve(), line)]
    # The flake8 plugin (one file, as editors run it) says the same, at the same place.
    text = entry.read_text()
    plugin = ShapelintPlugin(ast.parse(text), str(entry), text.splitlines(keepends=True))
    rows = [(row, message.split()[0]) for row, _, message, _ in plugin.run() if message.startswith("SHP1")]
    assert rows == [(diagnostic.row, bug.code)]


@pytest.mark.parametrize("bug", list(BUGS.values()), ids=list(BUGS))
def test_a_project_run_reports_a_bug_once_in_its_own_file(bug: Bug, tmp_path: Path):
    case = CASES[bug.case]
    root = copy_project(case.directory, tmp_path)
    changed = inject(root, bug)
    code, diagnostics, _ = check_json(str(root), "--no-cache")
    found = [(Path(d["filename"]).resolve(), d["location"]["row"], d["code"])
             for d in diagnostics if d["code"].startswith("SHP1")]
    where, line = found_at(root, bug)
    assert code == 1 and found == [(where.resolve(), line, bug.code)]


def test_a_noqa_on_the_line_a_bug_moves_to_silences_it_in_a_project_run(tmp_path: Path):
    bug = BUGS["pool-kernel"]
    root = copy_project(CASES[bug.case].directory, tmp_path)
    changed = inject(root, bug)
    code, diagnostics, _ = check_json(str(root), "--no-cache")
    assert [d["code"] for d in diagnostics if d["code"].startswith("SHP1")] == ["SHP105"]
    lines = changed.read_text().splitlines(keepends=True)
    row = line_of(changed, bug.after)
    lines[row - 1] = lines[row - 1].rstrip("\n") + "  # noqa: SHP105\n"
    changed.write_text("".join(lines))
    code, diagnostics, _ = check_json(str(root), "--no-cache")
    assert code == 0 and diagnostics == []


# ----------------------------------------------------------------------------- bounds, reasons, cache

MAIN = """\
import torch
from torch import nn

from blocks import WIDTH, Block


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, WIDTH, 3, padding=1)
        self.block = Block(WIDTH)

    def forward(self, x):
        return self.block(self.stem(x))


if __name__ == "__main__":
    Net()(torch.randn(1, 3, 16, 16))
"""

BLOCKS = """\
import torch
from torch import nn

WIDTH = {width}


class Block(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding={padding})

    def forward(self, x):
        return self.conv(x)
"""


def write_project(root: Path, width: str = "8", padding: int = 1) -> Path:
    (root / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    (root / "blocks.py").write_text(BLOCKS.format(width=width, padding=padding))
    (root / "main.py").write_text(MAIN)
    return root / "main.py"


def test_a_value_an_imported_module_cannot_evaluate_stays_unknown(tmp_path: Path):
    main = write_project(tmp_path, width="int(os.environ['WIDTH'])")
    code, data, _ = shapes_json(str(main), "--no-cache")
    [model] = data["models"]
    stem = next(layer for layer in model["layers"] if layer["name"] == "stem")
    assert stem["output"] == [1, None, 16, 16] and stem["unknown_reason"]


def test_past_the_budget_of_files_names_stay_unknown_never_guessed(tmp_path: Path):
    from shapelint.analysis.project import MAX_PROJECT_FILES

    main = write_project(tmp_path)
    # A chain of re-exports longer than the budget: WIDTH comes through all of them.
    depth = MAX_PROJECT_FILES + 4
    for i in range(depth):
        source = f"from m{i + 1} import WIDTH\n" if i + 1 < depth else "WIDTH = 8\n"
        (tmp_path / f"m{i}.py").write_text(source)
    main.write_text(MAIN.replace("from blocks import WIDTH, Block", "from blocks import Block\nfrom m0 import WIDTH"))
    code, data, _ = shapes_json(str(main), "--no-cache")
    [model] = data["models"]
    stem = next(layer for layer in model["layers"] if layer["name"] == "stem")
    assert stem["output"] == [1, None, 16, 16]  # unknown, not 8 and not anything else
    code, diagnostics, _ = check_json(str(main), "--no-cache")
    assert [d for d in diagnostics if d["code"].startswith("SHP1")] == []


def check_cached(path: Path) -> Tuple[int, List[dict]]:
    """``check --format json`` with the cache on (``check_json`` turns it off)."""
    result = run_cli("check", str(path), "--format", "json")
    return result.code, result.json()


def test_the_cache_notices_an_edited_imported_file(tmp_path: Path, monkeypatch):
    main = write_project(tmp_path)
    monkeypatch.setenv("SHAPELINT_CACHE_DIR", str(tmp_path / "cache"))
    code, diagnostics = check_cached(main)
    assert [d for d in diagnostics if d["code"].startswith("SHP1")] == []
    (tmp_path / "blocks.py").write_text(BLOCKS.format(width="8", padding=1).replace(
        "nn.Conv2d(channels, channels", "nn.Conv2d(channels + 1, channels"))
    code, diagnostics = check_cached(main)
    assert [(d["code"], d["location"]["row"]) for d in diagnostics] == [("SHP102", 11)]


def test_the_cache_notices_an_imported_module_created_after_the_run(tmp_path: Path, monkeypatch):
    main = write_project(tmp_path)
    blocks = (tmp_path / "blocks.py").read_text()
    (tmp_path / "blocks.py").unlink()  # not written yet: what it would give is unknown
    monkeypatch.setenv("SHAPELINT_CACHE_DIR", str(tmp_path / "cache"))
    code, diagnostics = check_cached(main)
    assert code == 0 and [d for d in diagnostics if d["code"].startswith("SHP1")] == []
    (tmp_path / "blocks.py").write_text(blocks.replace("nn.Conv2d(channels, channels", "nn.Conv2d(channels + 1, channels"))
    code, diagnostics = check_cached(main)
    assert [(d["code"], d["location"]["row"]) for d in diagnostics] == [("SHP102", 11)]


def test_an_unknown_block_of_a_read_module_says_it_was_read(tmp_path: Path):
    main = write_project(tmp_path)
    (tmp_path / "blocks.py").write_text(BLOCKS.format(width="8", padding=1) + "\nMaker = registry['block']\n")
    main.write_text(MAIN.replace("from blocks import WIDTH, Block", "from blocks import WIDTH, Maker as Block"))
    code, diagnostics, _ = check_json(str(main), "--no-cache", "--select", "SHP301")
    [stop] = diagnostics
    assert "`Block` is imported from `blocks`, where it could not be evaluated" in stop["message"]


CONFIG_DATACLASS = '''\
from dataclasses import dataclass


@dataclass
class _StageConfig:
    channels: int
    depth: int


class StageConfig(_StageConfig):
    """Widened by a multiplier before the dataclass's own __init__ runs."""

    def __init__(self, channels, depth, width=1.0):
        super().__init__(int(channels * width), depth)


@dataclass(frozen=True)
class ModelConfig:
    in_channels: int = 3
    stem: int = 8
'''

CONFIG_MODEL = '''\
import torch
from torch import nn

from settings import ModelConfig, StageConfig


class Net(nn.Module):
    def __init__(self, cfg=ModelConfig()):
        super().__init__()
        layers = [nn.Conv2d(cfg.in_channels, cfg.stem, 3, padding=1)]
        channels = cfg.stem
        for stage in [StageConfig(16, 2, width=1.5), StageConfig(32, 1)]:
            for _ in range(stage.depth):
                layers.append(nn.Conv2d(channels, stage.channels, 3, padding=1))
                channels = stage.channels
        self.body = nn.Sequential(*layers)

    def forward(self, x):
        return self.body(x)


if __name__ == "__main__":
    Net()(torch.randn(1, 3, 16, 16))
'''


def test_dataclasses_of_another_file_are_followed(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    (tmp_path / "settings.py").write_text(CONFIG_DATACLASS)
    (tmp_path / "net.py").write_text(CONFIG_MODEL)
    code, data, _ = shapes_json(str(tmp_path / "net.py"), "--no-cache")
    [model] = data["models"]
    sys.path.insert(0, str(tmp_path))
    try:
        namespace = vars(importlib.import_module("net"))
        real = namespace["Net"]()(torch.randn(1, 3, 16, 16)).shape
    finally:
        sys.path.remove(str(tmp_path))
        for name in ("net", "settings"):
            sys.modules.pop(name, None)
    assert model["output"] == list(real) == [1, 32, 16, 16]
    assert all(layer["output"] is not None for layer in model["layers"])


def test_what_earlier_analyses_kept_never_changes_a_result(tmp_path: Path):
    """A module an earlier analysis read whole is reused only when a fresh read would also read
    it whole: a file past the budget gets the same shapes after any history of analyses."""
    from shapelint.analysis import analyze_source
    from shapelint.analysis.project import MAX_PROJECT_FILES, ProjectFiles

    chain = 20  # config.py reads its width through a chain of 20 modules
    for i in range(chain):
        (tmp_path / f"c{i}.py").write_text(f"from c{i + 1} import W\n" if i + 1 < chain else "W = 8\n")
    (tmp_path / "config.py").write_text("from c0 import W\nWIDTH = W\n")
    extra = MAX_PROJECT_FILES - chain  # modules the second file reads first, to pass the budget
    for i in range(extra):
        (tmp_path / f"x{i}.py").write_text(f"K{i} = {i}\n")
    model = ("import torch.nn as nn\n{imports}from config import WIDTH\n\n\n"
             "class Net(nn.Module):  # shapelint: input=(1, 3, 16, 16)\n"
             "    def __init__(self):\n        super().__init__()\n"
             "        self.stem = nn.Conv2d(3, WIDTH, 3, padding=1)\n\n"
             "    def forward(self, x):\n        return self.stem(x)\n")
    (tmp_path / "a.py").write_text(model.format(imports=""))
    (tmp_path / "b.py").write_text(model.format(imports="".join(f"import x{i}\n" for i in range(extra))))

    def stem(path: Path, files: ProjectFiles):
        result = analyze_source(path.read_text(), str(path), files=files)
        return [layer.output for m in result.models for layer in m.layers if layer.name == "stem"]

    assert stem(tmp_path / "a.py", ProjectFiles()) == [(1, 8, 16, 16)]
    alone = stem(tmp_path / "b.py", ProjectFiles())
    assert alone == [(1, None, 16, 16)]  # past the budget: unknown, never guessed
    files = ProjectFiles()
    stem(tmp_path / "a.py", files)  # reads config.py and its chain whole, and keeps them
    assert stem(tmp_path / "b.py", files) == alone
