"""The ROI's trust rules: failed checks withhold the headline, a certain case prints no interval,
an undefined IRR says why, value per driver adds up, and the what-if flows reproduce the model."""

from __future__ import annotations

import copy
import dataclasses
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from mlroi.cli import app
from mlroi.pipeline import evaluate
from mlroi.report.build import view_of
from mlroi.roi import whatif
from mlroi.spec.case import Case
from test_roi_engine import case_dict, run


def test_a_case_without_uncertain_inputs_prints_no_interval_and_no_draws() -> None:
    r = run()
    assert not r.uncertain
    assert r.draws == 1
    assert r.headline() == (
        "For every $1 spent, $14.00 comes back (every input is a single value, so there is "
        "no interval). Payback in 0.1 months."
    )
    text = "\n".join(view_of(r).sentences())
    assert "draws" not in text and "P(net ROI > 0)" not in text
    assert r.net_roi_bins is None


def test_an_undefined_irr_says_why() -> None:
    # no up-front cost: every month's net flow is positive, so no rate discounts it to zero
    r = run()
    assert math.isnan(r.irr.estimate)
    rows = {
        name: point for name, point, _ in __import__("mlroi.report.roi").report.roi.summary_rows(r)
    }
    assert (
        rows["IRR (annual)"]
        == "no IRR: nothing is invested up front (no month's net flow is negative)"
    )


MIXED: dict[str, Any] = {
    "drivers": [
        {
            "name": "orders",
            "lift": {"estimate": 2.0, "interval": [1.0, 3.0]},
            "per": "month",
            "units_per_month": 10_000,
            "margin": 0.3,
        },
        {
            "name": "basket",
            "lift": {"estimate": 0.5},
            "per": "month",
            "units_per_month": 10_000,
            "value_per_unit": 4.0,
        },
        {
            "name": "discounts",
            "lift": {"estimate": 0.1},
            "per": "month",
            "units_per_month": 10_000,
            "counts_as": "cost",
        },
    ],
    "ramp_months": 3,
    "decay": 0.2,
    "growth": 0.1,
    "start_month": 2,
}
COSTS: list[dict[str, Any]] = [
    {"kind": "build", "name": "build", "amount": {"low": 40_000, "likely": 60_000, "high": 90_000}},
    {"kind": "fixed", "name": "licence", "category": "licence", "amount": 12_000, "every": "year"},
    {"kind": "people", "name": "upkeep", "fte": 0.5, "loaded_salary": 180_000},
]


def mixed(**changes: Any) -> Case:
    base = case_dict(
        value=copy.deepcopy(MIXED), costs=copy.deepcopy(COSTS), primary_metric="orders"
    )
    base["finance"] = {"currency": "USD", "horizon_months": 24, "discount_rate": 0.08}
    base.update(changes)
    return Case.model_validate(base)


def test_value_per_driver_adds_up_to_the_total_and_each_break_even_zeroes_the_npv() -> None:
    case = mixed()
    r = evaluate(case)
    value = [d for d in r.drivers if d.counts_as == "value"]
    assert sum(d.total.estimate for d in value) == pytest.approx(r.total_value.estimate, rel=1e-12)
    assert sum(d.share for d in value if d.share is not None) == pytest.approx(1.0, rel=1e-12)
    for d in r.drivers:
        assert d.total.lower <= d.total.estimate <= d.total.upper
    # each driver's break-even lift, put back into the case, gives NPV = 0
    for i, d in enumerate(r.drivers):
        assert d.break_even_lift is not None
        changed = copy.deepcopy(MIXED)
        changed["drivers"][i]["lift"] = {"estimate": d.break_even_lift}
        again = evaluate(mixed(value=changed))
        assert abs(again.npv.estimate) < 1e-6 * r.total_value.estimate
    # value scaled to the break-even share gives NPV = 0 (NPV is linear in value)
    share = r.break_even.value_share
    assert share is not None and 0 < share < 1


def _inputs(case: Case, r: Any, **over: Any) -> whatif.Inputs:
    margins = r.what_if.driver_margins
    return whatif.Inputs(lifts=[x.estimate for x in r.lifts], margins=margins, **over)


def _point_figures(r: Any) -> dict[str, float]:
    return {
        "total_value": r.total_value.estimate,
        "total_cost": r.total_cost.estimate,
        "net_value": r.net_value.estimate,
        "return_multiple": r.return_multiple.estimate,
        "net_roi": r.net_roi.estimate,
        "npv": r.npv.estimate,
        "payback_months": r.payback_months.estimate,
    }


def _same(a: dict[str, float], b: dict[str, float]) -> None:
    for name, x in b.items():
        assert a[name] == pytest.approx(x, rel=1e-9, abs=1e-9), name


def _what_if(r: Any, case: Case, **over: Any) -> dict[str, float]:
    kinds = [d.counts_as for d in case.value.drivers]
    return dict(
        whatif.figures(
            r.what_if,
            kinds,
            _inputs(case, r, **over),
            case.finance.horizon_months,
            case.finance.discount_rate,
        )
    )


def test_what_if_flows_reproduce_the_point_figures() -> None:
    case = mixed()
    r = evaluate(case)
    _same(_what_if(r, case), _point_figures(r))


@pytest.mark.parametrize("horizon", [6, 36, 120])
def test_what_if_reproduces_another_horizon(horizon: int) -> None:
    case = mixed()
    r = evaluate(case)
    other = evaluate(
        mixed(finance={"currency": "USD", "horizon_months": horizon, "discount_rate": 0.08})
    )
    _same(_what_if(r, case, horizon_months=horizon), _point_figures(other))


def test_what_if_reproduces_another_rate_margin_lift_population_and_cost() -> None:
    case = mixed()
    r = evaluate(case)
    changed = copy.deepcopy(MIXED)
    changed["drivers"][0]["margin"] = 0.45
    changed["drivers"][1]["lift"] = {"estimate": 0.8}
    for d in changed["drivers"]:
        d["units_per_month"] = 15_000
    costs = copy.deepcopy(COSTS)
    costs[1]["amount"] = 30_000
    other = evaluate(
        mixed(
            value=changed,
            costs=costs,
            finance={"currency": "USD", "horizon_months": 24, "discount_rate": 0.15},
        )
    )
    inputs = whatif.Inputs(
        lifts=[2.0, 0.8, 0.1],
        margins=[0.45, 1.0, 1.0],
        population=1.5,
        cost_factors=[1.0, 2.5, 1.0],
        discount_rate=0.15,
    )
    kinds = [d.counts_as for d in case.value.drivers]
    got = dict(whatif.figures(r.what_if, kinds, inputs, 24, 0.08))
    _same(got, _point_figures(other))


def test_the_net_roi_histogram_counts_every_draw() -> None:
    r = evaluate(mixed())
    b = r.net_roi_bins
    assert b is not None
    assert sum(b.counts) + b.below + b.above == r.draws
    assert list(b.edges) == sorted(b.edges)


# --- failed checks withhold the headline ------------------------------------------------------


def _srm_case(tmp: Path, accept: str | None = None) -> Path:
    rng = np.random.default_rng(3)
    n_c, n_t = 1_000, 1_300  # a 50/50 split that logged 30% more treatment users: SRM
    lines = ["user_id,variant,revenue"]
    for i in range(n_c + n_t):
        arm = "control" if i < n_c else "treatment"
        lines.append(f"{i},{arm},{rng.gamma(2.0, 5.0) + (1.0 if arm == 'treatment' else 0.0):.4f}")
    (tmp / "users.csv").write_text("\n".join(lines) + "\n")
    text = """\
name: srm case
goal: more revenue
intervention: show recommendations
population: {description: everyone}
primary_metric: revenue
experiment:
  source: {path: users.csv}
  unit: user_id
  variant: variant
  control: control
  arms: {control: 0.5, treatment: 0.5}
  metrics:
    - {name: revenue, type: mean, column: revenue}
value:
  drivers:
    - {name: revenue, lift: {metric: revenue}, units_per_month: 10000}
costs:
  - {kind: fixed, name: run, category: maintenance, amount: 1000, every: month}
finance: {currency: USD, horizon_months: 12}
"""
    if accept:
        text += f"accept_failed_checks: {accept}\n"
    path = tmp / "case.yaml"
    path.write_text(text)
    return path


def test_a_failed_srm_withholds_the_roi_headline_and_exits_1(tmp_path: Path) -> None:
    case = _srm_case(tmp_path)
    out = CliRunner().invoke(app, ["roi", str(case)], env={"COLUMNS": "200"})
    assert out.exit_code == 1, out.output
    lines = [line for line in out.output.splitlines() if line.strip()]
    first = next(i for i, line in enumerate(lines) if "sample ratio mismatch" in line)
    headline = next(i for i, line in enumerate(lines) if line.startswith("No ROI headline"))
    assert first < headline
    assert "came back" not in out.output and "Headline figures" not in out.output


def test_failed_checks_accepted_on_the_command_line_or_in_the_case_give_the_figures(
    tmp_path: Path,
) -> None:
    case = _srm_case(tmp_path)
    out = CliRunner().invoke(app, ["roi", str(case), "--accept-failed-checks"])
    assert out.exit_code == 0, out.output
    assert "Not trustworthy" in out.output and "came back" in out.output
    (tmp_path / "b").mkdir()
    accepted = _srm_case(tmp_path / "b", accept="the bot filter dropped control users; reviewed")
    out = CliRunner().invoke(app, ["roi", str(accepted)])
    assert out.exit_code == 0, out.output
    assert "the bot filter dropped control users; reviewed" in out.output


def test_a_withheld_headline_shows_no_figures_in_the_view(tmp_path: Path) -> None:
    from mlroi.spec.case import load_case

    path = _srm_case(tmp_path)
    r = evaluate(load_case(path), base=tmp_path)
    assert r.withheld
    v = view_of(r)
    assert v.context[0].tone == "alarm"
    assert [s.title for s in v.sections] == ["Lifts", "Costs", "Assumptions used"]
    assert r.to_dict()["failed_checks"]
    assert dataclasses.replace(r, checks_accepted="ok").withheld is False
