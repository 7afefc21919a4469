"""The decision analysis as a view: the chosen thresholds as a table, then the findings in words."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from mlroi.decision.result import DecisionResult, ModelResult
from mlroi.report import format as fmt
from mlroi.report.view import Cell, Column, Section, Sentence, Table, View

_CHECKED_METRICS = ("precision", "recall", "fpr", "f1")
BUDGETS = (0.05, 0.1, 0.2, 0.3)
"""Shares of the rows at which the curve is summarised."""


def _yearly(r: DecisionResult, total: float) -> str:
    year = r.per_year(total)
    return "" if year is None else f" ({fmt.money(year, r.currency)} a year)"


def best_within(m: ModelResult, share: float) -> float:
    """The highest incremental value of a threshold that acts on at most ``share`` of the rows."""
    c = m.curve
    last = int(np.searchsorted(c.share_targeted, share, side="right"))
    return float(np.max(c.incremental_value[:last]))


def model_sentences(r: DecisionResult, m: ModelResult) -> list[str]:
    """The chosen threshold of one model, its value and what limits it."""
    d = m.decision
    cur = r.currency
    level = fmt.share(r.level, 0)
    if d.point is None:
        return [f"{m.column}: no threshold is feasible: {d.reason}."]
    p = d.point
    lines = [
        f"{m.column}: act on scores >= {fmt.threshold(p['threshold'])}: "
        f"{fmt.count(p['targeted'])} of {fmt.count(r.rows)} eligible rows "
        f"({fmt.share(p['share_targeted'])}), worth {fmt.money(p['incremental_value'], cur)} "
        f"over acting on nobody{_yearly(r, p['incremental_value'])}."
    ]
    metrics = ", ".join(f"{k} {fmt.score(p[k])}" for k in _CHECKED_METRICS if not math.isnan(p[k]))
    auc = "" if m.curve.auc is None else f"; AUC {fmt.score(m.curve.auc)}"
    lines.append(f"  At this threshold: {metrics}{auc}.")
    lines.append(
        "  Best within a budget: "
        + ", ".join(
            f"top {fmt.share(share, 0)} {fmt.money(best_within(m, share), cur)}"
            for share in BUDGETS
        )
        + " (the best threshold acting on at most that share of the rows)."
    )
    if m.calibration is not None:
        cal = m.calibration
        hl = (
            "" if cal.hl_p_value is None else f", Hosmer-Lemeshow p = {fmt.p_value(cal.hl_p_value)}"
        )
        lines.append(f"  Calibration of the scores: expected calibration error {cal.ece:.4f}{hl}.")
    extra = [k for k in m.curve.sums if k in p]
    if extra:
        lines.append(
            "  " + ", ".join(f"{k.replace('_', ' ')} {fmt.money(p[k], cur)}" for k in extra) + "."
        )
    boot = m.bootstrap
    if boot is not None:
        data = boot.incremental_value_at_chosen
        q05, _, q95 = boot.optimal_threshold
        lines.append(
            f"  From the data ({r.resamples} bootstrap resamples): value at this threshold "
            f"{fmt.money_range(data.low, data.high, cur)} ({level} interval); the best "
            f"threshold of a resample ranges {fmt.threshold(q05)} to {fmt.threshold(q95)}"
            " (5%-95%)"
            + (
                f"; no threshold is feasible in {fmt.share(boot.infeasible_share)} of them"
                if boot.infeasible_share > 0
                else ""
            )
            + "."
        )
    if m.parameters is not None:
        s = m.parameters
        iv = s.incremental_value
        lines.append(
            f"  Over the uncertain parameters ({fmt.count(s.draws)} draws): value "
            f"{fmt.money_range(iv.low, iv.high, cur)} ({level} interval), "
            f"P(value > 0) = {fmt.probability(s.probability_positive)}; the best threshold ranges "
            f"{fmt.threshold(s.threshold.low)} to {fmt.threshold(s.threshold.high)}."
        )
    if d.given_up:
        lines.append(
            f"  The constraints cost {fmt.money(d.given_up, cur)} against the unconstrained"
            " optimum."
        )
    lines.extend(f"  Binding: {b}." for b in d.binding)
    return lines


def comparison_sentence(r: DecisionResult) -> str | None:
    """ "The challenger's +0.021 AUC is worth $X a year (interval ...)"."""
    c = r.comparison
    ch = r.challenger
    if c is None or ch is None:
        return None
    cur = r.currency
    auc = "" if c.auc is None else f"{fmt.delta(c.auc)} AUC"
    what = f"The challenger's {auc} is worth" if auc else "The challenger is worth"
    total = c.value
    year = r.per_year(total)
    amount = fmt.money(total, cur) + (" on this table" if year is None else "")
    if year is not None:
        amount = f"{fmt.money(year, cur)} a year"
    text = f"{what} {amount} at each model's best threshold"
    if c.interval is not None:
        f = r.year_factor or 1.0
        text += (
            f" ({fmt.share(r.level, 0)} paired-bootstrap interval "
            f"{fmt.money_range(c.interval[0] * f, c.interval[1] * f, cur)}; "
            "challenger better in "
            f"{fmt.resampled_share(c.probability_better or 0.0, r.resamples)})"
        )
    if c.recall is not None:
        text += f"; recall {fmt.delta(c.recall)}"
    return text + "."


def reconciliation(r: DecisionResult) -> list[str]:
    """The value model's figure for a budget beside the past campaign's measured one."""
    u = r.uplift
    if u is None:
        return []
    shares = u.comparison.shares
    share = shares[len(shares) // 2]
    measured = u.comparison.budgets[r.score][shares.index(share)].net_value
    n = u.comparison.n  # every eligible row, treated or not
    assumed = best_within(r.champion, share) / r.rows
    cur = r.currency
    return [
        f"Model vs campaign, per eligible row: the value model says acting on the top "
        f"{fmt.share(share, 0)} by {r.score} is worth up to {fmt.money(assumed, cur)}; the "
        f"randomized campaign measured {fmt.money(measured.estimate / n, cur)} "
        f"({fmt.share(u.comparison.level, 0)} CI "
        f"{fmt.money_range(measured.lower / n, measured.upper / n, cur)}), valuing an outcome "
        f"at {u.value} and a treated row at {u.cost}. Where they disagree, the campaign is the "
        "evidence: check the value model's assumptions (e.g. who accepts the offer) against it."
    ]


def sentences(r: DecisionResult) -> list[str]:
    """The findings in plain sentences, champion first."""
    lines: list[str] = []
    for m in r.models.values():
        lines.extend(model_sentences(r, m))
    compared = comparison_sentence(r)
    if compared:
        lines.append(compared)
    if r.uplift is not None:
        lines.extend(r.uplift.sentences(r.currency))
        lines.extend(reconciliation(r))
    lines.extend(r.notes)
    return lines


def threshold_table(r: DecisionResult) -> Table:
    """Each model's chosen threshold with its metrics and value."""
    right = ("threshold", "targeted", "precision", "recall", "fpr", "value", "AUC")
    columns = (Column("model"), *(Column(col, "right") for col in right))
    rows = []
    for m in r.models.values():
        p: dict[str, Any] = m.point or {}
        rows.append(
            (
                Cell(m.column),
                Cell(fmt.threshold(p["threshold"]) if p else "infeasible"),
                Cell(fmt.count(p["targeted"]) if p else "—"),
                *(
                    Cell(fmt.score(p[k]) if p and not math.isnan(p[k]) else "—")
                    for k in ("precision", "recall", "fpr")
                ),
                Cell(fmt.money(p.get("incremental_value"), r.currency) if p else "—"),
                Cell("—" if m.curve.auc is None else fmt.score(m.curve.auc)),
            )
        )
    return Table(
        f"Decision: act on {r.score} (label {r.label}, {fmt.count(r.rows)} rows)",
        columns,
        tuple(rows),
        centered_title=True,
    )


def decision_view(r: DecisionResult) -> View:
    """The whole decision analysis as a view."""
    return View(
        label=f"Decision analysis of {r.score}",
        sections=(
            Section((threshold_table(r),), "Chosen thresholds"),
            Section(tuple(Sentence(s) for s in sentences(r)), "Findings"),
        ),
    )
