"""One configuration everywhere: ``flake8 --select SHP`` and ``shapelint check`` read the same
``[tool.shapelint]`` and report the same (file, row, code), from any working directory and
however a file is named (relative, ``./``, absolute, from a subdirectory, on stdin).

The project below exercises every key that changes what is reported: ``select`` (SHP202 is not
selected), ``ignore`` (SHP103), ``extend-select`` (SHP201), ``exclude`` (``generated``),
``per-file-ignores`` (SHP102 in ``scripts/``) and ``inputs`` with a ``path::Name`` key (only that
file's ``Net`` gets the input that breaks its ``Linear``; ``models/other.py`` has the same class).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from support import case_files  # noqa: E402

BAD_OUTPUT_PADDING, BAD_CHANNELS, NEEDS_INPUT = (
    case_files.shared(name).source for name in ("up.py", "block.py", "net.py"))

pytest.importorskip("flake8")

PYPROJECT = """\
[project]
name = "demo"

[tool.shapelint]
select = ["SHP1"]
ignore = ["SHP103"]
extend-select = ["SHP201"]
exclude = ["generated"]
per-file-ignores = { "scripts/*.py" = ["SHP102"] }

[tool.shapelint.inputs]
"models/net.py::Net" = [1, 3, 64, 64]
"""

# SHP201 on the first layer (kernel 3, stride 2), SHP202 on the second (padding 5 > 3).
TRANSPOSED = """\
from torch import nn

checkerboard = nn.Sequential(
    nn.ConvTranspose2d(4, 4, kernel_size=3, stride=2),
    nn.ConvTranspose2d(4, 4, kernel_size=4, stride=2, padding=5),
)
"""

FILES = {
    "models/net.py": NEEDS_INPUT,
    "models/other.py": NEEDS_INPUT,
    "models/up.py": BAD_OUTPUT_PADDING,
    "models/blocks.py": TRANSPOSED,
    "generated/gen.py": BAD_CHANNELS,
    "scripts/tool.py": BAD_CHANNELS,
}


def row_of(file: str, marker: str) -> int:
    [row] = [i for i, line in enumerate(FILES[file].splitlines(), start=1) if marker in line]
    return row


#: What the config lets through: the declared input breaks models/net.py's Linear (64x64 input,
#: the layer is sized for 32x32), and extend-select adds SHP201.
EXPECTED = {
    ("models/net.py", row_of("models/net.py", "nn.Linear"), "SHP102"),
    ("models/blocks.py", row_of("models/blocks.py", "kernel_size=3"), "SHP201"),
}


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("everywhere")
    root = base / "proj"
    for name, text in {**FILES, "pyproject.toml": PYPROJECT}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (base / "outside").mkdir()
    return root


def run(*args: str, cwd: Path, stdin: str = "") -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "SHAPELINT_DEBUG"}
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, input=stdin,
                          cwd=cwd, env=environment, timeout=120)


def in_project(path: str, cwd: Path, root: Path) -> str:
    """A reported path as a path relative to the project root (both tools print it as given)."""
    return Path(os.path.relpath(os.path.realpath(cwd / path), os.path.realpath(root))).as_posix()


def shapelint_check(*args: str, cwd: Path, root: Path, stdin: str = ""):
    proc = run("shapelint", "check", "--no-cache", "--format", "json", *args, cwd=cwd, stdin=stdin)
    assert proc.returncode in (0, 1), proc.stderr
    found = {(in_project(d["filename"], cwd, root), d["location"]["row"], d["code"])
             for d in json.loads(proc.stdout)}
    return found, proc.stderr


def flake8(*args: str, cwd: Path, root: Path, stdin: str = ""):
    proc = run("flake8", "--isolated", "--format", "%(path)s\t%(row)d\t%(code)s", *args,
               cwd=cwd, stdin=stdin)
    assert proc.returncode in (0, 1), proc.stderr
    found = set()
    for line in proc.stdout.splitlines():
        path, row, code = line.split("\t")
        found.add((in_project(path, cwd, root), int(row), code))
    return found, proc.stderr


def covered(file: str, paths, cwd: Path, root: Path) -> bool:
    target = os.path.realpath(root / file)
    for path in paths:
        top = os.path.realpath(cwd / path)
        if target == top or target.startswith(top + os.sep):
            return True
    return False


# (working directory relative to the project root, or "OUTSIDE"; the paths given; ROOT in a
# path stands for the project root's absolute path)
RUNS = [
    ("", ["."]),
    ("", ["./models/net.py", "models/blocks.py", "generated/gen.py"]),
    ("models", ["net.py"]),
    ("models", [".."]),
    ("OUTSIDE", ["ROOT"]),
    ("OUTSIDE", ["ROOT/models/net.py", "ROOT/scripts/tool.py"]),
]


@pytest.mark.parametrize("where, paths", RUNS, ids=[f"{w or 'root'}:{' '.join(p)}" for w, p in RUNS])
def test_flake8_and_check_report_the_same_from_anywhere(project, where, paths):
    cwd = project.parent / "outside" if where == "OUTSIDE" else project / where
    paths = [p.replace("ROOT", str(project)) for p in paths]
    ours, our_stderr = shapelint_check(*paths, cwd=cwd, root=project)
    theirs, their_stderr = flake8("--select", "SHP", *paths, cwd=cwd, root=project)
    expected = {item for item in EXPECTED if covered(item[0], paths, cwd, project)}
    assert ours == theirs == expected
    assert our_stderr == their_stderr == ""  # no warning: every declaration matches its model


def test_the_project_exercises_every_key(project, tmp_path):
    """Without the settings, each key's file reports something the settings hide or add: the
    parity above is not vacuous."""
    empty = tmp_path / "shapelint.toml"
    empty.write_text("")
    found, _ = shapelint_check("--config", str(empty), ".", cwd=project, root=project)
    codes = {(file, code) for file, _, code in found}
    assert ("generated/gen.py", "SHP102") in codes  # exclude
    assert ("scripts/tool.py", "SHP102") in codes  # per-file-ignores
    assert ("models/up.py", "SHP103") in codes  # ignore
    assert ("models/blocks.py", "SHP202") in codes  # select
    assert ("models/net.py", "SHP102") not in codes  # inputs
    assert not any(file == "models/other.py" for file, _ in codes)
    # extend-select: without it, select = ["SHP1"] hides SHP201.
    narrow = tmp_path / "pyproject.toml"
    narrow.write_text(PYPROJECT.replace('extend-select = ["SHP201"]\n', ""))
    found, _ = shapelint_check("--config", str(narrow), "models/blocks.py", cwd=project, root=project)
    assert found == set()


STDIN_RUNS = [
    ("", "models/net.py"),
    ("models", "net.py"),
    ("models", "../generated/gen.py"),  # excluded: an editor shows nothing either
    ("", "scripts/tool.py"),  # per-file-ignores
    ("", "models/other.py"),  # the path::Name key is for models/net.py only
]


@pytest.mark.parametrize("where, display", STDIN_RUNS, ids=[f"{w or 'root'}:{d}" for w, d in STDIN_RUNS])
def test_stdin_with_a_display_name_reads_the_config_of_that_name(project, where, display):
    cwd = project / where
    source = (cwd / display).read_text()
    ours, _ = shapelint_check("--stdin-filename", display, "-", cwd=cwd, root=project, stdin=source)
    theirs, _ = flake8("--select", "SHP", "--stdin-display-name", display, "-", cwd=cwd, root=project,
                       stdin=source)
    file = in_project(display, cwd, project)
    assert ours == theirs == {item for item in EXPECTED if item[0] == file}


def test_flake8s_own_options_apply_on_top_of_the_config(project):
    # flake8's --select narrows what the config selects (SHP202 stays unselected by the config).
    found, _ = flake8("--select", "SHP2", ".", cwd=project, root=project)
    assert {code for _, _, code in found} == {"SHP201"}
    found, _ = flake8("--select", "SHP", "--extend-ignore", "SHP201",
                      "--per-file-ignores", "models/net.py:SHP102", ".", cwd=project, root=project)
    assert found == set()


# --------------------------------------------------------------------------------------------
# Declarations in the config that match no model


TYPOS = """\
[tool.shapelint.inputs]
"models/net.py::Net" = [1, 3, 64, 64]
"Nett" = [1, 3, 64, 64]
"models/nope.py::Net" = [1, 3, 64, 64]
"models/up.py::Net" = [1, 3, 64, 64]
[tool.shapelint.outputs]
"checkerboard" = [1, 4, 9, 9]
"""


@pytest.fixture
def typos(tmp_path) -> Path:
    for name, text in {**FILES, "pyproject.toml": TYPOS}.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def warning_lines(stderr: str):
    """The warnings about the config's declarations (not those about a model not followed)."""
    return [line for line in stderr.splitlines()
            if line.startswith("warning: ") and "could not be followed" not in line]


def test_unmatched_config_declarations_warn_once_per_run(typos):
    config = typos / "pyproject.toml"
    _, stderr = shapelint_check("--jobs", "2", ".", cwd=typos, root=typos)
    assert warning_lines(stderr) == [
        f"warning: {config}: tool.shapelint.inputs.Nett: no model named 'Nett' in the checked files",
        f"warning: {config}: tool.shapelint.inputs.\"models/nope.py::Net\": no file "
        f"{typos / 'models' / 'nope.py'} (a path in a key is relative to the directory of pyproject.toml)",
        f"warning: {config}: tool.shapelint.inputs.\"models/up.py::Net\": no model named 'Net' in models/up.py",
    ]
    # `checkerboard` has a declared output and no input: it runs on a probe ([b, 4, h, w]), so it
    # is followed and its output compared (4*h - 6 is 9 for no h: an SHP101, not a warning).
    assert stderr == "\n".join(warning_lines(stderr)) + "\n"


def test_shapes_warns_about_the_same_config_declarations(typos):
    _, stderr = shapelint_check(".", cwd=typos, root=typos)
    proc = run("shapelint", "shapes", "--no-cache", ".", cwd=typos, stdin="")
    assert proc.returncode == 0, proc.stderr
    assert warning_lines(proc.stderr) == warning_lines(stderr) and len(warning_lines(stderr)) == 3


def test_a_partial_run_judges_only_what_it_can_see(typos):
    """A pre-commit run over one file cannot tell whether a bare name or another file's key
    matches: only a key whose file is missing is certainly wrong."""
    _, stderr = shapelint_check("net.py", cwd=typos / "models", root=typos)
    [line] = warning_lines(stderr)
    assert 'tool.shapelint.inputs."models/nope.py::Net": no file ' in line


def test_flake8_does_not_warn_about_config_declarations(typos):
    """flake8 sees one file at a time: no file can tell that a name matches nothing."""
    found, stderr = flake8("--select", "SHP", ".", cwd=typos, root=typos)
    assert stderr == ""
    assert ("models/net.py", row_of("models/net.py", "nn.Linear"), "SHP102") in found


def test_a_variable_bound_to_a_model_is_not_an_unmatched_name(tmp_path):
    """``net = Net()`` at module level: ``net`` declares Net, so it is no typo."""
    (tmp_path / "m.py").write_text(NEEDS_INPUT + "\n\nnet = Net()\n")
    (tmp_path / "pyproject.toml").write_text('[tool.shapelint.inputs]\nnet = [1, 3, 64, 64]\n')
    found, stderr = shapelint_check(".", cwd=tmp_path, root=tmp_path)
    assert {code for _, _, code in found} == {"SHP102"} and stderr == ""
    proc = run("shapelint", "check", "--no-cache", "--input", "net=1,3,64,64", "--input", "nte=1,3,64,64",
               ".", cwd=tmp_path)
    assert warning_lines(proc.stderr) == ["warning: --input nte: no model named 'nte' in the checked files"]


# --------------------------------------------------------------------------------------------
# In process: how a key names a file, and the flake8 plugin's per-run cache


def test_a_key_names_one_file_however_it_is_spelled(tmp_path, monkeypatch):
    from shapelint.frontends.config import load_config
    from shapelint.core.options import key_declares

    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "net.py").write_text("")
    (tmp_path / "pyproject.toml").write_text('[tool.shapelint.inputs]\n"./models/net.py::Net" = [1, 3]\n')
    for cwd in (tmp_path, tmp_path / "models"):
        monkeypatch.chdir(cwd)
        [key] = load_config(["."]).options().config_inputs
        for spelling in (str(tmp_path / "models" / "net.py"), os.path.relpath(tmp_path / "models" / "net.py")):
            assert key_declares(key, "Net", spelling)
            assert not key_declares(key, "Other", spelling)
        assert not key_declares(key, "Net", str(tmp_path / "net.py"))
        # Not a suffix match: another directory's models/net.py is another file.
        assert not key_declares(key, "Net", str(tmp_path / "x" / "models" / "net.py"))


def test_flake8_run_settings_load_each_config_once_per_run(tmp_path, monkeypatch):
    import argparse

    from shapelint.frontends import config as config_module
    from shapelint.frontends.flake8_plugin import ShapelintPlugin, settings_of

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "pyproject.toml").write_text('[tool.shapelint]\nselect = ["SHP1"]\n')
    parsed = []
    original = config_module.parse_settings
    monkeypatch.setattr(config_module, "parse_settings",
                        lambda *args: parsed.append(args[1]) or original(*args))

    options = argparse.Namespace(shapelint_input=None, shapelint_output=None)
    ShapelintPlugin.parse_options(options)
    settings = settings_of(options)
    first = settings.for_directory(str(tmp_path / "a"))
    assert settings.for_directory(str(tmp_path / "b")) is first
    assert settings.for_directory(str(tmp_path / "a")) is first
    assert first[0].select == ("SHP1",) and parsed == [str(tmp_path / "pyproject.toml")]

    # The next run (a new options object) reads the edited file again.
    (tmp_path / "pyproject.toml").write_text('[tool.shapelint]\nselect = ["SHP2"]\n')
    options = argparse.Namespace(shapelint_input=None, shapelint_output=None)
    ShapelintPlugin.parse_options(options)
    assert settings_of(options).for_directory(str(tmp_path / "a"))[0].select == ("SHP2",)


def test_flake8_hands_the_run_settings_to_every_file(tmp_path, monkeypatch, capsys):
    """In a real flake8 run (in process, one job), files of several directories share one read
    of the settings file: flake8 passes its options object to each plugin instance."""
    from flake8.main.cli import main as flake8_main

    from shapelint.frontends import config as config_module

    for name in ("models/a.py", "models/b.py", "scripts/c.py", "d.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(BAD_CHANNELS)
    (tmp_path / "pyproject.toml").write_text('[tool.shapelint]\nper-file-ignores = { "models/*" = ["SHP102"] }\n')
    parsed = []
    original = config_module.parse_settings
    monkeypatch.setattr(config_module, "parse_settings",
                        lambda *args: parsed.append(args[1]) or original(*args))
    monkeypatch.chdir(tmp_path)
    assert flake8_main(["--isolated", "--jobs", "1", "--select", "SHP", "--format", "%(path)s", "."]) == 1
    assert sorted(capsys.readouterr().out.split()) == ["./d.py", "./scripts/c.py"]
    assert parsed == [str(tmp_path / "pyproject.toml")]


def test_a_command_line_key_is_relative_to_the_working_directory(tmp_path):
    """``--input path::Name``: the path is the working directory's, as every path on a command
    line; a path that names no file says so instead of matching any file that ends like it."""
    (tmp_path / "proj" / "models").mkdir(parents=True)
    (tmp_path / "proj" / "models" / "net.py").write_text(NEEDS_INPUT)
    (tmp_path / "proj" / "models" / "other.py").write_text(NEEDS_INPUT)
    found, stderr = shapelint_check("proj", "--input", "proj/models/net.py::Net=1,3,64,64",
                                    "--input", "models/other.py::Net=1,3,64,64", cwd=tmp_path, root=tmp_path)
    assert {(file, code) for file, _, code in found} == {("proj/models/net.py", "SHP102")}
    assert warning_lines(stderr) == [
        "warning: --input models/other.py::Net: no file models/other.py "
        "(a path in a key is relative to the working directory)"
    ]
