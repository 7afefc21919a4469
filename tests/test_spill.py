"""Larger-than-memory runs: DuckDB spills into a folder mlroi makes, reports and removes, and a
full spill cap or disk is one error line naming that folder and the fix.

The spills are real: a distinct count of 500,000 strings under a memory limit of 20 MB, on one
thread (so the memory each thread gets does not depend on the machine's cores); it runs in a
fraction of a second.
"""

from __future__ import annotations

import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from mlroi.backend import spill
from mlroi.backend.execute import fetch_rows, watching
from mlroi.cli import app
from mlroi.errors import BackendError, SpecError
from mlroi.sources.open import default_connection, end_run, open_table

ROWS = 500_000
SPILLS = "20MB"
"""A memory limit under which the distinct count of :data:`ROWS` strings spills (one thread)."""


@pytest.fixture(autouse=True)
def fresh_run(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts and ends with no connection, no spill folder and default settings; DuckDB
    runs on one thread."""
    for name in (spill.ENV_TEMP_DIR, spill.ENV_MEMORY_LIMIT, spill.ENV_MAX_TEMP_SIZE):
        monkeypatch.delenv(name, raising=False)
    setup = spill.setup

    def one_thread(con: Any) -> None:
        setup(con)
        con.execute("SET threads = 1").fetchall()

    monkeypatch.setattr(spill, "setup", one_thread)
    end_run()
    spill.configure()
    yield
    end_run()
    spill.configure()


@pytest.fixture(scope="module")
def ids(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Parquet file of :data:`ROWS` users with string ids, two arms and a revenue."""
    path = tmp_path_factory.mktemp("spill") / "users.parquet"
    duckdb.execute(
        "COPY (SELECT 'user-' || i::VARCHAR AS user_id,"
        " CASE WHEN hash(i) % 2 = 0 THEN 'control' ELSE 'treatment' END AS variant,"
        f" (i % 97)::DOUBLE AS revenue FROM range({ROWS}) t(i)) TO '{path}'"
    )
    return path


def distinct_ids(path: Path) -> list[dict[str, Any]]:
    table = open_table(path)
    return fetch_rows(table.aggregate(n=table.user_id.nunique()), "the distinct count")


def spill_folders(where: Path) -> list[Path]:
    return sorted(where.glob(f"{spill.PREFIX}*"))


# --- where it spills ---------------------------------------------------------------------------


def test_duckdb_spills_into_a_private_folder_of_mlroi_inside_the_folder_given(
    tmp_path: Path,
) -> None:
    spill.configure(temp_dir=tmp_path)
    con = default_connection().con
    folder = spill.folder_in_use()
    assert folder is not None and folder.parent == tmp_path
    assert folder.name.startswith(spill.PREFIX)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    (setting,) = con.execute("SELECT current_setting('temp_directory')").fetchone()
    assert Path(setting) == folder


def test_without_a_folder_given_it_spills_under_the_system_temporary_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    default_connection()
    folder = spill.folder_in_use()
    assert folder is not None and folder.parent == tmp_path


def test_the_environment_names_the_folder_and_the_limits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(spill.ENV_TEMP_DIR, str(tmp_path))
    monkeypatch.setenv(spill.ENV_MEMORY_LIMIT, "512MB")
    monkeypatch.setenv(spill.ENV_MAX_TEMP_SIZE, "2GB")
    assert spill.configure() == spill.Settings(tmp_path, "512MB", "2GB")
    con = default_connection().con
    limits = con.execute(
        "SELECT current_setting('memory_limit'), current_setting('max_temp_directory_size')"
    ).fetchone()
    assert limits == ("488.2 MiB", "1.8 GiB")  # DuckDB shows 512 MB and 2 GB in binary units


def test_left_unset_duckdb_keeps_its_own_memory_limit(tmp_path: Path) -> None:
    plain = duckdb.connect().execute("SELECT current_setting('memory_limit')").fetchone()
    con = default_connection().con
    assert con.execute("SELECT current_setting('memory_limit')").fetchone() == plain


def test_a_query_over_the_memory_limit_spills_and_the_run_says_so(
    tmp_path: Path, ids: Path
) -> None:
    spill.configure(temp_dir=tmp_path, memory_limit=SPILLS)
    assert distinct_ids(ids) == [{"n": ROWS}]
    spilled = spill.report()
    assert spilled is not None and spilled.folder.parent == tmp_path
    assert spilled.memory_limit == "19.0 MiB"  # 20 MB in DuckDB's binary units


def test_a_query_within_the_memory_limit_reports_no_spill(tmp_path: Path, ids: Path) -> None:
    spill.configure(temp_dir=tmp_path, memory_limit="1GB")
    assert distinct_ids(ids) == [{"n": ROWS}]
    assert spill.report() is None


# --- clean-up ----------------------------------------------------------------------------------


def test_the_end_of_a_run_removes_its_spill_folder_and_nothing_else(
    tmp_path: Path, ids: Path
) -> None:
    mine = tmp_path / "notes.txt"
    mine.write_text("the user's own file")
    other = tmp_path / "mlroi-spill-of-another-run"
    other.mkdir()
    spill.configure(temp_dir=tmp_path, memory_limit=SPILLS)
    distinct_ids(ids)
    folder = spill.folder_in_use()
    assert folder is not None and folder.exists()
    assert end_run() is not None
    assert not folder.exists()
    assert sorted(tmp_path.iterdir()) == [other, mine]


def test_the_next_run_after_the_end_spills_into_a_new_folder(tmp_path: Path, ids: Path) -> None:
    spill.configure(temp_dir=tmp_path, memory_limit=SPILLS)
    distinct_ids(ids)
    first = spill.folder_in_use()
    end_run()
    assert distinct_ids(ids) == [{"n": ROWS}]
    second = spill.folder_in_use()
    assert second is not None and second != first and second.exists()


# --- errors ------------------------------------------------------------------------------------


def test_a_full_spill_cap_is_one_line_naming_the_folder_and_the_fix(
    tmp_path: Path, ids: Path
) -> None:
    spill.configure(temp_dir=tmp_path, memory_limit=SPILLS, max_temp_size="1MB")
    with pytest.raises(BackendError) as caught:
        distinct_ids(ids)
    message = str(caught.value)
    assert "\n" not in message
    assert str(spill.folder_in_use()) in message
    assert message.startswith("the distinct count hit the spill cap of 1MB in ")
    assert "--max-temp-size" in message and "--memory-limit" in message


def test_running_out_of_memory_names_the_limit_and_how_to_raise_it(
    tmp_path: Path, ids: Path
) -> None:
    spill.configure(temp_dir=tmp_path, memory_limit="10MB")
    with pytest.raises(BackendError) as caught:
        distinct_ids(ids)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("the distinct count ran out of memory (memory limit 9.5 MiB;")
    assert "--memory-limit" in message


def test_a_full_disk_is_one_line_naming_the_folder_and_the_fix(tmp_path: Path) -> None:
    # a disk cannot be filled in a test; this is the error DuckDB raises when a write fails so
    spill.configure(temp_dir=tmp_path)
    default_connection()
    full = duckdb.IOException(
        'IO Error: Could not write file "duckdb_temp_storage_DEFAULT-0.tmp": No space left on'
        " device"
    )
    message = str(spill.explain(full, "the readout query"))
    assert message == (
        f"the disk filled while the readout query spilled to {spill.folder_in_use()}: free"
        " space there, or point the spill folder at a larger disk (mlroi --temp-dir DIR, or"
        " MLROI_TEMP_DIR)"
    )


def test_other_backend_errors_are_not_taken_for_a_spill() -> None:
    assert spill.explain(duckdb.BinderException("column x not found"), "the query") is None


@pytest.mark.parametrize("size", ["4GB", "512 MiB", "1.5GB", "100KB", "10B"])
def test_a_size_reads_in_duckdb_units(size: str) -> None:
    assert spill.check_size(size, "--memory-limit") == size


@pytest.mark.parametrize("size", ["lots", "4", "4 GBs", "-1GB", ""])
def test_a_size_that_does_not_read_names_the_option(size: str) -> None:
    with pytest.raises(SpecError, match=r"^--memory-limit: expected a size such as 4GB"):
        spill.check_size(size, "--memory-limit")


def test_a_folder_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="is not a folder; create it"):
        spill.configure(temp_dir=tmp_path / "missing")


# --- the command line --------------------------------------------------------------------------


def readout_config(folder: Path, data: Path) -> Path:
    path = folder / "experiment.yaml"
    path.write_text(
        f"source: {{path: {data}}}\ncontrol: control\narms: {{control: 0.5, treatment: 0.5}}\n"
        "metrics:\n  - {name: revenue_per_user, type: mean, column: revenue}\n",
        encoding="utf-8",
    )
    return path


def test_a_command_that_spills_says_how_much_and_where_then_removes_it(
    tmp_path: Path, ids: Path
) -> None:
    config = readout_config(tmp_path, ids)
    args = ["--temp-dir", str(tmp_path), "--memory-limit", SPILLS, "experiment", str(config)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    notes = [line for line in result.stderr.splitlines() if "spilled to" in line]
    assert len(notes) == 1
    assert f"spilled to {tmp_path / spill.PREFIX}" in notes[0]
    assert "memory limit (19.0 MiB)" in notes[0] and "(removed now)" in notes[0]
    assert spill_folders(tmp_path) == []


def test_a_command_that_does_not_spill_says_nothing_about_it(tmp_path: Path, ids: Path) -> None:
    config = readout_config(tmp_path, ids)
    result = CliRunner().invoke(app, ["--temp-dir", str(tmp_path), "experiment", str(config)])
    assert result.exit_code == 0, result.output
    assert "spill" not in result.output
    assert spill_folders(tmp_path) == []


def test_a_command_over_the_spill_cap_exits_2_with_one_line_and_cleans_up(
    tmp_path: Path, ids: Path
) -> None:
    config = readout_config(tmp_path, ids)
    args = ["--temp-dir", tmp_path, "--memory-limit", SPILLS, "--max-temp-size", "1MB"]
    result = CliRunner().invoke(app, [*map(str, args), "experiment", str(config)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: the readout query hit the spill cap of 1MB in ")
    assert str(tmp_path / spill.PREFIX) in lines[0]
    assert spill_folders(tmp_path) == []


@pytest.mark.parametrize(
    ("option", "value", "says"),
    [
        ("--memory-limit", "lots", "error: --memory-limit / MLROI_MEMORY_LIMIT: expected a size"),
        ("--max-temp-size", "big", "error: --max-temp-size / MLROI_MAX_TEMP_SIZE: expected a"),
        ("--temp-dir", "/no/such/folder", "error: --temp-dir / MLROI_TEMP_DIR: /no/such/folder"),
    ],
)
def test_a_bad_spill_option_is_one_line_and_exit_2(
    tmp_path: Path, ids: Path, option: str, value: str, says: str
) -> None:
    config = readout_config(tmp_path, ids)
    result = CliRunner().invoke(app, [option, value, "experiment", str(config)])
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(says), result.stderr


def test_a_spill_option_after_the_command_says_where_it_goes(tmp_path: Path, ids: Path) -> None:
    config = readout_config(tmp_path, ids)
    result = CliRunner().invoke(app, ["experiment", str(config), "--memory-limit", "4GB"])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: No such option: --memory-limit (an option of mlroi itself: give it before the"
        " command, `mlroi --memory-limit ... experiment ...`)"
    )


# --- the limit mlroi sets for the queries that hold a whole log --------------------------------


def current_limit(con: Any) -> str:
    return str(con.execute("SELECT current_setting('memory_limit')").fetchone()[0])


def test_bounded_queries_run_under_mlroi_s_limit_and_the_default_returns_after(
    tmp_path: Path,
) -> None:
    spill.configure(temp_dir=tmp_path)
    con = default_connection().con
    before = current_limit(con)
    with spill.bounded(con) as limit:
        assert limit == current_limit(con) == "610.3 MiB"  # 640 MB in DuckDB's binary units
    assert current_limit(con) == before


def test_a_limit_the_user_set_is_kept_in_bounded_queries(tmp_path: Path) -> None:
    spill.configure(temp_dir=tmp_path, memory_limit="2GB")
    con = default_connection().con
    with spill.bounded(con) as limit:
        assert limit is None and current_limit(con) == "1.8 GiB"


def test_bounded_leaves_connections_mlroi_did_not_set_up_alone() -> None:
    con = duckdb.connect()
    before = current_limit(con)
    with spill.bounded(con) as limit:
        assert limit is None and current_limit(con) == before


def test_the_journeys_run_again_under_duckdb_s_limit_when_mlroi_s_is_too_small(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pyarrow.parquet as pq

    from mlroi.backend.attribution import LogColumns, journey_counts
    from mlroi.demo.journeys import generate_journey_logs

    for name, table in generate_journey_logs(2_000, seed=3).items():
        pq.write_table(table, tmp_path / f"{name}.parquet")
    cols = LogColumns(
        *["user_id", "ts", "channel", "item_id", "user_id", "order_id", "ts", "revenue", "item_id"]
    )

    def counts() -> Any:
        return journey_counts(
            open_table(tmp_path / "touchpoints.parquet"),
            open_table(tmp_path / "orders.parquet"),
            cols,
            lookback_days=30,
            half_life_days=7,
            max_touches=50,
        )

    spill.configure(temp_dir=tmp_path, memory_limit="1GB")
    want = counts()
    end_run()  # a new connection, with DuckDB's own limit
    spill.configure(temp_dir=tmp_path)
    monkeypatch.setattr(spill, "BOUNDED_MEMORY", "2MB")  # the path-count query needs more
    purposes: list[str] = []
    with watching(lambda _, purpose: purposes.append(purpose)):
        got = counts()
    # the list query ran out of memory (not left to the window query); then it ran again
    assert purposes.count("the path-count query") == 2
    assert got.path == want.path and got.counts == want.counts and got.memory_limit is None
    assert current_limit(default_connection().con) != "1.9 MiB"


def test_an_attribution_that_spilled_under_mlroi_s_limit_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pyarrow.parquet as pq

    from mlroi.attribution.analysis import attribute
    from mlroi.attribution.config import AttributionConfig
    from mlroi.demo.journeys import generate_journey_logs

    for name, table in generate_journey_logs(1_000, seed=3).items():
        pq.write_table(table, tmp_path / f"{name}.parquet")
    config = AttributionConfig.model_validate(
        {
            "touchpoints": {"path": str(tmp_path / "touchpoints.parquet")},
            "orders": {"path": str(tmp_path / "orders.parquet")},
            "resamples": 0,
        }
    )
    spill.configure(temp_dir=tmp_path)
    assert not any("memory limit" in n for n in attribute(config).notes)
    # a spill too small to see on these logs: the run's report shows one growing
    peaks = iter(range(1, 1000))
    monkeypatch.setattr(spill, "report", lambda: spill.SpillReport(tmp_path, next(peaks), "x"))
    (note,) = [n for n in attribute(config).notes if "memory limit" in n]
    assert "(610.3 MiB, when none is given), so DuckDB spilled to disk" in note


def test_an_earlier_spill_is_not_taken_for_one_under_mlroi_s_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    earlier = spill.SpillReport(tmp_path, 5_000, "x")
    monkeypatch.setattr(spill, "report", lambda: earlier)
    assert not spill.spilled_since(earlier)
    assert spill.spilled_since(None)
    assert spill.spilled_since(spill.SpillReport(tmp_path, 10, "x"))


def test_a_limit_set_in_a_duckdb_url_is_kept_in_bounded_queries(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "user.duckdb"), config={"memory_limit": "2GB"})
    spill.setup(con)
    with spill.bounded(con) as limit:
        assert limit is None and current_limit(con) == "1.8 GiB"
