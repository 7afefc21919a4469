"""Value expressions: a closed grammar, located errors, and the same numbers in numpy and DuckDB."""

from __future__ import annotations

import doctest
import importlib
import subprocess
import sys
from functools import cache
from typing import Any

import ibis
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from mlroi.backend.compile import to_ibis
from mlroi.errors import SpecError
from mlroi.expr import (
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
    bind,
    display,
    evaluate,
    parse,
    zero_divisors,
)
from mlroi.expr.parse import MAX_OPERATORS

CHURN = "g * (clv - discount - contact) - (1 - g) * contact"
FIELD = "value.act_on_positive"


def churn_rows(n: int = 1_000) -> dict[str, np.ndarray]:
    """Per-customer retention probability and lifetime value."""
    rng = np.random.default_rng(7)
    return {"g": rng.uniform(0, 1, n), "clv": rng.gamma(2.0, 150.0, n)}


def on_duckdb(exprs: dict[str, Expr], data: dict[str, Any]) -> dict[str, np.ndarray]:
    """Run expressions through Ibis on a DuckDB memtable; one query."""
    table = ibis.memtable({k: list(np.asarray(v, dtype=float)) for k, v in data.items()})
    query = table.select(**{name: to_ibis(e, table) for name, e in exprs.items()})
    frame = ibis.duckdb.connect().execute(query)
    return {name: frame[name].to_numpy() for name in exprs}


def error_of(text: str) -> str:
    with pytest.raises(ExprError) as info:
        parse(text, field=FIELD)
    return str(info.value)


# --------------------------------------------------------------------------- values


def test_churn_value_evaluates_per_row_in_numpy() -> None:
    expr = bind(parse(CHURN), ["g", "clv"], {"discount": 10, "contact": 1})
    data = {"g": np.array([0.2, 0.5, 0.9]), "clv": np.array([100.0, 0.0, 250.0])}
    # 0.2 * 89 - 0.8, 0.5 * -11 - 0.5, 0.9 * 239 - 0.1
    np.testing.assert_allclose(evaluate(expr, data), [17.0, -6.0, 215.0], rtol=0, atol=1e-12)


def test_churn_value_through_ibis_on_duckdb_matches_numpy() -> None:
    expr = bind(parse(CHURN), ["g", "clv"], {"discount": 10, "contact": 1})
    data = churn_rows()
    backend = on_duckdb({"value": expr}, data)["value"]
    np.testing.assert_allclose(backend, evaluate(expr, data), rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    "text",
    [
        "max(clv - discount, 0) if g > 0.5 else -contact",
        "min(clv, 200, g * 1000)",
        "abs(clv - 300) ** 2 / 1000",
        "clv if not (g < 0.3 or clv > 400) else 0",
        "+g - -contact * 2 ** 3",
        "0.2 < g <= 0.9 and clv != 0",
        "(g > 0.5) if clv > 300 else (g < 0.1)",
    ],
)
def test_every_construct_gives_the_same_rows_in_numpy_and_duckdb(text: str) -> None:
    expr = bind(parse(text), ["g", "clv"], {"discount": 10, "contact": 1})
    data = churn_rows()
    backend = on_duckdb({"value": expr}, data)["value"]
    local = evaluate(expr, data)
    if expr.is_condition:
        assert local.dtype == np.bool_
        np.testing.assert_array_equal(backend.astype(bool), local)
    else:
        np.testing.assert_allclose(backend, local, rtol=0, atol=1e-12)


def test_if_else_picks_per_row() -> None:
    expr = parse("clv - 10 if g > 0.5 else 0")
    out = evaluate(expr, {"g": [0.1, 0.6, 0.5], "clv": [50.0, 50.0, 50.0]})
    np.testing.assert_array_equal(out, [0.0, 40.0, 0.0])


def test_a_constant_expression_gives_one_value_per_row() -> None:
    out = evaluate(parse("2 * 3"), {"clv": np.zeros(4)})
    np.testing.assert_array_equal(out, [6.0] * 4)


def test_chained_comparison_means_and() -> None:
    assert parse("0 < g < 1") == parse("0 < g and g < 1")


# ----------------------------------------------------------------------- grammar


@pytest.mark.parametrize(
    ("text", "col", "says"),
    [
        ("clv + log(g)", 7, 'function calls other than min/max/abs are not allowed ("log(")'),
        ("__import__('os')", 1, "function calls other than min/max/abs"),
        ("clv.real", 1, "attribute access is not allowed"),
        ("clv.bit_length()", 1, "function calls other than min/max/abs"),
        ("clv[0]", 1, "indexing is not allowed"),
        ("(lambda: 1) + clv", 2, "lambda is not allowed"),
        ("clv + 'a'", 7, "strings are not allowed"),
        ("f'{clv}'", 1, "strings are not allowed"),
        ("(y := 2) * clv", 2, "assignment (:=) is not allowed"),
        ("[clv]", 1, "lists are not allowed"),
        ("clv, g", 1, "tuples are not allowed"),
        ("{clv: 1}", 1, "dicts are not allowed"),
        ("min(*clv)", 5, "unpacking (*) is not allowed"),
        ("True + clv", 1, "True/False are not allowed"),
        ("2j * clv", 1, "only real numbers are allowed"),
        ("1e999 * clv", 1, "the number is too large"),
        ("clv // 2", 5, 'the operator "//" is not allowed'),
        ("clv % 2", 5, 'the operator "%" is not allowed'),
        ("~clv", 1, 'the operator "~" is not allowed'),
        ("clv in g", 5, 'the operator "in" is not allowed'),
        ("clv is not g", 5, 'the operator "is not" is not allowed'),
        ("clv ** g", 8, "the exponent of ** must be a whole-number literal"),
        ("clv ** 0.5", 8, "the exponent of ** must be a whole-number literal"),
        ("clv ** -1", 8, "the exponent of ** must be a whole-number literal"),
        ("min(clv)", 1, "min() needs two or more arguments"),
        ("abs(clv, g)", 1, "abs() takes exactly one argument"),
        ("max(clv, g, key=g)", 1, "max() takes no keyword arguments"),
        ("clv if g else 0", 8, 'the test of "if" must be a condition'),
        ("clv + (g < 1)", 8, 'an operand of "+" must be a number, not a condition'),
        ("clv and g > 1", 1, 'an operand of "and" must be a condition'),
        ("clv if g > 1 else g < 2", 19, "both branches of if/else must be numbers"),
        ("clv  # a note", 6, "comments (#) are not allowed"),
        ("é + log(clv)", 5, "function calls other than min/max/abs"),
    ],
)
def test_a_construct_outside_the_grammar_is_rejected_at_its_column(
    text: str, col: int, says: str
) -> None:
    message = error_of(text)
    assert message.startswith(f"{FIELD}: col {col}: ")
    assert says in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("text", "col", "says"),
    [
        ("clv + * 2", 7, "syntax error: invalid syntax"),
        ("clv +", 6, "syntax error"),
        ("(clv + 1", 1, "syntax error: '(' was never closed"),
        ("clv if g > 1", 1, "syntax error: expected 'else'"),
        ("   ", 4, "the expression is empty"),
    ],
)
def test_a_syntax_error_points_at_its_column(text: str, col: int, says: str) -> None:
    message = error_of(text)
    assert message.startswith(f"{FIELD}: col {col}: {says}")


def test_a_multi_line_expression_reports_line_and_column() -> None:
    message = error_of("g * clv\n  - log(contact)")
    assert message.startswith(f"{FIELD}: line 2, col 5: function calls")


def test_an_expression_error_is_a_spec_error() -> None:
    assert issubclass(ExprError, SpecError)


def test_kind_requires_a_number_or_a_condition() -> None:
    with pytest.raises(ExprError, match=r"col 1: the expression must be a number, not a cond"):
        parse("g > 0.5", field=FIELD, kind="number")
    assert parse("g > 0.5", kind="condition") == Compare(">", Name("g"), Num(0.5))


def test_names_lists_every_name_once() -> None:
    assert parse(CHURN).names() == {"g", "clv", "discount", "contact"}


# ----------------------------------------------------------------------------- round trip

_NAMES = st.sampled_from(["clv", "g", "discount", "x_1", "min", "é"]).map(Name)
_NUMBERS = st.one_of(
    st.integers(0, 10**20).map(float),
    st.floats(min_value=0, allow_nan=False, allow_infinity=False),
).map(lambda v: Num(v + 0.0))
_EXPONENTS = st.integers(0, 12).map(float).map(Num)
_COMPARISONS = st.sampled_from(["<", "<=", ">", ">=", "==", "!="])


def _tuples(items: st.SearchStrategy[Expr], least: int) -> st.SearchStrategy[tuple[Expr, ...]]:
    return st.lists(items, min_size=least, max_size=3).map(tuple)


@cache
def expressions(kind: str, depth: int) -> st.SearchStrategy[Expr]:
    """Every tree the grammar can produce, of one kind, nested up to ``depth`` levels."""
    if depth == 0:
        leaves = st.one_of(_NUMBERS, _NAMES)
        if kind == "number":
            return leaves
        return st.builds(Compare, _COMPARISONS, leaves, leaves)
    numbers = expressions("number", depth - 1)
    conditions = expressions("condition", depth - 1)
    same = numbers if kind == "number" else conditions
    branches = st.builds(IfElse, conditions, same, same)
    if kind == "condition":
        return st.one_of(
            st.builds(Compare, _COMPARISONS, numbers, numbers),
            st.builds(Not, conditions),
            st.builds(BoolOp, st.sampled_from(["and", "or"]), _tuples(conditions, 2)),
            branches,
        )
    return st.one_of(
        _NUMBERS,
        _NAMES,
        st.builds(Unary, st.sampled_from(["-", "+"]), numbers),
        st.builds(Binary, st.sampled_from(["+", "-", "*", "/"]), numbers, numbers),
        st.builds(Binary, st.just("**"), numbers, _EXPONENTS),
        st.builds(Call, st.sampled_from(["min", "max"]), _tuples(numbers, 2)),
        st.builds(Call, st.just("abs"), numbers.map(lambda a: (a,))),
        branches,
    )


@settings(max_examples=300, deadline=None)
@given(st.one_of(expressions("number", 4), expressions("condition", 4)))
def test_printing_then_parsing_gives_the_same_tree(expr: Expr) -> None:
    text = str(expr)
    try:
        parsed = parse(text)
    except ExprError as exc:  # a tree past the size bound is refused, as it should be
        assume(f"more than {MAX_OPERATORS} operators" not in str(exc))
        raise
    assert parsed == expr


def test_printing_uses_only_the_parentheses_the_tree_needs() -> None:
    text = "-(a - b) ** 2 + (c - (d - e)) / (f * g) if not (a < b or c) else 0"
    with pytest.raises(ExprError):  # "c" alone is not a condition
        parse(text)
    ok = "-(a - b) ** 2 + (c - (d - e)) / (f * g) if not (a < b or c > 1) else 0"
    assert str(parse(ok)) == ok


def test_display_rounds_numbers_for_a_reader_and_str_keeps_every_digit() -> None:
    expr = bind(
        parse("g * (clv - 0.125) if a > 2.5 else max(clv, 1e-7)"), ["clv", "a"], {"g": 1 / 3}
    )
    assert str(expr) == "0.3333333333333333 * (clv - 0.125) if a > 2.5 else max(clv, 1e-07)"
    assert display(expr) == "0.3333 * (clv - 0.125) if a > 2.5 else max(clv, 1e-07)"
    assert display(expr, digits=2) == "0.33 * (clv - 0.12) if a > 2.5 else max(clv, 1e-07)"


# ------------------------------------------------------------------------------ binding


def test_an_unknown_name_suggests_the_closest_column_or_parameter() -> None:
    with pytest.raises(ExprError) as info:
        bind(parse("g * clvv"), ["clv", "tenure"], {"g": 0.3}, field=FIELD)
    assert str(info.value) == (
        f'{FIELD}: unknown name "clvv"; did you mean "clv"? (columns: clv, tenure; parameters: g)'
    )


def test_an_unknown_name_with_nothing_close_lists_what_exists() -> None:
    with pytest.raises(ExprError) as info:
        bind(parse("revenue"), ["clv"], {}, field=FIELD)
    assert str(info.value) == f'{FIELD}: unknown name "revenue" (columns: clv; parameters: none)'


def test_a_name_that_is_both_column_and_parameter_must_be_renamed() -> None:
    with pytest.raises(ExprError) as info:
        bind(parse(CHURN), ["g", "clv", "contact"], {"discount": 10, "contact": 1}, field=FIELD)
    assert str(info.value) == (
        f'{FIELD}: "contact" is both a column and a parameter; rename the parameter'
    )


def test_binding_substitutes_parameters_and_folds_constants() -> None:
    bound = bind(parse(CHURN), ["clv"], {"g": 0.25, "discount": 10, "contact": 2})
    assert str(bound) == "0.25 * (clv - 10 - 2) - 1.5"


def test_a_parameter_must_be_a_finite_number() -> None:
    with pytest.raises(ExprError, match='parameter "g" must be a finite number, got nan'):
        bind(parse("g * clv"), ["clv"], {"g": float("nan")})


def test_a_division_by_a_zero_parameter_is_an_error_at_binding() -> None:
    with pytest.raises(ExprError) as info:
        bind(parse("clv / (n - 1)"), ["clv"], {"n": 1}, field=FIELD)
    assert str(info.value) == (
        f'{FIELD}: "clv / (n - 1)" divides by zero: its divisor "n - 1" is 0'
        " with the parameters given"
    )


def test_a_branch_the_parameters_rule_out_is_dropped_before_the_zero_check() -> None:
    assert bind(parse("clv / n if n > 0 else 0"), ["clv"], {"n": 0}) == Num(0.0)
    assert bind(parse("n > 0 and clv / n > 1"), ["clv"], {"n": 0}) == parse("0 > 0")


# ------------------------------------------------------------------------ division by zero


def test_a_division_by_zero_in_the_data_names_the_expression_and_the_rows() -> None:
    data = {"clv": np.arange(4.0), "n": np.array([1.0, 0.0, 2.0, 0.0])}
    with pytest.raises(ExprError) as info:
        evaluate(parse("clv / n"), data, field=FIELD)
    assert str(info.value) == (
        f'{FIELD}: "clv / n" divides by zero in 2 of 4 rows;'
        ' guard the divisor, e.g. "clv / n if n != 0 else 0"'
    )


def test_a_guarded_division_evaluates_without_error() -> None:
    data = {"clv": np.arange(4.0), "n": np.array([1.0, 0.0, 2.0, 0.0])}
    out = evaluate(parse("clv / n if n != 0 else -1"), data)
    np.testing.assert_array_equal(out, [0.0, -1.0, 1.0, -1.0])
    cond = evaluate(parse("n != 0 and clv / n >= 1"), data)
    np.testing.assert_array_equal(cond, [False, False, True, False])


def test_zero_divisors_carry_the_conditions_that_reach_each_division() -> None:
    checks = zero_divisors(parse("a / b if c > 0 and d / e > 1 else f / g"))
    assert [(str(z.division), str(z.condition)) for z in checks] == [
        ("d / e", "c > 0 and e == 0"),
        ("a / b", "c > 0 and d / e > 1 and b == 0"),
        ("f / g", "not (c > 0 and d / e > 1) and g == 0"),
    ]


def test_zero_divisors_count_in_the_same_duckdb_query_as_the_value() -> None:
    expr = parse("clv / n + (clv / m if m != 0 else 0)")
    data = {"clv": [1.0, 2.0, 3.0, 4.0], "n": [0.0, 1.0, 0.0, 0.0], "m": [0.0, 0.0, 1.0, 1.0]}
    table = ibis.memtable(data)
    checks = zero_divisors(expr)
    query = table.aggregate(
        **{f"zero_{i}": to_ibis(z.condition, table).sum() for i, z in enumerate(checks)},
        value=to_ibis(expr, table).sum(),
    )
    row = ibis.duckdb.connect().execute(query).iloc[0]
    assert [str(z.division) for z in checks] == ["clv / n", "clv / m"]
    assert [int(row["zero_0"]), int(row["zero_1"])] == [3, 0]
    assert str(checks[0].error(3, 4, field=FIELD)) == (
        f'{FIELD}: "clv / n" divides by zero in 3 of 4 rows;'
        ' guard the divisor, e.g. "clv / n if n != 0 else 0"'
    )


# --- the package ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "module",
    ["mlroi.expr.parse", "mlroi.expr.bind", "mlroi.expr.evaluate", "mlroi.backend.compile"],
)
def test_docstring_examples_run(module: str) -> None:
    assert doctest.testmod(importlib.import_module(module)).failed == 0


def test_parsing_binding_and_evaluating_do_not_import_ibis() -> None:
    code = (
        "import sys\n"
        "from mlroi.expr import bind, display, evaluate, parse, zero_divisors\n"
        "e = bind(parse('a / b if b != 0 else c'), ['a', 'b'], {'c': 1})\n"
        "evaluate(e, {'a': [1.0], 'b': [2.0]}); zero_divisors(e); display(e); str(e)\n"
        "print('ibis' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (" + ".join(["g"] * 100_000), "col 403: the expression has more than 100 operators"),
        ("(" * 5000 + "g" + ")" * 5000, "col 51: brackets are nested more than 50 deep"),
        ("-" * 5000 + "g", "col 101: the expression has more than 100 operators"),
        ("g" * 20_000, "col 10001: the expression is longer than 10,000 characters"),
    ],
)
def test_an_expression_too_large_is_one_located_line_not_a_recursion_error(
    text: str, message: str
) -> None:
    with pytest.raises(ExprError) as exc:
        parse(text, field="decision.act")
    assert str(exc.value).startswith(f"decision.act: {message}")


def test_an_expression_at_the_bounds_parses_and_evaluates_deep_in_a_call_stack() -> None:
    from mlroi.expr.evaluate import evaluate

    def nested(depth: int) -> Any:
        if depth:
            return nested(depth - 1)
        chain = parse(" + ".join(["g"] * 101))
        brackets = parse("(" * 50 + "g" + ")" * 50)
        return evaluate(chain, {"g": np.ones(2)}), str(brackets)

    total, text = nested(300)
    assert total.tolist() == [101.0, 101.0]
    assert text == "g"


@pytest.mark.parametrize(
    "text",
    [
        "0.3 * (clv - 11) - 0.7 if y == 1 else -11",
        "-(a - 2 * b) * (b + 1)",
        "a / (b + 2)",
        "min(a, -b) + max(abs(a), 3) - b",
        "abs(a - b) if a > b and not b < 0 else a * a",
    ],
)
def test_an_expression_stays_within_its_range_when_its_columns_stay_within_theirs(
    text: str,
) -> None:
    from mlroi.expr.bounds import value_range

    ranges = {"a": (-3.0, 5.0), "b": (0.5, 4.0), "clv": (1.0, 900.0), "y": (0.0, 1.0)}
    expr = bind(parse(text), list(ranges), {})
    got = value_range(expr, ranges)
    assert got is not None
    lo, hi = got
    rng = np.random.default_rng(4)
    data = {k: rng.uniform(a, b, 10_000) for k, (a, b) in ranges.items()}
    data["y"] = np.round(data["y"])
    corners = {k: np.resize([a, b], 10_000) for k, (a, b) in ranges.items()}
    for columns in (data, corners):
        values = evaluate(expr, columns)
        assert lo <= values.min() and values.max() <= hi


def test_a_range_is_unknown_for_a_divisor_that_can_be_zero_or_a_column_without_one() -> None:
    from mlroi.expr.bounds import value_range

    expr = bind(parse("a / b + c"), ["a", "b", "c"], {})
    assert value_range(expr, {"a": (1.0, 2.0), "b": (-1.0, 1.0), "c": (0.0, 1.0)}) is None
    assert value_range(expr, {"a": (1.0, 2.0), "b": (1.0, 2.0)}) is None
    assert value_range(expr, {"a": (1.0, 2.0), "b": (1.0, 2.0), "c": (0.0, 1.0)}) == (0.5, 3.0)
