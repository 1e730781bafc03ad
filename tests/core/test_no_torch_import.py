"""The linter never imports torch: torch is only the tests' oracle."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

MODULES = ["shapelint", "shapelint.core.layers", "shapelint.core.formulas", "shapelint.core.shapes",
           "shapelint.core.codes", "shapelint.frontends.cli"]
OPTIONAL = ["shapelint.core.solver", "shapelint.analysis",
            # the language server (the lsp extra), with everything it loads to answer
            "shapelint.frontends.server.protocol"]


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ImportError:
        return False


def test_shapelint_does_not_import_torch():
    modules = MODULES + [m for m in OPTIONAL if _importable(m)]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m == 'torch' or m.startswith('torch.')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", f"torch imported: {result.stdout}"


def test_the_check_can_fail():
    """The same probe sees torch when something does import it."""
    code = "import sys, json\nimport torch\nprint('torch' in sys.modules)\n"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "True"
