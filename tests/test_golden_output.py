"""The engine's whole output on the bundled examples and the real-model acceptance files, kept as
golden files: a refactoring of the engine must not change one byte of it.

A change that is meant to change the output regenerates the files with
``SHAPELINT_UPDATE_GOLDEN=1 python -m pytest tests/test_golden_output.py`` and shows the
difference in its commit (``git diff tests/data/golden``).
"""

from __future__ import annotations

import io
import json
import os
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import List

import pytest

from shapelint.frontends.cli import main

REPO = Path(__file__).resolve().parent.parent
GOLDEN = REPO / "tests" / "data" / "golden"
INPUTS = sorted(
    [p for p in (REPO / "examples").glob("*.py")] + [p for p in (REPO / "tests" / "models").glob("*.py")]
)
UPDATE = os.environ.get("SHAPELINT_UPDATE_GOLDEN", "") not in ("", "0")


def run(args: List[str]) -> dict:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(args)
    return {"exit": code, "stdout": out.getvalue(), "stderr": err.getvalue()}


def outputs(relative: str) -> dict:
    check_json = run(["check", "--no-cache", "--format", "json", relative])
    check_json["stdout"] = json.loads(check_json["stdout"])
    shapes = run(["shapes", "--format", "json", relative])
    shapes["stdout"] = json.loads(shapes["stdout"]) if shapes["exit"] == 0 else shapes["stdout"]
    return {
        "check --format text": run(["check", "--no-cache", relative]),
        "check --format json": check_json,
        "shapes --format json": shapes,
    }


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: str(p.relative_to(REPO)))
def test_output_is_unchanged(path: Path, monkeypatch):
    monkeypatch.chdir(REPO)
    relative = str(path.relative_to(REPO))
    got = outputs(relative)
    golden = GOLDEN / (relative.replace("/", "__") + ".json")
    if UPDATE:
        golden.write_text(json.dumps(got, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    assert golden.exists(), f"no golden file for {relative}: run with SHAPELINT_UPDATE_GOLDEN=1"
    assert got == json.loads(golden.read_text(encoding="utf-8"))


def test_every_golden_file_has_its_input():
    expected = {p.relative_to(REPO).as_posix().replace("/", "__") + ".json" for p in INPUTS}
    assert {p.name for p in GOLDEN.glob("*.json")} == expected
