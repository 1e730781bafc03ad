"""The flake8 plugin end to end: ``flake8`` in a subprocess, on real model code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from support import case_files

pytest.importorskip("flake8")

# The model files are cases of tests/cases/shared/: see test_cli_check_engine.py.
UP, NET = case_files.shared("up.py"), case_files.shared("net.py")
(BAD_LINE,) = UP.rows("SHP103")


def flake8(*args: str, cwd: Path, stdin: str = ""):
    return subprocess.run([sys.executable, "-m", "flake8", *args], capture_output=True, text=True,
                          input=stdin, cwd=cwd)


def test_select_shp(project):
    proc = flake8("--isolated", "--select", "SHP", "up.py", cwd=project)
    assert proc.returncode == 1, proc.stderr
    [line] = proc.stdout.splitlines()
    assert line.startswith(f"up.py:{BAD_LINE}:") and " SHP103 " in line
    assert proc.stderr == ""


def test_fixable_diagnostics_say_so(project):
    proc = flake8("--isolated", "--select", "SHP", "block.py", cwd=project)
    [line] = proc.stdout.splitlines()
    assert " SHP102 " in line and line.endswith(" [*] fixable with shapelint check --fix")


def test_noqa_and_extend_ignore(project):
    lines = UP.source.splitlines()
    lines[BAD_LINE - 1] += "  # noqa: SHP103"
    (project / "up.py").write_text("\n".join(lines) + "\n")
    assert flake8("--isolated", "--select", "SHP", "up.py", cwd=project).returncode == 0
    (project / "up.py").write_text(UP.source)
    assert flake8("--isolated", "--select", "SHP", "--extend-ignore", "SHP103", "up.py", cwd=project).returncode == 0


def test_editor_style_stdin(project):
    """An editor sends the unsaved buffer on stdin; the file on disk is something else."""
    (project / "up.py").write_text("x = 1\n")
    proc = flake8("--isolated", "--select", "SHP", "--stdin-display-name", "up.py", "-", cwd=project,
                  stdin=UP.source)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.startswith(f"up.py:{BAD_LINE}:") and "SHP103" in proc.stdout


def test_input_option_and_config(project):
    assert flake8("--isolated", "--select", "SHP", "net.py", cwd=project).returncode == 0
    proc = flake8("--isolated", "--select", "SHP", "--shapelint-input", "Net=1,3,64,64", "net.py", cwd=project)
    assert proc.returncode == 1 and "SHP102" in proc.stdout, proc.stdout + proc.stderr
    (project / "setup.cfg").write_text("[flake8]\nselect = SHP\nshapelint-input =\n    Net=1,3,64,64\n")
    proc = flake8("net.py", cwd=project)
    assert proc.returncode == 1 and "SHP102" in proc.stdout, proc.stdout + proc.stderr


def test_same_diagnostics_as_shapelint_check(project):
    check = subprocess.run([sys.executable, "-m", "shapelint", "check", "--no-cache", "up.py", "block.py"],
                           capture_output=True, text=True, cwd=project)
    lint = flake8("--isolated", "--select", "SHP", "up.py", "block.py", cwd=project)
    from_check = sorted(line.split(" ", 2)[:2] for line in check.stdout.splitlines() if ": SHP" in line)
    from_flake8 = sorted(line.split(" ", 2)[:2] for line in lint.stdout.splitlines())
    assert from_check == from_flake8 and len(from_check) == 2


def test_options_reach_flake8s_worker_processes(project):
    for i in range(6):
        (project / f"net{i}.py").write_text(NET.source)
    proc = flake8("--isolated", "--jobs", "2", "--select", "SHP", "--shapelint-input", "Net=1,3,64,64",
                  *[f"net{i}.py" for i in range(6)], cwd=project)
    assert proc.returncode == 1, proc.stderr
    assert sorted(line.split(":")[0] for line in proc.stdout.splitlines()) == [f"net{i}.py" for i in range(6)]
    assert all(" SHP102 " in line for line in proc.stdout.splitlines())
