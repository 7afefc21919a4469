"""The report's "Assumptions and methods" part: how each figure was computed, in words.

Each analysis the case ran says its statistical conventions: the readout's interval level,
sidedness, multiple-testing correction, sample-ratio test and variance reduction; the decision
analysis' curve method, bootstrap and parameter draws; the ROI's Monte Carlo, its quantile
convention, its cash-flow timing and how each lift is drawn; then every input the decision and
the ROI used, with its unit and source (the "Assumptions used" table). Facts only, from the
results.
"""

from __future__ import annotations

import dataclasses

from mlroi import formatting as fmt
from mlroi.case_result import CaseResult
from mlroi.causal.result import CausalResult
from mlroi.decision.result import DecisionResult
from mlroi.experiment.result import ExperimentResult
from mlroi.report.assumptions import table as assumption_table
from mlroi.report.view import Section, Sentence, View
from mlroi.roi.result import RoiResult
from mlroi.stats.fieller import AUTO_LIMIT


def readout(r: ExperimentResult) -> list[str]:
    """How the readout's lifts, intervals and checks were computed."""
    sided = "two-sided" if r.alternative == "two-sided" else f"one-sided ({r.alternative})"
    out = [
        f"Lifts are treatment minus control per unit, with {fmt.level(r.level)} {sided} "
        "confidence intervals: Welch's t for means and ratios (the delta method for ratios), "
        "a normal approximation for proportions.",
        _relative(r),
        _correction(r.correction),
        f"Sample ratio: Pearson's chi-square test of the units per arm against the planned "
        f"split ({', '.join(f'{a} {fmt.share(s)}' for a, s in r.arms.items())}); a p-value "
        f"below {fmt.number(r.srm.threshold)} fails it.",
    ]
    cuped = sorted({c.metric for c in r.comparisons if c.cuped_theta is not None})
    if cuped:
        out.append(
            "CUPED variance reduction (regression on a pre-period covariate) for: "
            + ", ".join(cuped)
            + "."
        )
    return out


def _relative(r: ExperimentResult) -> str:
    """How the relative lifts' intervals were computed, naming the metrics that used Fieller's."""
    fieller = sorted({c.metric for c in r.comparisons if c.relative_method == "fieller"})
    base = "Relative lifts are treatment / control − 1"
    unbounded = (
        " When the control value is not distinguishable from 0, Fieller's interval is unbounded "
        "and no relative interval is shown."
    )
    if r.relative_interval == "delta":
        return base + ", with the delta method's interval."
    if r.relative_interval == "fieller":
        rule = base + ", with Fieller's interval for a ratio." + unbounded
    else:
        rule = (
            base + ", with the delta method's interval, or Fieller's interval for a ratio where "
            f"the control value's relative standard error exceeds {fmt.share(AUTO_LIMIT, 0)} "
            "(the delta interval under-covers there)." + unbounded
        )
    if fieller:
        rule += " Fieller's interval is used for: " + ", ".join(fieller) + "."
    return rule


_CORRECTIONS = {
    "holm": "Holm's step-down method (family-wise error rate)",
    "bh": "Benjamini-Hochberg's method (false discovery rate)",
}


def _correction(name: str) -> str:
    if name == "none":
        return "p-values are not adjusted for multiple comparisons."
    return f"p-values are adjusted for multiple comparisons by {_CORRECTIONS.get(name, name)}."


def decision(r: DecisionResult) -> list[str]:
    """How the decision analysis' value curve and intervals were computed."""
    out = [f"Value curve of {m.column}: {m.method}." for m in r.models.values()]
    if r.resamples:
        out.append(
            f"Intervals from the data: {fmt.count(r.resamples)} bootstrap resamples (seed "
            f"{r.seed}, {fmt.level(r.level)} intervals); each resample's totals are scaled to "
            "the table's rows (total x rows / rows drawn), so a value's interval is that of a "
            "sum over a known number of rows, as is its value a year."
        )
    draws = {m.parameters.draws for m in r.models.values() if m.parameters is not None}
    if draws:
        out.append(
            f"Intervals over the uncertain parameters: {fmt.count(max(draws))} Monte Carlo draws."
        )
    if r.stated is not None:
        out.append(
            f"The threshold in use ({r.stated.ask.words(r.rows)}) is valued on the same curve, "
            "resamples and draws as the best threshold; their difference is paired, resample by "
            "resample and draw by draw, with both thresholds fixed."
        )
    return out


def roi(r: RoiResult) -> list[str]:
    """How the ROI's figures, intervals and probabilities were computed."""
    if r.uncertain:
        out = [
            f"Monte Carlo over every uncertain input: {fmt.count(r.draws)} independent draws "
            f"(seed {r.seed}); intervals are the central {fmt.level(r.level)} of the draws "
            "(inverted empirical CDF, no interpolation); probabilities are shares of draws.",
        ]
    else:
        out = ["Every input is a single value: the figures are exact, with no interval."]
    out.append(f"Cash flows: {r.timing}.")
    out += [f"Lift of {x.driver}: {x.distribution}, from {x.source}." for x in r.lifts]
    f = r.effect_shape
    if f is not None:
        out.append(
            f"The effect over the horizon follows the decay fitted to {f.arm}'s lift in weekly"
            f" retention over {fmt.count(f.weeks)} weeks of exposure, from"
            f" {fmt.points(f.initial)} in week 1 to a plateau of {fmt.points(f.plateau)}"
            f" (half-life {fmt.number(f.half_life, 3)} weeks); each driver's lift is read as"
            f" the curve's mean over weeks 1-{f.lift_weeks}, and month t after launch as the weeks"
            " a user's exposure has lasted by then. Its initial lift, plateau and log scale"
            " are drawn jointly from the fit's covariance, independently of the lifts (which"
            " may rest on the same users)."
        )
    if any("Student's t" in x.distribution for x in r.lifts):
        out.append(
            "A lift from the readout is drawn from Student's t on the readout's degrees of "
            "freedom, the distribution its interval was read with (a normal from 1,000 df on)."
        )
    return out


def causal(r: CausalResult) -> list[str]:
    """How the observational estimate was made and what it rests on."""
    out = [
        f"No randomized test: the effect on {r.outcome} is estimated from observational data "
        f"by the {r.design} design ({r.estimator}), {r.effect_unit}"
        + (f", over {r.period}" if r.period else "")
        + "."
    ]
    out += [f"Assumption: {a}" for a in r.assumptions]
    return out


def view(r: CaseResult) -> View:
    """The "Assumptions and methods" part of a case report."""
    sections = []
    if r.experiment is not None:
        sections.append(Section(tuple(Sentence(s) for s in readout(r.experiment)), "Readout"))
    if r.decision is not None:
        sections.append(
            Section(tuple(Sentence(s) for s in decision(r.decision)), "Decision analysis")
        )
    if r.retention is not None:
        from mlroi.report.retention import methods as retention_methods

        text = retention_methods(r.retention)
        sections.append(Section(tuple(Sentence(s) for s in text), "Retention"))
    if r.causal is not None:
        sections.append(
            Section(tuple(Sentence(s) for s in causal(r.causal)), "Observational estimate")
        )
    sections.append(Section(tuple(Sentence(s) for s in roi(r.roi)), "Return on investment"))
    used = list(r.roi.assumptions)
    if r.decision is not None and not any(a.name.startswith("decision.") for a in used):
        # a decision the ROI does not take its value from: its inputs, named as in the ROI's
        used[:0] = [
            dataclasses.replace(a, name=f"decision.{a.name}") for a in r.decision.assumptions
        ]
    if used:
        sections.append(
            Section(
                (assumption_table(used, r.roi.currency, "Every input the figures rest on"),),
                "Assumptions used",
            )
        )
    return View(label="Assumptions and methods", sections=tuple(sections))
