"""The zero-config mutation test of issue 13: the mutants of :mod:`support.mutations` with every
shape declaration stripped (pragmas, jaxtyping annotations, example inputs, ``--input``,
``--output`` and the configuration), judged by PyTorch over a range of input sizes.

- :func:`strip_declarations`: a model file as a user who declares nothing writes it (line
  numbers kept).
- :func:`probe_of`: the input PyTorch's first called layer takes (rank and channels), as
  shapelint's probe takes it from that layer: a ``ConvNd``/``ConvTransposeNd`` ->
  ``[b, C, *n sizes]``, ``BatchNorm2d``/``3d`` likewise, a ``Linear`` -> ``[b, F]``.
- :func:`sizes_for`: the sizes the judge tries, the declared input's first (see ``JUDGE``).
- :func:`judge`: ``rejects`` (PyTorch rejects the file's models at every size tried) or
  ``runs`` (each model runs for some size), and shapelint's SHP1xx on the stripped mutant.

Importing this module imports torch.
"""

from __future__ import annotations

import ast
import io
import itertools
import json
import os
import re
import shutil
import tempfile
import tokenize
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import torch
from torch import nn

from support import mutations as M
from support.cli import check_json, run_cli
from support.cpu_budget import CpuBudgetExceeded, cpu_budget
from support.torch_oracle import load_module

#: The sizes the judge tries, in words (printed with the figures).
JUDGE = ("batch 2 (and 1, 3, 4, 8 at the declared sizes and the proposals), eval mode; 1-D: t in 1..200; 2-D: h = w in 1..128 and (h, w) in "
         "(16, 32), (32, 16), (24, 40), (40, 24), (13, 29), (29, 13), (32, 100), (100, 32); "
         "3-D: d = h = w in 1..40 and (d, h, w) in (2, 16, 16), (4, 32, 32), (8, 16, 32); "
         "a Linear-first model: [2, F], and at the other ranks [F], [2, t, F] (t in 1..16), "
         "[2, h, w, F] (h = w in 1..8, (2, 3), (3, 2)); first the declared input's sizes and up "
         "to 3 sizes that satisfy shapelint's `accepts` at that rank (a size counts only if "
         "PyTorch runs on it)")
BATCH = 2
#: The batches tried at the declared input's sizes and at the proposals, after every size at BATCH.
OTHER_BATCHES = (1, 3, 4, 8)
_PAIRS_2D = ((16, 32), (32, 16), (24, 40), (40, 24), (13, 29), (29, 13), (32, 100), (100, 32))
_TRIPLES_3D = ((2, 16, 16), (4, 32, 32), (8, 16, 32))
#: CPU seconds PyTorch may spend judging one mutant's model over all its sizes.
TORCH_CPU_BUDGET = 120.0


# --------------------------------------------------------------------------------------------
# Stripping the declarations


def strip_declarations(source: str) -> str:
    """``source`` with no shape declaration left: ``# shapelint:`` comments, shape annotations
    (``Float[Tensor, "..."]``, ``Annotated[Tensor, "..."]``) and ``if __name__ == "__main__":``
    blocks (their example inputs) removed; every other line where it was."""
    lines = source.splitlines(keepends=True)
    edits: List[Tuple[int, int, int, int, str]] = []  # (row, col, end row, end col, text), 1-based rows
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            arguments = node.args
            for arg in arguments.posonlyargs + arguments.args + arguments.kwonlyargs:
                if arg.annotation is not None and _declares_shape(arg.annotation):
                    edits.append((arg.lineno, arg.col_offset + len(arg.arg), arg.end_lineno, arg.end_col_offset, ""))
            if node.returns is not None and _declares_shape(node.returns):
                row, col = _arrow_before(lines, node.returns)
                edits.append((row, col, node.returns.end_lineno, node.returns.end_col_offset, ""))
    for statement in tree.body:
        if isinstance(statement, ast.If) and "__main__" in ast.unparse(statement.test):
            last = statement.end_lineno
            edits.append((statement.lineno, 0, last, len(lines[last - 1].rstrip("\r\n")), ""))
    text = _apply(lines, edits)
    return _without_pragmas(text)


def _declares_shape(annotation: ast.AST) -> bool:
    """A subscript holding a string: ``Float[Tensor, "b 3 h w"]``, ``Annotated[Tensor, "..."]``."""
    return any(isinstance(n, ast.Subscript) for n in ast.walk(annotation)) and any(
        isinstance(n, ast.Constant) and isinstance(n.value, str) for n in ast.walk(annotation))


def _arrow_before(lines: List[str], returns: ast.AST) -> Tuple[int, int]:
    """Where the ``->`` before a return annotation starts (with the spaces before it)."""
    row, col = returns.lineno, returns.col_offset
    while row >= 1:
        text = lines[row - 1][:col] if row == returns.lineno else lines[row - 1].rstrip("\r\n")
        at = text.rfind("->")
        if at >= 0:
            return row, len(text[:at].rstrip())
        row -= 1
        col = len(lines[row - 1]) if row >= 1 else 0
    raise ValueError("no -> before the return annotation")


def _apply(lines: List[str], edits: List[Tuple[int, int, int, int, str]]) -> str:
    """Replace each range by its text, keeping the line count (a removed range spanning lines
    leaves its line breaks)."""
    lines = list(lines)
    for row, col, end_row, end_col, text in sorted(edits, reverse=True):
        if row == end_row:
            line = lines[row - 1]
            lines[row - 1] = line[:col] + text + line[end_col:]
            continue
        first, last = lines[row - 1], lines[end_row - 1]
        lines[row - 1] = first[:col] + text + "\n"
        for middle in range(row, end_row - 1):
            lines[middle] = "\n"
        lines[end_row - 1] = last[end_col:] if last[end_col:].strip() else "\n"
    return "".join(lines)


def _without_pragmas(text: str) -> str:
    """Every ``# shapelint:`` comment removed (a comment token, not text in a string)."""
    lines = text.splitlines(keepends=True)
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.COMMENT and token.string.lstrip("#").strip().startswith("shapelint:"):
            row, col = token.start
            line = lines[row - 1]
            ending = line[len(line.rstrip("\r\n")):]
            lines[row - 1] = line[:col].rstrip() + ending
    return "".join(lines)


def constructor_arguments(subject: M.Subject) -> List[str]:
    """``--init`` options that build each model as the subject's examples build it (constructor
    arguments are no shape declaration; without them a model is built from its defaults). The
    acceptance models are built from their defaults (tests/models/cases.py)."""
    if subject.origin != "realstyle":
        return []
    with open(subject.path) as f:
        examples = M._example_calls(ast.parse(f.read()))
    options = []
    for name, (args, kwargs, _) in sorted(examples.items()):
        if args or kwargs:
            text = ", ".join([repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()])
            options += ["--init", f"{name}={text}"]
    return options


# --------------------------------------------------------------------------------------------
# The probe PyTorch's first layer gives


class _FirstLayer(Exception):
    def __init__(self, module: nn.Module) -> None:
        super().__init__()
        self.module = module


@dataclass(frozen=True)
class ProbeInput:
    #: Spatial dims after the channels (0: features last, a Linear's).
    spatial: int
    channels: int
    #: The other input ranks the first layer takes (a ConvNd: unbatched; a Linear: 1, 3, 4).
    other_ranks: Tuple[int, ...] = ()

    def shape(self, sizes: Sequence[int], rank: Optional[int] = None, batch: int = BATCH) -> Tuple[int, ...]:
        """The input of ``rank`` (None: the usual one) with these free sizes."""
        n = self.spatial
        if n:
            first = (batch,) if rank is None or rank == n + 2 else ()
            return first + (self.channels,) + tuple(sizes)
        rank = 2 if rank is None else rank
        leading = (batch,) + tuple(sizes)[: rank - 2] if rank > 1 else ()
        return leading + (self.channels,)

    def free_dims(self, rank: Optional[int] = None) -> int:
        """How many sizes of the input of ``rank`` the judge varies (the batch is fixed)."""
        if self.spatial:
            return self.spatial
        return max((2 if rank is None else rank) - 2, 0)


def probe_of(model: nn.Module, declared: Tuple[int, ...]) -> Optional[ProbeInput]:
    """The rank and channels of the first layer PyTorch calls when ``model`` runs on
    ``declared`` (stopped there); None when that layer is not one a probe takes them from. A
    pad first gives the rank, the layer after it the channels (as shapelint's probe takes them)."""
    called: List[nn.Module] = []

    def stop_at(module: nn.Module, args: Any) -> None:
        called.append(module)
        if type(module) not in _PADS or len(called) > 1:
            raise _FirstLayer(module)

    hooks = [m.register_forward_pre_hook(stop_at) for m in model.modules() if not list(m.children())]
    try:
        with torch.no_grad():
            model(torch.zeros(declared))
    except _FirstLayer:
        pass
    except Exception:  # noqa: BLE001 - it failed before any layer: no probe
        return None
    finally:
        for hook in hooks:
            hook.remove()
    if not called:
        return None
    probe = _probe_from(called[0], declared)
    if probe is not None and type(called[0]) in _PADS and len(called) > 1:
        after = _probe_from(called[1], declared)
        channels = after.channels if after is not None and after.spatial == probe.spatial else None
        return ProbeInput(probe.spatial, channels, probe.other_ranks) if channels is not None else None
    return probe


_PADS = {nn.ReflectionPad1d: 1, nn.ReflectionPad2d: 2, nn.ReflectionPad3d: 3, nn.ReplicationPad1d: 1,
         nn.ReplicationPad2d: 2, nn.ReplicationPad3d: 3, nn.CircularPad1d: 1, nn.CircularPad2d: 2,
         nn.CircularPad3d: 3}


def _probe_from(layer: nn.Module, declared: Tuple[int, ...]) -> Optional[ProbeInput]:
    lazy = isinstance(layer, nn.modules.lazy.LazyModuleMixin)
    n = _PADS.get(type(layer))
    if n is not None and len(declared) == n + 2:
        # A pad fixes no channels (shapelint names them, then takes the count a later layer
        # needs): the declared input's, which the unmutated model runs with.
        return ProbeInput(n, declared[1], (n + 1,))
    if isinstance(layer, (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d,
                          nn.ConvTranspose3d)) and not lazy:
        n = len(layer.kernel_size)
        return ProbeInput(n, layer.in_channels, (n + 1,))
    if isinstance(layer, (nn.BatchNorm2d, nn.BatchNorm3d)) and not lazy:
        return ProbeInput(2 if isinstance(layer, nn.BatchNorm2d) else 3, layer.num_features)
    if isinstance(layer, nn.Linear) and not lazy:
        return ProbeInput(0, layer.in_features, (1, 3, 4))
    return None


def sizes_for(free: int, declared: Tuple[int, ...] = (), leading: bool = False) -> List[Tuple[int, ...]]:
    """The ``free`` sizes the judge tries, ``declared`` first (when it has that many);
    ``leading``: the dims before a Linear's features, which only multiply its batch (few)."""
    if free == 0:
        return [()]
    if leading:
        grid = [(t,) * free for t in range(1, 17 if free == 1 else 9)] + [(2, 3), (3, 2)][: free == 2 and 2]
    elif free == 1:
        grid = [(t,) for t in range(1, 201)]
    elif free == 2:
        grid = [(h, h) for h in range(1, 129)] + list(_PAIRS_2D)
    else:
        grid = [(s, s, s) for s in range(1, 41)] + list(_TRIPLES_3D)
    first = [tuple(declared)] if len(declared) == free else []
    return first + [s for s in grid if s not in first]


# --------------------------------------------------------------------------------------------
# The verdict


@dataclass
class ZeroOutcome:
    mutant: Optional[M.Mutant]
    #: ``rejects`` (some model of the file fails at every size tried, at every rank its first
    #: layer takes), ``rank-only`` (it fails at every size of the probe's rank, but runs at
    #: another rank: an error then is not certain), ``runs`` (each model runs for some size of
    #: the probe's rank) or ``unjudged`` (no model has a probe PyTorch's first layer gives)
    kind: str
    torch: str = ""
    shp1: List[dict] = field(default_factory=list)

    @property
    def detected(self) -> bool:
        return self.kind in ("rejects", "rank-only") and bool(self.shp1)

    @property
    def false_positive(self) -> bool:
        return self.kind in ("runs", "rank-only") and bool(self.shp1)


def torch_verdict(path: str, models: Sequence[M.DeclaredModel], init: Sequence[str] = ()) -> Tuple[str, str]:
    """(``rejects`` | ``rank-only`` | ``runs`` | ``unjudged``, what PyTorch said), on one thread;
    ``init``: the ``--init`` options that build the models as ``models`` build them."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _torch_verdict(path, models, init)
    finally:
        torch.set_num_threads(threads)


def _torch_verdict(path: str, models: Sequence[M.DeclaredModel], init: Sequence[str]) -> Tuple[str, str]:
    try:
        module = load_module(path)
    except Exception as error:  # noqa: BLE001 - PyTorch rejecting the file is a result
        return "rejects", f"import: {type(error).__name__}: {error}"
    judged = []
    verdict = "runs"
    for declared in models:
        try:
            model = declared.build(module).eval()
        except Exception as error:  # noqa: BLE001
            return "rejects", f"{declared.name}(): {type(error).__name__}: {str(error)[:160]}"
        probe = probe_of(model, declared.inputs[0])
        if probe is None:
            continue
        works, said = _runs_somewhere(model, probe, None, declared.inputs[0],
                                      proposals(path, declared.name, probe, None, init))
        if works:
            judged.append(f"{declared.name} runs on {said}")
            continue
        for rank in probe.other_ranks:
            elsewhere, where = _runs_somewhere(model, probe, rank, (), proposals(path, declared.name, probe, rank, init))
            if elsewhere:
                verdict = "rank-only"
                judged.append(f"{declared.name} fails at every size of {_pattern(probe)} ({said}) but runs on {where}")
                break
        else:
            return "rejects", f"{declared.name} {_pattern(probe)}: {said}"
    if not judged:
        return "unjudged", "no model's first layer gives a probe"
    return verdict, "; ".join(judged)


#: The names of the free sizes of a proposal, in their order.
_NAMES = ("h", "w", "d")


def proposals(path: str, name: str, probe: ProbeInput, rank: Optional[int], init: Sequence[str]) -> List[Tuple[int, ...]]:
    """Sizes to try first: a few of the smallest that satisfy the ``accepts`` shapelint gives
    for the model declared with names at this rank (``--input NAME=b,C,h,w``). Only a proposal
    PyTorch runs on counts, so they make the judge find sizes it would miss (a non-square one
    that a flattened product needs), never a verdict it would not give."""
    free = probe.free_dims(rank)
    if free == 0:
        return []
    names = _NAMES[:free]
    shape = probe.shape(names, rank)
    text = ",".join("b" if d == BATCH else str(d) for d in shape)
    result = run_cli("shapes", path, "--format", "json", "--no-cache", "--input", f"{name}={text}", *init)
    try:
        models = json.loads(result.stdout)["models"]
    except (ValueError, KeyError):
        return []
    conditions = next((m["accepts"] for m in models if m["name"] == name), None)
    if not conditions or conditions == ["False"]:
        return []
    test = compile(" and ".join(f"({c})" for c in conditions), "<accepts>", "eval")
    literals = {int(n) for n in re.findall(r"\d+", " ".join(conditions))}
    values = set(range(1, 65))
    for k in literals:
        values |= {v for v in (k - 1, k, k + 1, 2 * k, 3 * k, 4 * k) if 1 <= v <= 2048}
    found = []
    for sizes in itertools.product(sorted(values), repeat=free):
        if eval(test, {"__builtins__": {}}, dict(zip(names, sizes), b=BATCH)):  # noqa: S307
            found.append(sizes)
    return sorted(found, key=lambda s: (sum(s), s))[:3]


def _pattern(probe: ProbeInput) -> str:
    return str(list(probe.shape(["*"] * probe.free_dims()))).replace("'", "")


def _runs_somewhere(model: nn.Module, probe: ProbeInput, rank: Optional[int],
                    declared: Tuple[int, ...] = (), proposed: Sequence[Tuple[int, ...]] = ()) -> Tuple[bool, str]:
    """Whether the model runs for some size of the input of ``rank``, and the first input it
    runs on (else the first error). ``proposed`` sizes are tried first (only PyTorch running on
    one makes it count)."""
    first_error = ""
    free = probe.free_dims(rank)
    known = tuple(declared[2:]) if probe.spatial else tuple(declared[1:-1])
    tried = [tuple(p) for p in proposed if len(p) == free]
    grid = [(sizes, BATCH) for sizes in tried + [s for s in sizes_for(free, known, not probe.spatial) if s not in tried]]
    # The batch is a size too: the declared sizes and the proposals with a few other batches.
    first = tried + [s for s in sizes_for(free, known, not probe.spatial)[:1] if s not in tried]
    grid += [(sizes, batch) for batch in OTHER_BATCHES for sizes in first]
    try:
        with cpu_budget(TORCH_CPU_BUDGET), torch.no_grad():
            for sizes, batch in grid:
                shape = probe.shape(sizes, rank, batch)
                try:
                    model(torch.zeros(shape))
                    return True, str(list(shape))
                except Exception as error:  # noqa: BLE001
                    first_error = first_error or f"{type(error).__name__}: {str(error).splitlines()[0][:140]}"
    except CpuBudgetExceeded:
        return True, "the CPU budget ran out (counted as runs: not certain it rejects)"
    return False, first_error


def judge(mutant: Optional[M.Mutant], subject: Optional[M.Subject] = None) -> ZeroOutcome:
    """PyTorch's verdict on the mutant's stripped file (``mutant`` None: the subject itself) and
    shapelint's SHP1xx on it."""
    subject = subject if mutant is None else mutant.subject
    with open(subject.path) as f:
        original = f.read()
    source = strip_declarations(original if mutant is None else mutant.apply(original))
    directory = tempfile.mkdtemp(prefix="shapelint-zeroconf-")
    try:
        path = os.path.join(directory, subject.file)
        with open(path, "w") as f:
            f.write(source)
        init = constructor_arguments(subject)
        kind, said = torch_verdict(path, subject.models, init)
        if kind == "unjudged":
            return ZeroOutcome(mutant, kind, said)
        _, diagnostics, _ = check_json(path, *init)
        return ZeroOutcome(mutant, kind, said, M.shp1(diagnostics))
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def subjects() -> List[M.Subject]:
    return M.subjects()


def mutants(chosen: Optional[Sequence[M.Subject]] = None) -> Iterator[M.Mutant]:
    yield from M.all_mutants(chosen)
