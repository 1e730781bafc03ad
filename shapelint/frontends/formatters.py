"""Output formats of ``shapelint check`` (docs/output-formats.md): text, json, sarif, github.

``render`` takes the diagnostics of a whole run and returns the text to print.
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, Iterable, List, Optional
from urllib.parse import quote

from .. import __version__
from ..core.results import Diagnostic, Edit, is_fixable
from ..core.rules import REPOSITORY_URL, RULES, rule_url, unwrap

FORMATS = ("text", "json", "sarif", "github")

SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
#: The base of relative artifact URIs in SARIF: the directory shapelint ran in.
SARIF_SRCROOT = "%SRCROOT%"


def render(diagnostics: List[Diagnostic], fmt: str, fixed: int = 0) -> str:
    """The whole output of one run in format ``fmt``; raises ValueError for an unknown format.

    ``fixed`` is how many diagnostics ``--fix`` repaired (only the text summary shows it).
    """
    ordered = sort_diagnostics(diagnostics)
    if fmt == "text":
        return render_text(ordered, fixed)
    if fmt == "json":
        return render_json(ordered)
    if fmt == "sarif":
        return render_sarif(ordered)
    if fmt == "github":
        return render_github(ordered)
    raise ValueError(f"unknown output format {fmt!r} (choose from {', '.join(FORMATS)})")


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> List[Diagnostic]:
    """By file, then position, then code, as ruff orders its output."""
    return sorted(diagnostics, key=lambda d: (d.path, d.row, d.col, d.code, d.message))


def full_message(d: Diagnostic) -> str:
    """The message with its notes, one per line, for formats that show a single text."""
    return "\n".join((d.message,) + d.notes)


# --------------------------------------------------------------------------- text


def render_text(diagnostics: List[Diagnostic], fixed: int = 0) -> str:
    if not diagnostics and not fixed:
        return "All checks passed!\n"
    lines: List[str] = []
    for d in diagnostics:
        # One line per diagnostic, as editors' problem matchers and grep expect.
        message = " ".join(d.message.splitlines())
        lines.append(f"{d.path}:{d.row}:{d.col}: {d.code} {message}")
        lines.extend(f"    note: {' '.join(note.splitlines())}" for note in d.notes)
        if d.help:
            help_lines = d.help.splitlines() or [""]
            lines.append(f"    help: {help_lines[0]}")
            # Continuation lines of multi-line code keep their own indentation under the first.
            lines.extend(f"          {line}" for line in help_lines[1:])
    if lines:
        lines.append("")
    lines.append(summary(diagnostics, fixed))
    return "\n".join(lines) + "\n"


def summary(diagnostics: List[Diagnostic], fixed: int = 0) -> str:
    """``Found 3 errors (2 fixable with --fix).`` -- one count for every diagnostic, like ruff;
    after ``--fix``: ``Found 5 errors (3 fixed, 2 remaining).``"""
    count = len(diagnostics) + fixed
    noun = "error" if count == 1 else "errors"
    fixable = sum(1 for d in diagnostics if is_fixable(d))
    hidden = sum(1 for d in diagnostics if is_fixable(d, unsafe=True)) - fixable
    notes = []
    if fixed:
        notes.append(f"{fixed} fixed, {len(diagnostics)} remaining")
    if fixable:
        notes.append(f"{fixable} fixable with --fix")
    if hidden:
        notes.append(f"{hidden} hidden fix{'es' if hidden != 1 else ''} with --unsafe-fixes")
    return f"Found {count} {noun}" + (f" ({'; '.join(notes)})" if notes else "") + "."


# --------------------------------------------------------------------------- json


def _location(row: int, column: int) -> Dict[str, int]:
    return {"row": row, "column": column}


def diagnostic_to_json(d: Diagnostic) -> Dict[str, Any]:
    """One object of ruff's JSON output schema (docs/output-formats.md)."""
    fix: Optional[Dict[str, Any]] = None
    if d.fix is not None:
        fix = {
            "message": d.fix.message,
            "applicability": d.fix.applicability,
            "edits": [
                {
                    "content": edit.content,
                    "location": _location(*edit.start),
                    "end_location": _location(*edit.end),
                }
                for edit in d.fix.edits
            ],
        }
    return {
        "code": d.code,
        "message": d.message,
        "filename": d.path,
        "location": _location(d.row, d.col),
        "end_location": _location(d.end_row, d.end_col),
        "fix": fix,
        # `# noqa` goes at the end of the line where the diagnostic starts.
        "noqa_row": d.row,
        "url": rule_url(d.code),
        # After ruff's keys: the evidence behind the one-sentence message (`note:` in text).
        "notes": list(d.notes),
        # The other places it concerns: the declaration it contradicts, the layer in a block.
        "related": [
            {
                "message": r.message,
                "filename": r.path,
                "location": _location(r.row, r.col),
                "end_location": _location(r.end_row, r.end_col),
            }
            for r in d.related
        ],
    }


def render_json(diagnostics: List[Diagnostic]) -> str:
    return json.dumps([diagnostic_to_json(d) for d in diagnostics], indent=2, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------- sarif


def _relative_uri(path: str) -> Dict[str, str]:
    """An artifactLocation: relative to the working directory (``%SRCROOT%``) when the file is
    under it, as GitHub code scanning resolves against the checkout; absolute otherwise."""
    absolute = os.path.abspath(path)
    cwd = os.getcwd()
    try:
        relative = os.path.relpath(absolute, cwd)
    except ValueError:  # another drive on Windows
        relative = None
    if path == "-" or relative is None or relative == ".." or relative.startswith(".." + os.sep):
        if path == "-":
            return {"uri": "stdin"}
        return {"uri": _file_uri(absolute)}
    return {"uri": quote(relative.replace(os.sep, "/")), "uriBaseId": SARIF_SRCROOT}


def _file_uri(absolute: str) -> str:
    posix = absolute.replace(os.sep, "/")
    if not posix.startswith("/"):
        posix = "/" + posix  # C:/x -> /C:/x
    return "file://" + quote(posix)


def _region(start: Any, end: Any) -> Dict[str, int]:
    # SARIF's endColumn is the column after the region, as ours is (end exclusive). A viewer
    # rejects regions that end before they start or use 0; such a position becomes a point.
    start = (max(1, start[0]), max(1, start[1]))
    end = (max(1, end[0]), max(1, end[1]))
    if end < start:
        end = start
    return {
        "startLine": start[0],
        "startColumn": start[1],
        "endLine": end[0],
        "endColumn": end[1],
    }


def _markdown_help(rule: Any) -> str:
    return rule.to_markdown(level=2)


def _text_help(rule: Any) -> str:
    text = f"{rule.summary}\n\n{unwrap(rule.explanation)}"
    if rule.fix:
        text += f"\n\n{unwrap(rule.fix)}"
    return text + f"\n\nSee {rule.url}"


def sarif_rules() -> List[Dict[str, Any]]:
    """The tool.driver.rules array: every rule, in code order (so ruleIndex is stable)."""
    return [
        {
            "id": rule.code,
            "name": rule.name,
            "shortDescription": {"text": rule.summary},
            "fullDescription": {"text": unwrap(rule.explanation)},
            "help": {"text": _text_help(rule), "markdown": _markdown_help(rule)},
            "helpUri": rule.url,
            "defaultConfiguration": {"level": rule.severity},
            "properties": {"tags": ["shape", "pytorch"], "problem.severity": rule.severity},
        }
        for rule in RULES
    ]


def _sarif_fix(d: Diagnostic) -> Dict[str, Any]:
    assert d.fix is not None
    return {
        "description": {"text": d.fix.message},
        "artifactChanges": [
            {
                "artifactLocation": _relative_uri(d.path),
                "replacements": [_sarif_replacement(edit) for edit in d.fix.edits],
            }
        ],
        "properties": {"applicability": d.fix.applicability},
    }


def _sarif_replacement(edit: Edit) -> Dict[str, Any]:
    replacement: Dict[str, Any] = {"deletedRegion": _region(edit.start, edit.end)}
    if edit.content:
        replacement["insertedContent"] = {"text": edit.content}
    return replacement


def sarif_log(diagnostics: List[Diagnostic]) -> Dict[str, Any]:
    index = {rule.code: i for i, rule in enumerate(RULES)}
    results = []
    for d in diagnostics:
        result: Dict[str, Any] = {"ruleId": d.code}
        if d.code in index:
            result["ruleIndex"] = index[d.code]
        result["level"] = d.severity
        result["message"] = {"text": full_message(d)}
        result["locations"] = [
            {
                "physicalLocation": {
                    "artifactLocation": _relative_uri(d.path),
                    "region": _region((d.row, d.col), (d.end_row, d.end_col)),
                }
            }
        ]
        if d.related:
            result["relatedLocations"] = [
                {
                    "id": number,
                    "physicalLocation": {
                        "artifactLocation": _relative_uri(r.path),
                        "region": _region((r.row, r.col), (r.end_row, r.end_col)),
                    },
                    "message": {"text": r.message},
                }
                for number, r in enumerate(d.related)
            ]
        if d.fix is not None and d.fix.edits:
            result["fixes"] = [_sarif_fix(d)]
        results.append(result)
    srcroot = _file_uri(os.getcwd())
    return {
        "$schema": SARIF_SCHEMA_URI,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "shapelint",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": REPOSITORY_URL,
                        "rules": sarif_rules(),
                    }
                },
                "originalUriBaseIds": {
                    SARIF_SRCROOT: {"uri": srcroot if srcroot.endswith("/") else srcroot + "/"}
                },
                # Our columns count characters (code points), not SARIF's default UTF-16 units.
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


def render_sarif(diagnostics: List[Diagnostic]) -> str:
    return json.dumps(sarif_log(diagnostics), indent=2, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------- github


def escape_data(text: str) -> str:
    """The message part of a workflow command (GitHub's actions/toolkit ``escapeData``)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A ``key=value`` property of a workflow command (actions/toolkit ``escapeProperty``)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _github_path(path: str) -> str:
    """Annotations need the path relative to the repository root, the usual working directory."""
    if path == "-":
        return path
    absolute = os.path.abspath(path)
    try:
        relative = os.path.relpath(absolute, os.getcwd())
    except ValueError:
        return path
    if relative == ".." or relative.startswith(".." + os.sep):
        return absolute.replace(os.sep, "/")
    return relative.replace(os.sep, "/")


def render_github(diagnostics: List[Diagnostic]) -> str:
    lines = []
    for d in diagnostics:
        command = d.severity
        properties = ",".join(
            f"{key}={escape_property(str(value))}"
            for key, value in (
                ("file", _github_path(d.path)),
                ("line", d.row),
                ("col", d.col),
                ("endLine", d.end_row),
                ("endColumn", d.end_col),
                ("title", d.code),
            )
        )
        lines.append(f"::{command} {properties}::{escape_data(full_message(d))}")
    return "".join(line + "\n" for line in lines)


__all__ = [
    "FORMATS",
    "render",
    "sort_diagnostics",
    "summary",
    "diagnostic_to_json",
    "sarif_log",
    "escape_data",
    "escape_property",
]
