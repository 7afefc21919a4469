"""Compile a bound value expression to an Ibis column expression, for one backend query.

Ibis is imported when an expression is compiled, not when this module is: reading and checking a
case (``mlroi validate``) never loads it. Divisions are not guarded here; a caller counts the
rows of :func:`mlroi.expr.zero_divisors` in the same aggregation query.
"""

from __future__ import annotations

import operator
from functools import reduce
from typing import TYPE_CHECKING

from mlroi.backend.columns import as_float
from mlroi.expr.nodes import (
    ARITHMETIC,
    COMPARISON,
    Binary,
    BoolOp,
    Call,
    Compare,
    Expr,
    IfElse,
    Name,
    Not,
    Num,
    Unary,
)

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["to_ibis"]


def to_ibis(expr: Expr, table: ir.Table) -> ir.Value:
    """Compile an expression to an Ibis column expression on ``table``.

    Names are read as float64 columns (booleans and yes/no words as 1.0/0.0, see
    :func:`~mlroi.backend.columns.as_float`); ``if/else`` becomes ``ibis.ifelse``, ``min``/``max``
    become ``ibis.least``/``ibis.greatest``. Divisions are not guarded here: count the rows of
    :func:`mlroi.expr.zero_divisors` in the same query.

    Args:
        expr: a bound expression whose names are columns of ``table``.
        table: the Ibis table the expression runs on.

    Example:
        >>> import ibis
        >>> from mlroi.expr import parse
        >>> t = ibis.memtable({"x": [1.0, 2.0]})
        >>> ibis.duckdb.connect().execute(to_ibis(parse("max(x, 1.5)"), t)).tolist()
        [1.5, 2.0]
    """
    import ibis

    match expr:
        case Num(value):
            # a cast from text: a bare 0.3 is a DECIMAL to DuckDB (and to the SQL standard),
            # and products of a few such literals overflow; Ibis drops a float-to-float cast
            return ibis.literal(repr(float(value))).cast("float64")
        case Name(name):
            return as_float(table[name])
        case Unary(op, operand):
            inner = to_ibis(operand, table)
            return -inner if op == "-" else inner
        case Binary(op, left, right):
            return ARITHMETIC[op](to_ibis(left, table), to_ibis(right, table))
        case Compare(op, left, right):
            return COMPARISON[op](to_ibis(left, table), to_ibis(right, table))
        case BoolOp(op, values):
            combine = operator.and_ if op == "and" else operator.or_
            return reduce(combine, (to_ibis(v, table) for v in values))
        case Not(operand):
            return ~to_ibis(operand, table)
        case Call("abs", args):
            return to_ibis(args[0], table).abs()
        case Call(func, args):
            combine = ibis.least if func == "min" else ibis.greatest
            return combine(*(to_ibis(a, table) for a in args))
        case IfElse(test, body, orelse):
            return ibis.ifelse(to_ibis(test, table), to_ibis(body, table), to_ibis(orelse, table))
