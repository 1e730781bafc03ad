"""The diagnostic cases of tests/cases/: one model file per case, the expected diagnostics written
as comments on the lines where they must land (tests/cases/README.md has the format).

- :func:`case_paths` lists the case files; :func:`load` parses one (:class:`CaseFormatError`
  when it does not follow the format); :func:`shared` loads one of tests/cases/shared/.
- :func:`check` runs ``shapelint check`` on a case, in-process, with the case's arguments;
  :func:`mismatches` compares what it reports with the expectations.
- :func:`fix` runs ``shapelint check --fix`` on a case's text (stdin: the file is not touched).
- :func:`without_expectations` is the text with the ``# expect:`` comments removed, to compare
  a fixed text with its ``.fixed.py`` file; :func:`annotated` writes them from diagnostics
  (``SHAPELINT_UPDATE_CASES=1``).
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from support.cli import CliResult, run_cli

CASES_DIR = Path(__file__).resolve().parent.parent / "cases"
FIXED_SUFFIX = ".fixed.py"

#: A line as Python's tokenizer (and so the engine) counts them: ``str.splitlines`` would also
#: break at form feeds and other characters, shifting the rows after them.
PHYSICAL_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
#: ``# expect: SHP102:19 "fragment" SHP201`` at the end of a line.
EXPECT = re.compile(r"[ \t]*#[ \t]*expect:(?P<items>[^\r\n]*)")
EXPECT_ITEM = re.compile(r"(?P<code>SHP\d{3})(?::(?P<col>[1-9]\d*))?")
#: ``# args: ...`` / ``# torch: ...`` in the comment block that opens the file.
HEADER = re.compile(r"#[ \t]*(?P<key>[a-z][a-z-]*):(?P<value>.*)")
HEADER_KEYS = ("args", "torch")
#: Comments of that form which are not header keys (a pragma may open a file too).
NOT_HEADER_KEYS = ("shapelint", "noqa", "type", "expect")
#: Codes that mean PyTorch fails on the model (CONTRACT.md section 4): a case with a ``# torch:``
#: header must make PyTorch raise exactly when it expects one of them.
FAILING_CODES = ("SHP102", "SHP103", "SHP104", "SHP105", "SHP106")


class CaseFormatError(ValueError):
    """A case file that does not follow tests/cases/README.md."""


@dataclass(frozen=True)
class Expected:
    row: int
    code: str
    col: Optional[int] = None
    #: substrings the message must contain
    fragments: Tuple[str, ...] = ()

    def __str__(self) -> str:
        col = f":{self.col}" if self.col is not None else ""
        return f"{self.row}: {self.code}{col}" + "".join(f" {f!r}" for f in self.fragments)


@dataclass(frozen=True)
class Found:
    row: int
    col: int
    code: str
    message: str
    notes: Tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.row}: {self.code}:{self.col} {self.message}"


@dataclass(frozen=True)
class Case:
    path: Path
    source: str
    args: Tuple[str, ...]
    #: a Python expression, evaluated in the case's module, that builds and runs its model
    torch: Optional[str]
    expected: Tuple[Expected, ...]

    @property
    def id(self) -> str:
        return case_id(self.path)

    @property
    def fixed_path(self) -> Optional[Path]:
        return fixed_sibling(self.path)

    @property
    def expects_failure(self) -> bool:
        return any(e.code in FAILING_CODES for e in self.expected)

    def rows(self, code: str) -> List[int]:
        """The lines where ``code`` is expected, in order."""
        return [e.row for e in self.expected if e.code == code]

    def line_of(self, marker: str) -> int:
        """The first line containing ``marker``."""
        for row, line in enumerate(physical_lines(self.source), start=1):
            if marker in line:
                return row
        raise AssertionError(f"{marker!r} is not in {self.id}")


def case_id(path: Path) -> str:
    """The path below tests/cases/ (the file name for a file elsewhere)."""
    try:
        return path.relative_to(CASES_DIR).as_posix()
    except ValueError:
        return path.name


def fixed_sibling(path: Path) -> Optional[Path]:
    """The ``.fixed.py`` file holding what ``--fix`` must make of the case ``path``, if any."""
    if path.name.endswith(FIXED_SUFFIX):
        return None
    sibling = path.with_name(path.name[: -len(".py")] + FIXED_SUFFIX)
    return sibling if sibling.is_file() else None


def case_paths() -> List[Path]:
    """Every case file, ``.fixed.py`` files included (each is a case of its own: what remains
    after the fix), in path order."""
    return sorted(CASES_DIR.rglob("*.py"))


def shared(name: str) -> Case:
    """A case of tests/cases/shared/, the files the end-to-end tests also run on."""
    return load(CASES_DIR / "shared" / name)


def load(path: Path) -> Case:
    source = path.read_bytes().decode("utf-8")
    lines = [line.rstrip("\r\n") for line in physical_lines(source)]
    args, torch_expression = _header(path, lines)
    expected = tuple(e for row, line in enumerate(lines, start=1) for e in _expectations(path, row, line))
    return Case(path, source, args, torch_expression, expected)


def _header(path: Path, lines: Sequence[str]) -> Tuple[Tuple[str, ...], Optional[str]]:
    values: Dict[str, str] = {}
    for row, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            break  # the header is the comment block that opens the file
        match = HEADER.fullmatch(stripped)
        if match is None or match.group("key") in NOT_HEADER_KEYS:
            continue
        key = match.group("key")
        if key not in HEADER_KEYS:
            raise CaseFormatError(f"{case_id(path)}:{row}: unknown header {key!r} (known: {', '.join(HEADER_KEYS)})")
        if key in values:
            raise CaseFormatError(f"{case_id(path)}:{row}: header {key!r} given twice")
        values[key] = match.group("value").strip()
    try:
        args = tuple(shlex.split(values.get("args", "")))
    except ValueError as error:
        raise CaseFormatError(f"{case_id(path)}: bad '# args:' header: {error}") from None
    return args, values.get("torch") or None


def _expectations(path: Path, row: int, line: str) -> List[Expected]:
    match = EXPECT.search(line)
    if match is None:
        return []
    try:
        items = shlex.split(match.group("items"))
    except ValueError as error:
        raise CaseFormatError(f"{case_id(path)}:{row}: bad expectation: {error}") from None
    if not items:
        raise CaseFormatError(f"{case_id(path)}:{row}: '# expect:' names no code")
    found: List[Expected] = []
    for item in items:
        code = EXPECT_ITEM.fullmatch(item)
        if code is not None:
            col = code.group("col")
            found.append(Expected(row, code.group("code"), int(col) if col else None))
        elif found:
            last = found[-1]
            found[-1] = Expected(last.row, last.code, last.col, last.fragments + (item,))
        else:
            raise CaseFormatError(f"{case_id(path)}:{row}: {item!r} is not a code (SHP123 or SHP123:col)")
    return found


def physical_lines(text: str) -> List[str]:
    """The lines of ``text``, each with its line break."""
    return PHYSICAL_LINE.findall(text)


def without_expectations(text: str) -> str:
    """``text`` less its ``# expect:`` comments (and the blanks before them)."""
    return EXPECT.sub("", text)


# --------------------------------------------------------------------------------------------
# Running shapelint on a case


def check(case: Case) -> Tuple[List[Found], CliResult]:
    """``shapelint check`` on the case file with its arguments: what it reports, in order."""
    with _in_cases_dir():
        result = run_cli("check", "--no-cache", "--format", "json", *case.args, str(case.path))
    # Warnings are allowed (a case may declare, on purpose, a key that matches no file or
    # model); anything else on stderr is a usage or internal error.
    errors = [line for line in result.stderr.splitlines() if not line.startswith("warning:")]
    if result.code not in (0, 1) or errors:
        raise AssertionError(f"{case.id}: exit {result.code}, stderr:\n{result.stderr}")
    found = [
        Found(d["location"]["row"], d["location"]["column"], d["code"], d["message"], tuple(d["notes"]))
        for d in result.json()
    ]
    assert result.code == (1 if found else 0), f"{case.id}: exit {result.code} with {len(found)} diagnostics"
    return found, result


def mismatches(case: Case, found: Sequence[Found]) -> List[str]:
    """What differs between the expectations and the diagnostics, one line each (empty: none).

    An expectation is met by a diagnostic of its code on its line, at its column if it gives
    one, whose message contains its fragments; each diagnostic meets at most one expectation."""
    unmatched = list(found)
    problems = []
    for expected in case.expected:
        match = next((f for f in unmatched if _meets(f, expected)), None)
        if match is None:
            problems.append(f"missing     {expected}")
        else:
            unmatched.remove(match)
    problems += [f"unexpected  {f}" for f in unmatched]
    return problems


def annotated(case: Case, found: Sequence[Found]) -> str:
    """The case's text with its ``# expect:`` comments rewritten to ``found``: an expectation that
    is met keeps its column and fragments, a diagnostic that was not expected gets its code."""
    items: Dict[int, List[str]] = {}
    unmatched = list(found)
    for expected in case.expected:
        match = next((f for f in unmatched if _meets(f, expected)), None)
        if match is not None:
            unmatched.remove(match)
            items.setdefault(expected.row, []).append(_item(expected))
    for diagnostic in unmatched:
        items.setdefault(diagnostic.row, []).append(diagnostic.code)
    lines = physical_lines(without_expectations(case.source))
    for row, texts in sorted(items.items()):
        if not 1 <= row <= len(lines) or lines[row - 1].rstrip("\r\n").endswith("\\"):
            raise AssertionError(f"{case.id}:{row}: no comment can go on that line; write the case by hand")
        body = lines[row - 1].rstrip("\r\n")
        lines[row - 1] = body + "  # expect: " + " ".join(texts) + lines[row - 1][len(body):]
    return "".join(lines)


def _item(expected: Expected) -> str:
    col = f":{expected.col}" if expected.col is not None else ""
    return expected.code + col + "".join(" " + _quoted(f) for f in expected.fragments)


def _quoted(fragment: str) -> str:
    return shlex.quote(fragment) if '"' in fragment else f'"{fragment}"'


def _meets(found: Found, expected: Expected) -> bool:
    return (
        (found.row, found.code) == (expected.row, expected.code)
        and expected.col in (None, found.col)
        and all(any(fragment in text for text in (found.message,) + found.notes)
                for fragment in expected.fragments)
    )


def fix(case: Case) -> str:
    """The case's text after ``shapelint check --fix`` with the case's arguments."""
    with _in_cases_dir():
        result = run_cli(
            "check", "--no-cache", "--fix", *case.args, "--stdin-filename", str(case.path), "-",
            stdin=case.source.encode("utf-8"),
        )
    if result.code not in (0, 1) or "Traceback" in result.stderr or "internal error" in result.stderr:
        raise AssertionError(f"{case.id}: --fix exit {result.code}, stderr:\n{result.stderr}")
    return result.stdout


@contextlib.contextmanager
def _in_cases_dir():
    """In tests/cases/, where the ``path::Name`` keys of ``# args:`` are relative to (the
    command line resolves them against the working directory)."""
    saved = os.getcwd()
    os.chdir(CASES_DIR)
    try:
        yield
    finally:
        os.chdir(saved)
