"""``shapelint solve LAYER IN OUT``: which layer parameters turn one spatial size into another.

Only the pure solver is imported here (not the analysis engine), so the command starts fast.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

from shapelint.core.layers import LAYERS
from shapelint.core.solver import (
    FAMILY_PARAMS,
    LISTED_AT_MOST,
    SUPPORTED_LAYERS,
    DimResult,
    DimSolution,
    SolveResult,
    SolverError,
    layer_code,
    solve,
)
from shapelint.core.solver_bounds import LIMITS, Bounds
from shapelint.frontends.cli.usage import OneLineArgumentParser, UsageError, print_error

PROG = "shapelint solve"
DEFAULT_LIMIT = 5

_PARAM_FLAGS = (
    ("kernel_size", "--kernel-size", "K"),
    ("stride", "--stride", "S"),
    ("padding", "--padding", "P"),
    ("output_padding", "--output-padding", "O"),
    ("dilation", "--dilation", "D"),
)

_BOUND_FLAGS = (
    ("max_kernel_size", "--max-kernel-size", "kernel_size", "--kernel-size"),
    ("max_stride", "--max-stride", "stride", "--stride"),
    ("max_dilation", "--max-dilation", "dilation", "--dilation"),
)


def _build_parser() -> OneLineArgumentParser:
    parser = OneLineArgumentParser(
        prog=PROG,
        usage=f"{PROG} LAYER IN OUT [options]",
        description=(
            "List every kernel_size/stride/padding/output_padding/dilation that turns the spatial"
            " size IN into OUT, best first: lossless, checkerboard-free (transposed), then simple."
            " Where no lossless layer exists, say why and suggest resizing instead."
        ),
        epilog="IN and OUT as pasted: 160, 160x160, '16 160 160', '[16, 256, 16, 160, 160]',"
        " 'torch.Size([16, 256, 16, 160, 160])'; a (C, ...) or (N, C, ...) shape has its channels"
        " and batch dropped, and the output says so. Exit status: 0 every dim has an exact"
        " solution, 1 some dim has none, 2 bad usage.",
        allow_abbrev=False,
    )
    parser.add_argument(
        "layer",
        metavar="LAYER",
        help=f"one of {', '.join(SUPPORTED_LAYERS)}; any case, nn. or torch.nn. prefix allowed",
    )
    parser.add_argument(
        "sizes",
        metavar="IN OUT",
        nargs="*",
        help="spatial input and output sizes: 160, 160x160, 16,160,160, a bracketed list or"
        " tuple, or a whole (N, C, ...) shape",
    )
    for name, flag, metavar in _PARAM_FLAGS:
        parser.add_argument(
            flag,
            dest=name,
            metavar=metavar,
            help=f"pin {name}: one int for every dim, or one per dim (1x2x2)",
        )
    defaults = Bounds()
    for name, flag, what, pin in _BOUND_FLAGS:
        default = getattr(defaults, name)
        parser.add_argument(
            flag,
            type=_bound(name, flag, what, pin),
            default=default,
            metavar="N",
            help=f"largest {what} searched (default {default}, at most {getattr(LIMITS, name)});"
            f" a pinned {what} ({pin}) may exceed it",
        )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument(
        "--limit",
        type=_non_negative("--limit"),
        default=None,
        metavar="N",
        help=f"the best N solutions of each dim (text default {DEFAULT_LIMIT}, JSON default every"
        f" one; 0 for every one, at most {LISTED_AT_MOST:,} per dim); the count is always given",
    )
    return parser


def _int(text: str, what: str) -> int:
    if not re.fullmatch(r"[+-]?\d+", text.strip()):
        raise UsageError(f"{what}: {text!r} is not an integer")
    return int(text)


def _bound(name: str, flag: str, what: str, pin: str):
    def parse(text: str) -> int:
        value = _int(text, flag)
        if value < 1:
            raise UsageError(f"{flag} must be a positive integer, got {value}")
        problem = Bounds.problem(name, value)
        if problem:
            raise UsageError(f"{flag} {problem} (a larger {what} can be pinned: {pin} N)")
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
    """``160``, ``16x160x160``, ``16,160,160``, ``16 160 160`` (also ``16X160`` and spaces
    around separators), as used for the pinned parameters."""
    stripped = text.strip()
    if not stripped:
        raise UsageError(f"{what} is empty")
    parts = re.split(r"\s*[xX×,]\s*|\s+", stripped)
    return tuple(_int(part, what) for part in parts)


_SIZE_WRAPPER = re.compile(r"(?:torch\.)?Size\s*\((.*)\)", re.DOTALL)
_CLOSING = {"[": "]", "(": ")"}


def parse_sizes(text: str, what: str) -> Tuple:
    """A size as people paste it: ``160``, ``160x160``, ``16,160,160``, ``16 160 160``,
    ``[16, 256, 16, 160, 160]``, ``(16, 160, 160)``, ``(160,)``, ``torch.Size([16, 160])``;
    symbolic sizes separated by commas or spaces (``h``, ``2*h``, ``h, w``, ``(h + 1)//2``)."""
    body = text.strip()
    wrapped = _SIZE_WRAPPER.fullmatch(body)
    if wrapped:
        body = wrapped.group(1).strip()
    if body[:1] in _CLOSING:
        closing = _closing_index(body)
        if closing is None:
            raise UsageError(f"{what} {text!r}: {body[0]!r} is never closed")
        if closing == len(body) - 1 and not _is_expression(body):
            body = body[1:-1].strip()
    if _has_names(body):
        return _symbolic_sizes(body, text, what)
    parts = re.split(r"\s*[xX×,]\s*|\s+", body)
    if len(parts) > 1 and parts[-1] == "":  # a tuple's trailing comma: (160,)
        parts.pop()
    if parts == [""]:
        raise UsageError(f"{what} is empty")
    for part in parts:
        if not re.fullmatch(r"[+-]?\d+", part):
            raise UsageError(f"{what}: {part!r} in {text!r} is not an integer")
    return tuple(int(part) for part in parts)


def _has_names(body: str) -> bool:
    """Letters other than the ``x`` between two integers of ``16x160x160``."""
    return bool(re.search(r"[A-Za-z_]", re.sub(r"(?<=\d)\s*[xX×]\s*(?=\d)", ",", body)))


def _closing_index(body: str) -> Optional[int]:
    """Where the bracket that opens ``body`` closes (None: never)."""
    depth = 0
    for index, char in enumerate(body):
        if char in "[(":
            depth += 1
        elif char in "])":
            depth -= 1
            if depth == 0:
                return index
    return None


def _is_expression(body: str) -> bool:
    """``(h + 1)//2`` starts with a parenthesis but is one size, not a tuple."""
    return _has_names(body) and _parses(body) and "," not in body


def _parses(body: str) -> bool:
    from shapelint.core import symbolic  # only for symbolic sizes

    try:
        symbolic.parse(body)
    except (ValueError, ZeroDivisionError):
        return False
    return True


def _symbolic_sizes(body: str, text: str, what: str) -> Tuple:
    """Sizes with names: one expression, or several separated by commas or spaces."""
    from shapelint.core import symbolic  # only for symbolic sizes

    if "," in body:
        parts = [part for part in body.split(",")]
        if len(parts) > 1 and not parts[-1].strip():
            parts.pop()
    elif _parses(body):
        parts = [body]
    else:
        parts = body.split()
    sizes = []
    for part in parts:
        try:
            sizes.append(symbolic.parse(part))
        except symbolic.Inexact as error:
            raise UsageError(f"{what} {text!r}: {part.strip()} is not an exact size ({error})") from None
        except (ValueError, ZeroDivisionError) as error:
            raise UsageError(f"{what} {text!r}: {error}") from None
    return tuple(sizes)


def parse_layer(text: str) -> str:
    """``ConvTranspose3d`` in any case, with or without ``nn.`` / ``torch.nn.``."""
    name = re.sub(r"^(?:torch\.)?nn\.", "", text.strip(), flags=re.IGNORECASE)
    for layer in SUPPORTED_LAYERS:
        if layer.lower() == name.lower():
            return layer
    import difflib  # only for the error message

    by_lower = {layer.lower(): layer for layer in SUPPORTED_LAYERS}
    close = difflib.get_close_matches(name.lower(), list(by_lower), n=1)
    hint = (
        f"did you mean {by_lower[close[0]]}?"
        if close
        else f"expected one of {', '.join(SUPPORTED_LAYERS)}"
    )
    raise UsageError(f"unknown layer {text!r}; {hint}")


_BRACKETED = r"[\[(][^\[\]()]*[\])]"  # one bracketed list or tuple, not nested


def split_in_out(tokens: Sequence[str]) -> Tuple[str, str]:
    """IN and OUT from the words after LAYER: two arguments, two bracketed shapes the shell
    split at their spaces (``[16, 160, 160] [16, 224, 224]``), or two equal runs of bare
    integers (``16 160 160 16 224 224``: half each)."""
    if len(tokens) == 2:
        return tokens[0], tokens[1]
    if len(tokens) < 2:
        raise UsageError("expected IN and OUT after the layer (e.g. 160x160 224x224)")
    joined = " ".join(tokens)
    if re.fullmatch(rf"\s*{_BRACKETED}\s*{_BRACKETED}\s*", joined):
        first, second = re.findall(_BRACKETED, joined)
        return first, second
    if all(re.fullmatch(r"\d+", token) for token in tokens) and len(tokens) % 2 == 0:
        half = len(tokens) // 2
        return " ".join(tokens[:half]), " ".join(tokens[half:])
    raise UsageError(
        f"cannot tell IN from OUT in {len(tokens)} words ({joined}): give them as two"
        " arguments (quote a shape with spaces: '16 160 160'), or as two equal runs of integers"
    )


_SPATIAL_NAMES = {1: "L", 2: "H, W", 3: "D, H, W"}


@dataclass(frozen=True)
class _Side:
    """IN or OUT as given, and what the solver sees of it."""

    given: Tuple[int, ...]
    spatial: Tuple[int, ...]
    batch: Optional[int] = None
    channels: Optional[int] = None

    def note(self, what: str, n: int) -> Optional[str]:
        if self.channels is None:
            return None
        layout = f"({'N, ' if self.batch is not None else ''}C, {_SPATIAL_NAMES[n]})"
        dropped = (
            f"batch {self.batch} and channels {self.channels}"
            if self.batch is not None
            else f"channels {self.channels}"
        )
        return (
            f"{what} [{', '.join(map(str, self.given))}] is a {layout} shape: {dropped} dropped,"
            f" solving for {_dims_text(self.spatial)}"
        )

    def dropped(self) -> Dict[str, int]:
        out: Dict[str, int] = {}
        if self.batch is not None:
            out["batch"] = self.batch
        if self.channels is not None:
            out["channels"] = self.channels
        return out


def _side(layer: str, values: Tuple[int, ...], what: str) -> _Side:
    """The layer decides the rank: n spatial sizes, one for all, or a (C, ...) / (N, C, ...)
    shape as PyTorch takes it (unbatched or batched)."""
    n = int(layer[-2])
    if len(values) == n:
        return _Side(values, values)
    if len(values) == 1:
        return _Side(values, values * n)
    if len(values) == n + 1:
        return _Side(values, values[1:], channels=values[0])
    if len(values) == n + 2:
        return _Side(values, values[2:], batch=values[0], channels=values[1])
    plural = "s" if n > 1 else ""
    raise UsageError(
        f"{layer} has {n} spatial dim{plural} ({_SPATIAL_NAMES[n]}): {what} takes {n} size{plural},"
        f" one for all, or a (C, {_SPATIAL_NAMES[n]}) or (N, C, {_SPATIAL_NAMES[n]}) shape;"
        f" got {len(values)} ({_dims_text(values)})"
    )


def _check_sides(layer: str, size_in: _Side, size_out: _Side) -> None:
    """What a full shape says beyond its spatial sizes must be what the layer can do."""
    if size_in.batch is not None and size_out.batch is not None and size_in.batch != size_out.batch:
        raise UsageError(
            f"IN has batch {size_in.batch} but OUT has {size_out.batch}; a {layer} keeps the batch"
        )
    pooling = "Pool" in layer
    if (
        pooling
        and size_in.channels is not None
        and size_out.channels is not None
        and size_in.channels != size_out.channels
    ):
        raise UsageError(
            f"IN has {size_in.channels} channels but OUT has {size_out.channels};"
            f" a {layer} keeps the channels"
        )


# --------------------------------------------------------------------------- text output


def _dims_text(values: Sequence) -> str:
    if any(not isinstance(v, int) for v in values):  # symbolic sizes: 2*h, (h + 1)//2
        return ", ".join(map(str, values))
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


def render_text(result: SolveResult, limit: int, notes: Sequence[str] = ()) -> str:
    """For a person: the answer first (the line to paste, or why there is none and what to do
    instead), then the best ``limit`` solutions of each spatial dim (0: every one)."""
    family = _family(result.layer)
    groups = _group_dims(result.dims)
    lines: List[str] = []
    header = f"{result.layer}: {_dims_text(result.input)} -> {_dims_text(result.output)}"
    if result.fixed:
        pinned = ", ".join(f"{k}={_dims_text(v)}" for k, v in result.fixed.items())
        header += f" (fixed: {pinned})"
    lines += [header, *notes, ""]
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
        code = layer_code(result.layer, family, params, result.in_channels, result.out_channels)
        lines += [
            "",
            f"Exact but lossy ({', '.join(warned)}; the best of each dim below):",
            f"    {code}",
        ]
    lines += ["", "Per dim, best first:"]
    for members, dim in groups:
        total = dim.count
        lossless = dim.lossless_count
        summary = f"{total:,} exact solution{'s' if total != 1 else ''}"
        if total:
            summary += f", {lossless:,} lossless" if lossless else ", none lossless"
        lines.append(f"{_dims_label(members)}: {dim.input} -> {dim.output} ({summary})")
        shown = dim.solutions[: limit or total]
        width = max((len(_solution_text(family, s)) for s in shown), default=0)
        for solution in shown:
            text = _solution_text(family, solution).ljust(width)
            note = "; ".join(solution.warnings) if solution.warnings else "lossless"
            lines.append(f"    {text}  {note}".rstrip())
        if len(shown) < total:
            more = f"    ... {total - len(shown):,} more"
            if total <= LISTED_AT_MOST:
                more += " (--limit 0 shows all)"
            lines.append(more)
    return "\n".join(lines)


def _dims_label(members: List[int]) -> str:
    return ("dim " if len(members) == 1 else "dims ") + ", ".join(map(str, members))


def _family(layer: str) -> str:
    family = LAYERS[layer].family
    assert family is not None
    return family


# --------------------------------------------------------------------------- entry point


def _too_many(result: SolveResult) -> Optional[str]:
    """Why every solution cannot be listed (a dim past ``LISTED_AT_MOST``), or None."""
    for index, dim in enumerate(result.dims, 1):
        if dim.count > LISTED_AT_MOST:
            return (
                f"dim {index} ({dim.input} -> {dim.output}) has {dim.count:,} solutions within the"
                f" bounds and a complete listing stops at {LISTED_AT_MOST:,}: ask for the best N"
                " with --limit N (the count is still given) or narrow the bounds"
            )
    return None


def _any_symbolic(sizes: Sequence) -> bool:
    return any(not isinstance(size, int) for size in sizes)


def _solve_symbolic(layer: str, *args, **kwargs) -> SolveResult:
    """``solve`` with names: the families that hold for every size (loaded only then)."""
    from shapelint.core.symbolic import Inexact
    from shapelint.core.symbolic_solve import solve_symbolic

    try:
        return solve_symbolic(layer, *args, **kwargs)
    except Inexact as error:
        raise SolverError(f"not an exact size: {error}") from None


def main(argv: List[str]) -> int:
    try:
        try:
            args = _build_parser().parse_intermixed_args(argv)
        except SystemExit as exit_:  # --help
            return int(exit_.code or 0)
        layer = parse_layer(args.layer)
        text_in, text_out = split_in_out(args.sizes)
        side_in = _side(layer, parse_sizes(text_in, "IN"), "IN")
        side_out = _side(layer, parse_sizes(text_out, "OUT"), "OUT")
        _check_sides(layer, side_in, side_out)
        fixed: Dict[str, Tuple[int, ...]] = {}
        for name, flag, _ in _PARAM_FLAGS:
            value = getattr(args, name)
            if value is not None:
                fixed[name] = parse_ints(value, flag)
        bounds = Bounds(args.max_kernel_size, args.max_stride, args.max_dilation)
        conv = layer.startswith("Conv")
        symbolic = _any_symbolic(side_in.spatial + side_out.spatial)
        result = (_solve_symbolic if symbolic else solve)(
            layer,
            side_in.spatial,
            side_out.spatial,
            fixed=fixed,
            bounds=bounds,
            in_channels=side_in.channels if conv else None,
            out_channels=side_out.channels if conv else None,
        )
        limit = args.limit
        if limit is None:
            limit = 0 if args.format == "json" else DEFAULT_LIMIT
        problem = _too_many(result) if limit == 0 else None
        if problem:
            raise UsageError(problem)
    except (UsageError, SolverError) as error:
        print_error(PROG, error)
        return 2
    if args.format == "json":
        data = result.to_json(limit or None)
        dropped = {
            what: side.dropped() for what, side in (("input", side_in), ("output", side_out))
        }
        if any(dropped.values()):
            data["dropped"] = {what: found for what, found in dropped.items() if found}
        print(json.dumps(data, indent=2))
    else:
        n = len(side_in.spatial)
        notes = [note for note in (side_in.note("IN", n), side_out.note("OUT", n)) if note]
        if _any_symbolic(side_in.spatial + side_out.spatial):
            notes.append("Symbolic: each solution gives OUT for every size where OUT is positive.")
        print(render_text(result, limit, notes))
    return 0 if result.exact else 1
