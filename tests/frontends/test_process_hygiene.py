"""Process hygiene of ``shapelint check --jobs N``: the workers never outlive the run.

Each test starts a real run on files slow enough that it is still going when the test acts,
finds the worker processes (the children of the ``shapelint`` process, from /proc), kills or
interrupts the parent and checks that every worker is gone within a few seconds and that a
wrapper reading the run's output gets EOF. Linux only (/proc, fork).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import List

import pytest

pytestmark = pytest.mark.skipif(
    sys.platform != "linux" or not os.path.isdir("/proc/self/task"), reason="needs Linux's /proc"
)

#: Enough files for a pool (>= 8 per worker), each slow enough (~1-2 s) that the run lasts
#: over ten seconds: every test acts well before it could end, and a reaction that waits for
#: the files in flight is visibly late.
FILES = 16
LAYERS = 20000

#: Seconds within which workers must be gone / a run must react.
PROMPT = 5.0


@pytest.fixture(scope="module")
def slow_project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("slow")
    layers = ",\n    ".join(["nn.Linear(64, 64)"] * LAYERS)
    for i in range(FILES):
        (root / f"m{i:02d}.py").write_text(
            f"import torch\nfrom torch import nn\n\n# shapelint: input=(8, 64)\n"
            f"net{i} = nn.Sequential(\n    {layers},\n)\n"
        )
    return root


def start_check(project: Path, *extra: str, new_session: bool = False) -> subprocess.Popen:
    command = [sys.executable, "-m", "shapelint", "check", "--jobs", "2", "--no-cache", *extra, "."]
    return subprocess.Popen(command, cwd=project, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=new_session)


def children(pid: int) -> List[int]:
    found: List[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found.extend(int(child) for child in handle.read().split())
    except OSError:  # the process is gone
        pass
    return found


def state(pid: int) -> str:
    """The process's state letter from /proc (R running, S sleeping, Z zombie), '' when gone."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return ""


def alive(pid: int) -> bool:
    return state(pid) not in ("", "Z", "X")  # a zombie has exited; only its parent may reap it


def wait_for_workers(process: subprocess.Popen, count: int = 2) -> List[int]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        workers = children(process.pid)
        if len(workers) >= count:
            return workers
        assert process.poll() is None, process.communicate()
        time.sleep(0.02)
    process.kill()
    pytest.fail("the run never started its workers")


def seconds_until_gone(workers: List[int], limit: float = PROMPT) -> float:
    start = time.monotonic()
    while any(alive(pid) for pid in workers) and time.monotonic() - start < limit:
        time.sleep(0.01)
    return time.monotonic() - start


def finish(process: subprocess.Popen, workers: List[int]) -> None:
    """Leave nothing behind, whatever the test found."""
    for pid in [process.pid] + workers:
        if alive(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    process.wait()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGKILL],
                         ids=["SIGTERM", "SIGHUP", "SIGKILL"])
def test_workers_die_with_the_parent_and_a_wrapper_gets_eof(slow_project, signum):
    process = start_check(slow_project)
    workers = wait_for_workers(process)
    try:
        time.sleep(0.2)  # the workers are checking files
        assert all(alive(pid) for pid in workers) and process.poll() is None
        os.kill(process.pid, signum)  # the parent only, as a supervisor or the OOM killer does
        # A wrapper holding the pipes: EOF comes only once no worker holds them any more.
        process.communicate(timeout=PROMPT)
        assert process.returncode == -signum
        assert seconds_until_gone(workers) < PROMPT, [pid for pid in workers if alive(pid)]
    finally:
        finish(process, workers)


def test_workers_blocked_on_their_pipes_die_with_the_parent(slow_project):
    # The parent stops reading (stopped), so each worker ends up blocked on its pipe: writing
    # a result (the models are kept with --input, so a result outgrows the pipe) or reading.
    process = start_check(slow_project, "--input", "net0=8,64")
    workers = wait_for_workers(process)
    try:
        os.kill(process.pid, signal.SIGSTOP)
        deadline = time.monotonic() + 20
        asleep = 0
        while asleep < 10 and time.monotonic() < deadline:  # sleeping for 10 samples in a row
            asleep = asleep + 1 if all(state(pid) == "S" for pid in workers) else 0
            time.sleep(0.05)
        assert asleep == 10, [state(pid) for pid in workers]
        os.kill(process.pid, signal.SIGKILL)
        process.communicate(timeout=PROMPT)
        assert seconds_until_gone(workers) < PROMPT, [pid for pid in workers if alive(pid)]
    finally:
        finish(process, workers)


@pytest.mark.parametrize("whole_group", [True, False], ids=["terminal", "parent-only"])
def test_ctrl_c_exits_130_at_once_without_traceback_or_workers(slow_project, whole_group):
    # A terminal's Ctrl-C reaches the whole process group; `kill -INT` the parent alone.
    process = start_check(slow_project, new_session=True)
    workers = wait_for_workers(process)
    try:
        time.sleep(0.2)
        start = time.monotonic()
        if whole_group:
            os.killpg(process.pid, signal.SIGINT)
        else:
            os.kill(process.pid, signal.SIGINT)
        out, err = process.communicate(timeout=PROMPT)
        elapsed = time.monotonic() - start
        assert process.returncode == 130, err
        assert b"Traceback" not in err and len(err.splitlines()) <= 1, err.decode()
        assert elapsed < 1.0  # not after the files in flight
        assert seconds_until_gone(workers) < 1.0
    finally:
        finish(process, workers)


@pytest.mark.parametrize("command", ["check", "shapes"])
def test_ctrl_c_in_a_single_process_run(slow_project, command):
    process = subprocess.Popen(
        [sys.executable, "-m", "shapelint", command, "--no-cache", "m00.py", "m01.py"],
        cwd=slow_project, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        time.sleep(0.6)  # past start-up, in the analysis
        assert process.poll() is None
        os.killpg(process.pid, signal.SIGINT)
        out, err = process.communicate(timeout=PROMPT)
        assert process.returncode == 130 and b"Traceback" not in err, err.decode()
    finally:
        finish(process, [])


def test_the_watchdog_ends_a_worker_whose_parent_died_without_a_death_signal(tmp_path):
    # The fallback for systems without PR_SET_PDEATHSIG: a worker blocked writing to a full pipe
    # (the main thread never returns) still exits once its parent is gone.
    script = textwrap.dedent("""
        import multiprocessing, os, sys, threading, time
        from shapelint.frontends import runner

        def orphan(parent_pid):
            threading.Thread(target=runner._watch_parent, args=(parent_pid, 0.05), daemon=True).start()
            read_end, write_end = os.pipe()
            while True:
                os.write(write_end, b"x" * 65536)  # blocks once the pipe is full

        child = multiprocessing.get_context("fork").Process(target=orphan, args=(os.getpid(),))
        child.start()
        print(child.pid, flush=True)
        time.sleep(60)
    """)
    middle = subprocess.Popen([sys.executable, "-c", script], cwd=tmp_path, stdout=subprocess.PIPE)
    worker = int(middle.stdout.readline())
    try:
        time.sleep(0.3)
        assert alive(worker) and state(worker) == "S"  # blocked in its write
        os.kill(middle.pid, signal.SIGKILL)
        middle.wait()
        assert seconds_until_gone([worker]) < 2.0
    finally:
        finish(middle, [worker])
