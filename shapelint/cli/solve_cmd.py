"""``shapelint solve LAYER IN OUT``: which layer parameters turn one spatial size into another.

Only the pure solver is imported here (no libcst), so the command starts fast.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import Dict, List, NoReturn, Sequence, Tuple

from shapelint.core.layers import LAYERS
from shapelint.core.solver import (
    FAMILY_PARAMS,
    SUPPORTED_LAYERS,
    DimResult,
    DimSolution,
    SolveResult,
    SolverError,
    layer_code,
    solve,
)
from shapelint.core.solver_bounds import Bounds

PROG = "shapelint solve"
DEFAULT_LIMIT = 5

_PARAM_FLAGS = (
    ("kernel_size", "--kernel-size", "K"),
    ("stride", "--stride", "S"),
    ("padding", "--padding", "P"),
    ("output_padding", "--output-padding", "O"),
    ("dilation", "--dilation", "D"),
)


class UsageError(Exception):
    """Bad command line: reported on one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _build_parser() -> _Parser:
    parser = _Parser(
        prog=PROG,
        description=(
            "List every kernel_size/stride/padding/output_padding/dilation that turns the spatial"
            " size IN into OUT, best first: lossless, checkerboard-free (transposed), then simple."
            " Where no lossless layer exists, say why and suggest resizing instead."
        ),
        epilog="exit status: 0 every dim has an exact solution, 1 some dim has none,"
        " 2 bad usage",
        allow_abbrev=False,
    )
    parser.add_argument("layer", metavar="LAYER", help=f"one of {', '.join(SUPPORTED_LAYERS)}")
    parser.add_argument(
        "size_in", metavar="IN", help="spatial input size: 160, 160x160, 16x160x160 or 16,160,160"
    )
    parser.add_argument("size_out", metavar="OUT", help="spatial output size, same form as IN")
    for name, flag, metavar in _PARAM_FLAGS:
        parser.add_argument(
            flag,
            dest=name,
            metavar=metavar,
            help=f"pin {name}: one int for every dim, or one per dim (1x2x2)",
        )
    defaults = Bounds()
    for flag, default, what in (
        ("--max-kernel-size", defaults.max_kernel_size, "kernel_size"),
        ("--max-stride", defaults.max_stride, "stride"),
        ("--max-dilation", defaults.max_dilation, "dilation"),
    ):
        parser.add_argument(
            flag,
            type=_positive(flag),
            default=default,
            metavar="N",
            help=f"largest {what} searched (default {default}); a pinned {what} may exceed it",
        )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument(
        "--limit",
        type=_non_negative("--limit"),
        default=DEFAULT_LIMIT,
        metavar="N",
        help=f"solutions shown per dim in text output (default {DEFAULT_LIMIT}, 0 for all);"
        " JSON always lists every solution",
    )
    return parser


def _int(text: str, what: str) -> int:
    if not re.fullmatch(r"[+-]?\d+", text.strip()):
        raise UsageError(f"{what}: {text!r} is not an integer")
    return int(text)


def _positive(flag: str):
    def parse(text: str) -> int:
        value = _int(text, flag)
        if value < 1:
            raise UsageError(f"{flag} must be a positive integer, got {value}")
        return value

    return parse


def _non_negative(flag: str):
    def parse(text: str) -> int:
        value = _int(text, flag)
        if value < 0:
            raise UsageError(f"{flag} must not be negative, got {value}")
        return value

    return parse


def parse_ints(text: str, what: str) -> Tuple[int, ...]:
    """``160``, ``16x160x160``, ``16,160,160`` (also ``16X160`` and spaces after commas)."""
    stripped = text.strip()
    if not stripped:
        raise UsageError(f"{what} is empty")
    parts = re.split(r"\s*[xX,]\s*", stripped)
    return tuple(_int(part, what) for part in parts)


def _spatial_sizes(
    layer: str, size_in: Tuple[int, ...], size_out: Tuple[int, ...]
) -> Tuple[Tuple[int, ...], Tuple[int, ...]]:
    """A single size given for both IN and OUT applies to every spatial dim (``32 64``)."""
    n = int(layer[-2]) if layer in SUPPORTED_LAYERS else None
    if n and n > 1 and len(size_in) == 1 and len(size_out) == 1:
        return size_in * n, size_out * n
    if len(size_in) != len(size_out):
        raise UsageError(
            f"IN has {len(size_in)} size{'s' if len(size_in) > 1 else ''} but OUT has {len(size_out)}"
        )
    return size_in, size_out


# --------------------------------------------------------------------------- text output


def _dims_text(values: Sequence[int]) -> str:
    return "x".join(map(str, values))


def _solution_text(family: str, solution: DimSolution) -> str:
    parts = [
        f"kernel_size={solution.kernel_size}",
        f"stride={solution.stride}",
        f"padding={solution.padding}",
    ]
    if solution.output_padding is not None:
        parts.append(f"output_padding={solution.output_padding}")
    if "dilation" in FAMILY_PARAMS[family]:
        parts.append(f"dilation={solution.dilation}")
    return " ".join(parts)


def _group_dims(dims: List[DimResult]) -> List[Tuple[List[int], DimResult]]:
    """Dims with the same question and answer are printed once (``dims 2, 3: 160 -> 224``)."""
    groups: List[Tuple[List[int], DimResult]] = []
    for index, dim in enumerate(dims, 1):
        for members, first in groups:
            if (first.input, first.output, first.solutions, first.reason) == (
                dim.input,
                dim.output,
                dim.solutions,
                dim.reason,
            ):
                members.append(index)
                break
        else:
            groups.append(([index], dim))
    return groups


def render_text(result: SolveResult, limit: int) -> str:
    """For a person: the answer first (the line to paste, or why there is none and what to do
    instead), then the best solutions of each spatial dim."""
    family = _family(result.layer)
    groups = _group_dims(result.dims)
    lines: List[str] = []
    header = f"{result.layer}: {_dims_text(result.input)} -> {_dims_text(result.output)}"
    if result.fixed:
        pinned = ", ".join(f"{k}={_dims_text(v)}" for k, v in result.fixed.items())
        header += f" (fixed: {pinned})"
    lines += [header, ""]
    if result.recommended is not None:
        lines += ["Recommended:", f"    {result.recommended['code']}"]
    else:
        if result.exact:
            lines.append(f"No lossless {result.layer} gives exactly {_dims_text(result.output)}:")
        else:
            lines.append(
                f"No {result.layer} within the bounds gives exactly {_dims_text(result.output)}:"
            )
        for members, dim in groups:
            if dim.reason:
                label = f"{_dims_label(members)} ({dim.input} -> {dim.output})"
                lines.append(f"    {label}: {dim.reason}")
    if result.alternatives:
        lines += ["", "Instead:"]
        for alternative in result.alternatives:
            lines += [f"    {alternative.code}", f"        # {alternative.note}"]
    if result.recommended is None and result.exact:
        best = [d.solutions[0] for d in result.dims]
        params: Dict[str, List[int]] = {
            name: [getattr(s, name) for s in best] for name in FAMILY_PARAMS[family]
        }
        warned = sorted({w.split(":")[0] for s in best for w in s.warnings})
        lines += [
            "",
            f"Exact but lossy ({', '.join(warned)}; the best of each dim below):",
            f"    {layer_code(result.layer, family, params)}",
        ]
    lines += ["", "Per dim, best first:"]
    for members, dim in groups:
        total = len(dim.solutions)
        lossless = sum(1 for s in dim.solutions if s.lossless)
        summary = f"{total} exact solution{'s' if total != 1 else ''}"
        if total:
            summary += f", {lossless} lossless" if lossless else ", none lossless"
        lines.append(f"{_dims_label(members)}: {dim.input} -> {dim.output} ({summary})")
        shown = dim.solutions if limit == 0 else dim.solutions[:limit]
        width = max((len(_solution_text(family, s)) for s in shown), default=0)
        for solution in shown:
            text = _solution_text(family, solution).ljust(width)
            note = "; ".join(solution.warnings) if solution.warnings else "lossless"
            lines.append(f"    {text}  {note}".rstrip())
        if len(shown) < total:
            lines.append(f"    ... {total - len(shown)} more (--limit 0 shows all)")
    return "\n".join(lines)


def _dims_label(members: List[int]) -> str:
    return ("dim " if len(members) == 1 else "dims ") + ", ".join(map(str, members))


def _family(layer: str) -> str:
    family = LAYERS[layer].family
    assert family is not None
    return family


# --------------------------------------------------------------------------- entry point


def main(argv: List[str]) -> int:
    try:
        try:
            args = _build_parser().parse_args(argv)
        except SystemExit as exit_:  # --help
            return int(exit_.code or 0)
        if args.layer not in SUPPORTED_LAYERS:
            raise UsageError(
                f"unknown layer {args.layer!r}; expected one of {', '.join(SUPPORTED_LAYERS)}"
            )
        size_in, size_out = _spatial_sizes(
            args.layer, parse_ints(args.size_in, "IN"), parse_ints(args.size_out, "OUT")
        )
        fixed: Dict[str, Tuple[int, ...]] = {}
        for name, flag, _ in _PARAM_FLAGS:
            value = getattr(args, name)
            if value is not None:
                fixed[name] = parse_ints(value, flag)
        bounds = Bounds(args.max_kernel_size, args.max_stride, args.max_dilation)
        result = solve(args.layer, size_in, size_out, fixed=fixed, bounds=bounds)
    except (UsageError, SolverError) as error:
        message = " ".join(str(error).split())  # one line, always
        print(f"{PROG}: error: {message}", file=sys.stderr)
        return 2
    if args.format == "json":
        print(json.dumps(result.to_json(), indent=2))
    else:
        print(render_text(result, args.limit))
    return 0 if result.exact else 1
