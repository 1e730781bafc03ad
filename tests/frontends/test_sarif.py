"""SARIF output: valid against the official SARIF 2.1.0 schema, and what GitHub code scanning
reads from it (rules with help, relative artifact URIs, regions, fixes)."""

from __future__ import annotations

import copy
import re
import hashlib
import json
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import pytest

from shapelint import __version__
from shapelint.core.codes import TITLES
from shapelint.frontends.formatters import render
from shapelint.core.results import SAFE, UNSAFE, Diagnostic, Edit, Fix
from shapelint.core.rules import RULES, RULES_BY_CODE

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "data" / "sarif-schema-2.1.0.json"
SCHEMA_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


def assert_valid(validator, log):
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


DIAGNOSTICS = [
    Diagnostic(
        "SHP101", "Refine: output [8, 32, 78, 78] differs from the declared [8, 32, 80, 80]",
        "models/refine.py", 7, 21, 7, 45,
        fix=Fix("Set padding=1", SAFE, (Edit(", padding=1", (7, 44), (7, 44)),)),
        help="nn.Conv2d(64, 32, kernel_size=3, padding=1)",
    ),
    Diagnostic(
        "SHP102", "Conv2d: in_channels=64 but 32 channels arrive", "models/refine.py", 2, 5, 3, 1,
        fix=Fix("Set in_channels=32", UNSAFE, (Edit("32", (2, 15), (2, 17)), Edit("", (3, 1), (3, 4)))),
    ),
    Diagnostic("SHP201", "kernel 3 not a multiple of stride 2", "models/up sampling.py", 3, 19, 3, 80),
    Diagnostic("SHP001", "invalid syntax: expected ':'", "bröken.py", 5, 32, 5, 32),
]


@pytest.fixture
def log(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return json.loads(render(DIAGNOSTICS, "sarif"))


def test_schema_copy_is_the_official_one():
    data = SCHEMA_PATH.read_bytes()
    assert hashlib.sha256(data).hexdigest() == SCHEMA_SHA256
    schema = json.loads(data)
    assert schema["id"].startswith("https://docs.oasis-open.org/sarif/sarif/v2.1.0/")


def test_output_is_valid_sarif(validator, log):
    assert_valid(validator, log)


def test_empty_output_is_valid_sarif(validator, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    log = json.loads(render([], "sarif"))
    assert_valid(validator, log)
    assert log["runs"][0]["results"] == []


def test_the_validator_rejects_a_broken_log(validator, log):
    # The schema check above can fail: a result without its message is not SARIF.
    broken = copy.deepcopy(log)
    del broken["runs"][0]["results"][0]["message"]
    assert list(validator.iter_errors(broken))
    broken = copy.deepcopy(log)
    broken["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    assert list(validator.iter_errors(broken))


def test_one_run_with_the_tool_and_every_rule(log):
    assert log["version"] == "2.1.0"
    assert len(log["runs"]) == 1
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "shapelint"
    assert driver["version"] == __version__
    assert driver["informationUri"].startswith("https://")
    rules = driver["rules"]
    assert [rule["id"] for rule in rules] == sorted(TITLES)
    for rule in rules:
        doc = RULES_BY_CODE[rule["id"]]
        assert rule["name"] == doc.name
        assert rule["shortDescription"]["text"] == doc.summary
        assert rule["fullDescription"]["text"]
        assert doc.example.splitlines()[0] in rule["help"]["markdown"]
        assert rule["help"]["text"]
        assert rule["helpUri"] == doc.url
        expected_level = "warning" if rule["id"].startswith(("SHP2", "SHP3")) else "error"
        assert rule["defaultConfiguration"]["level"] == expected_level


def test_results_point_at_their_rules_with_levels_and_regions(log):
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    results = run["results"]
    # Sorted like every other format: by file, then position.
    assert [r["ruleId"] for r in results] == ["SHP001", "SHP102", "SHP101", "SHP201"]
    by_code = {d.code: d for d in DIAGNOSTICS}
    for result in results:
        diagnostic = by_code[result["ruleId"]]
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] == ("warning" if diagnostic.code == "SHP201" else "error")
        assert result["message"]["text"] == diagnostic.message
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        assert physical["region"] == {
            "startLine": diagnostic.row,
            "startColumn": diagnostic.col,
            "endLine": diagnostic.end_row,
            "endColumn": diagnostic.end_col,
        }


def test_artifact_uris_are_relative_to_the_checkout(log):
    uris = [
        r["locations"][0]["physicalLocation"]["artifactLocation"] for r in log["runs"][0]["results"]
    ]
    assert [u["uri"] for u in uris] == [
        "br%C3%B6ken.py", "models/refine.py", "models/refine.py", "models/up%20sampling.py",
    ]
    assert all(u["uriBaseId"] == "%SRCROOT%" for u in uris)
    base = log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert base.startswith("file:///") and base.endswith("/")


def test_absolute_path_inside_the_checkout_becomes_relative(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    diagnostic = Diagnostic("SHP101", "m", str(tmp_path / "pkg" / "net.py"), 1, 1, 1, 2)
    log = json.loads(render([diagnostic], "sarif"))
    location = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location["uri"] == "pkg/net.py"


def test_path_outside_the_checkout_is_an_absolute_file_uri(validator, tmp_path, monkeypatch):
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    diagnostic = Diagnostic("SHP101", "m", str(tmp_path / "elsewhere.py"), 1, 1, 1, 2)
    log = json.loads(render([diagnostic], "sarif"))
    assert_valid(validator, log)
    location = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": (tmp_path / "elsewhere.py").as_uri()}


def test_fixes_are_artifact_changes_with_replacements(log):
    results = {r["ruleId"]: r for r in log["runs"][0]["results"]}
    (fix,) = results["SHP101"]["fixes"]
    assert fix["description"]["text"] == "Set padding=1"
    (change,) = fix["artifactChanges"]
    assert change["artifactLocation"]["uri"] == "models/refine.py"
    assert change["replacements"] == [
        {
            "deletedRegion": {"startLine": 7, "startColumn": 44, "endLine": 7, "endColumn": 44},
            "insertedContent": {"text": ", padding=1"},
        }
    ]
    (fix,) = results["SHP102"]["fixes"]
    replacements = fix["artifactChanges"][0]["replacements"]
    # A pure deletion has no insertedContent.
    assert replacements[1] == {
        "deletedRegion": {"startLine": 3, "startColumn": 1, "endLine": 3, "endColumn": 4}
    }
    assert "fixes" not in results["SHP201"]


def test_rules_come_from_the_rule_docs():
    assert len(RULES) == len(TITLES)


# jsonschema checks the "uri" and "uri-reference" formats only with optional packages; these are
# checked here by hand (RFC 3986 characters, well-formed percent-escapes, absolute where needed).
_URI_CHARS = re.compile(r"(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*")


def _uri_values(node, key=None):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _uri_values(v, k)
    elif isinstance(node, list):
        for v in node:
            yield from _uri_values(v, key)
    elif key in ("uri", "helpUri", "informationUri", "$schema"):
        yield key, node


def test_every_uri_is_well_formed(log):
    values = list(_uri_values(log))
    assert {k for k, _ in values} == {"uri", "helpUri", "informationUri", "$schema"}
    for key, value in values:
        assert _URI_CHARS.fullmatch(value), (key, value)
        if key != "uri":
            parts = urlsplit(value)
            assert parts.scheme == "https" and parts.netloc, (key, value)


def test_plain_text_descriptions_are_unwrapped_paragraphs(log):
    for rule in log["runs"][0]["tool"]["driver"]["rules"]:
        for paragraph in rule["fullDescription"]["text"].split("\n\n"):
            assert "\n" not in paragraph
        assert rule["help"]["text"].endswith(f"See {rule['helpUri']}")


def test_check_command_output_is_valid_sarif(validator, tmp_path):
    # End to end: every failing rule example through `shapelint check --format sarif`.
    import subprocess
    import sys

    (tmp_path / "models").mkdir()
    for rule in RULES:
        (tmp_path / "models" / f"{rule.code.lower()}.py").write_text(rule.example, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "shapelint", "check", "--no-cache", "--format", "sarif", "--select", "ALL", "models"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 1, done.stderr
    log = json.loads(done.stdout)
    assert_valid(validator, log)
    results = log["runs"][0]["results"]
    assert {r["ruleId"] for r in results} == set(TITLES)
    for result in results:
        location = result["locations"][0]["physicalLocation"]
        uri = location["artifactLocation"]["uri"]
        assert uri == f"models/{result['ruleId'].lower()}.py"
        lines = (tmp_path / uri).read_text(encoding="utf-8").splitlines()
        region = location["region"]
        assert 1 <= region["startLine"] <= region["endLine"] <= len(lines) + 1


def test_degenerate_positions_still_give_valid_regions(validator, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    backwards = Diagnostic("SHP101", "m", "a.py", 4, 9, 4, 3)
    zero = Diagnostic("SHP001", "m", "a.py", 0, 0, 0, 0)
    log = json.loads(render([backwards, zero], "sarif"))
    assert_valid(validator, log)
    regions = [r["locations"][0]["physicalLocation"]["region"] for r in log["runs"][0]["results"]]
    assert regions == [
        {"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 1},
        {"startLine": 4, "startColumn": 9, "endLine": 4, "endColumn": 9},
    ]
