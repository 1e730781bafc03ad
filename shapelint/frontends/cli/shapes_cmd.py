"""``shapelint shapes PATH...``: the shape after every layer of every model, as inferred statically.

Text is a torchinfo-like table per model; ``--format json`` is ``{"models": [...]}``, each model
with its shapes and those of its layers (:func:`model_json`).
"""

from __future__ import annotations

import json
import os
import sys
from typing import Dict, List, Optional

from .. import runner
from ...core.codes import PARSE_ERROR
from ...core.shapes import MaybeShape, format_shape
from ...core.results import ModelShapes
from .usage import OneLineArgumentParser
from .check_cmd import (
    _jobs,
    add_shape_arguments,
    load_config,
    make_job,
    parse_inits,
    parse_shapes,
    raise_option_errors,
    read_stdin,
    report_internal_errors,
    run_main,
    warn_unmatched_declarations,
)


def build_parser() -> OneLineArgumentParser:
    parser = OneLineArgumentParser(
        prog="shapelint shapes",
        description="Print the shape after every layer of every model.",
        allow_abbrev=False,
    )
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="files or directories (default: .); - reads stdin")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="output format (default: text)")
    add_shape_arguments(parser)
    parser.add_argument("--config", metavar="FILE",
                        help="settings file (pyproject.toml or shapelint.toml) instead of searching for one")
    parser.add_argument("--stdin-filename", metavar="PATH", help="the name of the file given on stdin")
    parser.add_argument("--jobs", "-j", type=_jobs, default=None, metavar="N",
                        help="worker processes (default: all cores)")
    parser.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    return parser


def main(argv: List[str]) -> int:
    return run_main("shapelint shapes", _main, argv)


def _main(argv: List[str]) -> int:
    args = build_parser().parse_intermixed_args(argv)
    read_from_stdin = runner.STDIN in args.paths or (not args.paths and args.stdin_filename)
    file_args = [p for p in args.paths if p != runner.STDIN]
    if not args.paths and not read_from_stdin:
        file_args = ["."]
    config_paths = file_args + ([args.stdin_filename] if args.stdin_filename else [])
    config = load_config(config_paths or ["."], args.config)
    declared = {"--input": parse_shapes(args.input, "--input"), "--output": parse_shapes(args.output, "--output"),
                "--init": parse_inits(args.init)}
    options = config.options(declared["--input"], declared["--output"], declared["--init"])

    outcomes: List[runner.FileOutcome] = []
    files = runner.discover(file_args, config.is_excluded)
    if files:
        # The cache `check` fills holds the models too.
        job = make_job(config, options, use_cache=not args.no_cache)
        outcomes.extend(runner.run(files, job, args.jobs).outcomes)
    elif not read_from_stdin:
        print("warning: No Python files found under the given path(s)", file=sys.stderr)
    if read_from_stdin:
        outcomes.append(runner.check_stdin(read_stdin(), args.stdin_filename or runner.STDIN, options))

    raise_option_errors(outcomes, options)
    warn_unmatched_declarations(declared, outcomes, config, file_args)
    models: List[ModelShapes] = []
    unreadable = []
    for outcome in outcomes:
        if outcome.result is None:
            continue
        models.extend(outcome.result.models)
        unreadable.extend(d for d in outcome.result.diagnostics if d.code == PARSE_ERROR)
    models.sort(key=lambda m: (m.filename, m.line, m.name))

    if args.format == "json":
        sys.stdout.write(json.dumps({"models": [model_json(m) for m in models]}, indent=2) + "\n")
    else:
        text = "\n\n".join(model_table(m) for m in models)
        if text:
            sys.stdout.write(text + "\n")
    # A file that could not be read has no models to show: say why, on stderr, and exit 1.
    for diagnostic in unreadable:
        print(f"{diagnostic.path}:{diagnostic.row}:{diagnostic.col}: {diagnostic.code} "
              f"{diagnostic.message}", file=sys.stderr)
    if report_internal_errors(runner.internal_errors(outcomes)):
        return 2
    return 1 if unreadable else 0


def shape_json(shape: MaybeShape) -> Optional[list]:
    """A shape in JSON: per dim an int (known), a string (a Python expression of the declared
    symbols) or null (unknown)."""
    return None if shape is None else list(shape)


def model_json(model: ModelShapes) -> dict:
    return {
        "name": model.name,
        "filename": model.filename,
        "line": model.line,
        "input": shape_json(model.input),
        "output": shape_json(model.output),
        "declared_output": shape_json(model.declared_output),
        "accepts": model.accepts,
        "layers": [
            {
                "name": layer.name,
                "type": layer.type,
                "filename": layer.filename or model.filename,
                "line": layer.line,
                "input": shape_json(layer.input),
                "output": shape_json(layer.output),
                "unknown_reason": layer.unknown_reason,
            }
            for layer in model.layers
        ],
    }


def shape_text(shape: MaybeShape) -> str:
    """``[1, b, ?]``; a shape whose rank is unknown is just ``?``."""
    return "?" if shape is None else format_shape(shape)


def model_table(model: ModelShapes) -> str:
    """One model as torchinfo prints it: the layer tree, each layer's type and output shape; an
    unknown output is marked ``(n)``, and note n under the table says why."""
    rows = [(model.name, "", shape_text(model.output))]
    reasons: Dict[str, int] = {}
    for layer in model.layers:
        if not layer.name:  # the model itself, already the first row
            continue
        depth = layer.name.count(".")
        output = shape_text(layer.output)
        if layer.unknown_reason is not None:
            number = reasons.setdefault(layer.unknown_reason, len(reasons) + 1)
            output = f"{output} ({number})"
        rows.append(("  " * depth + layer.name, layer.type, output))
    header = ("Layer", "Type", "Output Shape")
    widths = [max(len(header[i]), *(len(r[i]) for r in rows)) for i in range(3)]
    rule = "=" * (sum(widths) + 4)

    def line(cells) -> str:
        return f"{cells[0]:<{widths[0]}}  {cells[1]:<{widths[1]}}  {cells[2]}".rstrip()

    title = f"{model.name} ({os.path.normpath(model.filename)}:{model.line})"
    out = [title, rule, line(header), rule]
    out.extend(line(r) for r in rows)
    out.append(rule)
    probed = " (not declared: rank and channels from its first layer)" if model.input_probed else ""
    out.append(f"Input shape:  {shape_text(model.input)}{probed}")
    out.append(f"Output shape: {shape_text(model.output)}")
    if model.declared_output is not None:
        out.append(f"Declared:     {shape_text(model.declared_output)}")
    if model.accepts is not None:
        accepted = "no size" if model.accepts == ["False"] else " and ".join(model.accepts) or "every size"
        out.append(f"Accepts:      {accepted}")
    if reasons:
        out.append("Unknown because:")
        out.extend(f"  ({number}) {reason}" for reason, number in reasons.items())
    return "\n".join(out)
