"""Symbolic sizes: exact arithmetic, canonical forms, size sets and their rendering.

Every claim is checked by evaluating at each value 1..200 (or the rendered Python expression
itself), never against hard-coded expectations alone.
"""

from __future__ import annotations

import math
import subprocess
import sys

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from shapelint.core import symbolic as S

H = S.name("h")
W = S.name("w")
RANGE = range(1, 201)


def _python(expression: str, **values: int):
    return eval(expression, {"__builtins__": {}}, values)  # noqa: S307 - our own rendering


# --------------------------------------------------------------------------- arithmetic


# An operation on a size of h, with the same operation on an int.
OPS = st.one_of(
    st.tuples(st.just("add"), st.integers(-5, 5)),
    st.tuples(st.just("mul"), st.integers(-3, 4).filter(bool)),
    st.tuples(st.just("floordiv"), st.integers(1, 6)),
    st.tuples(st.just("floordiv"), st.integers(-4, -1)),
    st.tuples(st.just("mod"), st.integers(1, 6)),
    st.tuples(st.just("ceildiv"), st.integers(1, 5)),
)


def _chain(ops):
    """h through ``ops``; an example whose period passes ``MAX_PERIOD`` is skipped (Inexact)."""
    value = H
    try:
        for op in ops:
            value = _apply(value, op)
    except S.Inexact:
        assume(False)
    return value


def _apply(value, op):
    kind, k = op
    if kind == "add":
        return value + k
    if kind == "mul":
        return value * k
    if kind == "floordiv":
        return value // k
    if kind == "mod":
        return value % k
    return -(-value // k)


@settings(max_examples=300)
@given(st.lists(OPS, min_size=1, max_size=6))
def test_chains_of_operations_evaluate_and_print_as_python(ops):
    value = _chain(ops)
    text = S.render(value)
    for h in RANGE:
        expected = h
        for op in ops:
            expected = _apply(expected, op)
        assert S.evaluate(value, {"h": h}) == expected
        assert _python(text, h=h) == expected, text
    # The printed form reads back as the same size.
    assert S.parse(text) == value


@settings(max_examples=200)
@given(st.lists(OPS, min_size=1, max_size=5), st.lists(OPS, min_size=1, max_size=5))
def test_equal_functions_have_one_form(ops_a, ops_b):
    """Two chains give the same printed form and compare equal exactly when they agree on
    every h (checked over three periods of both)."""
    a, b = _chain(ops_a), _chain(ops_b)
    if not (isinstance(a, S.Sym) and isinstance(b, S.Sym)):
        return
    period = math.lcm(a.factors[0].period, b.factors[0].period)
    # Two periodic affine functions agree everywhere when they agree on two periods.
    agree = all(S.evaluate(a, {"h": h}) == S.evaluate(b, {"h": h}) for h in range(1, 2 * period + 2))
    assert (a == b) == agree
    assert (S.render(a) == S.render(b)) == agree
    assert (S.compare(a, "==", b) is True) == agree


def test_the_issue_examples_are_canonical():
    two_convs = ((H - 1) // 2 + 1 - 1) // 2 + 1
    assert two_convs == (H - 1) // 4 + 1
    assert str(two_convs) == str((H - 1) // 4 + 1)
    assert str((H + 2 - 3) // 2 + 1) == "(h + 1)//2"
    assert str(H // 16 * 16) == "h//16*16"
    assert str(2 * H) == "2*h"
    assert H // 2 * 2 + H % 2 == H
    assert (H + 1) // 2 + H // 2 == H


def test_products_of_names():
    flat = 3 * (H // 2) * W
    assert flat == W * (H // 2) * 3
    for h, w in [(1, 1), (5, 3), (8, 7)]:
        assert S.evaluate(flat, {"h": h, "w": w}) == 3 * (h // 2) * w
        assert _python(str(flat), h=h, w=w) == 3 * (h // 2) * w
    assert flat // 3 == (H // 2) * W
    with pytest.raises(S.Inexact):
        flat // 2  # not a product of sizes of one name each
    with pytest.raises(S.Inexact):
        H * H
    with pytest.raises(S.Inexact):
        flat + H


def test_comparisons_answer_for_every_size_or_not_at_all():
    assert S.compare(H, ">=", 1) is True
    assert S.compare(H, "<", 1) is False
    assert S.compare(H, ">", 1) is None
    assert S.compare(H // 2 * 2, "<=", H) is True
    assert S.compare(2 * H, "!=", 2 * H + 1) is True
    assert H + 1 > 0
    with pytest.raises(S.Inexact):
        H > 3
    with pytest.raises(S.Inexact):
        bool(H - 1)


def test_period_past_the_bound_is_unknown():
    value = H
    with pytest.raises(S.Inexact):
        for k in (7, 11, 13, 17, 19):
            value = value // k * k + value % 3


# --------------------------------------------------------------------------- sets


def _members(constraint: S.Constraint, name: str = "h"):
    return {v for v in RANGE if constraint.contains({name: v})}


def _rendered_members(constraint: S.Constraint):
    conditions = constraint.conditions()
    return {v for v in RANGE if all(_python(c, h=v) for c in conditions)}


SETS = st.one_of(
    st.tuples(st.just("ge"), st.lists(OPS, max_size=3), st.integers(-3, 30)),
    st.tuples(st.just("eq"), st.lists(OPS, max_size=3), st.integers(0, 12)),
)


def _set_of(spec, name="h"):
    kind, ops, bound = spec
    value = S.name(name)
    for op in ops:
        value = _apply(value, op)
    if kind == "ge":
        return S.where_ge(value, bound), lambda h: _eval_chain(h, ops) >= bound
    return S.where_eq(value, bound), lambda h: _eval_chain(h, ops) == bound


def _eval_chain(h, ops):
    for op in ops:
        h = _apply(h, op)
    return h


@settings(max_examples=300)
@given(SETS, SETS)
def test_size_sets_are_exact_and_render_as_python(spec_a, spec_b):
    a, in_a = _set_of(spec_a)
    b, in_b = _set_of(spec_b)
    for found, expected in (
        (a, {v for v in RANGE if in_a(v)}),
        (a & b, {v for v in RANGE if in_a(v) and in_b(v)}),
        (a | b, {v for v in RANGE if in_a(v) or in_b(v)}),
    ):
        assert _members(found) == expected
        assert _rendered_members(found) == expected, found.conditions()
        smallest = found.smallest("h")
        if expected:
            assert smallest == min(expected)
        else:
            assert smallest is None or smallest > max(RANGE)


def test_unet_skip_sizes_are_equal_exactly_for_multiples_of_16():
    sizes = [H]
    for _ in range(4):
        sizes.append(sizes[-1] // 2)
    accepts = S.where_ge(sizes[-1], 1)
    up = sizes[-1]
    for level in range(3, -1, -1):
        up = 2 * up
        accepts = accepts & S.where_eq(up, sizes[level])
    assert accepts.conditions() == ["h % 16 == 0"]
    assert accepts.smallest("h") == 16
    assert accepts.of_name("h").smallest_missing(16) == 17


def test_readable_residue_conditions():
    assert (S.where_eq(H % 32, 0) | S.where_eq(H % 32, 1)).conditions() == ["h % 32 <= 1"]
    assert S.where_ge(H, 16).conditions() == ["h >= 16"]
    assert (S.where_eq(H % 16, 0) & S.where_ge(H, 32)).conditions() == ["h % 16 == 0", "h >= 32"]
    assert S.where_ge(H, 1).conditions() == []
    assert S.where_ge(-H, 0).conditions() == ["False"]


def test_products_equal_to_in_features_are_finite_boxes():
    flat = 8 * (H // 4) * (W // 4)
    accepts = S.where_eq(flat, 8 * 7 * 7)
    expected = {(h, w) for h in range(1, 60) for w in range(1, 60) if 8 * (h // 4) * (w // 4) == 392}
    found = {(h, w) for h in range(1, 60) for w in range(1, 60) if accepts.contains({"h": h, "w": w})}
    assert found == expected and expected
    conditions = accepts.conditions()
    rendered = {(h, w) for h in range(1, 60) for w in range(1, 60)
                if all(_python(c, h=h, w=w) for c in conditions)}
    assert rendered == expected


def test_symbolic_is_not_imported_for_models_without_names(tmp_path):
    model = tmp_path / "m.py"
    model.write_text(
        "import torch.nn as nn\n\n\nclass Net(nn.Module):  # shapelint: input=(1, 3, 8, 8)\n"
        "    def __init__(self):\n        super().__init__()\n        self.conv = nn.Conv2d(3, 8, 3)\n\n"
        "    def forward(self, x):\n        return self.conv(x)\n"
    )
    code = (
        "import sys\nfrom shapelint.frontends.cli import main\n"
        f"try:\n    main(['check', {str(model)!r}, '--no-cache'])\nexcept SystemExit:\n    pass\n"
        "print('LOADED', 'shapelint.core.symbolic' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "LOADED False" in done.stdout, done.stdout + done.stderr


@settings(max_examples=150)
@given(SETS, SETS, SETS, SETS)
def test_constraints_over_two_names_render_as_python(spec_a, spec_b, spec_c, spec_d):
    """(A(h) and B(w)) or (C(h) and D(w)): membership and rendering against brute force."""
    a, in_a = _set_of(spec_a)
    b, in_b = _set_of(spec_b, "w")
    c, in_c = _set_of(spec_c)
    d, in_d = _set_of(spec_d, "w")
    found = (a & b) | (c & d)
    text = str(found)
    for h in range(1, 41):
        for w in range(1, 41):
            expected = (in_a(h) and in_b(w)) or (in_c(h) and in_d(w))
            assert found.contains({"h": h, "w": w}) == expected
            assert all(_python(cond, h=h, w=w) for cond in found.conditions()) == expected
            assert _python(text, h=h, w=w) == expected


def test_exact_division_for_view_minus_one():
    assert S.divide_exact(2 * H, H) == 2
    assert S.divide_exact(4 * H + 2, 2) == 2 * H + 1
    assert S.divide_exact(6 * (H // 2) * W, 3 * W) == 2 * (H // 2)
    for bad in [(H, 2), (H * W, 2 * H), (3 * H, W), (H + 1, H)]:
        with pytest.raises(S.Inexact):
            S.divide_exact(*bad)
