"""The result of an offline decision analysis: frozen, JSON-ready, printable in a notebook."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from mlroi.assumption import Assumption
from mlroi.decision.bootstrap import BootstrapResult, ModelBootstrap
from mlroi.decision.calibration import Calibration
from mlroi.decision.optimum import Decision
from mlroi.decision.polynomial import Monomial
from mlroi.decision.stated import Ask, StatedPoint, stated_point
from mlroi.decision.value_curve import ValueCurve
from mlroi.result import Result
from mlroi.stats.interval import Interval

FloatArray = npt.NDArray[np.float64]

CURVE_POINTS_IN_JSON = 1000
"""Most curve points written by :meth:`DecisionResult.to_dict` (evenly spaced, plus the chosen
point); the Python object holds the whole curve."""


_SPREAD_FIELDS = ("estimate", "low", "high", "std_error")
"""JSON names of a parameter interval's estimate, ends and standard error."""


@dataclass(frozen=True)
class ParameterSpread:
    """What the uncertain parameters do to the decision (Monte Carlo over their draws).

    Attributes:
        draws: parameter draws.
        incremental_value: value at the chosen threshold over doing nothing: its value at the
            parameters' means and the central ``level`` interval of its draws
            (:meth:`~mlroi.stats.interval.Interval.of`).
        probability_positive: share of draws in which the chosen threshold adds value.
        threshold: the best threshold under each draw (among ``candidates`` feasible points
            of the expected curve, evenly thinned), with the chosen one as its point.
        candidates: thresholds searched per draw.
    """

    draws: int
    incremental_value: Interval
    probability_positive: float
    threshold: Interval
    candidates: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "draws": self.draws,
            "incremental_value": self.incremental_value.as_dict(*_SPREAD_FIELDS),
            "probability_positive": self.probability_positive,
            "threshold": self.threshold.as_dict(*_SPREAD_FIELDS),
            "candidates": self.candidates,
        }


@dataclass(frozen=True, eq=False)
class ModelResult:
    """One model's value curve, chosen threshold and uncertainty.

    Attributes:
        name: ``champion`` or ``challenger``.
        column: its score column.
        method: how the curve was computed (exact, or binned with an exact refinement).
        exact: whether every distinct score is a point of the curve.
        curve: the value curve (the whole curve; JSON gets a thinned copy).
        decision: the chosen threshold, or why none is feasible.
        calibration: reliability of the scores as probabilities (``None`` for raw scores).
        value_terms: the curve's value split by uncertain-parameter monomial.
        parameters: Monte Carlo over the uncertain parameters (``None`` without any).
        bootstrap: the data's uncertainty for this model (``None`` when turned off).
    """

    name: str
    column: str
    method: str
    exact: bool
    curve: ValueCurve
    decision: Decision
    calibration: Calibration | None
    value_terms: Mapping[Monomial, FloatArray]
    parameters: ParameterSpread | None = None
    bootstrap: ModelBootstrap | None = None

    def with_parameters(self, spread: ParameterSpread | None) -> ModelResult:
        return dataclasses.replace(self, parameters=spread)

    def with_bootstrap(self, boot: ModelBootstrap | None) -> ModelResult:
        return dataclasses.replace(self, bootstrap=boot)

    @property
    def point(self) -> dict[str, float] | None:
        """The chosen point's row of the curve."""
        return self.decision.point

    @property
    def incremental_value(self) -> float:
        """Value of the chosen decision over acting on nobody (0 when infeasible)."""
        return 0.0 if self.point is None else self.point["incremental_value"]

    def to_dict(self, curve_points: int = CURVE_POINTS_IN_JSON) -> dict[str, Any]:
        curve = self.curve.to_dict()
        keep = _thinned(len(self.curve), curve_points, self.decision.index)
        curve["columns"] = {k: [v[i] for i in keep] for k, v in curve["columns"].items()}
        curve["points"] = len(self.curve)
        curve["points_shown"] = len(keep)
        return {
            "name": self.name,
            "column": self.column,
            "method": self.method,
            "exact": self.exact,
            "decision": self.decision.to_dict(),
            "auc": self.curve.auc,
            "pr_auc": self.curve.pr_auc,
            "calibration": None if self.calibration is None else self.calibration.to_dict(),
            "parameters": None if self.parameters is None else self.parameters.to_dict(),
            "bootstrap": None if self.bootstrap is None else self.bootstrap.to_dict(),
            "curve": curve,
        }


def _thinned(size: int, most: int, chosen: int | None) -> list[int]:
    if size <= most:
        return list(range(size))
    picks = set(np.linspace(0, size - 1, most).round().astype(int).tolist())
    if chosen is not None:
        picks.add(chosen)
    return sorted(picks)


@dataclass(frozen=True)
class ChallengerComparison:
    """Challenger against champion on the same rows (models compared in money; not an
    experiment's arm-against-control :class:`mlroi.experiment.result.Comparison`).

    Attributes:
        auc: challenger AUC minus champion AUC (``None`` when either is undefined).
        recall: challenger recall minus champion recall, each at its own chosen threshold.
        value: challenger's incremental value minus the champion's, each at its own optimum.
        interval: ``value`` with its paired-bootstrap interval at the result's level and
            standard error: the difference of the values at the two chosen thresholds in each
            resample, scaled to the table's rows (``None`` without a bootstrap).
        probability_better: share of paired resamples in which the challenger is worth more.
        std_error_per_row: paired-bootstrap standard error of ``value`` per eligible row,
            conditioned on the rows drawn (``None`` without a bootstrap).
    """

    auc: float | None
    recall: float | None
    value: float
    interval: Interval | None
    probability_better: float | None
    std_error_per_row: float | None = None

    @classmethod
    def of(
        cls, champion: ModelResult, challenger: ModelResult, boot: BootstrapResult | None
    ) -> ChallengerComparison:
        a, b = champion.curve.auc, challenger.curve.auc
        ra = (champion.point or {}).get("recall")
        rb = (challenger.point or {}).get("recall")
        interval = prob = per_row = None
        if boot is not None and challenger.name in boot.differences:
            per_row = boot.differences[challenger.name].value_at_chosen_per_row.interval.std_error
            # the value at each model's chosen threshold, resample by resample: the same
            # figure as ``value`` (acting on nobody is worth the same for both models)
            d = boot.differences[challenger.name].value_at_chosen
            interval = d.interval
            prob = d.share_positive
        value = challenger.incremental_value - champion.incremental_value
        return cls(
            auc=None if a is None or b is None else b - a,
            recall=None if ra is None or rb is None else rb - ra,
            value=value,
            interval=None
            if interval is None
            else Interval(value, interval.lower, interval.upper, interval.std_error),
            probability_better=prob,
            std_error_per_row=per_row,
        )

    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict; ``interval`` as its two ends."""
        iv = self.interval
        return {
            "auc": self.auc,
            "recall": self.recall,
            "value": self.value,
            "interval": None if iv is None else [iv.lower, iv.upper],
            "probability_better": self.probability_better,
            "std_error_per_row": self.std_error_per_row,
        }


@dataclass(frozen=True, eq=False)
class UpliftResult:
    """The past randomized campaign ranked by each score (see :mod:`mlroi.decision.uplift`).

    Attributes:
        comparison: the rankings at matched budgets, their best budgets, AUUC and Qini.
        words: what a row is, what is gained, what the favourable-anyway rows did.
        value: value of one favourable outcome gained, with the parameters at their means.
        cost: cost of treating one row, with the parameters at their means.
        favourable: the label value the treatment aims for.
    """

    comparison: Any
    words: tuple[str, str, str]
    value: str
    cost: str
    favourable: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "cost": self.cost,
            "favourable": self.favourable,
            **self.comparison.to_dict(),
        }


@dataclass(frozen=True, eq=False, repr=False)
class DecisionResult(Result):
    """Everything an offline decision analysis found.

    Values are totals over the eligible rows of the scored table; :meth:`per_year` scales
    them by ``rows_per_year / rows`` when the case gives ``rows_per_year``. ``assumptions``
    lists every input of the value model with its source (column, case or template default);
    ``counts`` names the business metrics that are counts, not money.
    """

    score: str
    label: str
    positive: str
    template: str | None
    texts: Mapping[str, str]
    parameters: Mapping[str, str]
    eligible: str | None
    constraints: tuple[str, ...]
    objective: str
    rows: int
    rows_per_year: float | None
    currency: str
    level: float
    seed: int
    models: Mapping[str, ModelResult]
    comparison: ChallengerComparison | None
    uplift: UpliftResult | None
    notes: tuple[str, ...]
    stated: StatedPoint | None = None
    assumptions: tuple[Assumption, ...] = ()
    counts: tuple[str, ...] = ()

    def at(
        self,
        *,
        threshold: float | None = None,
        top: float | None = None,
        budget: float | None = None,
        model: str = "champion",
    ) -> StatedPoint:
        """Is a threshold in use any good? Its value next to the best threshold's.

        Give one of ``threshold`` (act on ``score >= threshold``), ``top`` (the top share of
        the rows, e.g. 0.1) or ``budget`` (at most that many rows of the table). The value is
        exact; its interval and that of the difference from the best threshold come from the
        same bootstrap resamples as the optimum's (see :mod:`mlroi.decision.stated`). With
        binned bootstrap curves, a threshold that is not a bin edge has no interval: pass it
        to :func:`mlroi.decision.analysis.decide` as ``ask`` (or ``mlroi decide
        --threshold``) so that the bootstrap reads it exactly.

        Raises:
            ValueError: none or several of the three, a value out of range, or an unknown
                model.

        Example:
            >>> r.at(threshold=0.8).difference.estimate  # doctest: +SKIP
            -12345.6
        """
        if model not in self.models:
            raise ValueError(f"model must be one of {sorted(self.models)}, got {model!r}")
        ask = Ask.one_of(threshold=threshold, top=top, budget=budget)
        return stated_point(self.models[model], ask, level=self.level, constraints=self.constraints)

    @property
    def resamples(self) -> int:
        """Bootstrap resamples behind the intervals from the data (0 without a bootstrap)."""
        boot = self.champion.bootstrap
        return 0 if boot is None else len(boot.draws.value_at_chosen)

    @property
    def champion(self) -> ModelResult:
        return self.models["champion"]

    @property
    def challenger(self) -> ModelResult | None:
        return self.models.get("challenger")

    @property
    def year_factor(self) -> float | None:
        """Multiplier from the table's rows to a year (``None`` without ``rows_per_year``)."""
        return None if self.rows_per_year is None else self.rows_per_year / self.rows

    def per_year(self, total: float) -> float | None:
        """``total`` over the table's rows, as a value a year."""
        f = self.year_factor
        return None if f is None else total * f

    def per_row(self, total: float) -> float:
        """``total`` over the table's rows, per eligible row."""
        return total / self.rows

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "label": self.label,
            "positive": self.positive,
            "template": self.template,
            "value_model": dict(self.texts),
            "parameters": dict(self.parameters),
            "eligible": self.eligible,
            "constraints": list(self.constraints),
            "objective": self.objective,
            "rows": self.rows,
            "rows_per_year": self.rows_per_year,
            "currency": self.currency,
            "level": self.level,
            "seed": self.seed,
            "models": {k: m.to_dict() for k, m in self.models.items()},
            "comparison": None if self.comparison is None else self.comparison.to_dict(),
            "uplift": None if self.uplift is None else self.uplift.to_dict(),
            "notes": list(self.notes),
            "assumptions": [a.to_dict() for a in self.assumptions],
            "counts": list(self.counts),
            "stated": None if self.stated is None else self.stated.to_dict(),
        }
