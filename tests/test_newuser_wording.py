"""What a first-time reader trips over: a p-value below the floor reads ``p < 0.0001`` (never
``p = < 0.0001``), and an amount rounded up to the next unit is written in that unit (``$100K``,
``$1.00M``), never ``$100.0K`` or ``$1000K``."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlroi import formatting as fmt
from mlroi.report.retention import describe
from mlroi.retention.analysis import analyse_counts
from mlroi.retention.survival import SurvivalCounts
from mlroi.spec.retention import RetentionConfig


def _arm(events_per_day: int, users: int, days: int = 60) -> SurvivalCounts:
    day = list(range(1, days + 1))
    events = [events_per_day] * days
    censored = [0] * (days - 1) + [users - events_per_day * days]
    return SurvivalCounts.of(day, events, censored)


def test_retention_sentences_never_write_p_equals_less_than() -> None:
    config = RetentionConfig.model_validate(
        {
            "assignments": {"path": "a.parquet"},
            "activity": {"source": {"path": "b.parquet"}},
            "control": "control",
            "window_days": 60,
            "days": [7, 30],
        }
    )
    # 10,000 users an arm, churning 100 vs 50 a day: the log-rank p-value is far below 0.0001
    arms = {"control": _arm(100, 10_000), "treatment": _arm(50, 10_000)}
    result = analyse_counts(arms, config)
    assert result.log_rank.p_value < 1e-4
    text = describe(result)
    assert "log-rank p < 0.0001" in text
    assert "p = <" not in text


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (99_940.0, "$99.9K"),
        (99_960.0, "$100K"),
        (-99_960.0, "-$100K"),
        (100_000.0, "$100K"),
        (999_400.0, "$999K"),
        (999_600.0, "$1.00M"),
        (999_996_000.0, "$1.00B"),
        (2_100_000.0, "$2.10M"),
        (1_500.0, "$1.5K"),
    ],
)
def test_money_rounds_into_the_next_unit(amount: float, text: str) -> None:
    assert fmt.money(amount) == text


def test_incremental_revenue_says_the_lift_is_per_test_window() -> None:
    import dataclasses

    import pandas as pd

    from mlroi import Mean, readout
    from mlroi.attribution.analysis import incremental_revenue
    from mlroi.attribution.config import Incremental

    frame = pd.DataFrame(
        {
            "user_id": range(8),
            "variant": ["control", "treatment"] * 4,
            "revenue": [1.0, 2.0, 1.5, 2.5, 0.5, 2.0, 1.0, 3.0],
        }
    )
    result = readout(
        frame,
        unit="user_id",
        control="control",
        arms={"control": 0.5, "treatment": 0.5},
        metrics=[Mean(name="revenue_per_user", column="revenue")],
    )
    spec = Incremental(metric="revenue_per_user", units=100_000)
    iv, source = incremental_revenue(spec, result)
    assert source.endswith("x 100,000 users")
    windowed = dataclasses.replace(result, window_days=14.0)
    iv14, source14 = incremental_revenue(spec, windowed)
    assert iv14.estimate == iv.estimate
    assert "per user per 14-day window" in source14
    assert source14.endswith("x 100,000 user-windows")


def test_sensitivity_ranges_read_as_the_case_wrote_them() -> None:
    from mlroi import Case, evaluate
    from mlroi.report import markdown
    from mlroi.report.roi import view

    case = Case(
        name="ranges",
        goal="more revenue",
        intervention="recommendations",
        population={"description": "all users"},
        primary_metric="revenue",
        value={
            "drivers": [
                {
                    "name": "revenue",
                    "lift": {"estimate": 1000},
                    "per": "month",
                    "units_per_month": 1,
                }
            ],
            "decay": {"low": 0, "likely": 0.1, "high": 0.3},
        },
        costs=[
            {
                "kind": "fixed",
                "name": "run",
                "category": "maintenance",
                "amount": {"low": 60, "likely": 90, "high": 150},
            }
        ],
        finance={"currency": "USD", "horizon_months": 12, "discount_rate": 0.0},
        simulation={"draws": 2000, "seed": 1},
    )
    text = markdown.render(view(evaluate(case)))
    assert "| 0 … 0.3 |" in text  # not "0.00 … 0.3000"
    assert "| 60 … 150 |" in text  # not "60.00 … 150.0"


@pytest.mark.parametrize(
    ("name", "recall_key"), [("fraud", "recall_at_0_5pct_fpr"), ("churn", "recall_at_top_10pct")]
)
def test_example_model_metrics_agree_with_the_decision_analysis(name: str, recall_key: str) -> None:
    # The report prints the case's model metrics beside the analysis' own AUC and recall: an
    # example must not contradict itself (fraud once said recall 0.71 beside a measured 0.28).
    from mlroi import decide
    from mlroi.spec.case import load_case

    examples = Path(__file__).parents[1] / "examples"
    case = load_case(examples / f"{name}.yaml")
    assert case.decision is not None
    config = case.decision.model_copy(
        update={"bootstrap": case.decision.bootstrap.model_copy(update={"resamples": 0})}
    )
    result = decide(config, seed=1, base=examples)
    m = case.model_metrics
    assert m["auc"] == pytest.approx(result.champion.curve.auc, abs=0.005)
    point = result.champion.point if name == "fraud" else result.at(top=0.1).point
    assert m[recall_key] == pytest.approx(point["recall"], abs=0.005)


def test_a_models_value_says_it_is_over_the_scored_rows(tmp_path: Path) -> None:
    # "worth $265K over acting on nobody ($3.17M a year)" left the $265K without a period.
    import pandas as pd

    from mlroi import DecisionConfig, decide
    from mlroi.report.decision import model_sentences

    pd.DataFrame(
        {"score": [0.9, 0.8, 0.7, 0.2, 0.1, 0.05], "fraud": [1, 1, 0, 0, 0, 0]}
    ).to_parquet(tmp_path / "scored.parquet")
    config = DecisionConfig(
        source={"path": str(tmp_path / "scored.parquet")},
        score="score",
        label="fraud",
        act="100 if label == 1 else -10",
        leave="0",
        rows_per_year=600,
        bootstrap={"resamples": 0},
    )
    result = decide(config, seed=1)
    first = model_sentences(result, result.champion)[0]
    assert "on these rows over acting on nobody" in first
    assert "a year)" in first


def test_design_sizes_every_metric_it_can_and_says_why_not_for_the_rest() -> None:
    # `mlroi design examples/churn.yaml` stopped at discount_cost (zero for every control
    # customer) and sized nothing; now that metric says why and the others are sized.
    import numpy as np
    import pyarrow as pa

    from mlroi import ExperimentConfig, Mean
    from mlroi.experiment.design import design

    n = 2_000
    rng = np.random.default_rng(3)
    control = np.arange(n) % 2 == 0
    table = pa.table(
        {
            "user_id": np.arange(n),
            "variant": np.where(control, "control", "treatment"),
            "y": rng.normal(10.0, 2.0, n),
            "cost": np.where(control, 0.0, rng.uniform(0, 5, n)),
            "loss": np.where(control, -1.0, -1.0) + rng.normal(0, 0.1, n),
        }
    )
    config = ExperimentConfig(
        control="control",
        arms={"control": 0.5, "treatment": 0.5},
        metrics=[
            Mean(name="y", column="y"),
            Mean(name="cost", column="cost"),
            Mean(name="loss", column="loss"),
        ],
    )
    designs = {d.metric: d for d in design(config, mde=0.02, data=table)}
    assert designs["y"].reason is None and designs["y"].required is not None
    assert designs["cost"].required is None and designs["cost"].baseline is None
    assert "no spread in the control arm" in (designs["cost"].reason or "")
    assert designs["loss"].required is None and "--absolute" in (designs["loss"].reason or "")
    assert designs["cost"].to_dict()["reason"] == designs["cost"].reason
    absolute = {d.metric: d for d in design(config, mde=0.1, relative=False, data=table)}
    assert absolute["loss"].required is not None


def test_a_threshold_above_every_score_says_the_highest_score(tmp_path: Path) -> None:
    import pandas as pd

    from mlroi import DecisionConfig, decide
    from mlroi.report.decision import stated_sentences

    pd.DataFrame(
        {"score": [0.9, 0.9, 0.8, 0.2, 0.1, 0.05], "fraud": [1, 1, 1, 0, 0, 0]}
    ).to_parquet(tmp_path / "scored.parquet")
    config = DecisionConfig(
        source={"path": str(tmp_path / "scored.parquet")},
        score="score",
        label="fraud",
        act="100 if label == 1 else -10",
        leave="0",
        bootstrap={"resamples": 0},
    )
    result = decide(config, seed=1)
    high = stated_sentences(result, result.at(threshold=1.5))[0]
    assert "acting on nobody (no score is >= 1.5; the highest is 0.9)" in high
    few = stated_sentences(result, result.at(budget=1))[0]
    assert "fewer rows than the highest group of tied scores" in few


def test_budgets_of_equal_value_are_written_once() -> None:
    from mlroi.report.decision import _budget_runs

    same = [(0.05, "$367K"), (0.1, "$367K"), (0.2, "$367K"), (0.3, "$367K")]
    assert _budget_runs(same) == ["top 5% to 30% $367K each"]
    mixed = [(0.05, "$124K"), (0.1, "$192K"), (0.2, "$239K"), (0.3, "$239K")]
    assert _budget_runs(mixed) == ["top 5% $124K", "top 10% $192K", "top 20% to 30% $239K each"]


def test_a_break_even_below_zero_says_npv_holds_without_that_lift() -> None:
    from mlroi import Case, evaluate
    from mlroi.report.roi import break_even_lines

    def case(second: float) -> Case:
        return Case(
            name="two drivers",
            goal="more revenue",
            intervention="recommendations",
            population={"description": "all users"},
            primary_metric="minutes",
            value={
                "drivers": [
                    {
                        "name": "minutes",
                        "lift": {"estimate": 100},
                        "per": "month",
                        "units_per_month": 1,
                    },
                    {
                        "name": "ads",
                        "lift": {"estimate": second},
                        "per": "month",
                        "units_per_month": 1,
                    },
                ]
            },
            costs=[{"kind": "fixed", "name": "run", "category": "maintenance", "amount": 500}],
            finance={"currency": "USD", "horizon_months": 12, "discount_rate": 0.0},
        )

    covered = " ".join(break_even_lines(evaluate(case(1000))))
    assert "NPV stays >= 0 even with no lift of minutes." in covered
    needed = " ".join(break_even_lines(evaluate(case(100))))
    assert "even with no lift" not in needed


def test_a_negative_return_says_value_was_lost_and_its_interval_reads_with_to() -> None:
    # The demo's recommender at --users 20000 printed "For every $1 spent, -$23.93 came back
    # (90% interval -$49.62–$2.57)".
    from mlroi import Case, evaluate
    from mlroi.report.roi import headline

    case = Case(
        name="losing",
        goal="more revenue",
        intervention="recommendations",
        population={"description": "all users"},
        primary_metric="revenue",
        value={
            "drivers": [
                {
                    "name": "revenue",
                    "lift": {"estimate": -1000, "interval": [-2200, 200]},
                    "per": "month",
                    "units_per_month": 1,
                }
            ]
        },
        costs=[{"kind": "fixed", "name": "run", "category": "maintenance", "amount": 100}],
        finance={"currency": "USD", "horizon_months": 12, "discount_rate": 0.0},
        simulation={"draws": 4000, "seed": 1},
    )
    result = evaluate(case)
    text = headline(result)
    assert result.return_multiple.estimate < 0 < result.return_multiple.upper
    assert text.startswith("For every $1 spent, $")
    assert "of value was lost (what came back: 90% interval -$" in text
    assert " to $" in text and "came back (" not in text
