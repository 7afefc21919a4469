"""The recommender scenario's retention panel: reproducible, consistent with the test's
assignments, and true to its effect (the treatment retains more, with a fading novelty effect)."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from mlroi.demo.recommender import write_recommender_test
from mlroi.demo.retention import OBSERVATION_END, write_retention_panel
from mlroi.retention.analysis import analyse_retention
from mlroi.spec.retention import RetentionConfig


@pytest.fixture(scope="module")
def panel(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("panel")
    users = write_recommender_test(out, 30_000, seed=3, events=False)["users"]
    return write_retention_panel(users, out, n_panel=30_000, seed=3)


def test_the_panel_is_reproducible(panel: dict[str, Path], tmp_path: Path) -> None:
    users = write_recommender_test(tmp_path, 30_000, seed=3, events=False)["users"]
    again = write_retention_panel(users, tmp_path, n_panel=30_000, seed=3)
    assert pq.read_table(again["activity"]).equals(pq.read_table(panel["activity"]))


def test_every_activity_falls_after_exposure_and_before_the_end(panel: dict[str, Path]) -> None:
    import duckdb

    bad = duckdb.sql(
        f"""select count(*) from '{panel["activity"]}' a join '{panel["panel"]}' p using (user_id)
        where a.ts < p.first_exposure or a.ts >= TIMESTAMP '{OBSERVATION_END}'"""
    ).fetchall()
    assert bad == [(0,)]


def test_the_treatment_retains_more_and_its_weekly_lift_fades(panel: dict[str, Path]) -> None:
    cfg = RetentionConfig.model_validate(
        {
            "assignments": {"path": str(panel["panel"])},
            "activity": {"source": {"path": str(panel["activity"])}},
            "control": "control",
            "observation_end": OBSERVATION_END,
            "window_days": 90,
            "days": [30, 90],
        }
    )
    r = analyse_retention(cfg)
    assert r.at_days[0].differences["treatment"].lower > 0
    assert r.log_rank.p_value < 1e-3
    assert r.over_time is not None
    slope = r.over_time["treatment"].trend.slope
    assert slope is not None and slope.estimate < 0
    assert sum(r.excluded.values()) == 0
