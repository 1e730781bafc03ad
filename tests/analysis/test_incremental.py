"""Incremental analysis (``analysis/incremental.py``): after any sequence of edits, the analysis
that reuses the results kept from the earlier texts gives exactly what a fresh analysis of the
text gives: the same diagnostics (messages, places, fixes, notes) and the same shapes of every
model, layer and statement. The edits are the kind that move results between models: numbers
changed, names swapped for other names of the file, lines copied, removed or added (module-level
constants, examples, mutations of shared values, pragmas)."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from shapelint.analysis import analyze_source
from shapelint.analysis.incremental import Layout, Reuse, read_statement_names
from shapelint.analysis.project import ProjectFiles
from shapelint.core.options import Options

ROOT = Path(__file__).resolve().parents[2]

#: Models that reach each other through module-level names in every way the analysis follows.
SHARED = '''import torch
import torch.nn as nn
import torch.nn.functional as F

CH = 16
cfg = {"hidden": 32, "out": 10}
REGISTRY = []


def conv_bn(cin, cout, k=3):
    return nn.Sequential(nn.Conv2d(cin, cout, k, padding=1), nn.BatchNorm2d(cout))


class Block(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.body = conv_bn(cin, cout)
        REGISTRY.append(cout)

    def forward(self, x):
        return F.relu(self.body(x))


class Net(nn.Module):  # shapelint: input=(2, 3, 32, 32) output=(2, 10)
    scale = 2

    def __init__(self, width=CH):
        super().__init__()
        self.b1 = Block(3, width)
        self.b2 = Block(width, width * self.scale)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(width * 2, cfg["out"])

    def forward(self, x):
        x = self.b2(self.b1(x))
        return self.fc(torch.flatten(self.pool(x), 1))


class Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(cfg["hidden"], len(REGISTRY) + 1)

    def forward(self, x):
        return self.fc(x)


class Up(nn.Module):
    def __init__(self, c=8):
        super().__init__()
        self.up = nn.ConvTranspose2d(c, c // 2, 4, 2, 1)

    def forward(self, x):  # shapelint: input=(1, 8, 16, 16) output=(1, 4, 32, 32)
        return self.up(x)


# shapelint: input=(1, 8, 16, 16) output=(1, 4, 32, 32)
decoder = nn.Sequential(nn.ConvTranspose2d(8, 4, 4, 2, 1), nn.ReLU())

if __name__ == "__main__":
    Head()(torch.randn(4, 32))
'''

SEEDS = [
    SHARED,
    (ROOT / "tests" / "models" / "unet.py").read_text() + "\n\n" + (ROOT / "examples" / "broken_decoder.py").read_text(),
    (ROOT / "tests" / "models" / "vae.py").read_text() + "\n\n" + SHARED.split("\n", 3)[3],
]

#: Lines an edit may add (at the indentation of the line it goes before).
LINES = [
    "CH = 8", "CH = 24", "cfg['out'] = 12", "REGISTRY.append(4)", "Net.scale = 1", "width = 4",
    "x = self.pool(x)", "self.extra = nn.Conv2d(3, 3, 3)", "return x", "pass",
    "conv_bn = lambda cin, cout: nn.Conv2d(cin, cout, 1)",
    "# shapelint: input=(1, 8, 16, 16) output=(1, 4, 32, 32)",
    "net = Net(); net(torch.randn(2, 3, 16, 16))", "Up(4)(torch.randn(1, 4, 8, 8))",
    "def forward(self, x):", "class Extra(Block):", "import math", "from torch import nn",
]

NAME = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*\b")
NUMBER = re.compile(r"\b\d+\b")


@st.composite
def edit(draw, text: str) -> str:
    """One edit of ``text``: a number changed, a name swapped, a line copied, removed or added."""
    lines = text.split("\n")
    kind = draw(st.sampled_from(["number", "number", "name", "copy", "remove", "add", "add"]))
    row = draw(st.integers(0, max(0, len(lines) - 1)))
    line = lines[row]
    if kind == "number" and NUMBER.search(text):
        matches = list(NUMBER.finditer(text))
        match = matches[draw(st.integers(0, len(matches) - 1))]
        return text[:match.start()] + str(draw(st.integers(0, 70))) + text[match.end():]
    if kind == "name" and NAME.search(text):
        matches = list(NAME.finditer(text))
        match = matches[draw(st.integers(0, len(matches) - 1))]
        other = matches[draw(st.integers(0, len(matches) - 1))].group()
        return text[:match.start()] + other + text[match.end():]
    indent = line[:len(line) - len(line.lstrip())]
    if kind == "copy":
        lines.insert(draw(st.integers(0, len(lines))), line)
    elif kind == "remove" and len(lines) > 1:
        del lines[row]
    else:
        lines.insert(row, indent + draw(st.sampled_from(LINES)))
    return "\n".join(lines)


def outcome(text: str, reuse=None):
    """The analysis's result, or the kind of internal error it raised (raised under pytest).
    Without ``reuse``, nothing is reused at all, not even by the checks of its fixes (which
    ``analyze_source`` would give a reuse of their own)."""
    from shapelint.analysis import analyze

    try:
        if reuse is None:
            return analyze._analyze_source(text, "model.py", Options(), None, ProjectFiles(), suggestions=True)
        return analyze_source(text, "model.py", Options(), files=ProjectFiles(), reuse=reuse)
    except Exception as error:  # an engine bug the edit exposes: both must meet it alike
        return type(error).__name__


def as_check(text: str):
    """As ``check`` analyses it: the checks of its fixes reuse its results."""
    try:
        return analyze_source(text, "model.py", Options(), files=ProjectFiles())
    except Exception as error:
        return type(error).__name__


@settings(max_examples=60, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_incremental_analysis_equals_a_fresh_one(data):
    text = data.draw(st.sampled_from(SEEDS))
    reuse = Reuse()
    outcome(text, reuse)
    for _ in range(data.draw(st.integers(1, 4))):
        text = data.draw(edit(text))
        assert outcome(text, reuse) == outcome(text), text
        assert as_check(text) == outcome(text), text


def test_an_edit_inside_one_model_runs_that_model_only(monkeypatch):
    """The reuse is real: an edit of one class runs again the models of its component only, and
    the result is still a fresh analysis's."""
    from shapelint.analysis import analyze

    reuse = Reuse()
    analyze_source(SHARED, "model.py", Options(), reuse=reuse)
    ran = []
    real = analyze.run_model
    monkeypatch.setattr(analyze, "run_model", lambda propagator, plan, *rest: ran.append(plan.name) or
                        real(propagator, plan, *rest))
    edited = SHARED.replace("nn.ConvTranspose2d(c, c // 2, 4, 2, 1)", "nn.ConvTranspose2d(c, c // 2, 4, 2, 0)")
    result = analyze_source(edited, "model.py", Options(), reuse=reuse)
    assert ran == ["Up"]  # Net and Head (they share REGISTRY and cfg) and decoder are kept
    assert [d.code for d in result.diagnostics] == ["SHP101"]
    monkeypatch.setattr(analyze, "run_model", real)
    assert result == analyze_source(edited, "model.py", Options())


def test_components_follow_module_level_names_not_imports_of_torch():
    import ast

    tree = ast.parse(SHARED)
    layout = Layout(tree, SHARED.split("\n"), Reuse())
    names = {getattr(node, "name", None) or type(node).__name__ + str(i): layout.component[i]
             for i, node in enumerate(tree.body)}
    assert names["Net"] == names["Block"] == names["Head"] == names["conv_bn"]  # REGISTRY, Block, cfg
    assert names["Up"] != names["Net"] and names["Up"] != names["Block"]  # only nn is shared


def test_statement_names_see_globals_of_nested_scopes_only():
    import ast

    text = "class A(Base):\n    x = K\n    def f(self, a=D):\n        y = a + G\n        return [q for q in Y]\n"
    found = read_statement_names(text, ast.parse(text).body[0])
    assert {"A", "Base", "K", "D", "G", "Y"} <= found.names
    assert not {"a", "y", "q", "self"} & found.names
    assert found.binds == frozenset({"A"})


def _string_lines_of_every_node(positions, tree, candidates) -> set:
    """What ``Positions.string_lines`` finds, by looking at every string of the tree."""
    import ast

    inside = set()
    for node in ast.walk(tree):
        if type(node) is ast.JoinedStr or (type(node) is ast.Constant and isinstance(node.value, (str, bytes))):
            positions._strings_over(node, node.lineno, node.end_lineno or node.lineno,
                                    {line: column for line, (column, _, _) in candidates.items()}, inside)
    return inside


@settings(max_examples=150, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_pragmas_inside_strings_are_found_visiting_only_their_lines(data):
    """The pruned walk of ``string_lines`` finds what a walk of every string finds."""
    import ast

    from shapelint.analysis.collect import scan_pragmas
    from shapelint.analysis.positions import Positions

    pieces = ['x = 1  # shapelint: output=(1, 2)', 's = """', '# shapelint: input=(1, 3)', '"""',
              'f"{a}  # shapelint: output=(3,)"', '@deco("# shapelint: input=(2,)")\nclass D:\n    pass', 'class A:',
              '    b = "# shapelint: x"  # shapelint: input=(4,)', "    def f(self): return '# shapelint: y'",
              'def g(a=("""', '  # shapelint: output=(5,)""")): pass', "t = ('a', '# shapelint: z')", ""]
    text = "\n".join(data.draw(st.lists(st.sampled_from(pieces), min_size=1, max_size=14)))
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return
    positions = Positions(text, tree)
    candidates = scan_pragmas(text)
    assert positions.string_lines(candidates) == _string_lines_of_every_node(positions, tree, candidates)


CHARACTERS = ["(", ")", "[", "]", ":", "\\", "'", '"""', "#", "\n", "    ", "x", "@deco", "; y = 1", "1", "lambda:", ""]


@settings(max_examples=300, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_a_statement_parsed_again_alone_gives_the_tree_of_the_whole_text(data):
    """``Reuse.parse`` after an edit gives the tree ``ast.parse`` gives, every node and position
    (or the same error)."""
    import ast

    from shapelint.analysis.incremental import parse_text
    from shapelint.core.text import split_lines

    text = data.draw(st.sampled_from(SEEDS))
    reuse = Reuse()
    reuse.remember(split_lines(text), parse_text(text))
    for _ in range(data.draw(st.integers(1, 3))):
        if data.draw(st.booleans()):
            text = data.draw(edit(text))
        else:
            at = data.draw(st.integers(0, len(text)))
            text = text[:at] + data.draw(st.sampled_from(CHARACTERS)) + text[at + data.draw(st.integers(0, 3)):]
        try:
            expected = ast.dump(parse_text(text), include_attributes=True)
        except SyntaxError:
            expected = "SyntaxError"
        try:
            tree = reuse.parse(text, split_lines(text))
            found = ast.dump(tree, include_attributes=True)
        except SyntaxError:
            found = "SyntaxError"
        assert found == expected
        if found != "SyntaxError":
            reuse.remember(split_lines(text), tree)


BLOCKS = '''import torch.nn as nn


class Block(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1)

    def forward(self, x):
        return self.conv(x)
'''

USER = '''import torch.nn as nn
from blocks import Block


class Net(nn.Module):  # shapelint: input=(1, 3, 16, 16) output=(1, 8, 16, 16)
    def __init__(self):
        super().__init__()
        self.block = Block(3, 8)

    def forward(self, x):
        return self.block(x)


class Solo(nn.Module):  # shapelint: input=(1, 3, 16, 16) output=(1, 4, 16, 16)
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)

    def forward(self, x):
        return self.conv(x)
'''


def test_a_change_of_an_imported_file_runs_its_users_again(tmp_path):
    """The other files read are part of every key: a model that imports a changed block is run
    again (its result is a fresh analysis's), whatever the analysed file's own text."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    (tmp_path / "blocks.py").write_text(BLOCKS)
    model = tmp_path / "model.py"
    model.write_text(USER)
    path = str(model)
    reuse = Reuse()

    def analysed(text, with_reuse=True):
        return analyze_source(text, path, Options(), files=ProjectFiles(), reuse=reuse if with_reuse else None)

    assert [d.code for d in analysed(USER).diagnostics] == []
    (tmp_path / "blocks.py").write_text(BLOCKS.replace("padding=1", "padding=2"))
    changed = analysed(USER)
    assert changed == analysed(USER, with_reuse=False)
    assert [d.code for d in changed.diagnostics] == ["SHP101"]
    edited = USER.replace("nn.Conv2d(3, 4, 3, padding=1)", "nn.Conv2d(3, 4, 3, padding=0)")
    assert analysed(edited) == analysed(edited, with_reuse=False)
