"""The recommender scenario's retention window: a panel of the test's users followed for months.

The recommender A/B test reads each user for 14 days. For the long-term view, a panel of the
test's first ``n_panel`` users (both arms, their assignment and first exposure unchanged) is
followed for ``FOLLOW_DAYS`` days after the test started, and each day a user is active is one row
of ``activity`` (``user_id``, ``ts``). The panel's assignments are ``panel``.

How users leave: each user has a daily churn hazard drawn from a Beta distribution (so the
churn rate of a cohort falls over time as the churn-prone users leave, as in real products),
multiplied in the treatment arm by ``1 - lift(t)``, with a novelty effect that fades:
``lift(t) = PLATEAU + (INITIAL - PLATEAU) * exp(-t / SCALE_DAYS)``. While retained, a user is
active on a day with their own probability (engagement); after churning, never again.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from mlroi.demo.recommender import DEFAULT_START

FOLLOW_DAYS = 130
"""Days from the test's start to the end of the panel's observation."""

INITIAL = 0.25
"""Relative cut of the churn hazard by the treatment on the first day (a novelty effect)."""

PLATEAU = 0.08
"""Relative cut of the churn hazard by the treatment in the long run."""

SCALE_DAYS = 14.0
"""Days for the novelty part of the effect to fade by a factor e."""

_HAZARD_A, _HAZARD_B = 1.2, 60.0  # daily churn hazard ~ Beta: mean 2% a day, heterogeneous
_ACTIVE_A, _ACTIVE_B = 2.0, 2.5  # daily activity probability while retained
_DAY_US = 86_400_000_000

OBSERVATION_END = DEFAULT_START + timedelta(days=FOLLOW_DAYS)
"""End of the panel's observation (naive UTC)."""


def write_retention_panel(
    users_path: Path, out: Path, n_panel: int = 50_000, seed: int = 7
) -> dict[str, Path]:
    """Write ``panel.parquet`` and ``activity.parquet`` for the first ``n_panel`` users of the
    recommender's ``users.parquet``.

    Returns:
        Table name -> path written.
    """
    users = pq.read_table(users_path, columns=["user_id", "variant", "first_exposure"])
    users = users.slice(0, min(n_panel, users.num_rows))
    rng = np.random.default_rng([seed, 13])
    n = users.num_rows
    treated = np.asarray(users.column("variant").to_pylist()) != "control"
    exposure_us = users.column("first_exposure").cast(pa.int64()).to_numpy()
    start_us = int(np.datetime64(DEFAULT_START, "us").astype(np.int64))
    end_us = start_us + FOLLOW_DAYS * _DAY_US
    days_followed = ((end_us - exposure_us) // _DAY_US).astype(np.int64)
    hazard = rng.beta(_HAZARD_A, _HAZARD_B, n)
    active_p = rng.beta(_ACTIVE_A, _ACTIVE_B, n)
    horizon = int(days_followed.max()) + 1
    t = np.arange(horizon, dtype=np.float64)
    lift = PLATEAU + (INITIAL - PLATEAU) * np.exp(-t / SCALE_DAYS)
    alive = np.ones(n, dtype=bool)
    uid, day = [], []
    ids = users.column("user_id").to_numpy()
    for d in range(horizon):
        if d > 0:
            h = np.where(treated, hazard * (1.0 - lift[d]), hazard)
            alive &= rng.random(n) >= h
        # day 0 is the exposure visit itself; afterwards, active with the user's probability
        on = alive & (d < days_followed) & ((rng.random(n) < active_p) if d > 0 else True)
        idx = np.nonzero(on)[0]
        uid.append(ids[idx])
        day.append(np.full(idx.size, d, dtype=np.int64))
    u = np.concatenate(uid)
    k = np.concatenate(day)
    pos = np.searchsorted(ids, u)
    offset = rng.integers(0, _DAY_US, u.size) if u.size else np.zeros(0, np.int64)
    ts = exposure_us[pos] + k * _DAY_US + np.where(k == 0, 0, offset)
    ts = np.minimum(ts, end_us - 1)
    order = np.lexsort((ts, u))
    out.mkdir(parents=True, exist_ok=True)
    paths = {"panel": out / "panel.parquet", "activity": out / "activity.parquet"}
    pq.write_table(users, paths["panel"])
    pq.write_table(
        pa.table(
            {
                "user_id": pa.array(u[order], pa.int64()),
                "ts": pa.array(ts[order], pa.timestamp("us")),
            }
        ),
        paths["activity"],
    )
    return paths


__all__ = [
    "FOLLOW_DAYS",
    "INITIAL",
    "OBSERVATION_END",
    "PLATEAU",
    "SCALE_DAYS",
    "write_retention_panel",
]
