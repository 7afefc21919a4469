"""Silently wrong numbers become loud: compressed and tab-separated files are read as CSV, an
unknown extension asks for `format`, overflowing values are refused with the column named,
NaN is found on every source format, rows an analysis drops are counted.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from mlroi import DataError, Mean, MlroiError, Source, readout

N = 2_000
ARMS = {"control": 1.0, "treatment": 1.0}
NAN = float("nan")


def users(**columns: Any) -> pa.Table:
    """A small per-user table; keyword arguments replace or add columns."""
    rng = np.random.default_rng(7)
    ids = np.arange(N, dtype=np.int64)
    base: dict[str, Any] = {
        "user_id": ids,
        "variant": np.where(ids % 2 == 0, "control", "treatment"),
        "revenue": rng.gamma(2.0, 5.0, N),
    }
    base.update(columns)
    return pa.table(base)


def run(source: Any, **settings: Any) -> Any:
    settings.setdefault("metrics", [Mean(name="revenue_per_user", column="revenue")])
    return readout(source, control="control", arms=ARMS, **settings)


def one_line(exc: pytest.ExceptionInfo[MlroiError]) -> str:
    message = str(exc.value)
    assert type(exc.value) is not MlroiError and "\n" not in message, message
    return message


# --- file formats ------------------------------------------------------------------------------


def _write_csv(table: pa.Table, path: Path, delimiter: str = ",") -> None:
    pacsv.write_csv(table, path, pacsv.WriteOptions(delimiter=delimiter))


@pytest.mark.parametrize("name", ["users.csv.gz", "users.CSV.GZ", "users.tsv", "users.tsv.gz"])
def test_compressed_and_tab_separated_files_are_read_as_csv(tmp_path: Path, name: str) -> None:
    table = users()
    plain = tmp_path / "plain.csv"
    _write_csv(table, plain)
    path = tmp_path / name
    delimiter = "\t" if ".tsv" in name.lower() else ","
    _write_csv(table, tmp_path / "tmp.txt", delimiter)
    raw = (tmp_path / "tmp.txt").read_bytes()
    path.write_bytes(gzip.compress(raw) if name.lower().endswith(".gz") else raw)
    assert run(str(path)).to_dict() == run(str(plain)).to_dict()


def test_zstd_compressed_csv_is_read_as_csv(tmp_path: Path) -> None:
    table = users()
    path = tmp_path / "users.csv.zst"
    pacsv.write_csv(table, pa.CompressedOutputStream(str(path), "zstd"))
    assert run(str(path)).to_dict() == run(table).to_dict()


def test_parquet_with_an_unusual_extension_is_recognised_by_its_magic_bytes(
    tmp_path: Path,
) -> None:
    path = tmp_path / "users.data"
    pq.write_table(users(), path)

    def numbers(result: Any) -> dict[str, Any]:
        """The readout without its note on how duplicate units were counted (a Parquet file's
        footers give a bitmap count; an in-memory table takes COUNT(DISTINCT))."""
        d: dict[str, Any] = result.to_dict()
        d["notes"] = [n for n in d["notes"] if not n.startswith("units checked for duplicates")]
        return d

    assert numbers(run(str(path))) == numbers(run(users()))


def test_an_unknown_extension_asks_for_the_format(tmp_path: Path) -> None:
    path = tmp_path / "users.data"
    _write_csv(users(), path)
    with pytest.raises(DataError) as exc:
        run(str(path))
    message = one_line(exc)
    assert str(path) in message and "`format: csv`" in message


def test_an_unknown_extension_reads_with_the_format_given(tmp_path: Path) -> None:
    path = tmp_path / "users.data"
    _write_csv(users(), path)
    assert run(Source(path=str(path), format="csv")).to_dict() == run(users()).to_dict()


# --- registrations released --------------------------------------------------------------------


def _registered(con: Any) -> int:
    """Tables and views a DuckDB connection holds (registered frames count as tables)."""
    return int(con.con.execute("SELECT count(*) FROM information_schema.tables").fetchall()[0][0])


def test_frames_and_file_views_are_released_after_each_readout(tmp_path: Path) -> None:
    import ibis

    from mlroi.sources.open import default_connection

    path = tmp_path / "users.parquet"
    pq.write_table(users(), path)
    csv = tmp_path / "users.csv"
    _write_csv(users(), csv)
    connections = (ibis.get_backend(), default_connection())
    before = [_registered(con) for con in connections]
    for seed in range(10):
        run(users(revenue=np.random.default_rng(seed).gamma(2.0, 5.0, N)))
        run(users().to_pandas())
        run(str(path))
        run(str(csv))
    assert [_registered(con) for con in connections] == before


def test_a_frame_read_out_twice_is_registered_again() -> None:
    table = users()
    assert run(table).to_dict() == run(table).to_dict()


def test_the_scored_table_view_is_released_after_each_decision(tmp_path: Path) -> None:
    from mlroi.decision.analysis import decide
    from mlroi.decision.config import DecisionConfig
    from mlroi.sources.open import default_connection

    rng = np.random.default_rng(3)
    score = rng.random(N)
    path = tmp_path / "scored.parquet"
    pq.write_table(pa.table({"score": score, "y": (rng.random(N) < score).astype(int)}), path)
    config = DecisionConfig.model_validate(
        {
            "source": {"path": str(path)},
            "score": "score",
            "label": "y",
            "act": "10 * y - 1",
            "leave": "0",
            "bootstrap": {"resamples": 0},
        }
    )
    before = _registered(default_connection())
    for _ in range(10):
        decide(config)
    assert _registered(default_connection()) == before


# --- decision labels ---------------------------------------------------------------------------


def _decide(tmp_path: Path, labels: np.ndarray[Any, Any], **changes: Any) -> Any:
    from mlroi.decision.analysis import decide
    from mlroi.decision.config import DecisionConfig

    score = np.random.default_rng(3).random(labels.size)
    path = tmp_path / "scored.parquet"
    pq.write_table(pa.table({"score": score, "churned": labels}), path)
    config = {
        "source": {"path": str(path)},
        "score": "score",
        "label": "churned",
        "act": "10 * churned - 1",
        "leave": "0",
        "bootstrap": {"resamples": 0},
    }
    return decide(DecisionConfig.model_validate(config | changes))


def test_all_zero_labels_say_there_is_no_positive_label(tmp_path: Path) -> None:
    with pytest.raises(DataError) as exc:
        _decide(tmp_path, np.zeros(N, dtype=np.int64))
    message = one_line(exc)
    assert message.startswith("no positive labels in column 'churned'")
    assert "2,000" in message and "inf" not in message


def test_all_positive_labels_say_there_is_no_negative_label(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no negative labels in column 'churned'"):
        _decide(tmp_path, np.ones(N, dtype=np.int64))


def test_labels_of_both_outcomes_pass(tmp_path: Path) -> None:
    labels = np.zeros(N, dtype=np.int64)
    labels[7] = 1
    assert _decide(tmp_path, labels).rows == N


# --- NaN on every source format ----------------------------------------------------------------

FORMATS = ("parquet", "csv", "arrow", pytest.param("postgres", marks=pytest.mark.postgres))


def _source(fmt: str, table: pa.Table, tmp_path: Path, request: pytest.FixtureRequest) -> Any:
    """``table`` as a source of format ``fmt``: a file, an in-memory table or a PostgreSQL table."""
    if fmt == "parquet":
        pq.write_table(table, tmp_path / "t.parquet")
        return Source(path=str(tmp_path / "t.parquet"))
    if fmt == "csv":
        _write_csv(table, tmp_path / "t.csv")
        return Source(path=str(tmp_path / "t.csv"))
    if fmt == "arrow":
        return table
    con = request.getfixturevalue("postgres_con")
    name = f"wrong_{request.node.name}".lower().replace("[", "_").replace("]", "").replace("-", "_")
    con.create_table(name, obj=table, overwrite=True)
    request.addfinalizer(lambda: con.drop_table(name, force=True))
    return Source(url=request.getfixturevalue("postgres_url"), table=name)


def _decide_on(source: Any, **changes: Any) -> Any:
    """The decision's check of the scored rows (what ``decide`` runs first) on ``source``."""
    from mlroi.backend.scored import check_scored
    from mlroi.expr import parse
    from mlroi.sources.open import open_table

    settings: dict[str, Any] = {"probabilities": True} | changes
    return check_scored(
        open_table(source),
        scores=["score"],
        label="churned",
        exprs={"act": parse("saved - 1"), "leave": parse("0")},
        field="decision",
        **settings,
    )


def scored(**columns: Any) -> pa.Table:
    rng = np.random.default_rng(5)
    score = rng.random(N)
    base = {
        "score": score,
        "churned": (rng.random(N) < score).astype(np.int64),
        "saved": rng.gamma(2.0, 5.0, N),
    }
    return pa.table(base | columns)


def _with(values: np.ndarray[Any, Any], **at: float) -> np.ndarray[Any, Any]:
    out = values.copy()
    for index, value in at.items():
        out[int(index.removeprefix("i"))] = value
    return out


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("bad", [NAN, float("inf")], ids=["nan", "inf"])
def test_a_non_finite_score_is_found_on_every_source_format(
    fmt: str, bad: float, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    table = scored(score=_with(scored()["score"].to_numpy(), i5=bad, i900=bad))
    source = _source(fmt, table, tmp_path, request)
    with pytest.raises(DataError) as exc:
        _decide_on(source, probabilities=False)
    assert one_line(exc) == (
        "column 'score': 2 of 2,000 scores are NULL, NaN or infinite; drop or impute them"
        " before the analysis"
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_nan_in_a_column_the_value_reads_is_found_on_every_source_format(
    fmt: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    table = scored(saved=_with(scored()["saved"].to_numpy(), i3=NAN))
    source = _source(fmt, table, tmp_path, request)
    with pytest.raises(DataError, match=r"^decision\.act: 1 of 2,000 rows give NaN"):
        _decide_on(source)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_nan_metric_value_is_found_on_every_source_format(
    fmt: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    table = users(revenue=_with(users()["revenue"].to_numpy(), i3=NAN))
    source = _source(fmt, table, tmp_path, request)
    with pytest.raises(DataError, match="column 'revenue' has NaN or infinite values"):
        run(source)


@pytest.mark.parametrize("fmt", FORMATS)
def test_finite_scores_pass_on_every_source_format(
    fmt: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    source = _source(fmt, scored(), tmp_path, request)
    assert _decide_on(source).rows == N


# --- overflow ----------------------------------------------------------------------------------

OVERFLOW = r"^column 'revenue': values up to [0-9.]+e\+(\d+) overflow float64 sums; rescale"


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("scale", [1e300, 1e155])
def test_revenue_near_the_float_range_is_refused_naming_the_column(
    fmt: str, scale: float, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    table = users(revenue=users()["revenue"].to_numpy() * scale)
    source = _source(fmt, table, tmp_path, request)
    with pytest.raises(DataError) as exc:
        run(source)
    message = one_line(exc)
    assert re.match(OVERFLOW, message), message
    top = float(message.split("values up to ")[1].split()[0])
    assert top == pytest.approx(float(np.max(table["revenue"].to_numpy())), rel=0.01)


def test_a_sum_of_squared_deviations_beyond_the_limit_is_refused() -> None:
    # values near 1e150: the sums of squares stay finite (2e303) but leave no room for the
    # statistics built on them
    with pytest.raises(DataError, match=OVERFLOW):
        run(users(revenue=users()["revenue"].to_numpy() * 1e150))


def test_a_capped_column_that_overflows_names_the_raw_column() -> None:
    metric = Mean(name="revenue_per_user", column="revenue", cap=0.99)
    with pytest.raises(DataError, match=OVERFLOW):
        run(users(revenue=users()["revenue"].to_numpy() * 1e300), metrics=[metric])


def test_large_but_representable_revenue_is_read_out() -> None:
    result = run(users(revenue=users()["revenue"].to_numpy() * 1e12))
    comparison = result.comparisons[0]
    assert comparison.status == "ok" and comparison.relative is not None


def test_an_infinite_value_is_still_called_infinite_not_an_overflow() -> None:
    revenue = users()["revenue"].to_numpy().copy()
    revenue[8] = np.inf
    with pytest.raises(DataError, match="column 'revenue' has NaN or infinite values in arm"):
        run(users(revenue=revenue))


def _event_log(amount: float) -> tuple[pa.Table, pa.Table]:
    rng = np.random.default_rng(9)
    ids = np.arange(N, dtype=np.int64)
    start = np.datetime64("2026-01-01T00:00:00", "us")
    assignments = pa.table(
        {
            "user_id": ids,
            "variant": np.where(ids % 2 == 0, "control", "treatment"),
            "first_exposure": np.full(N, start),
        }
    )
    events = pa.table(
        {
            "user_id": ids,
            "ts": np.full(N, start + np.timedelta64(1, "D")),
            "event_type": np.full(N, "purchase"),
            "amount": rng.gamma(2.0, 5.0, N) * amount,
        }
    )
    return events, assignments


def test_event_amounts_that_overflow_are_refused_naming_the_column() -> None:
    events, assignments = _event_log(1e300)
    with pytest.raises(DataError, match=OVERFLOW):
        run(None, events=events, assignments=assignments)


def test_a_nan_event_amount_is_named_with_the_event_column() -> None:
    events, assignments = _event_log(1.0)
    amount = events["amount"].to_numpy().copy()
    amount[4] = np.nan
    events = events.set_column(3, "amount", pa.array(amount))
    with pytest.raises(DataError, match="summed from event column 'amount'"):
        run(None, events=events, assignments=assignments)


@pytest.mark.parametrize("fmt", FORMATS)
def test_decision_values_that_overflow_the_sums_are_refused_naming_the_field(
    fmt: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    table = scored(saved=scored()["saved"].to_numpy() * 1e300)
    source = _source(fmt, table, tmp_path, request)
    with pytest.raises(DataError) as exc:
        _decide_on(source)
    message = one_line(exc)
    assert re.match(
        r"^decision\.act \(reading 'saved'\): values up to [0-9.]+e\+301 over 2,000 rows"
        r" overflow the sums",
        message,
    ), message
    assert "rescale" in message


def test_scores_that_overflow_the_sums_are_refused(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    table = scored(score=scored()["score"].to_numpy() * 1e300)
    with pytest.raises(DataError, match=r"^score column 'score': values up to .* overflow"):
        _decide_on(_source("parquet", table, tmp_path, request), probabilities=False)


def test_a_whole_decision_with_huge_values_fails_in_one_line_without_warnings(
    tmp_path: Path,
) -> None:
    import warnings

    from mlroi.decision.analysis import decide
    from mlroi.decision.config import DecisionConfig

    pq.write_table(scored(saved=scored()["saved"].to_numpy() * 1e30), tmp_path / "s.parquet")
    config = DecisionConfig.model_validate(
        {
            "source": {"path": str(tmp_path / "s.parquet")},
            "score": "score",
            "label": "churned",
            "act": "saved * churned - 1",
            "leave": "0",
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(DataError) as exc:
            decide(config)
    assert "rescale" in one_line(exc)


# --- overflow in the ROI -----------------------------------------------------------------------


def _starter_with(tmp_path: Path, old: str, new: str) -> Path:
    from mlroi.spec.starter import STARTER_CASE

    assert old in STARTER_CASE
    text = STARTER_CASE.replace(old, new).replace("draws: 100000", "draws: 2000")
    path = tmp_path / "case.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _line_of(path: Path, needle: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if needle in line)


@pytest.mark.parametrize(
    ("old", "new", "field", "kind"),
    [
        (
            "units_per_month: 1200000",
            "units_per_month: 1e300",
            "value.drivers[0].units_per_month",
            "value",
        ),
        ("amount: 18000, every: year", "amount: 1e308, every: year", "costs[5].amount", "cost"),
        ("fte: 1.5", "fte: 1e300", "costs[4].fte", "cost"),
    ],
)
def test_a_case_figure_that_overflows_the_roi_is_named_with_its_line(
    tmp_path: Path, old: str, new: str, field: str, kind: str
) -> None:
    import warnings

    from typer.testing import CliRunner

    from mlroi.cli import app

    case = _starter_with(tmp_path, old, new)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = CliRunner().invoke(app, ["roi", str(case)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "RuntimeWarning" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert line.startswith(f"error: {case}:{_line_of(case, new)} {field}: "), line
    assert f"makes the monthly {kind} reach" in line and "(1e+100)" in line
    assert len(line) < 300


def test_a_large_but_sane_case_runs(tmp_path: Path) -> None:
    from mlroi.pipeline import evaluate
    from mlroi.spec.case import load_case

    case = _starter_with(tmp_path, "units_per_month: 1200000", "units_per_month: 1.2e12")
    result = evaluate(load_case(case), base=tmp_path)
    assert result.total_value.estimate > 1e12


# --- the event readout: time zones and exclusions ----------------------------------------------


def _exposures(null_first: int = 0, tz: str | None = None) -> pa.Array:
    start = np.datetime64("2026-01-01T00:00:00", "us")
    mask = np.arange(N) < null_first
    return pa.array(np.full(N, start), type=pa.timestamp("us", tz=tz), mask=mask)


def _assignments(exposure: pa.Array) -> pa.Table:
    ids = np.arange(N, dtype=np.int64)
    variant = np.where(ids % 2 == 0, "control", "treatment")
    return pa.table({"user_id": ids, "variant": variant, "first_exposure": exposure})


def test_a_time_zone_on_one_side_only_is_refused_naming_both_columns() -> None:
    events, _ = _event_log(1.0)
    with pytest.raises(DataError) as exc:
        run(None, events=events, assignments=_assignments(_exposures(tz="UTC")))
    message = one_line(exc)
    assert "events column 'ts' is a timestamp without a time zone" in message
    assert "assignments column 'first_exposure' is a timestamp with time zone UTC" in message


def test_time_zones_on_both_sides_are_read_out() -> None:
    events, _ = _event_log(1.0)
    events = events.set_column(1, "ts", events["ts"].cast(pa.timestamp("us", tz="UTC")))
    aware = run(None, events=events, assignments=_assignments(_exposures(tz="UTC")))
    naive = run(None, events=_event_log(1.0)[0], assignments=_assignments(_exposures()))
    assert aware.comparisons == naive.comparisons


def _with_strangers(events: pa.Table, strangers: int) -> pa.Table:
    """``events`` plus purchases of ``strangers`` units that no assignment names."""
    extra = events.slice(0, strangers)
    extra = extra.set_column(0, "user_id", pa.array(np.arange(strangers, dtype=np.int64) + 10 * N))
    return pa.concat_tables([events, extra])


def test_units_never_exposed_and_events_of_unassigned_units_are_counted_and_left_out() -> None:
    events, _ = _event_log(1.0)
    result = run(
        None, events=_with_strangers(events, 30), assignments=_assignments(_exposures(100))
    )
    quality = result.exclusions
    assert quality.read == {"events": N + 30, "assignments": N}
    left_out = {(e.what, e.reason): e.rows for e in quality.excluded}
    assert left_out == {
        ("events", "unit not in the assignments"): 30,
        ("events", "event time is NULL"): 0,
        ("assignments", "exposure time is NULL: never exposed"): 100,
    }
    assert result.srm.observed == {"control": 950, "treatment": 950}


def test_units_never_exposed_are_left_out_not_read_as_zeros() -> None:
    events, _ = _event_log(1.0)
    got = run(None, events=events, assignments=_assignments(_exposures(100)))
    exposed = _assignments(_exposures()).slice(100)
    want = run(None, events=events, assignments=exposed)
    assert got.comparisons == want.comparisons


def test_exclusions_reach_the_json_the_terminal_and_the_report() -> None:
    from mlroi.report import markdown, terminal

    events, _ = _event_log(1.0)
    result = run(
        None, events=_with_strangers(events, 30), assignments=_assignments(_exposures(100))
    )
    data = result.to_dict()["exclusions"]
    assert data["read"] == {"events": N + 30, "assignments": N}
    assert {"what": "events", "rows": 30, "reason": "unit not in the assignments"} in data[
        "excluded"
    ]
    text = markdown.render(result.view())
    assert "**Data quality**" in text
    assert "| events | 2,030 | 30 | 1.5% | unit not in the assignments |" in text
    assert "Left out of the analysis: 30 events (unit not in the assignments)" in text
    console = terminal.wide_console()
    with console.capture() as captured:
        terminal.print_result(result, console=console)
    assert "Data quality" in captured.get()
    assert "unit not in the assignments" in result._repr_html_()


def test_a_per_unit_readout_reads_units_and_leaves_none_out() -> None:
    result = run(users())
    assert result.exclusions.read == {"units": N}
    assert result.exclusions.excluded == ()
    assert "Data quality" not in result.view().sentences()


@pytest.mark.postgres
def test_event_readout_on_postgres_counts_exclusions_and_names_an_overflow(
    postgres_con: Any, postgres_url: str, request: pytest.FixtureRequest
) -> None:
    def load(name: str, table: pa.Table) -> Source:
        postgres_con.create_table(name, obj=table, overwrite=True)
        request.addfinalizer(lambda: postgres_con.drop_table(name, force=True))
        return Source(url=postgres_url, table=name)

    events, _ = _event_log(1.0)
    assignments = load("wrong_assignments", _assignments(_exposures(100)))
    result = run(
        None, events=load("wrong_events", _with_strangers(events, 30)), assignments=assignments
    )
    local = run(None, events=_with_strangers(events, 30), assignments=_assignments(_exposures(100)))
    assert result.exclusions == local.exclusions
    huge, _ = _event_log(1e300)
    with pytest.raises(DataError, match=OVERFLOW):
        run(None, events=load("wrong_huge_events", huge), assignments=assignments)
