"""Where a diagnostic sits and what it points back to (CONTRACT section 3): the contradicted
declaration and the layer inside a reusable block are related locations -- a ``declared at``
note in text, ``related`` in JSON, ``relatedLocations`` in SARIF (valid against the official
schema); the github format is unchanged; the cache keeps them; flake8 reports on the same row
and column as ``check``, and a ``# noqa`` on that line silences the diagnostic in both."""

from __future__ import annotations

import ast
import json
import textwrap
from pathlib import Path

import jsonschema
import pytest

from shapelint.analysis import analyze
from shapelint.analysis.project import ProjectFiles
from shapelint.core.options import Options
from shapelint.frontends import runner
from shapelint.frontends.flake8_plugin import ShapelintPlugin
from support.cli import run_cli

flake8_cli = pytest.importorskip("flake8.main.cli")

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "data" / "sarif-schema-2.1.0.json"

#: A model whose output misses the pragma that declares it (line 5), and whose fix edits the
#: padding of its second layer (line 10).
MISSED_OUTPUT = textwrap.dedent("""\
    import torch
    from torch import nn


    # shapelint: input=(1, 3, 16, 16) output=(1, 8, 16, 16)
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Conv2d(3, 8, 3, padding=1)
            self.body = nn.Conv2d(8, 8, 3, padding=0)

        def forward(self, x):
            return self.body(self.stem(x))
    """)

#: A reusable block (its layer on line 8) used twice; the second instance (line 19) passes
#: the wrong channel count.
BLOCK = textwrap.dedent("""\
    import torch
    from torch import nn


    class Up(nn.Module):
        def __init__(self, in_size, out_size):
            super().__init__()
            self.conv = nn.ConvTranspose2d(in_size, out_size, 4, 2, 1)

        def forward(self, x):
            return self.conv(x)


    # shapelint: input=(1, 3, 32, 32)
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.down = nn.Conv2d(3, 16, 4, 2, 1)
            self.up1 = Up(16, 8)
            self.up2 = Up(16, 3)

        def forward(self, x):
            return self.up2(self.up1(self.down(x)))
    """)


def line_of(source: str, text: str) -> int:
    [row] = [n for n, line in enumerate(source.splitlines(), 1) if text in line]
    return row


def check(tmp_path, source: str, *args: str, name: str = "m.py"):
    path = tmp_path / name
    path.write_text(source)
    return run_cli("check", "--no-cache", str(path), *args)


def test_json_related_points_at_the_declaration_and_the_diagnostic_at_the_fix(tmp_path):
    done = check(tmp_path, MISSED_OUTPUT, "--format", "json")
    [d] = done.json()
    assert d["code"] == "SHP101"
    assert d["location"]["row"] == line_of(MISSED_OUTPUT, "self.body =") == d["fix"]["edits"][0]["location"]["row"]
    [related] = d["related"]
    declared = line_of(MISSED_OUTPUT, "# shapelint:")
    assert related["filename"] == d["filename"]
    assert related["location"] == {"row": declared, "column": 1}
    assert related["end_location"]["row"] == declared and related["end_location"]["column"] > 1
    assert "(1, 8, 16, 16)" in related["message"]


def test_text_keeps_the_declared_at_note(tmp_path):
    done = check(tmp_path, MISSED_OUTPUT)
    declared = line_of(MISSED_OUTPUT, "# shapelint:")
    assert f"    note: declared at {tmp_path / 'm.py'}:{declared}" in done.stdout.splitlines()


def test_sarif_related_locations_follow_the_schema(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.py").write_text(MISSED_OUTPUT)
    (tmp_path / "b.py").write_text(BLOCK)
    done = run_cli("check", "--no-cache", "--format", "sarif", "m.py", "b.py")
    log = json.loads(done.stdout)
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(log)
    results = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]: r for r in log["runs"][0]["results"]}
    declared = results["m.py"]["relatedLocations"]
    assert [r["physicalLocation"]["region"]["startLine"] for r in declared] == [line_of(MISSED_OUTPUT, "# shapelint:")]
    assert declared[0]["physicalLocation"]["artifactLocation"] == {"uri": "m.py", "uriBaseId": "%SRCROOT%"}
    block = results["b.py"]
    assert block["locations"][0]["physicalLocation"]["region"]["startLine"] == line_of(BLOCK, "self.up2 =")
    [inside] = block["relatedLocations"]
    assert inside["physicalLocation"]["region"]["startLine"] == line_of(BLOCK, "self.conv =")
    assert inside["message"]["text"] == "`up2.conv` (ConvTranspose2d) in `Up`"


def test_the_block_case_in_json_names_the_instance_and_the_layer_inside(tmp_path):
    [d] = check(tmp_path, BLOCK, "--format", "json").json()
    assert d["code"] == "SHP102"
    up2 = line_of(BLOCK, "self.up2 =")
    # On the caller's argument that passes the count: the `16` of `Up(16, 3)`.
    assert (d["location"]["row"], d["location"]["column"]) == (up2, BLOCK.splitlines()[up2 - 1].index("16") + 1)
    assert d["notes"] == [f"in `up2.conv` (`Up`, line {line_of(BLOCK, 'self.conv =')})"]
    assert [r["location"]["row"] for r in d["related"]] == [line_of(BLOCK, "self.conv =")]


def test_github_format_is_unchanged_by_related_locations(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "b.py").write_text(BLOCK)
    [line] = run_cli("check", "--no-cache", "--format", "github", "b.py").stdout.splitlines()
    up2 = line_of(BLOCK, "self.up2 =")
    assert line.startswith(f"::error file=b.py,line={up2},col=")
    assert line.endswith("%0Ain `up2.conv` (`Up`, line 8)")  # the note, as every note is shown


def test_the_cache_keeps_related_locations(tmp_path):
    path = tmp_path / "m.py"
    path.write_text(MISSED_OUTPUT)
    result = analyze.analyze_file(str(path))
    assert result.diagnostics[0].related
    assert runner.result_from_json(json.loads(json.dumps(runner.result_to_json(result)))) == result


def test_a_model_built_with_its_defaults_is_reported_at_the_default():
    # Without a fix (suggestions off), a value from the model's own parameter is reported where
    # it comes from: the default in the signature, the layer a related location.
    source = textwrap.dedent("""\
        import torch
        from torch import nn


        # shapelint: input=(1, 3, 16, 16)
        class Net(nn.Module):
            def __init__(self, in_channels=4, width=8):
                super().__init__()
                self.stem = nn.Conv2d(in_channels, width, 3, padding=1)

            def forward(self, x):
                return self.stem(x)
        """)
    result = analyze._analyze_source(source, "m.py", Options(), None, ProjectFiles(), suggestions=False)
    [d] = result.diagnostics
    row = line_of(source, "def __init__")
    assert (d.code, d.row, d.col) == ("SHP102", row, source.splitlines()[row - 1].index("4") + 1)
    assert d.notes == (f"in `stem` (Conv2d, line {line_of(source, 'self.stem =')})",)


def plugin_rows(source: str, name: str):
    lines = source.splitlines(keepends=True)
    plugin = ShapelintPlugin(ast.parse(source), name, lines)
    return [(row, col + 1, message.split()[0]) for row, col, message, _ in plugin.run()]


@pytest.mark.parametrize("source", [MISSED_OUTPUT, BLOCK], ids=["declared-output", "block"])
def test_flake8_reports_on_the_row_and_column_of_check(tmp_path, monkeypatch, source):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.py").write_text(source)
    found = [(d["location"]["row"], d["location"]["column"], d["code"])
             for d in run_cli("check", "--no-cache", "--format", "json", "m.py").json()]
    assert found and plugin_rows(source, "m.py") == found


@pytest.mark.parametrize("noqa", ["# noqa", "# noqa: SHP102"])
def test_noqa_on_the_callers_line_silences_in_check_and_flake8(tmp_path, monkeypatch, capsys, noqa):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.py").write_text(BLOCK)
    assert flake8_cli.main(["--jobs", "1", "--isolated", "--select", "SHP", "m.py"]) == 1
    assert capsys.readouterr().out.startswith(f"m.py:{line_of(BLOCK, 'self.up2 =')}:")
    silenced = BLOCK.replace("self.up2 = Up(16, 3)", f"self.up2 = Up(16, 3)  {noqa}")
    (tmp_path / "m.py").write_text(silenced)
    done = run_cli("check", "--no-cache", "m.py")
    assert done.code == 0, done.stdout
    assert flake8_cli.main(["--jobs", "1", "--isolated", "--select", "SHP", "m.py"]) == 0
    assert capsys.readouterr().out == ""
    # On the block's own line, where the diagnostic used to be, it silences nothing.
    (tmp_path / "m.py").write_text(BLOCK.replace("4, 2, 1)\n", f"4, 2, 1)  {noqa}\n", 1))
    assert run_cli("check", "--no-cache", "m.py").code == 1
