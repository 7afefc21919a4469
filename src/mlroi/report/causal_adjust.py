"""The adjustment design as a view: failed checks first, the headline (or none), the adjusted
estimates next to the naive difference, the sensitivity to an unmeasured confounder in words,
covariate balance, overlap, the assumptions; charts of the propensity per arm and of the
balance before and after weighting."""

from __future__ import annotations

import math

from mlroi import formatting as fmt
from mlroi.causal.adjust import ESTIMATOR_NAMES
from mlroi.causal.adjust_result import AdjustmentResult
from mlroi.report.diagnostics import checks_table
from mlroi.report.view import (
    Axis,
    Cell,
    Chart,
    Column,
    ForestChart,
    ForestRow,
    Histogram,
    Section,
    Sentence,
    Table,
    Tone,
    View,
    interval_tone,
)
from mlroi.stats.interval import Interval

_ESTIMAND = {"att": "effect on the exposed users (ATT)", "ate": "effect on every user (ATE)"}


def _iv(iv: Interval) -> str:
    return fmt.interval(iv)


def headline(r: AdjustmentResult) -> Sentence:
    """The adjusted effect with its interval next to the naive difference, or why none."""
    if r.withheld:
        failed = r.failed_checks[0]
        return Sentence(
            f"No estimate is given: the {failed.name} check failed ({failed.detail}); the"
            " exposed and unexposed users are too different to compare.",
            "alarm",
        )
    rel = "" if r.relative is None else f", {fmt.percent(r.relative.estimate)}"
    naive = "" if r.naive is None else f"; the naive difference is {fmt.signed(r.naive.estimate)}"
    return Sentence(
        f"Exposure changed {r.outcome} by {_iv(r.effect)} {r.effect_unit}{rel}"
        f" ({ESTIMATOR_NAMES[r.estimator]}, {fmt.level(r.level)} interval){naive}.",
        "strong",
    )


def context(r: AdjustmentResult) -> tuple[Sentence, ...]:
    """Design, estimand, users and sources."""
    users = ", ".join(f"{k} {fmt.count(v)}" for k, v in r.units.items())
    lines = [
        Sentence(
            f"Observational comparison adjusted for {', '.join(r.covariates)}: the"
            f" {_ESTIMAND[r.estimand]}" + (f" over {r.period}" if r.period else "") + ".",
            "muted",
        ),
        Sentence(f"Users: {users}.", "muted"),
    ]
    if r.sources:
        lines.append(Sentence(f"Inputs: {'; '.join(r.sources)}.", "muted"))
    return tuple(lines)


def estimates_table(r: AdjustmentResult) -> Table:
    """Every estimator for both estimands, the naive difference first."""
    other = "ate" if r.estimand == "att" else "att"
    cols = (
        Column("estimator"),
        Column(r.estimand.upper(), "right"),
        Column(other.upper(), "right"),
    )
    rows: list[tuple[Cell, ...]] = []
    if r.naive is not None:
        rows.append((Cell("naive difference (unadjusted)"), Cell(_iv(r.naive), "muted"), Cell("")))
    for name in ("regression", "ipw", "aipw"):
        iv = r.estimates[name]
        label = ESTIMATOR_NAMES[name] + (" (headline)" if name == r.estimator else "")
        tone: Tone = "strong" if name == r.estimator and not r.withheld else "plain"
        rows.append(
            (
                Cell(label, tone),
                Cell(
                    "—" if r.withheld else _iv(iv), interval_tone(iv) if not r.withheld else "muted"
                ),
                Cell("—" if r.withheld else _iv(r.other_estimand[name])),
            )
        )
    return Table(
        f"Effect on {r.outcome} ({r.effect_unit}; {fmt.level(r.level)} intervals)",
        cols,
        tuple(rows),
    )


def sensitivity_sentences(r: AdjustmentResult) -> list[Sentence]:
    """How strong an unmeasured confounder would have to be, in words."""
    s = r.sensitivity
    if s is None or r.withheld or not math.isfinite(s.e_value):
        return []
    out = [
        Sentence(
            f"To erase this estimate, an unmeasured confounder would need to be associated with"
            f" both exposure and {r.outcome} by a risk ratio of {fmt.number(s.e_value, 3)} each"
            f" (E-value; {fmt.number(s.e_value_bound, 3)} to bring the interval to no effect),"
            " beyond the covariates adjusted for."
        )
    ]
    if math.isfinite(s.robustness_value):
        out.append(
            Sentence(
                f"In the regression of {r.outcome} on exposure and the covariates, a confounder"
                f" would have to explain {fmt.share(s.robustness_value)} of the residual variance"
                f" of both exposure and {r.outcome} to erase the effect, and"
                f" {fmt.share(s.robustness_value_alpha)} to make it insignificant at"
                f" {fmt.level(r.level)} (robustness values, Cinelli & Hazlett 2020)."
            )
        )
    return out


def balance_table(r: AdjustmentResult) -> Table:
    """Covariate means per arm and standardized mean differences before and after weighting."""
    rows = tuple(
        (
            Cell(b.covariate),
            Cell(fmt.value(b.mean_treated)),
            Cell(fmt.value(b.mean_comparison)),
            Cell(fmt.delta(b.smd_before), "warn" if abs(b.smd_before) > 0.1 else "plain"),
            Cell(fmt.delta(b.smd_after), "warn" if abs(b.smd_after) > 0.1 else "good"),
        )
        for b in r.balance
    )
    return Table(
        "Covariate balance (SMD: difference in means over the pooled SD before weighting)",
        (
            Column("covariate"),
            Column("mean, exposed", "right"),
            Column("mean, unexposed", "right"),
            Column("SMD before", "right"),
            Column("SMD after weighting", "right"),
        ),
        rows,
    )


def overlap_sentence(r: AdjustmentResult) -> Sentence:
    """How many users the trimming left out, per arm."""
    lo, hi = r.trim
    t, c = r.trimmed.get("treated", 0), r.trimmed.get("comparison", 0)
    return Sentence(
        f"Users with a propensity of exposure outside [{fmt.number(lo)}, {fmt.number(hi)}] are"
        f" left out: {fmt.count(t)} exposed and {fmt.count(c)} unexposed; the propensity model"
        f" converged in {r.iterations} passes over the users."
    )


def sections(r: AdjustmentResult) -> tuple[Section, ...]:
    """Diagnostics first, then the estimates, sensitivity, balance, assumptions, inputs."""
    out = [Section((checks_table(r),), "Diagnostics")]
    out.append(Section((estimates_table(r), *sensitivity_sentences(r)), "Estimates"))
    out.append(Section((balance_table(r), overlap_sentence(r)), "Balance and overlap"))
    out.append(Section(tuple(Sentence(f"Assumes {a}.") for a in r.assumptions), "Assumptions"))
    tail: list[Table | Sentence] = []
    if r.excluded:
        tail.append(
            Table(
                "Rows left out",
                (Column("reason"), Column("rows", "right")),
                tuple((Cell(k), Cell(fmt.count(v))) for k, v in r.excluded.items()),
            )
        )
    tail += [Sentence(n, "note") for n in r.notes]
    out.append(Section(tuple(tail), "Inputs"))
    return tuple(out)


def charts(r: AdjustmentResult) -> tuple[Chart, ...]:
    """The propensity histogram per arm, the balance before and after weighting, and the
    estimates next to the naive difference."""
    out: list[Chart] = [
        Histogram(
            f"Propensity of exposure: {who} users",
            tuple(r.bin_edges),
            tuple(float(c) for c in r.propensity_histogram[arm]),
            Axis("estimated propensity of exposure (share)", "share"),
            marker=None,
        )
        for arm, who in (("treated", "exposed"), ("comparison", "unexposed"))
    ]
    rows = []
    for b in r.balance:
        rows.append(ForestRow(f"{b.covariate}: before", b.smd_before, b.smd_before, b.smd_before))
        rows.append(ForestRow(f"{b.covariate}: after", b.smd_after, b.smd_after, b.smd_after))
    out.append(
        ForestChart(
            "Covariate balance before and after weighting",
            tuple(rows),
            Axis("standardized mean difference (exposed minus unexposed)"),
        )
    )
    if not r.withheld:
        est = [("naive difference", r.naive)] if r.naive is not None else []
        est += [(ESTIMATOR_NAMES[n], r.estimates[n]) for n in ("regression", "ipw", "aipw")]
        out.append(
            ForestChart(
                f"Effect on {r.outcome}: naive vs adjusted",
                tuple(ForestRow(k, v.estimate, v.lower, v.upper) for k, v in est if v),
                Axis(f"{r.effect_unit} ({fmt.level(r.level)} intervals)"),
            )
        )
    return tuple(out)


def view(r: AdjustmentResult, *, segments: bool = True) -> View:
    """The adjustment design as a view (``segments`` is for readouts; unused here)."""
    return View(
        label="Observational estimate: adjustment for confounding",
        context=context(r),
        headline=headline(r),
        sections=sections(r),
        charts=charts(r),
    )


def describe(r: AdjustmentResult) -> str:
    """The headline and the findings, one sentence a line."""
    return "\n".join(view(r).sentences())
