"""The examples in the rule documentation are real: ``shapelint check`` reports exactly the
rule's code on each failing example, and nothing on each fixed one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

from shapelint.core.codes import OFF_BY_DEFAULT
from shapelint.core.rules import RULES


_CHECKED: dict = {}


def check(tmp_path: Path, source: str) -> List[dict]:
    """The JSON diagnostics of ``shapelint check`` on ``source`` (each source checked once)."""
    if source not in _CHECKED:
        _CHECKED[source] = _run_check(tmp_path, source)
    return _CHECKED[source]


def _run_check(tmp_path: Path, source: str) -> List[dict]:
    path = tmp_path / "example.py"
    path.write_text(source, encoding="utf-8")
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    done = subprocess.run(
        # Off-by-default codes too: their examples give them, and no other example may.
        [sys.executable, "-m", "shapelint", "check", "--no-cache", "--format", "json",
         "--extend-select", ",".join(OFF_BY_DEFAULT), path.name],
        cwd=tmp_path,  # no config of this repository applies
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("rule", RULES, ids=[rule.code for rule in RULES])
def test_failing_example_gives_exactly_its_code(tmp_path, rule):
    found = check(tmp_path, rule.example)
    assert found, f"{rule.code}: nothing reported on the failing example"
    assert {d["code"] for d in found} == {rule.code}, [(d["code"], d["message"]) for d in found]


@pytest.mark.parametrize("rule", RULES, ids=[rule.code for rule in RULES])
def test_fixed_example_gives_nothing(tmp_path, rule):
    found = check(tmp_path, rule.fixed_example)
    assert found == [], [(d["code"], d["message"]) for d in found]


@pytest.mark.parametrize("rule", RULES, ids=[rule.code for rule in RULES])
def test_docs_say_whether_the_example_is_fixable(tmp_path, rule):
    fixes = [d["fix"] for d in check(tmp_path, rule.example)]
    if rule.fix is None:
        assert fixes == [None] * len(fixes), f"{rule.code} has fixes but its docs say nothing of --fix"
    else:
        assert all(fixes), f"{rule.code}: the docs describe a fix the example does not get"


FIXABLE = [rule for rule in RULES if rule.fix is not None]


@pytest.mark.parametrize("rule", FIXABLE, ids=[rule.code for rule in FIXABLE])
def test_fix_repairs_the_failing_example(tmp_path, rule):
    path = tmp_path / "example.py"
    path.write_text(rule.example, encoding="utf-8")
    unsafe = ["--unsafe-fixes"] if "--unsafe-fixes" in rule.fix else []
    done = subprocess.run(
        [sys.executable, "-m", "shapelint", "check", "--no-cache", "--fix", *unsafe, path.name],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    fixed = path.read_text(encoding="utf-8")
    assert fixed != rule.example
    compile(fixed, "example.py", "exec")
    assert check(tmp_path, fixed) == []
    # Only the layer's line changed.
    changed = [a for a, b in zip(rule.example.splitlines(), fixed.splitlines()) if a != b]
    assert len(changed) == 1 and len(fixed.splitlines()) == len(rule.example.splitlines())
    # And PyTorch agrees: the repaired model runs and gives the declared output.
    _model, shape, output = run_in_torch(fixed)
    if output is not None:
        assert shape == output


# --------------------------------------------------------------------------------------------
# The same examples in PyTorch: the failing ones really fail (or are really poor), the fixed
# ones run and give the declared shape. This holds whatever the engine says.

import re  # noqa: E402
from typing import Optional, Tuple  # noqa: E402

#: SHP3xx examples are about the analysis (a budget), not about what PyTorch does.
#: SHP203's examples declare names, not sizes: checked over sizes by ``test_size_gaps_examples_in_torch``.
MODEL_RULES = [rule for rule in RULES
               if rule.code not in ("SHP001", "SHP203") and not rule.code.startswith("SHP3")]
#: SHP0xx examples are about declarations: their models run either way.
SHAPE_RULES = [rule for rule in MODEL_RULES if not rule.code.startswith("SHP0")]
RAISING = {"SHP102", "SHP103", "SHP104", "SHP105", "SHP106"}


def declared(source: str) -> Tuple[Tuple[int, ...], Optional[Tuple[int, ...]]]:
    """The input declared by the first pragma or annotation, and the declared output."""
    pragma = re.search(r"# shapelint: input=\(([\d, ]+)\)", source)
    annotations = re.findall(r'Float\[Tensor, "([\d ]+)"\]', source)
    if pragma:
        shape = tuple(int(v) for v in pragma.group(1).split(","))
    else:
        shape = tuple(int(v) for v in annotations[0].split())
    output = tuple(int(v) for v in annotations[1].split()) if len(annotations) > 1 else None
    return shape, output


def run_in_torch(source: str):
    torch = pytest.importorskip("torch")
    namespace: dict = {"__name__": "example"}
    exec(compile(source, "example.py", "exec"), namespace)
    nn = torch.nn
    models = [v for v in namespace.values() if isinstance(v, nn.Module)]
    classes = [
        v for v in namespace.values()
        if isinstance(v, type) and issubclass(v, nn.Module) and v.__module__ == "example"
    ]
    model = models[0] if models else classes[-1]()
    shape, output = declared(source)
    with torch.no_grad():
        result = model(torch.zeros(shape))
    return model, tuple(result.shape), output


@pytest.mark.parametrize("rule", MODEL_RULES, ids=[rule.code for rule in MODEL_RULES])
def test_fixed_example_runs_in_torch_with_the_declared_output(rule):
    _model, shape, output = run_in_torch(rule.fixed_example)
    if output is not None:
        assert shape == output


@pytest.mark.parametrize("rule", SHAPE_RULES, ids=[rule.code for rule in SHAPE_RULES])
def test_failing_example_fails_in_torch(rule):
    torch = pytest.importorskip("torch")
    if rule.code in RAISING:
        with pytest.raises((RuntimeError, ValueError)):
            run_in_torch(rule.example)
        return
    model, shape, output = run_in_torch(rule.example)
    if rule.code == "SHP101":
        assert output is not None and shape != output
    elif rule.code in ("SHP201", "SHP202"):
        assert shape == output  # valid: a poor choice, not a failure
        (layer,) = [m for m in model.modules() if isinstance(m, torch.nn.ConvTranspose2d)]
        k, s, p, d = layer.kernel_size[0], layer.stride[0], layer.padding[0], layer.dilation[0]
        if rule.code == "SHP201":
            assert k % s != 0
        else:
            assert p > d * (k - 1)
    else:
        raise AssertionError(f"no torch expectation for {rule.code}")


def _transposed_layer(source: str):
    torch = pytest.importorskip("torch")
    model, _shape, _output = run_in_torch(source)
    (layer,) = [m for m in model.modules() if isinstance(m, torch.nn.ConvTranspose2d)]
    return torch, layer


@pytest.mark.parametrize("which", ["example", "fixed_example"])
def test_checkerboard_claim_in_torch(which):
    # With every weight 1 and a constant input, the interior of the output is uneven exactly
    # when kernel_size is not a multiple of stride: the checkerboard the docs describe.
    torch, layer = _transposed_layer(getattr(_rule("SHP201"), which))
    with torch.no_grad():
        layer.weight.fill_(1.0)
        layer.bias.zero_()
        out = layer(torch.ones(1, layer.in_channels, 12, 12))[0, 0, 4:-4, 4:-4]
    uneven = bool(out.max() != out.min())
    assert uneven == (which == "example")


@pytest.mark.parametrize("which", ["example", "fixed_example"])
def test_cropped_input_claim_in_torch(which):
    # The border inputs reach no output at all exactly when padding > dilation*(kernel_size-1).
    torch, layer = _transposed_layer(getattr(_rule("SHP202"), which))
    with torch.no_grad():
        layer.weight.fill_(1.0)
    x = torch.ones(1, layer.in_channels, 10, 10, requires_grad=True)
    layer(x).sum().backward()
    border_lost = bool((x.grad[0, :, 0, :] == 0).all())
    assert border_lost == (which == "example")


def _rule(code: str):
    return next(rule for rule in RULES if rule.code == code)


def test_size_gaps_examples_in_torch():
    """SHP203's example runs but gives its declared output ``t`` only for even lengths (gaps);
    the fixed one, declared ``2*t``, gives it for every length."""
    torch = pytest.importorskip("torch")
    (rule,) = [r for r in RULES if r.code == "SHP203"]
    models = []
    for source in (rule.example, rule.fixed_example):
        namespace: dict = {"__name__": "example"}
        exec(compile(source, "example.py", "exec"), namespace)
        models.append(namespace["Halve"]())
    example, fixed = models
    with torch.no_grad():
        fits = [example(torch.zeros(1, 1, t)).shape[-1] == t for t in range(1, 65)]
        assert any(fits) and not all(fits)
        first = fits.index(True)
        assert not all(fits[first:])  # a gap above the smallest size that fits, not a minimum
        assert all(fixed(torch.zeros(1, 1, 2 * t)).shape[-1] == 2 * t for t in range(1, 65))
