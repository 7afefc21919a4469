"""The decision analysis end to end: case section, templates, uncertain parameters, exact and
binned curves, the challenger, the ROI lift and the command line."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scipy import stats
from typer.testing import CliRunner

from mlroi.cli import app
from mlroi.decision.analysis import decide
from mlroi.decision.config import DecisionConfig
from mlroi.decision.polynomial import expand, moment
from mlroi.errors import DataError, SpecError
from mlroi.expr import ExprError, bind, evaluate, parse
from mlroi.spec.case import load_case
from mlroi.spec.quantity import Beta, Normal, Range

runner = CliRunner()


def scored(n: int = 4_000, seed: int = 3, decimals: int | None = 3) -> pa.Table:
    rng = np.random.default_rng(seed)
    score = rng.beta(2, 5, n)
    if decimals is not None:
        score = np.round(score, decimals)  # ties
    return pa.table(
        {
            "score": score,
            "challenger": np.clip(score + rng.normal(0, 0.05, n), 0, 1),
            "churned": (rng.uniform(size=n) < score).astype(np.int64),
            "clv": np.round(rng.lognormal(5.5, 0.5, n), 2),
            "discount": np.round(rng.uniform(5, 20, n), 2),
            "tenure": rng.integers(0, 60, n),
            "treated": (rng.uniform(size=n) < 0.2).astype(np.int64),
        }
    )


@pytest.fixture
def parquet(tmp_path: Path) -> Path:
    path = tmp_path / "scored.parquet"
    pq.write_table(scored(), path)
    return path


def config(path: Path, **changes: Any) -> DecisionConfig:
    base: dict[str, Any] = {
        "source": {"path": str(path)},
        "score": "score",
        "label": "churned",
        "template": "churn",
        "parameters": {"g": {"beta": [6, 14]}, "contact": 1.5},
        "bootstrap": {"resamples": 0},
    }
    return DecisionConfig.model_validate(base | changes)


def churn_value(col: dict[str, np.ndarray], g: float, contact: float) -> np.ndarray:
    """Verbraken et al.'s profit of contacting each row, written out by hand."""
    y, clv, d = col["churned"], col["clv"], col["discount"]
    return np.where(y == 1, g * (clv - d - contact) - (1 - g) * contact, -(d + contact))


def brute_force(table: pa.Table, act: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Value of acting on score >= t for every distinct score t, one threshold at a time."""
    s = table["score"].to_numpy()
    thresholds = np.unique(s)[::-1]
    return thresholds, np.array([act[s >= t].sum() for t in thresholds])


# ---------------------------------------------------------------------- uncertain parameters


@pytest.mark.parametrize(
    "text",
    [
        "g * (clv - d - f) - (1 - g) * f if y == 1 else -(d + f)",
        "g ** 2 * clv / 2 + h * (g - 1) * d",
        "(g + h) * (g - h) - min(clv, d) * h",
    ],
)
def test_an_expanded_expression_equals_the_expression_at_any_parameter_values(text: str) -> None:
    rng = np.random.default_rng(0)
    data = {
        "clv": rng.uniform(50, 500, 64),
        "d": rng.uniform(1, 20, 64),
        "f": rng.uniform(0, 2, 64),
        "y": rng.integers(0, 2, 64).astype(float),
    }
    poly = expand(parse(text), {"g", "h"})
    for g, h in [(0.3, 2.0), (-1.5, 0.25), (0.0, 7.0)]:
        direct = evaluate(bind(parse(text), list(data), {"g": g, "h": h}), data)
        values = {"g": g, "h": h}
        total = sum(
            evaluate(coef, data) * math.prod(values[n] ** p for n, p in mono)
            for mono, coef in poly.items()
        )
        np.testing.assert_allclose(total, direct, rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("min(g * clv, 10)", "inside min()"),
        ("clv / g", "in a divisor"),
        ("1 if g > 0 else 0", "in an if condition"),
    ],
)
def test_an_uncertain_parameter_outside_a_polynomial_is_named(text: str, where: str) -> None:
    with pytest.raises(ExprError, match=f'parameter "g" appears {where}'):
        expand(parse(text), {"g"}, field="decision.act")


def test_parameter_moments_match_closed_forms() -> None:
    a, b = 6.0, 14.0
    assert moment(Beta(beta=(a, b)), 1) == pytest.approx(a / (a + b), rel=1e-15)
    second = a * (a + 1) / ((a + b) * (a + b + 1))
    assert moment(Beta(beta=(a, b)), 2) == pytest.approx(second, rel=1e-5)
    assert moment(Normal(normal=(2.0, 0.5)), 2) == pytest.approx(2.0**2 + 0.5**2, rel=1e-4)
    pert = Range(low=1, likely=2, high=6)
    assert moment(pert, 1) == pytest.approx((1 + 4 * 2 + 6) / 6, rel=1e-15)


# ------------------------------------------------------------------------------ exact curve


def test_the_curve_is_the_brute_force_value_at_the_expected_parameters(parquet: Path) -> None:
    table = pq.read_table(parquet)
    col = {c: table[c].to_numpy() for c in table.column_names}
    result = decide(config(parquet))
    curve = result.champion.curve
    # linear in g, so the expected value is the value at E[g] = 0.3
    thresholds, values = brute_force(table, churn_value(col, 0.3, 1.5))
    np.testing.assert_array_equal(curve.threshold[1:], thresholds)
    np.testing.assert_allclose(curve.incremental_value[1:], values, rtol=1e-9, atol=1e-6)
    best = int(np.argmax(values))
    assert result.champion.point is not None
    assert result.champion.point["threshold"] == thresholds[best]
    assert result.champion.exact
    assert "exact" in result.champion.method


def test_a_constraint_picks_the_best_feasible_brute_force_threshold(parquet: Path) -> None:
    table = pq.read_table(parquet)
    col = {c: table[c].to_numpy() for c in table.column_names}
    result = decide(config(parquet, constraints=["targeted <= 300"]))
    s = col["score"]
    thresholds, values = brute_force(table, churn_value(col, 0.3, 1.5))
    feasible = np.array([(s >= t).sum() <= 300 for t in thresholds])
    best = thresholds[feasible][int(np.argmax(values[feasible]))]
    assert result.champion.point is not None
    assert result.champion.point["threshold"] == best
    assert result.champion.point["targeted"] <= 300


def test_metrics_of_the_template_are_summed_over_the_rows_acted_on(parquet: Path) -> None:
    table = pq.read_table(parquet)
    col = {c: table[c].to_numpy() for c in table.column_names}
    result = decide(config(parquet, parameters={"g": 0.25, "stayers_accept": 0.5}))
    p = result.champion.point
    assert p is not None
    acted = col["score"] >= p["threshold"]
    y, d = col["churned"][acted], col["discount"][acted]
    assert p["discounts_given"] == pytest.approx(np.sum(np.where(y == 1, 0.25 * d, 0.5 * d)))
    assert p["value_retained"] == pytest.approx(
        np.sum(np.where(y == 1, 0.25, 0) * col["clv"][acted])
    )


def test_eligible_and_treated_rows_are_left_out_of_the_curve(parquet: Path) -> None:
    table = pq.read_table(parquet)
    tenure, treated = table["tenure"].to_numpy(), table["treated"].to_numpy()
    result = decide(config(parquet, eligible="tenure >= 12", treated="treated"))
    assert result.rows == int(np.sum((tenure >= 12) & (treated == 0)))
    assert any("not treated" in n for n in result.notes)


def test_a_bad_treatment_flag_stops_the_analysis_before_the_curve(tmp_path: Path) -> None:
    table = scored()
    flags = [
        "maybe" if i < 3 else ("yes" if t else "no")
        for i, t in enumerate(table["treated"].to_pylist())
    ]
    path = tmp_path / "flags.parquet"
    pq.write_table(
        table.set_column(table.column_names.index("treated"), "treated", pa.array(flags)), path
    )
    steps: list[str] = []
    with pytest.raises(DataError, match=r"column 'treated': 3 of 4,000 treatment flags are not 0"):
        decide(config(path, treated="treated"), progress=steps.append)
    assert not any(step.startswith("value curve") for step in steps)


def test_renamed_columns_and_parameters_feed_the_template(parquet: Path) -> None:
    table = pq.read_table(parquet)
    col = {c: table[c].to_numpy() for c in table.column_names}
    cfg = config(
        parquet,
        columns={"clv": "saved", "discount": "offer"},
        parameters={"saved": 400.0, "offer": 12.0, "g": 0.3, "contact": 1.0},
    )
    got = decide(cfg).champion.curve
    same = {
        **col,
        "clv": np.full(len(col["score"]), 400.0),
        "discount": np.full(len(col["score"]), 12.0),
    }
    _, values = brute_force(table, churn_value(same, 0.3, 1.0))
    np.testing.assert_allclose(got.incremental_value[1:], values, rtol=1e-9)


# ----------------------------------------------------------------------- parameter spread


def test_the_parameter_interval_of_a_linear_value_is_the_beta_interval(parquet: Path) -> None:
    result = decide(config(parquet, parameter_draws=200_000))
    m = result.champion
    assert m.parameters is not None and m.decision.index is not None
    j = m.decision.index
    # incremental value at the chosen point is A + B g: read A and B off the monomial curves
    a = m.value_terms[()][j] - m.value_terms[()][0]
    b = m.value_terms[(("g", 1),)][j] - m.value_terms[(("g", 1),)][0]
    lo, hi = a + b * stats.beta.ppf([0.05, 0.95], 6, 14)
    got = m.parameters.incremental_value
    assert got.lower == pytest.approx(min(lo, hi), rel=0.01)
    assert got.upper == pytest.approx(max(lo, hi), rel=0.01)
    p_positive = stats.beta.sf(-a / b, 6, 14) if b > 0 else stats.beta.cdf(-a / b, 6, 14)
    assert m.parameters.probability_positive == pytest.approx(p_positive, abs=0.01)


def test_fixed_parameters_give_no_parameter_spread(parquet: Path) -> None:
    result = decide(config(parquet, parameters={"g": 0.3}))
    assert result.champion.parameters is None


# ------------------------------------------------------------------------ exact sums


@pytest.mark.parametrize("scale", [1.0, 1e6])
def test_the_curve_is_exact_whether_a_row_fits_the_narrow_fixed_point_type_or_not(
    tmp_path: Path, scale: float
) -> None:
    # values up to ~1e3 a row are summed as DECIMAL(18, 10), up to ~1e9 as DECIMAL(38, 10)
    table = scored(n=3_000)
    table = table.set_column(3, "clv", pa.array(table["clv"].to_numpy() * scale))
    pq.write_table(table, path := tmp_path / "scaled.parquet")
    result = decide(config(path, parameters={"g": 0.3, "contact": 1.5}))
    col = {k: table[k].to_numpy() for k in ("churned", "clv", "discount")}
    thresholds, values = brute_force(table, churn_value(col, 0.3, 1.5))
    curve = result.champion.curve
    assert np.array_equal(curve.threshold[1:], thresholds)
    assert np.allclose(curve.value[1:], values, rtol=1e-12, atol=1e-6 * scale)


# ------------------------------------------------------------- checks the footers prove


def checks_seen(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each check :func:`decide` ran was complete (row by row)."""
    import mlroi.decision.analysis as analysis

    seen: list[bool] = []
    check = analysis.check_scored

    def spy(*args: Any, **kwargs: Any) -> Any:
        stats = check(*args, **kwargs)
        seen.append(stats.complete)
        return stats

    monkeypatch.setattr(analysis, "check_scored", spy)
    return seen


@pytest.mark.parametrize("binned", [False, True])
def test_footers_that_prove_the_checks_give_the_same_result_as_the_complete_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, binned: bool
) -> None:
    import mlroi.decision.analysis as analysis
    from mlroi.serialize import dumps

    pq.write_table(scored(n=20_000, decimals=None), path := tmp_path / "scored.parquet")
    options: dict[str, Any] = {"max_groups": 1_000, "bins": 200} if binned else {}
    seen = checks_seen(monkeypatch)
    lean = decide(config(path, **options))
    monkeypatch.setattr(analysis, "_footer_ranges", lambda *_: {})
    complete = decide(config(path, **options))
    assert seen == [False, True]  # the label is 0/1 and clv, discount bounded in the footers
    assert dumps(lean.to_dict()) == dumps(complete.to_dict())


def test_a_nan_the_footers_cannot_rule_out_is_named_as_the_complete_check_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mlroi.decision.analysis as analysis

    table = scored()
    clv = table["clv"].to_numpy().copy()
    clv[int(np.flatnonzero(table["churned"].to_numpy() == 1)[0])] = np.nan
    pq.write_table(table.set_column(3, "clv", pa.array(clv)), path := tmp_path / "nan.parquet")
    seen = checks_seen(monkeypatch)
    with pytest.raises(DataError) as lean:
        decide(config(path))
    monkeypatch.setattr(analysis, "_footer_ranges", lambda *_: {})
    with pytest.raises(DataError) as complete:
        decide(config(path))
    assert seen == [False]  # the lean check passed; the sums failed on the NaN
    assert str(lean.value) == str(complete.value)
    assert "NaN or an infinite value" in str(lean.value)


# ------------------------------------------------------------------------ binned + refined


def test_a_huge_number_of_distinct_scores_is_binned_and_refined_to_the_exact_optimum(
    tmp_path: Path,
) -> None:
    path = tmp_path / "fine.parquet"
    table = scored(n=20_000, decimals=None)
    pq.write_table(table, path)
    exact = decide(config(path, parameters={"g": 0.3}))
    binned = decide(config(path, parameters={"g": 0.3}, max_groups=1_000, bins=200))
    assert exact.champion.exact and not binned.champion.exact
    assert "binned" in binned.champion.method and "again at every distinct score" in (
        binned.champion.method
    )
    assert exact.champion.point is not None and binned.champion.point is not None
    assert binned.champion.point["threshold"] == exact.champion.point["threshold"]
    assert binned.champion.point["value"] == pytest.approx(exact.champion.point["value"], rel=1e-9)
    assert len(binned.champion.curve) < len(exact.champion.curve)


# -------------------------------------------------------------------------------- challenger


def test_the_challenger_comparison_is_the_difference_at_each_optimum(parquet: Path) -> None:
    result = decide(config(parquet, challenger="challenger"))
    champion, challenger = result.champion, result.challenger
    assert challenger is not None and result.comparison is not None
    assert result.comparison.value == pytest.approx(
        challenger.incremental_value - champion.incremental_value
    )
    assert champion.curve.auc is not None and challenger.curve.auc is not None
    assert result.comparison.auc == pytest.approx(challenger.curve.auc - champion.curve.auc)
    assert "The challenger's" in "\n".join(result.summary())


# -------------------------------------------------------------------------------- bad input


def test_a_missing_score_column_names_it_with_a_suggestion(parquet: Path) -> None:
    with pytest.raises(
        DataError, match=r"decision\.score 'scores' not found \(did you mean 'score'"
    ):
        decide(config(parquet, score="scores"))


def test_an_unknown_name_in_an_expression_is_located(parquet: Path) -> None:
    with pytest.raises(ExprError, match=r"decision\.act"):
        decide(config(parquet, template=None, act="value_of_row * 2"))


def test_an_unknown_template_name_gets_a_did_you_mean(parquet: Path) -> None:
    with pytest.raises(ValueError, match="did you mean 'discount'"):
        config(parquet, columns={"discont": "x"})


def test_a_value_model_is_required() -> None:
    with pytest.raises(ValueError, match="act: give the value of acting"):
        DecisionConfig.model_validate({"source": {"path": "x.parquet"}, "score": "s", "label": "y"})


def test_a_constraint_no_threshold_meets_gives_an_infeasible_result(parquet: Path) -> None:
    result = decide(config(parquet, constraints=["recall >= 0.5", "targeted <= 10"]))
    assert result.champion.decision.status == "infeasible"
    assert "no threshold meets" in (result.champion.decision.reason or "")
    assert "no threshold is feasible" in "\n".join(result.summary())


# ------------------------------------------------------------------------ case, ROI and CLI


CASE = """\
name: churn offers
goal: reduce churn
intervention: offer a discount
population: {{description: customers, size: 4000}}
primary_metric: offers
decision:
  source: {{path: {path}}}
  score: score
  label: churned
  template: churn
  parameters: {{g: 0.3, contact: 1.5}}
  bootstrap: {{resamples: 0}}
  rows_per_year: 48000
value:
  drivers:
    - name: offers
      lift: {{decision: value}}
      units_per_month: 4000
costs:
  - {{kind: fixed, name: upkeep, category: maintenance, amount: 100, every: month}}
finance: {{currency: USD, horizon_months: 12}}
"""


def test_the_roi_takes_the_value_per_row_from_the_decision(parquet: Path, tmp_path: Path) -> None:
    from mlroi.pipeline import evaluate

    case_path = tmp_path / "case.yaml"
    case_path.write_text(CASE.format(path=parquet))
    case = load_case(case_path)
    assert case.decision is not None
    decision = decide(case.decision)
    roi = evaluate(case, base=tmp_path)
    per_row = decision.champion.incremental_value / decision.rows
    assert roi.lifts[0].estimate == pytest.approx(per_row, rel=1e-12)
    assert "offline decision analysis" in roi.lifts[0].source
    assert roi.total_value.estimate == pytest.approx(per_row * 4000 * 12, rel=1e-9)


def test_a_decision_lift_without_a_decision_section_is_located(tmp_path: Path) -> None:
    text = CASE.format(path="x.parquet")
    start, end = text.index("decision:\n"), text.index("value:\n")
    case_path = tmp_path / "case.yaml"
    case_path.write_text(text[:start] + text[end:])
    with pytest.raises(SpecError, match=r"value.drivers\[0\].lift.decision: needs a `decision:`"):
        load_case(case_path)


def test_mlroi_decide_prints_the_threshold_and_writes_json(parquet: Path, tmp_path: Path) -> None:
    case_path = tmp_path / "case.yaml"
    case_path.write_text(CASE.format(path=parquet))
    out = tmp_path / "decision.json"
    result = runner.invoke(app, ["decide", str(case_path), "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "act on scores >=" in result.output
    data = json.loads(out.read_text())
    chosen = data["models"]["champion"]["decision"]["point"]
    assert chosen["incremental_value"] > 0
    assert data["rows"] == 4000
    assert len(data["models"]["champion"]["curve"]["columns"]["threshold"]) <= 1001


def test_mlroi_decide_without_a_decision_section_is_one_error_line(tmp_path: Path) -> None:
    case_path = tmp_path / "case.yaml"
    assert runner.invoke(app, ["init", str(case_path)]).exit_code == 0
    result = runner.invoke(app, ["decide", str(case_path)])
    assert result.exit_code == 2
    assert "no `decision:` section" in result.stderr
    assert "Traceback" not in result.output


def test_the_bootstrap_gives_intervals_and_the_paired_challenger_interval(parquet: Path) -> None:
    cfg = config(
        parquet,
        challenger="challenger",
        parameters={"g": 0.3, "contact": 1.5},
        bootstrap={"resamples": 100},
    )
    result = decide(cfg, seed=5)
    boot = result.champion.bootstrap
    assert boot is not None and result.resamples == 100
    value = result.champion.incremental_value
    assert (
        boot.incremental_value_at_chosen.interval.lower
        < value
        < boot.incremental_value_at_chosen.interval.upper
    )
    c = result.comparison
    assert c is not None and c.interval is not None and c.probability_better is not None
    assert c.interval.lower <= c.interval.upper
    assert "bootstrap resamples" in "\n".join(result.summary())
    assert decide(cfg, seed=5).to_json() == result.to_json()  # same seed, same JSON


def test_a_table_over_the_bootstrap_row_limit_says_why_there_is_no_bootstrap(
    parquet: Path,
) -> None:
    result = decide(config(parquet, bootstrap={"resamples": 50, "max_rows": 100}))
    assert result.champion.bootstrap is None
    assert any("exceed bootstrap.max_rows" in n for n in result.notes)


def test_a_typo_in_a_constraint_is_found_when_the_section_is_read(parquet: Path) -> None:
    with pytest.raises(
        ValueError,
        match=r'constraints\[1\]: unknown name "discounts_gven"; did you mean "discounts_given"',
    ):
        config(parquet, constraints=["fpr <= 0.1", "discounts_gven <= 100"])


def test_a_typo_in_a_decision_key_suggests_the_key_of_that_section(
    parquet: Path, tmp_path: Path
) -> None:
    case_path = tmp_path / "case.yaml"
    case_path.write_text(CASE.format(path=parquet).replace("  label: churned", "  lable: churned"))
    with pytest.raises(
        SpecError, match=r"case.yaml:9 decision.lable: unknown key 'lable'; did you mean 'label'\?"
    ):
        load_case(case_path)


def test_fraud_savings_match_a_direct_computation(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    n = 5_000
    fraud = (rng.uniform(size=n) < 0.02).astype(np.int64)
    score = np.round(np.clip(0.6 * fraud + rng.beta(1, 8, n), 0, 1), 4)
    amount = np.round(rng.lognormal(4, 1, n), 2)
    path = tmp_path / "txns.parquet"
    pq.write_table(pa.table({"score": score, "is_fraud": fraud, "amount": amount}), path)
    cfg = DecisionConfig.model_validate(
        {
            "source": {"path": str(path)},
            "score": "score",
            "label": "is_fraud",
            "template": "fraud",
            "parameters": {"friction": 4.0, "lost_margin": 0.25},
            "constraints": ["fpr <= 0.01"],
            "bootstrap": {"resamples": 0},
        }
    )
    result = decide(cfg)
    p = result.champion.point
    assert p is not None
    blocked = score >= p["threshold"]
    saved = amount[blocked & (fraud == 1)].sum()
    friction = (4.0 + 0.25 * amount[blocked & (fraud == 0)]).sum()
    assert p["incremental_value"] == pytest.approx(saved - friction, rel=1e-12)
    assert p["fraud_prevented"] == pytest.approx(saved, rel=1e-12)
    assert p["legit_amount_blocked"] == pytest.approx(amount[blocked & (fraud == 0)].sum())
    legit_blocked_share = np.sum(blocked & (fraud == 0)) / np.sum(fraud == 0)
    assert p["fpr"] == pytest.approx(legit_blocked_share) and p["fpr"] <= 0.01
    # no lower threshold meeting the limit is worth more
    for t in np.unique(score):
        b = score >= t
        if np.sum(b & (fraud == 0)) / np.sum(fraud == 0) <= 0.01:
            other = amount[b & (fraud == 1)].sum() - (4.0 + 0.25 * amount[b & (fraud == 0)]).sum()
            assert other <= p["incremental_value"] + 1e-6


def test_validate_finds_a_constraint_typo_at_its_line(parquet: Path, tmp_path: Path) -> None:
    case_path = tmp_path / "case.yaml"
    text = CASE.format(path=parquet).replace(
        "  rows_per_year: 48000", "  constraints: [recall >= 0.1, fpr <= 0.5, targetted <= 9]"
    )
    case_path.write_text(text)
    result = runner.invoke(app, ["validate", str(case_path)])
    assert result.exit_code == 2
    assert (
        'case.yaml:13 decision.constraints[2]: unknown name "targetted"; did you mean "targeted"?'
        in result.stderr
    )


def test_a_missing_column_found_by_decide_is_located_in_the_case_file(
    parquet: Path, tmp_path: Path
) -> None:
    case_path = tmp_path / "case.yaml"
    case_path.write_text(CASE.format(path=parquet).replace("  score: score", "  score: scroe"))
    result = runner.invoke(app, ["decide", str(case_path)])
    assert result.exit_code == 2
    assert "case.yaml:8 decision.score 'scroe' not found (did you mean 'score'?)" in result.stderr


def test_the_best_within_a_budget_is_the_brute_force_best(parquet: Path) -> None:
    from mlroi.report.decision import best_within

    table = pq.read_table(parquet)
    col = {c: table[c].to_numpy() for c in table.column_names}
    m = decide(config(parquet, parameters={"g": 0.3, "contact": 1.5})).champion
    thresholds, values = brute_force(table, churn_value(col, 0.3, 1.5))
    sizes = np.array([(col["score"] >= t).sum() for t in thresholds])
    for share in (0.05, 0.2, 0.5):
        allowed = sizes <= share * len(col["score"])
        expected = max(0.0, float(values[allowed].max())) if allowed.any() else 0.0
        assert best_within(m, share) == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_the_roi_lift_error_is_the_bootstrap_per_row_error(parquet: Path, tmp_path: Path) -> None:
    from mlroi.pipeline import evaluate

    case_path = tmp_path / "case.yaml"
    case_path.write_text(
        CASE.format(path=parquet).replace("bootstrap: {resamples: 0}", "bootstrap: {resamples: 80}")
    )
    case = load_case(case_path)
    assert case.decision is not None
    decision = decide(case.decision, seed=case.simulation.seed, level=case.simulation.level)
    boot = decision.champion.bootstrap
    assert boot is not None
    roi = evaluate(case, decision=decision)
    assert roi.lifts[0].std_error == pytest.approx(
        boot.incremental_value_per_row.interval.std_error, rel=1e-12
    )


def test_the_parameter_spread_follows_the_objective(parquet: Path) -> None:
    cfg = config(
        parquet,
        parameters={"g": {"normal": [0.3, 1e-6]}, "contact": 1.5},
        objective="value - 60 * targeted",
    )
    m = decide(cfg).champion
    assert m.parameters is not None and m.point is not None
    # the parameter barely moves: every draw's best threshold is the chosen one
    assert m.parameters.threshold.lower == m.point["threshold"]
    assert m.parameters.threshold.upper == m.point["threshold"]


def test_an_uncertain_parameter_in_the_eligibility_rule_is_refused(parquet: Path) -> None:
    cfg = config(parquet, eligible="tenure >= g * 40")
    with pytest.raises(ExprError, match=r'decision\.eligible: parameter "g" is uncertain'):
        decide(cfg)


def test_the_score_ranges_of_picked_bins_hold_exactly_their_rows() -> None:
    import ibis

    from mlroi.backend.execute import fetch_columns
    from mlroi.backend.scored import ScoreBins, in_score_ranges
    from mlroi.decision.analysis import _ranges

    rng = np.random.default_rng(11)
    score = np.r_[np.round(rng.random(3_000), 3), 0.0, 1.0, 0.5, 0.5]
    t = ibis.memtable(pa.table({"s": score}))
    bins = ScoreBins("s", 0.0, 1.0, 40)
    keyed = t.mutate(k=bins.key(t))
    got = fetch_columns(
        keyed.group_by("k").aggregate(low=keyed.s.min()).order_by(ibis.desc("k")), "bins"
    )
    for trial in range(20):
        pick = rng.random(len(got["k"])) < (0.1 if trial % 2 else 0.5)
        pick[0] |= trial == 3  # the top bin: a range without an upper end
        if not pick.any():
            continue
        inside = in_score_ranges(t, "s", _ranges(np.asarray(got["low"]), pick))
        want = keyed.filter(keyed.k.isin([int(k) for k in got["k"][pick]]))
        assert sorted(inside.execute()["s"]) == sorted(want.execute()["s"])
