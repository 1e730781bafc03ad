"""The CI and pre-commit snippets in the README are files that these tests exercise."""

from __future__ import annotations

import io
import shlex
from contextlib import redirect_stdout
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")

from shapelint.frontends.cli import main  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / "examples" / "ci" / "github-workflow.yml"
PRE_COMMIT_CONFIG = ROOT / "examples" / "ci" / "pre-commit-config.yaml"


def test_readme_shows_the_tested_files_verbatim():
    readme = (ROOT / "README.md").read_text()
    for path in (WORKFLOW, PRE_COMMIT_CONFIG):
        assert path.read_text().strip() in readme, f"README is out of date with {path.name}"


def test_workflow_runs_shapelint_with_github_annotations(tmp_path, monkeypatch):
    workflow = yaml.safe_load(WORKFLOW.read_text())
    steps = [s for job in workflow["jobs"].values() for s in job["steps"]]
    commands = [s["run"] for s in steps if "run" in s and s["run"].startswith("shapelint")]
    assert len(commands) == 1
    argv = shlex.split(commands[0])[1:]
    assert "--format" in argv and argv[argv.index("--format") + 1] == "github"
    installs = [s["run"] for s in steps if "run" in s and "pip install" in s["run"]]
    assert installs and all("torch" not in cmd for cmd in installs)

    # Run the job's command in a checkout holding one of the broken examples.
    (tmp_path / "model.py").write_text((ROOT / "examples" / "broken_decoder.py").read_text())
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    with redirect_stdout(out):
        status = main(argv + ["--no-cache"])
    assert status == 1, "a failing job makes the workflow red"
    lines = out.getvalue().splitlines()
    assert any(line.startswith("::error file=model.py,line=") for line in lines), lines
    assert all(line.startswith(("::error ", "::warning ")) for line in lines if line), lines


def test_pre_commit_config_uses_the_hooks_this_repo_offers():
    config = yaml.safe_load(PRE_COMMIT_CONFIG.read_text())
    offered = {hook["id"] for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    used = {hook["id"] for repo in config["repos"] for hook in repo["hooks"]}
    assert used and used <= offered
    commented = {line.split("id:")[1].strip() for line in PRE_COMMIT_CONFIG.read_text().splitlines()
                 if line.strip().startswith("# - id:")}
    assert commented <= offered
