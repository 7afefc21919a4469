"""The log-rank test of equal retention curves across arms, from per-day counts.

On each day with an event, arm ``j`` expects ``E_j = d * Y_j / Y`` of the ``d`` churns among the
``Y`` users at risk; the statistic compares observed with expected churns summed over days,
``U = O - E``, with the hypergeometric covariance

    V_jj = sum d (Y - d) / (Y - 1) * (Y_j / Y) (1 - Y_j / Y)
    V_jl = -sum d (Y - d) / (Y - 1) * Y_j Y_l / Y^2

and ``U' V^- U`` is chi-square with ``arms - 1`` degrees of freedom under equal curves (Mantel
1966; Klein and Moeschberger 2003, section 7.3). With two arms it is ``(O_1 - E_1)^2 / V_11``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlroi.retention.survival import SurvivalCounts
from mlroi.stats.distributions import chi2_sf


@dataclass(frozen=True)
class LogRank:
    """The log-rank test across arms.

    Attributes:
        statistic: the chi-square statistic.
        df: degrees of freedom (arms - 1).
        p_value: ``P(chi2_df > statistic)``.
        observed: churns observed per arm.
        expected: churns expected per arm under equal curves.
    """

    statistic: float
    df: int
    p_value: float
    observed: Mapping[str, float] = field(default_factory=dict)
    expected: Mapping[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "statistic": self.statistic,
            "df": self.df,
            "p_value": self.p_value,
            "observed": dict(self.observed),
            "expected": dict(self.expected),
        }


def log_rank(arms: Mapping[str, SurvivalCounts]) -> LogRank:
    """The log-rank test of ``arms`` (two or more), from their per-day counts.

    Raises:
        ValueError: fewer than two arms.
    """
    names = list(arms)
    if len(names) < 2:
        raise ValueError("the log-rank test needs at least two arms")
    days = np.unique(np.concatenate([np.asarray(arms[a].day, dtype=float) for a in names]))
    k, m = len(names), days.size
    d = np.zeros((k, m))
    y = np.zeros((k, m))
    for j, a in enumerate(names):
        c = arms[a]
        idx = np.searchsorted(days, np.asarray(c.day, dtype=float))
        d[j, idx] = c.events
        leaving = np.zeros(m)
        leaving[idx] = np.asarray(c.events) + np.asarray(c.censored)
        y[j] = c.n - np.concatenate(([0.0], np.cumsum(leaving)[:-1]))
    d_all, y_all = d.sum(axis=0), y.sum(axis=0)
    use = (d_all > 0) & (y_all > 0)
    d, y, d_all, y_all = d[:, use], y[:, use], d_all[use], y_all[use]
    share = y / y_all
    expected = (share * d_all).sum(axis=1)
    observed = d.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = np.where(y_all > 1, d_all * (y_all - d_all) / (y_all - 1), 0.0)
    cov = np.einsum("t,it,jt->ij", spread, share, share) * -1.0
    cov[np.diag_indices(k)] = (spread * share * (1 - share)).sum(axis=1)
    u = observed - expected
    # drop one arm: the covariance of all arms is singular (the U sum to zero)
    stat = float(u[1:] @ np.linalg.pinv(cov[1:, 1:]) @ u[1:])
    return LogRank(
        statistic=stat,
        df=k - 1,
        p_value=chi2_sf(stat, k - 1),
        observed={a: float(observed[j]) for j, a in enumerate(names)},
        expected={a: float(expected[j]) for j, a in enumerate(names)},
    )
