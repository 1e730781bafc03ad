"""Explore the engine with many random edits and group the crashes by where they happen.

The hypothesis test (tests/test_fuzz_robustness.py) stops at the first failure; this keeps going,
so one known bug does not hide the others. Usage::

    SHAPELINT_STRICT=1 python benchmarks/fuzz_explore.py --count 5000 [--seed 1] [--edits 4]

SHAPELINT_STRICT=1 makes the engine re-raise what it would otherwise swallow (it then gives up on
the file silently, which hides every other finding of that file).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
import traceback
from collections import defaultdict
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "tests"))
sys.path.insert(0, str(REPO_ROOT))

import test_fuzz_robustness as fuzz  # noqa: E402  (the models and edits live with the test)
from shapelint.analysis import analyze_source  # noqa: E402


def random_edit(rng: random.Random):
    op = rng.choice(["delete", "duplicate", "swap", "number", "number", "truncate", "junk", "indent"])
    i = rng.randrange(10_000)
    if op == "swap":
        return (op, i, rng.randrange(10_000))
    if op == "number":
        return (op, i, rng.choice(fuzz.REPLACEMENTS))
    if op == "junk":
        return (op, i, rng.choice(fuzz.JUNK))
    if op == "indent":
        return (op, i, rng.randint(-8, 8))
    return (op, i)


def crash_site(error: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(error.__traceback__) if "/shapelint/" in f.filename]
    where = f"{Path(frames[-1].filename).relative_to(REPO_ROOT)}:{frames[-1].lineno}" if frames else "?"
    return f"{type(error).__name__} at {where}"


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--count", type=int, default=2000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--edits", type=int, default=4, help="at most this many edits per case")
    p.add_argument("--out", type=Path, default=REPO_ROOT / "benchmarks" / ".work" / "fuzz-crashes")
    args = p.parse_args()
    if os.environ.get("SHAPELINT_STRICT") != "1":
        print("note: without SHAPELINT_STRICT=1 the engine hides its own crashes", file=sys.stderr)
    rng = random.Random(args.seed)
    crashes = defaultdict(list)
    slowest = (0.0, None, None)
    start = time.perf_counter()
    for _ in range(args.count):
        name = rng.choice(sorted(fuzz.MODELS))
        edits = [random_edit(rng) for _ in range(rng.randint(1, args.edits))]
        source = fuzz.apply_edits(fuzz.MODELS[name], edits)
        t0 = time.perf_counter()
        try:
            analyze_source(source, name)
        except Exception as error:  # grouping is the point
            crashes[crash_site(error)].append((len(source), name, edits, source, str(error)))
        took = time.perf_counter() - t0
        if took > slowest[0]:
            slowest = (took, name, edits)
    elapsed = time.perf_counter() - start
    print(f"{args.count} cases in {elapsed:.1f} s ({args.count / elapsed:.0f}/s); slowest case "
          f"{slowest[0] * 1000:.0f} ms: {slowest[1]} {slowest[2]}")
    args.out.mkdir(parents=True, exist_ok=True)
    for k, (site, cases) in enumerate(sorted(crashes.items(), key=lambda kv: -len(kv[1]))):
        size, name, edits, source, message = min(cases, key=lambda c: (len(c[2]), c[0]))
        sample = args.out / f"crash{k}_{name}"
        sample.write_text(source)
        print(f"{len(cases):5d} x {site}: {message[:120]}\n        smallest: {name} {edits} -> {sample}")
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
