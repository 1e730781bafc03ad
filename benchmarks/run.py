"""Benchmark shapelint against flake8 and TorchFix on real PyTorch code, and check it stays quiet there.

Usage (from anywhere; needs Python >= 3.9 and access to PyPI)::

    python benchmarks/run.py                 # full run, writes benchmarks/results.md
    python benchmarks/run.py --quick         # one repeat of everything, for a smoke test
    python benchmarks/run.py --skip-torchfix # when TorchFix's minutes are not wanted

Everything downloaded or built lives in ``benchmarks/.work/`` (gitignored):

- ``corpus/``: the ``.py`` files of pinned PyPI wheels (timm, diffusers, monai, torchvision,
  segmentation-models-pytorch), fetched with ``pip download --no-deps --only-binary=:all:``;
  nothing is installed from them and no third-party source is committed.
- ``venv-flake8``: flake8 with only its default plugins (the baseline).
- ``venv-torchfix``: TorchFix, in a venv of its own because it pins its own libcst.
- ``venv-shapelint``: flake8 + this working tree installed editable, for ``shapelint check`` and
  for "flake8 with the shapelint plugin".

Each measured command runs as a fresh process, started by the small ``launch.py`` (so that it does
not inherit this script's peak RSS), which times it and reads its resource usage. Peak memory is
(a) the largest max-RSS of any process in its tree, from ``os.wait4`` (the kernel folds reaped
grandchildren into it), and (b) the memory of the whole tree, sampled from ``/proc``: the sum of
each process's PSS (so pages that forked workers share with their parent count once), or of RSS
where PSS cannot be read.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
WORK = BENCH_DIR / ".work"
WHEELS = WORK / "wheels"
CORPUS = WORK / "corpus"
RESULTS_MD = BENCH_DIR / "results.md"

# Pinned for repeatability. torchvision 0.28 is the release built against torch 2.13 and has a
# manylinux x86_64 wheel for every supported CPython; only its .py files are used.
CORPUS_PINS: List[Tuple[str, str]] = [
    ("timm", "1.0.31"),
    ("diffusers", "0.42.1"),
    ("monai", "1.6.1"),
    ("torchvision", "0.28.0"),
    ("segmentation-models-pytorch", "0.6.0"),
]
FLAKE8_PIN = "flake8==7.5.0"
TORCHFIX_PIN = "torchfix==0.7.0"

VENV_FLAKE8 = WORK / "venv-flake8"
VENV_TORCHFIX = WORK / "venv-torchfix"
VENV_SHAPELINT = WORK / "venv-shapelint"

# Targets from the issue "Fast and robust on real code".
TARGET_VERSION_S = 0.150
TARGET_ONE_FILE_S = 0.300
TARGET_MEMORY_MB = 300.0
TARGET_PLUGIN_OVERHEAD = 0.50
TARGET_VS_TORCHFIX = 10.0
# Targets from the issue "Never lose a user's file, never hang".
TARGET_DEEP_MODEL_S = 3.0
DEEP_MODEL_LAYERS = 4096
FIX_FILES = 300

CODE_RE = re.compile(r"^SHP\d{3}$")


# --------------------------------------------------------------------------------------------
# setup


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def venv_bin(venv: Path, name: str) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin") / name


def pip(venv: Path, *args: str) -> None:
    cmd = [str(venv_bin(venv, "python")), "-m", "pip", "--disable-pip-version-check", "-q", *args]
    subprocess.run(cmd, check=True)


def ensure_venv(venv: Path, requirements: Sequence[str], stamp_text: str) -> None:
    """Create ``venv`` with ``requirements`` unless a stamp says it already has exactly them."""
    stamp = venv / "bench-stamp.txt"
    if stamp.is_file() and stamp.read_text() == stamp_text:
        return
    log(f"creating {venv.name}: {' '.join(requirements)}")
    if venv.exists():
        shutil.rmtree(venv)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip(venv, "install", *requirements)
    stamp.write_text(stamp_text)


def setup_venvs(skip_torchfix: bool) -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    ensure_venv(VENV_FLAKE8, [FLAKE8_PIN], FLAKE8_PIN)
    if not skip_torchfix:
        ensure_venv(VENV_TORCHFIX, [TORCHFIX_PIN], TORCHFIX_PIN)
    # Editable, so every run measures the working tree as it is now without a rebuild.
    ensure_venv(VENV_SHAPELINT, [FLAKE8_PIN, "-e", str(REPO_ROOT)], f"{FLAKE8_PIN} -e {REPO_ROOT}")
    # pip compiles what it installs, but not an editable tree; with PYTHONDONTWRITEBYTECODE set
    # (as on some CI machines) every run would compile the edited modules again at start-up.
    subprocess.run([str(venv_bin(VENV_SHAPELINT, "python")), "-m", "compileall", "-q",
                    str(REPO_ROOT / "shapelint")], check=True, stdout=subprocess.DEVNULL)


def corpus_dir_name(dist: str, version: str) -> str:
    return f"{dist.replace('-', '_')}-{version}"


def fetch_corpus() -> None:
    """Download the pinned wheels and unpack only their .py files, once."""
    WHEELS.mkdir(parents=True, exist_ok=True)
    CORPUS.mkdir(parents=True, exist_ok=True)
    for dist, version in CORPUS_PINS:
        target = CORPUS / corpus_dir_name(dist, version)
        done = target / ".unpacked"
        if done.is_file():
            continue
        wheel = find_wheel(dist, version)
        if wheel is None:
            log(f"downloading {dist}=={version}")
            pip(VENV_FLAKE8, "download", "--no-deps", "--only-binary=:all:", "-d", str(WHEELS),
                f"{dist}=={version}")
            wheel = find_wheel(dist, version)
            if wheel is None:
                raise SystemExit(f"pip download gave no wheel for {dist}=={version}")
        if target.exists():
            shutil.rmtree(target)
        with zipfile.ZipFile(wheel) as archive:
            for member in archive.namelist():
                if member.endswith(".py") and ".dist-info/" not in member:
                    archive.extract(member, target)
        done.write_text(wheel.name)
    # Stray old versions would change the file set silently.
    wanted = {corpus_dir_name(d, v) for d, v in CORPUS_PINS}
    for child in CORPUS.iterdir():
        if child.name not in wanted:
            shutil.rmtree(child) if child.is_dir() else child.unlink()


def find_wheel(dist: str, version: str) -> Optional[Path]:
    prefix = f"{dist.replace('-', '_')}-{version}-"
    for wheel in WHEELS.glob("*.whl"):
        if wheel.name.lower().startswith(prefix.lower()):
            return wheel
    return None


def corpus_stats() -> Dict[str, Tuple[int, int]]:
    stats: Dict[str, Tuple[int, int]] = {}
    for dist, version in CORPUS_PINS:
        files = list((CORPUS / corpus_dir_name(dist, version)).rglob("*.py"))
        lines = sum(f.read_bytes().count(b"\n") for f in files)
        stats[f"{dist} {version}"] = (len(files), lines)
    return stats


# --------------------------------------------------------------------------------------------
# measuring one command


class Measurement:
    def __init__(self, wall_s: float, cpu_s: float, returncode: int, max_rss_mb: float,
                 tree_rss_mb: float, stdout: bytes, stderr: bytes, load: float) -> None:
        self.wall_s = wall_s
        self.cpu_s = cpu_s  # user + system of the whole tree: less sensitive to a busy machine
        self.load = load  # 1-minute load average just before the run
        self.returncode = returncode
        self.max_rss_mb = max_rss_mb  # largest single process in the tree
        self.tree_rss_mb = tree_rss_mb  # sampled PSS sum over the tree (0.0 where /proc is missing)
        self.stdout = stdout
        self.stderr = stderr
        self.timed_out = False  # stopped by the timeout: wall time is a lower bound


def _child_pids(pid: int) -> List[int]:
    """Children of ``pid`` from /proc/PID/task/*/children: cheap, no scan of every process."""
    found: List[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                found.extend(int(c) for c in f.read().split())
        except (OSError, ValueError):
            pass
    return found


def _process_kb(pid: int, page_kb: int) -> int:
    """A process's proportional set size (PSS: pages shared with its siblings, such as the
    engine a forked worker inherits, count once over the tree); RSS where PSS is unreadable."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, IndexError, ValueError):
        pass
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * page_kb
    except (OSError, IndexError, ValueError):
        return 0


def _tree_rss_kb(root: int) -> int:
    """Memory of the descendants of ``root`` (the launcher itself is not counted)."""
    page_kb = os.sysconf("SC_PAGE_SIZE") // 1024
    total, stack, seen = 0, _child_pids(root), {root}
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        stack.extend(_child_pids(pid))
        total += _process_kb(pid, page_kb)
    return total


def measure(cmd: Sequence[str], cwd: Path, sample_tree: bool = True,
            env: Optional[Dict[str, str]] = None, timeout_s: Optional[float] = None) -> Measurement:
    """Run ``cmd`` once as a fresh grandchild, through ``launch.py`` (see there why); its output
    goes to temp files, not pipes, so a chatty tool is never slowed by a reader."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.TemporaryDirectory() as scratch:
        result_path = os.path.join(scratch, "result.json")
        launcher = [sys.executable, "-S", "-I", str(Path(__file__).with_name("launch.py")), result_path]
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        start = time.perf_counter()
        # Its own session, so a timeout can stop the whole tree (workers too) and nothing else.
        proc = subprocess.Popen(launcher + list(cmd), cwd=str(cwd), stdout=out, stderr=err,
                                stdin=subprocess.DEVNULL, env=env, start_new_session=True)
        timed_out = threading.Event()

        def stop() -> None:
            timed_out.set()
            try:
                os.killpg(proc.pid, 9)
            except OSError:
                pass

        watchdog = threading.Timer(timeout_s, stop) if timeout_s else None
        if watchdog is not None:
            watchdog.start()
        peak_tree_kb = [0]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.1):
                peak_tree_kb[0] = max(peak_tree_kb[0], _tree_rss_kb(proc.pid))

        sampler = None
        if sample_tree and os.path.isdir("/proc"):
            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        if watchdog is not None:
            watchdog.cancel()
        done.set()
        if sampler is not None:
            sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") \
            else (status >> 8)
        out.seek(0)
        err.seek(0)
        cpu, max_rss_kb = usage.ru_utime + usage.ru_stime, usage.ru_maxrss  # KiB on Linux
        try:
            with open(result_path) as f:  # the command's own figures, launcher excluded
                own = json.load(f)
            wall, cpu, max_rss_kb, proc.returncode = own["wall_s"], own["cpu_s"], own["max_rss_kb"], own["returncode"]
        except (OSError, ValueError, KeyError):
            pass  # killed on timeout: the launcher's figures, which include the command's
        m = Measurement(wall, cpu, proc.returncode, max_rss_kb / 1024, peak_tree_kb[0] / 1024,
                        out.read(), err.read(), load)
        m.timed_out = timed_out.is_set()
        return m


class Timing:
    """The runs of one benchmark row; wall time and memory are reported as medians / maxima."""

    def __init__(self, name: str, runs: List[Measurement], files: int, note: str = "") -> None:
        self.name = name
        self.runs = runs
        self.files = files
        self.note = note

    @property
    def wall_s(self) -> float:
        return statistics.median(r.wall_s for r in self.runs)

    @property
    def cpu_s(self) -> float:
        return statistics.median(r.cpu_s for r in self.runs)

    @property
    def load(self) -> float:
        return max(r.load for r in self.runs)

    @property
    def timed_out(self) -> bool:
        return any(r.timed_out for r in self.runs)

    @property
    def crashed(self) -> bool:
        return any(b"Traceback (most recent call last)" in r.stderr for r in self.runs)

    @property
    def max_rss_mb(self) -> float:
        return max(r.max_rss_mb for r in self.runs)

    @property
    def tree_rss_mb(self) -> float:
        return max(r.tree_rss_mb for r in self.runs)

    @property
    def files_per_s(self) -> float:
        return self.files / self.wall_s if self.wall_s > 0 else float("inf")

    @property
    def returncodes(self) -> List[int]:
        return sorted({r.returncode for r in self.runs})


def run_repeated(name: str, cmd: Sequence[str], cwd: Path, repeat: int, files: int,
                 before_each=None, sample_tree: bool = True, note: str = "",
                 ok_codes: Sequence[int] = (0, 1), env: Optional[Dict[str, str]] = None,
                 timeout_s: Optional[float] = None) -> Timing:
    runs = []
    for i in range(repeat):
        if before_each is not None:
            before_each()
        m = measure(cmd, cwd, sample_tree=sample_tree, env=env, timeout_s=timeout_s)
        if m.timed_out:
            log(f"{name}: stopped after {m.wall_s:.0f} s (--torchfix-timeout); the time is a lower bound")
            runs.append(m)
            break
        if m.returncode not in ok_codes or b"Traceback (most recent call last)" in m.stderr:
            log(f"{name}: exit {m.returncode}; stderr tail:\n"
                + m.stderr.decode(errors="replace")[-2000:])
        runs.append(m)
    t = Timing(name, runs, files, note)
    log(f"{name}: median {t.wall_s:.3f}s over {repeat} run(s), max RSS {t.max_rss_mb:.0f} MB, "
        f"tree {t.tree_rss_mb:.0f} MB, exit {t.returncodes}")
    return t


TORCHFIX_SAVED = WORK / "torchfix-timing.json"


def torchfix_row(args, cwd: Path, files: int) -> Timing:
    """TorchFix takes many minutes and neither its version nor the corpus changes between runs,
    so ``--reuse-torchfix`` may take the last measurement instead (marked as such in the table)."""
    key = {"torchfix": TORCHFIX_PIN, "corpus": CORPUS_PINS, "cores": os.cpu_count()}
    note = "default rules, all cores"
    if args.reuse_torchfix and TORCHFIX_SAVED.is_file():
        saved = json.loads(TORCHFIX_SAVED.read_text())
        if saved.get("key") == json.loads(json.dumps(key)):
            runs = [Measurement(r["wall_s"], r["cpu_s"], r["returncode"], r["max_rss_mb"],
                                r["tree_rss_mb"], b"", b"", r["load"]) for r in saved["runs"]]
            log(f"TorchFix: reusing the measurement of {saved['date']}")
            return Timing("TorchFix", runs, files, f"{note}; **reused** from the run of {saved['date']}")
    timing = run_repeated("TorchFix", [str(venv_bin(VENV_TORCHFIX, "torchfix")), str(CORPUS)],
                          cwd, args.torchfix_repeat, files, note=note, timeout_s=args.torchfix_timeout)
    if timing.timed_out:
        timing.note = (f"{note}; **stopped after {timing.wall_s:.0f} s** (--torchfix-timeout): "
                       "wall time is a lower bound, CPU and memory are incomplete")
        return timing
    TORCHFIX_SAVED.write_text(json.dumps({
        "key": key,
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "runs": [{"wall_s": r.wall_s, "cpu_s": r.cpu_s, "returncode": r.returncode,
                  "max_rss_mb": r.max_rss_mb, "tree_rss_mb": r.tree_rss_mb, "load": r.load}
                 for r in timing.runs],
    }))
    return timing


# --------------------------------------------------------------------------------------------
# the 1,000-line model file

MODEL_BLOCK = '''

class Generator{i}(nn.Module):  # shapelint: input=(8, 100, 1, 1) output=(8, 3, 64, 64)
    def __init__(self, nz: int = 100, ngf: int = 64, nc: int = 3) -> None:
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False),
            nn.BatchNorm2d(ngf * 8),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 4),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False),
            nn.Tanh(),
        )

    def forward(self, z: Tensor) -> Tensor:
        return self.main(z)


class DownBlock{i}(nn.Module):
    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, kernel_size=3, padding=1)
        self.norm1 = nn.GroupNorm(8, cout)
        self.conv2 = nn.Conv2d(cout, cout, kernel_size=3, padding=1)
        self.norm2 = nn.GroupNorm(8, cout)
        self.pool = nn.MaxPool2d(2)

    def forward(self, x: Tensor) -> Tensor:
        x = F.relu(self.norm1(self.conv1(x)))
        x = F.relu(self.norm2(self.conv2(x)))
        return self.pool(x)


class UpBlock{i}(nn.Module):
    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.up = nn.ConvTranspose2d(cin, cout, kernel_size=2, stride=2)
        self.conv = nn.Conv2d(cout * 2, cout, kernel_size=3, padding=1)
        self.norm = nn.BatchNorm2d(cout)

    def forward(self, x: Tensor, skip: Tensor) -> Tensor:
        x = self.up(x)
        x = torch.cat([x, skip], dim=1)
        return F.relu(self.norm(self.conv(x)))


class UNet{i}(nn.Module):  # shapelint: input=(2, 3, 128, 128) output=(2, 2, 128, 128)
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 32, kernel_size=3, padding=1)
        self.down1 = DownBlock{i}(32, 64)
        self.down2 = DownBlock{i}(64, 128)
        self.down3 = DownBlock{i}(128, 256)
        self.mid = nn.Conv2d(256, 256, kernel_size=3, padding=1)
        self.up3 = UpBlock{i}(256, 128)
        self.up2 = UpBlock{i}(128, 64)
        self.up1 = UpBlock{i}(64, 32)
        self.head = nn.Conv2d(32, 2, kernel_size=1)

    def forward(self, x: Tensor) -> Tensor:
        s0 = self.stem(x)
        s1 = self.down1(s0)
        s2 = self.down2(s1)
        s3 = self.down3(s2)
        m = F.relu(self.mid(s3))
        u = self.up3(m, s2)
        u = self.up2(u, s1)
        u = self.up1(u, s0)
        return self.head(u)


class Vocoder{i}(nn.Module):  # shapelint: input=(4, 80, 100) output=(4, 1, 25600)
    def __init__(self, mel: int = 80, ch: int = 256) -> None:
        super().__init__()
        self.pre = nn.Conv1d(mel, ch, 7, padding=3)
        self.ups = nn.ModuleList()
        for k, u in [(16, 8), (16, 8), (4, 2), (4, 2)]:
            self.ups.append(nn.ConvTranspose1d(ch, ch // 2, k, u, padding=(k - u) // 2))
            ch //= 2
        self.post = nn.Conv1d(ch, 1, 7, padding=3)

    def forward(self, x: Tensor) -> Tensor:
        x = self.pre(x)
        for up in self.ups:
            x = up(F.leaky_relu(x, 0.1))
        return torch.tanh(self.post(x))
'''

MODEL_HEADER = '''"""A synthetic 1,000-line model file: DCGAN generators, U-Nets and vocoders, repeated."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor
'''


def write_thousand_line_model(path: Path, target_lines: int = 1000) -> int:
    """Whole classes, cycled until the next one would not fit, then comment lines up to
    ``target_lines`` (cutting a class in half would make it a syntax error)."""
    lines = MODEL_HEADER.splitlines()
    i = 0
    while True:
        block = MODEL_BLOCK.replace("{i}", str(i)).splitlines()
        # A block's classes depend on each other; take whole classes of it while they fit.
        classes: List[List[str]] = []
        for line in block:
            if line.startswith("class ") or not classes:
                classes.append([])
            classes[-1].append(line)
        fits = all(len(lines) + sum(map(len, classes[:k + 1])) <= target_lines
                   for k in range(len(classes)))
        for cls in classes:
            if len(lines) + len(cls) > target_lines:
                break
            lines.extend(cls)
        if not fits:
            break
        i += 1
    filler = 0
    while len(lines) < target_lines:
        filler += 1
        lines.append(f"# padding line {filler}")
    path.write_text("\n".join(lines) + "\n")
    return len(lines)


DEEP_MODEL = """import torch.nn as nn

# shapelint: input=(1, 8, 32) output=(1, 8, 33)
net = nn.Sequential(*[nn.Conv1d(8, 8, 3, padding=1) for _ in range({layers})])
"""

BROKEN_FILE = """import torch.nn as nn

# shapelint: input=(1, 3, 8, 8) output=(1, 4, 8, 8)
net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU())
"""


def write_deep_model(path: Path, layers: int = DEEP_MODEL_LAYERS) -> None:
    """A stack of ``layers`` size-keeping Conv1d whose declared output is one too long: the
    suggestion search must stay linear in depth (it once took over 10 minutes at 4,096)."""
    path.write_text(DEEP_MODEL.format(layers=layers))


def write_broken_files(directory: Path, count: int = FIX_FILES) -> None:
    """``count`` small files, each with one safe fix (``padding=1``), for ``--fix`` throughput."""
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    for i in range(count):
        (directory / f"model_{i:04d}.py").write_text(BROKEN_FILE)


# --------------------------------------------------------------------------------------------
# robustness on the corpus


class Robustness:
    def __init__(self, measurement: Measurement, findings: List[dict], problems: List[str]) -> None:
        self.measurement = measurement
        self.findings = findings
        self.problems = problems
        #: The text summary's "Checked N models in F files (X of Y layers inferred)".
        self.coverage = ""
        #: The layers inferred in corpus models called on a declared input (``probe_coverage``).
        self.probes = ""
        #: The models analysed on a probe input and their layers (``zero_config_coverage``).
        self.zero_config = ""

    def by_prefix(self, prefix: str) -> List[dict]:
        return [f for f in self.findings if str(f.get("code", "")).startswith(prefix)]


def check_robustness(shapelint: Path, cwd: Path, env: Dict[str, str]) -> Robustness:
    m = measure([str(shapelint), "check", "--format", "json", "--no-cache", str(CORPUS)], cwd,
                sample_tree=False, env=env)
    problems: List[str] = []
    stderr = m.stderr.decode(errors="replace")
    if m.returncode not in (0, 1):
        problems.append(f"exit status {m.returncode} (expected 0 or 1)")
    if "Traceback (most recent call last)" in stderr:
        problems.append("a traceback on stderr")
    if "internal error" in stderr.lower():
        problems.append("'internal error' on stderr")
    findings: List[dict] = []
    try:
        parsed = json.loads(m.stdout.decode() or "[]")
        if not isinstance(parsed, list):
            raise ValueError("top level is not a JSON array")
        findings = parsed
    except ValueError as exc:
        problems.append(f"stdout is not the JSON array the contract promises: {exc}")
    for f in findings:
        if not CODE_RE.match(str(f.get("code", ""))):
            problems.append(f"finding without a valid SHP code: {f!r:.200}")
            break
    if any(str(f.get("code", "")).startswith("SHP1") for f in findings):
        problems.append("SHP1xx on correct library code (false positives)")
    if stderr.strip():
        problems.append("stderr not empty: " + stderr.strip().splitlines()[-1][:300])
    robustness = Robustness(m, findings, problems)
    robustness.coverage = corpus_coverage(shapelint, cwd, env)
    robustness.probes = probe_coverage(shapelint, cwd, env)
    robustness.zero_config = zero_config_coverage(shapelint, cwd, env)
    return robustness


#: The same count on main before zero-config (git 1c505d9, measured once): the models that now
#: run on a probe had no input then; the layers of theirs whose shape was fully known.
ZERO_CONFIG_BEFORE = ("Before zero-config (git 1c505d9, the same models, measured once): none of their "
                      "layers had a fully known shape (`[?, 64, ?, ?]`), no model of the corpus had `accepts`.")


def zero_config_coverage(shapelint: Path, cwd: Path, env: Dict[str, str]) -> str:
    """The models of the corpus analysed on a probe (no declared input: a symbolic input their
    first layer shapes, so ``shapes`` gives an input with names) and their layers whose shape
    is known, names included (``[b, 64, (h + 1)//2, (w + 1)//2]``)."""
    m = measure([str(shapelint), "shapes", "--no-cache", "--format", "json", str(CORPUS)], cwd,
                sample_tree=False, env=env)
    try:
        models = json.loads(m.stdout.decode() or "{}").get("models", [])
    except ValueError:
        models = []
    probed = [model for model in models
              if model["input"] is not None and any(isinstance(d, str) for d in model["input"])]
    layers = [layer for model in probed for layer in model["layers"]]
    known = [layer for layer in layers if layer["output"] is not None and None not in layer["output"]]
    symbolic = sum(1 for layer in known if any(isinstance(d, str) for d in layer["output"]))
    followed = sum(1 for model in probed if model["output"] is not None and None not in model["output"])
    accepts = sum(1 for model in probed if model["accepts"] is not None)
    return (f"zero-config: {len(probed):,} models and {len(known):,} layers analysed (shape known), of "
            f"{len(layers):,} layers of theirs ({len(known) - symbolic:,} of them with sizes only, "
            f"{symbolic:,} with names); {followed:,} followed to the output, {accepts:,} with `accepts`")


#: The probe row measured once before imports were followed (git 4539c15, the commit before
#: issue 12's first part), with this script's probes, for comparison.
PROBES_BEFORE = ("Before imports were followed (git 4539c15, the same probes, measured once): no layer of "
                 "them listed, 0 of 13 followed to the output.")

#: Models of the corpus called on a literal-shaped input, one probe file each (as a user's
#: train.py builds a library's model): (the distribution, its import, the constructor, the input).
COVERAGE_PROBES: List[Tuple[str, str, str, str]] = [
    ("torchvision", "import torchvision", "torchvision.models.resnet50()", "1, 3, 224, 224"),
    ("torchvision", "import torchvision", "torchvision.models.vgg11()", "1, 3, 224, 224"),
    ("torchvision", "import torchvision", "torchvision.models.densenet121()", "1, 3, 64, 64"),
    ("torchvision", "import torchvision", "torchvision.models.mobilenet_v3_small()", "1, 3, 224, 224"),
    ("torchvision", "import torchvision", "torchvision.models.efficientnet_b0()", "1, 3, 224, 224"),
    ("torchvision", "import torchvision", "torchvision.models.convnext_tiny()", "1, 3, 224, 224"),
    ("torchvision", "import torchvision", "torchvision.models.vit_b_16()", "1, 3, 224, 224"),
    ("torchvision", "import torchvision", "torchvision.models.video.r3d_18()", "1, 3, 8, 64, 64"),
    ("timm", "from timm.models.resnet import ResNet, BasicBlock", "ResNet(BasicBlock, [2, 2, 2, 2])",
     "1, 3, 64, 64"),
    ("timm", "from timm.models.vision_transformer import VisionTransformer",
     "VisionTransformer(img_size=32, patch_size=8, embed_dim=64, depth=2, num_heads=2, num_classes=10)",
     "1, 3, 32, 32"),
    ("monai", "from monai.networks.nets import BasicUNet",
     "BasicUNet(spatial_dims=2, in_channels=1, out_channels=2)", "1, 1, 64, 64"),
    ("monai", "from monai.networks.nets import UNet",
     "UNet(spatial_dims=2, in_channels=1, out_channels=2, channels=(16, 32, 64), strides=(2, 2))",
     "1, 1, 64, 64"),
    ("segmentation-models-pytorch", "import segmentation_models_pytorch as smp",
     'smp.Unet(encoder_name="resnet34", encoder_weights=None, in_channels=3, classes=2)', "1, 3, 64, 64"),
]

PROBE_FILE = """import torch
from torch import nn
{imports}


class Probe(nn.Module):
    def __init__(self):
        super().__init__()
        self.model = {build}

    def forward(self, x):
        return self.model(x)


Probe()(torch.randn({shape}))
"""


def write_probes(directory: Path) -> List[Tuple[Path, Path]]:
    """One probe file per model in an application directory, the distribution's package in a
    site directory beside it with the ``.dist-info`` pip would write (so the package is found as
    installed: read, not imported): (probe, site) pairs."""
    shutil.rmtree(directory, ignore_errors=True)
    pairs: List[Tuple[Path, Path]] = []
    for i, (dist, imports, build, shape) in enumerate(COVERAGE_PROBES):
        version = dict(CORPUS_PINS)[dist]
        unpacked = CORPUS / corpus_dir_name(dist, version)
        site, app = directory / dist / "site", directory / dist / "app"
        if not site.exists():
            info = site / f"{corpus_dir_name(dist, version)}.dist-info"
            info.mkdir(parents=True)
            packages = [package for package in unpacked.iterdir() if package.is_dir()]
            (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n"
                                           f"Requires-Dist: torch\n")
            (info / "top_level.txt").write_text("".join(f"{package.name}\n" for package in packages))
            for package in packages:
                (site / package.name).symlink_to(package, target_is_directory=True)
            app.mkdir(parents=True)
            (app / "pyproject.toml").write_text("[project]\nname = 'probe'\n")
        path = app / f"probe_{i:02d}.py"
        path.write_text(PROBE_FILE.format(imports=imports, build=build, shape=shape))
        pairs.append((path, site))
    return pairs


def probe_coverage(shapelint: Path, cwd: Path, env: Dict[str, str]) -> str:
    """The share of the layers of the probed models whose shapes are stated, with the input each
    is called on, and how many are followed to their output."""
    inferred = total = followed = 0
    pairs = write_probes(WORK / "probes")
    for path, site in pairs:
        m = measure([str(shapelint), "shapes", "--no-cache", "--format", "json", str(path)], cwd,
                    sample_tree=False, env=dict(env, PYTHONPATH=str(site)))
        try:
            models = json.loads(m.stdout.decode() or "{}").get("models", [])
        except ValueError:
            models = []
        for model in models:
            layers = model["layers"]
            total += len(layers)
            inferred += sum(1 for layer in layers if layer["output"] is not None and None not in layer["output"])
            followed += model["output"] is not None and None not in model["output"]
    share = 100 * inferred / total if total else 0.0
    return (f"{inferred:,} of {total:,} layers of {len(pairs)} corpus models called on a declared input "
            f"inferred ({share:.1f}%), {followed} followed to the output")


def corpus_coverage(shapelint: Path, cwd: Path, env: Dict[str, str]) -> str:
    """How much of the corpus's models the analysis follows: the models it recognises (their
    base classes may be in other files of the package) and the layers whose shapes it states."""
    m = measure([str(shapelint), "check", "--no-cache", "--select", "SHP1", str(CORPUS)], cwd,
                sample_tree=False, env=env)
    found = re.search(r"Checked [\d,]+ models? in [\d,]+ files?(?: \([\d,]+ of [\d,]+ layers inferred\))?",
                      m.stdout.decode(errors="replace"))
    return found.group(0) if found else "(no summary line)"


def finding_line(f: dict) -> str:
    filename = str(f.get("filename", "?"))
    try:
        filename = str(Path(filename).resolve().relative_to(CORPUS))
    except ValueError:
        pass
    row = (f.get("location") or {}).get("row", "?")
    return f"{filename}:{row} {f.get('code')} {f.get('message')}"


# --------------------------------------------------------------------------------------------
# report


def tool_version(cmd: Sequence[str]) -> str:
    try:
        out = subprocess.run(list(cmd), capture_output=True, text=True, timeout=60)
        return (out.stdout.strip() or out.stderr.strip()).splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        return "unavailable"


def git_revision() -> str:
    """The last commit that touched shapelint/ (what the editable install runs), and whether
    shapelint/ has uncommitted changes."""
    try:
        rev = subprocess.run(["git", "log", "-1", "--format=%h", "--", "shapelint"], cwd=REPO_ROOT,
                             capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "shapelint"], cwd=REPO_ROOT,
                               capture_output=True, text=True).stdout.strip()
        return rev + (" + uncommitted changes in shapelint/" if dirty else "")
    except OSError:
        return "unknown"


def fmt_mb(t: Timing) -> str:
    if t.tree_rss_mb and abs(t.tree_rss_mb - t.max_rss_mb) > 1:
        return f"{t.max_rss_mb:.0f} ({t.tree_rss_mb:.0f} tree)"
    return f"{t.max_rss_mb:.0f}"


def verdict(ok: Optional[bool]) -> str:
    return "n/a" if ok is None else ("met" if ok else "**NOT met**")


def build_report(rows: List[Timing], by_name: Dict[str, Timing], stats: Dict[str, Tuple[int, int]],
                 versions: Dict[str, str], robustness: Optional[Robustness], args,
                 partial: bool = False) -> str:
    files_total = sum(n for n, _ in stats.values())
    lines_total = sum(n for _, n in stats.values())
    now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out: List[str] = []
    out.append("# shapelint benchmark results\n")
    if partial:
        out.append("**Partial: the run is still going (or was cut short); rows below are complete.**\n")
    out.append(f"Generated by `python benchmarks/run.py{' ' + ' '.join(args.raw) if args.raw else ''}` "
               f"on {now}.\n")
    out.append(f"- Machine: {platform.machine()}, {os.cpu_count()} cores, "
               f"{platform.system()} {platform.release()}, Python {platform.python_version()}")
    for k, v in versions.items():
        out.append(f"- {k}: {v}")
    out.append(f"- Corpus: {files_total} files, {lines_total:,} lines "
               + "(" + "; ".join(f"{k}: {n} files, {l:,} lines" for k, (n, l) in stats.items())
               + "), the `.py` files of the PyPI wheels, unpacked, not installed")
    out.append(f"- Repeats: median of {args.repeat} run(s) per row (TorchFix: "
               f"{args.torchfix_repeat}); the 1,000-line file and `--version`: median of "
               f"{args.small_repeat} runs")
    out.append("- CPU s: user + system time of the whole process tree; load: the 1-minute load "
               "average before the run (above 0.5 means something else was running: other "
               "engineers' test suites share this machine)")
    out.append("- Memory: max RSS of the largest process in the tree (os.wait4); \"tree\" is the "
               "sampled sum of PSS over all processes of the tree (pages forked workers share with "
               "their parent count once) when that differs\n")
    out.append("| benchmark | wall s | CPU s | files/s | peak MB | exit | load | note |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---|")
    for t in rows:
        fps = f"{t.files_per_s:,.0f}" if t.files > 1 else "-"
        note = ("**TRACEBACK** " if t.crashed else "") + t.note
        out.append(f"| {t.name} | {t.wall_s:.3f} | {t.cpu_s:.2f} | {fps} | {fmt_mb(t)} | "
                   f"{','.join(map(str, t.returncodes))} | {t.load:.1f} | {note} |")
    out.append("")

    out.append("## Ratios and targets\n")
    out.append("| measure | value | target | verdict |")
    out.append("|---|---:|---|---|")
    cold_all = by_name.get("shapelint check, cold cache, all cores")
    flake8 = by_name.get("flake8 (default plugins)")
    plugin = by_name.get("flake8 + shapelint plugin")
    torchfix = by_name.get("TorchFix")
    version = by_name.get("shapelint --version")
    one_file = by_name.get("shapelint check, one 1,000-line file")
    if cold_all and flake8:
        r = cold_all.wall_s / flake8.wall_s
        rc = cold_all.cpu_s / flake8.cpu_s
        out.append(f"| shapelint cold all cores / flake8 | {r:.2f}x (CPU {rc:.2f}x) | <= 1.00x | {verdict(r <= 1.0)} |")
    if cold_all and torchfix:
        r = torchfix.wall_s / cold_all.wall_s
        rc = torchfix.cpu_s / cold_all.cpu_s
        value = (f">= {r:.1f}x faster (TorchFix stopped)" if torchfix.timed_out
                 else f"{r:.1f}x faster (CPU {rc:.1f}x)")
        torchfix_verdict = verdict(r >= TARGET_VS_TORCHFIX)
        if torchfix.timed_out and r < TARGET_VS_TORCHFIX:
            torchfix_verdict = "undecided (a lower bound)"
        out.append(f"| TorchFix / shapelint cold all cores | {value} "
                   f"| >= {TARGET_VS_TORCHFIX:.0f}x "
                   f"| {torchfix_verdict} |")
    if plugin and flake8:
        r = plugin.wall_s / flake8.wall_s - 1
        rc = plugin.cpu_s / flake8.cpu_s - 1
        out.append(f"| flake8 plugin overhead over plain flake8 | {r:+.0%} (CPU {rc:+.0%}) "
                   f"| <= +{TARGET_PLUGIN_OVERHEAD:.0%} "
                   f"| {verdict(r <= TARGET_PLUGIN_OVERHEAD)} |")
    if version:
        out.append(f"| `shapelint --version` | {version.wall_s * 1000:.0f} ms | < {TARGET_VERSION_S * 1000:.0f} ms "
                   f"| {verdict(version.wall_s < TARGET_VERSION_S)} |")
    if one_file:
        out.append(f"| one 1,000-line file | {one_file.wall_s * 1000:.0f} ms | < {TARGET_ONE_FILE_S * 1000:.0f} ms "
                   f"| {verdict(one_file.wall_s < TARGET_ONE_FILE_S)} |")
    deep = by_name.get(f"shapelint check, {DEEP_MODEL_LAYERS:,}-layer model with a mismatch")
    if deep:
        out.append(f"| {DEEP_MODEL_LAYERS:,}-layer model with a mismatch | {deep.wall_s:.2f} s "
                   f"| < {TARGET_DEEP_MODEL_S:.0f} s | {verdict(deep.wall_s < TARGET_DEEP_MODEL_S)} |")
    fix = by_name.get(f"shapelint check --fix, {FIX_FILES} broken files")
    if fix:
        out.append(f"| `--fix` throughput (atomic, verified writes) | {fix.files_per_s:,.0f} files/s "
                   f"| (info) | |")
    shapelint_rows = [t for t in rows if t.name.startswith("shapelint")]
    if shapelint_rows:
        worst = max(shapelint_rows, key=lambda t: max(t.max_rss_mb, t.tree_rss_mb))
        mem = max(worst.max_rss_mb, worst.tree_rss_mb)
        out.append(f"| shapelint peak memory (worst row: {worst.name}, largest process or tree PSS sum) | {mem:.0f} MB | "
                   f"< {TARGET_MEMORY_MB:.0f} MB | {verdict(mem < TARGET_MEMORY_MB)} |")
    if cold_all and flake8:
        for name in ("shapelint check, cold cache, -j1", "shapelint check, warm cache"):
            t = by_name.get(name)
            if t:
                out.append(f"| {name} / flake8 | {t.wall_s / flake8.wall_s:.2f}x "
                           f"(CPU {t.cpu_s / flake8.cpu_s:.2f}x) | (info) | |")
    out.append("")

    out.append("## Robustness on the corpus\n")
    if robustness is None:
        out.append("Not run.\n")
    else:
        m = robustness.measurement
        shp1 = robustness.by_prefix("SHP1")
        shp2 = robustness.by_prefix("SHP2")
        shp0 = robustness.by_prefix("SHP0")
        out.append(f"`shapelint check --format json --no-cache` over the corpus: exit {m.returncode}, "
                   f"{m.wall_s:.1f} s, {len(robustness.findings)} finding(s): {len(shp1)} SHP1xx, "
                   f"{len(shp2)} SHP2xx, {len(shp0)} SHP0xx.\n")
        out.append(f"Coverage (the text summary; the corpus declares no input, so a layer's shape is stated "
                   f"only where no input size is needed): {robustness.coverage}.\n")
        out.append(f"Coverage with declared inputs (one probe file per model calls a corpus model on a "
                   f"literal-shaped tensor, as a user's train.py does; `COVERAGE_PROBES`): {robustness.probes}. "
                   f"{PROBES_BEFORE}\n")
        out.append(f"Coverage with no declaration at all (issue 13: each model runs on a symbolic input its "
                   f"first layer shapes): {robustness.zero_config}. {ZERO_CONFIG_BEFORE}\n")
        if robustness.problems:
            out.append("Problems:\n")
            out.extend(f"- {p}" for p in robustness.problems)
            out.append("")
        else:
            out.append("No problems: exit 0/1, no traceback, no internal error, no SHP1xx.\n")
        for title, group in (("SHP1xx (each is a false positive: these libraries are correct code)", shp1),
                             ("SHP2xx (warnings, for review)", shp2),
                             ("SHP0xx (files not read or declarations not understood)", shp0)):
            out.append(f"### {title}: {len(group)}\n")
            if group:
                out.append("```")
                out.extend(finding_line(f) for f in sorted(group, key=finding_line))
                out.append("```")
            out.append("")
        stderr = m.stderr.decode(errors="replace").strip()
        if stderr:
            out.append("stderr (last 40 lines):\n")
            out.append("```")
            out.extend(stderr.splitlines()[-40:])
            out.append("```\n")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------------------------
# main


def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeat", type=int, default=3, help="runs per corpus benchmark (median)")
    p.add_argument("--torchfix-repeat", type=int, default=1, help="runs of TorchFix (it is slow)")
    p.add_argument("--small-repeat", type=int, default=15,
                   help="runs of --version and the 1,000-line file (median)")
    p.add_argument("--quick", action="store_true", help="one run of everything (smoke test)")
    p.add_argument("--skip-torchfix", action="store_true")
    p.add_argument("--torchfix-timeout", type=float, default=None, metavar="S",
                   help="stop TorchFix after S seconds and report a lower bound")
    p.add_argument("--reuse-torchfix", action="store_true",
                   help="take TorchFix's last saved measurement (same pins) instead of rerunning it")
    p.add_argument("--skip-flake8", action="store_true")
    p.add_argument("--no-write", action="store_true", help="print, but do not write results.md")
    p.add_argument("--only-small", action="store_true",
                   help="only the rows that need no corpus (--version, 1,000-line file, deep model, "
                        "--fix throughput); prints, does not write results.md")
    p.add_argument("--only-robustness", action="store_true",
                   help="only the robustness check over the corpus (fast feedback)")
    args = p.parse_args(argv)
    args.raw = list(sys.argv[1:] if argv is None else argv)
    if args.quick:
        args.repeat = args.torchfix_repeat = 1
        args.small_repeat = 3
    return args


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    setup_venvs(args.skip_torchfix or args.only_small)
    if args.only_small:
        args.no_write = True
    else:
        fetch_corpus()
    stats = corpus_stats() if not args.only_small else {}
    files = sum(n for n, _ in stats.values())
    log(f"corpus: {files} files")

    shapelint = venv_bin(VENV_SHAPELINT, "shapelint")
    # A scratch cwd, so no config file or cache of the repo or the user leaks into the runs.
    cwd = WORK / "cwd"
    if cwd.exists():
        shutil.rmtree(cwd)
    cwd.mkdir()

    # One known cache directory, so "cold" means empty and no user cache is touched.
    cache_dir = WORK / "shapelint-cache"
    shapelint_env = dict(os.environ, SHAPELINT_CACHE_DIR=str(cache_dir))

    def clear_caches() -> None:
        shutil.rmtree(cache_dir, ignore_errors=True)
        for stray in list(cwd.rglob(".shapelint_cache")) + list(CORPUS.rglob(".shapelint_cache")):
            shutil.rmtree(stray, ignore_errors=True)

    versions = {
        "shapelint": f"{tool_version([str(shapelint), '--version'])} (editable, git {git_revision()})",
        "flake8": tool_version([str(venv_bin(VENV_FLAKE8, "flake8")), "--version"]),
        "flake8 in the shapelint venv": tool_version([str(venv_bin(VENV_SHAPELINT, "flake8")), "--version"]),
    }
    if not args.skip_torchfix:
        versions["TorchFix"] = tool_version([str(venv_bin(VENV_TORCHFIX, "torchfix")), "--version"])

    rows: List[Timing] = []
    robustness: Optional[Robustness] = None
    cores = os.cpu_count() or 1
    model = WORK / "thousand_line_model.py"
    n_lines = write_thousand_line_model(model)
    deep_model = WORK / "deep_model.py"
    write_deep_model(deep_model)
    fix_dir = WORK / "fix-throughput"

    def robustness_step() -> None:
        nonlocal robustness
        log("robustness: shapelint check --format json over the corpus")
        robustness = check_robustness(shapelint, cwd, shapelint_env)

    # Ordered so that a run cut short still has the headline rows; the warm run follows the
    # cold all-cores run, which leaves the cache filled (the re-check after no edits).
    steps = [
        lambda: rows.append(run_repeated(
            "shapelint --version", [str(shapelint), "--version"], cwd, args.small_repeat, 1,
            sample_tree=False, ok_codes=(0,), env=shapelint_env)),
        lambda: rows.append(run_repeated(
            "shapelint check, one 1,000-line file", [str(shapelint), "check", "--no-cache", str(model)],
            cwd, args.small_repeat, 1, sample_tree=False, note=f"{n_lines} lines, --no-cache",
            env=shapelint_env)),
        lambda: rows.append(run_repeated(
            f"shapelint check, {DEEP_MODEL_LAYERS:,}-layer model with a mismatch",
            [str(shapelint), "check", "--no-cache", str(deep_model)], cwd, args.repeat, 1,
            sample_tree=False, note="Conv1d stack, output declared one too long", env=shapelint_env)),
        lambda: rows.append(run_repeated(
            f"shapelint check --fix, {FIX_FILES} broken files",
            [str(shapelint), "check", "--fix", "--no-cache", str(fix_dir)], cwd, args.repeat,
            FIX_FILES, before_each=lambda: write_broken_files(fix_dir), note="one safe fix each",
            env=shapelint_env)),
    ]
    small_steps = len(steps)
    steps += [
        lambda: rows.append(run_repeated(
            "shapelint check, cold cache, all cores",
            [str(shapelint), "check", "--jobs", str(cores), str(CORPUS)], cwd, args.repeat, files,
            before_each=clear_caches, note=f"--jobs {cores}", env=shapelint_env)),
        lambda: rows.append(run_repeated(
            "shapelint check, warm cache", [str(shapelint), "check", str(CORPUS)], cwd, args.repeat,
            files, env=shapelint_env)),
    ]
    if not args.skip_flake8:
        steps += [
            lambda: rows.append(run_repeated(
                "flake8 (default plugins)", [str(venv_bin(VENV_FLAKE8, "flake8")), "--isolated", str(CORPUS)],
                cwd, args.repeat, files, note="pycodestyle, pyflakes, mccabe; --jobs auto")),
            lambda: rows.append(run_repeated(
                "flake8 + shapelint plugin", [str(venv_bin(VENV_SHAPELINT, "flake8")), "--isolated", str(CORPUS)],
                cwd, args.repeat, files, note="defaults + SHP")),
        ]
    steps.append(robustness_step)
    steps.append(lambda: rows.append(run_repeated(
        "shapelint check, cold cache, -j1", [str(shapelint), "check", "--jobs", "1", str(CORPUS)], cwd,
        args.repeat, files, before_each=clear_caches, env=shapelint_env)))
    if not args.skip_torchfix:
        steps.append(lambda: rows.append(torchfix_row(args, cwd, files)))
    if args.only_robustness:
        steps = [robustness_step]
    if args.only_small:
        steps = steps[:small_steps]

    report = ""
    revision_at_start = git_revision()
    for k, step in enumerate(steps):
        step()
        if git_revision() != revision_at_start:
            # Other engineers commit while this runs; an editable install measures what is there.
            versions["warning"] = (f"the working tree changed during the run (started at git "
                                   f"{revision_at_start}, now {git_revision()}): rows differ in code")
        by_name = {t.name: t for t in rows}
        report = build_report(rows, by_name, stats, versions, robustness, args,
                              partial=k < len(steps) - 1)
        if not args.no_write and not args.only_robustness:
            RESULTS_MD.write_text(report)  # after every row, so a run cut short leaves its table
    print(report)
    if not args.no_write and not args.only_robustness:
        log(f"wrote {RESULTS_MD.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
