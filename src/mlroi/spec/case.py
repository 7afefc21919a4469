"""The business case: one YAML file that holds everything an ROI analysis needs.

Sections: what the system is for (name, goal, intervention, population, primary metric, model
metrics, constraints), where the lift comes from (``experiment:``, the readout configuration),
how lift becomes money (``value:``), what it costs (``costs:``, ``rate_card:``) and the finance
settings (``finance:``: currency, horizon, discount rate) and ``simulation:`` (draws, seed, level).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ConfigDict, Field, field_validator, model_validator

from mlroi import defaults
from mlroi.attribution.config import AttributionConfig
from mlroi.checked import Checked
from mlroi.costs.items import CostItem
from mlroi.costs.ratecard import RateCardOverride
from mlroi.decision.config import DecisionConfig
from mlroi.errors import SpecError
from mlroi.experiment.config import ExperimentConfig
from mlroi.spec.causal import CausalConfig
from mlroi.spec.retention import RetentionConfig
from mlroi.value.model import (
    AttributionLift,
    CausalLift,
    DecisionLift,
    ExperimentLift,
    ManualLift,
    RetentionLift,
    ValueModel,
    months_per,
)

_WORDS_ONLY = (
    "not applied here: the case's population and constraints are words, and a rule mlroi runs "
    "goes in the section that runs it"
)
"""The one rule for the case's top level: it describes, and the analyses compute. A condition
written there would be validated and never applied, so the loader refuses it and says where it
belongs (``decision.eligible``, ``decision.constraints``, ``experiment.guardrails``)."""


class Population(Checked):
    """Who the intervention reaches, in words (the rows an analysis reads are chosen by its own
    section: ``decision.eligible``; an experiment's table holds the units it reached)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = Field(description="In words, e.g. `customers with tenure >= 12 months`.")
    size: int | None = Field(None, ge=0, description="Number of eligible units, if known.")
    lead_time: str | None = Field(
        None, description="How far ahead the model predicts, e.g. `2 months`."
    )
    spend_per_month: float | None = Field(
        None,
        ge=0,
        description="What one member spends a month on average (e.g. revenue per user), if "
        "known: with `size`, a value driver worth over 100x the population's spend is flagged.",
    )

    @model_validator(mode="before")
    @classmethod
    def _no_filter(cls, data: Any) -> Any:
        if isinstance(data, dict) and "filter" in data:
            raise ValueError(
                f"filter: {_WORDS_ONLY}: write it as decision.eligible (`eligible: "
                f"{data['filter']}`) to choose the scored rows; an experiment's table should "
                "hold only the units it reached"
            )
        return data


class Constraint(Checked):
    """Something that must not break, in words; the checks mlroi runs are the experiment's
    guardrails and the decision's constraints."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = Field(description="E.g. `block < 0.5% of legitimate transactions`.")

    @model_validator(mode="before")
    @classmethod
    def _no_metric(cls, data: Any) -> Any:
        if isinstance(data, dict) and "metric" in data:
            raise ValueError(
                f"metric: {_WORDS_ONLY}: check it with experiment.guardrails (`- {{metric: "
                f"{data['metric']}, direction: ..., margin: ...}}`) or decision.constraints "
                "(e.g. `fpr <= 0.005`), and keep the description here"
            )
        return data


class Finance(Checked):
    """Currency, horizon and discounting."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    currency: str = Field(description="ISO 4217 code of every amount, e.g. `USD`.")
    horizon_months: int = Field(
        gt=0, le=120, description="Months of value and cost to count (at most 10 years)."
    )
    discount_rate: float = Field(
        0.10, ge=0, lt=1, description="Annual discount rate for NPV (0.10 = 10% a year)."
    )

    @field_validator("currency")
    @classmethod
    def _iso_code(cls, v: str) -> str:
        if not (len(v) == 3 and v.isascii() and v.isalpha() and v.isupper()):
            raise ValueError(f"expected a 3-letter ISO 4217 code in capitals (e.g. USD), got {v!r}")
        return v


class Simulation(Checked):
    """Monte Carlo settings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    draws: int = Field(defaults.DRAWS, ge=1_000, le=5_000_000, description="Monte Carlo draws.")
    seed: int = Field(
        defaults.SEED,
        ge=0,
        le=defaults.MAX_SEED,
        description="Seed: the same case and seed give the same result.",
    )
    level: float = Field(
        defaults.MONTE_CARLO_LEVEL, gt=0, lt=1, description="Level of the reported intervals."
    )


class Case(Checked):
    """A business case for an ML system, from the lift it causes to its ROI."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="Name of the ML system or case.")
    goal: str = Field(description="The business goal, e.g. `increase revenue per user`.")
    intervention: str = Field(
        description="The action the model drives, e.g. `show 5 recommendations`."
    )
    population: Population
    primary_metric: str = Field(
        description="The business metric the case is about: a metric of the experiment "
        "or a value driver's name."
    )
    model_metrics: dict[str, float] = Field(
        default_factory=dict,
        description="Offline model metrics reported beside the business ones (AUC, recall@k).",
    )
    constraints: list[Constraint] = Field(default_factory=list)
    experiment: ExperimentConfig | None = Field(
        None, description="The A/B test that measures the lift (see `mlroi experiment`)."
    )
    decision: DecisionConfig | None = Field(
        None,
        description="Offline decision analysis of a scored table (see `mlroi decide`).",
    )
    retention: RetentionConfig | None = Field(
        None, description="Retention per arm (`mlroi retention`)."
    )
    attribution: AttributionConfig | None = Field(
        None, description="Revenue attribution from touchpoint and order logs (`mlroi attribute`)."
    )
    causal: CausalConfig | None = Field(
        None,
        description="An effect estimated from observational data when no test exists "
        "(`mlroi causal`): adjustment for intent, difference-in-differences, interrupted "
        "time series or synthetic control.",
    )
    value: ValueModel
    costs: list[CostItem] = Field(min_length=1, description="Every cost of the system.")
    rate_card: RateCardOverride | None = Field(
        None, description="Prices that override the packaged rate card."
    )
    finance: Finance
    simulation: Simulation = Field(default_factory=Simulation)
    accept_failed_checks: str | None = Field(
        None,
        description="Why to give the ROI headline although the experiment fails a check (SRM, "
        "a guardrail) or the observational design a blocking diagnostic (overlap, balance, "
        "pre-trend, pre-period fit), in words the report shows; without it the headline is "
        "withheld.",
        min_length=1,
    )

    @model_validator(mode="after")
    def _references_resolve(self) -> Case:
        names = [m.name for m in self.experiment.metrics] if self.experiment else []
        for i, d in enumerate(self.value.drivers):
            self._period_known(i)
            if isinstance(d.lift, DecisionLift):
                self._decision_lift_resolves(i, d.lift)
            if isinstance(d.lift, RetentionLift):
                _retention_lift_resolves(self.retention, i, d.lift)
            if not isinstance(d.lift, ExperimentLift):
                continue
            where = f"value.drivers[{i}].lift.metric"
            if self.experiment is None:
                raise ValueError(
                    f"{where}: {d.lift.metric!r} needs an `experiment:` section to read the "
                    "lift from (or give the lift by hand: `{estimate: ..., interval: [..]}`)"
                )
            if d.lift.metric not in names:
                raise ValueError(
                    f"{where}: metric {d.lift.metric!r} is not defined by the experiment "
                    f"(its metrics: {', '.join(names)})"
                )
            if d.lift.arm is not None and (
                d.lift.arm == self.experiment.control or d.lift.arm not in self.experiment.arms
            ):
                raise ValueError(
                    f"value.drivers[{i}].lift.arm: {d.lift.arm!r} is not a treatment arm "
                    f"(treatments: {', '.join(self.experiment.treatments)})"
                )
        if self.value.fitted_decay is not None:
            _fitted_decay_resolves(self.retention, self.value)
        drivers = [d.name for d in self.value.drivers]
        if self.primary_metric not in names and self.primary_metric not in drivers:
            known = ", ".join(names + drivers)
            raise ValueError(
                f"primary_metric: {self.primary_metric!r} is neither an experiment metric nor "
                f"a value driver (known: {known})"
            )
        if self.value.start_month > self.finance.horizon_months:
            raise ValueError(
                f"value.start_month: {self.value.start_month} is after the "
                f"{self.finance.horizon_months}-month horizon: nothing would be valued; "
                "lengthen finance.horizon_months or launch earlier"
            )
        self._prices_resolve()
        return self

    def basis_defaults(self) -> dict[int, str]:
        """A basis for drivers that give none and take the value of a decision template
        that says what its value is (fraud: losses avoided, net of friction)."""
        if self.decision is None or self.decision.template != "fraud":
            return {}
        return {
            i: "losses avoided"
            for i, d in enumerate(self.value.drivers)
            if isinstance(d.lift, DecisionLift)
        }

    @property
    def value_label(self) -> str:
        """What the total value is, for labels (see :meth:`ValueModel.label_of`)."""
        return self.value.label_of(self.basis_defaults())

    @property
    def window_days(self) -> float | None:
        """Days the experiment's metrics cover per unit, if the case says."""
        return None if self.experiment is None else self.experiment.window

    def months_per(self, i: int) -> float:
        """How many of driver ``i``'s lift periods make a month (see
        :func:`mlroi.value.model.months_per`)."""
        return months_per(self.value.drivers[i].per, self.window_days)

    def _period_known(self, i: int) -> None:
        d = self.value.drivers[i]
        where = f"value.drivers[{i}].per"
        if d.per is None and isinstance(d.lift, ManualLift):
            raise ValueError(
                f"{where}: a lift entered by hand needs its period: `per: month`, `per: year` "
                "or `per: window` (the experiment's window); mlroi converts it to a month"
            )
        if isinstance(d.lift, CausalLift):
            if self.causal is None:
                raise ValueError(
                    f"value.drivers[{i}].lift.causal: needs a `causal:` section to read the "
                    "effect from"
                )
            if d.per not in ("month", "year"):
                raise ValueError(
                    f"{where}: an observational effect needs its period: `per: month` or "
                    "`per: year` (the span the outcome was measured over per unit)"
                )
        if d.per not in (None, "month") and isinstance(d.lift, AttributionLift):
            raise ValueError(
                f"{where}: an attributed lift is already a month's revenue (the logs' total "
                "over the months they span); drop `per:` or say `per: month`"
            )
        if d.per == "window" and isinstance(d.lift, DecisionLift):
            raise ValueError(
                f"{where}: the decision's value is per eligible row, not per experiment "
                "window; use `per: month` (rows scored each month) or `per: year`"
            )
        if d.per == "window" and self.window_days is None:
            raise ValueError(
                f"{where}: `window` needs the experiment's window in days: set "
                "experiment.window_days (e.g. 14 for a two-week test), or say `month` or `year`"
            )

    def _decision_lift_resolves(self, i: int, lift: DecisionLift) -> None:
        where = f"value.drivers[{i}].lift.decision"
        if self.decision is None:
            raise ValueError(
                f"{where}: needs a `decision:` section to read the value from (or give the "
                "lift by hand: `{estimate: ..., interval: [..]}`)"
            )
        if lift.decision == "challenger" and self.decision.challenger is None:
            raise ValueError(
                f"{where}: `challenger` needs decision.challenger, the challenger's score column"
            )

    def _prices_resolve(self) -> None:
        """Every rate-card name a cost item uses exists, in the case's currency."""
        from mlroi.costs.ratecard import load_rate_card
        from mlroi.costs.schedule import cost_schedule

        try:
            cost_schedule(
                self.costs,
                self.finance.horizon_months,
                load_rate_card(self.rate_card),
                currency=self.finance.currency,
            )
        except SpecError as exc:  # reported by pydantic, with the file and line
            raise ValueError(str(exc)) from exc


def _retention_lift_resolves(section: RetentionConfig | None, i: int, lift: RetentionLift) -> None:
    where = f"value.drivers[{i}].lift"
    if section is None:
        raise ValueError(f"{where}: needs a `retention:` section to read the lift from")
    if lift.retention == "lifetime_value" and section.value is None:
        raise ValueError(f"{where}: `lifetime_value` needs retention.value (revenue per period)")
    if lift.day is not None and lift.day not in section.days:
        raise ValueError(
            f"{where}.day: {lift.day:g} is not among retention.days"
            f" ({', '.join(f'{d:g}' for d in section.days)})"
        )
    if lift.arm is not None and lift.arm == section.control:
        raise ValueError(f"{where}.arm: {lift.arm!r} is the control arm; name a treatment")
    if lift.retention == "plateau" and not section.weekly:
        raise ValueError(f"{where}: `plateau` needs retention.weekly: true")


def _fitted_decay_resolves(section: RetentionConfig | None, value: ValueModel) -> None:
    spec = value.fitted_decay
    assert spec is not None
    where = "value.decay"
    if section is None:
        raise ValueError(
            f"{where}: {{retention: fitted}} needs a `retention:` section to fit the decay to"
            " (or give the decay as a share a year, e.g. 0.2)"
        )
    if not section.weekly:
        raise ValueError(f"{where}: {{retention: fitted}} needs retention.weekly: true")
    if spec.arm is not None and spec.arm == section.control:
        raise ValueError(f"{where}.arm: {spec.arm!r} is the control arm; name a treatment")
    for i, d in enumerate(value.drivers):
        if isinstance(d.lift, RetentionLift) and d.lift.retention == "plateau":
            raise ValueError(
                f"{where}: value.drivers[{i}] values the fitted plateau, the long-run lift"
                " already: following the fitted decay too would fade it twice; give"
                " value.decay: 0"
            )


def load_case(path: str | Path) -> Case:
    """Read and validate a case file; errors name the file, line, field and fix."""
    from mlroi.spec.decision_case import is_decision_only
    from mlroi.spec.loader import load_model

    if is_decision_only(path):
        raise SpecError(
            f"{path}: a decision-only case (a `decision:` section and its currency): run "
            f"`mlroi decide {path}`; for the ROI, add name, goal, intervention, population, "
            "primary_metric, value, costs and finance (see `mlroi init`)"
        )
    return load_model(path, Case)


def json_schema() -> dict[str, Any]:
    """JSON Schema of the case file, for editor completion (``mlroi schema``)."""
    schema = Case.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "mlroi case file"
    return schema
