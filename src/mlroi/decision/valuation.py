"""The decision's value model, bound to a table: expressions split by uncertain parameter.

Each of ``act``, ``leave`` and the business metrics becomes ``sum_k coefficient_k(row) x
m_k(params)`` (see :mod:`mlroi.decision.polynomial`). The backend sums every coefficient by score
group in one query; :meth:`BoundValue.combine` turns those sums into the groups' values at any
parameter values, and at their expectation for the curve itself.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from mlroi.decision.config import DecisionConfig
from mlroi.decision.polynomial import Monomial, expand, expectation
from mlroi.decision.templates import TEMPLATES
from mlroi.expr import Expr, ExprError, Name, bind, parse
from mlroi.spec.quantity import Quantity, describe, is_uncertain, point

FloatArray = npt.NDArray[np.float64]

TARGETS = ("act", "leave")
"""The two values every decision has; the business metrics follow them."""


def rename(expr: Expr, names: Mapping[str, Expr]) -> Expr:
    """``expr`` with each name in ``names`` replaced by its mapping (a column's name, or an
    expression over the columns)."""
    if isinstance(expr, Name):
        return names.get(expr.id, expr)
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(expr):
        value = getattr(expr, f.name)
        if isinstance(value, tuple):
            changes[f.name] = tuple(rename(v, names) for v in value)
        elif not isinstance(value, str | float | int):
            changes[f.name] = rename(value, names)
    return dataclasses.replace(expr, **changes)


@dataclass(frozen=True)
class Term:
    """One coefficient of one target: ``column`` is its name in the aggregation query."""

    target: str
    monomial: Monomial
    expr: Expr
    column: str


@dataclass(frozen=True)
class BoundValue:
    """The value model of a decision, checked against a table's columns.

    Attributes:
        targets: ``act``, ``leave``, then the business metrics, by name.
        terms: every coefficient to sum by group.
        uncertain: the uncertain parameters and their distributions.
        fixed: the parameters used at a fixed value.
        expected: ``E[m]`` of every monomial.
        eligible: the eligibility condition bound to the columns, or ``None``.
        texts: each target's expression, as written after the template and renames.
    """

    targets: tuple[str, ...]
    terms: tuple[Term, ...]
    uncertain: Mapping[str, Quantity]
    fixed: Mapping[str, float]
    expected: Mapping[Monomial, float]
    eligible: Expr | None
    texts: Mapping[str, str]

    @property
    def sums(self) -> dict[str, Expr]:
        """Every coefficient expression by its query column name."""
        return {t.column: t.expr for t in self.terms}

    def combine(
        self, got: Mapping[str, FloatArray], values: Mapping[Monomial, float] | None = None
    ) -> dict[str, FloatArray]:
        """Each target's group sums at the given monomial values (default: their expectation)."""
        at = self.expected if values is None else values
        out: dict[str, FloatArray] = {}
        for target in self.targets:
            total: FloatArray | None = None
            for t in self.terms:
                if t.target == target:
                    part = np.asarray(got[t.column], dtype=np.float64) * at[t.monomial]
                    total = part if total is None else total + part
            assert total is not None
            out[target] = total
        return out

    def expected_expr(self, target: str) -> Expr:
        """One expression for ``target`` at the expected monomials (for a per-row fetch)."""
        parts = [
            f"({t.expr}) * {self.expected[t.monomial]!r}" for t in self.terms if t.target == target
        ]
        expr = parse(" + ".join(parts), kind="number")
        # fold the constants: a SQL engine may read a bare literal such as 0.3 as a DECIMAL and
        # overflow on a product of several
        return bind(expr, sorted(expr.names()), {})

    def describe_parameters(self) -> dict[str, str]:
        """Every parameter as written, uncertain ones with their distribution."""
        out = {name: f"{value:g}" for name, value in self.fixed.items()}
        out.update({name: describe(q) for name, q in self.uncertain.items()})
        return dict(sorted(out.items()))


def read(
    config: DecisionConfig, text: str, where: str, kind: Literal["number", "condition"] = "number"
) -> Expr:
    """Parse an expression of the decision section, with ``label`` and the template's renamed
    names replaced by the columns (or parameters) they stand for."""
    aliases: dict[str, Expr] = {"label": Name(config.label)}
    aliases.update({k: parse(v, field=f"decision.columns.{k}") for k, v in config.columns.items()})
    return rename(parse(text, field=where, kind=kind), aliases)


def check_given(config: DecisionConfig, columns: list[str], texts: Iterable[str]) -> None:
    """Every template name the expressions read comes from the case, or has a default.

    A name renamed by ``columns:`` must be a column of the table or a parameter (blamed on
    ``decision.columns.NAME``); a template name without a default (a money value such as
    ``clv``) that is neither a column nor a parameter stops the run, naming it, what it is and
    the table's columns (blamed on ``decision.columns``, or ``decision.template`` without one).

    Raises:
        ExprError: a name nobody gave.
    """
    have = set(columns) | set(config.parameters)
    for name, target in config.columns.items():
        for unknown in sorted(parse(target).names() - have):
            close = difflib.get_close_matches(unknown, columns, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            inside = "" if unknown == target else f" (in {target!r})"
            raise ExprError(
                f"{unknown!r}{inside} is neither a column of the table{hint} nor a parameter; "
                f"map {name} to one of the columns ({', '.join(columns)}) or give {unknown} "
                "under `parameters:`",
                field=f"decision.columns.{name}",
            )
    if config.template is None:
        return
    t = TEMPLATES[config.template]
    used: set[str] = set()
    for text in texts:
        used |= parse(text).names()
    missing = [n for n in t.required() if n in used and n not in config.columns and n not in have]
    if not missing:
        return
    what = "; ".join(f"{n} ({t.names[n][0]}: {t.names[n][1]})" for n in missing)
    example = ", ".join(f"{n}: your_column" for n in missing)
    raise ExprError(
        f"the {config.template} template needs values the case does not give: {what}. Map "
        f"each to a column (`columns: {{{example}}}`) or set it under `parameters:` "
        f"(the table's columns: {', '.join(columns)})",
        field="decision.columns" if config.columns else "decision.template",
    )


def bind_value(config: DecisionConfig, columns: list[str]) -> BoundValue:
    """Bind the decision's expressions to ``columns``: template, renames, parameters.

    Raises:
        ExprError: a name that is neither a column nor a parameter (with a did-you-mean), an
            uncertain parameter where the value is not a polynomial in it, a division by zero
            once the parameters are substituted.
    """
    act, leave, metrics = config.value_texts()
    texts = {"act": act, "leave": leave, **metrics}
    for name in metrics:
        if name in TARGETS:
            raise ExprError(
                f"{name!r} is the value itself; name the metric differently",
                field=f"decision.metrics.{name}",
            )
    check_given(config, columns, texts.values())
    params = config.parameter_values(set(columns))
    uncertain = {k: q for k, q in params.items() if is_uncertain(q)}
    fixed = {k: point(q) for k, q in params.items() if k not in uncertain}
    for name in uncertain:
        if name in columns:
            raise ExprError(
                f'"{name}" is both a column and a parameter; rename the parameter (or map a '
                f"template's name to it with `columns:`)",
                field=f"decision.parameters.{name}",
            )
    known = [*columns, *uncertain]
    terms: list[Term] = []
    for target, text in texts.items():
        where = f"decision.{target}" if target in TARGETS else f"decision.metrics.{target}"
        bound = bind(read(config, text, where), known, fixed, field=where)
        for monomial, coef in sorted(expand(bound, uncertain, field=where).items()):
            folded = bind(coef, columns, {}, field=where)
            terms.append(Term(target, monomial, folded, f"c{len(terms)}"))
    eligible = None
    if config.eligible is not None:
        e = read(config, config.eligible, "decision.eligible", "condition")
        drawn = sorted(e.names() & uncertain.keys())
        if drawn:
            raise ExprError(
                f'parameter "{drawn[0]}" is uncertain; who is eligible needs a fixed number',
                field="decision.eligible",
            )
        eligible = bind(e, columns, fixed, field="decision.eligible")
    monomials = {t.monomial for t in terms}
    return BoundValue(
        targets=tuple(texts),
        terms=tuple(terms),
        uncertain=uncertain,
        fixed=fixed,
        expected={m: expectation(m, uncertain) for m in monomials},
        eligible=eligible,
        texts=texts,
    )
