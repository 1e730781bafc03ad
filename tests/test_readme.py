"""The README's console examples are real: each ``$ shapelint ...`` block prints exactly that."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BLOCKS = re.findall(r"```console\n\$ (.*?)\n(.*?)```", (ROOT / "README.md").read_text(), re.S)


def test_the_readme_has_console_examples():
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("command, expected", BLOCKS, ids=[c for c, _ in BLOCKS])
def test_console_example_output_is_what_the_command_prints(command, expected, tmp_path):
    argv = shlex.split(command)
    assert argv[0] == "shapelint"
    env = dict(os.environ, SHAPELINT_CACHE_DIR=str(tmp_path / "cache"), COLUMNS="200")
    done = subprocess.run([sys.executable, "-m", "shapelint", *argv[1:]], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    # As a terminal shows it: the report on stdout, then any summary on stderr (--diff).
    shown = done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert shown.rstrip("\n") == expected.rstrip("\n")
