"""Evaluate: an expression computed row by row on numpy arrays, raising on a division by zero.

Conditions give booleans, numbers float64; ``if``/``else`` computes both branches and picks per
row (``numpy.where``), which is why the zero divisors are checked first, on the rows that reach
each division, rather than read from an ``inf`` in the result.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import reduce
from typing import Any

import numpy as np
import numpy.typing as npt

from mlroi.errors import DataError
from mlroi.expr.divisors import zero_divisors
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
    ordered_names,
)


def evaluate(expr: Expr, data: Mapping[str, npt.ArrayLike], *, field: str = "") -> npt.NDArray[Any]:
    """Compute an expression row by row on numpy arrays.

    Args:
        expr: a bound expression (parameters substituted) whose names are keys of ``data``.
        data: column name to values (numbers or booleans, read as float64); all the same length.
        field: where the expression comes from; starts every error.

    Returns:
        float64 values for a number, booleans for a condition, one per row (a 0-d array when
        ``data`` is empty).

    Raises:
        ExprError: a row reaches a division whose divisor is zero there.
        DataError: a column is missing from ``data`` or is not numeric.

    Example:
        >>> from mlroi.expr import parse
        >>> evaluate(parse("x / y if y != 0 else 0"), {"x": [1.0, 2.0], "y": [2.0, 0.0]})
        array([0.5, 0. ])
    """
    columns: dict[str, npt.NDArray[np.float64]] = {}
    for name in ordered_names(expr):
        if name not in data:
            raise DataError(f'{field + ": " if field else ""}no column "{name}" in the data')
        try:
            columns[name] = np.asarray(data[name], dtype=np.float64)
        except (TypeError, ValueError):
            raise DataError(
                f'{field + ": " if field else ""}column "{name}" is not numeric'
            ) from None
    shape = np.broadcast_shapes(*(np.shape(v) for v in data.values())) if data else ()
    total = math.prod(shape)
    with np.errstate(all="ignore"):
        for check in zero_divisors(expr):
            rows = int(np.count_nonzero(np.broadcast_to(_numpy(check.condition, columns), shape)))
            if rows:
                raise check.error(rows, total, field=field)
        result = _numpy(expr, columns)
    return np.array(np.broadcast_to(result, shape))


def _numpy(expr: Expr, columns: Mapping[str, npt.NDArray[np.float64]]) -> npt.NDArray[Any]:
    match expr:
        case Num(value):
            return np.asarray(value, dtype=np.float64)
        case Name(name):
            return columns[name]
        case Unary(op, operand):
            inner = _numpy(operand, columns)
            return np.negative(inner) if op == "-" else inner
        case Binary(op, left, right):
            return np.asarray(ARITHMETIC[op](_numpy(left, columns), _numpy(right, columns)))
        case Compare(op, left, right):
            return np.asarray(COMPARISON[op](_numpy(left, columns), _numpy(right, columns)))
        case BoolOp(op, values):
            combine = np.logical_and if op == "and" else np.logical_or
            return np.asarray(reduce(combine, (_numpy(v, columns) for v in values)))
        case Not(operand):
            return np.asarray(np.logical_not(_numpy(operand, columns)))
        case Call("abs", args):
            return np.asarray(np.abs(_numpy(args[0], columns)))
        case Call(func, args):
            ufunc = np.minimum if func == "min" else np.maximum
            return np.asarray(reduce(ufunc, (_numpy(a, columns) for a in args)))
        case IfElse(test, body, orelse):
            return np.where(_numpy(test, columns), _numpy(body, columns), _numpy(orelse, columns))
