"""The ``decision:`` section of a case: a scored table, a value model, constraints, uncertainty.

Written in YAML or built in code::

    decision:
      source: {demo: churn/scored}
      score: score
      label: churned
      challenger: score_challenger
      treated: treated                  # randomized offer flag of a past campaign (uplift)
      eligible: tenure_months >= 12
      template: churn
      columns: {clv: clv, discount: discount}
      parameters: {g: {beta: [6, 14]}, contact: 1}
      constraints: [discounts_given <= value_retained]
      rows_per_year: 2400000

The value of each outcome is an expression (see :mod:`mlroi.expr`) over the table's
columns, the name ``label`` (the label column) and the parameters; a ``template`` supplies them
(see :mod:`mlroi.decision.templates`), and ``act`` / ``leave`` / ``metrics`` override it.
"""

from __future__ import annotations

import difflib
import keyword
from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from mlroi import defaults
from mlroi.checked import Checked
from mlroi.decision.templates import TEMPLATES, TemplateName
from mlroi.expr import ExprError, parse
from mlroi.sources.open import Source
from mlroi.spec.quantity import Quantity


class BootstrapSettings(Checked):
    """Uncertainty from the data: a seeded Poisson bootstrap of the rows."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    resamples: int = Field(
        defaults.RESAMPLES,
        ge=0,
        le=defaults.MAX_RESAMPLES,
        description="Bootstrap resamples; 0 turns the bootstrap off.",
    )
    bins: int = Field(
        2048,
        ge=16,
        le=65_536,
        description="Score bins at which each resample's curve is evaluated (plus the chosen "
        "threshold, exactly).",
    )
    max_rows: int = Field(
        20_000_000,
        ge=1,
        description="Largest table bootstrapped (the bootstrap reads every row's score, label "
        "and values into memory); a larger one gets no bootstrap, and the result says why.",
    )


class UpliftSettings(Checked):
    """How the uplift analysis values a past randomized campaign (needs `treated`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: str | None = Field(
        None,
        description="Value of one favourable outcome gained, per row (e.g. `clv`); the "
        "template's by default.",
    )
    cost: str | None = Field(
        None,
        description="Cost of treating one row (e.g. `0.6 * discount + contact`); the "
        "template's by default.",
    )
    favourable: Literal[0, 1] | None = Field(
        None,
        description="The label value the treatment aims for: 0 for churn (stay), 1 for a "
        "response; the template's by default.",
    )
    shares: list[float] = Field(
        default_factory=lambda: [0.1, 0.2, 0.3],
        min_length=1,
        description="Budgets (shares of the rows treated) at which rankings are compared.",
    )

    @field_validator("shares")
    @classmethod
    def _shares_are_shares(cls, v: list[float]) -> list[float]:
        if not all(0 < x <= 1 for x in v):
            raise ValueError("every share must be in (0, 1], e.g. 0.2 for the top 20%")
        return v


class InUse(Checked):
    """Where the team acts today, valued beside the best threshold (``mlroi decide --threshold``
    overrides it)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    threshold: float | None = Field(None, description="Act on `score >= threshold`.")
    top: float | None = Field(
        None, gt=0, le=1, description="Act on the top share of the rows, e.g. 0.1 for 10%."
    )
    budget: float | None = Field(None, ge=0, description="Act on at most this many rows.")

    @model_validator(mode="after")
    def _one(self) -> InUse:
        if sum(v is not None for v in (self.threshold, self.top, self.budget)) != 1:
            raise ValueError(
                "give exactly one of threshold, top and budget, e.g. `{threshold: 0.8}`"
            )
        return self


class DecisionConfig(Checked):
    """What an offline decision analysis reads and how it values each outcome."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: Source = Field(description="The scored table: one row per scored customer or event.")
    score: str = Field(description="Score column; rows with a higher score are acted on first.")
    label: str = Field(description="Binary outcome column: 1 = positive (churned, fraud).")
    challenger: str | None = Field(
        None, description="Score column of a challenger model, compared on the same rows."
    )
    treated: str | None = Field(
        None,
        description="0/1 column flagging rows treated in a past randomized campaign: enables "
        "the uplift analysis, and the value curve then uses the untreated rows only.",
    )
    uplift_score: str | None = Field(
        None, description="Score column of an uplift model, ranked against the risk score."
    )
    eligible: str | None = Field(
        None, description="Condition selecting the eligible rows, e.g. `tenure_months >= 12`."
    )
    lead_time: str | None = Field(
        None,
        description="How far ahead of the outcome the scores were made, e.g. `2 months` "
        "(reported with the result).",
    )
    probabilities: bool = Field(
        True, description="Whether scores are probabilities (checked to lie in [0, 1])."
    )
    template: TemplateName | None = Field(
        None, description="A ready-made value model: churn, fraud or targeting."
    )
    columns: dict[str, str] = Field(
        default_factory=dict,
        description="Map a template's names to the table's columns, e.g. `{clv: ltv}`, or to "
        "an expression over columns and parameters, e.g. `{clv: ltv * 0.3}`.",
    )
    parameters: dict[str, Quantity] = Field(
        default_factory=dict,
        description="Named numbers the expressions use; each may be uncertain "
        "(e.g. `g: {beta: [6, 14]}`).",
    )
    act: str | None = Field(None, description="Per-row value of acting on the row.")
    leave: str | None = Field(None, description="Per-row value of leaving the row alone.")
    metrics: dict[str, str] = Field(
        default_factory=dict,
        description="Business metrics: per-row amounts summed over the rows acted on, usable "
        "in constraints, e.g. `discounts_given: discount`.",
    )
    counts: list[str] = Field(
        default_factory=list,
        description="Business metrics that are counts, not money (e.g. `[big_offers]` for "
        "`big_offers: 1 if discount > 50 else 0`): reported as counts.",
    )
    constraints: list[str] = Field(
        default_factory=list,
        description="Conditions the chosen threshold must meet, over the curve's columns: "
        "`fpr <= 0.005`, `targeted <= 20000`, `discounts_given <= value_retained`.",
    )
    objective: str = Field("value", description="What the chosen threshold maximises.")
    rows_per_year: float | None = Field(
        None,
        gt=0,
        description="Eligible rows the decision is applied to in a year, to state values a "
        "year (e.g. 12 monthly scorings of 200,000 customers).",
    )
    max_groups: int = Field(
        2_000_000,
        ge=1_000,
        description="Most distinct scores for the exact curve; above it the curve is computed "
        "on `bins` score bins with an exact refinement near the optimum.",
    )
    bins: int = Field(
        100_000, ge=100, le=10_000_000, description="Score bins for a very large table."
    )
    in_use: InUse | None = Field(
        None,
        description="The threshold in use (or top share, or budget of rows), valued beside the "
        "best one, e.g. `{threshold: 0.8}`.",
    )
    bootstrap: BootstrapSettings = Field(default_factory=BootstrapSettings)
    uplift: UpliftSettings = Field(default_factory=UpliftSettings)
    parameter_draws: int = Field(
        defaults.PARAMETER_DRAWS,
        ge=100,
        le=1_000_000,
        description="Monte Carlo draws of the uncertain parameters.",
    )

    @model_validator(mode="after")
    def _value_model_complete(self) -> DecisionConfig:
        if self.template is None and self.act is None:
            raise ValueError(
                "act: give the value of acting on a row, or a `template` (churn, fraud, targeting)"
            )
        if self.treated is not None and self.uplift_texts()[0] is None:
            raise ValueError(
                "uplift.value: the uplift analysis of `treated` needs the value of one "
                "favourable outcome gained, e.g. `clv` (or use the churn or targeting template)"
            )
        if self.template is None and self.columns:
            raise ValueError("columns: renames a template's names; give `template` too")
        if self.template is not None:
            names = _template_names(self.template)
            for name in self.columns:
                if name not in names:
                    raise ValueError(
                        f"columns.{name}: the {self.template} template has no name {name!r}"
                        f"{_suggest(name, names)} (its names: {', '.join(sorted(names))})"
                    )
        return self

    @field_validator("act", "leave", "eligible", "objective")
    @classmethod
    def _parses(cls, v: str | None, info: Any) -> str | None:
        if v is not None:
            kind = "condition" if info.field_name == "eligible" else "number"
            _parse_checked(v, "", kind)
        return v

    @field_validator("columns")
    @classmethod
    def _columns_parse(cls, v: dict[str, str]) -> dict[str, str]:
        for name, text in v.items():
            _parse_checked(text, name, "number")
        return v

    @field_validator("metrics")
    @classmethod
    def _metrics_parse(cls, v: dict[str, str]) -> dict[str, str]:
        from mlroi.decision.score_groups import CURVE_COLUMNS

        for name, text in v.items():
            if not name.isidentifier() or keyword.iskeyword(name):
                raise ValueError(f"metrics: {name!r} must be a name like discounts_given")
            if name in CURVE_COLUMNS or name in ("act", "leave"):
                raise ValueError(
                    f"metrics: {name!r} is already a column of the curve; name the metric "
                    "differently"
                )
            _parse_checked(text, name, "number")
        return v

    @field_validator("constraints")
    @classmethod
    def _constraints_parse(cls, v: list[str]) -> list[str]:
        for i, text in enumerate(v):
            _parse_checked(text, f"item {i}", "condition")
        return v

    @model_validator(mode="after")
    def _curve_names_exist(self) -> DecisionConfig:
        """Constraints and the objective read only the curve's columns and the metrics; a
        count is one of the metrics."""
        metrics = self.value_texts()[2]
        for i, name in enumerate(self.counts):
            if name not in metrics:
                raise ValueError(
                    f"counts[{i}]: {name!r} is not a business metric of the decision "
                    f"(its metrics: {', '.join(metrics) or 'none'})"
                )
        from mlroi.decision.score_groups import CURVE_COLUMNS
        from mlroi.expr import bind

        names = [*CURVE_COLUMNS, *self.value_texts()[2]]
        checks = [(f"constraints[{i}]", text) for i, text in enumerate(self.constraints)]
        for where, text in [*checks, ("objective", self.objective)]:
            try:
                bind(parse(text), names, {}, field=where)
            except ExprError as exc:
                raise ValueError(str(exc)) from exc
        return self

    def value_texts(self) -> tuple[str, str, dict[str, str]]:
        """``act``, ``leave`` and the metrics as written: the template's, overridden by the
        case's own."""
        if self.template is None:
            assert self.act is not None
            return self.act, self.leave or "0", dict(self.metrics)
        t = TEMPLATES[self.template]
        return (
            self.act or t.act,
            self.leave or t.leave,
            {**t.metrics, **self.metrics},
        )

    def parameter_values(self, columns: set[str]) -> dict[str, Quantity]:
        """The case's parameters plus the template's defaults for names the table lacks."""
        out: dict[str, Quantity] = {}
        if self.template is not None:
            for name, q in TEMPLATES[self.template].defaults.items():
                if self.columns.get(name, name) not in columns:
                    out[name] = q
        out.update(self.parameters)
        return out

    def uplift_texts(self) -> tuple[str | None, str, Literal[0, 1]]:
        """Value per favourable outcome, cost per treated row and the favourable label."""
        t = TEMPLATES[self.template] if self.template else None
        u = self.uplift
        value = u.value or (t.uplift_value if t else None)
        cost = u.cost or (t.uplift_cost if t else None) or "0"
        favourable = u.favourable if u.favourable is not None else (t.favourable if t else 1)
        return value, cost, favourable

    @property
    def positive(self) -> str:
        """What a positive label is, in words."""
        return TEMPLATES[self.template].positive if self.template else "positive"


def _template_names(template: str) -> set[str]:
    t = TEMPLATES[template]
    names: set[str] = set()
    for text in (t.act, t.leave, *t.metrics.values()):
        names |= parse(text).names()
    return names - {"label"}


def _parse_checked(text: str, field: str, kind: Any) -> None:
    try:
        parse(text, field=field, kind=kind)
    except ExprError as exc:
        raise ValueError(str(exc)) from exc


def _suggest(name: str, known: set[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
