"""Open a source as an Ibis table.

DuckDB embedded is the default engine: paths (Parquet, CSV, globs) and in-memory frames (pandas,
polars, pyarrow) are read by one shared DuckDB connection, so tables from several sources can be
joined in one query. A connection URL opens any Ibis backend (``postgres://...``, ``duckdb://...``;
``pyspark://`` is the active SparkSession). A PySpark DataFrame is read where it lives, on its
own SparkSession.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import ConfigDict, Field, model_validator

from mlroi.backend import spill
from mlroi.checked import Checked
from mlroi.errors import BackendError, DataError, SpecError, first_line


class Source(Checked):
    """Where a table lives: a file path or glob, or a connection URL plus a table name.

    Examples (YAML):
        ``{path: data/users.parquet}``, ``{path: "events/*.csv"}``,
        ``{url: "postgresql://user@host:5432/db", table: experiment_users}``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str | None = Field(None, description="Parquet or CSV file, or a glob of them.")
    format: Literal["parquet", "csv"] | None = Field(
        None,
        description="File format; inferred when omitted from the extension (.parquet; .csv,"
        " .tsv, .txt, also gzip- or zstd-compressed: .csv.gz, .csv.zst) or Parquet's magic bytes.",
    )
    url: str | None = Field(None, description="Ibis connection URL, e.g. postgresql://...")
    table: str | None = Field(None, description="Table name in the connection given by url.")
    demo: str | None = Field(
        None,
        description="A table of mlroi's demo data, e.g. `churn/campaign` (generated on first "
        "use; see `mlroi demo`).",
    )

    @model_validator(mode="after")
    def _one_kind(self) -> Source:
        if sum(x is not None for x in (self.path, self.url, self.demo)) != 1:
            raise ValueError(
                "give one of `path` (a file), `url` plus `table`, or `demo` (a demo table)"
            )
        if self.url is not None and self.table is None:
            raise ValueError("a `url` source needs `table`: the table name to read")
        return self


@lru_cache(maxsize=1)
def default_connection() -> Any:
    """The shared embedded DuckDB connection used for paths and demo tables, spilling to
    mlroi's own folder (:mod:`mlroi.backend.spill`)."""
    import ibis

    con = ibis.duckdb.connect()
    spill.setup(con.con)
    return con


_CONNECTIONS: dict[str, Any] = {}
"""The connections opened from URLs, one per URL, until :func:`end_run`."""


def close_default_connection() -> None:
    """Close the shared DuckDB connection, if one is open; the next source opened makes a new one.

    For a process that has read all it will read (``mlroi roi`` before its simulation): DuckDB
    gives back the memory a large scan left allocated (about 35 MiB after the recommender
    example's million-row readout). Tables opened on the old connection cannot be queried after.
    """
    if default_connection.cache_info().currsize == 0:
        return  # never opened: nothing to close, and no DuckDB to import
    con = default_connection()
    default_connection.cache_clear()
    with contextlib.suppress(Exception):  # closing is housekeeping: it never fails a command
        con.disconnect()


def _connect(url: str) -> Any:
    import ibis

    if url in _CONNECTIONS:
        return _CONNECTIONS[url]
    try:
        con = ibis.connect(url)
    except Exception as exc:  # drivers raise their own types; surface one line
        raise BackendError(f"cannot connect to {_redact(url)}: {first_line(exc)}") from exc
    if getattr(con, "name", None) == "duckdb":
        spill.setup(con.con)
    _CONNECTIONS[url] = con
    return con


def end_run() -> spill.SpillReport | None:
    """End a run (a command): close the connections mlroi opened, remove its spill folder, and
    say what was spilled. The next table opened opens new connections."""
    default_connection.cache_clear()
    opened = list(_CONNECTIONS.values())
    _CONNECTIONS.clear()
    for con in opened:
        if getattr(con, "name", None) == "duckdb":
            continue  # closed by spill.finish, which set it up
        try:
            con.disconnect()
        except Exception:  # closing is housekeeping; a broken connection is closed enough
            continue
    return spill.finish()


def _redact(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"
    return url


def resolve_path(source: Any, base: Path | None) -> tuple[Path, str] | None:
    """The file path (or glob) a source reads and its format, or ``None`` for a source that is
    not a file (a connection, a frame, an Ibis table). Demo tables resolve to their Parquet file.
    """
    if isinstance(source, str | Path):
        path, fmt = str(source), None
    elif isinstance(source, Source) and source.path is not None:
        path, fmt = source.path, source.format
    elif isinstance(source, Source) and source.demo is not None:
        from mlroi.demo.cache import demo_table

        path, fmt, base = str(demo_table(source.demo)), "parquet", None
    else:
        return None
    full = Path(path) if base is None or Path(path).is_absolute() else base / path
    return full, fmt or file_format(full)


_CSV = (".csv", ".tsv", ".txt")
_PARQUET = (".parquet", ".parq", ".pq")
_COMPRESSED = (".gz", ".gzip", ".zst")
"""Compressions DuckDB's CSV reader opens by itself."""


def file_format(full: Path) -> str:
    """The format of a file (or glob) from its extension, ``data.csv.gz`` and ``data.tsv``
    included; a file with another extension is recognised by Parquet's magic bytes.

    Raises:
        DataError: the extension names no format mlroi reads, and the file is not Parquet.
    """
    suffixes = [s.lower() for s in full.suffixes]
    if suffixes and suffixes[-1] in _COMPRESSED:
        suffixes.pop()
        if suffixes and suffixes[-1] in _CSV:
            return "csv"
    elif suffixes and suffixes[-1] in _CSV:
        return "csv"
    elif suffixes and suffixes[-1] in _PARQUET:
        return "parquet"
    first = next(iter(sorted(glob.glob(str(full)))), None)
    if first is None:
        raise DataError(f"source file not found: {full} (check `path`)")
    try:
        with open(first, "rb") as head:
            if head.read(4) == b"PAR1":
                return "parquet"
    except OSError:  # a folder, or unreadable: say which format to set
        pass
    raise DataError(
        f"cannot tell the format of {full} from its name: set `format: csv` (CSV, also"
        " gzip- or zstd-compressed) or `format: parquet` on the source"
    )


def _read_path(full: Path, kind: str) -> Any:
    con = default_connection()
    has_glob = any(ch in str(full) for ch in "*?[")
    if not has_glob and not full.exists():
        raise DataError(f"source file not found: {full} (check `path`)")
    try:
        if kind == "csv":
            return con.read_csv(str(full))
        return _parquet_view(con, str(full))
    except Exception as exc:
        raise DataError(f"cannot read {kind} {full}: {first_line(exc)}") from exc


_views = itertools.count()


def _parquet_view(con: Any, path: str) -> Any:
    """A temporary view over Parquet file(s) on DuckDB connection ``con``, as an Ibis table.

    The view Ibis' ``read_parquet`` makes, with the schema read from DuckDB's ``DESCRIBE`` as
    plain rows: Ibis asks for it as an Arrow table, which imports pyarrow (about 0.1 s of
    every command-line run) to read a list of column names and types.
    """
    import ibis.expr.operations as ops
    import ibis.expr.schema as sch

    name = f"mlroi_parquet_{next(_views)}"
    literal = "'" + path.replace("'", "''") + "'"
    con.con.execute(
        f"CREATE OR REPLACE TEMPORARY VIEW {name} AS SELECT * FROM read_parquet({literal})"
    )
    columns = con.con.execute(f"DESCRIBE {name}").fetchall()
    types = con.compiler.type_mapper
    schema = sch.Schema(
        {col: types.from_string(typ, nullable=null == "YES") for col, typ, null, *_ in columns}
    )
    return ops.DatabaseTable(name, schema=schema, source=con, namespace=ops.Namespace()).to_expr()


def source_name(source: Any) -> str:
    """How a result names where its rows came from: the path, demo table or table name, or
    what kind of object was given in code."""
    for attr in ("path", "demo", "table"):
        value = getattr(source, attr, None)
        if isinstance(value, str):
            return value
    if isinstance(source, str | Path):
        return str(source)
    return f"a {type(source).__name__} given in code"


def open_table(source: Any, *, base: Path | None = None) -> Any:
    """Open ``source`` as an Ibis table.

    Args:
        source: a :class:`Source`; a path string or :class:`~pathlib.Path` (Parquet/CSV/glob);
            an Ibis table; or a pandas, polars or pyarrow frame.
        base: directory that relative paths are resolved against (the case file's folder).

    Returns:
        An Ibis table expression; nothing is read into Python.
    """
    import ibis
    import ibis.expr.types as ir

    if isinstance(source, ir.Table):
        return source
    resolved = resolve_path(source, base)
    if resolved is not None:
        return _read_path(*resolved)
    if isinstance(source, Source):
        assert source.url is not None and source.table is not None
        con = _connect(source.url)
        try:
            return con.table(source.table)
        except Exception as exc:
            raise DataError(
                f"table {source.table!r} not found at {_redact(source.url)}: {first_line(exc)}"
            ) from exc
    module = type(source).__module__.split(".")[0]
    if module in {"pandas", "polars", "pyarrow"}:
        return ibis.memtable(source)
    if module == "pyspark" and hasattr(source, "createOrReplaceTempView"):
        return _spark_frame(source)
    raise SpecError(
        f"cannot use a {type(source).__name__} as a source: give a path, a pandas/polars/pyarrow"
        " or PySpark frame, an Ibis table, or Source(url=..., table=...)"
    )


_SPARK_VIEW = "mlroi_spark_"


def _spark_frame(frame: Any) -> Any:
    """A PySpark DataFrame as an Ibis table on its own SparkSession: a temporary view over the
    frame's plan (no rows move), so its queries run in Spark like those of a catalog table."""
    name = f"{_SPARK_VIEW}{next(_views)}"
    frame.createOrReplaceTempView(name)
    return _spark_backend(frame.sparkSession).table(name)


@lru_cache(maxsize=8)
def _spark_backend(session: Any) -> Any:
    """One Ibis PySpark backend per SparkSession, so that frames of one session join."""
    import ibis

    return ibis.pyspark.connect(session)


_OWN_VIEWS = ("mlroi_parquet_", "ibis_read_csv_")
"""Prefixes of the views :func:`open_table` creates over files on the default connection."""


def release(*tables: Any) -> None:
    """Free what opening ``tables`` left on their DuckDB connection, once an analysis is done.

    Ibis registers an in-memory frame on the connection that first runs a query on it, and
    never unregisters it (the connection keeps the whole frame alive); the views over files
    stay in the catalog. Each analysis that opens sources calls this when it ends, so a notebook
    running many readouts does not grow. A frame used again is registered again by Ibis.
    """
    for table in tables:
        if table is None:
            continue
        try:
            _release(table)
        except Exception:  # freeing is housekeeping: it never fails an analysis that worked
            continue


def _release(table: Any) -> None:
    import ibis.expr.operations as ops

    backend = table._find_backend(use_default=True)
    con = getattr(backend, "con", None)
    op = table.op()
    if getattr(backend, "name", None) == "pyspark":
        for view in op.find(ops.DatabaseTable):
            if view.name.startswith(_SPARK_VIEW):
                backend._session.catalog.dropTempView(view.name)
        return
    if getattr(backend, "name", None) != "duckdb" or con is None:
        return
    registered = getattr(backend, "_memtables", None)
    for memtable in op.find(ops.InMemoryTable):
        if registered is not None and memtable in registered:
            con.unregister(memtable.name)
            registered.discard(memtable)
    if backend is not default_connection():
        return
    for view in op.find(ops.DatabaseTable):
        if view.name.startswith(_OWN_VIEWS):
            con.execute(f'DROP VIEW IF EXISTS "{view.name}"').fetchall()
