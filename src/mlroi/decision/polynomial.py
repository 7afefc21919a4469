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
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

from mlroi.decision.expr import (
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
from mlroi.spec.quantity import Beta, LogNormal, Normal, Quantity, Range, point, quantile

Monomial: TypeAlias = tuple[tuple[str, int], ...]
"""Sorted ``(parameter, power)`` pairs; ``()`` is the constant term."""

Polynomial: TypeAlias = dict[Monomial, Expr]

_ZERO = Num(0.0)


def expand(expr: Expr, uncertain: Collection[str], *, field: str = "") -> Polynomial:
    """``expr`` as ``{monomial: coefficient}``, the coefficients free of uncertain parameters.

    Raises:
        ExprError: an uncertain parameter sits where the value is not a polynomial in it.

    Example:
        >>> from mlroi.decision.expr import parse
        >>> p = expand(parse("g * (clv - 2) - (1 - g) * 2"), {"g"})
        >>> sorted((k, str(v)) for k, v in p.items())
        [((), '-(1 * 2)'), ((('g', 1),), '1 * (clv - 2) - -(1 * 2)')]
    """
    names = frozenset(uncertain)
    if not names & expr.names():
        return {(): expr}
    return _Expander(names, field).run(expr)


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

    def run(self, expr: Expr) -> Polynomial:
        match expr:
            case Num():
                return {(): expr}
            case Name(id=name) if name in self.uncertain:
                return {((name, 1),): Num(1.0)}
            case Name():
                return {(): expr}
            case Unary(op="-", operand=operand):
                return {k: Unary("-", v) for k, v in self.run(operand).items()}
            case Unary(operand=operand):
                return self.run(operand)
            case Binary(op="+" | "-" as op, left=left, right=right):
                return _add(self.run(left), self.run(right), op)
            case Binary(op="*", left=left, right=right):
                return _multiply(self.run(left), self.run(right))
            case Binary(op="/", left=left, right=right):
                self._free(right, "in a divisor")
                return {k: Binary("/", v, right) for k, v in self.run(left).items()}
            case Binary(op="**", left=left, right=Num(value=power)):
                base = self.run(left)
                out: Polynomial = {(): Num(1.0)}
                for _ in range(int(power)):
                    out = _multiply(out, base)
                return out
            case Call() | Compare() | BoolOp() | Not():
                self._free(expr, f"inside {_what(expr)}")
                return {(): expr}
            case IfElse(test=test, body=body, orelse=orelse):
                self._free(test, "in an if condition")
                a, b = self.run(body), self.run(orelse)
                return {k: IfElse(test, a.get(k, _ZERO), b.get(k, _ZERO)) for k in a.keys() | b}
        raise ExprError(f"cannot expand {expr}", field=self.field)  # pragma: no cover


def _what(expr: Expr) -> str:
    return f"{expr.func}()" if isinstance(expr, Call) else "a condition"


def _add(a: Polynomial, b: Polynomial, op: str) -> Polynomial:
    out: Polynomial = dict(a)
    for k, v in b.items():
        if k in out:
            out[k] = Binary("+" if op == "+" else "-", out[k], v)
        else:
            out[k] = v if op == "+" else Unary("-", v)
    return out


def _multiply(a: Polynomial, b: Polynomial) -> Polynomial:
    out: Polynomial = {}
    for ka, va in a.items():
        for kb, vb in b.items():
            powers = dict(ka)
            for name, p in kb:
                powers[name] = powers.get(name, 0) + p
            key = tuple(sorted(powers.items()))
            term = Binary("*", va, vb)
            out[key] = Binary("+", out[key], term) if key in out else term
    return out


# --------------------------------------------------------------------------- parameter moments

_QUADRATURE_POINTS = 1 << 16


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
    if isinstance(q, Normal | Beta | LogNormal):
        return point(q)
    raise TypeError(f"not a quantity: {q!r}")  # pragma: no cover


def moment(q: Quantity, power: int) -> float:
    """``E[q ** power]``: exact for ``power`` 1, else by midpoint quadrature of the quantile
    function on 65,536 points (relative error under 1e-5 for the case file's forms)."""
    if power == 1:
        return mean(q)
    if isinstance(q, int | float):
        return float(q) ** power
    u = (np.arange(_QUADRATURE_POINTS) + 0.5) / _QUADRATURE_POINTS
    return float(np.mean(quantile(q, u) ** power))


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
