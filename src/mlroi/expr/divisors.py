"""Zero divisors: for each division in an expression, the condition under which a row divides by 0.

A division whose divisor is zero in a row that reaches it is an error, never an ``inf`` or
``NaN``: :func:`mlroi.expr.evaluate` raises it, and for a backend (where DuckDB gives
``inf``/``NaN`` and most SQL engines ``NULL`` or an error) :func:`zero_divisors` gives one
condition per division to count in the same aggregation query.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlroi.expr.nodes import Binary, BoolOp, Compare, Expr, ExprError, IfElse, Not, Num


@dataclass(frozen=True)
class ZeroDivisor:
    """A division in an expression, and the condition under which a row divides by zero.

    The condition holds in a row when the row reaches the division (its ``if`` branch is taken,
    the ``and``/``or`` operands before it did not decide) and the divisor is zero there.

    Attributes:
        division: the ``a / b`` sub-expression.
        condition: true in the rows that divide by zero.
    """

    division: Binary
    condition: Expr

    def error(self, rows: int, total: int, *, field: str = "") -> ExprError:
        """The error to raise when ``rows`` of ``total`` rows meet the condition."""
        guarded = IfElse(Compare("!=", self.division.right, Num(0.0)), self.division, Num(0.0))
        return ExprError(
            f'"{self.division}" divides by zero in {rows:,} of {total:,} rows;'
            f' guard the divisor, e.g. "{guarded}"',
            field=field,
        )


def zero_divisors(expr: Expr) -> list[ZeroDivisor]:
    """Every division in ``expr``, in evaluation order, with the rows where it divides by zero.

    A backend would return ``inf``/``NaN`` (DuckDB) or ``NULL`` for those rows, so a caller
    counts each condition in the same aggregation query as the values and raises the first
    non-zero count (``to_ibis`` is :func:`mlroi.backend.compile.to_ibis`)::

        checks = zero_divisors(expr)
        counts = table.aggregate(
            value=to_ibis(expr, table).sum(),
            **{f"zero_{i}": to_ibis(z.condition, table).sum() for i, z in enumerate(checks)},
        )

    Conditions of later divisions may contain earlier ones; check the counts in list order.
    """
    found: list[ZeroDivisor] = []
    _collect_divisors(expr, None, found)
    return found


def _and(reach: Expr | None, condition: Expr) -> Expr:
    if reach is None:
        return condition
    if isinstance(reach, BoolOp) and reach.op == "and":
        return BoolOp("and", (*reach.values, condition))
    return BoolOp("and", (reach, condition))


def _collect_divisors(expr: Expr, reach: Expr | None, found: list[ZeroDivisor]) -> None:
    match expr:
        case IfElse(test, body, orelse):
            _collect_divisors(test, reach, found)
            _collect_divisors(body, _and(reach, test), found)
            _collect_divisors(orelse, _and(reach, Not(test)), found)
        case BoolOp(op, values):
            guard = reach
            for value in values:
                _collect_divisors(value, guard, found)
                guard = _and(guard, value if op == "and" else Not(value))
        case Binary("/", left, right):
            _collect_divisors(left, reach, found)
            _collect_divisors(right, reach, found)
            found.append(ZeroDivisor(expr, _and(reach, Compare("==", right, Num(0.0)))))
        case _:
            for child in expr.children():
                _collect_divisors(child, reach, found)
