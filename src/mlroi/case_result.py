"""The result of running a whole case: what it is for, and every analysis it has.

:func:`mlroi.pipeline.run_case` fills it: the experiment readout and the offline decision
analysis when the case has those sections, and the ROI, which uses them. Numbers only; the
report (:mod:`mlroi.report.case`) turns it into the stakeholder page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlroi.result import Result

if TYPE_CHECKING:
    from mlroi.attribution.result import AttributionResult
    from mlroi.causal.result import CausalResult
    from mlroi.decision.result import DecisionResult
    from mlroi.experiment.result import ExperimentResult
    from mlroi.retention.result import RetentionResult
    from mlroi.roi.result import RoiResult

GENERATOR = "mlroi report"
"""Written into every report file, so that mlroi only ever overwrites a report of its own."""


@dataclass(frozen=True, repr=False)
class CaseResult(Result):
    """A case and the results of every analysis it names.

    Attributes:
        name, goal, intervention: what the case says the system is for and does.
        population: who is eligible, as the case describes them.
        primary_metric: the business metric the case is judged on.
        model_metrics: model metrics the case reports beside it (name -> value).
        constraints: what must not break, as the case words it.
        roi: the ROI of the case.
        experiment: the readout of the case's experiment, when it has one.
        decision: the offline decision analysis, when the case has a scored table.
        retention: the retention analysis, when the case has a ``retention:`` section.
        attribution: the attribution analysis, when the case has an ``attribution:`` section.
        causal: the observational estimate, when the case has a ``causal:`` section.
    """

    name: str
    goal: str
    intervention: str
    population: str
    primary_metric: str
    roi: RoiResult
    experiment: ExperimentResult | None = None
    decision: DecisionResult | None = None
    retention: RetentionResult | None = None
    attribution: AttributionResult | None = None
    causal: CausalResult | None = None
    model_metrics: dict[str, float] = field(default_factory=dict)
    constraints: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The case and each analysis' own JSON, under ``roi``, ``experiment`` and ``decision``."""
        return {
            "generator": GENERATOR,
            "case": {
                "name": self.name,
                "goal": self.goal,
                "intervention": self.intervention,
                "population": self.population,
                "primary_metric": self.primary_metric,
                "model_metrics": dict(self.model_metrics),
                "constraints": list(self.constraints),
            },
            "roi": self.roi.to_dict(),
            "experiment": None if self.experiment is None else self.experiment.to_dict(),
            "decision": None if self.decision is None else self.decision.to_dict(),
            "retention": None if self.retention is None else self.retention.to_dict(),
            "attribution": None if self.attribution is None else self.attribution.to_dict(),
            "causal": None if self.causal is None else self.causal.to_dict(),
        }

    def failed_checks(self) -> list[str]:
        """One line per failed check that undermines the headline (SRM, guardrail, infeasible
        constraint, a blocking diagnostic of an observational design), in the order a reader
        must see them."""
        out: list[str] = []
        if self.experiment is not None:
            out += self.experiment.failures()
        if self.causal is not None:
            out += [f"{c.name}: {c.detail}" for c in self.causal.failed_checks if c.blocking]
        if self.decision is not None:
            for model in self.decision.models.values():
                if model.decision.point is None:
                    reason = model.decision.reason or "no threshold meets the constraints"
                    out.append(f"no feasible threshold for {model.column}: {reason}")
        return out
