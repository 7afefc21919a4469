"""How a case's figures relate: the period of each, and what each analysis compares against.

A case can show a figure for its horizon (the ROI), one a year (the offline decision) and one
for a past campaign (the uplift analysis). Read side by side they seem to contradict each other
unless the page says over what period each is counted and against what baseline. These
sentences say it, so the report and the demo tell one story.
"""

from __future__ import annotations

import math

from mlroi import formatting as fmt
from mlroi.case_result import CaseResult
from mlroi.report.view import Sentence

YEAR = 12
"""Months in the first-year figure."""


def first_year_value(r: CaseResult) -> float | None:
    """Value of the ROI's point schedule over its first 12 months (None if the horizon is
    shorter)."""
    if r.roi.horizon_months < YEAR:
        return None
    return sum(p.value for p in r.roi.schedule if 1 <= p.month <= YEAR)


def _period(r: CaseResult) -> Sentence:
    roi = r.roi
    c = roi.currency
    text = (
        f"Periods: the ROI's figures are totals over its {roi.horizon_months}-month horizon"
        f" from launch ({fmt.money(roi.total_value.estimate, c)} of value)"
    )
    year = first_year_value(r)
    if year is not None and roi.horizon_months != YEAR:
        text += f"; {fmt.money(year, c)} of it in the first {YEAR} months"
    return Sentence(text + ".")


def _lift_sources(r: CaseResult) -> str:
    used = sorted({x.source for x in r.roi.lifts})
    return "; ".join(used)


def _decision(r: CaseResult) -> Sentence | None:
    d = r.decision
    if d is None:
        return None
    p = d.champion.point
    year = d.per_year(d.champion.incremental_value)
    if p is None or year is None:
        return None
    c = d.currency
    head = (
        f"The offline decision analysis finds no threshold on {d.score} worth more than"
        " acting on nobody:"
        if math.isinf(p["threshold"])
        else f"The offline decision analysis values acting on {d.score} >="
        f" {fmt.threshold(p['threshold'])} against acting on nobody:"
    )
    rows = fmt.count(d.rows_per_year or 0)
    text = f"{head} {fmt.money(year, c)} a year ({rows} scored rows a year)."
    if r.experiment is not None and not any("decision" in x.source for x in r.roi.lifts):
        control = r.experiment.comparisons[0].control if r.experiment.comparisons else "control"
        text += (
            f" The ROI compares with the experiment's control arm ('{control}') instead, using"
            " the lifts the readout measured: when that arm is a system already in place, what"
            " it achieves is in the decision's figure and not in the ROI's. The two use"
            " different value models too, so they are not meant to be equal."
        )
    return Sentence(text)


def _campaign(r: CaseResult) -> Sentence | None:
    d = r.decision
    if d is None or d.uplift is None:
        return None
    u = d.uplift
    shares = u.comparison.shares
    share = shares[len(shares) // 2]
    points = u.comparison.budgets.get(d.score)
    if points is None:
        return None
    net = points[shares.index(share)].net_value
    roi_net = r.roi.net_value.estimate
    c = d.currency
    measured = (
        f"The past randomized campaign in the scored table measured a net value of"
        f" {fmt.money(net.estimate, c)} ({fmt.level(u.comparison.level)} CI"
        f" {fmt.money_range(net.lower, net.upper, c)}) for treating the top {fmt.budget(share)}"
        f" by {d.score}, valuing a treated row at {u.cost}"
    )
    if (net.estimate < 0) == (roi_net < 0):
        return Sentence(measured + f"; the ROI ({_lift_sources(r)}) agrees in sign.")
    return Sentence(
        measured
        + f". The ROI does not use that campaign: its lifts come from {_lift_sources(r)}, which"
        f" measured what the offer gave and kept, and it finds a net value of"
        f" {fmt.money(roi_net, r.roi.currency)}. The two disagree in sign: before relying on"
        " the ROI, check the cost of treating a customer that each assumes (who accepts the"
        " offer, what a contact costs) against the campaign.",
        "warn",
    )


def _observational(r: CaseResult) -> Sentence | None:
    """An ROI whose lift comes from history, not a test: what it rests on, and how far the
    naive comparison was from it."""
    c = r.causal
    if c is None or not any(x.source.startswith("observational") for x in r.roi.lifts):
        return None
    text = (
        f"No randomized test: the lift the ROI values ({fmt.signed(c.effect.estimate)}"
        f" {c.effect_unit}) is the {c.estimator} estimate of an observational design, valid"
        f" only under its {len(c.assumptions)} stated assumptions (see 'Assumptions and"
        " methods')."
    )
    if c.naive is not None and c.effect.estimate != 0:
        ratio = c.naive.estimate / c.effect.estimate
        text += f" The naive comparison on the same data gives {fmt.signed(c.naive.estimate)}"
        if ratio > 1:
            text += (
                f", {fmt.number(ratio, 3)} times as much: it credits the system with what the"
                " units would have done anyway."
            )
        else:
            text += ": the units it reached would have done less than the others without it."
    return Sentence(text, "warn" if c.withheld else "plain")


def sentences(r: CaseResult) -> tuple[Sentence, ...]:
    """What each figure of the case counts, over what period, against what baseline."""
    out = [_period(r)]
    for s in (_decision(r), _campaign(r), _observational(r)):
        if s is not None:
            out.append(s)
    return tuple(out)
