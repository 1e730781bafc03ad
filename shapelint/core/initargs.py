"""Constructor arguments a user gives explicitly: ``--init UNet=3, n_classes=2``, ``"UNet" =
"3, n_classes=2"`` in ``[tool.shapelint.init]``, ``# shapelint: init(3, n_classes=2)``.

The arguments are Python call-argument syntax with literal values only (what
``ast.literal_eval`` reads): the model is built with exactly them, as ``UNet(3, n_classes=2)``.
"""

from __future__ import annotations

import ast
import re
from typing import Any, Dict, List, NamedTuple, Optional, Tuple

from .shapespec import DeclarationError, _show

#: What a bad argument list is told to look like.
EXAMPLE = "3, n_classes=2"


class InitArgs(NamedTuple):
    """Literal constructor arguments (their ``repr`` is part of the runner's cache key)."""

    text: str  # as the user wrote it
    args: Tuple[Any, ...]
    kwargs: Tuple[Tuple[str, Any], ...]
    #: How messages name where they were given (``--init UNet``); empty for a pragma.
    origin: str = ""


def parse_init_args(text: str, origin: str = "") -> InitArgs:
    """``3, n_classes=2`` as arguments; a DeclarationError (one line) for anything but literal
    positional and keyword arguments."""
    if not isinstance(text, str):
        raise DeclarationError(f"expected call arguments such as {EXAMPLE!r}, not {type(text).__name__}")
    try:
        call = ast.parse(f"f({text}\n)", mode="eval").body
    except SyntaxError:
        raise DeclarationError(f"bad arguments {_show(text)}: expected Python call arguments such as {EXAMPLE}") \
            from None
    except (ValueError, RecursionError, MemoryError):
        raise DeclarationError(f"bad arguments {_show(text)}") from None
    if type(call) is not ast.Call or type(call.func) is not ast.Name or call.func.id != "f":
        # `1)(2` parses as `f(1)(2)`: not one argument list.
        raise DeclarationError(f"bad arguments {_show(text)}: expected Python call arguments such as {EXAMPLE}")
    args = tuple(_literal(node, text) for node in call.args)
    kwargs: List[Tuple[str, Any]] = []
    for keyword in call.keywords:
        if keyword.arg is None:
            raise DeclarationError(f"bad arguments {_show(text)}: '**' is not allowed, only literal values")
        if any(keyword.arg == name for name, _ in kwargs):
            raise DeclarationError(f"bad arguments {_show(text)}: keyword {keyword.arg!r} given twice")
        kwargs.append((keyword.arg, _literal(keyword.value, text)))
    return InitArgs(text.strip(), args, tuple(kwargs), origin)


def _literal(node: ast.expr, text: str) -> Any:
    if type(node) is ast.Starred:
        raise DeclarationError(f"bad arguments {_show(text)}: '*' is not allowed, only literal values")
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        shown = ast.get_source_segment(f"f({text}\n)", node) or ast.dump(node)
        raise DeclarationError(
            f"bad arguments {_show(text)}: {_show(shown, 40)} is not a literal (numbers, strings,"
            f" True/False/None, tuples, lists and dicts of them)") from None


_CLI_NAME = re.compile(r"^(?:[^=]+?::)?[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$")


def parse_cli_init(text: str) -> Tuple[str, InitArgs]:
    """``--init NAME=ARGS`` (NAME as in ``--input``: ``UNet``, ``net``, ``path.py::UNet``)."""
    if "=" not in text:
        raise DeclarationError(f"{_show(text)}: expected NAME=ARGS, e.g. UNet={EXAMPLE}")
    name, _, value = text.partition("=")
    name = name.strip()
    if not _CLI_NAME.match(name):
        raise DeclarationError(f"{_show(text)}: {_show(name)} is not a class or variable name (or path.py::Name)")
    return name, parse_init_args(value, f"--init {name}")


def find_init_call(body: str) -> Optional[int]:
    """The index just past the ``)`` closing the ``(`` at ``body[0]``, brackets inside strings
    ignored; None when it is not closed."""
    depth = 0
    quote = ""
    i, n = 0, len(body)
    while i < n:
        c = body[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = ""
        elif c in "'\"":
            quote = c
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return None


def interpreter_arguments(init: InitArgs) -> Tuple[List[Any], Dict[str, Any]]:
    """The arguments as the interpreter holds values, fresh for each build (a list the model
    appends to is its own): lists, tuples and dicts as themselves; a set, bytes or a complex
    number, which the interpreter does not follow, unknown."""
    return [_value(v) for v in init.args], {name: _value(v) for name, v in init.kwargs}


def _value(value: Any) -> Any:
    from ..core.layers import UNKNOWN

    if isinstance(value, list):
        return [_value(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_value(v) for v in value)
    if isinstance(value, dict):
        return {k: _value(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset, bytes, complex)):
        return UNKNOWN
    return value


def binding_problem(init: ast.FunctionDef, arguments: InitArgs) -> Optional[str]:
    """Why ``arguments`` do not bind to ``init``'s parameters after ``self``, in Python's words;
    None when they do."""
    spec = init.args
    positional = [p.arg for p in list(spec.posonlyargs) + list(spec.args)][1:]
    positional_only = {p.arg for p in spec.posonlyargs[1:]}
    required = positional[:max(0, len(positional) - len(spec.defaults))]
    given = len(arguments.args)
    if given > len(positional) and spec.vararg is None:
        return f"takes {len(positional)} positional argument{'s' if len(positional) != 1 else ''} but {given} were given"
    bound = set(positional[:given])
    keyword_only = {p.arg for p in spec.kwonlyargs}
    for name, _ in arguments.kwargs:
        if name in bound:
            return f"got multiple values for argument {name!r}"
        if (name in positional and name not in positional_only) or name in keyword_only:
            bound.add(name)
        elif spec.kwarg is None:
            return f"got an unexpected keyword argument {name!r}"
    required += [p.arg for p, default in zip(spec.kwonlyargs, spec.kw_defaults) if default is None]
    missing = [name for name in required if name not in bound]
    if missing:
        return f"missing a required argument: {missing[0]!r}"
    return None
