"""No silent assumptions: money inputs come from the case, every assumption is listed with its
source, hand-entered lifts state their period, drivers their basis and unit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from mlroi.cli import app
from mlroi.decision.analysis import decide
from mlroi.decision.config import DecisionConfig
from mlroi.expr import ExprError

runner = CliRunner()


@pytest.fixture
def ltv_table(tmp_path: Path) -> Path:
    """A churn table whose money columns are called ``ltv`` and ``offer_cost``."""
    rng = np.random.default_rng(11)
    n = 2_000
    score = np.round(rng.beta(2, 5, n), 3)
    path = tmp_path / "scored.parquet"
    pq.write_table(
        pa.table(
            {
                "score": score,
                "churned": (rng.uniform(size=n) < score).astype(np.int64),
                "ltv": np.round(rng.lognormal(5.5, 0.5, n), 2),
                "offer_cost": np.round(rng.uniform(5, 20, n), 2),
                "tenure": rng.integers(0, 60, n),
            }
        ),
        path,
    )
    return path


def churn(path: Path, **changes: Any) -> DecisionConfig:
    base: dict[str, Any] = {
        "source": {"path": str(path)},
        "score": "score",
        "label": "churned",
        "template": "churn",
        "bootstrap": {"resamples": 0},
    }
    return DecisionConfig.model_validate(base | changes)


# ------------------------------------------------------------- money comes from the case


def test_a_churn_case_without_its_money_columns_stops_naming_them(ltv_table: Path) -> None:
    with pytest.raises(ExprError) as info:
        decide(churn(ltv_table))
    message = str(info.value)
    assert message.startswith("decision.template: the churn template needs")
    assert "clv (money: value a saved churner brings)" in message
    assert "discount (money:" in message
    assert "ltv, offer_cost" in message  # the columns available


def test_a_half_mapped_churn_case_names_the_money_still_missing(ltv_table: Path) -> None:
    with pytest.raises(ExprError, match=r"^decision\.columns: .* discount \(money") as info:
        decide(churn(ltv_table, columns={"clv": "ltv"}))
    assert "clv (" not in str(info.value)


def test_money_mapped_to_columns_runs_on_them(ltv_table: Path) -> None:
    table = pq.read_table(ltv_table)
    result = decide(
        churn(
            ltv_table,
            columns={"clv": "ltv", "discount": "offer_cost"},
            parameters={"g": 0.3},
        )
    )
    y, clv = table["churned"].to_numpy(), table["ltv"].to_numpy()
    d = table["offer_cost"].to_numpy()
    act = np.where(y == 1, 0.3 * (clv - d - 1) - 0.7, -(d + 1))
    s = table["score"].to_numpy()
    best = max(act[s >= t].sum() for t in np.unique(s))
    assert result.champion.incremental_value == pytest.approx(max(best, 0.0), rel=1e-9)


def test_money_given_as_parameters_is_enough(ltv_table: Path) -> None:
    result = decide(churn(ltv_table, parameters={"clv": 300.0, "discount": 12.0}))
    assert result.champion.point is not None


def test_a_mapping_to_a_column_that_is_not_there_is_blamed_on_the_mapping(
    ltv_table: Path,
) -> None:
    with pytest.raises(
        ExprError, match=r"^decision\.columns\.clv: 'ltvv' is neither a column .*'ltv'"
    ):
        decide(churn(ltv_table, columns={"clv": "ltvv", "discount": "offer_cost"}))


def test_a_template_name_maps_to_an_expression_over_columns(ltv_table: Path) -> None:
    table = pq.read_table(ltv_table)
    mapped = {"clv": "ltv * share", "discount": "offer_cost"}
    result = decide(churn(ltv_table, columns=mapped, parameters={"g": 0.3, "share": 0.5}))
    y, clv = table["churned"].to_numpy(), 0.5 * table["ltv"].to_numpy()
    d = table["offer_cost"].to_numpy()
    act = np.where(y == 1, 0.3 * (clv - d - 1) - 0.7, -(d + 1))
    s = table["score"].to_numpy()
    best = max(act[s >= t].sum() for t in np.unique(s))
    assert result.champion.incremental_value == pytest.approx(max(best, 0.0), rel=1e-9)
    by_name = {a.name: a for a in result.assumptions}
    assert (by_name["clv"].value, by_name["clv"].source) == ("ltv * share", "column")
    assert by_name["share"].source == "case"


def test_an_unknown_name_in_a_mapped_expression_is_blamed_on_the_mapping(
    ltv_table: Path,
) -> None:
    mapped = {"clv": "ltvv * 0.3", "discount": "offer_cost"}
    with pytest.raises(
        ExprError, match=r"^decision\.columns\.clv: 'ltvv' \(in 'ltvv \* 0\.3'\) is neither"
    ):
        decide(churn(ltv_table, columns=mapped))


def test_a_mapping_that_does_not_parse_is_refused_when_the_case_is_read(tmp_path: Path) -> None:
    from mlroi.errors import SpecError
    from mlroi.spec.case import load_case

    case = tmp_path / "case.yaml"
    case.write_text(CASE.format(path="x.parquet", extra='  columns: {clv: "ltv *"}\n'))
    with pytest.raises(SpecError, match=r"case.yaml:11 decision\.columns\.clv: "):
        load_case(case)


def test_fraud_friction_must_be_given(tmp_path: Path) -> None:
    path = tmp_path / "txns.parquet"
    pq.write_table(pa.table({"score": [0.1, 0.9], "fraud": [0, 1], "amount": [10.0, 50.0]}), path)
    cfg = DecisionConfig.model_validate(
        {"source": {"path": str(path)}, "score": "score", "label": "fraud", "template": "fraud"}
    )
    with pytest.raises(ExprError, match=r"friction \(money: cost of blocking"):
        decide(cfg)


CASE = """\
name: churn offers
goal: reduce churn
intervention: offer a discount
population: {{description: customers, size: 2000}}
primary_metric: offers
decision:
  source: {{path: {path}}}
  score: score
  label: churned
  template: churn
{extra}  bootstrap: {{resamples: 0}}
  rows_per_year: 24000
value:
  drivers:
    - name: offers
      lift: {{decision: value}}
      units_per_month: 2000
costs:
  - {{kind: fixed, name: upkeep, category: maintenance, amount: 100, every: month}}
finance: {{currency: USD, horizon_months: 12}}
"""


def test_mlroi_decide_names_the_missing_money_at_its_line(ltv_table: Path, tmp_path: Path) -> None:
    case = tmp_path / "case.yaml"
    case.write_text(CASE.format(path=ltv_table, extra="  columns: {clv: ltv}\n"))
    result = runner.invoke(app, ["decide", str(case)])
    assert result.exit_code == 2
    assert f"{case}:11 decision.columns: the churn template needs" in result.stderr
    assert "Traceback" not in result.output


# ------------------------------------------------------------------ the assumptions listed


def test_a_decision_lists_each_input_with_its_source(ltv_table: Path) -> None:
    result = decide(
        churn(ltv_table, columns={"clv": "ltv"}, parameters={"discount": 12.0, "contact": 2.0})
    )
    by_name = {a.name: a for a in result.assumptions}
    assert (by_name["clv"].value, by_name["clv"].source) == ("ltv", "column")
    assert (by_name["discount"].value, by_name["discount"].source) == (12.0, "case")
    assert by_name["discount"].unit == "USD"
    assert (by_name["g"].value, by_name["g"].source) == ("Beta(6, 14)", "template default")
    assert by_name["stayers_accept"].source == "template default"
    assert by_name["stayers_accept"].unit == "probability"
    assert result.to_dict()["assumptions"][0] == {
        "name": "clv",
        "value": "ltv",
        "unit": "USD",
        "source": "column",
        "note": "value a saved churner brings, row by row",
    }


def test_a_parameter_a_template_name_is_mapped_to_is_listed_under_the_name(
    ltv_table: Path,
) -> None:
    result = decide(
        churn(
            ltv_table,
            columns={"clv": "saved"},
            parameters={"saved": {"low": 350, "likely": 480, "high": 600}, "discount": 10.0},
        )
    )
    clv = next(a for a in result.assumptions if a.name == "clv")
    assert (clv.value, clv.source) == ("350 / 480 / 600", "case")
    assert "parameter saved" in clv.note
    assert [a.name for a in result.assumptions].count("saved") == 0


def test_the_terminal_view_of_a_decision_has_the_assumptions_block(ltv_table: Path) -> None:
    result = decide(churn(ltv_table, parameters={"clv": 300.0, "discount": 12.0}))
    titles = [s.title for s in result.view().sections]
    assert "Assumptions used" in titles
    assert "template default" in result._repr_html_()  # the notebook shows it too


def test_the_roi_lists_its_inputs_with_sources_and_the_rate_card_date() -> None:
    from mlroi.pipeline import evaluate
    from mlroi.spec.case import load_case

    case = load_case(Path(__file__).parents[1] / "examples" / "fraud.yaml")
    result = evaluate(case, base=Path(__file__).parents[1] / "examples")
    by_name = {a.name: a for a in result.assumptions}
    assert by_name["value.drivers[0].lift"].source == "data"
    assert by_name["value.drivers[0].units_per_month"].value == 3_000_000
    assert by_name["value.drivers[0].margin"].source == "mlroi default"
    assert by_name["value.growth"].source == "case"
    gpu = by_name["costs[2].gpu"]
    assert gpu.source == "rate card" and gpu.unit == "USD per GPU-hour"
    assert f"rate card dated {result.rate_card_date}" in gpu.note
    assert result.to_dict()["assumptions"][0]["name"] == "value.drivers[0].lift"
    assert "Assumptions used" in [s.title for s in result.view().sections]


def test_the_case_report_lists_every_input_once_in_its_methods_part(tmp_path: Path) -> None:
    from mlroi.pipeline import run_case
    from mlroi.report.case import parts
    from mlroi.spec.case import load_case

    examples = Path(__file__).parents[1] / "examples"
    result = run_case(load_case(examples / "churn.yaml"), base=examples)
    views = parts(result)
    titled = [(v.label, s.title) for v in views for s in v.sections]
    assert [t for t in titled if t[1] == "Assumptions used"] == [
        ("Assumptions and methods", "Assumptions used")
    ]
    part = next(v for v in views if v.label == "Assumptions and methods")
    methods = part.sections[-1].blocks[0]
    names = [row[0].text for row in methods.rows]  # type: ignore[union-attr]
    assert names[:2] == ["decision.clv", "decision.discount"]
    assert "value.drivers[0].lift" in names


# ------------------------------------------------------------------------------- periods


def manual_case(**driver: Any) -> dict[str, Any]:
    """The method's worked example: $2.1M of incremental revenue a year, $150K of cost."""
    return {
        "name": "worked example",
        "goal": "more revenue",
        "intervention": "recommendations",
        "population": {"description": "all users"},
        "primary_metric": "revenue",
        "value": {
            "drivers": [
                {"name": "revenue", "lift": {"estimate": 2_100_000.0}, "units_per_month": 1}
                | driver
            ]
        },
        "costs": [
            {
                "kind": "fixed",
                "name": "run",
                "category": "maintenance",
                "amount": 150_000.0,
                "every": "year",
            }
        ],
        "finance": {"currency": "USD", "horizon_months": 12, "discount_rate": 0.0},
    }


def test_a_yearly_lift_is_converted_to_a_month_and_the_conversion_printed() -> None:
    from mlroi.pipeline import evaluate
    from mlroi.spec.case import Case

    r = evaluate(Case.model_validate(manual_case(per="year")))
    assert r.total_value.estimate == pytest.approx(2_100_000, rel=1e-12)
    assert r.return_multiple.estimate == pytest.approx(14.0, rel=1e-12)
    p = r.periods[0]
    assert (p.per, p.per_period, p.per_month) == ("year", 2_100_000, pytest.approx(175_000))
    assert "revenue: $2.10M a year = $175K a month." in r.summary()


def test_a_hand_entered_lift_without_a_period_is_a_located_error(tmp_path: Path) -> None:
    import yaml

    from mlroi.errors import SpecError
    from mlroi.spec.case import load_case

    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(manual_case(), sort_keys=False))
    lines = path.read_text().splitlines()
    line = next(i for i, t in enumerate(lines, 1) if "- name: revenue" in t)
    with pytest.raises(SpecError, match=rf"case.yaml:{line} value.drivers\[0\]\.per: a lift "):
        load_case(path)
    result = runner.invoke(app, ["roi", str(path)])
    assert result.exit_code == 2 and "per: year" in result.stderr


def test_a_window_lift_is_scaled_by_the_days_of_a_month_over_the_window() -> None:
    import yaml

    from mlroi.pipeline import evaluate, resolve_lifts
    from mlroi.roi.engine import roi_from_lifts
    from mlroi.spec.case import Case

    examples = Path(__file__).parents[1] / "examples"

    data = yaml.safe_load((examples / "recommender.yaml").read_text())
    case = Case.model_validate(data)
    assert case.window_days == 14
    r = evaluate(case, base=examples)
    p = r.periods[0]
    assert p.months_per == pytest.approx(365.25 / 12 / 14, rel=1e-12)
    assert p.per_month == pytest.approx(p.per_period * 365.25 / 12 / 14, rel=1e-12)
    # the same case stated per month with the lift scaled by hand gives the same figures
    data["value"]["drivers"][0]["per"] = "month"
    data["value"]["drivers"][0]["value_per_unit"] = 365.25 / 12 / 14
    monthly = Case.model_validate(data)
    same = roi_from_lifts(monthly, resolve_lifts(monthly, r.experiment), experiment=r.experiment)
    assert same.npv.estimate == pytest.approx(r.npv.estimate, rel=1e-9)


def test_a_window_without_the_experiments_window_is_an_error() -> None:
    from pydantic import ValidationError

    from mlroi.spec.case import Case

    with pytest.raises(ValidationError, match=r"experiment\.window_days"):
        Case.model_validate(manual_case(per="window"))


def test_a_value_over_100x_the_populations_spend_is_flagged() -> None:
    from mlroi.pipeline import evaluate
    from mlroi.spec.case import Case

    data = manual_case(per="year")
    data["population"] |= {"size": 1000, "spend_per_month": 1.0}  # $1,000 a month in all
    r = evaluate(Case.model_validate(data))
    assert len(r.warnings) == 1 and r.warnings[0].startswith("value.drivers[0] (revenue)")
    assert r.view().context[0].tone == "warn"
    data["population"]["spend_per_month"] = 10.0  # $175K a month < 100 x $10,000
    assert evaluate(Case.model_validate(data)).warnings == ()


def test_the_period_is_an_assumption_with_its_source() -> None:
    from mlroi.pipeline import evaluate
    from mlroi.spec.case import Case

    r = evaluate(Case.model_validate(manual_case(per="year")))
    per = next(a for a in r.assumptions if a.name == "value.drivers[0].per")
    assert (per.value, per.source) == ("year", "case")


# -------------------------------------------------------------------------------- labels


def drivers_case(*drivers: dict[str, Any]) -> dict[str, Any]:
    data = manual_case()
    data["value"]["drivers"] = [{"per": "month", "units_per_month": 1000} | d for d in drivers]
    data["primary_metric"] = drivers[0]["name"]
    return data


def test_one_gross_profit_driver_does_not_relabel_revenue_drivers() -> None:
    from mlroi.pipeline import evaluate
    from mlroi.spec.case import Case

    case = Case.model_validate(
        drivers_case(
            {"name": "revenue", "lift": {"estimate": 100.0}},
            {"name": "upsell", "lift": {"estimate": 20.0}, "margin": 0.3},
        )
    )
    r = evaluate(case)
    assert r.value_label == "incremental revenue + gross profit"
    assert [d.basis for d in r.drivers] == ["incremental revenue", "gross profit"]
    alone = Case.model_validate(
        drivers_case({"name": "upsell", "lift": {"estimate": 20.0}, "margin": 0.3})
    )
    assert alone.value_label == "incremental gross profit"


def test_a_count_driver_is_reported_as_a_count_and_kept_out_of_the_money() -> None:
    from mlroi.pipeline import evaluate
    from mlroi.spec.case import Case

    money = {"name": "revenue", "lift": {"estimate": 100.0}}
    count = {
        "name": "customers retained",
        "lift": {"estimate": 0.01, "interval": [0.005, 0.015]},
        "basis": "count",
        "units_per_month": 100_000,
    }
    r = evaluate(Case.model_validate(drivers_case(money, count)))
    only_money = evaluate(Case.model_validate(drivers_case(money)))
    assert r.total_value.estimate == pytest.approx(only_money.total_value.estimate)
    d = r.drivers[1]
    assert (d.unit, d.share, d.break_even_lift) == ("count", None, None)
    assert d.total.estimate == pytest.approx(0.01 * 100_000 * 12)
    assert all(not s.parameter.startswith("value.drivers[1]") for s in r.sensitivity)
    table = next(s for s in r.view().sections if s.title == "Value per driver").blocks[0]
    row = table.rows[1]  # type: ignore[union-attr]
    assert row[3].text == "12,000" and "$" not in row[3].text + row[4].text
    assert "count" in row[1].text


def test_a_count_driver_takes_no_margin() -> None:
    from pydantic import ValidationError

    from mlroi.spec.case import Case

    bad = {"name": "kept", "lift": {"estimate": 1.0}, "basis": "count", "margin": 0.5}
    with pytest.raises(ValidationError, match="a count is not money"):
        Case.model_validate(drivers_case({"name": "r", "lift": {"estimate": 1.0}}, bad))


def test_a_fraud_decisions_value_is_losses_avoided_not_revenue(tmp_path: Path) -> None:
    from mlroi.pipeline import evaluate
    from mlroi.report.roi import summary_rows
    from mlroi.spec.case import Case

    rng = np.random.default_rng(2)
    n = 2_000
    fraud = (rng.uniform(size=n) < 0.05).astype(np.int64)
    path = tmp_path / "txns.parquet"
    pq.write_table(
        pa.table(
            {
                "score": np.round(np.clip(0.5 * fraud + rng.beta(1, 6, n), 0, 1), 3),
                "fraud": fraud,
                "amount": np.round(rng.lognormal(4, 1, n), 2),
            }
        ),
        path,
    )
    data = drivers_case({"name": "fraud blocked", "lift": {"decision": "value"}})
    data["decision"] = {
        "source": {"path": str(path)},
        "score": "score",
        "label": "fraud",
        "template": "fraud",
        "parameters": {"friction": 5.0},
        "bootstrap": {"resamples": 0},
    }
    r = evaluate(Case.model_validate(data), base=tmp_path)
    assert r.value_label == "losses avoided"
    assert "Value (losses avoided)" in [row[0] for row in summary_rows(r)]
    basis = next(a for a in r.assumptions if a.name == "value.drivers[0].basis")
    assert (basis.value, basis.source) == ("losses avoided", "mlroi default")


# ------------------------------------------- the case's top level is words; rules run below


def test_a_population_filter_is_refused_with_where_it_belongs(tmp_path: Path) -> None:
    import yaml

    from mlroi.errors import SpecError
    from mlroi.spec.case import load_case

    data = manual_case(per="year")
    data["population"]["filter"] = "tenure_months >= 12"
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    line = next(i for i, t in enumerate(path.read_text().splitlines(), 1) if "filter:" in t)
    with pytest.raises(SpecError, match=rf"case.yaml:{line} population\.filter: not applied") as e:
        load_case(path)
    assert "eligible: tenure_months >= 12" in str(e.value)


def test_a_constraints_metric_is_refused_with_where_it_belongs(tmp_path: Path) -> None:
    import yaml

    from mlroi.errors import SpecError
    from mlroi.spec.case import load_case

    data = manual_case(per="year")
    data["constraints"] = [{"description": "few blocks", "metric": "legit_blocked"}]
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(SpecError, match=r"constraints\[0\]\.metric: not applied") as e:
        load_case(path)
    assert "experiment.guardrails" in str(e.value)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_the_example_cases_are_valid() -> None:
    from mlroi.spec.case import load_case

    for path in sorted((Path(__file__).parents[1] / "examples").glob("*.yaml")):
        load_case(path)


def test_the_case_report_summary_warns_of_an_implausible_input(tmp_path: Path) -> None:
    from mlroi.pipeline import run_case
    from mlroi.report.case import summary
    from mlroi.spec.case import Case

    data = manual_case(per="year")
    data["population"] |= {"size": 1000, "spend_per_month": 1.0}
    result = run_case(Case.model_validate(data))
    warned = [s for s in summary(result).context if s.tone == "warn"]
    assert warned and "value.drivers[0] (revenue)" in warned[0].text


def test_an_roi_valued_by_the_decision_lists_the_templates_defaults(
    ltv_table: Path, tmp_path: Path
) -> None:
    case = tmp_path / "case.yaml"
    case.write_text(
        CASE.format(path=ltv_table, extra="  columns: {clv: ltv, discount: offer_cost}\n")
    )
    result = runner.invoke(app, ["roi", str(case), "--json", str(tmp_path / "roi.json")])
    assert result.exit_code == 0, result.output
    import json

    data = json.loads((tmp_path / "roi.json").read_text())
    by_name = {a["name"]: a for a in data["assumptions"]}
    assert by_name["decision.g"] | {"note": ""} == {
        "name": "decision.g",
        "value": "Beta(6, 14)",
        "unit": "probability",
        "source": "template default",
        "note": "",
    }
    assert by_name["decision.clv"]["source"] == "column"
    assert "template default" in result.output


def test_an_experiment_lift_without_a_period_beside_a_known_window_gets_a_note() -> None:
    import yaml

    from mlroi.pipeline import evaluate
    from mlroi.spec.case import Case

    examples = Path(__file__).parents[1] / "examples"
    data = yaml.safe_load((examples / "recommender.yaml").read_text())
    del data["value"]["drivers"][0]["per"]
    r = evaluate(Case.model_validate(data), base=examples)
    assert any("states no period and is read per month" in n for n in r.notes)
    assert r.periods[0].months_per == 1.0


def test_a_decision_metric_declared_a_count_is_not_printed_as_money(ltv_table: Path) -> None:
    result = decide(
        churn(
            ltv_table,
            columns={"clv": "ltv", "discount": "offer_cost"},
            metrics={"big_offers": "1 if offer_cost > 15 else 0"},
            counts=["big_offers"],
        )
    )
    p = result.champion.point
    assert p is not None
    line = next(s for s in result.summary() if "big offers" in s)
    assert f"big offers {int(p['big_offers']):,}" in line
    assert "value retained $" in line
    assert result.to_dict()["counts"] == ["big_offers"]


def test_a_count_that_is_not_a_metric_is_refused() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=r"counts\[0\]: 'offers' is not a business metric"):
        churn(Path("x.parquet"), counts=["offers"])


def test_an_attributed_lift_is_already_monthly() -> None:
    from pydantic import ValidationError

    from mlroi.spec.case import Case

    data = drivers_case(
        {"name": "attributed", "lift": {"attribution": "adjusted_last_click"}, "per": "year"}
    )
    data["attribution"] = {
        "touchpoints": {"path": "t.parquet"},
        "orders": {"path": "o.parquet"},
        "incremental": {"estimate": 500.0, "interval": [100.0, 900.0]},
    }
    with pytest.raises(ValidationError, match=r"value.drivers\[0\]\.per: an attributed lift"):
        Case.model_validate(data)
    data["value"]["drivers"][0]["per"] = "month"
    Case.model_validate(data)
