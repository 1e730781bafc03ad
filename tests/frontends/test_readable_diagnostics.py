"""A diagnostic's first line is one sentence (what is wrong; what to do); the evidence goes to
notes: `note:` lines in text, `notes` in JSON, the first line alone in flake8."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UPSAMPLER = "examples/upsampler_3d.py"
#: Long enough for a model name, two 5-d shapes and a fix; the 748-character lines were the bug.
MAX_MESSAGE = 200


def shapelint(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "shapelint", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_first_lines_are_short_over_every_case_and_example():
    done = shapelint("check", "--no-cache", "--format", "json", "--select", "ALL",
                     "examples", "tests/models", "tests/cases")
    diagnostics = json.loads(done.stdout)
    assert len(diagnostics) >= 20
    for d in diagnostics:
        assert "\n" not in d["message"]
        assert len(d["message"]) <= MAX_MESSAGE, d["message"]
        assert all(isinstance(note, str) and "\n" not in note for note in d["notes"])


def test_the_evidence_is_in_notes():
    [d] = json.loads(shapelint("check", "--no-cache", "--format", "json", UPSAMPLER).stdout)
    assert d["message"].endswith("replace up (ConvTranspose3d) by nn.Upsample then nn.Conv3d")
    assert d["notes"][0].startswith("inferred [16, 256, 16, 160, 160] -> up (ConvTranspose3d)")
    assert "224 needs a factor of 1.4" in d["notes"][1]
    assert "nn.Upsample(size=(16, 224, 224), mode='trilinear')" in d["notes"][2]


def test_text_shows_notes_between_the_message_and_help():
    lines = shapelint("check", "--no-cache", UPSAMPLER).stdout.splitlines()
    # At the layer the suggestion replaces; the declaration it contradicts is the last note.
    assert lines[0].startswith(f"{UPSAMPLER}:19:19: SHP101 ")
    assert [line.split(":")[0] for line in lines[1:6]] == ["    note"] * 4 + ["    help"]
    assert lines[4] == f"    note: declared at {UPSAMPLER}:26"


def test_flake8_shows_the_first_line_only():
    done = subprocess.run([sys.executable, "-m", "flake8", "--select", "SHP", UPSAMPLER], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    [line] = done.stdout.splitlines()
    assert line.endswith("replace up (ConvTranspose3d) by nn.Upsample then nn.Conv3d")
