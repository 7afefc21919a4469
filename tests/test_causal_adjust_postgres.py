"""PostgreSQL gives the adjustment design's estimates DuckDB gives: every pass is one aggregate
query of sums, so the two engines agree to rounding."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from causal_adjust_data import COVARIATES, users
from mlroi.causal.adjust import analyse_adjustment
from mlroi.sources.open import Source
from mlroi.spec.causal_adjust import AdjustmentConfig

pytestmark = pytest.mark.postgres


def test_postgres_estimates_equal_duckdb_estimates(
    postgres_con: Any, postgres_url: str, tmp_path: Path
) -> None:
    x, t, y = users(1500, 2.0, np.random.default_rng(21))
    frame = pd.DataFrame(x, columns=list(COVARIATES))
    frame = frame.assign(user_id=np.arange(len(t)), exposed=t == 1, minutes=y)
    frame.loc[:4, "searches"] = np.nan
    frame.to_parquet(tmp_path / "users.parquet")
    postgres_con.create_table("adjust_users", obj=frame, overwrite=True)
    config = AdjustmentConfig(
        source={"path": "users.parquet"}, outcome="minutes", covariates=list(COVARIATES)
    )
    duck = analyse_adjustment(config, base=tmp_path)
    pg = analyse_adjustment(config, table=Source(url=postgres_url, table="adjust_users"))
    assert pg.excluded == duck.excluded == {"NULL or non-finite searches": 5}
    for name, iv in duck.estimates.items():
        assert pg.estimates[name].estimate == pytest.approx(iv.estimate, rel=1e-9)
        assert pg.estimates[name].std_error == pytest.approx(iv.std_error, rel=1e-9)
    assert pg.propensity_histogram == duck.propensity_histogram
