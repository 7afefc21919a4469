"""Per-score groups from the backend equal the in-memory grouping; bad scored input is one line."""

from __future__ import annotations

import ibis
import numpy as np
import pyarrow as pa
import pytest

from mlroi.decision.aggregate import ScoredInput, score_groups
from mlroi.decision.expr import ExprError, bind, parse
from mlroi.decision.score_groups import ScoreGroups
from mlroi.errors import DataError

CHURN_ACT = (
    "churned * (g * (clv - discount - contact) - (1 - g) * contact)"
    " + (1 - churned) * (-discount - contact)"
)
PARAMS = {"g": 0.3, "contact": 1.0}


def scored(n: int = 5_000, seed: int = 1) -> pa.Table:
    rng = np.random.default_rng(seed)
    score = np.round(rng.uniform(size=n), 3)  # many ties
    return pa.table(
        {
            "score": score,
            "churned": (rng.uniform(size=n) < score).astype(np.int64),
            "clv": rng.lognormal(5, 0.5, n),
            "discount": rng.uniform(5, 20, n),
            "tenure": rng.integers(0, 60, n),
        }
    )


def spec_for(table: pa.Table, act: str = CHURN_ACT, eligible: str | None = None) -> ScoredInput:
    cols = table.column_names

    def b(text: str, kind: str | None = None) -> object:
        return bind(parse(text, kind=kind), cols, PARAMS)  # type: ignore[arg-type]

    return ScoredInput(
        score="score",
        label="churned",
        act=b(act),  # type: ignore[arg-type]
        leave=b("0"),  # type: ignore[arg-type]
        sums={"discounts": b("discount")},  # type: ignore[dict-item]
        eligible=None if eligible is None else b(eligible, "condition"),  # type: ignore[arg-type]
    )


def test_backend_groups_equal_the_in_memory_grouping() -> None:
    data = scored()
    got = score_groups(ibis.memtable(data), spec_for(data, eligible="tenure >= 12"))
    keep = data.filter(pa.compute.greater_equal(data["tenure"], 12))
    col = {name: keep[name].to_numpy() for name in keep.column_names}
    g, c = PARAMS["g"], PARAMS["contact"]
    act = col["churned"] * (g * (col["clv"] - col["discount"] - c) - (1 - g) * c) + (
        1 - col["churned"]
    ) * (-col["discount"] - c)
    want = ScoreGroups.from_rows(
        col["score"], col["churned"], act, np.zeros(len(act)), {"discounts": col["discount"]}
    )
    np.testing.assert_array_equal(got.score, want.score)
    np.testing.assert_array_equal(got.n, want.n)
    np.testing.assert_array_equal(got.positives, want.positives)
    np.testing.assert_allclose(got.act, want.act, rtol=1e-9)
    np.testing.assert_allclose(got.leave, want.leave, atol=1e-12)
    np.testing.assert_allclose(got.sums["discounts"], want.sums["discounts"], rtol=1e-9)


def test_scores_outside_zero_one_are_refused_for_probabilities() -> None:
    data = scored().set_column(0, "score", pa.array(np.linspace(-0.5, 1.5, 5_000)))
    with pytest.raises(
        DataError, match=r"column 'score': scores must be probabilities in \[0, 1\]"
    ):
        score_groups(ibis.memtable(data), spec_for(data))


def test_nan_scores_are_refused() -> None:
    values = np.linspace(0, 1, 5_000)
    values[3] = np.nan
    data = scored().set_column(0, "score", pa.array(values))
    with pytest.raises(DataError, match="1 of 5,000 scores are NULL, NaN or infinite"):
        score_groups(ibis.memtable(data), spec_for(data))


def test_non_binary_labels_are_refused() -> None:
    data = scored()
    labels = data["churned"].to_numpy().copy()
    labels[:7] = 2
    data = data.set_column(1, "churned", pa.array(labels))
    with pytest.raises(DataError, match="7 of 5,000 labels are not 0 or 1"):
        score_groups(ibis.memtable(data), spec_for(data))


def test_a_value_that_divides_by_zero_in_some_rows_is_refused() -> None:
    data = scored()
    data = data.append_column("orders", pa.array(np.r_[np.zeros(3), np.ones(4_997)]))
    with pytest.raises(ExprError, match=r"divides by zero in 3 of 5,000 rows"):
        score_groups(ibis.memtable(data), spec_for(data, act="clv / orders"))


def test_no_eligible_rows_is_refused() -> None:
    data = scored()
    with pytest.raises(DataError, match="no eligible rows"):
        score_groups(ibis.memtable(data), spec_for(data, eligible="tenure > 1000"))
