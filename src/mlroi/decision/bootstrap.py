"""How much the offline decision value moves with the data: a Poisson bootstrap of the value curve.

The point analysis picks a threshold per model from one sample of rows. Resampling the rows says
how far the value at that threshold, the best feasible threshold and its value, and (for two
models scored on the same rows) the difference between the models would move in another sample.

Resampling. Each row gets an independent Poisson(1) weight in each resample, the number of times it
is drawn: the Poisson bootstrap of Chamandy et al. (2012), the usual choice at scale, because a
row's weights need neither ``n`` nor the other rows and are drawn chunk by chunk. The number of rows
drawn varies (it is Poisson(n)). For a ratio such as recall or AUC that makes no difference as ``n``
grows; for a total such as the value it does: the bootstrap variance of ``sum_i w_i x_i`` is
``sum_i x_i ** 2``, which exceeds the classical bootstrap's ``n var(x)`` by ``n mean(x) ** 2``, the
spread of the number of rows. The figures this module reports are about the table's ``n`` rows (and,
scaled, a year's known number of rows), whose number does not vary: a stated 90% interval of the raw
weighted totals covered about 97% in simulation when every acted row is positive. So every total is
normalised by the rows its resample drew: each resample's total becomes
``n * sum_i w_i x_i / sum_i w_i`` (``ModelDraws.rows_drawn``), ``n`` times a ratio of two weighted
sums whose spread is, as ``n`` grows, the classical standard error of a mean, ``sqrt(var(x) / n)``;
the total's is then ``sqrt(n var(x))``, that of a sum over ``n`` rows. The values at the chosen
thresholds (``value_at_chosen``, ``incremental_value_at_chosen``, a difference's
``value_at_chosen``) and their per-row versions are built this way;
``tests/test_decision_bootstrap.py`` checks their coverage. The optimum's objective is a number of
each resampled curve as it stands (an expression of the curve's columns, not always a total). With
several models, every model sees the same weights (a paired bootstrap): the difference between two
models is resampled directly, without the noise of the rows they share.

Weights: :mod:`mlroi.decision.poisson_weights` draws every row's Poisson(1) weight in every
resample, at 2 to 3 ns a weight, from streams that depend only on the seed and the row.

Curves. Per model, the rows are put in at most ``bins`` score bins of about equal row counts
(every distinct score is a bin when there are at most ``bins`` of them: the exact curve). A bin
is a range of scores, so tied scores stay together, and the chosen threshold is a bin edge: the
value at the chosen threshold is exact in every resample. For every row chunk, the rows are
ordered by bin and each bin's weighted sums (rows, positives, value of acting, of leaving alone,
the extra sums) in all resamples at once are one matrix product ``W_bin' X_bin``; a resample's
curve is then :func:`~mlroi.decision.value_curve.value_curve` of its bins (those with no row
drawn are dropped), evaluated at the bin edges only, and :func:`~mlroi.decision.optimum.optimum`
picks its best feasible threshold. Its AUC is the binned AUC (rows in one bin count as tied).

Intervals are percentile intervals of the resampled numbers at ``level``, read off by
:meth:`mlroi.stats.interval.Interval.of` (the inverted empirical CDF: each end is one of the
resampled numbers), with the standard deviation of the resampled numbers as standard error
(Efron & Tibshirani 1993, ch. 6 and 13).

References:
    Chamandy, N., Muralidharan, O., Najmi, A. & Naidu, S. (2012). Estimating uncertainty for
    massive data streams. Google technical report.
    Efron, B. & Tibshirani, R. J. (1993). An Introduction to the Bootstrap. Chapman & Hall.
    Marsaglia, G. (1963). Generating discrete random variables in a computer. Communications of
    the ACM 6(1), 37-38 (a discrete distribution from the digits of its probabilities).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlroi import defaults
from mlroi import formatting as fmt
from mlroi.decision.arrays import FloatArray
from mlroi.decision.bootstrap_rows import BootstrapRows
from mlroi.decision.model_draws import ModelDraws, model_draws
from mlroi.decision.optimum import Constraint, optimum
from mlroi.decision.score_bins import bin_ids, bin_lows, bin_sums
from mlroi.decision.score_groups import CURVE_COLUMNS, ScoreGroups
from mlroi.decision.value_curve import value_curve
from mlroi.expr import bind, parse
from mlroi.stats.interval import Interval

__all__ = [
    "BootstrapResult",
    "Difference",
    "ModelBootstrap",
    "Spread",
    "bootstrap",
]

_MAX_SUM_CELLS = 1 << 27
"""Bins x resamples x columns over all models: 1 GiB of float64 bin sums at most."""


# ---------------------------------------------------------------------------------- the results


@dataclass(frozen=True)
class Spread:
    """How one number varies over the resamples in which it is defined: its interval, and how
    often it is above 0.

    Attributes:
        interval: the mean over the resamples as ``estimate``, the percentile interval at the
            result's ``level`` as ``lower`` and ``upper``, and the standard deviation over the
            resamples (``ddof = 1``; NaN with fewer than two) as ``std_error``.
        share_positive: share of the resamples in which the number is above 0 (for a difference
            between models, the bootstrap probability that the other model is better).
        defined: resamples in which it is defined (e.g. those with a feasible optimum).
    """

    interval: Interval
    share_positive: float
    defined: int

    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict (NaN kept: serialise with :func:`mlroi.serialize.dumps`)."""
        return {
            "mean": self.interval.estimate,
            "standard_error": self.interval.std_error,
            "low": self.interval.lower,
            "high": self.interval.upper,
            "share_positive": self.share_positive,
            "defined": self.defined,
        }


@dataclass(frozen=True, eq=False)
class ModelBootstrap:
    """One model's bootstrap: its chosen threshold, its best threshold, and how they move.

    Attributes:
        model: the model's name.
        chosen: the threshold the point analysis chose (``inf`` acts on nobody).
        bins: score bins of the resampled curve (every distinct score when ``exact``).
        exact: whether every distinct score is a bin, so that the curve is exact.
        value_at_chosen: spread of the value at the chosen threshold over the table's ``n``
            rows, each resample's total times ``n / rows_drawn`` (module docstring).
        incremental_value_at_chosen: spread of the value gained over acting on nobody, over
            the ``n`` rows in the same way.
        optimal_objective: spread of the objective at the best feasible threshold, over the
            resamples where one exists.
        optimal_threshold: the best feasible threshold over the resamples where one exists:
            its median as ``estimate`` and its percentile interval at the result's ``level``
            (NaN when no resample is feasible).
        infeasible_share: share of the resamples in which no threshold meets the constraints.
        draws: the numbers of every resample (the weighted totals as drawn, before scaling).
        incremental_value_per_row: spread of the value gained per row, each resample's
            weighted total over its ``rows_drawn``: ``incremental_value_at_chosen`` over ``n``.
    """

    model: str
    chosen: float
    bins: int
    exact: bool
    value_at_chosen: Spread
    incremental_value_at_chosen: Spread
    optimal_objective: Spread
    optimal_threshold: Interval
    infeasible_share: float
    draws: ModelDraws
    incremental_value_per_row: Spread

    def to_dict(self, draws: bool = False) -> dict[str, Any]:
        """The summaries as a dict; with ``draws``, every resample's numbers too."""
        out: dict[str, Any] = {
            "model": self.model,
            "chosen": self.chosen,
            "bins": self.bins,
            "exact": self.exact,
            "value_at_chosen": self.value_at_chosen.to_dict(),
            "incremental_value_at_chosen": self.incremental_value_at_chosen.to_dict(),
            "optimal_objective": self.optimal_objective.to_dict(),
            "optimal_threshold": self.optimal_threshold.as_dict("median", "low", "high"),
            "infeasible_share": self.infeasible_share,
            "incremental_value_per_row": self.incremental_value_per_row.to_dict(),
        }
        if draws:
            out["draws"] = self.draws.to_dict()
        return out


@dataclass(frozen=True, eq=False)
class Difference:
    """Another model minus the baseline, resample by resample on the same row weights.

    Attributes:
        model: the other model.
        baseline: the model subtracted.
        optimal_objective: spread of the difference of the objectives at each model's best
            feasible threshold, over the resamples where both are feasible;
            ``optimal_objective.share_positive`` is the bootstrap probability that the other
            model's best threshold is worth more.
        value_at_chosen: spread of the difference of the values at the chosen thresholds over
            the table's ``n`` rows (each resample's difference times ``n / rows_drawn``).
        auc: spread of the difference of the binned AUCs.
        draws: per resample: ``optimal_objective``, ``value_at_chosen`` (the weighted totals'
            difference as drawn, before scaling) and ``auc`` differences.
        value_at_chosen_per_row: spread of the difference of the values at the chosen
            thresholds per row drawn, each resample's ``value_at_chosen`` difference divided by
            its ``rows_drawn``.
    """

    model: str
    baseline: str
    optimal_objective: Spread
    value_at_chosen: Spread
    auc: Spread
    draws: Mapping[str, FloatArray]
    value_at_chosen_per_row: Spread

    def to_dict(self, draws: bool = False) -> dict[str, Any]:
        """The summaries as a dict; with ``draws``, every resample's differences too."""
        out: dict[str, Any] = {
            "model": self.model,
            "baseline": self.baseline,
            "optimal_objective": self.optimal_objective.to_dict(),
            "value_at_chosen": self.value_at_chosen.to_dict(),
            "auc": self.auc.to_dict(),
            "value_at_chosen_per_row": self.value_at_chosen_per_row.to_dict(),
        }
        if draws:
            out["draws"] = {name: values.tolist() for name, values in self.draws.items()}
        return out


@dataclass(frozen=True, eq=False)
class BootstrapResult:
    """The bootstrap of every model and of each model against the baseline.

    Attributes:
        resamples: number of resamples.
        seed: the seed of the row weights.
        level: confidence level of the percentile intervals.
        objective: the objective maximised at the optimum.
        constraints: the constraints, as parsed and printed.
        method: one sentence saying how the numbers were resampled.
        models: each model's bootstrap, in the order of ``BootstrapRows.scores``.
        baseline: the model the others are compared with; ``None`` with one model.
        differences: each other model against the baseline, by the other model's name.
    """

    resamples: int
    seed: int
    level: float
    objective: str
    constraints: tuple[str, ...]
    method: str
    models: Mapping[str, ModelBootstrap]
    baseline: str | None
    differences: Mapping[str, Difference]

    @property
    def bins(self) -> dict[str, int]:
        """Score bins actually used, by model."""
        return {name: m.bins for name, m in self.models.items()}

    def to_dict(self, draws: bool = False) -> dict[str, Any]:
        """The result as a dict, without the per-resample numbers unless ``draws``.

        Thresholds may be ``inf`` and undefined numbers NaN: serialise with
        :func:`mlroi.serialize.dumps`, which writes them as ``null``.
        """
        return {
            "resamples": self.resamples,
            "seed": self.seed,
            "level": self.level,
            "objective": self.objective,
            "constraints": list(self.constraints),
            "method": self.method,
            "bins": self.bins,
            "models": {name: m.to_dict(draws) for name, m in self.models.items()},
            "baseline": self.baseline,
            "differences": {name: d.to_dict(draws) for name, d in self.differences.items()},
        }


# ------------------------------------------------------------------------------------ bootstrap


def bootstrap(
    rows: BootstrapRows,
    chosen: Mapping[str, float],
    *,
    constraints: Sequence[str | Constraint] = (),
    objective: str = "value",
    resamples: int = defaults.RESAMPLES,
    seed: int = defaults.SEED,
    level: float = defaults.MONTE_CARLO_LEVEL,
    bins: int = 2048,
    baseline: str | None = None,
    also: Mapping[str, Sequence[float]] | None = None,
) -> BootstrapResult:
    """Resample the rows and report how the decision value of each model moves.

    For each resample and model: the value (and incremental value) at the chosen threshold,
    exact; the best feasible threshold under ``constraints`` on the resample's binned curve and
    its objective (a resample without a feasible threshold is counted, not an error); the binned
    AUC. With two or more models, the same row weights serve every model, and each other model
    is compared with ``baseline`` resample by resample. Method and references: the module
    docstring.

    Args:
        rows: labels, values and each model's scores, one entry a row.
        chosen: the threshold the point analysis chose for each model, acting on rows with
            ``score >= chosen[model]`` (``inf`` acts on nobody).
        constraints: conditions over the curve's columns, as for
            :func:`~mlroi.decision.optimum.optimum`, e.g. ``"fpr <= 0.005"``.
        objective: the number the optimum maximises, e.g. ``"value"``.
        resamples: number of resamples (at least 1; 200 gives standard errors to about 5%).
        seed: seed of the row weights (a whole number >= 0); the same seed gives the same
            result.
        level: confidence level of the percentile intervals, strictly between 0 and 1.
        bins: most score bins per model (at least 2), the chosen threshold's edge included.
        baseline: the model the others are compared with; the first model by default.
        also: further thresholds per model made bin edges, so that the value there is exact
            in every resample (e.g. a threshold in use, read by
            :meth:`mlroi.decision.result.DecisionResult.at`).

    Returns:
        The bootstrap of each model and of each other model against the baseline.

    Raises:
        ValueError: an argument out of range, a model in ``chosen`` that has no scores (or a
            model without a threshold in ``chosen``), an unknown ``baseline``, or more bins
            times resamples than fit in 1 GiB of sums.
        ExprError: a constraint or the objective does not parse or names an unknown column
            (checked before resampling), or divides by zero at a point of a resampled curve.

    Example:
        >>> rng = np.random.default_rng(1)
        >>> score = rng.random(1_000)
        >>> label = (rng.random(1_000) < score).astype(int)
        >>> rows = BootstrapRows(label, 10.0 * label - 2.0, np.zeros(1_000), {"model": score})
        >>> result = bootstrap(rows, {"model": 0.5}, resamples=50, seed=7)
        >>> iv = result.models["model"].value_at_chosen.interval
        >>> bool(iv.lower < float(rows.act[score >= 0.5].sum()) < iv.upper)
        True
    """
    models = list(rows.scores)
    thresholds = _check_arguments(models, chosen, resamples, seed, level, bins, baseline)
    base = models[0] if baseline is None else baseline
    width = 4 + len(rows.sums)
    cells = len(models) * bins * resamples * width
    if cells > _MAX_SUM_CELLS:
        most = _MAX_SUM_CELLS // (len(models) * width)
        raise ValueError(
            f"bins x resamples = {fmt.count(bins * resamples)} is too large: the bin sums would "
            f"take {fmt.number(cells * 8 / 2**30)} GiB; lower bins or resamples to at most "
            f"{fmt.count(most)} together"
        )
    checks = [
        c if isinstance(c, Constraint) else Constraint.parse(c, field=f"constraints[{i}]")
        for i, c in enumerate(constraints)
    ]
    names = [*CURVE_COLUMNS, *rows.sums]
    goal = bind(parse(objective, field="objective", kind="number"), names, {}, field="objective")
    _try_expressions(list(rows.sums), checks, objective)

    extra = also or {}
    binned = {m: bin_lows(rows.scores[m], bins, thresholds[m], extra.get(m, ())) for m in models}
    ids = [bin_ids(rows.scores[m], binned[m][0]) for m in models]
    sums = bin_sums(rows, ids, [binned[m][0].size for m in models], resamples, seed)

    results: dict[str, ModelBootstrap] = {}
    for model, per_bin in zip(models, sums, strict=True):
        lows, exact = binned[model]
        draws = model_draws(
            lows, per_bin, thresholds[model], list(rows.sums), checks, goal, objective
        )
        results[model] = _summarise(
            model, thresholds[model], lows.size, exact, draws, level, rows.n
        )
    differences = {
        m: _difference(m, base, results[m].draws, results[base].draws, level, rows.n)
        for m in models
        if m != base
    }
    return BootstrapResult(
        resamples=resamples,
        seed=seed,
        level=level,
        objective=objective,
        constraints=tuple(str(c.expr) for c in checks),
        method=_method(results, resamples, level),
        models=results,
        baseline=base if len(models) > 1 else None,
        differences=differences,
    )


def _check_arguments(
    models: list[str],
    chosen: Mapping[str, float],
    resamples: int,
    seed: int,
    level: float,
    bins: int,
    baseline: str | None,
) -> dict[str, float]:
    """The chosen thresholds by model, after checking every argument of :func:`bootstrap`."""
    if not _whole(resamples) or resamples < 1:
        raise ValueError(f"resamples must be a whole number >= 1, got {resamples!r}")
    if not _whole(seed) or seed < 0:
        raise ValueError(f"seed must be a whole number >= 0, got {seed!r}")
    if isinstance(level, bool) or not isinstance(level, int | float) or not 0.0 < level < 1.0:
        raise ValueError(f"level must be a number strictly between 0 and 1, got {level!r}")
    if not _whole(bins) or bins < 2:
        raise ValueError(f"bins must be a whole number >= 2, got {bins!r}")
    if baseline is not None and baseline not in models:
        raise ValueError(f"baseline {baseline!r} is not a model; the models are {models}")
    unknown = [m for m in chosen if m not in models]
    if unknown:
        raise ValueError(
            f"chosen names {unknown[0]!r}, which has no scores; the models are {models}"
        )
    thresholds: dict[str, float] = {}
    for model in models:
        if model not in chosen:
            raise ValueError(f"chosen has no threshold for model {model!r}")
        try:
            t = float(chosen[model])
        except (TypeError, ValueError):
            raise ValueError(f"chosen[{model!r}] must be a number, got {chosen[model]!r}") from None
        if math.isnan(t):
            raise ValueError(f"chosen[{model!r}] is NaN; use inf to act on nobody")
        thresholds[model] = t
    return thresholds


def _whole(x: object) -> bool:
    return isinstance(x, int | np.integer) and not isinstance(x, bool)


def _try_expressions(sums: list[str], checks: Sequence[Constraint], objective: str) -> None:
    """Raise now, not after the resampling, for a constraint or objective that cannot work."""
    groups = ScoreGroups.from_rows(
        [1.0, 0.0], [1, 0], [1.0, 0.0], [0.0, 0.0], {s: [1, 1] for s in sums}
    )
    optimum(value_curve(groups), checks, objective)


# ---------------------------------------------------------------------------------- summaries


def _spread(x: FloatArray, level: float) -> Spread:
    """Mean, standard error, percentile interval and share above 0 of the defined draws."""
    x = x[~np.isnan(x)]
    if x.size == 0:
        return Spread(Interval(math.nan, math.nan, math.nan), math.nan, 0)
    return Spread(
        interval=Interval.of(x, float(x.mean()), level),
        share_positive=float(np.count_nonzero(x > 0) / x.size),
        defined=int(x.size),
    )


def _per_row(total: FloatArray, rows_drawn: FloatArray) -> FloatArray:
    """Each resample's total over the rows it drew; NaN (left out of a spread) when none."""
    out = np.full(total.shape, np.nan)
    np.divide(total, rows_drawn, out=out, where=rows_drawn > 0)
    return out


def _over_rows(total: FloatArray, rows_drawn: FloatArray, n: int) -> FloatArray:
    """Each resample's total over the table's ``n`` rows: ``n`` times its total per row drawn."""
    return n * _per_row(total, rows_drawn)


def _summarise(
    model: str,
    chosen: float,
    bins: int,
    exact: bool,
    draws: ModelDraws,
    level: float,
    n: int,
) -> ModelBootstrap:
    feasible = draws.optimal_threshold[~np.isnan(draws.optimal_threshold)]
    median = float(np.quantile(feasible, 0.5, method="inverted_cdf")) if feasible.size else math.nan
    return ModelBootstrap(
        model=model,
        chosen=chosen,
        bins=bins,
        exact=exact,
        value_at_chosen=_spread(_over_rows(draws.value_at_chosen, draws.rows_drawn, n), level),
        incremental_value_at_chosen=_spread(
            _over_rows(draws.incremental_value_at_chosen, draws.rows_drawn, n), level
        ),
        optimal_objective=_spread(draws.optimal_objective, level),
        optimal_threshold=Interval.of(feasible, median, level),
        infeasible_share=1.0 - feasible.size / draws.optimal_threshold.size,
        draws=draws,
        incremental_value_per_row=_spread(
            _per_row(draws.incremental_value_at_chosen, draws.rows_drawn), level
        ),
    )


def _difference(
    model: str, baseline: str, other: ModelDraws, base: ModelDraws, level: float, n: int
) -> Difference:
    draws = {
        "optimal_objective": other.optimal_objective - base.optimal_objective,
        "value_at_chosen": other.value_at_chosen - base.value_at_chosen,
        "auc": other.auc - base.auc,
    }
    return Difference(
        model=model,
        baseline=baseline,
        optimal_objective=_spread(draws["optimal_objective"], level),
        value_at_chosen=_spread(_over_rows(draws["value_at_chosen"], base.rows_drawn, n), level),
        auc=_spread(draws["auc"], level),
        draws=draws,
        value_at_chosen_per_row=_spread(_per_row(draws["value_at_chosen"], base.rows_drawn), level),
    )


def _method(models: Mapping[str, ModelBootstrap], resamples: int, level: float) -> str:
    curves = [
        f"{m.model}: every distinct score ({fmt.count(m.bins)} bins, exact)"
        if m.exact
        else f"{m.model}: {fmt.count(m.bins)} score bins of about equal rows, the chosen "
        "threshold an edge"
        for m in models.values()
    ]
    paired = " with the same row weights for every model" if len(models) > 1 else ""
    return (
        f"Poisson(1) bootstrap, {fmt.count(resamples)} resamples{paired}, each resample's totals "
        "scaled to the table's rows (total x rows / rows drawn); resampled curves at "
        f"the bin edges ({'; '.join(curves)}); {fmt.level(level)} percentile intervals"
    )
