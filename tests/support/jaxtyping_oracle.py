"""jaxtyping as the oracle of dims strings: what it accepts, and how it reads each dim."""

from __future__ import annotations

import math
import re

import torch
from jaxtyping import Float
from jaxtyping import _array_types as jt

from shapelint.core.shapespec import (
    AnonymousDim,
    DeclarationError,
    FixedDim,
    NamedDim,
    SymbolicDim,
    VariadicDim,
    parse_jaxtyping_dims,
)


def jaxtyping_type(text):
    """The annotation jaxtyping builds, or the exception it raises building it."""
    try:
        return Float[torch.Tensor, text]
    except Exception as e:  # noqa: BLE001 - we record what jaxtyping does
        return e


def runtime_syntax_error(elem: str, broadcastable: bool) -> bool:
    """Whether jaxtyping's own run-time check of this symbolic dim fails to parse it."""
    try:
        jt._check_dims([jt._SymbolicDim(elem, broadcastable)], (2,), {}, {})
    except SyntaxError:
        return True
    except Exception:  # noqa: BLE001 - NameError→AnnotationError etc.: the syntax was fine
        return False
    return False


def convert(dim):
    """jaxtyping's reading of a dim, in shapelint's terms."""
    if dim is jt._anonymous_dim:
        return AnonymousDim()
    if dim is jt._anonymous_variadic_dim:
        return VariadicDim(None)
    if isinstance(dim, jt._FixedDim):
        return FixedDim(dim.size, dim.broadcastable)
    if isinstance(dim, jt._NamedDim):
        return NamedDim(dim.name, dim.broadcastable)
    if isinstance(dim, jt._NamedVariadicDim):
        return VariadicDim(dim.name, dim.broadcastable)
    assert isinstance(dim, jt._SymbolicDim)
    return ("symbolic", dim.elem, dim.broadcastable)


def impossible_size(dim) -> bool:
    """Whether jaxtyping built a dim no tensor can have: a fixed size or a name-free expression
    whose value (as jaxtyping evaluates it at run time) is no integer in [0, 2**63 - 1]. shapelint
    rejects those at once (SHP002), jaxtyping only fails every check."""
    if isinstance(dim, jt._FixedDim):
        return not 0 <= dim.size <= 2**63 - 1
    if not isinstance(dim, jt._SymbolicDim) or re.search(r"\*\*\s*[(+-]*\s*\d{3}", dim.elem):
        return False  # not a size, or an exponent too large to evaluate here
    try:
        value = eval(eval(f"f'{dim.elem}'", {}), {})  # noqa: S307 - jaxtyping's own evaluation
    except Exception:  # noqa: BLE001 - names, syntax: decided by the other checks
        return False
    if not isinstance(value, (int, float)):
        return False
    return value != value or not 0 <= value <= 2**63 - 1 or value != int(value)


def check_against_jaxtyping(text):
    ours = None
    try:
        ours = parse_jaxtyping_dims(text)
    except DeclarationError as e:
        assert "\n" not in str(e)
    theirs = jaxtyping_type(text)
    if isinstance(theirs, Exception):
        assert ours is None, f"jaxtyping rejects {text!r} ({theirs}) but shapelint accepts it"
        return
    expected = [convert(d) for d in theirs.dims]
    bad_syntax = [
        e for e in expected if isinstance(e, tuple) and runtime_syntax_error(e[1], e[2])
    ]
    if bad_syntax:
        # Deliberate difference: jaxtyping only fails when it evaluates the dim at run time.
        assert ours is None, f"{text!r}: {bad_syntax} cannot be evaluated, shapelint accepts it"
        return
    impossible = [d for d in theirs.dims if impossible_size(d)]
    fixed = [d.size for d in theirs.dims if isinstance(d, jt._FixedDim) and not d.broadcastable]
    if 0 not in fixed and math.prod(fixed) > 2**63 - 1:
        impossible.append("more elements than a tensor holds")
    if impossible:
        assert ours is None, f"{text!r}: {impossible} is no size, shapelint accepts it"
        return
    assert ours is not None, f"jaxtyping accepts {text!r} but shapelint rejects it"
    got = [
        ("symbolic", d.source, d.broadcastable) if isinstance(d, SymbolicDim) else d
        for d in ours.dims
    ]
    assert got == expected, text
    assert ours.variadic_index == theirs.index_variadic
