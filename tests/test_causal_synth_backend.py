"""The series request: raw rows summed per unit and period in one query, rows left out counted,
wrong types refused; PostgreSQL and Spark give DuckDB's sums."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from mlroi.backend.causal_synth import series_sums
from mlroi.errors import DataError
from mlroi.sources.open import open_table
from spark_session import SERVERS


def _rows(seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 3000
    return pd.DataFrame(
        {
            "market": rng.choice(["north", "south", "east"], n),
            "ts": pd.Timestamp("2024-05-01")
            + pd.to_timedelta(rng.uniform(0, 30, n), "D").floor("s"),
            "revenue": rng.gamma(2.0, 10.0, n).round(2),
        }
    )


def _sums(table: Any) -> dict[tuple[str, int], float]:
    r = series_sums(table, unit="market", period="ts", outcome="revenue")
    return dict(zip(zip(r.units.tolist(), r.periods.tolist(), strict=True), r.totals, strict=True))


def test_timestamps_are_summed_per_calendar_date() -> None:
    df = _rows()
    got = _sums(open_table(df))
    day = (df.ts.dt.normalize() - pd.Timestamp("1970-01-01")).dt.days
    expected = df.groupby([df.market, day]).revenue.sum()
    assert len(got) == len(expected) == 90
    for (market, d), total in expected.items():
        assert got[(market, int(d))] == pytest.approx(total, abs=1e-9)


def test_integer_periods_are_kept_as_numbers() -> None:
    df = pd.DataFrame({"unit": ["a", "a", "b"], "year": [1989, 1989, 1990], "y": [1.0, 2.0, 4.0]})
    r = series_sums(open_table(df), unit="unit", period="year", outcome="y")
    assert r.kind == "number"
    assert sorted(zip(r.units.tolist(), r.periods.tolist(), r.totals.tolist(), strict=True)) == [
        ("a", 1989, 3.0),
        ("b", 1990, 4.0),
    ]


def test_text_dates_are_refused_with_the_column() -> None:
    df = pd.DataFrame({"unit": ["a"], "day": ["2024-01-01"], "y": [1.0]})
    with pytest.raises(DataError, match=r"date column 'day' holds string"):
        series_sums(open_table(df), unit="unit", period="day", outcome="y")


def test_missing_outcome_column_suggests_the_closest() -> None:
    df = pd.DataFrame({"unit": ["a"], "day": [dt.date(2024, 1, 1)], "revenu": [1.0]})
    with pytest.raises(DataError, match=r"outcome column 'revenue' not found.*'revenu'"):
        series_sums(open_table(df), unit="unit", period="day", outcome="revenue")


def test_infinite_outcome_is_refused(tmp_path: Path) -> None:
    df = pd.DataFrame(
        {"unit": ["a", "a"], "day": [dt.date(2024, 1, 1)] * 2, "y": [1.0, float("inf")]}
    )
    df.to_parquet(tmp_path / "x.parquet")
    with pytest.raises(DataError, match="1 values are NaN or infinite"):
        series_sums(open_table(str(tmp_path / "x.parquet")), unit="unit", period="day", outcome="y")


@pytest.mark.parametrize("engine", SERVERS)
def test_server_sums_equal_duckdb_sums(engine: str, put_on: Callable[[str, str, Any], Any]) -> None:
    df = _rows(seed=3)
    df["ts"] = df.ts.dt.date
    duck = _sums(open_table(df))
    server = _sums(open_table(put_on(engine, "synth_rows", df)))
    assert server.keys() == duck.keys()
    for key, total in duck.items():
        assert server[key] == pytest.approx(total, abs=1e-9)
