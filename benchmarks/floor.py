"""The hand-written floor: one DuckDB query, then the closed-form statistics.

This is what a careful analyst would write by hand for the benchmark's readout, and what mlroi's
overhead is measured against. One SQL query returns per variant the count, sums, sums of squares
and cross-products; the rest is closed-form arithmetic on those few numbers:

- revenue per user: Welch's t-test on CUPED-adjusted means (covariate ``pre_revenue``), with the
  variance-minimising ``theta`` of the difference (within-arm moments, as mlroi does),
- conversion: Wald variance ``p (1 - p) / n`` with Welch's degrees of freedom,
- average order value: ratio of sums, delta-method variance, Welch's degrees of freedom,
- relative lifts: delta method ``Var(t/c) = Var(t)/c^2 + t^2 Var(c)/c^4``,
- SRM: Pearson's chi-square against a 50/50 split.

It only needs ``duckdb`` and ``scipy.special`` (for the t quantile), so it runs in every benchmark
environment. Run it as a script for the "whole run, start to exit" timing::

    python benchmarks/floor.py users data/users.parquet
    python benchmarks/floor.py events data/events.parquet data/assignments.parquet
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any

LEVEL = 0.95
ARMS = {"control": 0.5, "treatment": 0.5}

# Per-variant sums from the per-user table (integer columns sum exactly in DuckDB's HUGEINT).
USERS_SQL = """
SELECT variant,
       count(*)                      AS n,
       sum(revenue)                  AS s_rev,
       sum(revenue * revenue)        AS ss_rev,
       sum(pre_revenue)              AS s_pre,
       sum(pre_revenue * pre_revenue) AS ss_pre,
       sum(revenue * pre_revenue)    AS sp_rev_pre,
       sum(converted)                AS s_conv,
       sum(orders)                   AS s_ord,
       sum(orders * orders)          AS ss_ord,
       sum(revenue * orders)         AS sp_rev_ord
FROM read_parquet(?)
GROUP BY variant
"""

# The same query with DuckDB's one-pass moments (what mlroi and tea-tasting ask for).
MOMENTS_SQL = """
SELECT variant,
       count(*)                            AS n,
       avg(revenue)                        AS m_rev,
       avg(pre_revenue)                    AS m_pre,
       avg(converted)                      AS m_conv,
       avg(orders)                         AS m_ord,
       var_samp(revenue)                   AS v_rev,
       var_samp(pre_revenue)               AS v_pre,
       covar_samp(revenue, pre_revenue)    AS c_rev_pre,
       var_samp(orders)                    AS v_ord,
       covar_samp(revenue, orders)         AS c_rev_ord
FROM read_parquet(?)
GROUP BY variant
"""

# From the event log: purchases within 14 days after first exposure (revenue, orders, converted)
# and within the 28 days before it (pre_revenue); assigned users without purchases count as 0.
EVENTS_SQL = """
WITH a AS (
    SELECT user_id, variant, first_exposure FROM read_parquet(?)
),
per_user AS (
    SELECT e.user_id,
           sum(e.amount) FILTER (WHERE e.ts >= a.first_exposure) AS revenue,
           count(*)      FILTER (WHERE e.ts >= a.first_exposure) AS orders,
           sum(e.amount) FILTER (WHERE e.ts <  a.first_exposure) AS pre_revenue
    FROM read_parquet(?) AS e
    JOIN a USING (user_id)
    WHERE e.event_type = 'purchase'
      AND e.ts >= a.first_exposure - INTERVAL 28 DAY
      AND e.ts <  a.first_exposure + INTERVAL 14 DAY
    GROUP BY e.user_id
),
units AS (
    SELECT a.variant,
           coalesce(p.revenue, 0)     AS revenue,
           coalesce(p.orders, 0)      AS orders,
           coalesce(p.pre_revenue, 0) AS pre_revenue
    FROM a LEFT JOIN per_user AS p USING (user_id)
)
SELECT variant,
       count(*)                       AS n,
       sum(revenue)                   AS s_rev,
       sum(revenue * revenue)         AS ss_rev,
       sum(pre_revenue)               AS s_pre,
       sum(pre_revenue * pre_revenue) AS ss_pre,
       sum(revenue * pre_revenue)     AS sp_rev_pre,
       count(*) FILTER (WHERE orders > 0) AS s_conv,
       sum(orders)                    AS s_ord,
       sum(orders * orders)           AS ss_ord,
       sum(revenue * orders)          AS sp_rev_ord
FROM units
GROUP BY variant
"""


# The same without pushing the event type down: every event in the windows is joined and the type
# is tested inside each aggregate (the shape of mlroi's event derivation); for the breakdown only.
EVENTS_SQL_ALL_TYPES = EVENTS_SQL.replace(
    "WHERE e.event_type = 'purchase'\n      AND ", "WHERE "
).replace("FILTER (WHERE e.ts", "FILTER (WHERE e.event_type = 'purchase' AND e.ts")


def moments_from_sums(row: dict[str, Any]) -> dict[str, float]:
    """Means and sample (co)variances (ddof = 1) from the sums of one variant."""
    n = int(row["n"])
    s_rev, s_pre, s_ord = float(row["s_rev"]), float(row["s_pre"]), float(row["s_ord"])

    def comoment(sp: Any, a: float, b: float) -> float:
        return (float(sp) - a * b / n) / (n - 1)

    return {
        "n": n,
        "m_rev": s_rev / n,
        "m_pre": s_pre / n,
        "m_conv": float(row["s_conv"]) / n,
        "m_ord": s_ord / n,
        "v_rev": comoment(row["ss_rev"], s_rev, s_rev),
        "v_pre": comoment(row["ss_pre"], s_pre, s_pre),
        "c_rev_pre": comoment(row["sp_rev_pre"], s_rev, s_pre),
        "v_ord": comoment(row["ss_ord"], s_ord, s_ord),
        "c_rev_ord": comoment(row["sp_rev_ord"], s_rev, s_ord),
    }


def fetch(con: Any, sql: str, params: list[str]) -> dict[str, dict[str, Any]]:
    """Run one query; rows keyed by variant, columns by name."""
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    return {row[0]: dict(zip(names, row, strict=True)) for row in cur.fetchall()}


def _lift(c: float, vc: float, nc: int, t: float, vt: float, nt: int) -> dict[str, Any]:
    """Welch comparison of two estimates with variances ``vc``, ``vt`` (already / n)."""
    from scipy.special import stdtr, stdtrit

    den = vc**2 / (nc - 1) + vt**2 / (nt - 1)
    df = (vc + vt) ** 2 / den if den > 0 else math.inf
    crit = float(stdtrit(df, 1 - (1 - LEVEL) / 2))
    diff, se = t - c, math.sqrt(vc + vt)
    rel = t / c - 1
    rel_se = math.sqrt(vt / c**2 + t**2 * vc / c**4)
    return {
        "control": c,
        "treatment": t,
        "abs": [diff, diff - crit * se, diff + crit * se],
        "rel": [rel, rel - crit * rel_se, rel + crit * rel_se],
        "p": min(1.0, 2 * float(stdtr(df, -abs(diff / se)))),
    }


def analyse(stats: dict[str, dict[str, float]]) -> dict[str, Any]:
    """The readout from per-variant moments (``moments_from_sums`` or the moments query)."""
    from scipy.special import chdtrc

    c, t = stats["control"], stats["treatment"]
    nc, nt = int(c["n"]), int(t["n"])

    # CUPED: theta minimises Var(adjusted difference); the pooled covariate mean recentres.
    theta = (c["c_rev_pre"] / nc + t["c_rev_pre"] / nt) / (c["v_pre"] / nc + t["v_pre"] / nt)
    pooled_pre = (c["m_pre"] * nc + t["m_pre"] * nt) / (nc + nt)

    def cuped(a: dict[str, float]) -> tuple[float, float]:
        value = a["m_rev"] - theta * (a["m_pre"] - pooled_pre)
        var = a["v_rev"] - 2 * theta * a["c_rev_pre"] + theta**2 * a["v_pre"]
        return value, max(var, 0.0) / a["n"]

    def aov(a: dict[str, float]) -> tuple[float, float]:
        r = a["m_rev"] / a["m_ord"]
        var = (a["v_rev"] - 2 * r * a["c_rev_ord"] + r**2 * a["v_ord"]) / a["m_ord"] ** 2
        return r, var / a["n"]

    def conv(a: dict[str, float]) -> tuple[float, float]:
        p = a["m_conv"]
        return p, p * (1 - p) / a["n"]

    out: dict[str, Any] = {}
    for name, fn in (("revenue_per_user", cuped), ("conversion", conv), ("aov", aov)):
        (vc_, vvc), (vt_, vvt) = fn(c), fn(t)
        out[name] = _lift(vc_, vvc, nc, vt_, vvt, nt)
    total = nc + nt
    chi2 = sum((int(stats[a]["n"]) - total * w) ** 2 / (total * w) for a, w in ARMS.items())
    out["srm"] = {"p": float(chdtrc(len(ARMS) - 1, chi2)), "n": {"control": nc, "treatment": nt}}
    out["cuped_theta"] = theta
    return out


# The same sums plus the duplicate-unit check mlroi makes by default: the distinct ids counted in
# a bitmap whose range DuckDB takes from the Parquet statistics (rows = the sum of the counts).
USERS_UNIQUE_SQL = f"""
SELECT *, (SELECT bit_count(bitstring_agg(user_id)) FROM read_parquet(?)) AS units
FROM ({USERS_SQL})
"""


def readout_users(
    con: Any, path: str, *, moments: bool = False, unique: bool = False
) -> dict[str, Any]:
    """The floor readout of the per-user table (``unique``: with the duplicate-unit check)."""
    if moments:
        return analyse(fetch(con, MOMENTS_SQL, [path]))
    if unique:
        rows = fetch(con, USERS_UNIQUE_SQL, [path, path])
        units = next(iter(rows.values()))["units"]
        if units < sum(int(r["n"]) for r in rows.values()):
            raise ValueError("duplicate units")
    else:
        rows = fetch(con, USERS_SQL, [path])
    return analyse({v: moments_from_sums(r) for v, r in rows.items()})


def readout_events(
    con: Any, events: str, assignments: str, *, sql: str = EVENTS_SQL
) -> dict[str, Any]:
    """The floor readout straight from the event log and the assignments."""
    rows = fetch(con, sql, [assignments, events])
    return analyse({v: moments_from_sums(r) for v, r in rows.items()})


def main(argv: list[str]) -> int:
    import duckdb

    con = duckdb.connect()
    if len(argv) == 2 and argv[0] in {"users", "moments"}:
        result = readout_users(con, argv[1], moments=argv[0] == "moments")
    elif len(argv) == 3 and argv[0] == "events":
        result = readout_events(con, argv[1], argv[2])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
