"""Print: an expression as Python source text with minimal parentheses, or rounded for a reader.

:func:`to_text` is ``str(expr)``: every digit kept, so the text parses back to the same tree.
:func:`display` rounds the numbers for a sentence in a report.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

from mlroi.expr.nodes import Binary, BoolOp, Call, Compare, Expr, IfElse, Name, Not, Num, Unary

# Binding strength, loosest first, as in Python's grammar; used to print minimal parentheses.
_IFELSE, _OR, _AND, _NOT, _COMPARE, _ADD, _MUL, _UNARY, _POWER, _ATOM = range(10)


def _precedence(expr: Expr) -> int:
    match expr:
        case Num(value):
            return _UNARY if value < 0 else _ATOM
        case Name() | Call():
            return _ATOM
        case Unary():
            return _UNARY
        case Binary(op):
            return {"+": _ADD, "-": _ADD, "*": _MUL, "/": _MUL, "**": _POWER}[op]
        case Compare():
            return _COMPARE
        case BoolOp(op):
            return _AND if op == "and" else _OR
        case Not():
            return _NOT
        case IfElse():
            return _IFELSE


NumberText: TypeAlias = Callable[[float], str]  # how a number literal is written


def _wrap(expr: Expr, parenthesise: bool, number: NumberText) -> str:
    return f"({to_text(expr, number)})" if parenthesise else to_text(expr, number)


def _format_number(value: float) -> str:
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value)


def display(expr: Expr, digits: int = 4) -> str:
    """The expression for a reader: numbers rounded to ``digits`` significant digits.

    ``str(expr)`` keeps every digit (a substituted mean such as 478.3333333333333); a sentence
    in a report shows 478.3.
    """
    return to_text(expr, lambda v: _format_number(float(f"{v:.{digits}g}")))


def to_text(expr: Expr, number: NumberText = _format_number) -> str:
    """Python source text with as few parentheses as keep the tree the same."""
    own = _precedence(expr)
    match expr:
        case Num(value):
            return number(value)
        case Name(name):
            return name
        case Unary(op, operand):
            return op + _wrap(operand, _precedence(operand) < _UNARY, number)
        case Binary("**", left, right):
            exponent = int(right.value) if isinstance(right, Num) else to_text(right, number)
            return f"{_wrap(left, _precedence(left) <= _POWER, number)} ** {exponent}"
        case Binary(op, left, right):
            left_text = _wrap(left, _precedence(left) < own, number)
            return f"{left_text} {op} {_wrap(right, _precedence(right) <= own, number)}"
        case Compare(op, left, right):
            left_text = _wrap(left, _precedence(left) <= own, number)
            return f"{left_text} {op} {_wrap(right, _precedence(right) <= own, number)}"
        case BoolOp(op, values):
            return f" {op} ".join(_wrap(v, _precedence(v) <= own, number) for v in values)
        case Not(operand):
            return "not " + _wrap(operand, _precedence(operand) < _NOT, number)
        case Call(func, args):
            return f"{func}({', '.join(to_text(a, number) for a in args)})"
        case IfElse(test, body, orelse):
            body_text = _wrap(body, _precedence(body) <= _IFELSE, number)
            test_text = _wrap(test, _precedence(test) <= _IFELSE, number)
            return f"{body_text} if {test_text} else {to_text(orelse, number)}"
