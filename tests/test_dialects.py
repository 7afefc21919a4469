"""Every query mlroi generates compiles for BigQuery, Snowflake, Databricks, Trino and ClickHouse.

No server is needed: each analysis that scans data runs on DuckDB while the capability table
answers as the target engine would (``ENGINES["duckdb"]`` is replaced by the target's row), so
the query builders choose that engine's fallbacks; every query that reaches the one executor
(:func:`mlroi.backend.execute.watching`) is then compiled with ``ibis.to_sql(query,
dialect=...)`` and the SQL parsed back by sqlglot in that dialect. A compile error, or a
warning of sqlglot that a construct is unsupported in the dialect, fails the test with the
query's purpose and the dialect.

Running the fallbacks on DuckDB also checks that they give the numbers of DuckDB's fast paths
(relative tolerance 1e-9: fixed-point sums become float sums, whose last bits depend on the
order rows are added in).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ibis
import ibis.backends.duckdb
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import sqlglot

from mlroi import ExperimentConfig, Guardrail, Mean, Proportion, Ratio, Source, readout
from mlroi.attribution.analysis import attribute
from mlroi.attribution.config import AttributionConfig
from mlroi.backend import capabilities as caps
from mlroi.backend.execute import watching
from mlroi.causal.adjust import analyse_adjustment
from mlroi.causal.did import analyse_did
from mlroi.causal.synthetic import analyse_its, analyse_synthetic_control
from mlroi.decision.analysis import decide
from mlroi.decision.config import DecisionConfig
from mlroi.demo import generate_churn, generate_recommender_test
from mlroi.demo.journeys import generate_journey_logs
from mlroi.demo.retention import write_retention_panel
from mlroi.demo.video import generate_video
from mlroi.errors import DataError
from mlroi.retention.analysis import analyse_retention
from mlroi.spec.causal_adjust import AdjustmentConfig
from mlroi.spec.causal_did import DidConfig
from mlroi.spec.causal_synth import ItsConfig, SyntheticControlConfig
from mlroi.spec.retention import RetentionConfig
from test_postgres_parity import CHURN_VALUE_MODEL

pytestmark = pytest.mark.filterwarnings("ignore:Starting with pandas version 4.0")

DIALECTS = ("bigquery", "snowflake", "databricks", "trino", "clickhouse")
"""Ibis 12 / sqlglot names of the warehouses the README shows connection URLs for."""

MAX_SQL = 1_024 * 1_024
"""Longest query text accepted: BigQuery's limit on an unresolved query (1,024 KB)."""

RTOL = 1e-9
ATOL = 1e-9


# --- recording and compiling the queries -------------------------------------------------------


@dataclass
class Recorder:
    """The queries that reached the executor, with their purposes, in order."""

    queries: list[tuple[str, Any]] = field(default_factory=list)

    def __call__(self, query: Any, purpose: str) -> None:
        self.queries.append((purpose, query))

    @property
    def purposes(self) -> list[str]:
        return [p for p, _ in self.queries]


class _Unsupported(logging.Handler):
    """Collects sqlglot's warnings ("... is not supported in <dialect>")."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def compile_errors(recorder: Recorder, dialect: str) -> list[str]:
    """One line per query that does not compile for ``dialect`` (purpose, dialect, error)."""
    errors = []
    log = logging.getLogger("sqlglot")
    for purpose, query in recorder.queries:
        handler = _Unsupported()
        log.addHandler(handler)
        sql = ""
        try:
            sql = ibis.to_sql(query, dialect=dialect)
            sqlglot.parse_one(sql, read=dialect)
        except Exception as exc:  # any compile error is a finding, reported with its purpose
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            errors.append(f"{purpose} does not compile for {dialect}: {first}")
        finally:
            log.removeHandler(handler)
        errors += [f"{purpose} on {dialect}: sqlglot says {m}" for m in handler.messages]
        if len(sql) > MAX_SQL:
            errors.append(f"{purpose} on {dialect}: {len(sql):,} characters of SQL, over the limit")
    return errors


@pytest.fixture
def act_as(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Make DuckDB answer capability questions as ``engine`` would."""

    def act(engine: str) -> None:
        monkeypatch.setitem(caps.ENGINES, "duckdb", caps.ENGINES[engine])

    return act


# --- the inputs: small generated tables --------------------------------------------------------

ARMS = {"control": 0.5, "treatment": 0.5}
METRICS = [
    Mean(name="revenue_per_user", column="revenue", covariate="pre_revenue"),
    Proportion(name="conversion", column="converted"),
    Ratio(name="ctr", numerator="clicks", denominator="impressions"),
    Mean(name="sessions_per_user", column="sessions", covariate="pre_sessions"),
]
READOUT = ExperimentConfig(
    control="control",
    arms=ARMS,
    metrics=METRICS,
    guardrails=[Guardrail(metric="sessions_per_user", direction="increase", margin=0.05)],
    segments=["platform"],
)
CAPPED = READOUT.model_copy(
    update={"metrics": [*METRICS, Mean(name="revenue_capped", column="revenue", cap=0.99)]}
)
START = dt.date(2024, 1, 1)


@dataclass(frozen=True)
class Inputs:
    folder: Path
    recommender: Any
    users: Path
    scored: Path
    touchpoints: Path
    orders: Path
    panel: Path
    activity: Path
    cancellations: pd.DataFrame
    video: Any
    staggered: pd.DataFrame
    daily: pd.DataFrame


def _cancellations(n: int = 600, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2026-01-01")
    x = (start + pd.to_timedelta(rng.uniform(0, 70, n), unit="D")).floor("s")
    arm = rng.choice(["control", "treatment"], n)
    mean = np.where(arm == "control", 40.0, 55.0)
    cancel = (x + pd.to_timedelta(rng.exponential(mean), unit="D")).floor("s")
    return pd.DataFrame(
        {"user_id": range(n), "variant": arm, "first_exposure": x, "churned_at": cancel}
    )


def _staggered(units: int = 30, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    weeks = [START + dt.timedelta(weeks=k) for k in range(8)]
    first = rng.choice([3, 5, -1], units)
    rows = []
    for i in range(units):
        level = rng.normal(10, 2)
        for k, week in enumerate(weeks):
            on = int(first[i] >= 0 and k >= first[i])
            rows.append((f"m{i}", week, level + 0.3 * k + on + rng.normal(), on))
    return pd.DataFrame(rows, columns=["market", "week", "y", "on"])


def _daily(units: int = 6, days: int = 60, seed: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    common = rng.normal(size=days).cumsum() + 100
    rows = []
    for u in range(units):
        series = rng.uniform(0.8, 1.2) * common + rng.normal(size=days)
        if u == 0:
            series[45:] += 5.0
        rows += [(f"m{u}", START + dt.timedelta(days=d), series[d]) for d in range(days)]
    return pd.DataFrame(rows, columns=["market", "day", "revenue"])


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Inputs:
    folder = tmp_path_factory.mktemp("dialects")
    rec = generate_recommender_test(1_500, seed=5)
    pq.write_table(rec.users, folder / "users.parquet")
    pq.write_table(generate_churn(2_000, seed=11).scored, folder / "scored.parquet")
    logs = generate_journey_logs(300, seed=3)
    for name, table in logs.items():
        pq.write_table(table, folder / f"{name}.parquet")
    panel = write_retention_panel(folder / "users.parquet", folder, n_panel=600, seed=3)
    return Inputs(
        folder=folder,
        recommender=rec,
        users=folder / "users.parquet",
        scored=folder / "scored.parquet",
        touchpoints=folder / "touchpoints.parquet",
        orders=folder / "orders.parquet",
        panel=Path(panel["panel"]),
        activity=Path(panel["activity"]),
        cancellations=_cancellations(),
        video=generate_video(1_500, seed=2),
        staggered=_staggered(),
        daily=_daily(),
    )


# --- every analysis that scans data ------------------------------------------------------------


def _readout_units(i: Inputs) -> Any:
    return readout(Source(path=str(i.users)), READOUT)


def _readout_capped(i: Inputs) -> Any:
    return readout(Source(path=str(i.users)), CAPPED)


def _readout_events(i: Inputs) -> Any:
    rec = i.recommender
    return readout(config=READOUT, events=rec.events, assignments=rec.assignments)


def _decision(binned: bool) -> Callable[[Inputs], Any]:
    def run(i: Inputs) -> Any:
        config = DecisionConfig.model_validate(
            ({"max_groups": 1_000, "bins": 100} if binned else {})
            | {
                "source": {"path": str(i.scored)},
                "score": "score",
                "label": "churned",
                "challenger": "score_challenger",
                "treated": "treated",
                "uplift_score": "uplift_score",
                "eligible": "tenure_months >= 12",
                **CHURN_VALUE_MODEL,
                "constraints": ["discounts_given <= value_retained"],
                "bootstrap": {"resamples": 10},
                "parameter_draws": 100,
            }
        )
        return decide(config, seed=5)

    return run


def _attribution(i: Inputs) -> Any:
    config = AttributionConfig.model_validate(
        {
            "touchpoints": {"path": str(i.touchpoints)},
            "orders": {"path": str(i.orders)},
            "touchpoint_columns": {"session": "session_id"},
            "order_columns": {"session": "session_id"},
            "lookback_days": 30,
            "half_life_days": 7,
            "recommendation": {
                "clicks": ["rec_click"],
                "views": ["rec_impression"],
                "item_window_days": 7,
                "order_window_hours": 24,
            },
            "resamples": 10,
        }
    )
    return attribute(config, seed=1)


def _retention_activity(i: Inputs) -> Any:
    config = RetentionConfig.model_validate(
        {
            "assignments": {"path": str(i.panel)},
            "activity": {"source": {"path": str(i.activity)}, "inactivity_days": 14},
            "control": "control",
            "observation_end": dt.datetime(2027, 1, 9),
            "window_days": 90,
            "days": [7, 30],
        }
    )
    return analyse_retention(config)


def _retention_cohorts(i: Inputs) -> Any:
    config = RetentionConfig.model_validate(
        {
            "assignments": {"path": "unused.parquet"},
            "churn": {"timestamp": "churned_at"},
            "control": "control",
            "window_days": 60,
            "observation_end": dt.datetime(2026, 6, 1),
            "cohort_day": 30.0,
            "weekly": False,
        }
    )
    return analyse_retention(config, assignments=i.cancellations)


def _adjustment(i: Inputs) -> Any:
    config = AdjustmentConfig(
        design="adjustment",
        source=Source(path="unused.parquet"),
        unit="user_id",
        treatment="saw_recs",
        outcome="ad_impressions",
        # two covariates: the propensity-weighted query's SQL grows fast with each one
        covariates=["past_sessions", "tenure_days"],
    )
    return analyse_adjustment(config, table=i.video)


def _did(i: Inputs) -> Any:
    config = DidConfig(
        design="did",
        source=Source(path="unused.parquet"),
        unit="market",
        period="week",
        outcome="y",
        treated="on",
    )
    return analyse_did(config, table=i.staggered)


def _its(i: Inputs) -> Any:
    config = ItsConfig(
        unit="market",
        date="day",
        outcome="revenue",
        treated="m0",
        launch=START + dt.timedelta(days=45),
        controls=["m1", "m2", "m3"],
    )
    return analyse_its(config, table=i.daily)


def _synthetic_control(i: Inputs) -> Any:
    config = SyntheticControlConfig(
        unit="market",
        date="day",
        outcome="revenue",
        treated="m0",
        launch=START + dt.timedelta(days=45),
    )
    return analyse_synthetic_control(config, table=i.daily)


ANALYSES: dict[str, Callable[[Inputs], Any]] = {
    "readout of a per-unit table": _readout_units,
    "readout with a capped metric (quantiles)": _readout_capped,
    "readout of an event log": _readout_events,
    "decision (exact curve, bootstrap, uplift)": _decision(binned=False),
    "decision (binned and refined curve, bootstrap, uplift)": _decision(binned=True),
    "attribution": _attribution,
    "retention (activity)": _retention_activity,
    "retention (cancellations, cohorts)": _retention_cohorts,
    "causal adjustment": _adjustment,
    "causal difference-in-differences": _did,
    "causal interrupted time series": _its,
    "causal synthetic control": _synthetic_control,
}


def run_recorded(analysis: str, inputs: Inputs) -> tuple[Any, Recorder]:
    recorder = Recorder()
    with watching(recorder):
        result = ANALYSES[analysis](inputs)
    return result, recorder


# --- the tests ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def native(inputs: Inputs) -> dict[str, dict[str, Any]]:
    """Each analysis with DuckDB's own capabilities: the numbers the fallbacks must give."""
    return {name: run_recorded(name, inputs)[0].to_dict() for name in ANALYSES}


CASES = [
    (analysis, dialect)
    for analysis in ANALYSES
    for dialect in DIALECTS
    if caps.ENGINES[dialect].quantiles or "quantiles" not in analysis
]
"""Every analysis on every dialect; `cap` on an engine without quantiles is refused (below)."""


@pytest.mark.parametrize(("analysis", "dialect"), CASES)
def test_every_query_compiles_for_the_dialect(
    analysis: str,
    dialect: str,
    inputs: Inputs,
    native: dict[str, dict[str, Any]],
    act_as: Callable[[str], None],
) -> None:
    act_as(dialect)
    result, recorder = run_recorded(analysis, inputs)
    assert recorder.queries, f"{analysis} ran no query through the executor"
    errors = compile_errors(recorder, dialect)
    assert not errors, f"{len(errors)} queries of the {analysis}:\n" + "\n".join(errors)
    assert_same_numbers(result.to_dict(), native[analysis])


def test_the_compile_check_finds_a_query_a_dialect_cannot_compile(
    act_as: Callable[[str], None],
) -> None:
    t = ibis.memtable({"g": ["a", "b"], "p": [1, 2]})
    recorder = Recorder()
    recorder(t.group_by("g").aggregate(q=t.p.quantile(0.5)), "the test query")
    assert compile_errors(recorder, "trino") == [
        "the test query does not compile for trino: Compilation rule for 'Quantile'"
        " operation is not defined"
    ]
    assert compile_errors(recorder, "snowflake") == []


@pytest.mark.parametrize("dialect", [d for d in DIALECTS if not caps.ENGINES[d].quantiles])
def test_cap_on_an_engine_without_exact_quantiles_says_how_to_fix(
    dialect: str, inputs: Inputs, act_as: Callable[[str], None]
) -> None:
    act_as(dialect)
    with pytest.raises(DataError, match="computes no exact quantiles, which `cap` needs"):
        readout(Source(path=str(inputs.users)), CAPPED)


def test_nothing_bypasses_the_executor(
    inputs: Inputs, monkeypatch: pytest.MonkeyPatch, act_as: Callable[[str], None]
) -> None:
    """Every execution on the DuckDB backend is a query the executor announced."""
    act_as("snowflake")  # no native fetch: every query goes through ``to_pyarrow``
    executed: list[str] = []
    depth = [0]  # to_pyarrow runs _to_duckdb_relation: count the outermost call only
    backend = ibis.backends.duckdb.Backend
    for name in ("execute", "to_pyarrow", "to_pyarrow_batches", "_to_duckdb_relation"):
        original = getattr(backend, name)

        def spy(self: Any, expr: Any, *a: Any, _o: Any = original, **k: Any) -> Any:
            if depth[0] == 0:
                executed.append(type(expr).__name__)
            depth[0] += 1
            try:
                return _o(self, expr, *a, **k)
            finally:
                depth[0] -= 1

        monkeypatch.setattr(backend, name, spy)
    for analysis in ANALYSES:
        executed.clear()
        _, recorder = run_recorded(analysis, inputs)
        assert len(executed) == len(recorder.queries), (analysis, executed, recorder.purposes)


# --- comparing results -------------------------------------------------------------------------


def _flatten(x: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(x, dict):
        for key, value in x.items():
            yield from _flatten(value, f"{path}.{key}")
    elif isinstance(x, list | tuple):
        for i, value in enumerate(x):
            yield from _flatten(value, f"{path}[{i}]")
    else:
        yield path, x


def assert_same_numbers(got: dict[str, Any], want: dict[str, Any]) -> None:
    """Same fields; every number within RTOL (strings may name the path the engine took)."""
    got_flat, want_flat = dict(_flatten(got)), dict(_flatten(want))
    assert sorted(got_flat) == sorted(want_flat)
    bad = []
    for path, expected in want_flat.items():
        actual = got_flat[path]
        if isinstance(expected, float) and isinstance(actual, int | float):
            same = (math.isnan(expected) and math.isnan(actual)) or math.isclose(
                actual, expected, rel_tol=RTOL, abs_tol=ATOL
            )
        elif isinstance(expected, str):
            continue
        else:
            same = actual == expected
        if not same:
            bad.append(f"{path}: got {actual!r}, want {expected!r}")
    assert not bad, f"{len(bad)} differences, first: " + "; ".join(bad[:5])


@pytest.mark.parametrize(
    ("engine", "words"),
    [
        (
            "duckdb",
            "units checked for duplicates by a bitmap over the id range 1,000,001 to 1,001,500",
        ),
        ("snowflake", "units checked for duplicates by COUNT(DISTINCT)"),
        ("clickhouse", "units checked for duplicates by the rows of a SELECT DISTINCT"),
    ],
)
def test_the_readout_says_how_it_counted_distinct_units(
    engine: str, words: str, inputs: Inputs, act_as: Callable[[str], None]
) -> None:
    act_as(engine)
    notes = readout(Source(path=str(inputs.users)), READOUT).notes
    assert [n for n in notes if n.startswith("units checked")] == [
        next(n for n in notes if n.startswith(words))
    ]


@pytest.mark.parametrize("engine", ["duckdb", "clickhouse"])
def test_an_order_with_lines_of_two_users_is_counted_once_on_every_engine(
    engine: str, act_as: Callable[[str], None]
) -> None:
    from mlroi.backend.attribution import LogColumns, journey_counts

    act_as(engine)
    t0 = dt.datetime(2026, 1, 1)
    touches = pd.DataFrame(
        {"user_id": ["u", "v"], "ts": [t0, t0], "channel": ["ad", "ad"], "item_id": ["a", "a"]}
    )
    orders = pd.DataFrame(
        {
            "user_id": ["u", "v", "u", "u"],
            "order_id": ["o1", "o1", "o2", "o2"],
            "ts": [t0 + dt.timedelta(hours=1)] * 4,
            "revenue": [5.0, 2.0, 1.0, 3.0],
            "item_id": ["a", "b", "a", "b"],
        }
    )
    cols = LogColumns(
        "user_id", "ts", "channel", "item_id", "user_id", "order_id", "ts", "revenue", "item_id"
    )
    got = journey_counts(
        ibis.memtable(touches),
        ibis.memtable(orders),
        cols,
        lookback_days=30,
        half_life_days=7,
        max_touches=50,
    )
    assert got.counts["orders_with_several_users"] == 1
