"""``value: {decay: {retention: fitted}}``: the ROI's months follow the decay fitted to the lift
per week of exposure, its uncertainty drawn jointly, listed as data-sourced assumptions.

Reference: counts generated without noise from a known weekly-retention lift
``L(w) = 0.01 + 0.04 exp(-(w - 1) / 3)``; each month's value must be the mean of ``L`` over the
month's weeks of exposure divided by the mean of ``L`` over the 12 weeks observed, computed here
by a direct numerical average (tolerance 0.5% relative: the fit recovers the curve from
rounded counts, and the grid averages the curve to 1e-6).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mlroi.errors import EstimationError, SpecError
from mlroi.pipeline import evaluate
from mlroi.retention.analysis import analyse_counts
from mlroi.retention.result import RetentionResult
from mlroi.retention.survival import SurvivalCounts
from mlroi.spec.case import Case, load_case
from mlroi.spec.retention import RetentionConfig
from mlroi.value.fitted import DAYS_PER_MONTH

pytestmark = pytest.mark.filterwarnings("ignore:Starting with pandas version 4.0")

WEEKS = 12
CONTROL_WEEKLY = 0.85
PLATEAU, INITIAL, SCALE = 0.01, 0.05, 3.0
UNITS = 1000.0


def true_lift(x: np.ndarray) -> np.ndarray:
    """The generating lift at ``x`` weeks since exposure (``x = w - 1``)."""
    return PLATEAU + (INITIAL - PLATEAU) * np.exp(-x / SCALE)


def _counts(weekly: list[float], users: int) -> SurvivalCounts:
    """Users churning at the end of week w with probability 1 - weekly[w - 1] (expected counts,
    rounded: no sampling noise), the rest censored after the last week."""
    left, events = float(users), []
    for r in weekly:
        d = round(left * (1 - r))
        events.append(d)
        left -= d
    days = [7 * (w + 1) for w in range(len(weekly))]
    censored = [0] * (len(weekly) - 1) + [int(left)]
    return SurvivalCounts.of(day=days, events=events, censored=censored)


def _config() -> RetentionConfig:
    return RetentionConfig.model_validate(
        {
            "assignments": {"path": "a.parquet"},
            "activity": {"source": {"path": "b.parquet"}},
            "control": "control",
            "window_days": 7 * WEEKS,
        }
    )


def _retention(users: int = 2_000_000, lift: float = 1.0) -> RetentionResult:
    x = np.arange(WEEKS, dtype=float)
    treated = [CONTROL_WEEKLY + lift * float(v) for v in true_lift(x)]
    arms = {
        "control": _counts([CONTROL_WEEKLY] * WEEKS, users),
        "treatment": _counts(treated, users),
    }
    return analyse_counts(arms, _config())


def _case(**value: Any) -> Case:
    return Case.model_validate(
        {
            "name": "fitted decay",
            "goal": "keep users",
            "intervention": "recommendations",
            "population": {"description": "everyone"},
            "primary_metric": "retained value",
            "value": {
                "drivers": [
                    {
                        "name": "retained value",
                        "lift": {"estimate": 1.0},
                        "per": "month",
                        "units_per_month": UNITS,
                    }
                ],
                "decay": {"retention": "fitted"},
                **value,
            },
            "costs": [{"kind": "fixed", "name": "upkeep", "category": "licence", "amount": 10}],
            "finance": {"currency": "EUR", "horizon_months": 24},
            "retention": _config().model_dump(mode="json", exclude_unset=True),
        }
    )


def _expected(months: int, start: int, weeks: int = WEEKS) -> np.ndarray:
    """Each month's factor by direct numerical averaging of the generating curve."""
    ref = float(np.mean(true_lift(np.arange(weeks, dtype=float))))
    out = np.zeros(months + 1)
    span = DAYS_PER_MONTH / 7
    for t in range(start, months + 1):
        grid = (t - start + (np.arange(100_000) + 0.5) / 100_000) * span
        out[t] = float(np.mean(true_lift(grid))) / ref
    return out


def test_the_monthly_value_follows_the_generating_decay() -> None:
    r = evaluate(_case(), retention=_retention())
    value = np.array([p.value for p in r.schedule])
    expected = UNITS * _expected(24, 1)
    assert value[0] == 0.0
    np.testing.assert_allclose(value[1:], expected[1:], rtol=5e-3)
    # early months above the observed weeks' average, late months at the plateau's share
    assert value[1] > UNITS > value[24]
    assert value[24] / UNITS == pytest.approx(PLATEAU / np.mean(true_lift(np.arange(12.0))), 5e-3)


def test_a_later_launch_starts_the_curve_at_launch() -> None:
    r = evaluate(_case(start_month=4), retention=_retention())
    value = np.array([p.value for p in r.schedule])
    assert np.all(value[:4] == 0.0)
    np.testing.assert_allclose(value[4:], UNITS * _expected(24, 4)[4:], rtol=5e-3)


def test_lifts_measured_over_two_weeks_are_read_as_the_curve_s_first_two_weeks() -> None:
    r = evaluate(_case(decay={"retention": "fitted", "weeks": 2}), retention=_retention())
    value = np.array([p.value for p in r.schedule])
    np.testing.assert_allclose(value[1:], UNITS * _expected(24, 1, weeks=2)[1:], rtol=5e-3)
    assert value[1] < UNITS  # the first month already holds weeks 3-4 of lower lift
    row = {a.name: a for a in r.assumptions}["value.decay.weeks"]
    assert (row.value, row.source) == (2.0, "case")


def test_the_fitted_shape_is_listed_as_data_and_named_in_the_methods() -> None:
    from mlroi.report.methods import roi as roi_methods

    r = evaluate(_case(), retention=_retention())
    rows = {a.name: a for a in r.assumptions}
    assert "value.decay" not in rows
    for name in ("initial", "plateau", "log_scale_weeks", "weeks"):
        assert rows[f"value.decay.{name}"].source == "data"
    assert rows["value.decay.plateau"].value == pytest.approx(PLATEAU, rel=5e-3)
    assert math.exp(float(rows["value.decay.log_scale_weeks"].value)) == pytest.approx(
        SCALE, rel=5e-3
    )
    assert r.effect_shape is not None and r.effect_shape.weeks == WEEKS
    assert any("follows the decay fitted" in s for s in roi_methods(r))
    assert r.to_dict()["effect_shape"]["arm"] == "treatment"


def test_the_fit_s_uncertainty_reaches_the_monte_carlo() -> None:
    """With a certain lift, the value's interval comes from the fitted decay alone; fewer
    users give a wider one."""
    wide = evaluate(_case(), retention=_retention(users=40_000))
    narrow = evaluate(_case(), retention=_retention(users=400_000))
    for r in (wide, narrow):
        assert r.uncertain
        assert r.total_value.lower < r.total_value.estimate < r.total_value.upper

    def width(r: Any) -> float:
        return float(r.total_value.upper - r.total_value.lower)

    assert width(wide) > 2 * width(narrow)  # about sqrt(10) apart
    swings = {s.parameter for s in wide.sensitivity}
    assert {"value.decay.initial", "value.decay.plateau", "value.decay.log_scale_weeks"} <= swings
    labels = {s.label for s in wide.sensitivity}
    assert {"decay: initial", "decay: plateau", "decay: log scale weeks"} <= labels


def test_the_joint_draws_have_the_fit_s_covariance() -> None:
    from mlroi.pipeline import resolve_decay

    shape = resolve_decay(_case(), _retention(users=40_000))
    assert shape is not None
    draws = shape.joint_draws(np.random.default_rng(1), 200_000)
    x = np.vstack([draws[k] for k in sorted(draws)])  # initial, log scale, plateau
    order = [0, 2, 1]
    cov = np.array(shape.covariance)[np.ix_(order, order)]
    np.testing.assert_allclose(np.cov(x), cov, rtol=0.03, atol=1e-12)


def test_a_lift_too_uncertain_to_shape_the_effect_is_refused() -> None:
    with pytest.raises(EstimationError, match=r"value\.decay: treatment.s fitted lift averages"):
        evaluate(_case(), retention=_retention(users=20_000, lift=0.05))


def test_a_case_without_retention_that_asks_for_it_gets_a_located_error(tmp_path: Path) -> None:
    text = """\
name: no retention
goal: keep users
intervention: recommendations
population: {description: everyone}
primary_metric: value
value:
  drivers:
    - {name: value, lift: {estimate: 1.0}, per: month, units_per_month: 10}
  decay: {retention: fitted}
costs:
  - {kind: fixed, name: upkeep, category: licence, amount: 10}
finance: {currency: EUR, horizon_months: 12}
"""
    path = tmp_path / "case.yaml"
    path.write_text(text)
    with pytest.raises(SpecError) as err:
        load_case(path)
    message = str(err.value)
    assert "value.decay" in message and "needs a `retention:` section" in message
    assert "case.yaml:9" in message  # the line of `decay:`

    from typer.testing import CliRunner

    from mlroi.cli import app

    run = CliRunner().invoke(app, ["roi", str(path)])
    assert run.exit_code == 2
    assert "value.decay" in run.output and "Traceback" not in run.output


def test_the_plateau_driver_with_a_fitted_decay_is_refused() -> None:
    from mlroi.checked import as_model

    with pytest.raises(
        SpecError, match=r"value\.decay: value\.drivers\[0\] values the fitted plateau"
    ):
        as_model(
            Case,
            {
                **_case().model_dump(mode="json", exclude_unset=True),
                "primary_metric": "retained",
                "value": {
                    "drivers": [
                        {
                            "name": "retained",
                            "lift": {"retention": "plateau"},
                            "units_per_month": 10,
                        }
                    ],
                    "decay": {"retention": "fitted"},
                },
            },
            "case",
        )


def test_a_number_decay_still_fades_by_a_share_a_year() -> None:
    r = evaluate(_case(decay=0.2))
    value = np.array([p.value for p in r.schedule])
    assert value[13] == pytest.approx(UNITS * 0.8, rel=1e-12)
    assert r.effect_shape is None
