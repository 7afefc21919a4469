"""How large and how long a long-running holdout must be to see a retention difference.

For each candidate duration ``D`` (days), the control retention ``S_c(D)`` comes from a baseline
curve (an observed Kaplan-Meier curve, or a fitted sBG) and the treatment's from a hazard ratio
under proportional hazards, ``S_t(D) = S_c(D) ** hr``. Two designs are given per duration:

* retention at day ``D``: the users needed to detect ``S_t(D) - S_c(D)`` with a two-proportion
  z-test (:func:`mlroi.stats.power.sample_size` with the baseline variance ``S (1 - S)``; without
  censoring, the Greenwood variance of ``S(D)`` is exactly ``S (1 - S) / n``);
* the log-rank test: the churn events needed (Schoenfeld 1981),
  ``events = (z_{1-alpha/2} + z_{power})^2 / (s_c s_t log(hr)^2)``, and the users that produce
  them by day ``D`` (events over the pooled churned share ``1 - (s_c S_c + s_t S_t)``).

References:
    Schoenfeld, D. (1981). The asymptotic properties of nonparametric tests for comparing
    survival distributions. Biometrika 68(1), 316-319.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from mlroi.stats.distributions import normal_ppf
from mlroi.stats.power import Baseline, sample_size


@dataclass(frozen=True)
class HoldoutRow:
    """One candidate duration of a holdout.

    Attributes:
        days: how long each user is followed.
        control_retention, treatment_retention: retention at ``days`` in each arm.
        difference: ``treatment - control``.
        users_retention_test: users (both arms) for the test of retention at ``days``.
        events_log_rank: churn events the log-rank test needs.
        users_log_rank: users whose churns by ``days`` give those events.
    """

    days: float
    control_retention: float
    treatment_retention: float
    difference: float
    users_retention_test: int | None
    events_log_rank: int
    users_log_rank: int | None


@dataclass(frozen=True)
class HoldoutPlan:
    """A holdout's size for each candidate duration."""

    hazard_ratio: float
    holdout_share: float
    alpha: float
    power: float
    rows: tuple[HoldoutRow, ...]

    def shortest(self, users: int) -> HoldoutRow | None:
        """The shortest duration whose log-rank design needs at most ``users`` users."""
        for row in self.rows:
            if row.users_log_rank is not None and row.users_log_rank <= users:
                return row
        return None

    def to_dict(self) -> dict[str, Any]:
        from mlroi.serialize import json_ready

        out: dict[str, Any] = json_ready(self)
        return out


def holdout_plan(
    baseline: Callable[[float], float],
    *,
    hazard_ratio: float,
    days: Sequence[float],
    holdout_share: float = 0.1,
    alpha: float = 0.05,
    power: float = 0.8,
) -> HoldoutPlan:
    """Users needed per duration to detect a hazard ratio ``hazard_ratio`` (treatment vs holdout).

    Args:
        baseline: retention of the holdout (control) at a day, e.g. ``km.at(d).estimate``.
        hazard_ratio: treatment churn hazard over the holdout's; below 1 means better retention.
        days: candidate durations.
        holdout_share: share of users held out (the control arm).
        alpha, power: the tests' level and power.

    Raises:
        ValueError: a hazard ratio of 1 or not positive, or a share outside (0, 1).
    """
    if not (hazard_ratio > 0 and hazard_ratio != 1.0 and math.isfinite(hazard_ratio)):
        raise ValueError(f"hazard_ratio must be positive and not 1, got {hazard_ratio}")
    if not 0.0 < holdout_share < 1.0:
        raise ValueError(f"holdout_share must be in (0, 1), got {holdout_share}")
    s_c, s_t = holdout_share, 1.0 - holdout_share
    z = normal_ppf(1 - alpha / 2) + normal_ppf(power)
    events = math.ceil(z**2 / (s_c * s_t * math.log(hazard_ratio) ** 2))
    rows = []
    for d in days:
        sc = float(baseline(d))
        st = sc**hazard_ratio
        diff = st - sc
        n_ret = None
        if 0.0 < sc < 1.0 and diff != 0.0:
            n_ret = sample_size(
                Baseline.proportion(sc),
                mde=abs(diff),
                relative=False,
                alpha=alpha,
                power=power,
                shares=(s_c, s_t),
            ).n_total
        churned = 1.0 - (s_c * sc + s_t * st)
        n_lr = math.ceil(events / churned) if churned > 0 else None
        rows.append(HoldoutRow(float(d), sc, st, diff, n_ret, events, n_lr))
    return HoldoutPlan(hazard_ratio, holdout_share, alpha, power, tuple(rows))
