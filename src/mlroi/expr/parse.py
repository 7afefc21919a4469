"""Parse: expression text to a tree, under a closed grammar, each rejection located in the text.

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

Hand-written rather than a library because the grammar must be closed (no attribute or call
escapes) and compile to both numpy and Ibis; Python's parser does the tokenising.
"""

from __future__ import annotations

import ast
import math
import re
from typing import Literal

from mlroi.expr.nodes import (
    Binary,
    BinaryOp,
    BoolOp,
    Call,
    Compare,
    CompareOp,
    Expr,
    ExprError,
    Function,
    IfElse,
    Kind,
    Name,
    Not,
    Num,
    Unary,
    UnaryOp,
)

MAX_CHARS = 10_000
"""Longest expression text (a decision's expressions are a line or two)."""

MAX_OPERATORS = 100
"""Most operators (``+ - * / ** < and if`` ...) in one expression: the tree stays shallow enough
for every recursive step (parse, print, bind, evaluate, compile) at any call depth."""

MAX_BRACKETS = 50
"""Deepest nesting of brackets."""

_OPERATOR = re.compile(r"\*\*|[-+*/<>]=?|==|!=|\b(?:and|or|not|if)\b")


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
            (``line L, col C`` when the text has several lines); a text beyond
            :data:`MAX_CHARS`, :data:`MAX_OPERATORS` or :data:`MAX_BRACKETS`.

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
        self._check_size()
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

    def _check_size(self) -> None:
        """Bound the text before Python's parser sees it: its brackets, its operators and its
        length (a deeper tree would exhaust the parser's recursion, or ours)."""
        depth = 0
        for i, char in enumerate(self.source):
            depth += 1 if char == "(" else -1 if char == ")" else 0
            if depth > MAX_BRACKETS:
                raise self._error(
                    self.lead + i, f"brackets are nested more than {MAX_BRACKETS} deep"
                )
        for count, match in enumerate(_OPERATOR.finditer(self.source), 1):
            if count > MAX_OPERATORS:
                raise self._error(
                    self.lead + match.start(),
                    f"the expression has more than {MAX_OPERATORS} operators: name its parts "
                    "(parameters) and combine them",
                )
        if len(self.source) > MAX_CHARS:
            raise self._error(
                self.lead + MAX_CHARS,
                f"the expression is longer than {MAX_CHARS:,} characters: name its parts "
                "(parameters) and combine them",
            )

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
