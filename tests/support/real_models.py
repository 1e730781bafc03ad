"""The real models of tests/models/ and their catalogue, tests/models/cases.py (how to build
each model in PyTorch and how shapelint sees it).

- :func:`load_cases` imports the catalogue once (tests/models/ is not a package: its files are
  model files like a user's).
- :func:`prepare` / :func:`file_args`: a model file copied next to the config its models need,
  and the command-line arguments that declare the rest.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from typing import List

MODELS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "models")


def load_cases():
    """tests/models/cases.py, imported once."""
    name = "shapelint_test_model_cases"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, os.path.join(MODELS_DIR, "cases.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def prepare(file: str, directory) -> tuple:
    """Copy a model file into ``directory`` with the config its models need; return the path
    and the command-line arguments that declare the rest."""
    cases = load_cases()
    path = os.path.join(str(directory), file)
    shutil.copyfile(os.path.join(cases.MODELS_DIR, file), path)
    return path, file_args(file, directory)


def file_args(file: str, directory) -> list:
    """The command-line arguments of every model of ``file`` (writing its pyproject.toml)."""
    cases = load_cases()
    config_path = os.path.join(str(directory), "pyproject.toml")
    configs = [c.config for c in cases.cases_for(file) if c.config]
    if configs:
        with open(config_path, "w") as f:
            f.write("\n".join(configs))
    args: List[str] = []
    for case in cases.cases_for(file):
        cli = [a.replace("{config}", config_path) for a in case.cli]
        for flag, value in zip(cli[::2], cli[1::2]):
            if flag == "--config" and "--config" in args:
                continue
            args += [flag, value]
    return args
