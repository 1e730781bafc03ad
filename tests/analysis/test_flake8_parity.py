"""`flake8 --select SHP path` reports what `shapelint check path` reports: the same (code, line)
pairs per file, at the same columns, and the "[*] fixable" suffix exactly on the diagnostics
that have a safe fix.

The corpus: the real models (correct, the broken 160->224 upsampler, mutated variants), files
with malformed declarations and a ``# noqa``. Files with a syntax error are left out: flake8
reports E999 itself and runs no plugin on a file it cannot parse (a documented difference).
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from collections import defaultdict

import pytest

from support.cli import run_cli
from support.real_models import load_cases

cases = load_cases()
FIXABLE_SUFFIX = " [*] fixable with shapelint check --fix"


def flake8_has_plugin() -> bool:
    proc = subprocess.run([sys.executable, "-m", "flake8", "--version"], capture_output=True, text=True)
    return proc.returncode == 0 and "shapelint" in proc.stdout


pytestmark = pytest.mark.skipif(
    not flake8_has_plugin(),
    reason="the SHP plugin is not registered with flake8: run `pip install -e .` after it lands",
)

EXTRA_FILES = {
    "bad_pragma.py": (
        "import torch\nfrom torch import nn\n\n\n"
        "class Net(nn.Module):  # shapelint: input=(2, 3, 32\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.conv = nn.Conv2d(3, 8, 3)\n\n"
        "    def forward(self, x):\n        return self.conv(x)\n"
    ),
    "bad_annotation.py": (
        "import torch\nfrom jaxtyping import Float\nfrom torch import Tensor, nn\n\n\n"
        "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.conv = nn.Conv2d(3, 8, 3)\n\n"
        '    def forward(self, x: Float[Tensor, "b, 3, h, w"]):\n        return self.conv(x)\n'
    ),
    "noqa.py": (
        "import torch\nfrom torch import nn\n\n\n"
        "class Net(nn.Module):  # shapelint: input=(2, 3, 32, 32)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.conv = nn.Conv2d(4, 8, 3)  # noqa: SHP102\n"
        "        self.conv2 = nn.Conv2d(4, 8, 3)\n\n"
        "    def forward(self, x):\n        return self.conv2(self.conv(x))\n"
    ),
    "transposed_warnings.py": (
        "import torch\nfrom torch import nn\n\n"
        "# shapelint: input=(1, 4, 10, 10)\n"
        "up = nn.Sequential(\n"
        "    nn.ConvTranspose2d(4, 4, kernel_size=3, stride=2),\n"
        "    nn.ConvTranspose2d(4, 4, kernel_size=4, stride=2, padding=5),\n"
        "    nn.ConvTranspose2d(4, 4, kernel_size=4, stride=2, output_padding=2),\n"
        ")\n"
    ),
}


def mutated_sources(per_file: int = 3):
    """A few mutated variants of each model file (seeded): integer literals in layer calls."""
    import re

    out = {}
    for file in cases.FILES:
        with open(os.path.join(cases.MODELS_DIR, file)) as f:
            source = f.read()
        lines = source.splitlines(keepends=True)
        sites = [
            (i, m.start(), m.end())
            for i, line in enumerate(lines)
            if "nn." in line or "Conv" in line
            for m in re.finditer(r"(?<![\w.])\d+(?![\w.])", line.split("#")[0])
        ]
        for k, (i, start, end) in enumerate(random.Random(file).sample(sites, min(per_file, len(sites)))):
            new = lines[:]
            value = int(lines[i][start:end])
            new[i] = lines[i][:start] + str(value + 1) + lines[i][end:]
            out[f"mut{k}_{file}"] = "".join(new)
    return out


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    directory = tmp_path_factory.mktemp("parity")
    for file in cases.FILES:
        shutil.copyfile(os.path.join(cases.MODELS_DIR, file), directory / file)
    for name, source in {**EXTRA_FILES, **mutated_sources()}.items():
        (directory / name).write_text(source)
    (directory / "pyproject.toml").write_text(config_for(sorted(p.name for p in directory.glob("*.py"))))
    return directory


def config_for(files):
    """pyproject.toml declaring what the cases declare on the command line or in a config,
    per file ("file.py::Name"), so the vocoder's Generator is not confused with the DCGAN's."""
    tables = {"inputs": {}, "outputs": {}}
    for case in cases.CASES:
        declared = dict(zip(case.cli[::2], case.cli[1::2]))
        copies = [f for f in files if f == case.file or f.endswith("_" + case.file)]
        for flag, table in (("--input", "inputs"), ("--output", "outputs")):
            if flag in declared:
                name, _, shape = declared[flag].partition("=")
                for f in copies:
                    tables[table][f"{f}::{name}"] = "[" + shape + "]"
        if case.config:
            for line in case.config.splitlines():
                if line.startswith("[tool.shapelint."):
                    table = line[len("[tool.shapelint."):-1]
                elif "=" in line:
                    key, _, value = line.partition("=")
                    tables[table][key.strip().strip('"')] = value.strip()
    out = []
    for table, entries in tables.items():
        out.append(f"[tool.shapelint.{table}]")
        out += [f'"{key}" = {value}' for key, value in sorted(entries.items())]
        out.append("")
    return "\n".join(out)


def shapelint_results(directory):
    result = run_cli(
        "check", str(directory), "--format", "json", "--no-cache", "--config",
        str(directory / "pyproject.toml"),
    )
    assert "Traceback" not in result.stderr, result.stderr
    by_file = defaultdict(set)
    safe = defaultdict(set)
    for d in result.json():
        key = (d["code"], d["location"]["row"], d["location"]["column"])
        by_file[os.path.basename(d["filename"])].add(key)
        if d.get("fix") and d["fix"]["applicability"] == "safe":
            safe[os.path.basename(d["filename"])].add(key)
    return by_file, safe


def flake8_results(directory):
    proc = subprocess.run(
        [
            sys.executable, "-m", "flake8", "--isolated", "--select", "SHP",
            "--format", "%(path)s\t%(row)d\t%(col)d\t%(code)s\t%(text)s",
            ".",
        ],
        capture_output=True, text=True, cwd=str(directory), timeout=300,
    )
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr
    assert proc.returncode in (0, 1), (proc.returncode, proc.stderr)
    by_file = defaultdict(set)
    texts = {}
    for line in proc.stdout.splitlines():
        path, row, col, code, text = line.split("\t", 4)
        key = (code, int(row), int(col))
        by_file[os.path.basename(path)].add(key)
        texts[(os.path.basename(path), key)] = text
    return by_file, texts


@pytest.fixture(scope="module")
def both(corpus):
    return shapelint_results(corpus), flake8_results(corpus)


def test_corpus_has_diagnostics_of_several_codes(both):
    """The comparison is not vacuous."""
    (ours, _), _ = both
    codes = {key[0] for keys in ours.values() for key in keys}
    assert {"SHP002", "SHP101"} <= codes and len(codes) >= 4, codes
    assert "noqa.py" in ours and ("SHP102", 8) not in {k[:2] for k in ours["noqa.py"]}


def test_same_codes_and_lines(both, corpus):
    (ours, _), (theirs, _) = both
    files = sorted(set(ours) | set(theirs))
    diffs = []
    for file in files:
        a = {k[:2] for k in ours.get(file, ())}
        b = {k[:2] for k in theirs.get(file, ())}
        if a != b:
            diffs.append(f"{file}: only shapelint {sorted(a - b)}, only flake8 {sorted(b - a)}")
    assert not diffs, "\n".join(diffs)


def test_same_columns(both):
    (ours, _), (theirs, _) = both
    diffs = [
        f"{file}: shapelint {sorted(ours.get(file, ()))}, flake8 {sorted(theirs.get(file, ()))}"
        for file in sorted(set(ours) | set(theirs))
        if ours.get(file, set()) != theirs.get(file, set())
    ]
    assert not diffs, "\n".join(diffs)


def test_fixable_suffix_exactly_on_safe_fixes(both):
    (ours, safe), (theirs, texts) = both
    wrong = []
    for (file, key), text in texts.items():
        if text.endswith(FIXABLE_SUFFIX) != (key in safe.get(file, ())):
            wrong.append(f"{file}:{key}: {text!r}")
    assert not wrong, "\n".join(wrong)


def test_noqa_parity_single_file(corpus):
    """One file given explicitly, as editors run flake8."""
    path = corpus / "noqa.py"
    ours = run_cli("check", str(path), "--format", "json", "--no-cache").json()
    proc = subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", "--select", "SHP",
         "--format", "%(row)d\t%(code)s", str(path)],
        capture_output=True, text=True, timeout=120,
    )
    theirs = {tuple(line.split("\t")) for line in proc.stdout.splitlines()}
    assert {(str(d["location"]["row"]), d["code"]) for d in ours} == theirs
    assert theirs, "the second conv still gets 8 channels where it expects 4"
