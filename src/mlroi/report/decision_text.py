"""The decision analysis in words and in a terminal table."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from mlroi.money import money
from mlroi.report.roi_text import probability

if TYPE_CHECKING:
    from rich.console import Console

    from mlroi.decision.result import DecisionResult, ModelResult

_CHECKED_METRICS = ("precision", "recall", "fpr", "f1")
BUDGETS = (0.05, 0.1, 0.2, 0.3)
"""Shares of the rows at which the curve is summarised."""


def percent(x: float, digits: int = 1) -> str:
    """A share as a percentage, e.g. ``18.3%``."""
    return f"{x:.{digits}%}"


def _count(x: float) -> str:
    return f"{x:,.0f}"


def _threshold(x: float) -> str:
    return "+inf" if math.isinf(x) else f"{x:.4g}"


def _range(low: float, high: float, currency: str) -> str:
    return f"{money(low, currency)} to {money(high, currency)}"


def _yearly(r: DecisionResult, total: float) -> str:
    year = r.per_year(total)
    return "" if year is None else f" ({money(year, r.currency)} a year)"


def best_within(m: ModelResult, share: float) -> float:
    """The highest incremental value of a threshold that acts on at most ``share`` of the rows."""
    c = m.curve
    last = int(np.searchsorted(c.share_targeted, share, side="right"))
    return float(np.max(c.incremental_value[:last]))


def share_of_resamples(p: float, resamples: int) -> str:
    """A bootstrap probability, without claiming more than the resamples can say."""
    hits = round(p * resamples)
    if hits in (0, resamples):
        return f"{hits} of {resamples} resamples"
    return percent(p)


def model_sentences(r: DecisionResult, m: ModelResult) -> list[str]:
    """The chosen threshold of one model, its value and what limits it."""
    d = m.decision
    cur = r.currency
    if d.point is None:
        return [f"{m.column}: no threshold is feasible: {d.reason}."]
    p = d.point
    lines = [
        f"{m.column}: act on scores >= {_threshold(p['threshold'])}: "
        f"{_count(p['targeted'])} of {_count(r.rows)} eligible rows "
        f"({percent(p['share_targeted'], 1)}), worth {money(p['incremental_value'], cur)} "
        f"over acting on nobody{_yearly(r, p['incremental_value'])}."
    ]
    metrics = ", ".join(f"{k} {p[k]:.3f}" for k in _CHECKED_METRICS if not math.isnan(p[k]))
    auc = "" if m.curve.auc is None else f"; AUC {m.curve.auc:.3f}"
    lines.append(f"  At this threshold: {metrics}{auc}.")
    lines.append(
        "  Best within a budget: "
        + ", ".join(f"top {share:.0%} {money(best_within(m, share), cur)}" for share in BUDGETS)
        + " (the best threshold acting on at most that share of the rows)."
    )
    if m.calibration is not None:
        cal = m.calibration
        hl = "" if cal.hl_p_value is None else f", Hosmer-Lemeshow p = {cal.hl_p_value:.3g}"
        lines.append(f"  Calibration of the scores: expected calibration error {cal.ece:.4f}{hl}.")
    extra = [k for k in m.curve.sums if k in p]
    if extra:
        lines.append(
            "  " + ", ".join(f"{k.replace('_', ' ')} {money(p[k], cur)}" for k in extra) + "."
        )
    boot = m.bootstrap
    if boot is not None:
        data = boot.incremental_value_at_chosen
        q05, _, q95 = boot.optimal_threshold
        lines.append(
            f"  From the data ({r.resamples} bootstrap resamples): value at this threshold "
            f"{_range(data.low, data.high, cur)} ({percent(r.level, 0)} interval); the best "
            f"threshold of a resample ranges {_threshold(q05)} to {_threshold(q95)} (5%-95%)"
            + (
                f"; no threshold is feasible in {percent(boot.infeasible_share)} of them"
                if boot.infeasible_share > 0
                else ""
            )
            + "."
        )
    if m.parameters is not None:
        s = m.parameters
        iv = s.incremental_value
        lines.append(
            f"  Over the uncertain parameters ({s.draws:,} draws): value "
            f"{_range(iv.low, iv.high, cur)} ({percent(r.level, 0)} interval), "
            f"P(value > 0) = {probability(s.probability_positive)}; the best threshold ranges "
            f"{_threshold(s.threshold.low)} to {_threshold(s.threshold.high)}."
        )
    if d.given_up:
        lines.append(
            f"  The constraints cost {money(d.given_up, cur)} against the unconstrained optimum."
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
    auc = "" if c.auc is None else f"{c.auc:+.3f} AUC"
    what = f"The challenger's {auc} is worth" if auc else "The challenger is worth"
    total = c.value
    year = r.per_year(total)
    amount = money(total, cur) + (" on this table" if year is None else "")
    if year is not None:
        amount = f"{money(year, cur)} a year"
    text = f"{what} {amount} at each model's best threshold"
    if c.interval is not None:
        f = r.year_factor or 1.0
        text += (
            f" ({percent(r.level, 0)} paired-bootstrap interval "
            f"{_range(c.interval[0] * f, c.interval[1] * f, cur)}; "
            "challenger better in "
            f"{share_of_resamples(c.probability_better or 0.0, r.resamples)})"
        )
    if c.recall is not None:
        text += f"; recall {c.recall:+.3f}"
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
        f"{share:.0%} by {r.score} is worth up to {money(assumed, cur)}; the randomized "
        f"campaign measured {money(measured.estimate / n, cur)} "
        f"({percent(u.comparison.level, 0)} CI {money(measured.lower / n, cur)} to "
        f"{money(measured.upper / n, cur)}), valuing an outcome at {u.value} and a treated row "
        f"at {u.cost}. Where they disagree, the campaign is the evidence: check the value "
        "model's assumptions (e.g. who accepts the offer) against it."
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


def render(r: DecisionResult, console: Console) -> None:
    """The chosen thresholds as a table, then the sentences."""
    from rich.table import Table

    table = Table(title=f"Decision: act on {r.score} (label {r.label}, {r.rows:,} rows)")
    for col in ("model", "threshold", "targeted", "precision", "recall", "fpr", "value", "AUC"):
        table.add_column(col, justify="left" if col == "model" else "right")
    for m in r.models.values():
        p: dict[str, Any] = m.point or {}
        table.add_row(
            m.column,
            _threshold(p["threshold"]) if p else "infeasible",
            _count(p["targeted"]) if p else "—",
            *(
                f"{p[k]:.3f}" if p and not math.isnan(p[k]) else "—"
                for k in ("precision", "recall", "fpr")
            ),
            money(p.get("incremental_value"), r.currency) if p else "—",
            "—" if m.curve.auc is None else f"{m.curve.auc:.3f}",
        )
    console.print(table)
    for line in sentences(r):
        console.print(line, highlight=False, soft_wrap=True)
