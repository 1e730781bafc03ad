"""The language server's pure parts, without a client: positions, diagnostics, hovers, inlay
hints, code actions, line maps and settings."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from hypothesis import given, strategies as st
from lsprotocol import types

from shapelint import analysis
from shapelint.core.results import SAFE, UNSAFE, Diagnostic, Edit, Fix, Related
from shapelint.core.text import split_lines
from shapelint.frontends.server import actions, convert, views
from shapelint.frontends.server.analysis import LineMap, analyse
from shapelint.frontends.server.settings import WorkspaceSettings, read_settings

ROOT = Path(__file__).resolve().parents[2]
BROKEN = (ROOT / "examples" / "broken_decoder.py").read_text()


# --------------------------------------------------------------------------------------------
# Positions


@pytest.mark.parametrize("encoding, expected", [(convert.UTF16, 7), (convert.UTF8, 9), (convert.UTF32, 6)])
def test_a_column_after_an_astral_character_in_each_encoding(encoding, expected):
    line = 'x = "😋" + y'
    column = line.index('"', 5)  # the closing quote, after the emoji: 6 code points in
    assert convert.column_to_client(line, column, encoding) == expected
    assert convert.column_from_client(line, expected, encoding) == column


@given(st.text(alphabet=st.sampled_from("ab é😋\t"), max_size=12), st.integers(0, 12),
       st.sampled_from([convert.UTF8, convert.UTF16, convert.UTF32]))
def test_columns_round_trip(line, column, encoding):
    column = min(column, len(line))
    assert convert.column_from_client(line, convert.column_to_client(line, column, encoding), encoding) == column


def test_positions_are_clamped_to_the_document():
    lines = ["ab", "cd"]
    assert convert.to_client(lines, 9, 1, convert.UTF16) == types.Position(line=1, character=2)
    assert convert.from_client(lines, types.Position(line=5, character=9), convert.UTF16) == (2, 3)
    assert convert.from_client([], types.Position(line=0, character=0), convert.UTF16) == (1, 1)


# --------------------------------------------------------------------------------------------
# Diagnostics


def test_a_diagnostic_for_the_client(tmp_path):
    path = str(tmp_path / "m.py")
    lines = ["a = 1", "b = conv(2)"]
    diagnostic = Diagnostic("SHP101", "it differs", path, 2, 5, 2, 12, notes=("inferred [1]",), help="conv(3)",
                            related=(Related("the declared shape", path, 1, 1, 1, 6),
                                     Related("elsewhere", str(tmp_path / "gone.py"), 3, 1, 3, 2)))
    out = convert.to_lsp_diagnostic(diagnostic, lines, convert.UTF16, path, lambda p: "file://" + p,
                                     lambda p: None)
    assert out.range == types.Range(start=types.Position(line=1, character=4), end=types.Position(line=1, character=11))
    assert out.message == "it differs\nnote: inferred [1]\nhelp: conv(3)"
    assert out.severity == types.DiagnosticSeverity.Error and out.code == "SHP101" and out.source == "shapelint"
    assert out.code_description is not None and "SHP101" in out.code_description.href.upper()
    # A related place in a file that cannot be read is left out, not placed at a guess.
    assert [(r.message, r.location.range.start.line) for r in out.related_information] == [("the declared shape", 0)]
    warning = convert.to_lsp_diagnostic(Diagnostic("SHP201", "w", path, 1, 1, 1, 2), lines, convert.UTF16, path,
                                        str, lambda p: None)
    assert warning.severity == types.DiagnosticSeverity.Warning and warning.related_information is None


# --------------------------------------------------------------------------------------------
# Hovers and inlay hints, from a real analysis


UNET_LIKE = '''import torch
import torch.nn as nn
import torch.nn.functional as F


class Down(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1)
        self.pool = nn.MaxPool2d(2)

    def forward(self, x):
        x = F.relu(self.conv(x))
        return self.pool(x)


class Net(nn.Module):  # shapelint: input=(1, 3, 32, 32) output=(1, 10)
    def __init__(self):
        super().__init__()
        self.down1 = Down(3, 8)
        self.down2 = Down(8, 16)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(16 * 8 * 8, 10))

    def forward(self, x):
        h = self.down1(x)
        h = self.down2(h)
        return self.head(h)
'''


@pytest.fixture(scope="module")
def view():
    result = analysis.analyze_source(UNET_LIKE, "/tmp/net.py")
    return views.build_view(result, split_lines(UNET_LIKE), ast.parse(UNET_LIKE))


def at(needle: str, occurrence: int = 0, offset: int = 0):
    """(row, col) 1-based of the ``occurrence``-th ``needle`` in UNET_LIKE, plus ``offset``."""
    index = -1
    for _ in range(occurrence + 1):
        index = UNET_LIKE.index(needle, index + 1)
    index += offset
    row = UNET_LIKE.count("\n", 0, index) + 1
    return row, index - (UNET_LIKE.rfind("\n", 0, index) + 1) + 1


def hover(view, needle, occurrence=0, offset=0):
    found = views.hover_at(view, *at(needle, occurrence, offset))
    return found.markdown if found is not None else None


def test_hover_on_a_layer_constructor_of_a_block_lists_each_instance(view):
    text = hover(view, "nn.Conv2d", offset=4)
    assert "**Conv2d**, 2 instances" in text
    assert "`down1.conv`: `[1, 3, 32, 32] -> [1, 8, 32, 32]`" in text
    assert "`down2.conv`: `[1, 8, 16, 16] -> [1, 16, 16, 16]`" in text


def test_hover_on_self_attribute_in_forward_shows_the_layer_and_the_statement(view):
    text = hover(view, "self.conv(x)", offset=6)
    assert "`down1.conv`: `[1, 3, 32, 32] -> [1, 8, 32, 32]`" in text
    assert "statement: `[1, 8, 32, 32]` (first of 2 runs; last `[1, 16, 16, 16]`)" in text


def test_hover_on_two_layers_of_one_line_tells_them_apart(view):
    flatten = hover(view, "nn.Flatten", offset=3)
    linear = hover(view, "nn.Linear", offset=3)
    assert "`head.0`: `[1, 16, 8, 8] -> [1, 1024]`" in flatten and "head.1" not in flatten
    assert "`head.1`: `[1, 1024] -> [1, 10]`" in linear and "head.0" not in linear


def test_hover_on_tensor_variables(view):
    assert hover(view, "h = self.down2(h)", offset=0) == "`h`: `[1, 16, 8, 8]`"
    assert hover(view, "self.down2(h)", offset=11) == "`h`: `[1, 8, 16, 16]` (line 25)"
    assert hover(view, "def forward(self, x)", 1, offset=18) == "`x`: `[1, 3, 32, 32]` (the input of `Net`)"
    block_input = hover(view, "def forward(self, x)", 0, offset=18)
    assert "`down1` in `Net`: `[1, 3, 32, 32]`" in block_input and "`down2` in `Net`: `[1, 8, 16, 16]`" in block_input


def test_hover_on_the_model_class(view):
    text = hover(view, "class Net", offset=7)
    assert "**Net** (model)" in text
    assert "- input: `[1, 3, 32, 32]` (declared)" in text
    assert "- output: `[1, 10]` (inferred), declared `[1, 10]`" in text
    assert "- accepts: not determined" in text  # as `shapes --format json` says: null
    assert hover(view, "class Down", offset=7).startswith("**Down**: built as")


def test_no_hover_where_nothing_is_known(view):
    assert hover(view, "import torch\n", offset=2) is None
    assert views.hover_at(view, 999, 1) is None


def test_inlay_hints_at_layer_lines_and_statements(view):
    hints = {h.row: h.label for h in views.inlay_hints(view, 1, 99)}
    line = UNET_LIKE.splitlines()
    assert hints[at("nn.Conv2d")[0]] == "→ [1, 8, 32, 32]"  # the first call of the block's layer
    assert hints[at("h = self.down1(x)")[0]] == "→ [1, 8, 16, 16]"
    assert hints[at("return self.head(h)")[0]] == "→ [1, 10]"
    assert hints[at("self.down1 = Down")[0]] == "→ [1, 8, 16, 16]"
    assert hints[at("x = F.relu(self.conv(x))")[0]] == "→ [1, 8, 32, 32]"
    assert all(row <= len(line) for row in hints)
    assert [h.row for h in views.inlay_hints(view, 20, 21)] == [20, 21]


# --------------------------------------------------------------------------------------------
# Code actions


def fix_diagnostic(applicability=SAFE):
    return Diagnostic("SHP102", "channels", "/m.py", 2, 6, 2, 24, fix=Fix(
        "use nn.BatchNorm2d(32)", applicability, (Edit("nn.BatchNorm2d(32)", (2, 6), (2, 24)),)))


def lsp(diagnostic):
    return types.Diagnostic(range=types.Range(start=types.Position(line=0, character=0),
                                              end=types.Position(line=0, character=1)), message=diagnostic.message)


def apply(text, edits):
    lines = text.splitlines(keepends=True)
    out = text
    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        start = sum(len(l) for l in lines[:edit.range.start.line]) + edit.range.start.character
        end = sum(len(l) for l in lines[:edit.range.end.line]) + edit.range.end.character
        out = out[:start] + edit.new_text + out[end:]
    return out


TEXT = "import torch.nn as nn\nbn = nn.BatchNorm2d(23)\n"


def test_a_fix_is_a_quick_fix_marked_by_applicability():
    lines = split_lines(TEXT)
    safe = actions.fix_action("file:///m.py", fix_diagnostic(), lsp(fix_diagnostic()), lines)
    assert safe.title == "SHP102: use nn.BatchNorm2d(32)" and safe.is_preferred
    assert apply(TEXT, safe.edit.changes["file:///m.py"]) == TEXT.replace("(23)", "(32)")
    unsafe = actions.fix_action("file:///m.py", fix_diagnostic(UNSAFE), lsp(fix_diagnostic()), lines)
    assert unsafe.title.endswith("(unsafe fix)") and not unsafe.is_preferred


def test_fix_all_takes_only_safe_fixes():
    lines = split_lines(TEXT)
    assert actions.fix_all_action("u", TEXT, [fix_diagnostic(UNSAFE)], lines) is None
    action = actions.fix_all_action("u", TEXT, [fix_diagnostic()], lines)
    assert action.kind == actions.FIX_ALL_KIND
    assert apply(TEXT, action.edit.changes["u"]) == TEXT.replace("(23)", "(32)")


@given(st.text(alphabet="ab\r\n😋", max_size=12), st.text(alphabet="ab\r\n😋", max_size=12))
def test_the_minimal_edit_turns_one_text_into_the_other(old, new):
    edit = actions.minimal_edit(old, new, split_lines(old))
    # Apply it by code points, as an editor does with UTF-16 positions converted back.
    lines = split_lines(old)
    starts = [0]
    for line, end in zip(lines, __import__("re").finditer(r"\r\n|\r|\n", old)):
        starts.append(end.end())

    def offset(position):
        column = convert.column_from_client(lines[position.line], position.character, convert.UTF16)
        return starts[position.line] + column

    assert old[:offset(edit.range.start)] + edit.new_text + old[offset(edit.range.end):] == new


@pytest.mark.parametrize("line, expected", [
    ("bn = nn.BatchNorm2d(23)", "bn = nn.BatchNorm2d(23)  # noqa: SHP102"),
    ("bn = nn.BatchNorm2d(23)   ", "bn = nn.BatchNorm2d(23)  # noqa: SHP102"),
    ("bn = nn.BatchNorm2d(23)  # noqa: SHP201", "bn = nn.BatchNorm2d(23)  # noqa: SHP201, SHP102"),
    ("bn = nn.BatchNorm2d(23)  # noqa:SHP201,E501 why", "bn = nn.BatchNorm2d(23)  # noqa:SHP201,E501, SHP102 why"),
    ("bn = nn.BatchNorm2d(23)  # noqa", None),
    ("bn = nn.BatchNorm2d(23)  # noqa: SHP102", None),
    ("bn = nn.BatchNorm2d(23) + \\", None),
])
def test_noqa_action(line, expected):
    from shapelint.frontends.runner import is_suppressed

    text = "import torch.nn as nn\n" + line + "\n"
    diagnostic = fix_diagnostic()
    action = actions.noqa_action("u", diagnostic, lsp(diagnostic), split_lines(text))
    if expected is None:
        assert action is None
        return
    silenced = apply(text, action.edit.changes["u"])
    assert silenced.splitlines()[1] == expected
    assert is_suppressed(diagnostic, silenced.splitlines())


def test_actions_for_honours_the_kinds_asked_for():
    lines = split_lines(TEXT)
    diagnostic = fix_diagnostic()
    every = actions.actions_for("u", TEXT, lines, [diagnostic], [lsp(diagnostic)], 1, 3)
    assert [a.kind for a in every] == ["quickfix", "quickfix", actions.FIX_ALL_KIND]
    quick = actions.actions_for("u", TEXT, lines, [diagnostic], [lsp(diagnostic)], 1, 3, only=["quickfix"])
    assert [a.kind for a in quick] == ["quickfix", "quickfix", "quickfix"]
    fix_all = actions.actions_for("u", TEXT, lines, [diagnostic], [lsp(diagnostic)], 1, 1, only=["source.fixAll"])
    assert [a.kind for a in fix_all] == [actions.FIX_ALL_KIND]
    assert actions.actions_for("u", TEXT, lines, [diagnostic], [lsp(diagnostic)], 1, 1, only=["quickfix"]) == []


# --------------------------------------------------------------------------------------------
# Line maps and settings


def test_a_line_map_keeps_the_lines_around_an_edit():
    old = ["a", "b", "c", "d"]
    new = ["a", "b", "X", "Y", "c", "d"]
    rows = LineMap(old, new)
    assert [rows.to_new(r) for r in (1, 2, 3, 4)] == [1, 2, 5, 6]
    assert [rows.to_old(r) for r in (1, 2, 3, 4, 5, 6)] == [1, 2, None, None, 3, 4]
    changed = LineMap(["a", "b", "c"], ["a", "B", "c"])
    assert (changed.to_new(2), changed.to_old(2), changed.to_new(3)) == (None, None, 3)


def test_workspace_settings():
    settings, error = read_settings({"shapelint": {"select": ["shp1"], "ignore": "SHP102",
                                                   "inputs": {"Net": [1, 3, 8, 8]}, "debounceMs": 0}})
    assert error is None
    assert settings == WorkspaceSettings(select=("SHP1",), ignore=("SHP102",), inputs=("Net=1,3,8,8",),
                                         debounce_ms=0)
    for bad in ({"select": ["XYZ"]}, {"inputs": {"Net": "1,x,"}}, {"debounceMs": -1}, {"inputs": 3}, "x"):
        settings, error = read_settings(bad)
        assert settings == WorkspaceSettings() and error.startswith("settings: ")
    assert read_settings(None) == (WorkspaceSettings(), None)


def test_an_analysis_of_a_buffer_uses_the_project_configuration(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.shapelint]\nignore = [\"SHP201\"]\n")
    path = str(tmp_path / "decoder.py")
    found = analyse(BROKEN, 3, path, WorkspaceSettings(), files=None)
    assert found.version == 3 and found.error is None and found.view is not None
    assert [d.code for d in found.diagnostics] == ["SHP101", "SHP102"]
    ignored = analyse(BROKEN, 3, path, WorkspaceSettings(ignore=("SHP102",)), files=None)
    assert [d.code for d in ignored.diagnostics] == ["SHP101"]
    (tmp_path / "pyproject.toml").write_text("[tool.shapelint]\nselect = [\"XYZ\"]\n")
    broken = analyse(BROKEN, 3, path, WorkspaceSettings(), files=None)
    assert [(d.code, d.row) for d in broken.diagnostics] == [("SHP002", 1)]
    assert "tool.shapelint.select" in broken.diagnostics[0].message


def test_the_server_never_imports_torch(tmp_path):
    """Loading the server and analysing a buffer (the engine, the hovers' view) imports no torch."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from shapelint.frontends.server.protocol import create_server\n"
        "from shapelint.frontends.server.analysis import analyse\n"
        "from shapelint.frontends.server.settings import WorkspaceSettings\n"
        "create_server()\n"
        f"found = analyse(open({str(ROOT / 'examples' / 'broken_decoder.py')!r}).read(), 1,"
        f" {str(tmp_path / 'm.py')!r}, WorkspaceSettings(), None)\n"
        "assert found.diagnostics and found.view is not None\n"
        "print(sorted(m for m in sys.modules if m == 'torch' or m.startswith('torch.')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_hover_on_a_model_declared_with_names_gives_the_sizes_it_accepts():
    source = (Path(__file__).resolve().parent.parent / "cases" / "symbolic" / "unet_fed_any_size.py").read_text()
    result = analysis.analyze_source(source, "/tmp/unet.py")
    built = views.build_view(result, split_lines(source), ast.parse(source))
    row = next(i for i, line in enumerate(source.splitlines(), 1) if line.startswith("class UNet"))
    text = views.hover_at(built, row, 8).markdown
    assert "- accepts: `h % 8 == 0` and `w % 8 == 0`" in text
