"""The readout's result: plain, frozen, typed numbers that serialise to JSON."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from mlroi import formatting as fmt
from mlroi.quality import Exclusions
from mlroi.result import Result
from mlroi.stats.interval import Interval
from mlroi.stats.srm import SrmCheck

Status = Literal["ok", "cannot estimate"]


@dataclass(frozen=True)
class Comparison:
    """One metric, one treatment arm against control (overall or within one segment value).

    ``relative`` is ``treatment / control - 1``; it is ``None`` with ``relative_note`` saying why
    when the control value is zero or negative, or when Fieller's interval is unbounded.
    ``relative_method`` says how its interval was computed: ``"delta"`` or ``"fieller"``.
    When ``status`` is ``"cannot estimate"``, ``reason`` says why and the estimates are ``None``.
    """

    metric: str
    kind: str
    arm: str
    control: str
    n_control: int
    n_treatment: int
    status: Status = "ok"
    reason: str | None = None
    control_value: float | None = None
    treatment_value: float | None = None
    absolute: Interval | None = None
    relative: Interval | None = None
    relative_note: str | None = None
    relative_method: str | None = None
    p_value: float | None = None
    df: float | None = None
    p_value_adjusted: float | None = None
    significant: bool | None = None
    cuped_theta: float | None = None
    variance_reduction: float | None = None
    segment: str | None = None
    segment_value: str | None = None


@dataclass(frozen=True)
class GuardrailCheck:
    """A non-inferiority verdict for one guardrail metric and one treatment arm."""

    metric: str
    arm: str
    direction: str
    margin: float
    relative: bool
    status: Literal["pass", "fail", "inconclusive"]
    reason: str


@dataclass(frozen=True, repr=False)
class ExperimentResult(Result):
    """Everything the readout found.

    Attributes:
        control: the control arm.
        arms: arms with their planned share.
        level: confidence level; alternative: sidedness; correction: multiple-testing method.
        srm: the sample-ratio-mismatch check (read it first).
        comparisons: overall comparisons, one per treatment arm and metric.
        segments: the same comparisons within each value of each segment column.
        guardrails: guardrail verdicts.
        notes: caveats the reader must see (caps applied, units dropped, ...).
        relative_interval: the rule for relative lifts' intervals (``auto``, ``delta`` or
            ``fieller``); each comparison's ``relative_method`` says which one it got.
        exclusions: the rows read and the rows left out, with why (an event log's events of
            units never assigned, units never exposed): the report's Data quality table.
        window_days: days each unit's metrics cover (the test window: ``window_days`` of the
            experiment, or its event log's window); ``None`` when the case does not say.
    """

    control: str
    arms: Mapping[str, float]
    level: float
    alternative: str
    correction: str
    srm: SrmCheck
    comparisons: tuple[Comparison, ...]
    segments: tuple[Comparison, ...] = ()
    guardrails: tuple[GuardrailCheck, ...] = ()
    notes: tuple[str, ...] = ()
    relative_interval: str = "auto"
    exclusions: Exclusions = field(default_factory=Exclusions)
    window_days: float | None = None

    def failures(self, fail_on: tuple[str, ...] = ("srm", "guardrail")) -> list[str]:
        """One line per failed check among ``fail_on`` (empty when the readout passes)."""
        out = []
        if "srm" in fail_on and self.srm.mismatch:
            out.append(
                f"sample ratio mismatch: {fmt.p_equals(self.srm.p_value)}"
                f" < {fmt.number(self.srm.threshold)}"
                f" (observed {dict(self.srm.observed)})"
            )
        if "guardrail" in fail_on:
            out += [
                f"guardrail {g.metric} failed for {g.arm}: {g.reason}"
                for g in self.guardrails
                if g.status == "fail"
            ]
        return out

    def comparison(self, metric: str, arm: str | None = None) -> Comparison:
        """The overall comparison of ``metric`` (for ``arm``, default the first treatment)."""
        for c in self.comparisons:
            if c.metric == metric and (arm is None or c.arm == arm):
                return c
        raise KeyError(f"no comparison for metric {metric!r} and arm {arm!r}")
