"""The diagnostic cases of tests/cases/, one test per file (tests/cases/README.md has the format).

- Every case: ``shapelint check`` (in-process, with the case's ``# args:``) reports exactly the
  diagnostics its ``# expect:`` comments name, on their lines: a diagnostic without an
  expectation and an expectation without a diagnostic both fail, listed side by side.
- A case with a ``.fixed.py`` sibling: ``--fix`` makes exactly that file of it (the
  ``# expect:`` comments aside); the ``.fixed.py`` file is a case too, of what remains.
- A case with a ``# torch:`` header: PyTorch runs its model, and fails exactly when the case
  expects an error that means PyTorch fails (SHP102-SHP106).

A change that is meant to move diagnostics rewrites the ``# expect:`` comments of the cases it
fails and their ``.fixed.py`` files with ``SHAPELINT_UPDATE_CASES=1 python -m pytest
tests/test_cases.py`` (run it twice: a rewritten ``.fixed.py`` is checked on the next run), and
shows the difference in its commit (``git diff tests/cases``).
"""

from __future__ import annotations

import contextlib
import difflib
import os
import sys
import warnings
from pathlib import Path
from typing import List, Optional

import pytest

from support import case_files
from support.case_files import CASES_DIR, FIXED_SUFFIX, CaseFormatError, case_id, case_paths

PATHS = case_paths()
UPDATE = os.environ.get("SHAPELINT_UPDATE_CASES", "") not in ("", "0")


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
    if UPDATE and problems:
        path.write_text(case_files.annotated(case, found), encoding="utf-8")
        case = case_files.load(path)
        problems = case_files.mismatches(case, found)
    assert not problems, (
        f"{case.id}: the diagnostics differ from its '# expect:' comments\n  "
        + "\n  ".join(problems)
    )
    for diagnostic in found:
        assert diagnostic.message.strip() and "\n" not in diagnostic.message, diagnostic


FIXABLE = [p for p in PATHS if case_files.fixed_sibling(p) is not None]


@pytest.mark.parametrize("path", FIXABLE, ids=[case_id(p) for p in FIXABLE])
def test_fix_gives_the_fixed_file(path: Path):
    case = case_files.load(path)
    assert case.fixed_path is not None
    expected = case_files.without_expectations(case.fixed_path.read_bytes().decode("utf-8"))
    fixed = case_files.without_expectations(case_files.fix(case))
    assert fixed != case_files.without_expectations(case.source), f"{case.id}: --fix changed nothing"
    if UPDATE and fixed != expected:
        case.fixed_path.write_text(fixed, encoding="utf-8")
        fixed_case = case_files.load(case.fixed_path)
        remaining, _ = case_files.check(fixed_case)
        case.fixed_path.write_text(case_files.annotated(fixed_case, remaining), encoding="utf-8")
        expected = fixed
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

    # Not imported: no bytecode is written next to the cases, and `__main__` blocks do not run.
    # It runs as a script would, from its directory and without options (a config file next to
    # it is found, argparse gives its defaults).
    namespace = {"__name__": "shapelint_case"}
    with warnings.catch_warnings(), torch.no_grad(), _as_a_script(case.path):
        warnings.simplefilter("ignore")
        try:
            exec(compile(case.source, str(case.path), "exec", dont_inherit=True), namespace)  # noqa: S102 - its model
            eval(case.torch, namespace)  # noqa: S307 - the case's own expression
        except (RuntimeError, ValueError, AssertionError) as error:
            return f"{type(error).__name__}: {error}"
    return None


@contextlib.contextmanager
def _as_a_script(path: Path):
    """The working directory the case's directory, ``sys.argv`` the case alone."""
    directory, argv = os.getcwd(), sys.argv
    os.chdir(path.parent)
    sys.argv = [str(path)]
    try:
        yield
    finally:
        os.chdir(directory)
        sys.argv = argv


def test_case_files_are_well_formed():
    """Every file of tests/cases/ is a case, its README, its settings or a config file a case of
    configs/ reads; every ``.fixed.py`` belongs to a case; every case parses; none would be
    collected as a test module."""
    allowed = {"README.md", "shapelint.toml"}
    strays = [
        case_id(p) for p in CASES_DIR.rglob("*")
        if p.is_file() and p.suffix != ".py" and p.name not in allowed and "__pycache__" not in p.parts
        and not (p.parent.name == "configs" and p.suffix in (".json", ".yaml", ".toml"))
    ]
    assert not strays, f"not case files: {strays}"
    for path in PATHS:
        assert not path.name.startswith(("test_", "conftest")), f"{case_id(path)}: pytest would import it"
        if path.name.endswith(FIXED_SUFFIX):
            original = path.with_name(path.name[: -len(FIXED_SUFFIX)] + ".py")
            assert original.is_file(), f"{case_id(path)} fixes no case ({case_id(original)} is missing)"
        case_files.load(path)  # raises CaseFormatError with the file and line


def test_the_readme_example_is_a_case():
    readme = (CASES_DIR / "README.md").read_text(encoding="utf-8")
    example = readme.split("```python\n", 1)[1].split("```", 1)[0]
    assert example == (CASES_DIR / "channels" / "batch_norm_counts_other_channels.py").read_text(encoding="utf-8")


# --------------------------------------------------------------------------------------------
# The collector itself: it reads what the README says, and it can fail


MODEL = '''\
# What the case is about.
# args: --input Net=1,3,32,32
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)
        self.bn = nn.BatchNorm2d(16){comment}

    def forward(self, x):
        return self.bn(self.conv(x))
'''


def write_case(tmp_path: Path, text: str) -> case_files.Case:
    path = tmp_path / "case.py"
    path.write_text(text, encoding="utf-8")
    return case_files.load(path)


def test_expectations_and_headers_are_read(tmp_path):
    case = write_case(tmp_path, MODEL.format(comment='  # noqa: E501  # expect: SHP102:19 "8 arrive" "16" SHP201'))
    assert case.args == ("--input", "Net=1,3,32,32") and case.torch is None
    assert case.expected == (
        case_files.Expected(11, "SHP102", 19, ("8 arrive", "16")),
        case_files.Expected(11, "SHP201"),
    )
    assert case.expects_failure and case.rows("SHP102") == [11] and case.line_of("self.bn") == 11


@pytest.mark.parametrize(
    "text, error",
    [
        (MODEL.format(comment="  # expect:"), "names no code"),
        (MODEL.format(comment='  # expect: "8 arrive"'), "is not a code"),
        (MODEL.format(comment="  # expect: SHP10"), "is not a code"),
        (MODEL.format(comment="  # expect: SHP102:0"), "is not a code"),
        (MODEL.format(comment="  # expect: SHP102 'unclosed"), "bad expectation"),
        ("# arg: --input Net=1,3\n" + MODEL.format(comment=""), "unknown header 'arg'"),
        ("# torch: Net()\n" + MODEL.format(comment="").replace("# args:", "# torch:"), "given twice"),
    ],
    ids=["empty", "fragment-first", "short-code", "column-0", "unclosed-quote", "unknown-header", "twice"],
)
def test_malformed_cases_are_errors(tmp_path, text, error):
    with pytest.raises(CaseFormatError, match=error):
        write_case(tmp_path, text)


def test_missing_and_unexpected_diagnostics_are_both_listed(tmp_path):
    found = [case_files.Found(11, 19, "SHP102", "BatchNorm2d expects 16 input channels but 8 arrive")]
    for comment, problems in [
        ('  # expect: SHP102:19 "8 arrive"', []),
        ("  # expect: SHP102 SHP102", ["missing     11: SHP102"]),
        ("  # expect: SHP102:20", ["missing     11: SHP102:20", "unexpected  11: SHP102:19 BatchNorm2d"]),
        ('  # expect: SHP102 "9 arrive"', ["missing     11: SHP102 '9 arrive'", "unexpected  11: SHP102:19"]),
        ("  # expect: SHP103", ["missing     11: SHP103", "unexpected  11: SHP102:19"]),
        ("", ["unexpected  11: SHP102:19"]),
    ]:
        got = case_files.mismatches(write_case(tmp_path, MODEL.format(comment=comment)), found)
        assert len(got) == len(problems) and all(g.startswith(p) for g, p in zip(got, problems)), (comment, got)


def test_a_case_against_the_engine(tmp_path):
    """The engine's answer is compared, not a stored one: a wrong line fails the case."""
    right = write_case(tmp_path, MODEL.format(comment="  # expect: SHP102"))
    assert case_files.mismatches(right, case_files.check(right)[0]) == []
    wrong = write_case(tmp_path, MODEL.format(comment="").replace("self.conv(x))\n", "self.conv(x))  # expect: SHP102\n"))
    assert [p.split(":")[0] for p in case_files.mismatches(wrong, case_files.check(wrong)[0])] == [
        "missing     14", "unexpected  11",
    ]


def test_annotation_keeps_what_is_met_and_writes_what_is_found(tmp_path):
    case = write_case(tmp_path, MODEL.format(comment='  # expect: SHP102:19 "8 arrive" SHP201').replace(
        "self.conv(x))\n", "self.conv(x))  # expect: SHP104\n"))
    found = [
        case_files.Found(11, 19, "SHP102", "BatchNorm2d: 8 arrive"),
        case_files.Found(10, 5, "SHP103", "m"),
    ]
    text = case_files.annotated(case, found)
    assert text == MODEL.format(comment='  # expect: SHP102:19 "8 arrive"').replace(
        "nn.Conv2d(3, 8, 3)\n", "nn.Conv2d(3, 8, 3)  # expect: SHP103\n")
    assert case_files.mismatches(write_case(tmp_path, text), found) == []


def test_fixed_files_are_compared_without_their_expectations():
    text = "a = 1  # expect: SHP102\nb = f(2)  # keep  # expect: SHP101 SHP201\n# expect: SHP101\n"
    assert case_files.without_expectations(text) == "a = 1\nb = f(2)  # keep\n\n"


def test_pytorch_errors_count_and_mistakes_in_the_case_do_not(tmp_path):
    header = "# torch: {}\n"
    run = "Net().eval()(torch.randn(1, 3, 32, 32))"
    broken = write_case(tmp_path, header.format(run) + MODEL.format(comment=""))
    assert "RuntimeError" in torch_error(broken)
    fixed = write_case(tmp_path, header.format(run) + MODEL.format(comment="").replace("BatchNorm2d(16)", "BatchNorm2d(8)"))
    assert torch_error(fixed) is None
    typo = write_case(tmp_path, header.format(run.replace("Net()", "Nett()")) + MODEL.format(comment=""))
    with pytest.raises(NameError):
        torch_error(typo)
