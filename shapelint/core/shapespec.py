"""Shape declarations: pragma comments, jaxtyping dims strings, CLI ``--input`` values, config.

Pure parsing: no libcst, no torch. Every malformed input raises :class:`DeclarationError`, whose
``str`` is one line, used as the SHP002 message.

A declared shape is a :class:`ShapeSpec`: a sequence of dims, each one of

- a fixed size (``16``; ``c=3`` is ``3``, as in jaxtyping, which binds no name),
- a name (``b``: one size wherever the name appears in the signature),
- anonymous (``_``, ``_name``, ``None`` in a tuple literal: any size),
- an expression of names (``2*h``, ``h//2``, ``dim-1``, ``min(h,w)``),
- a variadic (``...`` or ``*name``: any number of dims, at most one per shape),

any of which but the anonymous ones may be broadcastable (``#name``, ``#4``: size 1 matches too).

The dims string of a jaxtyping annotation is read exactly as jaxtyping reads it (jaxtyping 0.3,
``_make_array_cached``): the string is stripped and split on whitespace, so ``"2 * h"`` is three
dims (``2``, ``*``, ``h``), not an expression. Strings jaxtyping rejects when the annotation is
built are rejected with jaxtyping's reason. Deliberate differences, where jaxtyping builds the
annotation and only fails when it checks a tensor: an expression that is not valid Python (a
``SyntaxError`` out of jaxtyping's ``eval``) is rejected at once, and so is a size no tensor can
have (``-8``, ``2-3``, ``1.5``, ``2**70``: negative, not whole, or above :data:`MAX_SIZE`; or
fixed sizes whose product is above it), as in pragmas, ``--input`` and the configuration. What
jaxtyping reads as a number means that number here too: ``1e3`` is 1000, ``0x10`` is 16, ``08``
is 8.

An environment (``env``) maps names to the sizes bound so far. A variadic name ``*batch`` is bound
under the key ``"*batch"`` to the tuple of dims it matched (no plain name starts with ``*``), so
that ``"*batch c h w"`` in, ``"*batch c 2*h 2*w"`` out resolves to a fixed rank.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any, Dict, FrozenSet, List, Mapping, Optional, Sequence, Tuple, Union

from .shapes import Dim, MaybeShape, Shape, format_shape, is_known
from .text import one_line

__all__ = [
    "DeclarationError",
    "ShapeSpec",
    "FixedDim",
    "NamedDim",
    "AnonymousDim",
    "SymbolicDim",
    "VariadicDim",
    "PRAGMA_KEYS",
    "MAX_SIZE",
    "parse_shape_tuple",
    "parse_jaxtyping_dims",
    "parse_pragma",
    "parse_cli_shape",
    "shape_from_config",
]

#: Keys a ``# shapelint:`` pragma accepts.
PRAGMA_KEYS = ("input", "output")

#: The largest size a declaration may give. PyTorch holds sizes and element counts in int64:
#: ``torch.empty(2**63)`` cannot even be called, while ``torch.empty(2**63 - 1, dtype=torch.uint8,
#: device="meta")`` can, so any smaller size may be real and any larger one is certainly a typo.
#: Keeping every size below it also keeps the analysis' float arithmetic (interpolation scales,
#: solver ratios) far from overflow.
MAX_SIZE = 2**63 - 1


class DeclarationError(ValueError):
    """A malformed shape declaration; ``str(e)`` is one line (the SHP002 message)."""

    def __init__(self, message: str) -> None:
        super().__init__(one_line(message))


# --------------------------------------------------------------------------------------------
# Dims


@dataclass(frozen=True)
class FixedDim:
    size: int
    broadcastable: bool = False

    def __str__(self) -> str:
        return ("#" if self.broadcastable else "") + str(self.size)


@dataclass(frozen=True)
class NamedDim:
    name: str
    broadcastable: bool = False

    def __str__(self) -> str:
        return ("#" if self.broadcastable else "") + self.name


@dataclass(frozen=True)
class AnonymousDim:
    def __str__(self) -> str:
        return "_"


@dataclass(frozen=True)
class SymbolicDim:
    """An expression of names. ``expr`` is its source; ``None`` when it cannot be evaluated
    statically (a jaxtyping f-string such as ``{n}`` that refers to an argument's value)."""

    source: str
    expr: Optional[str] = None
    broadcastable: bool = False

    def __str__(self) -> str:
        return ("#" if self.broadcastable else "") + self.source

    def names(self) -> Tuple[str, ...]:
        if self.expr is None:
            return ()
        tree = ast.parse(self.expr, mode="eval")
        return tuple(sorted({n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}))


@dataclass(frozen=True)
class VariadicDim:
    """``...`` (``name is None``) or ``*name``."""

    name: Optional[str] = None
    broadcastable: bool = False

    def __str__(self) -> str:
        if self.name is None:
            return "..."
        return ("#" if self.broadcastable else "") + "*" + self.name


SpecDim = Union[FixedDim, NamedDim, AnonymousDim, SymbolicDim, VariadicDim]


# --------------------------------------------------------------------------------------------
# Safe evaluation of dim expressions (never ``eval``)


class _Unknown(Exception):
    """The expression has no statically known value (unbound name, unsupported construct)."""


class _TooLarge(_Unknown):
    """A value of the expression is beyond :data:`MAX_SIZE` (no tensor has such a size)."""


def _bounded(value: Union[int, float]) -> Union[int, float]:
    if abs(value) > MAX_SIZE:  # inf too; nan is not larger than anything
        raise _TooLarge
    return value


_BINOPS = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.FloorDiv: lambda a, b: a // b,
    ast.Div: lambda a, b: a / b,
    ast.Mod: lambda a, b: a % b,
}
_CALLS = {"min": min, "max": max, "abs": abs, "int": int}


def _evaluate(node: ast.AST, env: Mapping[str, Any]) -> Union[int, float]:
    if isinstance(node, ast.Expression):
        return _evaluate(node.body, env)
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise _Unknown
        return _bounded(node.value)
    if isinstance(node, ast.Name):
        value = env.get(node.id)
        if not is_known(value):
            raise _Unknown
        return value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _evaluate(node.operand, env)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp):
        left = _evaluate(node.left, env)
        right = _evaluate(node.right, env)
        if isinstance(node.op, ast.Pow):
            result = _power(left, right)
        elif type(node.op) in _BINOPS:
            try:
                result = _BINOPS[type(node.op)](left, right)
            except ZeroDivisionError:
                raise _Unknown from None
            except OverflowError:  # a float division of huge ints
                raise _TooLarge from None
        else:
            raise _Unknown
        return _bounded(result)
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in _CALLS
        and node.func.id not in env
        and not node.keywords
        and node.args
        and not any(isinstance(a, ast.Starred) for a in node.args)
    ):
        args = [_evaluate(a, env) for a in node.args]
        try:
            return _CALLS[node.func.id](*args)
        except (TypeError, ValueError, OverflowError):
            raise _Unknown from None
    raise _Unknown


def _power(base: Union[int, float], exponent: Union[int, float]) -> Union[int, float]:
    """``base ** exponent`` without computing a huge integer (operands are within MAX_SIZE)."""
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 64 and abs(base) >= 2:
        raise _TooLarge  # at least 2**65
    try:
        result = base**exponent
    except ZeroDivisionError:
        raise _Unknown from None
    except OverflowError:
        raise _TooLarge from None
    if isinstance(result, complex):  # a negative base to a fractional power
        raise _Unknown
    return result


def _value(dim: SymbolicDim, env: Mapping[str, Any]) -> Optional[Union[int, float]]:
    """The value of an expression dim, or None when it is not statically known."""
    if dim.expr is None:
        return None
    try:
        return _evaluate(ast.parse(dim.expr, mode="eval"), env)
    except (_Unknown, RecursionError, SyntaxError, ValueError):
        return None


def _expression(dim: SymbolicDim, env: Mapping[str, Any]) -> Any:
    """``2*h`` with ``h`` unbound: the exact size over the names (``symbolic``, loaded only
    here), its bound names replaced by their sizes; None when it is not a size expression."""
    if dim.expr is None:
        return None
    from . import symbolic
    from .shapes import from_expression

    try:
        value = symbolic.parse(dim.expr)
        if not symbolic.is_symbolic(value):
            return None  # ``h - h``: names jaxtyping would need bound first, not a size
        if any(is_known(env.get(n)) for n in value.names()):
            return None  # partly bound: not worth a substitution here
        return from_expression(value)
    except (ValueError, TypeError, ArithmeticError, SyntaxError, RecursionError):
        return None


def _as_int(value: Union[int, float, None]) -> Optional[int]:
    if value is None:
        return None
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")) or not value.is_integer():
            return None
        return int(value)
    return value


# --------------------------------------------------------------------------------------------
# Sizes no tensor can have: SHP002 at the declaration, never a diagnostic about the model


def _show_number(value: Union[int, float, str]) -> str:
    """A size for a one-line message: long digit strings are cut (a 320-digit size stays short)."""
    unit = "digits"
    if isinstance(value, str):
        text = value
    else:
        try:
            text = str(value)
        except ValueError:  # more digits than Python writes in decimal (sys.get_int_max_str_digits)
            text, unit = hex(value), "hexadecimal digits"
    if len(text) > 24:
        digits = sum(c.isdigit() for c in text) if unit == "digits" else len(text.lstrip("-")) - 2
        return f"{text[:10]}...{text[-6:]} ({digits} {unit})"
    return text


def _size_problem(value: Union[int, float], shown: Union[int, float, str]) -> Optional[str]:
    """Why ``value`` cannot be the size of a dim, or None when it can."""
    if value != value:
        return f"{_show_number(shown)} is not a number"
    if value < 0:
        return f"negative size {_show_number(shown)}"
    if value > MAX_SIZE:
        return f"size {_show_number(shown)} is too large (PyTorch sizes are at most 2**63 - 1)"
    if isinstance(value, float) and not value.is_integer():
        return f"{_show_number(shown)} is not a whole number"
    return None


def _constant_problem(source: str) -> Optional[str]:
    """Why a name-free expression cannot be a size (``2-3``, ``1.5``, ``2**70``); None when it can
    be one, or when it refers to names or cannot be evaluated here (then nothing is certain)."""
    try:
        tree = ast.parse(source, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    functions = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    if any(isinstance(n, ast.Name) and id(n) not in functions for n in ast.walk(tree)):
        return None
    try:
        value = _evaluate(tree, {})
    except _TooLarge:
        return f"{_show_number(source)} is too large (PyTorch sizes are at most 2**63 - 1)"
    except (_Unknown, RecursionError, ValueError):
        return None
    return _size_problem(value, source)


def _element_count_problem(dims: Sequence[SpecDim]) -> Optional[str]:
    """Fixed sizes whose product no tensor can hold (PyTorch counts elements in int64 too)."""
    sizes = [d.size for d in dims if isinstance(d, FixedDim) and not d.broadcastable]
    if 0 in sizes:
        return None  # an empty tensor: its other sizes may be anything
    count = 1
    for size in sizes:
        count *= size
        if count > MAX_SIZE:
            return (
                "the fixed sizes multiply to more than 2**63 - 1 elements, more than a PyTorch "
                "tensor can hold"
            )
    return None


# --------------------------------------------------------------------------------------------
# ShapeSpec


@dataclass(frozen=True)
class ShapeSpec:
    """A declared shape: a concrete tuple or a jaxtyping pattern.

    ``text`` is the declaration as the user wrote it. ``ShapeSpec(text)`` alone parses ``text``
    (a tuple or list literal when it starts with ``(`` or ``[``, else a jaxtyping dims string).
    """

    text: str
    dims: Tuple[SpecDim, ...] = field(default=None, compare=True)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.dims is None:
            parsed = _parse_auto(self.text)
            object.__setattr__(self, "dims", parsed.dims)
        else:
            object.__setattr__(self, "dims", tuple(self.dims))
            _check_shape(self.dims, self.text)

    def __str__(self) -> str:
        return self.text

    # ---- structure

    @property
    def variadic_index(self) -> Optional[int]:
        for i, d in enumerate(self.dims):
            if isinstance(d, VariadicDim):
                return i
        return None

    @property
    def rank(self) -> Optional[int]:
        """The number of dims, or None when it is not fixed (``...``, ``*name``)."""
        return None if self.variadic_index is not None else len(self.dims)

    @property
    def min_rank(self) -> int:
        return len(self.dims) - (0 if self.variadic_index is None else 1)

    def names(self) -> Tuple[str, ...]:
        """Names this declaration binds or refers to (variadic names with their ``*``)."""
        out: List[str] = []
        for d in self.dims:
            if isinstance(d, NamedDim) and d.name:
                out.append(d.name)
            elif isinstance(d, VariadicDim) and d.name is not None:
                out.append("*" + d.name)
            elif isinstance(d, SymbolicDim):
                out.extend(d.names())
        return tuple(dict.fromkeys(out))

    def pattern(self) -> str:
        """The dims in jaxtyping's notation (``b 3 2*h w``)."""
        return " ".join(str(d) for d in self.dims)

    # ---- resolution

    def resolve(self, env: Optional[Dict[str, int]] = None, fill: Optional[Shape] = None) -> MaybeShape:
        """The declared shape under ``env``.

        A dim is an ``int`` (fixed, bound name, or an expression whose names are bound), a
        ``str`` (a name not bound yet) or ``None`` (``_``, broadcastable dims, expressions of
        unbound names). None for the whole shape when the rank is not fixed (``...``, or a
        ``*name`` not bound in ``env``), unless ``fill`` gives the dims the variadic stands for.
        """
        env = {} if env is None else env
        out: List[Dim] = []
        for d in self.dims:
            if isinstance(d, FixedDim):
                out.append(d.size if not d.broadcastable or d.size == 1 else None)
            elif isinstance(d, NamedDim):
                if d.broadcastable or not d.name:
                    out.append(None)
                else:
                    value = env.get(d.name)
                    out.append(value if is_known(value) else d.name)
            elif isinstance(d, AnonymousDim):
                out.append(None)
            elif isinstance(d, SymbolicDim):
                value = _as_int(_value(d, env))
                if value is None and not d.broadcastable:
                    out.append(_expression(d, env))
                    continue
                out.append(value if value is not None and (not d.broadcastable or value == 1) else None)
            else:  # VariadicDim
                bound = env.get("*" + d.name) if d.name is not None else None
                if not d.broadcastable and isinstance(bound, tuple):
                    out.extend(bound)
                elif fill is not None:
                    out.extend(fill)
                else:
                    return None
        return tuple(out)

    # ---- matching

    def match(self, shape: MaybeShape, env: Dict[str, int]) -> Optional[str]:
        """Check ``shape`` against the declaration, binding names into ``env``.

        Returns a one-line description of a certain mismatch, or None when the shape is
        consistent or the question cannot be decided (unknown dims never mismatch). On a
        mismatch ``env`` is left as it was (as jaxtyping restores its memo).
        """
        if shape is None:
            return None
        shape = tuple(shape)
        work: Dict[str, Any] = dict(env)
        vi = self.variadic_index
        if vi is None:
            if len(shape) != len(self.dims):
                return (
                    f"has {len(shape)} dims {format_shape(shape)}, "
                    f"not the {len(self.dims)} declared by {self._quoted()}"
                )
            pairs = list(zip(range(len(shape)), self.dims, shape))
        else:
            if len(shape) < len(self.dims) - 1:
                return (
                    f"has {len(shape)} dims {format_shape(shape)}, fewer than the "
                    f"{len(self.dims) - 1} declared by {self._quoted()}"
                )
            after = len(self.dims) - vi - 1
            pairs = list(zip(range(vi), self.dims[:vi], shape[:vi]))
            start = len(shape) - after
            pairs += list(zip(range(start, len(shape)), self.dims[vi + 1 :], shape[start:]))
        # Names and fixed sizes first, then expressions of them (jaxtyping needs the names
        # bound before an expression uses them; here the order within a shape is free).
        for index, spec, actual in pairs:
            if isinstance(spec, SymbolicDim):
                continue
            problem = self._match_dim(index, spec, actual, work)
            if problem:
                return problem
        for index, spec, actual in pairs:
            if isinstance(spec, SymbolicDim):
                problem = self._match_dim(index, spec, actual, work)
                if problem:
                    return problem
        if vi is not None:
            problem = self._match_variadic(self.dims[vi], shape[vi : len(shape) - (len(self.dims) - vi - 1)], work)
            if problem:
                return problem
        env.clear()
        env.update(work)
        return None

    def _quoted(self) -> str:
        return f"'{self.pattern()}'"

    @staticmethod
    def _match_dim(index: int, spec: SpecDim, actual: Dim, env: Dict[str, Any]) -> Optional[str]:
        if isinstance(actual, str):
            bound = env.get(actual)
            if isinstance(spec, NamedDim) and spec.name == actual and not spec.broadcastable:
                return None
            if not is_known(bound):
                return None  # a symbolic size: nothing certain
            actual = bound
        if not is_known(actual):
            return None
        if isinstance(spec, AnonymousDim):
            return None
        if getattr(spec, "broadcastable", False) and actual == 1:
            return None
        if isinstance(spec, FixedDim):
            if spec.size != actual:
                return f"dim {index} is {actual}, not {spec.size}"
            return None
        if isinstance(spec, NamedDim):
            bound = env.get(spec.name)
            if is_known(bound):
                if bound != actual:
                    return f"dim {index} ({spec.name}) is {actual}, but {spec.name}={bound}"
                return None
            env[spec.name] = actual
            return None
        if isinstance(spec, SymbolicDim):
            value = _value(spec, env)
            if value is None:
                return None
            if value != actual:
                shown = value if _as_int(value) is None else _as_int(value)
                return f"dim {index} is {actual}, not {spec.source}={shown}"
            return None
        return None

    @staticmethod
    def _match_variadic(spec: SpecDim, actual: Shape, env: Dict[str, Any]) -> Optional[str]:
        assert isinstance(spec, VariadicDim)
        if spec.name is None:
            return None
        key = "*" + spec.name
        bound = env.get(key)
        if not isinstance(bound, tuple):
            if not spec.broadcastable:
                env[key] = tuple(actual)
            return None
        if spec.broadcastable:
            from .shapes import broadcast

            if broadcast(tuple(actual), bound) is None:
                return (
                    f"dims *{spec.name} are {format_shape(actual)}, which cannot be "
                    f"broadcast with *{spec.name}={format_shape(bound)}"
                )
            return None
        certain = len(actual) != len(bound) or any(
            is_known(a) and is_known(b) and a != b for a, b in zip(actual, bound)
        )
        if certain:
            return f"dims *{spec.name} are {format_shape(actual)}, but *{spec.name}={format_shape(bound)}"
        return None


def _check_shape(dims: Sequence[SpecDim], text: str) -> None:
    if sum(isinstance(d, VariadicDim) for d in dims) > 1:
        raise DeclarationError(
            f"shape {_show(text)}: cannot use variadic specifiers (`*name` or `...`) more than once"
        )
    problem = _element_count_problem(dims)
    if problem:
        raise DeclarationError(f"shape {_show(text)}: {problem}")


def _show(text: str, limit: int = 80) -> str:
    """The declaration quoted for a one-line message."""
    shown = repr(text)
    if len(shown) > limit:
        shown = shown[: limit - 4] + "...'"
    return shown


# --------------------------------------------------------------------------------------------
# jaxtyping dims strings


def parse_jaxtyping_dims(text: str) -> ShapeSpec:
    """Parse the dims string of a jaxtyping annotation (``Float[Tensor, "b 3 h w"]``)."""
    if not isinstance(text, str):
        raise DeclarationError(
            f"jaxtyping shape must be a string with axes separated by spaces, not {type(text).__name__}"
        )
    dims = tuple(_parse_jaxtyping_elem(elem, text) for elem in text.strip().split())
    _check_shape(dims, text)
    return ShapeSpec(text, dims)


#: An integer as ``int()`` reads it (Unicode digits too, as ``\\d`` in a str pattern), and the
#: number of digits of MAX_SIZE: a longer one (leading zeros aside) is too large.
_INT_TEXT = re.compile(r"[+-]?\d+(?:_\d+)*\Z")
_DIGIT_RUN = re.compile(r"\d[\d_]*")
_MAX_SIZE_DIGITS = len(str(MAX_SIZE))


def _int_text_problem(text: str) -> Optional[str]:
    """Why an integer written as ``int()`` reads it cannot be a size (jaxtyping takes ``-8`` and
    builds a type no tensor satisfies: a typo, reported at once); None when it can be one."""
    if len(text.lstrip("+-0_")) > _MAX_SIZE_DIGITS:  # no int(): it may refuse over 4,300 digits
        return _size_problem(-1 if text.startswith("-") else MAX_SIZE + 1, text)
    try:
        return _size_problem(int(text), text)
    except ValueError:
        return None  # not an integer after all: read as an expression


def _parse_jaxtyping_elem(elem: str, text: str) -> SpecDim:
    """One whitespace-separated element, following jaxtyping's ``_make_array_cached``."""

    def bad(reason: str) -> DeclarationError:
        return DeclarationError(f"jaxtyping shape {_show(text)}: {reason}")

    if "," in elem and "(" not in elem:
        raise bad("axes should be separated with spaces, not commas")
    if elem.endswith("#"):
        raise bad(f"broadcastable axes are written with # at the start, not the end ({elem!r})")
    if "..." in elem:
        if elem != "...":
            raise bad(f"anonymous multiple axes '...' must be used on its own; got {elem!r}")
        return VariadicDim(None)
    body, marks = _split_marks(elem, bad)
    if len(body) == 0 or body.isidentifier():
        return _named_axis(body, marks, elem, bad)
    problem = _int_text_problem(body) if _INT_TEXT.match(body) else None
    if problem:
        raise bad(problem)  # `-8`, 320 digits (int() may even refuse over 4,300)
    try:
        size = int(body)  # as jaxtyping: what int() reads is a fixed size
    except ValueError:
        return _expression_axis(body, marks, elem, bad)
    return _fixed_axis(size, marks, elem, bad)


#: The prefixes of a jaxtyping axis: ``#`` broadcastable, ``*`` variadic (any number of axes),
#: ``_`` anonymous, ``?`` tree-path dependent.
_MARKS = {"#": "broadcastable", "*": "variadic", "_": "anonymous", "?": "treepath"}

#: The names of the prefixes an axis has.
_Marks = FrozenSet[str]


def _split_marks(elem: str, bad) -> Tuple[str, _Marks]:
    """The axis without its prefixes (each allowed once) and ``name=`` (``rows=3`` is ``3``,
    as in jaxtyping), and the prefixes found."""
    original = elem
    found = set()
    while elem:
        mark = _MARKS.get(elem[0])
        if mark is not None:
            if mark in found:
                raise bad(f"do not use {elem[0]} twice ({original!r})")
            found.add(mark)
            elem = elem[1:]
        elif elem.count("=") == 1:
            elem = elem.split("=")[1]
        else:
            break
    return elem, frozenset(found)


#: The prefixes a kind of axis cannot have, in the order they are reported.
_FIXED_REFUSES = (
    ("variadic", "a fixed axis cannot bind to multiple axes"),
    ("anonymous", "a fixed axis cannot be anonymous"),
    ("treepath", "a fixed axis cannot have tree-path dependence"),
)
_EXPRESSION_REFUSES = (
    ("anonymous", "an expression axis cannot be anonymous"),
    ("variadic", "an expression cannot stand for multiple axes"),
    ("treepath", "an expression axis cannot have tree-path dependence"),
)


def _refuse_marks(marks: _Marks, refused: Sequence[Tuple[str, str]], original: str, bad) -> None:
    for mark, message in refused:
        if mark in marks:
            raise bad(f"{message} ({original!r})")


def _fixed_axis(size: int, marks: _Marks, original: str, bad) -> SpecDim:
    _refuse_marks(marks, _FIXED_REFUSES, original, bad)
    return FixedDim(size, "broadcastable" in marks)


def _named_axis(name: str, marks: _Marks, original: str, bad) -> SpecDim:
    """A name (or none: a bare ``*`` or ``_``) for one axis or, with ``*``, several."""
    broadcastable = "broadcastable" in marks
    if "anonymous" in marks:
        if broadcastable:
            raise bad(f"an axis cannot be both anonymous and broadcastable ({original!r})")
        return VariadicDim(None) if "variadic" in marks else AnonymousDim()
    if "variadic" in marks:
        return VariadicDim(name, broadcastable)
    return NamedDim(name, broadcastable)


def _expression_axis(elem: str, marks: _Marks, original: str, bad) -> SpecDim:
    """An expression of names (``2*h``, ``dim-1``)."""
    _refuse_marks(marks, _EXPRESSION_REFUSES, original, bad)
    source = _expression_source(elem, bad)
    problem = _constant_problem(source) if source is not None else None
    if problem:
        raise bad(problem)  # `2-3`, `1.5`, `2**70`: no tensor has that size
    return SymbolicDim(elem, source, broadcastable="broadcastable" in marks)


def _literal_text(node: ast.AST) -> Optional[str]:
    """``str()`` of an expression made of literals only (``1``, ``()``, ``[1, 'a']``), else None."""
    try:
        return str(ast.literal_eval(node))
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None


def _static_str(node: ast.AST) -> Optional[str]:
    """The value of a string expression made of literals only (what jaxtyping's f-string step
    produces for an element without argument references), else None."""
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.JoinedStr):
        parts = []
        for v in node.values:
            if isinstance(v, ast.Constant) and isinstance(v.value, str):
                parts.append(v.value)
            elif (
                isinstance(v, ast.FormattedValue)
                and v.conversion in (-1, None)
                and v.format_spec is None
                and _literal_text(v.value) is not None
            ):
                parts.append(_literal_text(v.value))  # `{1}`, `{()}`: a field of literals only
            else:
                return None
        return "".join(parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _static_str(node.left), _static_str(node.right)
        return None if left is None or right is None else left + right
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        # `'*1`: the element closed jaxtyping's quote; str * small int is still a literal.
        for text, count in ((node.left, node.right), (node.right, node.left)):
            value = _static_str(text)
            if value is not None and _small_int(count):
                return value * count.value
    return None


def _small_int(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) is int and 0 <= node.value <= 64


def _expression_source(elem: str, bad) -> Optional[str]:
    """The Python expression of a symbolic dim, None when it depends on argument values.

    jaxtyping first formats the element as an f-string (``{n}`` is the argument ``n``), then
    evaluates the result. An element that is not a valid f-string, or whose text is not a valid
    expression, is rejected here (jaxtyping would raise ``SyntaxError`` checking a tensor).
    """
    try:
        fstring = ast.parse("f'" + elem + "'", mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise bad(f"{elem!r} is not a valid expression") from None
    source = _static_str(fstring)
    if source is None:
        return None  # refers to argument values: `{n}`
    try:
        ast.parse(source, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise bad(f"{elem!r} is not a valid expression") from None
    return source


# --------------------------------------------------------------------------------------------
# Tuple literals: pragmas, CLI, config


def parse_shape_tuple(text: str) -> ShapeSpec:
    """Parse a Python tuple or list literal of sizes: ``(16, 3, 64, 64)``, ``[b, 3, h, w]``,
    ``(1, 3, 2*h, w)``. Also ``_``/``None`` (any size), ``...`` and ``*name`` (any number of dims);
    ``(16)`` is read as ``(16,)``."""
    if not isinstance(text, str):
        raise DeclarationError(f"shape must be a tuple or list literal, not {type(text).__name__}")
    stripped = text.strip()
    if not stripped:
        raise DeclarationError("empty shape: expected a tuple such as (16, 3, 64, 64)")
    try:
        tree = ast.parse(stripped, mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        huge = [run for run in _DIGIT_RUN.findall(stripped) if len(run.lstrip("0_")) > _MAX_SIZE_DIGITS]
        if huge:  # Python refuses literals of over 4,300 digits: say why, not "not a tuple"
            raise DeclarationError(f"shape {_show(text)}: {_size_problem(MAX_SIZE + 1, huge[0])}") from None
        raise DeclarationError(f"shape {_show(text)} is not a tuple or list literal") from None
    if isinstance(tree, (ast.Tuple, ast.List)):
        elements = tree.elts
    elif stripped.startswith("(") and stripped.endswith(")") and not isinstance(tree, ast.Starred):
        elements = [tree]  # (16) means (16,)
    else:
        raise DeclarationError(
            f"shape {_show(text)} is not a tuple or list literal, e.g. (16, 3, 64, 64)"
        )
    dims = tuple(_tuple_elem(e, text) for e in elements)
    _check_shape(dims, text)
    return ShapeSpec(text, dims)


def _tuple_elem(node: ast.AST, text: str) -> SpecDim:
    def bad(reason: str) -> DeclarationError:
        return DeclarationError(f"shape {_show(text)}: {reason}")

    if isinstance(node, ast.Constant):
        value = node.value
        if value is None:
            return AnonymousDim()
        if value is Ellipsis:
            return VariadicDim(None)
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad(f"{_show_number(repr(value))} is not a size")
        problem = _size_problem(value, value)
        if problem:
            raise bad(problem)
        return FixedDim(value)
    if isinstance(node, ast.Name):
        if node.id == "_" or (node.id.startswith("_") and not node.id.startswith("__")):
            # `_` and `_name` are anonymous, as in jaxtyping
            return AnonymousDim()
        return NamedDim(node.id)
    if isinstance(node, ast.Starred):
        if isinstance(node.value, ast.Name):
            if node.value.id == "_":
                return VariadicDim(None)
            return VariadicDim(node.value.id)
        raise bad("only a name may follow * (any number of dims)")
    if _is_expression(node):
        try:
            source = ast.unparse(node)
        except ValueError:  # a literal of more digits than Python writes out (over 4,300)
            raise bad("a number in it is too large (PyTorch sizes are at most 2**63 - 1)") from None
        problem = _constant_problem(source)
        if problem:
            raise bad(problem)  # `-8`, `1 - 3`, `2**70`
        value = _as_int(_value(SymbolicDim(source, source), {}))
        if value is not None and not any(isinstance(n, ast.Name) for n in ast.walk(node)):
            return FixedDim(value)  # a constant expression such as 2*80
        return SymbolicDim(source.replace(" ", ""), source)
    raise bad(f"{_segment(node, text)!r} is not a size, a name or an expression of names")


def _is_expression(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, int) and not isinstance(node.value, bool)
    if isinstance(node, ast.Name):
        return True
    if isinstance(node, ast.UnaryOp):
        return isinstance(node.op, (ast.USub, ast.UAdd)) and _is_expression(node.operand)
    if isinstance(node, ast.BinOp):
        return (
            (type(node.op) in _BINOPS or isinstance(node.op, ast.Pow))
            and _is_expression(node.left)
            and _is_expression(node.right)
        )
    if isinstance(node, ast.Call):
        return (
            isinstance(node.func, ast.Name)
            and node.func.id in _CALLS
            and not node.keywords
            and bool(node.args)
            and all(_is_expression(a) for a in node.args)
        )
    return False


def _segment(node: ast.AST, text: str) -> str:
    try:
        return ast.unparse(node)
    except Exception:  # pragma: no cover - unparse of a parsed node does not fail
        return text


def _parse_auto(text: str) -> ShapeSpec:
    if not isinstance(text, str):
        raise DeclarationError(f"shape must be a string, not {type(text).__name__}")
    stripped = text.strip()
    if stripped.startswith(("(", "[")) and not re.match(r"^\(\S*\)\s+\S", stripped):
        return parse_shape_tuple(text)
    return parse_jaxtyping_dims(text)


# --------------------------------------------------------------------------------------------
# Pragmas

_PRAGMA = re.compile(r"\s*shapelint\s*:(?P<rest>.*)$", re.DOTALL)
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def parse_pragma(comment: str) -> Optional[Dict[str, Any]]:
    """Parse a ``# shapelint: input=(16, 3) output=(16, 4)`` comment: ``input`` and ``output``
    give a ShapeSpec; ``init(3, n_classes=2)``, a model's constructor arguments, an ``InitArgs``.

    ``comment`` is the comment's text from its first ``#`` (as tokenize or libcst give it). A
    pragma may follow another comment on the same line (``# noqa: E501  # shapelint: ...``) and
    may be followed by one (``# shapelint: output=(1, 4)  # noqa: SHP101``). Returns None when the
    comment holds no shapelint pragma; raises DeclarationError when it holds a malformed one.
    """
    if not isinstance(comment, str):
        return None
    text = comment.lstrip()
    if text.startswith("#"):
        text = text[1:]
    # Find `shapelint:` at the start of the comment or of a comment after another `#`.
    pos = 0
    body = None
    while True:
        m = _PRAGMA.match(text, pos)
        if m:
            body = m.group("rest")
            break
        nxt = text.find("#", pos)
        if nxt < 0:
            return None
        pos = nxt + 1
    # The pragma ends where another comment starts (a `#` outside brackets).
    result: Dict[str, Any] = {}
    i, n = 0, len(body)

    def bad(reason: str) -> DeclarationError:
        return DeclarationError(f"malformed shapelint pragma: {reason}")

    while True:
        while i < n and body[i] in " \t\r\n\f\v":
            i += 1
        if i >= n or body[i] == "#":
            break
        m = _KEY.match(body, i)
        if not m:
            raise bad(f"expected key=shape, got {_show(body[i:].rstrip(), 40)}")
        key = m.group(0)
        i = m.end()
        while i < n and body[i] in " \t":
            i += 1
        if key == "init":
            i = _pragma_init(body, i, result)
            continue
        if i >= n or body[i] != "=":
            if key in PRAGMA_KEYS:
                raise bad(f"expected '=' after {key!r}")
            raise bad(f"unexpected {key!r} (expected key=shape pairs such as input=(16, 3, 64, 64))")
        i += 1
        while i < n and body[i] in " \t":
            i += 1
        if key not in PRAGMA_KEYS:
            raise bad(f"unknown key {key!r} (expected {' or '.join(PRAGMA_KEYS)}, or init(...))")
        if key in result:
            raise bad(f"{key!r} given twice")
        if i >= n or body[i] not in "([":
            raise bad(f"{key}= must be followed by a tuple such as (16, 3, 64, 64)")
        end = _closing_bracket(body, i)
        if end is None:
            raise bad(f"unclosed bracket in {key}={_show(body[i:].rstrip(), 40)}")
        value = body[i : end + 1]
        i = end + 1
        if i < n and body[i] not in " \t\r\n\f\v#":
            raise bad(f"unexpected {_show(body[i:].rstrip(), 40)} after {key}={value}")
        try:
            result[key] = parse_shape_tuple(value)
        except DeclarationError as e:
            raise bad(f"{key}: {e}") from None
    if not result:
        raise bad("no key=shape pair (expected e.g. input=(16, 3, 64, 64))")
    return result


def _pragma_init(body: str, i: int, result: Dict[str, object]) -> int:
    """``init(3, n_classes=2)`` at ``body[i]`` (after the key): its arguments into ``result``;
    the index after it."""
    from .initargs import find_init_call, parse_init_args

    def bad(reason: str) -> DeclarationError:
        return DeclarationError(f"malformed shapelint pragma: {reason}")

    if "init" in result:
        raise bad("'init' given twice")
    if i >= len(body) or body[i] != "(":
        raise bad("init must be followed by the constructor's arguments, e.g. init(3, n_classes=2)")
    end = find_init_call(body[i:])
    if end is None:
        raise bad(f"unclosed bracket in init{_show(body[i:].rstrip(), 40)}")
    arguments = body[i + 1 : i + end - 1]
    i += end
    if i < len(body) and body[i] not in " \t\r\n\f\v#":
        raise bad(f"unexpected {_show(body[i:].rstrip(), 40)} after init(...)")
    try:
        result["init"] = parse_init_args(arguments)
    except DeclarationError as error:
        raise bad(f"init: {error}") from None
    return i


def _closing_bracket(text: str, start: int) -> Optional[int]:
    depth = 0
    for j in range(start, len(text)):
        c = text[j]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                return j
        elif c == "#":
            return None
    return None


# --------------------------------------------------------------------------------------------
# CLI and config

_CLI_NAME = re.compile(r"^(?:(?P<path>[^=]+?)::)?(?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)$")


def parse_cli_shape(text: str) -> Tuple[str, ShapeSpec]:
    """Parse ``--input``/``--output`` values: ``NAME=16,256,16,160,160``,
    ``path/to/file.py::NAME=16,3,64,64``, ``NAME=(16, 3, h, w)``, ``NAME=b,3,h,w``."""
    if not isinstance(text, str):
        raise DeclarationError("expected NAME=SHAPE, e.g. Upsampler=16,256,16,160,160")
    if "=" not in text:
        raise DeclarationError(f"{_show(text)}: expected NAME=SHAPE, e.g. Upsampler=16,256,16,160,160")
    name, _, value = text.partition("=")
    name = name.strip()
    m = _CLI_NAME.match(name)
    if not m:
        raise DeclarationError(
            f"{_show(text)}: {_show(name)} is not a class or variable name (or path.py::Name)"
        )
    value = value.strip()
    if not value:
        raise DeclarationError(f"{_show(text)}: no shape after '='")
    source = value if value.startswith(("(", "[")) else "(" + value + ",)"
    if value.startswith(("(", "[")):
        spec = parse_shape_tuple(value)
    else:
        if value.endswith(","):
            raise DeclarationError(f"{_show(text)}: trailing comma in the shape")
        for item in value.split(","):
            item = item.strip()
            problem = _int_text_problem(item) if _INT_TEXT.match(item) else None
            if problem:  # a size no tensor has, not a typo in the list: say so
                raise DeclarationError(f"{_show(text)}: {problem}")
        try:
            spec = parse_shape_tuple(source)
        except DeclarationError:
            raise DeclarationError(
                f"{_show(text)}: bad shape {_show(value)} (expected sizes separated by commas, e.g. 16,3,64,64)"
            ) from None
        spec = ShapeSpec(value, spec.dims)
    return name, spec


def _show_items(items: Sequence[object]) -> str:
    """A config list for a one-line message (its huge ints cut short)."""
    shown = ", ".join(
        _show_number(v) if isinstance(v, int) and not isinstance(v, bool) else repr(v) for v in items
    )
    return _show(f"[{shown}]", 60)


def shape_from_config(value: object) -> ShapeSpec:
    """A shape from pyproject.toml: a list of ints and strings (``[16, "b", "2*h"]``; a string
    item is one jaxtyping dim). A string value is read as a tuple literal or a jaxtyping dims
    string."""
    if isinstance(value, str):
        return _parse_auto(value)
    if not isinstance(value, (list, tuple)):
        raise DeclarationError(
            f"shape must be a list of sizes such as [16, 3, 64, 64], not {type(value).__name__} {_show(repr(value), 40)}"
        )
    dims: List[SpecDim] = []
    shown: List[str] = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, (int, str)):
            raise DeclarationError(
                f"shape {_show_items(value)}: {item!r} is not a size or a name"
            )
        if isinstance(item, int):
            problem = _size_problem(item, item)
            if problem:
                raise DeclarationError(f"shape {_show_items(value)}: {problem}")
            dims.append(FixedDim(item))
            shown.append(str(item))
        else:
            if len(item.split()) != 1:
                raise DeclarationError(
                    f"shape {_show_items(value)}: {item!r} must be exactly one dim"
                )
            dims.append(_parse_jaxtyping_elem(item.strip(), item))
            shown.append(item.strip())
    text = "[" + ", ".join(shown) + "]"
    _check_shape(dims, text)
    return ShapeSpec(text, tuple(dims))
