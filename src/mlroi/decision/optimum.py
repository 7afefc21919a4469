"""The best threshold on a value curve under constraints, and why a better one is ruled out.

:func:`optimum` picks the feasible point with the highest objective under constraints written in
the expression language of :mod:`mlroi.expr` over the curve's columns, and says which
constraint stops a more valuable threshold, or why no threshold meets them all.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from mlroi import formatting as fmt
from mlroi.decision.arrays import FloatArray
from mlroi.decision.value_curve import ValueCurve
from mlroi.expr import Compare, Expr, ExprError, Name, Num, bind, evaluate, parse

__all__ = ["Constraint", "Decision", "optimum"]


@dataclass(frozen=True)
class Constraint:
    """A condition on the curve's columns that the chosen point must meet.

    Attributes:
        expr: a condition of :mod:`mlroi.expr`, e.g. ``fpr <= 0.005``.
        field: where it comes from (e.g. ``"decision.constraints[1]"``); starts every error.
    """

    expr: Expr
    field: str = ""

    @classmethod
    def parse(cls, text: str, field: str = "") -> Constraint:
        """Parse ``text`` as a condition; raises :class:`ExprError` located at ``field``."""
        return cls(parse(text, field=field, kind="condition"), field)


@dataclass(frozen=True)
class Decision:
    """The best feasible threshold, or why there is none.

    Attributes:
        status: ``"optimal"``, or ``"infeasible"`` when no point meets every constraint (or the
            objective is undefined at all that do).
        objective: the objective maximised, e.g. ``"value"``.
        constraints: the constraints, as parsed and printed.
        index: the chosen point's index on the curve; ``None`` when infeasible.
        point: the chosen point's row (see :meth:`ValueCurve.row`); ``None`` when infeasible.
        unconstrained: the row of the best point without constraints.
        given_up: objective of ``unconstrained`` minus that of ``point`` (``>= 0``).
        binding: one sentence per constraint that stops the nearest more valuable point on
            either side, e.g. "a lower threshold (0.183) would raise fpr to 0.0071, over the
            limit fpr <= 0.005". Empty when the chosen point is the unconstrained optimum.
        reason: why the decision is infeasible; ``None`` when optimal.
    """

    status: Literal["optimal", "infeasible"]
    objective: str
    constraints: tuple[str, ...]
    index: int | None
    point: dict[str, float] | None
    unconstrained: dict[str, float] | None
    given_up: float | None
    binding: tuple[str, ...]
    reason: str | None

    def to_dict(self) -> dict[str, Any]:
        """The fields as a JSON-ready dict (thresholds may be ``inf``: serialise with
        :func:`mlroi.serialize.dumps`)."""
        return {
            "status": self.status,
            "objective": self.objective,
            "constraints": list(self.constraints),
            "index": self.index,
            "point": self.point,
            "unconstrained": self.unconstrained,
            "given_up": self.given_up,
            "binding": list(self.binding),
            "reason": self.reason,
        }


def optimum(
    curve: ValueCurve,
    constraints: Sequence[str | Constraint] = (),
    objective: str = "value",
) -> Decision:
    """The point with the highest objective among those meeting every constraint.

    Each constraint is evaluated at every point at once. Among the feasible points with a
    defined (non-NaN) objective, the highest objective wins; a tie goes to the point that
    targets fewer rows. No feasible point gives ``status="infeasible"`` with a reason; this
    function never raises for infeasibility.

    Args:
        curve: the value curve.
        constraints: conditions over the curve's columns, e.g. ``"recall >= 0.6"``,
            ``"targeted <= 10000"``, ``"discounts_given <= value_retained"``; a string is
            parsed with the field ``constraints[i]``.
        objective: a number expression over the columns to maximise, e.g. ``"value"`` or
            ``"value - 0.5 * targeted"``.

    Raises:
        ExprError: a constraint or the objective does not parse, is the wrong kind, names an
            unknown column (with a did-you-mean), or divides by zero at some point.

    Example:
        >>> from mlroi.decision.score_groups import ScoreGroups
        >>> from mlroi.decision.value_curve import value_curve
        >>> g = ScoreGroups.from_rows([0.9, 0.8, 0.3], [1, 0, 1], [10.0, -2.0, 10.0], [0.0] * 3)
        >>> d = optimum(value_curve(g), ["targeted <= 2"])
        >>> d.status, d.point["threshold"], d.given_up
        ('optimal', 0.9, 8.0)
    """
    names = curve._names()
    goal_expr = bind(
        parse(objective, field="objective", kind="number"), names, {}, field="objective"
    )
    goal = np.asarray(_evaluate(goal_expr, curve, "objective"), dtype=np.float64)
    checks = [_bound(c, i, names) for i, c in enumerate(constraints)]
    holds = [np.asarray(_evaluate(c.expr, curve, c.field), dtype=bool) for c in checks]
    feasible = np.logical_and.reduce(holds) if holds else np.ones(len(curve), dtype=bool)
    defined = ~np.isnan(goal)
    texts = tuple(str(c.expr) for c in checks)

    unconstrained = _best(goal, defined)
    chosen = _best(goal, feasible & defined) if holds else unconstrained
    best_row = None if unconstrained is None else curve.row(unconstrained)
    if chosen is None:
        return Decision(
            status="infeasible",
            objective=objective,
            constraints=texts,
            index=None,
            point=None,
            unconstrained=best_row,
            given_up=None,
            binding=(),
            reason=_infeasible_reason(curve, checks, holds, objective, feasible),
        )
    assert unconstrained is not None
    return Decision(
        status="optimal",
        objective=objective,
        constraints=texts,
        index=chosen,
        point=curve.row(chosen),
        unconstrained=best_row,
        given_up=float(goal[unconstrained] - goal[chosen]),
        binding=tuple(_binding(curve, checks, holds, goal, defined, chosen, unconstrained)),
        reason=None,
    )


def _bound(constraint: str | Constraint, i: int, names: list[str]) -> Constraint:
    if isinstance(constraint, str):
        constraint = Constraint.parse(constraint, field=f"constraints[{i}]")
    if not constraint.expr.is_condition:
        raise ExprError(
            "a constraint must be a condition, e.g. recall >= 0.6", field=constraint.field
        )
    return Constraint(bind(constraint.expr, names, {}, field=constraint.field), constraint.field)


def _evaluate(expr: Expr, curve: ValueCurve, field: str) -> npt.NDArray[Any]:
    """``expr`` at every point of the curve, building only the columns it reads."""
    if isinstance(expr, Name):
        return curve._column(expr.id)  # what evaluate returns, without copying the column
    data = {name: curve._column(name) for name in expr.names()}
    return np.broadcast_to(evaluate(expr, data, field=field), (len(curve),))


def _best(goal: FloatArray, allowed: npt.NDArray[np.bool_]) -> int | None:
    """Index of the highest ``goal`` among ``allowed`` points; the first (fewest targeted) on a
    tie. ``allowed`` points have a defined (non-NaN) goal."""
    if allowed.all():
        return int(np.argmax(goal))
    best = int(np.argmax(np.where(allowed, goal, -np.inf)))
    if allowed[best]:
        return best
    # no allowed point, or every allowed goal is -inf: the first allowed point, if any
    first = int(np.argmax(allowed))
    return first if allowed[first] else None


def _binding(
    curve: ValueCurve,
    checks: Sequence[Constraint],
    holds: Sequence[npt.NDArray[np.bool_]],
    goal: FloatArray,
    defined: npt.NDArray[np.bool_],
    chosen: int,
    unconstrained: int,
) -> list[str]:
    """What stops the nearest point with a higher objective on each side of the chosen one.

    Every such point is infeasible (the chosen point is the best feasible one), so at least one
    constraint fails there; each failing constraint gets a sentence.
    """
    if not goal[unconstrained] > goal[chosen]:
        return []  # no point is better: nothing binds
    better = defined & (goal > goal[chosen])
    neighbours: list[int] = []
    lower = better[chosen + 1 :]
    if lower.any():
        neighbours.append(chosen + 1 + int(np.argmax(lower)))
    higher = better[:chosen]
    if higher.any():
        neighbours.append(chosen - 1 - int(np.argmax(higher[::-1])))
    sentences: list[str] = []
    for other in neighbours:
        if other == 0:
            where = "acting on nobody"
        else:
            direction = "lower" if other > chosen else "higher"
            where = f"a {direction} threshold ({fmt.threshold(curve._at('threshold', other))})"
        for check, ok in zip(checks, holds, strict=True):
            if not ok[other]:
                sentences.append(_breach(check.expr, curve, other, chosen, where))
    return sentences


_FLIPPED: dict[str, str] = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def _simple(expr: Expr) -> tuple[str, str, float] | None:
    """``(column, op, limit)`` for ``column op number`` or ``number op column``, else None."""
    match expr:
        case Compare(op, Name(column), Num(limit)):
            return column, op, limit
        case Compare(op, Num(limit), Name(column)):
            return column, _FLIPPED[op], limit
    return None


def _breach(expr: Expr, curve: ValueCurve, other: int, chosen: int, where: str) -> str:
    simple = _simple(expr)
    if simple is not None and simple[1] in ("<", "<=", ">", ">="):
        column, op, limit = simple
        now, there = curve._at(column, chosen), curve._at(column, other)
        if math.isnan(there):
            return f"{where} would leave {column} undefined, failing {expr}"
        verb = "raise" if there > now else "lower" if there < now else "keep"
        side = "over" if op in ("<", "<=") else "under"
        shown = fmt.distinct(there, limit)
        return f"{where} would {verb} {column} to {shown}, {side} the limit {expr}"
    values = ", ".join(f"{name} = {fmt.number(curve._at(name, other))}" for name in _names(expr))
    return f"{where} would break {expr} ({values})"


def _infeasible_reason(
    curve: ValueCurve,
    checks: Sequence[Constraint],
    holds: Sequence[npt.NDArray[np.bool_]],
    objective: str,
    feasible: npt.NDArray[np.bool_],
) -> str:
    never = [(c, ok) for c, ok in zip(checks, holds, strict=True) if not ok.any()]
    if never:
        parts = [_closest(c.expr, curve) for c, _ in never]
        return "no threshold meets " + "; ".join(parts)
    if feasible.any():
        return f"the objective {objective} is undefined at every threshold meeting the constraints"
    parts = [
        f"{c.expr} holds {_where(ok, curve)}"
        for c, ok in zip(checks, holds, strict=True)
        if not ok.all()
    ]
    return "each constraint holds at some threshold but no threshold meets all: " + "; ".join(parts)


def _closest(expr: Expr, curve: ValueCurve) -> str:
    """A constraint that holds nowhere, and the closest any threshold gets to it."""
    simple = _simple(expr)
    if simple is None or simple[1] in ("==", "!="):
        return f"{expr}"
    column, op, limit = simple
    values = curve._column(column)
    if bool(np.all(np.isnan(values))):
        return f"{expr}: {column} is undefined at every threshold"
    if op in (">", ">="):
        best = float(np.nanmax(values))
        return f"{expr}: the highest {column} at any threshold is {fmt.distinct(best, limit)}"
    best = float(np.nanmin(values))
    return f"{expr}: the lowest {column} at any threshold is {fmt.distinct(best, limit)}"


def _where(ok: npt.NDArray[np.bool_], curve: ValueCurve) -> str:
    """The thresholds at which a constraint holds, in words (point 0 is acting on nobody)."""
    first, last = int(np.argmax(ok)), ok.size - 1 - int(np.argmax(ok[::-1]))
    count = int(np.count_nonzero(ok))
    lowest = fmt.threshold(curve._at("threshold", last))
    highest = fmt.threshold(curve._at("threshold", first))
    if last == 0:
        return "only when acting on nobody"
    if count != last - first + 1:
        return f"at {count} of {ok.size} thresholds, the lowest {lowest}"
    if first == 0:
        return f"only at thresholds >= {lowest}"
    if last == ok.size - 1:
        return f"only at thresholds <= {highest}"
    return f"only at thresholds from {lowest} to {highest}"


def _names(expr: Expr) -> list[str]:
    found: list[str] = []
    stack: list[Expr] = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, Name) and node.id not in found:
            found.append(node.id)
        stack.extend(reversed(node.children()))
    return found
