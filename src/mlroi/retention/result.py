"""The retention analysis's result: plain, frozen numbers that serialise to JSON."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mlroi.result import Result
from mlroi.retention.holdout import HoldoutPlan
from mlroi.retention.lifetime import LifetimeValue
from mlroi.retention.logrank import LogRank
from mlroi.retention.overtime import CohortLift, OverTime
from mlroi.retention.survival import KaplanMeier
from mlroi.serialize import json_ready
from mlroi.stats.interval import Interval


@dataclass(frozen=True)
class RetentionAt:
    """Retention at one day since exposure: per arm, and each treatment minus control."""

    day: float
    arms: Mapping[str, Interval]
    differences: Mapping[str, Interval]


@dataclass(frozen=True)
class RestrictedMean:
    """Restricted mean survival time (days retained out of the first ``horizon``) per arm."""

    horizon: float
    arms: Mapping[str, Interval]
    differences: Mapping[str, Interval]


@dataclass(frozen=True, repr=False)
class RetentionResult(Result):
    """Everything the retention analysis found.

    Attributes:
        control: the control (holdout) arm; treatments: the other arms, in order.
        level: confidence level of every interval.
        definition: how churn was defined, in words.
        window_days: the longest follow-up; observation_end: its end (UTC).
        curves: the Kaplan-Meier curve per arm.
        at_days: retention at the configured days.
        rmst: restricted mean survival time per arm.
        log_rank: the test of equal curves across arms.
        over_time: per treatment, the lift per week of exposure (``None`` when not asked).
        cohorts: retention at ``retention.cohort_day`` and its lift per cohort of the week of
            first exposure and treatment (``None`` when not asked).
        lifetime: per treatment, lifetime value through retention (``None`` when not asked).
        holdout: the holdout design (``None`` when not asked).
        excluded: rows or users left out, by reason (counts).
        notes: how inputs were read and caveats.
        sources: where the inputs came from.
        currency: of the lifetime value.
    """

    control: str
    treatments: tuple[str, ...]
    level: float
    definition: str
    window_days: int
    observation_end: dt.datetime | None
    curves: Mapping[str, KaplanMeier]
    at_days: tuple[RetentionAt, ...]
    rmst: RestrictedMean
    log_rank: LogRank
    over_time: Mapping[str, OverTime] | None = None
    lifetime: Mapping[str, LifetimeValue] | None = None
    holdout: HoldoutPlan | None = None
    cohorts: tuple[CohortLift, ...] | None = None
    excluded: Mapping[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    currency: str = "USD"

    @property
    def users(self) -> dict[str, int]:
        """Users followed per arm."""
        return {a: int(c.at_risk[0]) if c.at_risk.size else 0 for a, c in self.curves.items()}

    @property
    def exclusions(self) -> tuple[tuple[str, int, str], ...]:
        """``(what, rows, reason)`` for every reason that left rows or users out (the case
        report's data-quality part reads them)."""
        out = []
        for text, n in self.excluded.items():
            if not n:
                continue
            words = text.split(" ")
            cut = 1 if words[0] == "users" else 2  # "users ...", "activity rows ..."
            out.append((" ".join(words[:cut]), n, " ".join(words[cut:])))
        return tuple(out)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "control": self.control,
            "treatments": list(self.treatments),
            "level": self.level,
            "definition": self.definition,
            "unit": "days since first exposure",
            "window_days": self.window_days,
            "observation_end": None
            if self.observation_end is None
            else self.observation_end.isoformat(),
            "users": self.users,
            "curves": {a: c.to_dict() for a, c in self.curves.items()},
            "at_days": json_ready(list(self.at_days)),
            "rmst": json_ready(self.rmst),
            "log_rank": json_ready(self.log_rank.to_dict()),
            "over_time": None
            if self.over_time is None
            else {a: json_ready(o) for a, o in self.over_time.items()},
            "lifetime": None
            if self.lifetime is None
            else {a: v.to_dict() for a, v in self.lifetime.items()},
            "holdout": None if self.holdout is None else self.holdout.to_dict(),
            "cohorts": None
            if self.cohorts is None
            else [{**json_ready(c), "cohort": c.cohort.isoformat()} for c in self.cohorts],
            "excluded": dict(self.excluded),
            "notes": list(self.notes),
            "sources": list(self.sources),
            "currency": self.currency,
        }
        return json_ready(out)  # type: ignore[no-any-return]
