"""Files and directories that cannot be checked are reported, never silently skipped.

An unreadable directory is SHP001 on the directory (its files were not checked), like an
unreadable file; a binary or undecodable ``.py`` is SHP001 (Python refuses it), even when it
mentions no layer; an empty file is a valid, clean Python file. The real engine runs here.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from shapelint.frontends import runner
from shapelint.frontends.cli import main
from shapelint.core.options import Options

BROKEN_MODEL = (
    "import torch.nn as nn\n\n"
    "# shapelint: input=(1, 3, 8, 8)\n"
    "net = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(4))\n"
)


def check_json(capsys, *args: str):
    code = main(["check", "--no-cache", "--format", "json", *args])
    return code, json.loads(capsys.readouterr().out)


def refuse_to_list(monkeypatch, refused: Path) -> None:
    """Make ``os.scandir`` fail on ``refused`` as it does on a directory without read access
    (root, which runs these tests in containers, can read any directory)."""
    real_scandir = os.scandir

    def scandir(path="."):
        if os.path.abspath(os.fspath(path)) == str(refused):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)


# --------------------------------------------------------------------------------------------
# Unreadable directories


def test_an_unreadable_directory_is_shp001_and_the_other_files_are_still_checked(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pkg" / "locked").mkdir(parents=True)
    (tmp_path / "pkg" / "locked" / "hidden.py").write_text(BROKEN_MODEL)
    (tmp_path / "pkg" / "model.py").write_text(BROKEN_MODEL)
    refuse_to_list(monkeypatch, tmp_path / "pkg" / "locked")

    code, diagnostics = check_json(capsys, "pkg")
    assert code == 1
    by_file = {(d["filename"], d["code"]) for d in diagnostics}
    locked = os.path.join("pkg", "locked")
    assert (os.path.join("pkg", "model.py"), "SHP102") in by_file  # still checked
    [unreadable] = [d for d in diagnostics if d["code"] == "SHP001"]
    assert unreadable["filename"] == locked
    assert (unreadable["location"]["row"], unreadable["location"]["column"]) == (1, 1)
    assert unreadable["message"] == "cannot read directory: Permission denied"


def test_an_unreadable_directory_given_explicitly_is_not_all_checks_passed(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "locked").mkdir()
    refuse_to_list(monkeypatch, tmp_path / "locked")
    assert main(["check", "--no-cache", "locked"]) == 1
    out = capsys.readouterr().out
    assert "locked:1:1: SHP001 cannot read directory: Permission denied" in out
    assert "All checks passed" not in out
    assert main(["shapes", "--no-cache", "locked"]) == 1
    assert "SHP001 cannot read directory" in capsys.readouterr().err


def test_discover_keeps_the_unlistable_directory_in_place_of_its_files(tmp_path, monkeypatch):
    (tmp_path / "a" / "deep").mkdir(parents=True)
    (tmp_path / "a" / "deep" / "x.py").write_text("x = 1\n")
    (tmp_path / "b.py").write_text("x = 1\n")
    refuse_to_list(monkeypatch, tmp_path / "a")
    found = runner.discover([str(tmp_path)])
    assert sorted(found) == [str(tmp_path / "a"), str(tmp_path / "b.py")]
    outcome = runner.check_file(str(tmp_path / "a"), runner.Job(Options()))
    assert [(d.code, d.message) for d in outcome.result.diagnostics] == [
        ("SHP001", "cannot read directory: Permission denied")
    ]


def unprivileged_command():
    """A command prefix that runs as an ordinary user, or None when none works here."""
    if os.name != "posix":
        return None
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    prefix = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
    try:
        probe = subprocess.run(prefix + [sys.executable, "-c", "import shapelint.frontends.cli"],
                               cwd="/", capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return prefix if probe.returncode == 0 else None


def test_a_directory_without_read_permission_end_to_end():
    prefix = unprivileged_command()
    if prefix is None:
        pytest.skip("no way to run as an unprivileged user here")
    # Not under pytest's tmp_path: its root is private to the user running the tests.
    root = Path(tempfile.mkdtemp(prefix="shapelint-perm-"))
    try:
        (root / "pkg" / "locked").mkdir(parents=True)
        (root / "pkg" / "locked" / "hidden.py").write_text(BROKEN_MODEL)
        (root / "pkg" / "model.py").write_text(BROKEN_MODEL)
        for directory in (root, root / "pkg"):
            directory.chmod(0o755)
        (root / "pkg" / "model.py").chmod(0o644)
        (root / "pkg" / "locked").chmod(0)
        completed = subprocess.run(
            prefix + [sys.executable, "-m", "shapelint", "check", "--no-cache", "pkg"],
            cwd=root, capture_output=True, text=True, timeout=60,
        )
        assert completed.returncode == 1, completed.stderr
        locked = os.path.join("pkg", "locked")
        assert f"{locked}:1:1: SHP001 cannot read directory: Permission denied" in completed.stdout
        assert "model.py" in completed.stdout and "Traceback" not in completed.stderr
    finally:
        (root / "pkg" / "locked").chmod(stat.S_IRWXU)
        shutil.rmtree(root)


# --------------------------------------------------------------------------------------------
# Binary, undecodable and empty files


@pytest.mark.parametrize(
    "content, message",
    [
        (b"x = 1\n\x00\x00\x00\x7fELF\x02\x01\n", "null byte"),
        (b"import torch.nn as nn\n\x00\n", "null byte"),
        (b"\xff\xd8\xff\xe0\x10JFIF\x80\x81\n", "cannot decode"),
        (b'name = "caf\xe9"\n', "cannot decode"),  # Latin-1 without a coding declaration
    ],
    ids=["nul", "nul-torch", "binary", "latin1-no-cookie"],
)
def test_a_file_python_refuses_is_shp001(tmp_path, monkeypatch, capsys, content, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.py").write_bytes(content)
    (tmp_path / "model.py").write_text(BROKEN_MODEL)
    with pytest.raises((SyntaxError, ValueError)):  # the oracle: CPython refuses it too
        compile(content, "bad.py", "exec")
    code, diagnostics = check_json(capsys, ".")
    assert code == 1
    [bad] = [d for d in diagnostics if d["filename"] == "bad.py"]
    assert bad["code"] == "SHP001" and message in bad["message"]
    assert (bad["location"]["row"], bad["location"]["column"]) == (1, 1)
    assert any(d["filename"] == "model.py" for d in diagnostics)


def test_a_binary_file_on_stdin_is_shp001(monkeypatch, capsys):
    class Stdin:
        buffer = __import__("io").BytesIO(b"\x00\x01\x02binary")

    monkeypatch.setattr(sys, "stdin", Stdin())
    assert main(["check", "-"]) == 1
    assert "-:1:1: SHP001" in capsys.readouterr().out


@pytest.mark.parametrize(
    "content",
    [b"", b"# -*- coding: latin-1 -*-\nname = 'caf\xe9'\n", b"\xef\xbb\xbfx = 1\n"],
    ids=["empty", "latin1-with-cookie", "utf8-bom"],
)
def test_source_python_accepts_is_not_an_error(tmp_path, monkeypatch, capsys, content):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ok.py").write_bytes(content)
    compile(content, "ok.py", "exec")  # the oracle: CPython accepts it
    code, diagnostics = check_json(capsys, "ok.py")
    assert (code, diagnostics) == (0, [])
