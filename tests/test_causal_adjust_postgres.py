"""PostgreSQL and Spark give the adjustment design's estimates DuckDB gives: on a server every
pass is one aggregate query of sums, on DuckDB numpy on the rows read into memory, and the two
agree to rounding."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from causal_adjust_data import COVARIATES, users
from mlroi.causal.adjust import analyse_adjustment
from mlroi.spec.causal_adjust import AdjustmentConfig
from spark_session import SERVERS


@pytest.mark.parametrize("engine", SERVERS)
def test_server_estimates_equal_duckdb_estimates(
    engine: str, put_on: Callable[[str, str, Any], Any], tmp_path: Path
) -> None:
    x, t, y = users(1500, 2.0, np.random.default_rng(21))
    frame = pd.DataFrame(x, columns=list(COVARIATES))
    frame = frame.assign(user_id=np.arange(len(t)), exposed=t == 1, minutes=y)
    frame.loc[:4, "searches"] = np.nan
    frame.to_parquet(tmp_path / "users.parquet")
    config = AdjustmentConfig(
        source={"path": "users.parquet"}, outcome="minutes", covariates=list(COVARIATES)
    )
    duck = analyse_adjustment(config, base=tmp_path)
    server = analyse_adjustment(config, table=put_on(engine, "adjust_users", frame))
    assert server.excluded == duck.excluded == {"NULL or non-finite searches": 5}
    for name, iv in duck.estimates.items():
        assert server.estimates[name].estimate == pytest.approx(iv.estimate, rel=1e-9)
        assert server.estimates[name].std_error == pytest.approx(iv.std_error, rel=1e-9)
    assert server.propensity_histogram == duck.propensity_histogram
    assert duck.notes[0].startswith("rows read into memory: ")
    assert server.notes[0].startswith("rows never left the backend: ")
