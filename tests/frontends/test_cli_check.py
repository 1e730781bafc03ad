"""``shapelint check``: exit codes, stdin, noqa, selection, output formats, --fix/--diff, errors.

The engine is a small fake here (test_cli_check_engine.py runs the real one), so each test says
exactly which diagnostics exist: on any line of a file that mentions ``nn.``,

- ``BUG``   -> SHP101 (no fix),
- ``WARN``  -> SHP201 (no fix),
- ``FIXME`` -> SHP102 with a safe fix that replaces it by ``FIXED``,
- ``RISKY`` -> SHP103 with an unsafe fix that replaces it by ``SAFE_NOW``,
- ``CRASH`` -> the engine raises.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import shapelint.analysis as analysis
from shapelint.frontends.cli import main
from shapelint.core.results import Diagnostic, Edit, FileResult, Fix, ModelShapes


#: The fake engine reaches worker processes only when they are forked (Linux); elsewhere they
#: would import the real engine.
FORKED_WORKERS = pytest.mark.skipif(sys.platform != "linux", reason="workers are forked only on Linux")

MARKERS = {
    "BUG": ("SHP101", None, None),
    "WARN": ("SHP201", None, None),
    "FIXME": ("SHP102", "FIXED", "safe"),
    "RISKY": ("SHP103", "SAFE_NOW", "unsafe"),
}


def fake_analyze_source(source, path, options, files=None):
    if isinstance(source, bytes):
        source = source.decode("utf-8")
    if "CRASH" in source:
        raise ValueError("fake engine crash")
    diagnostics = []
    for row, line in enumerate(source.splitlines(), start=1):
        for marker, (code, replacement, applicability) in MARKERS.items():
            col = line.find(marker)
            if col < 0:
                continue
            start, end = (row, col + 1), (row, col + 1 + len(marker))
            fix = None
            if replacement is not None:
                fix = Fix(f"replace {marker}", applicability, (Edit(replacement, start, end),))
            diagnostics.append(Diagnostic(code, f"found {marker}", path, row, col + 1, row, end[1], fix))
    return FileResult(path, diagnostics)


def fake_analyze_file(path, options):
    return FileResult(path, [Diagnostic("SHP001", "cannot read file", path, 1, 1, 1, 1)])


@pytest.fixture(autouse=True)
def fake_engine(monkeypatch, tmp_path):
    monkeypatch.setattr(analysis, "mentions_layers", lambda data: b"nn." in data, raising=False)
    monkeypatch.setattr(analysis, "analyze_source", fake_analyze_source, raising=False)
    monkeypatch.setattr(analysis, "analyze_file", fake_analyze_file, raising=False)
    monkeypatch.setenv("SHAPELINT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("SHAPELINT_DEBUG", raising=False)
    monkeypatch.chdir(tmp_path)


class Result:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    def json(self):
        return json.loads(self.out)


def check(*args: str, stdin: bytes = b"", capsys=None, monkeypatch=None) -> Result:
    if monkeypatch is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    code = main(["check", *args])
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)


@pytest.fixture
def run(capsys, monkeypatch):
    def run(*args: str, stdin: bytes = b"") -> Result:
        return check(*args, stdin=stdin, capsys=capsys, monkeypatch=monkeypatch)

    return run


def write(path: str, text: str) -> str:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(text)
    return path


# --------------------------------------------------------------------------------------------
# Exit codes


def test_clean_file_exits_0(run):
    write("m.py", "import torch.nn as nn\n")
    result = run("m.py")
    assert result.code == 0 and result.err == ""


def test_diagnostics_exit_1_in_flake8_form(run):
    write("m.py", "nn.X\nx = BUG\n")
    result = run("m.py")
    assert result.code == 1
    assert result.out.splitlines()[0] == "m.py:2:5: SHP101 found BUG"


def test_exit_zero(run):
    write("m.py", "nn.X\nBUG\n")
    result = run("m.py", "--exit-zero")
    assert result.code == 0 and "SHP101" in result.out


def test_options_may_come_between_paths(run):
    write("a.py", "nn.X\nBUG\n")
    write("b.py", "nn.X\nWARN\n")
    result = run("a.py", "--format", "json", "b.py", "--select", "SHP2")
    assert result.code == 1 and [d["filename"] for d in result.json()] == ["b.py"]


def test_a_declaration_for_no_model_is_a_warning(run, monkeypatch):
    def with_model(source, path, options, files=None):
        result = fake_analyze_source(source, path, options)
        result.models.append(ModelShapes("Net", path, 1, None, None, None))
        return result

    monkeypatch.setattr(analysis, "analyze_source", with_model)
    write("m.py", "nn.X\n")
    result = run("m.py", "--input", "Net=1,3,8,8", "--input", "m.py::Net=1,3,8,8", "--output", "Nett=1,2")
    assert result.code == 0
    assert result.err == "warning: --output Nett: no model named 'Nett' in the checked files\n"


def test_check_is_the_default_command(capsys, tmp_path):
    write("m.py", "nn.X\nBUG\n")
    assert main(["m.py"]) == 1
    assert "SHP101" in capsys.readouterr().out


def test_no_python_files_is_a_clean_exit(run, tmp_path):
    (tmp_path / "empty").mkdir()
    result = run("empty")
    assert result.code == 0 and "SHP" not in result.out
    assert result.err == "warning: No Python files found under the given path(s)\n"


def test_empty_stdin_is_a_clean_exit(run):
    result = run("-", stdin=b"")
    assert result.code == 0


def test_no_path_checks_the_current_directory(run):
    write("pkg/m.py", "nn.X\nBUG\n")
    result = run()
    assert result.code == 1 and result.out.startswith(os.path.join("pkg", "m.py") + ":2:1: SHP101")


def test_a_missing_file_is_shp001_and_the_rest_is_checked(run):
    write("m.py", "nn.X\nBUG\n")
    result = run("missing.py", "m.py", "--format", "json")
    assert result.code == 1
    assert sorted((d["filename"], d["code"]) for d in result.json()) == [
        ("m.py", "SHP101"), ("missing.py", "SHP001")]


# --------------------------------------------------------------------------------------------
# One-line errors, exit 2


@pytest.mark.parametrize(
    "args,fragment",
    [
        (["--format", "xml"], "--format"),
        (["--no-such-flag"], "--no-such-flag"),
        (["--select", "XYZ1"], "XYZ1"),
        (["--ignore", "SHP9"], "SHP9"),
        (["--jobs", "0"], "--jobs"),
        (["--jobs", "many"], "--jobs"),
        (["--input", "Net=16,3,,64"], "--input"),
        (["--input", "no shape"], "--input"),
        (["--output", "Net="], "--output"),
        (["--config", "does-not-exist.toml"], "does-not-exist.toml"),
    ],
)
def test_bad_usage_is_one_line_and_exit_2(run, args, fragment):
    write("m.py", "nn.X\nBUG\n")
    result = run("m.py", *args)
    assert result.code == 2
    assert result.out == ""
    assert len(result.err.splitlines()) == 1, result.err
    assert result.err.startswith("shapelint check: error:") and fragment in result.err


def test_bad_config_is_one_line_and_exit_2(run):
    write("pyproject.toml", '[tool.shapelint]\nselect = ["SHP1"]\nno-such-key = 1\n')
    write("m.py", "nn.X\nBUG\n")
    result = run("m.py")
    assert result.code == 2 and len(result.err.splitlines()) == 1 and "no-such-key" in result.err


def test_help_exits_0(run):
    result = run("--help")
    assert result.code == 0 and "--stdin-filename" in result.out


def test_an_internal_error_is_one_line_the_other_files_are_checked_and_the_exit_is_2(run):
    write("a.py", "nn.X\nCRASH\n")
    write("b.py", "nn.X\nBUG\n")
    result = run("a.py", "b.py")
    assert result.code == 2
    assert "b.py:2:1: SHP101 found BUG" in result.out
    assert result.err.splitlines() == ["error: internal error in a.py: ValueError: fake engine crash"]
    assert "All checks passed" not in run("a.py").out
    assert "Traceback" not in result.err


def test_shapelint_debug_shows_the_traceback(run, monkeypatch):
    monkeypatch.setenv("SHAPELINT_DEBUG", "1")
    write("a.py", "nn.X\nCRASH\n")
    result = run("a.py")
    assert result.code == 2 and "Traceback" in result.err


# --------------------------------------------------------------------------------------------
# stdin


def test_stdin_with_stdin_filename(run):
    result = run("-", "--stdin-filename", "pkg/model.py", stdin=b"nn.X\nBUG\n")
    assert result.code == 1 and result.out.startswith("pkg/model.py:2:1: SHP101")


def test_stdin_filename_alone_reads_stdin(run):
    result = run("--stdin-filename", "model.py", stdin=b"nn.X\n\nBUG\n")
    assert result.code == 1 and result.out.startswith("model.py:3:1: SHP101")


def test_stdin_without_a_name_is_dash(run):
    result = run("-", "--format", "json", stdin=b"nn.X\nBUG\n")
    assert [d["filename"] for d in result.json()] == ["-"]


def test_stdin_honours_per_file_ignores_through_the_stdin_filename(run):
    write("pyproject.toml", '[tool.shapelint.per-file-ignores]\n"tests/*" = ["SHP101"]\n')
    assert run("-", "--stdin-filename", "tests/m.py", stdin=b"nn.X\nBUG\n").code == 0
    assert run("-", "--stdin-filename", "src/m.py", stdin=b"nn.X\nBUG\n").code == 1


# --------------------------------------------------------------------------------------------
# noqa


def test_noqa(run):
    write("m.py", "nn.X\nBUG  # noqa\nBUG  # noqa: SHP101\nBUG  # NoQA:shp1\nBUG  # noqa: SHP102\nBUG\n")
    result = run("m.py", "--format", "json")
    assert [d["location"]["row"] for d in result.json()] == [5, 6]
    assert [d["noqa_row"] for d in result.json()] == [5, 6]


# --------------------------------------------------------------------------------------------
# Selection


def rows_and_codes(result: Result):
    return [(d["location"]["row"], d["code"]) for d in result.json()]


@pytest.fixture
def three_codes():
    write("m.py", "nn.X\nBUG\nWARN\nFIXME\n")


@pytest.mark.parametrize(
    "args,expected",
    [
        ([], ["SHP101", "SHP201", "SHP102"]),
        (["--select", "SHP1"], ["SHP101", "SHP102"]),
        (["--select", "SHP201,SHP101"], ["SHP101", "SHP201"]),
        (["--select", "SHP2", "--select", "SHP102"], ["SHP201", "SHP102"]),
        (["--ignore", "SHP2"], ["SHP101", "SHP102"]),
        (["--select", "SHP1", "--ignore", "SHP101"], ["SHP102"]),
        (["--ignore", "SHP1", "--extend-select", "SHP101"], ["SHP101", "SHP201"]),
        (["--select", "shp201"], ["SHP201"]),
        (["--select", "ALL", "--ignore", "SHP10"], ["SHP201"]),
    ],
)
def test_select_and_ignore(run, three_codes, args, expected):
    result = run("m.py", "--format", "json", *args)
    assert [code for _, code in rows_and_codes(result)] == expected
    assert result.code == (1 if expected else 0)


def test_cli_select_replaces_the_config_selection_and_extend_select_adds(run, three_codes):
    write("pyproject.toml", '[tool.shapelint]\nselect = ["SHP2"]\n')
    assert [c for _, c in rows_and_codes(run("m.py", "--format", "json"))] == ["SHP201"]
    assert [c for _, c in rows_and_codes(run("m.py", "--format", "json", "--select", "SHP101"))] == ["SHP101"]
    assert [c for _, c in rows_and_codes(run("m.py", "--format", "json", "--extend-select", "SHP101"))] == [
        "SHP101", "SHP201"]


def test_config_option_replaces_the_search(run, three_codes):
    write("pyproject.toml", '[tool.shapelint]\nselect = ["SHP2"]\n')
    write("elsewhere/shapelint.toml", 'select = ["SHP101"]\n')
    result = run("m.py", "--format", "json", "--config", "elsewhere/shapelint.toml")
    assert [c for _, c in rows_and_codes(result)] == ["SHP101"]


def test_config_per_file_ignores_and_exclude(run):
    write("pyproject.toml", '[tool.shapelint]\nexclude = ["generated"]\n'
          '[tool.shapelint.per-file-ignores]\n"tests/*" = ["SHP1"]\n')
    write("src/m.py", "nn.X\nBUG\n")
    write("tests/t.py", "nn.X\nBUG\nWARN\n")
    write("generated/g.py", "nn.X\nBUG\n")
    result = run(".", "--format", "json")
    assert sorted((d["filename"], d["code"]) for d in result.json()) == [
        (os.path.join("src", "m.py"), "SHP101"), (os.path.join("tests", "t.py"), "SHP201")]
    # --select does not override per-file-ignores (ruff does the same).
    result = run("tests/t.py", "--select", "SHP101")
    assert result.code == 0


# --------------------------------------------------------------------------------------------
# Output formats


def test_json_is_ruffs_schema(run):
    write("m.py", "nn.X\n  FIXME\n")
    [diagnostic] = run("m.py", "--format", "json").json()
    assert set(diagnostic) == {"code", "message", "filename", "location", "end_location", "fix",
                               "noqa_row", "url", "notes", "related"}
    assert diagnostic["location"] == {"row": 2, "column": 3}
    assert diagnostic["end_location"] == {"row": 2, "column": 8}
    assert diagnostic["fix"]["applicability"] == "safe"
    assert diagnostic["fix"]["edits"] == [
        {"content": "FIXED", "location": {"row": 2, "column": 3}, "end_location": {"row": 2, "column": 8}}]


def test_json_of_a_clean_run_is_an_empty_array(run):
    write("m.py", "nn.X\n")
    result = run("m.py", "--format", "json")
    assert result.code == 0 and result.json() == []


def test_github_and_sarif(run):
    write("m.py", "nn.X\nBUG\n")
    github = run("m.py", "--format", "github")
    assert github.code == 1 and github.out.startswith("::error ") and "title=SHP101" in github.out
    sarif = run("m.py", "--format", "sarif")
    log = json.loads(sarif.out)
    assert sarif.code == 1 and log["version"] == "2.1.0" and len(log["runs"][0]["results"]) == 1


def test_statistics_like_ruff(run):
    write("m.py", "nn.X\nBUG\nBUG\nFIXME\nWARN\nBUG\n")
    result = run("m.py", "--statistics")
    assert result.code == 1
    lines = result.out.splitlines()
    assert [re.split(r"\t", line)[:2] for line in lines] == [
        ["3", "SHP101"], ["1", "SHP102"], ["1", "SHP201"]]
    assert lines[1].endswith("[*] channel / feature mismatch")
    assert lines[0].split("\t")[2].startswith("[ ] ")
    stats = run("m.py", "--statistics", "--format", "json").json()
    assert stats[0] == {"code": "SHP101", "name": "shape differs from the declared shape", "count": 3,
                        "fixable": False}


# --------------------------------------------------------------------------------------------
# --fix, --diff, --unsafe-fixes


def test_fix_rewrites_and_reports_what_remains(run):
    write("m.py", "nn.X\na = FIXME\nb = BUG\n")
    result = run("m.py", "--fix")
    assert Path("m.py").read_text() == "nn.X\na = FIXED\nb = BUG\n"
    assert result.code == 1
    assert "m.py:3:5: SHP101" in result.out and "SHP102" not in result.out


def test_fix_exits_0_when_everything_was_fixed(run):
    write("m.py", "nn.X\nFIXME = FIXME\n")
    result = run("m.py", "--fix")
    assert result.code == 0 and Path("m.py").read_text() == "nn.X\nFIXED = FIXED\n"
    assert "Found 2 errors (2 fixed, 0 remaining)." in result.out


def test_fix_skips_unsafe_fixes_unless_asked(run):
    write("m.py", "nn.X\nRISKY\n")
    assert run("m.py", "--fix").code == 1
    assert Path("m.py").read_text() == "nn.X\nRISKY\n"
    assert run("m.py", "--fix", "--unsafe-fixes").code == 0
    assert Path("m.py").read_text() == "nn.X\nSAFE_NOW\n"


def test_fix_does_not_touch_noqa_or_unselected_diagnostics(run):
    write("m.py", "nn.X\nFIXME  # noqa\nFIXME\n")
    assert run("m.py", "--fix", "--ignore", "SHP102").code == 0
    assert Path("m.py").read_text() == "nn.X\nFIXME  # noqa\nFIXME\n"
    run("m.py", "--fix")
    assert Path("m.py").read_text() == "nn.X\nFIXME  # noqa\nFIXED\n"


def test_fix_keeps_the_encoding_and_line_endings(run):
    Path("m.py").write_bytes(b"# -*- coding: latin-1 -*-\r\nnn.X  # caf\xe9\r\nFIXME\r\n")
    assert run("m.py", "--fix").code == 0
    assert Path("m.py").read_bytes() == b"# -*- coding: latin-1 -*-\r\nnn.X  # caf\xe9\r\nFIXED\r\n"


def test_a_file_that_cannot_be_written_is_one_line_and_the_others_are_fixed(run, monkeypatch):
    # The fix brings a character that the file's declared encoding cannot hold.
    original = fake_analyze_source

    def euro_fix(source, path, options, files=None):
        result = original(source, path, options)
        result.diagnostics[:] = [
            Diagnostic(d.code, d.message, d.path, d.row, d.col, d.end_row, d.end_col,
                       Fix("euro", "safe", (Edit("'\u20ac'", (d.row, d.col), (d.end_row, d.end_col)),)))
            for d in result.diagnostics
        ]
        return result

    monkeypatch.setattr(analysis, "analyze_source", euro_fix)
    Path("a.py").write_bytes(b"# -*- coding: latin-1 -*-\nnn.X\nBUG\n")
    write("b.py", "nn.X\nBUG\n")
    result = run("a.py", "b.py", "--fix")
    assert result.code == 2, (result.out, result.err, Path("a.py").read_bytes(), Path("b.py").read_bytes())
    assert Path("b.py").read_text() == "nn.X\n'\u20ac'\n"
    assert Path("a.py").read_bytes() == b"# -*- coding: latin-1 -*-\nnn.X\nBUG\n"
    assert "a.py:3:1: SHP101" in result.out and "b.py" not in result.out
    [line] = result.err.splitlines()
    assert line.startswith("error: cannot write a.py: ")


def test_diff_prints_and_writes_nothing(run):
    write("m.py", "nn.X\nFIXME\n")
    result = run("m.py", "--diff")
    assert result.code == 1
    assert "-FIXME" in result.out and "+FIXED" in result.out
    assert Path("m.py").read_text() == "nn.X\nFIXME\n"
    assert run("m.py", "--diff", "--fix").code == 1 and Path("m.py").read_text() == "nn.X\nFIXME\n"


def test_diff_without_changes_exits_0(run):
    write("m.py", "nn.X\nBUG\n")
    result = run("m.py", "--diff")
    assert result.code == 0 and result.out == ""


def test_fix_from_stdin_echoes_undecodable_input_untouched(capsysbinary, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"nn.X = '\xff'\n")))
    monkeypatch.setattr(analysis, "analyze_source", lambda source, path, options, files=None: FileResult(
        path, [Diagnostic("SHP001", "cannot decode", path, 1, 1, 1, 1)]))
    assert main(["check", "--fix", "-"]) == 1
    captured = capsysbinary.readouterr()
    assert captured.out == b"nn.X = '\xff'\n"
    assert b"-:1:1: SHP001 cannot decode" in captured.err


def test_fix_from_stdin_prints_the_fixed_source(run):
    result = run("-", "--fix", stdin=b"nn.X\nFIXME\nBUG\n")
    assert result.code == 1
    assert result.out == "nn.X\nFIXED\nBUG\n"
    assert "-:3:1: SHP101" in result.err


# --------------------------------------------------------------------------------------------
# Cache and parallel runs through the command


def test_cache_is_used_and_no_cache_skips_it(run, tmp_path, monkeypatch):
    write("m.py", "nn.X\nBUG\n")
    calls = []
    monkeypatch.setattr(analysis, "analyze_source",
                        lambda s, p, o, files=None: calls.append(p) or fake_analyze_source(s, p, o))
    first, second = run("m.py"), run("m.py")
    assert first.out == second.out and calls == ["m.py"]
    assert (tmp_path / "cache").is_dir()
    run("m.py", "--no-cache")
    assert calls == ["m.py", "m.py"]
    write("m.py", "nn.X\nBUG\nBUG\n")
    assert run("m.py").out.count("SHP101") == 2 and len(calls) == 3


def test_selection_changes_are_not_served_from_a_stale_cache(run):
    write("m.py", "nn.X\nBUG\nWARN\n")
    assert [c for _, c in rows_and_codes(run("m.py", "--format", "json", "--select", "SHP1"))] == ["SHP101"]
    assert [c for _, c in rows_and_codes(run("m.py", "--format", "json"))] == ["SHP101", "SHP201"]


@FORKED_WORKERS
def test_parallel_output_equals_serial_output(run):
    for i in range(30):
        write(f"pkg/m{i:02d}.py", "nn.X\n" + "BUG\n" * (i % 3) + "WARN\n" * (i % 2))
    serial = run("pkg", "--jobs", "1", "--no-cache", "--format", "json")
    parallel = run("pkg", "--jobs", "3", "--no-cache", "--format", "json")
    assert serial.code == parallel.code == 1
    assert parallel.out == serial.out and len(serial.json()) == sum(i % 3 + i % 2 for i in range(30))


def test_the_cli_in_a_subprocess_without_a_traceback(tmp_path):
    """The real entry point: a bad flag is one line and exit 2 (no fake engine needed)."""
    proc = subprocess.run([sys.executable, "-m", "shapelint", "check", "--jobs", "x"],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1 and proc.stdout == ""
