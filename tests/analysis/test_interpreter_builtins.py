"""The builtins the interpreter knows give what Python gives, and every name a scope resolves to a
builtin is one the interpreter runs (a name known but run by nobody would silently be unknown)."""

from __future__ import annotations

import ast
import math
from pathlib import Path

import pytest

from shapelint.analysis.collect import index_file
from shapelint.analysis.evaluate import Scope
from shapelint.analysis.interpreter.stdlib import BUILTIN_NAMES
from shapelint.analysis.propagate import Propagator

#: One call of each builtin, written so that real Python evaluates it to a plain value.
CALLS = {
    "len": "len('abc')",
    "int": "int('7')",
    "float": "float('2.5')",
    "min": "min(3, 1, 2)",
    "max": "max([1, 5, 2])",
    "list": "list('ab')",
    "tuple": "tuple([1, 2])",
    "reversed": "list(reversed([1, 2, 3]))",
    "sorted": "sorted([3, 1, 2], reverse=True)",
    "range": "list(range(1, 7, 2))",
    "zip": "list(zip([1, 2], 'ab'))",
    "enumerate": "list(enumerate('ab', 3))",
    "sum": "sum([1, 2, 3], 10)",
    "bool": "bool([])",
    "str": "str(4.5)",
    "dict": "dict([('a', 1)], b=2)",
    "any": "any([0, '', 3])",
    "all": "all([1, 'x', ()])",
    "abs": "abs(-4)",
    "round": "round(2.5)",
    "divmod": "divmod(17, 5)",
    "pow": "pow(2, 10)",
    "print": "print()",
    "isinstance": "isinstance(True, (str, int))",
    "issubclass": "issubclass(Wide, (Holder, Narrow))",
    "hasattr": "hasattr('ab', 'upper')",
    "getattr": "getattr(math, 'pi')",
    "setattr": "setattr(Holder(), 'size', 3)",
    "map": "list(map(abs, [-1, 2, -3]))",
    "super": "Wide().width()",
    "vars": "vars(Holder())",
    "open": "open('pyproject.toml').read()",  # from the project's root (the test's directory)
}

#: Python runs it for the expected values (torch for ``super``, which needs a module class).
SOURCE = """\
import math

from torch import nn


class Holder:
    pass


class Narrow(nn.Module):
    def width(self):
        return 3


class Wide(Narrow):
    def width(self):
        return super().width() + 1
"""


def interpreted(expression: str):
    module = ast.parse(SOURCE)
    propagator = Propagator(index_file(module))
    scope = Scope(propagator.globals, propagator.globals)
    for statement in module.body:
        if not isinstance(statement, ast.ClassDef):  # the file's classes are in the index already
            propagator.exec_statement(statement, scope)
    return propagator.eval(ast.parse(expression, mode="eval").body, Scope(propagator.globals))


def test_every_builtin_name_has_a_case():
    assert set(CALLS) == BUILTIN_NAMES


@pytest.mark.parametrize("name", sorted(CALLS))
def test_a_builtin_gives_what_python_gives(name, capsys, monkeypatch):  # capsys: what print() writes
    monkeypatch.chdir(Path(__file__).resolve().parents[2])  # open() reads the project's files
    expression = CALLS[name]
    namespace = {"math": math}
    exec(SOURCE, namespace)
    assert interpreted(expression) == eval(expression, namespace)
