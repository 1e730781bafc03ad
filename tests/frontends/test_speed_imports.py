"""Start-up cost is structural: files without torch layers never load the engine, and the engine
(stdlib ``ast`` only) never loads libcst, which only ``check --fix``/``--diff`` need.

Each check runs in a fresh interpreter (the test process has long imported everything), and
asserts on ``sys.modules``, never on timings, so it cannot flake on a loaded machine.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path


TORCH_MODEL = (
    "import torch.nn as nn\n\n\nclass Net(nn.Module):  # shapelint: input=(1, 3, 8, 8)\n"
    "    def __init__(self):\n        super().__init__()\n"
    "        self.conv = nn.Conv2d(3, 8, 3)\n        self.bn = nn.BatchNorm2d(4)\n\n"
    "    def forward(self, x):\n        return self.bn(self.conv(x))\n"
)


def _modules_after(code: str, cwd: Path) -> dict:
    script = textwrap.dedent(code) + textwrap.dedent(
        """
        import json as _json, sys as _sys
        print("MODULES=" + _json.dumps(sorted(m for m in _sys.modules if m.startswith(("libcst", "shapelint")))))
        """
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=cwd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    line = [l for l in done.stdout.splitlines() if l.startswith("MODULES=")][-1]
    return {"modules": json.loads(line[len("MODULES="):]), "stdout": done.stdout}


def test_package_import_loads_only_the_prefilter(tmp_path):
    found = _modules_after("import shapelint.analysis\nfrom shapelint.analysis import mentions_layers\n", tmp_path)
    assert not any(m.startswith("libcst") for m in found["modules"])
    assert "shapelint.analysis.analyze" not in found["modules"]


def test_public_api_still_importable(tmp_path):
    found = _modules_after(
        """
        from shapelint.analysis import analyze_file, analyze_source, mentions_layers
        import shapelint.analysis as analysis
        assert analysis.analyze_source is analyze_source
        assert mentions_layers(b"import torch.nn as nn") and not mentions_layers(b"import os")
        assert analyze_source("import torch.nn as nn\\n", "m.py").diagnostics == []
        assert {"analyze_file", "analyze_source", "mentions_layers"} <= set(dir(analysis))
        """,
        tmp_path,
    )
    assert "shapelint.analysis.analyze" in found["modules"]
    assert not any(m.startswith("libcst") for m in found["modules"])


def test_check_of_files_without_torch_never_imports_libcst(tmp_path):
    for i in range(3):
        (tmp_path / f"plain{i}.py").write_text("import os\n\nprint(os.getcwd())\n")
    found = _modules_after(
        """
        from shapelint.frontends.cli.check_cmd import main
        code = main(["--no-cache", "-j1", "."])
        print("EXIT", code)
        """,
        tmp_path,
    )
    assert "EXIT 0" in found["stdout"]
    assert not any(m.startswith("libcst") for m in found["modules"])
    assert "shapelint.analysis.analyze" not in found["modules"]


def test_check_of_a_torch_file_still_analyses_it(tmp_path):
    (tmp_path / "model.py").write_text(
        "import torch.nn as nn\n\n\nclass Net(nn.Module):  # shapelint: input=(1, 3, 8, 8)\n"
        "    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(4, 2)\n\n"
        "    def forward(self, x):\n        return self.fc(x)\n"
    )
    found = _modules_after(
        """
        from shapelint.frontends.cli.check_cmd import main
        print("EXIT", main(["--no-cache", "-j1", "model.py"]))
        """,
        tmp_path,
    )
    assert "EXIT 1" in found["stdout"] and "SHP102" in found["stdout"]
    assert "shapelint.analysis.analyze" in found["modules"]
    assert not any(m.startswith("libcst") for m in found["modules"])


def test_check_of_a_torch_file_with_a_fix_never_imports_libcst(tmp_path):
    """A diagnostic with a fix, reported without --fix/--diff: the fix is never applied, so the
    fixer's parse check (the only libcst user) is not loaded."""
    (tmp_path / "model.py").write_text(TORCH_MODEL)
    found = _modules_after(
        """
        from shapelint.frontends.cli.check_cmd import main
        print("EXIT", main(["--no-cache", "-j1", "model.py"]))
        """,
        tmp_path,
    )
    assert "EXIT 1" in found["stdout"] and "SHP102" in found["stdout"] and "fixable" in found["stdout"]
    assert not any(m.startswith("libcst") for m in found["modules"])


def test_flake8_plugin_on_a_file_without_torch_never_imports_libcst(tmp_path):
    found = _modules_after(
        """
        from shapelint.frontends.flake8_plugin import ShapelintPlugin
        plugin = ShapelintPlugin(None, "plain.py", ["import os\\n", "print(os.sep)\\n"])
        print("REPORTED", list(plugin.run()))
        """,
        tmp_path,
    )
    assert "REPORTED []" in found["stdout"]
    assert not any(m.startswith("libcst") for m in found["modules"])


def test_flake8_plugin_on_a_torch_file_never_imports_libcst(tmp_path):
    found = _modules_after(
        """
        import ast
        from shapelint.frontends.flake8_plugin import ShapelintPlugin
        lines = %r
        plugin = ShapelintPlugin(ast.parse("".join(lines)), "model.py", lines)
        print("REPORTED", [message.split()[0] for _, _, message, _ in plugin.run()])
        """ % (TORCH_MODEL.splitlines(keepends=True),),
        tmp_path,
    )
    assert "REPORTED ['SHP102']" in found["stdout"], found["stdout"]
    assert "shapelint.analysis.analyze" in found["modules"]
    assert not any(m.startswith("libcst") for m in found["modules"])


def test_version_loads_only_the_command_dispatcher(tmp_path):
    found = _modules_after(
        """
        from shapelint.frontends.cli import main
        try:
            main(["--version"])
        except SystemExit:
            pass
        """,
        tmp_path,
    )
    assert found["stdout"].startswith("shapelint ")
    assert found["modules"] == ["shapelint", "shapelint.frontends", "shapelint.frontends.cli"]


def test_warm_cache_check_never_loads_the_engine(tmp_path):
    """A re-check after no edit is answered from the cache: no engine, no worker pool."""
    (tmp_path / "model.py").write_text(TORCH_MODEL)
    env_code = "import os\nos.environ['SHAPELINT_CACHE_DIR'] = %r\n" % str(tmp_path / "cache")
    run = env_code + 'from shapelint.frontends.cli.check_cmd import main\nprint("EXIT", main(["model.py"]))\n'
    first = _modules_after(run, tmp_path)
    assert "EXIT 1" in first["stdout"] and "shapelint.analysis.analyze" in first["modules"]
    second = _modules_after(run, tmp_path)
    assert "EXIT 1" in second["stdout"] and "SHP102" in second["stdout"]
    assert not any(m.startswith(("shapelint.analysis.", "libcst")) for m in second["modules"])
