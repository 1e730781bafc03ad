"""Repair rate of ``shapelint check --fix --unsafe-fixes`` on the real models' mutations.

Every mutation of tests/analysis/test_real_models_mutations.py (``SHAPELINT_MUTATIONS_PER_FILE=0``
gives all of them) that PyTorch judges broken is written to a scratch directory, fixed with
``check --fix --unsafe-fixes``, and judged by PyTorch again. Prints the counts:

- broken: mutations PyTorch rejects or whose declared shapes change;
- repaired: after ``--fix --unsafe-fixes`` the file runs with every declared shape;
- fixed_wrong: a fix was applied but PyTorch still fails or the shapes differ;
- unfixed: no fix applied;
- repaired_at_mutation: repaired, with the mutated line among those the fixes changed (the
  culprit's edit rather than a neighbour's);
- expr_to_literal: an applied edit replaced a non-literal argument by a literal;
- safe_multi_call: a safe fix whose edits touch more than one call.

Usage: ``SHAPELINT_MUTATIONS_PER_FILE=0 python benchmarks/fix_repair_rate.py [--json OUT]``
(run from the repository root; needs torch).
"""

from __future__ import annotations

import ast
import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.join(os.path.dirname(HERE), "tests")
sys.path[:0] = [TESTS, os.path.join(TESTS, "analysis")]

import test_real_models_mutations as mut  # noqa: E402
from support.cli import check_json, run_cli  # noqa: E402
from support.real_models import file_args  # noqa: E402
from support.torch_oracle import trace  # noqa: E402


def _mutated(mutation) -> str:
    with open(os.path.join(mut.cases.MODELS_DIR, mutation["file"])) as f:
        lines = f.read().splitlines(keepends=True)
    row = lines[mutation["line"] - 1]
    lines[mutation["line"] - 1] = row[: mutation["col"]] + str(mutation["new"]) + row[mutation["end_col"]:]
    return "".join(lines)


def _literal(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Constant):
        return True
    if isinstance(node, (ast.Tuple, ast.List)):
        return all(_literal(e) for e in node.elts)
    return False


def _edit_audit(source: str, diagnostics) -> tuple:
    """(edits replacing a non-literal by a literal, safe fixes touching more than one call)."""
    tree = ast.parse(source)
    nodes = [n for n in ast.walk(tree) if isinstance(n, ast.expr) and hasattr(n, "end_lineno")]
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]

    def span(node):
        return (node.lineno, node.col_offset + 1), (node.end_lineno, node.end_col_offset + 1)

    expr_to_literal = safe_multi = 0
    for d in diagnostics:
        fix = d.get("fix")
        if not fix:
            continue
        touched = set()
        for edit in fix["edits"]:
            start = (edit["location"]["row"], edit["location"]["column"])
            end = (edit["end_location"]["row"], edit["end_location"]["column"])
            replaced = [n for n in nodes if span(n) == (start, end)]
            try:
                new = ast.parse(edit["content"] or "0", mode="eval").body
            except SyntaxError:
                new = None
            if replaced and new is not None and _literal(new) and not any(_literal(n) for n in replaced):
                expr_to_literal += 1
            inner = [c for c in calls if span(c)[0] <= start and end <= span(c)[1]]
            if inner:
                touched.add(id(min(inner, key=lambda c: (c.end_lineno - c.lineno, c.end_col_offset - c.col_offset))))
        if fix["applicability"] == "safe" and len(touched) > 1:
            safe_multi += 1
    return expr_to_literal, safe_multi


def main() -> int:
    counts = dict(broken=0, repaired=0, repaired_at_mutation=0, fixed_wrong=0, unfixed=0, expr_to_literal=0, safe_multi_call=0)
    failures = []
    for mutation in mut.MUTATIONS:
        file = mutation["file"]
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, file)
            mutated = _mutated(mutation)
            with open(path, "w") as f:
                f.write(mutated)
            args = file_args(file, tmp)
            judged = [(case, trace(path, case.build, case.inputs)) for case in mut.cases.cases_for(file)]
            if all(mut.verdict(case, t) == "same" for case, t in judged):
                continue
            counts["broken"] += 1
            _, diagnostics, _ = check_json(path, *args)
            e2l, multi = _edit_audit(mutated, diagnostics)
            counts["expr_to_literal"] += e2l
            counts["safe_multi_call"] += multi
            run_cli("check", path, "--fix", "--unsafe-fixes", "--no-cache", *args)
            with open(path) as f:
                fixed = f.read()
            if fixed == mutated:
                counts["unfixed"] += 1
                failures.append((mutation["id"], "unfixed"))
                continue
            after = [(case, trace(path, case.build, case.inputs)) for case in mut.cases.cases_for(file)]
            if all(mut.verdict(case, t) == "same" for case, t in after):
                counts["repaired"] += 1
                old_lines, new_lines = mutated.splitlines(), fixed.splitlines()
                row = mutation["line"] - 1
                if len(old_lines) == len(new_lines) and old_lines[row] != new_lines[row]:
                    counts["repaired_at_mutation"] += 1
            else:
                counts["fixed_wrong"] += 1
                failures.append((mutation["id"], "fixed wrong: " + mut.describe(after)[:200]))
    counts["mutations"] = len(mut.MUTATIONS)
    counts["repair_rate"] = round(counts["repaired"] / max(counts["broken"], 1), 4)
    print(json.dumps(counts, indent=1))
    for ident, what in failures:
        print(ident, what)
    return 0


if __name__ == "__main__":
    sys.exit(main())
