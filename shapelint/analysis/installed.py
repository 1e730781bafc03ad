"""Installed packages, found and read without importing them (``project.py`` follows them).

A model may take a part from an installed package (``torchvision.models.resnet18()`` as a
backbone, a block of a model library). Such a package is found on the ``sys.path`` of the Python
that runs shapelint, by its files alone: nothing of it is imported (importing torch, which every
such package does, costs seconds). Only a package whose distribution requires torch is followed:
the others (NumPy, Pillow, ...) define no layer, and reading them would cost every analysis that
imports them.

A package is read on demand: its ``__init__`` is not run, and a name taken from it is looked up
in the statements that bind it (``from .resnet import *``, ``from .blocks import Block``), so
only the modules that define what the model uses are read (``torchvision.models`` re-exports
some twenty model families). What the look-up cannot settle stays unknown.

Everything here works on syntax trees and file names; ``project.py`` does the reading.
"""

from __future__ import annotations

import ast
import os
import re
import sys
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

#: Longest attribute chain kept from an importing module (``a.b.c.d.e.f``).
MAX_CHAIN = 6

_REQUIRES_TORCH = re.compile(r"^Requires-Dist:\s*torch(?![\w.-])", re.MULTILINE | re.IGNORECASE)


def search_directories(entries: Sequence[str], working_directory: str) -> List[str]:
    """The directories of ``sys.path`` where installed packages may be: existing directories,
    not the working directory (``''``; the project's own files are found from its root)."""
    found: List[str] = []
    here = os.path.normcase(os.path.abspath(working_directory))
    for entry in entries:
        if not entry or not isinstance(entry, str):
            continue
        path = os.path.abspath(entry)
        if os.path.normcase(path) == here or not os.path.isdir(path) or path in found:
            continue
        found.append(path)
    return found


def is_standard_library(name: str) -> bool:
    """Whether a top-level module name is the standard library's (never read: the interpreter
    knows what it needs of it)."""
    names = getattr(sys, "stdlib_module_names", None)  # Python 3.10+
    return name in names if names is not None else name in sys.builtin_module_names


def requires_torch(directory: str, name: str) -> bool:
    """Whether the package ``name`` in ``directory`` belongs to a distribution that requires
    torch (by its ``*.dist-info`` metadata: its name, else its ``top_level.txt``)."""
    try:
        entries = os.listdir(directory)
    except OSError:
        return False
    infos = [entry for entry in entries if entry.endswith(".dist-info")]
    wanted = _normalized(name)
    named = [info for info in infos if _normalized(info[: -len(".dist-info")].split("-")[0]) == wanted]
    for info in named or [info for info in infos if name in _top_level(os.path.join(directory, info))]:
        metadata = _read_text(os.path.join(directory, info, "METADATA"))
        if metadata is not None and _REQUIRES_TORCH.search(_without_extras(metadata)):
            return True
    return False


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _top_level(info: str) -> Set[str]:
    text = _read_text(os.path.join(info, "top_level.txt"))
    return {line.strip() for line in text.splitlines()} if text else set()


def _without_extras(metadata: str) -> str:
    """METADATA less the requirements of optional extras (``; extra == "dev"``)."""
    return "\n".join(line for line in metadata.splitlines()
                     if not (line.startswith("Requires-Dist") and "extra ==" in line))


def _read_text(path: str, limit: int = 200_000) -> Optional[str]:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read(limit)
    except OSError:
        return None


# --------------------------------------------------------------------------------------------
# What a module uses of the names it imports


def attribute_chains(tree: ast.Module) -> Dict[str, Set[Tuple[str, ...]]]:
    """For each name the module reads, the attribute chains it reads from it
    (``torchvision.models.resnet18(...)`` -> ``{"torchvision": {("models", "resnet18")}}``)."""
    chains: Dict[str, Set[Tuple[str, ...]]] = {}
    for node in ast.walk(tree):
        if type(node) is not ast.Attribute or type(node.ctx) is not ast.Load:
            continue
        parts: List[str] = []
        current: ast.expr = node
        while type(current) is ast.Attribute:
            parts.append(current.attr)
            current = current.value
        if type(current) is ast.Name:
            chains.setdefault(current.id, set()).add(tuple(reversed(parts))[:MAX_CHAIN])
    return chains


def names_read(tree: ast.Module) -> Set[str]:
    """Every name the module reads (what a star import of a package needs to bind)."""
    return {node.id for node in ast.walk(tree) if type(node) is ast.Name and type(node.ctx) is ast.Load}


# --------------------------------------------------------------------------------------------
# Where a module binds a name


def top_level(tree: ast.Module) -> Iterable[ast.stmt]:
    """The statements of the module's top level, the body of a ``try`` included (as
    ``collect.index_file`` binds them)."""
    for statement in tree.body:
        if type(statement) is ast.Try:
            yield from statement.body
        else:
            yield statement


def binding_of(tree: ast.Module, name: str, exports_of) -> Optional[ast.stmt]:
    """The last top-level statement that binds ``name`` (the one whose value the module keeps),
    or None. ``exports_of(statement)`` gives what a star import binds (None: cannot tell, and
    then the name cannot be placed: that statement is returned and resolves to unknown)."""
    for statement in reversed(list(top_level(tree))):
        if name in bound_names(statement):
            return statement
        if _is_star(statement):
            exports = exports_of(statement)
            if exports is None or name in exports:
                return statement
    return None


def bound_names(statement: ast.stmt) -> Set[str]:
    """The names a top-level statement binds (not a star import's)."""
    kind = type(statement)
    if kind in (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef):
        return {statement.name}
    if kind is ast.Import:
        return {alias.asname or alias.name.split(".")[0] for alias in statement.names}
    if kind is ast.ImportFrom:
        return {alias.asname or alias.name for alias in statement.names if alias.name != "*"}
    if kind is ast.Assign:
        return {name for target in statement.targets for name in _target_names(target)}
    if kind in (ast.AnnAssign, ast.AugAssign) and statement.value is not None:
        return _target_names(statement.target)
    if kind in (ast.For, ast.With, ast.If, ast.While):
        # A name bound inside: a loop variable or a branch's value (the module defines it).
        return {node.id for node in ast.walk(statement) if type(node) is ast.Name and type(node.ctx) is ast.Store}
    return set()


def _target_names(target: ast.expr) -> Set[str]:
    return {node.id for node in ast.walk(target) if type(node) is ast.Name and type(node.ctx) is ast.Store}


def _is_star(statement: ast.stmt) -> bool:
    return type(statement) is ast.ImportFrom and len(statement.names) == 1 and statement.names[0].name == "*"


def literal_all(tree: ast.Module) -> Optional[Set[str]]:
    """``__all__`` when the module assigns it a literal list or tuple of strings (and never
    changes it), else None."""
    found: Optional[Set[str]] = None
    for statement in top_level(tree):
        if "__all__" not in bound_names(statement):
            continue
        value = getattr(statement, "value", None)
        if type(statement) is not ast.Assign or type(value) not in (ast.List, ast.Tuple):
            return None
        names = [element.value for element in value.elts
                 if type(element) is ast.Constant and type(element.value) is str]
        if len(names) != len(value.elts):
            return None
        found = set(names)
    return found


def public_names(tree: ast.Module) -> Tuple[Set[str], List[ast.ImportFrom]]:
    """What ``from module import *`` binds when it has no ``__all__``: the public names its top
    level binds, and the star imports whose names it passes on."""
    names: Set[str] = set()
    stars: List[ast.ImportFrom] = []
    for statement in top_level(tree):
        if _is_star(statement):
            stars.append(statement)
        names.update(n for n in bound_names(statement) if not n.startswith("_"))
    return names, stars


def defines_getattr(tree: ast.Module) -> bool:
    """Whether the module has a ``__getattr__`` (PEP 562): any name may then come from it."""
    return any(type(s) is ast.FunctionDef and s.name == "__getattr__" for s in top_level(tree))
