""".pre-commit-hooks.yaml: the two hooks of CONTRACT.md section 2, valid for pre-commit, with
entry commands that exist and that install without torch."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HOOKS_FILE = ROOT / ".pre-commit-hooks.yaml"

# pre-commit's manifest schema (pre_commit/clientlib.py, MANIFEST_HOOK_DICT).
REQUIRED_KEYS = {"id", "name", "entry", "language"}
OPTIONAL_KEYS = {
    "alias", "files", "exclude", "types", "types_or", "exclude_types", "additional_dependencies",
    "args", "always_run", "fail_fast", "pass_filenames", "description", "language_version",
    "log_file", "minimum_pre_commit_version", "require_serial", "stages", "verbose",
}
# `identify` tags used with types: the ones a Python hook may need.
KNOWN_TYPES = {"python", "pyi", "jupyter", "text", "file"}


def parse_hooks_yaml(text: str):
    """The subset of YAML this file uses: a list of flat mappings whose values are plain or
    quoted scalars or flow lists. Kept here so the test runs without PyYAML."""
    hooks = []
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].rstrip() if not raw.lstrip().startswith("#") else ""
        if not line.strip():
            continue
        if line.startswith("- "):
            hooks.append({})
            line = "  " + line[2:]
        match = re.fullmatch(r"  ([A-Za-z_]+): ?(.*)", line)
        assert match and hooks, f"unexpected line {raw!r}"
        key, value = match.groups()
        hooks[-1][key] = scalar(value)
    return hooks


def scalar(value: str):
    value = value.strip()
    if value.startswith("["):
        inner = value[1:-1].strip()
        return [scalar(v) for v in inner.split(",")] if inner else []
    if value[:1] in "'\"":
        return ast.literal_eval(value)
    if value in ("true", "false"):
        return value == "true"
    return value


@pytest.fixture(scope="module")
def hooks():
    text = HOOKS_FILE.read_text()
    parsed = parse_hooks_yaml(text)
    try:
        import yaml
    except ImportError:
        return parsed
    assert yaml.safe_load(text) == parsed  # the subset parser reads it as YAML does
    return parsed


def test_the_two_hooks_of_the_contract(hooks):
    assert [hook["id"] for hook in hooks] == ["shapelint", "shapelint-fix"]
    by_id = {hook["id"]: hook for hook in hooks}
    assert by_id["shapelint"]["entry"].split() == ["shapelint", "check"]
    assert by_id["shapelint-fix"]["entry"].split() == ["shapelint", "check", "--fix"]


def test_hooks_match_pre_commits_manifest_schema(hooks):
    for hook in hooks:
        assert REQUIRED_KEYS <= set(hook), hook
        assert set(hook) <= REQUIRED_KEYS | OPTIONAL_KEYS, set(hook) - REQUIRED_KEYS - OPTIONAL_KEYS
        assert hook["language"] == "python"
        assert hook["types"] == ["python"] and set(hook["types"]) <= KNOWN_TYPES
        assert isinstance(hook.get("args", []), list)
        assert isinstance(hook.get("require_serial", False), bool)
        assert hook.get("pass_filenames", True) is True  # the files are the paths to check
        assert "additional_dependencies" not in hook or not any(
            "torch" in dep for dep in hook["additional_dependencies"])


def test_the_entry_command_is_an_installed_console_script(hooks):
    try:
        import tomllib
    except ImportError:  # Python < 3.11
        tomllib = pytest.importorskip("tomli")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for hook in hooks:
        executable = hook["entry"].split()[0]
        assert executable in project["scripts"]
    # `language: python` installs the package alone (no extras): torch must not be needed.
    assert not any(re.match(r"torch\b", dep) for dep in project["dependencies"])


@pytest.mark.parametrize("hook_id", ["shapelint", "shapelint-fix"])
def test_the_entry_commands_run(hooks, hook_id, tmp_path):
    entry = {hook["id"]: hook for hook in hooks}[hook_id]["entry"].split()
    assert entry[0] == "shapelint"
    command = [sys.executable, "-m", "shapelint", *entry[1:]]
    proc = subprocess.run([*command, "--help"], capture_output=True, text=True)
    assert proc.returncode == 0 and "usage:" in proc.stdout
    # What pre-commit runs: the entry, then the staged files; here a file without models.
    clean = tmp_path / "clean.py"
    clean.write_text("x = 1\n")
    proc = subprocess.run([*command, "--no-cache", str(clean)], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert clean.read_text() == "x = 1\n"
