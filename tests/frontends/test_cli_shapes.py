"""``shapelint shapes``: the text table and the JSON of CONTRACT.md section 3 ``json (shapes)``.

With a fake engine returning fixed models, so the rendering is what is tested; the real engine's
shapes are compared with PyTorch in tests/test_examples.py and test_cli_shapes_engine.py.
"""

from __future__ import annotations

import io
import json
import re
import sys
from pathlib import Path

import pytest

import shapelint.analysis as analysis
from shapelint.frontends.cli import main
from shapelint.core.results import Diagnostic, FileResult, LayerShape, ModelShapes


def fake_models(path: str):
    return [
        ModelShapes(
            "Net", path, 3, (1, 3, 32, 32), (1, "b", None), None,
            [
                LayerShape("", "Net", 3, (1, 3, 32, 32), (1, "b", None)),
                LayerShape("body", "Sequential", 5, (1, 3, 32, 32), (1, 8, 32, 32)),
                LayerShape("body.0", "Conv2d", 6, (1, 3, 32, 32), (1, 8, 32, 32)),
                LayerShape("head", "Linear", 9, None, None),
            ],
        ),
        ModelShapes("decoder", path, 20, None, None, (4, 3, 64, 64),
                    [LayerShape("0", "ConvTranspose2d", 21, None, None)]),
    ]


@pytest.fixture(autouse=True)
def fake_engine(monkeypatch, tmp_path):
    calls = []

    def analyze_source(source, path, options, files=None):
        calls.append(options)
        if isinstance(source, bytes):
            source = source.decode()
        if "SYNTAX" in source:
            return FileResult(path, [Diagnostic("SHP001", "invalid syntax", path, 2, 1, 2, 1)])
        return FileResult(path, [Diagnostic("SHP101", "ignored by shapes", path, 1, 1, 1, 1)],
                          fake_models(path))

    monkeypatch.setattr(analysis, "mentions_layers", lambda data: b"nn." in data, raising=False)
    monkeypatch.setattr(analysis, "analyze_source", analyze_source, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SHAPELINT_CACHE_DIR", str(tmp_path / "cache"))
    return calls


def shapes(capsys, *args: str):
    code = main(["shapes", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_json_is_the_contracts_schema(capsys):
    Path("m.py").write_text("nn.Module\n")
    code, out, err = shapes(capsys, "m.py", "--format", "json")
    assert code == 0 and err == ""
    data = json.loads(out)
    assert list(data) == ["models"]
    net, decoder = data["models"]
    assert list(net) == ["name", "filename", "line", "input", "output", "declared_output", "accepts", "layers"]
    assert net["accepts"] is None
    assert net["name"] == "Net" and net["filename"] == "m.py" and net["line"] == 3
    assert net["input"] == [1, 3, 32, 32] and net["output"] == [1, "b", None]
    assert net["declared_output"] is None
    assert [list(layer) for layer in net["layers"]] == \
        [["name", "type", "filename", "line", "input", "output", "unknown_reason"]] * 4
    assert [layer["name"] for layer in net["layers"]] == ["", "body", "body.0", "head"]
    assert net["layers"][3] == {"name": "head", "type": "Linear", "filename": "m.py", "line": 9, "input": None,
                                "output": None, "unknown_reason": None}
    assert decoder["declared_output"] == [4, 3, 64, 64] and decoder["input"] is None


def test_json_without_models(capsys):
    Path("m.py").write_text("x = 1\n")
    assert shapes(capsys, "m.py", "--format", "json") == (0, '{\n  "models": []\n}\n', "")


def test_text_is_a_table_per_model(capsys):
    Path("m.py").write_text("nn.Module\n")
    code, out, _ = shapes(capsys, "m.py")
    assert code == 0
    net, decoder = out.split("\n\n")
    lines = net.splitlines()
    assert lines[0] == "Net (m.py:3)"
    assert lines[2].split() == ["Layer", "Type", "Output", "Shape"]
    rows = [re.split(r"\s{2,}", line.strip()) for line in lines[4:8]]
    assert rows == [["Net", "[1, b, ?]"], ["body", "Sequential", "[1, 8, 32, 32]"],
                    ["body.0", "Conv2d", "[1, 8, 32, 32]"], ["head", "Linear", "?"]]
    assert lines[6].startswith("  body.0") and lines[5].startswith("body")  # nesting is indented
    assert "Input shape:  [1, 3, 32, 32]" in lines
    assert "Input shape:  ?" in decoder.splitlines() and "Declared:     [4, 3, 64, 64]" in decoder


def test_input_option_reaches_the_engine_and_a_bad_one_is_exit_2(capsys, fake_engine):
    Path("m.py").write_text("nn.Module\n")
    assert shapes(capsys, "m.py", "--input", "Net=1,3,64,64")[::2] == (0, "")
    assert list(fake_engine[-1].cli_inputs) == ["Net"]
    assert shapes(capsys, "m.py", "--input", "Nte=1,3,64,64")[::2] == (
        0, "warning: --input Nte: no model named 'Nte' in the checked files\n")
    code, out, err = shapes(capsys, "m.py", "--input", "Net=1,,64")
    assert code == 2 and out == "" and len(err.splitlines()) == 1 and "--input" in err
    assert "SHP002 malformed shape declaration" in err


def test_an_unparsable_file_is_reported_on_stderr_with_exit_1(capsys):
    Path("bad.py").write_text("nn.Module\nSYNTAX\n")
    Path("good.py").write_text("nn.Module\n")
    code, out, err = shapes(capsys, "bad.py", "good.py", "--format", "json")
    assert code == 1
    assert [m["filename"] for m in json.loads(out)["models"]] == ["good.py", "good.py"]
    assert err == "bad.py:2:1: SHP001 invalid syntax\n"


def test_stdin(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"nn.Module\n")))
    code, out, _ = shapes(capsys, "-", "--stdin-filename", "x.py", "--format", "json")
    assert code == 0 and {m["filename"] for m in json.loads(out)["models"]} == {"x.py"}


def test_bad_format_is_one_line_exit_2(capsys):
    code, out, err = shapes(capsys, ".", "--format", "sarif")
    assert code == 2 and out == "" and len(err.splitlines()) == 1


def test_no_python_files_is_a_clean_exit_with_a_warning(capsys, tmp_path):
    (tmp_path / "empty").mkdir()
    assert shapes(capsys, "empty", "--format", "json") == (
        0, '{\n  "models": []\n}\n', "warning: No Python files found under the given path(s)\n")


def test_models_come_from_the_cache_the_second_time(capsys, fake_engine):
    Path("m.py").write_text("nn.Module\n")
    first = shapes(capsys, "m.py", "--format", "json")
    second = shapes(capsys, "m.py", "--format", "json")
    assert first == second and len(fake_engine) == 1
    assert shapes(capsys, "m.py", "--format", "json", "--no-cache") == first and len(fake_engine) == 2
    assert shapes(capsys, "m.py", "--format", "json", "--input", "Net=1,3,8,8")[0] == 0
    assert len(fake_engine) == 3  # other declarations: a miss
