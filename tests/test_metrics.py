"""Each metric type declares what it needs from the backend and turns the aggregates into its
estimate, so a new metric type is one class: the readout needs no change to read it out."""

from __future__ import annotations

import doctest
import math
from collections.abc import Mapping
from typing import Literal

import ibis
import numpy as np
import pyarrow as pa
import pytest
from pydantic import Field

from mlroi import DataError, ExperimentConfig, Mean, Proportion, Ratio, readout
from mlroi.experiment.readout import compare_aggregates, plan_aggregation
from mlroi.metrics import MetricBase
from mlroi.metrics.base import Range
from mlroi.stats import proportion as proportion_module
from mlroi.stats.aggregates import Aggregates
from mlroi.stats.delta import Gradient
from mlroi.stats.power import Baseline
from mlroi.stats.proportion import bernoulli_comoment, bernoulli_variance

N = 4_000


def test_a_ratio_with_covariates_asks_for_every_pair_of_its_four_columns() -> None:
    aov = Ratio(
        name="aov",
        numerator="revenue",
        denominator="orders",
        covariate_numerator="pre_revenue",
        covariate_denominator="pre_orders",
    )
    columns = ["orders", "pre_orders", "pre_revenue", "revenue"]
    assert aov.value_columns() == ("revenue", "orders")
    assert aov.covariate_columns() == ("pre_revenue", "pre_orders")
    assert aov.pairs() == {(a, b) for a in columns for b in columns if a <= b}
    assert aov.checked_ranges() == {"orders": (0.0, math.inf)}
    assert aov.zero_one_columns() == ()


def test_a_proportion_asks_for_its_range_and_is_a_0_1_column() -> None:
    conversion = Proportion(name="conversion", column="converted")
    assert conversion.pairs() == {("converted", "converted")}
    assert conversion.checked_ranges() == {"converted": (0.0, 1.0)}
    assert conversion.zero_one_columns() == ("converted",)


def test_a_mean_asks_for_no_check() -> None:
    rpu = Mean(name="rpu", column="revenue", covariate="pre_revenue")
    assert rpu.pairs() == {
        ("revenue", "revenue"),
        ("pre_revenue", "revenue"),
        ("pre_revenue", "pre_revenue"),
    }
    assert rpu.checked_ranges() == {}
    assert rpu.zero_one_columns() == ()


def test_a_capped_ratio_reads_its_capped_numerator_and_keeps_its_denominator() -> None:
    aov = Ratio(name="aov", numerator="revenue", denominator="orders", cap=0.99)
    capped, columns = aov.capped()
    assert capped.value_columns() == ("revenue__cap099", "orders")
    assert columns == {"revenue__cap099": ("revenue", 0.99)}
    assert Mean(name="rpu", column="revenue").capped()[1] == {}


def test_a_ratio_whose_denominator_sums_to_zero_says_so() -> None:
    ctr = Ratio(name="ctr", numerator="clicks", denominator="impressions")
    empty = Aggregates(n=3, mean={"clicks": 0.0, "impressions": 0.0})
    assert ctr.cannot_estimate(empty, "b") == "denominator 'impressions' sums to 0 in arm 'b'"


def test_a_proportion_without_covariate_has_the_wald_variance_and_baseline() -> None:
    agg = Aggregates(n=10, mean={"y": 0.3}, comoment={("y", "y"): bernoulli_comoment(10, 0.3)})
    conversion = Proportion(name="cr", column="y")
    estimate = conversion.estimate(agg)
    assert estimate.value == 0.3
    assert estimate.variance == 0.3 * 0.7 / 10
    assert conversion.baseline(agg) == Baseline.proportion(0.3)
    assert Baseline.proportion(0.3).variance == bernoulli_variance(0.3)


def test_the_proportion_variance_examples_run() -> None:
    assert doctest.testmod(proportion_module).failed == 0


# --- a metric type defined here, unknown to mlroi, read out by the unchanged readout -----------


class Total(MetricBase):
    """A toy metric type: the sum of two columns' means (e.g. spend over two channels).

    Its delta-method gradient is 1 for both columns, so its variance is ``Var(a + b) / n``: it
    must read out exactly as a mean of the column ``a + b``. Its first column must not be
    negative, which it checks on the bounds it asks the backend for.
    """

    capped_field = "first"

    type: Literal["total"] = "total"
    first: str = Field(description="First per-unit column.")
    second: str = Field(description="Second per-unit column.")

    def value_columns(self) -> tuple[str, ...]:
        return (self.first, self.second)

    def covariate_columns(self) -> tuple[str, ...]:
        return ()

    def checked_ranges(self) -> dict[str, Range]:
        return {self.first: (0.0, math.inf)}

    def check(
        self, agg: Aggregates, minimum: Mapping[str, float], maximum: Mapping[str, float]
    ) -> None:
        if minimum.get(self.first, 0.0) < 0:
            raise DataError(f"total metric {self.name!r}: {self.first!r} has negative values")

    def point(self, agg: Aggregates, columns: tuple[str, ...]) -> tuple[float, Gradient]:
        a, b = columns
        return agg.mean[a] + agg.mean[b], {a: 1.0, b: 1.0}


def _users(first: np.ndarray | None = None) -> pa.Table:
    rng = np.random.default_rng(7)
    ids = np.arange(N, dtype=np.int64)
    treated = ids % 2 == 1
    web = rng.gamma(2.0, 5.0, N) * np.where(treated, 1.1, 1.0)
    app = rng.gamma(1.5, 4.0, N) + 0.3 * web
    web = web if first is None else first
    return pa.table(
        {
            "user_id": ids,
            "variant": np.where(treated, "treatment", "control"),
            "web": web,
            "app": app,
            "both": web + app,
        }
    )


def _config(metric: MetricBase) -> ExperimentConfig:
    """A configuration reading out ``metric``; a case file only names the built-in types, so the
    toy type is put in place after validation."""
    config = ExperimentConfig(
        control="control",
        arms={"control": 1.0, "treatment": 1.0},
        metrics=[Mean(name="placeholder", column="both")],
    )
    return config.model_copy(update={"metrics": [metric]})


def test_a_new_metric_type_reads_out_as_the_equivalent_built_in_metric() -> None:
    table = _users()
    got = readout(table, _config(Total(name="spend", first="web", second="app")))
    want = readout(
        table, control="control", arms=got.arms, metrics=[Mean(name="spend", column="both")]
    )
    (g,), (w,) = got.comparisons, want.comparisons
    assert g.kind == "total"
    assert g.status == w.status == "ok"
    assert g.control_value == pytest.approx(w.control_value, rel=1e-12)
    assert g.treatment_value == pytest.approx(w.treatment_value, rel=1e-12)
    assert g.absolute is not None and w.absolute is not None
    assert g.absolute.std_error == pytest.approx(w.absolute.std_error, rel=1e-9)
    assert g.p_value == pytest.approx(w.p_value, rel=1e-9)


def test_a_new_metric_type_gets_the_bounds_it_asks_for_and_checks_them() -> None:
    metric = Total(name="spend", first="web", second="app")
    table = _users(first=np.where(np.arange(N) == 5, -1.0, 1.0))
    spec, _ = plan_aggregation(ibis.memtable(table), _config(metric))
    assert spec.lower == ("web",) and spec.upper == ()
    assert ("app", "web") in spec.pairs
    with pytest.raises(DataError, match="total metric 'spend': 'web' has negative values"):
        readout(table, _config(metric))


def test_a_new_metric_type_compares_from_aggregates_alone() -> None:
    metric = Total(name="spend", first="a", second="b")
    ctrl = Aggregates.from_sums(
        4, {"a": 4.0, "b": 8.0}, {("a", "a"): 6.0, ("b", "b"): 20.0, ("a", "b"): 9.0}
    )
    treat = Aggregates.from_sums(
        4, {"a": 8.0, "b": 8.0}, {("a", "a"): 20.0, ("b", "b"): 20.0, ("a", "b"): 17.0}
    )
    comp = compare_aggregates(metric, ctrl, treat)
    assert comp.control_value == 3.0 and comp.treatment_value == 4.0
    assert comp.absolute is not None and comp.absolute.estimate == 1.0
