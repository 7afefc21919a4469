"""Silently wrong numbers become loud: compressed and tab-separated files are read as CSV, an
unknown extension asks for `format`, overflowing values are refused with the column named,
NaN is found on every source format, rows an analysis drops are counted.
"""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from mlroi import DataError, Mean, MlroiError, Source, readout

N = 2_000
ARMS = {"control": 1.0, "treatment": 1.0}


def users(**columns: Any) -> pa.Table:
    """A small per-user table; keyword arguments replace or add columns."""
    rng = np.random.default_rng(7)
    ids = np.arange(N, dtype=np.int64)
    base: dict[str, Any] = {
        "user_id": ids,
        "variant": np.where(ids % 2 == 0, "control", "treatment"),
        "revenue": rng.gamma(2.0, 5.0, N),
    }
    base.update(columns)
    return pa.table(base)


def run(source: Any, **settings: Any) -> Any:
    settings.setdefault("metrics", [Mean(name="revenue_per_user", column="revenue")])
    return readout(source, control="control", arms=ARMS, **settings)


def one_line(exc: pytest.ExceptionInfo[MlroiError]) -> str:
    message = str(exc.value)
    assert type(exc.value) is not MlroiError and "\n" not in message, message
    return message


# --- file formats ------------------------------------------------------------------------------


def _write_csv(table: pa.Table, path: Path, delimiter: str = ",") -> None:
    pacsv.write_csv(table, path, pacsv.WriteOptions(delimiter=delimiter))


@pytest.mark.parametrize("name", ["users.csv.gz", "users.CSV.GZ", "users.tsv", "users.tsv.gz"])
def test_compressed_and_tab_separated_files_are_read_as_csv(tmp_path: Path, name: str) -> None:
    table = users()
    plain = tmp_path / "plain.csv"
    _write_csv(table, plain)
    path = tmp_path / name
    delimiter = "\t" if ".tsv" in name.lower() else ","
    _write_csv(table, tmp_path / "tmp.txt", delimiter)
    raw = (tmp_path / "tmp.txt").read_bytes()
    path.write_bytes(gzip.compress(raw) if name.lower().endswith(".gz") else raw)
    assert run(str(path)).to_dict() == run(str(plain)).to_dict()


def test_zstd_compressed_csv_is_read_as_csv(tmp_path: Path) -> None:
    table = users()
    path = tmp_path / "users.csv.zst"
    pacsv.write_csv(table, pa.CompressedOutputStream(str(path), "zstd"))
    assert run(str(path)).to_dict() == run(table).to_dict()


def test_parquet_with_an_unusual_extension_is_recognised_by_its_magic_bytes(
    tmp_path: Path,
) -> None:
    path = tmp_path / "users.data"
    pq.write_table(users(), path)
    assert run(str(path)).to_dict() == run(users()).to_dict()


def test_an_unknown_extension_asks_for_the_format(tmp_path: Path) -> None:
    path = tmp_path / "users.data"
    _write_csv(users(), path)
    with pytest.raises(DataError) as exc:
        run(str(path))
    message = one_line(exc)
    assert str(path) in message and "`format: csv`" in message


def test_an_unknown_extension_reads_with_the_format_given(tmp_path: Path) -> None:
    path = tmp_path / "users.data"
    _write_csv(users(), path)
    assert run(Source(path=str(path), format="csv")).to_dict() == run(users()).to_dict()
