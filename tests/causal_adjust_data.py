"""Generated users whose exposure to recommendations is driven by intent (tests' helper).

Intent drives both exposure and the outcome through four observed signals (past sessions,
searches, purchases, tenure), so the naive difference is biased upward; the exposure model is
logistic and the outcome model linear in the signals, so each adjustment estimator is
consistent. The effect of exposure is ``effect`` for every user (ATT = ATE = effect).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

COVARIATES = ("past_sessions", "searches", "purchases", "tenure_days")


def users(
    n: int, effect: float, rng: np.random.Generator
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """(x, t, y): covariates (n x 4), exposure 0/1, outcome (watch minutes)."""
    intent = rng.gamma(2.0, 0.5, n)
    sessions = rng.poisson(2.0 + 4.0 * intent)
    searches = rng.poisson(1.0 + 2.0 * intent)
    purchases = rng.poisson(0.5 * intent)
    tenure = rng.uniform(30.0, 1000.0, n)
    x = np.column_stack([sessions, searches, purchases, tenure]).astype(np.float64)
    eta = -2.5 + 0.2 * sessions + 0.25 * searches + 0.4 * purchases + 0.0008 * tenure
    t = (rng.random(n) < 1.0 / (1.0 + np.exp(-eta))).astype(np.float64)
    y = 10.0 + 2.0 * sessions + 1.5 * searches + 4.0 * purchases + 0.005 * tenure
    y = y + effect * t + rng.normal(0.0, 5.0, n)
    return x, t, y
