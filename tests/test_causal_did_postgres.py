"""PostgreSQL gives the difference-in-differences cells DuckDB gives, and so the same result.

Cells: exact equality of units, periods, rows and flags; the mean outcome to 1e-12 relative
(each engine adds the rows of a cell in its own order).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from mlroi.backend.causal_did import did_cells
from mlroi.causal.did import analyse_did
from mlroi.sources.open import Source, open_table
from mlroi.spec.causal_did import DidConfig

pytestmark = pytest.mark.postgres


def _frame(seed: int = 3, units: int = 30) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    weeks = [dt.date(2025, 3, 3) + dt.timedelta(weeks=k) for k in range(6)]
    first = rng.choice([2, 4, -1], units)
    rows = []
    for i in range(units):
        for k, week in enumerate(weeks):
            for _ in range(int(rng.integers(1, 4))):
                on = bool(first[i] >= 0 and k >= first[i])
                y = float(rng.normal(5 + 0.2 * k + 1.5 * on))
                rows.append((f"s{i}", week, y if rng.random() > 0.02 else None, on))
    return pd.DataFrame(rows, columns=["store", "week", "sales", "live"])


def _cells(table: Any) -> Any:
    return did_cells(table, unit="store", period="week", outcome="sales", treated="live")


def test_postgres_cells_and_result_equal_duckdb(
    postgres_con: Any, postgres_url: str, tmp_path: Path
) -> None:
    frame = _frame()
    frame.to_parquet(tmp_path / "panel.parquet")
    postgres_con.create_table("did_panel", obj=frame, overwrite=True)
    duck = _cells(open_table(str(tmp_path / "panel.parquet")))
    pg = _cells(open_table(Source(url=postgres_url, table="did_panel")))

    def order(c: Any) -> np.ndarray:
        return np.lexsort((c.period.astype("datetime64[D]"), c.unit))

    d, p = order(duck), order(pg)
    assert list(duck.unit[d]) == list(pg.unit[p])
    assert (duck.period[d].astype("datetime64[D]") == pg.period[p].astype("datetime64[D]")).all()
    np.testing.assert_array_equal(duck.rows[d], pg.rows[p])
    np.testing.assert_array_equal(duck.high[d], pg.high[p])
    np.testing.assert_allclose(duck.mean[d], pg.mean[p], rtol=1e-12)
    assert duck.excluded == pg.excluded
    config = DidConfig(
        design="did",
        source={"url": postgres_url, "table": "did_panel"},
        unit="store",
        period="week",
        outcome="sales",
        treated="live",
    )
    on_pg = analyse_did(config)
    on_duck = analyse_did(config, table=str(tmp_path / "panel.parquet"))
    assert on_pg.effect.estimate == pytest.approx(on_duck.effect.estimate, rel=1e-10)
    assert on_pg.effect.std_error == pytest.approx(on_duck.effect.std_error, rel=1e-10)
