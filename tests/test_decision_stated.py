"""Is our threshold any good: a stated threshold, top share or budget next to the best one."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from mlroi.cli import app
from mlroi.decision.analysis import decide
from mlroi.decision.bootstrap import bootstrap
from mlroi.decision.bootstrap_rows import BootstrapRows
from mlroi.decision.config import DecisionConfig
from mlroi.decision.stated import Ask

runner = CliRunner()

G, CONTACT = 0.3, 1.5


def scored(n: int = 3_000, seed: int = 3, decimals: int | None = 3) -> pa.Table:
    rng = np.random.default_rng(seed)
    score = rng.beta(2, 5, n)
    if decimals is not None:
        score = np.round(score, decimals)
    return pa.table(
        {
            "score": score,
            "churned": (rng.uniform(size=n) < score).astype(np.int64),
            "clv": np.round(rng.lognormal(5.5, 0.5, n), 2),
            "discount": np.round(rng.uniform(5, 20, n), 2),
        }
    )


def act_per_row(t: pa.Table) -> np.ndarray:
    """Verbraken et al.'s profit of contacting each row (stayers_accept = 1), by hand."""
    y, clv, d = (t[c].to_numpy() for c in ("churned", "clv", "discount"))
    return np.where(y == 1, G * (clv - d - CONTACT) - (1 - G) * CONTACT, -(d + CONTACT))


def config(path: Path, **changes: Any) -> DecisionConfig:
    base: dict[str, Any] = {
        "source": {"path": str(path)},
        "score": "score",
        "label": "churned",
        "template": "churn",
        "parameters": {"g": G, "contact": CONTACT},
        "bootstrap": {"resamples": 60},
    }
    return DecisionConfig.model_validate(base | changes)


@pytest.fixture
def table() -> pa.Table:
    return scored()


@pytest.fixture
def parquet(tmp_path: Path, table: pa.Table) -> Path:
    path = tmp_path / "scored.parquet"
    pq.write_table(table, path)
    return path


def test_the_value_at_a_threshold_is_the_sum_over_the_rows_at_or_above_it(
    parquet: Path, table: pa.Table
) -> None:
    result = decide(config(parquet), seed=4)
    act, s = act_per_row(table), table["score"].to_numpy()
    for t in (0.8, 0.5, 0.3141, 0.05):
        stated = result.at(threshold=t)
        assert stated.value.estimate == pytest.approx(act[s >= t].sum(), rel=1e-9)
        assert stated.point["targeted"] == np.count_nonzero(s >= t)


def test_the_difference_is_the_stated_value_minus_the_best(parquet: Path) -> None:
    result = decide(config(parquet), seed=4)
    stated = result.at(threshold=0.8)
    best = result.champion.incremental_value
    assert stated.difference is not None
    assert stated.difference.estimate == pytest.approx(stated.value.estimate - best)
    assert stated.difference.estimate < 0  # the best threshold is at least as good
    assert stated.best == result.champion.point


def test_the_bootstrap_draws_at_a_threshold_are_those_of_a_bootstrap_chosen_there(
    table: pa.Table,
) -> None:
    """Reference: the same seed's bootstrap with the stated threshold as the chosen one gives
    the value there in every resample; the stated point's interval is read off those draws."""
    score = table["score"].to_numpy()
    label = table["churned"].to_numpy()
    act = act_per_row(table)
    rows = BootstrapRows(label, act, np.zeros(len(act)), {"champion": score})
    at_best = bootstrap(rows, {"champion": 0.2}, resamples=40, seed=9)
    at_stated = bootstrap(rows, {"champion": 0.6}, resamples=40, seed=9)
    draws = at_best.models["champion"].draws
    assert draws.lows is not None and draws.incremental_at_edges is not None
    edge = int(np.flatnonzero(draws.lows == np.min(score[score >= 0.6]))[0])
    np.testing.assert_allclose(
        draws.incremental_at_edges[:, edge],
        at_stated.models["champion"].draws.incremental_value_at_chosen,
        rtol=1e-12,
    )


def test_the_stated_interval_is_the_percentile_interval_of_the_resampled_values(
    parquet: Path,
) -> None:
    result = decide(config(parquet), seed=4)
    stated = result.at(threshold=0.6)
    boot = result.champion.bootstrap
    assert boot is not None and boot.draws.incremental_at_edges is not None
    edge = int(np.flatnonzero(boot.draws.lows == stated.point["threshold"])[0])
    values = boot.draws.incremental_at_edges[:, edge]
    gap = values - boot.draws.incremental_value_at_chosen
    lo, hi = np.quantile(values, [0.05, 0.95], method="inverted_cdf")
    assert (stated.value.lower, stated.value.upper) == (lo, hi)
    assert stated.difference is not None
    lo, hi = np.quantile(gap, [0.05, 0.95], method="inverted_cdf")
    assert (stated.difference.lower, stated.difference.upper) == (lo, hi)
    assert stated.share_worse == np.mean(gap < 0)


def test_the_best_threshold_itself_differs_by_zero_in_every_resample(parquet: Path) -> None:
    result = decide(config(parquet), seed=4)
    assert result.champion.point is not None
    stated = result.at(threshold=result.champion.point["threshold"])
    assert stated.difference is not None
    assert (stated.difference.lower, stated.difference.upper) == (0.0, 0.0)
    assert "This is the best threshold" in "\n".join(result.summary() + _words(result, stated))


def _words(result: Any, stated: Any) -> list[str]:
    from mlroi.report.decision import stated_sentences

    return stated_sentences(result, stated)


def test_top_acts_on_the_most_rows_within_the_share(parquet: Path, table: pa.Table) -> None:
    result = decide(config(parquet, bootstrap={"resamples": 0}))
    s = np.sort(table["score"].to_numpy())[::-1]
    stated = result.at(top=0.1)
    k = int(stated.point["targeted"])
    assert k <= 0.1 * len(s)
    # the next group of tied scores would go over 10%
    assert np.count_nonzero(s >= s[k]) > 0.1 * len(s)
    assert stated.interval_reason is not None and "no bootstrap" in stated.interval_reason
    assert stated.value.estimate == result.champion.curve.at_budget(share=0.1)["incremental_value"]


def test_budget_acts_on_at_most_that_many_rows(parquet: Path) -> None:
    result = decide(config(parquet), seed=4)
    stated = result.at(budget=500)
    assert stated.point == result.champion.curve.at_budget(500)
    assert stated.has_interval


def test_a_threshold_above_every_score_acts_on_nobody(parquet: Path) -> None:
    result = decide(config(parquet), seed=4)
    stated = result.at(threshold=2.0)
    assert stated.index == 0 and stated.value.estimate == 0.0
    assert (stated.value.lower, stated.value.upper) == (0.0, 0.0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, "exactly one of threshold"),
        ({"threshold": 0.5, "top": 0.1}, "exactly one of threshold"),
        ({"top": 1.5}, r"top must be a share in \(0, 1\]"),
        ({"top": 0.0}, r"top must be a share"),
        ({"budget": -1}, "budget must be a number of rows >= 0"),
        ({"threshold": math.nan}, "threshold must be a finite number"),
    ],
)
def test_a_bad_ask_names_the_argument(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        Ask.one_of(**kwargs)


def test_a_stated_point_breaking_a_constraint_says_which(parquet: Path) -> None:
    result = decide(config(parquet, constraints=["targeted <= 600"]), seed=4)
    stated = result.at(top=0.5)
    assert stated.breaks == ("targeted <= 600",)
    assert "  It breaks the constraint(s): targeted <= 600." in _words(result, stated)


def test_binned_bootstrap_reads_a_stated_threshold_exactly_only_when_asked(
    tmp_path: Path,
) -> None:
    path = tmp_path / "fine.parquet"
    pq.write_table(scored(decimals=None), path)  # every score distinct: binned resamples
    cfg = config(path, bootstrap={"resamples": 30, "bins": 16})
    plain = decide(cfg, seed=2)
    after = plain.at(threshold=0.55)
    assert not after.has_interval and "not an edge" in (after.interval_reason or "")
    assert after.difference is not None and math.isnan(after.difference.lower)
    asked = decide(cfg, seed=2, ask=Ask("threshold", 0.55))
    assert asked.stated is not None and asked.stated.has_interval
    assert asked.stated.value.estimate == after.value.estimate
    assert asked.stated.value.lower <= asked.stated.value.estimate <= asked.stated.value.upper


CASE = """\
finance: {{currency: EUR, horizon_months: 12}}
name: churn
goal: keep customers
intervention: discount
population: {{description: everyone}}
primary_metric: saved
value:
  drivers:
    - {{name: saved, lift: {{decision: value}}, units_per_month: 1000}}
costs:
  - {{kind: fixed, name: team, category: other, amount: 1000, every: month}}
decision:
  source: {{path: {path}}}
  score: score
  label: churned
  template: churn
  parameters: {{g: 0.3, contact: 1.5}}
  rows_per_year: 36000
  bootstrap: {{resamples: 40}}
"""


def test_mlroi_decide_threshold_prints_the_comparison_and_writes_it_to_json(
    parquet: Path, tmp_path: Path
) -> None:
    case = tmp_path / "case.yaml"
    case.write_text(CASE.format(path=parquet))
    out = tmp_path / "d.json"
    result = runner.invoke(app, ["decide", str(case), "--threshold", "0.8", "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "Your threshold 0.8: acting on score >= 0.8: " in result.output
    assert "a year" in result.output and "paired-bootstrap interval" in result.output
    stated = json.loads(out.read_text())["stated"]
    assert stated["ask"] == {"kind": "threshold", "amount": 0.8}
    assert stated["difference"]["estimate"] < 0
    assert stated["difference"]["low"] <= stated["difference"]["high"]


def test_mlroi_decide_top_reads_a_percentage(parquet: Path, tmp_path: Path) -> None:
    case = tmp_path / "case.yaml"
    case.write_text(CASE.format(path=parquet))
    result = runner.invoke(app, ["decide", str(case), "--top", "10%"])
    assert result.exit_code == 0, result.output
    assert "Your top 10%" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--top", "ten"], "--top: expected a share such as 10% or 0.1"),
        (["--top", "150%"], "--top: top must be a share in (0, 1]"),
        (["--threshold", "0.5", "--budget", "10"], "--threshold and --budget: give one of them"),
    ],
)
def test_bad_stated_options_are_one_line_and_exit_2(
    parquet: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    case = tmp_path / "case.yaml"
    case.write_text(CASE.format(path=parquet))
    result = runner.invoke(app, ["decide", str(case), *args])
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_the_value_chart_marks_the_stated_threshold(parquet: Path) -> None:
    from mlroi.report.decision import value_chart

    result = decide(config(parquet), seed=4, ask=Ask("threshold", 0.8))
    chart = value_chart(result, result.champion)
    assert any(m.label.startswith("yours 0.8") for m in chart.markers)


def test_the_case_can_state_the_threshold_in_use_and_the_report_shows_it(parquet: Path) -> None:
    from mlroi.report import html, markdown

    result = decide(config(parquet, in_use={"top": 0.1}), seed=4)
    assert result.stated is not None and result.stated.ask == Ask("top", 0.1)
    assert "Your top 10%: acting on score >=" in markdown.render(result.view())
    page = html.document(result.view())
    assert "Your top 10%" in page and "yours " in page  # the sentence and the chart's marker


def test_in_use_needs_exactly_one_point(parquet: Path) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="exactly one of threshold, top and budget"):
        config(parquet, in_use={"threshold": 0.5, "top": 0.1})


def test_the_threshold_table_has_a_row_for_the_threshold_in_use(parquet: Path) -> None:
    from mlroi.report.decision import threshold_table

    result = decide(config(parquet), seed=4, ask=Ask("threshold", 0.8))
    table = threshold_table(result)
    assert [row[0].text for row in table.rows] == ["score", "score (yours)"]
    assert table.rows[1][1].text == "0.8"


@settings(max_examples=60, deadline=None)
@given(
    scores=st.lists(st.integers(0, 20), min_size=1, max_size=40),
    threshold=st.integers(-1, 21),
    top=st.integers(1, 100),
    budget=st.integers(0, 45),
)
def test_the_stated_point_is_the_brute_force_point(
    scores: list[int], threshold: int, top: int, budget: int
) -> None:
    """Property: threshold t acts on exactly the rows with score >= t; top and budget on the
    most rows, whole tied groups only, within the share or the count."""
    from mlroi.decision.optimum import optimum
    from mlroi.decision.result import ModelResult
    from mlroi.decision.score_groups import ScoreGroups
    from mlroi.decision.stated import stated_point
    from mlroi.decision.value_curve import value_curve

    s = np.asarray(scores, dtype=float) / 20
    act = np.where(np.arange(s.size) % 3 == 0, 5.0, -1.0)
    curve = value_curve(ScoreGroups.from_rows(s, np.zeros(s.size, int), act, np.zeros(s.size)))
    model = ModelResult("champion", "s", "exact", True, curve, optimum(curve), None, {})
    t = threshold / 20
    at = stated_point(model, Ask("threshold", t), level=0.9)
    assert at.point["targeted"] == np.count_nonzero(s >= t)
    assert at.value.estimate == pytest.approx(act[s >= t].sum())
    for ask, limit in (
        (Ask("top", top / 100), top / 100 * s.size),
        (Ask("budget", budget), budget),
    ):
        k = stated_point(model, ask, level=0.9).point["targeted"]
        feasible = [0] + [np.count_nonzero(s >= x) for x in np.unique(s)]
        assert k == max(n for n in feasible if n <= limit + 1e-9)


def test_uncertain_parameters_give_the_stated_value_a_monte_carlo_interval(
    parquet: Path, table: pa.Table
) -> None:
    """Reference: the churn value is linear in g, so with g ~ Beta(6, 14) the value at a fixed
    threshold is a + b g, and its central 90% interval is a + b times Beta(6, 14)'s quantiles."""
    from scipy import stats

    cfg = config(
        parquet,
        parameters={"g": {"beta": [6, 14]}, "contact": CONTACT},
        bootstrap={"resamples": 0},
        parameter_draws=200_000,
    )
    result = decide(cfg, seed=3, ask=Ask("threshold", 0.6))
    assert result.stated is not None and result.stated.parameters is not None
    y, clv, d = (table[c].to_numpy() for c in ("churned", "clv", "discount"))
    rows = table["score"].to_numpy() >= 0.6
    # value = sum over acted rows: churners g (clv - d - c) - (1 - g) c; others -(d + c)
    a = np.sum(np.where(y == 1, -CONTACT, -(d + CONTACT))[rows])
    b = np.sum(np.where(y == 1, clv - d, 0.0)[rows])
    lo, hi = a + b * stats.beta.ppf([0.05, 0.95], 6, 14)
    iv = result.stated.parameters.value
    assert iv.lower == pytest.approx(lo, rel=0.01) and iv.upper == pytest.approx(hi, rel=0.01)
    assert iv.estimate == pytest.approx(a + b * 0.3, rel=1e-9)
    assert "Over the uncertain parameters (200,000 draws): yours is worth" in "\n".join(
        result.summary()
    )


def test_the_methods_say_how_the_threshold_in_use_was_valued(parquet: Path) -> None:
    from mlroi.report.methods import decision as methods

    result = decide(config(parquet), seed=4, ask=Ask("budget", 500))
    assert any(
        line.startswith("The threshold in use (budget of 500 of 3,000 rows) is valued")
        for line in methods(result)
    )
