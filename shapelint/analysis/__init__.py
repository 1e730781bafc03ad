"""The analysis layer: from a Python file to diagnostics and the shapes of its models.

``analyze_source`` / ``analyze_file`` run everything (collection, constant evaluation,
declarations, shape propagation, suggestions); ``mentions_layers`` is a cheap pre-filter.
"""

from __future__ import annotations

from .analyze import analyze_file, analyze_source, mentions_layers

__all__ = ["analyze_file", "analyze_source", "mentions_layers"]
