"""Benchmark of retention per arm: mlroi from Parquet against lifelines and a DuckDB floor.

How to run, from the repository root::

    .venv/bin/python benchmarks/retention_bench.py                 # 10M users (lifelines to 1M)
    .venv/bin/python benchmarks/retention_bench.py --users 200000  # a small smoke run

The data: ``--users`` users of a two-arm test, seeded, one row each (``user_id``, ``variant``,
``first_exposure``, ``churned_at``): exposures over 30 days, churn after a Weibull time (NULL for
users who never churn by the end of observation, 120 days after the first exposure). Written once
per size to ``benchmarks/data/retention-<users>.parquet`` (git-ignored) and reused.

What is timed, each tool in its own process (peak memory is that process's ``ru_maxrss``, read
with ``os.wait4``, data loading and imports included):

- ``mlroi``: ``mlroi.retention.analysis.retention`` on the Parquet file with ``churn:`` (the
  backend's per-arm, per-day counts, two check queries, then Kaplan-Meier, log-rank, RMST and
  the weekly lifts on the counts).
- ``mlroi counts``: the backend's requests alone (``retention_counts``: the counts query and
  the assignment check, with the Parquet footers' user range), then the Kaplan-Meier curves and
  the log-rank test.
- ``floor``: one hand-written DuckDB query of the same per-arm, per-day counts (follow-up capped
  at the window, users too recent dropped), then the Kaplan-Meier products in numpy.
- ``lifelines``: the per-user durations and flags read into pandas (by DuckDB), then
  ``KaplanMeierFitter`` per arm and ``logrank_test`` (only up to ``--lifelines-max`` users).

Each: one untimed warm-up call, then the median of ``--repeats`` calls. Results go to
``benchmarks/retention_results.{md,json}`` (with ``--users`` below 10M:
``benchmarks/data/retention_results-<users>.{md,json}``). The driver imports only the standard
library, so each child's peak memory is its own.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
SEED = 20261203
START = dt.datetime(2026, 1, 1)
END = START + dt.timedelta(days=120)
WINDOW = 90


def _data_path(users: int) -> Path:
    return DATA / f"retention-{users}.parquet"


def worker_generate(a: argparse.Namespace) -> dict[str, Any]:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = _data_path(a.users)
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    writer = None
    block = 2_000_000
    start_us = int(np.datetime64(START, "us").astype(np.int64))
    end_us = int(np.datetime64(END, "us").astype(np.int64))
    day = 86_400_000_000
    try:
        for lo in range(0, a.users, block):
            n = min(block, a.users - lo)
            treated = rng.random(n) < 0.5
            x = start_us + (rng.random(n) * 30 * day).astype(np.int64)
            scale = np.where(treated, 55.0, 50.0)
            churn = x + (rng.weibull(0.8, n) * scale * day).astype(np.int64)
            table = pa.table(
                {
                    "user_id": pa.array(np.arange(lo, lo + n, dtype=np.int64)),
                    "variant": pa.array(np.where(treated, "treatment", "control")),
                    "first_exposure": pa.array(x, pa.timestamp("us")),
                    "churned_at": pa.array(churn, pa.timestamp("us"), mask=churn > end_us),
                }
            )
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema)
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()
    return {"path": str(path)}


def _timed(run: Any, repeats: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    out = run()
    first = time.perf_counter() - t0
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = run()
        times.append(time.perf_counter() - t0)
    return {"first_s": first, "median_s": statistics.median(times), "check": out}


def _config(path: str) -> Any:
    from mlroi.spec.retention import RetentionConfig

    return RetentionConfig.model_validate(
        {
            "assignments": {"path": path},
            "churn": {"timestamp": "churned_at"},
            "control": "control",
            "observation_end": END,
            "window_days": WINDOW,
            "days": [30, 90],
        }
    )


def worker_mlroi(a: argparse.Namespace) -> dict[str, Any]:
    from mlroi.retention.analysis import retention

    cfg = _config(str(_data_path(a.users)))

    def run() -> dict[str, Any]:
        r = retention(cfg)
        return {
            "s90_control": r.at_days[1].arms["control"].estimate,
            "s90_treatment": r.at_days[1].arms["treatment"].estimate,
            "log_rank": r.log_rank.statistic,
        }

    return _timed(run, a.repeats)


def worker_mlroi_counts(a: argparse.Namespace) -> dict[str, Any]:
    from mlroi.backend.retention import retention_counts
    from mlroi.retention.logrank import log_rank
    from mlroi.retention.survival import SurvivalCounts, kaplan_meier
    from mlroi.sources.facts import table_facts
    from mlroi.sources.open import open_table

    path = str(_data_path(a.users))
    table = open_table(path)

    def run() -> dict[str, Any]:
        facts = table_facts(table, path, base=None, unit="user_id")
        c = retention_counts(
            table,
            table,
            mode="churn",
            unit="user_id",
            variant="variant",
            exposure="first_exposure",
            timestamp="churned_at",
            gap_days=0,
            window_days=WINDOW,
            observation_end=END,
            unit_bounds=facts.bounds,
        )
        arms: dict[str, tuple[list[int], list[int], list[int]]] = {}
        for arm, day, events, censored in c.rows:
            d, e, k = arms.setdefault(arm, ([], [], []))
            d.append(day)
            e.append(events)
            k.append(censored)
        counts = {arm: SurvivalCounts.of(*v) for arm, v in arms.items()}
        curves = {arm: kaplan_meier(v) for arm, v in counts.items()}
        return {
            "s90_control": curves["control"].at(90).estimate,
            "s90_treatment": curves["treatment"].at(90).estimate,
            "log_rank": log_rank(counts).statistic,
        }

    return _timed(run, a.repeats)


FLOOR_SQL = """
with u as (
  select variant,
         floor((epoch(TIMESTAMP '{end}') - epoch(first_exposure)) / 86400)::bigint as e,
         floor((epoch(churned_at) - epoch(first_exposure)) / 86400)::bigint as c
  from read_parquet('{path}')
), f as (
  select variant, least({window}, e) as f, c from u where e >= 0
)
select variant,
       case when c is not null and c <= f then c else f end as day,
       (c is not null and c <= f) as event,
       count(*) as n
from f group by all
"""


def worker_floor(a: argparse.Namespace) -> dict[str, Any]:
    import duckdb
    import numpy as np

    con = duckdb.connect()
    sql = FLOOR_SQL.format(end=END.isoformat(sep=" "), path=_data_path(a.users), window=WINDOW)

    def run() -> dict[str, Any]:
        rows = con.execute(sql).fetchall()
        out = {}
        for arm in ("control", "treatment"):
            mine = [r for r in rows if r[0] == arm]
            days = np.unique([r[1] for r in mine])
            ev = np.zeros(days.size)
            cen = np.zeros(days.size)
            for _, d, e, n in mine:
                i = np.searchsorted(days, d)
                (ev if e else cen)[i] += n
            at_risk = ev.sum() + cen.sum() - np.concatenate(([0], np.cumsum(ev + cen)[:-1]))
            s = np.cumprod(1 - ev / at_risk)
            out[f"s90_{arm}"] = float(s[np.searchsorted(days, 90, side="right") - 1])
        return out

    return _timed(run, a.repeats)


def worker_lifelines(a: argparse.Namespace) -> dict[str, Any]:
    import duckdb
    from lifelines import KaplanMeierFitter
    from lifelines.statistics import logrank_test

    sql = FLOOR_SQL.format(end=END.isoformat(sep=" "), path=_data_path(a.users), window=WINDOW)
    per_user = sql.replace("count(*) as n\nfrom f group by all", "1 as n from f")
    df = duckdb.connect().execute(per_user).df()

    def run() -> dict[str, Any]:
        out = {}
        groups = {arm: g for arm, g in df.groupby("variant")}
        for arm, g in groups.items():
            km = KaplanMeierFitter().fit(g["day"], g["event"])
            out[f"s90_{arm}"] = float(km.predict(90.0))
        c, t = groups["control"], groups["treatment"]
        out["log_rank"] = float(
            logrank_test(c["day"], t["day"], c["event"], t["event"]).test_statistic
        )
        return out

    return _timed(run, a.repeats)


WORKERS = {
    "generate": worker_generate,
    "mlroi": worker_mlroi,
    "mlroi counts": worker_mlroi_counts,
    "floor": worker_floor,
    "lifelines": worker_lifelines,
}


def run_worker(name: str, a: argparse.Namespace) -> dict[str, Any]:
    """Run one worker in its own process; its result plus its peak memory (MiB)."""
    cmd = [sys.executable, __file__, "--worker", name, "--users", str(a.users)]
    cmd += ["--repeats", str(a.repeats)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    out = proc.stdout.read() if proc.stdout else ""
    if status != 0:
        raise SystemExit(f"worker {name!r} failed (status {status})")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    result["peak_mib"] = usage.ru_maxrss / 1024
    return result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--users", type=int, default=10_000_000)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--lifelines-max", type=int, default=1_000_000)
    p.add_argument("--worker", choices=sorted(WORKERS))
    a = p.parse_args()
    if a.worker:
        print(json.dumps(WORKERS[a.worker](a)))
        return
    if not _data_path(a.users).exists():
        run_worker("generate", a)
    names = ["mlroi", "mlroi counts", "floor"]
    if a.users <= a.lifelines_max:
        names.append("lifelines")
    results = {name: run_worker(name, a) for name in names}
    floor = results["floor"]["median_s"]
    lines = [
        f"# Retention benchmark: {a.users:,} users, {a.repeats} repeats (medians)",
        "",
        "| tool | median s | first call s | x floor | peak MiB | S(90) control | S(90) treatment |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        c = r["check"]
        lines.append(
            f"| {name} | {r['median_s']:.3f} | {r['first_s']:.3f} | {r['median_s'] / floor:.2f}x"
            f" | {r['peak_mib']:.0f} | {c['s90_control']:.6f} | {c['s90_treatment']:.6f} |"
        )
    text = "\n".join(lines) + "\n"
    full = a.users >= 10_000_000
    stem = HERE / "retention_results" if full else DATA / f"retention_results-{a.users}"
    stem.parent.mkdir(parents=True, exist_ok=True)
    stem.with_suffix(".md").write_text(text)
    stem.with_suffix(".json").write_text(json.dumps(results, indent=2) + "\n")
    print(text)


if __name__ == "__main__":
    main()
