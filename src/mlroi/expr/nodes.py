"""The expression tree: node types, the error every stage raises, and the operator tables.

Nodes are frozen dataclasses, so two parses of the same text compare equal and an expression
can be a dictionary key. A number and a condition (a comparison, ``and``/``or``/``not``) are
different kinds; :attr:`is_condition` tells them apart. ``str(expr)`` is Python source text that
parses back to the same tree (see :mod:`mlroi.expr.printing`).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias, cast

from mlroi.errors import SpecError

UnaryOp: TypeAlias = Literal["-", "+"]
BinaryOp: TypeAlias = Literal["+", "-", "*", "/", "**"]
CompareOp: TypeAlias = Literal["<", "<=", ">", ">=", "==", "!="]
Function: TypeAlias = Literal["min", "max", "abs"]
Kind: TypeAlias = Literal["number", "condition"]


class ExprError(SpecError):
    """An expression is malformed, names something unknown, or divides by zero.

    The message is one line: ``field: col N: what is wrong``.
    """

    def __init__(self, message: str, *, field: str = "", position: str = "") -> None:
        super().__init__(": ".join(part for part in (field, position, message) if part))
        self.field = field
        self.position = position


class _Node:
    """Shared behaviour of the expression nodes (all frozen dataclasses)."""

    __slots__ = ()

    def children(self) -> tuple[Expr, ...]:
        """The direct sub-expressions, in evaluation order."""
        raise NotImplementedError

    def names(self) -> frozenset[str]:
        """Every column or parameter name the expression reads."""
        return frozenset(ordered_names(cast("Expr", self)))

    @property
    def is_condition(self) -> bool:
        """Whether the expression is a condition (true/false) rather than a number."""
        return False

    def __str__(self) -> str:
        from mlroi.expr.printing import to_text  # the printer imports these classes

        return to_text(cast("Expr", self))


@dataclass(frozen=True, slots=True)
class Num(_Node):
    """A number literal (after :func:`~mlroi.expr.bind`, also a substituted parameter)."""

    value: float

    def children(self) -> tuple[Expr, ...]:
        return ()


@dataclass(frozen=True, slots=True)
class Name(_Node):
    """A column or a parameter."""

    id: str

    def children(self) -> tuple[Expr, ...]:
        return ()


@dataclass(frozen=True, slots=True)
class Unary(_Node):
    """``-x`` or ``+x``."""

    op: UnaryOp
    operand: Expr

    def children(self) -> tuple[Expr, ...]:
        return (self.operand,)


@dataclass(frozen=True, slots=True)
class Binary(_Node):
    """Arithmetic ``left op right``; for ``**`` the right side is a whole-number literal."""

    op: BinaryOp
    left: Expr
    right: Expr

    def children(self) -> tuple[Expr, ...]:
        return (self.left, self.right)


@dataclass(frozen=True, slots=True)
class Compare(_Node):
    """A comparison of two numbers (a chain ``a < b < c`` is parsed into ``and``)."""

    op: CompareOp
    left: Expr
    right: Expr

    def children(self) -> tuple[Expr, ...]:
        return (self.left, self.right)

    @property
    def is_condition(self) -> bool:
        return True


@dataclass(frozen=True, slots=True)
class BoolOp(_Node):
    """``a and b and ...`` or ``a or b or ...`` over two or more conditions."""

    op: Literal["and", "or"]
    values: tuple[Expr, ...]

    def children(self) -> tuple[Expr, ...]:
        return self.values

    @property
    def is_condition(self) -> bool:
        return True


@dataclass(frozen=True, slots=True)
class Not(_Node):
    """``not cond``."""

    operand: Expr

    def children(self) -> tuple[Expr, ...]:
        return (self.operand,)

    @property
    def is_condition(self) -> bool:
        return True


@dataclass(frozen=True, slots=True)
class Call(_Node):
    """``min(...)`` or ``max(...)`` of two or more numbers, or ``abs(x)``."""

    func: Function
    args: tuple[Expr, ...]

    def children(self) -> tuple[Expr, ...]:
        return self.args


@dataclass(frozen=True, slots=True)
class IfElse(_Node):
    """``body if test else orelse``; both branches are numbers, or both conditions."""

    test: Expr
    body: Expr
    orelse: Expr

    def children(self) -> tuple[Expr, ...]:
        return (self.test, self.body, self.orelse)

    @property
    def is_condition(self) -> bool:
        return self.body.is_condition


Expr: TypeAlias = Num | Name | Unary | Binary | Compare | BoolOp | Not | Call | IfElse


# What each operator computes, on floats, numpy arrays and Ibis columns alike.
ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "**": operator.pow,
}
COMPARISON: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}


def _walk(expr: Expr) -> Iterator[Expr]:
    yield expr
    for child in expr.children():
        yield from _walk(child)


def ordered_names(expr: Expr) -> list[str]:
    """Names in reading order, each once."""
    return list(dict.fromkeys(node.id for node in _walk(expr) if isinstance(node, Name)))
