"""The rule documentation: one rule per code, docs/rules.md up to date, ``shapelint rule``."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from shapelint.frontends.cli import main as shapelint_main
from shapelint.frontends.cli.rule_cmd import main as rule_main
from shapelint.core.codes import TITLES
from shapelint.core.rules import RULES, RULES_BY_CODE, RULES_DOCS_URL, get_rule, github_anchor, rules_markdown

DOCS = Path(__file__).resolve().parents[2] / "docs" / "rules.md"


def test_one_rule_per_code_in_code_order():
    assert [rule.code for rule in RULES] == sorted(TITLES)
    assert set(RULES_BY_CODE) == set(TITLES)


def test_names_are_unique_kebab_case():
    names = [rule.name for rule in RULES]
    assert len(set(names)) == len(names)
    for name in names:
        assert re.fullmatch(r"[a-z]+(-[a-z]+)+", name), name


def test_every_rule_is_documented_with_examples():
    for rule in RULES:
        assert rule.summary.endswith(".") and "\n" not in rule.summary, rule.code
        assert len(rule.explanation.split()) >= 30, rule.code
        assert rule.example.strip() and rule.fixed_example.strip(), rule.code
        assert rule.example != rule.fixed_example, rule.code
        assert rule.severity == ("warning" if rule.code.startswith(("SHP2", "SHP3")) else "error")


def test_examples_other_than_the_parse_error_are_valid_python():
    for rule in RULES:
        compile(rule.fixed_example, f"<{rule.code} fixed>", "exec")
        if rule.code != "SHP001":
            compile(rule.example, f"<{rule.code}>", "exec")
    with pytest.raises(SyntaxError):
        compile(RULES_BY_CODE["SHP001"].example, "<SHP001>", "exec")


def test_urls_share_one_base_and_point_at_headings():
    docs = DOCS.read_text(encoding="utf-8")
    headings = {github_anchor(line.lstrip("#")) for line in docs.splitlines() if line.startswith("## ")}
    anchors = [rule.anchor for rule in RULES]
    assert len(set(anchors)) == len(anchors)
    for rule in RULES:
        assert rule.url == f"{RULES_DOCS_URL}#{rule.anchor}"
        assert rule.anchor in headings, rule.code


def test_github_anchor():
    assert github_anchor("SHP101: shape-mismatch") == "shp101-shape-mismatch"
    assert github_anchor("What's `new`? (v2)") == "whats-new-v2"


def test_committed_docs_are_up_to_date():
    assert DOCS.read_text(encoding="utf-8") == rules_markdown(), (
        "docs/rules.md is stale: run `python -m shapelint.core.rules > docs/rules.md`"
    )


def test_docs_generator_module_prints_the_page():
    out = subprocess.run(
        [sys.executable, "-m", "shapelint.core.rules"], capture_output=True, text=True, check=True
    ).stdout
    assert out == rules_markdown()


def test_get_rule_by_code_or_name():
    assert get_rule("SHP101") is RULES_BY_CODE["SHP101"]
    assert get_rule("shp101") is RULES_BY_CODE["SHP101"]
    assert get_rule("shape-mismatch") is RULES_BY_CODE["SHP101"]
    assert get_rule("SHP999") is None
    assert get_rule("SHP1") is None


# --------------------------------------------------------------------------------- the command


def test_rule_command_prints_the_rule(capsys):
    assert rule_main(["SHP201"]) == 0
    out = capsys.readouterr().out
    assert out == RULES_BY_CODE["SHP201"].to_markdown(level=1)
    assert out.startswith("# SHP201: checkerboard-transposed-conv\n")
    assert "```python\n" in out


def test_rule_command_lists_every_rule(capsys):
    assert rule_main([]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == sorted(TITLES)
    assert all(RULES_BY_CODE[line.split()[0]].name == line.split()[1] for line in lines)


def test_rule_command_all_documents_every_rule(capsys):
    assert rule_main(["--all"]) == 0
    out = capsys.readouterr().out
    assert all(f"# {rule.code}: {rule.name}\n" in out for rule in RULES)


def test_rule_command_json(capsys):
    assert rule_main(["SHP102", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["code"] == "SHP102" and data["name"] == "channel-mismatch"
    assert data["url"] == RULES_BY_CODE["SHP102"].url
    assert data["example"] == RULES_BY_CODE["SHP102"].example
    assert rule_main(["--format", "json"]) == 0
    assert [r["code"] for r in json.loads(capsys.readouterr().out)] == sorted(TITLES)


@pytest.mark.parametrize("argv", [["SHP999"], ["--format", "xml", "SHP101"], ["SHP101", "extra"]])
def test_rule_command_errors_are_one_line_exit_2(capsys, argv):
    assert rule_main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1
    assert captured.err.startswith("shapelint rule: ")


def test_rule_command_through_the_dispatcher(capsys):
    assert shapelint_main(["rule", "SHP105"]) == 0
    assert capsys.readouterr().out.startswith("# SHP105: non-positive-size\n")


def test_rule_command_as_a_program():
    done = subprocess.run(
        [sys.executable, "-m", "shapelint", "rule", "nope"], capture_output=True, text=True
    )
    assert done.returncode == 2
    assert done.stderr == "shapelint rule: unknown rule code 'nope'\n"


def test_rule_command_help(capsys):
    assert rule_main(["--help"]) == 0
    assert capsys.readouterr().out.startswith("usage: shapelint rule")


def test_links_between_docs_pages_resolve():
    docs_dir = DOCS.parent
    for page in docs_dir.glob("*.md"):
        text = page.read_text(encoding="utf-8")
        for target, anchor in re.findall(r"\]\(([^)#:\s]+\.md)(#[^)]*)?\)", text):
            linked = docs_dir / target
            assert linked.is_file(), f"{page.name} links to missing {target}"
            if anchor:
                headings = {
                    github_anchor(line.lstrip("#"))
                    for line in linked.read_text(encoding="utf-8").splitlines()
                    if line.startswith("#")
                }
                assert anchor[1:] in headings, f"{page.name}: no heading {anchor} in {target}"


def test_output_config_fixer_and_rule_modules_import_light():
    code = (
        "import sys\n"
        "import shapelint.frontends.formatters, shapelint.frontends.config, shapelint.frontends.fixer, shapelint.core.rules\n"
        "import shapelint.frontends.cli.rule_cmd\n"
        "heavy = [m for m in ('torch', 'libcst', 'jsonschema', 'shapelint.analysis') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
