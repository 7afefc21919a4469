"""Bind: check an expression's names against columns and parameters, substitute, fold constants.

After binding, the only names left are columns; every sub-expression that involves no column
is one number, and every ``if``/``and``/``or`` the parameters decide is reduced to the branch
taken, so a division in a branch the parameters rule out is never checked.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Collection, Mapping
from numbers import Real
from typing import Literal

from mlroi.expr.nodes import (
    ARITHMETIC,
    COMPARISON,
    Binary,
    BinaryOp,
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
    ordered_names,
)


def bind(
    expr: Expr,
    columns: Collection[str],
    parameters: Mapping[str, float],
    *,
    field: str = "",
) -> Expr:
    """Check every name, substitute the parameters, fold constants.

    A branch of ``if/else`` (or a later operand of ``and``/``or``) that the parameters rule out is
    dropped before it is folded, so ``clv / n if n > 0 else 0`` binds with ``n = 0``.

    Args:
        expr: a parsed expression.
        columns: the columns of the table it will run on.
        parameters: named numbers from the case file, e.g. ``{"g": 0.3, "discount": 10}``.
        field: where the expression comes from; starts every error.

    Raises:
        ExprError: a name that is neither a column nor a parameter (with a did-you-mean), a name
            that is both, a parameter that is not a finite number, or a division whose divisor
            is zero once the parameters are substituted.

    Example:
        >>> from mlroi.expr import parse
        >>> e = parse("g * (clv - discount - contact) - (1 - g) * contact")
        >>> str(bind(e, ["clv"], {"g": 0.25, "discount": 10, "contact": 2}))
        '0.25 * (clv - 10 - 2) - 1.5'
    """
    column_set = set(columns)
    for name in ordered_names(expr):
        if name in column_set and name in parameters:
            raise ExprError(
                f'"{name}" is both a column and a parameter; rename the parameter',
                field=field,
            )
        if name not in column_set and name not in parameters:
            raise ExprError(_unknown_name(name, list(columns), list(parameters)), field=field)
    values: dict[str, float] = {}
    for name in expr.names() & parameters.keys():
        value = parameters[name]
        if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
            raise ExprError(
                f'parameter "{name}" must be a finite number, got {value!r}', field=field
            )
        values[name] = float(value)
    return _Folder(values, field).fold(expr)


def _unknown_name(name: str, columns: list[str], parameters: list[str]) -> str:
    candidates = columns + parameters
    by_lower = {c.lower(): c for c in reversed(candidates)}
    close = difflib.get_close_matches(name.lower(), list(by_lower), n=1)
    hint = f'; did you mean "{by_lower[close[0]]}"?' if close else ""
    return (
        f'unknown name "{name}"{hint} (columns: {_listing(columns)};'
        f" parameters: {_listing(parameters)})"
    )


def _listing(names: list[str], limit: int = 12) -> str:
    if not names:
        return "none"
    shown = ", ".join(names[:limit])
    return shown if len(names) <= limit else f"{shown}, ... ({len(names) - limit} more)"


class _Folder:
    """Substitutes parameters and folds constant sub-expressions, in evaluation order."""

    def __init__(self, values: Mapping[str, float], field: str) -> None:
        self.values = values
        self.field = field

    def fold(self, expr: Expr) -> Expr:
        match expr:
            case Num():
                return expr
            case Name(name):
                return Num(self.values[name]) if name in self.values else expr
            case Unary(op, operand):
                inner = self.fold(operand)
                if isinstance(inner, Num):
                    return _num(-inner.value if op == "-" else inner.value)
                return Unary(op, inner)
            case Binary(op, left, right):
                return self._binary(expr, op, self.fold(left), self.fold(right))
            case Compare(op, left, right):
                return Compare(op, self.fold(left), self.fold(right))
            case BoolOp(op, values):
                return self._boolop(op, values)
            case Not(operand):
                return Not(self.fold(operand))
            case Call(func, args):
                folded = tuple(self.fold(a) for a in args)
                numbers = [a.value for a in folded if isinstance(a, Num)]
                if len(numbers) < len(folded):
                    return Call(func, folded)
                if func == "abs":
                    return _num(abs(numbers[0]))
                return _num(min(numbers) if func == "min" else max(numbers))
            case IfElse(test, body, orelse):
                folded_test = self.fold(test)
                truth = _truth(folded_test)
                if truth is None:
                    return IfElse(folded_test, self.fold(body), self.fold(orelse))
                return self.fold(body if truth else orelse)

    def _binary(self, original: Binary, op: BinaryOp, left: Expr, right: Expr) -> Expr:
        if op == "/" and isinstance(right, Num) and right.value == 0:
            raise ExprError(
                f'"{original}" divides by zero: its divisor "{original.right}" is 0'
                " with the parameters given",
                field=self.field,
            )
        if isinstance(left, Num) and isinstance(right, Num):
            try:
                value = float(ARITHMETIC[op](left.value, right.value))
            except OverflowError:
                value = math.inf
            if math.isfinite(value):
                return _num(value)
        return Binary(op, left, right)

    def _boolop(self, op: Literal["and", "or"], values: tuple[Expr, ...]) -> Expr:
        # Python's rule: ``and`` stops at the first false operand, ``or`` at the first true one;
        # later operands are never folded, so a division they guard is not checked.
        decisive = op == "or"
        kept: list[Expr] = []
        last: Expr = values[-1]
        for value in values:
            last = self.fold(value)
            truth = _truth(last)
            if truth is decisive:
                return last if not kept else BoolOp(op, (*kept, last))
            if truth is None:
                kept.append(last)
        if not kept:
            return last
        return kept[0] if len(kept) == 1 else BoolOp(op, tuple(kept))


def _num(value: float) -> Num:
    return Num(value + 0.0)  # no negative zero: it would print as "-0" and parse as -(0)


def _truth(expr: Expr) -> bool | None:
    """The value of a condition that involves no column, else ``None``."""
    match expr:
        case Compare(op, Num(left), Num(right)):
            return bool(COMPARISON[op](left, right))
        case Not(operand):
            inner = _truth(operand)
            return None if inner is None else not inner
        case BoolOp("and", values):
            truths = [_truth(v) for v in values]
            return False if False in truths else True if all(truths) else None
        case BoolOp("or", values):
            truths = [_truth(v) for v in values]
            return True if True in truths else False if all(t is False for t in truths) else None
        case IfElse(test, body, orelse):
            chosen = _truth(test)
            return None if chosen is None else _truth(body if chosen else orelse)
        case _:
            return None
