"""The range of an expression's values when every column it reads lies in a known range.

Interval arithmetic (Moore 1966): each operation maps the ranges of its operands to a range
that holds every value it can give, so the result bounds the expression in every row whose
columns lie in their ranges (a Parquet file's min/max, say) without reading a row. A condition
is 0 or 1; ``a if c else b`` takes the union of both branches, whatever ``c``. The bound can be
wider than the values the rows really give, never narrower (up to the rounding of the last bit,
which callers allow for).

References:
    Moore, R. E. (1966). Interval Analysis. Prentice-Hall.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from mlroi.expr.nodes import Binary, BoolOp, Call, Compare, Expr, IfElse, Name, Not, Num, Unary

__all__ = ["value_range"]

Range = tuple[float, float]


def value_range(expr: Expr, columns: Mapping[str, Range]) -> Range | None:
    """The smallest and largest value ``expr`` can take when each column lies in its range.

    ``None`` when a column's range is unknown, a divisor's range holds 0, the expression uses
    ``**``, or a bound is not finite.

    Example:
        >>> from mlroi.expr import bind, parse
        >>> e = bind(parse("0.3 * (clv - 11) if y == 1 else -11"), ["y", "clv"], {})
        >>> value_range(e, {"y": (0.0, 1.0), "clv": (1.0, 111.0)})
        (-11.0, 30.0)
    """
    got = _range(expr, columns)
    if got is None or not (math.isfinite(got[0]) and math.isfinite(got[1])):
        return None
    return got


def _range(expr: Expr, columns: Mapping[str, Range]) -> Range | None:
    match expr:
        case Num(value):
            return (value, value)
        case Name(name):
            return columns.get(name)
        case Compare() | BoolOp() | Not():
            return (0.0, 1.0)
        case Unary(op, operand):
            inner = _range(operand, columns)
            if inner is None:
                return None
            return (-inner[1], -inner[0]) if op == "-" else inner
        case IfElse(_, body, orelse):
            a, b = _range(body, columns), _range(orelse, columns)
            return None if a is None or b is None else (min(a[0], b[0]), max(a[1], b[1]))
        case Binary(op, left, right):
            a, b = _range(left, columns), _range(right, columns)
            if a is None or b is None:
                return None
            return _binary(op, a, b)
        case Call(func, args):
            ranges = [_range(x, columns) for x in args]
            if any(r is None for r in ranges):
                return None
            known = [r for r in ranges if r is not None]
            if func == "abs":
                lo, hi = known[0]
                return (0.0 if lo <= 0.0 <= hi else min(abs(lo), abs(hi)), max(abs(lo), abs(hi)))
            pick = min if func == "min" else max
            return (pick(r[0] for r in known), pick(r[1] for r in known))
    return None


def _binary(op: str, a: Range, b: Range) -> Range | None:
    if op == "+":
        return (a[0] + b[0], a[1] + b[1])
    if op == "-":
        return (a[0] - b[1], a[1] - b[0])
    if op == "*":
        products = [x * y for x in a for y in b]
        return (min(products), max(products))
    if op == "/" and (b[0] > 0.0 or b[1] < 0.0):
        quotients = [x / y for x in a for y in b]
        return (min(quotients), max(quotients))
    return None  # a divisor that can be 0, or a power
