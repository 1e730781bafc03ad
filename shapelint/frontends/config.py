"""Configuration: ``[tool.shapelint]`` in pyproject.toml, or a ``shapelint.toml``.

Discovery follows ruff: from the checked paths upwards, the nearest directory with a
``.shapelint.toml``, a ``shapelint.toml`` or a ``pyproject.toml`` that has a
``[tool.shapelint]`` table wins (in that order within one directory); ``--config FILE`` replaces
the search. Settings::

    [tool.shapelint]
    select = ["SHP1"]                   # code prefixes; default: every code
    extend-select = ["SHP201"]
    ignore = ["SHP202"]
    per-file-ignores = { "tests/*" = ["SHP101"] }
    exclude = ["generated/**"]
    max-kernel-size = 16                # solver bounds
    max-stride = 8
    max-dilation = 3

    [tool.shapelint.inputs]
    "Upsampler" = [16, 256, 16, 160, 160]
    "models/unet.py::UNet" = [1, 3, "h", "w"]

    [tool.shapelint.outputs]
    "Upsampler" = [16, 256, 16, 224, 224]

    [tool.shapelint.init]               # constructor arguments: literals, as in a call
    "UNet" = "3, n_classes=2"

Any problem is a :class:`ConfigError` whose message is one line naming the file and the key.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Pattern, Sequence, Tuple

from ..core.codes import OFF_BY_DEFAULT, PARSE_ERROR, TITLES
from ..core.solver_bounds import Bounds
from ..core.options import Options, split_model_key
from ..core.text import one_line

PYPROJECT = "pyproject.toml"
#: Files that hold the settings at their top level, most preferred first (as ruff's
#: ``.ruff.toml`` and ``ruff.toml``).
STANDALONE_FILES = (".shapelint.toml", "shapelint.toml")

KNOWN_KEYS = (
    "select",
    "ignore",
    "extend-select",
    "per-file-ignores",
    "exclude",
    "inputs",
    "outputs",
    "init",
    "max-kernel-size",
    "max-stride",
    "max-dilation",
)

ALL_CODES: Tuple[str, ...] = tuple(sorted(TITLES))


class ConfigError(Exception):
    """A configuration the user must correct; ``str()`` is one line naming the file and key."""


# --------------------------------------------------------------------------------------------
# Code selection (ruff's semantics)


def selector_specificity(code: str, selectors: Sequence[str]) -> int:
    """Length of the longest selector that matches ``code`` (``ALL``: 0); -1 when none does."""
    best = -1
    for selector in selectors:
        if selector == "ALL":
            best = max(best, 0)
        elif code.startswith(selector):
            best = max(best, len(selector))
    return best


def is_valid_selector(selector: str) -> bool:
    return selector == "ALL" or any(code.startswith(selector) for code in ALL_CODES)


# --------------------------------------------------------------------------------------------
# Globs (ruff's: ``*`` and ``?`` stop at ``/``, ``**`` crosses directories, ``{a,b}``, ``[...]``)


def glob_to_regex(pattern: str) -> Pattern[str]:
    out: List[str] = []
    i, n = 0, len(pattern)
    depth = 0  # inside {...}
    while i < n:
        c = pattern[i]
        if c == "*":
            if pattern.startswith("**", i):
                i += 2
                if i < n and pattern[i] == "/":
                    i += 1
                    out.append("(?:.*/)?")  # `**/` also matches no directory at all
                else:
                    out.append(".*")
                continue
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            klass, i = _bracket(pattern, i)
            out.append(klass)
            continue
        elif c == "{":
            depth += 1
            out.append("(?:")
        elif c == "}" and depth:
            depth -= 1
            out.append(")")
        elif c == "," and depth:
            out.append("|")
        else:
            out.append(re.escape(c))
        i += 1
    if depth:
        raise ValueError(f"unclosed '{{' in {pattern!r}")
    return re.compile("".join(out) + r"\Z", re.DOTALL)


def _bracket(pattern: str, i: int) -> Tuple[str, int]:
    """The regex of the ``[...]`` starting at ``pattern[i]`` and the index after it; an
    unclosed ``[`` is literal. ``[!...]``/``[^...]`` negate, ``a-z`` is a range (a reversed one
    matches nothing), ``]`` first is literal, as in fnmatch; ``/`` is never matched."""
    n = len(pattern)
    j = i + 1
    if j < n and pattern[j] in "!^":
        j += 1
    if j < n and pattern[j] == "]":
        j += 1
    while j < n and pattern[j] != "]":
        j += 1
    if j >= n:
        return re.escape("["), i + 1
    body = pattern[i + 1 : j]
    negate = body[:1] in ("!", "^")
    if negate:
        body = body[1:]
    items: List[str] = []
    k = 0
    while k < len(body):
        if k + 2 < len(body) and body[k + 1] == "-":
            low, high = body[k], body[k + 2]
            if low <= high:
                items.append(f"{re.escape(low)}-{re.escape(high)}")
            k += 3
        else:
            items.append(re.escape(body[k]))
            k += 1
    if negate:
        return "[^/" + "".join(items) + "]", j + 1
    if not items:
        return "(?!)", j + 1
    return "(?!/)[" + "".join(items) + "]", j + 1


@dataclass(frozen=True)
class Glob:
    """A pattern of ``exclude`` or ``per-file-ignores``: relative to the project root (a leading
    ``./`` changes nothing), absolute when it starts with ``/``, and a pattern without ``/``
    matches a name in any directory (``__init__.py``, ``*_pb2.py``)."""

    pattern: str
    regex: Pattern[str] = field(compare=False, repr=False)

    @classmethod
    def compile(cls, pattern: str) -> "Glob":
        body = pattern
        while body.startswith("./"):
            body = body[2:]
        if len(body) > 1:
            body = body.rstrip("/")
        return cls(pattern, glob_to_regex(body))

    @property
    def is_absolute(self) -> bool:
        return self.pattern.startswith("/")

    @property
    def has_directory(self) -> bool:
        body = self.pattern[2:] if self.pattern.startswith("./") else self.pattern
        return "/" in body.rstrip("/")

    def _target(self, relative: str, absolute: str) -> str:
        return absolute if self.is_absolute else relative

    def matches_file(self, relative: str, absolute: str) -> bool:
        """per-file-ignores: the whole path or, for a pattern without ``/``, the file name."""
        if self.regex.match(self._target(relative, absolute)):
            return True
        return not self.has_directory and bool(self.regex.match(relative.rsplit("/", 1)[-1]))

    def matches_tree(self, relative: str, absolute: str) -> bool:
        """exclude: the path or any directory above it, so ``build`` excludes ``build/x.py``."""
        parts = self._target(relative, absolute).split("/")
        for end in range(len(parts), 0, -1):
            if self.regex.match("/".join(parts[:end])):
                return True
            if not self.has_directory and self.regex.match(parts[end - 1]):
                return True
        return False


# --------------------------------------------------------------------------------------------
# The configuration


@dataclass
class Config:
    #: The project directory: where the config file is (the working directory without one).
    root: str
    #: The file the settings came from; None for the defaults.
    source: Optional[str] = None
    #: None: every code (the default), else the code prefixes to report.
    select: Optional[Tuple[str, ...]] = None
    extend_select: Tuple[str, ...] = ()
    ignore: Tuple[str, ...] = ()
    per_file_ignores: Tuple[Tuple[Glob, Tuple[str, ...]], ...] = ()
    exclude: Tuple[Glob, ...] = ()
    #: Declared shapes as written in the file (JSON-able), and parsed.
    raw_inputs: Dict[str, Any] = field(default_factory=dict)
    raw_outputs: Dict[str, Any] = field(default_factory=dict)
    inputs: Dict[str, Any] = field(default_factory=dict)
    outputs: Dict[str, Any] = field(default_factory=dict)
    #: Constructor arguments as written (``"3, n_classes=2"``), and parsed (``InitArgs``).
    raw_inits: Dict[str, str] = field(default_factory=dict)
    inits: Dict[str, Any] = field(default_factory=dict)
    bounds: Bounds = Bounds()

    # ---------------------------------------------------------------- selection

    def _selected_ignoring_files(self, code: str, off_by_default_decided_elsewhere: bool = False) -> bool:
        if self.select is None:
            chosen = selector_specificity(code, self.extend_select)
            if code not in OFF_BY_DEFAULT or off_by_default_decided_elsewhere:
                chosen = max(0, chosen)
        else:
            chosen = selector_specificity(code, self.select + self.extend_select)
            if code == PARSE_ERROR:
                # Like ruff's syntax errors: an unparsable file was not checked at all, which a
                # narrower selection must not hide; only naming SHP001 in `ignore` does.
                chosen = max(chosen, 0)
        dropped = selector_specificity(code, self.ignore)
        if code == PARSE_ERROR and dropped < len(PARSE_ERROR):
            dropped = -1
        # The more specific selector wins; a tie goes to ignore, as in ruff.
        return chosen >= 0 and chosen > dropped

    def is_per_file_ignored(self, code: str, path: str) -> bool:
        """Whether ``per-file-ignores`` drops ``code`` for ``path``."""
        if not self.per_file_ignores:
            return False
        relative = self.relative_path(path)
        absolute = _posix_absolute(path)
        for glob, selectors in self.per_file_ignores:
            if glob.matches_file(relative, absolute) and selector_specificity(code, selectors) >= 0:
                if code == PARSE_ERROR and PARSE_ERROR not in selectors:
                    continue
                return True
        return False

    def is_selected(self, code: str, path: str, off_by_default_decided_elsewhere: bool = False) -> bool:
        """Whether ``code`` is reported for ``path``: select/extend-select/ignore by prefix,
        the more specific selector winning, then per-file-ignores. With
        ``off_by_default_decided_elsewhere`` (the flake8 plugin: flake8's default ignore list holds
        those codes, and its ``--select SHP301`` turns them on), a code off by default is not
        dropped for being off by default, only for an explicit ignore."""
        return (self._selected_ignoring_files(code, off_by_default_decided_elsewhere)
                and not self.is_per_file_ignored(code, path))

    def selected_codes(self) -> Tuple[str, ...]:
        return tuple(code for code in ALL_CODES if self._selected_ignoring_files(code))

    # ---------------------------------------------------------------- files

    def relative_path(self, path: str) -> str:
        """``path`` relative to the project root, with ``/``; absolute when outside it."""
        absolute = os.path.abspath(path)
        try:
            relative = os.path.relpath(absolute, self.root)
        except ValueError:  # another drive
            return absolute.replace(os.sep, "/")
        if relative == ".." or relative.startswith(".." + os.sep):
            return absolute.replace(os.sep, "/")
        return relative.replace(os.sep, "/")

    def is_excluded(self, path: str) -> bool:
        """Whether the config's ``exclude`` matches ``path`` or a directory above it (within the
        project). The usual excludes (``.git``, ``.venv``, ...) are the file discovery's job."""
        if not self.exclude or path == "-":
            return False
        relative = self.relative_path(path)
        if relative == ".":
            return False
        absolute = _posix_absolute(path)
        return any(glob.matches_tree(relative, absolute) for glob in self.exclude)

    # ---------------------------------------------------------------- options

    def options(
        self,
        cli_inputs: Optional[Mapping[str, Any]] = None,
        cli_outputs: Optional[Mapping[str, Any]] = None,
        cli_inits: Optional[Mapping[str, Any]] = None,
    ) -> Options:
        return Options(
            cli_inputs=dict(cli_inputs or {}),
            cli_outputs=dict(cli_outputs or {}),
            config_inputs=self._resolved(self.inputs),
            config_outputs=self._resolved(self.outputs),
            cli_inits=dict(cli_inits or {}),
            config_inits=self._resolved(self.inits),
            bounds=self.bounds,
            select=self.selected_codes(),
            ignore=self.ignore,
        )

    def setting_name(self, table: str, key: str) -> str:
        """How a key reads in messages: ``tool.shapelint.inputs."models/net.py::Net"``."""
        standalone = self.source is not None and os.path.basename(self.source) != PYPROJECT
        return f"{'' if standalone else 'tool.shapelint.'}{table}.{_toml_key(key)}"

    def resolve_key(self, key: str) -> str:
        """A declaration key with its path made absolute against the project root, so that
        ``"models/net.py::Net"`` names one file whatever the working directory."""
        path, name = split_model_key(key)
        if not path:
            return key
        return f"{os.path.normpath(os.path.join(self.root, path))}::{name}"

    def _resolved(self, shapes: Mapping[str, Any]) -> Dict[str, Any]:
        return {self.resolve_key(key): spec for key, spec in shapes.items()}

    def cache_key(self) -> str:
        """A stable hash of everything here that changes what a check reports."""
        data = {
            "root": os.path.normcase(self.root),
            "select": self.select,
            "extend-select": self.extend_select,
            "ignore": self.ignore,
            "per-file-ignores": [[g.pattern, list(codes)] for g, codes in self.per_file_ignores],
            "exclude": [g.pattern for g in self.exclude],
            "inputs": self.raw_inputs,
            "outputs": self.raw_outputs,
            "init": self.raw_inits,
            "bounds": [self.bounds.max_kernel_size, self.bounds.max_stride, self.bounds.max_dilation],
        }
        import hashlib

        text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=list)
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _posix_absolute(path: str) -> str:
    return os.path.abspath(path).replace(os.sep, "/")


# --------------------------------------------------------------------------------------------
# Reading


def _load_toml(path: str) -> Dict[str, Any]:
    try:
        import tomllib  # type: ignore[import-not-found]
    except ModuleNotFoundError:  # Python < 3.11
        try:
            import tomli as tomllib  # type: ignore[no-redef]
        except ModuleNotFoundError:
            raise ConfigError(f"{path}: reading TOML needs the tomli package on Python < 3.11") from None

    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {one_line(error)}") from None
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: not UTF-8 ({error.reason})") from None


def _tool_table(document: Mapping[str, Any]) -> Optional[Any]:
    tool = document.get("tool")
    if not isinstance(tool, dict):
        return None
    return tool.get("shapelint")


def _settings_file_in(directory: str) -> Optional[Tuple[str, Dict[str, Any], str]]:
    """(file, settings, key prefix for messages) of the settings in ``directory``, if any."""
    for name in STANDALONE_FILES:
        candidate = os.path.join(directory, name)
        if os.path.isfile(candidate):
            return candidate, _load_toml(candidate), ""
    candidate = os.path.join(directory, PYPROJECT)
    if os.path.isfile(candidate) and _mentions_shapelint(candidate):
        table = _tool_table(_load_toml(candidate))
        if table is not None:
            return candidate, table, "tool.shapelint."
    return None


def _mentions_shapelint(path: str) -> bool:
    """Whether the file can hold a shapelint table: most pyproject.toml files need no parsing."""
    try:
        with open(path, "rb") as handle:
            return b"shapelint" in handle.read()
    except OSError:
        return True  # let the parser report it


def _start_directory(paths: Sequence[str]) -> str:
    """Where the search starts: the deepest directory holding every checked path."""
    directories = []
    for path in paths or ["."]:
        if path == "-":
            path = "."
        absolute = os.path.abspath(path)
        directories.append(absolute if os.path.isdir(absolute) else os.path.dirname(absolute))
    try:
        return os.path.commonpath(directories)
    except ValueError:  # different drives: the first path decides
        return directories[0]


def find_config_file(paths: Sequence[str]) -> Optional[Tuple[str, Dict[str, Any], str]]:
    directory = _start_directory(paths)
    while True:
        found = _settings_file_in(directory)
        if found is not None:
            return found
        parent = os.path.dirname(directory)
        if parent == directory:  # the filesystem root
            return None
        directory = parent


def load_config(paths: List[str], config_file: Optional[str] = None) -> Config:
    """The settings for checking ``paths``: from ``config_file`` if given, else the nearest
    config file above the paths, else the defaults."""
    if config_file is not None:
        document = _load_toml(config_file)
        if os.path.basename(config_file) == PYPROJECT:
            table = _tool_table(document)
            if table is None:
                raise ConfigError(f"{config_file}: no [tool.shapelint] table")
            prefix = "tool.shapelint."
        else:
            table, prefix = document, ""
        return parse_settings(table, config_file, prefix)
    return config_from(find_config_file(paths))


def config_from(found: Optional[Tuple[str, Dict[str, Any], str]]) -> Config:
    """The settings of what :func:`find_config_file` found; the defaults for nothing."""
    if found is None:
        return Config(root=os.path.abspath(os.getcwd()))
    return parse_settings(found[1], found[0], found[2])


# --------------------------------------------------------------------------------------------
# Validation


class _Reader:
    def __init__(self, source: str, prefix: str) -> None:
        self.source = source
        self.prefix = prefix

    def error(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.source}: {self.prefix}{key}: {one_line(problem)}")

    def codes(self, key: str, value: Any) -> Tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(key, f"expected a list of codes such as [\"SHP1\", \"SHP201\"], got {_show(value)}")
        for selector in value:
            if not is_valid_selector(selector):
                hint = ""
                if is_valid_selector(selector.strip().upper()):
                    hint = f" (did you mean {selector.strip().upper()!r}?)"
                raise self.error(key, f"unknown code {selector!r}: no shapelint code starts with it{hint}")
        return tuple(value)

    def globs(self, key: str, value: Any) -> Tuple[Glob, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(key, f"expected a list of glob patterns, got {_show(value)}")
        return tuple(self.glob(key, v) for v in value)

    def glob(self, key: str, pattern: str) -> Glob:
        try:
            return Glob.compile(pattern)
        except (ValueError, re.error) as error:
            raise self.error(key, f"invalid glob {pattern!r}: {error}") from None

    def positive_int(self, key: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise self.error(key, f"expected a positive integer, got {_show(value)}")
        return value

    def shapes(self, key: str, value: Any) -> Tuple[Dict[str, Any], Dict[str, Any]]:
        if not isinstance(value, dict):
            raise self.error(key, f"expected a table of model names to shapes, got {_show(value)}")
        from ..core.shapespec import DeclarationError, shape_from_config
        from ..core.codes import BAD_DECLARATION

        parsed: Dict[str, Any] = {}
        for name, shape in value.items():
            if not _is_model_name(name):
                raise self.error(
                    f"{key}.{_toml_key(name)}",
                    "expected a class or variable name, or path/to/file.py::Name",
                )
            try:
                parsed[name] = shape_from_config(shape)
            except DeclarationError as error:
                # A malformed shape (SHP002) in the config is a configuration error: exit 2.
                raise self.error(f"{key}.{_toml_key(name)}",
                                 f"{BAD_DECLARATION} malformed shape declaration: {error}") from None
        return dict(value), parsed

    def inits(self, key: str, value: Any) -> Tuple[Dict[str, str], Dict[str, Any]]:
        """``"UNet" = "3, n_classes=2"``: constructor arguments by model name."""
        if not isinstance(value, dict):
            raise self.error(key, f"expected a table of model names to constructor arguments, got {_show(value)}")
        from ..core.initargs import parse_init_args
        from ..core.shapespec import DeclarationError

        parsed: Dict[str, Any] = {}
        for name, arguments in value.items():
            setting = f"{key}.{_toml_key(name)}"
            if not _is_model_name(name):
                raise self.error(setting, "expected a class or variable name, or path/to/file.py::Name")
            if not isinstance(arguments, str):
                raise self.error(setting, "expected the arguments as a string such as \"3, n_classes=2\","
                                          f" got {_show(arguments)}")
            try:
                parsed[name] = parse_init_args(arguments, f"{self.source}: {self.prefix}{setting}")
            except DeclarationError as error:
                raise self.error(setting, str(error)) from None
        return dict(value), parsed


_IDENTIFIER = r"[A-Za-z_][A-Za-z0-9_]*"
_MODEL_NAME = re.compile(rf"(?:.+::)?{_IDENTIFIER}(?:\.{_IDENTIFIER})*\Z")


def _is_model_name(name: str) -> bool:
    return bool(_MODEL_NAME.match(name))


def _toml_key(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else json.dumps(name)


def _show(value: Any) -> str:
    text = repr(value)
    if isinstance(value, (dict, list)):
        text = f"{type(value).__name__} {text}"
    elif not isinstance(value, str):
        text = f"{type(value).__name__} {text}"
    return text if len(text) <= 60 else text[:56] + "...'"


def parse_settings(table: Any, source: str, prefix: str = "tool.shapelint.") -> Config:
    """Validate a settings table read from ``source`` into a :class:`Config`."""
    reader = _Reader(source, prefix)
    if not isinstance(table, dict):
        raise ConfigError(f"{source}: {prefix.rstrip('.') or 'settings'}: expected a table")
    for key in table:
        if key not in KNOWN_KEYS:
            import difflib  # only for the error message

            close = difflib.get_close_matches(key.replace("_", "-"), KNOWN_KEYS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise reader.error(key, f"unknown setting{hint}")
    config = Config(root=os.path.dirname(os.path.abspath(source)), source=os.path.abspath(source))
    if "select" in table:
        config.select = reader.codes("select", table["select"])
    if "extend-select" in table:
        config.extend_select = reader.codes("extend-select", table["extend-select"])
    if "ignore" in table:
        config.ignore = reader.codes("ignore", table["ignore"])
    if "per-file-ignores" in table:
        value = table["per-file-ignores"]
        if not isinstance(value, dict):
            raise reader.error("per-file-ignores", f"expected a table of glob = [codes], got {_show(value)}")
        entries = []
        for pattern, codes in value.items():
            key = f"per-file-ignores.{_toml_key(pattern)}"
            entries.append((reader.glob(key, pattern), reader.codes(key, codes)))
        config.per_file_ignores = tuple(entries)
    if "exclude" in table:
        config.exclude = reader.globs("exclude", table["exclude"])
    if "inputs" in table:
        config.raw_inputs, config.inputs = reader.shapes("inputs", table["inputs"])
    if "outputs" in table:
        config.raw_outputs, config.outputs = reader.shapes("outputs", table["outputs"])
    if "init" in table:
        config.raw_inits, config.inits = reader.inits("init", table["init"])
    config.bounds = _solver_bounds(reader, table)
    return config


def _solver_bounds(reader: _Reader, table: Dict[str, Any]) -> Bounds:
    """``max-kernel-size``, ``max-stride``, ``max-dilation``: positive and within the solver's
    limits (``solver_bounds.LIMITS``: past them a search is slow and finds no real layer)."""
    values: Dict[str, int] = {}
    for name in ("max_kernel_size", "max_stride", "max_dilation"):
        key = name.replace("_", "-")
        if key in table:
            value = reader.positive_int(key, table[key])
            problem = Bounds.problem(name, value)
            if problem:
                raise reader.error(key, f"{problem}, got {value}")
            values[name] = value
    return Bounds(**values)
