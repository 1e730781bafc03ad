"""The project around the analysed file: its own modules, read and never imported.

An import of one of the project's modules (relative, or absolute and found under one of the
project's roots) binds the names it imports to what that file defines: its classes and functions
at once (so base classes and blocks of other files are understood), and the values its top level
computes once each module has run, dependencies first (constants, sizes). Imports of anything
else (torch, the standard library, installed packages) are left to ``collect.bind_import``.

Work is bounded: at most ``MAX_PROJECT_FILES`` files of at most ``MAX_FILE_BYTES`` each are read
per analysis; a file that cannot be read or parsed, or one past the budget, leaves what it would
define unknown. ``ProjectFiles`` keeps the parsed files of one run (a ``check`` of many files, the
re-analyses that check fixes), keyed by size and modification time.
"""

from __future__ import annotations

import ast
import hashlib
import os
import sys
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Sequence, Set, Tuple

from ..core.layers import UNKNOWN
from ..core.results import Dependency
from ..core.text import decode_as, source_encoding
from . import installed
from .package_lookup import PackageLookup, is_stub, relative_base
from .collect import FileIndex, bind_import, has_own_semantics, index_file
from .positions import Positions
from .values import BuiltinRef, ClassRef, ExternalRef, FunctionRef, ModuleRef, Symbol, TorchRef

#: Files of the project read for one analysis, past which imports are left unknown.
MAX_PROJECT_FILES = 32
#: Larger files are not read (a generated file, a data dump named ``.py``).
MAX_FILE_BYTES = 1_000_000
#: Source read and parsed anew per analysis, past which imports are left unknown (memory: a
#: tree takes some 10-20 times its text, and a library's modules can be long).
MAX_PROJECT_BYTES = 1_500_000

_ROOT_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", ".git")

#: The key of a module's globals that names the module itself (dunder: never star-exported).
SOURCE_KEY = "__shapelint_source__"

#: Writes what an import binds into the importing module's final globals, once the imported
#: module's top level has run.
Rebind = Callable[[Dict[str, Any]], None]


@dataclass(eq=False)
class SourceModule:
    """One module of the project: its file, what it defines, and its globals once run."""

    name: str
    path: str
    #: The path as diagnostics name it (relative to the analysed file's directory).
    display: str
    text: str = ""
    index: Optional[FileIndex] = None
    globals: Dict[str, Any] = field(default_factory=dict)
    #: Submodules imported through it (``import pkg.blocks`` makes ``pkg.blocks`` an attribute).
    children: Dict[str, "SourceModule"] = field(default_factory=dict)
    rebinds: List[Rebind] = field(default_factory=list)
    executed: bool = False
    #: SHA-256 of the bytes read ("" for a package directory, or a file that could not be read),
    #: and the file's size and modification time before the read.
    digest: str = ""
    stamp: Tuple[int, int] = (0, 0)
    #: What its indexing has bound so far (what an import cycle back into it sees).
    partial: Dict[str, Any] = field(default_factory=dict)
    #: The modules its imports loaded, and whether every budget let it be read and run whole
    #: (only then may the next analyses of the run reuse it: ``ProjectFiles.share``).
    imports: List["SourceModule"] = field(default_factory=list)
    complete: bool = True
    #: A module of an installed package (read on demand: ``installed.py``).
    installed: bool = False
    #: Of an installed package whose ``__init__`` is not run: the names looked up in it so far,
    #: each with the module that defines it and its name there.
    lazy: Dict[str, Tuple["SourceModule", str]] = field(default_factory=dict)

    def defined(self) -> Dict[str, Any]:
        """Its names as indexing bound them (so far, inside an import cycle)."""
        return self.index.scope if self.index is not None else self.partial

    def member(self, name: str) -> Any:
        """``module.name``: a global of the module, else a submodule, else a name looked up
        in an installed package, else unknown."""
        if name in self.globals:
            return self.globals[name]
        child = self.children.get(name)
        if child is not None:
            return ModuleRef(child)
        found = self.lazy.get(name)
        return found[0].member(found[1]) if found is not None else UNKNOWN

    def exported(self) -> Dict[str, Any]:
        """What ``from module import *`` binds: ``__all__`` when it is a literal list of names,
        else every name not starting with an underscore."""
        names = self.globals.get("__all__")
        if isinstance(names, (list, tuple)) and all(isinstance(n, str) for n in names):
            return {name: self.member(name) for name in names}
        return {name: value for name, value in self.globals.items() if not name.startswith("_")}


#: Source a ``ProjectFiles`` keeps parsed, and keeps run, in bytes of text: a worker checking a
#: big repository must not hold every tree of it (a tree takes some 10-20 times its text).
MAX_KEPT_BYTES = 2_000_000


class ProjectFiles:
    """Parsed files of the project for one run, each read once while it is unchanged."""

    def __init__(self, search_path: Optional[Sequence[str]] = None,
                 overlay: Optional[Callable[[str], Optional[str]]] = None) -> None:
        #: Where installed packages are looked for: ``sys.path`` as the run starts.
        self._search = installed.search_directories(sys.path if search_path is None else search_path, os.getcwd())
        #: Top-level name -> the directory of ``_search`` that holds it, when it is followed.
        self._packages: Dict[str, Optional[str]] = {}
        #: The text of a file as an editor holds it (None: not open there; read the disk): the
        #: language server's open buffers, read before the disk.
        self.overlay = overlay
        self._read: Dict[str, Tuple[Tuple[int, int], _ReadFile]] = {}
        #: (directory, name) -> the module file or package there (``module_path``).
        self._found: Dict[Tuple[str, str], Optional[str]] = {}
        #: Modules read and run whole whose globals hold only values no analysis can change:
        #: the next analyses reuse them instead of running their top levels again.
        self._shared: Dict[str, SourceModule] = {}
        #: The modules the kept ones keep alive (themselves and what they import), and their text.
        self._held: Set[str] = set()
        self._held_bytes = 0

    def share(self, module: SourceModule) -> None:
        """Keep ``module`` for the next analyses. A kept module keeps the modules it imports
        alive too: when all of them together pass ``MAX_KEPT_BYTES`` of text, all are let go
        (the next analyses read and run them again)."""
        stack = [module]
        while stack:
            current = stack.pop()
            if current.path in self._held:
                continue
            self._held.add(current.path)
            self._held_bytes += len(current.text)
            stack.extend(current.imports)
            stack.extend(current.children.values())
        if self._held_bytes > MAX_KEPT_BYTES:
            self._shared.clear()
            self._held.clear()
            self._held_bytes = 0
            return
        self._shared[module.path] = module

    def shared(self, path: str) -> Optional[SourceModule]:
        """The module at ``path`` as an earlier analysis left it, while the file is unchanged."""
        module = self._shared.get(path)
        if module is None or not os.path.isfile(path) or self.read(path).digest != module.digest:
            return None
        self._shared[path] = self._shared.pop(path)  # the most recently used last
        return module

    def module_path(self, directory: str, name: str) -> Optional[str]:
        """``directory/name.py``, or the package ``directory/name/``; None when neither
        exists (asked once per run: every analysis of a project asks the same)."""
        key = (directory, name)
        if key not in self._found:
            self._found[key] = _module_path(directory, name)
        return self._found[key]

    def installed_directory(self, name: str) -> Optional[str]:
        """The directory of ``sys.path`` from which Python would import the top-level package
        ``name``, when shapelint follows it (``installed.py``: not the standard library, not
        a module the analysis models itself, and of a distribution that requires torch)."""
        if name not in self._packages:
            self._packages[name] = self._find_installed(name)
        return self._packages[name]

    def _find_installed(self, name: str) -> Optional[str]:
        if not name.isidentifier() or has_own_semantics(name) or installed.is_standard_library(name):
            return None
        for directory in self._search:
            if self.module_path(directory, name) is not None:  # the first is what Python imports
                return directory if installed.requires_torch(directory, name) else None
        return None

    def nowhere(self, name: str) -> bool:
        """Whether the top-level module ``name`` is neither known to the analysis nor anywhere on
        ``sys.path`` (a module of the project that does not exist, yet)."""
        if not name.isidentifier() or has_own_semantics(name) or installed.is_standard_library(name):
            return False
        return all(self.module_path(directory, name) is None for directory in self._search)

    def installed_under(self, path: str) -> Optional[str]:
        """The directory of the followed installed packages that ``path`` is in, or None."""
        for directory in self._packages.values():
            if directory is not None and path.startswith(directory + os.sep):
                return directory
        return None

    def read(self, path: str) -> "_ReadFile":
        """The file's digest, text and tree (text and tree None when it cannot be read,
        decoded or parsed; the digest "" when it cannot be read)."""
        text = self.overlay(path) if self.overlay is not None else None
        if text is not None:
            return self._read_buffer(path, text)
        try:
            status = os.stat(path)
        except OSError:
            return _ReadFile("", None, None)
        stamp = (status.st_size, status.st_mtime_ns)
        known = self._read.get(path)
        if known is not None and known[0] == stamp:
            self._read[path] = self._read.pop(path)  # the most recently used last
            return known[1]
        found = _read_and_parse(path, status.st_size)._replace(stamp=stamp)
        self._read.pop(path, None)
        self._read[path] = (stamp, found)
        _keep_within(self._read, lambda kept: len(kept[1].text or ""))
        return found

    def _read_buffer(self, path: str, text: str) -> "_ReadFile":
        """``read`` of a file open in an editor: its buffer's text, parsed once per content (the
        stamp, which stands for the disk's size and time, is the text's length and 0)."""
        data = text.encode("utf-8", "surrogatepass")
        stamp = (-len(data), hash(text))  # never a disk stamp: an edit or a save is a new read
        known = self._read.get(path)
        if known is not None and known[0] == stamp and known[1].text == text:
            return known[1]
        found = _read_and_parse_text(data, text)._replace(stamp=(len(data), 0))
        self._read.pop(path, None)
        self._read[path] = (stamp, found)
        _keep_within(self._read, lambda kept: len(kept[1].text or ""))
        return found


def _keep_within(kept: Dict[str, Any], size: Callable[[Any], int]) -> None:
    """Drop the oldest entries until the text they hold is within ``MAX_KEPT_BYTES`` (the newest
    one always stays)."""
    total = sum(size(value) for value in kept.values())
    while total > MAX_KEPT_BYTES and len(kept) > 1:
        oldest = next(iter(kept))
        total -= size(kept.pop(oldest))


class _ReadFile(NamedTuple):
    digest: str
    text: Optional[str]
    tree: Optional[ast.Module]
    #: Size and modification time, looked at before the read.
    stamp: Tuple[int, int] = (0, 0)


def _read_and_parse(path: str, size: int) -> _ReadFile:
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError:
        return _ReadFile("", None, None)
    digest = hashlib.sha256(data).hexdigest()
    if size > MAX_FILE_BYTES or len(data) > MAX_FILE_BYTES:
        return _ReadFile(digest, None, None)
    try:
        text = decode_as(data, source_encoding(data))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text)
    except (SyntaxError, ValueError, UnicodeDecodeError, LookupError, RecursionError, MemoryError):
        return _ReadFile(digest, None, None)
    return _ReadFile(digest, text, tree)


def _read_and_parse_text(data: bytes, text: str) -> _ReadFile:
    """An editor's buffer as ``_read_and_parse`` reads a file (its text already decoded)."""
    digest = hashlib.sha256(data).hexdigest()
    if len(data) > MAX_FILE_BYTES:
        return _ReadFile(digest, None, None)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return _ReadFile(digest, None, None)
    return _ReadFile(digest, text, tree)


def find_root(directory: str) -> str:
    """The nearest directory at or above ``directory`` with a project marker; else
    ``directory`` itself (a script's own directory is where Python looks first)."""
    current = directory
    while True:
        if any(os.path.exists(os.path.join(current, marker)) for marker in _ROOT_MARKERS):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return directory
        current = parent


class Project(PackageLookup):
    """The project modules one analysis reads, from the file at ``path`` (the look-ups in
    installed packages: ``PackageLookup``)."""

    def __init__(self, path: str, files: Optional[ProjectFiles] = None) -> None:
        self.files = files if files is not None else ProjectFiles()
        self.origin = os.path.abspath(path)
        self.directory = os.path.dirname(self.origin)
        self.root = find_root(self.directory)
        roots = [self.directory, self.root, os.path.join(self.root, "src")]
        self.roots = [r for i, r in enumerate(roots) if r not in roots[:i] and os.path.isdir(r)]
        self.modules: Dict[str, SourceModule] = {}
        #: Modules whose index is complete, dependencies first: the order their top levels run.
        self.order: List[SourceModule] = []
        #: What the analysed file's own imports bind once the modules have run.
        self.home_rebinds: List[Rebind] = []
        #: The configuration files the code read (JSON, YAML, TOML: ``interpreter/configs.py``).
        self.config_files: List[str] = []
        #: The modules being indexed, innermost last (whose import loads what).
        self._loading: List[SourceModule] = []
        #: Text of the modules this analysis parsed or took parsed (not those it reused run).
        self._bytes_parsed = 0
        #: The analysed file's import sources that are project modules (``.blocks``, ``models``).
        self.home_sources: Set[str] = set()
        #: Where modules imported by the project's code would be, had they existed.
        self.missing: Set[str] = set()
        #: Per syntax tree, what it reads of the names it imports.
        self._chain_cache: Dict[ast.Module, Dict[str, Set[Tuple[str, ...]]]] = {}
        #: Files of installed packages read for a look-up, not loaded (their trees).
        self._peeked: Dict[str, Optional[ast.Module]] = {}

    # ----------------------------------------------------------------- what was read

    def files_read(self) -> List[Dependency]:
        """Every project file this analysis read, with the digest of its bytes (the cache of
        results is keyed by them)."""
        read = [Dependency(module.path, module.digest, *module.stamp)
                for module in self.modules.values() if module.digest and not is_stub(module)]
        # A module imported but absent: creating it changes the result.
        read.extend(Dependency(path, ABSENT, -1, -1) for path in sorted(self.missing))
        for path in self._peeked:
            found = self.files.read(path)
            if found.digest:
                read.append(Dependency(path, found.digest, *found.stamp))
        for path in self.config_files:
            found = _dependency(os.path.abspath(path))
            if found is not None:
                read.append(found)
        return read

    # ----------------------------------------------------------------- binding imports

    def importer(self, tree: Optional[ast.Module] = None) -> Callable[[ast.stmt, Dict[str, Any]], bool]:
        """The import binder of the analysed file (``collect.index_file``'s ``importer``);
        ``tree`` is that file's, read for what it uses of installed packages."""
        return lambda statement, scope: self._bind(statement, scope, self.origin, self.home_rebinds, tree)

    def bind_now(self, statement: ast.stmt, scope: Dict[str, Any]) -> bool:
        """Bind an import met after the modules ran (``from models import Net`` inside a
        function) to their final values; False when it imports nothing of the project."""
        rebinds: List[Rebind] = []
        if not self._bind(statement, scope, self.origin, rebinds, None):
            return False
        for module in list(self.order):  # modules it loaded only now have not run: unknown
            if not module.executed:
                module.executed, module.complete = True, False
                module.globals = {SOURCE_KEY: module}
        for rebind in rebinds:
            rebind(scope)
        return True

    def _module_importer(self, module: SourceModule, tree: ast.Module) -> Callable[[ast.stmt, Dict[str, Any]], bool]:
        return lambda statement, scope: self._bind(statement, scope, module.path, module.rebinds, tree)

    def _bind(self, statement: ast.stmt, scope: Dict[str, Any], importer_path: str,
              rebinds: List[Rebind], tree: Optional[ast.Module]) -> bool:
        if type(statement) is ast.ImportFrom:
            return self._bind_from(statement, scope, importer_path, rebinds, tree)
        return self._bind_import(statement, scope, rebinds, importer_path == self.origin, tree)

    def _bind_from(self, node: ast.ImportFrom, scope: Dict[str, Any], importer_path: str,
                   rebinds: List[Rebind], tree: Optional[ast.Module]) -> bool:
        path = self._source_path(node, importer_path)
        if path is not None and self._installed(path):
            self._bind_installed(path, node, scope, rebinds, tree)
            return True
        source = self._import_source(node, importer_path)
        if not source:
            return False
        if importer_path == self.origin:
            self.home_sources.add("." * node.level + (node.module or ""))
        module = source[-1]
        if len(node.names) == 1 and node.names[0].name == "*":
            _bind_star(module, scope, rebinds)
            return True
        for alias in node.names:
            target = alias.asname or alias.name
            child = self._load_child(module, alias.name)
            if child is not None:
                scope[target] = ModuleRef(child)
                self._demand(child, tree, target)
            else:
                scope[target] = module.defined().get(alias.name, UNKNOWN)
            rebinds.append(_rebind_member(target, module, alias.name))
        return True

    def _import_source(self, node: ast.ImportFrom, importer_path: str) -> List[SourceModule]:
        """The chain of modules ``from X import ...`` names (``X`` relative to the importer)."""
        parts = node.module.split(".") if node.module else []
        if not node.level:
            return self._load_absolute(parts)
        return self._load_chain(relative_base(importer_path, node.level), parts)

    def _bind_import(self, node: ast.Import, scope: Dict[str, Any], rebinds: List[Rebind], home: bool,
                     tree: Optional[ast.Module]) -> bool:
        others: List[ast.alias] = []
        for alias in node.names:
            chain = self._load_absolute(alias.name.split("."))
            if not chain:
                others.append(alias)
            elif alias.asname is not None:
                scope[alias.asname] = ModuleRef(chain[-1])
                self._demand(chain[-1], tree, alias.asname)
            else:
                head = alias.name.split(".")[0]
                scope[head] = ModuleRef(chain[0])
                self._demand(chain[0], tree, head)
            if chain and home:
                self.home_sources.add(alias.name)
        if others:
            bind_import(ast.Import(names=others), scope)
        return True

    # ----------------------------------------------------------------- installed packages

    def _bind_installed(self, path: str, node: ast.ImportFrom, scope: Dict[str, Any], rebinds: List[Rebind],
                        tree: Optional[ast.Module]) -> None:
        """``from X import ...`` of an installed package's module at ``path``: each name the
        importer takes is looked up where it is defined, and only that module is read whole."""
        if len(node.names) == 1 and node.names[0].name == "*":
            names = [(name, name) for name in self._star_names(path, tree)]
        else:
            names = [(alias.name, alias.asname or alias.name) for alias in node.names]
        for name, target in names:
            found = self._look_up(path, name)
            if isinstance(found, SourceModule):
                scope[target] = ModuleRef(found)
                self._demand(found, tree, target)
            elif found is not None:
                module, attribute = found
                scope[target] = module.defined().get(attribute, UNKNOWN)
                rebinds.append(_rebind_member(target, module, attribute))
            else:
                scope[target] = UNKNOWN

    def _stub(self, directory: str) -> SourceModule:
        """An installed package whose ``__init__`` is not run: its names are looked up on
        demand (``_look_up``). Never reused by later analyses (what it looked up grows)."""
        stub = SourceModule(self._dotted(directory), directory, self._display(directory), installed=True)
        stub.executed, stub.complete = True, False
        stub.globals[SOURCE_KEY] = stub
        self.modules[directory] = stub
        return stub

    # ----------------------------------------------------------------- finding files

    def _load_absolute(self, parts: List[str]) -> List[SourceModule]:
        """The chain of modules of ``a.b.c`` under the first root that has ``a``; empty when
        no root has it (it is not the project's)."""
        if not parts or not parts[0]:
            return []
        directory = self._absolute_base(parts[0])
        if directory is not None:
            return self._load_chain(directory, parts)
        if self.files.nowhere(parts[0]):  # the project's own module, not written yet
            for root in self.roots:
                self._note_missing(root, parts[0])
        return []

    def _load_chain(self, base: str, parts: List[str]) -> List[SourceModule]:
        """``base/a``, ``base/a/b``, ... loaded in turn, each the previous one's child; the
        package ``base`` itself when ``parts`` is empty (``from . import x``)."""
        if not parts:
            package = self._load(base, os.path.basename(base) or base)
            return [package] if package is not None else []
        chain: List[SourceModule] = []
        directory = base
        for part in parts:
            found = self.files.module_path(directory, part)
            if found is None:
                self._note_missing(directory, part)
                return []
            module = self._load(found, ".".join(parts[: len(chain) + 1]))
            if module is None:
                return []
            if chain:
                chain[-1].children[part] = module
            chain.append(module)
            directory = os.path.join(directory, part)
        return chain

    def _load_child(self, package: SourceModule, name: str) -> Optional[SourceModule]:
        """The submodule ``name`` of a package (``from . import blocks``), when it is a file."""
        if not _is_package(package.path):
            return None
        found = self.files.module_path(os.path.dirname(package.path) if package.path.endswith(".py") else package.path, name)
        if found is None:
            return None
        child = self._load(found, f"{package.name}.{name}")
        if child is not None:
            package.children[name] = child
        return child

    def _load(self, path: str, name: str) -> Optional[SourceModule]:
        """The module at ``path`` (a ``.py`` file, a package's ``__init__.py`` or a namespace
        package's directory), indexed with its own imports bound; None past the budget."""
        path = os.path.abspath(path)
        if os.path.isdir(path):
            if self._installed(path):
                known = self.modules.get(path)
                module = known if known is not None else self._stub(path)
                self._note_import(module)
                return module
            init = os.path.join(path, "__init__.py")
            path = init if os.path.isfile(init) else path
        return self._load_file(path, name)

    def _load_file(self, path: str, name: str) -> Optional[SourceModule]:
        if path == self.origin:
            return None  # the analysed file importing itself: its own names are already there
        known = self.modules.get(path)
        if known is not None:
            self._note_import(known)
            return known  # loaded, or being loaded (an import cycle: what is indexed so far)
        shared = self.files.shared(path)
        if shared is not None and self._fits(shared):
            self._adopt(shared)
            self._note_import(shared)
            return shared
        if len(self.modules) >= MAX_PROJECT_FILES or self._past_byte_budget():
            if self._loading:
                self._loading[-1].complete = False
            return None
        installed_file = self._installed(path)
        module = SourceModule(self._dotted(path) if installed_file else name, path, self._display(path),
                              installed=installed_file)
        self.modules[path] = module
        self._note_import(module)
        if os.path.isfile(path):
            found = self.files.read(path)
            module.digest, module.stamp = found.digest, found.stamp
            if found.tree is not None:
                module.text = found.text
                self._bytes_parsed += len(found.text)
                self._loading.append(module)
                try:
                    module.index = index_file(found.tree, self._module_importer(module, found.tree), module.partial)
                finally:
                    self._loading.pop()
                module.globals = dict(module.index.scope)
                _own_definitions(module)
        module.globals[SOURCE_KEY] = module
        self.order.append(module)
        return module

    def _note_import(self, module: SourceModule) -> None:
        if self._loading:
            self._loading[-1].imports.append(module)

    def _fits(self, module: SourceModule) -> bool:
        """Whether ``module`` and what it imports fit this analysis's budgets whole: then
        reading them afresh would have read them all, and adopting them gives the same result
        (otherwise they are read afresh, up to the budget, so that a result never depends on
        what the analyses before it left behind)."""
        new: Dict[str, SourceModule] = {}
        stack = [module]
        while stack:
            current = stack.pop()
            if current.path in self.modules or current.path in new:
                continue
            new[current.path] = current
            stack.extend(current.imports)
            stack.extend(current.children.values())
        text = sum(len(m.text or "") for m in new.values())
        return len(self.modules) + len(new) <= MAX_PROJECT_FILES and self._bytes_parsed + text <= MAX_PROJECT_BYTES

    def _adopt(self, module: SourceModule) -> None:
        """A module an earlier analysis read and ran, with the modules it imports: read by
        this analysis too (its files are what the result depends on), not run again."""
        if module.path in self.modules:
            return
        self.modules[module.path] = module
        self.order.append(module)
        self._bytes_parsed += len(module.text or "")
        module.display = self._display(module.path)
        if module.index is not None:
            module.globals = {name: _fresh(value) for name, value in module.globals.items()}
            _own_definitions(module)
            for info in module.index.classes.values():
                # Class attributes are evaluated by the analysis that asks (they may hold modules).
                info.attributes, info.attributes_evaluated = {}, False
        for imported in module.imports + list(module.children.values()):
            self._adopt(imported)

    # ----------------------------------------------------------------- running top levels

    def run(self, execute: Callable[[SourceModule], None], home_globals: Dict[str, Any]) -> None:
        """Run each module's top level, dependencies first (``execute``), then bind what the
        analysed file imports from them."""
        ran: List[SourceModule] = []
        for module in list(self.order):
            if module.executed:
                continue
            module.executed = True
            ran.append(module)
            for rebind in module.rebinds:
                rebind(module.globals)
            if module.index is not None and not execute(module):
                module.complete = False  # a budget stopped its top level
        for rebind in self.home_rebinds:
            rebind(home_globals)
        for module in ran:  # dependencies first: what they left incomplete is known by then
            module.complete = module.complete and all(i.complete and i.executed for i in module.imports)
            if module.complete and module.index is not None and _unchangeable(module.globals):
                self.files.share(module)

    def _note_missing(self, directory: str, name: str) -> None:
        if name.isidentifier() and not self._installed(directory + os.sep):
            self.missing.update((os.path.join(directory, name + ".py"), os.path.join(directory, name)))

    def _past_byte_budget(self) -> bool:
        return self._bytes_parsed > MAX_PROJECT_BYTES

    def _installed(self, path: str) -> bool:
        """Whether ``path`` is in an installed package shapelint follows (a virtual environment
        inside the project is not the project)."""
        directory = self.files.installed_under(path)
        return directory is not None and directory not in self.roots

    def _display(self, path: str) -> str:
        """The path as diagnostics name it: relative to the analysed file's directory, or for
        an installed package to the directory it is installed in (``torchvision/models/resnet.py``)."""
        directory = self.files.installed_under(path)
        return _display(path, directory if directory is not None else self.directory)

    def positions(self, module: SourceModule) -> Positions:
        return Positions(module.text, module.index.module if module.index is not None else None)


#: Values an analysis cannot change: a module whose globals hold only these can be reused.
_IMMUTABLE = (int, float, complex, str, bytes, bool, type(None), TorchRef, ExternalRef, BuiltinRef, Symbol)


def _unchangeable(globals_: Dict[str, Any]) -> bool:
    """Whether no analysis can change the module's values (lists and dicts of them are copied
    for each analysis, ``_fresh_globals``): plain constants, tuples, references to classes,
    functions, modules and torch names (not an object or a module instance, which a model's
    code may change or call)."""
    budget = [10_000]

    def fixed(value: Any) -> bool:
        budget[0] -= 1
        if budget[0] < 0:
            return False
        if value is UNKNOWN or isinstance(value, _IMMUTABLE):
            return True
        kind = type(value)
        if kind is tuple or kind is frozenset or kind is list:  # a list is copied for each analysis
            return all(fixed(item) for item in value)
        if kind is dict:
            return all(fixed(key) and fixed(item) for key, item in value.items())
        return kind in (ClassRef, FunctionRef, ModuleRef, SourceModule)

    return all(fixed(value) for value in globals_.values())


def _fresh(value: Any) -> Any:
    """A copy of the lists and dicts in a value (what an analysis may change), the rest shared."""
    kind = type(value)
    if kind is list:
        return [_fresh(item) for item in value]
    if kind is dict:
        return {key: _fresh(item) for key, item in value.items()}
    if kind is tuple:
        return tuple(_fresh(item) for item in value)
    return value


def _dependency(path: str) -> Optional[Dependency]:
    """A file's digest and stamp now (a config file the code read); None when unreadable."""
    try:
        status = os.stat(path)
        with open(path, "rb") as handle:
            return Dependency(path, hashlib.sha256(handle.read()).hexdigest(), status.st_size, status.st_mtime_ns)
    except OSError:
        return None


def _own_definitions(module: SourceModule) -> None:
    """Point the classes and functions the module defines at its globals (their code reads
    that module's names, not the analysed file's)."""
    index = module.index
    for info in index.classes.values():
        info.globals = module.globals
    for name, node in index.functions.items():
        ref = module.globals.get(name)
        if getattr(ref, "node", None) is node:
            ref.globals = module.globals


#: The digest of a dependency that is a path where nothing was (``Project.missing``).
ABSENT = ""


def _bind_star(module: SourceModule, scope: Dict[str, Any], rebinds: List[Rebind]) -> None:
    for name, value in module.defined().items():
        if not name.startswith("_"):
            scope[name] = value
    rebinds.append(lambda target: target.update(module.exported()))


def _rebind_member(target: str, module: SourceModule, name: str) -> Rebind:
    def rebind(globals_: Dict[str, Any]) -> None:
        globals_[target] = module.member(name)
    return rebind


def _module_path(directory: str, name: str) -> Optional[str]:
    """``directory/name.py``, or the package ``directory/name/``; None when neither exists."""
    if not name.isidentifier():
        return None
    candidate = os.path.join(directory, name + ".py")
    if os.path.isfile(candidate):
        return candidate
    package = os.path.join(directory, name)
    if os.path.isdir(package):
        return package
    return None


def _is_package(path: str) -> bool:
    return os.path.isdir(path) or os.path.basename(path) == "__init__.py"


def _display(path: str, directory: str) -> str:
    try:
        return os.path.relpath(path, directory)
    except ValueError:  # another drive on Windows
        return path
