"""Your files are safe: mlroi replaces only files it wrote (unless --force), writes each file
whole, and ``--json -`` writes to standard output."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner, Result

from mlroi.cli import app
from mlroi.demo.parquet import write_blocks
from mlroi.errors import DataError
from mlroi.files import check_target, write_atomic, write_file, written_by_mlroi
from mlroi.report import html, markdown

runner = CliRunner()


def invoke(*args: str | Path) -> Result:
    return runner.invoke(app, [str(a) for a in args])


def one_error_line(result: Result) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The starter case: runs in a second with no data."""
    path = tmp_path_factory.mktemp("case") / "case.yaml"
    assert invoke("init", path).exit_code == 0
    return path


# --- whose file is it -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "ours"),
    [
        ("r.json", '{\n  "generator": "mlroi result",\n  "x": 1\n}\n', True),
        ("s.json", '{\n  "$comment": "generator: mlroi schema",\n  "type": "object"}', True),
        ("r.md", "<!-- generator: mlroi report -->\n\n# Title\n", True),
        ("e.yaml", "# generator: mlroi demo\ncontrol: control\n", True),
        ("u.json", '{"x": 1, "generator": "mlroi result"}', False),  # not the first key
        ("u.md", "# My notes\n<!-- generator: mlroi report -->\n", False),  # not the first line
        ("case.yaml", "name: mlroi report\n# generator: mlroi demo\n", False),
        ("u.html", "<!DOCTYPE html><html><head></head><body>mlroi report</body></html>", False),
        ("notes.txt", "mlroi", False),
        ("empty.json", "", False),
    ],
)
def test_only_a_file_with_mlroi_s_mark_in_its_place_is_mlroi_s(
    tmp_path: Path, name: str, text: str, ours: bool
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    assert written_by_mlroi(path) is ours


def test_the_report_pages_carry_the_mark(tmp_path: Path) -> None:
    for name, text in (
        ("p.html", html.page([], title="t")),
        ("p.md", markdown.page([], title="t")),
    ):
        (tmp_path / name).write_text(text, encoding="utf-8")
        assert written_by_mlroi(tmp_path / name)


def test_a_demo_parquet_table_carries_the_mark_and_a_user_s_does_not(tmp_path: Path) -> None:
    table = pa.table({"x": [1, 2, 3]})
    write_blocks({"t": tmp_path / "demo.parquet"}, {"t": table.schema}, [{"t": table}])
    pq.write_table(table, tmp_path / "mine.parquet")
    assert written_by_mlroi(tmp_path / "demo.parquet")
    assert pq.read_table(tmp_path / "demo.parquet").equals(table)
    assert not written_by_mlroi(tmp_path / "mine.parquet")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


# --- writing whole ----------------------------------------------------------------------------


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "r.json"
    path.write_text("old", encoding="utf-8")

    def full_disk(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(DataError, match=r"--json .*r\.json: cannot write the file \(No space"):
        write_atomic(path, "new", option="--json")
    assert path.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_a_new_file_gets_the_usual_permissions(tmp_path: Path) -> None:
    path = write_atomic(tmp_path / "r.json", "{}")
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask


def test_a_foreign_file_is_refused_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "data.json"
    path.write_text('{"mine": true}', encoding="utf-8")
    with pytest.raises(DataError, match=r"was not written by mlroi.*--force"):
        write_file(path, "{}", option="--json")
    assert path.read_text(encoding="utf-8") == '{"mine": true}'
    write_file(path, "{}", option="--json", force=True)
    assert path.read_text(encoding="utf-8") == "{}"


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("missing/r.json", "folder {tmp}/missing does not exist: create it"),
        ("file.txt/r.json", "folder {tmp}/file.txt is not a folder"),
        ("sub", "{tmp}/sub: is a folder: give a file name"),
    ],
)
def test_a_path_that_cannot_be_written_is_refused_before_any_work(
    tmp_path: Path, where: str, message: str
) -> None:
    (tmp_path / "file.txt").write_text("x", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    with pytest.raises(DataError) as exc:
        check_target(tmp_path / where, option="--json")
    assert message.format(tmp=tmp_path) in str(exc.value)
    assert str(exc.value).startswith(f"--json {tmp_path / where}")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_an_unwritable_folder_is_refused(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(DataError, match="is not writable"):
            check_target(locked / "r.json", option="--json")
    finally:
        locked.chmod(0o700)


# --- every command ------------------------------------------------------------------------------


def test_roi_json_refuses_a_foreign_file_then_force_replaces_it(case: Path, tmp_path: Path) -> None:
    out = tmp_path / "roi.json"
    out.write_text("my numbers\n", encoding="utf-8")
    line = one_error_line(invoke("roi", case, "--json", out, "--draws", "2000"))
    assert f"--json {out}: the file exists and was not written by mlroi" in line
    assert "--force" in line
    assert out.read_text(encoding="utf-8") == "my numbers\n"
    result = invoke("roi", case, "--json", out, "--draws", "2000", "--force")
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text(encoding="utf-8"))["generator"] == "mlroi result"


def test_roi_json_replaces_its_own_file(case: Path, tmp_path: Path) -> None:
    out = tmp_path / "roi.json"
    for _ in range(2):
        result = invoke("roi", case, "--json", out, "--draws", "2000")
        assert result.exit_code == 0, result.output
    assert [p.name for p in tmp_path.iterdir()] == ["roi.json"]


def test_json_dash_writes_the_json_to_stdout_and_the_tables_to_stderr(case: Path) -> None:
    result = invoke("roi", case, "--json", "-", "--draws", "2000")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["generator"] == "mlroi result"
    assert data["headline"].startswith("For every $1 spent")
    assert "Product recommender" in result.stderr
    # the next command prints its tables to stdout again
    again = invoke("validate", case)
    assert "valid case" in again.stdout


def test_a_missing_json_folder_is_one_line_and_nothing_runs(case: Path, tmp_path: Path) -> None:
    out = tmp_path / "nope" / "roi.json"
    line = one_error_line(invoke("roi", case, "--json", out))
    assert line == (
        f"error: --json {out}: folder {out.parent} does not exist: create it or choose another path"
    )


@pytest.mark.parametrize("command", ["experiment", "decide", "design"])
def test_every_json_option_refuses_a_foreign_file(case: Path, tmp_path: Path, command: str) -> None:
    out = tmp_path / "r.json"
    out.write_text("mine", encoding="utf-8")
    line = one_error_line(invoke(command, case, "--json", out))
    assert "was not written by mlroi" in line
    assert out.read_text(encoding="utf-8") == "mine"


def test_schema_out_refuses_a_foreign_file_and_replaces_its_own(tmp_path: Path) -> None:
    out = tmp_path / "schema.json"
    assert invoke("schema", "--out", out).exit_code == 0
    assert invoke("schema", "--out", out).exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8"))["title"] == "mlroi case file"
    out.write_text("{}", encoding="utf-8")
    assert "was not written by mlroi" in one_error_line(invoke("schema", "--out", out))
    assert out.read_text(encoding="utf-8") == "{}"
    assert invoke("schema", "--out", out, "--force").exit_code == 0


def test_schema_to_stdout_is_the_schema_alone() -> None:
    for args in ((), ("--out", "-")):
        result = invoke("schema", *args)
        assert result.exit_code == 0
        assert json.loads(result.stdout)["$comment"] == "generator: mlroi schema"


def test_init_never_replaces_a_case_even_its_own_starter(tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    assert invoke("init", path).exit_code == 0
    path.write_text(path.read_text(encoding="utf-8") + "# my edit\n", encoding="utf-8")
    assert "--force" in one_error_line(invoke("init", path))
    assert path.read_text(encoding="utf-8").endswith("# my edit\n")
    assert invoke("init", path, "--force").exit_code == 0
    assert not path.read_text(encoding="utf-8").endswith("# my edit\n")


def test_report_refuses_before_running_and_force_replaces(case: Path, tmp_path: Path) -> None:
    (tmp_path / "report.md").write_text("my notes\n", encoding="utf-8")
    line = one_error_line(invoke("report", case, "--out", tmp_path))
    assert f"{tmp_path / 'report.md'} exists and was not written by mlroi" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.md"]
    result = invoke("report", case, "--out", tmp_path, "--force")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html", "report.md", "result.json"]


def test_report_into_a_file_is_one_line(case: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("x", encoding="utf-8")
    line = one_error_line(invoke("report", case, "--out", blocker / "r"))
    assert f"--out {blocker / 'r'}: {blocker} is not a folder" in line


def test_demo_refuses_a_folder_with_a_foreign_file(tmp_path: Path) -> None:
    (tmp_path / "users.parquet").write_bytes(b"PAR1 not really")
    line = one_error_line(invoke("demo", "--out", tmp_path, "--users", "2000"))
    assert "users.parquet exists and was not written by mlroi" in line
    assert (tmp_path / "users.parquet").read_bytes() == b"PAR1 not really"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["users.parquet"]


def test_force_replaces_a_link_never_the_file_it_points_to(tmp_path: Path) -> None:
    target = tmp_path / "precious.txt"
    target.write_text("keep", encoding="utf-8")
    link = tmp_path / "r.json"
    link.symlink_to(target)
    with pytest.raises(DataError, match="was not written by mlroi"):
        write_file(link, "{}", option="--json")
    write_file(link, "{}", option="--json", force=True)
    assert target.read_text(encoding="utf-8") == "keep"
    assert not link.is_symlink() and link.read_text(encoding="utf-8") == "{}"


def test_a_device_or_fifo_is_not_a_file_to_write(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(DataError, match="not a regular file"):
        check_target(fifo, option="--json", force=True)
