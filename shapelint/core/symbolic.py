"""Symbolic sizes: exact arithmetic on sizes that depend on named input sizes.

A *name* (``h``) stands for every positive integer. A size of one name is a *periodic affine*
function: ``a*h + b[h % M]`` with one slope ``a`` and an offset per residue class of a period
``M`` (rationals that give integers). That family is closed under ``+``, ``-``, ``*`` by
constants and floor division / modulo by integer constants, which is every shape rule of the
layer table on a spatial size; its smallest period makes the form canonical, so two sizes
reached in different ways are equal exactly when their forms are. A size of several names is a
product ``c * f(h) * g(w)`` of such functions (a flatten), each factor scaled so the form is
canonical too.

Sets of sizes (what a model accepts) are *eventually periodic*: below a threshold an explicit
set of values, from it on the residues mod a period. They are closed under intersection, union
and complement, and have a canonical form; a constraint over several names is a union of boxes
(one such set per name).

Everything is exact or raises ``Inexact`` (the caller's "unknown"): periods past
``MAX_PERIOD``, products of two functions of one name, sums of unlike products, float scales
that are not exact binary fractions. Pure Python (``fractions``); measured against islpy,
z3-solver and sympy in ``docs/design/symbolic-sizes.md``. Never imported on the lint path of a
model without names.
"""

from __future__ import annotations

import ast
import math
from fractions import Fraction
from typing import Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

__all__ = [
    "MAX_PERIOD",
    "MAX_THRESHOLD",
    "MAX_BOXES",
    "Inexact",
    "Sym",
    "SizeSet",
    "Constraint",
    "name",
    "parse",
    "render",
    "evaluate",
    "is_symbolic",
    "always",
    "compare",
    "where_ge",
    "where_eq",
    "floor_times",
]

#: The largest period a size or set may have; past it the result is unknown.
MAX_PERIOD = 4096
#: The largest value below which a set is listed explicitly; past it the result is unknown.
MAX_THRESHOLD = 1 << 20
#: The most boxes a constraint over several names is a union of.
MAX_BOXES = 256

Number = Union[int, Fraction]


class Inexact(ValueError):
    """The exact result is out of reach of this representation: the size or set is unknown."""


def _lcm(a: int, b: int) -> int:
    period = a * b // math.gcd(a, b)
    if period > MAX_PERIOD:
        raise Inexact(f"period {period} is past {MAX_PERIOD}")
    return period


def _integer(value: Number) -> int:
    if isinstance(value, Fraction):
        if value.denominator != 1:
            raise ValueError(f"{value} is not an integer size")
        return value.numerator
    return value


# --------------------------------------------------------------------------- one name


class _Periodic:
    """``slope*h + offsets[h % period]`` over one name; canonical (smallest period)."""

    __slots__ = ("name", "slope", "offsets", "_hash")

    def __init__(self, name: str, slope: Number, offsets: Sequence[Number]) -> None:
        offsets = tuple(b if type(b) is Fraction else Fraction(b) for b in offsets)
        period = len(offsets)
        for p in _prime_factors(period):
            while period % p == 0:
                smaller = period // p
                if all(offsets[r] == offsets[r % smaller] for r in range(period)):
                    period = smaller
                    offsets = offsets[:period]
                else:
                    break
        self.name = name
        self.slope = slope if type(slope) is Fraction else Fraction(slope)
        self.offsets = offsets
        self._hash = hash((name, self.slope, offsets))

    @property
    def period(self) -> int:
        return len(self.offsets)

    def key(self) -> Tuple:
        return (self.name, self.slope, self.offsets)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Periodic) and self.key() == other.key()

    def __hash__(self) -> int:
        return self._hash

    def at(self, h: int) -> Fraction:
        return self.slope * h + self.offsets[h % self.period]

    def is_constant(self) -> bool:
        return self.slope == 0 and self.period == 1

    def spread(self, period: int) -> Tuple[Fraction, ...]:
        """The offsets over a multiple of the period."""
        return tuple(self.offsets[r % self.period] for r in range(period))

    def plus(self, other: "_Periodic") -> "_Periodic":
        period = _lcm(self.period, other.period)
        a, b = self.spread(period), other.spread(period)
        return _Periodic(self.name, self.slope + other.slope, [x + y for x, y in zip(a, b)])

    def scaled(self, factor: Number) -> "_Periodic":
        if factor == 1:
            return self
        return _Periodic(self.name, self.slope * factor, [b * factor for b in self.offsets])

    def shifted(self, constant: Number) -> "_Periodic":
        if constant == 0:
            return self
        return _Periodic(self.name, self.slope, [b + constant for b in self.offsets])

    def floordiv(self, k: int) -> "_Periodic":
        """``floor(f / k)`` for a positive integer ``k``.

        On a residue class of a period that ``k * denominator`` divides, ``f mod k`` is
        constant (an integer polynomial moves by multiples of the step), so the quotient is
        affine there.
        """
        denominator = self.slope.denominator
        for b in self.offsets:
            denominator = denominator * b.denominator // math.gcd(denominator, b.denominator)
        period = _lcm(self.period, k * denominator)
        offsets = []
        for r in range(period):
            value = self.slope * r + self.offsets[r % self.period]
            remainder = _integer(value) % k
            offsets.append((self.offsets[r % self.period] - remainder) / k)
        return _Periodic(self.name, self.slope / k, offsets)

    def values_from(self, start: int, count: int) -> List[int]:
        return [_integer(self.at(h)) for h in range(start, start + count)]


def _prime_factors(n: int) -> List[int]:
    out, p = [], 2
    while p * p <= n:
        if n % p == 0:
            out.append(p)
            while n % p == 0:
                n //= p
        p += 1
    if n > 1:
        out.append(n)
    return out


def _normalized(factor: _Periodic) -> Tuple[int, _Periodic]:
    """``(content, primitive)``: ``factor == content * primitive``, the primitive's values
    coprime and its first varying coefficient positive, so a product's form is canonical."""
    content = 0
    for h in range(1, factor.period + 2):
        content = math.gcd(content, _integer(factor.at(h)))
    if factor.slope != 0:
        sign = 1 if factor.slope > 0 else -1
    else:
        first = next((b for b in factor.offsets if b != 0), Fraction(1))
        sign = 1 if first > 0 else -1
    content *= sign
    return content, factor.scaled(Fraction(1, content))


# --------------------------------------------------------------------------- sizes


class Sym:
    """A size that depends on names: ``coef * factor * factor ...``, one factor per name.

    A size of one name is its factor (``coef`` 1); of several names, a product of normalized
    factors. A constant is never a ``Sym`` (operations return an ``int``). Sizes compare and
    hash by their canonical form: ``==`` is "the same function" (``h // 2 * 2 + h % 2 == h``);
    the ordering operators answer for every value of the names and raise ``Inexact`` where the
    answer depends on them (use ``compare``/``where_ge`` for the set). ``str()`` is the
    canonical Python expression.
    """

    __slots__ = ("coef", "factors", "_hash", "_text")
    #: How ``shapes.is_symbolic`` recognizes a Sym without importing this module.
    is_size_expression = True

    def __init__(self, coef: int, factors: Tuple[_Periodic, ...]) -> None:
        self.coef = coef
        self.factors = factors
        self._hash = hash((coef, factors))
        #: Its printed form, made when first asked (printing costs more than computing).
        self._text: Optional[str] = None

    def bare_name(self) -> Optional[str]:
        """The name, when the size is just a name (``h``, not ``h + 1``)."""
        single = self._single()
        if self.coef == 1 and single is not None and single.slope == 1 and single.offsets == (0,):
            return single.name
        return None

    # -- construction

    @staticmethod
    def _of(coef: Number, factors: Iterable[_Periodic]) -> "Dim":
        """The canonical value of ``coef * product(factors)``; an int when constant."""
        coef = Fraction(coef)
        merged: Dict[str, _Periodic] = {}
        for factor in factors:
            if factor.is_constant():
                coef *= factor.offsets[0]
                continue
            if factor.name in merged:
                raise Inexact(f"a product of two sizes of {factor.name} is not periodic affine")
            merged[factor.name] = factor
        if coef == 0 or not merged:
            return _integer(coef)
        if len(merged) == 1:
            (only,) = merged.values()
            single = only.scaled(coef)
            if single.is_constant():
                return _integer(single.offsets[0])
            return Sym(1, (single,))
        normalized = []
        for key in sorted(merged):
            content, primitive = _normalized(merged[key])
            coef *= content
            normalized.append(primitive)
        return Sym(_integer(coef), tuple(normalized))

    def names(self) -> Tuple[str, ...]:
        return tuple(f.name for f in self.factors)

    def _single(self) -> Optional[_Periodic]:
        return self.factors[0] if len(self.factors) == 1 else None

    # -- identity

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sym) and (self.coef, self.factors) == (other.coef, other.factors)

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return self._hash

    def __bool__(self) -> bool:
        raise Inexact(f"whether {self} is zero depends on the sizes")

    def __repr__(self) -> str:
        return f"Sym({render(self)!r})"

    def __str__(self) -> str:
        if self._text is None:
            self._text = render(self)
        return self._text

    # -- arithmetic (the other operand: an int or a Sym)

    def __add__(self, other: object) -> "Dim":
        if isinstance(other, bool) or not isinstance(other, (int, Sym)):
            return NotImplemented
        return _add(self, other)

    __radd__ = __add__

    def __neg__(self) -> "Dim":
        return _times(self, -1)

    def __pos__(self) -> "Sym":
        return self

    def __sub__(self, other: object) -> "Dim":
        if isinstance(other, bool) or not isinstance(other, (int, Sym)):
            return NotImplemented
        return _add(self, _times(other, -1))

    def __rsub__(self, other: object) -> "Dim":
        if isinstance(other, bool) or not isinstance(other, int):
            return NotImplemented
        return _add(_times(self, -1), other)

    def __mul__(self, other: object) -> "Dim":
        if isinstance(other, bool) or not isinstance(other, (int, Sym)):
            return NotImplemented
        return _times(self, other)

    __rmul__ = __mul__

    def __floordiv__(self, other: object) -> "Dim":
        if isinstance(other, Sym):
            raise Inexact("a division by a symbolic size is not periodic affine")
        if isinstance(other, bool) or not isinstance(other, int):
            return NotImplemented
        return _floordiv(self, other)

    def __rfloordiv__(self, other: object) -> "Dim":
        raise Inexact("a division by a symbolic size is not periodic affine")

    def __mod__(self, other: object) -> "Dim":
        if isinstance(other, Sym):
            raise Inexact("a remainder by a symbolic size is not periodic affine")
        if isinstance(other, bool) or not isinstance(other, int):
            return NotImplemented
        return _add(self, _times(_floordiv(self, other), -other))

    def __rmod__(self, other: object) -> "Dim":
        raise Inexact("a remainder by a symbolic size is not periodic affine")

    # -- comparisons decided for every value of the names (else Inexact)

    def __lt__(self, other: "Dim") -> bool:
        return _decided(other - self, 1)  # type: ignore[operator]

    def __le__(self, other: "Dim") -> bool:
        return _decided(other - self, 0)  # type: ignore[operator]

    def __gt__(self, other: "Dim") -> bool:
        return _decided(self - other, 1)  # type: ignore[operator]

    def __ge__(self, other: "Dim") -> bool:
        return _decided(self - other, 0)  # type: ignore[operator]

    def nonneg_indicator(self) -> "Dim":
        """``1 if self >= 0 else 0`` as a size (exact where that is periodic, else Inexact)."""
        return indicator(where_ge(self, 0), self.names())


Dim = Union[int, Sym]


def _add(a: Dim, b: Dim) -> Dim:
    if isinstance(a, int) and isinstance(b, int):
        return a + b
    if isinstance(a, int):
        a, b = b, a
    assert isinstance(a, Sym)
    single = a._single()
    if isinstance(b, int):
        if single is not None:
            return Sym._of(1, (single.shifted(b),))
        if b == 0:
            return a
        raise Inexact(f"{a} + {b}: a product of names plus a constant is not a product")
    other = b._single()
    if single is not None and other is not None and single.name == other.name:
        return Sym._of(1, (single.plus(other),))
    if a.factors == b.factors:
        return Sym._of(a.coef + b.coef, a.factors)
    raise Inexact(f"{a} + {b} is not a product of periodic affine sizes")


def _times(a: Dim, b: Dim) -> Dim:
    if isinstance(a, int) and isinstance(b, int):
        return a * b
    if isinstance(a, int):
        a, b = b, a
    assert isinstance(a, Sym)
    if isinstance(b, int):
        return Sym._of(a.coef * b, a.factors)
    factors: Dict[str, _Periodic] = {f.name: f for f in a.factors}
    for f in b.factors:
        if f.name in factors:
            raise Inexact(f"{a} * {b}: a product of two sizes of {f.name}")
        factors[f.name] = f
    return Sym._of(a.coef * b.coef, factors.values())


def _floordiv(a: Sym, k: int) -> Dim:
    if k == 0:
        raise ZeroDivisionError("integer division by zero")
    if k < 0:
        return _floordiv(_times(a, -1), -k)  # type: ignore[arg-type]
    single = a._single()
    if single is not None:
        return Sym._of(1, (single.floordiv(k),))
    if a.coef % k == 0:
        return Sym._of(a.coef // k, a.factors)
    raise Inexact(f"({a})//{k}: a division of a product of names")


def divide_exact(a: Dim, b: Dim) -> Dim:
    """``a / b`` where it is a size for every value of the names (``b*c*h / b == c*h``);
    Inexact where it is not (the caller then needs ``where_eq(a % b, 0)``, or knows nothing)."""
    if isinstance(b, int):
        if b == 0:
            raise ZeroDivisionError("division by zero")
        quotient = a // b
        if _times(quotient, b) != a:
            raise Inexact(f"{a} is not a multiple of {b} for every size")
        return quotient
    if isinstance(a, int):
        raise Inexact(f"{a} / {b}: a constant divided by a size")
    coef_a, parts_a = _product_parts(a)
    coef_b, parts_b = _product_parts(b)
    for key, factor in parts_b.items():
        if parts_a.get(key) != factor:
            raise Inexact(f"{a} / {b}: {render(Sym(1, (factor,)))} is not a factor")
        del parts_a[key]
    if coef_a % coef_b:
        raise Inexact(f"{a} / {b}: the coefficient does not divide")
    return Sym._of(coef_a // coef_b, parts_a.values())


def _product_parts(value: Sym) -> Tuple[int, Dict[str, _Periodic]]:
    """``(coef, normalized factor per name)``, for a size of one name too."""
    if len(value.factors) == 1:
        content, primitive = _normalized(value.factors[0])
        return content, {primitive.name: primitive}
    return value.coef, {f.name: f for f in value.factors}


def is_symbolic(value: object) -> bool:
    return isinstance(value, Sym)


def name(text: str) -> Sym:
    """The size named ``text`` (any positive integer)."""
    if not text.isidentifier():
        raise ValueError(f"{text!r} is not a name")
    return Sym(1, (_Periodic(text, 1, (0,)),))


def evaluate(value: Dim, values: Mapping[str, int]) -> int:
    """The size for given values of its names."""
    if isinstance(value, int):
        return value
    result = Fraction(value.coef)
    for factor in value.factors:
        result *= factor.at(values[factor.name])
    return _integer(result)


# --------------------------------------------------------------------------- rendering


def render(value: Dim) -> str:
    """The canonical Python expression: ``2*h``, ``(h + 1)//2``, ``h//16*16``, ``3*(h//2)*w``."""
    if isinstance(value, int):
        return str(value)
    single = value._single()
    if single is not None:
        return _render_periodic(single)
    parts = [] if value.coef == 1 else ["-" if value.coef == -1 else f"{value.coef}*"]
    items = []
    for factor in value.factors:
        text = _render_periodic(factor)
        items.append(text if text.isidentifier() else f"({text})")
    return "".join(parts) + "*".join(items)


def _affine_text(slope: int, name_: str, constant: int) -> str:
    if slope == 1:
        head = name_
    elif slope == -1:
        head = f"-{name_}"
    else:
        head = f"{slope}*{name_}"
    return head + _constant_tail(constant)


def _constant_tail(constant: int) -> str:
    if constant > 0:
        return f" + {constant}"
    if constant < 0:
        return f" - {-constant}"
    return ""


def _render_periodic(f: _Periodic) -> str:
    if f.period == 1:
        return _affine_text(_integer(f.slope), f.name, _integer(f.offsets[0]))
    for form in (_floor_form, _mod_form, _two_floors, _peeled_floors):
        found = form(f)
        if found is not None:
            return found
    return _sum_of_floors(f)


def _floor_form(f: _Periodic) -> Optional[str]:
    """``m*((u*h + v)//M) + c`` (printed ``(u*h + v)//M*m + c``) when ``f`` is one such term."""
    period = f.period
    scaled = f.slope * period  # = m*u
    if scaled == 0 or scaled.denominator != 1:
        return None
    total = abs(scaled.numerator)
    sign = 1 if scaled > 0 else -1
    values = f.values_from(period, 2 * period)
    # u = 1 first; larger u (a 3/2 scale) are tried on short periods only.
    for u in _divisors(total):
        if math.gcd(u, period) != 1 or (u > 1 and period > 256):
            continue
        m = sign * total // u
        if u == 1:
            # (h + v)//M jumps once per period: where f jumps.
            jumps = [h for h in range(period, 2 * period) if values[h - period + 1] != values[h - period]]
            if len(jumps) != 1:
                continue
            candidates: Iterable[int] = [(-jumps[0] - 1) % period]
        else:
            candidates = range(period)
        for v in candidates:
            c = values[0] - m * ((u * period + v) // period)
            if all(values[i] == m * ((u * (period + i) + v) // period) + c for i in range(2 * period)):
                return _floor_text(f.name, u, v, period, m, c)
    return None


def _floor_text(name_: str, u: int, v: int, period: int, m: int, c: int) -> str:
    # Fold the constant into the numerator where the multiplier divides it.
    q = c // m  # c = m*q + (a remainder smaller than m, zero where m divides c)
    v, c = v + q * period, c - m * q
    inner = _affine_text(u, name_, v)
    numerator = inner if inner.isidentifier() else f"({inner})"
    term = f"{numerator}//{period}"
    if m == -1:
        term = f"-({term})"
    elif m != 1:
        term = f"{term}*{m}"
    return term + _constant_tail(c)


def _mod_form(f: _Periodic) -> Optional[str]:
    """``m*((h + v) % M) + c`` for a periodic size without slope."""
    if f.slope != 0:
        return None
    period = f.period
    values = f.values_from(period, period)
    for v in range(period):
        base = [(h + v) % period for h in range(period, 2 * period)]
        if base[1] == base[0]:
            continue
        m_fraction = Fraction(values[1] - values[0], base[1] - base[0])
        if m_fraction.denominator != 1:
            continue
        m = m_fraction.numerator
        c = values[0] - m * base[0]
        if all(values[i] == m * base[i] + c for i in range(period)):
            inner = f.name if v == 0 else f"({_affine_text(1, f.name, v)})"
            term = f"{inner} % {period}"
            if m == -1:
                term = f"-({term})"
            elif m != 1:
                term = f"{m}*({term})"
            return term + _constant_tail(c)
    return None


def _peeled_floors(f: _Periodic) -> Optional[str]:
    """A sum of floor terms of one sign each (``h//2 + h//3 + h//5``): residue classes of the
    divisors of the period, smallest first, whose jumps all share a sign are peeled off."""
    period = f.period
    values = f.values_from(0, period + 1)
    remaining = [values[j + 1] - values[j] for j in range(period)]
    terms = []
    for d in _divisors(period):
        for r in range(d):
            jumps = remaining[r::d]
            if all(v > 0 for v in jumps) or all(v < 0 for v in jumps):
                m = min(jumps, key=abs)
                for j in range(r, period, d):
                    remaining[j] -= m
                terms.append((m, d, (-1 - r) % d))
    if any(remaining) or len(terms) > 6:
        return None
    return _terms_text(f.name, terms, values[0])


def _two_floors(f: _Periodic) -> Optional[str]:
    """``m1*((h + v1)//d1) + m2*((h + v2)//d2) + c`` on short periods (``h//2 + h//3``):
    each term adds its ``m`` where ``(j + 1 + v) % d == 0``, so the jumps of ``f`` decide."""
    period = f.period
    if period > 24:
        return None
    values = f.values_from(0, period + 1)
    jumps = [values[j + 1] - values[j] for j in range(period)]
    divisors = _divisors(period)
    for d1 in divisors:
        for d2 in (d for d in divisors if d >= d1):
            if d1 * d2 // math.gcd(d1, d2) != period:
                continue
            for r1 in range(d1):
                for r2 in range(d2):
                    if d1 == d2 and r2 <= r1:
                        continue
                    only1 = [j for j in range(period) if j % d1 == r1 and j % d2 != r2]
                    only2 = [j for j in range(period) if j % d2 == r2 and j % d1 != r1]
                    if not only1 or not only2:
                        continue
                    m1, m2 = jumps[only1[0]], jumps[only2[0]]
                    if m1 and m2 and all(
                        jumps[j] == m1 * (j % d1 == r1) + m2 * (j % d2 == r2) for j in range(period)
                    ):
                        terms = [(m1, d1, (-1 - r1) % d1), (m2, d2, (-1 - r2) % d2)]
                        return _terms_text(f.name, terms, values[0])
    return None


def _terms_text(name_: str, terms: Sequence[Tuple[int, int, int]], h0: int) -> str:
    """``sum of m*((h + v)//d)`` plus the constant that makes it ``h0`` at ``h = 0``."""
    constant = h0 - sum(m * (v // d) for m, d, v in terms)
    text = ""
    for m, d, v in terms:
        if d == 1:
            term = _affine_text(abs(m), name_, 0)
        else:
            inner = _affine_text(1, name_, v)
            term = f"{inner if inner.isidentifier() else f'({inner})'}//{d}"
            if abs(m) != 1:
                term = f"{term}*{abs(m)}"
        if not text:
            text = term if m > 0 else f"-({term})"
        else:
            text += f" + {term}" if m > 0 else f" - {term}"
    return text + _constant_tail(constant)


def _sum_of_floors(f: _Periodic) -> str:
    """Any periodic affine size: ``f(0) + sum over residues r of jump_r*((h + M - 1 - r)//M)``
    (``f`` summed from its jumps; exact, if long)."""
    period = f.period
    values = f.values_from(0, period + 1)
    terms = []
    for r in range(period):
        jump = values[r + 1] - values[r]
        if jump:
            terms.append((jump, period - 1 - r))
    text = ""
    for jump, shift in terms:
        inner = _affine_text(1, f.name, shift)
        term = f"({inner})//{period}" if shift else f"{f.name}//{period}"
        if abs(jump) != 1:
            term = f"{term}*{abs(jump)}"
        if not text:
            text = term if jump > 0 else f"-({term})"
        else:
            text += f" + {term}" if jump > 0 else f" - {term}"
    return text + _constant_tail(values[0])


def _divisors(n: int) -> List[int]:
    small = [d for d in range(1, math.isqrt(n) + 1) if n % d == 0]
    return sorted(set(small + [n // d for d in small]))


# --------------------------------------------------------------------------- parsing


_PARSE_OPS = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.FloorDiv: lambda a, b: a // b,
    ast.Mod: lambda a, b: a % b,
}


def parse(text: str) -> Dim:
    """A size written as a Python integer expression over names (``2*h``, ``(h + 1)//2``);
    ``ValueError`` for anything else, ``Inexact`` for what is not representable."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        raise ValueError(f"{text!r} is not an expression of sizes") from error
    return _parse_node(tree.body, text)


def _parse_node(node: ast.AST, text: str) -> Dim:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.Name):
        return name(node.id)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        operand = _parse_node(node.operand, text)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp) and type(node.op) in _PARSE_OPS:
        left, right = _parse_node(node.left, text), _parse_node(node.right, text)
        return _PARSE_OPS[type(node.op)](left, right)
    raise ValueError(f"{text!r}: only integers, names, + - * // % and parentheses are allowed")


# --------------------------------------------------------------------------- sets of one name


def _run_mask(start: int, stop: int) -> int:
    """Bits ``start..stop-1``."""
    return ((1 << stop) - 1) ^ ((1 << start) - 1) if stop > start else 0


def _class_mask(residue: int, period: int, stop: int) -> int:
    """Bits ``h`` below ``stop`` with ``h % period == residue`` (a geometric series)."""
    if residue >= stop:
        return 0
    count = (stop - 1 - residue) // period + 1
    unit = ((1 << (count * period)) - 1) // ((1 << period) - 1)
    return unit << residue


class SizeSet:
    """A set of positive values of one name: the members below ``threshold`` listed (bit ``h``
    of ``below``), from ``threshold`` on those whose residue mod ``period`` is in ``tail``.
    Canonical: smallest period, then smallest threshold."""

    __slots__ = ("name", "threshold", "below", "period", "tail")

    def __init__(self, name_: str, threshold: int, below: int, period: int, tail: Iterable[int]) -> None:
        tail = frozenset(r % period for r in tail)
        if threshold > MAX_THRESHOLD:
            raise Inexact(f"a set with members listed up to {threshold}")
        threshold = max(threshold, 1)
        below &= _run_mask(1, threshold)  # only positive values
        # Smallest period of the tail pattern.
        for p in _prime_factors(period):
            while period % p == 0:
                smaller = period // p
                reduced = frozenset(r % smaller for r in tail)
                if all((r % smaller in reduced) == (r in tail) for r in range(period)):
                    period, tail = smaller, reduced
                else:
                    break
        # Smallest threshold: lower it while the value below it follows the tail.
        while threshold > 1 and bool(below >> (threshold - 1) & 1) == ((threshold - 1) % period in tail):
            threshold -= 1
            below &= _run_mask(1, threshold)
        self.name = name_
        self.threshold = threshold
        self.below = below
        self.period = period
        self.tail = tail

    def key(self) -> Tuple:
        return (self.name, self.threshold, self.below, self.period, tuple(sorted(self.tail)))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SizeSet) and self.key() == other.key()

    def __hash__(self) -> int:
        return hash(self.key())

    def __repr__(self) -> str:
        return f"SizeSet({' and '.join(self.conditions()) or 'True'})"

    @staticmethod
    def everything(name_: str) -> "SizeSet":
        return SizeSet(name_, 1, 0, 1, (0,))

    @staticmethod
    def nothing(name_: str) -> "SizeSet":
        return SizeSet(name_, 1, 0, 1, ())

    def __contains__(self, value: int) -> bool:
        if value < 1:
            return False
        if value < self.threshold:
            return bool(self.below >> value & 1)
        return value % self.period in self.tail

    def is_empty(self) -> bool:
        return not self.below and not self.tail

    def is_everything(self) -> bool:
        return self.threshold == 1 and len(self.tail) == self.period

    def _mask(self, stop: int) -> int:
        """The members below ``stop`` (>= threshold) as bits."""
        mask = self.below
        for r in self.tail:
            mask |= _class_mask(r, self.period, stop) & ~_run_mask(0, self.threshold)
        return mask & _run_mask(1, stop)

    def _combine(self, other: "SizeSet", op) -> "SizeSet":
        assert self.name == other.name
        period = _lcm(self.period, other.period)
        threshold = max(self.threshold, other.threshold)
        below = op(self._mask(threshold), other._mask(threshold))
        tail = [r for r in range(period) if op(r % self.period in self.tail, r % other.period in other.tail)]
        return SizeSet(self.name, threshold, below, period, tail)

    def __and__(self, other: "SizeSet") -> "SizeSet":
        return self._combine(other, lambda a, b: a & b)

    def __or__(self, other: "SizeSet") -> "SizeSet":
        return self._combine(other, lambda a, b: a | b)

    def complement(self) -> "SizeSet":
        full = _run_mask(1, self.threshold)
        rest = [r for r in range(self.period) if r not in self.tail]
        return SizeSet(self.name, self.threshold, full & ~self.below, self.period, rest)

    def smallest(self) -> Optional[int]:
        """The smallest member, None when empty."""
        if self.below:
            return (self.below & -self.below).bit_length() - 1
        if not self.tail:
            return None
        start = self.threshold
        return min(start + (r - start) % self.period for r in self.tail)

    def smallest_missing(self, start: int = 1) -> Optional[int]:
        """The smallest value ``>= start`` that is not a member, None when there is none."""
        value = max(start, 1)
        limit = max(value, self.threshold) + self.period
        while value < limit:
            if value not in self:
                return value
            value += 1
        return None

    # -- rendering

    def conditions(self) -> List[str]:
        """Python conditions whose conjunction is the set (``[]``: every positive value;
        ``["False"]``: none); a set that is no conjunction is one ``or`` condition."""
        if self.is_everything():
            return []
        if self.is_empty():
            return ["False"]
        h = self.name
        residues = _residue_condition(h, self.period, self.tail)
        if self.tail:
            # The tail pattern from its first member on, and nothing below: one conjunction.
            first = self.smallest()
            assert first is not None
            follows = SizeSet(h, first, 0, self.period, self.tail) == self
            if follows:
                natural = min(r if r else self.period for r in self.tail)
                out = [residues] if residues else []
                if first > natural:
                    out.append(f"{h} >= {first}")
                return out
        pieces = [_run_text(h, lo, hi) for lo, hi in _runs(self.below)]
        if self.tail:
            tail_text = [residues] if residues else []
            natural = min(r if r else self.period for r in self.tail)
            start = self.threshold + (min((r - self.threshold) % self.period for r in self.tail))
            if start > natural:
                tail_text.append(f"{h} >= {start}")
            pieces.append(" and ".join(tail_text) if tail_text else "True")
        if len(pieces) == 1:
            return [pieces[0]] if " and " not in pieces[0] else pieces[0].split(" and ")
        return [" or ".join(f"({p})" if " and " in p else p for p in pieces)]


def _runs(mask: int) -> Iterator[Tuple[int, int]]:
    """Maximal runs of set bits, as (first, last)."""
    position = 0
    while mask:
        skip = (mask & -mask).bit_length() - 1
        mask >>= skip
        position += skip
        length = (~mask & (mask + 1)).bit_length() - 1
        yield position, position + length - 1
        mask >>= length
        position += length


def _run_text(h: str, lo: int, hi: int) -> str:
    if lo == hi:
        return f"{h} == {lo}"
    if lo == 1:
        return f"{h} <= {hi}"
    return f"{h} >= {lo} and {h} <= {hi}"


def _residue_condition(h: str, period: int, tail: frozenset) -> str:
    """``h % 16 == 0``, ``h % 32 <= 1``, ``(h + 1) % 4 <= 1``; empty when every residue."""
    if len(tail) == period or not tail:
        return ""
    if len(tail) == 1:
        return f"{h} % {period} == {next(iter(tail))}"
    if len(tail) == period - 1:
        (missing,) = set(range(period)) - tail
        return f"{h} % {period} != {missing}"
    # A cyclic run of residues: shift it to start at 0.
    for start in sorted(tail):
        if (start - 1) % period not in tail:
            length = len(tail)
            if all((start + i) % period in tail for i in range(length)):
                if start == 0:
                    return f"{h} % {period} <= {length - 1}"
                if start + length == period:
                    return f"{h} % {period} >= {start}"
                shift = period - start
                return f"({h} + {shift}) % {period} <= {length - 1}"
            break
    return "(" + " or ".join(f"{h} % {period} == {r}" for r in sorted(tail)) + ")"


# --------------------------------------------------------------------------- constraints


Box = Tuple[Tuple[str, SizeSet], ...]  # sorted by name; a name absent is unrestricted


class Constraint:
    """A set of values of several names: a union of boxes, each a ``SizeSet`` per name.

    Single-name constraints are canonical (one box); boxes differing in one name are merged.
    """

    __slots__ = ("boxes",)

    def __init__(self, boxes: Iterable[Box] = ((),)) -> None:
        self.boxes = _simplified(list(boxes))

    @staticmethod
    def true() -> "Constraint":
        return Constraint([()])

    @staticmethod
    def false() -> "Constraint":
        return Constraint([])

    @staticmethod
    def of(size_set: SizeSet) -> "Constraint":
        return Constraint([((size_set.name, size_set),)])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Constraint) and set(self.boxes) == set(other.boxes)

    def __hash__(self) -> int:
        return hash(frozenset(self.boxes))

    def __repr__(self) -> str:
        return f"Constraint({self.conditions()!r})"

    def names(self) -> Tuple[str, ...]:
        return tuple(sorted({n for box in self.boxes for n, _ in box}))

    def __and__(self, other: "Constraint") -> "Constraint":
        boxes = []
        for a in self.boxes:
            for b in other.boxes:
                joined = dict(a)
                for n, s in b:
                    joined[n] = joined[n] & s if n in joined else s
                boxes.append(tuple(sorted(joined.items())))
        return Constraint(boxes)

    def __or__(self, other: "Constraint") -> "Constraint":
        return Constraint(list(self.boxes) + list(other.boxes))

    def is_empty(self) -> bool:
        return not self.boxes

    def is_everything(self) -> bool:
        return self.boxes == ((),)

    def contains(self, values: Mapping[str, int]) -> bool:
        return any(all(values[n] in s for n, s in box) for box in self.boxes)

    def of_name(self, name_: str) -> SizeSet:
        """The values of ``name_`` some member has."""
        out = SizeSet.nothing(name_)
        for box in self.boxes:
            out = out | dict(box).get(name_, SizeSet.everything(name_))
        return out

    def smallest(self, name_: str) -> Optional[int]:
        return self.of_name(name_).smallest()

    def conditions(self) -> List[str]:
        """Python boolean expressions whose conjunction is the constraint (``[]``: everything;
        ``["False"]``: nothing): the ``accepts`` of the JSON output."""
        if not self.boxes:
            return ["False"]
        if len(self.boxes) == 1:
            return [c for _, s in self.boxes[0] for c in s.conditions()]
        parts = []
        for box in self.boxes:
            inner = [c for _, s in box for c in s.conditions()] or ["True"]
            parts.append(inner[0] if len(inner) == 1 else "(" + _conjunction(inner) + ")")
        return [" or ".join(parts)]

    def __str__(self) -> str:
        return _conjunction(self.conditions()) or "True"


def _conjunction(conditions: Sequence[str]) -> str:
    """``a and b`` of conditions, an ``or`` among them parenthesized."""
    return " and ".join(f"({c})" if " or " in c else c for c in conditions)


def _simplified(boxes: List[Box]) -> Tuple[Box, ...]:
    cleaned = []
    for box in boxes:
        if any(s.is_empty() for _, s in box):
            continue
        box = tuple((n, s) for n, s in box if not s.is_everything())
        if box == ():
            return ((),)
        if box not in cleaned:
            cleaned.append(box)
    merged = True
    while merged and len(cleaned) > 1:
        merged = False
        for i in range(len(cleaned)):
            for j in range(i + 1, len(cleaned)):
                joined = _merge(cleaned[i], cleaned[j])
                if joined is not None:
                    cleaned[i] = joined
                    del cleaned[j]
                    merged = True
                    break
            if merged:
                break
    if any(box == () for box in cleaned):
        return ((),)
    if len(cleaned) > MAX_BOXES:
        raise Inexact(f"a constraint of {len(cleaned)} boxes")
    return tuple(sorted(cleaned, key=lambda box: tuple((n, s.key()) for n, s in box)))


def _merge(a: Box, b: Box) -> Optional[Box]:
    """One box for ``a | b`` when they differ in at most one name (or one contains the other)."""
    da, db = dict(a), dict(b)
    names = set(da) | set(db)
    differing = [n for n in names if da.get(n) != db.get(n)]
    if len(differing) > 1:
        return None
    if not differing:
        return a
    (n,) = differing
    joined = da.get(n, SizeSet.everything(n)) | db.get(n, SizeSet.everything(n))
    da[n] = joined
    return tuple(sorted((k, v) for k, v in da.items() if not v.is_everything()))


# --------------------------------------------------------------------------- deciding


def _periodic_ge(f: _Periodic, bound: Number = 0) -> SizeSet:
    """``{h >= 1 : f(h) >= bound}``: on each residue class an affine inequality."""
    period = f.period
    a = f.slope
    thresholds = []
    for r in range(period):
        b = f.offsets[r] - bound  # a*h + b >= 0
        if a > 0:
            thresholds.append(math.ceil(-b / a))
        elif a < 0:
            thresholds.append(math.floor(-b / a) + 1)
    threshold = max([1] + [t for t in thresholds if t > 0])
    if threshold > MAX_THRESHOLD:
        raise Inexact("a bound past the listed range")
    below = 0
    for r in range(period):  # the members below the threshold, class by class
        b = f.offsets[r] - bound
        if a > 0:
            start, stop = max(math.ceil(-b / a), 1), threshold
        elif a < 0:
            start, stop = 1, min(math.floor(-b / a) + 1, threshold)
        else:
            start, stop = (1, threshold) if b >= 0 else (1, 1)
        if start < stop:
            below |= _class_mask(r, period, stop) & ~_class_mask(r, period, start)
    if a > 0:
        tail = range(period)
    elif a < 0:
        tail = ()
    else:
        tail = [r for r in range(period) if f.offsets[r] >= bound]
    return SizeSet(f.name, threshold, below, period, tail)


def where_ge(value: Dim, bound: Dim = 0) -> Constraint:
    """The values of the names where ``value >= bound``."""
    difference = _add(value, _times(bound, -1))
    if isinstance(difference, int):
        return Constraint.true() if difference >= 0 else Constraint.false()
    single = difference._single()
    if single is not None:
        return Constraint.of(_periodic_ge(single))
    raise Inexact(f"{difference} >= 0 over several names")


def where_eq(value: Dim, other: Dim) -> Constraint:
    """The values of the names where ``value == other``."""
    if isinstance(value, int) and isinstance(other, Sym):
        value, other = other, value
    if isinstance(value, Sym) and isinstance(other, int) and value._single() is None:
        return _product_equals(value, other)
    if isinstance(value, Sym) and isinstance(other, Sym) and value._single() is None:
        if value.factors == other.factors:
            if value.coef == other.coef:
                return Constraint.true()
            return _any_zero(value.factors)
    difference = value - other
    if isinstance(difference, int):
        return Constraint.true() if difference == 0 else Constraint.false()
    single = difference._single()
    if single is None:
        raise Inexact(f"{value} == {other} over several names")
    return Constraint.of(_periodic_ge(single) & _periodic_ge(single.scaled(-1)))


def _periodic_eq(f: _Periodic, value: int) -> SizeSet:
    return _periodic_ge(f, value) & _periodic_ge(f.scaled(-1), -value)


def _any_zero(factors: Sequence[_Periodic]) -> Constraint:
    out = Constraint.false()
    for f in factors:
        out = out | Constraint.of(_periodic_eq(f, 0))
    return out


def _product_equals(value: Sym, target: int) -> Constraint:
    """``coef * f(h) * g(w) ... == target``: a finite union of boxes (signed divisors)."""
    if target == 0:
        return _any_zero(value.factors)
    if target % value.coef:
        return Constraint.false()
    rest = target // value.coef
    boxes: List[Box] = []

    def split(index: int, remaining: int, chosen: List[Tuple[str, SizeSet]]) -> None:
        if len(boxes) > MAX_BOXES:
            raise Inexact(f"{value} == {target} has too many solution boxes")
        factor = value.factors[index]
        if index == len(value.factors) - 1:
            options = [remaining]
        else:
            options = [s * d for d in _divisors(abs(remaining)) for s in (1, -1)]
        for part in options:
            members = _periodic_eq(factor, part)
            if members.is_empty():
                continue
            if index == len(value.factors) - 1:
                boxes.append(tuple(chosen + [(factor.name, members)]))
            else:
                split(index + 1, remaining // part, chosen + [(factor.name, members)])

    split(0, rest, [])
    return Constraint(boxes)


def _decided(difference: Dim, bound: int) -> bool:
    """``difference >= bound`` for every value of the names, or for none; else Inexact."""
    found = where_ge(difference, bound)
    if found.is_everything():
        return True
    if found.is_empty():
        return False
    raise Inexact(f"whether {difference} >= {bound} depends on the sizes")


def compare(a: Dim, op: str, b: Dim) -> Optional[bool]:
    """``a op b`` (``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=``) for every positive value of the
    names: True, False, or None when it depends on them (or is out of reach)."""
    try:
        if op in ("==", "!="):
            found = where_eq(a, b)
        elif op in ("<", "<="):
            found = where_ge(b, a + 1 if op == "<" else a)
        elif op in (">", ">="):
            found = where_ge(a, b + 1 if op == ">" else b)
        else:
            raise ValueError(f"unknown comparison {op!r}")
    except Inexact:
        return None
    if found.is_everything():
        return op != "!="
    if found.is_empty():
        return op == "!="
    return None


def always(constraint: Constraint, given: Optional[Constraint] = None) -> bool:
    """Whether every member of ``given`` (every positive value when None) is in ``constraint``;
    Inexact for an inclusion between constraints over several names."""
    given = Constraint.true() if given is None else given
    if constraint.is_everything() or given.is_empty():
        return True
    names = set(constraint.names()) | set(given.names())
    if len(names) != 1:
        raise Inexact("inclusion of constraints over several names")
    (only,) = names
    return (given.of_name(only) & constraint.of_name(only).complement()).is_empty()


def indicator(constraint: Constraint, names: Sequence[str]) -> Dim:
    """``1`` where ``constraint`` holds and ``0`` elsewhere, as a periodic size of one name."""
    if constraint.is_everything():
        return 1
    if constraint.is_empty():
        return 0
    if len(names) != 1:
        raise Inexact("an indicator over several names")
    s = constraint.of_name(names[0])
    if s.threshold > 1:
        raise Inexact(f"the indicator of {s} is not periodic")
    offsets = [1 if r in s.tail else 0 for r in range(s.period)]
    return Sym._of(1, (_Periodic(names[0], 0, offsets),))


def floor_times(value: Dim, scale: float) -> Dim:
    """``floor(float(value) * scale)`` as F.interpolate computes it: exact for a scale that is
    an exact binary fraction ``p / 2**e`` (``2.0``, ``0.5``, ``1.5``); else Inexact, since
    the float product then rounds differently from one size to the next."""
    if isinstance(value, int):
        return math.floor(float(value) * scale)
    ratio = Fraction(scale)
    if ratio.denominator & (ratio.denominator - 1) or ratio.denominator > 1 << 20:
        raise Inexact(f"scale {scale!r} is not an exact binary fraction")
    return (value * ratio.numerator) // ratio.denominator
