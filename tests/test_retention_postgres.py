"""PostgreSQL and Spark give the retention counts DuckDB gives, for an activity log and for
cancellations.

Exact equality: the counts are integers, and every time is compared as epoch seconds on both
engines (a ``timestamptz`` column on PostgreSQL, a naive one in Parquet for DuckDB and Spark,
whose session time zone the tests set to UTC).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from mlroi.backend.retention import retention_counts
from mlroi.sources.open import open_table
from spark_session import SERVERS

END = dt.datetime(2026, 5, 1)


def _frames(seed: int = 5, users: int = 1500) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    x = (pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.uniform(0, 100, users), "D")).floor("s")
    cancel = (x + pd.to_timedelta(rng.exponential(30, users), "D")).floor("s")
    asg = pd.DataFrame(
        {
            "user_id": np.arange(users),
            "variant": rng.choice(["control", "treatment"], users),
            "first_exposure": x,
            "churned_at": cancel.where(rng.random(users) < 0.6),
        }
    )
    k = rng.integers(0, 12, users)
    u = np.repeat(np.arange(users), k)
    ts = x[u] + pd.to_timedelta(np.concatenate([np.sort(rng.uniform(0, 120, n)) for n in k]), "D")
    act = pd.DataFrame({"user_id": u, "ts": pd.DatetimeIndex(ts).floor("s")})
    return asg, act


def _counts(asg: Any, log: Any, mode: str, *, cohorts: bool = False) -> Any:
    return retention_counts(
        asg,
        log,
        mode=mode,  # type: ignore[arg-type]
        unit="user_id",
        variant="variant",
        exposure="first_exposure",
        timestamp="ts" if mode == "activity" else "churned_at",
        gap_days=14 if mode == "activity" else 0,
        window_days=60,
        observation_end=END,
        cohorts=cohorts,
    )


@pytest.mark.parametrize("engine", SERVERS)
@pytest.mark.parametrize("mode", ["activity", "churn"])
def test_server_counts_equal_duckdb_counts(
    engine: str, mode: str, put_on: Callable[[str, str, Any], Any], tmp_path: Path
) -> None:
    asg, act = _frames()
    asg.to_parquet(tmp_path / "asg.parquet")
    act.to_parquet(tmp_path / "act.parquet")
    duck_asg = open_table(str(tmp_path / "asg.parquet"))
    duck = _counts(
        duck_asg,
        open_table(str(tmp_path / "act.parquet")) if mode == "activity" else duck_asg,
        mode,
    )
    server_asg = open_table(put_on(engine, "ret_asg", asg))
    server_log = open_table(put_on(engine, "ret_act", act)) if mode == "activity" else server_asg
    server = _counts(server_asg, server_log, mode)
    assert server.rows == duck.rows
    assert server.excluded == duck.excluded


@pytest.mark.parametrize("engine", SERVERS)
@pytest.mark.parametrize("mode", ["activity", "churn"])
def test_server_cohort_counts_equal_duckdb_cohort_counts(
    engine: str, mode: str, put_on: Callable[[str, str, Any], Any], tmp_path: Path
) -> None:
    """The per-cohort counts (week of first exposure, Monday to Sunday UTC) agree exactly: the
    week is computed from epoch days on both engines."""
    asg, act = _frames(seed=9)
    asg.to_parquet(tmp_path / "asg.parquet")
    act.to_parquet(tmp_path / "act.parquet")
    duck_asg = open_table(str(tmp_path / "asg.parquet"))
    duck_log = open_table(str(tmp_path / "act.parquet")) if mode == "activity" else duck_asg
    duck = _counts(duck_asg, duck_log, mode, cohorts=True)
    server_asg = open_table(put_on(engine, "coh_asg", asg))
    server_log = open_table(put_on(engine, "coh_act", act)) if mode == "activity" else server_asg
    server = _counts(server_asg, server_log, mode, cohorts=True)
    assert len(duck.cohort_rows) > 20
    assert sorted(map(tuple, server.cohort_rows)) == sorted(map(tuple, duck.cohort_rows))
