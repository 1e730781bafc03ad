"""``shapelint check`` end to end: the installed command on real model code, in a subprocess,
with PyTorch confirming that what it flags really fails."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from support import case_files

torch = pytest.importorskip("torch")

# The model files are cases of tests/cases/shared/ (where their diagnostics land is checked there):
# up.py has an output_padding PyTorch rejects, block.py a BatchNorm2d counting 16 channels where
# 8 arrive, net.py is right for 32x32 inputs and wrong for 64x64.
UP, BLOCK, NET = (case_files.shared(name) for name in ("up.py", "block.py", "net.py"))
(BAD_LINE,) = UP.rows("SHP103")


def load(path: Path, name: str):
    namespace: dict = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    return namespace[name]


def shapelint(*args: str, cwd: Path, stdin: str = "", env=None):
    environment = dict(os.environ, **(env or {}))
    environment.pop("SHAPELINT_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "shapelint", *args], capture_output=True, text=True,
                          input=stdin, cwd=cwd, env=environment)


def test_torch_agrees_the_examples_are_broken(project):
    with pytest.raises(RuntimeError):
        load(project / "up.py", "Up")()(torch.randn(1, 8, 4, 4))
    with pytest.raises(RuntimeError):
        load(project / "block.py", "block").eval()(torch.randn(1, 3, 8, 8))
    net = load(project / "net.py", "Net")()
    assert net(torch.randn(1, 3, 32, 32)).shape == (1, 10)
    with pytest.raises(RuntimeError):
        net(torch.randn(1, 3, 64, 64))


def test_check_flags_the_invalid_layer(project):
    proc = shapelint("check", "up.py", "--no-cache", "--format", "json", cwd=project)
    assert proc.returncode == 1, proc.stderr
    found = json.loads(proc.stdout)
    assert [(d["code"], d["location"]["row"]) for d in found] == [("SHP103", BAD_LINE)]
    assert found[0]["filename"] == "up.py" and found[0]["noqa_row"] == BAD_LINE


def test_text_output_and_noqa(project):
    proc = shapelint("check", "up.py", "--no-cache", cwd=project)
    assert proc.returncode == 1 and proc.stdout.startswith(f"up.py:{BAD_LINE}:")
    lines = UP.source.splitlines()
    for comment in ("  # noqa", "  # noqa: SHP103", "  # NOQA:SHP1"):
        patched = lines[:]
        patched[BAD_LINE - 1] += comment
        (project / "up.py").write_text("\n".join(patched) + "\n")
        proc = shapelint("check", "up.py", "--no-cache", cwd=project)
        assert proc.returncode == 0, (comment, proc.stdout)
    patched[BAD_LINE - 1] = lines[BAD_LINE - 1] + "  # noqa: SHP101"
    (project / "up.py").write_text("\n".join(patched) + "\n")
    assert shapelint("check", "up.py", "--no-cache", cwd=project).returncode == 1


def test_select_and_ignore(project):
    assert shapelint("check", "up.py", "--no-cache", "--select", "SHP2", cwd=project).returncode == 0
    assert shapelint("check", "up.py", "--no-cache", "--ignore", "SHP103", cwd=project).returncode == 0
    assert shapelint("check", "up.py", "--no-cache", "--select", "SHP1", cwd=project).returncode == 1


def test_stdin_like_an_editor(project):
    proc = shapelint("check", "-", "--stdin-filename", "pkg/up.py", "--no-cache", cwd=project,
                     stdin=UP.source)
    assert proc.returncode == 1 and proc.stdout.startswith(f"pkg/up.py:{BAD_LINE}:"), proc.stdout
    assert shapelint("check", "-", cwd=project, stdin="").returncode == 0


def test_input_declaration_from_the_command_line(project):
    assert shapelint("check", "net.py", "--no-cache", cwd=project).returncode == 0
    assert shapelint("check", "net.py", "--no-cache", "--input", "Net=1,3,32,32", cwd=project).returncode == 0
    proc = shapelint("check", "net.py", "--no-cache", "--input", "Net=1,3,64,64", "--format", "json",
                     cwd=project)
    assert proc.returncode == 1, proc.stderr
    assert {d["code"] for d in json.loads(proc.stdout)} == {"SHP102"}


def test_fix_repairs_the_channel_chain_and_torch_runs_it(project):
    proc = shapelint("check", "block.py", "--no-cache", "--diff", cwd=project)
    assert proc.returncode == 1 and "-    nn.BatchNorm2d(16)," in proc.stdout
    assert (project / "block.py").read_text() == BLOCK.source
    proc = shapelint("check", "block.py", "--no-cache", "--fix", cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "nn.BatchNorm2d(8)," in (project / "block.py").read_text()
    load(project / "block.py", "block").eval()(torch.randn(1, 3, 8, 8))


def test_fix_from_cached_results(project):
    """A cached result carries its fixes: --fix after a plain run applies the same edits."""
    assert shapelint("check", "block.py", cwd=project).returncode == 1  # fills the cache
    assert list((project / ".shapelint_cache").rglob("*.json"))
    proc = shapelint("check", "block.py", "--fix", cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (project / "block.py").read_text() == BLOCK.source.replace("BatchNorm2d(16)", "BatchNorm2d(8)")
    assert shapelint("check", "block.py", cwd=project).returncode == 0


def test_fix_exit_status_reflects_what_remains(project):
    # The invalid output_padding has no safe fix in this file: --fix must not exit 0.
    proc = shapelint("check", "up.py", "block.py", "--no-cache", "--fix", cwd=project)
    assert proc.returncode == 1
    assert "SHP103" in proc.stdout and "nn.BatchNorm2d(8)," in (project / "block.py").read_text()


def many_files(root: Path, n: int) -> Path:
    sources = [UP.source, BLOCK.source, NET.source]
    for i in range(n):
        (root / "pkg" / f"sub{i % 4}").mkdir(parents=True, exist_ok=True)
        (root / "pkg" / f"sub{i % 4}" / f"m{i}.py").write_text(sources[i % 3])
    return root / "pkg"


def test_parallel_equals_serial_and_the_cache_changes_nothing(project):
    many_files(project, 36)
    serial = shapelint("check", "pkg", "--no-cache", "--jobs", "1", "--format", "json", cwd=project)
    parallel = shapelint("check", "pkg", "--no-cache", "--jobs", "4", "--format", "json", cwd=project)
    assert serial.returncode == parallel.returncode == 1
    assert parallel.stdout == serial.stdout and len(json.loads(serial.stdout)) == 24
    cold = shapelint("check", "pkg", "--format", "json", cwd=project)
    warm = shapelint("check", "pkg", "--format", "json", cwd=project)
    assert cold.stdout == warm.stdout == serial.stdout
    assert (project / ".shapelint_cache").is_dir()

    # Corrupt every cache entry: same answer, no traceback, and the cache heals.
    entries = list((project / ".shapelint_cache").rglob("*.json"))
    assert len(entries) == 36
    for entry in entries:
        entry.write_bytes(b"\x00garbage")
    corrupted = shapelint("check", "pkg", "--format", "json", cwd=project)
    assert corrupted.returncode == 1 and corrupted.stdout == serial.stdout and corrupted.stderr == ""

    # A changed file is checked again.
    (project / "pkg" / "sub1" / "m1.py").write_text(BLOCK.source.replace("BatchNorm2d(16)", "BatchNorm2d(8)"))
    changed = shapelint("check", "pkg", "--format", "json", cwd=project)
    assert len(json.loads(changed.stdout)) == 23


def test_an_unwritable_cache_is_not_an_error(project):
    (project / ".shapelint_cache").write_text("a file where the cache directory should be")
    proc = shapelint("check", "up.py", cwd=project)
    assert proc.returncode == 1 and proc.stderr == ""


def test_the_lint_path_never_imports_torch(project):
    blocker = (
        "import sys\n"
        "sys.modules['torch'] = None  # any `import torch` now raises ImportError\n"
        "from shapelint.frontends.cli import main\n"
        "sys.exit(main(['check', '--no-cache', 'up.py', 'block.py', 'net.py', '--input', 'Net=1,3,64,64']))\n"
    )
    proc = subprocess.run([sys.executable, "-c", blocker], capture_output=True, text=True, cwd=project)
    assert proc.returncode == 1 and proc.stderr == "", proc.stderr
