"""Fixtures of the front-end tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from support import case_files


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project holding the three model files of tests/cases/shared/ (``up.py``, ``block.py``,
    ``net.py``) and a pyproject.toml without shapelint settings: what the end-to-end tests of
    the command and of the flake8 plugin run on."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    for name in ("up.py", "block.py", "net.py"):
        (tmp_path / name).write_text(case_files.shared(name).source)
    return tmp_path
