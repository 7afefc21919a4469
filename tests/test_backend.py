"""The backend layer: one executor, one capability table, shared checks."""

from __future__ import annotations

import dataclasses

import ibis
import pyarrow as pa
import pytest

from mlroi.backend import capabilities as caps
from mlroi.backend.checks import binary, missing_column, require_columns
from mlroi.backend.columns import NARROW_TOP, exact_sum
from mlroi.backend.execute import fetch_one, fetch_rows
from mlroi.errors import BackendError, DataError
from mlroi.experiment.config import ExperimentConfig
from mlroi.experiment.readout import readout
from mlroi.metrics import Mean


def users(n: int = 200) -> pa.Table:
    return pa.table(
        {
            "user_id": list(range(n)),
            "variant": ["control" if i % 2 else "treatment" for i in range(n)],
            "revenue": [float(i % 7) for i in range(n)],
        }
    )


def config(**metric: object) -> ExperimentConfig:
    return ExperimentConfig(
        control="control",
        arms={"control": 1, "treatment": 1},
        metrics=[Mean(name="revenue", column="revenue", **metric)],  # type: ignore[arg-type]
    )


@pytest.fixture
def duckdb_without(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Pretend DuckDB lacks some capabilities, as another engine would."""

    def without(**missing: bool) -> None:
        row = dataclasses.replace(caps.ENGINES["duckdb"], **missing)
        monkeypatch.setitem(caps.ENGINES, "duckdb", row)

    return without


def test_a_driver_error_is_one_backend_error_naming_the_query() -> None:
    t = ibis.memtable(pa.table({"x": ["a", "b"]}))
    with pytest.raises(BackendError, match=r"^the backend could not run the test query: "):
        fetch_rows(t.aggregate(s=t.x.cast("int64").sum()), "the test query")


def test_native_and_arrow_fetches_give_the_same_rows(duckdb_without) -> None:  # type: ignore[no-untyped-def]
    t = ibis.memtable(pa.table({"x": [1.5, 2.5]}))
    native = fetch_one(t.aggregate(s=t.x.sum(), n=t.count()), "a sum")
    duckdb_without(native_fetch=False)
    assert fetch_one(t.aggregate(s=t.x.sum(), n=t.count()), "a sum") == native == {"s": 4.0, "n": 2}


def test_an_engine_without_exact_decimal_sums_adds_doubles(duckdb_without) -> None:  # type: ignore[no-untyped-def]
    t = ibis.memtable(pa.table({"x": [0.1, 0.2, 0.3]}))
    exact = fetch_one(t.aggregate(s=exact_sum(t.x)), "a sum")["s"]
    duckdb_without(exact_decimal_sum=False)
    plain = fetch_one(t.aggregate(s=exact_sum(t.x)), "a sum")["s"]
    assert exact == pytest.approx(0.6, rel=1e-15) and plain == pytest.approx(0.6, rel=1e-15)


def test_a_narrow_exact_sum_is_the_wide_exact_sum_to_the_last_bit(duckdb_without) -> None:  # type: ignore[no-untyped-def]
    # each row rounded to the same 10 decimals, whether cast to DECIMAL(18, 10) or (38, 10)
    import numpy as np

    x = np.random.default_rng(3).normal(0.0, 1e6, 20_000)
    x[:3] = [NARROW_TOP, -NARROW_TOP, 5e-11]
    t = ibis.memtable(pa.table({"x": x}))
    narrow = exact_sum(t.x, float(np.abs(x).max()))
    assert "DECIMAL(18, 10)" in ibis.to_sql(t.aggregate(s=narrow))
    got = fetch_one(t.aggregate(s=narrow), "a sum")["s"]
    duckdb_without(narrow_decimal_sum=False)
    assert "DECIMAL(38, 10)" in ibis.to_sql(t.aggregate(s=exact_sum(t.x, float(np.abs(x).max()))))
    assert got == fetch_one(t.aggregate(s=exact_sum(t.x)), "a sum")["s"]


def test_a_row_beyond_the_narrow_range_is_summed_in_the_wide_type() -> None:
    t = ibis.memtable(pa.table({"x": [3e8, -1.5, 2.25]}))
    assert fetch_one(t.aggregate(s=exact_sum(t.x, 3e8)), "a sum")["s"] == 3e8 + 0.75


def test_an_engine_without_a_bitmap_count_counts_distinct_units_the_same(duckdb_without) -> None:  # type: ignore[no-untyped-def]
    with_bitmap = readout(users(), config()).to_dict()
    duckdb_without(bitmap_distinct=False)
    assert readout(users(), config()).to_dict() == with_bitmap


def test_a_cap_on_an_engine_without_quantiles_is_refused_in_one_line(duckdb_without) -> None:  # type: ignore[no-untyped-def]
    duckdb_without(quantiles=False)
    with pytest.raises(DataError, match=r"computes no exact quantiles, which `cap` needs"):
        readout(users(), config(cap=0.99))


@pytest.mark.parametrize(
    ("values", "want"),
    [
        ([0, 1, 1], [0, 1, 1]),
        ([False, True, None], [0, 1, None]),
        (["yes", " No ", "TRUE"], [1, 0, 1]),
        (["y", "f", "maybe"], [1, 0, None]),
    ],
)
def test_binary_reads_numbers_booleans_and_words(values: list[object], want: list[object]) -> None:
    t = ibis.memtable(pa.table({"i": range(len(values)), "flag": values}))
    got = fetch_rows(t.select("i", v=binary(t.flag)).order_by("i"), "flags")
    assert [r["v"] for r in got] == want


def test_a_missing_column_has_one_message_with_a_suggestion() -> None:
    t = ibis.memtable(pa.table({"revenue": [1.0], "orders": [1]}))
    expected = missing_column("metric column", "revenu", ["revenue", "orders"])
    assert expected == (
        "metric column 'revenu' not found (did you mean 'revenue'?); the table has"
        " [revenue, orders]: fix the name in the configuration or in the source"
    )
    with pytest.raises(DataError) as caught:
        require_columns(t, [("metric column", "revenu")])
    assert str(caught.value) == expected


def test_dense_score_bins_give_the_hash_table_sums_and_restore_the_setting(duckdb_without) -> None:  # type: ignore[no-untyped-def]
    import numpy as np

    from mlroi.backend.capabilities import engine
    from mlroi.backend.scored import ScoreBins, bin_sums
    from mlroi.expr import bind, parse

    rng = np.random.default_rng(5)
    t = ibis.memtable(
        pa.table(
            {"s": rng.random(30_000), "y": rng.integers(0, 2, 30_000), "x": rng.normal(size=30_000)}
        )
    )
    x = bind(parse("x"), ["x"], {})
    con = engine(t).con
    before = con.execute("SELECT current_setting('perfect_ht_threshold')").fetchall()
    dense = bin_sums(t, ScoreBins("s", 0.0, 1.0, 20_000), "y", {"x": x}, x, {"x": 5.0}, 5.0)
    assert con.execute("SELECT current_setting('perfect_ht_threshold')").fetchall() == before
    duckdb_without(dense_groups=False)
    hashed = bin_sums(t, ScoreBins("s", 0.0, 1.0, 20_000), "y", {"x": x}, x, {"x": 5.0}, 5.0)
    assert dense.keys() == hashed.keys()
    assert all(np.array_equal(dense[k], hashed[k]) for k in dense)
