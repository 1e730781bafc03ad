"""SHP001 says what Python would say about a syntax error, at the place Python names."""

from __future__ import annotations

import pytest

from shapelint.analysis import analyze_source

CASES = [
    "import torch.nn as nn\n\nclass Net(nn.Module)\n    pass\n",
    "import torch.nn as nn\nlayer = nn.Conv2d(3, 8, 3\n",
    "import torch.nn as nn\ndef f(:\n    return nn.ReLU()\n",
]


@pytest.mark.parametrize("source", CASES)
def test_syntax_error_is_reported_as_python_reports_it(source):
    with pytest.raises(SyntaxError) as python:
        compile(source, "net.py", "exec")
    diagnostics = analyze_source(source, "net.py").diagnostics
    assert [d.code for d in diagnostics] == ["SHP001"]
    assert diagnostics[0].message == f"syntax error: {python.value.msg}"
    assert (diagnostics[0].row, diagnostics[0].col) == (python.value.lineno, python.value.offset)
