"""Value expressions: safe arithmetic over columns and named parameters, compiled to numpy or Ibis.

A case file writes the value of each outcome of a decision as an expression, e.g. the value of
acting on a churner retained with probability ``g``::

    g * (clv - discount - contact) - (1 - g) * contact

:func:`parse` reads the text with Python's own parser (``ast``, ``mode="eval"``) and keeps only a
small grammar, rejecting everything else with the column it starts at:

- numbers (``2``, ``0.15``, ``1e6``; not ``True``/``False``, strings or complex numbers) and names;
- unary ``-``/``+``; binary ``+ - * /``; ``x ** n`` only with a whole-number literal ``n >= 0``
  (so every result stays real: no fractional power of a negative base);
- comparisons ``< <= > >= == !=``; a chain ``a < b < c`` means ``a < b and b < c``;
- ``and``, ``or``, ``not`` on conditions; ``a if cond else b``;
- calls of ``min(a, b, ...)``, ``max(a, b, ...)`` (two or more arguments) and ``abs(x)``.

Every name is a number: a column (booleans count as 0/1) or a parameter. Conditions (comparisons,
``and``/``or``/``not``) are a separate kind: arithmetic on a condition, or ``if`` on a number, is
rejected at parse time, so numpy and SQL backends cannot disagree about truthiness.

:func:`bind` checks the names against the columns and parameters, substitutes the parameters and
folds constants; :func:`evaluate` computes an expression on numpy arrays; :func:`to_ibis` compiles
it to an Ibis column expression. A division whose divisor is zero in a row that reaches it is an
error, never an ``inf`` or ``NaN``: :func:`evaluate` raises it, and for a backend (where DuckDB
gives ``inf``/``NaN`` and most SQL engines ``NULL`` or an error) :func:`zero_divisors` gives one
condition per division to count in the same aggregation query.

Hand-written rather than a library because the grammar must be closed (no attribute or call
escapes) and compile to both numpy and Ibis; Python's parser does the tokenising.
"""

from __future__ import annotations

import ast
import difflib
import math
import operator
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from functools import reduce
from numbers import Real
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, cast

import numpy as np
import numpy.typing as npt

from mlroi.errors import DataError, SpecError

if TYPE_CHECKING:  # Ibis is imported where an expression is compiled: reading a case needs none
    import ibis.expr.types as ir

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
    "evaluate",
    "parse",
    "to_ibis",
    "zero_divisors",
]

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


# Binding strength, loosest first, as in Python's grammar; used to print minimal parentheses.
_IFELSE, _OR, _AND, _NOT, _COMPARE, _ADD, _MUL, _UNARY, _POWER, _ATOM = range(10)


class _Node:
    """Shared behaviour of the expression nodes (all frozen dataclasses)."""

    __slots__ = ()

    def children(self) -> tuple[Expr, ...]:
        """The direct sub-expressions, in evaluation order."""
        raise NotImplementedError

    def names(self) -> frozenset[str]:
        """Every column or parameter name the expression reads."""
        return frozenset(_ordered_names(cast("Expr", self)))

    @property
    def is_condition(self) -> bool:
        """Whether the expression is a condition (true/false) rather than a number."""
        return False

    def __str__(self) -> str:
        return _format(cast("Expr", self))


@dataclass(frozen=True, slots=True)
class Num(_Node):
    """A number literal (after :func:`bind`, also a substituted parameter)."""

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


# --------------------------------------------------------------------------------------- parse


def parse(text: str, *, field: str = "", kind: Kind | None = None) -> Expr:
    """Parse an expression of the small grammar in the module docstring.

    Args:
        text: the expression, e.g. ``"g * (clv - discount - contact) - (1 - g) * contact"``.
            Line breaks (a YAML block scalar) are allowed anywhere a space is.
        field: where the text comes from, e.g. ``"value.act_on_positive"``; starts every error.
        kind: require a ``"number"`` or a ``"condition"``; ``None`` accepts either.

    Returns:
        The expression tree; ``parse(str(e)) == e``.

    Raises:
        ExprError: a syntax error or a construct outside the grammar, with its 1-based column
            (``line L, col C`` when the text has several lines).

    Example:
        >>> str(parse("max(clv - discount, 0) if g > 0.5 else -contact"))
        'max(clv - discount, 0) if g > 0.5 else -contact'
    """
    return _Parser(text, field).parse(kind)


class _Parser:
    """Converts Python's ``ast`` to :data:`Expr`, locating each rejection in the original text."""

    def __init__(self, text: str, field: str) -> None:
        self.text = text
        self.field = field
        # One line keeps every ast column an index into ``text`` (Python rejects a bare line break).
        flat = text.replace("\r", " ").replace("\n", " ").replace("\t", " ")
        self.lead = len(flat) - len(flat.lstrip())
        self.source = flat.strip()
        self.encoded = self.source.encode("utf-8")

    def parse(self, kind: Kind | None) -> Expr:
        if not self.source:
            raise self._error(self.lead, "the expression is empty")
        if "#" in self.source:
            raise self._error(self.lead + self.source.index("#"), "comments (#) are not allowed")
        try:
            tree = ast.parse(self.source, mode="eval")
        except SyntaxError as exc:
            offset = exc.offset if exc.offset and exc.offset > 0 else len(self.source) + 1
            raise self._error(self.lead + offset - 1, f"syntax error: {exc.msg}") from None
        except ValueError as exc:  # e.g. a NUL byte
            raise self._error(self.lead, f"syntax error: {exc}") from None
        try:
            expr = self._convert(tree.body)
        except RecursionError:
            raise self._error(self.lead, "the expression is nested too deeply") from None
        if kind is not None:
            self._expect(expr, tree.body, kind, "the expression")
        return expr

    # positions --------------------------------------------------------------------------

    def _index(self, byte_offset: int) -> int:
        """Index into ``text`` of a UTF-8 byte offset into ``source``."""
        return self.lead + len(self.encoded[:byte_offset].decode("utf-8", errors="replace"))

    def _start(self, node: ast.expr) -> int:
        return self._index(node.col_offset)

    def _end(self, node: ast.expr) -> int:
        return self._index(node.end_col_offset or node.col_offset)

    def _snippet(self, start: int, end: int) -> str:
        snippet = self.text[start:end].replace("\n", " ")
        return snippet if len(snippet) <= 30 else snippet[:27] + "..."

    def _operator_at(self, left: ast.expr, right: ast.expr) -> int:
        """Index of the operator between two operands (the ast does not record it)."""
        start, end = self._end(left), self._start(right)
        for i in range(start, end):
            if not self.text[i].isspace() and self.text[i] not in "()":
                return i
        return start

    def _error(self, index: int, message: str) -> ExprError:
        line = self.text.count("\n", 0, index) + 1
        col = index - (self.text.rfind("\n", 0, index) + 1) + 1
        position = f"line {line}, col {col}" if "\n" in self.text else f"col {col}"
        return ExprError(message, field=self.field, position=position)

    def _reject(self, node: ast.expr, what: str) -> ExprError:
        start = self._start(node)
        snippet = self._snippet(start, self._end(node))
        return self._error(start, f'{what} ("{snippet}")')

    def _expect(self, expr: Expr, node: ast.expr, kind: Kind, where: str) -> None:
        if expr.is_condition != (kind == "condition"):
            article = "a number" if kind == "number" else "a condition (a comparison)"
            got = "a condition" if expr.is_condition else "a number"
            raise self._reject(node, f"{where} must be {article}, not {got}")

    # conversion -------------------------------------------------------------------------

    def _convert(self, node: ast.expr) -> Expr:
        if isinstance(node, ast.Constant):
            return self._constant(node)
        if isinstance(node, ast.Name):
            return Name(node.id)
        if isinstance(node, ast.UnaryOp):
            return self._unary(node)
        if isinstance(node, ast.BinOp):
            return self._binary(node)
        if isinstance(node, ast.Compare):
            return self._compare(node)
        if isinstance(node, ast.BoolOp):
            op: Literal["and", "or"] = "and" if isinstance(node.op, ast.And) else "or"
            values = tuple(self._operand(v, "condition", f'"{op}"') for v in node.values)
            return BoolOp(op, values)
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.IfExp):
            return self._ifelse(node)
        raise self._reject(node, _FORBIDDEN.get(type(node), "this construct is not allowed"))

    def _operand(self, node: ast.expr, kind: Kind, where: str) -> Expr:
        expr = self._convert(node)
        self._expect(expr, node, kind, f"an operand of {where}")
        return expr

    def _constant(self, node: ast.Constant) -> Num:
        value = node.value
        if isinstance(value, bool):
            raise self._reject(node, "True/False are not allowed; write a comparison")
        if isinstance(value, str | bytes):
            raise self._reject(node, "strings are not allowed")
        if not isinstance(value, int | float):
            raise self._reject(node, "only real numbers are allowed")
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise self._reject(node, "the number is too large")
        return Num(number)

    def _unary(self, node: ast.UnaryOp) -> Expr:
        if isinstance(node.op, ast.Not):
            return Not(self._operand(node.operand, "condition", '"not"'))
        if isinstance(node.op, ast.USub | ast.UAdd):
            op: UnaryOp = "-" if isinstance(node.op, ast.USub) else "+"
            return Unary(op, self._operand(node.operand, "number", f'unary "{op}"'))
        raise self._error(self._start(node), 'the operator "~" is not allowed')

    def _binary(self, node: ast.BinOp) -> Expr:
        op = _BINARY_OPS.get(type(node.op))
        if op is None:
            at = self._operator_at(node.left, node.right)
            symbol = _OTHER_BINARY.get(type(node.op), "?")
            raise self._error(at, f'the operator "{symbol}" is not allowed (use + - * / **)')
        left = self._operand(node.left, "number", f'"{op}"')
        if op == "**":
            exponent = node.right
            if not (
                isinstance(exponent, ast.Constant)
                and type(exponent.value) is int
                and exponent.value >= 0
            ):
                raise self._reject(
                    exponent, "the exponent of ** must be a whole-number literal such as 2"
                )
            return Binary(op, left, self._constant(exponent))
        return Binary(op, left, self._operand(node.right, "number", f'"{op}"'))

    def _compare(self, node: ast.Compare) -> Expr:
        operands = [node.left, *node.comparators]
        comparisons: list[Expr] = []
        for i, op_node in enumerate(node.ops):
            op = _COMPARE_OPS.get(type(op_node))
            if op is None:
                at = self._operator_at(operands[i], operands[i + 1])
                symbol = _OTHER_COMPARE.get(type(op_node), "?")
                raise self._error(
                    at, f'the operator "{symbol}" is not allowed (use < <= > >= == !=)'
                )
            left = self._operand(operands[i], "number", "a comparison")
            right = self._operand(operands[i + 1], "number", "a comparison")
            comparisons.append(Compare(op, left, right))
        return comparisons[0] if len(comparisons) == 1 else BoolOp("and", tuple(comparisons))

    def _call(self, node: ast.Call) -> Expr:
        func = node.func
        if not (isinstance(func, ast.Name) and func.id in ("min", "max", "abs")):
            start = self._start(func)
            snippet = self._snippet(start, self._end(func)) + "("
            message = f'function calls other than min/max/abs are not allowed ("{snippet}")'
            raise self._error(start, message)
        name: Function = "min" if func.id == "min" else "max" if func.id == "max" else "abs"
        if node.keywords:
            raise self._reject(node, f"{name}() takes no keyword arguments")
        args = tuple(self._operand(a, "number", f"{name}()") for a in node.args)
        if name == "abs" and len(args) != 1:
            raise self._reject(node, "abs() takes exactly one argument")
        if name != "abs" and len(args) < 2:
            raise self._reject(node, f"{name}() needs two or more arguments")
        return Call(name, args)

    def _ifelse(self, node: ast.IfExp) -> Expr:
        test = self._convert(node.test)
        self._expect(test, node.test, "condition", 'the test of "if"')
        body = self._convert(node.body)
        orelse = self._convert(node.orelse)
        if body.is_condition != orelse.is_condition:
            raise self._reject(
                node.orelse, "both branches of if/else must be numbers, or both conditions"
            )
        return IfElse(test, body, orelse)


_BINARY_OPS: dict[type[ast.operator], BinaryOp] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.Pow: "**",
}
_OTHER_BINARY: dict[type[ast.operator], str] = {
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.BitXor: "^",
}
_COMPARE_OPS: dict[type[ast.cmpop], CompareOp] = {
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
}
_OTHER_COMPARE: dict[type[ast.cmpop], str] = {
    ast.Is: "is",
    ast.IsNot: "is not",
    ast.In: "in",
    ast.NotIn: "not in",
}
_FORBIDDEN: dict[type[ast.expr], str] = {
    ast.Attribute: "attribute access is not allowed",
    ast.Subscript: "indexing is not allowed",
    ast.Slice: "slicing is not allowed",
    ast.Lambda: "lambda is not allowed",
    ast.NamedExpr: "assignment (:=) is not allowed",
    ast.JoinedStr: "strings are not allowed",
    ast.List: "lists are not allowed",
    ast.Tuple: "tuples are not allowed (a comma outside min/max)",
    ast.Set: "sets are not allowed",
    ast.Dict: "dicts are not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed",
    ast.Starred: "unpacking (*) is not allowed",
    ast.Await: "await is not allowed",
    ast.Yield: "yield is not allowed",
    ast.YieldFrom: "yield is not allowed",
}


# -------------------------------------------------------------------------------------- print


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
    return f"({_format(expr, number)})" if parenthesise else _format(expr, number)


def _format_number(value: float) -> str:
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value)


def display(expr: Expr, digits: int = 4) -> str:
    """The expression for a reader: numbers rounded to ``digits`` significant digits.

    ``str(expr)`` keeps every digit (a substituted mean such as 478.3333333333333); a sentence
    in a report shows 478.3.
    """
    return _format(expr, lambda v: _format_number(float(f"{v:.{digits}g}")))


def _format(expr: Expr, number: NumberText = _format_number) -> str:
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
            exponent = int(right.value) if isinstance(right, Num) else _format(right, number)
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
            return f"{func}({', '.join(_format(a, number) for a in args)})"
        case IfElse(test, body, orelse):
            body_text = _wrap(body, _precedence(body) <= _IFELSE, number)
            test_text = _wrap(test, _precedence(test) <= _IFELSE, number)
            return f"{body_text} if {test_text} else {_format(orelse, number)}"


def _walk(expr: Expr) -> Iterator[Expr]:
    yield expr
    for child in expr.children():
        yield from _walk(child)


def _ordered_names(expr: Expr) -> list[str]:
    """Names in reading order, each once."""
    return list(dict.fromkeys(node.id for node in _walk(expr) if isinstance(node, Name)))


# --------------------------------------------------------------------------------------- bind


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
        >>> e = parse("g * (clv - discount - contact) - (1 - g) * contact")
        >>> str(bind(e, ["clv"], {"g": 0.25, "discount": 10, "contact": 2}))
        '0.25 * (clv - 10 - 2) - 1.5'
    """
    column_set = set(columns)
    for name in _ordered_names(expr):
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


_ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "**": operator.pow,
}
_COMPARISON: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}


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
                value = float(_ARITHMETIC[op](left.value, right.value))
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
            return bool(_COMPARISON[op](left, right))
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


# ----------------------------------------------------------------------------- zero divisors


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
    non-zero count::

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


# ----------------------------------------------------------------------------------- evaluate


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
        >>> evaluate(parse("x / y if y != 0 else 0"), {"x": [1.0, 2.0], "y": [2.0, 0.0]})
        array([0.5, 0. ])
    """
    columns: dict[str, npt.NDArray[np.float64]] = {}
    for name in _ordered_names(expr):
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
            return np.asarray(_ARITHMETIC[op](_numpy(left, columns), _numpy(right, columns)))
        case Compare(op, left, right):
            return np.asarray(_COMPARISON[op](_numpy(left, columns), _numpy(right, columns)))
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


# ------------------------------------------------------------------------------------- to_ibis


def to_ibis(expr: Expr, table: ir.Table) -> ir.Value:
    """Compile an expression to an Ibis column expression on ``table``.

    Names are read as float64 columns; ``if/else`` becomes ``ibis.ifelse``, ``min``/``max``
    become ``ibis.least``/``ibis.greatest``. Divisions are not guarded here: count the rows of
    :func:`zero_divisors` in the same query.

    Args:
        expr: a bound expression whose names are columns of ``table``.
        table: the Ibis table the expression runs on.

    Example:
        >>> import ibis
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
            return table[name].cast("float64")
        case Unary(op, operand):
            inner = to_ibis(operand, table)
            return -inner if op == "-" else inner
        case Binary(op, left, right):
            return _ARITHMETIC[op](to_ibis(left, table), to_ibis(right, table))
        case Compare(op, left, right):
            return _COMPARISON[op](to_ibis(left, table), to_ibis(right, table))
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
