"""Start-up stays light: what `mlroi --help` and `mlroi roi` import, checked in a fresh process.

The shape is guarded, not the time (tests never assert on wall time; the seconds are in
`benchmarks/startup_results.md`): each command runs in its own interpreter, which then lists
the modules it loaded. Heavy libraries are loaded only by the commands that use them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

RUN = """\
import json, sys
import mlroi.process
mlroi.process.prepare()  # as the mlroi script does
from mlroi.cli import main
try:
    main(sys.argv[2:])
except SystemExit:
    pass
with open(sys.argv[1], "w") as out:
    json.dump(sorted(sys.modules), out)
"""

HEAVY = ("ibis", "duckdb", "sqlglot", "numpy", "scipy", "pandas", "pyarrow", "polars")
"""Libraries that cost tenths of a second to import (ibis with DuckDB about half a second)."""

CASE = """\
name: Recommender
goal: More revenue
intervention: Show recommendations
population: {{description: users}}
primary_metric: conversion
experiment:
  source: {{path: {path}}}
  unit: user_id
  control: control
  arms: {{control: 0.5, treatment: 0.5}}
  metrics:
    - {{name: conversion, type: proportion, column: converted}}
value:
  drivers:
    - {{name: orders, lift: {{metric: conversion}}, value_per_unit: 40, units_per_month: 10000}}
costs:
  - {{kind: fixed, name: team, category: other, amount: {{low: 1500, high: 2500}}, every: month}}
finance: {{currency: USD, horizon_months: 12}}
simulation: {{draws: 2000}}
"""


def loaded_modules(tmp_path: Path, *args: str | Path) -> set[str]:
    """The modules a fresh ``mlroi ARGS`` process has loaded when it ends."""
    listing = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", RUN, str(listing), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert listing.exists(), done.stderr
    return set(json.loads(listing.read_text()))


def loaded_by(tmp_path: Path, *args: str | Path) -> set[str]:
    """The top-level packages a fresh ``mlroi ARGS`` process has loaded when it ends."""
    return {name.split(".")[0] for name in loaded_modules(tmp_path, *args)}


@pytest.fixture
def case_with_data(tmp_path: Path) -> Path:
    rng = np.random.default_rng(3)
    n = 2_000
    variant = np.where(np.arange(n) % 2 == 0, "control", "treatment")
    converted = (rng.uniform(size=n) < np.where(variant == "control", 0.10, 0.13)).astype(int)
    data = tmp_path / "ab.parquet"
    pq.write_table(
        pa.table({"user_id": np.arange(n), "variant": variant, "converted": converted}), data
    )
    case = tmp_path / "case.yaml"
    case.write_text(CASE.format(path=data))
    return case


def test_help_imports_no_data_library_and_no_validation(tmp_path: Path) -> None:
    loaded = loaded_by(tmp_path, "--help")
    assert "typer" in loaded  # it did run
    assert loaded.isdisjoint({*HEAVY, "pydantic", "yaml"})


def test_help_imports_none_of_the_analyses(tmp_path: Path) -> None:
    modules = loaded_modules(tmp_path, "--help")
    assert "mlroi.cli" in modules
    for layer in ("spec", "experiment", "sources", "roi", "report.build", "pipeline"):
        assert f"mlroi.{layer}" not in modules, layer
    # of the backend only the import hook (standard library only) the script installs
    assert {m for m in modules if m.startswith("mlroi.backend.")} == {"mlroi.backend.compilers"}


def test_roi_of_a_case_with_a_hand_entered_lift_reads_no_data(tmp_path: Path) -> None:
    case = tmp_path / "case.yaml"
    subprocess.run(
        [sys.executable, "-m", "mlroi", "init", str(case)], capture_output=True, check=True
    )
    loaded = loaded_by(tmp_path, "roi", case)
    assert "numpy" in loaded  # the Monte Carlo ran
    assert loaded.isdisjoint({"ibis", "duckdb", "sqlglot", "scipy", "pandas", "pyarrow", "polars"})


def test_roi_of_a_case_with_an_experiment_reads_it_through_duckdb_only(
    tmp_path: Path, case_with_data: Path
) -> None:
    loaded = loaded_by(tmp_path, "roi", case_with_data)
    assert {"ibis", "duckdb"} <= loaded  # the readout ran
    assert loaded.isdisjoint({"scipy", "pandas", "pyarrow", "polars"})


def test_importing_mlroi_loads_only_its_errors(tmp_path: Path) -> None:
    listing = tmp_path / "modules.json"
    code = f"import json, sys, mlroi; json.dump(sorted(sys.modules), open({str(listing)!r}, 'w'))"
    subprocess.run([sys.executable, "-c", code], check=True)
    loaded = {name for name in json.loads(listing.read_text()) if name.startswith("mlroi")}
    assert loaded == {"mlroi", "mlroi.errors"}


def test_closing_the_shared_connection_gives_a_new_one_to_the_next_read(
    case_with_data: Path,
) -> None:
    from mlroi.sources.open import close_default_connection, default_connection, open_table

    data = case_with_data.parent / "ab.parquet"
    first = default_connection()
    assert open_table(data).count().execute() == 2_000
    close_default_connection()
    assert default_connection() is not first
    assert open_table(data).count().execute() == 2_000


def modules_after(tmp_path: Path, code: str) -> set[str]:
    """The modules a fresh interpreter has loaded after running ``code``."""
    listing = tmp_path / "modules.json"
    dump = f"import json, sys\njson.dump(sorted(sys.modules), open({str(listing)!r}, 'w'))\n"
    subprocess.run([sys.executable, "-c", code + "\n" + dump], check=True)
    return set(json.loads(listing.read_text()))


def test_closing_a_connection_never_opened_loads_no_duckdb(tmp_path: Path) -> None:
    code = "from mlroi.sources.open import close_default_connection\nclose_default_connection()"
    loaded = modules_after(tmp_path, code)
    assert {name.split(".")[0] for name in loaded}.isdisjoint({"ibis", "duckdb"})


def test_roi_closing_the_connection_before_its_simulation_gives_the_same_result(
    case_with_data: Path,
) -> None:
    from mlroi.pipeline import evaluate
    from mlroi.serialize import dumps
    from mlroi.spec.case import load_case

    case = load_case(case_with_data)
    kept = evaluate(case, base=case_with_data.parent)
    closed = evaluate(case, base=case_with_data.parent, close_connection=True)
    assert dumps(closed.to_dict()) == dumps(kept.to_dict())


def test_roi_of_a_case_with_an_experiment_loads_only_duckdbs_sql_compiler(
    tmp_path: Path, case_with_data: Path
) -> None:
    modules = loaded_modules(tmp_path, "roi", case_with_data)
    compilers = {m for m in modules if m.startswith("ibis.backends.sql.compilers.")}
    assert "ibis.backends.sql.compilers.duckdb" in compilers  # the readout ran
    assert compilers <= {f"ibis.backends.sql.compilers.{m}" for m in ("duckdb", "base", "_compat")}
    assert "ibis.backends.sql.dialects" not in modules  # Ibis's patches to other dialects


COMPILE_EVERYWHERE = """\
import sys
if sys.argv[1] == "on demand":
    import mlroi.process
    mlroi.process.prepare()
import ibis
import ibis.backends.sql.compilers as sc
from ibis.backends.sql.compilers import PostgresCompiler
t = ibis.table({"g": "string", "x": "float64", "y": "int64", "d": "decimal(18, 2)"}, name="t")
f = t.filter(t.x > 0)
query = f.group_by("g").aggregate(
    n=f.count(), m=f.x.mean(), v=f.x.var(), c=f.x.cov(f.y.cast("float64")),
    s=f.d.sum(), k=f.y.nunique(), cap=f.x.clip(upper=3).max(), w=(f.y > 1).ifelse(f.x, 0).sum(),
)
for dialect in ("duckdb", "postgres", "bigquery", "snowflake", "databricks", "athena",
                "trino", "clickhouse"):
    print(dialect, ibis.to_sql(query, dialect=dialect))
print(type(sc.postgres.compiler) is PostgresCompiler, sorted(sc.__all__))
"""


def test_every_dialect_compiles_alike_with_ibis_compilers_loaded_on_demand() -> None:
    def compiled(how: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", COMPILE_EVERYWHERE, how],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return done.stdout

    as_ibis_loads_them = compiled("all at once")
    assert compiled("on demand") == as_ibis_loads_them
    assert "True" in as_ibis_loads_them.splitlines()[-1]


def test_mlroi_as_a_library_leaves_ibis_compilers_as_ibis_loads_them(tmp_path: Path) -> None:
    code = "import mlroi.backend.execute, mlroi.sources.open\nimport ibis.backends.sql.compilers"
    assert "ibis.backends.sql.compilers.postgres" in modules_after(tmp_path, code)


def test_a_compilers_package_that_does_more_than_reexport_is_imported_as_ibis_wrote_it() -> None:
    from mlroi.backend.compilers import PACKAGE, reexports

    only = '"""Compilers."""\nfrom __future__ import annotations\n__all__ = ["A"]\n'
    assert reexports(only + f"from {PACKAGE}.a import A\n") == {"A": "a"}
    assert reexports(only + f"from {PACKAGE}.a import A\nA.patched = True\n") is None
    assert reexports(only + f"from {PACKAGE}.a import A as B\n") is None
    assert reexports(only + "from elsewhere.a import A\n") is None
    assert reexports(only) is None


def test_a_command_collects_garbage_rarely_and_restores_the_callers_setting() -> None:
    import gc

    from mlroi.process import YOUNG_THRESHOLD, collecting_rarely

    before = gc.get_threshold()
    with collecting_rarely():
        assert gc.get_threshold() == (max(before[0], YOUNG_THRESHOLD), *before[1:])
    assert gc.get_threshold() == before


LEAVE = """\
import atexit, sys
atexit.register(lambda: print("exit handler ran"))
from mlroi.process import run
sys.argv = ["mlroi", *sys.argv[1:]]
run()
"""


@pytest.mark.parametrize(
    ("args", "status"), [(["--help"], 0), (["validate", "missing.yaml"], 2), (["--bogus"], 2)]
)
def test_the_script_ends_with_the_commands_status_after_the_exit_handlers(
    tmp_path: Path, args: list[str], status: int
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", LEAVE, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == status, done.stderr
    assert done.stdout.rstrip().endswith("exit handler ran")
