"""Several cases in one command: a comparison table (roi) and a comparison page (report)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

from mlroi.cli import app
from mlroi.comparison import Comparison
from mlroi.report.build import view_of
from test_roi_engine import case_dict, run
from test_roi_trust import _srm_case


def _write(path: Path, **changes: object) -> Path:
    path.write_text(yaml.safe_dump(case_dict(**changes)), encoding="utf-8")
    return path


def test_roi_on_several_cases_prints_one_row_each_with_its_horizon(tmp_path: Path) -> None:
    a = _write(tmp_path / "a.yaml", name="first system")
    b = _write(
        tmp_path / "b.yaml",
        name="second system",
        finance={"currency": "USD", "horizon_months": 36, "discount_rate": 0.1},
    )
    out = CliRunner().invoke(app, ["roi", str(a), str(b), "--json", str(tmp_path / "c.json")])
    assert out.exit_code == 0, out.output
    assert "first system" in out.output and "second system" in out.output
    assert "36 months" in out.output and "12 months" in out.output
    assert "compare return multiples and payback, not totals" in out.output
    saved = json.loads((tmp_path / "c.json").read_text())
    assert [c["case"] for c in saved["cases"]] == ["first system", "second system"]


def test_a_case_with_a_failed_check_shows_why_instead_of_figures(tmp_path: Path) -> None:
    good = _write(tmp_path / "good.yaml", name="good")
    (tmp_path / "srm").mkdir()
    bad = _srm_case(tmp_path / "srm")
    out = CliRunner().invoke(app, ["roi", str(good), str(bad)], env={"COLUMNS": "250"})
    assert out.exit_code == 1, out.output
    assert "srm case: no figures, a check failed (sample ratio mismatch" in out.output


def test_the_comparison_view_charts_each_trusted_multiple() -> None:
    c = Comparison((run(name="a"), run(name="b")))
    v = view_of(c)
    assert [row[0].text for row in v.sections[0].blocks[0].rows] == ["a", "b"]  # type: ignore[union-attr]
    assert len(v.charts[0].rows) == 2  # type: ignore[union-attr]


def test_report_on_several_cases_writes_each_report_and_a_comparison_page(tmp_path: Path) -> None:
    a = _write(tmp_path / "a.yaml", name="first system")
    b = _write(tmp_path / "b.yaml", name="second system")
    out = CliRunner().invoke(app, ["report", str(a), str(b), "--out", str(tmp_path / "out")])
    assert out.exit_code == 0, out.output
    for name in ("a/report.html", "b/report.html", "comparison.html", "comparison.md"):
        assert (tmp_path / "out" / name).is_file(), name
    page = (tmp_path / "out" / "comparison.html").read_text()
    assert "first system" in page and "a/report.html" in page
    # a second run overwrites mlroi's own files, never another's
    again = CliRunner().invoke(app, ["report", str(a), str(b), "--out", str(tmp_path / "out")])
    assert again.exit_code == 0, again.output
    (tmp_path / "out" / "comparison.md").write_text("my notes")
    third = CliRunner().invoke(app, ["report", str(a), str(b), "--out", str(tmp_path / "out")])
    assert third.exit_code == 2
    assert (tmp_path / "out" / "comparison.md").read_text() == "my notes"
