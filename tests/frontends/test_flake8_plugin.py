"""The flake8 plugin, run by flake8 itself.

In-process runs use a fake engine (one SHP101 per line containing ``BUG``, SHP102 with a safe
fix for ``FIXME``), so the tests say exactly what flake8 must report; test_flake8_plugin_engine.py
runs flake8 in a subprocess on real model code.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import shapelint.analysis as analysis
from shapelint.frontends.flake8_plugin import FIXABLE_SUFFIX, ShapelintPlugin
from shapelint.core.results import Diagnostic, Edit, FileResult, Fix

flake8_cli = pytest.importorskip("flake8.main.cli")


class FakeEngine:
    def __init__(self) -> None:
        self.calls = []
        self.trees = []

    def analyze_source(self, source, path, options, tree=None, files=None):
        self.calls.append((path, source, options))
        self.trees.append(tree)
        diagnostics = []
        for row, line in enumerate(source.splitlines(), start=1):
            col = line.find("BUG")
            if col >= 0:
                diagnostics.append(Diagnostic("SHP101", "found BUG", path, row, col + 1, row, col + 4))
            col = line.find("FIXME")
            if col >= 0:
                fix = Fix("fix it", "safe", (Edit("FIXED", (row, col + 1), (row, col + 6)),))
                diagnostics.append(Diagnostic("SHP102", "found FIXME", path, row, col + 1, row, col + 6, fix))
            col = line.find("RISKY")
            if col >= 0:
                fix = Fix("maybe", "unsafe", (Edit("X", (row, col + 1), (row, col + 6)),))
                diagnostics.append(Diagnostic("SHP103", "found RISKY", path, row, col + 1, row, col + 6, fix))
        return FileResult(path, diagnostics)


@pytest.fixture
def engine(monkeypatch, tmp_path):
    fake = FakeEngine()
    monkeypatch.setattr(analysis, "mentions_layers", lambda data: b"nn." in data, raising=False)
    monkeypatch.setattr(analysis, "analyze_source", fake.analyze_source, raising=False)
    monkeypatch.chdir(tmp_path)
    return fake


def flake8(capsys, *args: str):
    code = flake8_cli.main(["--jobs", "1", "--isolated", *args])
    return code, capsys.readouterr().out.splitlines()


def test_reports_with_flake8_positions_and_the_fixable_suffix(engine, capsys):
    Path("m.py").write_text("import torch.nn as nn  # nn.Module\nx = 1  # BUG\ny = 2  # FIXME\nz = 3  # RISKY\n")
    code, lines = flake8(capsys, "--select", "SHP", "m.py")
    assert code == 1
    assert lines == [
        "m.py:2:10: SHP101 found BUG",
        f"m.py:3:10: SHP102 found FIXME{FIXABLE_SUFFIX}",
        "m.py:4:10: SHP103 found RISKY",  # an unsafe fix is not what --fix applies
    ]
    assert FIXABLE_SUFFIX == " [*] fixable with shapelint check --fix"


def test_the_engine_gets_flake8s_tree_of_exactly_the_source(engine, capsys):
    """No second parse: the analysis is handed the tree flake8 made of the very text it gets."""
    Path("m.py").write_text("\ufeffimport torch.nn as nn  # nn.Module\r\nx = 1  # BUG\r\n")
    assert flake8(capsys, "--select", "SHP", "m.py")[1] == ["m.py:2:10: SHP101 found BUG"]
    (path, source, _), = engine.calls
    (tree,) = engine.trees
    assert isinstance(tree, ast.Module)
    assert ast.dump(tree, include_attributes=True) == ast.dump(ast.parse(source), include_attributes=True)


def test_flake8_applies_noqa_select_and_extend_ignore(engine, capsys):
    Path("m.py").write_text("import torch.nn as nn  # nn.Module\nx = 1  # BUG  # noqa: SHP101\ny = 2  # BUG\nz = 3  # FIXME\n")
    assert flake8(capsys, "--select", "SHP", "m.py")[1] == [
        "m.py:3:10: SHP101 found BUG", f"m.py:4:10: SHP102 found FIXME{FIXABLE_SUFFIX}"]
    assert flake8(capsys, "--select", "SHP", "--extend-ignore", "SHP101", "m.py")[1] == [
        f"m.py:4:10: SHP102 found FIXME{FIXABLE_SUFFIX}"]
    assert flake8(capsys, "--select", "E", "m.py") == (0, [])


def test_files_without_layers_are_not_analyzed(engine, capsys):
    Path("m.py").write_text("x = 1  # BUG\n")
    assert flake8(capsys, "--select", "SHP", "m.py") == (0, [])
    assert engine.calls == []


def test_the_source_comes_from_flake8s_lines(engine):
    """Editors pipe an unsaved buffer: the plugin must use ``lines``, not the file on disk."""
    Path("m.py").write_text("nothing here\n")
    plugin = ShapelintPlugin(None, "m.py", ["import torch.nn as nn  # nn.Module\n", "BUG\n"])
    ShapelintPlugin.parse_options(_namespace())
    [(row, col, message, kind)] = list(plugin.run())
    assert (row, col, message, kind) == (2, 0, "SHP101 found BUG", ShapelintPlugin)


def _namespace(**kwargs):
    import argparse

    return argparse.Namespace(shapelint_input=kwargs.get("inputs"), shapelint_output=kwargs.get("outputs"))


def test_shape_options_from_the_command_line(engine, capsys):
    Path("m.py").write_text("import torch.nn as nn  # nn.Module\n")
    flake8(capsys, "--select", "SHP", "--shapelint-input", "Net=1,3,32,32",
           "--shapelint-input", "Other=2,4", "--shapelint-output", "Net=1,10", "m.py")
    options = engine.calls[-1][2]
    assert sorted(options.cli_inputs) == ["Net", "Other"] and sorted(options.cli_outputs) == ["Net"]
    assert str(options.cli_inputs["Net"]) == str(_spec("Net=1,3,32,32"))


def _spec(text):
    from shapelint.core.shapespec import parse_cli_shape

    return parse_cli_shape(text)[1]


def test_shape_options_from_the_flake8_config_one_per_line(engine, capsys):
    Path("m.py").write_text("import torch.nn as nn  # nn.Module\n")
    Path("setup.cfg").write_text(
        "[flake8]\nshapelint-input =\n    Net=1,3,32,32\n    Other=2,4\nshapelint-output = Net=1,10\n")
    code = flake8_cli.main(["--jobs", "1", "--select", "SHP", "m.py"])
    capsys.readouterr()
    assert code == 0
    options = engine.calls[-1][2]
    assert sorted(options.cli_inputs) == ["Net", "Other"] and sorted(options.cli_outputs) == ["Net"]
    # The command line adds to the config's values, as action="append" would.
    flake8_cli.main(["--jobs", "1", "--select", "SHP", "--shapelint-input", "Third=1,1", "m.py"])
    capsys.readouterr()
    assert sorted(engine.calls[-1][2].cli_inputs) == ["Net", "Other", "Third"]


def test_a_malformed_shape_option_is_reported_not_a_crash(engine, capsys):
    Path("m.py").write_text("import torch.nn as nn  # nn.Module\n")
    code, lines = flake8(capsys, "--select", "SHP", "--shapelint-input", "Net=1,,3", "m.py")
    assert code == 1
    [line] = lines
    assert line.startswith("m.py:1:1: SHP002 --shapelint-input/--shapelint-output:")


def test_a_malformed_config_shape_is_one_shp002_naming_the_key(engine, capsys):
    Path("m.py").write_text("import torch.nn as nn  # nn.Module\n")
    Path("pyproject.toml").write_text('[tool.shapelint.inputs]\nNet = [1, "a b"]\n')
    code, lines = flake8(capsys, "--select", "SHP", "m.py")
    assert code == 1
    [line] = lines
    assert line.startswith("m.py:1:1: SHP002 ") and line.count("SHP002") == 1
    assert "tool.shapelint.inputs.Net: malformed shape declaration" in line


def test_pyproject_inputs_reach_the_engine(engine, capsys):
    Path("m.py").write_text("import torch.nn as nn  # nn.Module\n")
    Path("pyproject.toml").write_text('[tool.shapelint.inputs]\n"Net" = [1, 3, 8, 8]\n')
    flake8(capsys, "--select", "SHP", "m.py")
    assert sorted(engine.calls[-1][2].config_inputs) == ["Net"]


def test_an_engine_crash_does_not_take_flake8_down(engine, capsys, monkeypatch):
    def crash(source, path, options, tree=None, files=None):
        raise RuntimeError("boom")

    monkeypatch.setattr(analysis, "analyze_source", crash)
    Path("m.py").write_text("import torch.nn as nn  # nn.Module\nimport os\n")
    code = flake8_cli.main(["--jobs", "1", "--isolated", "--select", "SHP,F", "m.py"])
    captured = capsys.readouterr()
    assert code == 1 and "F401" in captured.out  # the other plugins still report
    assert captured.err.strip() == "error: internal error in m.py: RuntimeError: boom"


def test_loading_the_plugin_imports_nothing_heavy():
    code = (
        "import sys, shapelint.frontends.flake8_plugin\n"
        "heavy = [m for m in ('libcst', 'torch', 'shapelint.analysis', 'shapelint.frontends.config') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_plugin_is_registered_with_flake8():
    proc = subprocess.run([sys.executable, "-m", "flake8", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and "shapelint" in proc.stdout


UNFOLLOWED = '''\
import torch.nn as nn
from mylib import Down


class Net(nn.Module):  # shapelint: input=(1, 3, 32, 32)
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), Down(8), nn.Flatten())

    def forward(self, x):
        return self.body(x)
'''


@pytest.mark.parametrize("selection, shown", [
    ((), False), (("--select", "SHP"), True), (("--select", "SHP301"), True),
    (("--extend-select", "SHP301"), True), (("--select", "SHP1"), False)])
def test_shp301_is_off_by_default_and_on_when_flake8_selects_it_as_check_does(tmp_path, monkeypatch, capsys,
                                                                            selection, shown):
    """The real engine: SHP301 marks where tracking stops (the unknown `Down(8)`), reported by
    flake8 exactly when `shapelint check` with the same selection reports it."""
    from support.cli import run_cli

    monkeypatch.chdir(tmp_path)
    Path("net.py").write_text(UNFOLLOWED)
    _, lines = flake8(capsys, *selection, "net.py")
    flake8_rows = [line.split(" ")[0] for line in lines if line.split(" ")[1:2] == ["SHP301"]]
    check = run_cli("check", "--no-cache", *selection, "net.py")
    check_rows = [line.split(" ")[0] for line in check.stdout.splitlines() if line.split(" ")[1:2] == ["SHP301"]]
    assert flake8_rows == check_rows == (["net.py:8:66:"] if shown else []), (lines, check.stdout)
