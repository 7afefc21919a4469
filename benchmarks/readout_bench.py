"""Benchmark of the A/B readout: mlroi against a hand-written DuckDB floor and peer tools.

The readout: revenue per user with CUPED (covariate ``pre_revenue``), conversion (a proportion),
average order value (revenue / orders, a ratio of sums) and the SRM check, on

- a per-user table of 10M users (Parquet), and
- a ~50M-row event log plus its assignment table (Parquet), derived to the same metrics.

Every tool runs in its own subprocess, so peak memory (``ru_maxrss`` of that process, read with
``os.wait4``) is the tool's alone. In-process cases time the readout after one warm-up call
(imports, connections and first-call set-up excluded); whole-run cases time a fresh process from
start to exit. Median wall time over ``--repeats`` runs.

Tools: mlroi's Python API and its ``mlroi experiment`` command; the floor (``floor.py``: one DuckDB
query plus closed-form statistics); tea-tasting with its Ibis/DuckDB backend (venv
``benchmarks/.venv-tea``); GrowthBook's gbstats fed by one DuckDB query (venv
``benchmarks/.venv-gbstats``). ``benchmarks/run.sh`` creates both venvs and runs this script.

Usage::

    python benchmarks/readout_bench.py            # full size; writes benchmarks/results.{md,json}
    python benchmarks/readout_bench.py --quick    # 1M users / ~5M events smoke run (~1 minute)

Only the standard library is imported at the top: the same file is the worker in every venv.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
TEA_PY = HERE / ".venv-tea" / "bin" / "python"
GBSTATS_PY = HERE / ".venv-gbstats" / "bin" / "python"
FLOOR = HERE / "floor.py"

SIZES = {
    # ~17.3 events per user in the demo generator: 2.9M users give ~50M events.
    "full": {"users": 10_000_000, "event_users": 2_900_000},
    "quick": {"users": 1_000_000, "event_users": 290_000},
}
METRIC_NAMES = ("revenue_per_user", "conversion", "aov")

# The experiment configuration shared by the API and the command line (YAML for the CLI).
EXPERIMENT: dict[str, Any] = {
    "unit": "user_id",
    "variant": "variant",
    "control": "control",
    "arms": {"control": 0.5, "treatment": 0.5},
    "metrics": [
        {
            "name": "revenue_per_user",
            "type": "mean",
            "column": "revenue",
            "covariate": "pre_revenue",
        },
        {"name": "conversion", "type": "proportion", "column": "converted"},
        {"name": "aov", "type": "ratio", "numerator": "revenue", "denominator": "orders"},
    ],
    "correction": "none",
    "fail_on": ["srm"],
}
# The per-user columns the event-log readout derives (only those the metrics read).
EVENT_COLUMNS: dict[str, dict[str, str]] = {
    "revenue": {"event": "purchase", "agg": "sum"},
    "orders": {"event": "purchase", "agg": "count"},
    "converted": {"event": "purchase", "agg": "any"},
    "pre_revenue": {"event": "purchase", "agg": "sum", "period": "pre"},
}

# Targets of the issue (reported as pass / miss, never asserted).
TARGET_API_VS_FLOOR = 1.3
TARGET_API_VS_TEA = 3.0
TARGET_CLI_VS_FLOOR_SCRIPT = 2.0
TARGET_RSS_USERS_MIB = 300.0
TARGET_EVENTS_VS_FLOOR = 1.3
TARGET_RSS_EVENTS_MIB = 600.0
AGREE_TOL = 1e-9


# --------------------------------------------------------------------------------------------
# Workers: one tool, one process. Set-up (imports, connections) and one warm-up call are not
# timed; then ``repeats`` timed calls. The summary of the last result goes back as JSON.
# --------------------------------------------------------------------------------------------


def _mlroi_summary(result: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for c in result.comparisons:
        out[c.metric] = {
            "control": c.control_value,
            "treatment": c.treatment_value,
            "abs": [c.absolute.estimate, c.absolute.lower, c.absolute.upper],
            "rel": [c.relative.estimate, c.relative.lower, c.relative.upper],
            "p": c.p_value,
        }
    out["srm"] = {"p": result.srm.p_value, "n": dict(result.srm.observed)}
    out["cuped_theta"] = result.comparison("revenue_per_user").cuped_theta
    return out


def _mlroi_config(*, unique: bool, cap: float | None = None, events: bool = False) -> Any:
    from mlroi import ExperimentConfig

    settings = json.loads(json.dumps(EXPERIMENT))
    settings["check_unique_units"] = unique
    if cap is not None:
        settings["metrics"][0]["cap"] = cap
    if events:
        settings["events"] = {"columns": EVENT_COLUMNS}
    return ExperimentConfig.model_validate(settings)


def _versions(*modules: str) -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in modules:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "?"
    return out


def worker_floor(a: argparse.Namespace) -> tuple[Callable[[], Any], Callable[[Any], Any], dict]:
    import duckdb
    import floor

    con = duckdb.connect()
    if a.events:

        def run() -> Any:
            return floor.readout_events(con, a.events, a.assignments)

    else:

        def run() -> Any:
            return floor.readout_users(
                con, a.data, moments=a.variant == "moments", unique=a.variant == "unique"
            )

    return run, lambda r: r, _versions("duckdb", "scipy")


def worker_mlroi(a: argparse.Namespace) -> tuple[Callable[[], Any], Callable[[Any], Any], dict]:
    import ibis  # noqa: F401  (imports are not part of the timed readout)

    from mlroi import readout
    from mlroi.sources.open import default_connection, open_table

    default_connection()
    flags = set(a.variant.split(",")) if a.variant else set()
    cap = 0.999 if "cap" in flags else None
    config = _mlroi_config(unique="nouniq" not in flags, cap=cap, events=bool(a.events))
    if a.events:

        def run() -> Any:
            events: Any = a.events
            if "prefilter" in flags:  # the caller pushes the event type down (an Ibis table)
                events = open_table(a.events)
                events = events.filter(events.event_type.isin(["purchase"]))
            return readout(config=config, events=events, assignments=a.assignments)

    else:

        def run() -> Any:
            if "ibis" in flags:  # an Ibis table: no file footer, so no unit range is known
                return readout(open_table(a.data), config)
            return readout(a.data, config)

    return run, _mlroi_summary, _versions("mlroi", "ibis-framework", "duckdb")


def worker_tea(a: argparse.Namespace) -> tuple[Callable[[], Any], Callable[[Any], Any], dict]:
    import ibis
    import tea_tasting as tt

    con = ibis.duckdb.connect()
    experiment = tt.Experiment(
        revenue_per_user=tt.Mean("revenue", "pre_revenue"),
        # Wald variance (unpooled), no continuity correction: the closest to mlroi's method.
        conversion=tt.Proportion("converted", method="norm", equal_var=False, correction=False),
        aov=tt.RatioOfMeans("revenue", "orders"),
        srm=tt.SampleRatio(method="norm", correction=False),
    )

    def run() -> Any:
        return experiment.analyze(con.read_parquet(a.data), control="control")

    def summary(result: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in METRIC_NAMES:
            r = result[name]
            out[name] = {
                "control": r.control,
                "treatment": r.treatment,
                "abs": [r.effect_size, r.effect_size_ci_lower, r.effect_size_ci_upper],
                "rel": [r.rel_effect_size, r.rel_effect_size_ci_lower, r.rel_effect_size_ci_upper],
                "p": r.pvalue,
            }
        out["srm"] = {"p": result["srm"].pvalue}
        return out

    return run, summary, _versions("tea-tasting", "ibis-framework", "duckdb")


def worker_gbstats(a: argparse.Namespace) -> tuple[Callable[[], Any], Callable[[Any], Any], dict]:
    import duckdb
    import floor
    from gbstats.frequentist.tests import FrequentistConfig, TwoSidedTTest
    from gbstats.models.statistics import (
        ProportionStatistic,
        RatioStatistic,
        RegressionAdjustedStatistic,
        SampleMeanStatistic,
    )
    from gbstats.utils import check_srm

    con = duckdb.connect()
    configs = {
        k: FrequentistConfig(alpha=0.05, difference_type=k) for k in ("absolute", "relative")
    }

    def stats(r: dict[str, Any]) -> dict[str, Any]:
        n = int(r["n"])

        def mean(s: str, ss: str) -> Any:
            return SampleMeanStatistic(n=n, sum=float(r[s]), sum_squares=float(r[ss]))

        rev, pre, orders = mean("s_rev", "ss_rev"), mean("s_pre", "ss_pre"), mean("s_ord", "ss_ord")
        return {
            "revenue_per_user": RegressionAdjustedStatistic(
                n=n,
                post_statistic=rev,
                pre_statistic=pre,
                post_pre_sum_of_products=float(r["sp_rev_pre"]),
                theta=0.0,
            ),
            "conversion": ProportionStatistic(n=n, sum=float(r["s_conv"])),
            "aov": RatioStatistic(
                n=n, m_statistic=rev, d_statistic=orders, m_d_sum_of_products=float(r["sp_rev_ord"])
            ),
        }

    def run() -> Any:
        rows = floor.fetch(con, floor.USERS_SQL, [a.data])
        c, t = stats(rows["control"]), stats(rows["treatment"])
        out: dict[str, Any] = {}
        for name in METRIC_NAMES:
            res = {}
            for kind, config in configs.items():
                test = TwoSidedTTest(c[name], t[name], config)
                res[kind] = (test.compute_result(), test.stat_a.mean, test.stat_b.mean)
            out[name] = res
        n = [int(rows["control"]["n"]), int(rows["treatment"]["n"])]
        out["srm"] = check_srm(n, [0.5, 0.5])
        return out

    def summary(result: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in METRIC_NAMES:
            (ab, c_mean, t_mean), (rel, _, _) = result[name]["absolute"], result[name]["relative"]
            out[name] = {
                "control": float(c_mean),
                "treatment": float(t_mean),
                "abs": [float(ab.expected), float(ab.ci[0]), float(ab.ci[1])],
                "rel": [float(rel.expected), float(rel.ci[0]), float(rel.ci[1])],
                "p": float(ab.p_value),
            }
        out["srm"] = {"p": float(result["srm"])}
        return out

    return run, summary, _versions("gbstats", "duckdb", "numpy", "pandas", "scipy")


def _median_times(phases: dict[str, Callable[[], Any]], repeats: int) -> dict[str, float]:
    out: dict[str, float] = {}
    for name, fn in phases.items():
        fn()
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        out[name] = statistics.median(times)
    return out


def worker_breakdown(a: argparse.Namespace) -> dict[str, Any]:
    """Where mlroi's readout time goes: each phase timed on its own (median of repeats)."""
    import duckdb
    import floor
    import ibis

    from mlroi import readout
    from mlroi.backend.moments import build_query
    from mlroi.experiment.readout import plan_aggregation, units_table
    from mlroi.sources.open import default_connection, open_table

    raw = default_connection().con  # the DuckDB connection under mlroi's Ibis backend
    fresh = duckdb.connect()
    events = bool(a.events)
    unique = _mlroi_config(unique=True, events=events)
    plain = _mlroi_config(unique=False, events=events)

    def units(config: Any) -> Any:
        if events:
            return units_table(config, events=a.events, assignments=a.assignments)
        return units_table(config, a.data)

    def build(config: Any) -> Any:
        """The expression readout() runs: sources opened, Parquet footers read, query built."""
        table, keys = units(config)
        spec, _ = plan_aggregation(table, config)
        return build_query(table, spec, keys.table, keys.bounds)

    bounds = units(unique)[1].bounds
    counted = (a.assignments if events else a.data).replace("'", "''")
    sql_unique, sql_plain = ibis.to_sql(build(unique)), ibis.to_sql(build(plain))
    what = "of the assignments " if events else ""
    checks: dict[str, Callable[[], Any]] = {
        f"  unit check {what}alone, as run (bitmap of the unit range)": lambda: fresh.execute(
            f"SELECT bit_count(bitstring_agg(user_id, {bounds[0]}, {bounds[1]}))"
            f" FROM read_parquet('{counted}')"
        ).fetchall(),
        f"  COUNT(DISTINCT user_id) {what}alone (the hash-table method)": lambda: fresh.execute(
            f"SELECT count(DISTINCT user_id) FROM read_parquet('{counted}')"
        ).fetchall(),
    }
    if bounds is None:  # no range known: the readout counts distinct units
        checks.pop(next(iter(checks)))
    phases: dict[str, Callable[[], Any]]
    if events:
        phases = {
            "readout() total, check_unique_units=true": lambda: readout(
                config=unique, events=a.events, assignments=a.assignments
            ),
            "readout() total, check_unique_units=false": lambda: readout(
                config=plain, events=a.events, assignments=a.assignments
            ),
            "open, build and compile to SQL (ibis.to_sql)": lambda: ibis.to_sql(build(unique)),
            "mlroi's SQL run on DuckDB directly": lambda: raw.execute(sql_unique).fetchall(),
            "  same SQL without the unit check": lambda: raw.execute(sql_plain).fetchall(),
            **checks,
            "floor SQL (event type pushed below the join)": lambda: floor.fetch(
                fresh, floor.EVENTS_SQL, [a.assignments, a.events]
            ),
            "floor SQL, event type tested in the aggregates": lambda: floor.fetch(
                fresh, floor.EVENTS_SQL_ALL_TYPES, [a.assignments, a.events]
            ),
        }
    else:
        table = open_table(a.data)
        sql_quantile = ibis.to_sql(table.aggregate(q=table.revenue.cast("float64").quantile(0.999)))
        phases = {
            "readout() total, check_unique_units=true": lambda: readout(a.data, unique),
            "readout() total, check_unique_units=false": lambda: readout(a.data, plain),
            "open_table (read_parquet view)": lambda: open_table(a.data),
            "open, read the Parquet footer, build the Ibis expression": lambda: build(unique),
            "open, build and compile to SQL (ibis.to_sql)": lambda: ibis.to_sql(build(unique)),
            "Ibis to_pyarrow of the same expression (for comparison)": lambda: build(
                unique
            ).to_pyarrow(),
            "mlroi's SQL run on DuckDB directly": lambda: raw.execute(sql_unique).fetchall(),
            "  same SQL without the unit check": lambda: raw.execute(sql_plain).fetchall(),
            **checks,
            "  quantile(revenue, 0.999) alone (cap)": lambda: raw.execute(sql_quantile).fetchall(),
            "floor SQL (sums)": lambda: floor.fetch(fresh, floor.USERS_SQL, [a.data]),
            "floor SQL (var_samp/covar_samp)": lambda: floor.fetch(
                fresh, floor.MOMENTS_SQL, [a.data]
            ),
        }
    return {"phases": _median_times(phases, a.repeats), "sql": sql_unique}


def worker_coldstart(a: argparse.Namespace) -> dict[str, Any]:
    """One fresh process doing what ``mlroi experiment`` does, phase by phase (cold caches)."""
    laps: dict[str, float] = {}
    mark = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        laps[name] = now - mark
        mark = now

    import mlroi.cli  # noqa: F401

    lap("import mlroi.cli (pydantic, rich, typer)")
    import ibis  # noqa: F401

    lap("import ibis")
    from mlroi.sources.open import default_connection

    default_connection()
    lap("ibis.duckdb.connect()")
    from mlroi.experiment.config import ExperimentConfig
    from mlroi.spec.loader import load_model

    config = load_model(a.config, ExperimentConfig)
    lap("load and validate the YAML")
    from mlroi import readout

    result = readout(config=config, base=Path(a.config).parent)
    lap("first readout() (cold: first compile and query)")
    readout(config=config, base=Path(a.config).parent)
    lap("second readout() (warm)")
    import io

    from rich.console import Console

    from mlroi.report.terminal import print_result

    print_result(result, Console(file=io.StringIO(), width=120))
    lap("print the result tables (rich)")
    return laps


def _hwm_mib() -> float | None:
    """Peak RSS of this process since its exec (VmHWM), to cross-check ru_maxrss."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except (OSError, ValueError):
        pass
    return None


WORKERS = {
    "floor": worker_floor,
    "mlroi": worker_mlroi,
    "tea": worker_tea,
    "gbstats": worker_gbstats,
}


def worker_main(a: argparse.Namespace) -> None:
    if a.worker in ("breakdown", "coldstart"):
        fn = worker_breakdown if a.worker == "breakdown" else worker_coldstart
        Path(a.out).write_text(json.dumps(fn(a)), encoding="utf-8")
        return
    run, summarise, versions = WORKERS[a.worker](a)
    first = run()  # warm-up: lazy imports, first-call set-up, file cache
    times = []
    for _ in range(a.repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    payload = {
        "times": times,
        "summary": summarise(first),
        "versions": versions,
        "hwm_mib": _hwm_mib(),
    }
    Path(a.out).write_text(json.dumps(payload), encoding="utf-8")


# --------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------


@dataclass
class Case:
    """One row of the results table."""

    id: str
    tool: str
    case: str
    size: str
    argv: list[str]
    worker: bool  # True: timings come from inside the process; False: whole process runs
    baseline: str | None = None  # id of the floor case the ratio is taken against
    dataset: str = "users"
    note: str = ""
    # filled in by the run
    times: list[float] = field(default_factory=list)
    rss_mib: float | None = None
    exit_codes: list[int] = field(default_factory=list)
    summary: dict[str, Any] | None = None
    versions: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    ratio: float | None = None
    hwm_mib: float | None = None
    agreement: str = ""

    @property
    def median(self) -> float | None:
        return statistics.median(self.times) if self.times else None


def child_env() -> dict[str, str]:
    """The environment of every measured process: bytecode caches on, kept under data/.

    Installers such as uv do not compile bytecode, and PYTHONDONTWRITEBYTECODE (set in some CI and
    sandbox images) keeps Python from caching it: every process would then compile ibis, pandas
    and scipy from source (seconds). A user's machine has the caches, so the benchmark writes
    them (to benchmarks/data/pycache, leaving the venvs untouched) and the warm-up run fills them.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(DATA / "pycache")
    return env


def measure(argv: list[str], *, stdout: Any = subprocess.DEVNULL) -> tuple[float, float, int, str]:
    """Run one process; its wall time (s), peak RSS (MiB), exit code and stderr tail."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=stdout, stderr=err, env=child_env())
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        proc.returncode = code  # reaped by wait4: tell Popen
        err.seek(0)
        tail = err.read().decode(errors="replace").strip().splitlines()[-8:]
    return wall, usage.ru_maxrss / 1024.0, code, "\n".join(tail)


def run_case(case: Case, repeats: int) -> None:
    if case.worker:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "out.json"
            argv = [*case.argv, "--repeats", str(repeats), "--out", str(out)]
            _, rss, code, err = measure(argv)
            case.rss_mib, case.exit_codes = rss, [code]
            if code != 0 or not out.exists():
                case.error = err or f"exit code {code}"
                return
            payload = json.loads(out.read_text(encoding="utf-8"))
        case.times, case.summary = payload["times"], payload["summary"]
        case.versions, case.hwm_mib = payload["versions"], payload.get("hwm_mib")
        return
    peaks = []
    for i in range(repeats + 1):  # the first run warms the file cache and .pyc files
        wall, rss, code, err = measure(case.argv)
        case.exit_codes.append(code)
        if code not in (0, 1):  # 1: the readout ran and a gate (SRM) failed
            case.error = err or f"exit code {code}"
            return
        peaks.append(rss)
        if i:
            case.times.append(wall)
    case.rss_mib = max(peaks)


def generate(kind: str, n: int, folder: Path) -> None:
    """Write one data set (runs in its own process: the driver must stay small, see measure)."""
    import pyarrow.parquet as pq

    from mlroi.demo import write_recommender_test

    start = time.perf_counter()
    write_recommender_test(folder, n, seed=7, events=kind == "events")
    rows = {p.stem: pq.ParquetFile(p).metadata.num_rows for p in sorted(folder.glob("*.parquet"))}
    took = time.perf_counter() - start
    (folder / "done.json").write_text(json.dumps({"n_users": n, "rows": rows, "seconds": took}))


def generate_data(sizes: dict[str, int]) -> dict[str, Any]:
    """Write (or reuse) the Parquet files; returns their paths and row counts."""
    info: dict[str, Any] = {}
    for kind, n in (("users", sizes["users"]), ("events", sizes["event_users"])):
        folder = DATA / f"{kind}-{n}"
        marker = folder / "done.json"
        if not marker.exists():
            print(f"generating {kind} data for {n:,} users in {folder} ...", flush=True)
            argv = [sys.executable, str(Path(__file__).resolve()), "--generate", kind]
            subprocess.run([*argv, "--n-users", str(n), "--out", str(folder)], check=True)
        meta = json.loads(marker.read_text())
        meta["dir"] = str(folder)
        info[kind] = meta
        print(f"data {kind}: {meta['n_users']:,} users, rows {meta['rows']}", flush=True)
    return info


def write_configs(data: dict[str, Any]) -> dict[str, Path]:
    """The configurations of ``mlroi experiment`` (JSON is YAML), with and without the check."""
    users = Path(data["users"]["dir"])
    out = {}
    for name, unique in (("unique", True), ("nouniq", False)):
        settings = {"source": {"path": str(users / "users.parquet")}, **EXPERIMENT}
        settings["check_unique_units"] = unique
        path = users / f"experiment-{name}.yaml"
        path.write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")
        out[name] = path
    return out


def plan(data: dict[str, Any], configs: dict[str, Path], peers: bool) -> list[Case]:
    users = str(Path(data["users"]["dir"]) / "users.parquet")
    ev_dir = Path(data["events"]["dir"])
    events, assignments = str(ev_dir / "events.parquet"), str(ev_dir / "assignments.parquet")
    n_users = data["users"]["n_users"]
    n_events = data["events"]["rows"]["events"]
    size_u = f"{_short(n_users)} users"
    size_e = f"{_short(n_events)} events ({_short(data['events']['n_users'])} users)"
    me = str(Path(__file__).resolve())
    py = sys.executable
    mlroi_bin = str(Path(sys.executable).with_name("mlroi"))

    def worker(python: str | Path, name: str, *extra: str) -> list[str]:
        return [str(python), me, "--worker", name, *extra]

    u, e = ["--data", users], ["--events", events, "--assignments", assignments]
    api = "readout, in process"
    cases = [
        Case(
            "floor", "floor (DuckDB SQL + closed form)", api, size_u, worker(py, "floor", *u), True
        ),
        Case(
            "floor-moments",
            "floor, var_samp/covar_samp",
            api,
            size_u,
            worker(py, "floor", *u, "--variant", "moments"),
            True,
            "floor",
            note="same query shape with DuckDB's one-pass moments (what tea-tasting asks for;"
            " mlroi only when sums of squares would cancel)",
        ),
        Case(
            "floor-unique",
            "floor + unit check",
            api,
            size_u,
            worker(py, "floor", *u, "--variant", "unique"),
            True,
            "floor",
            note="the floor's query plus the duplicate-unit check mlroi makes by default: distinct"
            " ids counted in a bitmap of the range DuckDB reads from the Parquet statistics",
        ),
        Case(
            "mlroi",
            "mlroi API",
            api,
            size_u,
            worker(py, "mlroi", *u),
            True,
            "floor",
            note="check_unique_units: true (the default): distinct units counted in a bitmap of"
            " the id range from the Parquet footer",
        ),
        Case(
            "mlroi-nouniq",
            "mlroi API",
            api,
            size_u,
            worker(py, "mlroi", *u, "--variant", "nouniq"),
            True,
            "floor",
            note="check_unique_units: false",
        ),
        Case(
            "mlroi-hashcheck",
            "mlroi API",
            api,
            size_u,
            worker(py, "mlroi", *u, "--variant", "ibis"),
            True,
            "floor",
            note="check_unique_units: true, the data passed as an Ibis table: no Parquet footer"
            " gives the unit range, so the check counts distinct units in a hash table (as for"
            " string ids, CSV or PostgreSQL)",
        ),
        Case(
            "mlroi-cap",
            "mlroi API",
            api,
            size_u,
            worker(py, "mlroi", *u, "--variant", "cap"),
            True,
            "floor",
            note="revenue capped at its 0.999 quantile (different numbers; timing only)",
        ),
    ]
    if peers and TEA_PY.exists():
        tea = worker(TEA_PY, "tea", *u)
        cases.append(Case("tea", "tea-tasting (Ibis/DuckDB)", api, size_u, tea, True, "floor"))
    if peers and GBSTATS_PY.exists():
        cases.append(
            Case(
                "gbstats",
                "gbstats + one DuckDB query",
                api,
                size_u,
                worker(GBSTATS_PY, "gbstats", *u),
                True,
                "floor",
            )
        )
    whole = "whole run, start to exit"
    cases += [
        Case(
            "floor-script", "floor script", whole, size_u, [py, str(FLOOR), "users", users], False
        ),
        Case(
            "mlroi-cli",
            "mlroi experiment",
            whole,
            size_u,
            [mlroi_bin, "experiment", str(configs["unique"])],
            False,
            "floor-script",
            note="check_unique_units: true (the default; bitmap count)",
        ),
        Case(
            "mlroi-cli-nouniq",
            "mlroi experiment",
            whole,
            size_u,
            [mlroi_bin, "experiment", str(configs["nouniq"])],
            False,
            "floor-script",
            note="check_unique_units: false",
        ),
    ]
    ev = "event log -> readout, in process"
    cases += [
        Case(
            "floor-events",
            "floor (one DuckDB SQL)",
            ev,
            size_e,
            worker(py, "floor", *e),
            True,
            dataset="events",
        ),
        Case(
            "mlroi-events",
            "mlroi API (events=, assignments=)",
            ev,
            size_e,
            worker(py, "mlroi", *e),
            True,
            "floor-events",
            dataset="events",
            note="check_unique_units: true (the default; bitmap count)",
        ),
        Case(
            "mlroi-events-nouniq",
            "mlroi API (events=, assignments=)",
            ev,
            size_e,
            worker(py, "mlroi", *e, "--variant", "nouniq"),
            True,
            "floor-events",
            dataset="events",
            note="check_unique_units: false",
        ),
    ]
    prefiltered = "events passed as an Ibis table filtered to purchases (event type pushed down)"
    for suffix, variant, check in (
        ("", "prefilter", "true"),
        ("-nouniq", "nouniq,prefilter", "false"),
    ):
        cases.append(
            Case(
                f"mlroi-events-prefiltered{suffix}",
                "mlroi API (events=, assignments=)",
                ev,
                size_e,
                worker(py, "mlroi", *e, "--variant", variant),
                True,
                "floor-events",
                dataset="events",
                note=f"check_unique_units: {check}; {prefiltered}",
            )
        )
    return cases


def startup_costs(repeats: int) -> list[dict[str, Any]]:
    """Wall time and RSS of bare process starts: what a whole command pays before any query."""
    py = sys.executable
    mlroi_bin = str(Path(sys.executable).with_name("mlroi"))
    commands = {
        "python -c pass": [py, "-c", "pass"],
        "import duckdb": [py, "-c", "import duckdb"],
        "import scipy.special (the floor script's t quantile; not on mlroi's path)": [
            py,
            "-c",
            "import scipy.special",
        ],
        "import mlroi": [py, "-c", "import mlroi"],
        "import mlroi.cli": [py, "-c", "import mlroi.cli"],
        "import ibis": [py, "-c", "import ibis"],
        "import ibis; ibis.duckdb.connect()": [py, "-c", "import ibis; ibis.duckdb.connect()"],
        "mlroi --help": [mlroi_bin, "--help"],
    }
    out = []
    for name, argv in commands.items():
        runs = [measure(argv) for _ in range(repeats + 1)][1:]
        out.append(
            {
                "command": name,
                "median_s": statistics.median(r[0] for r in runs),
                "peak_rss_mib": max(r[1] for r in runs),
            }
        )
    return out


# --------------------------------------------------------------------------------------------
# Agreement
# --------------------------------------------------------------------------------------------

# (tool id, metric) -> (fields expected to agree to 1e-9 with mlroi, method note)
SAME = ("values", "abs", "rel", "p")
METHODS: dict[tuple[str, str], tuple[tuple[str, ...], str]] = {
    ("tea", "revenue_per_user"): (
        (),
        "CUPED theta from the pooled moments of both arms (mlroi: within-arm, variance-minimising"
        " theta); relative CI by log transform",
    ),
    ("tea", "conversion"): (
        (),
        "z-test (normal) with the Wald variance; mlroi uses t with Welch's df; relative CI by log"
        " transform",
    ),
    ("tea", "aov"): (
        ("values", "abs", "p"),
        "same delta method and Welch t for the absolute lift; relative CI by log transform",
    ),
    ("tea", "srm"): (("p",), "z-test without continuity correction = chi-square for two arms"),
    ("gbstats", "revenue_per_user"): (
        (),
        "CUPED theta = pooled cov/var over both arms (arms not centred); arm values not re-centred;"
        " relative lift over the unadjusted control mean",
    ),
    ("gbstats", "conversion"): (SAME, "same: Wald variance p(1-p)/n, Welch df, delta-method rel."),
    ("gbstats", "aov"): (SAME, "same delta method, Welch df"),
    ("gbstats", "srm"): (("p",), "chi-square"),
}


P_FLOOR = 1e-15  # p-values are compared as absolute differences below this


def _rel_diff(a: float, b: float, floor: float = 1e-300) -> float:
    if a == b:
        return 0.0
    return abs(a - b) / max(abs(b), floor)


def agreement(cases: list[Case]) -> list[dict[str, Any]]:
    """Differences of every tool's numbers from mlroi's (relative, max over each group)."""
    by_id = {c.id: c for c in cases if c.summary}
    pairs = [
        ("floor", "mlroi"),
        ("floor-moments", "mlroi"),
        ("floor-unique", "mlroi"),
        ("tea", "mlroi"),
        ("gbstats", "mlroi"),
        ("mlroi-nouniq", "mlroi"),
        ("mlroi-hashcheck", "mlroi"),
        ("floor-events", "mlroi-events"),
        ("mlroi-events-prefiltered", "mlroi-events"),
    ]
    rows = []
    for tool, ref in pairs:
        if tool not in by_id or ref not in by_id:
            continue
        got, want = by_id[tool].summary or {}, by_id[ref].summary or {}
        peer = tool.split("-")[0]
        for metric in (*METRIC_NAMES, "srm"):
            default = (("p",) if metric == "srm" else SAME, "same method")
            expect, note = METHODS.get((peer, metric), default)
            g, w = got[metric], want[metric]
            diffs: dict[str, float | None] = {"values": None, "abs": None, "rel": None, "p": None}
            if metric != "srm":
                diffs["values"] = max(
                    _rel_diff(g["control"], w["control"]), _rel_diff(g["treatment"], w["treatment"])
                )
                for k in ("abs", "rel"):
                    diffs[k] = max(_rel_diff(x, y) for x, y in zip(g[k], w[k], strict=True))
            diffs["p"] = _rel_diff(g["p"], w["p"], P_FLOOR)
            if g["p"] == 0.0 and w["p"] > 0.0:
                note += f"; its p-value is exactly 0 (mlroi: {w['p']:.1e}): 1 - cdf underflows"
            checked = [diffs[k] for k in expect if diffs[k] is not None]
            worst = max(checked) if checked else None
            rows.append(
                {
                    "tool": tool,
                    "reference": ref,
                    "metric": metric,
                    **{f"diff_{k}": v for k, v in diffs.items()},
                    "expected_identical": list(expect),
                    "agrees": None if worst is None else worst <= AGREE_TOL,
                    "note": note,
                    "other": [k for k, v in diffs.items() if v is not None and k not in expect],
                }
            )
    for tool, ref in pairs:
        mine = [r for r in rows if r["tool"] == tool]
        if not mine:
            continue
        checked = [
            r[f"diff_{k}"]
            for r in mine
            for k in r["expected_identical"]
            if r[f"diff_{k}"] is not None
        ]
        worst = max(checked) if checked else None
        verdict = "agree" if worst is not None and worst <= AGREE_TOL else "DIFFER"
        text = f"vs {ref}: same-method numbers {verdict} (max rel. diff {_fmt(worst, '.0e')})"
        other = [f"{r['metric']} ({'/'.join(r['other'])})" for r in mine if r["other"]]
        if other:
            text += "; other method: " + ", ".join(other)
        by_id[tool].agreement = text
    return rows


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def _short(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1e6:.3g}M"
    if n >= 1_000:
        return f"{n / 1e3:.3g}k"
    return str(n)


def _fmt(x: float | None, spec: str) -> str:
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, spec)


def source_fingerprint() -> str | None:
    """A hash of mlroi's source files, to tie the results to the code (and see edits mid-run)."""
    import hashlib

    src = HERE.parent / "src" / "mlroi"
    if not src.is_dir():
        return None
    digest = hashlib.sha256()
    for path in sorted(src.rglob("*.py")):
        digest.update(str(path.relative_to(src)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def machine() -> dict[str, Any]:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024**2:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_model": model,
        "memory": mem,
        "os": platform.platform(),
        "python": platform.python_version(),
        "load_average_start": os.getloadavg(),
    }


def targets(cases: list[Case]) -> list[dict[str, Any]]:
    by = {c.id: c for c in cases}

    def ratio(a: str, b: str) -> float | None:
        x, y = by.get(a), by.get(b)
        if x is None or y is None or x.median is None or y.median is None:
            return None
        return x.median / y.median

    def rss(a: str) -> float | None:
        c = by.get(a)
        return None if c is None or c.error else c.rss_mib

    rows = []

    def add(name: str, value: float | None, limit: float, unit: str, lower: bool = True) -> None:
        ok = None if value is None else (value <= limit if lower else value >= limit)
        rows.append(
            {
                "target": name,
                "value": value,
                "limit": limit,
                "unit": unit,
                "status": "n/a" if ok is None else ("pass" if ok else "miss"),
            }
        )

    add(
        "mlroi API / floor with the same unit check",
        ratio("mlroi", "floor-unique"),
        TARGET_API_VS_FLOOR,
        "x",
    )
    for suffix, label in (("", ""), ("-nouniq", ", check_unique_units=false")):
        add(
            f"mlroi API / floor{label}",
            ratio(f"mlroi{suffix}", "floor"),
            TARGET_API_VS_FLOOR,
            "x",
        )
        tea = ratio("tea", f"mlroi{suffix}")
        add(f"tea-tasting / mlroi API{label}", tea, TARGET_API_VS_TEA, "x", lower=False)
        add(
            f"mlroi experiment / floor script{label}",
            ratio(f"mlroi-cli{suffix}", "floor-script"),
            TARGET_CLI_VS_FLOOR_SCRIPT,
            "x",
        )
        add(f"mlroi API peak RSS{label}", rss(f"mlroi{suffix}"), TARGET_RSS_USERS_MIB, "MiB")
        add(
            f"mlroi experiment peak RSS{label}",
            rss(f"mlroi-cli{suffix}"),
            TARGET_RSS_USERS_MIB,
            "MiB",
        )
        add(
            f"mlroi events / floor events{label}",
            ratio(f"mlroi-events{suffix}", "floor-events"),
            TARGET_EVENTS_VS_FLOOR,
            "x",
        )
        add(
            f"mlroi events peak RSS{label}",
            rss(f"mlroi-events{suffix}"),
            TARGET_RSS_EVENTS_MIB,
            "MiB",
        )
    return rows


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def render(report: dict[str, Any]) -> str:
    m = report["machine"]
    load = ", ".join(f"{x:.2f}" for x in m["load_average_start"])
    load_end = ", ".join(f"{x:.2f}" for x in report["load_average_end"])
    source, end = m.get("mlroi_source_sha256"), report.get("mlroi_source_sha256_end")
    if source != end:
        source = f"{source} -> {end}: **the source changed during the run**"
    lines = [
        "# Readout benchmark",
        "",
        f"Run {report['date']} on {m['nproc']} cores ({m['cpu_model']}), {m['memory']},"
        f" {m['os']}; load average at start {load}, at end {load_end}.",
        f"mlroi source (sha256 of src/mlroi/**/*.py): {source}.",
        f"Mode: {report['mode']}; median of {report['repeats']} runs after one warm-up."
        " Generated by `benchmarks/run.sh` (`benchmarks/readout_bench.py`).",
        "",
        "Readout: revenue per user with CUPED (pre_revenue), conversion (proportion), AOV"
        " (revenue / orders, delta method), SRM check. In-process rows exclude imports and"
        " connection set-up; whole-run rows time a fresh process from start to exit. Peak RSS is"
        " the tool's own process (`ru_maxrss` via `wait4`), imports included.",
        "",
        "| id | tool | case | size | median wall s | peak RSS MiB | ratio to floor | notes |",
        "|---|---|---|---|---:|---:|---:|---|",
    ]
    for c in report["cases"]:
        notes = "; ".join(x for x in (c["note"], c["agreement"]) if x)
        if c["error"]:
            notes = f"FAILED: {c['error'].splitlines()[-1]}"
        ratio = _fmt(c["ratio_to_floor"], ".2f") + ("x" if c["ratio_to_floor"] else "")
        if c["baseline"] is None:
            ratio = "floor"
        median, rss = _fmt(c["median_s"], ".3f"), _fmt(c["peak_rss_mib"], ".0f")
        cells = [f"`{c['id']}`", c["tool"], c["case"], c["size"], median, rss, ratio, notes]
        lines.append(_row(cells))
    lines += ["", "## Targets", "", "| target | value | limit | status |", "|---|---:|---:|---|"]
    for t in report["targets"]:
        unit = t["unit"]
        value = _fmt(t["value"], ".2f" if unit == "x" else ".0f")
        op = ">=" if "tea-tasting" in t["target"] else "<="
        lines.append(
            f"| {t['target']} | {value} {unit} | {op} {t['limit']:g} {unit} | {t['status']} |"
        )
    by = {c["id"]: c for c in report["cases"]}
    tea, floor = by.get("tea"), by.get("floor")
    if tea and floor and tea["median_s"] and floor["median_s"]:
        x = tea["median_s"] / floor["median_s"]
        lines += [
            "",
            f"tea-tasting runs at {x:.2f}x the floor here, so '>= {TARGET_API_VS_TEA:g}x faster"
            f" than tea-tasting' would need mlroi at {x / TARGET_API_VS_TEA:.2f}x the floor:"
            " the two targets can only both hold when tea-tasting is at least"
            f" {TARGET_API_VS_TEA * TARGET_API_VS_FLOOR:.1f}x the floor.",
        ]
    lines += [
        "",
        "## Agreement",
        "",
        "Maximum relative difference from the reference over: arm values (control, treatment),"
        " absolute lift (estimate, CI ends), relative lift (estimate, CI ends), p-value."
        f" 'agrees' checks the fields where the method is the same, to {AGREE_TOL:g}; p-values"
        f" below {P_FLOOR:g} are compared as absolute differences.",
        "",
        "| case | vs | metric | values | abs lift + CI | rel lift + CI | p | agrees | method |",
        "|---|---|---|---:|---:|---:|---:|---|---|",
    ]
    for r in report["agreement"]:
        agrees = {True: "yes", False: "NO", None: "n/a"}[r["agrees"]]
        if r["expected_identical"] and r["agrees"] is not None:
            agrees += f" ({', '.join(r['expected_identical'])})"
        diffs = [_fmt(r[f"diff_{k}"], ".1e") for k in ("values", "abs", "rel", "p")]
        cells = [f"`{r['tool']}`", f"`{r['reference']}`", r["metric"], *diffs, agrees, r["note"]]
        lines.append(_row(cells))
    for key, what in (("breakdown", "per-user table"), ("breakdown_events", "event log")):
        if not report.get(key):
            continue
        lines += [
            "",
            f"## Where mlroi's time goes ({what}, in process, warm)",
            "",
            "| phase | median s |",
            "|---|---:|",
        ]
        for name, secs in report[key]["phases"].items():
            lines.append(f"| {name.replace('  ', '&nbsp;&nbsp;')} | {secs:.3f} |")
    if report.get("coldstart"):
        lines += [
            "",
            "## A cold `mlroi experiment`, phase by phase (one fresh process, medians)",
            "",
            "| phase | median s |",
            "|---|---:|",
        ]
        for name, secs in report["coldstart"].items():
            lines.append(f"| {name} | {secs:.3f} |")
    if report.get("startup"):
        lines += ["", "## Process start-up", "", "| command | median s | peak RSS MiB |"]
        lines.append("|---|---:|---:|")
        for s in report["startup"]:
            lines.append(f"| `{s['command']}` | {s['median_s']:.3f} | {s['peak_rss_mib']:.0f} |")
    lines += [
        "",
        "The driver that starts every process peaks at"
        f" {_fmt(report['driver_rss_mib'], '.0f')} MiB; a child's `ru_maxrss` cannot be below"
        " what it had before its `exec`.",
    ]
    lines += ["", "## Versions", ""]
    for tool, versions in report["versions"].items():
        lines.append(f"- {tool}: " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    lines += ["", "## Data", ""]
    for kind, meta in report["data"].items():
        rows = ", ".join(f"{k} {v:,} rows" for k, v in meta["rows"].items())
        lines.append(f"- {kind}: {meta['n_users']:,} users; {rows}")
    return "\n".join(lines) + "\n"


def _run_json_worker(args: list[str]) -> Any:
    """Run a diagnostic worker in its own process; its JSON answer, or None on failure."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.json"
        argv = [sys.executable, str(Path(__file__).resolve()), "--worker", *args, "--out", str(out)]
        _, _, code, err = measure(argv)
        if code == 0 and out.exists():
            return json.loads(out.read_text())
    print(f"  {args[0]} failed: {err}", flush=True)
    return None


def driver(a: argparse.Namespace) -> None:
    mode = "quick" if a.quick else "full"
    info = machine()
    info["mlroi_source_sha256"] = source_fingerprint()
    data = generate_data(SIZES[mode])
    configs = write_configs(data)
    cases = plan(data, configs, peers=not a.no_peers)
    if a.only:
        wanted = set(a.only.split(","))
        cases = [c for c in cases if c.id in wanted]
    for case in cases:
        print(f"running {case.id}: {' '.join(case.argv[:4])} ...", flush=True)
        start = time.perf_counter()
        run_case(case, a.repeats)
        failed = f"  ERROR: {case.error}" if case.error else ""
        print(
            f"  median {_fmt(case.median, '.3f')} s, peak RSS {_fmt(case.rss_mib, '.0f')} MiB"
            f" ({time.perf_counter() - start:.0f} s){failed}",
            flush=True,
        )
    by = {c.id: c for c in cases}
    for c in cases:
        base = by.get(c.baseline or "")
        c.ratio = (
            c.median / base.median
            if c.median is not None and base is not None and base.median
            else None
        )
    agree = agreement(cases)
    breakdown = breakdown_events = startup = coldstart = None
    if not a.no_breakdown:
        users = str(Path(data["users"]["dir"]) / "users.parquet")
        ev_dir = Path(data["events"]["dir"])
        ev = ["--events", str(ev_dir / "events.parquet")]
        ev += ["--assignments", str(ev_dir / "assignments.parquet")]
        reps = ["--repeats", str(min(a.repeats, 3))]
        print("timing mlroi's phases ...", flush=True)
        breakdown = _run_json_worker(["breakdown", "--data", users, *reps])
        print("timing mlroi's phases on the event log ...", flush=True)
        breakdown_events = _run_json_worker(["breakdown", *ev, *reps])
        print("timing a cold `mlroi experiment`, phase by phase ...", flush=True)
        colds = [
            _run_json_worker(["coldstart", "--config", str(configs["unique"])])
            for _ in range(a.repeats)
        ]
        if all(colds):
            coldstart = {k: statistics.median(c[k] for c in colds) for k in colds[0]}
        print("timing process start-up ...", flush=True)
        startup = startup_costs(a.repeats)

    report = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "mode": mode,
        "repeats": a.repeats,
        "machine": info,
        "load_average_end": os.getloadavg(),
        "mlroi_source_sha256_end": source_fingerprint(),
        "data": {k: {kk: v[kk] for kk in ("n_users", "rows")} for k, v in data.items()},
        "cases": [
            {
                "id": c.id,
                "tool": c.tool,
                "case": c.case,
                "size": c.size,
                "median_s": c.median,
                "times_s": c.times,
                "peak_rss_mib": c.rss_mib,
                "baseline": c.baseline,
                "ratio_to_floor": c.ratio,
                "note": c.note,
                "agreement": c.agreement,
                "vmhwm_mib": c.hwm_mib,
                "exit_codes": c.exit_codes,
                "error": c.error,
                "summary": c.summary,
            }
            for c in cases
        ],
        "targets": targets(cases),
        "agreement": agree,
        "breakdown": breakdown,
        "breakdown_events": breakdown_events,
        "coldstart": coldstart,
        "driver_rss_mib": _hwm_mib(),
        "startup": startup,
        "versions": {c.tool: c.versions for c in cases if c.versions},
    }
    out_dir = Path(a.out_dir) if a.out_dir else (HERE if mode == "full" else DATA)
    out_dir.mkdir(parents=True, exist_ok=True)
    suffix = "" if mode == "full" else "-quick"
    (out_dir / f"results{suffix}.json").write_text(
        json.dumps(report, indent=1, allow_nan=True) + "\n", encoding="utf-8"
    )
    markdown = render(report)
    (out_dir / f"results{suffix}.md").write_text(markdown, encoding="utf-8")
    print()
    print(markdown)
    print(f"written: {out_dir / f'results{suffix}.md'} and .json")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="1M users / ~5M events smoke run")
    p.add_argument("--repeats", type=int, help="timed runs per case (default 5; 3 with --quick)")
    p.add_argument("--only", help="comma-separated case ids to run (e.g. floor,mlroi)")
    p.add_argument("--no-peers", action="store_true", help="skip tea-tasting and gbstats")
    p.add_argument("--no-breakdown", action="store_true", help="skip the phase breakdown")
    p.add_argument("--out-dir", help="where results.{md,json} go (default: benchmarks/)")
    # worker mode (internal)
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--data", help=argparse.SUPPRESS)
    p.add_argument("--events", help=argparse.SUPPRESS)
    p.add_argument("--assignments", help=argparse.SUPPRESS)
    p.add_argument("--variant", default="", help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    p.add_argument("--config", help=argparse.SUPPRESS)
    p.add_argument("--generate", choices=["users", "events"], help=argparse.SUPPRESS)
    p.add_argument("--n-users", type=int, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.repeats is None:
        a.repeats = 3 if a.quick else 5
    if a.repeats < 1:
        p.error("--repeats must be at least 1")
    if a.generate:
        generate(a.generate, a.n_users, Path(a.out))
    elif a.worker:
        worker_main(a)
    else:
        driver(a)


if __name__ == "__main__":
    main()
