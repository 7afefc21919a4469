"""The ``postgres_con`` fixture talks to a real PostgreSQL server through ibis."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pytest


@pytest.mark.postgres
def test_sample_moments_match_numpy(postgres_con: Any) -> None:
    rng = np.random.default_rng(20240611)
    x = rng.normal(10.0, 3.0, size=500)
    y = 0.5 * x + rng.normal(0.0, 1.0, size=500)
    con = postgres_con
    t = con.create_table("t", obj=pa.table({"x": x, "y": y}), overwrite=True)
    try:
        expr = t.aggregate(var_x=t.x.var(), cov_xy=t.x.cov(t.y), n=t.count())
        sql = str(con.compile(expr)).lower()
        assert "var_samp" in sql
        assert "covar_samp" in sql

        row = expr.to_pyarrow().to_pylist()[0]
        assert row["n"] == len(x)
        assert row["var_x"] == pytest.approx(np.var(x, ddof=1), rel=1e-9)
        assert row["cov_xy"] == pytest.approx(np.cov(x, y)[0, 1], rel=1e-9)
    finally:
        con.drop_table("t", force=True)
