"""The torch oracle shared by the layer-rule tests of tests/core/ (its own tests are in
tests/core/test_layer_oracle.py).

A ``Case`` is one layer construction plus one forward call, described by *knobs*: the parts of
the input (rank, channel count, spatial sizes, ``output_size``...) that a test may have drawn
wrong on purpose, each with a repaired value and the diagnostic code that a fault in that knob
stands for. PyTorch, run on the CPU in eval mode under ``torch.no_grad()``, decides whether the
call fails; the *cause* of a failure is found by asking PyTorch again with knobs repaired:

* the parameters are at fault (SHP103) when PyTorch still fails with every knob repaired;
* knob ``k`` is at fault when PyTorch still fails with every knob but ``k`` repaired;
* what still fails with those knobs repaired fails only in combination: each remaining knob
  whose repair alone then makes PyTorch succeed is a cause too (a call may have two faults).

The core may report any code that is a cause. No error message is ever read.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Mapping, Optional, Sequence, Tuple

import torch
from hypothesis import event
from hypothesis.control import currently_in_test_context
from hypothesis import strategies as st

from shapelint.core.codes import (
    CHANNEL_MISMATCH,
    INVALID_PARAMETERS,
    NON_POSITIVE_SIZE,
    WRONG_RANK,
    ShapeError,
)
from shapelint.core import symbolic
from shapelint.core.layers import LAYERS, UNKNOWN

SHP102, SHP103, SHP104, SHP105 = CHANNEL_MISMATCH, INVALID_PARAMETERS, WRONG_RANK, NON_POSITIVE_SIZE

#: SHAPELINT_EXAMPLES=10 multiplies every layer test's max_examples (a slow, deeper run).
SCALE = max(1, int(os.environ.get("SHAPELINT_EXAMPLES", "1")))


def examples(n: int) -> int:
    return n * SCALE


torch.set_num_threads(1)

Shape = Tuple[Any, ...]
Build = Callable[[Mapping[str, Any]], Tuple[Shape, Dict[str, Any]]]


def randn(shape: Sequence[int]) -> torch.Tensor:
    return torch.randn(tuple(shape))


def torch_run(
    layer: str,
    args: Sequence[Any],
    kwargs: Mapping[str, Any],
    shape: Sequence[int],
    forward_kwargs: Optional[Mapping[str, Any]] = None,
    make_tensor: Callable[[Sequence[int]], torch.Tensor] = randn,
) -> Tuple[bool, Any]:
    """``(True, output shape)`` or ``(False, exception)``: construction and forward on the CPU.

    Inputs never have an empty dim: shapelint's sizes are positive (an empty size is what SHP105
    reports), and torch's shortcuts for empty tensors are not shape rules.
    """
    assert all(d >= 1 for d in shape), f"empty input {shape}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            module = getattr(torch.nn, layer)(*args, **dict(kwargs))
            module.eval()
            x = make_tensor(tuple(shape))
            with torch.no_grad():
                out = module(x, **dict(forward_kwargs or {}))
                # oneDNN skips some of ATen's argument checks (a grouped ConvTranspose1d with
                # kernel_size=1 runs with dilation=0); a call counts as accepted only when the
                # native CPU kernels accept it too.
                with torch.backends.mkldnn.flags(enabled=False):
                    module(x, **dict(forward_kwargs or {}))
        except (RuntimeError, ValueError, TypeError, IndexError, AssertionError, ZeroDivisionError) as exc:
            # (NotImplementedError, raised by F.pad for unsupported ranks, is a RuntimeError.)
            return False, exc
    if isinstance(out, tuple):  # return_indices=True
        out = out[0]
    return True, tuple(out.shape)


def core_run(
    layer: str,
    args: Sequence[Any],
    kwargs: Mapping[str, Any],
    shape: Optional[Shape],
    forward_kwargs: Optional[Mapping[str, Any]] = None,
    accepts: Optional[list] = None,
) -> Tuple[bool, Any]:
    """``(True, output shape)`` or ``(False, ShapeError)``; any other exception propagates.
    ``accepts`` collects the conditions on symbolic sizes."""
    spec = LAYERS[layer]
    params = spec.bind(args, kwargs)
    try:
        return True, spec.infer(params, None if shape is None else tuple(shape), forward_kwargs, accepts)
    except ShapeError as exc:
        return False, exc


@dataclass
class Case:
    layer: str
    args: Tuple[Any, ...]
    kwargs: Dict[str, Any]
    knobs: Dict[str, Any]
    good: Dict[str, Any]
    codes: Dict[str, str]
    build: Build
    make_tensor: Callable[[Sequence[int]], torch.Tensor] = randn
    #: input positions (of the built shape, from ``knobs``) that the layer never touches
    untouched: Callable[[Shape], Sequence[int]] = lambda shape: ()
    #: whether the all-repaired input is canonical: then the core must report, with no input,
    #: exactly the failures PyTorch shows on it (otherwise only nothing PyTorch accepts).
    strict_none: bool = True
    notes: Dict[str, Any] = field(default_factory=dict)

    def torch(self, knobs: Mapping[str, Any]) -> Tuple[bool, Any]:
        shape, fkw = self.build(knobs)
        return torch_run(self.layer, self.args, self.kwargs, shape, fkw, self.make_tensor)

    def fails(self, knobs: Mapping[str, Any]) -> bool:
        return not self.torch(knobs)[0]

    def causes(self) -> set:
        """The codes the core may give for the failure of the actual call."""
        repaired = dict(self.good)
        found = set()
        if self.fails(repaired):
            found.add(SHP103)
        wrong = [k for k in self.knobs if self.knobs[k] != self.good[k]]
        alone = [k for k in wrong if self.fails(dict(repaired, **{k: self.knobs[k]}))]
        found.update(self.codes[k] for k in alone)
        # What fails only in combination (an output_size this input size cannot reach) is a
        # fault of its own, also next to a knob that fails alone: with those repaired, each
        # knob whose repair then makes PyTorch succeed is a cause.
        rest = dict(self.knobs, **{k: self.good[k] for k in alone})
        if self.fails(rest):
            for knob in wrong:
                if knob not in alone and not self.fails(dict(rest, **{knob: self.good[knob]})):
                    found.add(self.codes[knob])
        return found


def describe(case: Case, torch_result, core_result) -> str:
    shape, fkw = case.build(case.knobs)
    return (
        f"\n  {case.layer}(*{case.args!r}, **{case.kwargs!r})({shape}, **{fkw!r})"
        f"\n  torch: {torch_result[1]!r}\n  core:  {core_result[1]!r}"
        f"\n  knobs: {case.knobs!r}\n  good:  {case.good!r}\n  codes: {case.codes!r}"
    )


def check_case(case: Case, data: Optional[st.DataObject] = None) -> Tuple[bool, Any]:
    """Compare the core with PyTorch on ``case``; with ``data``, also on partial information."""
    shape, fkw = case.build(case.knobs)
    expected = case.torch(case.knobs)
    got = core_run(case.layer, case.args, case.kwargs, shape, fkw)
    if currently_in_test_context():  # statistics for --hypothesis-show-statistics
        event(f"{case.layer}: " + ("torch accepts" if expected[0] else f"core {getattr(got[1], 'code', '?')}"))
    if expected[0]:
        assert got[0], "torch accepts, the core raises" + describe(case, expected, got)
        assert got[1] == expected[1], "shapes differ" + describe(case, expected, got)
        causes: set = set()
    else:
        assert not got[0], "torch raises, the core accepts" + describe(case, expected, got)
        causes = case.causes()
        assert causes, "no cause found for the torch failure" + describe(case, expected, got)
        assert got[1].code in causes, f"expected one of {sorted(causes)}" + describe(
            case, expected, got
        )
    check_unknown_input(case, expected, causes)
    if data is not None:
        check_symbolic_input(case, data, expected, causes)
        check_unknown_params(case, data, expected, causes)
    return expected


def check_unknown_input(case: Case, expected, causes: set) -> None:
    """``infer(params, None)`` raises the input-independent errors and nothing else."""
    _, good_fkw = case.build(case.good)
    _, actual_fkw = case.build(case.knobs)
    got = core_run(case.layer, case.args, case.kwargs, None, good_fkw)
    if not got[0]:
        assert got[1].code == SHP103, "unknown input gave " + repr(got[1])
        if actual_fkw == good_fkw:
            assert not expected[0], "no input: the core raises but torch accepts" + describe(
                case, expected, got
            )
        assert case.fails(case.good), "no input: the core raises, torch accepts a good input" + (
            describe(case, case.torch(case.good), got)
        )
    else:
        assert got[1] is None
        if case.strict_none:
            assert not case.fails(case.good), (
                "no input: the core accepts, torch rejects every input tried"
                + describe(case, case.torch(case.good), got)
            )


def _symbols(shape: Shape, data: st.DataObject) -> Tuple[Shape, Dict[str, int]]:
    """Replace some dims by symbols (``"s<i>"``) or None; the symbols' actual values."""
    out, values = [], {}
    for i, dim in enumerate(shape):
        choice = data.draw(st.sampled_from(["keep", "keep", "symbol", "none"]), label=f"dim{i}")
        if choice == "symbol":
            out.append(f"s{i}")
            values[f"s{i}"] = dim
        elif choice == "none":
            out.append(None)
        else:
            out.append(dim)
    return tuple(out), values


def check_partial_result(
    case, expected, causes, got, values: Mapping[str, int], note: str, exact_code: bool = True
) -> None:
    """A result computed from partial information must be sound for the actual call.

    ``values`` holds the actual size of each symbol of the input. With ``exact_code`` an error
    must also carry one of the codes of the actual failure.
    """
    if not got[0]:
        assert not expected[0], f"{note}: the core raises, torch accepts" + describe(
            case, expected, got
        )
        if exact_code:
            assert got[1].code in causes, f"{note}: code not among {sorted(causes)}" + describe(
                case, expected, got
            )
        return
    if not expected[0]:
        return  # missing information may hide an error
    out = got[1]
    if out is None:
        return
    assert len(out) == len(expected[1]), f"{note}: rank differs" + describe(case, expected, got)
    for i, (mine, real) in enumerate(zip(out, expected[1])):
        if isinstance(mine, str):
            # A symbol stands for the size it had in the input: torch must give that size here.
            assert values.get(mine) == real, (
                f"{note}: symbol {mine!r} (= {values.get(mine)}) where torch has {real}"
                + describe(case, expected, got)
            )
        elif symbolic.is_symbolic(mine):
            # An expression of the symbols: at their actual sizes, torch's size.
            assert symbolic.evaluate(mine, values) == real, (
                f"{note}: {mine} (= {symbolic.evaluate(mine, values)}) where torch has {real}"
                + describe(case, expected, got)
            )
        elif mine is not None:
            assert mine == real, f"{note}: dim {i} wrong" + describe(case, expected, got)


def check_symbolic_input(case: Case, data: st.DataObject, expected, causes: set) -> None:
    shape, fkw = case.build(case.knobs)
    partial, values = _symbols(shape, data)
    accepts: list = []
    got = core_run(case.layer, case.args, case.kwargs, partial, fkw, accepts)
    check_partial_result(case, expected, causes, got, values, "symbolic input")
    if got[0] and expected[0]:
        # What the layer accepts holds at the sizes torch ran.
        assert all(c.contains(values) for c in accepts), (
            f"accepts {[str(c) for c in accepts]} excludes {values}" + describe(case, expected, got))
    if got[0] and expected[0] and got[1] is not None:
        for i in case.untouched(shape):
            assert got[1][i] == partial[i], (
                f"untouched dim {i} ({partial[i]!r}) did not pass through" + describe(case, expected, got)
            )


def check_unknown_params(case: Case, data: st.DataObject, expected, causes: set) -> None:
    """Turning some parameters into UNKNOWN never produces an error of its own."""
    names = sorted(case.kwargs)
    hide = data.draw(st.sets(st.sampled_from(names)) if names else st.just(set()), label="unknown")
    hide_args = data.draw(
        st.sets(st.integers(0, len(case.args) - 1)) if case.args else st.just(set()), label="unknown args"
    )
    if not hide and not hide_args:
        return
    args = tuple(UNKNOWN if i in hide_args else a for i, a in enumerate(case.args))
    kwargs = {k: (UNKNOWN if k in hide else v) for k, v in case.kwargs.items()}
    shape, fkw = case.build(case.knobs)
    spec = LAYERS[case.layer]
    try:
        got = True, spec.infer(spec.bind(args, kwargs), shape, fkw)
    except ShapeError as exc:
        got = False, exc
    # Not knowing a parameter may change which fault the core sees first (Upsample with an
    # unknown mode cannot tell a size of the wrong length for a bilinear mode, SHP103, from an
    # input of the wrong rank, SHP104): the error must be real, its code is not compared.
    check_partial_result(
        case, expected, causes, got, {}, f"UNKNOWN {sorted(hide)} {sorted(hide_args)}",
        exact_code=False,
    )


# --------------------------------------------------------------------------- generic builders


def spatial_input(n: int, batch: int = 1) -> Build:
    """Knobs ``rank``, ``channels``, ``spatial`` (a tuple of n sizes) -> an input shape.

    The batch is 1: with a larger batch, oneDNN's CPU deconvolution skips ATen's own argument
    checks (``ConvTranspose1d(1, 1, 1, dilation=0)`` runs on a batch of 2, not of 1), and a
    rule that holds for one batch size but not another is a backend accident, not a shape rule.

    Rank ``n + 2`` is batched ``(N, C, *spatial)``, ``n + 1`` unbatched ``(C, *spatial)``; any other
    rank keeps the trailing dims of ``(N, C, *spatial)`` or pads it with leading 2s.
    """

    def build(knobs: Mapping[str, Any]) -> Tuple[Shape, Dict[str, Any]]:
        full = (batch, knobs["channels"]) + tuple(knobs["spatial"])
        rank = knobs["rank"]
        if rank <= len(full):
            shape = full[len(full) - rank :]
        else:
            shape = (2,) * (rank - len(full)) + full
        fkw = {k: v for k, v in knobs.items() if k not in ("rank", "channels", "spatial") and v is not None}
        return shape, fkw

    return build


def batch_untouched(n: int) -> Callable[[Shape], Sequence[int]]:
    """Dims in front of (C, *spatial) — the batch — pass through a spatial layer untouched."""
    return lambda shape: range(max(len(shape) - n - 1, 0))


def all_untouched(shape: Shape) -> Sequence[int]:
    return range(len(shape))


def rarely(good: st.SearchStrategy, bad: st.SearchStrategy, odds: int = 12) -> st.SearchStrategy:
    """``bad`` about once in ``odds`` draws, else ``good``: each fault rare, so that valid calls
    stay common while every parameter still goes wrong now and then."""
    return st.integers(0, odds - 1).flatmap(lambda i: bad if i == 0 else good)


def ranks(n: int) -> st.SearchStrategy[int]:
    """Mostly the batched rank, often unbatched, sometimes wrong."""
    return rarely(st.sampled_from([n + 2, n + 2, n + 1]), st.integers(0, n + 4), odds=8)


def per_dim(
    n: int, values: st.SearchStrategy, bad: Optional[st.SearchStrategy] = None
) -> st.SearchStrategy:
    """An int or a tuple of n of them; rarely ``bad`` items or a tuple of the wrong length."""
    good = st.one_of(values, st.tuples(*([values] * n)))
    faults = [st.lists(values, min_size=0, max_size=n + 1).map(tuple)]
    if bad is not None:
        faults += [bad, st.tuples(*([st.one_of(values, bad)] * n))]
    return rarely(good, st.one_of(*faults))


__all__ = [
    "Case", "check_case", "torch_run", "core_run", "spatial_input", "batch_untouched",
    "all_untouched", "ranks", "per_dim", "examples", "rarely", "SHP102", "SHP103", "SHP104", "SHP105", "randn",
]
