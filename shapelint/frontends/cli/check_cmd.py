"""``shapelint check PATH...``: report shape problems; ``--fix`` repairs, ``--diff`` shows how.

Exit status (like ruff, as the README says): 0 nothing reported, 1 diagnostics reported (with
``--diff``: changes would be made), 2 bad usage, bad configuration or an internal error, always
with one line on stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from typing import TYPE_CHECKING, Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple

from .. import runner
from .usage import OneLineArgumentParser, UsageError, print_error
from ...core.text import DECODE_ERRORS, decode_for_rewrite, decode_source, one_line
from ...core.options import key_declares, same_file, split_model_key
from ...core.results import Diagnostic, ModelSummary, is_fixable

if TYPE_CHECKING:
    from ..config import Config

#: How often ``--fix`` re-checks and fixes again (a fix may uncover the next one), like ruff.
MAX_FIX_ROUNDS = 10

FORMATS = ("text", "json", "sarif", "github")


# --------------------------------------------------------------------------------------------
# Shared argument handling (also used by ``shapelint shapes``)


def parse_shapes(values: Sequence[str], flag: str) -> Dict[str, object]:
    """``--input NAME=SHAPE`` values by name (a later one wins); a bad one is a UsageError."""
    shapes: Dict[str, object] = {}
    if not values:
        return shapes  # without importing the analysis layer: a cache hit needs none
    from ...core.shapespec import DeclarationError, parse_cli_shape
    from ...core.codes import BAD_DECLARATION

    for value in values:
        try:
            name, spec = parse_cli_shape(value)
        except DeclarationError as error:
            # A malformed shape (SHP002) on the command line is bad usage (exit 2): the user typed it just now.
            raise UsageError(f"{BAD_DECLARATION} malformed shape declaration in {flag}: {error}") from None
        shapes[name] = spec
    return shapes


def parse_inits(values: Sequence[str]) -> Dict[str, object]:
    """``--init NAME=ARGS`` values by name (a later one wins); a bad one is a UsageError."""
    inits: Dict[str, object] = {}
    if not values:
        return inits
    from ...core.initargs import parse_cli_init
    from ...core.shapespec import DeclarationError

    for value in values:
        try:
            name, arguments = parse_cli_init(value)
        except DeclarationError as error:
            raise UsageError(f"--init: {error}") from None
        inits[name] = arguments
    return inits


def raise_option_errors(outcomes: Sequence[runner.FileOutcome], options) -> None:
    """Constructor arguments given with ``--init`` or in the configuration that do not bind to
    the model's ``__init__`` (the analysis reports them as SHP002 at the model, where the flake8
    plugin shows them): bad usage here, one line and exit 2."""
    origins = tuple(f"{arguments.origin}: " for arguments in
                    list(options.cli_inits.values()) + list(options.config_inits.values()))
    if not origins:
        return
    from ...core.codes import BAD_DECLARATION

    for outcome in outcomes:
        for diagnostic in outcome.result.diagnostics if outcome.result is not None else ():
            if diagnostic.code == BAD_DECLARATION and diagnostic.message.startswith(origins):
                raise UsageError(f"{diagnostic.path}:{diagnostic.row}: {diagnostic.message}")


def load_config(paths: Sequence[str], config_file: Optional[str]):
    from ..config import ConfigError, load_config as load

    if config_file is not None and not os.path.isfile(config_file):
        raise UsageError(f"config file not found: {config_file}")
    try:
        return load(list(paths), config_file)
    except ConfigError as error:
        raise UsageError(str(error)) from None


def read_stdin() -> bytes:
    stream = sys.stdin
    if stream is None:  # no stdin at all (a daemon, CI): nothing to check
        return b""
    buffer = getattr(stream, "buffer", None)
    if buffer is not None:
        return buffer.read()
    return stream.read().encode("utf-8")


def warn_unmatched_declarations(
    declared: Dict[str, Dict[str, object]],
    outcomes: Sequence[runner.FileOutcome],
    config: Optional["Config"] = None,
    checked_paths: Sequence[str] = (),
) -> None:
    """Warn (stderr, one line per name, once per run) about ``--input``/``--output`` names and
    the config's ``inputs``/``outputs`` keys that match no model: a typo there would otherwise
    silently leave the model unchecked."""
    if not any(o.result is not None for o in outcomes):
        return
    models = CheckedModels(outcomes)
    for flag, shapes in declared.items():
        for key in shapes:
            if not models.declared_by(key):
                print(f"warning: {flag} {key}: {no_model_for(key)}", file=sys.stderr)
    if config is not None:
        for message in unmatched_config_declarations(config, models, checked_paths):
            print(f"warning: {message}", file=sys.stderr)


def no_model_for(key: str) -> str:
    """Why a command-line key declares nothing; its path is relative to the working directory."""
    path, name = split_model_key(key)
    if path and not os.path.isfile(path):
        return f"no file {path} (a path in a key is relative to the working directory)"
    return f"no model named {name!r} in {path or 'the checked files'}"


class CheckedModels:
    """The models of a run's outcomes, to tell whether a declaration key names one of them."""

    def __init__(self, outcomes: Sequence[runner.FileOutcome]) -> None:
        self.files = [o.path for o in outcomes if o.result is not None]
        self.files_by_model: Dict[str, List[str]] = {}
        for outcome in outcomes:
            if outcome.result is not None:
                for model in outcome.result.models:
                    self.files_by_model.setdefault(model.name, []).append(outcome.path)

    def declared_by(self, key: str) -> bool:
        """Whether ``key`` names a model, or a module-level variable in a file with models
        (``net = Net()``: ``--input net=...`` declares Net, as the engine reads it)."""
        name = split_model_key(key)[1]
        if any(key_declares(key, name, path) for path in self.files_by_model.get(name, ())):
            return True
        files = {path for paths in self.files_by_model.values() for path in paths}
        return any(key_declares(key, name, path) and assigns_at_module_level(path, name)
                   for path in sorted(files))


def assigns_at_module_level(path: str, name: str) -> bool:
    """Whether the file assigns ``name`` at module level (``net = Net()``, ``net: Net = ...``).
    Read only for a name no model has, so only on the way to a warning."""
    import re

    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return False
    pattern = rb"^" + re.escape(name.encode()) + rb"[ \t]*(?::[^=\n]*)?=(?!=)"
    return re.search(pattern, data, re.MULTILINE) is not None


def unmatched_config_declarations(
    config: "Config", models: CheckedModels, checked_paths: Sequence[str]
) -> List[str]:
    """What to say about the config's declarations that match no model. A config outlives a
    run, so a key is judged only where this run can tell: ``path::Name`` when that file does not
    exist or was checked, a bare name when the whole project was checked (a pre-commit run over
    two staged files says nothing about the models elsewhere)."""
    whole_project = covers_directory(checked_paths, config.root)
    messages = []
    for table, shapes in (("inputs", config.inputs), ("outputs", config.outputs), ("init", config.inits)):
        for key in shapes:
            resolved = config.resolve_key(key)
            path, name = split_model_key(resolved)
            where = f"{config.source}: {config.setting_name(table, key)}"
            if path and not os.path.isfile(path):
                messages.append(f"{where}: no file {path} (a path in a key is relative to the "
                                f"directory of {os.path.basename(config.source or '')})")
            elif path and not any(same_file(path, f) for f in models.files):
                continue
            elif not path and not whole_project:
                continue
            elif not models.declared_by(resolved):
                scope = config.relative_path(path) if path else "the checked files"
                messages.append(f"{where}: no model named {name!r} in {scope}")
    return messages


def covers_directory(paths: Sequence[str], directory: str) -> bool:
    """Whether checking ``paths`` checks everything under ``directory``."""
    target = os.path.realpath(directory)
    for path in paths:
        if os.path.isdir(path):
            top = os.path.realpath(path)
            try:
                if os.path.commonpath([top, target]) == top:
                    return True
            except ValueError:  # another drive
                continue
    return False


def make_job(config: "Config", options, use_cache: bool, keep_models: bool = True) -> runner.Job:
    """What the workers need: the options and, unless disabled, where the cache is (at the
    project root: the config file's directory, else the nearest pyproject.toml/.git above).
    ``keep_models=False``: the outcomes carry diagnostics only (what ``check`` reports)."""
    cache_dir = None
    if use_cache:
        root = config.root if config.source else runner.find_project_root(os.getcwd())
        cache_dir = runner.default_cache_dir(root)
    return runner.Job(options, cache_dir, runner.Cache.settings_key_for(config.cache_key(), options),
                      keep_models=keep_models)


def report_internal_errors(outcomes: Sequence[runner.FileOutcome]) -> bool:
    """Print one line per file that crashed the engine; True when there was any."""
    for outcome in outcomes:
        print(f"error: internal error in {outcome.path}: {outcome.error}", file=sys.stderr)
        if runner.debug_enabled() and outcome.traceback:
            print(outcome.traceback, file=sys.stderr, end="")
    return bool(outcomes)


# --------------------------------------------------------------------------------------------
# Rule selection (ruff semantics for the CLI flags, the config's for the rest)


def parse_code_list(values: Optional[Sequence[str]], flag: str) -> Optional[Tuple[str, ...]]:
    """``--select SHP1,SHP201`` (repeatable, comma separated) as validated code prefixes."""
    from ..config import is_valid_selector

    if values is None:
        return None
    out: List[str] = []
    for value in values:
        for item in value.split(","):
            item = item.strip().upper()
            if not item:
                continue
            if not is_valid_selector(item):
                raise UsageError(f"invalid value {item!r} for {flag}: no shapelint code starts with it")
            out.append(item)
    return tuple(out)


def layer_cli_selection(
    config: "Config",
    select: Optional[Tuple[str, ...]],
    extend_select: Tuple[str, ...],
    ignore: Tuple[str, ...],
) -> "Config":
    """The config with the command line's selection layered over it, as ruff layers them.

    ``--select`` replaces the config's selection (and its ignores); otherwise ``--extend-select``
    and ``--ignore`` update the config's result, the more specific selector winning within the
    command line. per-file-ignores always apply. The result is a Config, so that
    ``is_selected`` and ``options().select`` agree.
    """
    import dataclasses

    from ..config import ALL_CODES, selector_specificity
    from ...core.codes import PARSE_ERROR

    if select is not None:
        return dataclasses.replace(config, select=select, extend_select=extend_select, ignore=ignore)
    if not extend_select and not ignore:
        return config
    selected = set(config.selected_codes())
    for code in ALL_CODES:
        chosen = selector_specificity(code, extend_select)
        dropped = selector_specificity(code, ignore)
        if code == PARSE_ERROR and dropped < len(PARSE_ERROR):
            dropped = -1  # as in the config: only naming SHP001 itself hides unparsable files
        if dropped >= 0 and dropped >= chosen:
            selected.discard(code)
        elif chosen >= 0:
            selected.add(code)
    return dataclasses.replace(
        config,
        select=tuple(c for c in ALL_CODES if c in selected),
        extend_select=(),
        ignore=tuple(c for c in ALL_CODES if c not in selected),
    )


# --------------------------------------------------------------------------------------------
# The command


def build_parser() -> OneLineArgumentParser:
    parser = OneLineArgumentParser(
        prog="shapelint check",
        description="Check PyTorch model code for shape errors.",
        allow_abbrev=False,
    )
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="files or directories to check (default: .); - reads stdin")
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
    parser.add_argument("--select", action="append", metavar="CODES",
                        help="comma-separated code prefixes to report, replacing the config's selection")
    parser.add_argument("--extend-select", action="append", default=[], metavar="CODES",
                        help="code prefixes to report in addition to the selection")
    parser.add_argument("--ignore", action="append", default=[], metavar="CODES",
                        help="code prefixes not to report")
    add_shape_arguments(parser)
    parser.add_argument("--fix", action="store_true", help="apply safe fixes and report what remains")
    parser.add_argument("--unsafe-fixes", action="store_true", help="also apply unsafe fixes")
    parser.add_argument("--diff", action="store_true",
                        help="print the changes --fix would make, write nothing")
    parser.add_argument("--jobs", "-j", type=_jobs, default=None, metavar="N",
                        help="worker processes (default: all cores)")
    parser.add_argument("--config", metavar="FILE",
                        help="settings file (pyproject.toml or shapelint.toml) instead of searching for one")
    parser.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    parser.add_argument("--statistics", action="store_true", help="print the number of diagnostics per code")
    parser.add_argument("--exit-zero", action="store_true",
                        help="exit 0 even when diagnostics are reported")
    parser.add_argument("--stdin-filename", metavar="PATH",
                        help="the name of the file given on stdin (for messages and config)")
    return parser


def add_shape_arguments(parser: OneLineArgumentParser) -> None:
    """``--input`` and ``--output`` (also of ``shapelint shapes``), read by :func:`parse_shapes`."""
    parser.add_argument("--input", action="append", default=[], metavar="NAME=SHAPE",
                        help="input shape of a model (class or variable name), e.g. Net=16,3,64,64")
    parser.add_argument("--output", action="append", default=[], metavar="NAME=SHAPE",
                        help="expected output shape of a model")
    parser.add_argument("--init", action="append", default=[], metavar="NAME=ARGS",
                        help="constructor arguments of a model (literals), e.g. 'UNet=3, n_classes=2'")


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def main(argv: List[str]) -> int:
    return run_main("shapelint check", _main, argv)


def run_main(command: str, body: Callable[[List[str]], int], argv: List[str]) -> int:
    """Run a sub-command: usage errors and internal errors are one line and exit 2, never a
    traceback (unless SHAPELINT_DEBUG is set)."""
    try:
        return body(argv)
    except UsageError as error:
        print_error(command, error)
        return 2
    except SystemExit as exit_:  # --help
        return exit_.code if isinstance(exit_.code, int) else 0
    except (KeyboardInterrupt, BrokenPipeError):
        raise
    except Exception as error:
        if runner.debug_enabled():
            raise
        print(f"error: internal error: {runner.describe(error)}", file=sys.stderr)
        return 2


class Run:
    """One ``check`` invocation's settings, resolved from the arguments and the config."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.read_stdin = runner.STDIN in args.paths or (not args.paths and args.stdin_filename)
        self.stdin_path = args.stdin_filename or runner.STDIN
        file_args = [p for p in args.paths if p != runner.STDIN]
        if not args.paths and not self.read_stdin:
            file_args = ["."]
        self.file_args = file_args
        config_paths = file_args + ([args.stdin_filename] if args.stdin_filename else [])
        self.config = load_config(config_paths or ["."], args.config)
        cli_inputs = parse_shapes(args.input, "--input")
        cli_outputs = parse_shapes(args.output, "--output")
        cli_inits = parse_inits(args.init)
        self.declared = {"--input": cli_inputs, "--output": cli_outputs, "--init": cli_inits}
        self.write_errors: List[str] = []
        self.config = layer_cli_selection(
            self.config,
            parse_code_list(args.select, "--select"),
            parse_code_list(args.extend_select, "--extend-select") or (),
            parse_code_list(args.ignore, "--ignore") or (),
        )
        self.is_selected = self.config.is_selected
        self.options = self.config.options(cli_inputs, cli_outputs, cli_inits)
        # The models' shapes are needed only to warn about declared names matching none.
        declares = cli_inputs or cli_outputs or cli_inits or self.config.inputs or self.config.outputs \
            or self.config.inits
        self.job = make_job(self.config, self.options, use_cache=not args.no_cache,
                            keep_models=bool(declares))

    def kept(self, outcome: runner.FileOutcome) -> List[Diagnostic]:
        assert outcome.result is not None
        return runner.keep_diagnostics(outcome.result, self.is_selected)


def check_stdin_unless_excluded(run: Run, data: bytes) -> runner.FileOutcome:
    """The outcome of checking stdin; clean when the config excludes its ``--stdin-filename``
    (an editor showing diagnostics in a file the project excludes is what flake8 would not)."""
    if run.config.is_excluded(run.stdin_path):
        from ...core.results import FileResult

        return runner.FileOutcome(run.stdin_path, FileResult(path=run.stdin_path))
    return runner.check_stdin(data, run.stdin_path, run.options)


def _main(argv: List[str]) -> int:
    args = build_parser().parse_intermixed_args(argv)
    if args.diff:
        args.fix = False  # as in ruff, --diff never writes, even next to --fix
    run = Run(args)
    files = runner.discover(run.file_args, run.config.is_excluded)

    outcomes: List[runner.FileOutcome] = []
    stdin_outcome: Optional[runner.FileOutcome] = None
    stdin_source: Optional[str] = None
    data = b""
    if run.read_stdin:
        data = read_stdin()
        stdin_outcome = check_stdin_unless_excluded(run, data)
        try:
            stdin_source = decode_source(data)
        except DECODE_ERRORS:
            stdin_source = None
    if files:
        outcomes = runner.run(files, run.job, args.jobs).outcomes
    elif not run.read_stdin:
        print("warning: No Python files found under the given path(s)", file=sys.stderr)

    raise_option_errors(outcomes + ([stdin_outcome] if stdin_outcome is not None else []), run.options)
    fixing = args.fix or args.diff
    fixed_count = 0
    changed_files = 0
    if fixing:
        outcomes, fixed_count, changed_files = fix_files(run, outcomes)
        if stdin_outcome is not None and stdin_outcome.result is not None and stdin_source is not None:
            stdin_outcome, stdin_source, n = fix_stdin(run, stdin_outcome, stdin_source)
            fixed_count += n
            changed_files += bool(n)

    all_outcomes = outcomes + ([stdin_outcome] if stdin_outcome is not None else [])
    crashed = runner.internal_errors(all_outcomes)
    warn_unmatched_declarations(run.declared, all_outcomes, run.config, run.file_args)
    diagnostics: List[Diagnostic] = []
    for outcome in all_outcomes:
        if outcome.result is not None:
            diagnostics.extend(run.kept(outcome))
    diagnostics = runner.at_their_origin(diagnostics, [outcome.path for outcome in all_outcomes],
                                         runner.imports_of(all_outcomes))

    if args.diff:
        # Only the diff goes to stdout (printed by fix_files); a count goes to stderr, like ruff.
        if fixed_count:
            noun = "error" if fixed_count == 1 else "errors"
            print(f"Would fix {fixed_count} {noun}.", file=sys.stderr)
        if report_internal_errors(crashed):
            return 2
        return 1 if changed_files and not args.exit_zero else 0

    # `--fix -`: the fixed source is the output; what remains goes to stderr (ruff does the same).
    stream = sys.stderr if (args.fix and stdin_outcome is not None and not files) else sys.stdout
    if args.fix and stdin_outcome is not None:
        echo_stdin(stdin_source, data)
    checked = RunSummary.of(all_outcomes)
    if args.format != "text" or args.statistics:
        # Output for scripts (a table, JSON, SARIF, workflow commands) keeps its shape: the
        # declared models not followed are warnings on stderr, as other warnings are.
        for line in checked.not_followed_warnings():
            print(line, file=sys.stderr)
    if args.statistics:
        write(stream, statistics(diagnostics, args.format, args.unsafe_fixes))
    else:
        from ..formatters import render

        if args.format != "text":
            write(stream, render(diagnostics, args.format, fixed=fixed_count))
        elif diagnostics or fixed_count:  # the diagnostics, what was checked, then "Found ..."
            write(stream, before_last_line(render(diagnostics, "text", fixed=fixed_count), checked.lines()))
        elif not files and not run.read_stdin:
            write(stream, render(diagnostics, "text"))  # nothing to check ("All checks passed!")
        else:
            # "All checks passed!" only when every declared model was followed to its output.
            passed = not crashed and not checked.not_followed
            write(stream, "\n".join(checked.lines() + (["All checks passed!"] if passed else [])))

    for message in run.write_errors:
        print(message, file=sys.stderr)
    if report_internal_errors(crashed) or run.write_errors:
        return 2
    return 1 if diagnostics and not args.exit_zero else 0


class RunSummary(NamedTuple):
    """What a run checked, for the summary lines of the text output: ``Checked 3 models in 2
    files (41 of 52 layers inferred).`` and the declared models that could not be followed to
    their output (then never "All checks passed!": their output was not checked)."""

    files: int
    models: int
    layers_inferred: int
    layers: int
    #: (path, summary) of each declared model that could not be followed to its output.
    not_followed: Tuple[Tuple[str, ModelSummary], ...]

    @classmethod
    def of(cls, outcomes: Sequence[runner.FileOutcome]) -> "RunSummary":
        results = [o.result for o in outcomes if o.result is not None]
        summaries = [(r.path, s) for r in results for s in r.summaries]
        return cls(
            files=len(results),
            models=len(summaries),
            layers_inferred=sum(s.layers_inferred for _, s in summaries),
            layers=sum(s.layers for _, s in summaries),
            not_followed=tuple((path, s) for path, s in summaries if s.declared and not s.followed),
        )

    def checked_line(self) -> str:
        files = plural(self.files, "file")
        if not self.models:
            return f"No models found in {files}."
        inferred = f" ({self.layers_inferred} of {plural(self.layers, 'layer')} inferred)" if self.layers else ""
        return f"Checked {plural(self.models, 'model')} in {files}{inferred}."

    def lines(self) -> List[str]:
        """The checked line, then the declared models not followed (path:line: name, why)."""
        lines = [self.checked_line()]
        if self.not_followed:
            count = len(self.not_followed)
            lines.append(f"{plural(count, 'declared model')} could not be followed to"
                         f" {'its' if count == 1 else 'their'} output ({SEE_WHY}):")
            lines.extend(f"    {path}:{s.line}: {s.name}{not_followed_hint(s)}" for path, s in self.not_followed)
        return lines

    def not_followed_warnings(self) -> List[str]:
        """One ``warning:`` line per declared model not followed (stderr, for machine formats)."""
        return [f"warning: {path}:{s.line}: {s.name} could not be followed to its output; "
                f"{SEE_WHY if s.declared_input else DECLARE_INPUT}" for path, s in self.not_followed]


#: How a user sees where and why the tracking of a model stops.
SEE_WHY = "--select SHP301 shows where and why"
#: Why a model with only a declared output is not followed: nothing says what it is fed.
DECLARE_INPUT = "only its output is declared: declare its input too"


def not_followed_hint(summary: ModelSummary) -> str:
    return "" if summary.declared_input else f" ({DECLARE_INPUT})"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def before_last_line(text: str, lines: Sequence[str]) -> str:
    """``text`` with ``lines`` inserted before its last line (the text format's ``Found ...``)."""
    body, _, last = text.rstrip("\n").rpartition("\n")
    return "\n".join(([body] if body else []) + list(lines) + [last]) + "\n"


def echo_stdin(fixed_source: Optional[str], data: bytes) -> None:
    """``--fix -``: the fixed source to stdout; bytes that do not decode, untouched (an editor
    expects its buffer back)."""
    if fixed_source is not None:
        sys.stdout.write(fixed_source)
    else:
        sys.stdout.flush()
        buffer = getattr(sys.stdout, "buffer", None)
        if buffer is not None:
            buffer.write(data)
        else:
            sys.stdout.write(data.decode("utf-8", "surrogateescape"))
    sys.stdout.flush()


def write(stream, text: str) -> None:
    if text:
        stream.write(text if text.endswith("\n") else text + "\n")
        stream.flush()


def statistics(diagnostics: Sequence[Diagnostic], fmt: str, unsafe: bool) -> str:
    """Counts per code, most frequent first, as ``ruff check --statistics`` prints them."""
    from ...core.codes import TITLES

    counts = Counter(d.code for d in diagnostics)
    fixable = {d.code for d in diagnostics if is_fixable(d, unsafe)}
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    if fmt == "json":
        import json

        return json.dumps(
            [{"code": code, "name": TITLES.get(code, ""), "count": count, "fixable": code in fixable}
             for code, count in rows],
            indent=2,
        )
    if not rows:
        return ""
    count_width = max(len(str(count)) for _, count in rows)
    code_width = max(len(code) for code, _ in rows)
    any_fixable = bool(fixable)
    lines = []
    for code, count in rows:
        marker = ("[*] " if code in fixable else "[ ] ") if any_fixable else ""
        lines.append(f"{count:>{count_width}}\t{code:<{code_width}}\t{marker}{TITLES.get(code, '')}")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# --fix and --diff


#: Files ``--fix`` writes at once. Each write waits for the disk (fsync); several waits overlap
#: each other and the fixing of the next files. More threads fight the fixing (main) thread for
#: the GIL after each system call: 4 measured faster than 8 on 3,000 files.
FIX_WRITERS = 4

#: Files fixed ahead of the oldest unfinished write, at most: bounds the memory that new
#: contents hold, and keeps warnings in path order.
FIX_WINDOW = 4 * FIX_WRITERS

#: How often a file is read for fixing: the bytes analysed; after they changed before the write,
#: once more, analysed again; and a last time in case they changed back (A-B-A).
MAX_FIX_READS = 3


class Prepared(NamedTuple):
    """A file's fix, computed from one read of it, ready to be written over exactly those bytes."""

    found: runner.FileOutcome  # the outcome of the bytes read: reported if the fix is not written
    fixed: runner.FileOutcome  # the outcome of the fixed text: reported once it is written
    count: int
    data: bytes
    new_data: bytes
    text: str
    new_text: str
    reanalysed: bool


def fix_files(
    run: Run, outcomes: List[runner.FileOutcome]
) -> Tuple[List[runner.FileOutcome], int, int]:
    """Apply (``--fix``) or show (``--diff``) the fixes. Returns the outcomes to report (for the
    fixed text), the number of diagnostics fixed and the number of files changed.

    Fixes are computed from, and written only over, exactly the bytes analysed: positions from
    one version of a file applied to another corrupt it (two ``--fix`` runs at once did). A file
    that changed since its analysis is analysed again, once; if it changes again before the
    write, it is left alone with a warning. Writes are atomic (see :mod:`shapelint.frontends.atomic_write`)
    and run on worker threads, which Python never interrupts: on Ctrl-C (KeyboardInterrupt, in
    the main thread) the writes not begun are dropped and those under way finish.
    """
    import collections

    if run.args.fix:
        remove_stale_temps(outcomes)
    settled: List[Tuple[runner.FileOutcome, int]] = []
    pending: "collections.deque" = collections.deque()
    writers = start_writers() if run.args.fix else None
    try:
        for outcome in outcomes:
            pending.append(start_fix(run, outcome, writers))
            while len(pending) > FIX_WINDOW:
                settled.append(settle_fix(run, writers, *pending.popleft()))
        while pending:
            settled.append(settle_fix(run, writers, *pending.popleft()))
    finally:
        if writers is not None:
            writers.shutdown(wait=True, cancel_futures=True)
    fixed_total = sum(n for _, n in settled)
    changed = sum(1 for _, n in settled if n)
    return [outcome for outcome, _ in settled], fixed_total, changed


def start_writers():
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(FIX_WRITERS, thread_name_prefix="shapelint-write")


def start_write(writers, prepared: Prepared):
    """Start replacing the file by its fixed bytes: a future of ``replace_if_unchanged``."""
    from .. import atomic_write

    return writers.submit(atomic_write.replace_if_unchanged, prepared.found.path, prepared.data,
                          prepared.new_data)


def start_fix(run: Run, outcome: runner.FileOutcome, writers) -> tuple:
    """Compute one file's fix and start writing it: the arguments of :func:`settle_fix`."""
    if outcome.result is None or not any(d.fix for d in outcome.result.diagnostics):
        return outcome, 0, None, None
    prepared = prepare_fix(run, outcome, reanalysed=False)
    if not isinstance(prepared, Prepared):
        outcome, count = prepared
        return outcome, count, None, None
    if writers is None:  # --diff
        from ..fixer import unified_diff

        write(sys.stdout, unified_diff(outcome.path, prepared.text, prepared.new_text))
        return prepared.fixed, prepared.count, None, None
    return prepared.found, 0, prepared, start_write(writers, prepared)


def settle_fix(run: Run, writers, outcome: runner.FileOutcome, count: int,
               prepared: Optional[Prepared], future) -> Tuple[runner.FileOutcome, int]:
    """The outcome to report for a file and the number of fixes written, once its write is done."""
    if future is None or prepared is None:
        return outcome, count
    from .. import atomic_write

    try:
        links = future.result()
    except atomic_write.FileChanged:
        return fix_file_again(run, writers, prepared)
    except OSError as error:
        return write_failed(run, prepared.found, error)
    warn_broken_links(prepared.found.path, links)
    return prepared.fixed, prepared.count


def fix_file_again(run: Run, writers, prepared: Prepared) -> Tuple[runner.FileOutcome, int]:
    """Fix a file that changed between its read and its write, waiting for the write."""
    from .. import atomic_write

    path = prepared.found.path
    for _ in range(MAX_FIX_READS - 1):
        again = prepare_fix(run, prepared.found, prepared.reanalysed)
        if not isinstance(again, Prepared):
            return again
        prepared = again
        try:
            links = start_write(writers, prepared).result()
        except atomic_write.FileChanged:
            continue
        except OSError as error:
            return write_failed(run, prepared.found, error)
        warn_broken_links(path, links)
        return prepared.fixed, prepared.count
    print(f"warning: {path} changed while it was being fixed; not fixed", file=sys.stderr)
    return prepared.found, 0


def prepare_fix(run: Run, outcome: runner.FileOutcome, reanalysed: bool):
    """Read the file and compute its fix: a :class:`Prepared`, or, when there is nothing to
    write, the outcome to report and 0.

    Only bytes that are exactly those ``outcome`` was found in are fixed with its diagnostics;
    other bytes are analysed again, unless they already were once (``reanalysed``)."""
    path = outcome.path
    data = read_bytes(path)
    if data is None:  # gone or unreadable since its analysis: report what was found
        return outcome, 0
    if runner.Cache.content_key(data) != outcome.digest:
        if reanalysed:
            print(f"warning: {path} changed while it was being fixed; not fixed", file=sys.stderr)
            return outcome, 0
        outcome = check_bytes(run, path, data)
        reanalysed = True
    decoded = decode_for_rewrite(data)
    if decoded is None or outcome.result is None:
        return outcome, 0
    text, encoding = decoded
    fixed, new_text, count = fix_source(run, outcome, text)
    if new_text == text:
        return fixed, 0
    try:
        new_data = new_text.encode(encoding)
    except UnicodeEncodeError as error:  # a fix brought a character the file's encoding lacks
        return write_failed(run, outcome, error)
    return Prepared(outcome, fixed, count, data, new_data, text, new_text, reanalysed)


def write_failed(
    run: Run, outcome: runner.FileOutcome, error: Exception
) -> Tuple[runner.FileOutcome, int]:
    # Like ruff: say so, keep fixing the other files, report this one as it is, exit 2.
    run.write_errors.append(f"error: cannot write {outcome.path}: {one_line(error)}")
    return outcome, 0


def warn_broken_links(path: str, links: int) -> None:
    if links > 1:
        print(f"warning: {path} had {links} hard links; the fixed file replaced this name only, "
              "the other names keep the old text", file=sys.stderr)


def read_bytes(path: str) -> Optional[bytes]:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return None


def check_bytes(run: Run, path: str, data: bytes) -> runner.FileOutcome:
    """The outcome of checking ``data`` as the file ``path`` (not cached); never raises."""
    outcome = runner.check_stdin(data, path, run.options)  # it checks any bytes given to it
    outcome.digest = runner.Cache.content_key(data)
    return outcome


def remove_stale_temps(outcomes: Sequence[runner.FileOutcome]) -> None:
    """Delete what an earlier, killed ``--fix`` left behind in the checked files' directories
    (and, for a symbolic link, its target's, where the file is replaced)."""
    from ..atomic_write import remove_stale_temps as remove

    directories = {os.path.dirname(outcome.path) or os.curdir for outcome in outcomes}
    real = {os.path.realpath(directory) for directory in directories}
    links = (o.path for o in outcomes if os.path.islink(o.path))
    real.update(os.path.dirname(os.path.realpath(link)) for link in links)
    for directory in sorted(real):
        remove(directory)


def fix_stdin(
    run: Run, outcome: runner.FileOutcome, source: str
) -> Tuple[runner.FileOutcome, str, int]:
    from ..fixer import unified_diff

    new_outcome, new_source, n = fix_source(run, outcome, source)
    if run.args.diff and new_source != source:
        write(sys.stdout, unified_diff(outcome.path, source, new_source))
    return new_outcome, new_source, n


def fix_source(
    run: Run, outcome: runner.FileOutcome, text: str
) -> Tuple[runner.FileOutcome, str, int]:
    """Fix ``text`` in memory until nothing fixable is left (a fix may uncover the next one, as
    in ruff); returns the outcome of checking the final text, the text and the number of fixes."""
    from ..fixer import apply_fixes

    unsafe = run.args.unsafe_fixes
    fixed_total = 0
    for _ in range(MAX_FIX_ROUNDS):
        if outcome.result is None:
            break
        fixable = [d for d in run.kept(outcome) if is_fixable(d, unsafe)]
        if not fixable:
            break
        new_text, n = apply_fixes(text, fixable, unsafe)
        if n == 0 or new_text == text:
            break
        fixed_total += n
        text = new_text
        outcome = runner.check_text(text, outcome.path, run.options)
    return outcome, text, fixed_total
