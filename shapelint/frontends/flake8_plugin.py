"""shapelint as a flake8 plugin: ``flake8 --select SHP`` reports the same diagnostics as
``shapelint check``.

The project's settings apply as in ``shapelint check``: ``select``, ``extend-select``,
``ignore``, ``per-file-ignores``, ``exclude``, ``inputs`` and ``outputs`` of the config file found
from the linted file's directory (from ``--stdin-display-name``'s, or the working directory, for
stdin). flake8 then applies its own ``--select``, ``--extend-ignore``, ``--per-file-ignores`` and
``# noqa`` to what is left: both must let a diagnostic through. A config key that names no model
is not warned about here: flake8 shows one file at a time, so no file can tell (``shapelint
check`` warns once per run).

The source comes from flake8's ``lines`` (never re-read from disk), so ``flake8 -`` from an editor
checks the buffer, not the file. Everything heavy is imported in :meth:`ShapelintPlugin.run`,
so loading the plugin costs flake8 nothing on start-up.

Options (command line or ``[flake8]`` config, one ``NAME=SHAPE`` per line there)::

    --shapelint-input NAME=SHAPE    input shape of a model, e.g. Net=16,3,64,64 (repeatable)
    --shapelint-output NAME=SHAPE   expected output shape of a model (repeatable)
"""

from __future__ import annotations

import argparse
import ast
import os
import sys
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Optional, Sequence, Tuple

from .. import __version__
from ..core.text import one_line

FIXABLE_SUFFIX = " [*] fixable with shapelint check --fix"


class _AppendShape(argparse.Action):
    """``action="append"`` that also accepts the string flake8 puts as default from its config."""

    def __call__(self, parser, namespace, values, option_string=None):  # type: ignore[override]
        items = _as_list(getattr(namespace, self.dest, None))
        items.append(values)
        setattr(namespace, self.dest, items)


def _as_list(value: Any) -> List[str]:
    """Option values as a list: from the command line a list, from a config file one string with
    one ``NAME=SHAPE`` per line (commas belong to the shapes, so they cannot separate them)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [line.strip() for line in value.splitlines() if line.strip()]
    return [str(v).strip() for v in value if str(v).strip()]


#: The attribute of flake8's options object that holds the run's :class:`RunSettings`.
SETTINGS_ATTRIBUTE = "_shapelint_settings"

#: What flake8 calls the file it reads from stdin without ``--stdin-display-name``.
FLAKE8_STDIN_NAMES = ("-", "stdin")

if TYPE_CHECKING:
    from .config import Config
    from ..core.options import Options

#: (the config and the analysis options for its files, None) or (None, None, the one-line error).
Settings = Tuple[Optional["Config"], Optional["Options"], Optional[str]]


class RunSettings:
    """The settings of one flake8 run: the ``--shapelint-input``/``--shapelint-output`` values
    and the config files met so far.

    It lives on flake8's options object (set in :meth:`ShapelintPlugin.parse_options`, reached
    through the ``options`` parameter flake8 passes to the plugin), not on the class or the
    module: each flake8 run, and each of its worker processes, has its own, so two runs in one
    process (an editor's daemon, the tests) never share a stale config, and an edited
    pyproject.toml is read again by the next run. Within a run, a directory is looked up once
    and a config file parsed once, however many directories share it: flake8 may check
    thousands of files.
    """

    def __init__(self, input_values: Sequence[str] = (), output_values: Sequence[str] = ()) -> None:
        self.input_values = tuple(input_values)
        self.output_values = tuple(output_values)
        self._cli: Optional[Tuple[Any, Optional[str]]] = None
        self._by_directory: Dict[str, Settings] = {}
        self._by_config_file: Dict[Optional[str], Settings] = {}
        self._project_files: Any = None

    def project_files(self) -> Any:
        """The project files this run's analyses parsed and ran (``analysis.project``): a
        module every model file imports is read once per worker, not once per file."""
        if self._project_files is None:
            from ..analysis.project import ProjectFiles

            self._project_files = ProjectFiles()
        return self._project_files

    @classmethod
    def from_options(cls, options: Any) -> "RunSettings":
        return cls(_as_list(getattr(options, "shapelint_input", None)),
                   _as_list(getattr(options, "shapelint_output", None)))

    def cli_shapes(self) -> Tuple[Any, Optional[str]]:
        """((inputs, outputs), None), or (None, the one-line reason a value is malformed)."""
        if self._cli is None:
            from ..core.shapespec import DeclarationError, parse_cli_shape

            try:
                inputs = dict(parse_cli_shape(v) for v in self.input_values)
                outputs = dict(parse_cli_shape(v) for v in self.output_values)
                self._cli = ((inputs, outputs), None)
            except DeclarationError as error:
                self._cli = (None, f"--shapelint-input/--shapelint-output: {error}")
        return self._cli

    def for_directory(self, directory: str) -> Settings:
        """The settings for the files of ``directory`` (an absolute path)."""
        found = self._by_directory.get(directory)
        if found is None:
            found = self._load(directory)
            self._by_directory[directory] = found
        return found

    def _load(self, directory: str) -> Settings:
        shapes, error = self.cli_shapes()
        if shapes is None:
            return None, None, error
        from .config import ConfigError, config_from, find_config_file

        try:
            located = find_config_file([directory])
        except ConfigError as config_error:  # invalid TOML on the way up
            return None, None, str(config_error)
        source = located[0] if located is not None else None
        found = self._by_config_file.get(source)
        if found is None:
            try:
                config = config_from(located)
                found = (config, config.options(*shapes), None)
            except ConfigError as config_error:
                found = (None, None, str(config_error))
            self._by_config_file[source] = found
        return found


def settings_of(options: Any) -> RunSettings:
    """The run's settings held by flake8's ``options`` (fresh ones without options: a plugin
    made by hand, outside flake8)."""
    if options is None:
        return RunSettings()
    settings = getattr(options, SETTINGS_ATTRIBUTE, None)
    if settings is None:  # flake8 always calls parse_options first; a hand-made namespace may not
        settings = RunSettings.from_options(options)
        setattr(options, SETTINGS_ATTRIBUTE, settings)
    return settings


class ShapelintPlugin:
    name = "shapelint"
    version = __version__

    def __init__(self, tree: Any, filename: str, lines: Sequence[str], options: Any = None) -> None:
        self.tree = tree  # the ast of exactly "".join(lines): the engine analyses it, no second parse
        self.filename = filename
        self.lines = lines
        self.settings = settings_of(options)

    @classmethod
    def add_options(cls, option_manager: Any) -> None:
        from ..core.codes import OFF_BY_DEFAULT  # a table of strings: nothing heavy

        # As in `shapelint check`: reported once a selection names them (`--select SHP301`).
        option_manager.extend_default_ignore(list(OFF_BY_DEFAULT))
        option_manager.add_option(
            "--shapelint-input",
            action=_AppendShape,
            default=None,
            parse_from_config=True,
            metavar="NAME=SHAPE",
            help="input shape of a model for shapelint (class or variable name), e.g. "
            "Net=16,3,64,64; repeatable (in the config file, one per line)",
        )
        option_manager.add_option(
            "--shapelint-output",
            action=_AppendShape,
            default=None,
            parse_from_config=True,
            metavar="NAME=SHAPE",
            help="expected output shape of a model for shapelint; repeatable",
        )

    @classmethod
    def parse_options(cls, options: argparse.Namespace) -> None:
        setattr(options, SETTINGS_ATTRIBUTE, RunSettings.from_options(options))

    def _path(self) -> str:
        """The file's path as ``shapelint check`` names it: ``-`` for stdin without a display
        name; ``pkg/m.py`` for flake8's ``./pkg/m.py``."""
        if self.filename in FLAKE8_STDIN_NAMES:
            return "-"
        return os.path.normpath(self.filename)

    def _settings(self, path: str) -> Settings:
        """The settings for ``path``: from the config found from its directory, as the CLI finds
        it (stdin: from the working directory)."""
        directory = os.getcwd() if path == "-" else os.path.dirname(os.path.abspath(path))
        return self.settings.for_directory(directory)

    def run(self) -> Iterator[Tuple[int, int, str, type]]:
        source = "".join(self.lines)
        try:
            from .. import analysis

            if not analysis.mentions_layers(source.encode("utf-8", "surrogatepass")):
                return  # without importing the engine: most files of a project
            from ..core.codes import BAD_DECLARATION
            from ..core.results import is_fixable

            path = self._path()
            config, options, error = self._settings(path)
            if config is None or options is None:
                # flake8 messages start with the code; a config shape error already names it inside.
                text = one_line(error).replace(f"{BAD_DECLARATION} ", "", 1)
                yield 1, 0, f"{BAD_DECLARATION} {text}", type(self)
                return
            if config.is_excluded(path):
                return
            # flake8 parsed `source` itself (`ast.parse("".join(lines))`): its tree is the file's.
            tree = self.tree if isinstance(self.tree, ast.Module) else None
            diagnostics = analysis.analyze_source(source, path, options, tree=tree,
                                                  files=self.settings.project_files()).diagnostics
        except Exception as error:  # never take flake8 (and every other plugin's report) down
            print(f"error: internal error in {self.filename}: {type(error).__name__}: "
                  f"{one_line(error)}", file=sys.stderr)
            return
        for diagnostic in diagnostics:
            if not config.is_selected(diagnostic.code, path, off_by_default_decided_elsewhere=True):
                continue
            message = f"{diagnostic.code} {diagnostic.message}"
            if is_fixable(diagnostic):
                message += FIXABLE_SUFFIX
            yield max(diagnostic.row, 1), max(diagnostic.col - 1, 0), message, type(self)
