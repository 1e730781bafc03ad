"""``check``'s summary says what was checked, honestly: how many models, how many of their layers
got a known output shape (as many as PyTorch's forward hooks see called, for a model followed to
its output), and which declared models could not be followed (then never "All checks passed!")."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from shapelint.analysis import analyze_file
from shapelint.frontends import runner
from support.cli import run_cli, shapes_json

torch = pytest.importorskip("torch")

#: A user block inside a ModuleList (never called itself), a pool called twice, a container,
#: and a layer forward never calls.
BLOCKS = '''\
import torch
from torch import nn


class Block(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1)
        self.norm = nn.BatchNorm2d(cout)
        self.act = nn.ReLU()

    def forward(self, x):
        return self.act(self.norm(self.conv(x)))


class Net(nn.Module):  # shapelint: input=(2, 3, 32, 32)
    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList([Block(3, 8), Block(8, 16)])
        self.pool = nn.MaxPool2d(2)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(16 * 8 * 8, 10))
        self.spare = nn.Linear(4, 4)

    def forward(self, x):
        for block in self.blocks:
            x = self.pool(block(x))
        return self.head(x)
'''

#: A module-level model with a symbolic batch size, and a class declared by an example.
SYMBOLIC = '''\
import torch
from torch import nn

# shapelint: input=(b, 4, 8, 8)
decoder = nn.Sequential(nn.ConvTranspose2d(4, 2, 4, stride=2, padding=1), nn.Tanh())


class Encoder(nn.Module):
    def __init__(self, width=6):
        super().__init__()
        self.conv = nn.Conv1d(2, width, 5, stride=2)
        self.out = nn.Conv1d(width, 1, 1)

    def forward(self, x):
        return self.out(torch.relu(self.conv(x)))


if __name__ == "__main__":
    Encoder(width=3)(torch.randn(1, 2, 41))
'''

#: What PyTorch runs each followed model on: (file, build, input).
TORCH_RUNS = {
    "Net": ("blocks.py", lambda ns: ns["Net"](), (2, 3, 32, 32)),
    "decoder": ("symbolic.py", lambda ns: ns["decoder"], (2, 4, 8, 8)),
    "Encoder": ("symbolic.py", lambda ns: ns["Encoder"](width=3), (1, 2, 41)),
}

#: `Down` comes from another file: the analysis (one file at a time) cannot follow Net past it.
IMPORTED = '''\
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

MYLIB = '''\
from torch import nn


class Down(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.pool = nn.MaxPool2d(2)

    def forward(self, x):
        return self.pool(x)
'''

#: A declared model with a wrong BatchNorm2d (a safe fix).
FIXABLE = '''\
from torch import nn


class Small(nn.Module):  # shapelint: input=(1, 3, 16, 16)
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.norm = nn.BatchNorm2d(6)

    def forward(self, x):
        return self.norm(self.conv(x))
'''

CHECKED = re.compile(r"^Checked (\d+) models? in (\d+) files? \((\d+) of (\d+) layers? inferred\)\.$", re.M)


def write(directory: Path, files: Dict[str, str]) -> None:
    for name, text in files.items():
        (directory / name).write_text(text)


def hooked_modules(path: Path, build, size: Tuple[int, ...], extra_path: str = "") -> List[str]:
    """The names of the submodules PyTorch's forward hooks see called (the model itself not)."""
    namespace: dict = {"__name__": "model_under_test"}
    sys.path.insert(0, extra_path or str(path.parent))
    try:
        exec(compile(path.read_text(), str(path), "exec"), namespace)
    finally:
        sys.path.pop(0)
    model = build(namespace)
    called: List[str] = []
    hooks = [module.register_forward_hook(lambda m, a, o, name=name: called.append(name))
             for name, module in model.named_modules() if name]
    with torch.no_grad():
        model.eval()(torch.randn(*size))
    for hook in hooks:
        hook.remove()
    return sorted(set(called))


def summaries_by_name(*paths: Path):
    return {s.name: s for path in paths for s in analyze_file(str(path)).summaries}


@pytest.fixture
def followed(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, {"blocks.py": BLOCKS, "symbolic.py": SYMBOLIC})
    return tmp_path


def test_followed_models_count_the_layers_pytorch_calls(followed):
    summaries = summaries_by_name(followed / "blocks.py", followed / "symbolic.py")
    _, shapes, _ = shapes_json(".", "--no-cache")
    listed = {m["name"]: m for m in shapes["models"]}
    total = 0
    for name, (file, build, size) in TORCH_RUNS.items():
        called = hooked_modules(followed / file, build, size)
        known = sorted(layer["name"] for layer in listed[name]["layers"]
                       if layer["output"] is not None and None not in layer["output"])
        summary = summaries[name]
        assert summary.followed and summary.declared_input, summary
        assert known == called, (name, known, called)
        assert summary.layers_inferred == summary.layers == len(called), (summary, called)
        total += len(called)
    result = run_cli("check", "--no-cache", ".")
    assert result.code == 0, result.stdout + result.stderr
    assert result.stdout == f"Checked 3 models in 2 files ({total} of {total} layers inferred).\nAll checks passed!\n"
    # The layer forward never calls, the ModuleList: neither counted (PyTorch calls neither).
    assert "spare" not in hooked_modules(followed / "blocks.py", TORCH_RUNS["Net"][1], (2, 3, 32, 32))


@pytest.fixture
def imported(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    # mylib is an installed library (site/ is not where Python finds net.py's own modules):
    # the analysis does not read it.
    (tmp_path / "site").mkdir()
    write(tmp_path, {"net.py": IMPORTED, "site/mylib.py": MYLIB, "blocks.py": BLOCKS})
    return tmp_path


def test_a_declared_model_not_followed_is_named_and_never_all_checks_passed(imported):
    summary = summaries_by_name(imported / "net.py")["Net"]
    called = hooked_modules(imported / "net.py", lambda ns: ns["Net"](), (1, 3, 32, 32), str(imported / "site"))
    assert summary.declared_input and not summary.followed
    assert summary.layers_inferred < len(called)  # PyTorch runs it all; the analysis cannot
    result = run_cli("check", "--no-cache", ".")
    assert result.code == 0, result.stdout + result.stderr  # a summary is not a diagnostic
    assert "All checks passed" not in result.stdout
    lines = result.stdout.splitlines()
    # Down (mylib.py) is a model too, with no declaration: counted, not named.
    assert CHECKED.match(lines[0]) and lines[0].startswith("Checked 3 models in 3 files ("), lines
    assert lines[1:] == ["1 declared model could not be followed to its output (--select SHP301 shows where and why):",
                         "    net.py:6: Net"]
    assert result.stderr == ""


def test_machine_formats_keep_their_shape_and_warn_on_stderr(imported):
    warning = "warning: net.py:6: Net could not be followed to its output; --select SHP301 shows where and why\n"
    for fmt in ("json", "sarif", "github"):
        plain = run_cli("check", "--no-cache", "--format", fmt, "blocks.py")
        result = run_cli("check", "--no-cache", "--format", fmt, "net.py", "blocks.py")
        assert result.code == 0 and result.stderr == warning, (fmt, result.stderr)
        assert plain.stderr == "" and result.stdout == plain.stdout, fmt  # nothing about net.py
    assert json.loads(run_cli("check", "--no-cache", "--format", "json", ".").stdout) == []
    stats = run_cli("check", "--no-cache", "--statistics", ".")
    assert (stats.code, stats.stdout, stats.stderr) == (0, "", warning)


def test_a_declared_output_without_input_is_checked_for_every_size(tmp_path, monkeypatch):
    """No input is declared: the model runs on a probe ([b, 4, h, w]) and its output, [b, 4,
    2*h, 2*w], is compared for every size: 9 rows are no size's, 8 are h = 4's."""
    monkeypatch.chdir(tmp_path)
    source = ("from torch import nn\n\n# shapelint: output=(1, 4, {0}, {0})\n"
              "up = nn.Sequential(nn.ConvTranspose2d(4, 4, 4, stride=2, padding=1))\n")
    write(tmp_path, {"seq.py": source.format(9)})
    result = run_cli("check", "--no-cache", "seq.py")
    assert result.code == 1 and "SHP101" in result.stdout and "[b, 4, 2*h, 2*w]" in result.stdout
    write(tmp_path, {"seq.py": source.format(8)})
    result = run_cli("check", "--no-cache", "seq.py")
    assert result.code == 0 and result.stdout.splitlines()[-1] == "All checks passed!", result.stdout


def test_no_models_says_so(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, {"util.py": "import torch\n\ndef scale(x):\n    return x * 2\n", "b.py": "x = 1\n"})
    result = run_cli("check", "--no-cache", ".")
    assert (result.code, result.stdout, result.stderr) == (0, "No models found in 2 files.\nAll checks passed!\n", "")


def test_diagnostics_come_after_what_was_checked_is_said(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, {"small.py": FIXABLE})
    result = run_cli("check", "--no-cache", "small.py")
    lines = result.stdout.splitlines()
    assert result.code == 1 and lines[0].startswith("small.py:8:")
    assert lines[-2:] == ["Checked 1 model in 1 file (2 of 2 layers inferred).",
                          "Found 1 error (1 fixable with --fix)."]


def test_stdin(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run_cli("check", "--no-cache", "-", stdin=BLOCKS.encode())
    assert result.code == 0 and CHECKED.match(result.stdout.splitlines()[0]), result.stdout
    assert result.stdout.splitlines()[0].startswith("Checked 1 model in 1 file (")
    named = run_cli("check", "--no-cache", "--stdin-filename", "pkg/net.py", "-", stdin=IMPORTED.encode())
    assert named.code == 0 and "All checks passed" not in named.stdout
    assert named.stdout.splitlines()[-1] == "    pkg/net.py:6: Net"
    # `--fix -`: stdout is the source, exactly; what was checked goes to stderr with the rest.
    fixed = run_cli("check", "--no-cache", "--fix", "-", stdin=FIXABLE.encode())
    assert fixed.stdout == FIXABLE.replace("BatchNorm2d(6)", "BatchNorm2d(8)")
    assert fixed.stderr.splitlines()[-2:] == ["Checked 1 model in 1 file (2 of 2 layers inferred).",
                                              "Found 1 error (1 fixed, 0 remaining)."]


def test_the_fixed_file_is_what_the_summary_counts(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, {"small.py": FIXABLE, "net.py": IMPORTED})
    result = run_cli("check", "--no-cache", "--fix", ".")
    assert (tmp_path / "small.py").read_text() == FIXABLE.replace("BatchNorm2d(6)", "BatchNorm2d(8)")
    called = hooked_modules(tmp_path / "small.py", lambda ns: ns["Small"](), (1, 3, 16, 16))
    summary = summaries_by_name(tmp_path / "small.py")["Small"]
    assert summary.followed and summary.layers_inferred == summary.layers == len(called) == 2
    lines = result.stdout.splitlines()
    assert result.code == 0, result.stdout
    assert CHECKED.match(lines[0]).groups()[:2] == ("2", "2")
    assert lines[1:] == ["1 declared model could not be followed to its output (--select SHP301 shows where and why):",
                         "    net.py:6: Net", "Found 1 error (1 fixed, 0 remaining)."]


def test_cache_hit_and_workers_give_the_cold_summary(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SHAPELINT_CACHE_DIR", str(tmp_path / "cache"))
    files = {f"m{i:02}.py": BLOCKS for i in range(14)}
    files.update({"net.py": IMPORTED, "symbolic.py": SYMBOLIC})  # 16 files: two workers
    write(tmp_path, files)
    cold = run_cli("check", "--no-cache", "-j", "1", ".")
    parallel = run_cli("check", "-j", "2", ".")  # workers, writing the cache
    warm = run_cli("check", "-j", "2", ".")
    assert cold.code == parallel.code == warm.code == 0
    assert cold.stdout == parallel.stdout == warm.stdout
    assert cold.stdout.startswith("Checked 17 models in 16 files (") and "    net.py:6: Net" in cold.stdout
    job = runner.Job(runner.Options(), str(tmp_path / "cache"), _settings_key())
    for name in files:  # each warm answer came from the cache, with its summaries
        hit = runner.cached_outcome(name, job)
        assert hit is not None and hit.cached and hit.result.summaries == analyze_file(name).summaries, name


def _settings_key() -> str:
    """The settings key ``check`` uses here (no config file, no declarations on the command line)."""
    from shapelint.frontends.cli.check_cmd import Run, build_parser

    return Run(build_parser().parse_intermixed_args(["."])).job.settings_key


def _cached_net(tmp_path, monkeypatch):
    """net.py analysed and put in a fresh cache: (cache, its content key, the result, the entry)."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path, {"net.py": IMPORTED})
    cache = runner.Cache(str(tmp_path / "cache"), "key")
    key = cache.content_key((tmp_path / "net.py").read_bytes())
    result = analyze_file("net.py")
    cache.put("net.py", key, result)
    return cache, key, result, Path(cache.entry_path("net.py"))


def test_cache_entries_of_the_old_format_are_misses(tmp_path, monkeypatch):
    cache, key, result, entry_path = _cached_net(tmp_path, monkeypatch)
    assert cache.get("net.py", key).summaries == result.summaries == [
        runner.ModelSummary("Net", 6, True, False, False, result.summaries[0].layers_inferred,
                            result.summaries[0].layers)]
    head, models = entry_path.read_text().splitlines()  # what check reads, then the shapes
    entry = json.loads(head)
    del entry["result"]["summaries"]
    for old in (2, runner.CACHE_FORMAT):  # an old entry, or one without summaries: a miss
        entry["format"] = old
        entry_path.write_text(json.dumps(entry) + "\n" + models + "\n")
        assert cache.get("net.py", key) is None
    assert os.path.exists(entry_path)


def test_check_reads_only_the_first_line_of_a_cache_entry(tmp_path, monkeypatch):
    cache, key, result, entry_path = _cached_net(tmp_path, monkeypatch)
    assert cache.get("net.py", key).models == result.models != []
    head = entry_path.read_text().splitlines()[0]
    entry_path.write_text(head + "\n{not json\n")  # the models' line is junk
    slim = cache.get("net.py", key, with_models=False)
    assert slim is not None and slim.diagnostics == result.diagnostics and slim.models == []
    assert cache.get("net.py", key) is None  # shapes need the models: a miss

SEVERAL_OUTPUTS = '''\
import torch
from torch import nn


class VAE(nn.Module):  # shapelint: input=(2, 16)
    def __init__(self):
        super().__init__()
        self.enc = nn.Linear(16, 8)
        self.mu = nn.Linear(8, 4)
        self.logvar = nn.Linear(8, 4)
        self.dec = nn.Linear(4, 16)

    def forward(self, x):
        h = self.enc(x)
        mu, logvar = self.mu(h), self.logvar(h)
        return self.dec(mu), {"mu": mu, "logvar": logvar}
'''


def test_a_forward_returning_several_tensors_is_followed_when_all_are_known(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, {"vae.py": SEVERAL_OUTPUTS})
    called = hooked_modules(tmp_path / "vae.py", lambda ns: ns["VAE"](), (2, 16))
    summary = summaries_by_name(tmp_path / "vae.py")["VAE"]
    assert summary.followed and summary.layers_inferred == summary.layers == len(called) == 4
    result = run_cli("check", "--no-cache", ".")
    assert result.stdout == "Checked 1 model in 1 file (4 of 4 layers inferred).\nAll checks passed!\n"
    # One of them unknown: not followed.
    write(tmp_path, {"vae.py": SEVERAL_OUTPUTS.replace('"logvar": logvar', '"logvar": mylib.f(logvar)')})
    assert not summaries_by_name(tmp_path / "vae.py")["VAE"].followed
