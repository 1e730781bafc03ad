"""Look-ups in installed packages, whose ``__init__`` is not run (``installed.py`` says why):
which module defines a name a package passes on, found from the statements that bind it, so
that only that module is read whole. A mixin of ``project.Project``, which reads and loads.
"""

from __future__ import annotations

import ast
import builtins
import os
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Set, Tuple

from . import installed

if TYPE_CHECKING:
    from .project import SourceModule

#: How many re-exports a look-up follows (``from .x import *`` of a ``from .y import *`` ...).
MAX_REEXPORTS = 8

_BUILTIN_NAMES = frozenset(dir(builtins))


def init_of(directory: str) -> str:
    return os.path.join(directory, "__init__.py")


def relative_base(importer_path: str, level: int) -> str:
    """The directory ``from .`` (``level`` 1), ``from ..`` (2), ... of a module names."""
    base = os.path.dirname(importer_path)
    for _ in range(level - 1):
        base = os.path.dirname(base)
    return base


def is_stub(module: Any) -> bool:
    """An installed package whose ``__init__`` is not run (``Project._stub``)."""
    return module.installed and module.index is None


def _module(value: Any) -> bool:
    """A look-up's answer that is a module (the others: a (module, name) pair, or None)."""
    return value is not None and not isinstance(value, tuple)


class PackageLookup:
    """The look-up half of ``project.Project``: it needs ``files``, ``roots``, ``_load``,
    ``_load_file``, ``_installed`` and the per-analysis ``_peeked``, ``_chain_cache`` and
    ``_bytes_parsed`` of its subclass."""

    def _demand(self, module: SourceModule, tree: Optional[ast.Module], name: str) -> None:
        """Look up in an installed package what the importing module reads of it through
        ``name`` (``name.models.resnet18``): only those modules of the package are read."""
        if not is_stub(module) or tree is None:
            return
        for chain in self._chains(tree).get(name, ()):
            current = module
            for part in chain:
                if not is_stub(current):
                    break  # a module read whole: its globals answer
                found = self._look_up(current.path, part)
                if _module(found):
                    current.children[part] = found
                    current = found
                    continue
                if found is not None:
                    current.lazy[part] = found
                break

    def _chains(self, tree: ast.Module) -> Dict[str, Set[Tuple[str, ...]]]:
        if tree not in self._chain_cache:  # syntax trees hash by identity
            self._chain_cache[tree] = installed.attribute_chains(tree)
        return self._chain_cache[tree]

    def _star_names(self, path: str, tree: Optional[ast.Module]) -> List[str]:
        """The names ``from <module at path> import *`` binds that the importing module reads."""
        if tree is None:
            return []
        used = installed.names_read(tree)
        exports = self._exports_at(path, 0)
        if exports is None:  # what the star binds cannot be told: whatever it may bind is unknown
            return sorted(name for name in used if name not in _BUILTIN_NAMES)
        return sorted(used & exports)

    def _look_up(self, path: str, name: str, depth: int = 0, seen: Tuple[str, ...] = ()):
        """``module.name`` of an installed package's module (a file, or a package directory whose
        ``__init__`` is not run): the submodule it is, or (the module that defines it, its name
        there), found by following the statements that bind it; None when they cannot be
        followed. Only the defining module is read whole."""
        if depth > MAX_REEXPORTS:
            return None
        package = os.path.isdir(path)
        source = init_of(path) if package else path
        key = f"{source}:{name}"
        if key in seen:  # ``from torchvision import models`` in torchvision's own ``__init__``
            return self._submodule(path, name) if package else None
        seen += (key,)
        tree = self._peek(source)
        statement = installed.binding_of(tree, name, lambda star: self._exports_at(self._source_path(star, source),
                                                                                     depth + 1)) \
            if tree is not None else None
        if statement is None:
            if not package or tree is not None and installed.defines_getattr(tree):
                return None
            return self._submodule(path, name)  # ``from torchvision import models``
        if type(statement) is ast.ImportFrom:
            imported = self._source_path(statement, source)
            if imported is None:
                return None
            original = next((alias.name for alias in statement.names if (alias.asname or alias.name) == name), name)
            return self._look_up(imported, original, depth + 1, seen)
        if type(statement) is ast.Import:
            return None  # ``import a.b as name`` at a package's top level: rare, left unknown
        module = self._load_file(source, self._dotted(path))  # the module defines it itself
        return (module, name) if module is not None else None

    def _submodule(self, directory: str, name: str) -> Optional[SourceModule]:
        found = self.files.module_path(directory, name)
        return self._load(found, self._dotted(found)) if found is not None else None

    def _exports_at(self, path: Optional[str], depth: int) -> Optional[Set[str]]:
        """What ``from <the module at path> import *`` binds, read from its text alone (the
        module is not loaded: a look-up passes over many star imports); None when unknown."""
        if path is None or depth > MAX_REEXPORTS:
            return None
        source = init_of(path) if os.path.isdir(path) else path
        tree = self._peek(source)
        if tree is None:
            return None
        names = installed.literal_all(tree)
        if names is not None:
            return names
        names, stars = installed.public_names(tree)
        for star in stars:
            more = self._exports_at(self._source_path(star, source), depth + 1)
            if more is None:
                return None
            names |= more
        return names

    def _source_path(self, node: ast.ImportFrom, importer_path: str) -> Optional[str]:
        """The file or package directory ``from X import ...`` names, found without loading."""
        parts = node.module.split(".") if node.module else []
        if node.level:
            directory = relative_base(importer_path, node.level)
        else:
            if not parts:
                return None
            directory = self._absolute_base(parts[0])
            if directory is None:
                return None
        found: Optional[str] = directory
        for part in parts:
            found = self.files.module_path(directory, part)
            if found is None:
                return None
            directory = found
        return found

    def _absolute_base(self, top: str) -> Optional[str]:
        """Where ``import top`` finds ``top``: the first root of the project that has it, else
        the directory of a followed installed package; None when neither does."""
        for root in self.roots:
            if self.files.module_path(root, top) is not None:
                return root
        return self.files.installed_directory(top)

    def _peek(self, path: str) -> Optional[ast.Module]:
        """A file's tree, read (once per run) and counted against this analysis's budget."""
        if path in self._peeked:
            return self._peeked[path]
        if not os.path.isfile(path) or self._past_byte_budget():
            return None
        found = self.files.read(path)
        self._bytes_parsed += len(found.text or "")
        self._peeked[path] = found.tree
        return found.tree

    def _dotted(self, path: str) -> str:
        """An installed module's dotted name (``torchvision.models.resnet``)."""
        directory = self.files.installed_under(path)
        relative = os.path.relpath(path, directory) if directory is not None else os.path.basename(path)
        relative = relative[: -len(".py")] if relative.endswith(".py") else relative
        parts = relative.split(os.sep)
        return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)

