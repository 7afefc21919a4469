"""ITS and synthetic control from a table: the backend sums, the config, bad input, the
result's JSON and its report view."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from mlroi.causal.series_result import ItsResult
from mlroi.causal.synthetic import analyse_its, analyse_synthetic_control
from mlroi.errors import DataError, SpecError
from mlroi.report import markdown
from mlroi.spec.causal_synth import ItsConfig, SyntheticControlConfig

START = dt.date(2024, 1, 1)


def _daily(effect: float = 5.0, units: int = 8, days: int = 120, seed: int = 4) -> pd.DataFrame:
    """Raw rows (two per unit and day) of daily revenue; unit m0 launched on day 90."""
    rng = np.random.default_rng(seed)
    common = rng.normal(size=days).cumsum() + 100
    rows = []
    for u in range(units):
        level = rng.uniform(0.8, 1.2)
        series = level * common + rng.normal(size=days)
        if u == 0:
            series[90:] += effect
        for d in range(days):
            for half in (0.4, 0.6):
                rows.append((f"m{u}", START + dt.timedelta(days=d), half * series[d]))
    return pd.DataFrame(rows, columns=["market", "day", "revenue"])


def _its(**kw: object) -> ItsConfig:
    base = dict(
        unit="market",
        date="day",
        outcome="revenue",
        treated="m0",
        launch=START + dt.timedelta(days=90),
        controls=["m1", "m2", "m3"],
    )
    return ItsConfig(**{**base, **kw})


def _sc(**kw: object) -> SyntheticControlConfig:
    base = dict(
        unit="market",
        date="day",
        outcome="revenue",
        treated="m0",
        launch=START + dt.timedelta(days=90),
    )
    return SyntheticControlConfig(**{**base, **kw})


def test_its_from_raw_rows_recovers_the_effect_and_says_its_period() -> None:
    r = analyse_its(_its(), table=_daily())
    assert isinstance(r, ItsResult)
    assert r.effect.contains(5.0) and r.effect.lower > 0
    assert r.period == "2024-03-31 to 2024-04-29, 30 days"
    assert r.pre_periods == 90 and r.post_periods == 30
    assert r.units == {"treated": 1, "controls": 3}
    assert [c.name for c in r.checks] == ["placebo in time", "residual autocorrelation"]
    assert r.notes[0] == (
        "one backend query summed 1,920 rows per unit and day; the fit used 4 units x 120 days"
    )
    json.loads(r.to_json())


def test_synthetic_control_from_parquet(tmp_path: Path) -> None:
    path = tmp_path / "daily.parquet"
    _daily().to_parquet(path)
    r = analyse_synthetic_control(_sc(source={"path": str(path)}))
    assert r.effect.contains(5.0)
    assert sum(r.weights.values()) == pytest.approx(1.0)
    assert len(r.placebos) == 7 and r.p_value is not None
    assert r.sources == (f"series: {path}",)


def test_report_view_puts_failed_checks_first_and_withholds_the_headline() -> None:
    """A treated unit far above every donor: the pre-period fit fails (blocking)."""
    df = _daily()
    df.loc[df.market == "m0", "revenue"] *= 3
    r = analyse_synthetic_control(_sc(), table=df)
    assert r.withheld
    view = r.view()
    assert view.headline is not None and view.headline.text.startswith("No estimate")
    first = view.sections[0].blocks[0]
    assert getattr(first, "title", "") == "Diagnostics"
    text = markdown.render(view)
    assert "pre-period fit" in text and "nan" not in text.lower()


def test_report_has_the_counterfactual_and_effect_charts() -> None:
    r = analyse_its(_its(), table=_daily())
    titles = [c.title for c in r.view().charts]
    assert titles == [
        "revenue: actual vs counterfactual",
        "Effect per period on revenue",
        "Cumulative effect on revenue",
    ]
    assert "Interrupted time series: m0's revenue changed by" in repr(r)


def test_too_few_pre_periods_names_the_launch_and_the_need() -> None:
    with pytest.raises(DataError, match=r"causal.launch: 2024-01-08 leaves 7 days.*at least 10"):
        analyse_synthetic_control(_sc(launch=START + dt.timedelta(days=7)), table=_daily())


def test_launch_outside_the_data_is_refused() -> None:
    with pytest.raises(DataError, match="outside the data"):
        analyse_its(_its(launch=dt.date(2025, 1, 1)), table=_daily())


def test_gaps_are_counted_and_refused() -> None:
    df = _daily()
    df = df[~((df.market == "m2") & (df.day == START + dt.timedelta(days=5)))]
    with pytest.raises(DataError, match=r"unit 'm2' has no rows for 1 of 120 periods"):
        analyse_its(_its(), table=df)


def test_constant_treated_series_is_refused() -> None:
    df = _daily()
    df.loc[df.market == "m0", "revenue"] = 1.0
    with pytest.raises(DataError, match="same outcome"):
        analyse_its(_its(), table=df)


def test_constant_control_is_named() -> None:
    df = _daily()
    df.loc[df.market == "m1", "revenue"] = 2.0
    with pytest.raises(DataError, match="'m1' is constant"):
        analyse_its(_its(), table=df)


def test_donor_pool_of_one_is_refused() -> None:
    with pytest.raises(DataError, match="at least 2 donors"):
        analyse_synthetic_control(_sc(controls=["m1"]), table=_daily())


def test_unknown_treated_unit_lists_the_units() -> None:
    with pytest.raises(DataError, match=r"causal\.treated: unit 'm9' has no rows"):
        analyse_its(_its(treated="m9"), table=_daily())


def test_misspelt_treated_unit_gets_the_closest_name() -> None:
    with pytest.raises(DataError, match=r"did you mean 'm1'\?"):
        analyse_its(_its(treated="M1", controls=["m2", "m3"]), table=_daily())


def test_config_refuses_the_treated_unit_among_its_controls() -> None:
    with pytest.raises(SpecError, match="cannot be its own control"):
        _its(controls=["m0", "m1"])


def test_number_launch_for_dated_periods_is_refused() -> None:
    with pytest.raises(DataError, match="is a number, but the date column holds dates"):
        analyse_its(_its(launch=90), table=_daily())


def test_missing_outcome_is_counted_as_left_out() -> None:
    """A pandas NaN arrives as NULL: the row is left out of its day's sum and counted."""
    df = _daily()
    df.loc[3, "revenue"] = np.nan
    r = analyse_its(_its(), table=df)
    assert r.excluded == {"rows with a NULL outcome": 1}


def test_monthly_dates_causalpy_its_example_through_the_api() -> None:
    """Month-end dates read as months; launch 2017-01-01 falls in the first post month
    (2017-01-31, row 84, as in CausalPy's example); the known effect 100 gamma(10).pdf(t - 84)
    lies within the average and cumulative intervals."""
    from scipy.stats import gamma

    df = pd.read_csv(Path(__file__).parent / "data" / "causal" / "causalpy_its.csv")
    df["unit"] = "series"
    df["date"] = pd.to_datetime(df["date"]).dt.date
    config = ItsConfig(
        treated="series", outcome="y", launch=dt.date(2017, 1, 1), seasonality="month_of_year"
    )
    r = analyse_its(config, table=df[["unit", "date", "y"]])
    truth = 100 * gamma(10).pdf(np.arange(36))
    assert (r.frequency, r.pre_periods, r.launch) == ("month", 84, "2017-01")
    assert r.period == "2017-01 to 2019-12, 36 months"
    assert r.effect.contains(float(truth.mean()))
    assert r.cumulative.contains(float(truth.sum()))
    assert r.coefficients["trend"] == pytest.approx(0.2, abs=0.02)


def test_day_of_week_needs_daily_periods() -> None:
    df = _daily()
    weekly = df[pd.to_datetime(df.day).dt.day_of_week == 0]
    with pytest.raises(SpecError, match="day_of_week needs daily periods"):
        analyse_its(_its(seasonality="day_of_week", launch=dt.date(2024, 3, 25)), table=weekly)


def test_notebook_html_draws_the_three_charts() -> None:
    r = analyse_synthetic_control(_sc(), table=_daily())
    html = r._repr_html_()
    assert html.count("<svg") == 3
    assert "nan" not in html.lower().replace("nanosecond", "")


def test_json_is_byte_identical_for_the_same_seed() -> None:
    df = _daily(units=30)
    a = analyse_synthetic_control(_sc(placebos=10, seed=5), table=df).to_json()
    b = analyse_synthetic_control(_sc(placebos=10, seed=5), table=df).to_json()
    assert a == b
    assert "placebo in space: 10 of 29 donors refitted" in a


def test_wide_frame_through_the_panel_api() -> None:
    """A wide frame (one column per unit) reaches the same numbers as the long table."""
    from mlroi.causal.panel import panel_from_sums, wide_panel
    from mlroi.causal.synthetic import its_from_panel

    long = _daily()
    daily = long.groupby(["day", "market"], as_index=False).revenue.sum()
    wide = daily.pivot(index="day", columns="market", values="revenue").reset_index()
    units, keys, totals, kind = wide_panel(wide, date="day")
    panel = panel_from_sums(units, keys, totals, kind=kind, wanted=["m0", "m1", "m2", "m3"])
    from_wide = its_from_panel(panel, _its())
    from_long = analyse_its(_its(), table=long)
    assert from_wide.effect.estimate == pytest.approx(from_long.effect.estimate, rel=1e-9)
    assert from_wide.effect.upper == pytest.approx(from_long.effect.upper, rel=1e-9)


def test_its_with_more_controls_than_history_says_how_many_are_needed() -> None:
    with pytest.raises(
        DataError, match=r"leaves 20 days.*needs at least 32.*or fewer of its 22 regression terms"
    ):
        analyse_its(
            _its(controls="all", launch=START + dt.timedelta(days=20)), table=_daily(units=21)
        )


def test_without_placebos_the_effect_has_no_interval_and_says_so() -> None:
    r = analyse_synthetic_control(_sc(placebos=0), table=_daily())
    assert r.p_value is None and r.placebos == ()
    assert r.relative is None
    assert "(no interval)" in repr(r)
    assert json.loads(r.to_json())["effect"]["lower"] is None


def test_start_and_end_trim_the_periods_and_count_what_was_left_out() -> None:
    r = analyse_its(
        _its(start=START + dt.timedelta(days=10), end=START + dt.timedelta(days=99)),
        table=_daily(),
    )
    assert (r.pre_periods, r.post_periods) == (80, 10)
    # 8 markets in the table: 10 days before the start and 20 after the end each.
    assert r.excluded == {"unit-periods before start": 80, "unit-periods after end": 160}


@pytest.mark.spark
def test_its_and_synthetic_control_on_spark_give_the_duckdb_results(spark_tables: Any) -> None:
    from test_postgres_parity import assert_same

    df = _daily()
    on_spark = spark_tables.put("synth_daily", df)
    for analyse, config in ((analyse_its, _its()), (analyse_synthetic_control, _sc())):
        duck = analyse(config, table=df).to_dict()  # type: ignore[operator]
        got = analyse(config, table=on_spark).to_dict()  # type: ignore[operator]
        assert got.pop("sources") == ["series: synth_daily"]
        duck.pop("sources")
        assert_same(got, duck)
