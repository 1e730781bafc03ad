"""No dead code in shapelint/: vulture finds nothing but the false alarms of
tests/vulture_whitelist.py. By hand: ``vulture shapelint tests/vulture_whitelist.py --min-confidence 60``.

Confidence 60 is vulture's lowest: it is where vulture reports unused functions, classes,
methods, properties, attributes and variables, which is the dead code that piles up in a
refactoring (an old helper left behind by its replacement). 80 and above only adds unused imports
and arguments and unreachable code (most of which flake8 finds too); at 60 the price is a
whitelist of names called from outside Python's sight (flake8's hooks, dispatch by name).
"""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path
from typing import List

ROOT = Path(__file__).resolve().parent.parent
WHITELIST = Path(__file__).resolve().parent / "vulture_whitelist.py"
MIN_CONFIDENCE = 60


def vulture(*paths: Path) -> List[str]:
    """vulture's findings, one line each, with paths relative to the repository."""
    done = subprocess.run(
        [sys.executable, "-m", "vulture", *map(str, paths), "--min-confidence", str(MIN_CONFIDENCE)],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    # 0: nothing found; 3: dead code found. Anything else is vulture failing, not a finding.
    assert done.returncode in (0, 3), done.stderr
    return [line.replace(str(ROOT) + "/", "") for line in done.stdout.splitlines() if line.strip()]


def test_the_package_has_no_dead_code():
    dead = vulture(ROOT / "shapelint", WHITELIST)
    assert dead == [], (
        "dead code (delete it, or whitelist a false alarm in tests/vulture_whitelist.py):\n"
        + "\n".join(dead)
    )


def test_every_whitelisted_name_still_exists():
    # Importing the whitelist evaluates each entry: a name gone from the package raises here.
    sys.modules.pop("vulture_whitelist", None)
    sys.path.insert(0, str(WHITELIST.parent))
    try:
        importlib.import_module("vulture_whitelist")
    finally:
        sys.path.remove(str(WHITELIST.parent))


def test_dead_code_is_found(tmp_path):
    (tmp_path / "module.py").write_text(
        "def used():\n    return 1\n\n\ndef left_behind():\n    return 2\n\n\nprint(used())\n"
    )
    found = vulture(tmp_path)
    assert len(found) == 1 and re.search(r"module\.py:5: unused function 'left_behind'", found[0]), found
