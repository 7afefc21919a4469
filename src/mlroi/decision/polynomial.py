"""Uncertain parameters pulled out of a value expression: ``sum_k coef_k(row) x m_k(params)``.

A value expression such as ``g * (clv - discount - contact) - (1 - g) * contact`` is, row by
row, a polynomial in its uncertain parameters (here ``g``) whose coefficients are expressions over
the columns (``clv - discount``, ``-contact``, ...). Expanding it once means the backend sums each
coefficient by score group in one query, and any draw of the parameters gives the value of every
group as a small dot product: the expected value over the parameters and its Monte Carlo spread
cost nothing per draw on the rows.

A parameter may appear in sums, products, whole powers, divided by a column expression, and in
the branches of ``if/else``; not inside ``min``/``max``/``abs``, a comparison, or a divisor,
where the value is no longer a polynomial in it. Such an expression is rejected with the
parameter named (give that parameter a fixed value, or write the expression without it there).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from functools import reduce
from itertools import groupby
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

from mlroi.expr import (
    Binary,
    BoolOp,
    Call,
    Compare,
    Expr,
    ExprError,
    IfElse,
    Name,
    Not,
    Num,
    Unary,
)
from mlroi.spec.quantity import (
    Beta,
    LogNormal,
    Normal,
    Quantity,
    Range,
    StudentT,
    _pert_ab,
    describe,
    point,
)

Monomial: TypeAlias = tuple[tuple[str, int], ...]
"""Sorted ``(parameter, power)`` pairs; ``()`` is the constant term."""

Polynomial: TypeAlias = dict[Monomial, Expr]

_Factors: TypeAlias = tuple[Expr, ...]
"""A product of expressions free of uncertain parameters, sorted by their text; ``()`` is 1."""

_Coef: TypeAlias = dict[_Factors, float]
"""A coefficient while it is built: ``sum of weight x product of factors``, constants folded."""

_Expansion: TypeAlias = dict[Monomial, _Coef]


def expand(expr: Expr, uncertain: Collection[str], *, field: str = "") -> Polynomial:
    """``expr`` as ``{monomial: coefficient}``, the coefficients free of uncertain parameters.

    Each coefficient is kept as a weighted sum of products while it is built, so numbers fold
    and like terms add up (``clv * (1 + r) ** 24`` gives ``r ** k`` the coefficient
    ``C(24, k) * clv``, not a tree of ``2 ** 24`` additions). A sum times a sum stays a product
    of the two sums, so no expression grows by multiplying out its columns.

    Raises:
        ExprError: an uncertain parameter sits where the value is not a polynomial in it.

    Example:
        >>> from mlroi.expr import parse
        >>> p = expand(parse("g * (clv - 2) - (1 - g) * 2"), {"g"})
        >>> sorted((k, str(v)) for k, v in p.items())
        [((), '-2'), ((('g', 1),), 'clv')]
    """
    names = frozenset(uncertain)
    if not names & expr.names():
        return {(): expr}
    return {k: _render(c) for k, c in _Expander(names, field).run(expr).items()}


class _Expander:
    def __init__(self, uncertain: frozenset[str], field: str) -> None:
        self.uncertain = uncertain
        self.field = field

    def _free(self, expr: Expr, where: str) -> None:
        found = sorted(expr.names() & self.uncertain)
        if found:
            raise ExprError(
                f'uncertain parameter "{found[0]}" appears {where} ({expr}), where the value is '
                "not a sum of products of it; give it a fixed value or rewrite the expression",
                field=self.field,
            )

    def run(self, expr: Expr) -> _Expansion:
        match expr:
            case Num(value=value):
                return {(): {(): value}}
            case Name(id=name) if name in self.uncertain:
                return {((name, 1),): {(): 1.0}}
            case Name():
                return {(): {(expr,): 1.0}}
            case Unary(op="-", operand=operand):
                return {k: _scale(c, -1.0) for k, c in self.run(operand).items()}
            case Unary(operand=operand):
                return self.run(operand)
            case Binary(op="+" | "-" as op, left=left, right=right):
                return _add(self.run(left), self.run(right), 1.0 if op == "+" else -1.0)
            case Binary(op="*", left=left, right=right):
                return _multiply(self.run(left), self.run(right))
            case Binary(op="/", left=left, right=right):
                self._free(right, "in a divisor")
                return {k: _divide(c, right) for k, c in self.run(left).items()}
            case Binary(op="**", left=left, right=Num(value=power)):
                # Each coefficient of the base as one product, so that the powers of a sum
                # stay powers of it rather than sums nested once per multiplication.
                base = {k: _as_product(c) for k, c in self.run(left).items()}
                out: _Expansion = {(): {(): 1.0}}
                for _ in range(int(power)):
                    out = _multiply(out, base)
                return out
            case Call() | Compare() | BoolOp() | Not():
                self._free(expr, f"inside {_what(expr)}")
                return {(): {(expr,): 1.0}}
            case IfElse(test=test, body=body, orelse=orelse):
                self._free(test, "in an if condition")
                a, b = self.run(body), self.run(orelse)
                return {
                    k: {(IfElse(test, _render(a.get(k, {})), _render(b.get(k, {}))),): 1.0}
                    for k in [*a, *(k for k in b if k not in a)]
                }
        raise ExprError(f"cannot expand {expr}", field=self.field)  # pragma: no cover


def _what(expr: Expr) -> str:
    return f"{expr.func}()" if isinstance(expr, Call) else "a condition"


def _add(a: _Expansion, b: _Expansion, sign: float) -> _Expansion:
    out = dict(a)
    for k, c in b.items():
        out[k] = _coef_add(out[k], c, sign) if k in out else _scale(c, sign)
    return out


def _multiply(a: _Expansion, b: _Expansion) -> _Expansion:
    out: _Expansion = {}
    for ka, ca in a.items():
        for kb, cb in b.items():
            powers = dict(ka)
            for name, p in kb:
                powers[name] = powers.get(name, 0) + p
            key = tuple(sorted(powers.items()))
            term = _coef_multiply(ca, cb)
            out[key] = _coef_add(out[key], term, 1.0) if key in out else term
    return out


# ------------------------------------------------------------------------ coefficient algebra


def _scale(c: _Coef, weight: float) -> _Coef:
    return {f: w * weight for f, w in c.items()}


def _coef_add(a: _Coef, b: _Coef, sign: float) -> _Coef:
    out = dict(a)
    for f, w in b.items():
        out[f] = out[f] + sign * w if f in out else sign * w
    return out


def _coef_multiply(a: _Coef, b: _Coef) -> _Coef:
    if len(a) > 1 and len(b) > 1:
        a, b = _as_product(a), _as_product(b)
    out: _Coef = {}
    for fa, wa in a.items():
        for fb, wb in b.items():
            f = tuple(sorted(fa + fb, key=str)) if fa and fb else fa or fb
            out[f] = out[f] + wa * wb if f in out else wa * wb
    return out


def _as_product(c: _Coef) -> _Coef:
    """``c`` as one weighted product: a sum becomes a single factor."""
    return c if len(c) <= 1 else {(_render(c),): 1.0}


def _divide(c: _Coef, divisor: Expr) -> _Coef:
    """``c / divisor``: a nonzero number scales the weights; any other divisor (a literal 0
    too, for :func:`~mlroi.expr.bind` to report) stays a division in one factor."""
    if isinstance(divisor, Num) and divisor.value != 0:
        return {f: w / divisor.value for f, w in c.items()}
    if len(c) == 1:
        ((f, w),) = c.items()
        if not f:
            return {(Binary("/", _number(w), divisor),): 1.0}
        return {(Binary("/", _product(f), divisor),): w}
    return {(Binary("/", _render(c), divisor),): 1.0}


def _render(c: _Coef) -> Expr:
    """The expression ``sum of weight x product``, a zero number term left out.

    A product whose weight cancels to 0 stays (``0 * f``), so the checks for NULL, NaN and
    zero divisors on the coefficients still see every column the value reads.
    """
    terms = [(f, w) for f, w in c.items() if f or w != 0]
    if not terms:
        return _number(sum(c.values()))
    out = _term(*terms[0])
    for f, w in terms[1:]:
        out = Binary("-" if w < 0 else "+", out, _term(f, abs(w)))
    return out


def _term(factors: _Factors, weight: float) -> Expr:
    if not factors:
        return _number(weight)
    if weight == 1:
        return _product(factors)
    if weight == -1:
        return Unary("-", _product(factors))
    return _product((_number(weight), *factors))


def _product(factors: _Factors) -> Expr:
    """``f1 * f2 ** 2 * ...``: a run of equal factors as a power."""
    powers = [
        f if (n := len(list(run))) == 1 else Binary("**", f, Num(float(n)))
        for f, run in groupby(factors)
    ]
    return reduce(lambda a, b: Binary("*", a, b), powers)


def _number(value: float) -> Num:
    return Num(value + 0.0)  # no negative zero: it would print as "-0"


# --------------------------------------------------------------------------- parameter moments


def mean(q: Quantity) -> float:
    """The exact mean of ``q`` (PERT: ``(low + 4 likely + high) / 6``)."""
    if isinstance(q, int | float):
        return float(q)
    if isinstance(q, Range):
        if q.likely is None:
            return (q.low + q.high) / 2
        if q.shape == "triangular":
            return (q.low + q.likely + q.high) / 3
        return (q.low + 4 * q.likely + q.high) / 6
    if isinstance(q, Normal | Beta | LogNormal | StudentT):
        return point(q)
    raise TypeError(f"not a quantity: {q!r}")  # pragma: no cover


def moment(q: Quantity, power: int) -> float:
    """``E[q ** power]`` in closed form, for every form of :data:`Quantity`.

    - uniform on ``[a, b]``: ``h_k(a, b) / (k + 1)`` and triangular on ``a, c, b``:
      ``2 h_k(a, c, b) / ((k + 1)(k + 2))``, where ``h_k`` is the complete homogeneous
      symmetric polynomial (the sum of every product of ``k`` of its arguments); no division
      by the width, so a degenerate range gives its value;
    - Beta(a, b): ``prod_{j<k} (a + j) / (a + b + j)``; PERT is ``low + (high - low) B`` with
      ``B`` the Beta of :func:`mlroi.spec.quantity._pert_ab`, expanded by the binomial theorem;
    - Normal(m, s): ``sum_{j even} C(k, j) m^(k-j) s^j (j - 1)!!``;
    - LogNormal(mu, sigma): ``exp(k mu + k^2 sigma^2 / 2)``;
    - m + s T, T Student's t on ``v`` df: as the normal with ``E[T^j]`` for ``(j - 1)!!``,
      ``v^(j/2) prod_{i <= j/2} (2i - 1) / (v - 2i)`` for even ``j`` (finite only for ``j < v``;
      a higher power raises ``ValueError``).

    Hand-written because the powers of a polynomial value reach well past 4, where scipy's
    ``moment`` integrates numerically for the uniform, triangular, Beta and log-normal.
    """
    if power == 1:
        return mean(q)
    if isinstance(q, int | float):
        return float(q) ** power
    if isinstance(q, Range):
        if q.likely is None:
            return _complete_homogeneous((q.low, q.high), power) / (power + 1)
        if q.shape == "triangular":
            h = _complete_homogeneous((q.low, q.likely, q.high), power)
            return 2 * h / ((power + 1) * (power + 2))
        width = q.high - q.low
        if width == 0:
            return q.low**power
        a, b = _pert_ab(q)
        return math.fsum(
            math.comb(power, j) * q.low ** (power - j) * width**j * _beta_moment(a, b, j)
            for j in range(power + 1)
        )
    if isinstance(q, Normal):
        m, s = q.normal
        return math.fsum(
            math.comb(power, j) * m ** (power - j) * s**j * _double_factorial(j - 1)
            for j in range(0, power + 1, 2)
        )
    if isinstance(q, StudentT):
        m, s, v = q.student_t
        if power >= v and s > 0:
            raise ValueError(
                f"{describe(q)} has no finite moment of order {power}: its df must exceed {power}"
            )
        return math.fsum(
            math.comb(power, j) * m ** (power - j) * s**j * _t_moment(v, j)
            for j in range(0, power + 1, 2)
        )
    if isinstance(q, Beta):
        return _beta_moment(*q.beta, power)
    mu, sigma = q.lognormal
    return math.exp(power * mu + power**2 * sigma**2 / 2)


def _complete_homogeneous(xs: tuple[float, ...], k: int) -> float:
    """``h_k(xs)``: the sum of every monomial of degree ``k`` in ``xs``, by
    ``h_k(x_1..x_n) = sum_j x_n^j h_{k-j}(x_1..x_{n-1})``."""
    h = [xs[0] ** j for j in range(k + 1)]
    for x in xs[1:]:
        for j in range(1, k + 1):
            h[j] += x * h[j - 1]
    return h[k]


def _t_moment(df: float, j: int) -> float:
    """``E[T^j]`` of Student's t on ``df`` degrees of freedom, ``j`` even and below ``df``."""
    out = 1.0
    for i in range(1, j // 2 + 1):
        out *= df * (2 * i - 1) / (df - 2 * i)
    return out


def _beta_moment(a: float, b: float, k: int) -> float:
    return math.prod((a + j) / (a + b + j) for j in range(k))


def _double_factorial(n: int) -> int:
    return math.prod(range(n, 0, -2))


def expectation(monomial: Monomial, params: Mapping[str, Quantity]) -> float:
    """``E[m(params)]`` for independent parameters: the product of their moments."""
    return math.prod(moment(params[name], p) for name, p in monomial)


def evaluate_monomials(
    monomials: Collection[Monomial], draws: Mapping[str, npt.NDArray[np.float64]]
) -> dict[Monomial, npt.NDArray[np.float64]]:
    """Each monomial at every draw of the parameters."""
    size = len(next(iter(draws.values()))) if draws else 1
    out: dict[Monomial, npt.NDArray[np.float64]] = {}
    for m in monomials:
        value = np.ones(size)
        for name, p in m:
            value = value * draws[name] ** p
        out[m] = value
    return out
