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
- ``floor with the check``: the floor's query with the count of users assigned more than once
  that mlroi also makes (a bitmap over the id range, cross-joined): the floor doing mlroi's
  work. The ids are ``0 .. users - 1`` by construction.
- ``lifelines (fit only)``: ``KaplanMeierFitter`` per arm and ``logrank_test`` on per-user
  durations and flags already in pandas (only up to ``--lifelines-max`` users). Only the fit is
  timed: the durations come, untimed, from the floor's query without its last GROUP BY (with
  ``--mode activity``, the churn rule over the activity log).
- ``lifelines (read + fit)``: what a lifelines user does: read the same Parquet file(s) with
  pandas, derive each user's duration and churn flag by the floor's rule in pandas, then the same
  fit. This is the row mlroi's speed-up over lifelines is quoted against (the fit-only row is a
  lower bound on lifelines' time, and is shown beside it).

``--mode activity`` also writes an activity log (the exposure day, then about two active days a
week until churn), ``benchmarks/data/retention-<users>-activity.parquet``, and times the
activity path: churn on the last active day before 14 idle days (a ``lead`` window function).

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
import time
from pathlib import Path
from typing import Any

from harness import run_worker, timed

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
SEED = 20261203
START = dt.datetime(2026, 1, 1)
END = START + dt.timedelta(days=120)
WINDOW = 90
GAP = 14  # inactivity days that make a user churned (activity mode)


def _data_path(users: int) -> Path:
    return DATA / f"retention-{users}.parquet"


def _activity_path(users: int) -> Path:
    return DATA / f"retention-{users}-activity.parquet"


def worker_generate(a: argparse.Namespace) -> dict[str, Any]:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = _data_path(a.users)
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    rng_act = np.random.default_rng([SEED, 1])  # its own stream: the users do not depend on it
    writer = act_writer = None
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
            if a.mode == "activity":
                # active days: the exposure day, then about 2 a week until churn or the end
                last = (np.minimum(churn, end_us) - x) // day
                k = rng_act.poisson(last * 2 / 7)
                u = np.repeat(np.arange(lo, lo + n, dtype=np.int64), k)
                offs = (rng_act.random(k.sum()) * np.repeat(last, k) * day).astype(np.int64)
                ts = np.repeat(x, k) + offs
                act = pa.table(
                    {
                        "user_id": pa.array(np.concatenate([np.arange(lo, lo + n), u])),
                        "ts": pa.array(np.concatenate([x, ts]), pa.timestamp("us")),
                    }
                )
                if act_writer is None:
                    act_writer = pq.ParquetWriter(_activity_path(a.users), act.schema)
                act_writer.write_table(act)
    finally:
        if writer is not None:
            writer.close()
        if act_writer is not None:
            act_writer.close()
    return {"path": str(path)}


def _config(a: argparse.Namespace) -> Any:
    from mlroi.spec.retention import RetentionConfig

    log: dict[str, Any] = (
        {"activity": {"source": {"path": str(_activity_path(a.users))}, "inactivity_days": GAP}}
        if a.mode == "activity"
        else {"churn": {"timestamp": "churned_at"}}
    )
    return RetentionConfig.model_validate(
        {
            "assignments": {"path": str(_data_path(a.users))},
            **log,
            "control": "control",
            "observation_end": END,
            "window_days": WINDOW,
            "days": [30, 90],
        }
    )


def worker_mlroi(a: argparse.Namespace) -> dict[str, Any]:
    from mlroi.retention.analysis import analyse_retention

    cfg = _config(a)

    def run() -> dict[str, Any]:
        r = analyse_retention(cfg)
        return {
            "s90_control": r.at_days[1].arms["control"].estimate,
            "s90_treatment": r.at_days[1].arms["treatment"].estimate,
            "log_rank": r.log_rank.statistic,
        }

    return timed(run, a.repeats)


def worker_mlroi_counts(a: argparse.Namespace) -> dict[str, Any]:
    from mlroi.backend.retention import retention_counts
    from mlroi.retention.logrank import log_rank
    from mlroi.retention.survival import SurvivalCounts, kaplan_meier
    from mlroi.sources.facts import table_facts
    from mlroi.sources.open import open_table

    path = str(_data_path(a.users))
    table = open_table(path)
    log = open_table(str(_activity_path(a.users))) if a.mode == "activity" else table

    def run() -> dict[str, Any]:
        facts = table_facts(table, path, base=None, unit="user_id")
        c = retention_counts(
            table,
            log,
            mode=a.mode,
            unit="user_id",
            variant="variant",
            exposure="first_exposure",
            timestamp="ts" if a.mode == "activity" else "churned_at",
            gap_days=GAP if a.mode == "activity" else 0,
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

    return timed(run, a.repeats)


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


FLOOR_ACTIVITY_SQL = """
with u as (
  select user_id, variant, epoch(first_exposure) as x,
         least({window}, floor((epoch(TIMESTAMP '{end}') - epoch(first_exposure)) / 86400)::bigint
               - {gap}) as f,
         floor((epoch(TIMESTAMP '{end}') - epoch(first_exposure)) / 86400)::bigint as e
  from read_parquet('{path}')
), d as (
  select a.user_id, floor((epoch(a.ts) - u.x) / 86400)::bigint as day
  from read_parquet('{activity}') a join u using (user_id)
  where a.ts <= TIMESTAMP '{end}' and epoch(a.ts) >= u.x
    and floor((epoch(a.ts) - u.x) / 86400)::bigint <= u.f + {gap}
), g as (
  select user_id, day, lead(day) over (partition by user_id order by day) as nxt from d
), c as (
  select u.user_id, u.variant, u.f,
         min(case when g.day <= u.f and ((g.nxt is null and g.day + {gap} <= u.e)
                                         or g.nxt - g.day > {gap}) then g.day end) as churn
  from u join g using (user_id) where u.f >= 0 group by all
)
select variant, coalesce(churn, f) as day, churn is not null as event, count(*) as n
from c group by all
"""


def _floor_sql(a: argparse.Namespace) -> str:
    """The floor's query. From an activity log, the active days are not made distinct (of the
    copies of a day, the last sees the next later day, so the churn day is the same) and days
    past the follow-up and gap are dropped before the window: the fastest form found."""
    if a.mode == "churn":
        return FLOOR_SQL.format(end=END.isoformat(sep=" "), path=_data_path(a.users), window=WINDOW)
    return FLOOR_ACTIVITY_SQL.format(
        end=END.isoformat(sep=" "),
        path=_data_path(a.users),
        activity=_activity_path(a.users),
        window=WINDOW,
        gap=GAP,
    )


def worker_floor(a: argparse.Namespace, *, check: bool = False) -> dict[str, Any]:
    import duckdb
    import numpy as np

    con = duckdb.connect()
    sql = _floor_sql(a)
    if check:  # users assigned twice, as mlroi counts them: a bitmap over the id range
        sql = (
            f"select * from ({sql}) cross join (select count(user_id) - bit_count("
            f"bitstring_agg(user_id, 0, {a.users - 1})) as twice"
            f" from read_parquet('{_data_path(a.users)}'))"
        )

    def run() -> dict[str, Any]:
        rows = [r[:4] for r in con.execute(sql).fetchall()]
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

    return timed(run, a.repeats)


def worker_floor_check(a: argparse.Namespace) -> dict[str, Any]:
    return worker_floor(a, check=True)


def _lifelines_fit(df: Any) -> dict[str, Any]:
    """Kaplan-Meier per arm and the log-rank test on per-user ``day`` and ``event``."""
    from lifelines import KaplanMeierFitter
    from lifelines.statistics import logrank_test

    out = {}
    groups = {arm: g for arm, g in df.groupby("variant")}
    for arm, g in groups.items():
        km = KaplanMeierFitter().fit(g["day"], g["event"])
        out[f"s90_{arm}"] = float(km.predict(90.0))
    c, t = groups["control"], groups["treatment"]
    out["log_rank"] = float(logrank_test(c["day"], t["day"], c["event"], t["event"]).test_statistic)
    return out


def worker_lifelines(a: argparse.Namespace) -> dict[str, Any]:
    import duckdb

    sql = _floor_sql(a)
    # the per-user durations and flags, from the floor's query without its last GROUP BY
    per_user = sql.replace("count(*) as n\nfrom f group by all", "1 as n from f").replace(
        "count(*) as n\nfrom c group by all", "1 as n from c"
    )
    df = duckdb.connect().execute(per_user).df()
    return timed(lambda: _lifelines_fit(df), a.repeats)


def _pandas_churn(a: argparse.Namespace) -> Any:
    """Per-user ``day`` and ``event`` from the Parquet file with pandas, by the floor's rule:
    follow-up capped at the window, users exposed after the end dropped."""
    import pandas as pd

    df = pd.read_parquet(_data_path(a.users), columns=["variant", "first_exposure", "churned_at"])
    one_day = pd.Timedelta(days=1)
    x = df["first_exposure"]
    e = (pd.Timestamp(END) - x) // one_day
    c = (df["churned_at"] - x) // one_day  # NaN for no cancellation
    f = e.clip(upper=WINDOW)
    event = c.notna() & (c <= f)
    out = pd.DataFrame({"variant": df["variant"], "day": f.where(~event, c), "event": event})
    return out[e >= 0]


def _pandas_activity(a: argparse.Namespace) -> Any:
    """Per-user ``day`` and ``event`` from the two Parquet files with pandas, by the floor's
    activity rule: the distinct active days since exposure (the exposure day counts), the next
    active day of each, and churn on the first day followed by more than the gap idle days."""
    import numpy as np
    import pandas as pd

    one_day = pd.Timedelta(days=1)
    end = pd.Timestamp(END)
    users = pd.read_parquet(_data_path(a.users), columns=["user_id", "variant", "first_exposure"])
    users["e"] = (end - users["first_exposure"]) // one_day
    users["f"] = np.minimum(WINDOW, users["e"] - GAP)
    act = pd.read_parquet(_activity_path(a.users), columns=["user_id", "ts"])
    act = act[act["ts"] <= end].merge(users[["user_id", "first_exposure"]], on="user_id")
    act["day"] = (act["ts"] - act["first_exposure"]) // one_day
    days = act.loc[act["day"] >= 0, ["user_id", "day"]].drop_duplicates()
    days = days.sort_values(["user_id", "day"])
    days["nxt"] = days.groupby("user_id")["day"].shift(-1)
    days = days.merge(users[["user_id", "e", "f"]], on="user_id")
    gap_after = (days["nxt"].isna() & (days["day"] + GAP <= days["e"])) | (
        days["nxt"] - days["day"] > GAP
    )
    churn = days[gap_after & (days["day"] <= days["f"])].groupby("user_id")["day"].min()
    u = users[users["f"] >= 0].set_index("user_id")
    churn = churn.reindex(u.index)
    event = churn.notna()
    return pd.DataFrame(
        {"variant": u["variant"], "day": churn.where(event, u["f"]), "event": event}
    )


def worker_lifelines_read(a: argparse.Namespace) -> dict[str, Any]:
    derive = _pandas_activity if a.mode == "activity" else _pandas_churn
    return timed(lambda: _lifelines_fit(derive(a)), a.repeats)


WORKERS = {
    "generate": worker_generate,
    "mlroi": worker_mlroi,
    "mlroi counts": worker_mlroi_counts,
    "floor": worker_floor,
    "floor with the check": worker_floor_check,
    "lifelines (fit only)": worker_lifelines,
    "lifelines (read + fit)": worker_lifelines_read,
}


def _run_worker(name: str, a: argparse.Namespace) -> dict[str, Any]:
    """Run one worker in its own process; its result plus its peak memory (MiB)."""
    return run_worker(
        __file__, name, ["--users", str(a.users), "--repeats", str(a.repeats), "--mode", a.mode]
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--users", type=int, default=10_000_000)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--lifelines-max", type=int, default=1_000_000)
    p.add_argument(
        "--mode",
        choices=["churn", "activity"],
        default="churn",
        help="churn: a cancellation column; activity: an activity log (churn after 14 idle days)",
    )
    p.add_argument("--worker", choices=sorted(WORKERS))
    a = p.parse_args()
    if a.worker:
        print(json.dumps(WORKERS[a.worker](a)))
        return
    missing = not _data_path(a.users).exists()
    if a.mode == "activity" and not _activity_path(a.users).exists():
        missing = True
    if missing:
        _run_worker("generate", a)
    names = ["mlroi", "mlroi counts", "floor", "floor with the check"]
    if a.users <= a.lifelines_max:
        names += ["lifelines (fit only)", "lifelines (read + fit)"]
    results = {}
    for name in names:
        results[name] = _run_worker(name, a)
    floor, floor_cpu = results["floor"]["median_s"], results["floor"]["cpu_s"]
    lines = [
        f"# Retention benchmark ({a.mode}): {a.users:,} users, {a.repeats} repeats (medians)",
        "",
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {os.cpu_count()} CPUs; load is"
        " the 1-minute load average before and after each tool's process. CPU seconds are"
        " every thread's (time.process_time), which other processes on a shared machine move"
        " far less than wall time.",
        "",
        "| tool | median s | median CPU s | first call s | x floor | x floor (CPU) | peak MiB"
        " | load | S(90) control | S(90) treatment |",
        "|---|---:|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for name, r in results.items():
        c = r["check"]
        lines.append(
            f"| {name} | {r['median_s']:.3f} | {r['cpu_s']:.3f} | {r['first_s']:.3f}"
            f" | {r['median_s'] / floor:.2f}x | {r['cpu_s'] / floor_cpu:.2f}x"
            f" | {r['peak_mib']:.0f}"
            f" | {r['load'][0]:.1f} to {r['load'][1]:.1f}"
            f" | {c['s90_control']:.6f} | {c['s90_treatment']:.6f} |"
        )
    if "lifelines (read + fit)" in results:
        mine = results["mlroi"]
        lines.append("")
        for name in ("lifelines (read + fit)", "lifelines (fit only)"):
            r = results[name]
            lines.append(
                f"mlroi (whole analysis) against {name}: {r['median_s'] / mine['median_s']:.1f}x"
                f" faster by wall time, {r['cpu_s'] / mine['cpu_s']:.1f}x by CPU time."
            )
    text = "\n".join(lines) + "\n"
    full = a.users >= 10_000_000
    name = "retention_results" + ("" if a.mode == "churn" else "_activity")
    stem = HERE / name if full else DATA / f"{name}-{a.users}"
    stem.parent.mkdir(parents=True, exist_ok=True)
    stem.with_suffix(".md").write_text(text)
    stem.with_suffix(".json").write_text(json.dumps(results, indent=2) + "\n")
    print(text)


if __name__ == "__main__":
    main()
