"""A decision-only case: a ``decision:`` section and its currency, without the ROI sections.

A data scientist who only asks "which threshold, and what is it worth" writes::

    currency: EUR
    decision:
      source: scored.parquet
      score: score
      label: churned
      template: churn
      rows_per_year: 780000

and runs ``mlroi decide``. A file with any section of a full business case (``value``, ``costs``,
``goal``...) is read as a full :class:`~mlroi.spec.case.Case` instead, so a full case keeps every
check it has.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import ConfigDict, Field, field_validator, model_validator

from mlroi.checked import Checked
from mlroi.decision.config import DecisionConfig
from mlroi.errors import SpecError
from mlroi.spec.case import Case, Finance, Simulation

__all__ = ["DecisionCase", "is_decision_only", "load_decision_case"]


class DecisionCase(Checked):
    """What ``mlroi decide`` needs: the decision section, the currency, the simulation settings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = Field(None, description="Name of the model or decision.")
    currency: str | None = Field(
        None, description="ISO 4217 code of every amount, e.g. `USD` (or `finance.currency`)."
    )
    finance: Finance | None = Field(None, description="As in a full case; only its currency.")
    decision: DecisionConfig = Field(description="The offline decision analysis.")
    simulation: Simulation = Field(default_factory=Simulation)

    @field_validator("currency")
    @classmethod
    def _iso_code(cls, v: str | None) -> str | None:
        return None if v is None else Finance._iso_code(v)  # the check of finance.currency

    @model_validator(mode="after")
    def _one_currency(self) -> DecisionCase:
        if self.currency is None and self.finance is None:
            raise ValueError("currency: required: the currency of the values, e.g. `currency: USD`")
        if self.finance is not None and self.currency not in (None, self.finance.currency):
            raise ValueError(
                f"currency: {self.currency} differs from finance.currency "
                f"{self.finance.currency}; give one of them"
            )
        return self

    @property
    def money(self) -> str:
        """The currency of the values."""
        if self.currency is not None:
            return self.currency
        assert self.finance is not None
        return self.finance.currency

    @classmethod
    def of(cls, case: Case) -> DecisionCase:
        """The decision part of a full case (which must have a ``decision:`` section)."""
        assert case.decision is not None
        return cls(
            name=case.name,
            finance=case.finance,
            decision=case.decision,
            simulation=case.simulation,
        )


FULL_CASE_KEYS = frozenset(Case.model_fields) - frozenset(DecisionCase.model_fields)
"""Top-level keys only a full case has (``value``, ``costs``, ``goal``...): any of them makes the
file a full case."""


def load_decision_case(path: str | Path) -> DecisionCase:
    """The decision part of a case file: a decision-only case, or a full case with a
    ``decision:`` section.

    Raises:
        SpecError: one line naming the file, line and field (a full case without a
            ``decision:`` section says how to add one).
    """
    from mlroi.spec.case import load_case
    from mlroi.spec.loader import load_model

    p = Path(path)
    if is_decision_only(p):
        return load_model(p, DecisionCase)
    case = load_case(p)
    if case.decision is None:
        raise SpecError(
            f"{p}: no `decision:` section to analyse; add one (see README, "
            "'Offline decision value')"
        )
    return DecisionCase.of(case)


def is_decision_only(path: str | Path) -> bool:
    """Whether the file is meant as a decision-only case: a ``decision:`` section or a
    ``currency:`` (a misspelt section is then named against the decision-only keys), and no
    section only a full case has."""
    from mlroi.spec.yamlfile import peek

    if not isinstance(path, str | os.PathLike):
        return False  # the loader says what it expected
    data = peek(Path(path))  # None when unreadable: the loader reports it, with its line
    if not isinstance(data, dict) or set(data) & FULL_CASE_KEYS:
        return False
    return "decision" in data or "currency" in data
