"""Benchmark of revenue attribution: mlroi, a hand-written DuckDB floor and ChannelAttribution.

How to run, from the repository root::

    .venv/bin/python benchmarks/attribution_bench.py --users 20000     # a smoke run (seconds)
    .venv/bin/python benchmarks/attribution_bench.py --users 10000000 --order-rate 1 \
        --only floor,mlroi-paths                                       # the issue's size
    .venv/bin/python benchmarks/attribution_bench.py --users 1000000 --order-rate 1 \
        --only mlroi-paths,mlroi,mlroi-models,mam,channelattribution   # the peers, ~1M journeys

The logs are the demo's (:mod:`mlroi.demo.journeys`), generated in blocks of 200,000 users into
``benchmarks/data/attribution-<users>[-r<rate>]/`` (git-ignored) and reused; about 5 touches
(with recommendation impressions) and 0.26 orders per user (``--order-rate 1``: 0.51), so 10M
users give about 50M touches and 2.6M orders (5.1M). Results go to
``benchmarks/data/attribution-results-<users>[-r<rate>].{md,json}``.

What is timed, each case in its own process (peak memory is the child's ``ru_maxrss``, imports
and data loading included):

- ``floor``: the hand-written floor: one DuckDB SQL query from the two Parquet files to the path
  table (distinct journeys with counts and revenue: each touch joined to the user's next order,
  lookback 30 days, recommendation impressions left out), then last-click and linear credits in
  numpy. No duplicate handling, no counts of irregular rows, no time decay: the least a careful
  analyst would write.
- ``mlroi-paths``: :func:`mlroi.backend.attribution.journey_counts` (the path table, the
  irregular-row counts and the time-decay sums) and :func:`~mlroi.attribution.analysis.table_of`.
- ``mlroi``: the whole :func:`mlroi.attribute` with all seven models, bootstrap off.
- ``mlroi-boot``: the same with 200 bootstrap resamples.
- ``mlroi-models``: mlroi's path table of the logs (untimed; written to ``paths.parquet`` in
  the logs' folder for the peers), then :func:`~mlroi.attribution.analysis.attribute_paths`
  with last-click, linear and Markov, bootstrap off: the models alone, as the peers are timed.
- ``mam``: marketing-attribution-models (DP6's package; 2.1.1, its Polars rewrite) on that
  path table, one row per journey: its set-up and its last-click, linear and Markov models, in
  ``benchmarks/.venv-mam`` (``uv venv benchmarks/.venv-mam && uv pip install --python
  benchmarks/.venv-mam/bin/python marketing-attribution-models``).
- ``channelattribution``: ChannelAttribution's ``heuristic_models`` and ``markov_model`` (its
  Markov numbers are simulated) on mlroi's path table (the floor's when ``mlroi-models`` has
  not run), in ``benchmarks/.venv-ca`` when it is installed there (``uv venv
  benchmarks/.venv-ca && uv pip install --python benchmarks/.venv-ca/bin/python
  channelattribution duckdb pandas``): GPL, so never imported by mlroi; only run here.

The peers' credits are compared with ``mlroi-models``' (the largest difference relative to a
channel's credit, per model: the table's note).
The driver imports only the standard library (the logs are written by a child), so a child's
peak memory is its own. Imports are not timed; "seconds" is the fastest of ``--repeats`` calls.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
CA_PY = HERE / ".venv-ca" / "bin" / "python"
MAM_PY = HERE / ".venv-mam" / "bin" / "python"
BLOCK = 200_000

FLOOR_SQL = """
WITH t AS (
  SELECT CAST(user_id AS VARCHAR) AS u, ts, channel FROM read_parquet($touch)
  WHERE channel <> 'rec_impression'
), o AS (
  SELECT CAST(user_id AS VARCHAR) AS u, order_id, min(ts) AS ts,
         greatest(sum(revenue), 0) AS value
  FROM read_parquet($orders) GROUP BY ALL
), ok AS (
  SELECT *, row_number() OVER (PARTITION BY u ORDER BY ts, order_id) AS k FROM o
), ev AS (
  SELECT u, ts, channel, 0 AS kind FROM t
  UNION ALL SELECT u, ts, NULL, 1 FROM ok
), tk AS (
  SELECT u, ts, channel,
         sum(kind) OVER (PARTITION BY u ORDER BY ts, kind ROWS UNBOUNDED PRECEDING) AS k,
         kind
  FROM ev
), j AS (
  SELECT tk.u, tk.k, string_agg(tk.channel, '>' ORDER BY tk.ts) AS path,
         any_value(ok.value) AS value, any_value(ok.order_id) IS NOT NULL AS converted
  FROM tk LEFT JOIN ok ON tk.u = ok.u AND tk.k + 1 = ok.k
  WHERE tk.kind = 0 AND (ok.ts IS NULL OR ok.ts - tk.ts <= INTERVAL 30 DAY)
  GROUP BY tk.u, tk.k
)
SELECT path, converted, count(*) AS journeys, sum(value) AS value FROM j GROUP BY ALL
"""
# Note: in the floor k counts orders up to and including the touch's row, so the touch's order is
# k + 1 (row_number starts at 1); mlroi's Ibis query uses Ibis' 0-based row_number.


SIZES = """
import json, sys
import pyarrow.parquet as pq
f = sys.argv[1]
print(json.dumps({"touch_rows": pq.ParquetFile(f + "/touchpoints.parquet").metadata.num_rows,
                  "order_lines": pq.ParquetFile(f + "/orders.parquet").metadata.num_rows}))
"""


def folder_of(users: int, order_rate: float | None) -> Path:
    """Where the logs of ``users`` users are kept (``order_rate`` ``None``: the demo's)."""
    return DATA / (f"attribution-{users}" + (f"-r{order_rate:g}" if order_rate else ""))


def generate(users: int, order_rate: float | None = None) -> Path:
    """The two logs of ``users`` users, written once in blocks and reused; ``order_rate`` is
    the demo generator's (``None``: its default, about 0.26 orders per user; 1.0 about 0.52,
    the issue's 5M orders at 10M users)."""
    out = folder_of(users, order_rate)
    if (out / "done").exists():
        return out
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from mlroi.demo.journeys import generate_journey_logs

    out.mkdir(parents=True, exist_ok=True)
    writers: dict[str, Any] = {}
    try:
        for b, start in enumerate(range(0, users, BLOCK)):
            rate = {} if order_rate is None else {"order_rate": order_rate}
            logs = generate_journey_logs(min(BLOCK, users - start), seed=1000 + b, **rate)
            for name, table in logs.items():
                table = table.set_column(
                    table.schema.get_field_index("user_id"),
                    "user_id",
                    pc.add(table["user_id"], pa.scalar(start, pa.int64())),
                )
                if name == "orders":
                    table = table.set_column(
                        table.schema.get_field_index("order_id"),
                        "order_id",
                        pc.binary_join_element_wise(f"b{b}", table["order_id"], "-"),
                    )
                if name not in writers:
                    writers[name] = pq.ParquetWriter(out / f"{name}.parquet", table.schema)
                writers[name].write_table(table)
    finally:
        for w in writers.values():
            w.close()
    (out / "done").write_text("ok")
    return out


def case(name: str, folder: Path, repeats: int) -> dict[str, Any]:
    """Run one case in this process (a child of the driver) and return its timings."""
    touch, orders = str(folder / "touchpoints.parquet"), str(folder / "orders.parquet")
    times: list[float] = []
    info: dict[str, Any] = {}
    import duckdb  # imports are not timed (mlroi's Ibis import alone takes about a second)

    if name != "floor":
        import mlroi.attribution.analysis
        import mlroi.backend.attribution
        import mlroi.sources.open

        mlroi.sources.open.default_connection()
    cpu: list[float] = []
    for _ in range(repeats):
        start, cpu_start = time.perf_counter(), time.process_time()
        if name == "floor":
            rows = duckdb.execute(FLOOR_SQL, {"touch": touch, "orders": orders}).fetchnumpy()
            conv = rows["converted"].astype(bool)
            paths = [str(p).split(">") for p in rows["path"][conv]]
            last: dict[str, float] = {}
            linear: dict[str, float] = {}
            for p, v in zip(paths, rows["value"][conv], strict=True):
                last[p[-1]] = last.get(p[-1], 0.0) + float(v)
                for c in p:
                    linear[c] = linear.get(c, 0.0) + float(v) / len(p)
            info = {"paths": len(rows["path"]), "last_click": last}
        elif name == "mlroi-paths":
            from mlroi.attribution.analysis import table_of
            from mlroi.backend.attribution import LogColumns, journey_counts
            from mlroi.sources.open import open_table

            cols = LogColumns(
                "user_id",
                "ts",
                "channel",
                "item_id",
                "user_id",
                "order_id",
                "ts",
                "revenue",
                "item_id",
            )
            got = journey_counts(
                open_table(touch),
                open_table(orders),
                cols,
                lookback_days=30,
                half_life_days=7,
                max_touches=50,
                exclude=["rec_impression"],
            )
            table = table_of(got, 7 * 24)
            info = {"paths": table.rows, "journeys": float(table.journeys.sum())}
        elif name in {"mlroi", "mlroi-boot"}:
            from mlroi.attribution.analysis import attribute
            from mlroi.attribution.config import AttributionConfig

            config = AttributionConfig.model_validate(
                {
                    "touchpoints": {"path": touch},
                    "orders": {"path": orders},
                    "recommendation": {"views": ["rec_impression"]},
                    "resamples": 200 if name == "mlroi-boot" else 0,
                }
            )
            r = attribute(config)
            info = {
                "paths": None,
                "last_click": {c.channel: c.value.estimate for c in r.model("last_click").channels},
            }
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - cpu_start)
    return {"times": times, "cpu": cpu, **info}


PEER_MODELS = ("last_click", "linear", "markov")
"""The models timed against marketing-attribution-models, on mlroi's own path table."""


def mlroi_models(folder: Path) -> dict[str, Any]:
    """mlroi's path table of the logs in ``folder`` (written beside them for the peer), and the
    time of :func:`~mlroi.attribution.analysis.attribute_paths` with :data:`PEER_MODELS` on it
    (bootstrap off): the models alone, as the peer is timed."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from mlroi.attribution.analysis import attribute_paths, table_of
    from mlroi.backend.attribution import LogColumns, journey_counts
    from mlroi.sources.open import open_table

    cols = LogColumns(
        *["user_id", "ts", "channel", "item_id", "user_id", "order_id", "ts", "revenue", "item_id"]
    )
    got = journey_counts(
        open_table(str(folder / "touchpoints.parquet")),
        open_table(str(folder / "orders.parquet")),
        cols,
        lookback_days=30,
        half_life_days=7,
        max_touches=50,
        exclude=["rec_impression"],
    )
    table = table_of(got, 7 * 24, timed=False)
    pq.write_table(
        pa.table(
            {
                "path": [" > ".join(table.channels[c] for c in p) for p in table.paths],
                "journeys": table.journeys,
                "conversions": table.conversions,
                "value": table.value,
            }
        ),
        folder / "paths.parquet",
    )
    start = time.perf_counter()
    r = attribute_paths(table, models=list(PEER_MODELS), resamples=0)
    seconds = time.perf_counter() - start
    return {
        "times": [seconds],
        "paths": len(table.paths),
        "journeys": float(table.journeys.sum()),
        **{m: {c.channel: c.value.estimate for c in r.model(m).channels} for m in PEER_MODELS},
    }


def mam(folder: Path) -> dict[str, Any]:
    """marketing-attribution-models (run in benchmarks/.venv-mam) on mlroi's path table, one
    row per journey (a path's revenue split evenly over its converting journeys): the time of
    its set-up (its own preprocessing of the rows) and of :data:`PEER_MODELS`."""
    import numpy as np
    import polars as pl
    import pyarrow.parquet as pq
    from mam.core import MAM

    paths = pq.read_table(folder / "paths.parquet").to_pydict()
    conv = np.asarray(paths["conversions"], dtype=np.int64)
    null = np.asarray(paths["journeys"], dtype=np.int64) - conv
    value = np.asarray(paths["value"], dtype=np.float64)
    path = np.asarray(paths["path"], dtype=object)
    # the journey format needs each touch's hours before the end (unused by these models)
    hours = np.asarray([" > ".join("0" for _ in p.split(" > ")) for p in path], dtype=object)
    rows = pl.DataFrame(
        {
            "journey_id": np.arange(int(conv.sum() + null.sum())).astype(str),
            "journey": np.concatenate([np.repeat(path, conv), np.repeat(path, null)]),
            "time_till_end": np.concatenate([np.repeat(hours, conv), np.repeat(hours, null)]),
            "conversion": np.concatenate(
                [np.ones(conv.sum(), dtype=bool), np.zeros(null.sum(), dtype=bool)]
            ),
            "revenue": np.concatenate(
                [np.repeat(value / np.maximum(conv, 1), conv), np.zeros(null.sum())]
            ),
        }
    )
    out: dict[str, Any] = {"journeys": rows.height}
    start = time.perf_counter()
    model = MAM(
        df=rows,
        format_type="journey",
        channels_colname="journey",
        journey_with_conv_colname="conversion",
        conversion_value_colname="revenue",
        time_till_conv_colname="time_till_end",
    )
    runs = {
        "last_click": model.run_last_click,
        "linear": model.run_linear,
        "markov": model.run_markov,
    }
    for name, run in runs.items():
        got = run().to_pandas()
        out[name] = _credits(got)
    out["times"] = [time.perf_counter() - start]
    return out


def _credits(frame: Any) -> dict[str, float]:
    """Revenue credited per channel in a result frame of marketing-attribution-models."""
    return {str(k): float(v) for k, v in zip(frame["channels"], frame["attribution"], strict=True)}


def channelattribution(folder: Path) -> dict[str, Any]:
    """ChannelAttribution (run in benchmarks/.venv-ca) on mlroi's path table when the
    ``mlroi-models`` case wrote it, else on the floor's."""
    import duckdb
    import pandas as pd
    from ChannelAttribution import heuristic_models, markov_model

    touch, orders = str(folder / "touchpoints.parquet"), str(folder / "orders.parquet")
    if (folder / "paths.parquet").exists():
        mine = pd.read_parquet(folder / "paths.parquet")
        rows = pd.DataFrame(
            {
                "path": mine["path"],
                "conv": mine["conversions"],
                "null": mine["journeys"] - mine["conversions"],
                "value": mine["value"],
            }
        )
    else:
        rows = duckdb.execute(FLOOR_SQL, {"touch": touch, "orders": orders}).df()
        rows = pd.DataFrame(
            {
                "path": rows["path"].str.replace(">", " > "),
                "conv": rows["journeys"].where(rows["converted"], 0),
                "null": rows["journeys"].where(~rows["converted"], 0),
                "value": rows["value"].fillna(0.0),
            }
        )
    start = time.perf_counter()
    frame = rows.groupby("path", as_index=False).sum()
    heur = heuristic_models(frame, "path", "conv", var_value="value")
    mid = time.perf_counter()
    mark = markov_model(
        frame, "path", "conv", var_value="value", var_null="null", order=1, verbose=0
    )
    end = time.perf_counter()
    return {
        "times": [end - start],
        "heuristic_s": mid - start,
        "markov_s": end - mid,
        "last_click": dict(zip(heur["channel_name"], heur["last_touch_value"], strict=True)),
        "linear": dict(zip(heur["channel_name"], heur["linear_touch_value"], strict=True)),
        "markov": dict(zip(mark["channel_name"], mark["total_conversion_value"], strict=True)),
    }


def child(argv: list[str], python: str = sys.executable) -> dict[str, Any]:
    proc = subprocess.run([python, __file__, *argv], capture_output=True, text=True, check=False)
    if proc.returncode != 0 or not proc.stdout.strip():
        return {"error": (proc.stderr.strip().splitlines() or ["no output"])[-1]}
    got: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return got


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument(
        "--only",
        default="floor,mlroi-paths,mlroi,mlroi-boot,mlroi-models,mam,channelattribution",
    )
    parser.add_argument("--child", nargs=2, metavar=("CASE", "FOLDER"))
    parser.add_argument("--generate", action="store_true", help="only write the logs")
    parser.add_argument(
        "--order-rate",
        type=float,
        default=None,
        help="the generator's order rate (default: the demo's; 1.0 doubles the orders)",
    )
    args = parser.parse_args()
    if args.child:
        import resource

        name, folder = args.child
        runs = {"channelattribution": channelattribution, "mam": mam, "mlroi-models": mlroi_models}
        result = (
            runs[name](Path(folder)) if name in runs else case(name, Path(folder), args.repeats)
        )
        result["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result, default=float))
        return
    if args.generate:
        generate(args.users, args.order_rate)
        return
    # generated in a child, so that the driver stays small: a child inherits its parent's
    # peak RSS across exec (ru_maxrss), which would hide its own
    rate = [] if args.order_rate is None else ["--order-rate", str(args.order_rate)]
    subprocess.run(
        [sys.executable, __file__, "--generate", "--users", str(args.users), *rate], check=True
    )
    folder = folder_of(args.users, args.order_rate)
    sizes = subprocess.run(
        [sys.executable, "-c", SIZES, str(folder)], capture_output=True, text=True, check=True
    )
    results: dict[str, Any] = {
        "users": args.users,
        "order_rate": args.order_rate,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load_start": os.getloadavg(),
        "cases": {},
        "sizes": json.loads(sizes.stdout),
    }
    for name in args.only.split(","):
        peer = {"channelattribution": CA_PY, "mam": MAM_PY}.get(name)
        if peer is not None and not peer.exists():
            results["cases"][name] = {"skipped": f"{peer.parent.parent} not installed"}
            continue
        python = str(peer) if peer is not None else sys.executable
        argv = ["--child", name, str(folder), "--repeats", str(args.repeats)]
        load = os.getloadavg()[0]
        results["cases"][name] = child(argv, python)
        results["cases"][name]["load"] = [load, os.getloadavg()[0]]  # 1-minute, before and after
        print(name, json.dumps(results["cases"][name], default=float)[:300], flush=True)
    agree(results["cases"])
    results["load_end"] = os.getloadavg()
    write(results, args.users, folder.name.removeprefix("attribution-"))


def agree(cases: dict[str, Any]) -> None:
    """Each peer's largest difference from mlroi's credits per model, relative to the channel's
    credit (``agreement`` of the peer's case); only where both ran on mlroi's path table."""
    ours = cases.get("mlroi-models", {})
    for peer in ("mam", "channelattribution"):
        theirs = cases.get(peer, {})
        for model in PEER_MODELS:
            a, b = ours.get(model), theirs.get(model)
            if not a or not b:
                continue
            worst = max(abs(b.get(c, 0.0) - v) / max(abs(v), 1e-300) for c, v in a.items())
            theirs.setdefault("agreement", {})[model] = worst


def write(results: dict[str, Any], users: int, tag: str) -> None:
    DATA.mkdir(exist_ok=True)
    (DATA / f"attribution-results-{tag}.json").write_text(json.dumps(results, indent=2))
    floor = results["cases"].get("floor", {}).get("times", [None])
    sizes = results.get("sizes", {})
    lines = [
        f"# Attribution benchmark: {users:,} users",
        "",
        f"{results.get('date', '')}; {results.get('cpus')} CPUs; "
        + (
            f"{sizes['touch_rows']:,} touch rows, {sizes['order_lines']:,} order lines; "
            if sizes
            else ""
        )
        + "load is the 1-minute load average before and after each case.",
        "",
        "| case | seconds (min) | x floor | CPU s | peak MiB | load | note |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    for name, r in results["cases"].items():
        load = "{:.1f} to {:.1f}".format(*r["load"]) if "load" in r else ""
        if "times" not in r:
            lines.append(f"| {name} | | | | | {load} | {r.get('skipped') or r.get('error')} |")
            continue
        best = min(r["times"])
        ratio = f"{best / min(floor):.2f}" if floor and floor[0] else ""
        note = "; ".join(f"{m} within {d:.1e}" for m, d in r.get("agreement", {}).items())
        cpu = f"{min(r['cpu']):.1f}" if r.get("cpu") else ""
        lines.append(
            f"| {name} | {best:.2f} | {ratio} | {cpu} | {r['peak_mib']:.0f} | {load} | {note} |"
        )
    (DATA / f"attribution-results-{tag}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
