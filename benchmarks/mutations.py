"""The mutation acceptance of issue 11, measured: every integer literal of every layer call, block
call, expression inside them, ``__init__`` default and size constant of the acceptance models
(tests/models/) and the real-style models (tests/models/realstyle/), +1 and -1, with PyTorch as
the judge. For each bug it measures whether an SHP1xx sits on the changed line and whether
``shapelint check --fix --unsafe-fixes`` repairs the file (PyTorch runs it to every declared
shape), and it counts fixes that collapse an expression into a literal, ``safe`` fixes that edit
outside the culprit, and SHP1xx on mutants PyTorch accepts (false positives).

Usage (needs torch; the venv of ``pip install -e '.[test]'``)::

    python benchmarks/mutations.py              # every mutant (about 1,400; minutes on 2 cores)
    python benchmarks/mutations.py --jobs 2     # in 2 processes
    python benchmarks/mutations.py --sample 400 # the seeded sample the acceptance test runs
    python benchmarks/mutations.py --only realstyle/pix2pix_unet.py --verbose

Prints the figures per category and in total, then the misses grouped by pattern, one example
each, largest first. Not part of the test suite (tests/analysis/test_mutation_acceptance.py
asserts the thresholds on a sample).

Zero-config (issue 13)::

    python benchmarks/mutations.py --zero-config --jobs 2

strips every shape declaration from each mutant (pragmas, jaxtyping annotations, example inputs,
``--input``/``--output``, the configuration; tests/support/zeroconf.py) and judges it with PyTorch
over a range of input sizes at the rank and channels of its first layer (the probe shapelint
takes): a mutant PyTorch rejects at every size tried is a bug an SHP1xx must report; one that
runs for some size must get none. Mutants rejected at every size of the usual rank that run at
another rank the first layer takes (unbatched) are counted apart: an error there is not certain.
"""

from __future__ import annotations

import argparse
import ast
import os
import sys
import time
import warnings
from collections import defaultdict
from typing import Dict, List, Optional, Sequence, Tuple

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests"))
warnings.filterwarnings("ignore")

from support import mutations as M  # noqa: E402

#: which part of issue 11 a kind of miss belongs to
PARTS = {
    "off the changed line": "placement",
    "not detected": "contagion / examples",
    "not repaired": "fix policy",
    "expression collapsed": "fix policy",
    "safe fix outside the culprit": "fix policy",
    "false positive": "contagion / branches",
}


def select(only: Sequence[str], sample: int, seed: int) -> Tuple[list, List[M.Mutant]]:
    """The subjects and mutants a run measures (deterministic: workers recompute them)."""
    chosen = [s for s in M.subjects() if not only or s.label in only]
    mutants = M.all_mutants(chosen)
    if sample:
        mutants = M.sample(mutants, sample, seed)
    return chosen, mutants


def judge_all(mutants: Sequence[M.Mutant], options: argparse.Namespace, zero_config: bool = False) -> list:
    """Each mutant's outcome, judged with its declarations (``M.judge``) or stripped of them
    (``zeroconf.judge``), in ``options.jobs`` processes."""
    outcome_type = _judge_of(zero_config)[1]
    summary = zero_summary if zero_config else summarize
    if options.jobs <= 1:
        outcomes = []
        for i, mutant in enumerate(mutants, 1):
            outcomes.append(outcome_type(mutant, **_judged(mutant, zero_config)))
            if options.verbose:
                print(f"[{i}/{len(mutants)}] {summary(outcomes[-1])}", file=sys.stderr)
        return outcomes
    import functools
    import multiprocessing

    # Spawned, not forked (torch's thread pools deadlock in a forked child); the mutants' model
    # builders are lambdas, so each worker selects the same mutants again and takes indices.
    context = multiprocessing.get_context("spawn")
    selection = (options.only, options.sample, options.seed)
    results = []
    with context.Pool(options.jobs, initializer=_start_worker, initargs=selection) as pool:
        judged = pool.imap(functools.partial(_judge_index, zero_config=zero_config), range(len(mutants)),
                           chunksize=2 if zero_config else 8)
        for done, state in enumerate(judged, 1):
            results.append(state)
            if options.verbose or done % 50 == 0:
                print(f"[{done}/{len(mutants)}]", file=sys.stderr, flush=True)
    return [outcome_type(mutants[i], **state) for i, state in enumerate(results)]


_WORKER: Dict[str, List[M.Mutant]] = {}


def _start_worker(only: Sequence[str], sample: int, seed: int) -> None:
    _WORKER["mutants"] = select(only, sample, seed)[1]


def _judge_of(zero_config: bool):
    """The judge and the type of its outcomes."""
    if zero_config:
        from support import zeroconf as Z

        return Z.judge, Z.ZeroOutcome
    return M.judge, M.Outcome


def _judged(mutant: M.Mutant, zero_config: bool) -> dict:
    """The outcome's fields other than the mutant (what a worker sends back)."""
    state = dict(vars(_judge_of(zero_config)[0](mutant)))
    state.pop("mutant")
    return state


def _judge_index(index: int, zero_config: bool = False) -> dict:
    return _judged(_WORKER["mutants"][index], zero_config)


def summarize(o: M.Outcome) -> str:
    flags = []
    if o.kind == "bug":
        flags += ["on-line" if o.on_line else "OFF-LINE", "repaired" if o.repaired else "NOT-REPAIRED"]
        flags += ["COLLAPSE"] * bool(o.collapses) + ["SAFE-OUTSIDE"] * bool(o.safe_outside)
    elif o.false_positive:
        flags.append("FALSE-POSITIVE")
    return f"{o.mutant.id} [{o.mutant.category}] {o.kind} {' '.join(flags)}"


# --------------------------------------------------------------------------------------------
# Figures


def ratio(part: int, whole: int) -> str:
    return f"{part}/{whole} = {100.0 * part / whole:5.1f}%" if whole else f"{part}/0"


def figures(outcomes: Sequence[M.Outcome]) -> Dict[str, int]:
    bugs = [o for o in outcomes if o.kind == "bug"]
    return {
        "mutants": len(outcomes),
        "unchanged": sum(o.kind == "same" for o in outcomes),
        "non_bugs": sum(o.kind == "ok" for o in outcomes),
        "false_positives": sum(o.false_positive for o in outcomes),
        "bugs": len(bugs),
        "detected": sum(bool(o.shp1) for o in bugs),
        "on_line": sum(o.on_line for o in bugs),
        "repaired": sum(o.repaired for o in bugs),
        "collapses": sum(bool(o.collapses) for o in bugs),
        "safe_outside": sum(bool(o.safe_outside) for o in bugs),
    }


def print_figures(outcomes: Sequence[M.Outcome]) -> None:
    header = f"{'category':<18}{'mutants':>8}{'unchanged':>10}{'non-bugs':>9}{'FP':>4}{'bugs':>6}" \
             f"{'on changed line':>24}{'repaired':>24}{'collapse':>9}{'safe-out':>9}"
    print(header)
    print("-" * len(header))
    groups = [(c, [o for o in outcomes if o.mutant.category == c]) for c in M.CATEGORIES]
    for name, group in groups + [("TOTAL", list(outcomes))]:
        f = figures(group)
        print(f"{name:<18}{f['mutants']:>8}{f['unchanged']:>10}{f['non_bugs']:>9}{f['false_positives']:>4}"
              f"{f['bugs']:>6}{ratio(f['on_line'], f['bugs']):>24}{ratio(f['repaired'], f['bugs']):>24}"
              f"{f['collapses']:>9}{f['safe_outside']:>9}")
    for origin in ("acceptance", "realstyle"):
        f = figures([o for o in outcomes if o.mutant.subject.origin == origin])
        print(f"  {origin}: {f['bugs']} bugs, on changed line {ratio(f['on_line'], f['bugs'])}, "
              f"repaired {ratio(f['repaired'], f['bugs'])}, {f['false_positives']} false positives "
              f"of {f['non_bugs']} non-bugs")


# --------------------------------------------------------------------------------------------
# Misses by pattern


def _landing(o: M.Outcome) -> str:
    """Where the SHP1xx nearest the changed line landed, in words."""
    with open(o.mutant.subject.path) as f:
        source = f.read()
    lines = source.splitlines()
    tree = ast.parse(source)
    d = min(o.shp1, key=lambda d: abs(d["location"]["row"] - o.mutant.line))
    row = d["location"]["row"]
    text = lines[row - 1] if row <= len(lines) else ""
    (start, _), (end, _) = o.mutant.culprit
    if start <= row <= end:
        return f"{d['code']} elsewhere in the culprit call"
    if "# shapelint:" in text or "torch.randn(" in text or "torch.zeros(" in text:
        return f"{d['code']} at the declaration"
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.lineno == row:
            return f"{d['code']} on the class line"
        if isinstance(node, ast.Return) and node.lineno == row:
            return f"{d['code']} at a return"
    block = next((n.name for n in tree.body if isinstance(n, ast.ClassDef)
                  and n.lineno <= row <= n.end_lineno and n.lineno <= o.mutant.line <= n.end_lineno), None)
    if block is None:
        return f"{d['code']} in another class or function"
    return f"{d['code']} on another line of the same class"


def misses(o: M.Outcome) -> List[Tuple[str, str, str]]:
    """(kind of miss, pattern detail, example) for each way an outcome misses."""
    m = o.mutant
    example = f"{m.id}: {o.torch}"
    found = []
    if o.false_positive:
        d = o.shp1[0]
        found.append(("false positive", f"{d['code']} on {m.category}",
                      f"{m.id}: row {d['location']['row']} {d['message'][:120]}"))
    if o.kind != "bug":
        return found
    if not o.shp1:
        found.append(("not detected", f"{m.category}, PyTorch {o.torch.split(':')[0]}", example))
    elif not o.on_line:
        d = min(o.shp1, key=lambda d: abs(d["location"]["row"] - m.line))
        found.append(("off the changed line", f"{m.category}: {_landing(o)}",
                      f"{m.id}: row {d['location']['row']} {d['code']} {d['message'][:110]}"))
    if not o.repaired:
        note = o.repair_note.split(":")[0] if o.repair_note.startswith("fixed file") else o.repair_note
        if o.repair_note.startswith("fixed file"):
            note += " still " + ("rejected" if "Error" in o.repair_note else "off the declared shape")
        found.append(("not repaired", f"{m.category}: {note}", f"{example} -> {o.repair_note[:100]}"))
    for text in o.collapses[:1]:
        found.append(("expression collapsed", m.category, f"{m.id}: {text}"))
    for text in o.safe_outside[:1]:
        found.append(("safe fix outside the culprit", m.category, f"{m.id}: {text}"))
    return found


def print_misses(outcomes: Sequence[M.Outcome], top: Optional[int]) -> None:
    groups: Dict[Tuple[str, str], List[str]] = defaultdict(list)
    for o in outcomes:
        for kind, detail, example in misses(o):
            groups[(kind, detail)].append(example)
    ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))
    print(f"\nMisses by pattern ({sum(len(v) for v in groups.values())} in {len(groups)} patterns):")
    for (kind, detail), examples in ordered[:top]:
        print(f"{len(examples):5}  {kind} [{PARTS[kind]}] {detail}\n         e.g. {examples[0]}")
    if top is not None and len(ordered) > top:
        print(f"       ... {len(ordered) - top} more patterns (--top 0 lists all)")


# --------------------------------------------------------------------------------------------
# Zero-config


def zero_summary(o) -> str:
    flag = " FALSE-POSITIVE" if o.false_positive else " MISSED" if o.kind == "rejects" and not o.shp1 else ""
    codes = ",".join(sorted({d["code"] for d in o.shp1}))
    return f"{o.mutant.id} {o.kind}{flag} [{codes}] {o.torch[:160]}"


def zero_figures(outcomes) -> Dict[str, int]:
    return {
        "mutants": len(outcomes),
        "unjudged": sum(o.kind == "unjudged" for o in outcomes),
        "runs": sum(o.kind == "runs" for o in outcomes),
        "rank_only": sum(o.kind == "rank-only" for o in outcomes),
        "rejects": sum(o.kind == "rejects" for o in outcomes),
        "detected": sum(o.kind == "rejects" and bool(o.shp1) for o in outcomes),
        "rank_only_reported": sum(o.kind == "rank-only" and bool(o.shp1) for o in outcomes),
        "false_positives": sum(o.false_positive for o in outcomes),
    }


def print_zero_figures(outcomes) -> None:
    from support import zeroconf as Z

    print(f"PyTorch judges each stripped mutant at: {Z.JUDGE}.\n")
    header = f"{'':<14}{'mutants':>8}{'unjudged':>9}{'runs':>6}{'FP':>4}{'rank-only':>10}{'rejects':>8}" \
             f"{'SHP1xx on rejects':>22}"
    print(header)
    print("-" * len(header))
    groups = [(origin, [o for o in outcomes if o.mutant.subject.origin == origin])
              for origin in ("acceptance", "realstyle")]
    for name, group in groups + [("TOTAL", list(outcomes))]:
        f = zero_figures(group)
        print(f"{name:<14}{f['mutants']:>8}{f['unjudged']:>9}{f['runs']:>6}{f['false_positives']:>4}"
              f"{f['rank_only']:>10}{f['rejects']:>8}{ratio(f['detected'], f['rejects']):>22}")
    f = zero_figures(outcomes)
    print(f"\nrejected at every size of the probe's rank (rejects + rank-only): "
          f"{ratio(f['detected'] + f['rank_only_reported'], f['rejects'] + f['rank_only'])} get an SHP1xx")
    print(f"false positives (an SHP1xx on a mutant that runs for some size, at any rank): {f['false_positives']}")
    misses = [o for o in outcomes if o.kind == "rejects" and not o.shp1]
    wrong = [o for o in outcomes if o.false_positive]
    for title, group in (("false positives", wrong), ("missed (rejected at every size, no SHP1xx)", misses)):
        if group:
            print(f"\n{title}:")
            for o in group:
                print(f"  {zero_summary(o)}")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=int, default=0, help="a seeded sample of N mutants (0: all)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--only", action="append", default=[], help="a subject label (repeatable)")
    parser.add_argument("--top", type=int, default=15, help="patterns of misses to list (0: all)")
    parser.add_argument("--verbose", action="store_true", help="one line per mutant on stderr")
    parser.add_argument("--outcomes", metavar="FILE",
                        help="write one line per mutant to FILE (diff two runs to see what a change moved)")
    parser.add_argument("--zero-config", action="store_true",
                        help="strip every declaration and judge over input sizes (issue 13)")
    options = parser.parse_args(argv)

    chosen, mutants = select(options.only, options.sample, options.seed)
    if options.zero_config:
        started = time.perf_counter()
        outcomes = judge_all(mutants, options, zero_config=True)
        print(f"zero-config: {len(mutants)} mutants of {len(chosen)} files, "
              f"{time.perf_counter() - started:.0f} s\n")
        print_zero_figures(outcomes)
        if options.outcomes:
            with open(options.outcomes, "w") as f:
                f.writelines(zero_summary(o) + "\n" for o in outcomes)
        return 0
    for subject in chosen:
        M.baseline(subject)
    started = time.perf_counter()
    outcomes = judge_all(mutants, options)
    elapsed = time.perf_counter() - started
    print(f"{len(mutants)} mutants of {len(chosen)} files "
          f"({sum(s.origin == 'realstyle' for s in chosen)} real-style), {elapsed:.0f} s\n")
    print_figures(outcomes)
    print_misses(outcomes, options.top or None)
    if options.outcomes:
        with open(options.outcomes, "w") as f:
            f.writelines(summarize(o) + "\n" for o in outcomes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
