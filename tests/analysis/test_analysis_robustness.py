"""Whatever the file, the analysis answers: a clear diagnostic or nothing, never an exception; and
it answers fast enough to run on every save."""

from __future__ import annotations

import time

import pytest

from shapelint.analysis import analyze_file, analyze_source, mentions_layers
from shapelint.core.text import apply_edits
from shapelint.core.results import Edit

BLOCK = '''
class Block{i}(nn.Module):
    def __init__(self, in_ch=16, out_ch=32):
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, out_ch, kernel_size=3, padding=1)
        self.bn1 = nn.BatchNorm2d(out_ch)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, padding=1)
        self.pool = nn.MaxPool2d(2)

    def forward(self, x: Float[Tensor, "b 16 32 32"]):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.conv2(x)
        return self.pool(x)
'''

PRELUDE = "import torch\nfrom torch import nn, Tensor\nimport torch.nn.functional as F\nfrom jaxtyping import Float\n"


def big_file(lines: int) -> str:
    parts = [PRELUDE]
    i = 0
    while sum(p.count("\n") for p in parts) < lines:
        parts.append(BLOCK.format(i=i))
        i += 1
    return "".join(parts)


@pytest.mark.parametrize(
    "source, message",
    [
        (b"def f(:\n    pass\n", "syntax error"),
        (b"x = '\xff\xfe'\n", "cannot decode"),
        (b"# -*- coding: latin-1 -*-\nimport torch\nx = '\xe9'\n", None),
        (b"import torch\x00\n", "null byte"),
        (b"", None),
        (b"\n\n", None),
        ("import torch.nn as nn\nconv = nn.Conv2d(\n", "syntax error"),
    ],
)
def test_unreadable_or_unparsable_files(source, message):
    result = analyze_source(source, "file.py")
    if message is None:
        assert result.diagnostics == []
    else:
        (diagnostic,) = result.diagnostics
        assert diagnostic.code == "SHP001" and message in diagnostic.message
        assert diagnostic.row >= 1 and diagnostic.col >= 1


def test_syntax_error_position():
    (diagnostic,) = analyze_source("import torch\n\nx = (1,\ny = 2\n", "f.py").diagnostics
    assert diagnostic.code == "SHP001" and diagnostic.row in (3, 4)


def test_missing_file(tmp_path):
    (diagnostic,) = analyze_file(str(tmp_path / "nope.py")).diagnostics
    assert diagnostic.code == "SHP001" and "cannot read" in diagnostic.message


def test_mentions_layers_is_a_byte_scan():
    assert mentions_layers(b"from torch import nn\n")
    assert mentions_layers(b"import torch.nn as nn")
    assert not mentions_layers(b"import numpy as np\nx = 1\n")
    assert not mentions_layers(b"")


def test_files_without_torch_are_skipped_quickly():
    source = "x = 1\n" * 20000
    start = time.perf_counter()
    assert analyze_source(source, "f.py").models == []
    assert time.perf_counter() - start < 2.0


def test_odd_but_valid_code_gives_no_exception():
    source = PRELUDE + '''
async def f():
    await g()

class Weird(nn.Module, metaclass=type):
    """# shapelint: input=(1, 2, 3)"""
    x: int
    lam = lambda self: self
    def __init__(self, *args, **kwargs):
        super().__init__()
        self.convs = nn.ModuleList(nn.Conv2d(1, 1, 1) for _ in range(kwargs.get("n", 2)))
        setattr(self, "dyn", nn.Linear(2, 2))
        self[0] if False else None
        while True:
            break
        match args:
            case _:
                pass
        try:
            self.bad = nn.Conv2d(*args)
        except Exception:
            raise
        del self.bad
        with torch.no_grad():
            self.w = nn.Parameter(torch.zeros(3, 3))

    def forward(self, x, *rest, **options):
        y = x @ self.w
        x = [m(x) for m in self.convs]
        return sum(x) + y, {**options}

def recursive(n):
    return recursive(n - 1) if n else nn.Identity()

model = recursive(3)
other = nn.Sequential(*[nn.ReLU()] * 3)
'''
    result = analyze_source(source, "weird.py")
    assert [d for d in result.diagnostics if d.code.startswith("SHP0")] == []
    assert {m.name for m in result.models} >= {"Weird", "model", "other"}


def test_pragma_text_inside_strings_is_not_a_pragma():
    source = PRELUDE + 'doc = """\n# shapelint: input=(1, 2\n"""\nx = "# shapelint: nonsense"\n'
    assert analyze_source(source, "s.py").diagnostics == []


def test_apply_edits_uses_character_columns():
    text = "a = 'é'; conv = nn.Conv2d(3, 8, 3)\n"
    start = text.index("8") + 1
    assert apply_edits(text, [Edit("16", (1, start), (1, start + 1))]) == text.replace("8", "16")


def test_a_thousand_line_file_is_fast():
    source = big_file(1000)
    analyze_source(source, "warm.py")
    start = time.perf_counter()
    result = analyze_source(source, "big.py")
    elapsed = time.perf_counter() - start
    assert [d for d in result.diagnostics if d.code.startswith("SHP1")] == []
    assert len(result.models) > 50
    assert elapsed < 3.0, elapsed


def test_ten_thousand_lines():
    source = big_file(10000)
    start = time.perf_counter()
    result = analyze_source(source, "huge.py")
    assert time.perf_counter() - start < 30
    assert not [d for d in result.diagnostics if d.code.startswith("SHP0")]


def test_deeply_nested_expressions_do_not_crash():
    source = "import torch.nn as nn\nx = " + "(" * 300 + "1" + ")" * 300 + "\nm = nn.Linear(x, 2)\n"
    analyze_source(source, "deep.py")
