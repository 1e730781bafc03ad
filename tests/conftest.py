"""Shared set-up of the test suite.

Helpers shared by several test modules live in the ``support`` package (tests/support/). It is
importable as ``support`` because pytest puts the directory of this file, tests/ (which is not a
package), on ``sys.path`` before it imports any test module; no test module edits ``sys.path``
and none imports another test module.

The diagnostic cases are files under tests/cases/ (see tests/cases/README.md), checked by
tests/test_cases.py; they are model files, never collected as test modules.
"""

from __future__ import annotations

#: Model files and projects, not test modules, whatever their names.
collect_ignore_glob = ["cases/*", "models/*", "projects/*"]

from hypothesis import settings  # noqa: E402

# No per-example deadline anywhere: the machine is shared (CI runs beside other work), and a slow
# example is not a failure; budgets that matter are asserted in CPU time by the tests themselves.
settings.register_profile("shapelint", deadline=None)
settings.load_profile("shapelint")
