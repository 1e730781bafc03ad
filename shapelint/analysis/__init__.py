"""The analysis layer: from a Python file to diagnostics and the shapes of its models.

``analyze_source`` / ``analyze_file`` run everything (``analyze.py``: plan, run, report);
``mentions_layers`` is a cheap pre-filter.

Only the pre-filter is loaded with the package: the engine (~0.08 s of imports) is loaded
the first time ``analyze_source`` or ``analyze_file`` is looked up, so a run over files
without torch layers, and flake8 on such files, never imports it.
"""

from __future__ import annotations

from typing import Any

from .prefilter import mentions_layers

__all__ = ["analyze_file", "analyze_source", "mentions_layers"]

_LAZY = frozenset({"analyze_file", "analyze_source"})


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from . import analyze

        value = getattr(analyze, name)
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | _LAZY)
