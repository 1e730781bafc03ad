"""The examples in the rule documentation are real: ``shapelint check`` reports exactly the
rule's code on each failing example, and nothing on each fixed one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

from shapelint.rules import RULES


def check(tmp_path: Path, source: str) -> List[dict]:
    path = tmp_path / "example.py"
    path.write_text(source, encoding="utf-8")
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    done = subprocess.run(
        [sys.executable, "-m", "shapelint", "check", "--no-cache", "--format", "json", path.name],
        cwd=tmp_path,  # no config of this repository applies
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("rule", RULES, ids=[rule.code for rule in RULES])
def test_failing_example_gives_exactly_its_code(tmp_path, rule):
    found = check(tmp_path, rule.example)
    assert found, f"{rule.code}: nothing reported on the failing example"
    assert {d["code"] for d in found} == {rule.code}, [(d["code"], d["message"]) for d in found]


@pytest.mark.parametrize("rule", RULES, ids=[rule.code for rule in RULES])
def test_fixed_example_gives_nothing(tmp_path, rule):
    found = check(tmp_path, rule.fixed_example)
    assert found == [], [(d["code"], d["message"]) for d in found]
