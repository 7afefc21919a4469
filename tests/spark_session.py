"""A local SparkSession for the tests marked ``spark``, and tables put on it.

PySpark comes from the ``spark`` extra (``uv sync --extra spark``; ``./dev test`` installs it) and
needs Java 17 or later (``./dev test`` installs Debian's ``default-jre-headless`` when ``java`` is
missing). Without either the tests skip with the reason, except when ``CI`` is set, where they
fail: in CI the Spark tests always run.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

URL = "pyspark://"
"""The connection URL the tests give mlroi: Ibis' PySpark backend on the active SparkSession."""

SETTINGS = {
    "spark.master": "local[2]",
    "spark.app.name": "mlroi-tests",
    "spark.sql.shuffle.partitions": "4",  # the default 200 tasks per shuffle: slow on small data
    "spark.default.parallelism": "2",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.session.timeZone": "UTC",  # times compared as epoch seconds on every engine
    "spark.driver.memory": "1g",
}


def missing() -> str | None:
    """Why Spark cannot start here, or ``None`` when PySpark and Java are installed."""
    if importlib.util.find_spec("pyspark") is None:
        return "PySpark not installed: `uv sync --extra spark` (./dev test does this)"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "Java not found: install Debian's `default-jre-headless` (./dev test does this)"
    return None


def session_or_skip(folder: Path) -> Any:
    """A local SparkSession whose warehouse, scratch space and metastore live in ``folder``.

    Skips the test when PySpark or Java is missing (fails it when ``CI`` is set).
    """
    reason = missing()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(reason + " (CI is set: Spark tests never skip there)", pytrace=False)
        pytest.skip(reason)
    from pyspark.sql import SparkSession

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder = SparkSession.builder
    for key, value in SETTINGS.items():
        builder = builder.config(key, value)
    builder = (
        builder.config("spark.sql.warehouse.dir", str(folder / "warehouse"))
        .config("spark.local.dir", str(folder / "scratch"))
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={folder / 'derby'}")
    )
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


class SparkTables:
    """Puts tables (pyarrow or pandas) on the session as temporary views read from Parquet."""

    def __init__(self, con: Any, folder: Path) -> None:
        self.con, self.folder = con, folder
        self._files = itertools.count()

    def put(self, name: str, table: Any) -> Any:
        """``table`` as view ``name`` on Spark; returns the mlroi source that reads it."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        from mlroi import Source

        if not isinstance(table, pa.Table):
            table = pa.Table.from_pandas(table, preserve_index=False)
        # a new file each time: Spark caches what it listed of a path it has read
        path = self.folder / f"{name}-{next(self._files)}.parquet"
        # Spark reads no nanosecond Parquet timestamps; times here are whole seconds
        pq.write_table(table, path, coerce_timestamps="us")
        self.con.read_parquet(str(path), table_name=name)
        return Source(url=URL, table=name)


SERVERS = [
    pytest.param("postgres", marks=pytest.mark.postgres),
    pytest.param("spark", marks=pytest.mark.spark),
]
"""The engines the ``put_on`` fixture (conftest.py) loads tables into, marked for each."""
