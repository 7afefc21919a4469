"""What every observational estimate states: its design, its assumptions, its diagnostics.

A design's result subclasses :class:`CausalResult` and adds its own detail (propensity
histogram, event-study coefficients, counterfactual series). The shared fields are what the
report, the ROI lift source and the CLI read, whatever the design.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from mlroi.result import Result
from mlroi.stats.interval import Interval


@dataclass(frozen=True)
class Check:
    """One diagnostic of a design and its verdict.

    Attributes:
        name: what was checked, e.g. "overlap", "balance after weighting", "pre-trend",
            "placebo in time".
        passed: whether it passed.
        blocking: a failure of this check withholds the headline (as SRM does for a readout).
        value: the statistic compared (share trimmed, largest |SMD|, a p-value, a ratio).
        limit: the bound it was compared with.
        detail: the comparison in a short phrase with its numbers, e.g.
            "largest |SMD| after weighting 0.04 (limit 0.10)".
    """

    name: str
    passed: bool
    blocking: bool
    value: float
    limit: float
    detail: str


@dataclass(frozen=True, repr=False, kw_only=True)
class CausalResult(Result):
    """The fields every design fills.

    Attributes:
        design: "adjustment", "did", "synthetic_control" or "its".
        estimator: the estimator behind ``effect`` ("aipw", "ipw", "regression", "twfe",
            "callaway_santanna", "synthetic_did", "synthetic_control", "its").
        outcome: the outcome column (or metric) the effect is on.
        effect: the headline effect in the outcome's units, at ``level``.
        effect_unit: what one unit of ``effect`` is, e.g. "per exposed user over the window",
            "per market and week", "per day of the post period".
        relative: ``effect`` over the counterfactual mean (``None`` when that mean is not
            positive).
        counterfactual_mean: the outcome's mean without the treatment, for the treated.
        naive: the unadjusted comparison on the same data (the bias the design removes);
            ``None`` when the design has none.
        estimates: every estimator the design ran, by name (``effect`` is one of them).
        checks: the diagnostics, in order; a failed blocking one withholds the headline.
        assumptions: what the estimate rests on, one sentence each ("no unmeasured
            confounding given the covariates", "parallel trends", "no interference").
        units: treated and comparison units analysed, by role.
        period: the period the effect covers, in words ("2024-03-01 to 2024-03-28, 28 days").
        level: confidence level of every interval.
        excluded: rows or units left out, by reason (counts).
        notes: how inputs were read and caveats.
        sources: where the inputs came from.
    """

    design: str
    estimator: str
    outcome: str
    effect: Interval
    effect_unit: str
    relative: Interval | None = None
    counterfactual_mean: float
    naive: Interval | None = None
    estimates: Mapping[str, Interval] = field(default_factory=dict)
    checks: tuple[Check, ...] = ()
    assumptions: tuple[str, ...] = ()
    units: Mapping[str, int] = field(default_factory=dict)
    period: str = ""
    level: float
    excluded: Mapping[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()

    @property
    def failed_checks(self) -> tuple[Check, ...]:
        """The diagnostics that failed, blocking ones first."""
        failed = [c for c in self.checks if not c.passed]
        return tuple(sorted(failed, key=lambda c: not c.blocking))

    @property
    def withheld(self) -> bool:
        """Whether a blocking diagnostic failed (no headline is given then)."""
        return any(c.blocking and not c.passed for c in self.checks)
