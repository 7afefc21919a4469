"""A threshold in use (or a share, or a budget) against the best one: "is our threshold any good?"

A team acting on ``score >= 0.8``, on its top 10% or on as many rows as a budget of 5,000 allows
asks what that is worth next to the best threshold. :func:`stated_point` reads the answer off
the curve and the bootstrap the optimum came from:

- the point: ``score >= t`` acts on the groups with a score of at least ``t``; ``top`` acts on
  the most rows whose share is at most ``top``, ``budget`` on the most rows at most ``budget``
  (tied scores are never split, so either may act on slightly fewer rows than asked);
- its value over acting on nobody, exact on the curve, with the percentile interval of the same
  value in each bootstrap resample (the same row weights as the optimum's);
- the difference from the best feasible threshold, with the paired-bootstrap interval of the
  difference of the two fixed thresholds' values resample by resample. The best threshold was
  picked on these rows, so its lead is, if anything, optimistic (Efron & Tibshirani 1993,
  ch. 17: a rule chosen on the data it is judged on looks better there than on new data).

References:
    Efron, B. & Tibshirani, R. J. (1993). An Introduction to the Bootstrap. Chapman & Hall.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from mlroi import formatting as fmt
from mlroi.decision.arrays import FloatArray
from mlroi.stats.interval import Interval

if TYPE_CHECKING:
    from mlroi.decision.result import ModelResult

__all__ = ["Ask", "ParameterSpreadAt", "StatedPoint", "parameter_spread", "stated_point"]

AskKind = Literal["threshold", "top", "budget"]


@dataclass(frozen=True)
class Ask:
    """Where a team acts: ``score >= threshold``, the ``top`` share of rows, or ``budget`` rows.

    Attributes:
        kind: ``threshold``, ``top`` or ``budget``.
        amount: the threshold (any number), the share (in (0, 1]) or the rows (>= 0).
    """

    kind: AskKind
    amount: float

    @classmethod
    def one_of(
        cls,
        threshold: float | None = None,
        top: float | None = None,
        budget: float | None = None,
    ) -> Ask:
        """The one of ``threshold``, ``top`` and ``budget`` that is given, checked.

        Raises:
            ValueError: none or several are given, or the one given is out of range.
        """
        given = [(k, v) for k, v in (("threshold", threshold), ("top", top), ("budget", budget))]
        chosen = [(k, v) for k, v in given if v is not None]
        if len(chosen) != 1:
            raise ValueError(
                "give exactly one of threshold (e.g. 0.8), top (a share, e.g. 0.1 for the top "
                "10%) and budget (rows acted on, e.g. 5000)"
            )
        kind, value = chosen[0]
        assert value is not None
        try:
            amount = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{kind} must be a number, got {value!r}") from None
        if not math.isfinite(amount):
            raise ValueError(f"{kind} must be a finite number, got {value!r}")
        if kind == "top" and not 0.0 < amount <= 1.0:
            raise ValueError(
                f"top must be a share in (0, 1], e.g. 0.1 for the top 10%, got {value}"
            )
        if kind == "budget" and amount < 0:
            raise ValueError(f"budget must be a number of rows >= 0, got {value}")
        return cls(kind, amount)  # type: ignore[arg-type]

    def words(self, rows: int) -> str:
        """The ask as written, e.g. ``threshold 0.8``, ``top 10%``, ``budget of 5,000 rows``."""
        if self.kind == "threshold":
            return f"threshold {fmt.threshold(self.amount)}"
        if self.kind == "top":
            return f"top {fmt.budget(self.amount)}"
        return f"budget of {fmt.count(self.amount)} of {fmt.count(rows)} rows"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "amount": self.amount}


@dataclass(frozen=True)
class StatedPoint:
    """A stated threshold's value next to the best threshold's.

    Attributes:
        model: the model whose scores are acted on (``champion`` or ``challenger``).
        column: its score column.
        ask: what was asked (threshold, top share or budget).
        index: the point of the curve it acts at (0 acts on nobody).
        point: that point's row of the curve (threshold, targeted, recall, value...).
        value: its value over acting on nobody: the exact figure as ``estimate``, with the
            bootstrap's percentile interval and standard error when ``interval_reason`` is None
            (NaN ends otherwise).
        best: the best feasible point's row (``None`` when no threshold is feasible).
        difference: stated minus best, in the value over acting on nobody (``None`` without a
            best point); ends from the paired bootstrap, NaN when ``interval_reason`` is set.
        share_worse: share of the resamples in which the stated point is worth less than the
            best one (``None`` without the interval).
        breaks: the constraints the stated point fails, as written.
        interval_reason: why there is no interval (``None`` when there is one).
        parameters: over the uncertain parameters' Monte Carlo draws (``None`` without
            uncertain parameters, or when asked of a finished result, which keeps no draws):
            the value over acting on nobody, and the difference from the best threshold, each
            with its central interval (:func:`parameter_spread`).
    """

    model: str
    column: str
    ask: Ask
    index: int
    point: dict[str, float]
    value: Interval
    best: dict[str, float] | None
    difference: Interval | None
    share_worse: float | None
    breaks: tuple[str, ...]
    interval_reason: str | None
    parameters: ParameterSpreadAt | None = None

    @property
    def has_interval(self) -> bool:
        return self.interval_reason is None

    @property
    def threshold(self) -> float:
        """The threshold to show: the one asked for, or the point's for a top share or budget
        (``point["threshold"]`` is the lowest score acted on, which acts on the same rows)."""
        return self.ask.amount if self.ask.kind == "threshold" else self.point["threshold"]

    def to_dict(self) -> dict[str, Any]:
        fields = ("estimate", "low", "high", "std_error")
        iv = self.has_interval
        return {
            "model": self.model,
            "column": self.column,
            "ask": self.ask.to_dict(),
            "index": self.index,
            "point": self.point,
            "value": self.value.as_dict(*fields) if iv else {"estimate": self.value.estimate},
            "best": self.best,
            "difference": None
            if self.difference is None
            else (
                self.difference.as_dict(*fields) if iv else {"estimate": self.difference.estimate}
            ),
            "share_worse": self.share_worse,
            "breaks": list(self.breaks),
            "interval_reason": self.interval_reason,
            "parameters": None if self.parameters is None else self.parameters.to_dict(),
        }


@dataclass(frozen=True)
class ParameterSpreadAt:
    """The stated point under the uncertain parameters' draws.

    Attributes:
        draws: parameter draws.
        value: value over acting on nobody: at the parameters' means, with the central
            interval of the draws.
        difference: stated minus best (both thresholds fixed) in each draw; ``None`` without a
            best point.
    """

    draws: int
    value: Interval
    difference: Interval | None

    def to_dict(self) -> dict[str, Any]:
        fields = ("estimate", "low", "high", "std_error")
        return {
            "draws": self.draws,
            "value": self.value.as_dict(*fields),
            "difference": None if self.difference is None else self.difference.as_dict(*fields),
        }


def parameter_spread(
    model: ModelResult, index: int, at: Mapping[Any, FloatArray], level: float
) -> ParameterSpreadAt:
    """Value at curve point ``index`` (and its difference from the best point) in every draw of
    the uncertain parameters: ``value = sum_m value_terms[m] x m(draw)``, as the optimum's own
    spread (:class:`mlroi.decision.result.ParameterSpread`).

    Args:
        model: the model, with its value split by monomial (``value_terms``).
        index: the stated point.
        at: each monomial of ``model.value_terms`` evaluated at every draw.
        level: level of the central intervals.
    """
    monomials = list(model.value_terms)
    m = np.stack([at[k] for k in monomials])  # (terms, draws)
    terms = np.stack([model.value_terms[k] for k in monomials])  # (terms, points)
    base = terms[:, 0] @ m
    values = terms[:, index] @ m - base
    curve = model.curve
    value = float(curve.incremental_value[index])
    chosen = model.decision.index
    difference = None
    if chosen is not None:
        gap = values - (terms[:, chosen] @ m - base)
        difference = Interval.of(gap, value - float(curve.incremental_value[chosen]), level)
    return ParameterSpreadAt(
        draws=int(m.shape[1]), value=Interval.of(values, value, level), difference=difference
    )


def point_index(model: ModelResult, ask: Ask) -> int:
    """The curve point a threshold, a top share or a budget acts at (0 acts on nobody)."""
    curve = model.curve
    if ask.kind == "threshold":
        # points 1.. have the distinct scores, highest first: count those >= the threshold
        return int(np.count_nonzero(np.asarray(curve.threshold)[1:] >= ask.amount))
    # as ValueCurve.at_budget: share_targeted = targeted / n is correctly rounded
    column = curve.share_targeted if ask.kind == "top" else curve.targeted
    return int(np.searchsorted(np.asarray(column), ask.amount, side="right")) - 1


def stated_point(
    model: ModelResult,
    ask: Ask,
    *,
    level: float,
    constraints: Sequence[str] = (),
) -> StatedPoint:
    """The value at ``ask`` on ``model``'s curve, next to the best threshold (module docstring).

    Args:
        model: one model of a decision analysis, with its curve, decision and bootstrap.
        ask: where the team acts.
        level: level of the percentile intervals.
        constraints: the analysis's constraints, to say which the stated point fails.
    """
    curve = model.curve
    index = point_index(model, ask)
    point = curve.row(index)
    value = float(curve.incremental_value[index])
    best = model.decision.point
    best_value = None if best is None else float(best["incremental_value"])
    draws, reason = _draws_at(model, index)
    nan = math.nan
    interval = Interval(value, nan, nan)
    difference = None if best_value is None else Interval(value - best_value, nan, nan)
    share = None
    if draws is not None:
        boot = model.bootstrap
        assert boot is not None
        interval = Interval.of(draws, value, level)
        if best_value is not None:
            gap = draws - boot.draws.incremental_value_at_chosen
            difference = Interval.of(gap, value - best_value, level)
            share = float(np.mean(gap < 0))
    return StatedPoint(
        model=model.name,
        column=model.column,
        ask=ask,
        index=index,
        point=point,
        value=interval,
        best=best,
        difference=difference,
        share_worse=share,
        breaks=_breaks(model, index, constraints),
        interval_reason=reason,
    )


def _draws_at(model: ModelResult, index: int) -> tuple[Any, str | None]:
    """The value over acting on nobody at point ``index`` in every resample, or why not."""
    boot = model.bootstrap
    if boot is None:
        return None, "no bootstrap (turned off, or the table is too large: see the notes)"
    draws = boot.draws
    if index == 0:
        return np.zeros_like(draws.incremental_value_at_chosen), None
    if index == model.decision.index:  # the very draws the optimum's interval is read from
        return draws.incremental_value_at_chosen, None
    if draws.lows is None or draws.incremental_at_edges is None:
        return None, "the bootstrap kept no per-threshold values"
    threshold = float(model.curve.threshold[index])
    edge = np.flatnonzero(draws.lows == threshold)
    if edge.size == 0:
        return None, (
            f"{fmt.threshold(threshold)} is not an edge of the bootstrap's score bins; pass it to "
            "the analysis (mlroi decide --threshold, or decide(..., ask=...)) to read it exactly"
        )
    return draws.incremental_at_edges[:, int(edge[0])], None


def _breaks(model: ModelResult, index: int, constraints: Sequence[str]) -> tuple[str, ...]:
    """The constraints that fail at point ``index``."""
    from mlroi.expr import evaluate, parse

    row = model.curve.row(index)
    out = []
    for text in constraints:
        expr = parse(text, kind="condition")
        if not bool(evaluate(expr, row)):
            out.append(str(expr))
    return tuple(out)
