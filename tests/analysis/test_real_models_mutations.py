"""Acceptance: mutations of the real models' layer parameters, judged by PyTorch.

Every integer literal in a torch.nn layer constructor (kernel_size, stride, padding, channels,
features, output_padding, sizes, ``ngf * 8``-style factors) and in a model's ``__init__`` defaults
(the vocoder's ``upsample_rates`` ...) is changed by +1 and -1. PyTorch runs each mutated file:

- PyTorch rejects it, or a declared shape (model output, layer pragma) is no longer produced:
  ``shapelint check`` must report an SHP1xx at the right line (the mutated layer, the layer or
  statement PyTorch failed in or the call that built the block it is in, a layer whose
  parameters the mutation changed, the layer its own fix edits or its suggestion replaces, a
  layer or statement whose own pragma it contradicts, or forward's ``return``; never the class
  line or the model's declaration: a diagnostic sits where its fix goes, CONTRACT section 3),
  and applying the JSON fixes (re-checking, as ``--fix`` does, a few rounds) must give a file
  PyTorch runs with every declared shape;
- PyTorch accepts it and every declared shape holds: no SHP1xx.

``SHAPELINT_MUTATIONS_PER_FILE`` (default 12) caps the mutations per file, a seeded sample;
``0`` runs them all.
"""

from __future__ import annotations

import ast
import inspect
import os
import random
import re

import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the oracle of these tests")
from torch import nn  # noqa: E402

from support.cli import apply_fixes, check_json, run_cli  # noqa: E402
from support.real_models import file_args, load_cases  # noqa: E402
from support.torch_oracle import call_span, enclosing_call_span, trace  # noqa: E402

cases = load_cases()

CONTAINERS = {"Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict"}
PER_FILE = int(os.environ.get("SHAPELINT_MUTATIONS_PER_FILE", "12"))
FIX_ROUNDS = 4


def layer_class(func: ast.AST):
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if not name or name in CONTAINERS:
        return None
    cls = getattr(nn, name, None)
    if isinstance(cls, type) and issubclass(cls, nn.Module):
        return cls
    return None


def int_literals(node: ast.AST, in_helper: bool = False):
    """Integer literals of an argument expression (not subscripts' indices, not bools), each
    with whether it is an argument of a helper call (``get_padding(k, 1)``)."""
    if isinstance(node, ast.Constant):
        if isinstance(node.value, int) and not isinstance(node.value, bool):
            yield node, in_helper
        return
    if isinstance(node, ast.Subscript):
        yield from int_literals(node.value, in_helper)
        return
    if isinstance(node, ast.Call):
        if layer_class(node.func) is not None:
            return  # a nested layer has its own mutations
        in_helper = True
    for child in ast.iter_child_nodes(node):
        yield from int_literals(child, in_helper)


def enumerate_mutations(file: str):
    path = os.path.join(cases.MODELS_DIR, file)
    with open(path) as f:
        source = f.read()
    tree = ast.parse(source)
    sites = []  # (node, param name, context)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            cls = layer_class(node.func)
            if cls is None:
                continue
            try:
                params = [p for p in inspect.signature(cls).parameters]
            except (TypeError, ValueError):
                params = []
            for index, arg in enumerate(node.args):
                name = params[index] if index < len(params) else f"arg{index}"
                sites += [(lit, name, cls.__name__, node.lineno, helper)
                          for lit, helper in int_literals(arg)]
            for keyword in node.keywords:
                sites += [(lit, keyword.arg, cls.__name__, node.lineno, helper)
                          for lit, helper in int_literals(keyword.value)]
        elif isinstance(node, ast.FunctionDef) and node.name == "__init__":
            args = node.args.args[len(node.args.args) - len(node.args.defaults):]
            for arg, default in zip(args, node.args.defaults):
                sites += [(lit, arg.arg, "__init__", None, True) for lit, _ in int_literals(default)]
    mutations = []
    for lit, param, owner, call_line, indirect in sites:
        value = lit.value
        for new in (value + 1, value - 1):
            if new < 0 or (new == 0 and param not in ("padding", "output_padding")):
                continue
            mutations.append(
                dict(
                    file=file,
                    line=lit.lineno,
                    col=lit.col_offset,
                    end_col=lit.end_col_offset,
                    old=value,
                    new=new,
                    owner=owner,
                    call_line=call_line,
                    indirect=indirect,
                    id=f"{file}:{lit.lineno}:{lit.col_offset}:{owner}.{param}:{value}->{new}",
                )
            )
    mutations.sort(key=lambda m: m["id"])
    if PER_FILE and len(mutations) > PER_FILE:
        mutations = random.Random(file).sample(mutations, PER_FILE)
    return mutations


MUTABLE_FILES = [f for f in cases.FILES if all(c.correct for c in cases.cases_for(f))]
MUTATIONS = [m for f in MUTABLE_FILES for m in enumerate_mutations(f)]

_baselines = {}


def baseline(case):
    if case.id not in _baselines:
        _baselines[case.id] = trace(case.path, case.build, case.inputs)
    return _baselines[case.id]


def verdict(case, t) -> str:
    if not t.ok:
        return "rejected"
    if case.declared_output is not None and t.output != case.declared_output:
        return "changed"
    for name, shape in case.layer_declarations.items():
        if t.outputs.get(name) != shape:
            return "changed"
    return "same"


def trailing_pragma_lines(source: str):
    """Lines of layers and statements that carry their own ``# shapelint: output=`` pragma."""
    return {n for n, line in enumerate(source.splitlines(), 1)
            if "# shapelint: output=" in line and not line.lstrip().startswith("#")}


def forward_returns(source: str, case):
    """Lines of ``return`` statements in the model class's forward."""
    lines = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ClassDef) and f"class {node.name}(" in case.model_marker:
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == "forward":
                    lines |= {n.lineno for n in ast.walk(item) if isinstance(n, ast.Return)}
    return lines


def allowed_lines(mutation, source: str, judged) -> set:
    """Where a report of this mutation is at the right line."""
    allowed = enclosing_call_span(source, mutation["line"], mutation["col"])
    for case, t in judged:
        base = baseline(case)
        for name, line in t.lines.items():
            if base.reprs.get(name) != t.reprs.get(name):  # a layer the mutation changed
                allowed |= call_span(source, line, t.types.get(name))
        if t.failing_module is not None and t.failing_module in t.lines:
            allowed |= call_span(source, t.lines[t.failing_module], t.types.get(t.failing_module))
        if t.failing_module is not None:
            # The calls that built the blocks it is in: a value passed into a block is reported
            # on the caller's argument that passes it.
            parts = t.failing_module.split(".")
            for name in (".".join(parts[:depth]) for depth in range(1, len(parts))):
                if name in t.lines:
                    allowed |= call_span(source, t.lines[name], t.types.get(name))
        allowed |= t.error_lines
        # Not the class line nor the model's declaration (CONTRACT section 3): a layer's or a
        # statement's own pragma is on that layer or statement.
        allowed |= trailing_pragma_lines(source)
        allowed |= forward_returns(source, case)
        for name in case.layer_declarations:
            if name in t.lines:
                allowed |= call_span(source, t.lines[name], t.types.get(name))
    return allowed


def suggested_lines(diagnostic, source: str, judged) -> set:
    """The lines of the calls that a diagnostic's own fix edits, or of the layer its suggestion
    replaces (``replace ups.2 (ConvTranspose1d) by ...``): where it is placed."""
    lines = set()
    for edit in (diagnostic.get("fix") or {}).get("edits", ()):
        row, column = edit["location"]["row"], edit["location"]["column"]
        lines |= enclosing_call_span(source, row, column - 1)
    for name in re.findall(r"; replace ([\w.]+) \(", diagnostic["message"]):
        for _, t in judged:
            if name in t.lines:
                lines |= call_span(source, t.lines[name], t.types.get(name))
    return lines


def describe(judged) -> str:
    return "; ".join(
        f"{case.id}: {verdict(case, t)} ({t.error or t.output})" for case, t in judged
    )


def fix_owed(mutation) -> bool:
    if mutation["indirect"] or mutation["call_line"] is None:
        return False
    built = [
        name
        for case in cases.cases_for(mutation["file"])
        for name, line in baseline(case).lines.items()
        if line == mutation["call_line"] and baseline(case).types[name] == mutation["owner"]
    ]
    return len(built) == 1


def shp1(diagnostics):
    return [d for d in diagnostics if str(d.get("code", "")).startswith("SHP1")]


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m["id"] for m in MUTATIONS])
def test_mutation(mutation, tmp_path):
    file = mutation["file"]
    with open(os.path.join(cases.MODELS_DIR, file)) as f:
        original = f.read()
    lines = original.splitlines(keepends=True)
    row = lines[mutation["line"] - 1]
    assert row[mutation["col"]:mutation["end_col"]] == str(mutation["old"])
    lines[mutation["line"] - 1] = row[: mutation["col"]] + str(mutation["new"]) + row[mutation["end_col"]:]
    mutated = "".join(lines)
    path = os.path.join(str(tmp_path), file)
    with open(path, "w") as f:
        f.write(mutated)
    args = file_args(file, tmp_path)

    judged = [(case, trace(path, case.build, case.inputs)) for case in cases.cases_for(file)]
    broken = any(verdict(case, t) != "same" for case, t in judged)
    code, diagnostics, stderr = check_json(path, *args)
    errors = shp1(diagnostics)
    if not broken:
        assert not errors, f"PyTorch accepts the mutation ({describe(judged)}), shapelint: {errors}"
        return

    allowed = allowed_lines(mutation, mutated, judged)
    assert errors, f"PyTorch: {describe(judged)}; shapelint reports no SHP1xx: {diagnostics}"
    assert code == 1, (code, stderr)
    assert any(d["location"]["row"] in allowed | suggested_lines(d, mutated, judged) for d in errors), (
        f"PyTorch: {describe(judged)}; SHP1xx at rows "
        f"{[(d['code'], d['location']['row']) for d in errors]}, expected one of {sorted(allowed)}"
    )

    # Apply the fixes, re-check, as `check --fix` does.
    text = mutated
    history = []
    for _ in range(FIX_ROUNDS):
        fixes = [d["fix"]["edits"] for d in errors if d.get("fix")]
        if not fixes:
            break
        text, applied = apply_fixes(text, fixes)
        history.append([(d["code"], d["location"]["row"], d["fix"]["message"]) for d in errors if d.get("fix")])
        with open(path, "w") as f:
            f.write(text)
        code, diagnostics, stderr = check_json(path, *args)
        errors = shp1(diagnostics)
        if not errors:
            break
    if not history:
        # A fix can always be had by editing a layer built once from literals: one is owed.
        # For a layer line that builds several modules (a child class used many times, a loop)
        # or a value from __init__ defaults or a helper call, no single edit of the reported
        # layer may be right, and offering none is honest.
        assert not fix_owed(mutation), (
            f"no fix offered for {[(d['code'], d['message']) for d in errors]}"
        )
        return
    assert not errors, f"after fixes {history}: still {errors}"
    after = [(case, trace(path, case.build, case.inputs)) for case in cases.cases_for(file)]
    assert all(verdict(case, t) == "same" for case, t in after), (
        f"after fixes {history}, PyTorch: {describe(after)}"
    )

    # `shapelint check --fix --unsafe-fixes` itself does as well, and its exit status tells
    # what remains (0 only when nothing is left).
    with open(path, "w") as f:
        f.write(mutated)
    fixed = run_cli("check", path, "--fix", "--unsafe-fixes", "--no-cache", *args)
    assert "Traceback" not in fixed.stderr, fixed.stderr
    code, diagnostics, stderr = check_json(path, *args)
    assert not shp1(diagnostics), f"after check --fix: {diagnostics}"
    assert fixed.code == (1 if diagnostics else 0), (fixed.code, fixed.stdout, diagnostics)
    after = [(case, trace(path, case.build, case.inputs)) for case in cases.cases_for(file)]
    assert all(verdict(case, t) == "same" for case, t in after), (
        f"after check --fix, PyTorch: {describe(after)}"
    )


def test_mutations_cover_every_file_and_both_outcomes():
    """The sample is not degenerate: every model file is mutated, and PyTorch both accepts and
    rejects some of the mutations."""
    assert {m["file"] for m in MUTATIONS} == set(MUTABLE_FILES)
    outcomes = set()
    for mutation in MUTATIONS[:: max(1, len(MUTATIONS) // 12)]:
        with open(os.path.join(cases.MODELS_DIR, mutation["file"])) as f:
            lines = f.read().splitlines(keepends=True)
        row = lines[mutation["line"] - 1]
        lines[mutation["line"] - 1] = row[: mutation["col"]] + str(mutation["new"]) + row[mutation["end_col"]:]
        import tempfile

        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, mutation["file"])
            with open(path, "w") as f:
                f.write("".join(lines))
            for case in cases.cases_for(mutation["file"]):
                outcomes.add(verdict(case, trace(path, case.build, case.inputs)))
    assert {"same", "rejected"} <= outcomes, outcomes
