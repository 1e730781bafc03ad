"""``--fix`` never corrupts a file: concurrent runs, SIGKILL, Ctrl-C, failed writes, files that
change while being fixed, links, modes; and a fix whose result Python would not compile is refused.

Most tests run the installed ``shapelint`` command on real files with the real engine. A file is
SRC, a module-level model with a pragma whose one safe fix is ``padding=1`` (FIXED).
"""

from __future__ import annotations

import ast
import os
import random
import re
import resource
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List

import pytest

from shapelint.frontends import atomic_write
from shapelint.frontends.cli import check_cmd, main
from shapelint.frontends.fixer import apply_fixes, compiles
from shapelint.core.results import Diagnostic, Edit, Fix

pytestmark = pytest.mark.skipif(os.name != "posix", reason="signals, rlimits and links are POSIX")

SHAPELINT = str(Path(sys.executable).parent / "shapelint")

SRC = (
    "import torch.nn as nn\n"
    "\n"
    "# shapelint: input=(1, 3, 8, 8) output=(1, 4, 8, 8)\n"
    "net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU())\n"
)
FIXED = SRC.replace("nn.Conv2d(3, 4, 3)", "nn.Conv2d(3, 4, 3, padding=1)")

TEMP_RE = re.compile(r"\.shapelint-\d+\.tmp$")


@pytest.fixture
def env(tmp_path) -> Dict[str, str]:
    """The subprocesses' environment: a cache of the test's own, outside the checked files."""
    return dict(os.environ, SHAPELINT_CACHE_DIR=str(tmp_path / "cache"), SHAPELINT_DEBUG="")


def write_models(directory: Path, count: int, text: str = SRC) -> List[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = [directory / f"m_{i:04d}.py" for i in range(count)]
    for path in paths:
        path.write_text(text)
    return paths


def strays(directory: Path) -> List[str]:
    return sorted(p.name for p in directory.iterdir() if not p.name.endswith(".py"))


def shapelint(*args: str, env: Dict[str, str], cwd: Path, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([SHAPELINT, "check", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=120, **kwargs)


def fixed_count(stdout: str) -> int:
    match = re.search(r"\((\d+) fixed, ", stdout)
    return int(match.group(1)) if match else 0


def wait_for_first_write(path: Path, proc: subprocess.Popen, deadline_s: float = 20.0) -> None:
    """Return once ``path`` (the first file fixed, in path order) has changed, or the run ended."""
    end = time.monotonic() + deadline_s
    while path.read_bytes() == SRC.encode() and proc.poll() is None and time.monotonic() < end:
        time.sleep(0.002)


# --------------------------------------------------------------------------------------------
# Processes at once, killed, interrupted


def test_concurrent_fix_runs_fix_every_file_exactly_once(tmp_path, env):
    paths = write_models(tmp_path / "models", 300)
    procs = [subprocess.Popen([SHAPELINT, "check", "--fix", "--no-cache", "--jobs", "1", "models"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                              cwd=tmp_path)
             for _ in range(4)]
    outputs = [proc.communicate(timeout=120) for proc in procs]
    for proc, (out, err) in zip(procs, outputs):
        assert proc.returncode == 0 and err == "", (out, err)
    # Each file was fixed by exactly one of the runs; the others saw it change and found nothing.
    assert sum(fixed_count(out) for out, _ in outputs) == 300
    for path in paths:
        text = path.read_text()
        assert text == FIXED, (path, text)
        compile(text, str(path), "exec")
    assert strays(tmp_path / "models") == []
    after = shapelint("--no-cache", "models", env=env, cwd=tmp_path)
    assert after.returncode == 0 and "All checks passed!" in after.stdout


#: Files of the signal tests: enough for a fix phase of some 0.3 s.
SIGNALLED_FILES = 300


@pytest.fixture(scope="module")
def warm(tmp_path_factory):
    """A directory of SIGNALLED_FILES models and a cache that knows them (same bytes, same
    paths), so that a run is mostly its fix phase: a signal then lands at a random point of it."""
    root = tmp_path_factory.mktemp("signalled")
    env = dict(os.environ, SHAPELINT_CACHE_DIR=str(root / "cache"), SHAPELINT_DEBUG="")
    write_models(root / "models", SIGNALLED_FILES)
    result = shapelint("--fix", "models", env=env, cwd=root)
    assert result.returncode == 0 and assert_old_or_new(root / "models") == SIGNALLED_FILES
    return root, env


def reset_models(directory: Path) -> None:
    for path in directory.glob("m_*.py"):
        if path.read_bytes() != SRC.encode():
            # A new file rather than a truncated one: ext4 flushes a truncated file on close.
            path.unlink()
            path.write_text(SRC)


def run_and_signal(root: Path, env: Dict[str, str], sig: int, delay_s: float,
                   command: List[str]) -> subprocess.CompletedProcess:
    """Start ``command`` on fresh SRC files, send ``sig`` ``delay_s`` after its first write."""
    models = root / "models"
    reset_models(models)
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, cwd=root)
    wait_for_first_write(models / "m_0000.py", proc)
    time.sleep(delay_s)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    return subprocess.CompletedProcess(command, proc.returncode, out, err)


def assert_old_or_new(directory: Path) -> int:
    """Every file is SRC or FIXED, byte for byte; returns how many are FIXED."""
    texts = [path.read_bytes() for path in sorted(directory.glob("m_*.py"))]
    assert all(text in (SRC.encode(), FIXED.encode()) for text in texts), \
        [text for text in texts if text not in (SRC.encode(), FIXED.encode())][:3]
    return texts.count(FIXED.encode())


#: Runs shapelint with O_TMPFILE unavailable: the named temporary file (and its clean-up) is used.
WITHOUT_O_TMPFILE = [sys.executable, "-c",
                     "import os, sys; del os.O_TMPFILE; from shapelint.frontends.cli import main; "
                     "sys.exit(main(sys.argv[1:]))"]


def test_sigkill_during_the_fix_phase_leaves_each_file_old_or_new(warm):
    """Half the runs use named temporary files instead of O_TMPFILE: what a kill leaves of
    those, the next ``--fix`` deletes."""
    root, env = warm
    models = root / "models"
    rng = random.Random(1234)
    fixed_after_kill = []
    for attempt in range(10):
        command = [SHAPELINT] if attempt % 2 == 0 else WITHOUT_O_TMPFILE
        result = run_and_signal(root, env, signal.SIGKILL, rng.uniform(0.0, 0.3),
                                command + ["check", "--fix", "models"])
        fixed_after_kill.append(assert_old_or_new(models))
        assert all(TEMP_RE.search(name) for name in strays(models)), strays(models)
        assert "Traceback" not in result.stderr
    # The kills hit the middle of the phase (not only before or after it) at least once.
    assert any(0 < n < SIGNALLED_FILES for n in fixed_after_kill), fixed_after_kill
    final = shapelint("--fix", "models", env=env, cwd=root)
    assert final.returncode == 0, final.stderr
    assert assert_old_or_new(models) == SIGNALLED_FILES
    assert strays(models) == []


def test_ctrl_c_during_the_fix_phase_exits_130_without_a_traceback(warm):
    root, env = warm
    models = root / "models"
    rng = random.Random(99)
    for _ in range(3):
        result = run_and_signal(root, env, signal.SIGINT, rng.uniform(0.0, 0.2),
                                [SHAPELINT, "check", "--fix", "models"])
        # 130; or, when the signal came as the interpreter was exiting (all done), killed by
        # SIGINT, which a shell also shows as 130.
        assert result.returncode in (130, -signal.SIGINT), (result.returncode, result.stderr)
        assert "Traceback" not in result.stderr and "Exception" not in result.stderr
        assert_old_or_new(models)
        assert strays(models) == []  # Ctrl-C waits for the write under way: nothing half done


def test_stale_temporary_files_of_dead_processes_are_removed_by_the_next_fix(tmp_path, env):
    models = tmp_path / "models"
    [model] = write_models(models, 1)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = models / f".m_0000.py.shapelint-{dead.pid}.tmp"
    alive = models / f".m_0000.py.shapelint-{os.getpid()}.tmp"  # this test's: still running
    other = models / ".notes.shapelint-x.tmp"
    huge = models / f".m_0000.py.shapelint-{10**30}.tmp"  # no such pid: not ours, kept
    for path in (stale, alive, other, huge):
        path.write_text("junk")
    assert shapelint("--diff", "--no-cache", "models", env=env, cwd=tmp_path).returncode == 1
    assert stale.exists()  # --diff writes nothing, and deletes nothing
    result = shapelint("--fix", "--no-cache", "models", env=env, cwd=tmp_path)
    assert result.returncode == 0 and model.read_text() == FIXED
    assert not stale.exists() and alive.exists() and other.exists() and huge.exists()


# --------------------------------------------------------------------------------------------
# Failed writes


def limit_file_size(limit: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_a_write_that_fails_for_lack_of_space_keeps_the_original_and_exits_2(tmp_path, env):
    """RLIMIT_FSIZE makes writing past a size fail with EFBIG, as a full disk fails with ENOSPC:
    the small file's fix fits, the big one's does not."""
    big_src = SRC + "# " + "x" * 200 + "\n"
    (tmp_path / "big.py").write_text(big_src)
    (tmp_path / "small.py").write_text(SRC)
    limit = len(big_src) + 4  # less than the fixed big file, more than the fixed small one
    assert len(FIXED) < limit < len(big_src.replace("3, 4, 3)", "3, 4, 3, padding=1)"))
    result = shapelint("--fix", "--no-cache", "big.py", "small.py", env=env, cwd=tmp_path,
                       preexec_fn=limit_file_size(limit))
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert (tmp_path / "big.py").read_text() == big_src
    assert (tmp_path / "small.py").read_text() == FIXED
    [line] = result.stderr.splitlines()
    assert line.startswith("error: cannot write big.py: ") and "File too large" in line
    assert "big.py:" in result.stdout and "1 remaining" in result.stdout  # what remains in it
    assert strays(tmp_path) == []


def test_a_failing_flush_to_disk_keeps_the_original(tmp_path, monkeypatch, capsys):
    """ENOSPC from fsync (delayed allocation: the space runs out when the data is flushed)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SHAPELINT_CACHE_DIR", str(tmp_path / "cache"))
    Path("m.py").write_text(SRC)

    def no_space(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic_write.os, "fsync", no_space)
    assert main(["check", "--fix", "--no-cache", "m.py"]) == 2
    err = capsys.readouterr().err
    assert err == "error: cannot write m.py: [Errno 28] No space left on device\n"
    assert Path("m.py").read_text() == SRC and strays(tmp_path) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write a read-only file")
def test_a_read_only_file_is_not_replaced(tmp_path, env):
    model = tmp_path / "m.py"
    model.write_text(SRC)
    model.chmod(0o444)
    result = shapelint("--fix", "--no-cache", "m.py", env=env, cwd=tmp_path)
    assert result.returncode == 2 and "error: cannot write m.py: " in result.stderr
    assert model.read_text() == SRC


# --------------------------------------------------------------------------------------------
# A file that changes between its analysis and its write


def fix_in_process(tmp_path: Path, monkeypatch) -> int:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SHAPELINT_CACHE_DIR", str(tmp_path / "cache"))
    return main(["check", "--fix", "--no-cache", "m.py"])


#: What an editor saves while shapelint runs: two lines more at the top, so every position of
#: the analysis is two rows off.
EDITED = "# edited\n# meanwhile\n" + SRC


def test_a_file_changed_after_its_analysis_is_analysed_again_and_fixed(tmp_path, monkeypatch, capsys):
    Path(tmp_path / "m.py").write_text(SRC)
    from shapelint.frontends import runner

    real_run = runner.run

    def run_then_edit(*args, **kwargs):
        report = real_run(*args, **kwargs)
        (tmp_path / "m.py").write_text(EDITED)
        return report

    monkeypatch.setattr(runner, "run", run_then_edit)
    assert fix_in_process(tmp_path, monkeypatch) == 0
    assert (tmp_path / "m.py").read_text() == EDITED.replace("3, 4, 3)", "3, 4, 3, padding=1)")
    assert capsys.readouterr().err == ""


def test_a_file_changed_between_fixing_and_writing_is_fixed_from_its_new_bytes(tmp_path, monkeypatch, capsys):
    (tmp_path / "m.py").write_text(SRC)
    real_fix_source = check_cmd.fix_source
    edits = ["# edited once\n" + SRC]

    def fix_source_then_edit(*args):
        result = real_fix_source(*args)
        if edits:
            (tmp_path / "m.py").write_text(edits.pop())
        return result

    monkeypatch.setattr(check_cmd, "fix_source", fix_source_then_edit)
    assert fix_in_process(tmp_path, monkeypatch) == 0
    assert (tmp_path / "m.py").read_text() == "# edited once\n" + FIXED
    assert capsys.readouterr().err == ""


def test_a_file_that_keeps_changing_is_left_alone_with_a_warning(tmp_path, monkeypatch, capsys):
    (tmp_path / "m.py").write_text(SRC)
    real_fix_source = check_cmd.fix_source
    saves = iter(range(100))

    def fix_source_then_edit(*args):
        result = real_fix_source(*args)
        (tmp_path / "m.py").write_text(f"# save {next(saves)}\n" + SRC)
        return result

    monkeypatch.setattr(check_cmd, "fix_source", fix_source_then_edit)
    assert fix_in_process(tmp_path, monkeypatch) == 1
    last = (tmp_path / "m.py").read_text()
    assert re.fullmatch(r"# save \d+\n", last.replace(SRC, "")), last  # the editor's, untouched
    err = capsys.readouterr().err
    assert err == "warning: m.py changed while it was being fixed; not fixed\n"
    assert strays(tmp_path) == []


# --------------------------------------------------------------------------------------------
# What the replaced file keeps: mode, owner, links


def test_mode_and_owner_are_kept(tmp_path, env):
    model = tmp_path / "m.py"
    model.write_text(SRC)
    model.chmod(0o751)
    owner = None
    if os.geteuid() == 0:
        owner = (1234, 5678)
        os.chown(model, *owner)
    assert shapelint("--fix", "--no-cache", "m.py", env=env, cwd=tmp_path).returncode == 0
    info = model.stat()
    assert model.read_text() == FIXED
    assert stat.S_IMODE(info.st_mode) == 0o751
    if owner is not None:
        assert (info.st_uid, info.st_gid) == owner


def test_a_symlink_stays_a_symlink_and_its_target_is_fixed(tmp_path, env):
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "model.py"
    target.write_text(SRC)
    (tmp_path / "src").mkdir()
    link = tmp_path / "src" / "model.py"
    link.symlink_to(Path("..") / "real" / "model.py")
    # Both names given: two writes of one file in one run must neither deadlock nor corrupt it.
    result = shapelint("--fix", "--no-cache", "src/model.py", "real/model.py", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert link.is_symlink() and os.readlink(link) == os.path.join("..", "real", "model.py")
    assert target.read_text() == FIXED
    assert strays(tmp_path / "real") == [] and strays(tmp_path / "src") == []


def test_a_hard_link_is_separated_with_a_warning(tmp_path, env):
    """As documented: the fixed name gets a new file; the other names keep the old text."""
    fixed = tmp_path / "m.py"
    fixed.write_text(SRC)
    other = tmp_path / "copy.txt"  # not a .py: not checked itself
    os.link(fixed, other)
    result = shapelint("--fix", "--no-cache", "m.py", env=env, cwd=tmp_path)
    assert result.returncode == 0
    assert fixed.read_text() == FIXED and other.read_text() == SRC
    assert fixed.stat().st_nlink == 1
    assert result.stderr.splitlines() == [
        "warning: m.py had 2 hard links; the fixed file replaced this name only, "
        "the other names keep the old text"
    ]


# --------------------------------------------------------------------------------------------
# The write itself (in-process)


def test_replace_writes_nothing_when_the_bytes_differ(tmp_path):
    path = tmp_path / "m.py"
    path.write_bytes(b"new\n")
    with pytest.raises(atomic_write.FileChanged):
        atomic_write.replace_if_unchanged(str(path), b"old\n", b"fixed\n")
    assert path.read_bytes() == b"new\n" and strays(tmp_path) == []


@pytest.mark.parametrize("tmpfile", [True, False], ids=["O_TMPFILE", "named"])
def test_replace_of_a_long_name_leaves_nothing_behind(tmp_path, monkeypatch, tmpfile):
    if not tmpfile:
        monkeypatch.delattr(os, "O_TMPFILE", raising=False)
    path = tmp_path / ("é" * 120 + ".py")  # 243 bytes: the temporary name must be shortened
    path.write_bytes(b"old\n")
    links = atomic_write.replace_if_unchanged(str(path), b"old\n", b"fixed\n")
    assert links == 1 and path.read_bytes() == b"fixed\n"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_temporary_names_are_recognised_by_the_clean_up(tmp_path):
    name = atomic_write.temp_name("model.py", 4242)
    assert name == ".model.py.shapelint-4242.tmp" and TEMP_RE.search(name)
    long_a, long_b = "x" * 240 + "a.py", "x" * 240 + "b.py"
    assert len(os.fsencode(atomic_write.temp_name(long_a, 2**22))) <= 255
    assert atomic_write.temp_name(long_a, 7) != atomic_write.temp_name(long_b, 7)
    assert TEMP_RE.search(atomic_write.temp_name(long_a, 7))


# --------------------------------------------------------------------------------------------
# Compiled, not only parsed


def add_padding(source: str) -> Diagnostic:
    """A fix inserting ``, padding=1`` before the closing parenthesis on line 2."""
    row, col = 2, source.splitlines()[1].index(")") + 1
    edit = Edit(", padding=1", (row, col), (row, col))
    return Diagnostic("SHP101", "m", "m.py", row, col, row, col, Fix("add padding", "safe", (edit,)))


def test_a_fix_that_repeats_a_keyword_is_refused():
    """``f(a=1, a=1)`` parses (ast, libcst) but does not compile: the fix is refused."""
    without = "import torch.nn as nn\nconv = nn.Conv2d(3, 4, 3)\n"
    padded = "import torch.nn as nn\nconv = nn.Conv2d(3, 4, 3, padding=1)\n"
    repeated = "import torch.nn as nn\nconv = nn.Conv2d(3, 4, 3, padding=1, padding=1)\n"
    ast.parse(repeated)
    assert not compiles(repeated)
    assert apply_fixes(padded, [add_padding(padded)]) == (padded, 0)
    assert apply_fixes(without, [add_padding(without)]) == (padded, 1)


def test_compiles_ignores_the_callers_future_flags_and_warnings():
    # shapelint's modules use `from __future__ import annotations`, under which a yield in an
    # annotation is an error; the user's file does not.
    assert compiles("def g():\n    def f(x: (yield)): pass\n")
    assert not compiles("from __future__ import annotations\ndef g():\n    def f(x: (yield)): pass\n")
    assert compiles("x = '\\d'\n")  # an invalid escape warns; it is not an error
    assert not compiles("return 1\n")
