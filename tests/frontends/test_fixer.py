"""The fixer: byte identity outside the edits, overlaps, refusal of unparsable results,
idempotence, and the diff."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
from typing import Tuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shapelint.core.text import lines_with_ends
from shapelint.frontends.fixer import apply_fixes, unified_diff
from shapelint.core.results import SAFE, UNSAFE, Diagnostic, Edit, Fix


def position(source: str, needle: str, occurrence: int = 0) -> Tuple[int, int]:
    """(row, column), 1-based, of the ``occurrence``-th ``needle`` in ``source``."""
    index = -1
    for _ in range(occurrence + 1):
        index = source.index(needle, index + 1)
    before = source[:index]
    row = len(re.findall(r"\r\n|\r|\n", before)) + 1
    line_start = max(before.rfind("\n"), before.rfind("\r")) + 1
    return row, index - line_start + 1


def replace(source: str, needle: str, content: str, occurrence: int = 0) -> Edit:
    start = position(source, needle, occurrence)
    return Edit(content, start, (start[0], start[1] + len(needle)))


def insert_after(source: str, needle: str, content: str, occurrence: int = 0) -> Edit:
    row, col = position(source, needle, occurrence)
    return Edit(content, (row, col + len(needle)), (row, col + len(needle)))


def diagnostic(*edits: Edit, applicability: str = SAFE, code: str = "SHP102") -> Diagnostic:
    row, col = edits[0].start
    return Diagnostic(code, "m", "net.py", row, col, row, col + 1, Fix("fix it", applicability, edits))


NET = """\
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, 3, padding=1)  # stem
        self.conv2 = nn.Conv2d(64, 64, 3, padding=1)
        self.conv3 = nn.Conv2d(
            in_channels=128,   # was 64
            out_channels=10,
            kernel_size=1,
        )
"""


# --------------------------------------------------------------------------------- applying


def test_positional_argument_is_replaced_in_place():
    fixed, count = apply_fixes(NET, [diagnostic(replace(NET, "64", "32"))])
    assert count == 1
    assert "self.conv2 = nn.Conv2d(32, 64, 3, padding=1)\n" in fixed
    assert fixed == NET.replace("nn.Conv2d(64, 64", "nn.Conv2d(32, 64")


def test_keyword_argument_keeps_its_keyword_and_comment():
    fixed, count = apply_fixes(NET, [diagnostic(replace(NET, "128", "64"))])
    assert count == 1
    assert "            in_channels=64,   # was 64\n" in fixed
    assert fixed == NET.replace("in_channels=128,", "in_channels=64,")


def test_inserted_keyword_in_a_multiline_call_keeps_layout():
    edit = insert_after(NET, "kernel_size=1,", "\n            padding=0,")
    fixed, _ = apply_fixes(NET, [diagnostic(edit)])
    assert fixed.endswith("            kernel_size=1,\n            padding=0,\n        )\n")


def test_several_fixes_in_one_pass():
    edits = [
        diagnostic(replace(NET, "64", "32")),
        diagnostic(replace(NET, "128", "64")),
        diagnostic(insert_after(NET, "nn.Conv2d(3, 32, 3", ", stride=1")),
    ]
    fixed, count = apply_fixes(NET, edits)
    assert count == 3
    assert "nn.Conv2d(3, 32, 3, stride=1, padding=1)  # stem" in fixed
    assert "nn.Conv2d(32, 64, 3, padding=1)" in fixed
    assert "in_channels=64,   # was 64" in fixed


def test_bytes_outside_the_edits_are_identical():
    source = (
        "# -*- coding: utf-8 -*-\r\n"
        "from torch import nn\r\n"
        "\r\n"
        "\x0c\r\n"  # a form feed line: not a line break for Python
        "layer = nn.Conv2d(\t3 ,  8,3)   # ünïcode comment  \r\n"
        "other = nn.Linear(5, 6)\t\r\n"
        "tail = 1"  # no final newline
    )
    edit = replace(source, "3 ", "16 ")
    fixed, count = apply_fixes(source, [diagnostic(edit)])
    assert count == 1
    index = source.index("3 ,")
    assert fixed[:index] == source[:index]
    assert fixed[index + 3 :] == source[index + 2 :]
    assert fixed[index : index + 3] == "16 "
    assert fixed.encode("utf-8").count(b"\r\n") == source.encode("utf-8").count(b"\r\n")


def test_columns_count_characters_not_bytes():
    source = "x = 'größe'; layer = nn.Conv2d(3, 8, 3)\n"
    edit = replace(source, "8", "16")
    assert edit.start == (1, 35)  # character column; in UTF-8 bytes it would be 37
    fixed, _ = apply_fixes(source, [diagnostic(edit)])
    assert fixed == "x = 'größe'; layer = nn.Conv2d(3, 16, 3)\n"


def test_unsafe_fixes_only_when_asked():
    unsafe = diagnostic(replace(NET, "64", "32"), applicability=UNSAFE)
    assert apply_fixes(NET, [unsafe]) == (NET, 0)
    fixed, count = apply_fixes(NET, [unsafe], unsafe=True)
    assert count == 1 and fixed != NET


def test_diagnostics_without_fix_or_edits_are_ignored():
    plain = Diagnostic("SHP201", "m", "net.py", 1, 1, 1, 2)
    empty = Diagnostic("SHP101", "m", "net.py", 1, 1, 1, 2, fix=Fix("nothing", SAFE, ()))
    assert apply_fixes(NET, [plain, empty]) == (NET, 0)


def test_positions_outside_the_text_are_ignored():
    bad_row = diagnostic(Edit("x", (99, 1), (99, 2)))
    bad_col = diagnostic(Edit("x", (1, 80), (1, 81)))
    backwards = diagnostic(Edit("x", (2, 5), (2, 3)))
    good = diagnostic(replace(NET, "64", "32"))
    fixed, count = apply_fixes(NET, [bad_row, bad_col, backwards, good])
    assert count == 1 and fixed == NET.replace("nn.Conv2d(64, 64", "nn.Conv2d(32, 64")


def test_edit_at_the_very_end_of_the_file():
    source = "from torch import nn\nlayer = nn.ReLU()\n"
    fixed, count = apply_fixes(source, [diagnostic(Edit("other = nn.Tanh()\n", (3, 1), (3, 1)))])
    assert count == 1 and fixed == source + "other = nn.Tanh()\n"
    # One row further is not in the file, nor is a column past the end of the last line.
    assert apply_fixes(source, [diagnostic(Edit("x = 1\n", (4, 1), (4, 1)))]) == (source, 0)
    assert apply_fixes(source, [diagnostic(Edit("x = 1\n", (3, 2), (3, 2)))]) == (source, 0)
    unterminated = source.rstrip("\n")
    fixed, count = apply_fixes(unterminated, [diagnostic(Edit("\nx = 1", (2, 18), (2, 18)))])
    assert count == 1 and fixed == unterminated + "\nx = 1"
    assert apply_fixes(unterminated, [diagnostic(Edit("x", (3, 1), (3, 1)))]) == (unterminated, 0)


# --------------------------------------------------------------------------------- overlaps


def test_overlapping_fixes_first_wins_the_other_waits_for_the_next_round():
    first = diagnostic(replace(NET, "nn.Conv2d(64, 64", "nn.Conv2d(32, 64"))
    second = diagnostic(replace(NET, "64, 64, 3", "64, 64, 5"))
    fixed, count = apply_fixes(NET, [second, first])
    assert count == 1
    assert "nn.Conv2d(32, 64, 3, padding=1)" in fixed
    # The next round, with positions in the new text, applies the other one.
    again, count = apply_fixes(fixed, [diagnostic(replace(fixed, "32, 64, 3", "32, 64, 5"))])
    assert count == 1 and "nn.Conv2d(32, 64, 5, padding=1)" in again


def test_touching_fixes_are_not_both_applied():
    # Like ruff: a fix that starts where the previous one ends waits for the next round.
    first = diagnostic(replace(NET, "64", "32"))
    second = diagnostic(insert_after(NET, "nn.Conv2d(64", " + 0"))
    fixed, count = apply_fixes(NET, [first, second])
    assert count == 1 and fixed == NET.replace("nn.Conv2d(64, 64", "nn.Conv2d(32, 64")


def test_a_fix_whose_own_edits_overlap_is_skipped():
    own = diagnostic(replace(NET, "64, 64", "1, 1"), replace(NET, "64", "2", occurrence=1))
    assert apply_fixes(NET, [own]) == (NET, 0)


def test_identical_fixes_are_applied_once_and_both_count():
    edit = replace(NET, "64", "32")
    fixed, count = apply_fixes(NET, [diagnostic(edit), diagnostic(edit, code="SHP103")])
    assert count == 2
    assert fixed == NET.replace("nn.Conv2d(64, 64", "nn.Conv2d(32, 64")


def test_a_fix_with_edits_in_two_places_is_all_or_nothing():
    two_places = diagnostic(replace(NET, "64", "32"), replace(NET, "128", "64"))
    blocked = diagnostic(replace(NET, "in_channels=128", "in_channels=7"))
    fixed, count = apply_fixes(NET, [blocked, two_places])
    # two_places starts first, so it is taken; blocked overlaps its second edit.
    assert count == 1
    assert "nn.Conv2d(32, 64" in fixed and "in_channels=64," in fixed


# --------------------------------------------------------------------------------- refusal


def test_a_fix_that_breaks_the_syntax_is_refused():
    broken = diagnostic(replace(NET, "padding=1)", "padding=1"))
    assert apply_fixes(NET, [broken]) == (NET, 0)


def test_only_the_breaking_fix_is_refused():
    good = diagnostic(replace(NET, "64", "32"))
    broken = diagnostic(replace(NET, "out_channels=10,", "out_channels=10 +,"))
    also_good = diagnostic(replace(NET, "kernel_size=1", "kernel_size=3"))
    fixed, count = apply_fixes(NET, [good, broken, also_good])
    assert count == 2
    assert fixed == NET.replace("nn.Conv2d(64, 64", "nn.Conv2d(32, 64").replace(
        "kernel_size=1", "kernel_size=3"
    )
    ast.parse(fixed)


def test_fixes_that_break_only_together_keep_the_first():
    # Each alone parses; together a positional argument follows a keyword argument.
    row, col = position(NET, "3, padding=1)", occurrence=1)
    kernel_keyword = diagnostic(Edit("kernel_size=3", (row, col), (row, col + 1)))
    padding_positional = diagnostic(replace(NET, "padding=1", "1", occurrence=1))
    for alone in (kernel_keyword, padding_positional):
        assert apply_fixes(NET, [alone])[1] == 1
    fixed, count = apply_fixes(NET, [padding_positional, kernel_keyword])
    assert count == 1
    # Source order: the kernel_size edit comes first and stays; the padding one is refused.
    assert "self.conv2 = nn.Conv2d(64, 64, kernel_size=3, padding=1)" in fixed
    ast.parse(fixed)


# --------------------------------------------------------------------------------- idempotence


def test_second_run_has_nothing_to_apply():
    fixed, _ = apply_fixes(NET, [diagnostic(replace(NET, "64", "32"))])
    assert apply_fixes(fixed, []) == (fixed, 0)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_random_non_overlapping_token_edits_touch_nothing_else(data):
    numbers = [m for m in re.finditer(r"\d+", NET)]
    chosen = data.draw(st.sets(st.integers(0, len(numbers) - 1), max_size=len(numbers)))
    replacements = {i: str(data.draw(st.integers(0, 999))) for i in sorted(chosen)}
    diagnostics = []
    expected = NET
    for i in sorted(replacements, reverse=True):
        match = numbers[i]
        expected = expected[: match.start()] + replacements[i] + expected[match.end() :]
    for i, value in replacements.items():
        match = numbers[i]
        start = position(NET[: match.start()] + "\0", "\0")
        diagnostics.append(diagnostic(Edit(value, start, (start[0], start[1] + len(match.group())))))
    # Neighbouring numbers (`3, 32`) are separated by text, so none touch: all apply.
    fixed, count = apply_fixes(NET, diagnostics)
    assert fixed == expected
    assert count == len(replacements)
    assert apply_fixes(fixed, []) == (fixed, 0)


# --------------------------------------------------------------------------------- diff


def test_unified_diff():
    fixed, _ = apply_fixes(NET, [diagnostic(replace(NET, "64", "32"))])
    diff = unified_diff("pkg/net.py", NET, fixed)
    assert diff.startswith("--- pkg/net.py\n+++ pkg/net.py\n@@ -6,7 +6,7 @@\n")
    assert "-        self.conv2 = nn.Conv2d(64, 64, 3, padding=1)\n" in diff
    assert "+        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)\n" in diff
    assert unified_diff("pkg/net.py", NET, NET) == ""


def test_unified_diff_marks_a_missing_final_newline():
    diff = unified_diff("a.py", "x = 1\ny = 2", "x = 1\ny = 3")
    assert diff.endswith("-y = 2\n\\ No newline at end of file\n+y = 3\n\\ No newline at end of file\n")


@pytest.mark.skipif(shutil.which("patch") is None, reason="needs patch(1)")
def test_unified_diff_applies_with_patch(tmp_path):
    fixed, _ = apply_fixes(NET, [diagnostic(replace(NET, "128", "64"))])
    target = tmp_path / "net.py"
    target.write_text(NET, encoding="utf-8", newline="")
    (tmp_path / "fix.diff").write_text(unified_diff("net.py", NET, fixed), encoding="utf-8", newline="")
    subprocess.run(["patch", "-s", "-p0", "-i", "fix.diff"], cwd=tmp_path, check=True)
    assert target.read_text(encoding="utf-8") == fixed


def test_lines_with_ends_only_at_python_line_breaks():
    assert lines_with_ends("a\r\nb\x0cc\rd\ne") == ["a\r\n", "b\x0cc\r", "d\n", "e"]
    assert lines_with_ends("") == []


def _row_col(text: str, offset: int) -> Tuple[int, int]:
    """Independent of the fixer: count line breaks before ``offset``."""
    before = text[:offset]
    breaks = list(re.finditer(r"\r\n|\r|\n", before))
    line_start = breaks[-1].end() if breaks else 0
    return len(breaks) + 1, offset - line_start + 1


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=st.text(alphabet="ab \t\r\né€\x0c", max_size=60),
    cuts=st.lists(st.integers(0, 60), max_size=8),
    contents=st.lists(st.text(alphabet="xy\n", max_size=3), min_size=8, max_size=8),
)
def test_any_text_any_edits_change_only_the_edited_spans(monkeypatch_parses, text, cuts, contents):
    # Spans between sorted cut points, every other one, so that none overlap or touch.
    points = sorted({min(c, len(text)) for c in cuts})
    spans = [(points[i], points[i + 1]) for i in range(0, len(points) - 1, 2)]
    spans = [s for i, s in enumerate(spans) if i == 0 or s[0] > spans[i - 1][1]]
    # A position inside a \r\n is not a position in the text: skip such spans.
    spans = [s for s in spans if not any(0 < p < len(text) and text[p - 1 : p + 1] == "\r\n" for p in s)]
    diagnostics = [
        diagnostic(Edit(contents[i], _row_col(text, start), _row_col(text, end)))
        for i, (start, end) in enumerate(spans)
    ]
    expected = text
    for i, (start, end) in reversed(list(enumerate(spans))):
        expected = expected[:start] + contents[i] + expected[end:]
    fixed, count = apply_fixes(text, diagnostics)
    assert fixed == expected
    assert count == len(spans)


@pytest.fixture
def monkeypatch_parses():
    # Random text is not Python: this property is about positions, not about compiling.
    import shapelint.frontends.fixer as fixer

    original = fixer.compiles
    fixer.compiles = lambda text: True
    yield
    fixer.compiles = original


def test_insertions_at_one_point_apply_in_the_order_the_fix_gives():
    source = "from torch import nn\n\npool = nn.MaxPool2d(3)\n"
    fix = diagnostic(
        insert_after(source, "MaxPool2d(3", ", stride=2"),
        insert_after(source, "MaxPool2d(3", ", padding=1"),
    )
    fixed, count = apply_fixes(source, [fix])
    assert count == 1
    assert fixed == "from torch import nn\n\npool = nn.MaxPool2d(3, stride=2, padding=1)\n"
