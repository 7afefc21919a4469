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
from mlroi.decision.result import DecisionResult
from mlroi.experiment.result import ExperimentResult
from mlroi.report.assumptions import table as assumption_table
from mlroi.report.view import Section, Sentence, View
from mlroi.roi.result import RoiResult


def readout(r: ExperimentResult) -> list[str]:
    """How the readout's lifts, intervals and checks were computed."""
    sided = "two-sided" if r.alternative == "two-sided" else f"one-sided ({r.alternative})"
    out = [
        f"Lifts are treatment minus control per unit, with {fmt.level(r.level)} {sided} "
        "confidence intervals: Welch's t for means and ratios (the delta method for ratios), "
        "a normal approximation for proportions.",
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
            f"{r.seed}, {fmt.level(r.level)} intervals)."
        )
    draws = {m.parameters.draws for m in r.models.values() if m.parameters is not None}
    if draws:
        out.append(
            f"Intervals over the uncertain parameters: {fmt.count(max(draws))} Monte Carlo draws."
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
