"""Value expressions: safe arithmetic and conditions over columns and named parameters.

A case file writes the value of each outcome of a decision as an expression, e.g. the value of
acting on a churner retained with probability ``g``::

    g * (clv - discount - contact) - (1 - g) * contact

The language has numbers and names (columns or parameters), ``+ - * /``, ``**`` to a
whole-number literal, comparisons, ``and``/``or``/``not``, ``a if cond else b``, ``min``,
``max`` and ``abs``; nothing else parses (grammar in :mod:`mlroi.expr.parse`). Numbers and
conditions are separate kinds, and a row that divides by zero is an error, never ``inf``.

The stages, one module each: :func:`parse` (text to tree), :func:`bind` (check names,
substitute parameters, fold constants), ``str``/:func:`display` (tree to text),
:func:`zero_divisors` (where a row would divide by zero), :func:`evaluate` (numpy). The
compilation to a backend is :func:`mlroi.backend.compile.to_ibis`; this package imports no Ibis.
"""

from __future__ import annotations

from mlroi.expr.bind import bind
from mlroi.expr.divisors import ZeroDivisor, zero_divisors
from mlroi.expr.evaluate import evaluate
from mlroi.expr.nodes import (
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
from mlroi.expr.parse import parse
from mlroi.expr.printing import display

__all__ = [
    "Binary",
    "BoolOp",
    "Call",
    "Compare",
    "Expr",
    "ExprError",
    "IfElse",
    "Name",
    "Not",
    "Num",
    "Unary",
    "ZeroDivisor",
    "bind",
    "display",
    "evaluate",
    "parse",
    "zero_divisors",
]
