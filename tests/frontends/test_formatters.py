"""The text, json and github output formats (CONTRACT.md section 3)."""

from __future__ import annotations

import json
import re

import pytest

from shapelint.frontends.formatters import escape_data, escape_property, render
from shapelint.core.results import SAFE, UNSAFE, Diagnostic, Edit, Fix, Related
from shapelint.core.rules import RULES_BY_CODE, RULES_DOCS_URL

PADDING_FIX = Fix(
    message="Set padding=1",
    applicability=SAFE,
    edits=(Edit(", padding=1", (7, 44), (7, 44)),),
)

MISMATCH = Diagnostic(
    code="SHP101",
    message="Refine: output [8, 32, 78, 78] differs from the declared [8, 32, 80, 80]",
    path="models/refine.py",
    row=7,
    col=21,
    end_row=7,
    end_col=45,
    fix=PADDING_FIX,
    help="nn.Conv2d(64, 32, kernel_size=3, padding=1)",
)
CHECKERBOARD = Diagnostic(
    code="SHP201",
    message="ConvTranspose2d: kernel_size=3 is not a multiple of stride=2 (checkerboard artifacts)",
    path="models/up.py",
    row=3,
    col=19,
    end_row=3,
    end_col=80,
)
CHANNELS = Diagnostic(
    code="SHP102",
    message="Conv2d: in_channels=64 but 32 channels arrive",
    path="models/refine.py",
    row=2,
    col=5,
    end_row=2,
    end_col=40,
    fix=Fix("Set in_channels=32", UNSAFE, (Edit("32", (2, 15), (2, 17)),)),
)


# --------------------------------------------------------------------------------- text


def test_text_lines_are_flake8_style_sorted_with_help_and_summary():
    out = render([CHECKERBOARD, MISMATCH, CHANNELS], "text")
    assert out == (
        "models/refine.py:2:5: SHP102 Conv2d: in_channels=64 but 32 channels arrive\n"
        "models/refine.py:7:21: SHP101 Refine: output [8, 32, 78, 78] differs from the declared"
        " [8, 32, 80, 80]\n"
        "    help: nn.Conv2d(64, 32, kernel_size=3, padding=1)\n"
        "models/up.py:3:19: SHP201 ConvTranspose2d: kernel_size=3 is not a multiple of stride=2"
        " (checkerboard artifacts)\n"
        "\n"
        "Found 3 errors (1 fixable with --fix; 1 hidden fix with --unsafe-fixes).\n"
    )


def test_text_multiline_help_keeps_its_indentation_under_the_first_line():
    diagnostic = Diagnostic(
        "SHP101", "m", "a.py", 1, 1, 1, 2,
        help="nn.Sequential(\n    nn.Upsample(size=(224, 224)),\n)",
    )
    lines = render([diagnostic], "text").splitlines()
    assert lines[1:4] == [
        "    help: nn.Sequential(",
        "              nn.Upsample(size=(224, 224)),",
        "          )",
    ]


def test_text_summary_singular_and_without_fixes():
    assert render([CHECKERBOARD], "text").endswith("\nFound 1 error.\n")


def test_text_without_diagnostics():
    assert render([], "text") == "All checks passed!\n"


def test_unknown_format_is_an_error():
    with pytest.raises(ValueError, match="unknown output format 'xml'"):
        render([MISMATCH], "xml")


# --------------------------------------------------------------------------------- json

# ruff's keys, then shapelint's `notes` (the evidence behind the one-sentence message).
CONTRACT_KEYS = ["code", "message", "filename", "location", "end_location", "fix", "noqa_row", "url",
                 "notes", "related"]


def test_json_is_ruffs_schema_exactly():
    data = json.loads(render([MISMATCH, CHECKERBOARD], "json"))
    assert isinstance(data, list) and len(data) == 2
    first = data[0]
    assert list(first) == CONTRACT_KEYS
    assert first == {
        "code": "SHP101",
        "message": MISMATCH.message,
        "filename": "models/refine.py",
        "location": {"row": 7, "column": 21},
        "end_location": {"row": 7, "column": 45},
        "fix": {
            "message": "Set padding=1",
            "applicability": "safe",
            "edits": [
                {
                    "content": ", padding=1",
                    "location": {"row": 7, "column": 44},
                    "end_location": {"row": 7, "column": 44},
                }
            ],
        },
        "noqa_row": 7,
        "url": RULES_BY_CODE["SHP101"].url,
        "notes": [],
        "related": [],
    }
    assert data[1]["fix"] is None
    assert data[1]["url"] == RULES_DOCS_URL + "#shp201-checkerboard-transposed-conv"


def test_json_unsafe_fix_and_empty_output():
    data = json.loads(render([CHANNELS], "json"))
    assert data[0]["fix"]["applicability"] == "unsafe"
    assert json.loads(render([], "json")) == []


def test_json_keeps_non_ascii_text():
    diagnostic = Diagnostic("SHP101", "größe 3 ≠ 4", "modèle.py", 1, 1, 1, 2)
    out = render([diagnostic], "json")
    assert "größe 3 ≠ 4" in out
    assert json.loads(out)[0]["filename"] == "modèle.py"


# --------------------------------------------------------------------------------- github


def unescape_github(text: str) -> str:
    """What the Actions runner does to a command's value (runner's ActionCommand unescaping)."""
    for escaped, plain in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(escaped, plain)
    return text


def test_github_error_and_warning_commands():
    out = render([MISMATCH, CHECKERBOARD], "github")
    assert out.splitlines() == [
        "::error file=models/refine.py,line=7,col=21,endLine=7,endColumn=45,title=SHP101::"
        + MISMATCH.message,
        "::warning file=models/up.py,line=3,col=19,endLine=3,endColumn=80,title=SHP201::"
        + CHECKERBOARD.message,
    ]


def test_github_escapes_message_and_properties():
    diagnostic = Diagnostic(
        "SHP002",
        "bad pragma 100% wrong:\r\nline two, a:b",
        "dir,with:odd %chars/model.py",
        2, 3, 2, 9,
    )
    (line,) = render([diagnostic], "github").splitlines()
    match = re.fullmatch(r"::error (?P<props>[^:]*)::(?P<message>.*)", line)
    assert match, line
    assert match["message"] == "bad pragma 100%25 wrong:%0D%0Aline two, a:b"
    props = dict(item.split("=", 1) for item in match["props"].split(","))
    assert props["file"] == "dir%2Cwith%3Aodd %25chars/model.py"
    assert unescape_github(props["file"]) == diagnostic.path
    assert unescape_github(match["message"]) == diagnostic.message
    assert props["title"] == "SHP002"


def test_escape_functions_match_actions_toolkit():
    assert escape_data("a%b\rc\nd:e,f") == "a%25b%0Dc%0Ad:e,f"
    assert escape_property("a%b\rc\nd:e,f") == "a%25b%0Dc%0Ad%3Ae%2Cf"


def test_github_relative_path_for_absolute_input(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    diagnostic = Diagnostic("SHP101", "m", str(tmp_path / "pkg" / "net.py"), 1, 1, 1, 2)
    assert render([diagnostic], "github").startswith("::error file=pkg/net.py,line=1,")


def test_text_summary_after_fix_counts_fixed_and_remaining():
    out = render([CHECKERBOARD], "text", fixed=3)
    assert out.endswith("\nFound 4 errors (3 fixed, 1 remaining).\n")
    assert render([], "text", fixed=2) == "Found 2 errors (2 fixed, 0 remaining).\n"


def test_fixed_count_does_not_change_machine_formats():
    for fmt in ("json", "sarif", "github"):
        assert render([MISMATCH], fmt, fixed=2) == render([MISMATCH], fmt)


# --------------------------------------------------------------------------------- docs

DOCS_SAMPLE = [
    Diagnostic(
        "SHP101", "Refine: output [8, 32, 78, 78] differs from the declared '8 32 80 80'",
        "models/net.py", 9, 21, 9, 53,
        fix=Fix("change conv (Conv2d): padding=1", SAFE, (Edit(", padding=1", (9, 52), (9, 52)),)),
        help="nn.Conv2d(64, 32, kernel_size=3, padding=1)",
        notes=("declared at models/net.py:12",),
        related=(Related("the declared shape '8 32 80 80'", "models/net.py", 12, 5, 12, 44),),
    ),
    Diagnostic(
        "SHP201", "ConvTranspose2d: kernel_size=3 is not a multiple of stride=2 (checkerboard artifacts)",
        "models/net.py", 14, 19, 14, 99,
    ),
]


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_samples_in_the_docs_are_real_output(fmt):
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[2] / "docs" / "output-formats.md").read_text(encoding="utf-8")
    sample = re.search(rf"<!-- sample: {fmt} -->\n```\w*\n(.*?)```", docs, re.DOTALL).group(1)
    diagnostics = DOCS_SAMPLE[:1] if fmt == "json" else DOCS_SAMPLE
    assert sample == render(diagnostics, fmt)


from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


# One path component: the formatter normalises paths (relative to the working directory).
@given(path=st.text(alphabet="a%:,\r\n =é", min_size=1, max_size=20), message=st.text(max_size=40))
def test_github_commands_round_trip_through_the_runners_unescaping(path, message):
    diagnostic = Diagnostic("SHP104", message, "pkg/" + path, 3, 1, 3, 2)
    out = render([diagnostic], "github")
    assert out.count("\n") == 1 and "\r" not in out  # one command, whatever the text
    match = re.fullmatch(r"::error (?P<props>[^:]*)::(?P<message>[^\n]*)\n", out)
    assert match, out
    props = dict(item.split("=", 1) for item in match["props"].split(","))
    assert set(props) == {"file", "line", "col", "endLine", "endColumn", "title"}
    assert unescape_github(props["file"]) == "pkg/" + path
    assert unescape_github(match["message"]) == message


# The contract's JSON output (CONTRACT.md section 3) as a JSON schema, for the end-to-end check.
_POSITION = {
    "type": "object",
    "properties": {"row": {"type": "integer", "minimum": 1}, "column": {"type": "integer", "minimum": 1}},
    "required": ["row", "column"],
    "additionalProperties": False,
}
JSON_OUTPUT_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "code": {"type": "string", "pattern": "^SHP[0-9]{3}$"},
            "message": {"type": "string", "minLength": 1},
            "filename": {"type": "string"},
            "location": _POSITION,
            "end_location": _POSITION,
            "fix": {
                "oneOf": [
                    {"type": "null"},
                    {
                        "type": "object",
                        "properties": {
                            "message": {"type": "string"},
                            "applicability": {"enum": ["safe", "unsafe"]},
                            "edits": {
                                "type": "array",
                                "minItems": 1,
                                "items": {
                                    "type": "object",
                                    "properties": {
                                        "content": {"type": "string"},
                                        "location": _POSITION,
                                        "end_location": _POSITION,
                                    },
                                    "required": ["content", "location", "end_location"],
                                    "additionalProperties": False,
                                },
                            },
                        },
                        "required": ["message", "applicability", "edits"],
                        "additionalProperties": False,
                    },
                ]
            },
            "noqa_row": {"type": "integer", "minimum": 1},
            "url": {"type": "string", "pattern": "^https://"},
            "notes": {"type": "array", "items": {"type": "string"}},
            "related": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "message": {"type": "string", "minLength": 1},
                        "filename": {"type": "string"},
                        "location": _POSITION,
                        "end_location": _POSITION,
                    },
                    "required": ["message", "filename", "location", "end_location"],
                    "additionalProperties": False,
                },
            },
        },
        "required": CONTRACT_KEYS,
        "additionalProperties": False,
    },
}


def test_json_output_of_the_check_command_follows_the_contract(tmp_path):
    import subprocess
    import sys

    import jsonschema

    from shapelint.core.rules import RULES

    for rule in RULES:
        (tmp_path / f"{rule.code.lower()}.py").write_text(rule.example, encoding="utf-8")
    done = subprocess.run(
        # ALL: the off-by-default codes too.
        [sys.executable, "-m", "shapelint", "check", "--no-cache", "--format", "json", "--select", "ALL", "."],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 1, done.stderr
    data = json.loads(done.stdout)
    jsonschema.validate(data, JSON_OUTPUT_SCHEMA)
    assert {d["code"] for d in data} == set(RULES_BY_CODE)
    assert any(d["fix"] for d in data)
    for d in data:
        assert d["url"] == RULES_BY_CODE[d["code"]].url
        assert (d["location"]["row"], d["location"]["column"]) <= (
            d["end_location"]["row"], d["end_location"]["column"])


def test_json_schema_of_the_contract_rejects_extra_keys():
    import jsonschema

    data = json.loads(render([MISMATCH], "json"))
    jsonschema.validate(data, JSON_OUTPUT_SCHEMA)
    data[0]["cell"] = None
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, JSON_OUTPUT_SCHEMA)


def test_text_keeps_one_line_per_diagnostic():
    diagnostic = Diagnostic("SHP101", "first line\nsecond line\r\nthird", "a.py", 1, 1, 1, 2)
    assert render([diagnostic], "text").splitlines()[0] == "a.py:1:1: SHP101 first line second line third"
