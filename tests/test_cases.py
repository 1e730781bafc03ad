"""The diagnostic cases of tests/cases/, one test per file (tests/cases/README.md has the format).

- Every case: ``shapelint check`` (in-process, with the case's ``# args:``) reports exactly the
  diagnostics its ``# expect:`` comments name, on their lines: a diagnostic without an
  expectation and an expectation without a diagnostic both fail, listed side by side.
- A case with a ``.fixed.py`` sibling: ``--fix`` makes exactly that file of it (the
  ``# expect:`` comments aside); the ``.fixed.py`` file is a case too, of what remains.
- A case with a ``# torch:`` header: PyTorch runs its model, and fails exactly when the case
  expects an error that means PyTorch fails (SHP102-SHP106).
"""

from __future__ import annotations

import difflib
import warnings
from pathlib import Path
from typing import List, Optional

import pytest

from support import case_files
from support.case_files import CASES_DIR, FIXED_SUFFIX, CaseFormatError, case_id, case_paths

PATHS = case_paths()


def _fixable(paths: List[Path]) -> List[Path]:
    return [p for p in paths if not p.name.endswith(FIXED_SUFFIX) and p.with_name(p.stem + FIXED_SUFFIX).is_file()]


def _run_in_torch(paths: List[Path]) -> List[Path]:
    """The cases with a ``# torch:`` header (a malformed case is the first test's to report)."""
    found = []
    for path in paths:
        try:
            if case_files.load(path).torch:
                found.append(path)
        except CaseFormatError:
            continue
    return found


@pytest.mark.parametrize("path", PATHS, ids=[case_id(p) for p in PATHS])
def test_diagnostics_land_where_the_case_expects(path: Path):
    case = case_files.load(path)
    found, _ = case_files.check(case)
    problems = case_files.mismatches(case, found)
    assert not problems, (
        f"{case.id}: the diagnostics differ from its '# expect:' comments\n  "
        + "\n  ".join(problems)
    )
    for diagnostic in found:
        assert diagnostic.message.strip() and "\n" not in diagnostic.message, diagnostic


FIXABLE = _fixable(PATHS)


@pytest.mark.parametrize("path", FIXABLE, ids=[case_id(p) for p in FIXABLE])
def test_fix_gives_the_fixed_file(path: Path):
    case = case_files.load(path)
    assert case.fixed_path is not None
    expected = case_files.without_expectations(case.fixed_path.read_bytes().decode("utf-8"))
    fixed = case_files.without_expectations(case_files.fix(case))
    assert fixed != case_files.without_expectations(case.source), f"{case.id}: --fix changed nothing"
    if fixed != expected:
        diff = difflib.unified_diff(
            expected.splitlines(keepends=True), fixed.splitlines(keepends=True),
            case_id(case.fixed_path), "shapelint check --fix",
        )
        raise AssertionError(f"{case.id}: --fix does not give {case_id(case.fixed_path)}\n" + "".join(diff))


TORCH = _run_in_torch(PATHS)


@pytest.mark.parametrize("path", TORCH, ids=[case_id(p) for p in TORCH])
def test_pytorch_fails_exactly_when_an_error_is_expected(path: Path):
    case = case_files.load(path)
    error = torch_error(case)
    if case.expects_failure:
        codes = sorted({e.code for e in case.expected})
        assert error is not None, f"{case.id}: PyTorch runs `{case.torch}`, the case expects {codes}"
    else:
        assert error is None, f"{case.id}: PyTorch fails on `{case.torch}`: {error}"


def torch_error(case: case_files.Case) -> Optional[str]:
    """What PyTorch raises loading the case's file and evaluating its ``# torch:`` expression
    (None when it runs). Only the errors PyTorch raises for a bad model count: any other
    exception is a mistake in the case and propagates."""
    torch = pytest.importorskip("torch")
    from support.torch_oracle import load_module

    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        try:
            module = load_module(str(case.path))
            eval(case.torch, vars(module))  # noqa: S307 - the case's own expression
        except (RuntimeError, ValueError, AssertionError) as error:
            return f"{type(error).__name__}: {error}"
    return None


def test_case_files_are_well_formed():
    """Every file of tests/cases/ is a case, its README or its settings; every ``.fixed.py``
    belongs to a case; every case parses; none would be collected as a test module."""
    allowed = {"README.md", "shapelint.toml"}
    strays = [
        case_id(p) for p in CASES_DIR.rglob("*")
        if p.is_file() and p.suffix != ".py" and p.name not in allowed and "__pycache__" not in p.parts
    ]
    assert not strays, f"not case files: {strays}"
    for path in PATHS:
        assert not path.name.startswith(("test_", "conftest")), f"{case_id(path)}: pytest would import it"
        if path.name.endswith(FIXED_SUFFIX):
            original = path.with_name(path.name[: -len(FIXED_SUFFIX)] + ".py")
            assert original.is_file(), f"{case_id(path)} fixes no case ({case_id(original)} is missing)"
        case_files.load(path)  # raises CaseFormatError with the file and line
