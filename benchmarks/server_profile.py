"""Where the time of ``shapelint server`` goes after an edit: the stages of one analysis of the
1,000-line model file, in process (no server, no debounce), per kind of edit.

Usage::

    python benchmarks/server_profile.py              # incremental (as the server runs it)
    python benchmarks/server_profile.py --whole      # every edit analysed as a new file
    python benchmarks/server_profile.py --edits 80   # more edits (default 40)
    PYTHONPATH=/path/to/older/checkout python benchmarks/server_profile.py   # an older engine
                                                     # (one without incremental analysis too)

The edits are those of ``server_latency.py``: a layer's ``padding=1`` becomes ``padding=2`` (a
slip: an SHP1xx found, its fix searched and checked) and back (a correction: clean again), each
time in another class. Each stage's time is its own (a stage inside another is not counted
twice); everything the analyses of the fixes do is counted under "fix checks". The figures are
milliseconds per edit, median over the edits of each kind (the sum of the medians need not be
the median of the totals).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from run import write_thousand_line_model  # noqa: E402
from server_latency import Edits  # noqa: E402

import shapelint.analysis.analyze as analyze  # noqa: E402
import shapelint.frontends.runner as runner  # noqa: E402
import shapelint.frontends.server.analysis as server_analysis  # noqa: E402
from shapelint.analysis.project import ProjectFiles  # noqa: E402
from shapelint.frontends.server.settings import WorkspaceSettings  # noqa: E402

#: (module, function, label) of the stages timed.
STAGES = [
    (server_analysis, "parse_quietly", "parse"),
    (server_analysis, "settings_for", "configuration"),
    (analyze, "index_file", "index"),
    (analyze, "read_declarations", "declarations"),
    (analyze, "execute_module_level", "module-level code"),
    (analyze, "find_examples", "examples"),
    (analyze, "plan_models", "plan"),
    (analyze, "_session", "reuse: keys, components"),
    (analyze, "run_model", "run models"),
    (analyze, "_report", "report: fix search"),
    (runner, "without_noqa", "noqa"),
    (server_analysis, "build_view", "view (hovers, hints)"),
]


class Timer:
    """Own time per stage: a stage's clock stops while a stage it calls runs."""

    def __init__(self) -> None:
        self.own: Dict[str, float] = {}
        self.stack: List[List] = []
        self.in_check = 0

    def wrap(self, function: Callable, label: str) -> Callable:
        def timed(*args, **kwargs):
            if self.in_check:
                return function(*args, **kwargs)
            frame = [label, time.perf_counter(), 0.0]
            self.stack.append(frame)
            try:
                return function(*args, **kwargs)
            finally:
                self.stack.pop()
                spent = time.perf_counter() - frame[1]
                self.own[label] = self.own.get(label, 0.0) + spent - frame[2]
                if self.stack:
                    self.stack[-1][2] += spent

        return timed

    def wrap_checker(self, make_checker: Callable) -> Callable:
        """The fix checker: everything its analyses do is 'fix checks'."""

        def make(*args, **kwargs):
            check = make_checker(*args, **kwargs)

            def checked(fix):
                self.in_check += 1
                started = time.perf_counter()
                try:
                    return check(fix)
                finally:
                    self.in_check -= 1
                    spent = time.perf_counter() - started
                    self.own["fix checks"] = self.own.get("fix checks", 0.0) + spent
                    if self.stack:
                        self.stack[-1][2] += spent

            return checked

        return make


def apply(text: str, change: dict) -> str:
    lines = text.split("\n")
    start, end = change["range"]["start"], change["range"]["end"]
    row = start["line"]
    lines[row] = lines[row][:start["character"]] + change["text"] + lines[row][end["character"]:]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--edits", type=int, default=40)
    parser.add_argument("--whole", action="store_true", help="no reuse: every edit analysed as a new file")
    args = parser.parse_args(argv)
    timer = Timer()
    for module, name, label in STAGES:
        if hasattr(module, name):  # an older engine has fewer stages
            setattr(module, name, timer.wrap(getattr(module, name), label))
    analyze._fix_checker = timer.wrap_checker(analyze._fix_checker)

    work = Path(tempfile.mkdtemp(prefix="shapelint-profile-"))
    model = work / "thousand_line_model.py"
    write_thousand_line_model(model)
    (work / "pyproject.toml").write_text("[project]\nname = 'bench'\n")
    path = os.path.abspath(model)
    text = model.read_text()
    files, settings = ProjectFiles(), WorkspaceSettings()
    try:
        from shapelint.analysis.incremental import Reuse
    except ImportError:  # an engine from before incremental analysis: every edit is whole
        Reuse, args.whole = None, True
    reuse = () if args.whole else (Reuse(),)
    server_analysis.analyse(text, 1, path, settings, files, *reuse)  # warm: the opened file
    edits = Edits(text)
    for _ in range(4):  # warm-up edits
        text = apply(text, edits.next())
        server_analysis.analyse(text, 1, path, settings, files, *reuse)
    kinds: Dict[bool, Dict[str, List[float]]] = {True: {}, False: {}}
    for version in range(args.edits):
        slip = edits.breaks
        text = apply(text, edits.next())
        timer.own.clear()
        started = time.perf_counter()
        server_analysis.analyse(text, version + 2, path, settings, files, *reuse)
        total = time.perf_counter() - started
        figures = kinds[slip]
        for label, spent in timer.own.items():
            figures.setdefault(label, []).append(spent * 1000)
        figures.setdefault("total", []).append(total * 1000)
        accounted = sum(timer.own.values())
        figures.setdefault("other", []).append((total - accounted) * 1000)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{'whole-file' if args.whole else 'incremental'} analysis, {args.edits} edits, load {load:.1f}")
    labels = [label for module, name, label in STAGES if hasattr(module, name)] + ["fix checks", "other", "total"]
    print(f"| stage | slip (ms, median) | correction (ms, median) |\n|---|---:|---:|")
    for label in labels:
        cells = []
        for slip in (True, False):
            values = kinds[slip].get(label, [])
            values = values + [0.0] * (len(kinds[slip].get("total", [])) - len(values))
            cells.append(f"{statistics.median(values):.1f}" if values else "-")
        print(f"| {label} | {cells[0]} | {cells[1]} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
