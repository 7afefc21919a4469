"""PostgreSQL and Spark give the difference-in-differences cells DuckDB gives, and so the same
result.

Cells: exact equality of units, periods, rows and flags; the mean outcome to 1e-12 relative
(each engine adds the rows of a cell in its own order).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from mlroi.backend.causal_did import did_cells
from mlroi.causal.did import analyse_did
from mlroi.sources.open import open_table
from mlroi.spec.causal_did import DidConfig
from spark_session import SERVERS


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


@pytest.mark.parametrize("engine", SERVERS)
def test_server_cells_and_result_equal_duckdb(
    engine: str, put_on: Callable[[str, str, Any], Any], tmp_path: Path
) -> None:
    frame = _frame()
    frame.to_parquet(tmp_path / "panel.parquet")
    source = put_on(engine, "did_panel", frame)
    duck = _cells(open_table(str(tmp_path / "panel.parquet")))
    server = _cells(open_table(source))

    def order(c: Any) -> np.ndarray:
        return np.lexsort((c.period.astype("datetime64[D]"), c.unit))

    d, p = order(duck), order(server)
    assert list(duck.unit[d]) == list(server.unit[p])
    assert (
        duck.period[d].astype("datetime64[D]") == server.period[p].astype("datetime64[D]")
    ).all()
    np.testing.assert_array_equal(duck.rows[d], server.rows[p])
    np.testing.assert_array_equal(duck.high[d], server.high[p])
    np.testing.assert_allclose(duck.mean[d], server.mean[p], rtol=1e-12)
    assert duck.excluded == server.excluded
    config = DidConfig(
        design="did",
        source=source,
        unit="store",
        period="week",
        outcome="sales",
        treated="live",
    )
    on_server = analyse_did(config)
    on_duck = analyse_did(config, table=str(tmp_path / "panel.parquet"))
    assert on_server.effect.estimate == pytest.approx(on_duck.effect.estimate, rel=1e-10)
    assert on_server.effect.std_error == pytest.approx(on_duck.effect.std_error, rel=1e-10)
