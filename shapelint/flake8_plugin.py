"""shapelint as a flake8 plugin: ``flake8 --select SHP`` reports the same diagnostics as
``shapelint check``.

flake8 does ``# noqa``, ``--select`` and ``--extend-ignore`` itself; this only reports. The
source comes from flake8's ``lines`` (never re-read from disk), so ``flake8 -`` from an editor
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
from typing import Any, ClassVar, Dict, Iterator, List, Optional, Sequence, Tuple

from . import __version__

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


class ShapelintPlugin:
    name = "shapelint"
    version = __version__

    #: Set by :meth:`parse_options`; the raw values, parsed once in :meth:`_options`.
    _input_values: ClassVar[Tuple[str, ...]] = ()
    _output_values: ClassVar[Tuple[str, ...]] = ()
    _parsed: ClassVar[Optional[Tuple[Any, Optional[str]]]] = None
    _config_options: ClassVar[Dict[str, Any]] = {}

    def __init__(self, tree: Any, filename: str, lines: Sequence[str]) -> None:
        self.tree = tree  # the ast of exactly "".join(lines): the engine analyses it, no second parse
        self.filename = filename
        self.lines = lines

    @classmethod
    def add_options(cls, option_manager: Any) -> None:
        from .core.codes import OFF_BY_DEFAULT  # a table of strings: nothing heavy

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
        cls._input_values = tuple(_as_list(getattr(options, "shapelint_input", None)))
        cls._output_values = tuple(_as_list(getattr(options, "shapelint_output", None)))
        cls._parsed = None
        cls._config_options = {}

    @classmethod
    def _cli_shapes(cls) -> Tuple[Any, Optional[str]]:
        """((inputs, outputs), None), or (None, the one-line reason a value is malformed)."""
        if cls._parsed is None:
            from .analysis.declarations import DeclarationError, parse_cli_shape

            try:
                inputs = dict(parse_cli_shape(v) for v in cls._input_values)
                outputs = dict(parse_cli_shape(v) for v in cls._output_values)
                cls._parsed = ((inputs, outputs), None)
            except DeclarationError as error:
                cls._parsed = (None, f"--shapelint-input/--shapelint-output: {error}")
        return cls._parsed

    def _options(self) -> Tuple[Any, Optional[str]]:
        """The analysis options for this file (CLI shapes over pyproject.toml's), or the reason
        there are none. One config per directory: flake8 may check thousands of files."""
        shapes, error = self._cli_shapes()
        if shapes is None:
            return None, error
        directory = os.path.dirname(os.path.abspath(self.filename)) if self.filename not in ("-", "stdin") else os.getcwd()
        cached = self._config_options.get(directory)
        if cached is None:
            from .config import ConfigError, load_config

            try:
                cached = (load_config([directory], None).options(*shapes), None)
            except ConfigError as config_error:
                cached = (None, str(config_error))
            self._config_options[directory] = cached
        return cached

    def run(self) -> Iterator[Tuple[int, int, str, type]]:
        source = "".join(self.lines)
        try:
            from . import analysis

            if not analysis.mentions_layers(source.encode("utf-8", "surrogatepass")):
                return  # without importing the engine: most files of a project
            from .core.codes import BAD_DECLARATION

            options, error = self._options()
            if options is None:
                # flake8 messages start with the code; a config shape error already names it inside.
                text = " ".join(str(error).split()).replace(f"{BAD_DECLARATION} ", "", 1)
                yield 1, 0, f"{BAD_DECLARATION} {text}", type(self)
                return
            # flake8 names discovered files `./pkg/m.py`; `pkg/m.py::Net` declarations expect `pkg/m.py`.
            path = self.filename if self.filename in ("-", "stdin") else os.path.normpath(self.filename)
            # flake8 parsed `source` itself (`ast.parse("".join(lines))`): its tree is the file's.
            tree = self.tree if isinstance(self.tree, ast.Module) else None
            diagnostics = analysis.analyze_source(source, path, options, tree=tree).diagnostics
        except Exception as error:  # never take flake8 (and every other plugin's report) down
            print(f"error: internal error in {self.filename}: {type(error).__name__}: "
                  f"{' '.join(str(error).split())}", file=sys.stderr)
            return
        for diagnostic in diagnostics:
            message = f"{diagnostic.code} {diagnostic.message}"
            if diagnostic.fix is not None and diagnostic.fix.applicability == "safe":
                message += FIXABLE_SUFFIX
            yield max(diagnostic.row, 1), max(diagnostic.col - 1, 0), message, type(self)
