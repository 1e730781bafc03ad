"""Running the analysis over many files: discovery, the pre-filter, the cache and the worker pool.

The front ends (``shapelint check``, ``shapelint shapes``) stay thin: they parse arguments, call
:func:`discover` and :func:`run`, and render what comes back.

Nothing here may raise for one bad file: an unreadable or unparsable file is the engine's SHP001
diagnostic, and any other exception while checking a file becomes an outcome with an ``error``
(see :func:`internal_errors`) so the remaining files are still checked.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from .. import __version__
from ..core.options import Options
from ..core.results import (Dependency, Diagnostic, Edit, FileResult, Fix, LayerShape, ModelShapes, ModelSummary,
                            Related, StatementShape)
from ..core.text import DECODE_ERRORS, decode_source, one_line, split_lines

#: Directory names never searched when a directory is given: ruff's default ``exclude`` (among
#: them .git, .venv, build and __pycache__), and the cache's own directory.
DEFAULT_EXCLUDES = frozenset(
    {".bzr", ".direnv", ".eggs", ".git", ".git-rewrite", ".hg", ".ipynb_checkpoints", ".mypy_cache",
     ".nox", ".pants.d", ".pyenv", ".pytest_cache", ".pytype", ".ruff_cache", ".svn", ".tox", ".venv",
     ".vscode", "__pycache__", "__pypackages__", "_build", "buck-out", "build", "dist", "node_modules",
     "site-packages", "venv", ".shapelint_cache"}
)

STDIN = "-"

#: Below this many files a process pool costs more (start-up, pickling) than it saves.
MIN_FILES_PER_WORKER = 8

CACHE_DIR_NAME = ".shapelint_cache"
#: 3: results carry each model's summary (``FileResult.summaries``); 6: the models' statements;
#: 7: their symbolic `accepts`; 8: undeclared models analysed on a symbolic probe input;
#: 9: an entry is two lines (what ``check`` reads, then the models' shapes).
CACHE_FORMAT = 9


def debug_enabled() -> bool:
    return os.environ.get("SHAPELINT_DEBUG", "") not in ("", "0")


# --------------------------------------------------------------------------------------------
# Discovery


def discover(
    paths: Sequence[str], is_excluded: Callable[[str], bool] = lambda path: False
) -> List[str]:
    """The Python files under ``paths``, sorted and without duplicates.

    A directory is searched recursively for ``*.py``, skipping :data:`DEFAULT_EXCLUDES` and
    whatever ``is_excluded`` (the config's ``exclude``) rejects. A file named explicitly is
    checked whatever its suffix, unless the config excludes it (flake8 does the same; it is what
    a pre-commit run, which names every staged file, needs). ``-`` is kept as is. A path that
    does not exist is kept too, so that the engine reports it as unreadable (SHP001), and so is
    a directory that cannot be listed (:func:`check_file` reports it), instead of silently
    leaving its files unchecked.
    """
    found: List[str] = []
    seen = set()

    def add(path: str) -> None:
        key = os.path.normcase(os.path.abspath(path)) if path != STDIN else STDIN
        if key not in seen:
            seen.add(key)
            found.append(path)

    def unlistable(error: OSError) -> None:  # os.walk's report of a directory it cannot list
        add(os.path.normpath(error.filename or path))

    for raw in paths:
        if raw == STDIN:
            add(STDIN)
            continue
        path = os.path.normpath(raw)
        if os.path.isdir(path):
            if is_excluded(path) and path not in (".", os.curdir):
                continue
            for root, dirs, files in os.walk(path, onerror=unlistable):
                dirs[:] = sorted(
                    d for d in dirs
                    if d not in DEFAULT_EXCLUDES
                    and not d.endswith(".egg-info")
                    # any virtualenv, whatever its name (.ci-venv, env, .direnv/python-3.11)
                    and not os.path.exists(os.path.join(root, d, "pyvenv.cfg"))
                    and not is_excluded(os.path.join(root, d))
                )
                for name in sorted(files):
                    if name.endswith(".py"):
                        candidate = os.path.normpath(os.path.join(root, name))
                        if not is_excluded(candidate):
                            add(candidate)
        elif not is_excluded(path):
            add(path)
    return found


# --------------------------------------------------------------------------------------------
# noqa (flake8 semantics)

# flake8's own pattern (flake8/defaults.py): `# noqa`, `# noqa: A1,B2`, `# NoQA:A1 B2`; text
# after a bare `# noqa` (`# noqa because`) leaves it bare. Codes compare case-insensitively.
NOQA_RE = re.compile(r"# noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?", re.IGNORECASE)
NOQA_CODE_RE = re.compile(r"[A-Z]+[0-9]+", re.IGNORECASE)


def noqa_codes(line: str) -> Optional[Tuple[str, ...]]:
    """None when the line has no noqa comment; () for a bare ``# noqa``; else the codes listed."""
    match = NOQA_RE.search(line)
    if match is None:
        return None
    codes = match.group("codes")
    if not codes:
        return ()
    return tuple(code.upper() for code in NOQA_CODE_RE.findall(codes))


def is_suppressed(diagnostic: Diagnostic, lines: Sequence[str]) -> bool:
    """Whether a ``# noqa`` on the diagnostic's line silences it (codes match by prefix)."""
    if not 1 <= diagnostic.row <= len(lines):
        return False
    codes = noqa_codes(lines[diagnostic.row - 1])
    if codes is None:
        return False
    return not codes or any(diagnostic.code.startswith(code) for code in codes)


# --------------------------------------------------------------------------------------------
# Serialising results (for the cache and for passing between processes as plain data)


def _shape_to_json(shape):
    return None if shape is None else list(shape)


def _accepts_from_json(data):
    if data is None:
        return None
    if not isinstance(data, list) or not all(isinstance(c, str) for c in data):
        raise ValueError("bad accepts")
    return [str(c) for c in data]


def _shape_from_json(data):
    if data is None:
        return None
    if not isinstance(data, list) or not all(d is None or isinstance(d, (int, str)) for d in data):
        raise ValueError("bad shape")
    return tuple(data)


def result_to_json(result: FileResult) -> dict:
    def edit(e: Edit) -> dict:
        return {"content": e.content, "start": list(e.start), "end": list(e.end)}

    def diagnostic(d: Diagnostic) -> dict:
        fix = None
        if d.fix is not None:
            fix = {
                "message": d.fix.message,
                "applicability": d.fix.applicability,
                "edits": [edit(e) for e in d.fix.edits],
            }
        return {
            "code": d.code, "message": d.message, "path": d.path, "row": d.row, "col": d.col,
            "end_row": d.end_row, "end_col": d.end_col, "fix": fix, "help": d.help,
            "notes": list(d.notes),
            "related": [[r.message, r.path, r.row, r.col, r.end_row, r.end_col] for r in d.related],
            "origin": None if d.origin is None else [d.origin.message, d.origin.path, d.origin.row,
                                                     d.origin.col, d.origin.end_row, d.origin.end_col],
        }

    def model(m: ModelShapes) -> dict:
        return {
            "name": m.name, "filename": m.filename, "line": m.line,
            "input": _shape_to_json(m.input), "output": _shape_to_json(m.output),
            "declared_output": _shape_to_json(m.declared_output),
            "accepts": m.accepts, "input_probed": m.input_probed,
            "layers": [
                {"name": l.name, "type": l.type, "line": l.line,
                 "input": _shape_to_json(l.input), "output": _shape_to_json(l.output),
                 "unknown_reason": l.unknown_reason, "filename": l.filename}
                for l in m.layers
            ],
            "statements": [
                [st.line, st.end_line, [_shape_to_json(o) for o in st.outputs], st.runs,
                 [_shape_to_json(o) for o in st.last_outputs], st.unknown_reason]
                for st in m.statements
            ],
        }

    def summary(s: ModelSummary) -> dict:
        return {
            "name": s.name, "line": s.line, "declared_input": s.declared_input,
            "declared_output": s.declared_output, "followed": s.followed,
            "layers_inferred": s.layers_inferred, "layers": s.layers,
        }

    return {
        "path": result.path,
        "diagnostics": [diagnostic(d) for d in result.diagnostics],
        "models": [model(m) for m in result.models],
        "summaries": [summary(s) for s in result.summaries],
        "dependencies": [list(dependency) for dependency in result.dependencies],
    }


def result_from_json(data: dict, with_models: bool = True) -> FileResult:
    """The inverse of :func:`result_to_json`; raises (KeyError, TypeError, ValueError) on junk."""

    def pos(value) -> Tuple[int, int]:
        row, col = value
        return (int(row), int(col))

    def diagnostic(d: dict) -> Diagnostic:
        fix = None
        if d["fix"] is not None:
            f = d["fix"]
            fix = Fix(
                message=str(f["message"]),
                applicability=str(f["applicability"]),
                edits=tuple(Edit(str(e["content"]), pos(e["start"]), pos(e["end"])) for e in f["edits"]),
            )
        return Diagnostic(
            code=str(d["code"]), message=str(d["message"]), path=str(d["path"]),
            row=int(d["row"]), col=int(d["col"]), end_row=int(d["end_row"]),
            end_col=int(d["end_col"]), fix=fix, help=d["help"],
            notes=tuple(str(note) for note in d["notes"]),
            related=tuple(Related(str(m), str(p), int(r), int(c), int(er), int(ec))
                          for m, p, r, c, er, ec in d.get("related", ())),
            origin=None if d.get("origin") is None else Related(
                str(d["origin"][0]), str(d["origin"][1]), *(int(n) for n in d["origin"][2:])),
        )

    def model(m: dict) -> ModelShapes:
        return ModelShapes(
            name=str(m["name"]), filename=str(m["filename"]), line=int(m["line"]),
            input=_shape_from_json(m["input"]), output=_shape_from_json(m["output"]),
            declared_output=_shape_from_json(m["declared_output"]),
            accepts=_accepts_from_json(m.get("accepts")), input_probed=m.get("input_probed") is True,
            layers=[
                LayerShape(str(l["name"]), str(l["type"]), int(l["line"]),
                           _shape_from_json(l["input"]), _shape_from_json(l["output"]),
                           None if l.get("unknown_reason") is None else str(l["unknown_reason"]),
                           None if l.get("filename") is None else str(l["filename"]))
                for l in m["layers"]
            ],
            statements=[
                StatementShape(int(line), int(end), tuple(_shape_from_json(o) for o in outputs), int(runs),
                               tuple(_shape_from_json(o) for o in last), None if why is None else str(why))
                for line, end, outputs, runs, last, why in m.get("statements", ())
            ],
        )

    def flag(value) -> bool:
        if not isinstance(value, bool):
            raise TypeError("not a bool")
        return value

    def summary(s: dict) -> ModelSummary:
        return ModelSummary(
            name=str(s["name"]), line=int(s["line"]), declared_input=flag(s["declared_input"]),
            declared_output=flag(s["declared_output"]), followed=flag(s["followed"]),
            layers_inferred=int(s["layers_inferred"]), layers=int(s["layers"]),
        )

    return FileResult(
        path=str(data["path"]),
        diagnostics=[diagnostic(d) for d in data["diagnostics"]],
        models=[model(m) for m in data["models"]] if with_models else [],
        summaries=[summary(s) for s in data["summaries"]],
        dependencies=[Dependency(str(path), str(digest), int(size), int(mtime))
                      for path, digest, size, mtime in data.get("dependencies", ())],
    )


# --------------------------------------------------------------------------------------------
# Cache


def find_project_root(start: str) -> Optional[str]:
    """The nearest directory at or above ``start`` holding pyproject.toml, setup.cfg or .git."""
    directory = os.path.abspath(start)
    if not os.path.isdir(directory):
        directory = os.path.dirname(directory)
    while True:
        for marker in ("pyproject.toml", "setup.cfg", ".git"):
            if os.path.exists(os.path.join(directory, marker)):
                return directory
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


def user_cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "shapelint")


def default_cache_dir(project_root: Optional[str]) -> str:
    """``$SHAPELINT_CACHE_DIR``, else ``.shapelint_cache`` at the project root, else the user cache."""
    explicit = os.environ.get("SHAPELINT_CACHE_DIR")
    if explicit:
        return explicit
    if project_root is not None:
        return os.path.join(project_root, CACHE_DIR_NAME)
    return user_cache_dir()


def code_fingerprint() -> str:
    """Sizes and modification times of shapelint's own modules: a development checkout changes
    the engine without changing ``__version__``, and must not be answered from an older engine's
    cache. About 50 stat calls."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # shapelint/, not frontends/
    parts = []
    for root, dirs, files in os.walk(package):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                try:
                    info = os.stat(os.path.join(root, name))
                except OSError:
                    continue
                parts.append(f"{os.path.relpath(os.path.join(root, name), package)}:{info.st_size}:{info.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode("utf-8", "surrogateescape")).hexdigest()


class Cache:
    """A content-hash cache of analysis results, one small JSON file per (path, settings).

    Keyed like ruff's: an entry is reused only when the file's bytes, the shapelint version, the
    config's cache key and the options are all unchanged. Any problem with the cache (missing,
    corrupt, unwritable, a race with another run) makes it a miss, never an error: the cache only
    ever saves time.
    """

    def __init__(self, directory: str, settings_key: str) -> None:
        self.directory = directory
        self.settings_key = settings_key
        self.entries = os.path.join(directory, __version__)
        self.writable = True

    @staticmethod
    def settings_key_for(config_key: str, options: Options) -> str:
        text = "\0".join((__version__, code_fingerprint(), str(CACHE_FORMAT), config_key, repr(options)))
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()

    def entry_path(self, path: str) -> str:
        text = os.path.abspath(path) + "\0" + self.settings_key
        digest = hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()
        return os.path.join(self.entries, digest[:2], digest[2:] + ".json")

    @staticmethod
    def content_key(data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()

    def get(self, path: str, content_key: str, looks: Optional["FileLooks"] = None,
            with_models: bool = True) -> Optional[FileResult]:
        """The stored result, when it holds (``with_models`` False: without the models' shapes,
        which a ``check`` needs not decode: they are the entry's second line, not read then)."""
        try:
            with open(self.entry_path(path), "rb") as handle:
                entry = json.loads(handle.readline())
                if (
                    not isinstance(entry, dict)
                    or entry.get("format") != CACHE_FORMAT
                    or entry.get("content") != content_key
                    or entry.get("settings") != self.settings_key
                ):
                    return None
                data = entry["result"]
                if with_models:
                    data = dict(data, models=json.loads(handle.readline())["models"])
            result = result_from_json(data, with_models)
        except Exception:  # missing, unreadable or corrupt: a miss
            return None
        if result.path != path or not _unchanged(result.dependencies, looks or FileLooks()):
            return None
        return result

    def put(self, path: str, content_key: str, result: FileResult) -> None:
        """Store ``result``: it holds while the file's bytes are ``content_key`` and every file
        it read (its imports: ``result.dependencies``) still has the bytes it read."""
        if not self.writable:
            return
        target = self.entry_path(path)
        data = result_to_json(result)
        entry = {
            "format": CACHE_FORMAT,
            "content": content_key,
            "settings": self.settings_key,
            "result": {key: value for key, value in data.items() if key != "models"},
        }
        models = {"models": data["models"]}
        try:
            self._prepare(os.path.dirname(target))
            import tempfile  # only when writing: keeps a warm run's start-up short

            # Write then rename, so a concurrent reader never sees half an entry.
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    # Two lines: what ``check`` needs, then the models' shapes (``get``).
                    handle.write(json.dumps(entry, separators=(",", ":")) + "\n")
                    handle.write(json.dumps(models, separators=(",", ":")) + "\n")
                os.replace(tmp, target)
            except BaseException:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                raise
        except (OSError, ValueError, TypeError):
            self.writable = False  # don't retry for every file of this run

    def _prepare(self, entry_dir: str) -> None:
        if os.path.isdir(entry_dir):
            return
        fresh = not os.path.isdir(self.directory)
        os.makedirs(entry_dir, exist_ok=True)
        if fresh:
            # Like ruff: keep the cache out of git and out of backups.
            with open(os.path.join(self.directory, ".gitignore"), "w", encoding="utf-8") as handle:
                handle.write("# Automatically created by shapelint.\n*\n")
            with open(os.path.join(self.directory, "CACHEDIR.TAG"), "w", encoding="utf-8") as handle:
                handle.write("Signature: 8a477f597d28d172789f06886806bc55\n"
                             "# This file is a cache directory tag created by shapelint.\n")


class FileLooks:
    """Each file's size, modification time and digest, looked at once per run (a project's
    files are the dependencies of many cache entries)."""

    def __init__(self) -> None:
        self._stamps: Dict[str, Optional[Tuple[int, int]]] = {}
        self._digests: Dict[str, str] = {}

    def stamp(self, path: str) -> Optional[Tuple[int, int]]:
        if path not in self._stamps:
            try:
                status = os.stat(path)
                self._stamps[path] = (status.st_size, status.st_mtime_ns)
            except OSError:
                self._stamps[path] = None
        return self._stamps[path]

    def digest(self, path: str) -> str:
        if path not in self._digests:
            try:
                with open(path, "rb") as handle:
                    self._digests[path] = Cache.content_key(handle.read())
            except OSError:
                self._digests[path] = ""
        return self._digests[path]


def _unchanged(dependencies: List[Dependency], looks: FileLooks) -> bool:
    """Whether each file an analysis read still has the bytes it read then: the same size and
    modification time, else the same SHA-256."""
    for path, digest, size, mtime_ns in dependencies:
        stamp = looks.stamp(path)
        if not digest:  # a module the code imports was absent: it must still be
            if stamp is not None:
                return False
            continue
        if stamp is None:
            return False
        if stamp != (size, mtime_ns) and looks.digest(path) != digest:
            return False
    return True


# --------------------------------------------------------------------------------------------
# Checking one file


@dataclass
class FileOutcome:
    """What checking one file gave: its result, or an internal error (one line, and a traceback
    kept for ``SHAPELINT_DEBUG=1``)."""

    path: str
    result: Optional[FileResult] = None
    error: Optional[str] = None
    traceback: Optional[str] = None
    cached: bool = False
    #: sha256 of the bytes analysed (``--fix`` writes only over exactly these bytes).
    digest: Optional[str] = None


@dataclass(frozen=True)
class Job:
    """Everything a worker needs, picklable."""

    options: Options
    cache_dir: Optional[str] = None
    settings_key: str = ""
    #: False when the caller reads only the diagnostics (``check`` without ``--input``/``--output``):
    #: each outcome then drops its models' shapes, so a long run holds a few diagnostics per file
    #: instead of every layer of every model (the cache still stores them whole).
    keep_models: bool = True


def analyze_bytes(data: bytes, path: str, options: Options, shared: Optional[dict] = None) -> FileResult:
    """The engine's result for one file's bytes, skipping files the pre-filter rejects.

    The engine is imported only for a file the pre-filter lets through, or that may not be
    Python source at all (binary, badly encoded): that one is SHP001, not silently clean.
    ``shared`` holds what the analyses of one batch of files share (the project files parsed)."""
    from .. import analysis
    from ..analysis.prefilter import is_plain_source
    from ..analysis.project import ProjectFiles

    if not analysis.mentions_layers(data) and is_plain_source(data):
        return FileResult(path=path)
    files = shared.setdefault("files", ProjectFiles()) if shared is not None else None
    try:
        source = decode_source(data)
    except DECODE_ERRORS:
        # Let the engine word the SHP001 for a bad encoding, from the bytes.
        return analysis.analyze_source(data, path, options, files=files)
    return analysis.analyze_source(source, path, options, files=files)


def without_noqa(result: FileResult, source: "str | bytes") -> FileResult:
    """``result`` less the diagnostics a ``# noqa`` comment on their line silences."""
    if not result.diagnostics:
        return result
    if isinstance(source, bytes):
        try:
            source = decode_source(source)
        except DECODE_ERRORS:
            return result
    lines = split_lines(source)
    kept = [d for d in result.diagnostics if not is_suppressed(d, lines)]
    if len(kept) == len(result.diagnostics):
        return result
    return FileResult(path=result.path, diagnostics=kept, models=result.models, summaries=result.summaries)


def check_file(path: str, job: Job, shared: Optional[dict] = None) -> FileOutcome:
    """Check one file; never raises (except KeyboardInterrupt and the like). ``shared``: see
    ``analyze_bytes``."""
    try:
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError:
            if os.path.isdir(path):  # discover() keeps a directory only when it cannot be listed
                return FileOutcome(path, unreadable_directory(path))
            from ..analysis import analyze_file

            return FileOutcome(path, analyze_file(path, job.options))
        cache = Cache(job.cache_dir, job.settings_key) if job.cache_dir else None
        content_key = Cache.content_key(data)
        if cache is not None:
            hit = cache.get(path, content_key)
            if hit is not None:
                return FileOutcome(path, slim(without_noqa(hit, data), job), cached=True, digest=content_key)
        result = analyze_bytes(data, path, job.options, shared)
        if cache is not None:
            cache.put(path, content_key, result)
        return FileOutcome(path, slim(without_noqa(result, data), job), digest=content_key)
    except Exception as error:  # one file's bug must not stop the run
        return FileOutcome(path, error=describe(error), traceback=format_traceback())


def unreadable_directory(path: str) -> FileResult:
    """SHP001 on a directory whose files could not be searched, with the system's reason."""
    from ..core.codes import PARSE_ERROR

    try:
        with os.scandir(path) as entries:
            for _ in entries:
                pass
        reason = "it could not be listed"  # it can be now: it changed during the run
    except OSError as error:
        reason = error.strerror or str(error)
    return FileResult(path, [Diagnostic(PARSE_ERROR, f"cannot read directory: {reason}", path, 1, 1, 1, 1)])


def slim(result: FileResult, job: Job) -> FileResult:
    """``result`` without its models' shapes when the job does not need them (see
    :attr:`Job.keep_models`); their summaries, a few numbers each, stay."""
    if job.keep_models or not result.models:
        return result
    return FileResult(path=result.path, diagnostics=result.diagnostics, models=[], summaries=result.summaries,
                      dependencies=result.dependencies)


#: Resident memory (bytes) above the last trim at which :class:`MemoryTrimmer` trims again.
TRIM_GROWTH = 48 * 1024 * 1024


def _resident_bytes() -> int:
    try:
        with open("/proc/self/statm", "rb") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


class MemoryTrimmer:
    """Gives the memory a big file's analysis freed back to the system once the file is done.

    A large file's tree and analysis take ~100 MB; once freed, glibc keeps most of it in the
    process (fragmented heap), so each big file of a long run raised the resident size for the
    rest of the run. ``malloc_trim`` returns it; called only when the resident size grew by
    :data:`TRIM_GROWTH` since the last trim, so other files cost one read of /proc/self/statm.
    Not after every big file: the next file would fault the pages back in (measured: ~8% more
    CPU on timm's largest files), and the peak, which is one file's, is the same either way. The
    trim is for the exceptional file (hundreds of MB) not to leave a long-lived worker that big.
    Linux/glibc only; elsewhere (or on any error) it does nothing.

    One per in-process run over files, so that the size of the last trim is remembered (workers
    do not trim: they retire, see :data:`RETIRE_GROWTH`).
    """

    def __init__(self, growth: int = TRIM_GROWTH) -> None:
        self.growth = growth
        self.base = 0
        self.trim = None  # libc's malloc_trim once looked up; False when there is none

    def after_file(self) -> None:
        if self.trim is False:
            return
        resident = _resident_bytes()
        if not resident or resident - self.base < self.growth:
            return
        if self.trim is None:
            try:
                import ctypes

                self.trim = ctypes.CDLL("libc.so.6").malloc_trim
            except (OSError, AttributeError, ImportError):
                self.trim = False
                return
        try:
            self.trim(0)
        except Exception:
            self.trim = False
            return
        self.base = _resident_bytes()


def check_stdin(data: bytes, path: str, options: Options) -> FileOutcome:
    """Check source read from stdin (never cached, like ruff); never raises."""
    try:
        return FileOutcome(path, without_noqa(analyze_bytes(data, path, options), data))
    except Exception as error:
        return FileOutcome(path, error=describe(error), traceback=format_traceback())


def check_text(text: str, path: str, options: Options, files=None, tree=None, reuse=None) -> FileOutcome:
    """Check already decoded source (the text ``--fix`` produced, an editor's buffer); never
    raises. ``files``: the project files kept across analyses (``analysis.project``); ``tree``:
    ``ast.parse(text)`` when the caller has it; ``reuse``: the results of the earlier analyses
    of this file (``analysis.incremental``), for an editor's buffer analysed again and again."""
    try:
        from .. import analysis

        if not analysis.mentions_layers(text.encode("utf-8", "surrogatepass")):
            return FileOutcome(path, FileResult(path=path))
        given = {key: value for key, value in (("tree", tree), ("files", files), ("reuse", reuse))
                 if value is not None}
        result = analysis.analyze_source(text, path, options, **given)
        return FileOutcome(path, without_noqa(result, text))
    except Exception as error:
        return FileOutcome(path, error=describe(error), traceback=format_traceback())


def format_traceback() -> str:
    import traceback  # only on an internal error

    return traceback.format_exc()


def describe(error: BaseException) -> str:
    """One line naming the exception, for ``error: internal error in PATH: ...``."""
    text = one_line(error)
    name = type(error).__name__
    return f"{name}: {text}" if text else name


def _check_each(paths: Iterable[str], job: Job, trimmer: Optional[MemoryTrimmer],
                shared: Optional[dict] = None) -> Iterable[FileOutcome]:
    """Check each path; ``shared`` holds what the analyses of one process share (the project
    files parsed and run: ``analyze_bytes``); ``trimmer``: None in a worker, which retires
    instead (:data:`RETIRE_GROWTH`)."""
    shared = {} if shared is None else shared
    for path in paths:
        outcome = check_file(path, job, shared)
        if trimmer is not None and not outcome.cached:
            trimmer.after_file()
        yield outcome


# --------------------------------------------------------------------------------------------
# Running many files


@dataclass
class RunReport:
    outcomes: List[FileOutcome] = field(default_factory=list)


def internal_errors(outcomes: Iterable[FileOutcome]) -> List[FileOutcome]:
    """The outcomes of files whose check crashed (an engine bug), not those of bad files."""
    return [o for o in outcomes if o.error is not None]


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def worker_count(jobs: Optional[int], n_files: int) -> int:
    """How many processes to use: 1 (in-process) unless there are enough files to pay for more."""
    wanted = default_jobs() if not jobs else jobs
    return max(1, min(wanted, n_files // MIN_FILES_PER_WORKER))


def run(paths: Sequence[str], job: Job, jobs: Optional[int] = None) -> RunReport:
    """Check every path (``-`` excluded: see :func:`check_stdin`), results in path order."""
    outcomes: List[FileOutcome] = []
    misses: List[str] = []
    # Cache hits are answered here, so that a warm run starts no pool and imports no engine.
    looks = FileLooks()  # each imported file looked at once per run
    for path in paths:
        hit = cached_outcome(path, job, looks)
        if hit is not None:
            outcomes.append(hit)
        else:
            misses.append(path)
    workers = worker_count(jobs, len(misses))
    if workers <= 1:
        outcomes.extend(_check_each(misses, job, MemoryTrimmer()))
    else:
        outcomes.extend(_run_parallel(misses, job, workers))
    return RunReport(sorted(outcomes, key=lambda o: o.path))


def cached_outcome(path: str, job: Job, looks: Optional[FileLooks] = None) -> Optional[FileOutcome]:
    """The cached outcome for ``path`` when its entry is valid, else None (also on any error)."""
    if not job.cache_dir:
        return None
    try:
        with open(path, "rb") as handle:
            data = handle.read()
        content_key = Cache.content_key(data)
        hit = Cache(job.cache_dir, job.settings_key).get(path, content_key, looks, job.keep_models)
        if hit is None:
            return None
        return FileOutcome(path, slim(without_noqa(hit, data), job), cached=True, digest=content_key)
    except Exception:  # unreadable now: check_file reports it
        return None


#: Chunks per worker: enough that the last chunks are small (a worker left with a slow file at
#: the end keeps the others idle), few enough that pickling and queueing stay negligible.
CHUNKS_PER_WORKER = 16


def _chunks(paths: List[str], workers: int) -> List[List[str]]:
    """The files in chunks for the pool, the largest files first.

    Workers take chunks in order as they become free, so sending the big (slow) files first and
    the small ones last evens out the end of the run (longest-processing-time-first; size is a
    good enough proxy for cost). A file that cannot be stat'ed counts as empty.
    """

    def size(path: str) -> int:
        try:
            return os.stat(path).st_size
        except OSError:
            return 0

    ordered = sorted(paths, key=size, reverse=True)
    n_chunks = min(len(ordered), workers * CHUNKS_PER_WORKER)
    per_chunk = -(-len(ordered) // n_chunks)
    return [ordered[i:i + per_chunk] for i in range(0, len(ordered), per_chunk)]


def _run_parallel(paths: List[str], job: Job, workers: int) -> List[FileOutcome]:
    """Check ``paths`` in ``workers`` processes; whatever they do not finish (no process could be
    started, one died, a result did not survive pickling) is checked here, where check_file
    contains any error per file. The workers die with this process however it ends (see
    :func:`_worker_main`); on an exception here (Ctrl-C) they are killed before it propagates."""
    import gc
    import multiprocessing

    # Import the engine before forking, so the workers share it instead of each importing it
    # (the package itself loads only the pre-filter; this lookup loads the engine).
    from .. import analysis

    analysis.analyze_source  # noqa: B018
    if sys.platform == "linux":
        import ctypes  # noqa: F401  (for the workers' prctl: imported once, before forking)

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods and sys.platform == "linux" else None)
    done: Dict[str, FileOutcome] = {}
    pool: List[_Worker] = []
    # Forked workers share the parent's pages (the engine) until they write to them; the
    # cyclic collector writes to every object it scans, so each worker's first full collection
    # would copy them all. Frozen objects are never scanned (the gc documentation's advice for
    # a pre-fork server); unfrozen once the pool is done.
    chunks = _chunks(paths, workers)
    gc.freeze()
    finished = False
    try:
        _start_workers(context, job, workers, pool)
        _distribute(pool, chunks, done, lambda: _start_workers(context, job, 1, pool))
        finished = True
    except Exception:
        pass  # no pool could be had, or a pipe failed: the rest is finished below
    finally:
        _stop_workers(pool, finished)
        gc.unfreeze()
    return list(done.values()) + [check_file(p, job) for p in paths if p not in done]


class _Worker:
    """One worker process as the parent sees it: the process, the parent's end of its pipe and
    the chunk it is checking."""

    def __init__(self, process, connection) -> None:
        self.process = process
        self.connection = connection
        self.chunk: List[str] = []


def _start_workers(context, job: Job, count: int, pool: List["_Worker"]) -> "_Worker":
    """Start ``count`` workers, appending each to ``pool`` as soon as it exists (so that an
    interrupt part-way still stops the ones already started); the last one started."""
    with _InterruptsBlocked():
        for _ in range(count):
            ours, theirs = context.Pipe()
            process = context.Process(target=_worker_main, args=(theirs, job, os.getpid()), daemon=True)
            try:
                process.start()
            finally:
                theirs.close()  # the worker's end: the parent reads EOF once the worker is gone
            pool.append(_Worker(process, ours))
    return pool[-1]


def _distribute(pool: List["_Worker"], chunks: List[List[str]], done: Dict[str, FileOutcome],
                replace: Callable[[], "_Worker"]) -> None:
    """Hand the chunks to the workers as they become free, collecting their outcomes in ``done``.

    A worker that retires (it grew past :data:`RETIRE_GROWTH`) sends what it checked and exits:
    the rest of its chunk goes to the next free worker, and ``replace`` starts a fresh one in
    its place. A worker that dies (out of memory, killed) is dropped, its chunk left undone for
    the caller."""
    from multiprocessing.connection import wait

    pending = list(reversed(chunks))
    busy: Dict[object, _Worker] = {}
    for worker in pool:
        if _hand_next(worker, pending):
            busy[worker.connection] = worker
    while busy:
        for connection in wait(list(busy)):
            worker = busy.pop(connection)
            try:
                outcomes, retiring = connection.recv()
            except (EOFError, OSError):
                continue  # the worker died
            for outcome in outcomes or ():  # None: the chunk's results did not pickle
                done[outcome.path] = outcome
            if retiring:
                rest = [path for path in worker.chunk if path not in done]
                if outcomes is not None and rest:
                    pending.append(rest)
                worker.process.join()
                if not pending:
                    continue
                worker = replace()
            if _hand_next(worker, pending):
                busy[worker.connection] = worker


def _hand_next(worker: "_Worker", pending: List[List[str]]) -> bool:
    """Send the worker the next chunk (True), or tell it to exit when none is left (False)."""
    chunk = pending.pop() if pending else None
    worker.chunk = chunk or []
    try:
        worker.connection.send(chunk)
    except OSError:  # it died meanwhile; its chunk is finished by the parent
        return False
    return chunk is not None


def _stop_workers(pool: List["_Worker"], finished: bool) -> None:
    """Reap the workers: after a finished run each was told to exit; otherwise (Ctrl-C, a failed
    pipe) they are killed, so that none outlives the run."""
    for worker in pool:
        if not finished:
            worker.process.kill()
        worker.process.join(timeout=5)
        if worker.process.is_alive():  # stuck on its way out
            worker.process.kill()
            worker.process.join()
        worker.connection.close()


class _InterruptsBlocked:
    """A context in which SIGINT waits (blocked, not lost) for this thread: a worker forked then
    inherits the block and ignores SIGINT before unblocking it, so a Ctrl-C that reaches the
    whole process group cannot interrupt a worker before it is ready for it."""

    def __enter__(self) -> None:
        import signal

        self.previous = None
        if hasattr(signal, "pthread_sigmask"):
            self.previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})

    def __exit__(self, *exc_info) -> None:
        import signal

        if self.previous is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, self.previous)  # a pending Ctrl-C fires here


def _worker_main(connection, job: Job, parent_pid: int) -> None:
    """A worker process: check the chunks the parent sends until it sends None.

    Ctrl-C is the parent's to handle (the terminal sends SIGINT to the whole process group; a
    worker interrupted mid-file would only print a traceback), and the worker dies with the
    parent however the parent ends, even killed with SIGKILL: an orphaned worker would block
    for ever on its pipe, keeping a wrapper that reads the run's output waiting for EOF."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    _die_with_parent(parent_pid)
    start = _resident_bytes()
    shared: dict = {}  # the project files this worker's analyses parsed and ran
    while True:
        try:
            chunk = connection.recv()
        except (EOFError, OSError):
            return  # the parent is gone
        if chunk is None:
            return
        outcomes = []
        retiring = False
        for outcome in _check_each(chunk, job, None, shared):
            outcomes.append(outcome)
            retiring = _resident_bytes() - start > RETIRE_GROWTH
            if retiring:
                break
        try:
            connection.send_bytes(_pickled_outcomes(outcomes, retiring))
        except OSError:
            return  # the parent is gone
        if retiring:
            return


#: How much (bytes) a worker may grow over its size at start before it retires. What a worker
#: keeps between files (``ProjectFiles``: parsed and run project modules, ~70 MB of trees at the
#: 2 MB text budget) is interleaved on the allocator's pages with each analysis's garbage, so a
#: long-lived worker only grows (~150 MB by the end of the benchmark corpus; one file alone never
#: takes more than ~30 MB over the engine). A fresh worker forked from the parent starts small
#: again, for the cost of reading again what the old one kept. Measured on the corpus with two
#: workers (benchmarks/run.py's cold row): tree 290 -> 185 MB, largest process 148 -> 104 MB,
#: about 15% more CPU.
RETIRE_GROWTH = 64 * 1024 * 1024


def _pickled_outcomes(outcomes: List[FileOutcome], retiring: bool) -> bytes:
    """The message a worker sends back for a chunk, as ``Connection.recv`` reads it: the
    outcomes (or None when they do not pickle: the parent then checks that chunk itself) and
    whether the worker exits after it."""
    import pickle

    try:
        return pickle.dumps((outcomes, retiring), pickle.HIGHEST_PROTOCOL)
    except Exception:
        return pickle.dumps((None, retiring))


def _die_with_parent(parent_pid: int) -> None:
    """Make this process end when ``parent_pid`` does: the kernel's parent-death signal on
    Linux, else a thread watching the parent."""
    if _set_parent_death_signal():
        # The parent may have died before the signal was set: then it never comes.
        if os.getppid() != parent_pid:
            os._exit(1)
        return
    import threading

    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()


#: PR_SET_PDEATHSIG, from <linux/prctl.h>.
PR_SET_PDEATHSIG = 1


def _set_parent_death_signal() -> bool:
    """Ask Linux to SIGKILL this process when its parent dies (True when that is set). SIGKILL,
    because it also ends a worker blocked writing to a pipe nobody reads any more."""
    if sys.platform != "linux":
        return False
    import signal

    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        arguments = (int(signal.SIGKILL), 0, 0, 0)
        return libc.prctl(PR_SET_PDEATHSIG, *(ctypes.c_ulong(a) for a in arguments)) == 0
    except (OSError, AttributeError, ImportError):
        return False


#: How often (seconds) a worker without a parent-death signal checks that its parent is alive.
PARENT_CHECK_INTERVAL = 0.5


def _watch_parent(parent_pid: int, interval: float = PARENT_CHECK_INTERVAL) -> None:
    """Exit the process once the parent is gone: its sentinel is ready (spawned workers, Windows)
    or this process was handed to another parent (POSIX). ``os._exit`` ends the whole process,
    whatever its main thread is blocked on."""
    import multiprocessing
    from multiprocessing.connection import wait

    parent = multiprocessing.parent_process()
    sentinel = getattr(parent, "sentinel", None)
    while True:
        if sentinel is not None:
            gone = bool(wait([sentinel], timeout=interval))
        else:
            import time

            time.sleep(interval)
            gone = False
        if gone or os.getppid() != parent_pid:
            os._exit(1)


# --------------------------------------------------------------------------------------------
# Filtering what is reported


def keep_diagnostics(result: FileResult, is_selected: Callable[[str, str], bool]) -> List[Diagnostic]:
    """The diagnostics to report (``# noqa`` was applied when the file was checked)."""
    kept = [d for d in result.diagnostics if is_selected(d.code, d.path)]
    return sorted(kept, key=lambda d: (d.path, d.row, d.col, d.code))


# --------------------------------------------------------------------------------------------
# A project checked as a whole


def at_their_origin(diagnostics: Sequence[Diagnostic], checked: Iterable[str],
                    imports: Optional[Callable[[str], Set[str]]] = None) -> List[Diagnostic]:
    """Each finding in another file's code that this run checks too, moved to that file's line
    and reported once (however many files reach it); the others as they are. A run on one file
    keeps them where that file reaches the faulty block.

    A finding in a file the run does not check (an installed package's) stays where a checked
    file reaches it; when a file and one it imports (``imports``: each file's project files,
    from the results' dependencies) both reach it, only the imported one, nearer the block, keeps
    it (``train.py`` builds the model whose line in ``model.py`` builds the block)."""
    if all(d.origin is None for d in diagnostics):
        return list(diagnostics)  # nothing found in another file's code (real paths cost a warm run)
    files = {os.path.realpath(path) for path in checked}
    diagnostics = _nearest_reach(diagnostics, files, imports or (lambda path: set()))
    seen = {(d.code, os.path.realpath(d.path), d.row, d.col): -1 for d in diagnostics
            if d.origin is None or os.path.realpath(d.origin.path) not in files}
    lines = _Lines()
    kept: List[Diagnostic] = []
    for diagnostic in diagnostics:
        origin = diagnostic.origin
        if origin is None or os.path.realpath(origin.path) not in files:
            kept.append(diagnostic)
            continue
        key = (diagnostic.code, os.path.realpath(origin.path), origin.row, origin.col)
        note, reached = _reached_from(diagnostic)
        if key in seen:
            index = seen[key]
            if index >= 0:  # moved here already: one more place reaches it
                kept[index] = _also_reached_from(kept[index], diagnostic)
            continue
        # Moved to an installed package's caller, it keeps what names the package's line.
        through = len(diagnostic.related) > 1 and diagnostic.related[0] == origin
        moved = Diagnostic(diagnostic.code, diagnostic.message, origin.path, origin.row, origin.col,
                           origin.end_row, origin.end_col,
                           notes=(diagnostic.notes if through else ()) + (note,),
                           related=(diagnostic.related[1:] if through else ()) + (reached,))
        if is_suppressed(moved, lines.of(origin.path)):
            seen[key] = -1  # a `# noqa` on its own line silences it however it is reached
            continue
        seen[key] = len(kept)
        kept.append(moved)
    return kept


class _Lines:
    """The lines of files, each read once (``# noqa`` of the lines findings move to)."""

    def __init__(self) -> None:
        self._read: Dict[str, List[str]] = {}

    def of(self, path: str) -> List[str]:
        if path not in self._read:
            try:
                with open(path, "rb") as handle:
                    self._read[path] = split_lines(decode_source(handle.read()))
            except (OSError, *DECODE_ERRORS):
                self._read[path] = []
        return self._read[path]


def imports_of(outcomes: Iterable[FileOutcome]) -> Callable[[str], Set[str]]:
    """A checked file's project files read (real paths), from its result's dependencies; asked
    only of the few files two findings share an origin in (a warm run checks thousands)."""
    by_path = {outcome.path: outcome for outcome in outcomes if outcome.result is not None}
    by_real: Dict[str, FileOutcome] = {}
    known: Dict[str, Set[str]] = {}

    def imports(real: str) -> Set[str]:
        if real not in known:
            if not by_real:
                by_real.update((os.path.realpath(path), outcome) for path, outcome in by_path.items())
            outcome = by_real.get(real)
            known[real] = {os.path.realpath(d.path) for d in outcome.result.dependencies} if outcome else set()
        return known[real]

    return imports


def _nearest_reach(diagnostics: Sequence[Diagnostic], files: Set[str],
                   imports: Callable[[str], Set[str]]) -> List[Diagnostic]:
    """``diagnostics`` less those in a file that imports another file reporting the same finding
    of an unchecked file (that one gets a note naming the place dropped)."""
    def key(d: Diagnostic):
        return (d.code, d.message, os.path.realpath(d.origin.path), d.origin.row, d.origin.col)

    unchecked = [d for d in diagnostics if d.origin is not None and os.path.realpath(d.origin.path) not in files]
    if len(unchecked) < 2:
        return list(diagnostics)
    groups: Dict[Any, List[Diagnostic]] = {}
    for diagnostic in unchecked:
        groups.setdefault(key(diagnostic), []).append(diagnostic)
    dropped: Dict[int, Diagnostic] = {}  # id of a dropped diagnostic -> the one that keeps it
    for group in groups.values():
        if len(group) < 2:
            continue
        for diagnostic in group:
            reached = imports(os.path.realpath(diagnostic.path))
            nearer = [d for d in group if d is not diagnostic and id(d) not in dropped
                      and os.path.realpath(d.path) in reached]
            if nearer:
                dropped[id(diagnostic)] = nearer[0]
    notes: Dict[int, List[Diagnostic]] = {}
    for diagnostic in diagnostics:
        keeper = dropped.get(id(diagnostic))
        while keeper is not None and id(keeper) in dropped:
            keeper = dropped[id(keeper)]
        if keeper is not None:
            notes.setdefault(id(keeper), []).append(diagnostic)
    kept: List[Diagnostic] = []
    for diagnostic in diagnostics:
        if id(diagnostic) in dropped:
            continue
        for other in notes.get(id(diagnostic), ()):
            diagnostic = _also_reached_from(diagnostic, other)
        kept.append(diagnostic)
    return kept


def _reached_from(diagnostic: Diagnostic) -> Tuple[str, Related]:
    """The note and related location that name where ``diagnostic`` was reached from."""
    return (f"reached from {diagnostic.path}:{diagnostic.row}",
            Related("reached from here", diagnostic.path, diagnostic.row, diagnostic.col,
                    diagnostic.end_row, diagnostic.end_col))


def _also_reached_from(kept: Diagnostic, other: Diagnostic) -> Diagnostic:
    """``kept`` naming one more place that reaches its finding (``other``'s)."""
    note, reached = _reached_from(other)
    return dataclasses.replace(kept, notes=kept.notes + (note,), related=kept.related + (reached,))
