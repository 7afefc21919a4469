"""Offline decision analysis: a scored table and a value model in, the best threshold out.

:func:`decide` runs the whole analysis of a case's ``decision:`` section:

1. one check query (NULL/NaN scores, scores in [0, 1], binary labels, division by zero, NULLs in
   the value columns, distinct scores);
2. per model, one ``GROUP BY score`` query returning rows, positives and the sum of every value
   coefficient per distinct score, so the exact curve of :mod:`mlroi.decision.value_curve` follows
   (with more distinct scores than ``max_groups``: ``GROUP BY`` fine score bins, then an exact
   ``GROUP BY score`` over the bins around the optimum, spliced in);
3. the optimum under the constraints; calibration of the scores;
4. uncertainty: a Poisson bootstrap of the rows (data), Monte Carlo over the uncertain
   parameters, and for a challenger the paired difference;
5. with a randomized treatment flag, the uplift (Qini) analysis.

Rows stay in the backend for 1-3; the bootstrap fetches the per-row score, label and values (up to
``bootstrap.max_rows`` rows; above it there is no bootstrap, and the result says why).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from mlroi import defaults
from mlroi.backend.checks import require_columns
from mlroi.backend.scored import (
    ScoreBins,
    ScoredStats,
    bin_sums,
    check_flag,
    check_scored,
    in_score_ranges,
    score_sums,
    scored_rows,
    untreated,
    where,
)
from mlroi.checked import as_model
from mlroi.decision.assumptions import decision_assumptions
from mlroi.decision.bootstrap import BootstrapResult, bootstrap
from mlroi.decision.bootstrap_rows import BootstrapRows
from mlroi.decision.calibration import calibration
from mlroi.decision.config import DecisionConfig
from mlroi.decision.optimum import Constraint, optimum
from mlroi.decision.polynomial import Monomial, evaluate_monomials, mean
from mlroi.decision.result import (
    ChallengerComparison,
    DecisionResult,
    ModelResult,
    ParameterSpread,
    UpliftResult,
)
from mlroi.decision.score_groups import ScoreGroups
from mlroi.decision.stated import Ask, parameter_spread, point_index, stated_point
from mlroi.decision.templates import TEMPLATES
from mlroi.decision.valuation import BoundValue, bind_value, read
from mlroi.decision.value_curve import ValueCurve, cumulative_value, value_curve
from mlroi.errors import BackendError
from mlroi.expr import Binary, Expr, bind, display, evaluate, parse
from mlroi.spec.quantity import draw
from mlroi.stats.interval import Interval

FloatArray = npt.NDArray[np.float64]
Progress = Callable[[str], None]

REFINE_WINDOW = 2
"""Bins on each side of the binned optimum that the exact refinement re-reads by score."""

MAX_SPREAD_POINTS = 4096
"""Candidate thresholds for the optimum under each parameter draw (thinned evenly)."""


@dataclass(frozen=True, eq=False)
class _Raw:
    """Per-group arrays from the backend: score, n, positives and every coefficient's sum.

    A group is a distinct score, or (on the binned path) a score bin not yet re-read exactly:
    ``key`` is the bin's number for those and -1 for exact groups; ``gain`` is the sum over
    the bin's rows of ``max(act - leave, 0)`` at the expected parameters, the most that acting
    on part of the bin can add.
    """

    score: FloatArray
    n: npt.NDArray[np.int64]
    positives: npt.NDArray[np.int64]
    sums: Mapping[str, FloatArray]
    mean_score: FloatArray
    key: npt.NDArray[np.int64]
    gain: FloatArray

    def take(self, index: npt.NDArray[np.int64]) -> _Raw:
        return _Raw(
            self.score[index],
            self.n[index],
            self.positives[index],
            {k: v[index] for k, v in self.sums.items()},
            self.mean_score[index],
            self.key[index],
            self.gain[index],
        )

    @staticmethod
    def merge(a: _Raw, b: _Raw) -> _Raw:
        """The groups of both, highest score first (bins and their scores never overlap)."""
        score = np.concatenate([a.score, b.score])
        order = np.argsort(-score, kind="stable")
        return _Raw(
            score[order],
            np.concatenate([a.n, b.n])[order],
            np.concatenate([a.positives, b.positives])[order],
            {k: np.concatenate([a.sums[k], b.sums[k]])[order] for k in a.sums},
            np.concatenate([a.mean_score, b.mean_score])[order],
            np.concatenate([a.key, b.key])[order],
            np.concatenate([a.gain, b.gain])[order],
        )

    def groups(self, value: BoundValue) -> ScoreGroups:
        combined = value.combine(self.sums)
        return ScoreGroups(
            score=self.score,
            n=self.n,
            positives=self.positives,
            act=combined.pop("act"),
            leave=combined.pop("leave"),
            sums=combined,
        )


def _raw(got: Mapping[str, Any], value: BoundValue, score_key: str) -> _Raw:
    score = np.asarray(got[score_key], dtype=np.float64)
    binned = "__gain" in got
    return _Raw(
        score=score,
        n=np.asarray(got["n"], dtype=np.int64),
        positives=np.asarray(got["positives"], dtype=np.int64),
        sums={c: np.asarray(got[c], dtype=np.float64) for c in value.sums},
        mean_score=np.asarray(got.get("__mean", score), dtype=np.float64),
        key=np.asarray(got["__key"], dtype=np.int64) if binned else np.full(len(score), -1),
        gain=np.asarray(got["__gain"], dtype=np.float64) if binned else np.zeros(len(score)),
    )


GAIN = "__gain"
"""The name under which the check query bounds a row's gain ``act - leave`` (see :func:`_gain`)."""


def _gain(value: BoundValue) -> Expr:
    """A row's gain from acting, ``act - leave``, at the expected parameters."""
    return Binary("-", value.expected_expr("act"), value.expected_expr("leave"))


TOP_SLACK = 1e-6
"""Relative margin on a bound derived from the check's: the engine evaluated the target's
expression, whose constants are folded, and a coefficient differs from it in the last bits."""


def _tops(value: BoundValue, stats: ScoredStats) -> dict[str, float]:
    """The largest ``|value|`` of a row of each coefficient the curve sums, and of the gain
    (:data:`GAIN`), where the check's bounds on the targets give one: a target of one term
    ``c x E[m]`` bounds ``|c|`` by its own bound over ``|E[m]|``; the gain is bounded by the
    bounds of ``act`` and ``leave`` added."""
    targets = {t: t if t in ("act", "leave") else f"metrics.{t}" for t in value.targets}
    out: dict[str, float] = {}
    for target, key in targets.items():
        terms = [t for t in value.terms if t.target == target]
        expected = abs(value.expected[terms[0].monomial]) if len(terms) == 1 else 0.0
        if key in stats.top and expected > 0:
            out[terms[0].column] = stats.top[key] / expected * (1 + TOP_SLACK)
    if "act" in stats.top and "leave" in stats.top:
        out[GAIN] = (stats.top["act"] + stats.top["leave"]) * (1 + TOP_SLACK)
    return out


def _exact(
    table: Any, column: str, label: str, value: BoundValue, tops: Mapping[str, float]
) -> _Raw:
    return _raw(score_sums(table, column, label, value.sums, tops), value, "__key")


def _binned(
    table: Any, bins: ScoreBins, label: str, value: BoundValue, tops: Mapping[str, float]
) -> _Raw:
    """Groups of equal-width score bins; each labelled by its lowest score, so acting on a bin
    and all above it is exactly "score >= that score"."""
    got = bin_sums(table, bins, label, value.sums, _gain(value), tops, tops.get(GAIN))
    return _raw(got, value, "__min")


def _model(
    table: Any,
    config: DecisionConfig,
    value: BoundValue,
    stats: ScoredStats,
    name: str,
    column: str,
) -> tuple[ModelResult, _Raw]:
    constraints = _constraints(config)
    exact = stats.distinct[column] <= config.max_groups
    tops = _tops(value, stats)
    if exact:
        raw = _exact(table, column, config.label, value, tops)
        method = f"exact: every one of {len(raw.score):,} distinct scores is a threshold"
    else:
        low = 0.0 if config.probabilities else stats.low[column]
        high = 1.0 if config.probabilities else stats.high[column]
        score_bins = ScoreBins(column, low, high, config.bins)
        raw = _binned(table, score_bins, config.label, value, tops)
        bins = len(raw.score)
        raw = _refine(table, score_bins, config, value, raw, tops)
        left = int(np.count_nonzero(raw.key >= 0))
        bounded = config.objective in BOUNDED_OBJECTIVES
        method = (
            f"binned: about {stats.distinct[column]:,} distinct scores, more than max_groups "
            f"({config.max_groups:,}); the curve was read at {bins:,} equal-width score bins, "
            f"then {bins - left:,} of them again at every distinct score: those around the "
            "optimum, those in which a constraint changes"
            + (
                ", and every bin whose rows could add more than the optimum found (so the "
                "optimum is exact)"
                if bounded
                else " (the objective has no bound, so the optimum is exact near the bins re-read)"
            )
            + "; AUC counts ties within a bin as half"
        )
    groups = raw.groups(value)
    curve = value_curve(groups)
    decision = optimum(curve, constraints, config.objective)
    cal = calibration(raw.mean_score, raw.n, raw.positives) if config.probabilities else None
    return (
        ModelResult(
            name=name,
            column=column,
            method=method,
            exact=exact,
            curve=curve,
            decision=decision,
            calibration=cal,
            value_terms=_value_terms(raw, value),
        ),
        raw,
    )


BOUNDED_OBJECTIVES = ("value", "incremental_value")
"""Objectives for which a bin's ``gain`` bounds what its rows can add."""

MAX_REFINEMENTS = 6
"""Rounds of re-reading bins; each round can only shrink the set of bins left to read."""


def _refine(
    table: Any,
    bins: ScoreBins,
    config: DecisionConfig,
    value: BoundValue,
    raw: _Raw,
    tops: Mapping[str, float],
) -> _Raw:
    """Re-read by exact score the bins that could hold the optimum, and splice them in.

    A bin is re-read when it is next to the binned optimum, when a constraint holds on one
    side of it and not on the other (the feasible thresholds may begin inside it), and, for
    the objective ``value``, when the value above it plus its rows' positive gains exceeds the
    best feasible value found: no other bin can hold a better threshold. Repeats until no bin
    qualifies.
    """
    constraints = _constraints(config)
    bounded = config.objective in BOUNDED_OBJECTIVES
    for round_ in range(MAX_REFINEMENTS):
        curve = value_curve(raw.groups(value))
        decision = optimum(curve, constraints, config.objective)
        is_bin = raw.key >= 0
        pick = np.zeros(len(raw.score), dtype=bool)
        if round_ == 0:
            chosen = decision.index if decision.index is not None else 0
            pick[max(0, chosen - 1 - REFINE_WINDOW) : chosen + REFINE_WINDOW] = True
        for holds in _holds(curve, constraints):
            pick |= holds[:-1] != holds[1:]  # group g lies between points g and g + 1
        if bounded and decision.point is not None:
            best = decision.point[config.objective]
            above = curve.value if config.objective == "value" else curve.incremental_value
            pick |= above[:-1] + raw.gain > best + 1e-9 * max(1.0, abs(best))
        pick &= is_bin
        if not pick.any():
            break
        inside = in_score_ranges(table, bins.column, _ranges(raw.score, pick))
        raw = _Raw.merge(
            raw.take(np.flatnonzero(~pick)),
            _exact(inside, bins.column, config.label, value, tops),
        )
    return raw


def _ranges(score: FloatArray, pick: npt.NDArray[np.bool_]) -> list[tuple[float, float | None]]:
    """The score ranges ``[low, high)`` that hold exactly the rows of the picked groups.

    ``score`` is each group's lowest score, highest group first, and a bin's number grows with
    the score (``floor`` of an increasing function), so every row of group ``g`` scores at least
    ``score[g]`` and less than ``score[g - 1]``, and every row in that range belongs to ``g``.
    Runs of picked groups are joined into one range.
    """
    ranges: list[tuple[float, float | None]] = []
    index = np.flatnonzero(pick)
    runs = np.split(index, np.flatnonzero(np.diff(index) > 1) + 1)
    for run in runs:
        top, bottom = int(run[0]), int(run[-1])
        ranges.append((float(score[bottom]), float(score[top - 1]) if top > 0 else None))
    return ranges


def _constraints(config: DecisionConfig) -> list[Constraint]:
    """The constraints, each located at its place in the case."""
    return [
        Constraint.parse(text, field=f"decision.constraints[{i}]")
        for i, text in enumerate(config.constraints)
    ]


def _value_terms(raw: _Raw, value: BoundValue) -> dict[Monomial, FloatArray]:
    """The value curve split by monomial: ``value = sum_m value_terms[m] x E[m]``."""
    out: dict[Monomial, FloatArray] = {}
    # sorted: a set's order follows string hashing, which changes from process to process, and
    # the order terms are added in sets the last bits of every parameter draw's value
    for monomial in sorted({t.monomial for t in value.terms}):
        unit = {m: (1.0 if m == monomial else 0.0) for m in value.expected}
        parts = value.combine(raw.sums, unit)
        out[monomial] = cumulative_value(parts["act"], parts["leave"])
    return out


def _parameter_spread(
    model: ModelResult,
    value: BoundValue,
    draws: Mapping[str, FloatArray],
    level: float,
    objective: str,
    constraints: Sequence[Constraint],
) -> ParameterSpread | None:
    """Value at the chosen threshold, and the best threshold, under each parameter draw."""
    if not value.uncertain or model.decision.index is None:
        return None
    monomials = list(model.value_terms)
    at = evaluate_monomials(monomials, draws)
    m = np.stack([at[k] for k in monomials])  # (terms, draws)
    terms = np.stack([model.value_terms[k] for k in monomials])  # (terms, points)
    chosen = model.decision.index
    base = terms[:, 0] @ m
    values = terms[:, chosen] @ m - base
    everywhere = np.ones(len(model.curve), dtype=bool)
    feasible = np.flatnonzero(
        np.logical_and.reduce([everywhere, *_holds(model.curve, constraints)])
    )
    step = max(1, math.ceil(len(feasible) / MAX_SPREAD_POINTS))
    candidates = np.union1d(feasible[::step], [chosen])
    best = np.empty(m.shape[1], dtype=np.int64)
    goal = bind(parse(objective), list(model.curve.columns), {}, field="decision.objective")
    fixed = {k: v[candidates, None] for k, v in model.curve.columns.items()}
    for start in range(0, m.shape[1], 1024):
        block = terms[:, candidates].T @ m[:, start : start + 1024]  # value per point and draw
        if objective != "value":
            # the objective with the value of each draw; other columns at their expected values
            gained = block - base[start : start + 1024]
            here = {**fixed, "value": block, "incremental_value": gained}
            block = np.broadcast_to(evaluate(goal, here), block.shape)
        best[start : start + 1024] = candidates[np.argmax(block, axis=0)]
    thresholds = model.curve.threshold[best]
    return ParameterSpread(
        draws=int(m.shape[1]),
        incremental_value=Interval.of(values, float(model.curve.incremental_value[chosen]), level),
        probability_positive=float(np.mean(values > 0)),
        threshold=Interval.of(thresholds, float(model.curve.threshold[chosen]), level),
        candidates=len(candidates),
    )


def _holds(curve: ValueCurve, constraints: Sequence[Constraint]) -> list[npt.NDArray[np.bool_]]:
    """Whether each constraint holds, point by point."""
    columns = curve.columns
    return [np.asarray(evaluate(c.expr, columns, field=c.field), dtype=bool) for c in constraints]


def decide(
    config: DecisionConfig,
    *,
    base: Path | None = None,
    seed: int = defaults.SEED,
    level: float = defaults.MONTE_CARLO_LEVEL,
    currency: str = "USD",
    progress: Progress | None = None,
    ask: Ask | None = None,
) -> DecisionResult:
    """Run the offline decision analysis of ``config``.

    Args:
        config: the ``decision:`` section.
        base: folder that relative source paths are resolved against.
        seed: seed of the bootstrap and the parameter draws.
        level: level of every interval.
        currency: ISO code of the values, for labels.
        progress: called with a short description before each step (the CLI's spinner).
        ask: a threshold in use (or a top share, or a budget) to set beside the champion's
            best threshold: the bootstrap reads its value exactly, and the result holds it as
            ``stated`` (see :meth:`DecisionResult.at`); ``config.in_use`` by default.

    Raises:
        SpecError: ``config`` is not a valid configuration, ``seed`` not a whole number from
            0, or ``level`` not between 0 and 1.
        DataError: a column is missing, or the data fails a check (see
            :func:`mlroi.backend.scored.check_scored`).
        ExprError: an expression names an unknown column or parameter, or divides by zero.
    """
    from mlroi.sources.open import open_table, release

    config = as_model(DecisionConfig, config, "config")
    defaults.check_seed(seed)
    defaults.check_level(level)
    say = progress or (lambda _: None)
    if ask is None and config.in_use is not None:
        u = config.in_use
        ask = Ask.one_of(threshold=u.threshold, top=u.top, budget=u.budget)
    say("reading the scored table")
    table = open_table(config.source, base=base)
    try:
        ranges = _footer_ranges(table, config, base)
        return _decide(
            table,
            config,
            seed=seed,
            level=level,
            currency=currency,
            say=say,
            ask=ask,
            ranges=ranges,
        )
    finally:
        release(table)


def _footer_ranges(
    table: Any, config: DecisionConfig, base: Path | None
) -> dict[str, tuple[float, float]]:
    """Exact min and max of the table's numeric columns without NULLs, from Parquet footers
    (none for another source, or when ``eligible`` or ``treated`` select rows: the footers
    describe every row)."""
    from mlroi.sources.facts import table_facts

    if config.eligible is not None or config.treated is not None:
        return {}
    facts = table_facts(table, config.source, base=base, unit=None, columns=list(table.columns))
    return {
        c: bounds for c, bounds in facts.column_bounds.items() if facts.column_nulls.get(c) == 0
    }


def _decide(
    table: Any,
    config: DecisionConfig,
    *,
    seed: int,
    level: float,
    currency: str,
    say: Progress,
    ask: Ask | None,
    ranges: Mapping[str, tuple[float, float]] | None = None,
) -> DecisionResult:
    columns = list(table.columns)
    roles = {"score": config.score, "label": config.label}
    roles.update(
        {
            k: v
            for k, v in (
                ("challenger", config.challenger),
                ("treated", config.treated),
                ("uplift_score", config.uplift_score),
            )
            if v
        }
    )
    require_columns(table, roles.items(), prefix="decision.")
    value = bind_value(config, columns)
    if value.eligible is not None:
        table = where(table, value.eligible)
    population = table
    notes: list[str] = []
    if config.lead_time is not None:
        notes.append(
            f"Scores were made {config.lead_time} ahead of the outcome: the value assumes the "
            "intervention happens within that lead time."
        )
    if config.treated is not None:
        check_flag(table, config.treated)
        table = untreated(table, config.treated)
        notes.append(
            f"The value curve uses the rows not treated in the past campaign ({config.treated} "
            "= 0): their labels show what happens without the intervention."
        )
    models = {"champion": config.score}
    if config.challenger:
        models["challenger"] = config.challenger
    say("checking the scored rows")
    check = functools.partial(
        check_scored,
        table,
        scores=list(models.values()),
        label=config.label,
        exprs={
            (t if t in ("act", "leave") else f"metrics.{t}"): value.expected_expr(t)
            for t in value.targets
        },
        probabilities=config.probabilities,
        field="decision",
    )
    stats = check(ranges=ranges)
    results: dict[str, ModelResult] = {}
    try:
        for name, column in models.items():
            say(f"value curve of {column}")
            results[name], _ = _model(table, config, value, stats, name, column)
    except BackendError:
        if not stats.complete:
            check()  # a NaN the footers could not rule out fails the exact sums: name it
        raise

    rng = np.random.default_rng(seed)
    stated_spread = None
    if value.uncertain:
        say("Monte Carlo over the uncertain parameters")
        draws = {
            k: draw(q, rng, config.parameter_draws) for k, q in sorted(value.uncertain.items())
        }
        results = {
            k: m.with_parameters(
                _parameter_spread(m, value, draws, level, config.objective, _constraints(config))
            )
            for k, m in results.items()
        }
        if ask is not None:
            champion = results["champion"]
            terms = evaluate_monomials(list(champion.value_terms), draws)
            stated_spread = parameter_spread(champion, point_index(champion, ask), terms, level)
    boot = None
    if config.bootstrap.resamples > 0:
        say(f"bootstrap, {config.bootstrap.resamples} resamples")
        also = {}
        if ask is not None:
            at = float(results["champion"].curve.threshold[point_index(results["champion"], ask)])
            also = {"champion": [at]} if math.isfinite(at) else {}
        boot = _bootstrap(table, config, value, stats, results, seed, level, notes, also)
        if boot is not None:
            results = {k: m.with_bootstrap(boot.models.get(k)) for k, m in results.items()}
            notes.append(boot.method)
    comparison = None
    if "challenger" in results:
        comparison = ChallengerComparison.of(results["champion"], results["challenger"], boot)
    uplift = None
    if config.treated is not None:
        say("uplift of the past campaign")
        uplift = _uplift(population, config, value, level)
    stated = None
    if ask is not None:
        stated = dataclasses.replace(
            stated_point(
                results["champion"], ask, level=level, constraints=tuple(config.constraints)
            ),
            parameters=stated_spread,
        )
    return DecisionResult(
        score=config.score,
        label=config.label,
        positive=config.positive,
        template=config.template,
        texts=dict(value.texts),
        parameters=value.describe_parameters(),
        eligible=config.eligible,
        constraints=tuple(config.constraints),
        objective=config.objective,
        rows=stats.rows,
        rows_per_year=config.rows_per_year,
        currency=currency,
        level=level,
        seed=seed,
        models=results,
        comparison=comparison,
        uplift=uplift,
        notes=tuple(notes),
        assumptions=decision_assumptions(config, columns, _names_read(config, value), currency),
        counts=tuple(config.counts),
        stated=stated,
    )


def _names_read(config: DecisionConfig, value: BoundValue) -> set[str]:
    """Every name the value model (and the uplift analysis, with ``treated``) reads."""
    texts = list(value.texts.values())
    if config.treated is not None:
        texts += [t for t in config.uplift_texts()[:2] if isinstance(t, str)]
    names: set[str] = set()
    for text in texts:
        names |= parse(text).names()
    return names


def _bootstrap(
    table: Any,
    config: DecisionConfig,
    value: BoundValue,
    stats: ScoredStats,
    models: Mapping[str, ModelResult],
    seed: int,
    level: float,
    notes: list[str],
    also: Mapping[str, Sequence[float]] | None = None,
) -> BootstrapResult | None:

    settings = config.bootstrap
    if stats.rows > settings.max_rows:
        notes.append(
            f"No bootstrap: the {stats.rows:,} rows exceed bootstrap.max_rows "
            f"({settings.max_rows:,}), and the bootstrap reads every row into memory (about "
            f"{8 * (4 + len(models) + len(value.targets)) * stats.rows / 2**30:.1f} GiB); raise "
            "it if the machine has the memory."
        )
        return None
    got = scored_rows(
        table,
        config.label,
        [m.column for m in models.values()],
        {t: value.expected_expr(t) for t in value.targets},
    )
    rows = BootstrapRows(
        label=got["__label"],
        act=got["__v_act"],
        leave=got["__v_leave"],
        scores={name: got[f"__s{i}"] for i, name in enumerate(models)},
        sums={t: got[f"__v_{t}"] for t in value.targets if t not in ("act", "leave")},
    )
    chosen = {
        name: (m.decision.point or {"threshold": math.inf})["threshold"]
        for name, m in models.items()
    }
    return bootstrap(
        rows,
        chosen,
        constraints=list(config.constraints),
        objective=config.objective,
        resamples=settings.resamples,
        seed=seed,
        level=level,
        bins=settings.bins,
        also=also,
    )


def _uplift(
    table: Any,
    config: DecisionConfig,
    value: BoundValue,
    level: float,
) -> UpliftResult:
    """Rank the past campaign's rows by each score and value treating the top of each."""
    from mlroi.decision.qini import qini_curve
    from mlroi.decision.targeting import compare_targeting, targeting_curve
    from mlroi.decision.uplift import uplift_groups_many

    value_text, cost_text, favourable = config.uplift_texts()
    assert value_text is not None and config.treated is not None  # checked by the config
    columns = list(table.columns)
    at_means = {**value.fixed, **{k: mean(q) for k, q in value.uncertain.items()}}
    sums = {}
    for name, text in (("value", value_text), ("cost", cost_text)):
        where = f"decision.uplift.{name}"
        sums[name] = bind(read(config, text, where), columns, at_means, field=where)
    rankings = [c for c in (config.score, config.challenger, config.uplift_score) if c]
    groups = uplift_groups_many(table, rankings, config.label, config.treated, sums)
    curves = {
        name: targeting_curve(qini_curve(g, favourable=favourable), value="value", cost="cost")
        for name, g in groups.items()
    }
    words = TEMPLATES[config.template].words if config.template else None
    return UpliftResult(
        comparison=compare_targeting(curves, shares=config.uplift.shares, level=level),
        words=words or ("rows", "favourable outcomes", "would have had it anyway"),
        value=display(sums["value"]),
        cost=display(sums["cost"]),
        favourable=favourable,
    )
